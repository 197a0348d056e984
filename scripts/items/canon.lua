-- Canonical text of plain Lua values, for fingerprints (items.version) and
-- the one-line JSON of `chaosctl item roll`. Both walk tables in sorted key
-- order, so the same value always gives the same text, whatever order its
-- keys were inserted in.
local M = {}

local function num_text(v)
  if v % 1 == 0 and v > -2 ^ 53 and v < 2 ^ 53 then return string.format("%d", v) end
  if v ~= v then return "nan" end
  if v == math.huge then return "inf" end
  if v == -math.huge then return "-inf" end
  return string.format("%.17g", v)
end

-- Keys sorted: numbers first (ascending), then strings (byte order).
local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b)
    local ta, tb = type(a), type(b)
    if ta ~= tb then return ta == "number" end
    if ta == "number" or ta == "string" then return a < b end
    return tostring(a) < tostring(b)
  end)
  return keys
end
M.sorted_keys = sorted_keys

-- serialize(v): every type gets a tag, strings are length-prefixed, so two
-- different values never share a text. Functions count by presence only
-- (an item's `use`): their code does not shape generation.
local function ser(v, out, depth)
  local t = type(v)
  if depth > 32 then error("canon: nested deeper than 32 levels", 0) end
  if t == "nil" then out[#out + 1] = "n"
  elseif t == "boolean" then out[#out + 1] = v and "T" or "F"
  elseif t == "number" then out[#out + 1] = "#" .. num_text(v) .. ";"
  elseif t == "string" then out[#out + 1] = "$" .. #v .. ":" .. v
  elseif t == "function" then out[#out + 1] = "f"
  elseif t == "table" then
    out[#out + 1] = "{"
    for _, k in ipairs(sorted_keys(v)) do
      ser(k, out, depth + 1)
      out[#out + 1] = "="
      ser(v[k], out, depth + 1)
    end
    out[#out + 1] = "}"
  else
    out[#out + 1] = "?" .. t
  end
end

function M.serialize(v)
  local out = {}
  ser(v, out, 0)
  return table.concat(out)
end

local ESC = { ['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }
local function json_str(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return ESC[c] or string.format("\\u%04x", c:byte())
  end) .. '"'
end

-- A table is an array when its keys are exactly 1..n (n >= 1), or when it
-- is empty and listed in `arrays` by the key that holds it.
local function is_array(t)
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  if n == 0 then return false end
  for i = 1, n do if t[i] == nil then return false end end
  return true
end

local function json(v, key, arrays, out)
  local t = type(v)
  if t == "table" then
    if is_array(v) or (next(v) == nil and arrays[key]) then
      out[#out + 1] = "["
      for i = 1, #v do
        if i > 1 then out[#out + 1] = "," end
        json(v[i], nil, arrays, out)
      end
      out[#out + 1] = "]"
    else
      out[#out + 1] = "{"
      for i, k in ipairs(sorted_keys(v)) do
        if i > 1 then out[#out + 1] = "," end
        out[#out + 1] = json_str(tostring(k)) .. ":"
        json(v[k], k, arrays, out)
      end
      out[#out + 1] = "}"
    end
  elseif t == "string" then out[#out + 1] = json_str(v)
  elseif t == "number" then
    if v ~= v or v == math.huge or v == -math.huge then error("canon.json: a number JSON cannot carry", 0) end
    out[#out + 1] = num_text(v)
  elseif t == "boolean" then out[#out + 1] = tostring(v)
  elseif t == "nil" then out[#out + 1] = "null"
  else error("canon.json: cannot encode a " .. t, 0) end
end

-- One line of JSON with sorted keys; `arrays` = { key = true } for the keys
-- whose empty tables are lists.
function M.json(v, arrays)
  local out = {}
  json(v, nil, arrays or {}, out)
  return table.concat(out)
end

return M

-- The item vocabulary: item{}, affix{}, rarity{}. Installed into content.defs
-- (defs.item, defs.affix, defs.rarity); definitions live in its registry.
--
--   item{ id, name, slot = "weapon"|…|nil, stack = 1..9999 (default 1),
--         level = n?, realm = id?, stats = { stat = n }, value = n (gold, default 0),
--         tags = { "sword", … }, use = function? }
--   affix{ id, name, kind = "prefix"|"suffix", group = id,
--          tiers = { { ilvl = 1, stats = { power = {2, 5} } }, … },  -- ilvl ascending
--          weights = { sword = 10, default = 1 } }
--   rarity{ id, name, order = n, weight = n, affixes = { min, max } }
--
-- Shape errors are raised at the call as "file:line: message"; the checks
-- across definitions (a weight naming a tag no item carries, two rarities of
-- one order, equipment without any rarity to roll) run once every content
-- file has loaded (content.defs M.check). Generation: scripts/items/.
local M = {}

local ID = "^[a-z][a-z0-9_]*$"
local check = require("content.check")
local finite, int_in, is_id = check.finite, check.int_in, check.is_id
local MAX_STATS = 24
local MAX_AFFIXES = 16 -- per item (rarity affixes.max)

M.SLOTS = {
  "weapon", "offhand", "head", "shoulders", "chest", "hands", "legs", "feet",
  "neck", "ring", "trinket",
}
local SLOT = {}
for _, s in ipairs(M.SLOTS) do SLOT[s] = true end

local sites = { item = {}, affix = {}, rarity = {} }

-- The content file and line that called the vocabulary function.
local function caller()
  local info = debug.getinfo(3, "Sl")
  return info and (info.short_src .. ":" .. tostring(info.currentline)) or "?"
end

local function bad(where, kind, def, msg)
  error(where .. ": " .. kind .. " '" .. tostring(def.id) .. "': " .. msg, 0)
end

-- stats = { name = check(value) }: at most 24 stat names (a-z, 0-9, _).
local function check_stat_table(where, kind, def, st, field, value_ok, value_msg)
  if type(st) ~= "table" then bad(where, kind, def, field .. " must be a table of stat = value") end
  local n = 0
  for k, v in pairs(st) do
    n = n + 1
    if type(k) ~= "string" or #k > 31 or not k:match(ID) then
      bad(where, kind, def, field .. " keys must be stat names (a-z, 0-9, _)")
    end
    if not value_ok(v) then bad(where, kind, def, field .. "." .. k .. " " .. value_msg) end
  end
  if n > MAX_STATS then bad(where, kind, def, field .. ": at most " .. MAX_STATS .. " stats") end
  return n
end

local function check_item(where, def)
  if def.slot ~= nil and not SLOT[def.slot] then
    bad(where, "item", def, "slot must be one of " .. table.concat(M.SLOTS, ", ") .. " (or nil)")
  end
  if def.stack ~= nil and not int_in(def.stack, 1, 9999) then
    bad(where, "item", def, "stack must be an integer in [1, 9999]")
  end
  if def.slot ~= nil and (def.stack or 1) ~= 1 then
    bad(where, "item", def, "equipment (an item with a slot) does not stack: stack must be 1")
  end
  if def.level ~= nil and not int_in(def.level, 1, 1000) then
    bad(where, "item", def, "level must be an integer in [1, 1000]")
  end
  if def.realm ~= nil and not is_id(def.realm) then
    bad(where, "item", def, "realm must be an id (a-z, 0-9, _)")
  end
  if def.stats ~= nil then
    check_stat_table(where, "item", def, def.stats, "stats", finite, "must be a finite number")
  end
  if def.value ~= nil and not (finite(def.value) and def.value >= 0 and def.value % 1 == 0) then
    bad(where, "item", def, "value must be a whole number of gold >= 0")
  end
  if def.tags ~= nil then
    if type(def.tags) ~= "table" then bad(where, "item", def, "tags must be a list of ids") end
    local seen = {}
    for k in pairs(def.tags) do
      if type(k) ~= "number" or k % 1 ~= 0 or k < 1 or k > #def.tags then
        bad(where, "item", def, "tags must be a list of ids")
      end
    end
    for i, t in ipairs(def.tags) do
      if not is_id(t) then bad(where, "item", def, "tags[" .. i .. "] must be an id (a-z, 0-9, _)") end
      if t == "default" then bad(where, "item", def, "tags[" .. i .. "]: 'default' is reserved") end
      if seen[t] then bad(where, "item", def, "tags[" .. i .. "] repeats '" .. t .. "'") end
      seen[t] = true
    end
  end
  if def.use ~= nil and type(def.use) ~= "function" then
    bad(where, "item", def, "use must be a function")
  end
end

local function range_ok(v)
  return type(v) == "table" and int_in(v[1], -1e9, 1e9) and int_in(v[2], -1e9, 1e9) and v[1] <= v[2]
end

local function check_affix(where, def)
  if def.kind ~= "prefix" and def.kind ~= "suffix" then
    bad(where, "affix", def, "kind must be \"prefix\" or \"suffix\"")
  end
  if not is_id(def.group) then bad(where, "affix", def, "group must be an id (a-z, 0-9, _)") end
  if type(def.tiers) ~= "table" or #def.tiers == 0 then
    bad(where, "affix", def, "tiers must be a non-empty list of { ilvl =, stats = {} }")
  end
  local last = 0
  for i, t in ipairs(def.tiers) do
    local name = "tiers[" .. i .. "]"
    if type(t) ~= "table" then bad(where, "affix", def, name .. " must be { ilvl =, stats = {} }") end
    if not int_in(t.ilvl, 1, 10000) then
      bad(where, "affix", def, name .. ".ilvl must be an integer in [1, 10000]")
    end
    if t.ilvl <= last then
      bad(where, "affix", def, name .. ".ilvl must be greater than the tier before it (" .. last .. ")")
    end
    last = t.ilvl
    local n = check_stat_table(where, "affix", def, t.stats, name .. ".stats", range_ok,
      "must be {lo, hi}: integers with lo <= hi")
    if n == 0 then bad(where, "affix", def, name .. ".stats must name at least one stat") end
  end
  if type(def.weights) ~= "table" or next(def.weights) == nil then
    bad(where, "affix", def, "weights must be a table of tag = weight (and default =)")
  end
  for k, v in pairs(def.weights) do
    if not is_id(k) then bad(where, "affix", def, "weights keys must be item tags or default") end
    if not int_in(v, 0, 1000000) then
      bad(where, "affix", def, "weights." .. k .. " must be an integer in [0, 1000000]")
    end
  end
end

local function check_rarity(where, def)
  if not int_in(def.order, 0, 1000) then bad(where, "rarity", def, "order must be an integer in [0, 1000]") end
  if not int_in(def.weight, 0, 1000000) then
    bad(where, "rarity", def, "weight must be an integer in [0, 1000000]")
  end
  local a = def.affixes
  if type(a) ~= "table" or not int_in(a[1], 0, MAX_AFFIXES) or not int_in(a[2], 0, MAX_AFFIXES) or a[1] > a[2] then
    bad(where, "rarity", def, "affixes must be {min, max}: integers with 0 <= min <= max <= " .. MAX_AFFIXES)
  end
end

-- Cross-definition checks; appends "file:line: message" strings to errors.
local function check_all(defs, errors)
  local tags = {}
  local equipment = false
  for _, id in ipairs(defs.ids("item")) do
    local it = defs.get("item", id)
    for _, t in ipairs(it.tags or {}) do tags[t] = true end
    if it.slot then equipment = true end
  end
  for _, id in ipairs(defs.ids("affix")) do
    local a = defs.get("affix", id)
    local keys = {}
    for k in pairs(a.weights) do keys[#keys + 1] = k end
    table.sort(keys)
    for _, k in ipairs(keys) do
      if k ~= "default" and not tags[k] then
        errors[#errors + 1] = (sites.affix[id] or "?") .. ": affix '" .. id .. "': weights." .. k
          .. " names a tag no item carries"
      end
    end
  end
  local orders, rollable = {}, false
  for _, id in ipairs(defs.ids("rarity")) do
    local r = defs.get("rarity", id)
    if orders[r.order] then
      errors[#errors + 1] = (sites.rarity[id] or "?") .. ": rarity '" .. id .. "': order " .. r.order
        .. " is also rarity '" .. orders[r.order] .. "'s"
    end
    orders[r.order] = orders[r.order] or id
    if r.weight > 0 then rollable = true end
  end
  if equipment and not rollable then
    local first
    for _, id in ipairs(defs.ids("item")) do
      if defs.get("item", id).slot then first = id break end
    end
    errors[#errors + 1] = (sites.item[first] or "?") .. ": item '" .. first
      .. "': equipment needs a rarity{} with weight > 0 to roll"
  end
end

function M.install(defs, internal)
  local define = internal.define
  local function declare(kind, check)
    return function(def)
      local where = caller()
      if type(def) ~= "table" then error(where .. ": " .. kind .. "{}: expects a table, got " .. type(def), 0) end
      if is_id(def.id) then check(where, def) end
      local copy = define(kind, def) -- raises its own id/name/duplicate errors at the caller
      sites[kind][copy.id] = where
      return copy
    end
  end
  -- define() reports at level 3: the content file calling defs.item and co.
  defs.item = declare("item", check_item)
  defs.affix = declare("affix", check_affix)
  defs.rarity = declare("rarity", check_rarity)
  defs.item_site = function(kind, id) return sites[kind] and sites[kind][id] end
  internal.add_check(function(errors) check_all(defs, errors) end)
end

return M

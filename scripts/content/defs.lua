-- The content vocabulary: race{}, job{} (more kinds follow the same shape).
-- Content files declare definitions through it:
--
--   local defs = require("content.defs")
--   defs.race{ id = "human", name = "Human" }
--
-- Every definition is kept in one registry table, {kind = {id = def}}, stored
-- in the Lua registry under "chaos.defs" so the C core can ask the live
-- generation whether an id exists (cw_host_has_def). Each generation has its
-- own state, so a reload starts from an empty registry.
local M = {}

local registry = {}
debug.getregistry()["chaos.defs"] = registry

local ID_PATTERN = "^[a-z][a-z0-9_]*$"

local function define(kind, def)
  if type(def) ~= "table" then
    error(kind .. "{}: expects a table, got " .. type(def), 3)
  end
  local id = def.id
  if type(id) ~= "string" or #id > 63 or not id:match(ID_PATTERN) then
    error(kind .. "{}: id must be 1-63 characters of a-z, 0-9 and _, starting with a letter", 3)
  end
  if type(def.name) ~= "string" or def.name == "" then
    error(kind .. " '" .. id .. "': name must be a non-empty string", 3)
  end
  local defs = registry[kind]
  if not defs then
    defs = {}
    registry[kind] = defs
  end
  if defs[id] then
    error(kind .. " '" .. id .. "' is defined twice", 3)
  end
  local copy = {}
  for k, v in pairs(def) do
    copy[k] = v
  end
  defs[id] = copy
  return copy
end

function M.race(def)
  return define("race", def)
end

function M.job(def)
  return define("job", def)
end

-- The definition of kind/id, or nil.
function M.get(kind, id)
  local defs = registry[kind]
  return defs and defs[id]
end

-- Sorted ids of one kind.
function M.ids(kind)
  local out = {}
  for id in pairs(registry[kind] or {}) do
    out[#out + 1] = id
  end
  table.sort(out)
  return out
end

return M

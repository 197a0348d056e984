-- The dungeon vocabulary: dungeon{} templates for procedural instances.
-- Installed into content.defs (defs.dungeon); the generator is
-- scripts/dungeon/gen.lua.
--
--   dungeon{ id, name, size = {w, h}, rooms = {min, max}, difficulty,
--            monsters = {monster ids}, boss = monster id, chests = {item ids} }
--     size        whole cells, each in [16, 200] (a cell is dungeon.gen.TILE units)
--     rooms       whole {min, max} with 2 <= min <= max <= 50
--     difficulty  whole in [1, 10]: monsters per room and chest odds
--     monsters    1..32 monster ids (ordinary rooms draw from them)
--     boss        a monster id (placed in the boss room)
--     chests      0..32 item ids (a chest holds one of them)
--
-- Shape errors are raised at the call as "file:line: message"; the monsters
-- and items named are checked once every content file has loaded.
local M = {}

local ID = "^[a-z][a-z0-9_]*$"
local check = require("content.check")
local int_in, is_id = check.int_in, check.is_id
local sites = {} -- dungeon id -> "file:line"

local function id_list(t, min, max)
  if type(t) ~= "table" then return false end
  local n = 0
  for k, v in pairs(t) do
    if type(k) ~= "number" or not is_id(v) then return false end
    n = n + 1
  end
  return n == #t and n >= min and n <= max
end

local FIELDS = { id = true, name = true, size = true, rooms = true, difficulty = true,
                 monsters = true, boss = true, chests = true }

local function check_dungeon(where, def)
  local function bad(msg) error(where .. ": dungeon '" .. tostring(def.id) .. "': " .. msg, 0) end
  for k in pairs(def) do
    if not FIELDS[k] then bad("unknown field '" .. tostring(k) .. "'") end
  end
  local s = def.size
  if not (type(s) == "table" and int_in(s[1], 16, 200) and int_in(s[2], 16, 200)) then
    bad("size must be {w, h}: whole numbers of cells in [16, 200]")
  end
  local r = def.rooms
  if not (type(r) == "table" and int_in(r[1], 2, 50) and int_in(r[2], 2, 50) and r[1] <= r[2]) then
    bad("rooms must be {min, max}: whole numbers with 2 <= min <= max <= 50")
  end
  if not int_in(def.difficulty, 1, 10) then bad("difficulty must be a whole number in [1, 10]") end
  if not id_list(def.monsters, 1, 32) then bad("monsters must be a list of 1 to 32 monster ids") end
  if not is_id(def.boss) then bad("boss must be a monster id") end
  if def.chests ~= nil and not id_list(def.chests, 0, 32) then bad("chests must be a list of at most 32 item ids") end
end

local function check_all(defs, errors)
  for _, id in ipairs(defs.ids("dungeon")) do
    local d, where = defs.get("dungeon", id), sites[id] or "?"
    local function err(msg) errors[#errors + 1] = where .. ": dungeon '" .. id .. "': " .. msg end
    for i, m in ipairs(d.monsters) do
      if not defs.get("monster", m) then err("monsters[" .. i .. "] names unknown monster '" .. m .. "'") end
    end
    if not defs.get("monster", d.boss) then err("boss names unknown monster '" .. d.boss .. "'") end
    for i, it in ipairs(d.chests or {}) do
      if not defs.get("item", it) then err("chests[" .. i .. "] names unknown item '" .. it .. "'") end
    end
  end
end

function M.install(defs, internal)
  defs.dungeon = function(def)
    local info = debug.getinfo(2, "Sl")
    local where = info and (info.short_src .. ":" .. tostring(info.currentline)) or "?"
    if type(def) ~= "table" then error(where .. ": dungeon{}: expects a table, got " .. type(def), 0) end
    if is_id(def.id) then check_dungeon(where, def) end
    local copy = internal.define("dungeon", def)
    sites[copy.id] = where
    return copy
  end
  internal.add_check(function(errors) check_all(defs, errors) end)
end

return M

-- The shop vocabulary: monster loot tables and vendor{}. Installed into
-- content.defs (defs.vendor; monster{} calls M.check_loot for its loot).
--
--   monster{ …, level = n?, loot = { { item = id, weight = n?, chance = p?,
--            count = {lo, hi}?, ilvl = "monster" | n? }, … }, loot_rolls = n? }
--     weight  > 0 (default 1): the chance of the entry among the table's
--     chance  in [0, 1] (default 1): once picked, whether it drops at all
--     count   whole {lo, hi} with 1 <= lo <= hi <= 9999 (default {1, 1})
--     ilvl    equipment's item level: "monster" (the monster's level, default
--             1) or a whole number in [1, 10000] (default "monster")
--     loot_rolls  whole 0..100 (default 1): picks per kill
--   vendor{ id, name, zone, x, y, sells = { { item = id, price = n? }, … },
--           buys = false?, buy_ratio = 0.25? }
--     price  whole gold >= 0 (default: the item's value)
--     buys   whether the vendor buys items from players (default false)
--     buy_ratio  in [0, 1] (default 0.25): the share of an item's value paid
--
-- Shape errors are raised at the call as "file:line: message"; the items,
-- zones and places named are checked once every content file has loaded
-- (content.defs M.check). The engine's rules use them: scripts/rules/loot.lua,
-- scripts/engine/vendors.lua, scripts/ops/shop.lua.
local M = {}

local ID = "^[a-z][a-z0-9_]*$"
local check = require("content.check")
local finite, int_in, is_id, is_list = check.finite, check.int_in, check.is_id, check.is_list
local MAX_LOOT = 64
local MAX_SELLS = 200

local loot_sites = {}   -- monster id -> "file:line"
local vendor_sites = {} -- vendor id -> "file:line"

-- Called by monster{} with the caller's "file:line" before the monster is
-- defined; raises "file:line: monster 'id': loot…".
function M.check_loot(def, where)
  local function bad(msg) error(where .. ": monster '" .. tostring(def.id) .. "': " .. msg, 0) end
  if def.level ~= nil and not int_in(def.level, 1, 10000) then bad("level must be a whole number in [1, 10000]") end
  if def.loot_rolls ~= nil and not int_in(def.loot_rolls, 0, 100) then
    bad("loot_rolls must be a whole number in [0, 100]")
  end
  if def.loot == nil then return end
  if not is_list(def.loot, MAX_LOOT) then bad("loot must be a list of at most " .. MAX_LOOT .. " { item = id, … }") end
  for i, e in ipairs(def.loot) do
    local at = "loot[" .. i .. "]"
    if type(e) ~= "table" or not is_id(e.item) then bad(at .. " must be { item = id, weight =?, chance =?, count =?, ilvl =? }") end
    for k in pairs(e) do
      if k ~= "item" and k ~= "weight" and k ~= "chance" and k ~= "count" and k ~= "ilvl" then
        bad(at .. ": unknown field '" .. tostring(k) .. "'")
      end
    end
    if e.weight ~= nil and not (finite(e.weight) and e.weight > 0 and e.weight <= 1e9) then
      bad(at .. ".weight must be a number in (0, 1e9]")
    end
    if e.chance ~= nil and not (finite(e.chance) and e.chance >= 0 and e.chance <= 1) then
      bad(at .. ".chance must be a number in [0, 1]")
    end
    local c = e.count
    if c ~= nil and not (type(c) == "table" and int_in(c[1], 1, 9999) and int_in(c[2], 1, 9999) and c[1] <= c[2]) then
      bad(at .. ".count must be {lo, hi}: whole numbers with 1 <= lo <= hi <= 9999")
    end
    if e.ilvl ~= nil and e.ilvl ~= "monster" and not int_in(e.ilvl, 1, 10000) then
      bad(at .. ".ilvl must be \"monster\" or a whole number in [1, 10000]")
    end
  end
  loot_sites[def.id] = where
end

local function check_vendor(where, def)
  local function bad(msg) error(where .. ": vendor '" .. tostring(def.id) .. "': " .. msg, 0) end
  if not is_id(def.zone) then bad("zone must be a zone id") end
  if not finite(def.x) or not finite(def.y) then bad("x and y must be numbers") end
  if not is_list(def.sells or {}, MAX_SELLS) then
    bad("sells must be a list of at most " .. MAX_SELLS .. " { item = id, price =? }")
  end
  local seen = {}
  for i, e in ipairs(def.sells or {}) do
    local at = "sells[" .. i .. "]"
    if type(e) ~= "table" or not is_id(e.item) then bad(at .. " must be { item = id, price =? }") end
    for k in pairs(e) do
      if k ~= "item" and k ~= "price" then bad(at .. ": unknown field '" .. tostring(k) .. "'") end
    end
    if e.price ~= nil and not int_in(e.price, 0, 1e12) then bad(at .. ".price must be a whole number of gold >= 0") end
    if seen[e.item] then bad(at .. " sells '" .. e.item .. "' twice") end
    seen[e.item] = true
  end
  if def.buys ~= nil and type(def.buys) ~= "boolean" then bad("buys must be true or false") end
  if def.buy_ratio ~= nil and not (finite(def.buy_ratio) and def.buy_ratio >= 0 and def.buy_ratio <= 1) then
    bad("buy_ratio must be a number in [0, 1]")
  end
end

local function check_all(defs, errors)
  for _, id in ipairs(defs.ids("monster")) do
    for i, e in ipairs(defs.get("monster", id).loot or {}) do
      if not defs.get("item", e.item) then
        errors[#errors + 1] = (loot_sites[id] or "?") .. ": monster '" .. id .. "': loot[" .. i
          .. "] names unknown item '" .. e.item .. "'"
      end
    end
  end
  for _, id in ipairs(defs.ids("vendor")) do
    local v, where = defs.get("vendor", id), vendor_sites[id] or "?"
    local z = defs.get("zone", v.zone)
    if not z then
      errors[#errors + 1] = where .. ": vendor '" .. id .. "': unknown zone '" .. v.zone .. "'"
    elseif v.x < 0 or v.y < 0 or v.x > z.width or v.y > z.height then
      errors[#errors + 1] = where .. ": vendor '" .. id .. "': (" .. v.x .. ", " .. v.y .. ") is outside zone '" .. v.zone .. "'"
    end
    for i, e in ipairs(v.sells or {}) do
      if not defs.get("item", e.item) then
        errors[#errors + 1] = where .. ": vendor '" .. id .. "': sells[" .. i .. "] names unknown item '" .. e.item .. "'"
      end
    end
  end
end

function M.install(defs, internal)
  defs.check_loot = M.check_loot
  defs.vendor = function(def)
    local info = debug.getinfo(2, "Sl")
    local where = info and (info.short_src .. ":" .. tostring(info.currentline)) or "?"
    if type(def) ~= "table" then error(where .. ": vendor{}: expects a table, got " .. type(def), 0) end
    if is_id(def.id) then check_vendor(where, def) end
    local copy = internal.define("vendor", def) -- its own id/name/duplicate errors, at the caller
    vendor_sites[copy.id] = where
    return copy
  end
  internal.add_check(function(errors) check_all(defs, errors) end)
end

return M

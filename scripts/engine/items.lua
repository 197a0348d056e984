-- Items for the engine: the one place that reads item templates (content's
-- item{} definitions), equipping (the stat source "item:<uid>"), and the
-- stat sources of equipped items when a character enters the world.
--
-- Template accessor: M.template(id) → { stack = max stack size (>= 1),
-- slot = equipment slot name or nil, level = level needed (0), stats =
-- {stat = n} or nil } or nil when no item{} has that id. Reads
-- registry["chaos.defs"].item (scripts/content/defs.lua); fields it does not
-- know keep their defaults.
local chaos = require("chaos")
local private = debug.getregistry()["chaos.private"]

local M = {}

function M.template(id)
  if type(id) ~= "string" then return nil end
  local defs = debug.getregistry()["chaos.defs"]
  local def = defs and defs.item and defs.item[id]
  if not def then return nil end
  local stack = tonumber(def.stack) or 1
  if stack < 1 or stack % 1 ~= 0 then stack = 1 end
  return { stack = stack, slot = def.slot, level = tonumber(def.level) or 0, realm = def.realm,
           stats = def.stats }
end

-- The stats an equipped item gives: its props.stats, else its template's.
local function stats_of(item)
  local st = item.props and item.props.stats
  if type(st) ~= "table" then
    local def = M.template(item.template)
    st = def and def.stats
  end
  if type(st) ~= "table" then return {} end
  return st
end

-- Moves item uid of p to the first free inventory slot: the place, or nil, code.
local function to_inventory(p, uid)
  for k = 0, 999 do
    local place = "inv:" .. k
    local ok, code = private.item_place(p, uid, place)
    if ok then return place end
    if code ~= "slot_taken" then
      return nil, code == "bad_place" and "inventory_full" or code
    end
  end
  return nil, "inventory_full"
end

-- equip(p, uid) → true, or nil, code, message
function M.equip(p, uid)
  local item = p:item(uid)
  if not item then return nil, "not_found", "no such item" end
  local def = M.template(item.template)
  if not def or type(def.slot) ~= "string" then
    return nil, "wrong_slot", "that item cannot be equipped"
  end
  if (p.level or 0) < def.level then
    return nil, "requirement", "needs level " .. def.level
  end
  if def.realm then -- the character's realm must be this one or a higher one
    local prog = require("rules.progression")
    local need
    for i, r in ipairs(require("content.defs").realms()) do
      if r.id == def.realm then need = i end
    end
    local _, rank = prog.realm_of(p)
    if need and rank < need then return nil, "requirement", "needs the realm " .. def.realm end
  end
  local place = "eq:" .. def.slot
  if item.place == place then return true end
  for _, other in ipairs(p:items()) do
    if other.place == place then -- swap: the equipped one goes back to the inventory
      local ok, code = M.unequip(p, def.slot)
      if not ok then return nil, code, "cannot unequip the item in that slot" end
    end
  end
  local ok, code = private.item_place(p, uid, place)
  if not ok then return nil, code, "cannot equip that item" end
  private.item_stats(p, uid, stats_of(item))
  chaos.world.send(p, { ev = "equipment", slot = def.slot, uid = uid, template = item.template })
  return true
end

-- unequip(p, slot) → true, or nil, code, message
function M.unequip(p, slot)
  if type(slot) ~= "string" then return nil, "bad_field", "slot must be a string" end
  local place = "eq:" .. slot
  for _, it in ipairs(p:items()) do
    if it.place == place then
      local to, code = to_inventory(p, it.uid)
      if not to then return nil, code, "no free inventory slot" end
      private.item_stats(p, it.uid, nil)
      chaos.world.send(p, { ev = "equipment", slot = slot, removed = it.uid, place = to })
      return true
    end
  end
  return nil, "not_found", "nothing is equipped in that slot"
end

-- Entering the world: the stat sources of what the character wears.
chaos.on("enter_world", function(ev)
  local p = ev.player
  for _, it in ipairs(p:items()) do
    if it.place:sub(1, 3) == "eq:" then private.item_stats(p, it.uid, stats_of(it)) end
  end
end)

return M

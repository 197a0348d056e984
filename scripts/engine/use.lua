-- Consumables: using one of a stack (op use_item, scripts/ops/items.lua).
--
-- An item{} with `use = function(player, item, t) … end` is usable. use(p, uid)
-- runs it INSIDE one chaos.txn that also removes one of the stack
-- (t:remove_item(uid, 1)): `t` is that transaction, so use may add gold,
-- exp, items or data with it. What use returns is a table of effects the
-- engine applies once the transaction is queued (nil: none):
--   heal = n                      restore up to n hp (never past hp_max)
--   buff = { source =, stats = {…}, seconds = }   a timed stat source
-- If use raises (chaos.fail(code, message) gives the client that code), or
-- returns an effect the engine does not know, or the transaction is refused,
-- nothing is consumed and no effect applies.
--
-- M.on_used(fn): fn(player, template) runs after each use whose transaction
-- was queued (quests count `use` steps with it); an error in fn is logged.
-- M.use(p, uid) → { uid, template, hp? }, or nil, code, message.
-- Codes: not_found (no such item of the player's), equipped, not_usable (its
-- template has no use), dead (healing a dead player); use's own codes.
local chaos = require("chaos")
local defs = require("content.defs")
local private = debug.getregistry()["chaos.private"]

local M = {}

local EFFECTS = { heal = true, buff = true }

local listeners = {}

function M.on_used(fn)
  listeners[#listeners + 1] = fn
end

local function check_effects(fx, template)
  if fx == nil then return {} end
  if type(fx) ~= "table" then error("item '" .. template .. "': use must return a table of effects or nil", 0) end
  for k in pairs(fx) do
    if not EFFECTS[k] then error("item '" .. template .. "': use returned unknown effect '" .. tostring(k) .. "'", 0) end
  end
  local h = fx.heal
  if h ~= nil and (type(h) ~= "number" or h ~= h or h < 0 or h == math.huge) then
    error("item '" .. template .. "': effect heal must be a finite number >= 0", 0)
  end
  local b = fx.buff
  if b ~= nil and (type(b) ~= "table" or type(b.source) ~= "string" or type(b.stats) ~= "table") then
    error("item '" .. template .. "': effect buff must be { source =, stats = {…}, seconds = }", 0)
  end
  for k, v in pairs(b and b.stats or {}) do
    if type(k) ~= "string" or type(v) ~= "number" or v ~= v or v == math.huge or v == -math.huge then
      error("item '" .. template .. "': effect buff.stats must map stat names to finite numbers", 0)
    end
  end
  if b and b.seconds ~= nil and type(b.seconds) ~= "number" then
    error("item '" .. template .. "': effect buff.seconds must be a number", 0)
  end
  return fx
end

function M.use(p, uid)
  local it = p:item(uid)
  if not it then return nil, "not_found", "no such item" end
  if it.place:sub(1, 3) == "eq:" then return nil, "equipped", "unequip the item first" end
  local def = defs.get("item", it.template)
  if not def or type(def.use) ~= "function" then
    return nil, "not_usable", "that item cannot be used"
  end
  local fx
  chaos.txn(p, "use:" .. it.template, function(t)
    t:remove_item(uid, 1)
    fx = check_effects(def.use(p, it, t), it.template)
    if fx.heal and p.dead then chaos.fail("dead", "the dead cannot be healed") end
  end)
  local out = { uid = uid, template = it.template }
  for _, fn in ipairs(listeners) do
    local ok, err = pcall(fn, p, it.template)
    if not ok then chaos.log("error", "use listener failed", { template = it.template, error = tostring(err) }) end
  end
  if fx.heal then
    local hp = private.heal(p, fx.heal)
    out.hp = hp
    if hp then p:send_near{ ev = "healed", entity = p.entity, amount = fx.heal, hp = hp } end
  end
  if fx.buff then
    p:buff{ source = fx.buff.source, stats = fx.buff.stats, seconds = fx.buff.seconds or 0 }
  end
  return out
end

return M

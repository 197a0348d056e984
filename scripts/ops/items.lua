-- Item ops every server answers (docs/protocol.md): inventory, destroy_item,
-- equip, unequip, use_item (scripts/engine/use.lua). Item changes of value go through chaos.txn (the answer
-- waits for the commit); moves inside the character are written behind.
local chaos = require("chaos")
local items = require("engine.items")
local use = require("engine.use")

local function player_of(ctx)
  if not ctx.player then chaos.fail("not_in_world", "enter the world first") end
  return ctx.player
end

local function whole(v, what, optional)
  if v == nil and optional then return nil end
  if type(v) ~= "number" or v ~= v or v % 1 ~= 0 or v < 1 or v > 2 ^ 53 then
    chaos.fail("bad_field", what .. " must be a whole number >= 1")
  end
  return v
end

-- inventory → { items = [{uid, template, stack, place, props}] } (no items: {})
chaos.on_op("inventory", function(_, ctx)
  local list = player_of(ctx):items()
  return { items = list }
end)

-- destroy_item {uid, count?}: the player's own items only (else not_found)
chaos.on_op("destroy_item", function(req, ctx)
  local p = player_of(ctx)
  local uid = whole(req.uid, "\"uid\"")
  local count = whole(req.count, "\"count\"", true)
  local it = p:item(uid)
  if not it then chaos.fail("not_found", "no such item") end
  if it.place:sub(1, 3) == "eq:" then chaos.fail("equipped", "unequip the item first") end
  count = count or it.stack
  if count > it.stack then chaos.fail("not_found", "not that many of that item") end
  chaos.txn(p, "destroyed by player", function(t) t:remove_item(uid, count) end)
  return { uid = uid, count = count }
end)

chaos.on_op("equip", function(req, ctx)
  local p = player_of(ctx)
  local uid = whole(req.uid, "\"uid\"")
  local ok, code, msg = items.equip(p, uid)
  if not ok then chaos.fail(code, msg) end
  return { uid = uid }
end)

chaos.on_op("unequip", function(req, ctx)
  local p = player_of(ctx)
  if type(req.slot) ~= "string" then chaos.fail("bad_field", "\"slot\" must be a string") end
  local ok, code, msg = items.unequip(p, req.slot)
  if not ok then chaos.fail(code, msg) end
  return { slot = req.slot }
end)

-- use_item {uid}: one of the stack is consumed and its template's use runs,
-- in one transaction (the answer waits for the commit)
chaos.on_op("use_item", function(req, ctx)
  local p = player_of(ctx)
  local uid = whole(req.uid, "\"uid\"")
  local out, code, msg = use.use(p, uid)
  if not out then chaos.fail(code, msg) end
  return out
end)

return {}

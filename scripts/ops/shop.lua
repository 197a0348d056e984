-- Vendor ops (docs/protocol.md): vendor, buy, sell. Gold and items move in
-- one chaos.txn each (the answer waits for the commit). Vendors and prices:
-- scripts/engine/vendors.lua.
local chaos = require("chaos")
local defs = require("content.defs")
local vendors = require("engine.vendors")

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

local function vendor_of(req)
  if type(req.vendor) ~= "string" then chaos.fail("bad_field", "\"vendor\" must be a vendor id") end
  local v, npc = vendors.get(req.vendor)
  if not v then chaos.fail("not_found", "no such vendor") end
  return v, npc
end

local function near(p, npc)
  if not vendors.in_range(p, npc) then
    chaos.fail("out_of_range", "stand within " .. vendors.RANGE .. " units of the vendor")
  end
end

-- Runs the transaction; a refusal for gold below 0 becomes no_resource.
local function pay(p, reason, fn)
  local ok, err = pcall(chaos.txn, p, reason, fn)
  if ok then return end
  if type(err) == "table" and err.code == "txn_refused" then
    chaos.fail("no_resource", "not enough gold")
  end
  error(err, 0)
end

-- vendor {vendor} → its list (anywhere: looking is free)
chaos.on_op("vendor", function(req, ctx)
  player_of(ctx)
  local v = vendor_of(req)
  return vendors.listing(v)
end)

-- buy {vendor, item, count?} → {item, count, price, gold}
chaos.on_op("buy", function(req, ctx)
  local p = player_of(ctx)
  local v, npc = vendor_of(req)
  near(p, npc)
  if type(req.item) ~= "string" then chaos.fail("bad_field", "\"item\" must be an item id") end
  local count = whole(req.count, "\"count\"", true) or 1
  if count > 9999 then chaos.fail("bad_field", "\"count\" must be at most 9999") end
  local price = vendors.price(v, req.item)
  if not price or not defs.get("item", req.item) then chaos.fail("not_sold", "the vendor does not sell that") end
  local total = price * count
  if p.gold_pending < total then chaos.fail("no_resource", "not enough gold: " .. total .. " needed") end
  pay(p, "buy:" .. v.id, function(t)
    t:add_gold(-total)
    t:add_item(req.item, count)
  end)
  return { item = req.item, count = count, price = total, gold = p.gold_pending }
end)

-- sell {vendor, uid, count?} → {uid, count, price, gold}
chaos.on_op("sell", function(req, ctx)
  local p = player_of(ctx)
  local v, npc = vendor_of(req)
  near(p, npc)
  if not v.buys then chaos.fail("not_buying", "the vendor does not buy items") end
  local uid = whole(req.uid, "\"uid\"")
  local count = whole(req.count, "\"count\"", true)
  local it = p:item(uid)
  if not it then chaos.fail("not_found", "no such item") end
  if it.place:sub(1, 3) == "eq:" then chaos.fail("equipped", "unequip the item first") end
  count = count or it.stack
  if count > it.stack then chaos.fail("not_found", "not that many of that item") end
  local total = vendors.buy_price(v, it.template) * count
  chaos.txn(p, "sell:" .. v.id, function(t)
    t:remove_item(uid, count)
    t:add_gold(total)
  end)
  return { uid = uid, count = count, price = total, gold = p.gold_pending }
end)

-- Interacting with a vendor's NPC sends its list as a `vendor` event.
chaos.on("interact", function(ev)
  if ev.kind ~= "npc" then return false end
  local v = vendors.of_npc(ev.target)
  if not v then return false end
  local list = vendors.listing(v)
  list.ev = "vendor"
  ev.player:send(list)
  return true
end)

return {}

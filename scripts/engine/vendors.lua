-- NPC vendors: every vendor{} (scripts/content/shop_defs.lua) stands in the
-- world as an NPC of its name, placed when the generation goes live. The
-- handles live in chaos.state("engine.vendors"), so a reload keeps the NPCs
-- it still defines at the same place (no duplicates), moves or renames the
-- changed ones and despawns the ones it no longer defines.
--
-- M.get(id) → vendor{} definition, its NPC handle (nil when not placed).
-- M.price(vendor, item_id) → the vendor's price of one, or nil when it does
--   not sell it (its sells price, else the item's value).
-- M.buy_price(vendor, template) → gold paid for one of the item:
--   floor(value × buy_ratio), or nil when the vendor does not buy.
-- M.RANGE: how near (units) a player must stand to trade with a vendor.
local chaos = require("chaos")
local defs = require("content.defs")

local M = {}

M.RANGE = 6
M.DEFAULT_BUY_RATIO = 0.25

local set = require("engine.placed").new("vendor", "engine.vendors")

-- Puts the world in line with the vendor{} definitions.
M.place = set.place
chaos.after(0, M.place)

M.get = set.get
-- The vendor whose NPC is `npc` (a handle), or nil.
M.of_npc = set.of

function M.price(v, item_id)
  for _, e in ipairs(v.sells or {}) do
    if e.item == item_id then
      if e.price then return e.price end
      local def = defs.get("item", item_id)
      return def and def.value or 0
    end
  end
  return nil
end

function M.buy_price(v, template)
  if not v.buys then return nil end
  local def = defs.get("item", template)
  local value = def and def.value or 0
  return math.floor(value * (v.buy_ratio or M.DEFAULT_BUY_RATIO))
end

-- True when p stands within M.RANGE of the NPC.
function M.in_range(p, npc)
  if not npc or npc.zone ~= p.zone then return false end
  local dx, dy = npc.x - p.x, npc.y - p.y
  return dx * dx + dy * dy <= M.RANGE * M.RANGE
end

-- The vendor's list: { vendor, name, zone, x, y, buys, buy_ratio, sells =
-- [{item, name, price, stack}] }.
function M.listing(v)
  local sells = {}
  for _, e in ipairs(v.sells or {}) do
    local def = defs.get("item", e.item) or {}
    sells[#sells + 1] = { item = e.item, name = def.name, price = M.price(v, e.item), stack = def.stack or 1 }
  end
  return { vendor = v.id, name = v.name, zone = v.zone, x = v.x, y = v.y, buys = v.buys == true,
           buy_ratio = v.buys and (v.buy_ratio or M.DEFAULT_BUY_RATIO) or nil, sells = sells }
end

return M

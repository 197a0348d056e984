-- Dungeon instances in the live game (scripts/dungeon/instance.lua keeps
-- them): dungeon portals are checked each tick and on entering a zone,
-- lingering instances are torn down each tick, chests loot on interact.
-- Op: dungeon_leave {} → {zone} (back to the zone the player came from).
local chaos = require("chaos")
local defs = require("content.defs")
local instance = require("dungeon.instance")

-- Each tick: the players standing in a dungeon portal of a content zone (one
-- grid query per portal, not a scan of everyone online).
chaos.on("tick", function()
  for _, zid in ipairs(defs.ids("zone")) do
    for _, po in ipairs(defs.get("zone", zid).portals or {}) do
      if po.dungeon then
        for _, p in ipairs(chaos.world.within(zid, po.x, po.y, po.radius, "player")) do
          instance.check_portals(p)
        end
      end
    end
  end
  instance.tick()
end)

chaos.on("enter_zone", function(ev)
  if ev.player then instance.check_portals(ev.player) end
end)

chaos.on("interact", function(ev)
  if ev.kind ~= "npc" or not ev.player or not instance.get(ev.player.zone) then return false end
  local item, code = instance.loot(ev.player, ev.target)
  if not item and code == "not_a_chest" then return false end
  ev.player:send{ ev = "chest", item = item, looted = code == "looted" or nil }
  return true
end)

chaos.on_op("dungeon_leave", function(_, ctx)
  if not ctx.player then chaos.fail("not_in_world", "enter the world first") end
  if not instance.leave(ctx.player) then chaos.fail("not_in_dungeon", "you are not in a dungeon") end
  return { zone = ctx.player.zone }
end)

-- dungeon_instance_test.lua — dungeon instances (scripts/dungeon/instance.lua,
-- scripts/ops/dungeons.lua) in the simulated world: a portal creates one,
-- two parties get separate ones, a party shares one, chests loot once per
-- player, teardown after rules.dungeon_linger. Run: chaosctl script tests/lua/dungeon_instance_test.lua
local chaos = require("chaos")
local defs = require("content.defs")
local rules = require("rules")
local instance = require("dungeon.instance")
local sim = chaos.sim

defs.race{ id = "tester", name = "Tester", stats = { hp_max = 300, power = 10 } }

local function mk(name, x)
  return sim.player{ name = name, race = "tester", job = "warrior", zone = "meadow", x = x, y = 100 }
end

local function last(p, evname)
  local found
  for _, e in ipairs(sim.events(p)) do
    if e.ev == evname then found = e end
  end
  return found
end

local ann, bob, cat = mk("Ann", 100), mk("Bob", 104), mk("Cat", 108)
assert(sim.op(ann, "party_invite", { name = "Bob" }))
assert(sim.op(bob, "party_accept", {}))

-- Walking into the meadow's dungeon portal (700, 300) creates an instance.
sim.events(ann)
chaos.world.teleport(ann, "meadow", 701, 301)
sim.advance(1)
local a = assert(instance.of(ann), "Ann entered no instance")
assert(ann.zone == a.id and a.id:match("^dng:wolf_den:%d+$"), ann.zone)
local ev = last(ann, "zone")
assert(ev and ev.zone == a.id, "no zone event with the instance id")
assert(#a.monsters >= 1 and a.boss and a.boss.exists and a.boss.zone == a.id)

-- Her party member joins the same one; a player alone gets another.
chaos.world.teleport(bob, "meadow", 699, 299)
chaos.world.teleport(cat, "meadow", 700, 302)
sim.advance(1)
assert(bob.zone == a.id, "Bob is in " .. bob.zone)
local c = assert(instance.of(cat))
assert(c.id ~= a.id and cat.zone == c.id)
assert(#instance.list() == 2)

-- Chests: once per player.
local chest
for _, ch in pairs(a.chests) do chest = ch.npc end
assert(chest, "the boss room has no chest")
do
  chaos.world.teleport(ann, a.id, chest.x, chest.y)
  assert(sim.interact(ann, chest))
  local got = last(ann, "chest")
  assert(got and got.item, "no chest loot")
  assert(sim.interact(ann, chest))
  got = last(ann, "chest")
  assert(got and got.looted == true and got.item == nil, "a chest looted twice")
end

-- Leaving: the instance lingers, then goes (monsters despawned, zone removed).
rules.dungeon_linger = 5
local boss = a.boss
assert(sim.op(ann, "dungeon_leave", {}).zone == "meadow")
assert(sim.op(bob, "dungeon_leave", {}).zone == "meadow")
sim.advance(2)
assert(instance.get(a.id), "torn down before the linger")
sim.advance(6)
assert(instance.get(a.id) == nil, "not torn down after the linger")
assert(not boss.exists, "the boss outlived its instance")
local ok = pcall(chaos.world.teleport, ann, a.id, 10, 10)
assert(not ok, "the instance's zone is still there")
assert(instance.get(c.id) and cat.zone == c.id, "Cat's instance went too")
assert(sim.op(ann, "dungeon_leave", {}) == nil)
print("dungeon_instance_test ok")

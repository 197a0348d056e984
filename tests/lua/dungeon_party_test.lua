-- dungeon_party_test.lua — parties and dungeon instances (scripts/dungeon/instance.lua)
-- in the simulated world: two parties get two instances and each member lands
-- in its own party's; leaving the party inside keeps the player there; a
-- later member joins the party's instance; a member who left an instance no
-- longer holds it for a new party; the leader's pull (rules.dungeon_pull_radius).
-- Run: chaosctl script tests/lua/dungeon_party_test.lua
local chaos = require("chaos")
local defs = require("content.defs")
local rules = require("rules")
local instance = require("dungeon.instance")
local sim = chaos.sim

defs.race{ id = "tester", name = "Tester", stats = { hp_max = 300, power = 10 } }

local function mk(name, x)
  return sim.player{ name = name, race = "tester", job = "warrior", zone = "meadow", x = x, y = 100 }
end

local function team(leader, ...)
  for _, m in ipairs({ ... }) do
    assert(sim.op(leader, "party_invite", { name = m.name }))
    assert(sim.op(m, "party_accept", {}))
  end
end

-- Into the portal at (700, 300); one tick enters it.
local function walk_in(p)
  chaos.world.teleport(p, "meadow", 701, 301)
  sim.advance(1)
  local inst = instance.of(p)
  assert(inst and p.zone == inst.id, p.name .. " entered no instance (in " .. p.zone .. ")")
  return inst.id
end

local function out(p)
  assert(sim.op(p, "dungeon_leave", {}).zone == "meadow", p.name .. " did not leave")
end

rules.dungeon_pull_radius = 0
local ann, bob, cat, dan = mk("Ann", 100), mk("Bob", 110), mk("Cat", 120), mk("Dan", 130)
local eve, fay = mk("Eve", 140), mk("Fay", 150)
team(ann, bob)
team(cat, dan)

-- ---- two parties, two instances; the pull is off by default ------------------------
chaos.world.teleport(bob, "meadow", 712, 301) -- near Ann, but the pull is off
local x = walk_in(ann)
assert(bob.zone == "meadow", "Bob was pulled in with radius 0")
assert(walk_in(bob) == x, "Bob is not in his party's instance")
local y = walk_in(cat)
assert(y ~= x, "party B walked into party A's instance")
assert(walk_in(dan) == y, "Dan is not in his party's instance")
assert(#instance.list() == 2)

-- ---- leaving the party inside: Bob stays until he leaves ----------------------------
assert(sim.op(bob, "party_leave", {}))
sim.advance(2)
assert(bob.zone == x, "Bob was moved out of the instance when he left the party")
-- Ann alone in no party now; a new member of hers walks into her instance.
team(ann, eve)
assert(walk_in(eve) == x, "a later member did not land in the party's instance")

-- ---- a player who left an instance holds it for no one ------------------------------
out(bob)
team(bob, fay)
local z = walk_in(fay)
assert(z ~= x and z ~= y, "Fay's party got an instance Bob had left")
assert(walk_in(bob) == z, "Bob did not follow Fay")
-- Walking in again alone after leaving gives a fresh instance.
out(bob); out(fay)
assert(sim.op(fay, "party_leave", {}))
local fresh = walk_in(bob)
assert(fresh ~= z and fresh ~= x and fresh ~= y, "a lone player re-entered a left instance")
out(bob)
for _, p in ipairs({ ann, eve, cat, dan }) do out(p) end

-- ---- the pull ------------------------------------------------------------------------
rules.dungeon_pull_radius = 30
local gus, hal, ivy, joy, kim = mk("Gus", 200), mk("Hal", 210), mk("Ivy", 220), mk("Joy", 230), mk("Kim", 240)
team(gus, hal, ivy, joy)
chaos.world.teleport(hal, "meadow", 721, 301)   -- 20 from the leader at (701, 301): pulled
chaos.world.teleport(ivy, "meadow", 741, 301)   -- 40: too far
chaos.world.teleport(joy, "caves", 60, 60)       -- another zone
chaos.world.teleport(kim, "meadow", 711, 301)   -- near, but not in the party
sim.events(hal)
local g = walk_in(gus)
assert(hal.zone == g, "Hal was not pulled in: " .. hal.zone)
assert(instance.of(hal).id == g)
local zev
for _, e in ipairs(sim.events(hal)) do if e.ev == "zone" then zev = e end end
assert(zev and zev.zone == g, "the pulled member got no zone event")
assert(ivy.zone == "meadow" and joy.zone == "caves" and kim.zone == "meadow", "pulled too many")
-- The pulled member leaves like anyone.
out(hal)
assert(hal.zone == "meadow")

-- A member entering does not pull the leader (nor anyone).
out(gus)
chaos.world.teleport(gus, "meadow", 711, 301)
chaos.world.teleport(hal, "meadow", 691, 301)
local h = walk_in(ivy)
assert(gus.zone == "meadow" and hal.zone == "meadow", "a member who is not the leader pulled")
-- The leader walking in then joins it and pulls Hal there too.
chaos.world.teleport(hal, "meadow", 712, 301)
assert(walk_in(gus) == h)
assert(hal.zone == h, "the leader's pull did not bring Hal to the party's instance")

-- A dead member is not pulled.
out(gus); out(hal); out(ivy)
rules.dungeon_pull_radius = 1000
chaos.world.teleport(hal, "meadow", 800, 301)
sim.kill(hal, sim.monster{ template = "wolf", zone = "meadow", x = hal.x, y = hal.y + 1 })
assert(hal.dead, "Hal did not die")
local k = walk_in(gus)
assert(hal.zone ~= k, "a dead member was pulled")
print("dungeon_party_test ok")

-- game_world_test.lua — chaos.world in the simulated world: handles and
-- their fields (a despawned entity raises "is gone"), queries (within, near,
-- players), teleport and its validation, spawn/despawn, buffs through the
-- live stat engine, and events sent to players.
-- Run: chaosctl script tests/lua/game_world_test.lua
local chaos = require("chaos")
local defs = require("content.defs")
local world = chaos.world
local sim = chaos.sim

defs.race{ id = "tester", name = "Tester", stats = { hp_max = 300, power = 10 },
  per_level = { hp_max = 10 } }
defs.monster{ id = "rat", name = "Rat", stats = { hp_max = 40 }, skills = { "bite" },
  respawn = 10, aggro = 0, leash = 60, exp = 5 }

local function raises(pattern, fn, ...)
  local ok, err = pcall(fn, ...)
  assert(not ok, "expected an error matching " .. pattern)
  assert(tostring(err):find(pattern), "unexpected error: " .. tostring(err))
end

local fay = sim.player{ name = "Fay", race = "tester", job = "mage", zone = "meadow", x = 100, y = 100,
  level = 3, gold = 12 }
local gus = sim.player{ name = "Gus", race = "tester", job = "warrior", zone = "caves", x = 60, y = 70 }

-- ---- handles ----------------------------------------------------------------------------
assert(fay.name == "Fay" and fay.race == "tester" and fay.job == "mage" and fay.kind == "player")
assert(fay.level == 3 and fay.gold == 12 and fay.exp == require("rules").level_exp(3))
assert(fay.zone == "meadow" and fay.x == 100 and fay.y == 100)
assert(type(fay.entity) == "number" and fay.hp > 0 and fay.dead == false)
assert(fay.hp_max == 300 + 20, "race 300, and the rules' level source: 10 per level above 1")
assert(world.player("Fay") == fay and world.player(fay.id) == fay)
assert(#world.players() == 2 and #world.players("caves") == 1)

local rat = sim.monster{ template = "rat", zone = "meadow", x = 104, y = 100 }
assert(rat.kind == "monster" and rat.name == "Rat" and rat.template == "rat")
assert(rat.zone == "meadow" and rat.x == 104 and rat.hp == 40 and rat.hp_max == 40)
assert(world.entity(rat.entity) == rat)

-- ---- within and near -----------------------------------------------------------------
local function names(list)
  local out = {}
  for _, h in ipairs(list) do out[#out + 1] = h.name end
  table.sort(out)
  return table.concat(out, ",")
end
assert(names(world.within("meadow", 100, 100, 10)) == "Fay,Rat")
assert(names(world.within("meadow", 100, 100, 10, "monster")) == "Rat")
assert(names(world.within("meadow", 100, 100, 3)) == "Fay", "the rat is 4 away")
assert(names(fay:near(10)) == "Rat", "near leaves itself out")
raises("no zone", world.within, "nowhere", 0, 0, 5)
raises("radius", world.within, "meadow", 0, 0, -1)

-- ---- spawn and despawn; a despawned entity is gone -----------------------------------
local rat2 = world.spawn{ monster = "rat", zone = "meadow", x = 90, y = 100 }
assert(rat2.template == "rat" and rat2.exists)
local npc = world.spawn{ npc = "Guard", zone = "meadow", x = 95, y = 100 }
assert(npc.kind == "npc" and npc.name == "Guard" and npc.hp == nil, "an NPC does not fight")
assert(world.despawn(rat2) == true and world.despawn(rat2) == false, "despawn once")
assert(rat2.exists == false and type(rat2.id) == "number", "id and exists never raise")
raises("is gone", function() return rat2.hp end)
assert(npc:despawn() == true)
raises("is gone", function() return npc.name end)
raises("monster", world.spawn, { monster = "dragon", zone = "meadow", x = 1, y = 1 })
raises("not a standable point", world.spawn, { npc = "Ghost", zone = "meadow", x = 610, y = 500 })
raises("players leave by logging out", world.despawn, fay)

-- ---- teleport -------------------------------------------------------------------------
raises("no zone", world.teleport, fay, "nowhere", 1, 1)
raises("not a standable point", world.teleport, fay, "meadow", 610, 500) -- the stone wall
raises("not a standable point", world.teleport, fay, "meadow", -5, 10)
local moved = {}
chaos.on("leave_zone", function(ev) moved[#moved + 1] = "leave " .. ev.zone end)
chaos.on("enter_zone", function(ev) moved[#moved + 1] = "enter " .. ev.zone end)
fay:teleport("caves", 60, 60)
assert(fay.zone == "caves" and fay.x == 60 and fay.y == 60)
sim.advance(0) -- zone hooks fire after the call that moved her (here: the next sim call)
assert(table.concat(moved, ",") == "leave meadow,enter caves")
local zone_ev
for _, e in ipairs(sim.events(fay)) do if e.ev == "zone" then zone_ev = e end end
assert(zone_ev and zone_ev.zone == "caves", "the player was told of the new zone")
fay:teleport("caves", 70, 60) -- within the zone: no zone hooks, but the new place is saved
sim.commit()
local st = sim.stored(fay)
assert(st.zone == "caves" and st.x == 70 and st.y == 60, "the store has where she stands")

-- ---- buffs through the live stat engine ----------------------------------------------
local power = fay:stats().power
fay:buff{ source = "potion", stats = { power = 5, hp_max = 50 }, seconds = 10 }
assert(fay:stats().power == power + 5 and fay.hp_max == 370, "buffed")
sim.advance(11)
assert(fay:stats().power == power and fay.hp_max == 320, "the buff expired")
fay:buff{ source = "blessing", stats = { power = 2 } }
assert(fay:stats().power == power + 2)
assert(fay:unbuff("blessing") == true and fay:unbuff("blessing") == false)
assert(fay:stats().power == power)
raises("belongs to the engine", world.buff, fay, { source = "level", stats = { power = 1 } })
-- the rules' level source: level 3 gives the mage's per_level power 2 * (3 - 1) on top of the race's 10
assert(power == 10 + 4, "race + level sources, got " .. power)

-- ---- events to players ------------------------------------------------------------------
sim.events(fay); sim.events(gus)
world.send(fay, { ev = "hello", n = 1 })
world.send_zone("caves", { ev = "cave_in" })
world.broadcast({ ev = "news", text = "server at noon" })
local f, g = sim.events(fay), sim.events(gus)
assert(#f == 3 and f[1].ev == "hello" and f[1].n == 1 and f[2].ev == "cave_in" and f[3].ev == "news")
assert(#g == 2 and g[1].ev == "cave_in" and g[2].text == "server at noon")
assert(#sim.events(fay) == 0, "sim.events empties the list")
world.send_near(gus, { ev = "wave" }) -- Fay (in the caves, 10 away) sees Gus
assert(sim.events(fay)[1].ev == "wave" and sim.events(gus)[1].ev == "wave")
raises("ev must be a name", world.send, fay, { ev = "Bad Name" })

print("game_world_test: ok")

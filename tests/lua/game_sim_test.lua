-- game_sim_test.lua — chaos.sim itself: the clock (timers and the battle
-- move with sim.advance, which then commits), leaving and coming back, and
-- clear errors for bad arguments. Run: chaosctl script tests/lua/game_sim_test.lua
local chaos = require("chaos")
local defs = require("content.defs")
local sim = chaos.sim

defs.race{ id = "tester", name = "Tester", stats = { hp_max = 300 } }
defs.monster{ id = "rat", name = "Rat", stats = { hp_max = 40 }, skills = { "bite" },
  respawn = 10, aggro = 0, leash = 60, exp = 5 }

local function raises(pattern, fn, ...)
  local ok, err = pcall(fn, ...)
  assert(not ok, "expected an error matching " .. pattern)
  assert(tostring(err):find(pattern, 1, true), "unexpected error: " .. tostring(err))
end

-- ---- the clock: timers fire inside sim.advance, which commits at the end ----------
local t0 = chaos.now()
local fired = {}
chaos.after(2.5, function() fired[#fired + 1] = chaos.now() - t0 end)
local p = sim.player{ name = "Hal", race = "tester", job = "warrior", zone = "meadow", x = 100, y = 100 }
chaos.txn(p, "allowance", function(t) t:add_gold(3) end)
sim.advance(2)
assert(#fired == 0 and chaos.now() - t0 == 2)
assert(p.gold == 3, "sim.advance commits")
sim.advance(1)
assert(#fired == 1 and fired[1] == 2.5, "the timer fired at its time")

-- a failed commit at the end of an advance
chaos.txn(p, "allowance", function(t) t:add_gold(3) end)
sim.fail_next_commit()
sim.advance(0)
assert(p.gold == 3 and p.gold_pending == 3, "the transaction was dropped")

-- ---- leaving saves the character; coming back finds it as it was ------------------
chaos.txn(p, "parting gift", function(t) t:add_gold(10) end)
sim.leave(p)
assert(not p.exists and sim.stored(p).gold == 13, "leaving saves, as chaosd does")
raises("is not online", sim.leave, p)
raises("is not online", sim.chat, p, "/hello")
local back = sim.player{ name = "hal" } -- names are case-insensitive
assert(back == p and p.exists and p.gold == 13)

-- ---- chaos.sim is for the test file, not for hooks --------------------------------
local inner
chaos.on("tick", function() inner = select(2, pcall(sim.advance, 1)) end)
sim.advance(1)
assert(tostring(inner):find("not from inside a hook", 1, true), tostring(inner))

-- ---- bad arguments name the function and the argument ------------------------------
raises("chaos.sim.player: the character (argument #1) must be a table", sim.player, "Ida")
raises("chaos.sim.player: name must be a string", sim.player, {})
raises("chaos.sim.player: name must be 3 to 24", sim.player, { name = "I d", race = "tester", job = "mage" })
raises("chaos.sim.player: race \"orc\" is not defined", sim.player, { name = "Ida", race = "orc", job = "mage" })
raises("chaos.sim.player: job \"bard\" is not defined", sim.player, { name = "Ida", race = "tester", job = "bard" })
raises("chaos.sim.player: no zone \"moon\"", sim.player, { name = "Ida", race = "tester", job = "mage", zone = "moon" })
raises("not a standable point", sim.player, { name = "Ida", race = "tester", job = "mage", zone = "meadow", x = 610, y = 500 })
raises("give both x and y", sim.player, { name = "Ida", race = "tester", job = "mage", x = 5 })
raises("gold must be a whole number", sim.player, { name = "Ida", race = "tester", job = "mage", gold = -1 })
raises("\"Hal\" is already in the world", sim.player, { name = "Hal", race = "tester", job = "mage" })
raises("chaos.sim.monster: template must be a string", sim.monster, { zone = "meadow", x = 1, y = 1 })
raises("no monster template 'dragon'", sim.monster, { template = "dragon", zone = "meadow", x = 1, y = 1 })
raises("chaos.sim.kill: victim (argument #1) must be a player or entity handle", sim.kill, "rat", p)
local rat = sim.monster{ template = "rat", zone = "meadow", x = 101, y = 100 }
raises("chaos.sim.kill: killer (argument #2) must be", sim.kill, rat, nil)
raises("chaos.sim.kill: skill (argument #3) must be a string", sim.kill, rat, p, 5)
raises("no skill \"fireball\"", sim.kill, rat, p, "fireball")
local ida = sim.player{ name = "Ida", race = "tester", job = "mage", zone = "meadow", x = 100, y = 102 }
raises("fights are between a player and a monster", sim.kill, ida, p)
raises("chaos.sim.advance: seconds (argument #1) must be a number", sim.advance, "1")
raises("chaos.sim.advance: seconds must be in", sim.advance, -1)
raises("chaos.sim.events: player (argument #1) must be a player handle", sim.events, rat)
raises("chaos.sim.op: name (argument #2) must be a string", sim.op, p, 5)
local none, code = sim.op(p, "no_such_op")
assert(none == nil and code == "unknown_op")
-- the world keeps working after all that
sim.kill(rat, p)
assert(not rat.exists or rat.dead)

print("game_sim_test: ok")

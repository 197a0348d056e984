-- game_rules_test.lua — the engine's kill rule (scripts/rules/kill.lua) pays
-- through the simulated world: every contributor gets the monster's exp, the
-- killing blow its gold, once the commit is done; content can change the
-- amounts or turn the rule off. Run: chaosctl script tests/lua/game_rules_test.lua
local chaos = require("chaos")
local defs = require("content.defs")
local rules = require("rules")
local sim = chaos.sim

defs.race{ id = "tester", name = "Tester", stats = { hp_max = 300, power = 10, accuracy = 1000 } }
defs.monster{ id = "boar", name = "Boar", stats = { hp_max = 60, evasion = -1000 },
  skills = { "bite" }, respawn = 30, aggro = 0, leash = 60, exp = 80, gold = { min = 7, max = 7 } }

local hunter = sim.player{ name = "Hunter", race = "tester", job = "warrior", zone = "meadow", x = 100, y = 100 }
local helper = sim.player{ name = "Helper", race = "tester", job = "warrior", zone = "meadow", x = 100, y = 102 }

-- ---- the default rule: full exp to each contributor, gold to the killer -----------
local boar = sim.monster{ template = "boar", zone = "meadow", x = 101, y = 101 }
sim.hit(boar, helper)
sim.kill(boar, hunter)
assert(hunter.exp == 0 and helper.exp == 0, "nothing before the commit")
assert(hunter.exp_pending == 80 and helper.exp_pending == 80, "both are owed the exp")
sim.commit()
assert(hunter.exp == 80 and helper.exp == 80, "each contributor got the monster's exp")
assert(hunter.gold == 7, "the killing blow got the gold")
assert(helper.gold == 0, "the helper got no gold")
assert(sim.stored(hunter).gold == 7 and sim.stored(helper).exp == 80, "and the store has it")

-- ---- content changes the amounts: exp by share of the damage ----------------------
rules.kill_exp = function(monster, c) return math.floor(monster.exp * c.share + 0.5) end
local shares = {}
chaos.on("kill", function(ev)
  for _, c in ipairs(ev.contributors) do shares[c.player.name] = c.share end
end)
boar = sim.monster{ template = "boar", zone = "meadow", x = 101, y = 101 }
sim.hit(boar, helper)
sim.kill(boar, hunter)
sim.commit()
assert(helper.exp == 80 + math.floor(80 * shares.Helper + 0.5), "the helper's share")
assert(hunter.exp == 80 + math.floor(80 * shares.Hunter + 0.5), "the hunter's share")
assert(hunter.gold == 14)

-- ---- and can turn it off --------------------------------------------------------------
rules.kill_rewards = false
boar = sim.monster{ template = "boar", zone = "meadow", x = 101, y = 101 }
local before = hunter.exp
sim.kill(boar, hunter)
sim.commit()
assert(hunter.exp == before and hunter.gold == 14, "no rewards when the rule is off")

print("game_rules_test: ok")

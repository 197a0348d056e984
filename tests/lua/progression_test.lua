-- progression_test.lua — levels, cultivation realms and job skills in the
-- simulated world, with the demo realms (qi cap 10 → foundation cap 20 →
-- core cap 30, content/realms.lua) and jobs (content/jobs.lua): the level
-- curve and per_level stats, the level_up and stats events, the realm's level
-- cap (exp stops), its stat caps, breakthroughs (refusals, cost, success,
-- failure and penalty, one transaction, odds over a seeded run), skill unlocks
-- and skill_unknown. Run: chaosctl script tests/lua/progression_test.lua
local chaos = require("chaos")
local defs = require("content.defs")
local rules = require("rules")
local sim = chaos.sim

chaos.random_seed(12345)
defs.race{ id = "sage", name = "Sage", stats = { hp_max = 300, mp_max = 50, power = 100, accuracy = 1000 },
  per_level = { hp_max = 5 } }
defs.monster{ id = "dummy", name = "Dummy", stats = { hp_max = 100000, evasion = -1000 },
  skills = { "bite" }, respawn = 30, aggro = 0, leash = 60 }

local function raises(pattern, fn, ...)
  local ok, err = pcall(fn, ...)
  assert(not ok, "expected an error matching " .. pattern)
  assert(tostring(err):find(pattern, 1, true), "unexpected error: " .. tostring(err))
end

local function grant(p, exp, gold)
  chaos.txn(p, "test", function(t)
    t:add_exp(exp or 0)
    t:add_gold(gold or 0)
  end)
  sim.commit()
end

local function last(p, name)
  local found
  for _, e in ipairs(sim.events(p)) do if e.ev == name then found = e end end
  return found
end

local qi = defs.get("realm", "qi")
local demo_bt = qi.breakthrough

-- ---- the curve, per_level stats, level_up and stats events --------------------------------
assert(rules.level_exp(1) == 0 and rules.level_exp(2) == 100 and rules.level_exp(3) == 300)
local ann = sim.player{ name = "Ann", race = "sage", job = "mage", zone = "meadow", x = 100, y = 100 }
assert(ann.level == 1 and ann.hp_max == 300 and ann.mp_max == 50)
sim.events(ann)
grant(ann, 300)
assert(ann.level == 3, "300 exp is level 3")
-- race sage: hp_max 5 per level; job mage: power 2 and mp_max 5 per level
assert(ann.hp_max == 300 + 5 * 2 and ann.mp_max == 50 + 5 * 2, "per_level of race and job")
local evs = sim.events(ann)
local lvl, st
for _, e in ipairs(evs) do
  if e.ev == "level_up" then lvl = e end
  if e.ev == "stats" then st = e end
end
assert(lvl and lvl.level == 3, "the player hears of its level")
assert(st and st.hp_max == 310 and st.stats.hp_max == 310 and st.mp_max == 60, "and of its new stats")
-- qi caps power at 60: race 100 + job 4 is capped
assert(st.stats.power == 60 and ann:stats().power == 60, "the realm's stat cap")
local default_level_stats = rules.level_stats
rules.level_stats = function(level) return { hp_max = 100 * (level - 1) } end -- overridable
grant(ann, 300) -- level 4
assert(ann.level == 4 and ann.hp_max == 600, "content's own level_stats")
rules.level_stats = default_level_stats

-- ---- the realm's level cap: exp stops at the cap (the rest is dropped) --------------------
local bo = sim.player{ name = "Bob", race = "sage", job = "warrior", zone = "meadow", x = 100, y = 100,
  level = 9 }
grant(bo, 100000)
assert(bo.level == 10, "level 10 is qi's cap, got " .. bo.level)
assert(bo.exp == rules.level_exp(11) - 1, "exp kept just under level 11, got " .. bo.exp)
grant(bo, 50)
assert(bo.exp == rules.level_exp(11) - 1 and bo.exp_pending == bo.exp, "nothing more fits")
assert(sim.stored(bo).exp == bo.exp and sim.stored(bo).level == 10, "and the store agrees")

-- ---- breakthrough refusals ----------------------------------------------------------------
local _, code = sim.op(ann, "breakthrough")
assert(code == "not_at_cap", "below the cap: " .. tostring(code))
_, code = sim.op(bo, "breakthrough")
assert(code == "no_resource", "qi costs 100 gold: " .. tostring(code))
local top = sim.player{ name = "Top", race = "sage", job = "warrior", zone = "meadow", x = 100, y = 100,
  level = 30, gold = 1000, data = { realm = { id = "core" } } }
_, code = sim.op(top, "breakthrough")
assert(code == "max_realm", "core is the last realm: " .. tostring(code))

-- ---- success: the cost is paid, the realm advances, caps and exp follow -------------------
qi.breakthrough = { chance = 1, cost = { gold = 100 } }
grant(bo, 0, 150)
assert(bo.gold == 150)
local r = sim.op(bo, "breakthrough")
assert(r and r.success == true and r.realm == "foundation" and r.failures == 0 and r.chance == 1)
sim.commit()
assert(bo.gold == 50, "the cost was paid")
assert(bo:data("realm").id == "foundation" and sim.stored(bo).data.realm.id == "foundation")
assert(bo:stats().power == 100 + 2 * 9, "foundation caps power at 150: uncapped now")
grant(bo, rules.level_exp(12) - bo.exp)
assert(bo.level == 12, "exp flows again after the breakthrough")

-- ---- failure: counted, penalty as a timed debuff, chance grows per failure ----------------
qi.breakthrough = { chance = 0, per_failure = 0.25, cost = { gold = 10 },
  penalty = { stats = { accuracy = -500 }, seconds = 600 } }
local cy = sim.player{ name = "Cyd", race = "sage", job = "warrior", zone = "meadow", x = 100, y = 100,
  level = 10, gold = 100 }
r = sim.op(cy, "breakthrough")
assert(r.success == false and r.realm == "qi" and r.failures == 1 and r.chance == 0, "a sure failure")
sim.commit()
assert(cy.gold == 90 and cy:data("realm").failures == 1 and sim.stored(cy).data.realm.failures == 1)
assert(cy:stats().accuracy == 500, "the penalty: -500 accuracy")
r = sim.op(cy, "breakthrough")
assert(r.chance == 0.25, "one failure adds per_failure, got " .. tostring(r.chance))
sim.commit()
sim.advance(601)
assert(cy:stats().accuracy == 1000, "the penalty wears off")
-- the stat term: chance + stat * stat_scale, clamped to [0, 1]
qi.breakthrough = { chance = 0.5, stat = "accuracy", stat_scale = 0.001 }
assert(rules.breakthrough_chance(qi, 0, { accuracy = 1000 }) == 1, "clamped to 1")
assert(rules.breakthrough_chance(qi, 0, { accuracy = -200 }) == 0.3)
assert(rules.breakthrough_chance({ breakthrough = { chance = 0.1, per_failure = -1 } }, 3, {}) == 0)

-- one transaction: a failed commit takes neither the gold nor records the result
qi.breakthrough = { chance = 0, per_failure = 0, cost = { gold = 10 } }
local fails, gold = cy:data("realm").failures, cy.gold
sim.op(cy, "breakthrough")
sim.fail_next_commit()
sim.commit()
assert(cy.gold == gold and cy:data("realm").failures == fails, "all or nothing")

-- ---- odds over a seeded run: 1,000 attempts at 0.3 ----------------------------------------
qi.breakthrough = { chance = 0.3 }
local dee = sim.player{ name = "Dee", race = "sage", job = "warrior", zone = "meadow", x = 100, y = 100,
  level = 10 }
local wins = 0
for _ = 1, 1000 do
  local rr = sim.op(dee, "breakthrough")
  assert(rr and rr.chance == 0.3)
  sim.commit()
  if rr.success then
    wins = wins + 1
    dee:data("realm").id = "qi" -- back down for the next attempt
  end
end
-- mean 300, sd ~14.5: 4.5 sd either side
assert(wins >= 235 and wins <= 365, "successes out of 1000 at 0.3: " .. wins)
qi.breakthrough = demo_bt

-- ---- job skills: unlocks, the skills op, skill_unknown ------------------------------------
local eve = sim.player{ name = "Eve", race = "sage", job = "mage", zone = "meadow", x = 100, y = 100 }
local list = sim.op(eve, "skills")
local by = {}
for _, s in ipairs(list.skills) do by[s.id] = s end
assert(list.job == "mage" and by.strike.known and not by.firebolt.known and not by.meteor.known)
assert(by.firebolt.unlock.level == 5 and by.meteor.unlock.realm == "core" and by.firebolt.name == "Firebolt")
local dummy = sim.monster{ template = "dummy", zone = "meadow", x = 101, y = 100 }
raises("skill_unknown", sim.hit, dummy, eve, "firebolt")
assert(sim.hit(dummy, eve, "strike") > 0, "strike is always known")
grant(eve, rules.level_exp(5))
assert(eve.level == 5)
assert(sim.hit(dummy, eve, "firebolt") > 0, "firebolt unlocked at level 5")
raises("skill_unknown", sim.hit, dummy, eve, "meteor")
-- a job without a skills list knows every skill
local fin = sim.player{ name = "Fin", race = "sage", job = "warrior", zone = "meadow", x = 100, y = 100 }
raises("skill_unknown", sim.hit, dummy, fin, "firebolt") -- the demo warrior lists only strike
defs.job{ id = "drifter", name = "Drifter" }
local gil = sim.player{ name = "Gil", race = "sage", job = "drifter", zone = "meadow", x = 100, y = 100 }
assert(sim.hit(dummy, gil, "firebolt") > 0, "no list: every skill")
assert(#sim.op(gil, "skills").skills == 0)
-- reading the realm of a character that never broke through stores nothing
sim.leave(eve)
assert(sim.stored(eve).data.realm == nil, "no empty realm namespace is saved")
-- a realm unlock: in core, meteor is known
local hal = sim.player{ name = "Hal", race = "sage", job = "mage", zone = "meadow", x = 100, y = 100,
  level = 25, data = { realm = { id = "core" } } }
local hs = {}
for _, s in ipairs(sim.op(hal, "skills").skills) do hs[s.id] = s.known end
assert(hs.meteor and hs.firebolt and hs.strike, "core unlocks meteor")

-- ---- definitions are checked with file:line -----------------------------------------------
raises("realm 'bad': level_cap must be a number", defs.realm, { id = "bad", name = "Bad", order = 9 })
raises("breakthrough.chance must be a number in [0, 1]", defs.realm,
  { id = "bad2", name = "Bad", order = 9, level_cap = 40, breakthrough = { chance = 2 } })
raises("per_level.power must be a finite number", defs.race,
  { id = "bad3", name = "Bad", per_level = { power = "x" } })
raises("skills[1].level must be a whole number >= 1", defs.job,
  { id = "bad4", name = "Bad", skills = { { skill = "strike", level = 0 } } })
local ok, err = pcall(function() defs.job{ id = "bad5", name = "Bad", per_level = { power = 0 / 0 } } end)
assert(not ok and tostring(err):find("progression_test.lua:%d+:"), "file:line: " .. tostring(err))

print("progression_test: ok")

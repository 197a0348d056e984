-- quests_test.lua — npc{} dialogue and quest{} in the simulated world: every
-- step kind, prerequisites, repeatable and daily quests, version migration,
-- rewards in one transaction, refused definitions with file:line.
-- Run: chaosctl script tests/lua/quests_test.lua
local chaos = require("chaos")
local defs = require("content.defs")
local sim = chaos.sim

chaos.random_seed(11)

local chose = {}
defs.race{ id = "tester", name = "Tester", stats = { hp_max = 300, power = 50, accuracy = 1000 } }
defs.item{ id = "t_pelt", name = "Pelt", stack = 20, value = 1 }
defs.item{ id = "t_herb", name = "Herb", stack = 20, use = function() return { heal = 1 } end }
defs.monster{ id = "t_rat", name = "Rat", stats = { hp_max = 10, evasion = -1000 }, skills = { "bite" },
  respawn = 30, aggro = 0, leash = 60 }
defs.npc{ id = "t_elder", name = "Elder", zone = "meadow", x = 200, y = 200, dialogue = {
  start = { text = "Wolves!", choices = { { text = "Tell me", ["goto"] = "more" },
                                          { text = "Help", action = function(p, n) chose[#chose + 1] = p.name .. "@" .. n.id return "thanks" end },
                                          { text = "Bye" } } },
  more = { text = "They bite.", choices = { { text = "Back", ["goto"] = "start" } } },
  thanks = { text = "Thank you." } } }
defs.npc{ id = "t_scout", name = "Scout", zone = "meadow", x = 203, y = 200 }
defs.quest{ id = "t_wolves", name = "Wolves", giver = "t_elder",
  steps = { { kind = "kill", monster = "t_rat", count = 2 } },
  rewards = { exp = 100, gold = 50, items = { { item = "healing_potion", count = 2 } } } }
defs.quest{ id = "t_pelts", name = "Pelts", requires = { quests = { "t_wolves" } },
  steps = { { kind = "collect", item = "t_pelt", count = 3 }, { kind = "talk", npc = "t_scout" } },
  rewards = { gold = 10 } }
defs.quest{ id = "t_walk", name = "Walk", daily = true,
  steps = { { kind = "reach", zone = "meadow", x = 400, y = 400, radius = 10 } }, rewards = { exp = 5 } }
local custom_ok = false
defs.quest{ id = "t_herbal", name = "Herbal", repeatable = true,
  steps = { { kind = "use", item = "t_herb" }, { kind = "custom", check = function() return custom_ok end, text = "be ready" } },
  rewards = { gold = 1 } }
defs.quest{ id = "t_veteran", name = "Veteran", requires = { level = 5 }, steps = { { kind = "talk", npc = "t_scout" } } }
defs.quest{ id = "t_sage", name = "Sage", requires = { realm = "foundation" }, steps = { { kind = "talk", npc = "t_scout" } } }
defs.quest{ id = "t_ver", name = "Versioned", version = 2,
  steps = { { kind = "kill", monster = "t_rat", count = 4 }, { kind = "talk", npc = "t_scout" } },
  migrate = function(old, v) assert(v == 1) return { (old[1] or 0) * 2, 0 } end }
defs.quest{ id = "t_gone", name = "Gone", version = 3, steps = { { kind = "talk", npc = "t_scout" } },
  migrate = function() return nil end }

local function count_of(p, template)
  local n = 0
  for _, it in ipairs(p:items()) do
    if it.template == template then n = n + it.stack end
  end
  return n
end

local function find(evs, name)
  local out = {}
  for _, e in ipairs(evs) do
    if e.ev == name then out[#out + 1] = e end
  end
  return out
end

local function active(p, id)
  for _, a in ipairs(sim.op(p, "quests", {}).active) do
    if a.quest == id then return a end
  end
end

local ann = sim.player{ name = "Ann", race = "tester", job = "warrior", zone = "meadow", x = 200, y = 203 }
sim.advance(0.1) -- the NPCs are placed once the world is live
local elder_h, scout_h
for _, h in ipairs(chaos.world.within("meadow", 210, 200, 30, "npc")) do
  if h.name == "Elder" then elder_h = h elseif h.name == "Scout" then scout_h = h end
end
assert(elder_h and scout_h, "both NPCs placed")
sim.events(ann)

-- ---- dialogue ---------------------------------------------------------------------
assert(sim.interact(ann, elder_h), "interacting with an npc{} is claimed")
local d = find(sim.events(ann), "dialogue")
assert(#d == 1 and d[1].npc == "t_elder" and d[1].node == "start" and d[1].text == "Wolves!" and #d[1].choices == 3, "dialogue start")
local r, code = sim.op(ann, "dialogue_choose", { npc = "t_elder", choice = 4 })
assert(r == nil and code == "bad_choice", "only offered choices: " .. tostring(code))
r, code = sim.op(ann, "dialogue_choose", { npc = "t_scout", choice = 1 })
assert(r == nil and code == "no_dialogue", "not talking with the scout: " .. tostring(code))
r, code = sim.op(ann, "dialogue_choose", { npc = "t_elder", choice = "x" })
assert(r == nil and code == "bad_field")
r = assert(sim.op(ann, "dialogue_choose", { npc = "t_elder", choice = 1 }))
assert(r.node == "more" and r.text == "They bite." and r.choices[1] == "Back", "goto")
r, code = sim.op(ann, "dialogue_choose", { npc = "t_elder", choice = 2 })
assert(r == nil and code == "bad_choice", "choice 2 of 'more' is not offered")
r = assert(sim.op(ann, "dialogue_choose", { npc = "t_elder", choice = 1 }))
assert(r.node == "start")
r = assert(sim.op(ann, "dialogue_choose", { npc = "t_elder", choice = 2 }))
assert(r.node == "thanks" and chose[1] == "Ann@t_elder", "action ran and chose the next node")
r = assert(sim.op(ann, "dialogue_choose", { npc = "t_elder", choice = 1 }) == nil)
assert(sim.interact(ann, scout_h))
d = find(sim.events(ann), "dialogue")
assert(d[#d].npc == "t_scout" and d[#d].ended, "an npc without dialogue ends at once")
sim.events(ann)

-- ---- kill quest with a giver, rewards in one transaction -------------------------------
local bob = sim.player{ name = "Bob", race = "tester", job = "warrior", zone = "meadow", x = 600, y = 200 }
r, code = sim.op(bob, "quest_accept", { quest = "t_wolves" })
assert(r == nil and code == "out_of_range", "the giver must be near: " .. tostring(code))
r, code = sim.op(ann, "quest_accept", { quest = "nope" })
assert(r == nil and code == "not_found")
r, code = sim.op(ann, "quest_accept", { quest = "t_pelts" })
assert(r == nil and code == "requires_quest", "prerequisite quest: " .. tostring(code))
r = assert(sim.op(ann, "quest_accept", { quest = "t_wolves" }))
assert(r.quest == "t_wolves" and r.steps[1].need == 2 and r.steps[1].count == 0 and not r.ready)
r, code = sim.op(ann, "quest_accept", { quest = "t_wolves" })
assert(r == nil and code == "active")
r, code = sim.op(ann, "quest_turn_in", { quest = "t_wolves" })
assert(r == nil and code == "not_complete")
for i = 1, 2 do
  local rat = sim.monster{ template = "t_rat", zone = "meadow", x = 201, y = 203 }
  sim.kill(rat, ann)
  assert(sim.commit())
  local pe = find(sim.events(ann), "quest_progress")
  assert(#pe == 1 and pe[1].quest == "t_wolves" and pe[1].count == i and pe[1].need == 2, "progress " .. i)
end
local wolf = sim.monster{ template = "wolf", zone = "meadow", x = 201, y = 203 }
sim.kill(wolf, ann)
assert(sim.commit())
assert(active(ann, "t_wolves").steps[1].count == 2 and active(ann, "t_wolves").ready, "a wolf is not a rat; capped at 2")
local gold0, exp0, pots0 = ann.gold, ann.exp, count_of(ann, "healing_potion")
sim.events(ann)
sim.fail_next_commit()
assert(sim.op(ann, "quest_turn_in", { quest = "t_wolves" }))
assert(#find(sim.events(ann), "quest_done") == 0, "quest_done before the commit")
assert(sim.commit() == false)
assert(ann.gold == gold0 and active(ann, "t_wolves"), "a failed commit: still active, nothing paid")
assert(#find(sim.events(ann), "quest_done") == 0, "quest_done for a failed commit")
r = assert(sim.op(ann, "quest_turn_in", { quest = "t_wolves" }))
assert(r.done and r.gold == 50 and r.exp == 100)
assert(#find(sim.events(ann), "quest_done") == 0, "quest_done before the commit")
assert(sim.commit())
local qd = find(sim.events(ann), "quest_done")
assert(#qd == 1 and qd[1].quest == "t_wolves" and qd[1].gold == 50, "quest_done after the commit")
assert(ann.gold == gold0 + 50 and ann.exp == exp0 + 100 and count_of(ann, "healing_potion") == pots0 + 2, "rewards " .. ann.gold .. " " .. gold0 .. " " .. ann.exp .. " " .. exp0 .. " " .. count_of(ann, "healing_potion"))
assert(not active(ann, "t_wolves") and sim.stored(ann).data.quests.done.t_wolves.n == 1, "done, stored")
r, code = sim.op(ann, "quest_accept", { quest = "t_wolves" })
assert(r == nil and code == "already_done", "not repeatable: " .. tostring(code))

-- ---- collect + talk: items taken in the turn-in ------------------------------------------
assert(sim.op(ann, "quest_accept", { quest = "t_pelts" }), "prerequisite met")
chaos.txn(ann, "test grant", function(t) t:add_item("t_pelt", 2) end)
assert(sim.commit())
r, code = sim.op(ann, "quest_turn_in", { quest = "t_pelts" })
assert(r == nil and code == "not_complete", "2 of 3 pelts, no talk")
assert(sim.interact(ann, scout_h))
local pe = find(sim.events(ann), "quest_progress")
assert(#pe == 1 and pe[1].quest == "t_pelts" and pe[1].kind == "talk" and pe[1].done, "talk step")
local st = active(ann, "t_pelts").steps
assert(st[1].count == 2 and not st[1].done and st[2].done, "collect counts the inventory")
chaos.txn(ann, "test grant", function(t) t:add_item("t_pelt", 2) end)
assert(sim.commit())
assert(active(ann, "t_pelts").ready)
gold0 = ann.gold
assert(sim.op(ann, "quest_turn_in", { quest = "t_pelts" }))
assert(sim.commit())
assert(count_of(ann, "t_pelt") == 1 and ann.gold == gold0 + 10, "3 pelts taken with the gold paid")

-- ---- reach (tick), daily -------------------------------------------------------------------
assert(sim.op(ann, "quest_accept", { quest = "t_walk" }))
sim.advance(1)
assert(not active(ann, "t_walk").ready, "not there yet")
chaos.world.teleport(ann, "meadow", 405, 400)
sim.advance(1.1)
assert(active(ann, "t_walk").ready, "reached on the tick")
assert(sim.op(ann, "quest_turn_in", { quest = "t_walk" }))
assert(sim.commit())
r, code = sim.op(ann, "quest_accept", { quest = "t_walk" })
assert(r == nil and code == "daily_done", "once a day: " .. tostring(code))
local q = ann:data("quests")
q.done.t_walk.day = q.done.t_walk.day - 1
assert(sim.op(ann, "quest_accept", { quest = "t_walk" }), "a new day")
assert(sim.op(ann, "quest_abandon", { quest = "t_walk" }).abandoned)
r, code = sim.op(ann, "quest_abandon", { quest = "t_walk" })
assert(r == nil and code == "not_active")

-- ---- use + custom, repeatable ------------------------------------------------------------
for round = 1, 2 do
  assert(sim.op(ann, "quest_accept", { quest = "t_herbal" }), "repeatable round " .. round)
  chaos.txn(ann, "test grant", function(t) t:add_item("t_herb", 1) end)
  assert(sim.commit())
  local herb
  for _, it in ipairs(ann:items()) do if it.template == "t_herb" then herb = it end end
  assert(sim.op(ann, "use_item", { uid = herb.uid }))
  assert(sim.commit())
  st = active(ann, "t_herbal").steps
  assert(st[1].done and not st[2].done and st[2].text == "be ready", "use counted, custom not yet")
  custom_ok = true
  assert(sim.op(ann, "quest_turn_in", { quest = "t_herbal" }))
  assert(sim.commit())
  custom_ok = false
end
assert(sim.stored(ann).data.quests.done.t_herbal.n == 2, "done twice")

-- ---- level and realm prerequisites ------------------------------------------------------
r, code = sim.op(ann, "quest_accept", { quest = "t_veteran" })
assert(r == nil and code == "requires_level", tostring(code))
r, code = sim.op(ann, "quest_accept", { quest = "t_sage" })
assert(r == nil and code == "requires_realm", tostring(code))
local vet = sim.player{ name = "Vet", race = "tester", job = "warrior", zone = "meadow", x = 300, y = 200,
  level = 6, data = { realm = { _v = 1, id = "foundation" } } }
assert(sim.op(vet, "quest_accept", { quest = "t_veteran" }), "level 6")
assert(sim.op(vet, "quest_accept", { quest = "t_sage" }), "in the realm")

-- ---- version migration --------------------------------------------------------------------
local old = sim.player{ name = "Old", race = "tester", job = "warrior", zone = "meadow", x = 300, y = 210,
  data = { quests = { _v = 1, active = { t_ver = { v = 1, c = { 1 } }, t_gone = { v = 2, c = { 0 } },
                                         t_walk = { v = 9, c = { 0 } } } } } }
local a = active(old, "t_ver")
assert(a and a.version == 2 and a.steps[1].count == 2 and a.steps[1].need == 4, "migrated: 1 kill of v1 counts 2")
assert(not active(old, "t_gone"), "migrate returned nil: dropped")
assert(active(old, "t_walk").stale, "newer progress is left alone")
r, code = sim.op(old, "quest_turn_in", { quest = "t_walk" })
assert(r == nil and code == "stale")
assert(old:data("quests").active.t_walk.v == 9, "never overwritten")

-- ---- definitions are checked ---------------------------------------------------------------
local ok, err = pcall(function() defs.quest{ id = "t_bad1", name = "Bad", steps = { { kind = "fly" } } } end)
assert(not ok and err:match("quests_test%.lua:%d+: quest 't_bad1': steps%[1%]%.kind"), err)
ok, err = pcall(function() defs.quest{ id = "t_bad2", name = "Bad", steps = { { kind = "kill", monster = "t_rat", count = 0 } } } end)
assert(not ok and err:match("quests_test%.lua:%d+: quest 't_bad2': steps%[1%]%.count"), err)
ok, err = pcall(function() defs.npc{ id = "t_badn", name = "Bad", zone = "meadow", x = 1, y = 1,
  dialogue = { start = { text = "hi", choices = { { text = "go", ["goto"] = "nowhere" } } } } } end)
assert(not ok and err:match("quests_test%.lua:%d+: npc 't_badn': dialogue%.start%.choices%[1%]%.goto names unknown node 'nowhere'"), err)
ok, err = pcall(function() defs.npc{ id = "t_badn2", name = "Bad", zone = "meadow", x = 1, y = 1, dialogue = { hello = { text = "x" } } } end)
assert(not ok and err:match("needs a 'start' node"), err)
assert(#defs.check() == 0, "the content is clean: " .. table.concat(defs.check(), "; "))
defs.quest{ id = "t_bad3", name = "Bad", giver = "nobody", requires = { quests = { "nope" }, realm = "heaven" },
  steps = { { kind = "kill", monster = "dragon" }, { kind = "collect", item = "gem" }, { kind = "talk", npc = "ghost" },
            { kind = "reach", zone = "moon", x = 1, y = 1, radius = 1 }, { kind = "use", item = "wand" } },
  rewards = { items = { { item = "crown" } } } }
defs.npc{ id = "t_badn3", name = "Bad", zone = "nowhere", x = 1, y = 1 }
local errs = table.concat(defs.check(), "\n")
for _, want in ipairs({ "giver names unknown npc 'nobody'", "steps%[1%] names unknown monster 'dragon'",
  "steps%[2%] names unknown item 'gem'", "steps%[3%] names unknown npc 'ghost'", "steps%[4%] names unknown zone 'moon'",
  "steps%[5%] names unknown item 'wand'", "requires unknown realm 'heaven'", "requires.quests%[1%] names unknown quest 'nope'",
  "rewards.items%[1%] names unknown item 'crown'" }) do
  assert(errs:match("quests_test%.lua:%d+: quest 't_bad3': " .. want), want .. " in\n" .. errs)
end
assert(errs:match("quests_test%.lua:%d+: npc 't_badn3': unknown zone 'nowhere'"), errs)

print("quests_test: ok")

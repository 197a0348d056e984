-- game_txn_test.lua — chaos.txn and per-character data against the
-- simulated world's in-memory store: value moves only when the commit
-- succeeds, an error or a refusal changes nothing, a failed commit rolls
-- data back, data versions migrate, oversize data raises.
-- Run: chaosctl script tests/lua/game_txn_test.lua
local chaos = require("chaos")
local defs = require("content.defs")
local sim = chaos.sim

defs.race{ id = "tester", name = "Tester", stats = { hp_max = 300 } }

local p = sim.player{ name = "Cleo", race = "tester", job = "mage", zone = "meadow", x = 100, y = 100 }
sim.events(p) -- start with an empty list

-- ---- a transaction applies exp, gold and level only once committed ---------------
chaos.txn(p, "quest reward", function(t)
  t:add_exp(150) -- enough for level 2 with the default curve (100)
  t:add_gold(40)
end)
assert(p.exp == 0 and p.gold == 0 and p.level == 1, "nothing applied before the commit")
assert(p.exp_pending == 150 and p.gold_pending == 40, "but it is pending")
assert(sim.stored(p).gold == 0, "and not stored")
assert(#sim.events(p) == 0, "and nobody was told")

assert(sim.commit() == true)
assert(p.exp == 150 and p.gold == 40 and p.level == 2, "applied by the commit")
local st = sim.stored(p)
assert(st.exp == 150 and st.gold == 40 and st.level == 2, "durable after the commit")
local told = {}
for _, e in ipairs(sim.events(p)) do told[e.ev] = e end
assert(told.exp and told.exp.delta == 150 and told.exp.level == 2, "the player hears of the exp")
assert(told.gold and told.gold.delta == 40 and told.gold.gold == 40, "and of the gold")

-- ---- an error inside the function changes nothing ---------------------------------
local ok = pcall(chaos.txn, p, "broken", function(t)
  t:add_gold(10)
  t:data("bag").gem = 1
  error("the function fails half way")
end)
assert(not ok)
assert(p.gold_pending == 40, "no gold queued")
assert(p:data("bag").gem == nil, "no data changed")

-- ---- a refused transaction (gold below 0) changes nothing -------------------------
local ok2, err = pcall(chaos.txn, p, "buy a castle", function(t)
  t:add_gold(-1000)
  t:data("bag").castle = true
end)
assert(not ok2 and err.code == "txn_refused", "refused: " .. tostring(err.message))
assert(p.gold_pending == 40 and p:data("bag").castle == nil, "refused: nothing changed")

-- ---- a failed commit rolls data back ----------------------------------------------
chaos.txn(p, "loot", function(t)
  t:data("bag").sword = 1
  t:add_gold(5)
end)
assert(p:data("bag").sword == 1, "scripts read their own writes at once")
sim.fail_next_commit()
assert(sim.commit() == false, "the commit failed")
assert(p:data("bag").sword == nil, "the data went back")
assert(p.gold == 40 and p.gold_pending == 40, "no gold")
assert(sim.stored(p).data.bag == nil, "nothing stored")
assert(sim.commit() == true, "the next commit works again")

-- ---- data versions migrate -----------------------------------------------------------
-- A character whose stored data is version 1 ({petname = ...}); content is at 2 ({name = ...}).
chaos.data_version("pet", 2, function(old, version)
  assert(version == 1)
  old.name, old.petname = old.petname, nil
  return old
end)
local old = sim.player{ name = "Dora", race = "tester", job = "mage", zone = "meadow", x = 100, y = 110,
  data = { pet = { _v = 1, petname = "Rex" } } }
chaos.on_op("pet_name", function(req, ctx) return { name = ctx.player:data("pet").name } end)
local reply = sim.op(old, "pet_name")
assert(reply.name == "Rex", "migrated on first access")
sim.commit()
local pet = sim.stored(old).data.pet
assert(pet._v == 2 and pet.name == "Rex" and pet.petname == nil, "saved at version 2")

-- Data newer than the content is never touched.
local future = sim.player{ name = "Evan", race = "tester", job = "mage", zone = "meadow", x = 100, y = 120,
  data = { pet = { _v = 3, name = "Max" } } }
local nothing, code = sim.op(future, "pet_name")
assert(nothing == nil and code == "internal", "the op fails rather than touch newer data")

-- ---- oversize data raises ------------------------------------------------------------
local ok3, big = pcall(chaos.txn, p, "hoard", function(t)
  t:data("hoard").blob = string.rep("x", 70 * 1024) -- the cap is 64 KiB per character
end)
assert(not ok3 and big.code == "data_too_large", "a transaction past the cap is refused")
chaos.on_op("hoard", function(req, ctx) ctx.player:data("hoard").blob = string.rep("x", 70 * 1024) end)
local none, code2 = sim.op(p, "hoard")
assert(none == nil and code2 == "internal", "a direct write past the cap fails the op")
assert(p:data("hoard").blob == nil, "and is not kept")

print("game_txn_test: ok")

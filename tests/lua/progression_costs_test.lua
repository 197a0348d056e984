-- progression_costs_test.lua — a breakthrough that costs items (taken across
-- stacks in the same transaction as the result; refused when short), and an
-- item that needs a realm to be equipped. Run:
--   chaosctl script tests/lua/progression_costs_test.lua
local chaos = require("chaos")
local defs = require("content.defs")
local rules = require("rules")
local sim = chaos.sim

chaos.random_seed(99)
defs.race{ id = "sage2", name = "Sage", stats = { hp_max = 300, power = 10 } }
defs.item{ id = "t_stone", name = "Spirit Stone", stack = 2 }
defs.item{ id = "t_relic", name = "Relic", slot = "neck", realm = "foundation",
           stats = { power = 1 } }

local function grant(p, fn)
  chaos.txn(p, "test", fn)
  assert(sim.commit())
end

local function stones(p)
  local n = 0
  for _, it in ipairs(p:items()) do if it.template == "t_stone" then n = n + it.stack end end
  return n
end

local qi = defs.get("realm", "qi")
qi.breakthrough = { chance = 1, cost = { gold = 5, items = { { item = "t_stone", count = 3 } } } }

local p = sim.player{ name = "Cara", race = "sage2", job = "warrior", zone = "meadow", x = 100,
                      y = 100, level = 9 }
grant(p, function(t)
  t:add_exp(rules.level_exp(10) - p.exp)
  t:add_gold(20)
  t:add_item("t_stone", 2)
  t:add_item("t_relic", 1)
end)
assert(p.level == 10 and stones(p) == 2)

-- The relic needs the foundation realm: refused in qi.
local relic
for _, it in ipairs(p:items()) do if it.template == "t_relic" then relic = it end end
local _, code = sim.op(p, "equip", { uid = relic.uid })
assert(code == "requirement", "equipping above one's realm: " .. tostring(code))

-- Two stones of the three: refused, nothing taken.
local r
r, code = sim.op(p, "breakthrough")
assert(r == nil and code == "no_resource", tostring(code))
sim.commit()
assert(stones(p) == 2 and p.gold == 20, "a refused breakthrough takes nothing")

-- A third stone (a second stack): the breakthrough takes all three and the gold.
grant(p, function(t) t:add_item("t_stone", 1) end)
assert(stones(p) == 3)
r = sim.op(p, "breakthrough")
assert(r and r.success and r.realm == "foundation", "the breakthrough")
sim.commit()
assert(stones(p) == 0 and p.gold == 15, "three stones and five gold paid in its transaction")
assert(sim.stored(p).gold == 15 and sim.stored(p).data.realm.id == "foundation")

-- Now the relic fits.
r = sim.op(p, "equip", { uid = relic.uid })
assert(r, "equipped in the foundation realm")
print("progression costs ok")

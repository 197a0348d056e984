-- Loot for a 10-monster kill burst, in the offline world:
--   chaosctl script tests/bench/loot_burst_bench.lua   (Release build)
-- Per burst: ten kills of a monster whose table drops a potion stack and a
-- rolled sword; for each, the loot roll (rules.kill_loot: weights, chance,
-- item generation) and the reward transaction (exp, gold, items), then one
-- commit of the ten transactions (the in-memory store applies them: items
-- get uids and places, ledger bookkeeping). Baseline in the same run: the same
-- bursts paying exp and gold only (no loot). Rounds interleave the two; the
-- inventory is emptied between bursts so every drop fits.
local chaos = require("chaos")
local defs = require("content.defs")
local rules = require("rules")
local loot = require("rules.loot")
local sim = chaos.sim

defs.race{ id = "bench", name = "Bench", stats = { hp_max = 300 } }
defs.monster{ id = "b_chest", name = "Chest", stats = { hp_max = 20 }, skills = { "bite" },
  respawn = 30, aggro = 0, leash = 60, exp = 10, gold = { min = 3, max = 3 }, level = 20,
  loot_rolls = 2,
  loot = { { item = "healing_potion", weight = 3, count = { 1, 3 } },
           { item = "iron_sword", weight = 1, ilvl = 20 } } }

local p = sim.player{ name = "Bencher", race = "bench", job = "warrior", zone = "meadow",
                      x = 100, y = 100 }
local monster = defs.get("monster", "b_chest")
local BURSTS, ROUNDS = 200, 5

local function empty()
  local items = p:items()
  if #items == 0 then return end
  chaos.txn(p, "bench empty", function(t)
    for _, it in ipairs(items) do t:remove_item(it.uid, it.stack) end
  end)
  assert(sim.commit())
end

local function burst(with_loot)
  for _ = 1, 10 do
    local drops = with_loot and rules.kill_loot(monster, {}) or {}
    loot.grant(p, "kill:b_chest", 10, 3, drops)
  end
  assert(sim.commit())
end

local secs = { loot = 0, plain = 0 }
local drops_seen = 0
for _ = 1, ROUNDS do
  for _, mode in ipairs({ "plain", "loot" }) do
    local t = 0
    for _ = 1, BURSTS do
      empty()
      local t0 = os.clock()
      burst(mode == "loot")
      t = t + (os.clock() - t0)
      if mode == "loot" then drops_seen = drops_seen + #p:items() end
    end
    secs[mode] = secs[mode] + t
  end
end
local n = BURSTS * ROUNDS
print(string.format("burst of 10 kills with loot:    %.3f ms  (%.1f item stacks per burst)",
  secs.loot / n * 1e3, drops_seen / n))
print(string.format("burst of 10 kills, exp+gold only: %.3f ms", secs.plain / n * 1e3))

-- Item generation rate: `chaosctl script tests/bench/items_gen_bench.lua`
-- (Release build). Generates N items of each demo template at item level 30,
-- interleaving templates round by round (so machine noise hits all alike),
-- and prints items per second per template and the mean affix count.
local items = require("items")
local N = 20000
local ROUNDS = 5
local templates = { "iron_sword", "apprentice_robe", "healing_potion" }
local total = {}
for _, t in ipairs(templates) do total[t] = { secs = 0, n = 0, affixes = 0 } end
for round = 1, ROUNDS do
  for _, t in ipairs(templates) do
    local t0 = os.clock()
    local aff = 0
    for i = 1, N do
      local it = items.generate(t, 30, round * 1000003 + i)
      aff = aff + #it.affixes
    end
    local dt = os.clock() - t0
    total[t].secs = total[t].secs + dt
    total[t].n = total[t].n + N
    total[t].affixes = total[t].affixes + aff
  end
end
for _, t in ipairs(templates) do
  local r = total[t]
  print(string.format("%-16s %9.0f items/s  (%.2f affixes per item, %d items)", t,
    r.n / r.secs, r.affixes / r.n, r.n))
end

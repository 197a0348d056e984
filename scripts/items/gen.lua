-- The item roll: from a template, an item level and a generator, the rarity,
-- the affixes and the stat totals. Pure over its inputs: every choice is a
-- draw of the generator it is handed, and every table is walked in sorted
-- order (never pairs order), so the same inputs give the same item on every
-- machine. Changing anything here changes stored items' rolls: bump
-- items.GEN_VERSION (scripts/items/init.lua) with it.
--
-- The rules (docs/content-guide.md, "Items"):
--   * Only equipment (an item with a slot) rolls a rarity and affixes.
--   * Rarity: weighted by rarity.weight over every rarity, in (order, id) order.
--   * Affix count: uniform in the rarity's {min, max}.
--   * An affix is available when its weight for the item is > 0 and the item
--     level reaches its first tier. Its weight is that of the item's first tag
--     (in the item's tag order) listed in affix.weights, else weights.default,
--     else 0. It always rolls its HIGHEST available tier (tier.ilvl <= ilvl).
--   * Affixes are drawn one at a time, weighted, among the available ones
--     whose group is not taken yet: two affixes of one group never roll
--     together. When none is left the item has fewer affixes than its count.
--   * Each stat of the tier rolls uniformly in its {lo, hi} (integers), in
--     stat name order; item.stats totals the base stats and every roll.
local canon = require("items.canon")

local M = {}

-- Weighted pick over list (entries with .weight > 0); nil when nothing weighs.
local function pick(rng, list)
  local total = 0
  for _, e in ipairs(list) do total = total + e.weight end
  if total <= 0 then return nil end
  local roll = rng:int(1, total)
  for _, e in ipairs(list) do
    roll = roll - e.weight
    if roll <= 0 then return e end
  end
end

function M.weight_for(affix, item)
  for _, tag in ipairs(item.tags or {}) do
    local w = affix.weights[tag]
    if w ~= nil then return w end
  end
  return affix.weights.default or 0
end

-- Index of the highest tier the item level reaches, or nil.
function M.tier_for(affix, ilvl)
  local best
  for i, t in ipairs(affix.tiers) do
    if t.ilvl <= ilvl then best = i end
  end
  return best
end

local function roll_rarity(defs, rng)
  local list = {}
  for _, id in ipairs(defs.ids("rarity")) do
    local r = defs.get("rarity", id)
    list[#list + 1] = { id = id, weight = r.weight, order = r.order, def = r }
  end
  table.sort(list, function(a, b)
    if a.order ~= b.order then return a.order < b.order end
    return a.id < b.id
  end)
  local e = pick(rng, list)
  if not e then error("items: no rarity{} with weight > 0 to roll equipment", 0) end
  return e.def
end

local function roll_affixes(defs, item, ilvl, rng, count)
  local pool = {}
  for _, id in ipairs(defs.ids("affix")) do
    local a = defs.get("affix", id)
    local w, tier = M.weight_for(a, item), M.tier_for(a, ilvl)
    if w > 0 and tier then pool[#pool + 1] = { id = id, weight = w, tier = tier, def = a } end
  end
  local out, taken = {}, {}
  while #out < count do
    local open = {}
    for _, e in ipairs(pool) do
      if not taken[e.def.group] then open[#open + 1] = e end
    end
    local e = pick(rng, open)
    if not e then break end
    taken[e.def.group] = true
    local stats = {}
    local ranges = e.def.tiers[e.tier].stats
    for _, stat in ipairs(canon.sorted_keys(ranges)) do
      stats[stat] = rng:int(ranges[stat][1], ranges[stat][2])
    end
    out[#out + 1] = { id = e.id, tier = e.tier, stats = stats }
  end
  return out
end

-- The generated item (see scripts/items/init.lua for its shape).
function M.roll(defs, item, ilvl, rng)
  local result = { rarity = nil, affixes = {}, stats = {} }
  for stat, v in pairs(item.stats or {}) do result.stats[stat] = v end
  if item.slot then
    local rarity = roll_rarity(defs, rng)
    result.rarity = rarity.id
    result.affixes = roll_affixes(defs, item, ilvl, rng, rng:int(rarity.affixes[1], rarity.affixes[2]))
    for _, a in ipairs(result.affixes) do
      for _, stat in ipairs(canon.sorted_keys(a.stats)) do
        result.stats[stat] = (result.stats[stat] or 0) + a.stats[stat]
      end
    end
  end
  return result
end

return M

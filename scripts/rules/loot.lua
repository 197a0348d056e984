-- The engine's loot rules: what a monster{}'s loot table drops for its
-- killer (rules.kill_loot) and what happens when it does not fit in the
-- killer's inventory (rules.loot_when_full). scripts/rules/kill.lua puts the
-- drops in the same transaction as the kill's exp and gold.
--
-- A drop is { item = id, count = n, props = table? }: equipment (an item with
-- a slot) drops one per entry with props = items.generate(item, ilvl, seed)
-- (its rarity, affixes and stats), the seed drawn from chaos.random; other
-- items drop as one entry of count.
local chaos = require("chaos")
local rules = require("rules")
local defs = require("content.defs")
local items = require("items")

local M = {}

local MAX_DROPS = 24 -- entries per kill (a transaction holds at most 32 item changes)

-- What the inventory being full does to a kill's loot:
--   "skip_items"  the exp and gold commit; every item of the kill is lost
--   "drop"        the exp and gold commit with the items that fit (in the
--                 order rolled); the rest are lost
-- Either way the player gets {"ev":"loot_lost","items":[{item, count}, …]}.
rules.loot_when_full = "skip_items"

-- One pick of the table by weight: the entry, or nil.
local function pick(loot)
  local total = 0
  for _, e in ipairs(loot) do total = total + (e.weight or 1) end
  if total <= 0 then return nil end
  local x = chaos.random() * total
  for _, e in ipairs(loot) do
    x = x - (e.weight or 1)
    if x < 0 then return e end
  end
  return loot[#loot]
end

-- The drops of one kill of `monster` (a monster{} definition): loot_rolls
-- (default 1) picks by weight, each kept with its chance, count rolled in
-- {lo, hi}. `kill` is the kill event (unused by the default).
function M.roll(monster)
  local loot = monster.loot
  if type(loot) ~= "table" or #loot == 0 then return {} end
  local out = {}
  for _ = 1, monster.loot_rolls or 1 do
    local e = pick(loot)
    local chance = e and (e.chance or 1) or 0
    if e and (chance >= 1 or chaos.random() < chance) then
      local c = e.count or { 1, 1 }
      local n = c[1] == c[2] and c[1] or chaos.random(c[1], c[2])
      local def = defs.get("item", e.item)
      if def and def.slot then
        local ilvl = e.ilvl
        if ilvl == nil or ilvl == "monster" then ilvl = monster.level or 1 end
        for _ = 1, n do
          if #out >= MAX_DROPS then break end
          out[#out + 1] = { item = e.item, count = 1,
                            props = items.generate(e.item, ilvl, chaos.random(0, 2 ^ 52)) }
        end
      elseif def and #out < MAX_DROPS then
        out[#out + 1] = { item = e.item, count = n }
      end
    end
  end
  return out
end

-- The killer's drops of a kill. Content may override it.
function rules.kill_loot(monster, kill)
  return M.roll(monster)
end

local function refused(err, code)
  return type(err) == "table" and err.code == code
end

-- One transaction: exp, gold and drops[1..n].
local function try(p, reason, exp, gold, drops, n)
  return pcall(chaos.txn, p, reason, function(t)
    t:add_exp(exp)
    t:add_gold(gold)
    for i = 1, n do
      local d = drops[i]
      t:add_item(d.item, d.count, d.props)
    end
  end)
end

-- Pays exp, gold and drops to p in one transaction; when the items do not
-- fit, applies rules.loot_when_full and tells the player what was lost.
-- Returns the number of drops granted. Other refusals raise.
function M.grant(p, reason, exp, gold, drops)
  local n = #drops
  local ok, err = try(p, reason, exp, gold, drops, n)
  if ok then return n end
  if not refused(err, "inventory_full") then error(err, 0) end
  local keep = 0
  if rules.loot_when_full == "drop" then
    for k = n - 1, 1, -1 do
      ok, err = try(p, reason, exp, gold, drops, k)
      if ok then keep = k break end
      if not refused(err, "inventory_full") then error(err, 0) end
    end
  end
  if keep == 0 then
    ok, err = try(p, reason, exp, gold, drops, 0)
    if not ok then error(err, 0) end
  end
  local lost = {}
  for i = keep + 1, n do lost[#lost + 1] = { item = drops[i].item, count = drops[i].count } end
  p:send{ ev = "loot_lost", reason = "inventory_full", items = lost }
  return keep
end

return M

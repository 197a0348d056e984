-- The engine's kill rule: when a monster dies, every character that hit it
-- gets experience (rules.kill_exp) and the killing blow also gets gold
-- (rules.kill_gold) and the monster's loot (rules.kill_loot, see
-- scripts/rules/loot.lua), each contributor's rewards in one transaction.
-- Content changes the amounts by overriding rules.kill_exp / rules.kill_gold
-- / rules.kill_loot, or turns this off with rules.kill_rewards = false and
-- writes its own hook. In a party, each contributor's exp is shared by
-- rules.party_share and the killer's gold and loot go to rules.party_loot
-- (scripts/rules/party.lua); one transaction per character paid.
local chaos = require("chaos")
local defs = require("content.defs")
local rules = require("rules")
local loot = require("rules.loot")
local party = require("engine.party")
require("rules.party")

rules.kill_rewards = true

chaos.on("kill", function(kill)
  if not rules.kill_rewards then return end
  local monster = defs.get("monster", kill.template)
  if not monster then return end
  -- Rewards per character, summed: a party member's share of another's exp
  -- rides in the same transaction as its own rewards.
  local order, due = {}, {}
  local function owe(p, exp, gold, drops)
    local d = due[p.id]
    if not d then
      d = { player = p, exp = 0, gold = 0, drops = {} }
      due[p.id] = d
      order[#order + 1] = d
    end
    d.exp = d.exp + exp
    d.gold = d.gold + gold
    for _, it in ipairs(drops) do d.drops[#d.drops + 1] = it end
  end
  for _, c in ipairs(kill.contributors) do
    local p = c.player
    if p and p.exists then
      local members = party.members(p)
      local exp = rules.kill_exp(monster, c, kill)
      if exp > 0 then
        for _, s in ipairs(rules.party_share(exp, p, members, kill)) do
          if s.exp > 0 and s.player.exists then owe(s.player, s.exp, 0, {}) end
        end
      end
      if kill.killer == p then
        local gold = rules.kill_gold(monster, kill)
        local drops = rules.kill_loot(monster, kill)
        local to = rules.party_loot(p, members, kill) or p
        if not to.exists then to = p end
        owe(to, 0, gold, drops)
      end
    end
  end
  for _, d in ipairs(order) do
    if d.exp > 0 or d.gold > 0 or #d.drops > 0 then
      loot.grant(d.player, "kill:" .. kill.template, d.exp, d.gold, d.drops)
    end
  end
end, { priority = -1000 })

return {}

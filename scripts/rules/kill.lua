-- The engine's kill rule: when a monster dies, every character that hit it
-- gets experience (rules.kill_exp) and the killing blow also gets gold
-- (rules.kill_gold) and the monster's loot (rules.kill_loot, see
-- scripts/rules/loot.lua), each contributor's rewards in one transaction.
-- Content changes the amounts by overriding rules.kill_exp / rules.kill_gold
-- / rules.kill_loot, or turns this off with rules.kill_rewards = false and
-- writes its own hook.
local chaos = require("chaos")
local defs = require("content.defs")
local rules = require("rules")
local loot = require("rules.loot")

rules.kill_rewards = true

chaos.on("kill", function(kill)
  if not rules.kill_rewards then return end
  local monster = defs.get("monster", kill.template)
  if not monster then return end
  for _, c in ipairs(kill.contributors) do
    local p = c.player
    if p and p.exists then
      local exp = rules.kill_exp(monster, c, kill)
      local killer = kill.killer == p
      local gold = killer and rules.kill_gold(monster, kill) or 0
      local drops = killer and rules.kill_loot(monster, kill) or {}
      if exp > 0 or gold > 0 or #drops > 0 then
        loot.grant(p, "kill:" .. kill.template, exp, gold, drops)
      end
    end
  end
end, { priority = -1000 })

return {}

-- The engine's kill rule: when a monster dies, every character that hit it
-- gets experience (rules.kill_exp) and the killing blow also gets gold
-- (rules.kill_gold), each contributor's rewards in one transaction. Content
-- changes the amounts by overriding rules.kill_exp / rules.kill_gold, or
-- turns this off with rules.kill_rewards = false and writes its own hook.
local chaos = require("chaos")
local defs = require("content.defs")
local rules = require("rules")

rules.kill_rewards = true

chaos.on("kill", function(kill)
  if not rules.kill_rewards then return end
  local monster = defs.get("monster", kill.template)
  if not monster then return end
  for _, c in ipairs(kill.contributors) do
    local p = c.player
    if p and p.exists then
      local exp = rules.kill_exp(monster, c, kill)
      local gold = (kill.killer == p) and rules.kill_gold(monster, kill) or 0
      if exp > 0 or gold > 0 then
        chaos.txn(p, "kill:" .. kill.template, function(t)
          t:add_exp(exp)
          t:add_gold(gold)
        end)
      end
    end
  end
end, { priority = -1000 })

return {}

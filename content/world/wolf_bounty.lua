-- Demo content: a wolf bounty (the worked example of docs/content-guide.md).
-- Each character's wolf kills are counted in its own data; every fifth kill
-- pays 500 exp and 100 gold. The count and the reward commit together, and
-- the count survives reloads and restarts because it is the character's data.
local chaos = require("chaos")

chaos.data_version("bounty", 1, function(old) return old end)

chaos.on("kill", function(ev)
  local p = ev.killer
  if not p or p.kind ~= "player" then return end
  chaos.txn(p, "wolf bounty", function(t)
    local d = t:data("bounty")
    d.wolves = (d.wolves or 0) + 1
    if d.wolves % 5 == 0 then
      t:add_exp(500)
      t:add_gold(100)
    end
  end)
end, { filter = { template = "wolf" } })

-- {"op":"bounty"} → {"wolves": N}: how many wolves this character has killed.
chaos.on_op("bounty", function(req, ctx)
  if not ctx.player then chaos.fail("not_in_world", "enter the world first") end
  return { wolves = ctx.player:data("bounty").wolves or 0 }
end)

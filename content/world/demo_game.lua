-- The demo game's hooks (content/quests.lua): quest drops and the den boss.
-- Both write in a chaos.txn, so the ledger (chaosctl audit) sees them.
local chaos = require("chaos")
local instance = require("dungeon.instance")

chaos.data_version("demo", 1, function(old) return old end)

-- A wolf pays one pelt to every player who helped kill it and has quest "pelts"
-- active (a quest-only drop: nobody else gets pelts).
chaos.on("kill", function(ev)
  for _, c in ipairs(ev.contributors or {}) do
    local p = c.player
    if p and type(p:data("quests").active) == "table" and p:data("quests").active.pelts then
      chaos.txn(p, "quest drop", function(t) t:add_item("wolf_pelt", 1) end)
    end
  end
end, { filter = { template = "wolf" } })

-- The boss of a Wolf Den instance: the killer remembers it (quest "den_leader").
chaos.on("kill", function(ev)
  local inst = instance.get(ev.zone)
  local p = ev.killer
  if not (inst and inst.template == "wolf_den" and inst.boss and p and p.kind == "player") then return end
  if inst.boss.id ~= ev.entity then return end
  chaos.txn(p, "den boss", function(t)
    local d = t:data("demo")
    d.den_boss = (d.den_boss or 0) + 1
  end)
end)

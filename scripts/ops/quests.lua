-- NPC dialogue and quest ops (docs/protocol.md): dialogue_choose, quests,
-- quest_accept, quest_abandon, quest_turn_in; and the hooks that drive quest
-- progress (kill, interact, tick/enter_zone for reach, a used item).
-- The logic: scripts/engine/npcs.lua, scripts/engine/quests.lua.
local chaos = require("chaos")
local defs = require("content.defs")
local npcs = require("engine.npcs")
local quests = require("engine.quests")
local use = require("engine.use")

local function player_of(ctx)
  if not ctx.player then chaos.fail("not_in_world", "enter the world first") end
  return ctx.player
end

local function quest_id(req)
  if type(req.quest) ~= "string" then chaos.fail("bad_field", "\"quest\" must be a quest id") end
  return req.quest
end

local function answer(r, code, msg)
  if not r then chaos.fail(code, msg) end
  return r
end

-- dialogue_choose {npc, choice} → the next node {npc, name, node, text, choices} or {npc, ended}
chaos.on_op("dialogue_choose", function(req, ctx)
  local p = player_of(ctx)
  if type(req.npc) ~= "string" then chaos.fail("bad_field", "\"npc\" must be an npc id") end
  local c = req.choice
  if type(c) ~= "number" or c ~= c or c % 1 ~= 0 or c < 1 or c > 1000 then
    chaos.fail("bad_field", "\"choice\" must be a whole number >= 1 (1 = the first choice)")
  end
  local r = answer(npcs.choose(p, req.npc, c))
  local out = {}
  for k, v in pairs(r) do out[k] = v end
  out.ev = nil
  return out
end)

chaos.on_op("quests", function(req, ctx)
  return quests.log(player_of(ctx))
end)

chaos.on_op("quest_accept", function(req, ctx)
  local p = player_of(ctx)
  return answer(quests.accept(p, quest_id(req)))
end)

chaos.on_op("quest_abandon", function(req, ctx)
  local p = player_of(ctx)
  return answer(quests.abandon(p, quest_id(req)))
end)

chaos.on_op("quest_turn_in", function(req, ctx)
  local p = player_of(ctx)
  local id = quest_id(req)
  local ok, r, code, msg = pcall(quests.turn_in, p, id)
  if not ok then
    if type(r) == "table" and r.code == "inventory_full" then chaos.fail("inventory_full", "no room for the rewards") end
    error(r, 0)
  end
  return answer(r, code, msg)
end)

-- ---- progress hooks ----------------------------------------------------------------

chaos.on("kill", function(ev)
  for _, c in ipairs(ev.contributors or {}) do
    if c.player and c.player.exists then
      quests.bump(c.player, "kill", function(s) return s.monster == ev.template end)
    end
  end
end)

-- Interacting with an npc{}: talk steps naming it are done, and its dialogue starts.
chaos.on("interact", function(ev)
  if ev.kind ~= "npc" then return false end
  local n = npcs.of_entity(ev.target)
  if not n then return false end
  quests.bump(ev.player, "talk", function(s) return s.npc == n.id end)
  if not npcs.start(ev.player, n) then
    ev.player:send{ ev = "dialogue", npc = n.id, name = n.name, ended = true }
  end
  return true
end)

local function check_reach(p)
  if not (p.exists and quests.has_kind(p, "reach")) then return end
  local zone, x, y = p.zone, p.x, p.y
  quests.bump(p, "reach", function(s)
    local dx, dy = s.x - x, s.y - y
    return s.zone == zone and dx * dx + dy * dy <= s.radius * s.radius
  end)
end

-- Each tick: only the players standing in some reach step's circle (one grid
-- query per reach step of the content), not a scan of everyone online — with
-- 10,000 players that scan outran the hook's time budget.
chaos.on("tick", function()
  local done = {}
  for _, id in ipairs(defs.ids("quest")) do
    for _, s in ipairs(defs.get("quest", id).steps or {}) do
      if s.kind == "reach" and defs.get("zone", s.zone) then
        for _, p in ipairs(chaos.world.within(s.zone, s.x, s.y, s.radius, "player")) do
          if not done[p.id] then
            done[p.id] = true
            check_reach(p)
          end
        end
      end
    end
  end
end)

chaos.on("enter_zone", function(ev)
  if ev.player then check_reach(ev.player) end
end)

chaos.on("logout", function(ev)
  npcs.forget(ev.player)
end)

use.on_used(function(p, template)
  quests.bump(p, "use", function(s) return s.item == template end)
end)

return {}

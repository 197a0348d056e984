-- NPCs of npc{} (scripts/content/quest_defs.lua) and their dialogue.
--
-- Every npc{} stands in the world when the generation goes live. The handles
-- live in chaos.state("engine.npcs"), so a reload keeps the NPCs it still
-- defines (no duplicates), moves or renames changed ones and despawns the
-- ones it no longer defines (scripts/engine/placed.lua).
--
-- Dialogue: where each player stands in a dialogue is kept per character in
-- chaos.state("engine.dialogue") ({npc, node}); only the choices of that node
-- can be taken.
--
-- M.get(id) → npc{} definition, its handle (nil when not placed).
-- M.of_entity(h) → the npc{} definition whose NPC is h, or nil.
-- M.in_range(p, h) → whether p stands within M.RANGE of the NPC.
-- M.start(p, def) → the `dialogue` event table (also sent to p), or nil when
--   the NPC has no dialogue.
-- M.choose(p, npc_id, choice) → the next `dialogue` event (sent too), or
--   { npc, ended = true }; nil, code, message when refused (codes:
--   no_dialogue, bad_choice, out_of_range). A raising action raises.
local chaos = require("chaos")
local defs = require("content.defs")

local M = {}

M.RANGE = 6

local set = require("engine.placed").new("npc", "engine.npcs")
local talking = chaos.state("engine.dialogue", function() return {} end)

M.place = set.place
chaos.after(0, M.place)

M.get = set.get
M.of_entity = set.of

function M.in_range(p, h)
  if not h or not h.exists or h.zone ~= p.zone then return false end
  local dx, dy = h.x - p.x, h.y - p.y
  return dx * dx + dy * dy <= M.RANGE * M.RANGE
end

local function event(n, node_name)
  local node = n.dialogue[node_name]
  local choices = {}
  for i, c in ipairs(node.choices or {}) do choices[i] = c.text end
  return { ev = "dialogue", npc = n.id, name = n.name, node = node_name, text = node.text, choices = choices }
end

local function show(p, n, node_name)
  local key = tostring(p.id)
  if not (n.dialogue and type(n.dialogue[node_name]) == "table") then
    talking[key] = nil
    local out = { ev = "dialogue", npc = n.id, name = n.name, ended = true }
    p:send(out)
    return out
  end
  talking[key] = { npc = n.id, node = node_name }
  local out = event(n, node_name)
  p:send(out)
  return out
end

function M.start(p, n)
  if not n.dialogue then return nil end
  return show(p, n, "start")
end

-- Where p stands: { npc, node } or nil.
function M.current(p)
  return talking[tostring(p.id)]
end

function M.forget(p)
  talking[tostring(p.id)] = nil
end

function M.choose(p, npc_id, choice)
  local cur = talking[tostring(p.id)]
  if not cur or cur.npc ~= npc_id then return nil, "no_dialogue", "you are not talking with that npc" end
  local n, h = M.get(npc_id)
  local node = n and n.dialogue and n.dialogue[cur.node]
  if type(node) ~= "table" then
    M.forget(p)
    return nil, "no_dialogue", "that dialogue has ended"
  end
  if not M.in_range(p, h) then return nil, "out_of_range", "stand within " .. M.RANGE .. " units of the npc" end
  local c = (node.choices or {})[choice]
  if not c then return nil, "bad_choice", "that choice is not offered" end
  local nxt = c["goto"]
  if c.action then
    nxt = c.action(p, n)
    if nxt ~= nil and type(nxt) ~= "string" then
      error("npc '" .. n.id .. "': a dialogue action must return a node name or nil", 0)
    end
  end
  return show(p, n, nxt)
end

return M

-- Definitions that stand in the world as NPCs (vendor{}, npc{}): one NPC of
-- the definition's name at its zone/x/y, placed when the generation goes
-- live. The handles live in chaos.state(state_name), so a reload keeps the
-- NPCs it still defines at the same place (no duplicates), moves or renames
-- the changed ones and despawns the ones it no longer defines.
--
--   local set = require("engine.placed").new("vendor", "engine.vendors")
--   set.place()      puts the world in line with the definitions
--   set.get(id)      → definition, its NPC handle (nil when not placed)
--   set.of(h)        → the definition whose NPC is the handle h, or nil
local chaos = require("chaos")
local defs = require("content.defs")

local M = {}

local function same_place(rec, d)
  return rec.zone == d.zone and rec.x == d.x and rec.y == d.y and rec.name == d.name
end

function M.new(kind, state_name)
  local placed = chaos.state(state_name, function() return {} end)
  local set = {}

  function set.place()
    for id, rec in pairs(placed) do
      local d = defs.get(kind, id)
      if not d or not same_place(rec, d) then
        if rec.npc and rec.npc.exists then chaos.world.despawn(rec.npc) end
        placed[id] = nil
      end
    end
    for _, id in ipairs(defs.ids(kind)) do
      local d = defs.get(kind, id)
      local rec = placed[id]
      if not (rec and rec.npc and rec.npc.exists) then
        local ok, h = pcall(chaos.world.spawn, { npc = d.name, zone = d.zone, x = d.x, y = d.y })
        if ok then
          placed[id] = { npc = h, zone = d.zone, x = d.x, y = d.y, name = d.name }
        else
          chaos.log("warn", kind .. " not placed", { id = id, error = tostring(h) })
        end
      end
    end
  end

  function set.get(id)
    local d = type(id) == "string" and defs.get(kind, id) or nil
    if not d then return nil end
    local rec = placed[id]
    return d, rec and rec.npc and rec.npc.exists and rec.npc or nil
  end

  function set.of(h)
    for id, rec in pairs(placed) do
      if rec.npc == h then return defs.get(kind, id) end
    end
    return nil
  end

  return set
end

return M

-- dungeon.instance: live dungeon instances (engine module). A zone{} portal
-- with `dungeon = id` (scripts/content/defs.lua) leads into a private copy
-- of that dungeon{} for the party of whoever walks in (engine.party
-- M.members), or the player alone:
--   * the first member to enter creates it: zone "dng:<template>:<n>" from
--     dungeon.generate(template, seed) with a seed from chaos.random, added
--     through private.add_zone; its monsters and boss spawned through the
--     battle (no respawn), its chests placed as NPCs "Chest";
--   * later members of the same party join the instance one of their party
--     stands in (a member who left it, or left the party, no longer holds it
--     for them); another party (or a lone player) gets its own. Whoever
--     leaves an instance and walks in again alone gets a fresh one;
--   * the pull: when the party leader enters, the other online members
--     standing in the zone the leader left, alive and within
--     rules.dungeon_pull_radius units of the leader (0 = off), are moved in
--     with them;
--   * a chest gives its item once per player (interact, one chaos.txn);
--   * once no player is in it for rules.dungeon_linger seconds (checked each
--     tick) it is torn down: monsters and chests despawned, zone removed.
-- State lives in chaos.state("dungeon.instances"): the instances outlive a
-- reload of the Lua code, and a content reload keeps their zones (the C
-- world keeps runtime zones at their indices, players in them).
--
-- M.enter(p, template) → instance record, {handles of the members pulled in
--   with p} (raises on an unknown template).
-- M.leave(p) → true when p was in an instance (back to the spawn of the zone
--   it entered from, or the start zone's).
-- M.get(zone_id) / M.of(p) → instance record or nil.
-- M.list() → sorted instance ids.
-- M.check_portals(p): enters the dungeon of the portal p stands in, if any.
-- M.tick(now): lingering and teardown. M.loot(p, chest_handle) → item id, or
--   nil, code ("not_a_chest", "looted").
local chaos = require("chaos")
local defs = require("content.defs")
local rules = require("rules")
local dungeon = require("dungeon")
local party = require("engine.party")

local private = debug.getregistry()["chaos.private"]

local M = {}

M.CHEST_NAME = "Chest"
M.VIEW = 50

local S = chaos.state("dungeon.instances", function()
  return { n = 0, list = {}, of = {} }
end)
-- S.list[zone_id] = { id, template, seed, spawn = {x, y}, monsters = {handles},
--   chests = { [entity id] = { npc, item, looted = {[char_id] = true} } },
--   players = {[char_id] = true} (ever entered), from = {[char_id] = {zone, x, y}},
--   empty_since = seconds or nil }
-- S.of[char_id] = zone id of the instance that player belongs to

local function linger()
  return tonumber(rules.dungeon_linger) or 60
end

function M.get(id)
  return S.list[id]
end

function M.of(p)
  local id = S.of[p.id]
  return id and S.list[id] or nil
end

function M.list()
  local out = {}
  for id in pairs(S.list) do out[#out + 1] = id end
  table.sort(out)
  return out
end

local function pull_radius()
  return tonumber(rules.dungeon_pull_radius) or 0
end

-- A live instance of `template` one of p's party stands in, or nil.
local function party_instance(p, template)
  for _, h in ipairs(party.members(p)) do
    local inst = M.of(h)
    if h ~= p and inst and inst.template == template and h.zone == inst.id then return inst end
  end
  return nil
end

local function create(template)
  local seed = chaos.random(0, 2 ^ 31 - 1)
  local map = dungeon.generate(template, seed)
  S.n = S.n + 1
  local id = "dng:" .. template .. ":" .. S.n
  local d = defs.get("dungeon", template)
  private.add_zone{ id = id, name = d.name, width = map.width, height = map.height, view = M.VIEW,
                    spawn = { x = map.spawn.x, y = map.spawn.y }, blocked = map.blocked }
  local inst = { id = id, template = template, seed = seed, spawn = { x = map.spawn.x, y = map.spawn.y },
                 monsters = {}, chests = {}, players = {}, from = {} }
  S.list[id] = inst
  local function spawn_monster(m)
    local ok, h = pcall(chaos.world.spawn, { monster = m.monster, zone = id, x = m.x, y = m.y })
    if ok then
      inst.monsters[#inst.monsters + 1] = h
    else
      chaos.log("warn", "dungeon monster not placed", { zone = id, monster = m.monster, error = tostring(h) })
    end
  end
  for _, m in ipairs(map.monsters) do spawn_monster(m) end
  spawn_monster(map.boss)
  inst.boss = inst.monsters[#inst.monsters]
  for _, c in ipairs(map.chests) do
    local ok, h = pcall(chaos.world.spawn, { npc = M.CHEST_NAME, zone = id, x = c.x, y = c.y })
    if ok then inst.chests[h.id] = { npc = h, item = c.item, looted = {} } end
  end
  chaos.log("info", "dungeon instance created", { zone = id, template = template, seed = seed })
  return inst
end

local function put(p, inst)
  if p.zone ~= inst.id then
    inst.from[p.id] = { zone = p.zone }
    chaos.world.teleport(p, inst.id, inst.spawn.x, inst.spawn.y)
  end
  inst.players[p.id] = true
  S.of[p.id] = inst.id
  inst.empty_since = nil
end

-- The members the leader p pulls in from (zone, x, y): online, alive, in that
-- zone and in no instance, within the radius.
local function to_pull(p, zone, x, y)
  local r, out = pull_radius(), {}
  local pt = party.of(p)
  if r <= 0 or not pt or pt.leader ~= p.id then return out end
  for _, h in ipairs(party.members(p)) do
    if h ~= p and h.exists and not h.dead and h.zone == zone and not S.list[h.zone]
       and (h.x - x) ^ 2 + (h.y - y) ^ 2 <= r * r then
      out[#out + 1] = h
    end
  end
  return out
end

function M.enter(p, template)
  if not defs.get("dungeon", template) then error("unknown dungeon template '" .. tostring(template) .. "'", 0) end
  local inst = party_instance(p, template) or create(template)
  local pull = p.zone ~= inst.id and to_pull(p, p.zone, p.x, p.y) or {}
  put(p, inst)
  local pulled = {}
  for _, h in ipairs(pull) do
    local ok, err = pcall(put, h, inst)
    if ok then
      pulled[#pulled + 1] = h
    else
      chaos.log("warn", "dungeon pull failed", { zone = inst.id, character = h.id, error = tostring(err) })
    end
  end
  if #pulled > 0 then
    chaos.log("info", "dungeon pull", { zone = inst.id, leader = p.id, pulled = #pulled })
  end
  return inst, pulled
end

function M.leave(p)
  local inst = S.list[p.zone]
  if not inst then return false end
  local from = inst.from[p.id]
  local z = from and defs.get("zone", from.zone)
  if not z then
    for _, zid in ipairs(defs.ids("zone")) do
      local c = defs.get("zone", zid)
      if c.start or not z then z = c end
    end
  end
  chaos.world.teleport(p, z.id, z.spawn.x, z.spawn.y)
  S.of[p.id] = nil
  inst.from[p.id] = nil
  return true
end

function M.check_portals(p)
  if not p.exists or S.list[p.zone] then return false end
  local z = defs.get("zone", p.zone)
  for _, po in ipairs(z and z.portals or {}) do
    if po.dungeon then
      local dx, dy = p.x - po.x, p.y - po.y
      if dx * dx + dy * dy <= po.radius * po.radius then
        M.enter(p, po.dungeon)
        return true
      end
    end
  end
  return false
end

local function teardown(inst)
  for _, h in ipairs(inst.monsters) do
    if h.exists then chaos.world.despawn(h) end
  end
  for _, c in pairs(inst.chests) do
    if c.npc.exists then chaos.world.despawn(c.npc) end
  end
  pcall(private.remove_zone, inst.id)
  for cid, zid in pairs(S.of) do
    if zid == inst.id then S.of[cid] = nil end
  end
  S.list[inst.id] = nil
  chaos.log("info", "dungeon instance removed", { zone = inst.id })
end

function M.tick(now)
  now = now or chaos.now()
  for _, id in ipairs(M.list()) do
    local inst = S.list[id]
    if #chaos.world.players(id) > 0 then
      inst.empty_since = nil
    elseif not inst.empty_since then
      inst.empty_since = now
    elseif now - inst.empty_since >= linger() then
      teardown(inst)
    end
  end
end

function M.loot(p, h)
  local inst = S.list[p.zone]
  local c = inst and h and inst.chests[h.id]
  if not c then return nil, "not_a_chest" end
  if c.looted[p.id] then return nil, "looted" end
  chaos.txn(p, "dungeon:" .. inst.template .. ":chest", function(t) t:add_item(c.item, 1) end)
  c.looted[p.id] = true
  return c.item
end

return M

-- Quests of quest{} (scripts/content/quest_defs.lua): the log, accepting,
-- progress and turning in. The ops and hooks: scripts/ops/quests.lua.
--
-- Progress lives in player:data("quests") (chaos.data_version "quests" 1):
--   active = { [quest] = { v = quest version, c = { per-step count } } }
--   done   = { [quest] = { n = times turned in, day = UTC day of the last } }
-- An active entry of an older quest version is migrated on first use by the
-- quest's migrate(old_counts, old_version) (nil: the quest is dropped from
-- the log); a quest without migrate starts its steps over. An entry newer
-- than the content is left alone and does not progress.
-- Steps are done in any order. kill/use count events, talk and reach are
-- done once seen; collect counts the inventory (at turn-in the items are
-- taken in the turn-in's transaction); custom asks check(player, quest).
--
-- Codes (M.accept, M.abandon, M.turn_in): not_found, active, not_active,
-- already_done, daily_done, requires_level, requires_realm, requires_quest,
-- out_of_range (the giver is not near), not_complete, stale (newer data).
local chaos = require("chaos")
local defs = require("content.defs")
local npcs = require("engine.npcs")

local M = {}

M.NS = "quests"

chaos.data_version(M.NS, 1, function(old) return old end)

local function day()
  return math.floor(chaos.time() / 86400)
end

local function fresh(q)
  local c = {}
  for i = 1, #q.steps do c[i] = 0 end
  return c
end

-- The up-to-date active entry of quest q in data d, or nil (with "stale"
-- when it is newer than the content).
local function entry(d, q)
  local e = d.active and d.active[q.id]
  if type(e) ~= "table" then return nil end
  local v = tonumber(e.v) or 1
  if v > q.version then return nil, "stale" end
  if v < q.version then
    local c = fresh(q)
    if q.migrate then
      local m = q.migrate(e.c or {}, v)
      if m == nil then
        d.active[q.id] = nil
        return nil
      end
      for i = 1, #q.steps do c[i] = tonumber(m[i]) or 0 end
    end
    e = { v = q.version, c = c }
    d.active[q.id] = e
  end
  if type(e.c) ~= "table" then e.c = fresh(q) end
  return e
end

function M.inventory_count(p, template)
  local n = 0
  for _, it in ipairs(p:items()) do
    if it.template == template and it.place:sub(1, 3) ~= "eq:" then n = n + it.stack end
  end
  return n
end

-- { {kind, need, count, done, …}, … } of quest q for p with entry e.
function M.steps(p, q, e)
  local out = {}
  for i, s in ipairs(q.steps) do
    local need = s.count or 1
    local count = tonumber(e.c[i]) or 0
    if s.kind == "collect" then
      count = math.min(need, M.inventory_count(p, s.item))
    elseif s.kind == "custom" then
      count = s.check(p, q) and 1 or 0
    end
    out[i] = { kind = s.kind, need = need, count = math.min(count, need), done = count >= need,
               monster = s.monster, item = s.item, npc = s.npc, zone = s.zone, x = s.x, y = s.y,
               radius = s.radius, text = s.text }
  end
  return out
end

local function complete(steps)
  for _, s in ipairs(steps) do
    if not s.done then return false end
  end
  return true
end

-- The quest log: { active = { {quest, name, version, steps, ready}, … },
-- done = { {quest, times}, … } } (sorted by id).
function M.log(p)
  local d = p:data(M.NS)
  local active, done = {}, {}
  for _, id in ipairs(defs.ids("quest")) do
    local q = defs.get("quest", id)
    local e, why = entry(d, q)
    if e then
      local st = M.steps(p, q, e)
      active[#active + 1] = { quest = id, name = q.name, version = q.version, steps = st, ready = complete(st) }
    elseif why == "stale" then
      active[#active + 1] = { quest = id, name = q.name, stale = true }
    end
    local r = d.done and d.done[id]
    if type(r) == "table" then done[#done + 1] = { quest = id, times = tonumber(r.n) or 1 } end
  end
  return { active = active, done = done }
end

local function realm_rank(p, realm_id)
  local prog = require("rules.progression")
  local _, mine = prog.realm_of(p)
  for i, r in ipairs(defs.realms()) do
    if r.id == realm_id then return mine, i end
  end
  return mine, math.huge
end

-- nil when p may accept q now, else code, message.
function M.refusal(p, q)
  local d = p:data(M.NS)
  if d.active and d.active[q.id] then return "active", "the quest is already in your log" end
  local r = d.done and d.done[q.id]
  if type(r) == "table" then
    if q.daily then
      if (tonumber(r.day) or -1) >= day() then return "daily_done", "come back tomorrow" end
    elseif not q.repeatable then
      return "already_done", "you have done that quest"
    end
  end
  local req = q.requires or {}
  if req.level and p.level < req.level then return "requires_level", "reach level " .. req.level .. " first" end
  if req.realm then
    local mine, need = realm_rank(p, req.realm)
    if mine < need then return "requires_realm", "reach the realm '" .. req.realm .. "' first" end
  end
  for _, o in ipairs(req.quests or {}) do
    if not (d.done and type(d.done[o]) == "table") then return "requires_quest", "finish quest '" .. o .. "' first" end
  end
  return nil
end

local function giver_near(p, q)
  if not q.giver then return true end
  local _, h = npcs.get(q.giver)
  return npcs.in_range(p, h)
end

function M.accept(p, id)
  local q = type(id) == "string" and defs.get("quest", id) or nil
  if not q then return nil, "not_found", "no such quest" end
  local code, msg = M.refusal(p, q)
  if code then return nil, code, msg end
  if not giver_near(p, q) then return nil, "out_of_range", "stand near the quest's giver" end
  local d = p:data(M.NS)
  d.active = d.active or {}
  d.active[id] = { v = q.version, c = fresh(q) }
  local st = M.steps(p, q, d.active[id])
  return { quest = id, name = q.name, steps = st, ready = complete(st) }
end

function M.abandon(p, id)
  local d = p:data(M.NS)
  if type(id) ~= "string" or not (d.active and d.active[id]) then return nil, "not_active", "that quest is not in your log" end
  d.active[id] = nil
  return { quest = id, abandoned = true }
end

-- Advances every active step of `kind` that match(step) accepts by `n`
-- (talk and reach: to done) and tells the player quest_progress.
function M.bump(p, kind, match, n)
  local d = p:data(M.NS)
  if not d.active then return end
  for _, id in ipairs(defs.ids("quest")) do
    local q = defs.get("quest", id)
    if d.active[id] then
      local e = entry(d, q)
      if e then
        for i, s in ipairs(q.steps) do
          local need = s.count or 1
          local have = tonumber(e.c[i]) or 0
          if s.kind == kind and have < need and match(s) then
            e.c[i] = math.min(need, have + (n or 1))
            p:send{ ev = "quest_progress", quest = id, step = i, kind = kind, count = e.c[i], need = need,
                    done = e.c[i] >= need }
          end
        end
      end
    end
  end
end

-- Whether p has an active step of `kind` (cheap filter for the tick).
function M.has_kind(p, kind)
  local d = p:data(M.NS)
  for id in pairs(d.active or {}) do
    local q = defs.get("quest", id)
    for _, s in ipairs(q and q.steps or {}) do
      if s.kind == kind then return true end
    end
  end
  return false
end

-- Takes `need` of template from p's unequipped stacks in transaction t.
local function take(p, t, template, need)
  for _, it in ipairs(p:items()) do
    if need <= 0 then return end
    if it.template == template and it.place:sub(1, 3) ~= "eq:" then
      local k = math.min(need, it.stack)
      t:remove_item(it.uid, k)
      need = need - k
    end
  end
  if need > 0 then chaos.fail("not_complete", "not enough " .. template) end
end

-- Rewards, collected items and the quest marked done: one chaos.txn.
function M.turn_in(p, id)
  local q = type(id) == "string" and defs.get("quest", id) or nil
  if not q then return nil, "not_found", "no such quest" end
  local d = p:data(M.NS)
  local e, why = entry(d, q)
  if why == "stale" then return nil, "stale", "this quest's progress is newer than the game" end
  if not e then return nil, "not_active", "that quest is not in your log" end
  if not complete(M.steps(p, q, e)) then return nil, "not_complete", "the quest is not complete" end
  if not giver_near(p, q) then return nil, "out_of_range", "stand near the quest's giver" end
  local w = q.rewards or {}
  local token = chaos.txn(p, "quest:" .. id, function(t)
    for _, s in ipairs(q.steps) do
      if s.kind == "collect" then take(p, t, s.item, s.count or 1) end
    end
    if w.exp and w.exp > 0 then t:add_exp(w.exp) end
    if w.gold and w.gold > 0 then t:add_gold(w.gold) end
    for _, it in ipairs(w.items or {}) do t:add_item(it.item, it.count or 1) end
    local td = t:data(M.NS)
    td.active = td.active or {}
    td.active[id] = nil
    td.done = td.done or {}
    local prev = type(td.done[id]) == "table" and tonumber(td.done[id].n) or 0
    td.done[id] = { n = prev + 1, day = day() }
  end)
  -- Told once the turn-in is durable (the op's answer waits for it too).
  chaos.after_commit(token, function(ok)
    if ok and p.exists then
      p:send{ ev = "quest_done", quest = id, name = q.name, exp = w.exp, gold = w.gold, items = w.items }
    end
  end)
  return { quest = id, done = true, exp = w.exp or 0, gold = w.gold or 0, items = w.items or {} }
end

return M

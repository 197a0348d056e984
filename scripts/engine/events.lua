-- World events: runs every world_event{} (scripts/content/event_defs.lua).
--
--   chaos.events.start(id)  → true; starts it now for its full duration
--                             (raises when unknown or already running)
--   chaos.events.stop(id)   → true when it was running (ends it now)
--   chaos.events.list()     → { {id, name, running, started, ends, next}, … } by id
--   chaos.events.running(id)→ the running record's {started, ends} or nil
--
-- Phases, checked once a second against the wall clock (UTC seconds):
--   announce  `announce.before` seconds ahead of a scheduled start: an
--             `announce` event {text, event, phase = "announce", starts}
--             to every player
--   start     `announce` {text = start_text, phase = "start", ends}; the
--             buffs (stat source "event:<id>", until removed) on every player
--             in scope (the zone, or everyone) and on each who enters it
--             later; the caps (EVENT layer) when the game offers them;
--             waves and the boss spawn at their `at` seconds after the start
--   end       at started + duration or on stop: buffs removed from everyone
--             in scope (and from a player who leaves the zone), caps removed,
--             spawned monsters despawned, `announce` {phase = "end"}
--
-- The schedule is a pure function of the wall clock: the slot in force is
-- the latest start <= now; it runs while now < slot + duration. So after a
-- reload (chaos.state keeps the records) and after a restart (the records
-- are gone, the schedule is not) a scheduled event resumes with its
-- remaining time and an expired one is simply over. What an operator does
-- by hand (the console `event start|stop ID`, core/app/admin_events.c) is
-- kept in the database (table world_events: id, started_at, stopped_early);
-- at start-up M.restore resumes such a run with its remaining time (its
-- buffs come back on every player in scope) and keeps a run stopped early
-- stopped for the rest of its window. A start from Lua alone
-- (chaos.events.start) lives in chaos.state only: a restart ends it.
local chaos = require("chaos")
local defs = require("content.defs")
local parse_time = require("content.event_defs").parse_time

local M = {}

local st = chaos.state("engine.events", function()
  return { running = {}, handled = {}, announced = {} }
end)

-- Wall clock: chaos.time(), moved with the host clock so chaos.clock.advance
-- and sim.advance move it in tests. M.set_wall(t) pins "now" (tests).
local wall_base = chaos.time() - chaos.now()
function M.set_wall(t) wall_base = t - chaos.now() end
function M.wall() return wall_base + chaos.now() end

local function source(id) return "event:" .. id end

-- Latest scheduled start <= t, and the next one > t (nil, nil: by hand only).
function M.slots(def, t)
  if def.every then
    local p = def.every * 60
    local prev = math.floor(t / p) * p
    return prev, prev + p
  end
  if def.at then
    local day = math.floor(t / 86400) * 86400
    local prev, nxt
    for d = -1, 1 do
      for _, s in ipairs(def.at) do
        local v = day + d * 86400 + parse_time(s)
        if v <= t and (not prev or v > prev) then prev = v end
        if v > t and (not nxt or v < nxt) then nxt = v end
      end
    end
    return prev, nxt
  end
  return nil, nil
end


local function tell_all(msg) chaos.world.broadcast(msg) end

local function buff(def, p)
  local b = def.modifiers and def.modifiers.buffs
  if not b then return end
  local ok, err = pcall(chaos.world.buff, p, { source = source(def.id), stats = b.stats })
  if not ok then chaos.log("warn", "event buff failed", { event = def.id, error = tostring(err) }) end
end

local function unbuff(def, p)
  if not (def.modifiers and def.modifiers.buffs) then return end
  pcall(chaos.world.unbuff, p, source(def.id))
end

local function caps(def, on)
  local c = def.modifiers and def.modifiers.caps
  local f = chaos.world.event_caps
  if not c or not f then return end
  local ok, err = pcall(f, source(def.id), on and c or nil)
  if not ok then chaos.log("warn", "event caps failed", { event = def.id, error = tostring(err) }) end
end

local function spawn_around(def, rec, monster, n, x, y, radius)
  for _ = 1, n do
    local h
    for _ = 1, 8 do
      local a, r = chaos.random() * 2 * math.pi, (radius or 0) * math.sqrt(chaos.random())
      local ok, got = pcall(chaos.world.spawn, { monster = monster, zone = def.zone,
        x = x + r * math.cos(a), y = y + r * math.sin(a) })
      if ok then h = got break end
    end
    if not h then
      local ok, got = pcall(chaos.world.spawn, { monster = monster, zone = def.zone, x = x, y = y })
      if ok then h = got else chaos.log("warn", "event spawn failed", { event = def.id, error = tostring(got) }) end
    end
    if h then rec.spawned[#rec.spawned + 1] = h end
  end
end

local function boss_point(def)
  local b = def.boss
  if b.x then return b.x, b.y end
  local w = def.waves and def.waves[#def.waves]
  if w then return w.x, w.y end
  local z = defs.get("zone", def.zone)
  return z.spawn.x, z.spawn.y
end

-- Spawns the waves and boss that fell due.
local function progress(def, rec, now)
  local since = now - rec.started
  for i, w in ipairs(def.waves or {}) do
    if not rec.waves[i] and since >= w.at then
      rec.waves[i] = true
      spawn_around(def, rec, w.monster, w.count, w.x, w.y, w.radius)
    end
  end
  if def.boss and not rec.boss and since >= def.boss.at then
    rec.boss = true
    local x, y = boss_point(def)
    spawn_around(def, rec, def.boss.monster, 1, x, y, 0)
  end
end

local function begin(def, started, now)
  local rec = { started = started, ends = started + def.duration, waves = {}, boss = false, spawned = {} }
  st.running[def.id] = rec
  caps(def, true)
  for _, p in ipairs(chaos.world.players(def.zone)) do buff(def, p) end
  tell_all{ ev = "announce", event = def.id, phase = "start", text = def.start_text or (def.name .. " has begun"),
    ends = rec.ends }
  chaos.log("info", "world event started", { event = def.id, ends = rec.ends })
  progress(def, rec, now)
end

local function finish(id, def)
  local rec = st.running[id]
  st.running[id] = nil
  if not rec then return false end
  for _, h in ipairs(rec.spawned) do
    if h.exists then pcall(chaos.world.despawn, h) end
  end
  if def then
    for _, p in ipairs(chaos.world.players(def.zone)) do unbuff(def, p) end
    caps(def, false)
    tell_all{ ev = "announce", event = id, phase = "end", text = def.end_text or (def.name .. " has ended") }
  end
  chaos.log("info", "world event ended", { event = id })
  return true
end

-- One pass: ends, starts, announcements, waves. Public for tests.
function M.step()
  local now = M.wall()
  for id in pairs(st.running) do
    local def = defs.get("world_event", id)
    if not def then finish(id, nil) end -- its definition was removed by a reload
  end
  for _, id in ipairs(defs.ids("world_event")) do
    local def = defs.get("world_event", id)
    local rec = st.running[id]
    if rec and now >= rec.ends then
      finish(id, def)
      rec = nil
    end
    local prev, nxt = M.slots(def, now)
    if not rec and prev and prev ~= st.handled[id] then
      st.handled[id] = prev
      if now < prev + def.duration then begin(def, prev, now) end
    elseif rec then
      progress(def, rec, now)
    end
    if def.announce and nxt and nxt - now <= def.announce.before and st.announced[id] ~= nxt then
      st.announced[id] = nxt
      tell_all{ ev = "announce", event = id, phase = "announce", text = def.announce.text, starts = nxt }
    end
  end
end

function M.start(id)
  local def = type(id) == "string" and defs.get("world_event", id) or nil
  if not def then error("chaos.events.start: unknown world_event '" .. tostring(id) .. "'", 2) end
  if st.running[id] then error("chaos.events.start: '" .. id .. "' is already running", 2) end
  local now = M.wall()
  begin(def, now, now)
  return true
end

function M.stop(id)
  if type(id) ~= "string" then error("chaos.events.stop: id must be a string", 2) end
  return finish(id, defs.get("world_event", id))
end

-- Console entry points (core/app/admin_events.c through cw_host_call_module):
-- every argument a string, the answer a JSON object's fields as a string.
local cjson = require("cjson")

local function fields(id, started, ends)
  return string.format('"event":%s,"started":%d,"ends":%d', cjson.encode(id), math.floor(started),
    math.floor(ends))
end

function M.admin_start(id)
  if not defs.get("world_event", id) then chaos.fail("not_found", "no world_event '" .. id .. "'") end
  if st.running[id] then chaos.fail("busy", "'" .. id .. "' is already running") end
  M.start(id)
  local rec = st.running[id]
  return fields(id, rec.started, rec.ends)
end

function M.admin_stop(id)
  local rec = st.running[id]
  if not rec then chaos.fail("not_running", "'" .. id .. "' is not running") end
  M.stop(id)
  return fields(id, rec.started, rec.ends)
end

function M.admin_list()
  local out = {}
  for _, e in ipairs(M.list()) do
    out[#out + 1] = string.format('{"id":%s,"name":%s,"running":%s,"started":%s,"ends":%s,"next":%s}',
      cjson.encode(e.id), cjson.encode(e.name), tostring(e.running),
      e.started and string.format("%d", math.floor(e.started)) or "null",
      e.ends and string.format("%d", math.floor(e.ends)) or "null",
      e.next and string.format("%d", math.floor(e.next)) or "null")
  end
  return '"events":[' .. table.concat(out, ",") .. "]"
end

-- Start-up: one stored hand action (id, started_at, stopped_early "0"/"1").
-- A run with time left resumes (a second start is not announced again as
-- new: its `start` announce carries the same ends); one stopped early stays
-- stopped for its window. → "resumed", "stopped", "expired", "running" or
-- "unknown" (its definition is gone).
function M.restore(id, started_at, stopped)
  local def = defs.get("world_event", id)
  local started = tonumber(started_at)
  if not def or not started then return "unknown" end
  local now = M.wall()
  local rec = st.running[id]
  if stopped == "1" then
    local prev = M.slots(def, now)
    if prev == started then st.handled[id] = prev end
    if rec and math.floor(rec.started) == started then finish(id, def) end
    return "stopped"
  end
  if now >= started + def.duration then return "expired" end
  if rec then return "running" end
  begin(def, started, now)
  return "resumed"
end

function M.running(id)
  local rec = st.running[id]
  return rec and { started = rec.started, ends = rec.ends } or nil
end

function M.list()
  local now, out = M.wall(), {}
  for _, id in ipairs(defs.ids("world_event")) do
    local def, rec = defs.get("world_event", id), st.running[id]
    local _, nxt = M.slots(def, now)
    out[#out + 1] = { id = id, name = def.name, running = rec ~= nil, started = rec and rec.started,
      ends = rec and rec.ends, next = nxt }
  end
  return out
end

-- Players entering or leaving the scope of a running event.
chaos.on("enter_zone", function(ev)
  if not ev.player then return end
  for id in pairs(st.running) do
    local def = defs.get("world_event", id)
    if def and (def.zone == nil or def.zone == ev.zone) then buff(def, ev.player) end
  end
end)

chaos.on("leave_zone", function(ev)
  if not ev.player then return end
  for id in pairs(st.running) do
    local def = defs.get("world_event", id)
    if def and def.zone == ev.zone then unbuff(def, ev.player) end
  end
end)

chaos.every(1, M.step)

chaos.events = M
return M

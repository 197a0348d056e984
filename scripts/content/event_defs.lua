-- The world event vocabulary: world_event{}. Installed into content.defs
-- (defs.world_event); the engine runs them (scripts/engine/events.lua).
--
--   world_event{ id, name,
--     every = minutes | at = { "HH:MM", … },   -- UTC wall clock; neither: started by hand only
--     duration = seconds,
--     zone = id?,                                -- nil: world-wide
--     announce = { before = s, text = "…" }?,    -- sent `before` seconds ahead of a scheduled start
--     start_text = "…"?, end_text = "…"?,
--     waves = { { at = s, monster = id, count = n, x =, y =, radius = r? }, … }?,
--     boss = { monster = id, at = s, x =?, y = ? }?,
--     modifiers = { caps = { stat = max }?, buffs = { stats = { stat = n } }? }? }
--
--   every     whole minutes in [1, 10080]; starts at every multiple of it since
--             the Unix epoch (every = 60: on the hour)
--   at        a list of 1..48 "HH:MM" times of day (UTC)
--   duration  whole seconds in [1, 604800]; a scheduled event must end before
--             its next start
--   waves and boss need `zone`; their `at` is seconds after the start, before
--   the end; count whole in [1, 100]; radius >= 0 (default 0)
--   boss x, y default to the last wave's, else the zone's spawn point
--
-- Shape errors are raised at the call as "file:line: message"; zones,
-- monsters and points are checked once every content file has loaded.
local M = {}

local ID = "^[a-z][a-z0-9_]*$"
local check = require("content.check")
local finite, int_in, is_id, is_list = check.finite, check.int_in, check.is_id, check.is_list
local MAX_ID = 54 -- the stat source "event:<id>" must fit 60 bytes
local MAX_WAVES = 32
local MAX_AT = 48

local sites = {} -- event id -> "file:line"

local function only(t, allowed, bad, at)
  for k in pairs(t) do
    if not allowed[k] then bad(at .. "unknown field '" .. tostring(k) .. "'") end
  end
end

local function stat_table(t, bad, at)
  if type(t) ~= "table" or next(t) == nil then bad(at .. " must be a non-empty table of stat = number") end
  for k, v in pairs(t) do
    if not is_id(k) or not finite(v) then bad(at .. " must be a non-empty table of stat = number") end
  end
end

-- "HH:MM" -> seconds after midnight, or nil.
function M.parse_time(s)
  if type(s) ~= "string" then return nil end
  local h, m = s:match("^(%d%d):(%d%d)$")
  h, m = tonumber(h), tonumber(m)
  if not h or h > 23 or m > 59 then return nil end
  return h * 3600 + m * 60
end

local TOP = { id = true, name = true, every = true, at = true, duration = true, zone = true, announce = true,
  start_text = true, end_text = true, waves = true, boss = true, modifiers = true }
local WAVE = { at = true, monster = true, count = true, x = true, y = true, radius = true }

local function check_event(where, def)
  local function bad(msg) error(where .. ": world_event '" .. tostring(def.id) .. "': " .. msg, 0) end
  if #def.id > MAX_ID then bad("id must be at most " .. MAX_ID .. " characters") end
  only(def, TOP, bad, "")
  if not int_in(def.duration, 1, 604800) then bad("duration must be whole seconds in [1, 604800]") end
  if def.every ~= nil and def.at ~= nil then bad("give every or at, not both") end
  if def.every ~= nil then
    if not int_in(def.every, 1, 10080) then bad("every must be whole minutes in [1, 10080]") end
    if def.duration >= def.every * 60 then bad("duration must be shorter than every") end
  end
  if def.at ~= nil then
    if not is_list(def.at, MAX_AT) or #def.at == 0 then bad("at must be a list of 1 to " .. MAX_AT .. " \"HH:MM\"") end
    local times = {}
    for i, s in ipairs(def.at) do
      local t = M.parse_time(s)
      if not t then bad("at[" .. i .. "] must be \"HH:MM\" (UTC), got " .. tostring(s)) end
      times[#times + 1] = t
    end
    table.sort(times)
    for i = 1, #times do
      local gap = (times[i + 1] or times[1] + 86400) - times[i]
      if gap <= def.duration then bad("duration must be shorter than the gap between two at times") end
    end
  end
  if def.zone ~= nil and not is_id(def.zone) then bad("zone must be a zone id or nil (world-wide)") end
  for _, f in ipairs({ "start_text", "end_text" }) do
    if def[f] ~= nil and (type(def[f]) ~= "string" or #def[f] > 500) then bad(f .. " must be a string of at most 500 bytes") end
  end
  local a = def.announce
  if a ~= nil then
    if type(a) ~= "table" then bad("announce must be { before = s, text = \"…\" }") end
    only(a, { before = true, text = true }, bad, "announce: ")
    if not int_in(a.before, 1, 86400) then bad("announce.before must be whole seconds in [1, 86400]") end
    if type(a.text) ~= "string" or a.text == "" or #a.text > 500 then bad("announce.text must be a string of 1 to 500 bytes") end
  end
  if (def.waves ~= nil or def.boss ~= nil) and def.zone == nil then bad("waves and boss need a zone") end
  if def.waves ~= nil then
    if not is_list(def.waves, MAX_WAVES) then bad("waves must be a list of at most " .. MAX_WAVES .. " { at =, monster =, count =, x =, y =, radius =? }") end
    for i, w in ipairs(def.waves) do
      local at = "waves[" .. i .. "]"
      if type(w) ~= "table" then bad(at .. " must be { at =, monster =, count =, x =, y =, radius =? }") end
      only(w, WAVE, bad, at .. ": ")
      if not int_in(w.at, 0, def.duration - 1) then bad(at .. ".at must be whole seconds in [0, duration)") end
      if not is_id(w.monster) then bad(at .. ".monster must be a monster id") end
      if not int_in(w.count, 1, 100) then bad(at .. ".count must be a whole number in [1, 100]") end
      if not finite(w.x) or not finite(w.y) then bad(at .. ": x and y must be numbers") end
      if w.radius ~= nil and not (finite(w.radius) and w.radius >= 0 and w.radius <= 1000) then
        bad(at .. ".radius must be a number in [0, 1000]")
      end
    end
  end
  local b = def.boss
  if b ~= nil then
    if type(b) ~= "table" then bad("boss must be { monster = id, at = s }") end
    only(b, { monster = true, at = true, x = true, y = true }, bad, "boss: ")
    if not is_id(b.monster) then bad("boss.monster must be a monster id") end
    if not int_in(b.at, 0, def.duration - 1) then bad("boss.at must be whole seconds in [0, duration)") end
    if (b.x == nil) ~= (b.y == nil) or (b.x ~= nil and not (finite(b.x) and finite(b.y))) then
      bad("boss x and y must both be numbers, or both absent")
    end
  end
  local m = def.modifiers
  if m ~= nil then
    if type(m) ~= "table" then bad("modifiers must be { caps =?, buffs =? }") end
    only(m, { caps = true, buffs = true }, bad, "modifiers: ")
    if m.caps ~= nil then stat_table(m.caps, bad, "modifiers.caps") end
    if m.buffs ~= nil then
      if type(m.buffs) ~= "table" then bad("modifiers.buffs must be { stats = { stat = n } }") end
      only(m.buffs, { stats = true }, bad, "modifiers.buffs: ")
      stat_table(m.buffs.stats, bad, "modifiers.buffs.stats")
    end
  end
end

local function check_all(defs, errors)
  for _, id in ipairs(defs.ids("world_event")) do
    local e, where = defs.get("world_event", id), sites[id] or "?"
    local function err(msg) errors[#errors + 1] = where .. ": world_event '" .. id .. "': " .. msg end
    local z = e.zone and defs.get("zone", e.zone)
    if e.zone and not z then err("unknown zone '" .. e.zone .. "'") end
    local function point(at, x, y)
      if z and (x < 0 or y < 0 or x > z.width or y > z.height) then
        err(at .. " (" .. x .. ", " .. y .. ") is outside zone '" .. e.zone .. "'")
      end
    end
    for i, w in ipairs(e.waves or {}) do
      if not defs.get("monster", w.monster) then err("waves[" .. i .. "] names unknown monster '" .. w.monster .. "'") end
      point("waves[" .. i .. "]", w.x, w.y)
    end
    if e.boss then
      if not defs.get("monster", e.boss.monster) then err("boss names unknown monster '" .. e.boss.monster .. "'") end
      if e.boss.x then point("boss", e.boss.x, e.boss.y) end
    end
  end
end

function M.install(defs, internal)
  defs.world_event = function(def)
    local info = debug.getinfo(2, "Sl")
    local where = info and (info.short_src .. ":" .. tostring(info.currentline)) or "?"
    if type(def) ~= "table" then error(where .. ": world_event{}: expects a table, got " .. type(def), 0) end
    if is_id(def.id) then check_event(where, def) end
    local copy = internal.define("world_event", def) -- its own id/name/duplicate errors, at the caller
    sites[copy.id] = where
    return copy
  end
  internal.add_check(function(errors) check_all(defs, errors) end)
end

return M

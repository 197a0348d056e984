-- world_events_test.lua — world_event{} in the simulated world: shape errors
-- with file:line, the schedule (every / at, UTC), the phases (announce, start,
-- end) as `announce` events, waves and boss spawned and despawned at the end,
-- the "event:<id>" buff on players in scope (entering and leaving the zone),
-- an event started and stopped by hand, and one found mid-window that resumes
-- with its remaining time; the start-up restore of hand starts and stops
-- (events.restore) and the console entry points (admin_start/stop/list).
-- Run: chaosctl script tests/lua/world_events_test.lua
local chaos = require("chaos")
local defs = require("content.defs")
local sim = chaos.sim
local events = chaos.events

defs.race{ id = "tester", name = "Tester", stats = { hp_max = 300, power = 10 } }
defs.monster{ id = "ev_rat", name = "Event Rat", stats = { hp_max = 40 }, skills = { "bite" },
  respawn = 10, aggro = 0, leash = 60, exp = 5 }

local function raises(pattern, fn, ...)
  local args = { ... }
  local ok, err = pcall(function() local r = fn(unpack(args)) return r end) -- a Lua caller: file:line
  assert(not ok, "expected an error matching " .. pattern)
  assert(tostring(err):find(pattern), "unexpected error: " .. tostring(err))
end

-- ---- shape errors, at the caller's file:line ---------------------------------------------
raises("world_events_test.lua:%d+: world_event 'x': duration must be", defs.world_event, { id = "x", name = "X" })
raises("give every or at, not both", defs.world_event, { id = "x", name = "X", duration = 10, every = 5, at = { "10:00" } })
raises("at%[2%] must be \"HH:MM\"", defs.world_event, { id = "x", name = "X", duration = 10, at = { "10:00", "25:00" } })
raises("waves and boss need a zone", defs.world_event, { id = "x", name = "X", duration = 10,
  boss = { monster = "ev_rat", at = 1 } })
raises("waves%[1%]%.at must be", defs.world_event, { id = "x", name = "X", duration = 10, zone = "meadow",
  waves = { { at = 10, monster = "ev_rat", count = 1, x = 1, y = 1 } } })
raises("duration must be shorter than every", defs.world_event, { id = "x", name = "X", duration = 60, every = 1 })
raises("unknown field 'typo'", defs.world_event, { id = "x", name = "X", duration = 10, typo = 1 })
raises("modifiers%.buffs%.stats must be", defs.world_event, { id = "x", name = "X", duration = 10,
  modifiers = { buffs = { stats = { power = "lots" } } } })

-- ---- the events of this test --------------------------------------------------------------
defs.world_event{ id = "rat_tide", name = "Rat Tide", every = 60, duration = 600, zone = "meadow",
  announce = { before = 120, text = "Rats are coming" }, start_text = "The tide!", end_text = "Calm again",
  waves = { { at = 0, monster = "ev_rat", count = 3, x = 100, y = 100, radius = 4 },
            { at = 60, monster = "ev_rat", count = 2, x = 100, y = 100 } },
  boss = { monster = "ev_rat", at = 120, x = 110, y = 100 },
  modifiers = { buffs = { stats = { power = 7 } } } }
defs.world_event{ id = "feast", name = "Feast", duration = 300, modifiers = { buffs = { stats = { power = 3 } } } }
defs.world_event{ id = "calm", name = "Calm", duration = 300, modifiers = { caps = { power = 12 } } }
defs.world_event{ id = "dawn", name = "Dawn", at = { "00:30", "12:00" }, duration = 3600,
  modifiers = { buffs = { stats = { power = 1 } } } }

-- Day 50, 00:56:40 UTC: rat_tide's next slot is 01:00; dawn (00:30 for an hour) is mid-window.
local DAY = 86400 * 50
events.set_wall(DAY + 3400)

-- the schedule alone
local prev, nxt = events.slots(defs.get("world_event", "rat_tide"), DAY + 3400)
assert(prev == DAY and nxt == DAY + 3600, "hourly slots")
prev, nxt = events.slots(defs.get("world_event", "dawn"), DAY + 3400)
assert(prev == DAY + 1800 and nxt == DAY + 43200, "at: 00:30 today, then 12:00")
prev, nxt = events.slots(defs.get("world_event", "dawn"), DAY + 50000)
assert(prev == DAY + 43200 and nxt == DAY + 86400 + 1800, "at: wraps to tomorrow")
assert(events.slots(defs.get("world_event", "feast"), DAY) == nil, "by hand only")

local ann = sim.player{ name = "Ann", race = "tester", job = "warrior", zone = "meadow", x = 500, y = 500 }
local bob = sim.player{ name = "Bob", race = "tester", job = "warrior", zone = "caves", x = 60, y = 70 }

local function announces(p, phase)
  local out = {}
  for _, e in ipairs(sim.events(p)) do
    -- the demo's own wolf_moon (content/events.lua) runs too: ignore it
    if e.ev == "announce" and e.event ~= "wolf_moon" and (not phase or e.phase == phase) then out[#out + 1] = e end
  end
  return out
end
local function rats()
  return #chaos.world.within("meadow", 105, 100, 30, "monster")
end

-- ---- first pass: dawn is found mid-window and resumes with its remaining time -------------
sim.advance(1)
local d = events.running("dawn")
assert(d and d.started == DAY + 1800 and d.ends == DAY + 5400, "dawn resumes: it ends at 01:30")
assert(ann:stats().power == 11 and bob:stats().power == 11, "dawn is world-wide")
assert(not events.running("rat_tide"))
assert(#announces(ann, "announce") == 0, "rat_tide starts in 199 s: not yet announced")

-- ---- announce, start, waves, boss ----------------------------------------------------------
sim.advance(80) -- 00:58:01
local a = announces(ann, "announce")
assert(#a == 1 and a[1].event == "rat_tide" and a[1].text == "Rats are coming" and a[1].starts == DAY + 3600)
assert(#announces(bob, "announce") == 1, "announcements go to everyone")
sim.advance(60)
assert(#announces(ann, "announce") == 0, "announced once")
assert(rats() == 0 and ann:stats().power == 11)
sim.advance(60) -- 01:00:01
local r = events.running("rat_tide")
assert(r and r.started == DAY + 3600 and r.ends == DAY + 4200)
local s = announces(ann, "start")
assert(#s == 1 and s[1].text == "The tide!" and s[1].ends == DAY + 4200)
assert(ann:stats().power == 18, "the buff on players in the zone: " .. ann:stats().power)
assert(bob:stats().power == 11, "not on players elsewhere")
assert(rats() == 3, "first wave: " .. rats())
sim.advance(60)
assert(rats() == 5, "second wave")
sim.advance(60)
assert(rats() == 6, "the boss")

-- entering and leaving the zone
bob:teleport("meadow", 500, 510)
sim.advance(1)
assert(bob:stats().power == 18, "entering the zone adds the buff")
ann:teleport("caves", 60, 70)
sim.advance(1)
assert(ann:stats().power == 11, "leaving it removes it")
ann:teleport("meadow", 500, 500)
sim.advance(1)
assert(ann:stats().power == 18)

-- ---- the end: buffs removed, monsters despawned ---------------------------------------------
sim.advance(4200 - (3600 + 123) - 2) -- one second before the end (wall 01:09:59)
assert(events.running("rat_tide") and ann:stats().power == 18, "still running just before the end")
sim.advance(2)
assert(not events.running("rat_tide"), "ended")
assert(ann:stats().power == 11 and bob:stats().power == 11, "buffs removed at the end")
assert(rats() == 0, "waves and boss despawned")
local e = announces(ann, "end")
assert(#e == 1 and e[1].text == "Calm again")

-- ---- by hand -------------------------------------------------------------------------------
assert(events.start("feast") == true)
raises("already running", events.start, "feast")
raises("unknown world_event 'nope'", events.start, "nope")
assert(ann:stats().power == 14 and bob:stats().power == 14, "feast buffs everyone")
local late = sim.player{ name = "Cyd", race = "tester", job = "warrior", zone = "caves", x = 60, y = 70 }
sim.advance(1)
assert(late:stats().power == 14, "a player entering the world gets it")
local listed
for _, it in ipairs(events.list()) do if it.id == "feast" then listed = it end end
assert(listed and listed.running and listed.next == nil)
assert(events.stop("feast") == true and events.stop("feast") == false, "stop early, once")
assert(ann:stats().power == 11 and late:stats().power == 11, "stop removes the buffs")
assert(#announces(ann, "end") == 1)

-- EVENT caps: power capped at 12 for everyone while "calm" runs
ann:buff{ source = "potion", stats = { power = 20 } }
assert(ann:stats().power == 31, "10 + dawn 1 + potion 20")
events.start("calm")
assert(ann:stats().power == 12 and bob:stats().power == 11, "capped: " .. ann:stats().power)
events.stop("calm")
assert(ann:stats().power == 31, "the cap is gone at the end")
ann:unbuff("potion")
raises("event_caps: source must be", chaos.world.event_caps, "", { power = 1 })

-- ---- restored at start-up (core/app/admin_events.c: rows of table world_events) -----------
local now = math.floor(events.wall())
assert(events.running("dawn") and ann:stats().power == 11, "dawn mid-window")
assert(events.restore("dawn", tostring(DAY + 1800), "1") == "stopped")
assert(not events.running("dawn") and ann:stats().power == 10, "a window stopped early stays stopped")
sim.advance(1)
assert(not events.running("dawn"), "the scheduler does not start the stopped window again")
assert(events.restore("feast", tostring(now - 100), "0") == "resumed")
local r = events.running("feast")
assert(r and r.started == now - 100 and r.ends == now + 200, "resumed with its remaining time")
assert(ann:stats().power == 13, "its buff is back: " .. ann:stats().power)
assert(events.restore("feast", tostring(now - 100), "0") == "running")
events.stop("feast")
assert(events.restore("feast", tostring(now - 1000), "0") == "expired" and not events.running("feast"))
assert(events.restore("nope", "1", "0") == "unknown")
assert(events.restore("feast", "soon", "0") == "unknown")
-- the console's answers: JSON fields; refusals are chaos.fail {code, message}
local function fails(code, fn, arg)
  local ok, err = pcall(fn, arg)
  assert(not ok and type(err) == "table" and err.code == code, "expected " .. code .. ": " .. tostring(err))
end
local f = events.admin_start("feast")
assert(f:find('^"event":"feast","started":%d+,"ends":%d+$'), f)
fails("busy", events.admin_start, "feast")
fails("not_found", events.admin_start, "nope")
assert(events.admin_stop("feast"):find('"event":"feast"'))
fails("not_running", events.admin_stop, "feast")
local list = require("cjson").decode("{" .. events.admin_list() .. "}")
-- 5: the four above and the demo's wolf_moon (content/events.lua), sorted by id
assert(#list.events == 5 and list.events[1].id == "calm" and list.events[3].running == false
       and list.events[5].id == "wolf_moon")

-- dawn ends at 01:30
sim.advance(5400 - 4201)
assert(not events.running("dawn") and ann:stats().power == 10, "dawn over: " .. ann:stats().power)
print("world events ok")

-- combat_resources_test.lua — pools over time: the spec's worked examples,
-- regen gating, shield decay, offline catch-up, thresholds and their events.
local chaos = require("chaos")
local combat = chaos.combat
combat.reset()

local function near(a, b, eps, what)
  assert(math.abs(a - b) <= (eps or 1e-9), (what or "value") .. ": " .. a .. " ~= " .. b)
end

-- hp 500/500 takes 120 and heals 30 in one tick → 410
local p = combat.pools({ hp = { current = 500, max = 500, regen = 10 } })
p:tick(0.1, { in_combat = true, damage = { hp = 120 }, heal = { hp = 30 } })
assert(p:get("hp") == 410)

-- mp 200/1000 at regen 5/s, 40 s out of combat → 400; gated in combat
p = combat.pools({ mp = { current = 200, max = 1000, regen = 5 } })
for _ = 1, 40 do p:tick(1) end
assert(p:get("mp") == 400)
for _ = 1, 10 do p:tick(1, { in_combat = true }) end
assert(p:get("mp") == 400)

-- a 300 shield decaying 25/s for 8 s → 100, never below 0
p = combat.pools({ hp = { current = 100, max = 100 } })
p:add_shield({ amount = 300, decay = 25, order = 0 })
for _ = 1, 8 do p:tick(1, { in_combat = true }) end
assert(p:shields()[1].amount == 100)
p:tick(60)
assert(p:shields()[1].amount == 0)

-- offline 3 h, cap 1 h, stamina 10/500 at 0.2/s → 730 → 500
p = combat.pools({ stamina = { current = 10, max = 500, regen = 0.2 } })
p:offline(3 * 3600)
assert(p:get("stamina") == 500)
p = combat.pools({ stamina = { current = 10, max = 5000, regen = 0.2 } })
p:offline(3 * 3600)
near(p:get("stamina"), 730)

-- typed damage goes through shields, then the split, mp overflow to hp
p = combat.pools({ hp = { current = 500, max = 500 }, mp = { current = 10, max = 100 },
  shields = { { amount = 50, order = 2 }, { amount = 50, order = 1 } } })
p:tick(0.1, { in_combat = true, typed = { magical = 300 } })
assert(p:get("mp") == 0)
near(p:get("hp"), 310)

-- death: an edge event, then no regen while dead
p = combat.pools({ hp = { current = 100, max = 500, regen = 50 } })
local ev = p:tick(1, { damage = { hp = 200 } })
assert(ev[1].kind == "death" and p:dead())
ev = p:tick(1)
assert(p:get("hp") == 0)
for _, e in ipairs(ev) do assert(e.kind ~= "death") end
p:revive(50)
assert(not p:dead())

-- thresholds: hysteresis and coalescing (hp_low enter 0.25, exit 0.30, window 2 s)
combat.set_thresholds({ { name = "hp_low", pool = "hp", enter = 0.25, hysteresis = 0.05,
  window = 2 } })
p = combat.pools({ hp = { current = 500, max = 500 } })
local function set_hp(v)
  local cur = p:get("hp")
  local o = { in_combat = true }
  if v < cur then o.damage = { hp = cur - v } else o.heal = { hp = v - cur } end
  return p:tick(0.5, o)
end
assert(#set_hp(130) == 0)              -- 0.26
ev = set_hp(125)                        -- 0.25: enter
assert(#ev == 1 and ev[1].kind == "enter" and ev[1].threshold == "hp_low" and ev[1].pool == "hp")
assert(#set_hp(140) == 0)              -- 0.28: still in (hysteresis)
for _ = 1, 4 do set_hp(140) end         -- let the window close
ev = set_hp(150)                        -- 0.30: exit
assert(#ev == 1 and ev[1].kind == "exit")
assert(#set_hp(100) == 0)              -- enter inside the window: merged
assert(#set_hp(200) == 0)              -- exit: merged
assert(#set_hp(100) == 0)              -- enter: merged
ev = set_hp(100)                        -- window over: one enter, two extra edges merged
assert(#ev == 1 and ev[1].kind == "enter" and ev[1].merged == 2)

-- several pools in one tick: the content's pool order
combat.reset()
p = combat.pools({ hp = { current = 500, max = 500 }, mp = { current = 1000, max = 1000 },
  stamina = { current = 500, max = 500 } })
local hit = { in_combat = true, damage = { hp = 450, mp = 950, stamina = 500 } }
ev = p:tick(1, hit)
assert(#ev == 3 and ev[1].pool == "hp" and ev[2].pool == "mp" and ev[3].pool == "stamina")
combat.set_event_order({ "stamina", "qi", "mp", "hp" })
p = combat.pools({ hp = { current = 500, max = 500 }, mp = { current = 1000, max = 1000 },
  stamina = { current = 500, max = 500 } })
ev = p:tick(1, hit)
assert(ev[1].pool == "stamina" and ev[2].pool == "mp" and ev[3].pool == "hp")

-- content changes gating and splits
combat.set_resources({ { name = "hp" }, { name = "mp" }, { name = "qi", gated = true } })
combat.set_damage_type("physical", { hp = 1 })
combat.set_damage_type("soul", { hp = 0.5, qi = 0.5 })
p = combat.pools({ hp = { current = 10, max = 100, regen = 1 }, qi = { current = 0, max = 10,
  regen = 1 } })
p:tick(5, { in_combat = true })
assert(p:get("hp") == 15 and p:get("qi") == 0)
local cfg = combat.config()
assert(cfg.damage_types.soul.qi == 0.5 and #cfg.pools == 3 and cfg.pools[3].gated)
local ok = pcall(combat.set_damage_type, "bad", { hp = 0.5 })
assert(not ok)

-- costs: all or nothing
combat.reset()
p = combat.pools({ mp = { current = 50, max = 100 }, qi = { current = 10, max = 100 } })
local done, why = p:spend({ mp = 30, qi = 20 })
assert(done == false and why == "not enough qi" and p:get("mp") == 50)
assert(p:spend({ mp = 30 }) == true and p:get("mp") == 20)
combat.reset()

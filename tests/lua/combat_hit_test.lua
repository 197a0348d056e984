-- combat_hit_test.lua — chaos.combat.hit: the spec's steps by hand, shields,
-- overflow, true damage, clamps, determinism. Run: chaosctl script FILE
local chaos = require("chaos")
local combat = chaos.combat
combat.reset() -- the demo tables, whatever content/ set

local function near(a, b, eps, what)
  assert(math.abs(a - b) <= (eps or 1e-9), (what or "value") .. ": " .. a .. " ~= " .. b)
end

-- σ and CM at parity
assert(combat.sigma(0) == 0.5)
assert(combat.contest(120, 120) == 0.5)
assert(combat.crit_multiplier(30, 30) == 2)
near(combat.contest(150, 50, "fire"), 1 / (1 + math.exp(-1)), 1e-15, "contest")

-- element matrix cycles
local gen = { wood = "fire", fire = "earth", earth = "metal", metal = "water", water = "wood" }
local over = { wood = "earth", earth = "water", water = "fire", fire = "metal", metal = "wood" }
for a, d in pairs(gen) do assert(combat.matrix(a, d) == 1.2, a .. ">" .. d) end
for a, d in pairs(over) do
  assert(combat.matrix(a, d) == 1.5, a .. " overcomes " .. d)
  assert(combat.matrix(d, a) == 0.5, d .. " is overcome by " .. a)
end
assert(combat.matrix("fire", "wood") == 1.0)

-- a full hit by hand: certain hit and crit, CM = 2 at parity
local attacker = {
  element = "fire", accuracy = 1e6, crit_rate = 1e6,
  power = { omni = 50, fire = 50 }, mastery = 30,
  packs = { damage = { additive_percent = 0.1, multipliers = { 2 }, post_add = 5 } },
}
local defender = {
  element = "metal", defense = { omni = 40, fire = 60, metal = 1e6 }, mastery = 10,
  packs = { damage_taken = { additive_percent = 0.1, multipliers = { 0.5 }, post_add = 3 } },
  pools = { hp = { current = 1000, max = 1000 }, mp = { current = 100, max = 500 } },
  shields = { { amount = 100, order = 2 }, { amount = 50, order = 1 } },
}
local skill = { base_min = 100, base_max = 100, scaling = 1.5, flat = 2, penetration = 0.5,
  damage_type = "magical" }
local opts = { seed = 42, tick = 7, attacker_id = 1001, target_id = 2002, skill_id = 17 }
local r = combat.hit(attacker, defender, skill, opts)
assert(r.hit and r.crit)
assert(r.element == "fire" and r.damage_type == "magical")
assert(r.bd == 100)
near(r.pp, 150); near(r.def, 50); near(r.pre, 200)
assert(r.matrix == 1.5)
near(r.m, 1.8, 1e-12); assert(r.cm == 2); near(r.mb, 0.2, 1e-12); near(r.ad, 10)
near(r.damage, 874, 1e-9, "damage") -- 200 × 1.8 × 2 × 1.2 + 10
assert(r.absorbed_by[1] == 100 and r.absorbed_by[2] == 50) -- order 1 went first
near(r.absorbed, 150)
near(r.resources.mp, 100) -- 144.8 wanted, only 100 there
near(r.overflow, 44.8)
near(r.resources.hp, 624)
assert(not r.killed)
assert(#r.rolls == 5)
-- applied to the defender's tables
near(defender.pools.hp.current, 376)
assert(defender.pools.mp.current == 0)
assert(defender.shields[1].amount == 0 and defender.shields[2].amount == 0)

-- same seed → same record; apply = false leaves the tables alone
local d2 = { pools = { hp = { current = 1000, max = 1000 } } }
local s2 = { base_min = 10, base_max = 90 }
local a = combat.hit({}, d2, s2, { seed = 5, tick = 1, apply = false })
local b = combat.hit({}, d2, s2, { seed = 5, tick = 1, apply = false })
for k, v in pairs(a) do
  if type(v) ~= "table" then assert(b[k] == v, k) end
end
for i = 1, 5 do assert(a.rolls[i] == b.rolls[i]) end
assert(d2.pools.hp.current == 1000)
local c = combat.hit({}, d2, s2, { seed = 5, tick = 2, apply = false })
assert(c.rolls[1] ~= a.rolls[1])
assert(a.p_hit == 0.5)

-- miss: nothing dealt
local m = combat.hit({}, { evasion = 1e6, pools = { hp = { current = 10, max = 10 } } },
  { base_min = 500, flat = 100 })
assert(not m.hit and m.damage == 0)

-- true damage: skips hit roll, defense, matrix and shields; all to hp
local td = { element = "wood", evasion = 1e6, defense = 1e6,
  pools = { hp = { current = 500, max = 500 }, mp = { current = 50, max = 50 } },
  shields = { { amount = 1000 } } }
local t = combat.hit({ element = "earth", crit_rate = -1e6 }, td,
  { base_min = 300, true_damage = true })
assert(t.hit and t.true_damage and t.damage == 300 and t.def == 0 and t.matrix == 1)
assert(t.absorbed == 0 and td.shields[1].amount == 1000)
assert(td.pools.hp.current == 200 and td.pools.mp.current == 50)

-- penetration clamp [0, 0.8] and mastery clamp [-0.5, 1]
local sure = { accuracy = 1e6, crit_rate = -1e6 }
local p = combat.hit(sure, { defense = 500, pools = {} }, { base_min = 1000, penetration = 5 })
assert(p.penetration == 0.8); near(p.def, 100); near(p.damage, 900)
local mm = combat.hit({ accuracy = 1e6, crit_rate = -1e6, mastery = 1000 }, { pools = {} },
  { base_min = 100 })
assert(mm.mb == 1); near(mm.damage, 200)

-- max_hit clamp and killed
local k = { pools = { hp = { current = 100, max = 100 } } }
local kr = combat.hit(sure, k, { base_min = 1e9 })
assert(kr.damage == 999999 and kr.killed and k.pools.hp.current == 0)

-- qi overflow to hp
local q = { pools = { hp = { current = 2000, max = 2000 }, qi = { current = 0, max = 100 } } }
local qr = combat.hit(sure, q, { base_min = 1000, damage_type = "qi" })
near(qr.resources.hp, 1000); assert(qr.resources.qi == 0); near(qr.overflow, 300)

-- property: never negative, never above max_hit, bit-for-bit replay
combat.set_max_hit(5000)
local rng = 12345
local function rnd(lo, hi)
  rng = (rng * 1103515245 + 12345) % 2147483648
  return lo + (hi - lo) * rng / 2147483648
end
local log = {}
for i = 1, 300 do
  local at = { accuracy = rnd(-100, 300), power = rnd(0, 500), crit_rate = rnd(-100, 300),
    crit_damage = rnd(0, 200), packs = { damage = { additive_percent = rnd(-2, 2),
      multipliers = { rnd(-1, 3) }, post_add = rnd(-50, 50) } } }
  local df = { evasion = rnd(-100, 300), defense = rnd(0, 800),
    pools = { hp = { current = 3000, max = 3000 }, mp = { current = rnd(0, 100), max = 100 } },
    shields = { { amount = rnd(0, 500), order = 1 } } }
  local sk = { base_min = rnd(0, 3000), base_max = 3000 + rnd(0, 3000), scaling = rnd(0, 3),
    flat = rnd(-50, 200), penetration = rnd(-1, 2), damage_type = "elemental" }
  local o = { seed = 9, tick = i, attacker_id = 1, target_id = 2, skill_id = 3, apply = false }
  local rec = combat.hit(at, df, sk, o)
  assert(rec.damage >= 0 and rec.damage <= 5000, "bounds")
  assert(rec.absorbed <= df.shields[1].amount + 1e-9)
  log[i] = { at, df, sk, o, rec }
end
for i = #log, 1, -1 do
  local e = log[i]
  local rec = combat.hit(e[1], e[2], e[3], e[4])
  for _, f in ipairs({ "damage", "bd", "pp", "def", "pre", "m", "cm", "mb", "ad", "absorbed" }) do
    assert(rec[f] == e[5][f], "replay " .. f)
  end
  assert(rec.resources.hp == e[5].resources.hp and rec.resources.mp == e[5].resources.mp)
end

-- bad arguments raise with a message naming them
local ok, err = pcall(combat.hit, { element = "plasma" }, {}, {})
assert(not ok and err:find("plasma"))
ok, err = pcall(combat.hit, {}, {}, { damage_type = "sonic" })
assert(not ok and err:find("sonic"))
combat.reset()

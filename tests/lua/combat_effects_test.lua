-- combat_effects_test.lua — DoT pandemic refresh, CC diminishing returns,
-- cooldowns and casts.
local chaos = require("chaos")
local combat = chaos.combat
combat.reset()

local function near(a, b, eps, what)
  assert(math.abs(a - b) <= (eps or 1e-9), (what or "value") .. ": " .. a .. " ~= " .. b)
end

-- DoT 10 every 2 s for 10 s
local d = combat.dot({ magnitude = 10, period = 2, duration = 10 })
local amount, ticks = d:advance(5) -- ticks at 2 and 4, 1 s into the third
assert(amount == 20 and ticks == 2)
-- pandemic: 10 + min(5 remaining, 30% of 10) = 13; the partial tick carries
d:refresh({ magnitude = 20, duration = 10 })
local s = d:state()
near(s.remaining, 13); near(s.next_tick, 1); assert(s.magnitude == 20)
amount, ticks = d:advance(1)
assert(amount == 20 and ticks == 1) -- the carried tick lands after 1 s
amount, ticks = d:advance(100)
near(amount, 120); assert(ticks == 6)
assert(not d:state().active)

-- DR: stun 1, 1/2, 1/4, immune within 15 s, reset after
local dr = combat.dr()
assert(dr:apply("stun", 0) == 1)
assert(dr:apply("stun", 1) == 0.5)
assert(dr:apply("stun", 2) == 0.25)
assert(dr:apply("stun", 3) == 0)
assert(dr:apply("stun", 16.9) == 0)
assert(dr:peek("stun", 17) == 1)
assert(dr:apply("stun", 17) == 1)
combat.set_dr("root", { steps = { 1, 0.5 }, reset = 10 })
assert(dr:apply("root", 17) == 1)
assert(not pcall(dr.apply, dr, "sleep", 0))

-- cooldowns, casts and costs in one gate
local cd = combat.cooldowns()
local pools = combat.pools({ mp = { current = 100, max = 100 } })
assert(cd:use(7, 0, 3, pools, { mp = 30 }) == true)
local ok, why = cd:use(7, 1, 3, pools, { mp = 30 })
assert(ok == false and why:find("cooldown"))
assert(pools:get("mp") == 70)
local ready, left = cd:ready(7, 2)
assert(not ready and left == 1)
assert(cd:use(7, 3, 3, pools, { mp = 30 }) == true)
assert(combat.cast_done(10, 2, 11) == false)
assert(combat.cast_done(10, 2, 12) == true)
combat.reset()

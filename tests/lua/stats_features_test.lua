-- stats_features_test.lua — chaos.stats beyond the worked examples: context packs,
-- formulas, layer policies, operators, realms, shared caps, versions and errors.
local chaos = require("chaos")
local stats = chaos.stats

local function F(dim, value, system) return {dimension = dim, bucket = "FLAT", value = value, system = system} end
local function near(x, y) return math.abs(x - y) < 1e-9 end

-- context packs merge across sources and apply
local a = stats.actor()
a:set_source("zeal", {context = {damage = {additive_percent = 0.1, multipliers = {1.2}, post_add = 5}}})
a:set_source("aura", {context = {damage = {additive_percent = 0.2, multipliers = {1.5, 0.5}, post_add = 1},
                                 gold = {multipliers = {2}}}})
local dmg = a:snapshot().context.damage
assert(near(dmg.additive_percent, 0.3) and dmg.post_add == 6 and #dmg.multipliers == 3)
assert(near(stats.apply(dmg, 100), 100 * 1.3 * 1.2 * 1.5 * 0.5 + 6))
assert(stats.apply({}, 7) == 7)

-- derived formula: hp_max = 10 vitality + 2 strength + 50, fed as FLAT
stats.formula{name = "hp_max", weights = {vitality = 10, strength = 2}, constant = 50}
local h = stats.actor()
assert(h:get("hp_max", "derived") == 50)
h:set_source("race", {primary = {F("vitality", 20), F("strength", 5)},
                      derived = {{dimension = "hp_max", bucket = "MULT", value = 0.1}}})
assert(near(h:get("hp_max"), 260 * 1.1))
assert(h:get("hp_max", "primary") == nil)
stats.remove_formula("hp_max")

-- operator modes
stats.dimension{name = "avg", use_pipeline = false, operator = "AVERAGE"}
stats.dimension{name = "prod", use_pipeline = false, operator = "MULTIPLY"}
stats.dimension{name = "top", use_pipeline = false, operator = "MAX"}
local o = stats.actor()
o:set_source("s", {primary = {F("avg", 10), F("avg", 20), F("avg", 60),
                              F("prod", 2), F("prod", 3), F("prod", 0.5),
                              F("top", -1), F("top", 9)}})
assert(o:get("avg") == 30 and o:get("prod") == 3 and o:get("top") == 9)

-- layer policies
local p = stats.actor()
p:set_source("s", {primary = {F("power", 100)}, caps = {
  {dimension = "power", mode = "OVERRIDE", kind = "max", value = 50, scope = "WORLD"},
  {dimension = "power", mode = "HARD_MAX", kind = "max", value = 30, scope = "EVENT"}}})
stats.layers{order = {"WORLD", "EVENT", "TOTAL"}, across = "INTERSECT"}
assert(p:get("power") == 30)
stats.layers{order = {"WORLD", "EVENT", "TOTAL"}, across = "PRIORITIZED_OVERRIDE"}
assert(p:get("power") == 50, "WORLD's override sets the max alone")
stats.layers{order = {"REALM", "WORLD", "EVENT", "TOTAL"}}

-- realms
local r = stats.actor()
r:set_source("s", {primary = {F("speed", 50)}, caps = {
  {dimension = "speed", mode = "HARD_MAX", kind = "max", value = 10, scope = "REALM", realm = "eu"}}})
assert(r:get("speed") == 50 and r:realm() == nil)
r:set_realm("eu")
assert(r:get("speed") == 10 and r:realm() == "eu")
r:set_realm(nil)
assert(r:get("speed") == 50)

-- shared caps: one world event re-resolves every actor
local many = {}
for i = 1, 50 do
  many[i] = stats.actor()
  many[i]:set_source("items", {primary = {F("armor", 500)}})
  assert(many[i]:get("armor") == 500)
end
local epoch = stats.epoch()
stats.shared_caps("event:siege", {{dimension = "armor", mode = "HARD_MAX", kind = "max", value = 300, scope = "EVENT"}})
assert(stats.epoch() > epoch)
for i = 1, 50 do
  assert(many[i]:is_dirty())
  assert(many[i]:get("armor") == 300)
end
stats.remove_shared_caps("event:siege")
assert(many[1]:get("armor") == 500)

-- versions: +1 per real input change, not for identical content or resolves
local v = stats.actor()
assert(v:version() == 0)
v:set_source("a", {primary = {F("x", 1)}})
assert(v:version() == 1)
v:set_source("a", {primary = {F("x", 1)}})
assert(v:version() == 1, "same content is no change")
v:mark_dirty(); v:snapshot()
assert(v:version() == 1)
v:set_source("a", {primary = {F("x", 2)}})
assert(v:version() == 2 and v:snapshot().version == 2)
assert(v:remove_source("a") == true and v:remove_source("a") == false)
assert(v:version() == 3)

-- errors name the bad field and leave the actor unchanged
local function fails(pattern, fn, ...)
  local ok, err = pcall(fn, ...)
  assert(not ok, "expected an error matching " .. pattern)
  assert(tostring(err):find(pattern, 1, true), tostring(err))
end
local e = stats.actor()
e:set_source("ok", {primary = {F("x", 1)}})
fails('primary[1].bucket: unknown value "FLATT"', e.set_source, e, "bad", {primary = {{dimension = "x", bucket = "FLATT", value = 1}}})
fails("primary[1].value: expected a number", e.set_source, e, "bad", {primary = {{dimension = "x", bucket = "FLAT", value = "1"}}})
fails("primary[1].value: not a finite number", e.set_source, e, "bad", {primary = {{dimension = "x", bucket = "FLAT", value = 0/0}}})
fails("caps[1].realm: a REALM cap needs a realm", e.set_source, e, "bad", {caps = {{dimension = "x", mode = "HARD_MAX", kind = "max", value = 1, scope = "REALM"}}})
fails("caps[1].kind", e.set_source, e, "bad", {caps = {{dimension = "x", mode = "HARD_MAX", kind = "min", value = 1}}})
fails("bad argument #3", e.set_source, e, "bad", 42)
fails('dimension.operator: unknown value "MEDIAN"', stats.dimension, {name = "x", operator = "MEDIAN"})
fails("min 5 above max 1", stats.dimension, {name = "x", clamp = {min = 5, max = 1}})
assert(e:version() == 1 and e:get("x") == 1)

-- stats_examples_test.lua — the six worked examples of spec/stats.md through chaos.stats.
local chaos = require("chaos")
local stats = chaos.stats

local function F(dim, value, system) return {dimension = dim, bucket = "FLAT", value = value, system = system} end

-- 1. agility: (40 + 10) * 1.5 + 3 = 78, TOTAL max 60 + 15 = 75, clamp [0, 9999] -> 75
stats.dimension{name = "agility", clamp = {min = 0, max = 9999}}
local a = stats.actor()
a:set_source("race", {primary = {F("agility", 40)},
                      caps = {{dimension = "agility", mode = "BASELINE", kind = "max", value = 60}}})
a:set_source("items", {primary = {F("agility", 10)}})
a:set_source("buff", {primary = {{dimension = "agility", bucket = "MULT", value = 0.5}}})
a:set_source("title", {primary = {{dimension = "agility", bucket = "POST_ADD", value = 3}}})
a:set_source("realm", {caps = {{dimension = "agility", mode = "ADDITIVE", kind = "max", value = 15, scope = "TOTAL"}}})
local s = a:snapshot()
assert(s.primary.agility == 75, "example 1: " .. tostring(s.primary.agility))
assert(s.caps_used.agility.min == 0 and s.caps_used.agility.max == 75)
assert(s.version == 5)
assert(a:remove_source("realm") == true)
a:set_source("race", {primary = {F("agility", 40)}})
assert(a:get("agility") == 78, "uncapped pipeline value")

-- 2. armor: WORLD HARD_MAX 100, EVENT HARD_MAX 90, TOTAL BASELINE max 200 -> 90
stats.dimension{name = "armor", clamp = {0, 9999}}
local b = stats.actor()
b:set_source("items", {primary = {F("armor", 120)}, caps = {
  {dimension = "armor", mode = "HARD_MAX", kind = "max", value = 100, scope = "WORLD"},
  {dimension = "armor", mode = "HARD_MAX", kind = "max", value = 90, scope = "EVENT"},
  {dimension = "armor", mode = "BASELINE", kind = "max", value = 200, scope = "TOTAL"}}})
assert(b:get("armor") == 90)
local lo, hi = b:bounds("armor")
assert(lo == 0 and hi == 90)

-- 3. dodge: OVERRIDE tie at priority 2 goes to `aura`
stats.dimension{name = "dodge", clamp = {min = 0, max = 0.75}}
local c = stats.actor()
c:set_source("gear", {primary = {
  F("dodge", 0.05, "items"),
  {dimension = "dodge", bucket = "OVERRIDE", value = 0.4, system = "stance", priority = 2},
  {dimension = "dodge", bucket = "OVERRIDE", value = 0.3, system = "aura", priority = 2}}})
assert(c:get("dodge") == 0.3, "tie goes to aura")

-- 4. haste: 200 * 0.8 * 1.5 = 240
local d = stats.actor()
d:set_source("job", {primary = {F("haste", 200),
  {dimension = "haste", bucket = "MULT", value = -0.2, system = "debuff"},
  {dimension = "haste", bucket = "MULT", value = 0.5, system = "buff"}}})
assert(math.abs(d:get("haste") - 240) < 1e-9)
local hs = d:snapshot().caps_used.haste
assert(hs.min == -math.huge and hs.max == math.huge, "unbounded is +-math.huge")

-- 5. luck: operator MIN, clamp [0, 100]: 12, 7, 30 -> 7; WORLD HARD_MIN 10 -> 10
stats.dimension{name = "luck", use_pipeline = false, operator = "MIN", clamp = {min = 0, max = 100}}
local e = stats.actor()
e:set_source("all", {primary = {F("luck", 12, "race"), F("luck", 7, "job"),
  {dimension = "luck", bucket = "POST_ADD", value = 30, system = "items"}}})
assert(e:get("luck") == 7)
e:set_source("world", {caps = {{dimension = "luck", mode = "HARD_MIN", kind = "min", value = 10, scope = "WORLD"}}})
assert(e:get("luck") == 10)

-- 6. resolve: WORLD HARD_MAX 20 and HARD_MIN 35 -> layer [20, 20] -> 20
local f = stats.actor()
f:set_source("job", {primary = {F("resolve", 50)}, caps = {
  {dimension = "resolve", mode = "HARD_MAX", kind = "max", value = 20, scope = "WORLD"},
  {dimension = "resolve", mode = "HARD_MIN", kind = "min", value = 35, scope = "WORLD"}}})
assert(f:get("resolve") == 20)
lo, hi = f:bounds("resolve")
assert(lo == 20 and hi == 20)

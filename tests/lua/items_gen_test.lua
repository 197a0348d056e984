-- Item definitions and deterministic generation (scripts/items/,
-- scripts/content/item_defs.lua, chaos.rng, chaosctl item roll).
local chaos = require("chaos")
local defs = require("content.defs")
local items = require("items")
local gen = require("items.gen")
local cjson = require("cjson")

local function same(a, b, path)
  path = path or "item"
  if type(a) ~= type(b) then error(path .. ": " .. tostring(a) .. " ~= " .. tostring(b), 2) end
  if type(a) ~= "table" then
    if a ~= b then error(path .. ": " .. tostring(a) .. " ~= " .. tostring(b), 2) end
    return
  end
  for k, v in pairs(a) do same(v, b[k], path .. "." .. tostring(k)) end
  for k in pairs(b) do
    if a[k] == nil then error(path .. "." .. tostring(k) .. " only on the right", 2) end
  end
end

-- ---- chaos.rng: pinned outputs (an independent xoshiro256** computation
-- gives the same numbers; they must never change, stored rolls depend on them)
do
  local r = chaos.rng(1)
  assert(string.format("%.0f %.0f %.0f", r:next(), r:next(), r:next())
    == "3921288761400431 8364918751948004 7839125520990662")
  local r2 = chaos.rng(42, "iron_sword", 7)
  assert(r2:int(1, 1000) == 869 and r2:int(-5, 5) == 2)
  assert(chaos.hash("items") == "e383a2ab00744189")
  -- independent of chaos.random: drawing from it does not move a generator
  local a, b = chaos.rng(5), chaos.rng(5)
  a:next(); chaos.random(); chaos.random()
  assert(a:next() == (function() b:next() return b:next() end)())
  for _ = 1, 1000 do
    local v = r:int(3, 5)
    assert(v >= 3 and v <= 5 and v % 1 == 0)
    local f = r:float()
    assert(f >= 0 and f < 1)
  end
  assert(not pcall(chaos.rng), "no words")
  assert(not pcall(chaos.rng, 1.5), "not an integer")
  assert(not pcall(chaos.rng, {}), "a table")
  assert(not pcall(r.int, r, 5, 4), "empty interval")
end

-- ---- a private content set for the rules: gen.roll over a fake registry ----
local function fake(set)
  return {
    ids = function(kind)
      local out = {}
      for id in pairs(set[kind] or {}) do out[#out + 1] = id end
      table.sort(out)
      return out
    end,
    get = function(kind, id) return (set[kind] or {})[id] end,
  }
end

-- Weights: the item's FIRST listed tag wins (sword = 3, though weapon = 0),
-- else default; weight 0 never rolls. One affix per item, so each roll is a
-- draw with P(a) = 3/4, P(b) = 1/4, P(never) = 0. Over N = 4000 seeds the
-- count of `a` is Binomial(4000, 0.75): mean 3000, sd = sqrt(4000*.75*.25)
-- = 27.4. We accept 3000 +- 165 (6 sd: a correct weighting fails with
-- probability < 1e-8, and the seeds are fixed, so the result is stable).
-- Wrong rules land far outside: ignoring tags gives b:a = 1:1 (2000), using
-- the weapon tag gives never `a` (0).
do
  local set = {
    rarity = { one = { id = "one", order = 0, weight = 1, affixes = { 1, 1 } } },
    affix = {
      a = { id = "a", group = "ga", tiers = { { ilvl = 1, stats = { x = { 1, 1 } } } },
            weights = { sword = 3, weapon = 0, default = 100 } },
      b = { id = "b", group = "gb", tiers = { { ilvl = 1, stats = { y = { 1, 1 } } } },
            weights = { default = 1 } },
      never = { id = "never", group = "gc", tiers = { { ilvl = 1, stats = { z = { 1, 1 } } } },
                weights = { sword = 0, default = 50 } },
    },
  }
  local item = { slot = "weapon", tags = { "sword", "weapon" } }
  local counts = { a = 0, b = 0, never = 0 }
  local N = 4000
  for seed = 1, N do
    local r = gen.roll(fake(set), item, 1, chaos.rng(seed))
    assert(#r.affixes == 1)
    counts[r.affixes[1].id] = counts[r.affixes[1].id] + 1
  end
  assert(counts.never == 0, "weight 0 rolled")
  assert(math.abs(counts.a - 3000) <= 165, "a rolled " .. counts.a .. " of 4000 (expected 3000 +- 165)")
  assert(counts.a + counts.b == N)
  assert(gen.weight_for(set.affix.a, { tags = { "weapon", "sword" } }) == 0, "first tag is weapon")
  assert(gen.weight_for(set.affix.a, { tags = { "axe" } }) == 100, "default")
  assert(gen.weight_for(set.affix.b, {}) == 1)
end

-- Tiers: the highest tier whose ilvl the item reaches; none below the first.
do
  local a = { id = "t", group = "g", weights = { default = 1 },
              tiers = { { ilvl = 5, stats = { p = { 1, 2 } } }, { ilvl = 10, stats = { p = { 10, 20 } } },
                        { ilvl = 25, stats = { p = { 100, 200 } } } } }
  for ilvl = 1, 30 do
    local expect = ilvl >= 25 and 3 or ilvl >= 10 and 2 or ilvl >= 5 and 1 or nil
    assert(gen.tier_for(a, ilvl) == expect, "tier at ilvl " .. ilvl)
  end
  assert(gen.tier_for(a, 9999) == 3)
  local set = { rarity = { one = { id = "one", order = 0, weight = 1, affixes = { 1, 1 } } }, affix = { t = a } }
  local bounds = { { 1, 2 }, { 10, 20 }, { 100, 200 } }
  for ilvl = 1, 30 do
    for seed = 1, 20 do
      local r = gen.roll(fake(set), { slot = "ring", stats = { p = 1000 } }, ilvl, chaos.rng(seed, ilvl))
      local t = gen.tier_for(a, ilvl)
      if not t then
        assert(#r.affixes == 0 and r.stats.p == 1000, "no tier below ilvl 5")
      else
        local af = r.affixes[1]
        assert(af.tier == t, "ilvl " .. ilvl .. ": tier " .. tostring(af.tier) .. ", expected " .. t)
        assert(af.stats.p >= bounds[t][1] and af.stats.p <= bounds[t][2], "roll out of the tier's range")
        assert(r.stats.p == 1000 + af.stats.p, "total = base + roll")
      end
    end
  end
end

-- ---- the demo content through items.generate ----
-- Group exclusion and rarity affix counts: the demo sword can take affixes of
-- five groups (sharp and mystic share `power`), so a rare always gets its
-- 3-4 and a magic its 1-2.
do
  local by_rarity = { common = {}, magic = {}, rare = {} }
  local seen_pair = false
  for seed = 1, 3000 do
    local it = items.generate("iron_sword", 30, seed)
    local groups, ids = {}, {}
    for _, a in ipairs(it.affixes) do
      local g = defs.get("affix", a.id).group
      assert(not groups[g], "seed " .. seed .. ": two affixes of group " .. g)
      groups[g] = true
      ids[a.id] = true
    end
    if ids.sharp or ids.mystic then seen_pair = seen_pair or (ids.sharp and ids.mystic) end
    by_rarity[it.rarity][#it.affixes] = (by_rarity[it.rarity][#it.affixes] or 0) + 1
    -- totals: base stats plus every roll
    local total = { power = 8 }
    for _, a in ipairs(it.affixes) do
      for k, v in pairs(a.stats) do total[k] = (total[k] or 0) + v end
    end
    same(it.stats, total, "seed " .. seed .. " stats")
  end
  assert(not seen_pair, "sharp and mystic (one group) rolled together")
  for n in pairs(by_rarity.common) do assert(n == 0, "common with " .. n .. " affixes") end
  for n in pairs(by_rarity.magic) do assert(n == 1 or n == 2, "magic with " .. n .. " affixes") end
  for n in pairs(by_rarity.rare) do assert(n == 3 or n == 4, "rare with " .. n .. " affixes") end
  assert(by_rarity.magic[1] and by_rarity.magic[2] and by_rarity.rare[3] and by_rarity.rare[4],
    "every count of magic and rare occurs over 3000 seeds")
  -- non-equipment: no rarity, no affixes, base stats
  local p = items.generate("healing_potion", 50, 7)
  assert(p.rarity == nil and #p.affixes == 0 and next(p.stats) == nil)
end

-- Replay: the same inputs give the same item; regenerate gives it back, also
-- after a JSON round trip (how it is stored); a different seed differs.
local demo_json -- iron_sword, ilvl 20, seed 2 of the demo content, for chaosctl below
do
  local a = items.generate("iron_sword", 20, 2)
  demo_json = require("items.canon").json(a, { affixes = true })
  same(a, items.generate("iron_sword", 20, 2))
  assert(a.template == "iron_sword" and a.ilvl == 20 and a.seed == 2 and a.gen == items.version())
  assert(#a.gen == 16 and a.gen:match("^%x+$"))
  same(assert(items.regenerate(a)), a)
  same(assert(items.regenerate(cjson.decode(cjson.encode(a)))), a)
  local differ = false
  for seed = 3, 40 do
    local ok = pcall(same, a, items.generate("iron_sword", 20, seed))
    if not ok then differ = true break end
  end
  assert(differ, "other seeds give other items")
  -- pinned: this roll is what every machine produces for this content
  assert(a.rarity == "rare" and #a.affixes == 4 and a.affixes[1].id == "of_precision"
    and a.affixes[1].stats.accuracy == 14 and a.stats.power == 14, require("items.canon").json(a))
  -- bad input is a clear error
  local ok, err = pcall(items.generate, "no_such_item", 1, 1)
  assert(not ok and err:find("unknown item template 'no_such_item'", 1, true), err)
  ok, err = pcall(items.generate, "iron_sword", 0, 1)
  assert(not ok and err:find("ilvl must be an integer", 1, true), err)
  ok, err = pcall(items.generate, "iron_sword", 1, -1)
  assert(not ok and err:find("seed must be an integer", 1, true), err)
  ok, err = pcall(items.generate, "iron_sword", 1, 0.5)
  assert(not ok and err:find("seed must be an integer", 1, true), err)
end

-- Shape errors at the call, with this file and line.
do
  local function refused(fn, def, want)
    local line
    local ok, err = pcall(function()
      line = debug.getinfo(1, "l").currentline + 1
      fn(def) -- the error names this line
    end)
    assert(not ok, "accepted: " .. want)
    assert(err:find("items_gen_test.lua:" .. line .. ": ", 1, true), err)
    assert(err:find(want, 1, true), "expected '" .. want .. "' in: " .. err)
  end
  refused(defs.item, { id = "x1", name = "X", slot = "tail" }, "item 'x1': slot must be one of")
  refused(defs.item, { id = "x2", name = "X", slot = "head", stack = 5 }, "does not stack")
  refused(defs.item, { id = "x3", name = "X", stack = 0 }, "stack must be an integer in [1, 9999]")
  refused(defs.item, { id = "x4", name = "X", tags = { "ok", "Bad Tag" } }, "tags[2] must be an id")
  refused(defs.item, { id = "x5", name = "X", use = "heal" }, "use must be a function")
  refused(defs.item, { id = "x6", name = "X", stats = { power = "lots" } }, "stats.power must be a finite number")
  refused(defs.affix, { id = "y1", name = "Y", kind = "infix", group = "g", tiers = {}, weights = {} },
    "kind must be \"prefix\" or \"suffix\"")
  refused(defs.affix, { id = "y2", name = "Y", kind = "prefix", group = "g", weights = { default = 1 },
    tiers = { { ilvl = 10, stats = { p = { 1, 2 } } }, { ilvl = 5, stats = { p = { 3, 4 } } } } },
    "tiers[2].ilvl must be greater than the tier before it (10)")
  refused(defs.affix, { id = "y3", name = "Y", kind = "prefix", group = "g", weights = { default = 1 },
    tiers = { { ilvl = 1, stats = { p = { 5, 2 } } } } }, "tiers[1].stats.p must be {lo, hi}")
  refused(defs.affix, { id = "y4", name = "Y", kind = "suffix", group = "g", weights = { default = -1 },
    tiers = { { ilvl = 1, stats = { p = { 1, 2 } } } } }, "weights.default must be an integer")
  refused(defs.rarity, { id = "z1", name = "Z", order = 0, weight = 1, affixes = { 3, 1 } },
    "affixes must be {min, max}")
  refused(defs.rarity, { id = "z2", name = "Z", order = 1, weight = 1.5, affixes = { 0, 0 } }, "weight must be")
  refused(defs.item, { id = "iron_sword", name = "Again" }, "item 'iron_sword' is defined twice")
end

-- The version: declaring one more affix changes it (content changed); the
-- runtime also notices an old item cannot be regenerated any more.
do
  local stored = items.generate("apprentice_robe", 12, 99)
  local before = items.version()
  defs.affix{ id = "test_extra", name = "Extra", kind = "suffix", group = "test_extra",
              tiers = { { ilvl = 1, stats = { power = { 1, 1 } } } }, weights = { default = 1 } }
  assert(items.version() ~= before, "a new affix changes gen")
  local again, why = items.regenerate(stored)
  assert(again == nil and why:find("keep its stored rolls", 1, true), why)
  assert(items.generate("apprentice_robe", 12, 99).gen == items.version())
end

-- ---- through the host: other content sets with chaosctl item roll ----
local bin = os.getenv("CHAOS_BIN") or "build/bin"
local ctl = bin .. "/chaosctl"
assert(io.open(ctl, "rb"), "chaosctl not found at " .. ctl .. " (set CHAOS_BIN)"):close()

local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

local tmp = os.tmpname()
os.remove(tmp)
os.execute("mkdir -p '" .. tmp .. "'")

local function content_set(name, files)
  local dir = tmp .. "/" .. name
  os.execute("mkdir -p '" .. dir .. "'")
  for fname, text in pairs(files) do
    local f = assert(io.open(dir .. "/" .. fname, "wb"))
    f:write(text)
    f:close()
  end
  return dir
end

-- Runs chaosctl; returns exit code, stdout, stderr.
local function run(args)
  local out, errf = tmp .. "/out", tmp .. "/err"
  local cmd = "'" .. ctl .. "' " .. args .. " >'" .. out .. "' 2>'" .. errf .. "'; echo $?"
  local p = assert(io.popen(cmd))
  local rc = tonumber(p:read("*l"))
  p:close()
  return rc, read(out), read(errf)
end

local ok, err = pcall(function()
  local demo = read("content/items.lua")
  local a = content_set("a", { ["items.lua"] = demo })
  -- the same items plus unrelated content: same gen
  local a2 = content_set("a2", { ["items.lua"] = demo, ["races.lua"] = read("content/races.lua") })
  -- one affix table changed (a tier's range)
  local changed = demo:gsub("power = { 2, 5 }", "power = { 2, 6 }")
  assert(changed ~= demo)
  local b = content_set("b", { ["items.lua"] = changed })
  local roll = " item roll --template iron_sword --ilvl 20 --seed 2 --content '"
  local rc1, out1 = run(roll .. a .. "'")
  local rc2, out2 = run(roll .. a2 .. "'")
  local rc3, out3 = run(roll .. b .. "'")
  assert(rc1 == 0 and rc2 == 0 and rc3 == 0, "rolls: " .. tostring(rc1) .. tostring(rc2) .. tostring(rc3))
  local j1, j2, j3 = cjson.decode(out1), cjson.decode(out2), cjson.decode(out3)
  assert(j1.gen == j2.gen, "unrelated content left gen alone")
  assert(j1.gen ~= j3.gen, "a changed affix table changes gen")
  -- the CLI prints what items.generate gives for the live demo content
  -- (the demo content as it loaded, before this file declared test_extra)
  local _, live = run(roll .. "content'")
  assert(live == demo_json .. "\n", live)
  assert(select(2, out1:gsub("\n", "")) == 1, "one JSON line")

  -- exit codes
  assert(run(" item roll --template nope --ilvl 1 --seed 1 --content '" .. a .. "'") == 1)
  assert(run(" item roll --template iron_sword --ilvl x --seed 1 --content '" .. a .. "'") == 2)
  assert(run(" item roll --template iron_sword --ilvl 1 --content '" .. a .. "'") == 2)
  assert(run(" item frob") == 2)

  -- broken content is refused with file:line (shape error, at the call)
  local bad = content_set("bad", { ["items.lua"] = demo, ["zz_bad.lua"] =
    'local defs = require("content.defs")\n\n'
    .. 'defs.affix{ id = "broken", name = "B", kind = "prefix", group = "g", weights = { default = 1 },\n'
    .. '  tiers = { { ilvl = 10, stats = { p = { 1, 2 } } }, { ilvl = 5, stats = { p = { 1, 2 } } } } }\n' })
  local rc, _, e = run(roll .. bad .. "'")
  assert(rc == 2, "broken content: exit " .. tostring(rc))
  assert(e:find("zz_bad.lua:3: affix 'broken': tiers[2].ilvl must be greater", 1, true), e)
  -- and a cross-file error (a weight naming a tag no item has), from the check
  local typo = content_set("typo", { ["items.lua"] = demo, ["zz_typo.lua"] =
    'local defs = require("content.defs")\n'
    .. 'defs.affix{ id = "typo", name = "T", kind = "suffix", group = "t", weights = { swrod = 5 },\n'
    .. '  tiers = { { ilvl = 1, stats = { p = { 1, 2 } } } } }\n' })
  rc, _, e = run(roll .. typo .. "'")
  assert(rc == 2, "typo content: exit " .. tostring(rc))
  assert(e:find("zz_typo.lua:2: affix 'typo': weights.swrod names a tag no item carries", 1, true), e)
end)
os.execute("rm -rf '" .. tmp .. "'")
assert(ok, err)
print("items_gen_test: ok")

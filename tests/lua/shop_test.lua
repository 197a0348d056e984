-- shop_test.lua — consumables (use_item), loot tables (scripts/rules/loot.lua
-- through the kill rule) and NPC vendors (vendor, buy, sell) in the simulated
-- world. Run: chaosctl script tests/lua/shop_test.lua
local chaos = require("chaos")
local defs = require("content.defs")
local rules = require("rules")
local loot = require("rules.loot")
local sim = chaos.sim

chaos.random_seed(7)

defs.race{ id = "tester", name = "Tester", stats = { hp_max = 300, power = 10, accuracy = 1000 } }
defs.item{ id = "t_rock", name = "Rock", value = 3 }
defs.item{ id = "t_cursed", name = "Cursed Scroll", stack = 5,
           use = function() error("the scroll crumbles") end }
defs.item{ id = "t_pouch", name = "Pouch", stack = 5,
           use = function(player, item, t) t:add_gold(7) end }
defs.item{ id = "t_bad_fx", name = "Odd Draught", stack = 5, use = function() return { fly = 1 } end }
defs.monster{ id = "t_pinata", name = "Pinata", stats = { hp_max = 20, evasion = -1000 },
  skills = { "bite" }, respawn = 30, aggro = 0, leash = 60, exp = 10, gold = { min = 3, max = 3 },
  loot = { { item = "healing_potion", count = { 2, 2 } } } }
defs.monster{ id = "t_mimic", name = "Mimic", stats = { hp_max = 20, evasion = -1000 },
  skills = { "bite" }, respawn = 30, aggro = 0, leash = 60, exp = 10, gold = { min = 3, max = 3 },
  level = 12, loot = { { item = "iron_sword", count = { 3, 3 } } } }
defs.monster{ id = "t_table", name = "Table", stats = { hp_max = 20 }, skills = { "bite" },
  respawn = 30, aggro = 0, leash = 60, loot_rolls = 2,
  loot = { { item = "healing_potion", weight = 3, chance = 0.5, count = { 1, 3 } },
           { item = "iron_sword", weight = 1, ilvl = 20 } } }
defs.vendor{ id = "t_snob", name = "Snob", zone = "meadow", x = 200, y = 200,
  sells = { { item = "t_rock", price = 5 } } }

local function count_of(p, template)
  local n = 0
  for _, it in ipairs(p:items()) do
    if it.template == template then n = n + it.stack end
  end
  return n
end

local function first(p, template)
  for _, it in ipairs(p:items()) do
    if it.template == template then return it end
  end
end

local function grant(p, template, n)
  chaos.txn(p, "test grant", function(t) t:add_item(template, n) end)
  assert(sim.commit())
end

local ann = sim.player{ name = "Ann", race = "tester", job = "warrior", zone = "meadow", x = 100, y = 100 }
local bob = sim.player{ name = "Bob", race = "tester", job = "warrior", zone = "meadow", x = 100, y = 104 }

-- ---- consumables --------------------------------------------------------------------
grant(ann, "healing_potion", 3)
local wolf = sim.monster{ template = "wolf", zone = "meadow", x = 101, y = 100 }
local lost = 0
for _ = 1, 20 do lost = lost + sim.hit(ann, wolf) if lost >= 60 then break end end
chaos.world.despawn(wolf)
local hp0 = ann.hp
assert(hp0 <= 240, "the wolf hurt Ann: " .. hp0)
local potion = first(ann, "healing_potion")
local r, code, msg = sim.op(ann, "use_item", { uid = potion.uid })
assert(r, "use_item: " .. tostring(code) .. " " .. tostring(msg))
assert(math.abs(r.hp - math.min(300, hp0 + 50)) < 1e-6 and math.abs(ann.hp - r.hp) < 1e-6, "healed 50: " .. hp0 .. " -> " .. ann.hp)
assert(sim.commit())
assert(count_of(ann, "healing_potion") == 2, "exactly one consumed")

grant(ann, "t_cursed", 5)
local cursed = first(ann, "t_cursed")
r, code = sim.op(ann, "use_item", { uid = cursed.uid })
assert(r == nil and code, "a raising use fails")
assert(sim.commit())
assert(count_of(ann, "t_cursed") == 5, "a raising use consumes nothing")

grant(ann, "t_bad_fx", 1)
r, code = sim.op(ann, "use_item", { uid = first(ann, "t_bad_fx").uid })
assert(r == nil, "an unknown effect fails")
assert(sim.commit())
assert(count_of(ann, "t_bad_fx") == 1, "an unknown effect consumes nothing")

grant(ann, "t_pouch", 2)
local gold0 = ann.gold
r = assert(sim.op(ann, "use_item", { uid = first(ann, "t_pouch").uid }))
assert(sim.commit())
assert(ann.gold == gold0 + 7 and count_of(ann, "t_pouch") == 1, "use's t: gold with the consumption")

grant(ann, "iron_sword", 1)
r, code = sim.op(ann, "use_item", { uid = first(ann, "iron_sword").uid })
assert(r == nil and code == "not_usable", "a sword is not usable: " .. tostring(code))
r, code = sim.op(bob, "use_item", { uid = first(ann, "healing_potion").uid })
assert(r == nil and code == "not_found", "someone else's potion: " .. tostring(code))
assert(count_of(ann, "healing_potion") == 2)

-- ---- loot tables: a seeded run --------------------------------------------------------
local N = 4000
local tbl = defs.get("monster", "t_table")
local potions, potion_drops, swords, rarities = 0, 0, 0, {}
for _ = 1, N do
  for _, d in ipairs(loot.roll(tbl)) do
    if d.item == "healing_potion" then
      potion_drops = potion_drops + 1
      potions = potions + d.count
      assert(d.count >= 1 and d.count <= 3 and d.props == nil)
    else
      swords = swords + 1
      assert(d.count == 1 and d.props.ilvl == 20 and d.props.rarity, "equipment is generated")
      rarities[d.props.rarity] = true
    end
  end
end
-- per roll: potion 3/4 × 1/2 = 0.375, sword 1/4; two rolls per kill
local pr, sr = potion_drops / (2 * N), swords / (2 * N)
assert(pr > 0.35 and pr < 0.40, "potion rate " .. pr)
assert(sr > 0.23 and sr < 0.27, "sword rate " .. sr)
assert(potions / potion_drops > 1.9 and potions / potion_drops < 2.1, "count uniform in {1, 3}")
assert(rarities.common and rarities.magic, "rarities roll")

-- ---- loot lands with exp and gold in one commit ----------------------------------------
local cleo = sim.player{ name = "Cleo", race = "tester", job = "warrior", zone = "meadow", x = 300, y = 300 }
local p1 = sim.monster{ template = "t_pinata", zone = "meadow", x = 301, y = 300 }
sim.kill(p1, cleo)
assert(count_of(cleo, "healing_potion") == 0 and cleo.exp == 0, "nothing before the commit")
sim.fail_next_commit()
assert(sim.commit() == false)
assert(count_of(cleo, "healing_potion") == 0 and cleo.exp == 0 and cleo.gold == 0, "a failed commit: none of it")
p1 = sim.monster{ template = "t_pinata", zone = "meadow", x = 301, y = 300 }
sim.kill(p1, cleo)
assert(sim.commit())
assert(count_of(cleo, "healing_potion") == 2 and cleo.exp == 10 and cleo.gold == 3, "all of it in one commit")

-- equipment from loot carries its generated props (rarity) at the monster's level
local m = sim.monster{ template = "t_mimic", zone = "meadow", x = 301, y = 300 }
sim.kill(m, cleo)
assert(sim.commit())
local sword = first(cleo, "iron_sword")
assert(sword and sword.props.rarity and sword.props.ilvl == 12 and sword.props.stats.power >= 8, "rolled sword")
assert(count_of(cleo, "iron_sword") == 3)

-- ---- a full inventory -------------------------------------------------------------------
local dan = sim.player{ name = "Dan", race = "tester", job = "warrior", zone = "meadow", x = 400, y = 400 }
grant(dan, "t_rock", 22) -- 2 of 24 slots free
sim.events(dan)
assert(rules.loot_when_full == "skip_items", "the default rule")
m = sim.monster{ template = "t_mimic", zone = "meadow", x = 401, y = 400 }
sim.kill(m, dan)
assert(sim.commit())
assert(dan.exp == 10 and dan.gold == 3, "skip_items: exp and gold kept")
assert(count_of(dan, "iron_sword") == 0, "skip_items: no items")
local told
for _, e in ipairs(sim.events(dan)) do if e.ev == "loot_lost" then told = e end end
assert(told and #told.items == 3 and told.items[1].item == "iron_sword", "loot_lost tells what was lost")

rules.loot_when_full = "drop"
m = sim.monster{ template = "t_mimic", zone = "meadow", x = 401, y = 400 }
sim.kill(m, dan)
assert(sim.commit())
assert(dan.exp == 20 and dan.gold == 6, "drop: exp and gold kept")
assert(count_of(dan, "iron_sword") == 2, "drop: what fits is kept")
told = nil
for _, e in ipairs(sim.events(dan)) do if e.ev == "loot_lost" then told = e end end
assert(told and #told.items == 1, "drop: the rest is lost and told")
rules.loot_when_full = "skip_items"

-- ---- vendors ------------------------------------------------------------------------------
sim.advance(1) -- the generation is live: vendors are placed
local vendors = require("engine.vendors")
local v, npc = vendors.get("village_trader")
assert(v and npc and npc.kind == "npc" and npc.name == "Trader Lin", "the trader stands in the meadow")
vendors.place() -- again (as a reload does): no second NPC
assert(#chaos.world.within("meadow", v.x, v.y, 1, "npc") == 1, "placed once")

local eve = sim.player{ name = "Eve", race = "tester", job = "warrior", zone = "meadow", x = v.x, y = v.y - 5,
  gold = 45 }
local list = assert(sim.op(eve, "vendor", { vendor = "village_trader" }))
assert(list.sells[1].item == "healing_potion" and list.sells[1].price == 10, "price: the item's value")
assert(list.sells[2].price == 60, "price: the vendor's override")
r, code = sim.op(eve, "buy", { vendor = "nobody", item = "healing_potion" })
assert(code == "not_found")
r = assert(sim.op(eve, "buy", { vendor = "village_trader", item = "healing_potion", count = 3 }))
assert(r.price == 30 and r.gold == 15)
assert(sim.commit())
assert(eve.gold == 15 and count_of(eve, "healing_potion") == 3, "bought 3 for 30")
r, code = sim.op(eve, "buy", { vendor = "village_trader", item = "iron_sword" })
assert(r == nil and code == "no_resource", "not enough gold: " .. tostring(code))
r, code = sim.op(eve, "buy", { vendor = "village_trader", item = "healing_potion", count = 2 })
assert(r == nil and code == "no_resource", "20 > 15: " .. tostring(code))
r, code = sim.op(eve, "buy", { vendor = "village_trader", item = "apprentice_robe" })
assert(r == nil and code == "not_sold", tostring(code))
assert(sim.commit())
assert(eve.gold == 15 and sim.stored(eve).gold == 15, "refusals cost nothing")
-- two buys in one batch may not spend the same gold twice
local a1 = sim.op(eve, "buy", { vendor = "village_trader", item = "healing_potion" })
local a2 = sim.op(eve, "buy", { vendor = "village_trader", item = "healing_potion" })
assert(a1 and not a2, "the second buy sees the pending spend")
assert(sim.commit())
assert(eve.gold == 5 and eve.gold >= 0)

local far = sim.player{ name = "Far", race = "tester", job = "warrior", zone = "meadow", x = v.x + 7, y = v.y, gold = 100 }
r, code = sim.op(far, "buy", { vendor = "village_trader", item = "healing_potion" })
assert(r == nil and code == "out_of_range", tostring(code))

local pot = first(eve, "healing_potion")
r = assert(sim.op(eve, "sell", { vendor = "village_trader", uid = pot.uid, count = 2 }))
assert(r.price == 4, "10 × 0.25 × 2")
assert(sim.commit())
assert(eve.gold == 9 and count_of(eve, "healing_potion") == 2)
r, code = sim.op(eve, "sell", { vendor = "village_trader", uid = first(ann, "healing_potion").uid })
assert(r == nil and code == "not_found", "someone else's uid: " .. tostring(code))
assert(count_of(ann, "healing_potion") == 2, "untouched")
grant(eve, "iron_sword", 1)
local es = first(eve, "iron_sword")
assert(sim.op(eve, "equip", { uid = es.uid }))
r, code = sim.op(eve, "sell", { vendor = "village_trader", uid = es.uid })
assert(r == nil and code == "equipped", tostring(code))
-- a sell racing a destroy of the same stack: exactly one wins
pot = first(eve, "healing_potion")
local s1 = sim.op(eve, "sell", { vendor = "village_trader", uid = pot.uid })
local d1, dcode = sim.op(eve, "destroy_item", { uid = pot.uid })
assert(s1 and d1 == nil and dcode == "not_found", "destroy after sell: " .. tostring(dcode))
assert(sim.commit())
assert(count_of(eve, "healing_potion") == 0 and eve.gold == 13)

local snob_v, snob = vendors.get("t_snob")
local fay = sim.player{ name = "Fay", race = "tester", job = "warrior", zone = "meadow", x = snob.x + 1,
  y = snob.y, gold = 10 }
grant(fay, "t_rock", 1)
r, code = sim.op(fay, "sell", { vendor = snob_v.id, uid = first(fay, "t_rock").uid })
assert(r == nil and code == "not_buying", tostring(code))
assert(sim.op(fay, "buy", { vendor = "t_snob", item = "t_rock", count = 2 }))
assert(sim.commit())
assert(fay.gold == 0 and count_of(fay, "t_rock") == 3, "gold to exactly 0")

-- ---- definitions are checked ----------------------------------------------------------------
local ok, err = pcall(function() defs.monster{ id = "t_bad1", name = "Bad", skills = { "bite" },
  respawn = 1, aggro = 0, leash = 1, loot = { { item = "healing_potion", chance = 2 } } } end)
assert(not ok and err:match("shop_test%.lua:%d+: monster 't_bad1': loot%[1%]%.chance"), err)
ok, err = pcall(defs.monster, { id = "t_bad2", name = "Bad", skills = { "bite" }, respawn = 1,
  aggro = 0, leash = 1, loot = { { item = "healing_potion", ilvl = "boss" } } })
assert(not ok and err:match("ilvl must be"), err)
ok, err = pcall(function() defs.vendor{ id = "t_badv", name = "Bad", zone = "meadow", x = 1, y = 1,
  sells = { { item = "t_rock", price = -1 } } } end)
assert(not ok and err:match("shop_test%.lua:%d+: vendor 't_badv': sells%[1%]%.price"), err)
assert(#defs.check() == 0, "the content is clean: " .. table.concat(defs.check(), "; "))
defs.monster{ id = "t_bad3", name = "Bad", skills = { "bite" }, respawn = 1, aggro = 0, leash = 1,
  loot = { { item = "no_such_item" } } }
defs.vendor{ id = "t_badv2", name = "Bad", zone = "nowhere", x = 1, y = 1, sells = { { item = "nope" } } }
local errs = table.concat(defs.check(), "\n")
assert(errs:match("shop_test%.lua:%d+: monster 't_bad3': loot%[1%] names unknown item 'no_such_item'"), errs)
assert(errs:match("vendor 't_badv2': unknown zone 'nowhere'"), errs)
assert(errs:match("vendor 't_badv2': sells%[1%] names unknown item 'nope'"), errs)

print("shop_test: ok")

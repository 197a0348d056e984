-- party_test.lua — parties (scripts/engine/party.lua, scripts/ops/party.lua) and
-- their kill sharing (scripts/rules/party.lua through the kill rule) in the
-- simulated world. Run: chaosctl script tests/lua/party_test.lua
local chaos = require("chaos")
local defs = require("content.defs")
local rules = require("rules")
local party = require("engine.party")
local sim = chaos.sim

defs.race{ id = "tester", name = "Tester", stats = { hp_max = 300, power = 10, accuracy = 1000 } }
defs.monster{ id = "t_dummy", name = "Dummy", stats = { hp_max = 20, evasion = -1000 },
  skills = { "bite" }, respawn = 30, aggro = 0, leash = 60, exp = 30, gold = { min = 4, max = 4 } }

local function mk(name, x)
  return sim.player{ name = name, race = "tester", job = "warrior", zone = "meadow", x = x or 100, y = 100 }
end

local function fails(code, ...)
  local r, c, msg = sim.op(...)
  assert(r == nil and c == code, "expected " .. code .. ", got " .. tostring(c) .. " " .. tostring(msg))
end

local function last(p, evname)
  local found
  for _, e in ipairs(sim.events(p)) do
    if e.ev == evname then found = e end
  end
  return found
end

local ann, bob, cat = mk("Ann"), mk("Bob", 102), mk("Cat", 104)

-- ---- invite / accept ------------------------------------------------------------------
fails("not_online", ann, "party_invite", { name = "Nobody" })
fails("bad_field", ann, "party_invite", {})
fails("bad_target", ann, "party_invite", { name = "Ann" })
fails("no_invite", bob, "party_accept", {})
assert(sim.op(ann, "party_invite", { name = "bob" }).invited == "Bob") -- names match in any case
local inv = last(bob, "party_invite")
assert(inv and inv.from == "Ann")
local r = assert(sim.op(bob, "party_accept", {}))
assert(r.leader == "Ann" and #r.members == 2 and r.members[2] == "Bob")
local ev = last(ann, "party")
assert(ev.event == "joined" and ev.name == "Bob" and #ev.members == 2)
fails("in_party", bob, "party_accept", {}) -- in the party now
fails("not_leader", bob, "party_invite", { name = "Cat" })
fails("in_party", ann, "party_invite", { name = "Bob" })

-- ---- chat ------------------------------------------------------------------------------
sim.events(cat)
assert(party.chat(ann, "hello team") == 1)
local ch = last(bob, "chat")
assert(ch and ch.channel == "party" and ch.from == "Ann" and ch.text == "hello team")
assert(last(cat, "chat") == nil)
assert(party.chat(cat, "anyone?") == false)

-- ---- size limit: the rule ---------------------------------------------------------------
rules.party_max = 2
fails("party_full", ann, "party_invite", { name = "Cat" })
rules.party_max = 5
assert(sim.op(ann, "party_invite", { name = "Cat" }))
rules.party_max = 2 -- full by the time Cat accepts
fails("party_full", cat, "party_accept", {})
rules.party_max = 5
assert(party.of(cat) == nil)
assert(sim.op(ann, "party_invite", { name = "Cat" }))
assert(#sim.op(cat, "party_accept", {}).members == 3)

-- ---- leader, kick ----------------------------------------------------------------------
fails("not_leader", bob, "party_kick", { name = "Cat" })
assert(sim.op(ann, "party_leader", { name = "Bob" }).leader == "Bob")
assert(last(cat, "party").event == "leader")
fails("not_leader", ann, "party_kick", { name = "Cat" })
assert(sim.op(bob, "party_kick", { name = "Cat" }).kicked == "Cat")
local k = last(cat, "party")
assert(k.event == "kicked" and k.members == nil)
assert(party.of(cat) == nil and #sim.op(ann, "party", {}).members == 2)
fails("not_in_party", cat, "party_leave", {})

-- ---- shared experience -------------------------------------------------------------------
sim.commit()
local a0, b0, c0 = ann.exp, bob.exp, cat.exp
local d = sim.monster{ template = "t_dummy", zone = "meadow", x = 101, y = 100 }
sim.kill(d, ann)
sim.commit()
assert(ann.exp - a0 == 15 and bob.exp - b0 == 15, "exp split " .. (ann.exp - a0) .. "/" .. (bob.exp - b0))
assert(cat.exp == c0) -- not in the party
assert(ann.gold == 4 and bob.gold == 0) -- gold goes to the killer

-- out of range: the killer keeps it all
chaos.world.teleport(bob, "meadow", 100 + rules.party_range + 40, 100)
local d2 = sim.monster{ template = "t_dummy", zone = "meadow", x = 101, y = 100 }
sim.kill(d2, ann)
sim.commit()
assert(ann.exp - a0 == 45 and bob.exp - b0 == 15 and ann.gold == 8)

-- a custom loot rule: the loot goes to another member
rules.party_loot = function(killer, members)
  for _, h in ipairs(members) do if h ~= killer then return h end end
  return killer
end
local d3 = sim.monster{ template = "t_dummy", zone = "meadow", x = 101, y = 100 }
sim.kill(d3, ann)
sim.commit()
assert(ann.gold == 8 and bob.gold == 4) -- the loot rule sent it to Bob
rules.party_loot = function(killer) return killer end

-- ---- leaving ---------------------------------------------------------------------------
-- leader logs out: the party of two is disbanded
sim.leave(bob)
assert(party.of(ann) == nil)
assert(last(ann, "party").event == "disbanded")

-- three members, the leader leaves: the lead passes on
bob = mk("Bob")
assert(sim.op(ann, "party_invite", { name = "Bob" }))
assert(sim.op(bob, "party_accept", {}))
assert(sim.op(ann, "party_invite", { name = "Cat" }))
assert(sim.op(cat, "party_accept", {}))
assert(sim.op(ann, "party_leave", {}).left)
local v = sim.op(bob, "party", {})
assert(v.leader == "Bob" and #v.members == 2)
assert(last(cat, "party").event == "left")
assert(sim.op(cat, "party_leave", {}).left)
assert(party.of(bob) == nil and party.of(cat) == nil)
assert(sim.op(bob, "party", {}).in_party == false)

print("party_test: ok")

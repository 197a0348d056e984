-- game_hooks_test.lua — every hook fires in chaosctl's simulated world with
-- the documented fields, and chaos.on's options work: filter narrows,
-- priority orders, chaos.off removes, a hook that errors does not stop the
-- next. Run: chaosctl script tests/lua/game_hooks_test.lua
--
-- The world is built from content/ plus the definitions below (declared
-- before the first chaos.sim call, so the world sees them).
local chaos = require("chaos")
local defs = require("content.defs")
local sim = chaos.sim

defs.race{ id = "tester", name = "Tester", stats = { hp_max = 300, power = 10, accuracy = 1000 } }
defs.monster{ id = "rat", name = "Rat", stats = { hp_max = 40, evasion = -1000, move_speed = 8 },
  skills = { "bite" }, respawn = 10, aggro = 0, leash = 60, exp = 120, gold = { min = 5, max = 5 } }
defs.monster{ id = "toad", name = "Toad", stats = { hp_max = 5, evasion = -1000 },
  skills = { "bite" }, respawn = 10, aggro = 0, leash = 60, exp = 1 }

-- Every event each hook received, in order.
local got = {}
local function record(name)
  got[name] = {}
  chaos.on(name, function(ev) table.insert(got[name], ev) end)
end
for _, name in ipairs({ "login", "logout", "enter_world", "enter_zone", "leave_zone", "kill",
  "death", "respawn", "level_up", "tick" }) do
  record(name)
end
local function last(name) return got[name][#got[name]] end
local function clear() for k in pairs(got) do got[k] = {} end end

-- ---- login, enter_world, enter_zone ----------------------------------------------
local ann = sim.player{ name = "Ann", race = "tester", job = "warrior", zone = "meadow", x = 100, y = 100 }
assert(#got.login == 1 and last("login").name == "Ann", "login fires with the account name")
assert(type(last("login").account) == "number", "login has the account id")
assert(last("enter_world").player == ann and last("enter_world").zone == "meadow")
assert(last("enter_zone").player == ann and last("enter_zone").zone == "meadow")
assert(ann.level == 1 and ann.hp == ann.hp_max, "a new character: level 1, full hp")

-- ---- kill: contributors and shares for two players --------------------------------
local bob = sim.player{ name = "Bob", race = "tester", job = "warrior", zone = "meadow", x = 100, y = 104 }
clear()
local rat = sim.monster{ template = "rat", zone = "meadow", x = 102, y = 102 }
local dealt = sim.hit(rat, ann) -- Ann lands one hit
assert(dealt > 0 and rat.hp == rat.hp_max - dealt, "sim.hit lands one hit")
sim.kill(rat, bob) -- Bob finishes it
assert(#got.kill == 1, "one kill")
local k = last("kill")
assert(k.killer == bob, "the killing blow is Bob's")
assert(k.template == "rat" and k.zone == "meadow" and k.victim.entity == rat.entity)
assert(k.entity == rat.entity, "the victim's entity id, also as a number")
assert(type(k.x) == "number" and type(k.y) == "number")
assert(#k.contributors == 2, "both players contributed")
local total, by = 0, {}
for _, c in ipairs(k.contributors) do
  total = total + c.share
  by[c.player.name] = c
  assert(c.character == c.player.id)
end
assert(math.abs(total - 1) < 1e-9, "shares add up to 1")
assert(math.abs(by.Ann.damage - dealt) < 1e-9, "Ann's damage is her hit")
assert(math.abs(by.Ann.share - dealt / (by.Ann.damage + by.Bob.damage)) < 1e-9)

-- ---- level_up: after the commit that pays the kill (the kill rule: 120 exp each) ---
assert(#got.level_up == 0, "no level before the commit")
sim.commit()
assert(#got.level_up == 2, "both contributors reached level 2")
assert(last("level_up").level == 2 and last("level_up").from == 1)
assert(got.level_up[1].player == ann or got.level_up[1].player == bob)
assert(got.level_up[1].player ~= got.level_up[2].player, "one each")

-- ---- death (with its killer) and respawn of a player ------------------------------
clear()
local biter = sim.monster{ template = "rat", zone = "meadow", x = 100, y = 101 }
sim.kill(ann, biter)
assert(#got.death == 1, "death fired")
local d = last("death")
assert(d.player == ann and d.killer == biter and d.killer.kind == "monster" and d.zone == "meadow")
assert(ann.dead)
sim.advance(4) -- the rules' player_respawn is 3 s
assert(not ann.dead and ann.hp == ann.hp_max, "back with full hp")
local r = got.respawn[1]
assert(r and r.player == ann and r.kind == "player", "respawn fired for Ann")

-- ---- respawn of a monster ----------------------------------------------------------
clear()
local toad = sim.monster{ template = "toad", zone = "meadow", x = 130, y = 100, respawn = true }
sim.kill(toad, bob)
sim.advance(11) -- its respawn time is 10 s
local mr = last("respawn")
assert(mr and mr.kind == "monster" and mr.template == "toad", "the toad came back")
assert(mr.entity.template == "toad" and not mr.entity.dead)

-- ---- tick: once per simulated second ----------------------------------------------
clear()
sim.advance(3)
assert(#got.tick == 3, "three ticks in three seconds, got " .. #got.tick)
assert(got.tick[1].players == 2)

-- ---- chat_command -------------------------------------------------------------------
local cmd
chaos.on("chat_command", function(ev)
  if ev.command ~= "roll" then return end
  cmd = ev
  return true -- claimed
end)
assert(sim.chat(bob, "/roll 2 d6") == true, "the command was claimed")
assert(cmd.player == bob and cmd.command == "roll" and cmd.args == "2 d6")
assert(cmd.channel == "say" and cmd.text == "/roll 2 d6")
assert(sim.chat(bob, "/dance") == false, "nobody claims /dance")
cmd = nil
assert(sim.chat(bob, "roll 2") == false and cmd == nil, "plain chat is not a command")

-- ---- interact ------------------------------------------------------------------------
local used
chaos.on("interact", function(ev)
  used = ev
  return ev.name == "Smith"
end)
local smith = chaos.world.spawn{ npc = "Smith", zone = "meadow", x = 101, y = 104 }
bob:teleport("meadow", 100, 104) -- sim.kill walked him up to the toad
assert(sim.interact(bob, smith, "trade") == true)
assert(used.player == bob and used.target == smith and used.kind == "npc")
assert(used.name == "Smith" and used.action == "trade")
local far = chaos.world.spawn{ npc = "Hermit", zone = "meadow", x = 140, y = 104 }
local ok, code = sim.interact(bob, far)
assert(ok == nil and code == "out_of_range", "too far away: refused like the server does")

-- ---- opts.filter narrows -------------------------------------------------------------
local rats = 0
chaos.on("kill", function() rats = rats + 1 end, { filter = { template = "rat" } })
sim.kill(sim.monster{ template = "toad", zone = "meadow", x = 102, y = 106 }, bob)
assert(rats == 0, "a toad is not a rat")
sim.kill(sim.monster{ template = "rat", zone = "meadow", x = 102, y = 106 }, bob)
assert(rats == 1, "the filter let the rat through")

-- ---- opts.priority orders; chaos.off removes; an error does not stop the next --------
local order = {}
chaos.on("tick", function() table.insert(order, "low") end, { priority = -5 })
chaos.on("tick", function() table.insert(order, "high") end, { priority = 5 })
local mid = chaos.on("tick", function() table.insert(order, "mid") end)
-- (its error is logged with file and line; the hooks after it still run)
chaos.on("tick", function() error("this hook is broken on purpose") end, { priority = 1 })
sim.advance(1)
assert(table.concat(order, ",") == "high,mid,low", "priority order, got " .. table.concat(order, ","))
order = {}
chaos.off(mid)
sim.advance(1)
assert(table.concat(order, ",") == "high,low", "chaos.off removed mid, and the error stopped nothing")

-- ---- leave_zone and logout -----------------------------------------------------------
clear()
sim.leave(bob)
assert(last("leave_zone").player == bob and last("leave_zone").zone == "meadow")
assert(last("logout").player == bob and last("logout").zone == "meadow")
assert(not bob.exists, "Bob is offline")
local again = sim.player{ name = "Bob" }
assert(again == bob and bob.exists and bob.level == 2, "Bob comes back as he was")

print("game_hooks_test: ok")

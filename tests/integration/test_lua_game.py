"""The Lua game API against a real chaosd: ctx.player, chaos.world, hooks,
transactions and per-character data, over TCP with real clients.

The content is the content guide's worked example (a wolf-kill counter that
rewards the fifth kill with exp and gold through a transaction) plus small ops
that exercise the world binding. Kills are quick: the test content spawns
one-hit wolves next to the player through chaos.world.spawn."""
import os
import signal
import sqlite3
import subprocess
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN, FAST_AUTH, SRC, ServerTest, main, play, reenter, wait_for  # noqa: E402

BASE = {
    "races.lua": """
local defs = require("content.defs")
defs.race{ id = "human", name = "Human", move_speed = 10,
           stats = { hp_max = 500, power = 10, accuracy = 1000 }, per_level = { hp_max = 10 } }
""",
    "jobs.lua": """
local defs = require("content.defs")
defs.job{ id = "warrior", name = "Warrior" }
""",
    "skills.lua": """
local defs = require("content.defs")
defs.skill{ id = "strike", name = "Strike", base_min = 50, base_max = 60, scaling = 1.0,
            range = 5, cooldown = 0 }
defs.skill{ id = "bite", name = "Bite", base_min = 1, base_max = 1, scaling = 0, range = 2, cooldown = 5 }
""",
    "monsters.lua": """
local defs = require("content.defs")
defs.monster{ id = "wolf", name = "Wolf", stats = { hp_max = 1, evasion = -1000 },
              skills = { "bite" }, respawn = 60, aggro = 0, leash = 30, exp = 10 }
""",
    "zones.lua": """
local defs = require("content.defs")
defs.zone{ id = "field", name = "Field", start = true, width = 1000, height = 1000, view = 50,
           spawn = { x = 100, y = 100 } }
defs.zone{ id = "hill", name = "Hill", width = 200, height = 200, view = 50,
           spawn = { x = 50, y = 50 } }
""",
    # The worked example of docs/content-guide.md.
    "wolf_bounty.lua": """
local chaos = require("chaos")

chaos.data_version("bounty", 1, function(old, version) return old end)

chaos.on("kill", function(ev)
  local p = ev.killer
  if not p or p.kind ~= "player" then return end
  chaos.txn(p, "wolf bounty", function(t)
    local d = t:data("bounty")
    d.wolves = (d.wolves or 0) + 1
    if d.wolves % 5 == 0 then
      t:add_exp(500)
      t:add_gold(100)
    end
  end)
end, { filter = { template = "wolf" } })

chaos.on_op("bounty", function(req, ctx)
  if not ctx.player then chaos.fail("not_in_world", "enter the world first") end
  return { wolves = ctx.player:data("bounty").wolves or 0 }
end)
""",
    "api.lua": """
local chaos = require("chaos")
local seen = chaos.state("seen", function() return { logins = 0 } end)

chaos.on("login", function(ev) seen.logins = seen.logins + 1 end)
chaos.on("enter_world", function(ev)
  chaos.world.send(ev.player, { ev = "welcome", name = ev.player.name, zone = ev.zone })
end)
-- A hook that errors, then one that still runs after it.
chaos.on("chat_command", function(ev) error("broken hook") end, { priority = 10 })
chaos.on("chat_command", function(ev)
  if ev.command ~= "roll" then return false end
  chaos.world.send(ev.player, { ev = "rolled", args = ev.args })
  return true
end)

chaos.on_op("whoami", function(req, ctx)
  local p = ctx.player
  if not p then return { in_world = false } end
  return { in_world = true, character = p.id, name = p.name, level = p.level, zone = p.zone,
           x = p.x, y = p.y, entity = p.entity, gold = p.gold, exp = p.exp,
           hp = p.hp, logins = seen.logins }
end)

chaos.on_op("spawn_wolf", function(req, ctx)
  local p = ctx.player
  local w = chaos.world.spawn{ monster = "wolf", zone = p.zone, x = p.x + 1, y = p.y }
  return { entity = w.id, template = w.template, hp = w.hp }
end)

chaos.on_op("gone", function(req, ctx)
  local w = chaos.world.spawn{ monster = "wolf", zone = ctx.player.zone, x = ctx.player.x + 2, y = ctx.player.y }
  chaos.world.despawn(w)
  return { hp = w.hp }  -- raises: the handle's entity is gone
end)

chaos.on_op("hop", function(req, ctx)
  chaos.world.teleport(ctx.player, req.zone, req.x, req.y)
  return { zone = ctx.player.zone, x = ctx.player.x }
end)

chaos.on_op("bless", function(req, ctx)
  local before = ctx.player:stats().power
  chaos.world.buff(ctx.player, { source = "blessing", stats = { power = 7 }, seconds = 60 })
  local after = ctx.player:stats().power
  chaos.world.unbuff(ctx.player, "blessing")
  return { before = before, after = after, removed = ctx.player:stats().power }
end)

chaos.on_op("pay", function(req, ctx)
  chaos.txn(ctx.player, "test pay", function(t) t:add_gold(req.amount) end)
  return { paid = req.amount }
end)

chaos.on_op("half", function(req, ctx)
  chaos.txn(ctx.player, "test half", function(t)
    t:add_gold(1000)
    t:add_exp(1000)
    t:data("bounty").wolves = 999
    error("changed my mind")
  end)
end)

chaos.on_op("hoard", function(req, ctx)
  ctx.player:data("big").blob = string.rep("x", req.size)
  return { ok = true }
end)

chaos.on_op("tip", function(req, ctx)
  chaos.txn(ctx.player, req.reason, function(t) t:add_gold(1) end)
  return { tipped = true }
end)

chaos.on_op("train", function(req, ctx)
  chaos.txn(ctx.player, "training", function(t) t:add_exp(req.exp) end)
  return {}
end)

chaos.on("level_up", function(ev)
  ev.player:send{ ev = "lvl", level = ev.level, from = ev.from, hp = ev.player.hp,
                  hp_max = ev.player.hp_max }
end)

chaos.on_op("bad_arg", function(req, ctx)
  chaos.world.teleport(ctx.player, 42, 1, 1)
end)
""",
}


def ev_of(c, name, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        for i, e in enumerate(c.events):
            if e.get("ev") == name:
                del c.events[:i + 1]
                return e
        c.request("ping")
        time.sleep(0.05)  # below net.rate (50/s): a ping flood gets the connection closed
    raise AssertionError("no %s event in %s" % (name, c.events))


PG_URL = os.environ.get("CHAOS_TEST_PG", "")


class LuaGame(ServerTest):
    """On SQLite; PostgresLuaGame below runs the same tests on PostgreSQL."""
    server_args = FAST_AUTH
    server_content = BASE

    def name(self, base):
        return base

    def store_url(self):
        return "sqlite:" + os.path.join(self.server.var, "chaos.db")

    def ledger(self, char_id, reason):
        q = ("SELECT kind, amount, reason FROM ledger WHERE to_character_id = %d AND reason = '%s'"
             % (char_id, reason))
        if self.store_url().startswith("sqlite:"):
            db = sqlite3.connect(os.path.join(self.server.var, "chaos.db"), timeout=10)
            rows = db.execute(q).fetchall()
            db.close()
            return sorted(rows)
        out = subprocess.run(["psql", PG_URL, "-At", "-F", "|", "-c", q], capture_output=True,
                             text=True, check=True).stdout
        return sorted((k, int(a), r) for k, a, r in (l.split("|") for l in out.splitlines() if l))

    def audit(self):
        a = subprocess.run([os.path.join(BIN, "chaosctl"), "audit", "--store", self.store_url()],
                           capture_output=True, text=True, cwd=SRC)
        self.assertEqual(a.returncode, 0, a.stdout + a.stderr)

    def assertLogged(self, text):
        errors = [r.get("error", "") for r in self.server.log_records() if r.get("msg") == "lua error"]
        self.assertTrue(any(text in e for e in errors), (text, errors))

    def kill_wolf(self, c):
        w = c.request("spawn_wolf")
        self.assertTrue(w.get("ok"), w)
        self.assertEqual((w["template"], w["hp"]), ("wolf", 1))
        r = c.request("attack", target=w["entity"])
        self.assertTrue(r.get("ok"), r)
        return w["entity"]

    def test_ctx_player_and_world_queries(self):
        c = self.server.client()
        ada = self.name("Ada")
        self.assertTrue(c.request("register", name=ada, password="correct horse 1")["ok"])
        self.assertTrue(c.request("login", name=ada, password="correct horse 1")["ok"])
        self.assertEqual(c.request("whoami")["in_world"], False)
        ch = c.request("create_character", name=ada, race="human", job="warrior")["character"]
        r = c.request("enter_world", character=ch["id"])
        self.assertTrue(r["ok"], r)
        welcome = ev_of(c, "welcome")
        self.assertEqual((welcome["name"], welcome["zone"]), (ada, "field"))
        me = c.request("whoami")
        self.assertEqual((me["character"], me["name"], me["level"], me["zone"]),
                         (ch["id"], ada, 1, "field"))
        self.assertEqual((me["x"], me["y"], me["entity"]), (100, 100, r["entity"]))
        self.assertEqual(me["hp"], 500)
        self.assertEqual(me["logins"], 1)
        # Teleport: validated against the zone.
        hop = c.request("hop", zone="hill", x=20, y=30)
        self.assertEqual((hop["zone"], hop["x"]), ("hill", 20), hop)
        self.assertEqual(ev_of(c, "zone")["zone"], "hill")
        bad = c.request("hop", zone="hill", x=5000, y=30)
        self.assertEqual(bad["error"]["code"], "internal", bad)
        self.assertLogged("not a standable point")
        bad = c.request("hop", zone="nowhere", x=1, y=1)
        self.assertLogged('no zone "nowhere"')
        # Wrong argument types name the function.
        self.assertEqual(c.request("bad_arg")["error"]["code"], "internal")
        self.assertLogged("teleport: zone must be a zone id (string), not a number")
        # A handle to a despawned entity raises, the server goes on.
        self.assertEqual(c.request("gone")["error"]["code"], "internal")
        self.assertLogged("is gone")
        self.assertTrue(c.request("ping")["ok"])
        # A buff through the live stat engine, then removed.
        b = c.request("bless")
        self.assertEqual((b["after"] - b["before"], b["removed"]), (7, b["before"]), b)

    def test_hooks_isolated_and_chat_command_claimed(self):
        c = self.server.client()
        play(c, self.name("Cmd"))
        r = c.request("chat", channel="say", text="/roll 2d6")
        self.assertEqual(r.get("command"), True, r)
        self.assertEqual(ev_of(c, "rolled")["args"], "2d6")
        # The first hook raised: logged with its file and line, the second ran.
        logs = [x for x in self.server.log_records() if x.get("msg") == "lua error"]
        self.assertTrue(any("api.lua" in x.get("where", "") and "broken hook" in x.get("error", "")
                            for x in logs), logs)
        # A line nobody claims is plain chat.
        r = c.request("chat", channel="say", text="/unknown")
        self.assertIn("delivered", r, r)

    def test_kill_counter_reward_reload_restart(self):
        c = self.server.client()
        hunter = self.name("Hunter")
        me = play(c, hunter)
        for i in range(4):
            self.kill_wolf(c)
        self.assertEqual(wait_for(lambda: c.request("bounty").get("wolves") == 4 and 4,
                                  what="4 wolves"), 4)
        self.kill_wolf(c)
        # The fifth: exp from the rule (10) and the bounty (500), gold 100 — told after commit.
        gold = ev_of(c, "gold")
        self.assertEqual(gold["gold"], 100)
        self.assertEqual(c.request("bounty")["wolves"], 5)
        # Reload: data and chaos.state survive.
        admin = self.server.admin()
        r = admin.cmd("reload")
        self.assertTrue(r.get("ok"), r)
        self.assertEqual(c.request("bounty")["wolves"], 5)
        self.assertEqual(c.request("whoami")["logins"], 1)
        self.kill_wolf(c)
        wait_for(lambda: c.request("bounty").get("wolves") == 6, what="6 wolves")
        # Restart: the count was saved with the character.
        c.request("logout")
        c.close()
        self.server.stop()
        self.server.start()
        c = self.server.client()
        reenter(c, hunter)
        self.assertEqual(c.request("bounty")["wolves"], 6)
        w = c.request("whoami")
        self.assertEqual(w["gold"], 100)
        self.assertGreaterEqual(w["exp"], 560)
        self.assertEqual(self.ledger(me["id"], "wolf bounty"),
                         [("exp", 500, "wolf bounty"), ("gold", 100, "wolf bounty")])
        self.audit()

    def test_txn_reason_is_checked_text(self):
        c = self.server.client()
        me = play(c, self.name("Tipper"))
        for reason, why in (("line\nbreak", "control characters"),
                            ("\u202eevil", "direction-changing"),
                            ("   ", "blank")):
            r = c.request("tip", reason=reason)
            self.assertEqual(r["error"]["code"], "txn_refused", r)
            self.assertIn("reason", r["error"]["message"])
            self.assertIn(why, r["error"]["message"])
            self.assertNotIn(reason, r["error"]["message"])  # never repeated
        self.assertEqual(c.request("whoami")["gold"], 0)
        c.events = []
        r = c.request("tip", reason="pourboire \u00e9t\u00e9")
        self.assertTrue(r.get("tipped"), r)
        ev_of(c, "gold")
        self.assertEqual(self.ledger(me["id"], "pourboire \u00e9t\u00e9"),
                         [("gold", 1, "pourboire \u00e9t\u00e9")])
        self.audit()

    def test_txn_all_or_nothing(self):
        c = self.server.client()
        play(c, self.name("Payer"))
        # Spending more than there is: refused, a clear error, nothing changed.
        r = c.request("pay", amount=-5)
        self.assertEqual(r["error"]["code"], "txn_refused", r)
        # An error inside the transaction: exp, gold and data untouched.
        r = c.request("half")
        self.assertEqual(r["error"]["code"], "internal", r)
        w = c.request("whoami")
        self.assertEqual((w["gold"], w["exp"]), (0, 0))
        self.assertEqual(c.request("bounty")["wolves"], 0)
        # A payment: the answer comes after the commit, the gold is there.
        c.events = []
        r = c.request("pay", amount=30)
        self.assertEqual(r.get("paid"), 30, r)
        # The answer waited for the commit: the commit's gold event came before it.
        self.assertIn({"ev": "gold", "gold": 30, "delta": 30}, c.events)
        self.assertEqual(c.request("whoami")["gold"], 30)
        # Oversized data: refused with a clear error, nothing of it saved.
        r = c.request("hoard", size=70000)
        self.assertEqual(r["error"]["code"], "internal", r)
        self.assertLogged("would pass 64 KiB")
        r = c.request("hoard", size=100)
        self.assertTrue(r.get("ok"), r)

    def test_bad_hooks_are_load_errors_with_file_and_line(self):
        admin = self.server.admin()
        self.server.write_content("typo.lua", 'local chaos = require("chaos")\n'
                                  'chaos.on("kil", function() end)\n')
        r = admin.cmd("reload")
        self.assertFalse(r["ok"], r)
        self.assertTrue(any("typo.lua:2:" in e and 'no hook named "kil"' in e for e in r["errors"]), r)
        self.server.write_content("typo.lua", 'local chaos = require("chaos")\n'
                                  'chaos.on("kill", function() end, { filter = { template = {} } })\n')
        r = admin.cmd("reload")
        self.assertTrue(any("typo.lua:2:" in e and "opts.filter.template" in e for e in r["errors"]), r)
        # The world API is for hooks, ops and timers, not for a file's top level.
        self.server.write_content("typo.lua", 'local chaos = require("chaos")\n'
                                  'chaos.world.broadcast({ ev = "hi" })\n')
        r = admin.cmd("reload")
        self.assertTrue(any("typo.lua:2:" in e and "not available while content loads" in e
                            for e in r["errors"]), r)
        c = self.server.client()
        self.assertTrue(c.request("ping")["ok"])

    def test_level_up_and_a_teleport_are_kept(self):
        c = self.server.client()
        name = self.name("Climber")
        play(c, name)
        self.assertTrue(c.request("train", exp=150).get("ok"))
        lvl = ev_of(c, "lvl")
        # Level 2 from the rules' curve; the level source (hp_max +10) keeps a full pool full.
        self.assertEqual((lvl["level"], lvl["from"]), (2, 1), lvl)
        self.assertEqual(lvl["hp"], lvl["hp_max"])
        hop = c.request("hop", zone="field", x=140, y=120)
        self.assertEqual(hop["x"], 140, hop)
        r = c.request("logout")
        self.assertTrue(r.get("ok") and r.get("saved"), r)
        ch = reenter(c, name)
        self.assertEqual((ch["level"], ch["exp"], ch["x"], ch["y"]), (2, 150, 140, 120), ch)
        self.assertEqual(c.request("whoami")["hp"], 510)

    def test_kill_9_after_ack_loses_nothing(self):
        c = self.server.client()
        crash = self.name("Crash")
        play(c, crash)
        r = c.request("pay", amount=77)
        self.assertEqual(r.get("paid"), 77, r)
        self.server.stop(sig=signal.SIGKILL)
        self.server.start()
        c = self.server.client()
        reenter(c, crash)
        self.assertEqual(c.request("whoami")["gold"], 77)
        self.audit()


@unittest.skipUnless(PG_URL, "CHAOS_TEST_PG not set")
class PostgresLuaGame(LuaGame):
    server_args = FAST_AUTH + ["--store", PG_URL]

    def name(self, base):
        """Names unique per test: the PostgreSQL database is shared by parallel tests."""
        return (base + "_" + uuid.uuid4().hex[:8])[:24]

    def store_url(self):
        return PG_URL


if __name__ == "__main__":
    main()

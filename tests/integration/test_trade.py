"""Trades between players over TCP against a real chaosd, on SQLite and (with CHAOS_TEST_PG)
PostgreSQL: a full trade (items and gold both ways, events on both sides, ledger rows with
from/to), items held by a trade (item_busy for destroy_item and equip; a second trade: busy),
cancel on leaving range and on disconnect, a content veto, and kill -9 at each step of the
commit (before it, right after the confirm's answer, and with both confirms in flight): after
the restart `chaosctl audit` passes and every offered item has exactly one owner, the trade
having happened wholly or not at all."""
import os
import signal
import sqlite3
import subprocess
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(__file__))
from harness import FAST_AUTH, Server, audit, main, wait_for  # noqa: E402

PG_URL = os.environ.get("CHAOS_TEST_PG", "")

CONTENT = {
    "base.lua": """
local defs = require("content.defs")
defs.race{ id = "human", name = "Human", move_speed = 100, stats = { hp_max = 500, power = 10 } }
defs.job{ id = "warrior", name = "Warrior" }
defs.zone{ id = "field", name = "Field", start = true, width = 1000, height = 1000, view = 80,
           spawn = { x = 100, y = 100 } }
defs.item{ id = "potion", name = "Potion", stack = 10 }
defs.item{ id = "sword", name = "Sword", slot = "weapon", stats = { power = 5 } }
defs.item{ id = "rock", name = "Rock" }
defs.item{ id = "cursed", name = "Cursed idol" }
defs.item{ id = "sealed", name = "Sealed letter" }
defs.rarity{ id = "common", name = "Common", order = 0, weight = 1, affixes = { 0, 0 } }
defs.skill{ id = "strike", name = "Strike", base_min = 1, base_max = 1, scaling = 0, range = 5,
            cooldown = 0 }
defs.skill{ id = "bite", name = "Bite", base_min = 1, base_max = 1, scaling = 0, range = 2,
            cooldown = 5 }
defs.monster{ id = "dummy", name = "Dummy", stats = { hp_max = 100000, evasion = -1000 },
              skills = { "bite" }, respawn = 60, aggro = 0, leash = 30 }
""",
    "ops.lua": """
local chaos = require("chaos")
chaos.on_op("dummy", function(req, ctx)
  local p = ctx.player
  return { entity = chaos.world.spawn{ monster = "dummy", zone = p.zone, x = p.x + 2, y = p.y }.id }
end)
chaos.on_op("grant", function(req, ctx)
  chaos.txn(ctx.player, "test grant", function(t)
    if req.gold then t:add_gold(req.gold) end
    if req.template then t:add_item(req.template, req.count or 1) end
  end)
  return {}
end)
-- content's veto: a cursed idol is never traded; changing the event changes nothing
chaos.on("trade", function(ev)
  for _, o in ipairs(ev.offers) do
    o.gold = 0
    for _, it in ipairs(o.items) do
      if it.template == "cursed" then ev.veto = "cursed idols stay with their owner" end
    end
  end
end)
-- the other way to veto: return false and a reason
chaos.on("trade", function(ev)
  for _, o in ipairs(ev.offers) do
    for _, it in ipairs(o.items) do
      if it.template == "sealed" then return false, "sealed letters are not for sale" end
    end
  end
end)
""",
}


def ev_of(c, name, tries=300):
    """The next event called name (pinging to let more arrive); earlier ones are dropped."""
    for _ in range(tries):
        for i, e in enumerate(c.events):
            if e.get("ev") == name:
                del c.events[:i + 1]
                return e
        time.sleep(0.01)  # the range sweep runs at the world tick
        c.request("ping")
    raise AssertionError("no %s event in %s" % (name, c.events))


class Trades:
    """Mixed into one TestCase per backend."""

    store_args = []

    def setUp(self):
        args = FAST_AUTH + ["--set", "store.save_interval_ms=200", "--set", "net.rate=1000",
                            "--set", "net.burst=1000"] + self.store_args
        self.server = Server(extra=args, content=CONTENT).start()
        self.addCleanup(self.finish)

    def finish(self):
        for c in self.server.clients:
            c.close()
        self.server.stop()
        log = self.server.log()
        self.server.cleanup()
        self.assertNotIn("ERROR: AddressSanitizer", log)
        self.assertNotIn("ERROR: LeakSanitizer", log)
        self.assertNotIn("runtime error:", log)

    def name(self, base):
        return (base + "_" + uuid.uuid4().hex[:8])[:24]

    def store_url(self):
        return self.store_args[1] if self.store_args else "sqlite:" + os.path.join(
            self.server.var, "chaos.db")

    def sql(self, query):
        """Rows of a read-only query (ints only are spliced in by the callers)."""
        if self.store_args:
            out = subprocess.run(["psql", self.store_args[1], "-X", "-A", "-t", "-F", "\t",
                                  "-v", "ON_ERROR_STOP=1", "-c", query],
                                 capture_output=True, text=True, check=True).stdout
            return [tuple(line.split("\t")) for line in out.splitlines() if line]
        db = sqlite3.connect(os.path.join(self.server.var, "chaos.db"), timeout=10)
        rows = [tuple(str(v) if v is not None else "" for v in r) for r in db.execute(query)]
        db.close()
        return rows

    def assert_audit_ok(self):
        rc, out = audit(self.store_url())
        self.assertEqual(rc, 0, out)
        self.assertTrue(out["ok"], out)

    # ---- helpers -------------------------------------------------------------------------

    def enter(self, base, gold=0, items=()):
        """A new player in the world with gold and items; returns (client, character, entity,
        {template: uid})."""
        c = self.server.client()
        name = self.name(base)
        for op, kw in (("register", {"password": "correct horse 1"}),
                       ("login", {"password": "correct horse 1"})):
            r = c.request(op, name=name, **kw)
            self.assertTrue(r.get("ok"), r)
        r = c.request("create_character", name=name, race="human", job="warrior")
        self.assertTrue(r.get("ok"), r)
        r = c.request("enter_world", character=r["character"]["id"])
        self.assertTrue(r.get("ok"), r)
        ch, ent = r["character"], r["entity"]
        if gold:
            self.assertTrue(c.request("grant", gold=gold).get("ok"))
        uids = {}
        for tmpl, count in items:
            r = c.request("grant", template=tmpl, count=count)
            self.assertTrue(r.get("ok"), r)
            uids[tmpl] = ev_of(c, "item_added")["uid"]
        return c, ch, ent, uids

    def open_trade(self, a, b, b_ent):
        r = a.request("trade_request", target=b_ent)
        self.assertTrue(r.get("ok"), r)
        ev = ev_of(b, "trade")
        self.assertEqual((ev["state"], ev["asked"]), ("asked", False), ev)
        r = b.request("trade_respond", accept=True)
        self.assertEqual(r.get("state"), "open", r)
        self.assertEqual(ev_of(b, "trade")["state"], "open")
        self.assertEqual(ev_of(a, "trade")["state"], "asked")
        self.assertEqual(ev_of(a, "trade")["state"], "open")

    def owner(self, uid):
        return [int(r[0]) for r in self.sql(
            "SELECT owner_character_id FROM item_instances WHERE id = %d" % int(uid))]

    def restart_after_kill9(self):
        for c in self.server.clients:
            c.close()
        self.server.clients = []
        self.assertEqual(self.server.stop(signal.SIGKILL), -signal.SIGKILL)
        self.server.start()

    # ---- tests ---------------------------------------------------------------------------

    def test_full_trade(self):
        a, ach, _, au = self.enter("Ann", gold=100, items=(("sword", 1), ("potion", 5)))
        b, bch, bent, bu = self.enter("Bob", gold=50, items=(("rock", 1),))
        self.open_trade(a, b, bent)
        r = a.request("trade_offer", items=[{"uid": au["sword"], "count": 1},
                                            {"uid": au["potion"], "count": 5}], gold=30)
        self.assertTrue(r.get("ok"), r)
        ev = ev_of(b, "trade")
        self.assertEqual(ev["theirs"]["gold"], 30)
        self.assertEqual(sorted(i["template"] for i in ev["theirs"]["items"]), ["potion", "sword"])
        self.assertEqual(ev["with"]["name"], ach["name"])
        # part of a stack is refused: trades move whole stacks only
        r = a.request("trade_offer", items=[{"uid": au["potion"], "count": 2}])
        self.assertEqual(r["error"]["code"], "whole_stacks", r)
        r = b.request("trade_offer", items=[{"uid": bu["rock"]}], gold=10)
        self.assertTrue(r.get("ok"), r)
        self.assertEqual(a.request("trade_confirm")["error"]["code"], "not_locked")
        self.assertTrue(a.request("trade_lock").get("ok"))
        self.assertTrue(b.request("trade_lock").get("ok"))
        r = a.request("trade_confirm")
        self.assertEqual(r.get("state"), "open", r)
        r = b.request("trade_confirm")  # answered once both halves committed
        self.assertEqual(r.get("state"), "done", r)
        self.assertEqual(a.request("trade_cancel")["error"]["code"], "no_trade")
        self.assertEqual(ev_of(a, "gold")["gold"], 80)  # before trade_done
        da, db = ev_of(a, "trade_done"), ev_of(b, "trade_done")
        self.assertEqual((da["gave"]["gold"], da["got"]["gold"]), (30, 10), da)
        self.assertEqual(db["got"], da["gave"])
        self.assertEqual([i["template"] for i in da["got"]["items"]], ["rock"])
        inv_a = {i["template"]: i["stack"] for i in a.request("inventory")["items"]}
        inv_b = {i["template"]: i["stack"] for i in b.request("inventory")["items"]}
        self.assertEqual(inv_a, {"rock": 1})
        self.assertEqual(inv_b, {"sword": 1, "potion": 5})
        self.assertEqual(self.owner(au["sword"]), [bch["id"]])
        self.assertEqual(self.owner(bu["rock"]), [ach["id"]])
        A, B = ach["id"], bch["id"]
        rows = self.sql("SELECT from_character_id, to_character_id, kind, amount, item_id "
                        "FROM ledger WHERE reason = 'trade' AND from_character_id IN (%d, %d) "
                        "ORDER BY id" % (A, B))  # the PostgreSQL database is shared
        rows = sorted((int(f), int(t), k, int(m) if m else None, int(i) if i else None)
                      for f, t, k, m, i in rows)
        self.assertIn((A, B, "gold", 30, None), rows)
        self.assertIn((B, A, "gold", 10, None), rows)
        self.assertEqual(sorted(r[4] for r in rows if r[2] == "item"),
                         sorted([au["sword"], au["potion"], bu["rock"]]))
        for f, t, k, m, i in rows:
            if k == "item":
                self.assertEqual((f, t), (A, B) if i != bu["rock"] else (B, A))
        self.assert_audit_ok()

    def test_held_items_are_busy(self):
        a, _, _, au = self.enter("Ann", items=(("sword", 1),))
        b, _, bent, _ = self.enter("Bob")
        c, _, _, _ = self.enter("Cid")
        self.open_trade(a, b, bent)
        # the offer and a destroy_item racing it (sent together): the destroy finds it held
        a.send({"op": "trade_offer", "id": 700, "items": [{"uid": au["sword"]}]})
        a.send({"op": "destroy_item", "id": 701, "uid": au["sword"]})
        self.assertTrue(a.reply(700).get("ok"))
        self.assertEqual(a.reply(701)["error"]["code"], "item_busy")
        r = a.request("destroy_item", uid=au["sword"])
        self.assertEqual(r["error"]["code"], "item_busy", r)
        r = a.request("equip", uid=au["sword"])
        self.assertEqual(r["error"]["code"], "item_busy", r)
        # a second trade: a character trades once at a time
        r = c.request("trade_request", target=bent)
        self.assertEqual(r["error"]["code"], "busy", r)
        self.assertEqual(b.request("trade_respond", accept=True)["error"]["code"], "bad_state")
        self.assertTrue(a.request("trade_cancel").get("ok"))
        self.assertEqual(ev_of(b, "trade_cancelled")["reason"], "cancelled")
        r = a.request("destroy_item", uid=au["sword"])  # the hold is gone
        self.assertTrue(r.get("ok"), r)
        self.assertEqual(a.request("trade_lock")["error"]["code"], "no_trade")
        self.assert_audit_ok()

    def test_cancel_on_range_and_disconnect(self):
        a, _, aent, au = self.enter("Ann", items=(("sword", 1),))
        b, _, bent, _ = self.enter("Bob")
        self.open_trade(a, b, bent)
        self.assertTrue(a.request("trade_offer", items=[{"uid": au["sword"]}]).get("ok"))
        time.sleep(0.5)  # movement credit for 30 units at 100 per second
        r = b.request("move", x=130, y=100)
        self.assertTrue(r.get("ok"), r)
        self.assertEqual(ev_of(a, "trade_cancelled")["reason"], "out_of_range")
        self.assertEqual(ev_of(b, "trade_cancelled")["reason"], "out_of_range")
        r = a.request("trade_request", target=bent)
        self.assertEqual(r["error"]["code"], "out_of_range", r)
        time.sleep(0.5)
        self.assertTrue(b.request("move", x=105, y=100).get("ok"))
        self.open_trade(a, b, bent)
        b.close()
        self.assertEqual(ev_of(a, "trade_cancelled")["reason"], "left")
        self.assertTrue(a.request("equip", uid=au["sword"]).get("ok"))  # released

    def test_content_veto(self):
        a, _, _, au = self.enter("Ann", gold=20, items=(("cursed", 1),))
        b, _, bent, _ = self.enter("Bob")
        self.open_trade(a, b, bent)
        self.assertTrue(a.request("trade_offer", items=[{"uid": au["cursed"]}], gold=5).get("ok"))
        for c in (a, b):
            self.assertTrue(c.request("trade_lock").get("ok"))
        self.assertTrue(a.request("trade_confirm").get("ok"))
        r = b.request("trade_confirm")
        self.assertEqual(r["error"]["code"], "vetoed", r)
        for c in (a, b):
            ev = ev_of(c, "trade_cancelled")
            self.assertEqual(ev["reason"], "vetoed")
            self.assertEqual(ev["message"], "cursed idols stay with their owner")
        inv = a.request("inventory")["items"]
        self.assertEqual([i["template"] for i in inv], ["cursed"])
        # a trade without the idol goes through: the hook's changes to the event change nothing
        self.open_trade(a, b, bent)
        self.assertTrue(a.request("trade_offer", gold=5).get("ok"))
        for c in (a, b):
            self.assertTrue(c.request("trade_lock").get("ok"))
        self.assertTrue(a.request("trade_confirm").get("ok"))
        self.assertEqual(b.request("trade_confirm").get("state"), "done")
        self.assertEqual(ev_of(b, "gold")["gold"], 5)  # the gold event comes first
        self.assertEqual(ev_of(b, "trade_done")["got"]["gold"], 5)
        self.assert_audit_ok()

    def test_content_veto_by_returning_false(self):
        a, _, _, au = self.enter("Ann", items=(("sealed", 1),))
        b, _, bent, _ = self.enter("Bob")
        self.open_trade(a, b, bent)
        self.assertTrue(a.request("trade_offer", items=[{"uid": au["sealed"]}]).get("ok"))
        for c in (a, b):
            self.assertTrue(c.request("trade_lock").get("ok"))
        self.assertTrue(a.request("trade_confirm").get("ok"))
        r = b.request("trade_confirm")
        self.assertEqual(r["error"]["code"], "vetoed", r)
        for c in (a, b):
            ev = ev_of(c, "trade_cancelled")
            self.assertEqual((ev["reason"], ev["message"]),
                             ("vetoed", "sealed letters are not for sale"))
        self.assertEqual([i["template"] for i in a.request("inventory")["items"]], ["sealed"])
        self.assert_audit_ok()

    def test_cancel_on_combat(self):
        a, _, _, au = self.enter("Ann", items=(("rock", 1),))
        b, _, bent, _ = self.enter("Bob")
        self.open_trade(a, b, bent)
        self.assertTrue(a.request("trade_offer", items=[{"uid": au["rock"]}]).get("ok"))
        dummy = a.request("dummy")
        self.assertTrue(dummy.get("ok"), dummy)
        r = a.request("attack", target=dummy["entity"])  # dealing a hit ends the trade
        self.assertTrue(r.get("ok"), r)
        for c in (a, b):
            self.assertEqual(ev_of(c, "trade_cancelled")["reason"], "combat")
        self.assertEqual(a.request("trade_lock")["error"]["code"], "no_trade")
        self.assertTrue(a.request("destroy_item", uid=au["rock"]).get("ok"))  # the hold is gone
        self.assert_audit_ok()

    # ---- kill -9 at each step ------------------------------------------------------------

    def prepared(self):
        a, ach, _, au = self.enter("Ann", gold=100, items=(("sword", 1),))
        b, bch, bent, bu = self.enter("Bob", gold=50, items=(("rock", 1),))
        self.open_trade(a, b, bent)
        self.assertTrue(a.request("trade_offer", items=[{"uid": au["sword"]}], gold=30).get("ok"))
        self.assertTrue(b.request("trade_offer", items=[{"uid": bu["rock"]}], gold=10).get("ok"))
        for c in (a, b):
            self.assertTrue(c.request("trade_lock").get("ok"))
        return a, b, ach["id"], bch["id"], au["sword"], bu["rock"]

    def gold(self, char_id):
        if self.store_args:
            q = "SELECT doc->>'gold' FROM characters WHERE id = %d"
        else:
            q = "SELECT json_extract(doc, '$.gold') FROM characters WHERE id = %d"
        rows = self.sql(q % int(char_id))
        return int(rows[0][0]) if rows and rows[0][0] else 0

    def outcome(self, A, B, sword, rock):
        """After the restart: audit passes, each uid has one owner, all or nothing. Returns
        whether the trade happened."""
        self.assert_audit_ok()
        so, ro = self.owner(sword), self.owner(rock)
        self.assertEqual(len(so), 1)
        self.assertEqual(len(ro), 1)
        happened = so == [B]
        self.assertEqual(ro, [A] if happened else [B])
        self.assertEqual((self.gold(A), self.gold(B)), (80, 70) if happened else (100, 50))
        return happened

    def test_kill9_before_the_commit(self):
        a, b, A, B, sword, rock = self.prepared()
        self.restart_after_kill9()
        self.assertFalse(self.outcome(A, B, sword, rock))

    def test_kill9_right_after_the_commit(self):
        a, b, A, B, sword, rock = self.prepared()
        self.assertTrue(a.request("trade_confirm").get("ok"))
        self.assertEqual(b.request("trade_confirm").get("state"), "done")
        self.restart_after_kill9()
        self.assertTrue(self.outcome(A, B, sword, rock))

    def test_kill9_before_the_reply(self):
        a, b, A, B, sword, rock = self.prepared()
        a.send({"op": "trade_confirm", "id": 900})
        b.send({"op": "trade_confirm", "id": 901})
        self.restart_after_kill9()
        self.outcome(A, B, sword, rock)  # either way, wholly


class SqliteTrades(Trades, unittest.TestCase):
    pass


@unittest.skipUnless(PG_URL, "CHAOS_TEST_PG not set")
class PostgresTrades(Trades, unittest.TestCase):
    store_args = ["--store", PG_URL]


if __name__ == "__main__":
    main()

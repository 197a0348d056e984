"""Items over TCP against a real chaosd, on SQLite and (with CHAOS_TEST_PG) PostgreSQL:
an op grants items through chaos.txn (answered after the commit, with an item_added
event), inventory lists them, stacking and inventory_full, destroy_item of one's own item
(someone else's uid: not_found, nothing changed), equip changes the stat snapshot, and
kill -9 right after a grant's answer leaves the item exactly once after the restart with
`chaosctl audit` passing."""
import os
import signal
import sqlite3
import sys
import unittest
import uuid

sys.path.insert(0, os.path.dirname(__file__))
from harness import FAST_AUTH, ServerTest, audit, main, play, reenter  # noqa: E402

CONTENT = {
    "base.lua": """
local defs = require("content.defs")
defs.race{ id = "human", name = "Human", stats = { hp_max = 500, power = 10 } }
defs.job{ id = "warrior", name = "Warrior" }
defs.zone{ id = "field", name = "Field", start = true, width = 1000, height = 1000, view = 50,
           spawn = { x = 100, y = 100 } }
defs.item{ id = "potion", name = "Potion", stack = 10 }
defs.item{ id = "sword", name = "Sword", slot = "weapon", stats = { power = 5 } }
defs.item{ id = "crown", name = "Crown", slot = "head", level = 50 }
defs.item{ id = "rock", name = "Rock" }
defs.rarity{ id = "common", name = "Common", order = 0, weight = 1, affixes = { 0, 0 } }
""",
    "ops.lua": """
local chaos = require("chaos")
chaos.on_op("loot", function(req, ctx)
  chaos.txn(ctx.player, "loot", function(t) t:add_item(req.template, req.count, req.props) end)
  return { looted = req.template }
end)
chaos.on_op("power", function(req, ctx)
  return { power = ctx.player:stats().power }
end)
""",
}

PG_URL = os.environ.get("CHAOS_TEST_PG", "")


def ev_of(c, name, tries=200):
    for _ in range(tries):
        for i, e in enumerate(c.events):
            if e.get("ev") == name:
                del c.events[:i + 1]
                return e
        c.request("ping")
    raise AssertionError("no %s event in %s" % (name, c.events))


class Items(ServerTest):
    server_args = FAST_AUTH + ["--set", "game.inventory_slots=4"]
    server_content = CONTENT

    def name(self, base):
        return base

    def store_url(self):
        return "sqlite:" + os.path.join(self.server.var, "chaos.db")

    def inventory(self, c):
        r = c.request("inventory")
        self.assertTrue(r.get("ok"), r)
        items = r["items"]
        return sorted(items, key=lambda i: i["uid"]) if isinstance(items, list) else []

    def test_grant_list_destroy_equip(self):
        c = self.server.client()
        play(c, self.name("Ann"))
        r = c.request("loot", template="potion", count=12)
        self.assertTrue(r.get("ok"), r)
        added = ev_of(c, "item_added")
        self.assertEqual(added["template"], "potion")
        inv = self.inventory(c)
        # stack size 10: one full stack and one of 2, in the first free slots
        self.assertEqual([(i["template"], i["stack"], i["place"]) for i in inv],
                         [("potion", 10, "inv:0"), ("potion", 2, "inv:1")])
        # 8 more: onto the stack of 2 first
        self.assertTrue(c.request("loot", template="potion", count=8)["ok"])
        self.assertEqual([i["stack"] for i in self.inventory(c)], [10, 10])
        self.assertTrue(c.request("loot", template="sword")["ok"])
        self.assertTrue(c.request("loot", template="rock", props={"shiny": True})["ok"])
        full = c.request("loot", template="rock")
        self.assertEqual(full["error"]["code"], "inventory_full", full)
        self.assertEqual(len(self.inventory(c)), 4)
        # someone else's uid: not_found, nothing changed
        other = self.server.client()
        play(other, self.name("Bob"))
        uid = self.inventory(c)[0]["uid"]
        r = other.request("destroy_item", uid=uid, count=1)
        self.assertEqual(r["error"]["code"], "not_found", r)
        self.assertEqual(self.inventory(c)[0]["stack"], 10)
        # one's own: part of a stack, then an unknown uid
        r = c.request("destroy_item", uid=uid, count=3)
        self.assertTrue(r.get("ok"), r)
        removed = ev_of(c, "item_removed")
        self.assertEqual((removed["uid"], removed["count"], removed["stack"]), (uid, 3, 7))
        self.assertEqual(self.inventory(c)[0]["stack"], 7)
        self.assertEqual(c.request("destroy_item", uid=999999)["error"]["code"], "not_found")
        # equip: the stat snapshot changes; wrong slot and requirement refused
        sword = [i for i in self.inventory(c) if i["template"] == "sword"][0]
        before = c.request("power")["power"]
        r = c.request("equip", uid=sword["uid"])
        self.assertTrue(r.get("ok"), r)
        self.assertEqual(c.request("power")["power"], before + 5)
        rock = [i for i in self.inventory(c) if i["template"] == "rock"][0]
        self.assertEqual(c.request("equip", uid=rock["uid"])["error"]["code"], "wrong_slot")
        self.assertTrue(c.request("unequip", slot="weapon")["ok"])
        self.assertEqual(c.request("power")["power"], before)
        self.assertEqual(c.request("unequip", slot="weapon")["error"]["code"], "not_found")
        self.assertTrue(c.request("equip", uid=sword["uid"])["ok"])
        rc, out = audit(self.store_url())
        self.assertEqual(rc, 0, out)

    def test_requirement(self):
        c = self.server.client()
        play(c, self.name("Cat"))
        self.assertTrue(c.request("loot", template="crown")["ok"])
        crown = self.inventory(c)[0]
        self.assertEqual(c.request("equip", uid=crown["uid"])["error"]["code"], "requirement")

    def test_grant_survives_kill9_once(self):
        c = self.server.client()
        name = self.name("Dee")
        play(c, name)
        r = c.request("loot", template="sword")
        self.assertTrue(r.get("ok"), r)  # answered after the commit
        self.assertEqual(self.server.stop(signal.SIGKILL), -signal.SIGKILL)
        self.server.clients = []
        self.server.start()
        c = self.server.client()
        reenter(c, name)
        inv = self.inventory(c)
        self.assertEqual([(i["template"], i["stack"]) for i in inv], [("sword", 1)])
        rc, out = audit(self.store_url())
        self.assertEqual(rc, 0, out)
        self.assertGreaterEqual(out["items"], 1, out)
        # a new grant after the restart gets a new uid
        self.assertTrue(c.request("loot", template="sword")["ok"])
        uids = [i["uid"] for i in self.inventory(c)]
        self.assertEqual(len(set(uids)), 2, uids)

    def test_audit_finds_tampered_items(self):
        if not self.store_url().startswith("sqlite:"):
            self.skipTest("tampering with the shared PostgreSQL database would fail other tests")
        c = self.server.client()
        me = play(c, self.name("Eli"))
        self.assertTrue(c.request("loot", template="potion", count=3)["ok"])
        self.assertTrue(c.request("loot", template="rock")["ok"])
        uids = [i["uid"] for i in self.inventory(c)]
        rc, out = audit(self.store_url())
        self.assertEqual(rc, 0, out)
        self.assertGreaterEqual(out["items"], 2, out)  # PostgreSQL: shared with other tests
        # a stack the ledger does not explain, and two items in one place
        db = sqlite3.connect(os.path.join(self.server.var, "chaos.db"), timeout=10)
        db.execute("UPDATE item_instances SET stack = 4 WHERE id = ?", (uids[0],))
        db.execute("UPDATE item_instances SET place = 'inv:0' WHERE id = ?", (uids[1],))
        db.commit()
        db.close()
        rc, out = audit(self.store_url())
        self.assertNotEqual(rc, 0, out)
        problems = sorted((m["field"], m["problem"]) for m in out["mismatches"]
                          if m["character"] == me["id"])
        self.assertEqual(problems, [("item", "mismatch"), ("item", "shared_place")], out)


@unittest.skipUnless(PG_URL, "CHAOS_TEST_PG not set")
class PostgresItems(Items):
    server_args = Items.server_args + ["--store", PG_URL]

    def name(self, base):
        return (base + "_" + uuid.uuid4().hex[:8])[:24]

    def store_url(self):
        return PG_URL


if __name__ == "__main__":
    main()

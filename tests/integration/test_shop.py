"""Consumables and vendors over TCP against a real chaosd, on SQLite and (with CHAOS_TEST_PG)
PostgreSQL: buy (gold and item in one commit; no_resource, not_sold, out_of_range), sell
(not_found for someone else's uid, not_buying), use_item (one consumed, a raising use consumes
nothing), a sell racing a destroy_item of the same uid in one write (exactly one wins), generated
equipment's rarity in item_added props; `chaosctl audit` passes after each test."""
import os
import sys
import unittest
import uuid

sys.path.insert(0, os.path.dirname(__file__))
from harness import FAST_AUTH, ServerTest, audit, frame, main, play, wait_for  # noqa: E402

TRADER = """
local defs = require("content.defs")
defs.vendor{ id = "trader", name = "Trader", zone = "field", x = %d, y = 100,
  sells = { { item = "potion" }, { item = "sword", price = 60 } }, buys = true, buy_ratio = 0.5 }
"""

CONTENT = {
    "trader.lua": TRADER % 104,
    "base.lua": """
local defs = require("content.defs")
defs.race{ id = "human", name = "Human", stats = { hp_max = 500, power = 10 } }
defs.job{ id = "warrior", name = "Warrior" }
defs.zone{ id = "field", name = "Field", start = true, width = 1000, height = 1000, view = 50,
           spawn = { x = 100, y = 100 } }
defs.item{ id = "potion", name = "Potion", stack = 10, value = 10,
           use = function(player, item) return { heal = 50 } end }
defs.item{ id = "cursed", name = "Cursed", stack = 10, use = function() error("no") end }
defs.item{ id = "sword", name = "Sword", slot = "weapon", stats = { power = 5 }, value = 40,
           tags = { "sword" } }
defs.item{ id = "rock", name = "Rock", value = 7 }
defs.rarity{ id = "common", name = "Common", order = 0, weight = 1, affixes = { 0, 0 } }
defs.vendor{ id = "snob", name = "Snob", zone = "field", x = 100, y = 104,
  sells = { { item = "rock" } } }
defs.vendor{ id = "hermit", name = "Hermit", zone = "field", x = 900, y = 900, buys = true }
""",
    "ops.lua": """
local chaos = require("chaos")
local items = require("items")
chaos.on_op("grant", function(req, ctx)
  chaos.txn(ctx.player, "test grant", function(t)
    if req.gold then t:add_gold(req.gold) end
    if req.template then
      local props = req.rolled and items.generate(req.template, 5, 42) or nil
      t:add_item(req.template, req.count, props)
    end
  end)
  return { granted = true }
end)
chaos.on_op("npcs", function(req, ctx)
  local out = {}
  for _, h in ipairs(chaos.world.within("field", 500, 500, 2000, "npc")) do
    out[#out + 1] = h.name .. "@" .. h.x
  end
  table.sort(out)
  return { npcs = out }
end)
chaos.on_op("gold", function(req, ctx)
  return { gold = ctx.player.gold, pending = ctx.player.gold_pending }
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
        c.request("time")
    raise AssertionError("no %s event in %s" % (name, c.events))


class Shop(ServerTest):
    server_args = FAST_AUTH
    server_content = CONTENT

    def name(self, base):
        return base

    def store_url(self):
        return "sqlite:" + os.path.join(self.server.var, "chaos.db")

    def tearDown(self):
        rc, out = audit(self.store_url())
        super().tearDown()
        self.assertEqual(rc, 0, out)

    def inventory(self, c):
        r = c.request("inventory")
        self.assertTrue(r.get("ok"), r)
        items = r["items"]
        return sorted(items, key=lambda i: i["uid"]) if isinstance(items, list) else []

    def count(self, c, template):
        return sum(i["stack"] for i in self.inventory(c) if i["template"] == template)

    def code(self, r):
        self.assertFalse(r.get("ok"), r)
        return r["error"]["code"]

    def test_buy_and_sell(self):
        c = self.server.client()
        play(c, self.name("Ann"))
        self.assertTrue(c.request("grant", gold=45)["ok"])
        r = c.request("vendor", vendor="trader")
        self.assertTrue(r.get("ok"), r)
        self.assertEqual([(s["item"], s["price"]) for s in r["sells"]], [("potion", 10), ("sword", 60)])
        r = c.request("buy", vendor="trader", item="potion", count=3)
        self.assertTrue(r.get("ok"), r)
        self.assertEqual((r["price"], r["gold"]), (30, 15))
        self.assertEqual(c.request("gold")["gold"], 15)  # answered after the commit
        self.assertEqual(self.count(c, "potion"), 3)
        self.assertEqual(self.code(c.request("buy", vendor="trader", item="sword")), "no_resource")
        self.assertEqual(self.code(c.request("buy", vendor="trader", item="potion", count=2)),
                         "no_resource")
        self.assertEqual(self.code(c.request("buy", vendor="trader", item="rock")), "not_sold")
        self.assertEqual(self.code(c.request("buy", vendor="nobody", item="rock")), "not_found")
        self.assertEqual(self.code(c.request("buy", vendor="hermit", item="potion")), "out_of_range")
        self.assertEqual(c.request("gold")["gold"], 15)
        potion = [i for i in self.inventory(c) if i["template"] == "potion"][0]
        r = c.request("sell", vendor="trader", uid=potion["uid"], count=2)
        self.assertTrue(r.get("ok"), r)
        self.assertEqual(r["price"], 10)  # 10 x 0.5 x 2
        self.assertEqual(c.request("gold")["gold"], 25)
        self.assertEqual(self.count(c, "potion"), 1)
        self.assertEqual(self.code(c.request("sell", vendor="snob", uid=potion["uid"])), "not_buying")
        # someone else's uid
        other = self.server.client()
        play(other, self.name("Bob"))
        self.assertEqual(self.code(other.request("sell", vendor="trader", uid=potion["uid"])),
                         "not_found")
        self.assertEqual(self.count(c, "potion"), 1)
        # spend to exactly 0
        self.assertTrue(c.request("buy", vendor="trader", item="potion", count=2)["ok"])
        self.assertEqual(c.request("gold")["gold"], 5)
        self.assertEqual(self.code(c.request("buy", vendor="trader", item="potion")), "no_resource")

    def test_use_item(self):
        c = self.server.client()
        play(c, self.name("Cat"))
        self.assertTrue(c.request("grant", template="potion", count=3)["ok"])
        self.assertTrue(c.request("grant", template="cursed", count=2)["ok"])
        inv = {i["template"]: i for i in self.inventory(c)}
        r = c.request("use_item", uid=inv["potion"]["uid"])
        self.assertTrue(r.get("ok"), r)
        self.assertEqual(r["hp"], 500)  # at full hp: stays at hp_max
        self.assertEqual(self.count(c, "potion"), 2)
        self.assertFalse(c.request("use_item", uid=inv["cursed"]["uid"]).get("ok"))
        self.assertEqual(self.count(c, "cursed"), 2)
        self.assertTrue(c.request("grant", template="sword")["ok"])
        sword = [i for i in self.inventory(c) if i["template"] == "sword"][0]
        self.assertEqual(self.code(c.request("use_item", uid=sword["uid"])), "not_usable")
        self.assertEqual(self.code(c.request("use_item", uid=999999)), "not_found")

    def test_sell_races_destroy(self):
        c = self.server.client()
        play(c, self.name("Dee"))
        self.assertTrue(c.request("grant", template="rock")["ok"])
        rock = self.inventory(c)[0]
        a, b = c.next_id, c.next_id + 1
        c.next_id += 2
        c.send_raw(frame({"op": "sell", "id": a, "vendor": "trader", "uid": rock["uid"]})
                   + frame({"op": "destroy_item", "id": b, "uid": rock["uid"]}))
        got = {}
        while len(got) < 2:
            m = c.recv()
            self.assertIsNotNone(m)
            if "ev" in m:
                continue
            got[m["id"]] = m
        oks = [m for m in got.values() if m.get("ok")]
        fails = [m for m in got.values() if not m.get("ok")]
        self.assertEqual(len(oks), 1, got)
        self.assertEqual(fails[0]["error"]["code"], "not_found", got)
        self.assertEqual(self.inventory(c), [])
        gold = c.request("gold")["gold"]
        self.assertEqual(gold, 3 if got[a].get("ok") else 0)  # 7 x 0.5, floored

    def test_reload_keeps_moves_and_removes_vendors(self):
        c = self.server.client()
        play(c, self.name("Fay"))
        npcs = lambda: c.request("npcs")["npcs"]  # noqa: E731
        self.assertEqual(npcs(), ["Hermit@900", "Snob@100", "Trader@104"])
        admin = self.server.admin()
        r = admin.cmd("reload")
        self.assertTrue(r.get("ok"), r)
        self.assertEqual(npcs(), ["Hermit@900", "Snob@100", "Trader@104"])  # not placed twice
        self.server.write_content("trader.lua", TRADER % 110)
        self.assertTrue(admin.cmd("reload").get("ok"))
        wait_for(lambda: npcs() == ["Hermit@900", "Snob@100", "Trader@110"], what="the trader moved")
        self.server.write_content("trader.lua", "-- no trader\n")
        self.assertTrue(admin.cmd("reload").get("ok"))
        wait_for(lambda: npcs() == ["Hermit@900", "Snob@100"], what="the trader despawned")
        self.assertEqual(self.code(c.request("vendor", vendor="trader")), "not_found")

    def test_rarity_in_item_added(self):
        c = self.server.client()
        play(c, self.name("Eli"))
        self.assertTrue(c.request("grant", template="sword", rolled=True)["ok"])
        added = ev_of(c, "item_added")
        self.assertEqual(added["template"], "sword")
        self.assertEqual(added["props"]["rarity"], "common")
        self.assertEqual(added["props"]["stats"]["power"], 5)


@unittest.skipUnless(PG_URL, "CHAOS_TEST_PG not set")
class PostgresShop(Shop):
    server_args = Shop.server_args + ["--store", PG_URL]

    def name(self, base):
        return (base + "_" + uuid.uuid4().hex[:8])[:24]

    def store_url(self):
        return PG_URL


if __name__ == "__main__":
    main()

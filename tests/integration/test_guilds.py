"""Guild ops over TCP against a real chaosd, on SQLite and (with CHAOS_TEST_PG) PostgreSQL:
guild_create charges its 100 gold fee in one commit with a ledger row (audit passes), a taken
name (any case) is refused, without the gold nothing is created and nothing is lost, a bad name
is refused; guild_roster shows the founder as leader, or no_guild."""
import os
import sqlite3
import sys
import unittest
import uuid

sys.path.insert(0, os.path.dirname(__file__))
from harness import FAST_AUTH, ServerTest, audit, main, play  # noqa: E402

CONTENT = {
    "base.lua": """
local defs = require("content.defs")
defs.race{ id = "human", name = "Human", stats = { hp_max = 500, power = 10 } }
defs.job{ id = "warrior", name = "Warrior" }
defs.zone{ id = "field", name = "Field", start = true, width = 1000, height = 1000, view = 50,
           spawn = { x = 100, y = 100 } }
""",
    "ops.lua": """
local chaos = require("chaos")
chaos.on_op("grant", function(req, ctx)
  chaos.txn(ctx.player, "test grant", function(t) t:add_gold(req.gold) end)
  return { granted = true }
end)
chaos.on_op("gold", function(req, ctx)
  return { gold = ctx.player.gold, pending = ctx.player.gold_pending }
end)
""",
}

PG_URL = os.environ.get("CHAOS_TEST_PG", "")


class Guilds(ServerTest):
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

    def code(self, r):
        self.assertFalse(r.get("ok"), r)
        return r["error"]["code"]

    def gold(self, c):
        r = c.request("gold")
        self.assertTrue(r.get("ok"), r)
        return r["gold"]

    def rich(self, base, gold):
        c = self.server.client()
        ch = play(c, self.name(base))
        if gold:
            self.assertTrue(c.request("grant", gold=gold)["ok"])
        return c, ch

    def fee_rows(self, char_id):
        if not self.store_url().startswith("sqlite:"):
            return None
        db = sqlite3.connect(self.store_url()[len("sqlite:"):])
        try:
            return db.execute("SELECT amount, reason FROM ledger WHERE to_character_id = ? "
                              "AND kind = 'gold'", (char_id,)).fetchall()
        finally:
            db.close()

    def test_create_charges_fee(self):
        c, ch = self.rich("Founder", 250)
        gname = self.name("Knights")
        r = c.request("guild_create", name=gname)
        self.assertTrue(r.get("ok"), r)
        self.assertEqual(r["guild"]["name"], gname)
        self.assertEqual(r["guild"]["fee"], 100)
        self.assertEqual(self.gold(c), 150)
        r = c.request("guild_roster")
        self.assertTrue(r.get("ok"), r)
        g = r["guild"]
        self.assertEqual(g["leader"], ch["id"])
        self.assertEqual([(m["id"], m["rank"]) for m in g["members"]], [(ch["id"], "leader")])
        rows = self.fee_rows(ch["id"])
        if rows is not None:
            self.assertIn((-100, "guild fee"), rows)
        # already in a guild
        self.assertEqual(self.code(c.request("guild_create", name=self.name("Other"))),
                         "in_guild")
        self.assertEqual(self.gold(c), 150)

    def test_taken_name(self):
        a, _ = self.rich("Alpha", 100)
        b, _ = self.rich("Bravo", 100)
        gname = self.name("Wolves")
        self.assertTrue(a.request("guild_create", name=gname)["ok"])
        self.assertEqual(self.code(b.request("guild_create", name=gname.upper())), "name_taken")
        self.assertEqual(self.gold(b), 100)
        self.assertEqual(self.code(b.request("guild_roster")), "no_guild")

    def test_no_gold_nothing_lost(self):
        c, ch = self.rich("Pauper", 99)
        gname = self.name("Beggars")
        self.assertEqual(self.code(c.request("guild_create", name=gname)), "no_gold")
        self.assertEqual(self.gold(c), 99)
        self.assertEqual(self.code(c.request("guild_roster")), "no_guild")
        # the name stays free for someone who can pay
        d, _ = self.rich("Payer", 100)
        self.assertTrue(d.request("guild_create", name=gname)["ok"])
        self.assertEqual(self.gold(d), 0)

    def test_bad_names(self):
        c, _ = self.rich("Namer", 500)
        for bad in ["", "   ", "a\nb", "x" * 65, "\u202eevil"]:
            self.assertEqual(self.code(c.request("guild_create", name=bad)), "bad_name", bad)
        self.assertEqual(self.code(c.request("guild_create", name=5)), "bad_field")
        self.assertEqual(self.gold(c), 500)


@unittest.skipUnless(PG_URL, "CHAOS_TEST_PG not set")
class PostgresGuilds(Guilds):
    server_args = Guilds.server_args + ["--store", PG_URL]

    def name(self, base):
        return (base + "_" + uuid.uuid4().hex[:8])[:24]

    def store_url(self):
        return PG_URL


if __name__ == "__main__":
    main()

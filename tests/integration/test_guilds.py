"""Guild ops over TCP against a real chaosd, on SQLite and (with CHAOS_TEST_PG) PostgreSQL:
guild_create charges its 100 gold fee in one commit with a ledger row (audit passes), a taken
name (any case) is refused, without the gold nothing is created and nothing is lost, a bad name
is refused; guild_roster shows the founder as leader, or no_guild. Members: invite (events to the
invitee), accept by name or id, ranks, kick, leave, disband with their permission refusals and
guild_member events; an expired or absent invite is refused; guild chat reaches the members only;
a character's guild is known again after it re-enters the world."""
import os
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

    # ---- members -------------------------------------------------------------------------

    def take(self, c, ev):
        """Flushes c (a ping answers after everything queued before it) and returns, removed,
        the events named ev it got."""
        self.assertTrue(c.request("ping")["ok"])
        got = [e for e in c.events if e.get("ev") == ev]
        c.events = [e for e in c.events if e.get("ev") != ev]
        return got

    def founded(self, base, gbase):
        c, ch = self.rich(base, 100)
        gname = self.name(gbase)
        r = c.request("guild_create", name=gname)
        self.assertTrue(r.get("ok"), r)
        return c, ch, r["guild"]["id"], gname

    def ok(self, r):
        self.assertTrue(r.get("ok"), r)
        return r

    def test_members_ranks_and_events(self):
        lead, lch, gid, gname = self.founded("Lea", "Hawks")
        off, och = self.rich("Oli", 0)
        mem, mch = self.rich("Mia", 0)
        out, xch = self.rich("Xan", 0)

        # invite by any case of the name: the invitee gets guild_invite
        r = self.ok(lead.request("guild_invite", name=och["name"].lower()))
        self.assertEqual(r["invite"]["guild"], gid)
        self.assertEqual(r["invite"]["name"], och["name"])
        self.assertGreater(r["invite"]["expires_at"], 0)
        self.assertEqual(self.take(off, "guild_invite"),
                         [{"ev": "guild_invite", "guild": gid, "name": gname,
                           "inviter": lch["name"]}])
        self.assertEqual(self.take(out, "guild_invite"), [])
        # accept by name; the members hear of it
        r = self.ok(off.request("guild_accept", guild=gname.upper()))
        self.assertEqual([m["name"] for m in r["guild"]["members"]], [lch["name"], och["name"]])
        self.assertEqual(self.take(lead, "guild_member"),
                         [{"ev": "guild_member", "guild": gid, "name": och["name"],
                           "change": "joined"}])
        # accept by id; an invite is used once
        self.ok(lead.request("guild_invite", name=mch["name"]))
        self.ok(mem.request("guild_accept", guild=gid))
        self.assertEqual(self.code(mem.request("guild_accept", guild=gid)), "in_guild")
        r = self.ok(lead.request("guild_rank", name=och["name"], rank="officer"))
        self.assertEqual([m["rank"] for m in r["guild"]["members"]],
                         ["leader", "officer", "member"])
        self.assertIn({"ev": "guild_member", "guild": gid, "name": och["name"], "change": "rank",
                       "rank": "officer"}, self.take(mem, "guild_member"))

        # refusals
        self.assertEqual(self.code(mem.request("guild_invite", name=xch["name"])),
                         "not_permitted")
        self.assertEqual(self.code(mem.request("guild_kick", name=och["name"])), "not_permitted")
        self.assertEqual(self.code(off.request("guild_kick", name=lch["name"])), "not_permitted")
        self.assertEqual(self.code(off.request("guild_rank", name=mch["name"], rank="officer")),
                         "not_permitted")
        self.assertEqual(self.code(mem.request("guild_disband")), "not_permitted")
        self.assertEqual(self.code(lead.request("guild_kick", name=lch["name"])), "not_permitted")
        self.assertEqual(self.code(lead.request("guild_kick", name=xch["name"])), "not_found")
        self.assertEqual(self.code(lead.request("guild_rank", name=mch["name"], rank="king")),
                         "bad_field")
        self.assertEqual(self.code(lead.request("guild_leave")), "leader_must_transfer")
        self.assertEqual(self.code(lead.request("guild_invite", name="Nobody_There")),
                         "not_found")
        self.assertEqual(self.code(lead.request("guild_invite", name=mch["name"])), "in_guild")
        self.assertEqual(self.code(lead.request("guild_invite", name="")), "bad_field")
        self.assertEqual(self.code(out.request("guild_accept", guild=gid)), "no_invite")
        self.assertEqual(self.code(out.request("guild_accept", guild=[1])), "bad_field")
        self.assertEqual(self.code(out.request("guild_invite", name=mch["name"])), "no_guild")
        self.assertEqual(self.code(out.request("guild_leave")), "no_guild")

        # guild chat: every member (the speaker gets its echo), nobody else
        r = self.ok(lead.request("chat", channel="guild", text="muster at dawn"))
        self.assertEqual(r["delivered"], 2)
        line = {"ev": "chat", "channel": "guild", "from": lch["name"], "text": "muster at dawn"}
        for c in (lead, off, mem):
            self.assertEqual(self.take(c, "chat"), [line])
        self.assertEqual(self.take(out, "chat"), [])
        self.assertEqual(self.code(out.request("chat", channel="guild", text="hello?")),
                         "not_in_guild")

        # an officer kicks a member: the kicked one hears it and is out of guild chat
        r = self.ok(off.request("guild_kick", name=mch["name"].upper()))
        self.assertEqual(len(r["guild"]["members"]), 2)
        kicked = {"ev": "guild_member", "guild": gid, "name": mch["name"], "change": "kicked"}
        self.assertEqual(self.take(mem, "guild_member"), [kicked])
        self.assertIn(kicked, self.take(lead, "guild_member"))
        self.assertEqual(self.code(mem.request("chat", channel="guild", text="let me in")),
                         "not_in_guild")
        self.assertEqual(self.code(mem.request("guild_leave")), "no_guild")

        # the lead handed over: the old leader is an officer and may leave
        r = self.ok(lead.request("guild_rank", name=och["name"], rank="leader"))
        self.assertEqual(r["guild"]["leader"], och["id"])
        self.assertEqual([(m["name"], m["rank"]) for m in r["guild"]["members"]],
                         [(och["name"], "leader"), (lch["name"], "officer")])
        self.assertTrue(self.ok(lead.request("guild_leave"))["left"])
        self.assertIn({"ev": "guild_member", "guild": gid, "name": lch["name"], "change": "left"},
                      self.take(off, "guild_member"))
        self.assertEqual(self.code(lead.request("chat", channel="guild", text="x")),
                         "not_in_guild")

        # disband: the fee is not refunded, the guild is gone
        self.assertTrue(self.ok(off.request("guild_disband"))["disbanded"])
        self.assertEqual(self.code(off.request("guild_roster")), "no_guild")
        self.assertEqual(self.code(off.request("chat", channel="guild", text="x")),
                         "not_in_guild")
        self.assertEqual(self.gold(lead), 0)

    def test_expired_and_declined_invites(self):
        lead, _, gid, gname = self.founded("Ivy", "Crows")
        guest, gch = self.rich("Gus", 0)
        self.ok(lead.request("guild_invite", name=gch["name"]))
        if self.store_url().startswith("sqlite:"):
            db = sqlite3.connect(self.store_url()[len("sqlite:"):], timeout=10)
            try:
                db.execute("UPDATE guild_invites SET expires_at = 1")
                db.commit()
            finally:
                db.close()
            self.assertEqual(self.code(guest.request("guild_accept", guild=gid)), "no_invite")
            self.ok(lead.request("guild_invite", name=gch["name"]))  # renewed
        self.assertTrue(self.ok(guest.request("guild_decline", guild=gname))["declined"])
        self.assertEqual(self.code(guest.request("guild_decline", guild=gname)), "no_invite")
        self.assertEqual(self.code(guest.request("guild_accept", guild=gid)), "no_invite")
        self.assertEqual(self.code(guest.request("guild_accept", guild="No Such Guild")),
                         "no_invite")
        self.assertEqual(self.code(guest.request("guild_roster")), "no_guild")

    def test_leader_alone_leaves_and_reentry(self):
        lead, lch, gid, gname = self.founded("Ada", "Lone")
        self.assertTrue(self.ok(lead.request("guild_leave"))["disbanded"])
        self.assertEqual(self.code(lead.request("guild_roster")), "no_guild")

        # a member that re-enters the world still speaks in its guild
        lead, lch, gid, gname = self.founded("Bea", "Pair")
        mem, mch = self.rich("Cal", 0)
        self.ok(lead.request("guild_invite", name=mch["name"]))
        self.ok(mem.request("guild_accept", guild=gid))
        self.ok(mem.request("logout"))
        mem.close()
        mem = self.server.client()
        reenter(mem, mch["name"])
        # the guild comes with the character's load: chat works as the first request in the world
        self.assertEqual(self.ok(mem.request("chat", channel="guild", text="back"))["delivered"], 1)
        self.assertEqual(self.take(lead, "chat"),
                         [{"ev": "chat", "channel": "guild", "from": mch["name"], "text": "back"}])


class GuildRules(ServerTest):
    """The fee, the member cap and the invite life are the content's rules (rules.settings):
    a fee of 250 is what guild_create charges, a cap of 2 members refuses a third invite, a
    reload that makes guilds free lets the next founder in without gold."""
    server_args = FAST_AUTH
    server_content = dict(CONTENT, **{"rules.lua": """
local settings = require("rules").settings
settings.guild_fee = 250
settings.guild_members = 2
"""})

    def tearDown(self):
        rc, out = audit("sqlite:" + os.path.join(self.server.var, "chaos.db"))
        super().tearDown()
        self.assertEqual(rc, 0, out)

    def test_rules_from_content(self):
        a = self.server.client()
        play(a, "Rulea")
        self.assertTrue(a.request("grant", gold=300)["ok"])
        r = a.request("guild_create", name="Costly")
        self.assertTrue(r.get("ok"), r)
        self.assertEqual(r["guild"]["fee"], 250)
        self.assertEqual(a.request("gold")["gold"], 50)
        b = self.server.client()
        play(b, "Ruleb")
        play(self.server.client(), "Rulec")
        self.assertTrue(a.request("guild_invite", name="Ruleb").get("ok"))
        self.assertTrue(b.request("guild_accept", guild="Costly").get("ok"))
        r = a.request("guild_invite", name="Rulec")
        self.assertEqual(r["error"]["code"], "guild_full", r)
        # free guilds after a reload: nothing to pay, the fee on record is 0
        self.server.write_content("rules.lua",
                                  'require("rules").settings.guild_fee = 0\n')
        self.assertTrue(self.server.admin().cmd("reload").get("ok"))
        d = self.server.client()
        play(d, "Ruled")
        r = d.request("guild_create", name="Free")
        self.assertTrue(r.get("ok"), r)
        self.assertEqual(r["guild"]["fee"], 0)
        self.assertEqual(d.request("gold")["gold"], 0)
        self.assertEqual(d.request("guild_roster")["guild"]["fee"], 0)


@unittest.skipUnless(PG_URL, "CHAOS_TEST_PG not set")
class PostgresGuilds(Guilds):
    server_args = Guilds.server_args + ["--store", PG_URL]

    def name(self, base):
        return (base + "_" + uuid.uuid4().hex[:8])[:24]

    def store_url(self):
        return PG_URL


if __name__ == "__main__":
    main()

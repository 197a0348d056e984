"""Guilds across two chaosd processes sharing one PostgreSQL (CHAOS_TEST_PG) and one Redis
(CHAOS_TEST_REDIS); skipped without both (tools/test.sh provides them). A guild created on A
invites a player on B (the guild_invite event crosses), B accepts, guild chat goes A -> B and
B -> A, a kick on A reaches B's player as guild_member kicked and takes it out of guild chat.
chaosctl audit passes afterwards."""
import os
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(__file__))
from harness import FAST_AUTH, Server, audit, main, play, stop_checked, wait_for  # noqa: E402

PG_URL = os.environ.get("CHAOS_TEST_PG", "")
REDIS_URL = os.environ.get("CHAOS_TEST_REDIS", "")

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
""",
}


def next_event(c, ev, timeout=10):
    """The next event named ev on c; the connection must stay open."""
    e = c.event(ev, timeout)
    assert e is not None, "connection closed"
    return e


@unittest.skipUnless(PG_URL and REDIS_URL, "CHAOS_TEST_PG and CHAOS_TEST_REDIS not both set")
class GuildAcrossServers(unittest.TestCase):
    def setUp(self):
        tag = uuid.uuid4().hex[:8]
        self.tag = tag
        args = FAST_AUTH + ["--store", PG_URL, "--redis", REDIS_URL]
        self.a = Server(extra=args + ["--name", "ga-" + tag], content=CONTENT).start()
        self.b = Server(extra=args + ["--name", "gb-" + tag], content=CONTENT).start()
        for s in (self.a, self.b):
            wait_for(lambda s=s: s.admin().cmd("status")["redis"]["available"], what="redis up")

    def tearDown(self):
        for s in (self.a, self.b):
            stop_checked(self, s)
        rc, out = audit(PG_URL)
        self.assertEqual(rc, 0, out)

    def name(self, base):
        return base + "_" + self.tag

    def ok(self, r):
        self.assertTrue(r.get("ok"), r)
        return r

    def test_invite_accept_chat_kick(self):
        lead = self.a.client()
        lch = play(lead, self.name("lead"))
        self.ok(lead.request("grant", gold=100))
        gname = self.name("Far Wolves")
        gid = self.ok(lead.request("guild_create", name=gname))["guild"]["id"]
        far = self.b.client()
        fch = play(far, self.name("far"))
        wait_for(lambda: lead.request("whereis", name=fch["name"]).get("online"),
                 what="far visible from A")

        # the invite made on A reaches the invitee on B
        self.ok(lead.request("guild_invite", name=fch["name"]))
        self.assertEqual(next_event(far, "guild_invite"),
                         {"ev": "guild_invite", "guild": gid, "name": gname,
                          "inviter": lch["name"]})
        # accepted on B: the leader on A hears of it
        r = self.ok(far.request("guild_accept", guild=gid))
        self.assertEqual([m["name"] for m in r["guild"]["members"]], [lch["name"], fch["name"]])
        joined = {"ev": "guild_member", "guild": gid, "name": fch["name"], "change": "joined"}
        self.assertEqual(next_event(lead, "guild_member"), joined)
        self.assertEqual(next_event(far, "guild_member"), joined)  # the joiner too

        # guild chat A -> B and B -> A, each line once
        r = self.ok(lead.request("chat", channel="guild", text="to the north"))
        self.assertEqual(r["delivered"], 0)  # nobody else of the guild on A
        self.assertEqual(next_event(far, "chat"), {"ev": "chat", "channel": "guild",
                                                   "from": lch["name"], "text": "to the north"})
        self.assertEqual(next_event(lead, "chat")["text"], "to the north")  # the echo
        self.ok(far.request("chat", channel="guild", text="on my way"))
        self.assertEqual(next_event(lead, "chat"), {"ev": "chat", "channel": "guild",
                                                    "from": fch["name"], "text": "on my way"})
        self.assertEqual(next_event(far, "chat")["text"], "on my way")
        self.assertTrue(lead.request("ping")["ok"])
        self.assertTrue(far.request("ping")["ok"])
        self.assertEqual([e for e in lead.events + far.events if e.get("ev") == "chat"], [])

        # kicked on A: B's player hears it and is out of guild chat
        self.ok(lead.request("guild_kick", name=fch["name"]))
        self.assertEqual(next_event(far, "guild_member"),
                         {"ev": "guild_member", "guild": gid, "name": fch["name"],
                          "change": "kicked"})
        r = far.request("chat", channel="guild", text="wait")
        self.assertEqual(r.get("error", {}).get("code"), "not_in_guild", r)
        self.assertEqual(far.request("guild_roster")["error"]["code"], "no_guild")


if __name__ == "__main__":
    main()

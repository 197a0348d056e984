"""One session per account across the cluster, shared login limits and shared mutes (issue 15,
part 3): two chaosd on one PostgreSQL (CHAOS_TEST_PG) and one Redis (CHAOS_TEST_REDIS); skipped
without both (tools/test.sh provides them).

- A login on B of an account playing on A takes over: A's connection gets `kicked`
  logged_in_elsewhere, and B enters with what A changed just before (gold, and player:data
  that is only written behind — so A saved before B loaded). Back on A the same way, with
  B's changes (A's old copy is not reused).
- A server killed with -9 locks nobody out: a login elsewhere waits for its answer, finds its
  heartbeat gone (it lives 4 s, the wait is 5 s) and takes the account over. A server that still
  heart-beats but does not answer keeps the account (`unavailable`, its entry put back).
- Failed logins on A count on B: the next one there is `rate_limited`.
- A ban given on A's console kicks the account's player on B at once.
- A mute given on A's console silences the player on B (not loaded on A); a server started
  afterwards reads it; unmute on A frees the player on B.
- A resume on B takes over a session the account opened on A meanwhile.
- After a portal hand-off A -> B, a whisper and guild chat from a player on A reach the
  handed-off player on B.
"""
import json
import os
import signal
import subprocess
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(__file__))
from harness import (BIN, FAST_AUTH, SRC, Client, PrivateRedis, Server, audit,  # noqa: E402
                     main, play, stop_checked, wait_for)

PG_URL = os.environ.get("CHAOS_TEST_PG", "")
REDIS_URL = os.environ.get("CHAOS_TEST_REDIS", "")

RUN = uuid.uuid4().hex[:8]
ZA, ZB = "sa" + RUN, "sb" + RUN

CONTENT = {
    "base.lua": """
local defs = require("content.defs")
defs.race{ id = "human", name = "Human", move_speed = 1000 }
defs.job{ id = "warrior", name = "Warrior" }
defs.zone{ id = "%(a)s", name = "A", start = true, width = 200, height = 200, view = 50,
           spawn = { x = 20, y = 20 },
           portals = { { x = 60, y = 20, radius = 3, to = "%(b)s", to_x = 30, to_y = 30 } } }
defs.zone{ id = "%(b)s", name = "B", width = 200, height = 200, view = 50,
           spawn = { x = 35, y = 30 } }
""" % {"a": ZA, "b": ZB},
    "ops.lua": """
local chaos = require("chaos")
chaos.on_op("grant", function(req, ctx)
  chaos.txn(ctx.player, "test grant", function(t) t:add_gold(req.gold) end)
  return { granted = true }
end)
chaos.on_op("note", function(req, ctx)
  ctx.player:data("notes").text = req.text
  return {}
end)
chaos.on_op("notes", function(req, ctx)
  return { text = ctx.player:data("notes").text }
end)
""",
}

PASSWORD = "correct horse 1"


def ctl(*args):
    p = subprocess.run([os.path.join(BIN, "chaosctl")] + list(args), cwd=SRC,
                       capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def redis_cli(*args):
    host, port = REDIS_URL[len("redis://"):].split("/")[0].split(":")
    return subprocess.run(["redis-cli", "-h", host, "-p", port] + list(args),
                          capture_output=True, text=True, timeout=10).stdout.strip()


def next_event(c, ev, timeout=10):
    """The next event named ev on c; other events are kept. None if the connection closed."""
    return c.event(ev, timeout)


@unittest.skipUnless(PG_URL and REDIS_URL, "CHAOS_TEST_PG and CHAOS_TEST_REDIS not both set")
class SessionsAcrossServers(unittest.TestCase):
    def setUp(self):
        self.tag = uuid.uuid4().hex[:6]
        self.pa, self.pb = "ca-" + self.tag, "cb-" + self.tag
        # login_rate_account 0.01/s: a window's budget is 5 + 0.01 * 60 = 5 attempts
        self.common = FAST_AUTH + ["--store", PG_URL, "--redis", REDIS_URL,
                                   "--set", "auth.login_rate_account=0.01",
                                   "--set", "cluster.refresh_ms=200"]
        self.a = Server(extra=self.common + ["--name", self.pa], content=CONTENT).start()
        self.b = Server(extra=self.common + ["--name", self.pb], content=CONTENT).start()
        self.servers = [self.a, self.b]
        self.killed = set()
        for s in self.servers:
            wait_for(lambda s=s: s.admin().cmd("status")["redis"]["available"], what="redis up")

    def tearDown(self):
        for z in (ZA, ZB):
            ctl("cluster", "unset", z, "--store", PG_URL)
        for s in self.servers:
            stop_checked(self, s, clean_exit=s not in self.killed)
        rc, out = audit(PG_URL)
        self.assertEqual(rc, 0, out)

    def name(self, base):
        return (base + "_" + self.tag)[:24]

    def ok(self, r):
        self.assertTrue(r.get("ok"), r)
        return r

    def enter_first(self, c):
        chars = self.ok(c.request("characters"))["characters"]
        return self.ok(c.request("enter_world", character=chars[0]["id"]))["character"]

    def test_login_elsewhere_takes_over(self):
        n = self.name("alice")
        a = self.a.client()
        play(a, n)
        self.ok(a.request("grant", gold=40))
        self.assertEqual(next_event(a, "gold")["gold"], 40)
        self.ok(a.request("note", text="written on A just before"))  # written behind

        b = self.b.client()
        self.ok(b.request("login", name=n, password=PASSWORD))
        kicked = next_event(a, "kicked")
        self.assertEqual(kicked, {"ev": "kicked", "reason": "logged_in_elsewhere"})
        self.assertTrue(a.closed())
        ch = self.enter_first(b)
        self.assertEqual(ch["gold"], 40)
        self.assertEqual(self.ok(b.request("notes"))["text"], "written on A just before")
        wait_for(lambda: b.request("whereis", name=n).get("server") == self.pb,
                 what="presence on B")

        # and back to A: A's old copy of the character is not reused
        self.ok(b.request("note", text="written on B"))
        a2 = self.a.client()
        self.ok(a2.request("login", name=n, password=PASSWORD))
        self.assertEqual(next_event(b, "kicked")["reason"], "logged_in_elsewhere")
        self.enter_first(a2)
        self.assertEqual(self.ok(a2.request("notes"))["text"], "written on B")

        ta = self.a.admin().cmd("status")["cluster"]["takeovers"]
        tb = self.b.admin().cmd("status")["cluster"]["takeovers"]
        self.assertEqual((tb["asked"], ta["released"]), (1, 1))
        self.assertEqual((ta["asked"], tb["released"]), (1, 1))
        self.assertEqual(ta["timeouts"] + tb["timeouts"], 0)

        # logged out on A: the entry goes, a login on B asks nobody
        self.ok(a2.request("logout"))
        wait_for(lambda: redis_cli("EXISTS", "account:" + n.lower()) == "0", what="entry gone")
        b2 = self.b.client()
        self.ok(b2.request("login", name=n, password=PASSWORD))
        self.assertEqual(self.b.admin().cmd("status")["cluster"]["takeovers"]["asked"], 1)

    def test_killed_server_locks_nobody_out(self):
        n = self.name("kim")
        a = self.a.client()
        play(a, n)
        self.ok(a.request("grant", gold=7))
        self.assertEqual(next_event(a, "gold")["gold"], 7)
        self.a.stop(sig=signal.SIGKILL)
        self.killed.add(self.a)
        # A's heartbeat key outlives it by a few seconds: B asks, nobody answers, and when the
        # wait ends B finds the heartbeat gone and takes the account over (no lock left behind)
        b = self.b.client()
        self.ok(b.request("login", name=n, password=PASSWORD))
        self.assertEqual(self.enter_first(b)["gold"], 7)
        self.assertEqual(redis_cli("GET", "account:" + n.lower()).split(" ")[0], self.pb)
        st = self.b.admin().cmd("status")["cluster"]["takeovers"]
        self.assertEqual((st["asked"], st["timeouts"]), (1, 1), st)
        self.ok(b.request("logout"))

    def test_silent_live_server_keeps_its_account(self):
        """A server that still heart-beats but does not answer keeps the account: the login
        elsewhere is refused (`unavailable`) and the entry is put back; once its heartbeat is
        gone the next login goes on at once."""
        n = self.name("sil")
        a = self.a.client()
        play(a, n)
        self.ok(a.request("grant", gold=9))
        self.assertEqual(next_event(a, "gold")["gold"], 9)
        self.a.stop(sig=signal.SIGKILL)
        self.killed.add(self.a)
        redis_cli("SET", "presence:alive:" + self.pa, "1", "EX", "60")  # hung, not dead
        b = self.b.client()
        r = b.request("login", name=n, password=PASSWORD)
        self.assertEqual(r["error"]["code"], "unavailable", r)
        self.assertEqual(redis_cli("GET", "account:" + n.lower()).split(" ")[0], self.pa,
                         "the refused claim put A's entry back")
        redis_cli("DEL", "presence:alive:" + self.pa)
        b2 = self.b.client()
        self.ok(b2.request("login", name=n, password=PASSWORD))
        self.assertEqual(self.enter_first(b2)["gold"], 9)

    def test_login_rate_limit_shared(self):
        n = self.name("rita")
        a = self.a.client()
        self.ok(a.request("register", name=n, password=PASSWORD))
        for _ in range(5):
            r = a.request("login", name=n, password="wrong password 1")
            self.assertEqual(r["error"]["code"], "invalid_credentials", r)
        b = self.b.client()
        r = b.request("login", name=n, password=PASSWORD)
        self.assertEqual(r["error"]["code"], "rate_limited", r)
        # another account from the same address is not limited by it
        m = self.name("other")
        self.ok(b.request("register", name=m, password=PASSWORD))
        self.ok(b.request("login", name=m, password=PASSWORD))

    def test_mute_on_a_silences_player_on_b(self):
        n = self.name("bob")
        b = self.b.client()
        play(b, n)
        self.ok(b.request("chat", channel="say", text="hello"))
        r = self.a.admin().cmd("mute %s 5 spamming" % n)  # bob is not loaded on A
        self.assertTrue(r["ok"], r)

        def refused():
            r = b.request("chat", channel="say", text="still here")
            return r if "error" in r else None
        r = wait_for(refused, what="the mute reaching B")
        self.assertEqual(r["error"]["code"], "muted", r)
        self.assertIn("spamming", r["error"]["message"])
        self.assertGreater(r["error"]["seconds"], 200)
        self.assertTrue(any(m["character"].lower() == n.lower()
                            for m in self.b.admin().cmd("mutes")["mutes"]))

        # a server started now reads the mutes in force
        c = Server(extra=self.common + ["--name", "cc-" + self.tag], content=CONTENT).start()
        self.servers.append(c)
        wait_for(lambda: any(m["character"].lower() == n.lower()
                             for m in c.admin().cmd("mutes")["mutes"]), what="C reads the mute")

        self.assertTrue(self.a.admin().cmd("unmute " + n)["ok"])
        wait_for(lambda: b.request("chat", channel="say", text="free").get("ok"),
                 what="the unmute reaching B")
        wait_for(lambda: not c.admin().cmd("mutes")["mutes"], what="the unmute reaching C")
        self.assertEqual(redis_cli("EXISTS", "mute:" + n.lower()), "0")

    def test_ban_on_a_kicks_player_on_b(self):
        n = self.name("ban")
        b = self.b.client()
        play(b, n)
        r = self.a.admin().cmd("ban %s 1h gold duping" % n)  # the account plays on B only
        self.assertTrue(r["ok"], r)
        self.assertFalse(r["kicked"], r)  # not here
        ev = next_event(b, "kicked")
        self.assertEqual((ev["reason"], ev["text"]), ("banned", "gold duping"), ev)
        self.assertTrue(b.closed())
        r = self.b.client().request("login", name=n, password=PASSWORD)
        self.assertEqual(r["error"]["code"], "banned", r)
        self.assertTrue(self.a.admin().cmd("unban " + n)["ok"])

    def map_zones(self):
        for z, p in ((ZA, self.pa), (ZB, self.pb)):
            rc, out, err = ctl("cluster", "set", z, p, "--store", PG_URL)
            self.assertEqual(rc, 0, (out, err))
        for s in self.servers:
            wait_for(lambda s=s: len(s.admin().cmd("status")["cluster"]["map"]) >= 2,
                     what="map read")
        wait_for(lambda: ctl("cluster", "processes", "--redis", REDIS_URL)[1].count(self.pb) > 0,
                 what="B announced")

    def test_resume_takes_over(self):
        """A hand-off token taken on B while the account has logged in on A again: the
        new session on A is kicked (logged_in_elsewhere) and B enters."""
        self.map_zones()
        n = self.name("rex")
        a = self.a.client()
        play(a, n)
        time.sleep(0.05)
        self.assertTrue(self.ok(a.request("move", x=60, y=20)).get("handoff"))
        ho = next_event(a, "handoff")
        a2 = self.a.client()
        self.ok(a2.request("login", name=n, password=PASSWORD))  # logged in, not in the world
        b = Client(self.b.port)
        self.b.clients.append(b)
        r = self.ok(b.request("resume", token=ho["token"]))
        self.assertEqual(r["character"]["zone"], ZB)
        self.assertEqual(next_event(a2, "kicked")["reason"], "logged_in_elsewhere")
        self.assertEqual(redis_cli("GET", "account:" + n.lower()).split(" ")[0], self.pb)

    def test_whisper_and_guild_chat_after_handoff(self):
        self.map_zones()
        lead = self.a.client()
        lch = play(lead, self.name("lead"))
        self.ok(lead.request("grant", gold=100))
        next_event(lead, "gold")
        gid = self.ok(lead.request("guild_create", name="Guild " + self.tag))["guild"]["id"]
        far = self.a.client()
        fch = play(far, self.name("far"))
        self.ok(lead.request("guild_invite", name=fch["name"]))
        next_event(far, "guild_invite")
        self.ok(far.request("guild_accept", guild=gid))

        time.sleep(0.05)
        r = self.ok(far.request("move", x=60, y=20))
        self.assertTrue(r.get("handoff"), r)
        ho = next_event(far, "handoff")
        self.assertEqual(ho["port"], self.b.port)
        far_b = Client(self.b.port)
        self.b.clients.append(far_b)
        r = self.ok(far_b.request("resume", token=ho["token"]))
        self.assertEqual(r["character"]["zone"], ZB)
        wait_for(lambda: lead.request("whereis", name=fch["name"]).get("server") == self.pb,
                 what="far present on B")

        # the guild is read with the character (the store answers in order: the roster
        # comes after it)
        self.assertEqual(self.ok(far_b.request("guild_roster"))["guild"]["id"], gid)
        r = self.ok(lead.request("chat", channel="whisper", to=fch["name"], text="psst"))
        w = next_event(far_b, "chat")
        self.assertEqual((w["channel"], w["from"], w["text"]), ("whisper", lch["name"], "psst"))
        self.ok(lead.request("chat", channel="guild", text="rally"))
        g = next_event(far_b, "chat")
        self.assertEqual((g["channel"], g["from"], g["text"]), ("guild", lch["name"], "rally"))
        # and back: B -> A
        self.ok(far_b.request("chat", channel="whisper", to=lch["name"], text="here"))
        got = [next_event(lead, "chat") for _ in range(3)]  # the echoes of psst and rally first
        self.assertEqual([(e["from"], e["text"]) for e in got],
                         [(lch["name"], "psst"), (lch["name"], "rally"), (fch["name"], "here")])


@unittest.skipUnless(PG_URL and REDIS_URL, "CHAOS_TEST_PG and CHAOS_TEST_REDIS not both set")
class RedisGone(unittest.TestCase):
    """Redis stops: logins go on at once, limited by the server's own buckets (no waiting
    for Redis); it comes back: the limit is shared again."""

    def setUp(self):
        self.redis = PrivateRedis()
        self.redis.start()
        self.tag = uuid.uuid4().hex[:6]
        self.s = Server(extra=FAST_AUTH + ["--store", PG_URL, "--redis", self.redis.url,
                                           "--name", "cg-" + self.tag,
                                           "--set", "auth.login_rate_account=0.01"],
                        content=CONTENT).start()
        wait_for(lambda: self.s.admin().cmd("status")["redis"]["available"], what="redis up")

    def tearDown(self):
        stop_checked(self, self.s)
        self.redis.cleanup()

    def test_local_limits_while_redis_is_down(self):
        n = ("gina_" + self.tag)[:24]
        c = self.s.client()
        self.assertTrue(c.request("register", name=n, password=PASSWORD).get("ok"))
        self.redis.stop()
        wait_for(lambda: not self.s.admin().cmd("status")["redis"]["available"],
                 what="redis down")
        r = c.request("login", name=n, password=PASSWORD)
        self.assertTrue(r.get("ok"), r)  # no claim to wait for, no counter to read
        self.assertTrue(c.request("logout").get("ok"))
        for _ in range(4):
            r = c.request("login", name=n, password="wrong password 1")
            self.assertEqual(r["error"]["code"], "invalid_credentials", r)
        r = c.request("login", name=n, password=PASSWORD)
        self.assertEqual(r["error"]["code"], "rate_limited", r)  # the local bucket (burst 5)
        logs = [x for x in self.s.log_records()
                if x.get("msg", "").startswith("Redis is unavailable: one session")]
        self.assertEqual(len(logs), 1, "said once")


if __name__ == "__main__":
    main()

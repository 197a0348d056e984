"""Chat: say (within view), zone, world and whisper; text limits, rate limits,
operator mutes; and world chat and whispers across two servers sharing a
private redis-server. Negative checks ("C did not get it") use a marker
message sent afterwards: one connection's frames arrive in order, so the next
chat event C sees must be the marker."""
import math
import os
import re
import shutil
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import FAST_AUTH, Server, ServerTest, TwoServersWithRedis, main, play, wait_for  # noqa: E402

VIEW = 50.0  # the zone's view distance for `say` (CHAT_VIEW_DISTANCE in core/app/chat.c)


def err(reply):
    return reply.get("error", {}).get("code")


def next_chat(c):
    """The next chat event on c (events collected while waiting for replies first)."""
    while True:
        if c.events:
            ev = c.events.pop(0)
        else:
            ev = c.recv()
            assert ev is not None, "connection closed"
            assert "ev" in ev, "unexpected frame %r" % (ev,)
        if ev.get("ev") == "chat":
            return ev


def chat(c, channel, text, **kw):
    return c.request("chat", channel=channel, text=text, **kw)


def walk(steps):
    """steps: [(client, position dict, dx)]: moves each client dx along x in
    parallel, at most 9 units per second (the server allowed 10 units/s with a
    1 s burst; shorter strides if refused). Updates the position dicts from the
    server's answers."""
    remaining = [abs(dx) for _, _, dx in steps]
    stride = [9.0] * len(steps)
    deadline = time.time() + 60
    while any(r > 0 for r in remaining):
        assert time.time() < deadline, "could not walk %r" % (remaining,)
        time.sleep(1.0)
        for i, (c, pos, dx) in enumerate(steps):
            if remaining[i] <= 0:
                continue
            step = min(stride[i], remaining[i])
            r = c.request("move", x=pos["x"] + math.copysign(step, dx), y=pos["y"])
            if r.get("ok"):
                remaining[i] -= step
                pos["x"], pos["y"] = r["x"], r["y"]
            else:  # slower than 10 units/s (race speeds): shorter strides
                assert r["error"]["code"] == "bad_move", r
                stride[i] = max(1.0, stride[i] / 2)


def dist(a, b):
    return math.hypot(a["x"] - b["x"], a["y"] - b["y"])


class Chat(ServerTest):
    server_args = FAST_AUTH + ["--name", "solo"]

    def three(self):
        clients = [self.server.client() for _ in range(3)]
        pos = [play(c, n) for c, n in zip(clients, ("alice", "bob", "carol"))]
        return clients, [{"x": p["x"], "y": p["y"]} for p in pos]

    def test_channels_reach_the_right_players(self):
        (a, b, c), (pa, pb, pc) = self.three()
        # alice walks west and carol east: bob stays within alice's view, carol leaves it.
        walk([(a, pa, -36), (c, pc, +36)])
        self.assertLessEqual(dist(pa, pb), VIEW)
        self.assertGreater(dist(pa, pc), VIEW)

        r = chat(a, "say", "hello nearby")
        self.assertEqual(r, {"id": r["id"], "ok": True, "delivered": 1})
        want = {"ev": "chat", "channel": "say", "from": "alice", "text": "hello nearby"}
        self.assertEqual(next_chat(a), want)  # the sender sees its own line
        self.assertEqual(next_chat(b), want)

        r = chat(a, "zone", "hello zone")
        self.assertEqual(r["delivered"], 2)
        for cl in (a, b, c):
            ev = next_chat(cl)  # carol's first chat event: the say never reached her
            self.assertEqual(ev, {"ev": "chat", "channel": "zone", "from": "alice",
                                  "text": "hello zone"})

        r = chat(c, "world", "héllo wörld ✓")
        self.assertEqual(r["delivered"], 2)
        for cl in (a, b, c):
            self.assertEqual(next_chat(cl), {"ev": "chat", "channel": "world", "from": "carol",
                                             "text": "héllo wörld ✓"})

        # Whisper by name, case-insensitive: bob and the sender's echo, nobody else.
        r = chat(a, "whisper", "psst", to="BOB")
        self.assertEqual(r["delivered"], 1)
        want = {"ev": "chat", "channel": "whisper", "from": "alice", "to": "bob", "text": "psst"}
        self.assertEqual(next_chat(a), want)
        self.assertEqual(next_chat(b), want)
        self.assertTrue(chat(b, "zone", "marker")["ok"])
        self.assertEqual(next_chat(c)["text"], "marker")  # not the whisper
        self.assertEqual(next_chat(a)["text"], "marker")

        # Offline and unknown names; whispering to yourself.
        c.request("logout")
        r = chat(a, "whisper", "are you there", to="carol")
        self.assertEqual(err(r), "not_online")
        self.assertIn("not online", r["error"]["message"])
        self.assertEqual(err(chat(a, "whisper", "hi", to="nobody_here")), "not_online")
        self.assertEqual(err(chat(a, "whisper", "hi", to="Alice")), "bad_field")

        status, body = self.server.http_get("/metrics")
        self.assertRegex(body, r'chaos_chat_messages_total\{channel="say"\} 1\b')
        self.assertRegex(body, r'chaos_chat_messages_total\{channel="whisper"\} 1\b')
        self.assertRegex(body, r'chaos_chat_refused_total\{reason="not_online"\} 2\b')

    def test_text_limits_and_not_in_world(self):
        a = self.server.client()
        play(a, "alice")
        b = self.server.client()
        play(b, "bob")
        bad = [dict(channel="say", text=""), dict(channel="say", text="   "),
               dict(channel="say", text=123), dict(channel="say"),
               dict(channel="say", text="x" * 257), dict(channel="say", text="é" * 129),
               dict(channel="say", text="line\nbreak"), dict(channel="say", text="c1\u0085"), dict(channel="shout", text="hi"),
               dict(text="hi"), dict(channel="whisper", text="hi"),
               dict(channel="whisper", text="hi", to="x")]
        for fields in bad:
            r = a.request("chat", **fields)
            self.assertEqual(err(r), "bad_field", (fields, r))
        r = chat(a, "say", "x" * 257)
        self.assertIn("256", r["error"]["message"])
        # Exactly at the limit (256 bytes, 128 two-byte characters) is fine.
        self.assertTrue(chat(a, "say", "é" * 128)["ok"])
        self.assertEqual(next_chat(b)["text"], "é" * 128)
        self.assertTrue(chat(a, "say", "x" * 256)["ok"])

        # Logged in without a character in the world; not logged in at all.
        c = self.server.client()
        self.assertTrue(c.request("register", name="carol", password="correct horse 1")["ok"])
        self.assertTrue(c.request("login", name="carol", password="correct horse 1")["ok"])
        self.assertEqual(err(chat(c, "say", "hi")), "not_in_world")
        d = self.server.client()
        self.assertEqual(err(chat(d, "say", "hi")), "not_logged_in")

    def test_text_policy_invisible_and_direction_changing(self):
        a = self.server.client()
        play(a, "alice")
        b = self.server.client()
        play(b, "bob")
        # The project's text policy (core/base/text.h) on every channel:
        # nothing visible, or characters that reorder what follows, are refused.
        cases = {"\u200b\u200b": "blank", "\u00a0 \u00a0": "blank", "\u3164": "blank",
                 "evil\u202etxt.exe": "direction", "a\u2066b": "direction",
                 "x\u2028y": "control"}
        for channel in ("say", "zone", "world"):
            for text, word in cases.items():
                r = chat(a, channel, text)
                self.assertEqual(err(r), "bad_field", (channel, text, r))
                self.assertIn(word, r["error"]["message"], (channel, text, r))
        for text in cases:
            r = chat(a, "whisper", text, to="bob")
            self.assertEqual(err(r), "bad_field", (text, r))
        # Visible text with invisible characters inside is fine.
        self.assertTrue(chat(a, "say", "zero\u200bwidth")["ok"])
        self.assertEqual(next_chat(b)["text"], "zero\u200bwidth")

    def test_rate_limits_then_recovery(self):
        a = self.server.client()
        play(a, "alice")
        oks = 0
        for i in range(10):
            r = chat(a, "zone", "spam %d" % i)
            if err(r) == "rate_limited":
                break
            self.assertTrue(r["ok"], r)
            oks += 1
        self.assertEqual(err(r), "rate_limited")
        self.assertEqual(oks, 5)  # the burst
        self.assertTrue(a.request("ping")["ok"])  # the connection stays
        time.sleep(1.2)
        self.assertTrue(chat(a, "zone", "again")["ok"])
        # World chat is stricter (2, then 1 per 10 s) and has its own bucket.
        self.assertTrue(chat(a, "world", "w1")["ok"])
        self.assertTrue(chat(a, "world", "w2")["ok"])
        self.assertEqual(err(chat(a, "world", "w3")), "rate_limited")
        status, body = self.server.http_get("/metrics")
        self.assertRegex(body, r'chaos_chat_refused_total\{reason="rate_limited"\} 2\b')

    def test_mute_and_unmute(self):
        a, b = self.server.client(), self.server.client()
        play(a, "alice")
        play(b, "bob")
        adm = self.server.admin()
        r = adm.cmd("mute BOB 2 spamming the zone")
        self.assertTrue(r["ok"], r)
        self.assertEqual(r["character"], "bob")
        self.assertEqual(r["seconds"], 120)
        r = chat(b, "zone", "can you hear me")
        self.assertEqual(err(r), "muted")
        self.assertTrue(0 < r["error"]["seconds"] <= 120, r)
        self.assertIn("spamming the zone", r["error"]["message"])
        self.assertEqual(err(chat(b, "whisper", "psst", to="alice")), "muted")
        self.assertTrue(chat(a, "zone", "others still talk")["ok"])  # only bob is muted
        self.assertEqual(next_chat(b)["text"], "others still talk")
        self.assertEqual(next_chat(a)["text"], "others still talk")  # alice's own echo
        self.assertEqual(adm.cmd("mutes")["mutes"][0]["character"], "bob")

        self.assertFalse(adm.cmd("mute nobody_here 5")["ok"])
        self.assertFalse(adm.cmd("mute alice 0")["ok"])
        self.assertFalse(adm.cmd("mute alice soon")["ok"])

        self.assertTrue(adm.cmd("unmute bob")["ok"])
        self.assertTrue(chat(b, "zone", "back")["ok"])
        self.assertEqual(next_chat(a)["text"], "back")
        self.assertFalse(adm.cmd("unmute bob")["ok"])  # no longer muted
        self.assertEqual(adm.cmd("mutes")["mutes"], [])
        logs = self.server.log_records()
        muted = [l for l in logs if l.get("msg") == "character muted"]
        self.assertEqual(len(muted), 1, muted)
        self.assertEqual(muted[0].get("level"), "info")
        self.assertTrue(any(l.get("msg") == "character unmuted" for l in logs))


@unittest.skipUnless(shutil.which("redis-server"), "redis-server is not installed")
class ChatAcrossServers(TwoServersWithRedis):
    def test_world_and_whisper_exactly_once(self):
        alice = self.a.client()
        play(alice, "alice")
        bob = self.b.client()
        play(bob, "bob")
        wait_for(lambda: alice.request("whereis", name="bob").get("online"), what="bob visible")
        wait_for(lambda: bob.request("whereis", name="alice").get("online"), what="alice visible")
        r = alice.request("chat", channel="world", text="hello everyone")
        self.assertEqual(r["delivered"], 0)  # nobody else on shard-a
        world = {"ev": "chat", "channel": "world", "from": "alice", "text": "hello everyone"}
        self.assertEqual(next_chat(bob), world)

        # Alice's server delivered her line itself and ignores it on the channel.
        r = alice.request("chat", channel="whisper", text="psst", to="BOB")
        self.assertTrue(r.get("ok"), r)
        self.assertEqual(r["delivered"], 1)
        self.assertEqual(next_chat(bob), {"ev": "chat", "channel": "whisper", "from": "alice",
                                          "to": "BOB", "text": "psst"})
        r = bob.request("chat", channel="whisper", text="hi back", to="alice")
        self.assertTrue(r.get("ok"), r)
        want = {"ev": "chat", "channel": "whisper", "from": "bob", "to": "alice",
                "text": "hi back"}
        self.assertEqual(next_chat(bob), want)  # bob's echo, and no second world line before it
        # Redis delivers one subscriber connection's messages in publish order, so a duplicate
        # of alice's world line would reach shard-a before bob's whisper does.
        self.assertEqual(next_chat(alice), world)
        self.assertEqual(next_chat(alice)["channel"], "whisper")  # her echo
        self.assertEqual(next_chat(alice), want)
        # Nothing else is queued for either of them.
        self.assertTrue(alice.request("ping")["ok"])
        self.assertTrue(bob.request("ping")["ok"])
        self.assertEqual([e for e in alice.events + bob.events if e.get("ev") == "chat"], [])

        # Offline across servers.
        self.assertEqual(err(alice.request("chat", channel="whisper", text="x", to="nobody_here")),
                         "not_online")


if __name__ == "__main__":
    main()

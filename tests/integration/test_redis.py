"""Redis across servers: presence (whereis), announcements over pub/sub, and
Redis going away and coming back without stopping the game. Two real chaosd
processes share a private redis-server started by the test."""
import os
import shutil
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import FAST_AUTH, Server, TwoServersWithRedis, main, play, wait_for  # noqa: E402


@unittest.skipUnless(shutil.which("redis-server"), "redis-server is not installed")
class AcrossServers(TwoServersWithRedis):
    def whereis(self, client, name):
        return client.request("whereis", name=name)

    def test_presence_announce_and_outage(self):
        alice = self.a.client()
        me = play(alice, "alice")
        bob = self.b.client()
        play(bob, "bob")

        # B sees alice online on shard-a; A sees bob on shard-b; names are case-insensitive.
        r = wait_for(lambda: (lambda r: r if r.get("online") else None)(self.whereis(bob, "ALICE")),
                     what="alice visible from shard-b")
        self.assertEqual(r["server"], "shard-a")
        self.assertEqual(self.whereis(alice, "bob")["server"], "shard-b")
        self.assertFalse(self.whereis(bob, "nobody_here")["online"])

        # An announcement on A reaches players on both servers.
        r = self.a.admin().cmd("announce maintenance in 5 minutes")
        self.assertTrue(r["ok"], r)
        self.assertEqual(r["via"], "redis")
        for c in (alice, bob):
            ev = c.recv()
            self.assertEqual(ev, {"ev": "announce", "text": "maintenance in 5 minutes",
                                  "server": "shard-a"})

        # Redis goes away: the game carries on, lookups say unavailable.
        self.redis.stop()
        wait_for(lambda: not self.a.admin().cmd("status")["redis"]["available"], what="redis down")
        time.sleep(0.3)  # bank a little movement (the server allows 10 units/s)
        r = alice.request("move", x=me["x"] + 0.5, y=me["y"])
        self.assertTrue(r.get("ok"), r)
        self.assertTrue(alice.request("ping")["ok"])
        self.assertEqual(self.whereis(bob, "alice")["error"]["code"], "unavailable")

        # Redis comes back empty: both servers rebuild their presence.
        self.redis.start()
        r = wait_for(lambda: (lambda r: r if r.get("online") else None)(self.whereis(bob, "alice")),
                     what="presence rebuilt")
        self.assertEqual(r["server"], "shard-a")

        # Leaving the world clears presence.
        self.assertTrue(alice.request("logout")["ok"])
        wait_for(lambda: self.whereis(bob, "alice").get("online") is False, what="alice offline")


class WithoutRedis(unittest.TestCase):
    def test_whereis_uses_this_server(self):
        s = Server(extra=FAST_AUTH + ["--name", "solo"]).start()
        try:
            a, b = s.client(), s.client()
            play(a, "carol")
            play(b, "dave")
            r = b.request("whereis", name="carol")
            self.assertEqual(r["server"], "solo")
            self.assertTrue(r["online"])
            self.assertFalse(b.request("whereis", name="erin")["online"])
            self.assertEqual(b.request("whereis", name="x")["error"]["code"], "bad_field")
            r = s.admin().cmd("announce hi")
            self.assertEqual(r["via"], "local")
            # dave entered at the same spawn point, in carol's view (world events
            # leave with the next tick; the announcement goes out at once)
            got = [a.recv(), a.recv()]
            enters = [e for e in got if e.get("ev") == "enter"]
            self.assertEqual([e["name"] for e in enters], ["dave"], got)
            self.assertEqual([e["text"] for e in got if "text" in e], ["hi"], got)
            self.assertFalse(s.admin().cmd("status")["redis"]["configured"])
        finally:
            self.assertEqual(s.stop(), 0)
            s.cleanup()


if __name__ == "__main__":
    main()

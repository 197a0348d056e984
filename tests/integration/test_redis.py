"""Redis across servers: presence (whereis), announcements over pub/sub, and
Redis going away and coming back without stopping the game. Two real chaosd
processes share a private redis-server started by the test."""
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import FAST_AUTH, Server, free_port, main, play, wait_for  # noqa: E402


class PrivateRedis:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="chaos-redis-")
        self.port = free_port()
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        def up():
            try:
                out = subprocess.run(["redis-cli", "-p", str(self.port), "ping"],
                                     capture_output=True, text=True, timeout=5).stdout
                return "PONG" in out
            except subprocess.TimeoutExpired:
                return False
        wait_for(up, timeout=20, what="redis-server")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    @property
    def url(self):
        return "redis://127.0.0.1:%d" % self.port


@unittest.skipUnless(shutil.which("redis-server"), "redis-server is not installed")
class AcrossServers(unittest.TestCase):
    def setUp(self):
        self.redis = PrivateRedis()
        self.redis.start()
        self.a = Server(extra=FAST_AUTH + ["--name", "shard-a", "--redis", self.redis.url]).start()
        self.b = Server(extra=FAST_AUTH + ["--name", "shard-b", "--redis", self.redis.url]).start()
        for s in (self.a, self.b):
            wait_for(lambda s=s: s.admin().cmd("status")["redis"]["available"], what="redis up")

    def tearDown(self):
        for s in (self.a, self.b):
            rc = s.stop()
            log = s.log()
            s.cleanup()
            self.assertNotIn("ERROR: AddressSanitizer", log)
            self.assertNotIn("runtime error:", log)
            self.assertEqual(rc, 0, log[-3000:])
        self.redis.cleanup()

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
            ev = a.recv()  # dave entered at the same spawn point, in carol's view
            self.assertEqual((ev["ev"], ev["name"]), ("enter", "dave"))
            self.assertEqual(a.recv()["text"], "hi")
            self.assertFalse(s.admin().cmd("status")["redis"]["configured"])
        finally:
            self.assertEqual(s.stop(), 0)
            s.cleanup()


if __name__ == "__main__":
    main()

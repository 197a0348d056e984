"""Disconnect storm: many players leaving at once are saved in shared batches.

K players are in the world with unsaved moves. While the database is held locked by the test
(so the first save waits in the store), half of them send `logout` and the other half close
their connections, all at once. Once the server has seen every one of them leave, the lock is
released. Every character must then be in the database with its last position, every logout
answered exactly once with saved:true, nothing left loaded or dirty, `chaosctl audit` clean, and
the saves must have used few store batches: about K / BATCH_MAX, not one per character.
No timing is asserted: the lock makes the batching independent of how fast the machine is."""
import math
import os
import sqlite3
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import FAST_AUTH, Server, audit, main, play, stop_checked, wait_for  # noqa: E402

K = 300
BATCH_MAX = 256  # core/app/saver.c


def move_all(test, clients):
    """Each player takes a small step (unsaved from then on). Returns name -> (x, y)."""
    want = {}
    for i, (c, name, ch) in enumerate(clients):
        x, y = ch["x"] + 1 + i % 4, ch["y"] + i % 3
        r = c.request("move", x=x, y=y)
        test.assertTrue(r.get("ok"), r)
        want[name] = (x, y)
    return want


def leave_all(clients):
    """Half of the players send `logout` (not waiting for the answer), the other half close
    their connection. Returns the (client, request id) of each logout."""
    logouts = []
    for i, (c, name, ch) in enumerate(clients):
        if i % 2 == 0:
            rid = c.next_id
            c.next_id += 1
            c.send({"op": "logout", "id": rid})
            logouts.append((c, rid))
        else:
            c.close()
    return logouts


class DisconnectStorm(unittest.TestCase):
    def setUp(self):
        # No interval saves during the test: every save is a logout's or a disconnect's.
        args = FAST_AUTH + ["--set", "store.save_interval_ms=3600000",
                            "--set", "net.rate=0", "--log-level", "info"]
        self.server = Server(extra=args).start()
        self.addCleanup(stop_checked, self, self.server)

    def test_mass_disconnect_is_saved_in_few_batches(self):
        s = self.server
        admin = s.admin()
        clients = []
        for i in range(K):
            c = s.client()
            name = "Storm%03d" % i
            ch = play(c, name)
            clients.append((c, name, ch))
        time.sleep(0.6)  # movement is banked from entering (10 units/s)
        want = move_all(self, clients)
        st = admin.cmd("status")
        self.assertEqual(st["sessions"], K)
        self.assertGreaterEqual(st["store"]["dirty_characters"], K)
        batches0 = st["store"]["save_batches"]

        db = sqlite3.connect(os.path.join(s.var, "chaos.db"), timeout=30, isolation_level=None)
        db.execute("BEGIN EXCLUSIVE")  # the store's writes wait (it retries a busy database)
        logouts = leave_all(clients)
        # Every player has left (its save requested) before the database is let go.
        wait_for(lambda: admin.cmd("status")["sessions"] == 0, timeout=60, what="all to leave")
        db.execute("COMMIT")

        for c, rid in logouts:
            r = c.reply(rid)
            self.assertEqual(r, {"id": rid, "ok": True, "saved": True}, r)
        wait_for(lambda: admin.cmd("status")["store"]["loaded_characters"] == 0, timeout=60,
                 what="every character saved and forgotten")
        st = admin.cmd("status")["store"]
        self.assertEqual(st["dirty_characters"], 0, st)
        self.assertEqual(st["failed_saves"], 0, st)
        self.assertEqual(st["stale_saves"], 0, st)
        used = st["save_batches"] - batches0
        self.assertGreaterEqual(used, math.ceil(K / BATCH_MAX), st)
        self.assertLessEqual(used, math.ceil(K / BATCH_MAX) + 2, st)

        # Each logout was answered once: the next frame on the connection is the next answer.
        for c, rid in logouts:
            r = c.request("ping")
            self.assertTrue(r.get("ok"), r)

        rows = dict(((n, (x, y)) for n, x, y in db.execute(
            "SELECT name, x, y FROM characters WHERE name LIKE 'Storm%'")))
        db.close()
        self.assertEqual(rows, want)
        rc, out = audit("sqlite:" + os.path.join(s.var, "chaos.db"))
        self.assertEqual((rc, out["ok"], out["characters"]), (0, True, K), out)


class DisconnectStormOutage(unittest.TestCase):
    """The same storm while the database stays away longer than the store retries: every
    logout is answered once with saved:false, the characters stay in memory, and once the
    database is back the interval saves them all and they are forgotten."""

    K = 40

    def setUp(self):
        args = FAST_AUTH + ["--set", "store.save_interval_ms=300",
                            "--set", "store.retry_deadline_ms=200", "--set", "net.rate=0",
                            "--log-level", "info"]
        self.server = Server(extra=args).start()
        self.addCleanup(stop_checked, self, self.server)

    def test_storm_while_the_database_is_away(self):
        s = self.server
        admin = s.admin()
        clients = []
        for i in range(self.K):
            c = s.client()
            name = "Away%03d" % i
            clients.append((c, name, play(c, name)))
        time.sleep(0.6)
        db = sqlite3.connect(os.path.join(s.var, "chaos.db"), timeout=30, isolation_level=None)
        db.execute("BEGIN EXCLUSIVE")
        want = move_all(self, clients)
        logouts = leave_all(clients)
        for c, rid in logouts:
            c.sock.settimeout(60)
            r = c.reply(rid)
            self.assertEqual(r, {"id": rid, "ok": True, "saved": False}, r)
        st = admin.cmd("status")
        self.assertEqual(st["sessions"], 0)
        self.assertEqual(st["store"]["loaded_characters"], self.K, st)
        self.assertEqual(st["store"]["dirty_characters"], self.K, st)
        db.execute("COMMIT")

        wait_for(lambda: admin.cmd("status")["store"]["loaded_characters"] == 0, timeout=60,
                 what="the characters saved after the outage and forgotten")
        self.assertEqual(admin.cmd("status")["store"]["dirty_characters"], 0)
        for c, rid in logouts:
            r = c.request("ping")
            self.assertTrue(r.get("ok"), r)
        rows = dict(((n, (x, y)) for n, x, y in db.execute(
            "SELECT name, x, y FROM characters WHERE name LIKE 'Away%'")))
        db.close()
        self.assertEqual(rows, want)
        rc, out = audit("sqlite:" + os.path.join(s.var, "chaos.db"))
        self.assertEqual((rc, out["ok"], out["characters"]), (0, True, self.K), out)


if __name__ == "__main__":
    main()

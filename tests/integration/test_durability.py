"""Durability: what was acknowledged survives kill -9, on SQLite and (with
CHAOS_TEST_PG) PostgreSQL; and the game keeps running while PostgreSQL is away.

The PostgreSQL outage test starts its own private PostgreSQL (initdb in a
temporary directory, as tools/test.sh does) so stopping it disturbs nobody."""
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(__file__))
from harness import FAST_AUTH, Server, audit, main, play, reenter, wait_for  # noqa: E402

PG_URL = os.environ.get("CHAOS_TEST_PG", "")


def gold_event(c):
    """The next "gold" event (other world events may come first)."""
    ev = c.recv()
    while ev is not None and ev.get("ev") != "gold":
        ev = c.recv()
    return ev


def unique(prefix):
    """Names unique per test: the PostgreSQL database is shared by parallel tests."""
    return (prefix + "_" + uuid.uuid4().hex[:10])[:24]


class Durability:
    """Mixed into one TestCase per backend; store_args picks the backend."""

    store_args = []

    def start_server(self):
        args = FAST_AUTH + ["--set", "store.save_interval_ms=200"] + self.store_args
        self.server = Server(extra=args).start()
        self.addCleanup(self.finish)
        return self.server

    def finish(self):
        log = self.server.log()
        self.server.cleanup()
        self.assertNotIn("ERROR: AddressSanitizer", log)
        self.assertNotIn("ERROR: LeakSanitizer", log)
        self.assertNotIn("runtime error:", log)

    def store_url(self):
        return self.store_args[1] if self.store_args else "sqlite:" + os.path.join(
            self.server.var, "chaos.db")

    def assert_audit_ok(self):
        """The stored gold and exp of every character agree with the ledger (chaosctl audit,
        run against the live database)."""
        rc, out = audit(self.store_url())
        self.assertEqual(rc, 0, out)
        self.assertTrue(out["ok"], out)
        self.assertGreaterEqual(out["characters"], 1, out)
        return out

    def restart_after_kill9(self):
        for c in self.server.clients:
            c.close()
        self.server.clients = []
        self.assertEqual(self.server.stop(signal.SIGKILL), -signal.SIGKILL)
        self.server.start()

    def test_acknowledged_gold_survives_kill9(self):
        s = self.start_server()
        name = unique("Rich")
        c = s.client()
        play(c, name)
        admin = s.admin()
        r = admin.cmd("grant %s 125 test reward" % name)
        self.assertTrue(r["ok"], r)
        self.assertEqual(r["state"], "pending")
        # The player is told only after the commit: that is the acknowledgement.
        ev = c.recv()
        self.assertEqual(ev, {"ev": "gold", "gold": 125, "delta": 125})
        st = admin.cmd("grant-status %d" % r["grant"])
        self.assertEqual((st["state"], st["gold"]), ("committed", 125))
        r = admin.cmd("grant %s -25" % name)
        self.assertEqual(c.recv(), {"ev": "gold", "gold": 100, "delta": -25})
        bad = admin.cmd("grant %s -1000" % name)
        self.assertFalse(bad["ok"])
        self.assertEqual(admin.cmd("grant Nobody_here 5")["error"]["code"], "enotfound")
        self.restart_after_kill9()
        ch = reenter(s.client(), name)
        self.assertEqual(ch["gold"], 100)
        # Each committed grant left one append-only ledger row, written in its save's
        # transaction; the refused one left none.
        self.assertEqual(self.ledger(name), [(125, "test reward"), (-25, "operator")])
        out = self.assert_audit_ok()
        self.assertGreaterEqual(out["ledger_rows"], 2, out)

    LEDGER_SQL = ("SELECT l.kind, l.amount, l.reason FROM ledger l JOIN characters c "
                  "ON c.id = l.to_character_id WHERE c.name = %s ORDER BY l.id")

    def ledger(self, name):
        """(amount, reason) of the character's gold ledger rows, read from the database."""
        if self.store_args:
            out = subprocess.run(["psql", self.store_args[1], "-X", "-A", "-t", "-F", "\t",
                                  "-v", "name=" + name, "-v", "ON_ERROR_STOP=1"],
                                 input=self.LEDGER_SQL % ":'name'", capture_output=True,
                                 text=True, check=True).stdout
            rows = [line.split("\t") for line in out.splitlines() if line]
        else:
            import sqlite3
            db = sqlite3.connect(os.path.join(self.server.var, "chaos.db"), timeout=10)
            rows = db.execute(self.LEDGER_SQL % "?", (name,)).fetchall()
            db.close()
        self.assertTrue(all(r[0] == "gold" for r in rows), rows)
        return [(int(r[1]), r[2]) for r in rows]

    def test_grant_numbers_never_repeat_across_restarts(self):
        s = self.start_server()
        first_name, second_name = unique("First"), unique("Second")
        c = s.client()
        play(c, first_name)
        admin = s.admin()
        first = admin.cmd("grant %s 11 before the crash" % first_name)
        self.assertTrue(first["ok"], first)
        self.assertEqual(gold_event(c), {"ev": "gold", "gold": 11, "delta": 11})
        self.restart_after_kill9()
        c = s.client()
        play(c, second_name)
        admin = s.admin()
        second = admin.cmd("grant %s 22 after the crash" % second_name)
        self.assertTrue(second["ok"], second)
        self.assertEqual(gold_event(c), {"ev": "gold", "gold": 22, "delta": 22})
        self.assertNotEqual(second["grant"], first["grant"])
        self.assertGreater(second["grant"], first["grant"])
        # The first number does not report the second grant (nor anything: it was before).
        st = admin.cmd("grant-status %d" % first["grant"])
        self.assertFalse(st["ok"], st)
        self.assertEqual(st["error"]["code"], "enotfound", st)
        st = admin.cmd("grant-status %d" % second["grant"])
        self.assertEqual((st["state"], st["character"], st["gold"]),
                         ("committed", second_name, 22), st)
        # And a clean restart too.
        for cl in s.clients:
            cl.close()
        s.clients = []
        self.assertEqual(s.stop(signal.SIGTERM), 0)
        s.start()
        c = s.client()
        reenter(c, second_name)
        third = s.admin().cmd("grant %s 1" % second_name)
        self.assertTrue(third["ok"], third)
        self.assertGreater(third["grant"], second["grant"])

    def test_gold_reaches_exactly_two_to_the_53(self):
        s = self.start_server()
        name = unique("Topper")
        c = s.client()
        play(c, name)
        admin = s.admin()
        top = 2 ** 53
        r = admin.cmd("grant %s %d treasure" % (name, top))
        self.assertTrue(r["ok"], r)
        self.assertEqual(gold_event(c), {"ev": "gold", "gold": top, "delta": top})
        r = admin.cmd("grant %s 1" % name)
        self.assertEqual(r["error"]["code"], "einval", r)
        self.restart_after_kill9()
        self.assertEqual(reenter(s.client(), name)["gold"], top)
        self.assert_audit_ok()

    def test_bad_reason_refused_at_the_console(self):
        s = self.start_server()
        name = unique("Texty")
        c = s.client()
        play(c, name)
        admin = s.admin()

        def raw_cmd(line):
            admin.sock.sendall(line + b"\n")
            return json.loads(admin.f.readline())  # the answer itself is valid UTF-8 JSON

        for reason, why in ((b"bad\xffr", "not valid UTF-8"),
                            (b"esc\x1b[31mred", "control characters"),
                            (b"\xe2\x80\xaeevil", "direction-changing"),
                            (b"x" * 64, "too long")):
            r = raw_cmd(b"grant " + name.encode() + b" 7 " + reason)
            self.assertFalse(r["ok"], r)
            self.assertEqual(r["error"]["code"], "einval", r)
            self.assertIn("reason", r["error"]["message"])
            self.assertIn(why, r["error"]["message"])
        # A reason of printable UTF-8 goes through, as it is.
        r = raw_cmd(b"grant " + name.encode() + b" 7 prix \xc3\xa9t\xc3\xa9")
        self.assertTrue(r["ok"], r)
        self.assertEqual(gold_event(c), {"ev": "gold", "gold": 7, "delta": 7})
        self.assertEqual(self.ledger(name), [(7, "prix \u00e9t\u00e9")])
        with open(s.log_path, "rb") as f:
            log = f.read()
        self.assertNotIn(b"bad\xffr", log)
        self.assertNotIn(b"\x1b[31m", log)
        self.assertNotIn(b"\xe2\x80\xae", log)
        self.assert_audit_ok()

    def test_bad_entry_fails_alone_in_the_group_commit(self):
        """A grant the database refuses (a trigger stands in for any row-level failure) shares
        one group commit with another player's grant: the other grant commits (ledger row,
        player told), the bad one fails alone and its player is told nothing."""
        s = self.start_server()
        bad_name, good_name = unique("Unlucky"), unique("Lucky")
        bad_c, good_c = s.client(), s.client()
        play(bad_c, bad_name)
        play(good_c, good_name)
        boom = "boom_" + uuid.uuid4().hex[:8]
        self.refuse_reason(boom)
        admin = s.admin()
        wait_for(lambda: admin.cmd("status")["store"]["dirty_characters"] == 0, timeout=10,
                 what="both characters saved")
        # Both lines in one write: the console runs them in one loop iteration, so both grants
        # ride in one group commit.
        admin.sock.sendall(("grant %s 7 %s\ngrant %s 5 loot reward\n"
                            % (bad_name, boom, good_name)).encode())
        bad = json.loads(admin.f.readline())
        good = json.loads(admin.f.readline())
        self.assertEqual((bad["state"], good["state"]), ("pending", "pending"), (bad, good))
        self.assertEqual(gold_event(good_c), {"ev": "gold", "gold": 5, "delta": 5})
        self.assertEqual(admin.cmd("grant-status %d" % good["grant"])["state"], "committed")
        st = wait_for(lambda: (lambda r: r if r["state"] != "pending" else None)(
            admin.cmd("grant-status %d" % bad["grant"])), timeout=10, what="the bad grant")
        self.assertEqual(st["state"], "failed", st)
        # The unlucky player heard nothing: a gold event would have come before this answer.
        self.assertTrue(bad_c.request("ping")["ok"])
        self.assertEqual([e for e in bad_c.events if e.get("ev") == "gold"], [])
        self.assertEqual(self.ledger(good_name), [(5, "loot reward")])
        self.assertEqual(self.ledger(bad_name), [])
        self.assertIn("character save refused by the database", s.log())
        # The failed grant's character is saved again later, without it.
        wait_for(lambda: admin.cmd("status")["store"]["dirty_characters"] == 0, timeout=10,
                 what="the unlucky character saved without the grant")
        self.assert_audit_ok()

    def refuse_reason(self, reason):
        """Makes the database refuse ledger rows with this reason (a trigger), until cleanup."""
        if self.store_args:
            fn = "refuse_" + reason
            self.psql("CREATE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                      "RAISE EXCEPTION 'refused'; END; $$; "
                      "CREATE TRIGGER %s BEFORE INSERT ON ledger FOR EACH ROW "
                      "WHEN (NEW.reason = '%s') EXECUTE FUNCTION %s()" % (fn, fn, reason, fn))
            self.addCleanup(self.psql, "DROP TRIGGER %s ON ledger; DROP FUNCTION %s()" % (fn, fn))
        else:
            import sqlite3
            db = sqlite3.connect(os.path.join(self.server.var, "chaos.db"), timeout=10)
            with db:
                db.execute("CREATE TRIGGER refuse_%s BEFORE INSERT ON ledger WHEN NEW.reason = '%s' "
                           "BEGIN SELECT RAISE(ABORT, 'refused'); END" % (reason, reason))
            db.close()

    def psql(self, sql):
        subprocess.run(["psql", self.store_args[1], "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql],
                       capture_output=True, text=True, check=True)

    def test_moves_saved_within_an_interval_survive_kill9(self):
        s = self.start_server()
        name = unique("Mover")
        c = s.client()
        play(c, name)
        x = 500
        for _ in range(3):
            time.sleep(0.35)
            x += 3
            self.assertTrue(c.request("move", x=x, y=500)["ok"])
        # Wait for the write-behind (200 ms interval) to have run.
        admin = s.admin()
        wait_for(lambda: admin.cmd("status")["store"]["dirty_characters"] == 0, timeout=10,
                 what="the character to be saved")
        self.restart_after_kill9()
        ch = reenter(s.client(), name)
        self.assertEqual((ch["x"], ch["y"]), (x, 500))
        self.assert_audit_ok()


class SqliteDurability(Durability, unittest.TestCase):
    store_args = []


@unittest.skipUnless(PG_URL, "CHAOS_TEST_PG not set")
class PostgresDurability(Durability, unittest.TestCase):
    store_args = ["--store", PG_URL]


# ---- a private PostgreSQL that the test may stop and start ----------------------------

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class PrivatePostgres:
    def __init__(self):
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
        if not bins:
            raise unittest.SkipTest("PostgreSQL is not installed")
        self.bin = bins[-1]
        self.dir = tempfile.mkdtemp(prefix="chaos-pg-")
        os.chmod(self.dir, 0o755)
        self.data = os.path.join(self.dir, "data")
        os.makedirs(self.data)
        self.root = os.getuid() == 0
        if self.root:
            shutil.chown(self.data, "postgres")
            shutil.chown(self.dir, "postgres")
        self.port = free_port()
        self.run("initdb", "-D", self.data, "-U", "chaos", "--auth=trust", "-E", "UTF8")
        self.url = "postgres://chaos@127.0.0.1:%d/postgres" % self.port

    def run(self, tool, *args):
        cmd = [os.path.join(self.bin, tool)] + list(args)
        if self.root:
            cmd = ["runuser", "-u", "postgres", "--"] + cmd
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            raise RuntimeError("%s failed: %s %s" % (tool, p.stdout, p.stderr))

    def start(self):
        self.run("pg_ctl", "-D", self.data, "-l", os.path.join(self.dir, "server.log"), "-w",
                 "-o", "-c listen_addresses=127.0.0.1 -c port=%d -c unix_socket_directories=%s "
                 "-c fsync=off" % (self.port, self.dir), "start")

    def stop(self):
        self.run("pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")

    def cleanup(self):
        try:
            self.stop()
        except Exception:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


class PostgresOutage(unittest.TestCase):
    def setUp(self):
        if not shutil.which("runuser") and os.getuid() == 0:
            raise unittest.SkipTest("runuser missing")
        try:
            self.pg = PrivatePostgres()
        except unittest.SkipTest:
            raise
        self.addCleanup(self.pg.cleanup)
        self.pg.start()

    def test_play_through_an_outage(self):
        args = FAST_AUTH + ["--store", self.pg.url, "--set", "store.save_interval_ms=200",
                            "--set", "store.retry_deadline_ms=1000"]
        s = Server(extra=args).start()
        self.addCleanup(s.cleanup)
        c = s.client()
        play(c, "Survivor")
        second = s.client()
        self.assertTrue(second.request("register", name="Second", password="correct horse 1")["ok"])
        admin = s.admin()
        self.pg.stop()
        # Players keep playing: moves are answered while the database is away.
        x = 500
        for _ in range(4):
            time.sleep(0.3)
            x += 2
            r = c.request("move", x=x, y=500)
            self.assertTrue(r.get("ok"), r)
        # The move is unsaved, and stays so (dirty) while saves fail.
        st = admin.cmd("status")["store"]
        self.assertGreaterEqual(st["dirty_characters"], 1, st)
        # What needs the database says so.
        r = second.request("login", name="Second", password="correct horse 1")
        self.assertEqual(r["error"]["code"], "unavailable", r)
        wait_for(lambda: not admin.cmd("status")["store"]["available"], timeout=30,
                 what="the store to report the database unavailable")
        self.pg.start()
        wait_for(lambda: admin.cmd("status")["store"]["dirty_characters"] == 0, timeout=60,
                 what="the dirty character to be saved after the database came back")
        r = second.request("login", name="Second", password="correct horse 1")
        self.assertTrue(r.get("ok"), r)
        # And it is really in the database: restart the server and look.
        c.close()
        second.close()
        s.clients = []
        self.assertEqual(s.stop(signal.SIGTERM), 0)
        s.start()
        ch = reenter(s.client(), "Survivor")
        self.assertEqual((ch["x"], ch["y"]), (x, 500))
        self.assertEqual(s.stop(signal.SIGTERM), 0)
        log = s.log()
        self.assertNotIn("ERROR: AddressSanitizer", log)
        self.assertNotIn("ERROR: LeakSanitizer", log)
        self.assertNotIn("runtime error:", log)
        # The outage was seen and survived: saves failed, then one succeeded.
        self.assertIn("character save failed", log)
        rc, out = audit(self.pg.url)
        self.assertEqual((rc, out["ok"]), (0, True), out)


class PostgresLate(unittest.TestCase):
    """A database that is not up yet when chaosd starts is waited for (store.retry_deadline_ms);
    one that never comes stops the start with an error."""

    def setUp(self):
        if not shutil.which("runuser") and os.getuid() == 0:
            raise unittest.SkipTest("runuser missing")
        self.pg = PrivatePostgres()
        self.addCleanup(self.pg.cleanup)

    def test_start_waits_for_the_database(self):
        s = Server(extra=FAST_AUTH + ["--store", self.pg.url, "--set",
                                      "store.retry_deadline_ms=60000"])
        self.addCleanup(s.cleanup)
        s.start(wait=False)
        wait_for(lambda: "database unreachable at start" in s.log(), timeout=15,
                 what="chaosd to report the database unreachable")
        self.assertIsNone(s.proc.poll(), s.log())
        self.pg.start()

        def up():
            self.assertIsNone(s.proc.poll(), s.log())
            try:
                socket.create_connection(("127.0.0.1", s.port), timeout=1).close()
                return True
            except OSError:
                return False
        wait_for(up, timeout=30, what="chaosd to start once the database is up")
        ch = play(s.client(), "Patient")
        self.assertEqual(ch["name"], "Patient")
        self.assertEqual(s.stop(signal.SIGTERM), 0)

    def test_start_gives_up_after_the_deadline(self):
        s = Server(extra=FAST_AUTH + ["--store", self.pg.url, "--set",
                                      "store.retry_deadline_ms=1500"])
        self.addCleanup(s.cleanup)
        s.start(wait=False)
        rc = s.proc.wait(timeout=30)
        self.assertNotEqual(rc, 0)
        self.assertIn("database unreachable at start", s.log())


class StaleCopy(unittest.TestCase):
    """A save refused as stale (the row changed behind the server's back) disconnects the
    player, who then gets the stored row on the next login and is saved again from there."""

    def test_stale_copy_kicks_and_reloads(self):
        import sqlite3
        s = Server(extra=FAST_AUTH + ["--set", "store.save_interval_ms=100"]).start()
        self.addCleanup(s.cleanup)
        admin = s.admin()
        c = s.client()
        play(c, "Staler")
        time.sleep(0.6)  # movement is banked from entering: 10 units/s
        self.assertTrue(c.request("move", x=505, y=500)["ok"])
        wait_for(lambda: admin.cmd("status")["store"]["dirty_characters"] == 0, timeout=10,
                 what="the first save")
        # An operator edits the row directly: its version moves on.
        db = sqlite3.connect(os.path.join(s.var, "chaos.db"), timeout=10)
        with db:
            db.execute("UPDATE characters SET x = 490, version = version + 1 WHERE name = 'Staler'")
        db.close()
        time.sleep(0.5)
        self.assertTrue(c.request("move", x=509, y=500)["ok"])
        got = []
        c.sock.settimeout(10)
        while True:
            m = c.recv()
            if m is None:
                break
            got.append(m)
        kicks = [m for m in got if m.get("ev") == "kicked"]
        self.assertEqual(kicks, [{"ev": "kicked", "reason": "stale_copy"}], got)
        self.assertIn("stale character write refused", s.log())
        # Logging in again loads the stored row, and saving works again from it.
        c2 = s.client()
        ch = reenter(c2, "Staler")  # the stale copy is dropped and the row read again
        self.assertEqual((ch["x"], ch["y"]), (490, 500))
        time.sleep(0.6)
        self.assertTrue(c2.request("move", x=494, y=500)["ok"])
        wait_for(lambda: admin.cmd("status")["store"]["dirty_characters"] == 0, timeout=10,
                 what="a save of the fresh copy")
        db = sqlite3.connect(os.path.join(s.var, "chaos.db"), timeout=10)
        self.assertEqual(db.execute("SELECT x FROM characters WHERE name = 'Staler'").fetchone()[0], 494)
        db.close()
        rc, out = audit("sqlite:" + os.path.join(s.var, "chaos.db"))
        self.assertEqual((rc, out["ok"]), (0, True), out)
        self.assertEqual(s.stop(signal.SIGTERM), 0)
        log = s.log()
        self.assertNotIn("ERROR: AddressSanitizer", log)
        self.assertNotIn("runtime error:", log)


class ScriptDataKept(unittest.TestCase):
    """Per-character script data lives in the document under "data": it is loaded with the
    character (bad entries dropped and logged) and written back with every save, next to the
    gold and exp the saver owns."""

    def test_stored_data_survives_load_and_save(self):
        import json
        import sqlite3
        s = Server(extra=FAST_AUTH + ["--set", "store.save_interval_ms=100"]).start()
        self.addCleanup(s.cleanup)
        c = s.client()
        play(c, "Keeper")
        self.assertTrue(c.request("logout").get("saved"))
        path = os.path.join(s.var, "chaos.db")
        db = sqlite3.connect(path, timeout=10)
        with db:
            db.execute("UPDATE characters SET doc = json_set(doc, '$.data', json(?), '$.note', 'kept') "
                       "WHERE name = 'Keeper'",
                       ('{"quest":{"step":3,"who":"\u00e9"},"Bad Name":{"x":1},"flags":[1]}',))
        db.close()
        reenter(c, "Keeper")  # loads the row afresh (the saved copy was forgotten)
        admin = s.admin()
        self.assertTrue(admin.cmd("grant Keeper 7")["ok"])  # a save, through the group commit
        ev = c.recv()
        while ev.get("ev") != "gold":
            ev = c.recv()
        db = sqlite3.connect(path, timeout=10)
        doc = json.loads(db.execute("SELECT doc FROM characters WHERE name = 'Keeper'").fetchone()[0])
        db.close()
        self.assertEqual(doc, {"gold": 7, "exp": 0, "note": "kept",
                               "data": {"quest": {"step": 3, "who": "\u00e9"}}})
        self.assertIn("stored script data dropped", s.log())
        rc, out = audit("sqlite:" + path)
        self.assertEqual((rc, out["ok"]), (0, True), out)
        self.assertEqual(s.stop(signal.SIGTERM), 0)
        self.assertNotIn("runtime error:", s.log())


if __name__ == "__main__":
    main()

"""`chaosctl audit` against a live server's SQLite file: it passes while gold moves only through
committed transactions with their ledger rows, and fails (exit 1), naming the character, once a
character's stored gold is changed behind the ledger's back."""
import os
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN, FAST_AUTH, SRC, ServerTest, audit, main, play  # noqa: E402


class Audit(ServerTest):
    server_args = FAST_AUTH + ["--set", "store.save_interval_ms=200"]

    def store(self):
        return "sqlite:" + os.path.join(self.server.var, "chaos.db")

    def test_tampered_gold_fails_the_audit(self):
        admin = self.server.admin()
        players = {}
        for name in ("Honest", "Cheat"):
            c = self.server.client()
            players[name] = play(c, name)
            self.assertTrue(admin.cmd("grant %s 50 quest reward" % name)["ok"])
            ev = c.recv()
            while ev.get("ev") != "gold":  # other world events may come first
                ev = c.recv()
            self.assertEqual(ev, {"ev": "gold", "gold": 50, "delta": 50})  # committed
        rc, out = audit(self.store())
        self.assertEqual(rc, 0, out)
        self.assertEqual(out, {"ok": True, "characters": 2, "ledger_rows": 2})
        # An operator edits the stored gold directly, without a ledger row.
        db = sqlite3.connect(os.path.join(self.server.var, "chaos.db"), timeout=10)
        with db:
            db.execute("UPDATE characters SET doc = json_set(doc, '$.gold', 5000) "
                       "WHERE name = 'Cheat'")
        db.close()
        rc, out = audit(self.store())
        self.assertEqual(rc, 1, out)
        self.assertFalse(out["ok"])
        self.assertEqual(out["mismatches"], [{
            "character": players["Cheat"]["id"], "name": "Cheat", "field": "gold",
            "problem": "mismatch", "stored": 5000, "ledger": 50}])

    def test_usage_and_an_unreadable_store(self):
        ctl = os.path.join(BIN, "chaosctl")
        p = subprocess.run([ctl, "audit", "--bogus"], cwd=SRC, capture_output=True, text=True)
        self.assertEqual(p.returncode, 2)
        self.assertIn("usage: chaosctl audit", p.stderr)
        empty = os.path.join(self.server.dir, "empty", "none.db")  # no schema: refused
        p = subprocess.run([ctl, "audit", "--store", "sqlite:" + empty], cwd=SRC,
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 1)
        self.assertIn("chaosctl migrate up", p.stderr)
        self.assertEqual(p.stdout, "")


if __name__ == "__main__":
    main()

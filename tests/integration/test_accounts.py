"""Accounts, characters and sessions against a real chaosd (embedded SQLite store)."""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import FAST_AUTH, ServerTest, main, play, reenter, wait_for  # noqa: E402

PW = "correct horse 1"


def err(reply):
    assert "error" in reply, reply
    return reply["error"]["code"]


class Accounts(ServerTest):
    server_args = FAST_AUTH

    def test_restart_keeps_position(self):
        c = self.server.client()
        ch = play(c, "Walker")
        self.assertEqual((ch["x"], ch["y"]), (500, 500))
        time.sleep(0.6)
        self.assertTrue(c.request("move", x=504, y=502)["ok"])
        time.sleep(0.6)
        r = c.request("move", x=505.5, y=505)
        self.assertEqual((r["x"], r["y"]), (505.5, 505))
        c.close()
        self.assertEqual(self.server.stop(signal.SIGTERM), 0)
        self.server.start()
        ch = reenter(self.server.client(), "walker")
        self.assertEqual((ch["x"], ch["y"]), (505.5, 505))
        self.assertEqual(ch["name"], "Walker")

    def test_same_error_for_unknown_account_and_wrong_password(self):
        c = self.server.client()
        self.assertTrue(c.request("register", name="Alice", password=PW)["ok"])
        wrong = c.request("login", name="Alice", password="not the password")
        ghost = c.request("login", name="Nobody", password="not the password")
        self.assertEqual(err(wrong), "invalid_credentials")
        self.assertEqual(wrong["error"], ghost["error"])
        self.assertTrue(c.request("login", name="aLiCe", password=PW)["ok"])

    def test_duplicate_names_case_insensitive(self):
        c = self.server.client()
        self.assertTrue(c.request("register", name="Bob_1", password=PW)["ok"])
        self.assertEqual(err(c.request("register", name="bOB_1", password=PW)), "name_taken")
        self.assertTrue(c.request("login", name="bob_1", password=PW)["ok"])
        r = c.request("create_character", name="Knight", race="elf", job="mage")
        self.assertTrue(r["ok"], r)
        self.assertEqual(err(c.request("create_character", name="KNIGHT", race="elf", job="mage")),
                         "name_taken")
        # Character names are unique across accounts too.
        d = self.server.client()
        self.assertTrue(d.request("register", name="Carol", password=PW)["ok"])
        self.assertTrue(d.request("login", name="Carol", password=PW)["ok"])
        self.assertEqual(err(d.request("create_character", name="knight", race="human",
                                       job="warrior")), "name_taken")
        self.assertEqual(d.request("characters")["characters"], [])

    def test_sql_metacharacters(self):
        c = self.server.client()
        for name in ("x'; DROP TABLE accounts;--", "Robert');--", 'a"b', "a b c", "ab", "x" * 25,
                     "", "caf\u00e9"):
            self.assertEqual(err(c.request("register", name=name, password=PW)), "bad_field", name)
        pw = "p'; DROP TABLE accounts; --\"\\ $1 %s \u00e9"
        self.assertTrue(c.request("register", name="Mallory", password=pw)["ok"])
        self.assertTrue(c.request("login", name="Mallory", password=pw)["ok"])
        self.assertEqual(err(c.request("create_character", name="Bob'--", race="elf", job="mage")),
                         "bad_field")
        # The tables are intact: another account registers and logs in.
        d = self.server.client()
        self.assertTrue(d.request("register", name="Trent", password=PW)["ok"])
        self.assertTrue(d.request("login", name="Trent", password=PW)["ok"])

    def test_password_length(self):
        c = self.server.client()
        self.assertEqual(err(c.request("register", name="Longpw", password="x" * 10000)), "bad_field")
        self.assertEqual(err(c.request("login", name="Longpw", password="x" * 10000)), "bad_field")
        self.assertEqual(err(c.request("register", name="Shortpw", password="x" * 7)), "bad_field")
        self.assertEqual(err(c.request("register", name="Numpw", password=12345678)), "bad_field")
        self.assertTrue(c.request("register", name="Maxpw", password="y" * 1024)["ok"])
        self.assertTrue(c.request("login", name="Maxpw", password="y" * 1024)["ok"])
        self.assertTrue(c.request("ping")["ok"])

    def test_not_logged_in(self):
        c = self.server.client()
        for op, fields in (("characters", {}), ("logout", {}), ("move", {"x": 1, "y": 1}),
                           ("enter_world", {"character": 1}), ("delete_character", {"character": 1}),
                           ("create_character", {"name": "Zed", "race": "elf", "job": "mage"})):
            self.assertEqual(err(c.request(op, **fields)), "not_logged_in", op)
        self.assertTrue(c.request("ping")["ok"])
        self.assertTrue(c.request("register", name="Dave", password=PW)["ok"])
        self.assertTrue(c.request("login", name="Dave", password=PW)["ok"])
        self.assertEqual(err(c.request("move", x=1, y=1)), "not_in_world")
        self.assertEqual(c.request("logout"), {"id": c.next_id - 1, "ok": True, "saved": True})
        self.assertEqual(err(c.request("characters")), "not_logged_in")

    def test_character_rules(self):
        c = self.server.client()
        self.assertTrue(c.request("register", name="Eve", password=PW)["ok"])
        self.assertTrue(c.request("login", name="Eve", password=PW)["ok"])
        self.assertEqual(err(c.request("create_character", name="Eve", race="orc", job="mage")),
                         "bad_field")
        self.assertEqual(err(c.request("create_character", name="Eve", race="elf", job="thief")),
                         "bad_field")
        self.assertEqual(err(c.request("create_character", name="Eve", race=1, job="mage")),
                         "bad_field")
        r = c.request("create_character", name="Eve", race="elf", job="mage")
        self.assertEqual(r["character"]["level"], 1)
        cid = r["character"]["id"]
        self.assertEqual([x["name"] for x in c.request("characters")["characters"]], ["Eve"])
        # Another account can neither enter nor delete it.
        d = self.server.client()
        self.assertTrue(d.request("register", name="Frank", password=PW)["ok"])
        self.assertTrue(d.request("login", name="Frank", password=PW)["ok"])
        self.assertEqual(err(d.request("enter_world", character=cid)), "not_found")
        self.assertEqual(err(d.request("delete_character", character=cid)), "not_found")
        self.assertTrue(c.request("delete_character", character=cid)["ok"])
        self.assertEqual(c.request("characters")["characters"], [])
        self.assertEqual(err(c.request("delete_character", character=cid)), "not_found")

    def test_delete_tells_nothing_about_other_accounts_characters(self):
        a = self.server.client()
        online = play(a, "Grace")["id"]
        b = self.server.client()
        offline = play(b, "Heidi")["id"]
        self.assertTrue(b.request("logout")["ok"])  # Heidi is offline now
        m = self.server.client()
        self.assertTrue(m.request("register", name="Mallet", password=PW)["ok"])
        self.assertTrue(m.request("login", name="Mallet", password=PW)["ok"])
        # Online or offline, someone else's character is not_found, same message.
        r_on = m.request("delete_character", character=online)
        r_off = m.request("delete_character", character=offline)
        r_none = m.request("delete_character", character=999999)
        self.assertEqual(err(r_on), "not_found")
        self.assertEqual(r_on["error"], r_off["error"])
        self.assertEqual(r_on["error"], r_none["error"])
        # Nothing was deleted, and the owner still gets in_world for its own.
        self.assertEqual(err(a.request("delete_character", character=online)), "in_world")
        self.assertTrue(b.request("login", name="Heidi", password=PW)["ok"])
        self.assertEqual([x["id"] for x in b.request("characters")["characters"]], [offline])

    def test_characters_per_account_cap(self):
        c = self.server.client()
        self.assertTrue(c.request("register", name="Ivan", password=PW)["ok"])
        self.assertTrue(c.request("login", name="Ivan", password=PW)["ok"])
        for i in range(8):  # account.max_characters defaults to 8
            r = c.request("create_character", name="Ivan%d" % i, race="elf", job="mage")
            self.assertTrue(r.get("ok"), r)
        r = c.request("create_character", name="Ivan8", race="elf", job="mage")
        self.assertEqual(err(r), "too_many_characters")
        self.assertIn("8", r["error"]["message"])
        chars = c.request("characters")["characters"]
        self.assertEqual(len(chars), 8)
        # Deleting one makes room again; the refused name was not taken.
        self.assertTrue(c.request("delete_character", character=chars[0]["id"])["ok"])
        self.assertTrue(c.request("create_character", name="Ivan8", race="elf", job="mage")["ok"])

    def test_bad_moves_are_refused_with_the_position(self):
        c = self.server.client()
        play(c, "Runner")
        r = c.request("move", x=900, y=500)
        self.assertEqual(err(r), "bad_move")
        self.assertEqual((r["error"]["x"], r["error"]["y"]), (500, 500))
        time.sleep(0.5)
        r = c.request("move", x=500, y=-1)
        self.assertEqual(err(r), "bad_move")
        self.assertEqual(err(c.request("move", x="a", y=1)), "bad_field")
        self.assertTrue(c.request("move", x=503, y=500)["ok"])

    def test_takeover_saves_then_kicks(self):
        c1 = self.server.client()
        play(c1, "Twin")
        time.sleep(0.6)
        self.assertTrue(c1.request("move", x=505, y=500)["ok"])
        c2 = self.server.client()
        r = c2.request("login", name="Twin", password=PW)
        self.assertTrue(r["ok"], r)
        # The first connection is told why, then closed.
        ev = c1.recv()
        self.assertEqual(ev, {"ev": "kicked", "reason": "logged_in_elsewhere"})
        self.assertTrue(c1.closed())
        # Saved before the new login was answered.
        st = self.server.admin().cmd("status")
        self.assertEqual(st["store"]["dirty_characters"], 0, st)
        self.assertGreaterEqual(st["store"]["saves"], 1)
        self.assertEqual(st["sessions"], 1)
        ch = reenter_on(c2)
        self.assertEqual((ch["x"], ch["y"]), (505, 500))


def reenter_on(c):
    chars = c.request("characters")["characters"]
    r = c.request("enter_world", character=chars[0]["id"])
    assert r.get("ok"), r
    return r["character"]


class CharacterCap(ServerTest):
    server_args = FAST_AUTH + ["--set", "account.max_characters=2"]

    def test_configured_cap(self):
        c = self.server.client()
        self.assertTrue(c.request("register", name="Judy", password=PW)["ok"])
        self.assertTrue(c.request("login", name="Judy", password=PW)["ok"])
        for name in ("Judy1", "Judy2"):
            self.assertTrue(c.request("create_character", name=name, race="elf", job="mage")["ok"])
        r = c.request("create_character", name="Judy3", race="elf", job="mage")
        self.assertEqual(err(r), "too_many_characters")
        # The cap is per account: another account still creates.
        d = self.server.client()
        self.assertTrue(d.request("register", name="Ken", password=PW)["ok"])
        self.assertTrue(d.request("login", name="Ken", password=PW)["ok"])
        self.assertTrue(d.request("create_character", name="Judy3", race="elf", job="mage")["ok"])


class LoginRateLimit(ServerTest):
    server_args = ["--set", "auth.opslimit=1", "--set", "auth.memlimit_kib=64",
                   "--set", "auth.login_rate_account=0.01", "--set", "auth.login_rate_addr=1000"]

    def test_per_account_limit(self):
        c = self.server.client()
        self.assertTrue(c.request("register", name="Target", password=PW)["ok"])
        self.assertTrue(c.request("register", name="Other", password=PW)["ok"])
        codes = [err(c.request("login", name="Target", password="guess %d xx" % i)) for i in range(5)]
        self.assertEqual(codes, ["invalid_credentials"] * 5)
        # Burst spent: even the right password is refused for now.
        self.assertEqual(err(c.request("login", name="tARGET", password=PW)), "rate_limited")
        # Another account is not affected.
        self.assertTrue(c.request("login", name="Other", password=PW)["ok"])


class AddressRateLimit(ServerTest):
    server_args = ["--set", "auth.opslimit=1", "--set", "auth.memlimit_kib=64",
                   "--set", "auth.login_rate_account=1000", "--set", "auth.login_rate_addr=0.01"]

    def test_per_address_limit(self):
        c = self.server.client()
        codes = [err(c.request("login", name="Nobody%d" % i, password=PW)) for i in range(10)]
        self.assertEqual(codes, ["invalid_credentials"] * 10)
        self.assertEqual(err(c.request("login", name="Nobody99", password=PW)), "rate_limited")


if __name__ == "__main__":
    main()

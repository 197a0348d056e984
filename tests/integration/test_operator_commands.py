"""Operator commands on a real server: kick, ban / unban (a banned login refused with the time
left and the reason, allowed again after unban or once the ban runs out, kept across a restart),
who, inspect, teleport, announce and mute under the text policy; one audit log line per command;
and chaosctl's first-class commands."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN, FAST_AUTH, ServerTest, main, play, reenter, wait_for  # noqa: E402

PASSWORD = "correct horse 1"
ESC = "\x1b"


def code(reply):
    return (reply.get("error") or {}).get("code")


def next_event(c, name):
    """The next event called name on c (earlier events are skipped); None when c is closed first."""
    while True:
        if c.events:
            ev = c.events.pop(0)
        else:
            ev = c.recv()
            if ev is None:
                return None
        if ev.get("ev") == name:
            return ev


def events_after_fence(c):
    """Every event queued for c before now: a ping is a fence (docs/protocol.md)."""
    assert c.request("ping").get("ok")
    evs, c.events = c.events, []
    return evs


class Base(ServerTest):
    server_args = FAST_AUTH

    def setUp(self):
        super().setUp()
        self.console = self.server.admin()

    def cmd(self, line):
        return self.console.cmd(line)

    def audits(self, command):
        return [r for r in self.server.log_records()
                if r.get("msg") == "admin command" and r.get("command") == command]

    def login(self, name, password=PASSWORD):
        c = self.server.client()
        return c, c.request("login", name=name, password=password)


class Kick(Base):
    def test_kick_tells_closes_saves_and_is_audited(self):
        c = self.server.client()
        play(c, "Ada")
        self.assertTrue(self.cmd("teleport Ada meadow 510 505")["ok"])  # unsaved: the kick saves it
        r = self.cmd("kick ada too much   spam")  # names are case-insensitive
        self.assertTrue(r["ok"], r)
        self.assertEqual((r["character"], r["account"], r["saved"]), ("Ada", "ada", True))
        ev = next_event(c, "kicked")
        self.assertEqual(ev, {"ev": "kicked", "reason": "operator", "text": "too much spam"})
        self.assertTrue(c.closed())
        r = self.cmd("who")
        self.assertEqual(r.get("total"), 0, r)
        # The account can log in again and finds its character.
        c2 = self.server.client()
        ch = reenter(c2, "Ada")
        self.assertEqual((ch["name"], ch["zone"], ch["x"], ch["y"]), ("Ada", "meadow", 510, 505))
        a = self.audits("kick")
        self.assertEqual(len(a), 1)
        self.assertEqual(a[0]["args"], "ada too much spam")
        self.assertIs(a[0]["ok"], True)
        self.assertTrue(a[0]["peer"].startswith("127.0.0.1:"))
        self.assertIsInstance(a[0]["session"], int)

    def test_kick_refusals(self):
        c = self.server.client()
        play(c, "Ada")
        r = self.cmd("kick Nobody")
        self.assertEqual(code(r), "enotfound")
        r = self.cmd("kick Ada bye" + ESC + "[2J")
        self.assertEqual(code(r), "einval")
        self.assertIn("REASON", r["error"]["message"])
        r = self.cmd("kick Ada \u202eevil")  # a direction override
        self.assertEqual(code(r), "einval")
        self.assertEqual(code(self.cmd("kick")), "einval")
        # Nothing happened to Ada.
        self.assertTrue(c.request("ping")["ok"])
        self.assertEqual(self.cmd("who")["total"], 1)
        fails = [a for a in self.audits("kick") if a["ok"] is False]
        self.assertEqual(len(fails), 4)
        self.assertEqual(fails[0]["error"], "enotfound")
        self.assertEqual(fails[0]["args"], "Nobody")
        self.assertIn("\x1b[2J", fails[1]["args"])  # logged as given (JSON-escaped)


class WhoAndInspect(Base):
    def test_who_pages_through_everyone_online(self):
        r = self.cmd("who")
        self.assertEqual((r["total"], r["page"], r["pages"], r["players"]), (0, 1, 1, []))
        names = ["P%02d" % i for i in range(22, 0, -1)]  # 22 players, created in reverse order
        for n in names:
            play(self.server.client(), n)
        first = self.cmd("who")
        self.assertEqual((first["total"], first["pages"], first["page_size"]), (22, 2, 20))
        second = self.cmd("who 2")
        listed = [p["name"] for p in first["players"]] + [p["name"] for p in second["players"]]
        self.assertEqual(listed, sorted(names))  # by name, each once
        self.assertEqual(second["players"][0], {"name": "P21", "account": "p21", "level": 1,
                                                "zone": "meadow"})
        self.assertEqual(code(self.cmd("who 3")), "einval")
        self.assertEqual(code(self.cmd("who 0")), "einval")
        self.assertEqual(code(self.cmd("who x")), "einval")

    def test_inspect_a_character(self):
        c = self.server.client()
        me = play(c, "Ada")
        r = self.cmd("inspect ADA")
        self.assertTrue(r["ok"], r)
        self.assertEqual((r["character"], r["account"], r["online"]), ("Ada", "ada", True))
        self.assertEqual((r["zone"], r["x"], r["y"]), (me["zone"], me["x"], me["y"]))
        self.assertEqual((r["level"], r["exp"], r["gold"]), (1, 0, 0))
        self.assertGreater(r["hp"], 0)
        self.assertEqual(r["hp"], r["hp_max"])
        self.assertIs(r["dead"], False)
        self.assertIsInstance(r["conn"], int)
        self.assertTrue(r["peer"].startswith("127.0.0.1:"))
        self.assertEqual(r["peer"].split(":")[1], str(c.sock.getsockname()[1]))
        self.assertEqual(code(self.cmd("inspect Nobody")), "enotfound")
        self.assertEqual(code(self.cmd("inspect")), "einval")


class Teleport(Base):
    def test_teleport_to_another_zone_and_back(self):
        c = self.server.client()
        play(c, "Ada")
        r = self.cmd("teleport Ada caves 70 60")
        self.assertTrue(r["ok"], r)
        self.assertEqual((r["zone"], r["x"], r["y"]), ("caves", 70, 60))
        zones = [e for e in events_after_fence(c) if e["ev"] == "zone"]
        self.assertEqual(zones, [{"ev": "zone", "zone": "caves", "x": 70, "y": 60}])
        r = self.cmd("inspect Ada")
        self.assertEqual((r["zone"], r["x"], r["y"]), ("caves", 70, 60))
        # Within her zone it goes as through a portal too: she is told where she is.
        r = self.cmd("teleport Ada caves 80 90")
        self.assertTrue(r["ok"], r)
        zones = [e for e in events_after_fence(c) if e["ev"] == "zone"]
        self.assertEqual(zones, [{"ev": "zone", "zone": "caves", "x": 80, "y": 90}])
        self.assertEqual(self.cmd("inspect Ada")["zone"], "caves")
        self.assertTrue(any(a["args"] == "Ada caves 80 90" and a["ok"]
                            for a in self.audits("teleport")))

    def test_saved_position_follows(self):
        c = self.server.client()
        play(c, "Ada")
        self.assertTrue(self.cmd("teleport Ada caves 70 60")["ok"])
        self.assertEqual(c.request("logout").get("saved"), True)
        ch = reenter(c, "Ada")
        self.assertEqual((ch["zone"], ch["x"], ch["y"]), ("caves", 70, 60))

    def test_teleport_refusals(self):
        c = self.server.client()
        me = play(c, "Ada")
        for line, want in [("teleport Ada nowhere 10 10", "enotfound"),
                           ("teleport Ada meadow 610 500", "einval"),   # inside the stone wall
                           ("teleport Ada meadow 5000 10", "einval"),   # outside the zone
                           ("teleport Ada meadow -5 10", "einval"),
                           ("teleport Ada meadow abc 10", "einval"),
                           ("teleport Ada meadow nan 10", "einval"),
                           ("teleport Nobody meadow 10 10", "enotfound"),
                           ("teleport Ada meadow 10", "einval")]:
            r = self.cmd(line)
            self.assertEqual(code(r), want, (line, r))
        self.assertIn("standable", self.cmd("teleport Ada meadow 610 500")["error"]["message"])
        # She has not moved and was told nothing.
        self.assertEqual([e for e in events_after_fence(c) if e["ev"] == "zone"], [])
        r = self.cmd("inspect Ada")
        self.assertEqual((r["zone"], r["x"], r["y"]), ("meadow", me["x"], me["y"]))


class Bans(Base):
    def test_ban_kicks_and_refuses_login_until_unban(self):
        c = self.server.client()
        play(c, "bob")
        r = self.cmd("ban BOB 1d gold duping")
        self.assertTrue(r["ok"], r)
        self.assertEqual((r["account"], r["seconds"], r["reason"]), ("bob", 86400, "gold duping"))
        self.assertEqual((r["kicked"], r["replaced"]), (True, False))
        self.assertEqual(next_event(c, "kicked"),
                         {"ev": "kicked", "reason": "banned", "text": "gold duping"})
        self.assertTrue(c.closed())
        c2, r = self.login("bob")
        self.assertEqual(code(r), "banned", r)
        self.assertTrue(86000 < r["error"]["seconds"] <= 86400, r)
        self.assertEqual(r["error"]["reason"], "gold duping")
        self.assertIn("gold duping", r["error"]["message"])
        # Only the password's owner learns of the ban.
        self.assertEqual(code(c2.request("login", name="bob", password="wrong password")),
                         "invalid_credentials")
        r = self.cmd("unban bob")
        self.assertEqual(r, {"ok": True, "account": "bob"})
        self.assertTrue(c2.request("login", name="bob", password=PASSWORD).get("ok"))
        r = self.cmd("unban bob")
        self.assertEqual(code(r), "enotfound")
        self.assertIn("not banned", r["error"]["message"])
        self.assertEqual([a["ok"] for a in self.audits("ban")], [True])
        self.assertEqual([a["ok"] for a in self.audits("unban")], [True, False])

    def test_permanent_ban_and_replacing_it(self):
        play(self.server.client(), "bob")
        r = self.cmd("ban bob")
        self.assertTrue(r["ok"], r)
        self.assertIs(r["permanent"], True)
        _, r = self.login("bob")
        self.assertEqual(code(r), "banned")
        self.assertIs(r["error"]["permanent"], True)
        self.assertNotIn("seconds", r["error"])
        r = self.cmd("ban bob none cheating")
        self.assertEqual((r["permanent"], r["replaced"], r["kicked"]), (True, True, False))
        _, r = self.login("bob")
        self.assertEqual(r["error"]["reason"], "cheating")

    def test_short_ban_runs_out(self):
        play(self.server.client(), "bob")
        self.assertTrue(self.cmd("ban bob 2s spam")["ok"])
        c, r = self.login("bob")
        self.assertEqual(code(r), "banned")
        self.assertTrue(1 <= r["error"]["seconds"] <= 2, r)
        # Retried on the same connection until the ban has run out.
        wait_for(lambda: c.request("login", name="bob", password=PASSWORD).get("ok"),
                 timeout=20, interval=0.25, what="the ban to run out")

    def test_ban_refusals(self):
        play(self.server.client(), "bob")
        for line in ["ban bob 10x", "ban bob soon", "ban bob -1h", "ban bob 0m", "ban bob 1h30m",
                     "ban bob 99999d", "ban b", "ban", "ban bob 1h spam" + ESC + "[31m",
                     "unban", "unban x"]:
            r = self.cmd(line)
            self.assertEqual(code(r), "einval", (line, r))
        self.assertIn("DURATION", self.cmd("ban bob soon")["error"]["message"])
        r = self.cmd("ban nobody 1h")
        self.assertEqual(code(r), "enotfound")
        self.assertIn("no account", r["error"]["message"])
        self.assertEqual(code(self.cmd("unban nobody")), "enotfound")
        # None of that banned bob.
        self.assertTrue(self.login("bob")[1].get("ok"))

    def test_ban_survives_a_restart(self):
        play(self.server.client(), "bob")
        self.assertTrue(self.cmd("ban bob 1h cheating")["ok"])
        self.console.close()
        for c in self.server.clients:
            c.close()
        self.server.clients = []
        self.assertEqual(self.server.stop(), 0)
        self.server.start()
        self.console = self.server.admin()
        _, r = self.login("bob")
        self.assertEqual(code(r), "banned")
        self.assertEqual(r["error"]["reason"], "cheating")
        self.assertTrue(3500 < r["error"]["seconds"] <= 3600)


class TextPolicy(Base):
    def test_announce_refuses_control_characters(self):
        c = self.server.client()
        play(c, "Ada")
        for text in ["hi" + ESC + "[2J", "a\u202eb", "\u200b", "x" * 513]:
            r = self.cmd("announce " + text)
            self.assertEqual(code(r), "einval", (text, r))
        self.assertEqual([e for e in events_after_fence(c) if e["ev"] == "announce"], [])
        self.assertTrue(self.cmd("announce maintenance in   10 minutes")["ok"])
        ev = next_event(c, "announce")
        self.assertEqual(ev["text"], "maintenance in 10 minutes")

    def test_mute_reason_follows_the_text_policy(self):
        c = self.server.client()
        play(c, "Ada")
        r = self.cmd("mute Ada 5 stop" + ESC + "[2J")
        self.assertEqual(code(r), "einval")
        self.assertEqual(code(self.cmd("mute Ada 5 \u202espam")), "einval")
        self.assertTrue(c.request("chat", channel="say", text="still here").get("ok"))
        self.assertTrue(self.cmd("mute Ada 5 spam")["ok"])
        r = c.request("chat", channel="say", text="hello")
        self.assertEqual(code(r), "muted")
        self.assertIn("spam", r["error"]["message"])


class Chaosctl(Base):
    def ctl(self, *args):
        cmd = [os.path.join(BIN, "chaosctl")] + list(args) + [
            "--admin", "127.0.0.1:%d" % self.server.admin_port, "--token", self.server.token]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60)

    def test_first_class_commands(self):
        c = self.server.client()
        play(c, "Ada")
        play(self.server.client(), "bob")
        p = self.ctl("who", "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(json.loads(p.stdout)["total"], 2)
        p = self.ctl("who")
        self.assertIn("total: 2", p.stdout)
        self.assertIn("name: Ada, account: ada, level: 1, zone: meadow", p.stdout)
        p = self.ctl("inspect", "Ada")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("zone: meadow", p.stdout)
        p = self.ctl("teleport", "Ada", "caves", "70", "60", "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(json.loads(p.stdout)["zone"], "caves")
        p = self.ctl("teleport", "Ada", "meadow", "-5", "10")  # a negative number is a word
        self.assertEqual(p.returncode, 1)
        self.assertIn("error [einval]", p.stderr)
        self.assertIn("standable", p.stderr)
        p = self.ctl("announce", "server", "restarts", "soon")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(next_event(c, "announce")["text"], "server restarts soon")
        p = self.ctl("mute", "Ada", "5", "spam")
        self.assertEqual(p.returncode, 0, p.stderr)
        p = self.ctl("mutes", "--json")
        self.assertEqual(json.loads(p.stdout)["mutes"][0]["character"], "Ada")
        p = self.ctl("unmute", "Ada")
        self.assertEqual(p.returncode, 0, p.stderr)
        p = self.ctl("kick", "Ada", "time", "to", "go")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("saved: true", p.stdout)
        self.assertEqual(next_event(c, "kicked")["text"], "time to go")
        p = self.ctl("ban", "bob", "2h", "cheating")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("seconds: 7200", p.stdout)
        p = self.ctl("ban", "bob", "soon")
        self.assertEqual(p.returncode, 1)
        self.assertIn("DURATION", p.stderr)
        p = self.ctl("unban", "bob")
        self.assertEqual(p.returncode, 0, p.stderr)
        p = self.ctl("unban", "bob")
        self.assertEqual(p.returncode, 1)
        # Usage errors are caught before connecting: exit 2 with the command's usage.
        p = self.ctl("teleport", "Ada", "caves", "70")
        self.assertEqual(p.returncode, 2)
        self.assertIn("teleport NAME ZONE X Y", p.stderr)
        p = self.ctl("inspect")
        self.assertEqual(p.returncode, 2)
        for command in ("who", "inspect", "teleport", "announce", "kick", "ban", "unban", "mute",
                        "unmute", "mutes"):
            self.assertTrue(self.audits(command), command)


if __name__ == "__main__":
    main()

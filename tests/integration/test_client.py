"""chaos-client against a real chaosd: the script mode plays register ->
create -> enter -> move -> chat -> attack and prints every frame as a JSON
line; --record writes every frame both ways; a failed /expect and a lost
connection (an operator's kick) exit non-zero with the reason; the
interactive mode inside tmux logs in through its form, draws the player and
another one on the map, shows a chat line the other sent, says its own, and
after the server stops tells why and reconnects into the world."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN, FAST_AUTH, ServerTest, main, play, wait_for  # noqa: E402

CLIENT = os.path.join(BIN, "chaos-client")
PASSWORD = "correct horse 1"


class Run:
    """chaos-client --script FILE, its stdout read line by line as it comes."""

    def __init__(self, port, script, record=None):
        self.dir = tempfile.mkdtemp(prefix="chaos-client-")
        path = os.path.join(self.dir, "script.txt")
        with open(path, "w") as f:
            f.write(script)
        args = [CLIENT, "--port", str(port), "--script", path]
        if record:
            args += ["--record", record]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        self.lines = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(json.loads(line))

    def frames(self):
        return list(self.lines)

    def finish(self, timeout=120):
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise
        self.reader.join(5)
        err = self.proc.stderr.read()
        self.proc.stdout.close()
        self.proc.stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        return rc, err


def answers(frames):
    return [f for f in frames if "id" in f]


def events(frames, name):
    return [f for f in frames if f.get("ev") == name]


class ClientScript(ServerTest):
    server_args = FAST_AUTH

    def assertClean(self, err):
        self.assertNotIn("AddressSanitizer", err)
        self.assertNotIn("runtime error:", err)
        self.assertNotIn("LeakSanitizer", err)

    def test_script_plays_register_to_attack(self):
        record = os.path.join(self.server.dir, "frames.jsonl")
        script = "\n".join([
            "/register Scripter " + PASSWORD,
            "/expect ok",
            "/login Scripter " + PASSWORD,
            "/expect ok",
            "/create Scripty human warrior",
            "/expect ok",
            "/chars",
            "/expect field characters.0.name Scripty",
            "/enter Scripty",
            "/expect ok",
            "/sleep 0.4",
            "/move 501 501",
            "/expect ok",
            "/expect field x 501",
            "/zoneinfo",
            "/expect field blocked.0.x 600",
            "/say hello from a script",
            "/expect ok",
            "/wait ev chat text~script channel=say",
            "/wait ev chat 1 text~never",
            "",
        ])
        # a /wait that cannot match fails after its timeout: exit 1
        run = Run(self.server.port, script, record)
        rc, err = run.finish()
        self.assertEqual(rc, 1, err)
        self.assertIn("/wait ev chat", err)
        frames = run.frames()
        self.assertTrue(all(a.get("ok") for a in answers(frames)), answers(frames))
        entered = [a for a in answers(frames) if "entity" in a][0]
        self.assertEqual(entered["character"]["name"], "Scripty")
        moved = [a for a in answers(frames) if a.get("zone") == "meadow" and "x" in a][0]
        self.assertEqual((moved["x"], moved["y"]), (501, 501))
        chat = events(frames, "chat")
        self.assertEqual(chat[0]["from"], "Scripty")
        self.assertEqual(chat[0]["text"], "hello from a script")
        # every frame both ways, in order, as JSON lines
        with open(record) as f:
            rec = [json.loads(line) for line in f]
        self.assertEqual(rec[0]["dir"], "out")
        self.assertEqual(rec[0]["frame"]["op"], "hello")
        self.assertTrue(all(isinstance(r["t"], float) for r in rec))
        self.assertEqual([r["frame"] for r in rec if r["dir"] == "in"], frames)
        sent = [r["frame"] for r in rec if r["dir"] == "out"]
        self.assertIn("hello from a script", [f.get("text") for f in sent if f["op"] == "chat"])
        self.assertClean(err)

        # the same character again: fight the wolves the operator puts it beside
        script = "\n".join([
            "/login Scripter " + PASSWORD,
            "/chars",
            "/enter Scripty",
            "/expect ok",
            "/wait ev zone 30",
            "/wait ev enter 10 kind=monster",
            "/target",
            "/goto target",
            "/attack",
            "/expect ok|out_of_range|cooldown",
            "/g for the guild",
            "/expect not_in_guild",
            "/quit",
            "",
        ])
        run = Run(self.server.port, script)
        wait_for(lambda: any("entity" in a for a in answers(run.frames())), what="enter_world")
        admin = self.server.admin()
        r = admin.cmd("teleport Scripty meadow 700 690")
        self.assertTrue(r.get("ok"), r)
        rc, err = run.finish()
        self.assertEqual(rc, 0, err)
        self.assertClean(err)
        frames = run.frames()
        me = [a for a in answers(frames) if "entity" in a][0]["entity"]
        attack = [a for a in answers(frames) if a.get("skill") == "strike" or
                  a.get("error", {}).get("code") in ("out_of_range", "cooldown")]
        self.assertEqual(len(attack), 1, answers(frames))
        if attack[0].get("ok"):  # it hit (or missed) a monster: the hit event follows it
            hits = [h for h in events(frames, "hit") if h["from"] == me]
            self.assertTrue(hits, frames)
            monsters = {e["e"] for e in events(frames, "enter") if e["kind"] == "monster"}
            self.assertIn(hits[0]["to"], monsters)
        guild = answers(frames)[-1]
        self.assertTrue(guild.get("ok") or guild["error"]["code"], guild)

    def test_failed_expect_and_lost_connection_exit_nonzero(self):
        run = Run(self.server.port, "/login nobody wrong_password\n/expect ok\n/quit\n")
        rc, err = run.finish()
        self.assertEqual(rc, 1)
        self.assertIn("invalid_credentials", err)

        c = self.server.client()
        r = c.request("register", name="Kicked2", password="pass_word_1")
        self.assertTrue(r.get("ok"), r)
        c.close()
        run = Run(self.server.port, "/login Kicked2 pass_word_1\n/create Kicked2 elf mage\n"
                  "/enter Kicked2\n/expect ok\n/sleep 30\n/quit\n")
        wait_for(lambda: any("entity" in a for a in answers(run.frames())), what="enter_world")
        r = self.server.admin().cmd("kick Kicked2 go away")
        self.assertTrue(r.get("ok"), r)
        rc, err = run.finish()
        self.assertEqual(rc, 2, err)
        self.assertIn("kicked: operator: go away", err)
        self.assertEqual(events(run.frames(), "kicked")[0]["reason"], "operator")


class ClientOps(ServerTest):
    """The two small read-only ops the client draws from: zone_info and sheet."""
    server_args = FAST_AUTH

    def test_zone_info_and_sheet(self):
        c = self.server.client()
        self.assertEqual(c.request("zone_info")["error"]["code"], "not_logged_in")
        c.request("register", name="Geo", password=PASSWORD)
        c.request("login", name="Geo", password=PASSWORD)
        self.assertEqual(c.request("zone_info")["error"]["code"], "not_in_world")
        self.assertEqual(c.request("sheet")["error"]["code"], "not_in_world")
        r = c.request("create_character", name="Geo", race="human", job="warrior")
        c.request("enter_world", character=r["character"]["id"])
        z = c.request("zone_info")
        self.assertTrue(z.get("ok"), z)
        self.assertEqual((z["zone"], z["width"], z["height"], z["view"]), ("meadow", 1000, 1000, 50))
        self.assertEqual(z["blocked"], [{"x": 600, "y": 400, "w": 20, "h": 200}])
        self.assertEqual(z["safe"], [{"x": 450, "y": 450, "w": 100, "h": 100}])
        self.assertEqual(z["portals"], [{"x": 300, "y": 300, "radius": 5, "to": "caves"},
                                        {"x": 700, "y": 300, "radius": 5, "dungeon": "wolf_den"}])
        near = c.request("zone_info", radius=60)  # from (500, 500): the camp only
        self.assertEqual((near["safe"], near["blocked"], near["portals"]), (z["safe"], [], []))
        self.assertEqual(c.request("zone_info", radius=-1)["error"]["code"], "bad_field")
        self.assertEqual(c.request("zone_info", radius="far")["error"]["code"], "bad_field")
        sh = c.request("sheet")
        self.assertTrue(sh.get("ok"), sh)
        self.assertEqual((sh["name"], sh["level"], sh["realm"]), ("Geo", 1, "qi"))
        self.assertEqual(sh["hp"], sh["hp_max"])
        self.assertEqual(sh["stats"]["hp_max"], sh["hp_max"])
        self.assertEqual(c.request("skills")["realm"], "qi")


class ClientTmux(ServerTest):
    server_args = FAST_AUTH

    def setUp(self):
        if not shutil.which("tmux"):
            self.skipTest("tmux is not installed (tools/deps.sh --test installs it)")
        super().setUp()
        self.session = "chaos-client-" + uuid.uuid4().hex[:8]
        self.err = os.path.join(self.server.dir, "client.err")

    def tearDown(self):
        subprocess.run(["tmux", "kill-session", "-t", self.session], capture_output=True)
        super().tearDown()

    def pane(self):
        return subprocess.run(["tmux", "capture-pane", "-p", "-t", self.session],
                              capture_output=True, text=True).stdout

    def keys(self, *keys):
        subprocess.run(["tmux", "send-keys", "-t", self.session] + list(keys), check=True)

    def bobby_beside(self):
        """Bobby (6 units east, 2 units a column at the default zoom) drawn as P beside @."""
        for line in self.pane().splitlines()[1:]:
            i = line.find("@")
            if 0 <= i < 60:
                return line[i + 3:i + 4] == "P"
        return False

    def test_login_map_and_chat_in_a_terminal(self):
        c = self.server.client()
        r = c.request("register", name="Termy", password="terminal_pw")
        self.assertTrue(r.get("ok"), r)
        r = c.request("login", name="Termy", password="terminal_pw")
        r = c.request("create_character", name="Termy", race="human", job="warrior")
        self.assertTrue(r.get("ok"), r)
        c.request("logout")
        c.close()

        subprocess.run(["tmux", "new-session", "-d", "-s", self.session, "-x", "120", "-y", "40",
                        "%s --port %d 2>%s" % (CLIENT, self.server.port, self.err)], check=True)
        wait_for(lambda: "account :" in self.pane(), what="the login form")
        self.keys("Termy", "Tab", "terminal_pw", "Enter")
        wait_for(lambda: "Termy" in self.pane() and "level 1" in self.pane(),
                 what="the character list")
        self.keys("Enter")
        wait_for(lambda: "meadow (" in self.pane(), what="the world screen")
        screen = self.pane()
        self.assertIn("@", screen)  # the player's marker
        self.assertIn("Termy entered meadow", screen)

        # another player walks up beside it and speaks
        bob = self.server.client()
        play(bob, "Bobby")
        time.sleep(0.6)  # bank movement time for the step below (speed rule)
        r = bob.request("move", x=506, y=500)
        self.assertTrue(r.get("ok"), r)
        r = bob.request("chat", channel="say", text="hi from bobby")
        self.assertTrue(r.get("ok"), r)
        wait_for(lambda: "[say] Bobby: hi from bobby" in self.pane(), what="the chat line")
        wait_for(self.bobby_beside, what="the other player's marker three columns east of '@'")

        # the input line says something back, and Bobby hears it
        self.keys("Enter", "hello bobby", "Enter")
        wait_for(lambda: "[say] Termy: hello bobby" in self.pane(), what="the own chat line")
        # the server stops and comes back: the client says why, reconnects and plays on
        self.assertEqual(self.server.stop(), 0)
        wait_for(lambda: "offline: server shutting down (SIGTERM)" in self.pane(),
                 what="the reason of the loss")
        self.server.start()
        wait_for(lambda: "reconnected" in self.pane(), what="the reconnect", timeout=60)
        wait_for(lambda: "meadow (" in self.pane(), what="the world screen again")
        self.assertNotIn("[OFFLINE]", self.pane())

        self.keys("Q")
        wait_for(lambda: subprocess.run(["tmux", "has-session", "-t", self.session],
                                        capture_output=True).returncode != 0,
                 what="the client to quit")
        with open(self.err) as f:
            err = f.read()
        self.assertNotIn("AddressSanitizer", err)
        self.assertNotIn("runtime error:", err)


if __name__ == "__main__":
    main()

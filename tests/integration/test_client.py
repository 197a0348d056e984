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
import unittest
import uuid

sys.path.insert(0, os.path.dirname(__file__))
from harness import (BIN, FAST_AUTH, SRC, Server, ServerTest, cluster_ctl, main,  # noqa: E402
                     play, stop_checked, wait_for)

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
        self.assertEqual(sh["speed"], 10)  # the human's move_speed (content/races.lua)
        self.assertEqual(c.request("skills")["realm"], "qi")


GRANT = """
local chaos = require("chaos")
chaos.on_op("grant", function(req, ctx)
  chaos.txn(ctx.player, "test grant", function(t) t:add_gold(req.gold) end)
  return { granted = true }
end)
"""


def script_of(*lines):
    return "\n".join(lines + ("",))


def login_script(name, race="human"):
    return ("/register %s %s" % (name, PASSWORD), "/login %s %s" % (name, PASSWORD),
            "/create %s %s warrior" % (name, race), "/enter " + name, "/expect ok")


class ClientPanels(ServerTest):
    """The panels' commands in script mode against the demo content (plus a test op that
    grants gold): the told speed, the vendor, items, NPC dialogue and quests, trade, guild,
    and the Wolf Den's walls."""
    server_args = FAST_AUTH

    def setUp(self):
        self.server = Server(extra=self.server_args)
        self.server.write_content("zz_test_grant.lua", GRANT)
        self.server.start()

    def run_ok(self, run):
        rc, err = run.finish()
        self.assertNotIn("AddressSanitizer", err)
        self.assertNotIn("runtime error:", err)
        self.assertEqual(rc, 0, err + "\n" + json.dumps(answers(run.frames()))[-3000:])
        return run.frames()

    def test_speed_vendor_items_dialogue_quest(self):
        frames = self.run_ok(Run(self.server.port, script_of(
            *login_script("Shopper"),
            "/expect field speed 10",          # human: move_speed 10 (content/races.lua)
            "/sheet",
            "/expect field speed 10",
            "/raw {\"op\":\"grant\",\"gold\":200}",
            "/expect ok",
            "/goto 505 557",                   # within 6 of Trader Lin and Elder Mo
            "/talk trader",
            "/expect field claimed true",
            "/wait ev vendor vendor=village_trader",
            "/buy healing_potion 3",
            "/expect ok",
            "/expect field count 3",
            "/buy iron_sword",
            "/expect ok",
            "/buy dragon_egg",
            "/expect not_sold",
            "/inv",
            "/expect ok",
            "/equip iron_sword",
            "/expect ok",
            "/use healing_potion",
            "/expect ok",
            "/expect field template healing_potion",
            "/destroy healing_potion 1",
            "/expect ok",
            "/expect field count 1",
            "/inv",
            "/expect ok",
            "/talk elder",
            "/wait ev dialogue npc=elder node=start",
            "/choose 2",
            "/expect field node den",
            "/talk Elder Mo",
            "/wait ev dialogue npc=elder node=start",
            "/choose 3",
            "/expect field ended true",
            "/accept first_steps",
            "/expect ok",
            "/expect field quest first_steps",
            "/quests",
            "/expect field active.0.quest first_steps",
            "/quit")))
        ans = answers(frames)
        entered = [a for a in ans if "entity" in a][0]
        self.assertEqual(entered["speed"], 10)
        # the walk to the trader went at 0.9 x 10 units/s: no move was refused
        moves = [a for a in ans if a.get("zone") == "meadow" and "x" in a]
        self.assertTrue(moves)
        self.assertFalse([a for a in ans if a.get("error", {}).get("code") == "bad_move"], ans)
        vendor = events(frames, "vendor")[0]
        self.assertIn("healing_potion", [s["item"] for s in vendor["sells"]])
        bought = [a for a in ans if a.get("item") == "healing_potion"][0]
        self.assertEqual((bought["count"], bought["price"]), (3, 30))
        inv = [a for a in ans if "items" in a][-1]["items"]
        places = {i["template"]: i["place"] for i in inv}
        self.assertEqual(places["iron_sword"], "eq:weapon")
        self.assertEqual([i["stack"] for i in inv if i["template"] == "healing_potion"], [1])
        dialogue = events(frames, "dialogue")[0]
        self.assertEqual(dialogue["choices"][2], "Farewell.")
        den = [a for a in ans if a.get("node") == "den"][0]
        self.assertIn("Wolf Den", den["text"])

        # a /buy without a vendor shown is refused by the client itself (exit 3, nothing sent)
        run = Run(self.server.port, script_of("/login Shopper " + PASSWORD, "/chars",
                                              "/enter Shopper", "/buy healing_potion"))
        rc, err = run.finish()
        self.assertEqual(rc, 3, err)
        self.assertIn("no vendor", err)
        self.assertFalse([a for a in answers(run.frames()) if "item" in a])

    def test_trade_with_a_socket_client_and_guild(self):
        sock = self.server.client()
        play(sock, "Sockey")
        self.assertTrue(sock.request("grant", gold=50).get("ok"))
        run = Run(self.server.port, script_of(
            *login_script("Trady"),
            "/raw {\"op\":\"grant\",\"gold\":300}",
            "/wait ev chat 30 text=ready",
            "/trade Sockey",
            "/expect ok",
            "/expect field state asked",
            "/wait ev trade 10 state=open",
            "/offer gold=40",
            "/expect ok",
            "/lock",
            "/expect ok",
            "/wait ev trade 10 theirs.locked=true mine.locked=true",
            "/confirm",
            "/expect ok",
            "/wait ev trade_done 10",
            "/gcreate HowlingPack",
            "/expect ok",
            "/expect field guild.name HowlingPack",
            "/ginvite Sockey",
            "/expect ok",
            "/wait ev guild_member 10 name=Sockey change=joined",
            "/groster",
            "/expect field guild.members.0.rank leader",
            "/expect field guild.members.1.name Sockey",
            "/expect field guild.members.1.rank member",
            "/party",
            "/expect field in_party false",
            "/wait ev party_invite 10 from=Sockey",
            "/paccept",
            "/expect field in_party true",
            "/expect field leader Sockey",
            "/pleave",
            "/expect field left true",
            "/quit"))
        # the socket client: near the script's character, answers its trade
        wait_for(lambda: any("entity" in a for a in answers(run.frames())), what="enter_world")
        trady = [a for a in answers(run.frames()) if "entity" in a][0]["character"]
        r = self.server.admin().cmd("teleport Sockey meadow %g %g" % (trady["x"] + 3, trady["y"]))
        self.assertTrue(r.get("ok"), r)
        r = sock.request("chat", channel="say", text="ready")
        self.assertTrue(r.get("ok"), r)

        def event(name, **want):
            def found():
                sock.request("ping")
                for e in sock.events:
                    if e.get("ev") == name and all(e.get(k) == v for k, v in want.items()):
                        sock.events.remove(e)
                        return e
                return None
            return wait_for(found, what="the %s event" % name)

        event("trade", state="asked")
        self.assertEqual(sock.request("trade_respond", accept=True)["state"], "open")
        wait_for(lambda: [f for f in run.frames() if f.get("ev") == "trade" and
                          f["mine"]["gold"] == 40], what="the script's offer")
        self.assertTrue(sock.request("trade_lock").get("ok"))
        wait_for(lambda: [f for f in run.frames() if f.get("ev") == "trade" and
                          f["mine"]["locked"] and f["theirs"]["locked"]], what="both locked")
        r = sock.request("trade_confirm")
        self.assertTrue(r.get("ok"), r)
        event("trade_done")
        invite = event("guild_invite")
        self.assertEqual(invite["name"], "HowlingPack")
        r = sock.request("guild_accept", guild="HowlingPack")
        self.assertTrue(r.get("ok"), r)
        wait_for(lambda: [a for a in answers(run.frames()) if a.get("in_party") is False],
                 what="the script's /party")
        r = sock.request("party_invite", name="Trady")
        self.assertTrue(r.get("ok"), r)
        frames = self.run_ok(run)
        done = events(frames, "trade_done")[0]
        self.assertEqual(done["gave"]["gold"], 40)
        self.assertEqual(sock.request("sheet")["gold"], 90)

    def test_wolf_den_walls(self):
        run = Run(self.server.port, script_of(
            *login_script("Delver"),
            "/wait ev zone 30 zone=meadow",
            "/goto 700 300",                   # into the portal: the instance's zone event follows
            "/wait ev zone 10 zone~dng:wolf_den",
            "/zoneinfo 250",
            "/expect ok",
            "/quit"))
        wait_for(lambda: any("entity" in a for a in answers(run.frames())), what="enter_world")
        r = self.server.admin().cmd("teleport Delver meadow 700 312")
        self.assertTrue(r.get("ok"), r)
        frames = self.run_ok(run)
        zi = [a for a in answers(frames) if "blocked" in a][-1]
        self.assertTrue(zi["zone"].startswith("dng:wolf_den:"), zi)
        self.assertTrue(zi["blocked"], zi)
        self.assertEqual(zi["name"], "Wolf Den")
        for b in zi["blocked"]:  # walls inside the instance's bounds
            self.assertTrue(0 <= b["x"] and b["x"] + b["w"] <= zi["width"], b)
            self.assertTrue(0 <= b["y"] and b["y"] + b["h"] <= zi["height"], b)
        self.assertLess(len(json.dumps(zi)), 1 << 20)  # one frame the client takes


PG_URL = os.environ.get("CHAOS_TEST_PG", "")
REDIS_URL = os.environ.get("CHAOS_TEST_REDIS", "")
RUN_ID = uuid.uuid4().hex[:8]  # zone ids of this run: the cluster map lives in the shared database
ZA, ZB = "ca" + RUN_ID, "cb" + RUN_ID
CLUSTER_CONTENT = {
    "base.lua": """
local defs = require("content.defs")
defs.race{ id = "human", name = "Human", move_speed = 20 }
defs.job{ id = "warrior", name = "Warrior" }
defs.zone{ id = "%(a)s", name = "A", start = true, width = 200, height = 200, view = 50,
           spawn = { x = 20, y = 20 },
           portals = { { x = 60, y = 20, radius = 3, to = "%(b)s", to_x = 30, to_y = 30 } } }
defs.zone{ id = "%(b)s", name = "B", width = 200, height = 200, view = 50,
           spawn = { x = 35, y = 30 } }
""" % {"a": ZA, "b": ZB},
}



@unittest.skipUnless(PG_URL and REDIS_URL, "CHAOS_TEST_PG and CHAOS_TEST_REDIS not set")
class ClientHandoff(unittest.TestCase):
    """Two chaosd on one PostgreSQL and one Redis, zone A on one, zone B on the other: the
    script client walks into A's portal to B, gets the hand-off, connects to B and resumes
    there (not a lost connection) and plays on."""

    def setUp(self):
        self.pa, self.pb = "cpa" + RUN_ID, "cpb" + RUN_ID
        common = FAST_AUTH + ["--store", PG_URL, "--redis", REDIS_URL,
                              "--set", "cluster.refresh_ms=200"]
        self.a = Server(extra=common + ["--name", self.pa], content=CLUSTER_CONTENT).start()
        self.b = Server(extra=common + ["--name", self.pb], content=CLUSTER_CONTENT).start()
        cluster_ctl("set", ZA, self.pa, "--store", PG_URL)
        cluster_ctl("set", ZB, self.pb, "--store", PG_URL)
        for s in (self.a, self.b):
            wait_for(lambda s=s: len(s.admin().cmd("status")["cluster"]["map"]) >= 2,
                     what="the cluster map read")
        wait_for(lambda: {p["name"] for p in cluster_ctl("processes", "--redis",
                                                         REDIS_URL)["processes"]}
                 >= {self.pa, self.pb}, what="both processes announced")

    def tearDown(self):
        for z in (ZA, ZB):
            subprocess.run([os.path.join(BIN, "chaosctl"), "cluster", "unset", z, "--store",
                            PG_URL], cwd=SRC, capture_output=True, timeout=60)
        for s in (self.a, self.b):
            stop_checked(self, s)

    def test_walk_through_a_portal_to_the_other_process(self):
        name = ("hopper" + RUN_ID)[:24]
        record = os.path.join(self.a.dir, "frames.jsonl")
        run = Run(self.a.port, script_of(
            *login_script(name),
            "/expect field character.zone " + ZA,
            "/expect field speed 20",
            "/goto 60 20",                      # the portal: handed off to B, resumed there
            "/zoneinfo",
            "/expect ok",
            "/expect field zone " + ZB,
            "/say still here",
            "/expect ok",
            "/wait ev chat 10 channel=say",
            "/quit"), record)
        rc, err = run.finish()
        self.assertEqual(rc, 0, err)
        self.assertNotIn("AddressSanitizer", err)
        frames = run.frames()
        ho = events(frames, "handoff")[0]
        self.assertEqual((ho["port"], ho["zone"]), (self.b.port, ZB))
        resumed = [a for a in answers(frames) if "entity" in a]
        self.assertEqual(len(resumed), 2, answers(frames))  # enter_world on A, resume on B
        self.assertEqual((resumed[1]["character"]["zone"], resumed[1]["character"]["x"]),
                         (ZB, 30))
        with open(record) as f:
            sent = [json.loads(line)["frame"] for line in f if '"dir":"out"' in line]
        resume = [f for f in sent if f["op"] == "resume"]
        self.assertEqual([f["token"] for f in resume], [ho["token"]])
        self.assertEqual(events(frames, "chat")[-1]["text"], "still here")


class ClientTmux(ServerTest):
    server_args = FAST_AUTH

    def setUp(self):
        if not shutil.which("tmux"):
            self.skipTest("tmux is not installed (tools/deps.sh --test installs it)")
        self.server = Server(extra=self.server_args)
        self.server.write_content("zz_test_grant.lua", GRANT)
        self.server.start()
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

        # panels: the inventory after its key, the party/guild panel after its key, and a
        # guild invite shown in the system log with the command that accepts it
        self.keys("i")
        wait_for(lambda: "[i] inventory" in self.pane() and "(empty)" in self.pane(),
                 what="the inventory panel")
        self.keys("p")
        wait_for(lambda: "(no party)" in self.pane() and "(no guild)" in self.pane(),
                 what="the party and guild panel")
        r = bob.request("grant", gold=100)
        self.assertTrue(r.get("ok"), r)
        r = bob.request("guild_create", name="Bobbers")
        self.assertTrue(r.get("ok"), r)
        r = bob.request("guild_invite", name="Termy")
        self.assertTrue(r.get("ok"), r)
        wait_for(lambda: "/gaccept Bobbers" in self.pane(), what="the guild invite line")
        self.keys("Enter", "/gaccept", "Enter")
        wait_for(lambda: "Bobbers  (2 members)" in self.pane(), what="the guild roster")
        self.assertRegex(self.pane(), r"Bobby +leader")
        self.assertRegex(self.pane(), r"Termy +member")

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

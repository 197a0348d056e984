"""The living world against a real chaosd: zones from content, enter/leave/move
events within view distance only, server-validated movement (speed, bounds,
blocked areas), portals between zones, and reloads that keep players in."""
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import FAST_AUTH, SRC, ServerTest, main, play, wait_for  # noqa: E402


def read(rel):
    with open(os.path.join(SRC, rel)) as f:
        return f.read()


# Jobs without skill lists or per_level stats: the tests' numbers do not depend on the demo.
PLAIN_JOBS = """
local defs = require("content.defs")
defs.job{ id = "warrior", name = "Warrior" }
defs.job{ id = "mage", name = "Mage" }
"""

RACES = """
local defs = require("content.defs")
defs.race{ id = "human", name = "Human", move_speed = 10 }
defs.race{ id = "sprinter", name = "Sprinter", move_speed = 1000 }
"""

PLAIN = """
local defs = require("content.defs")
defs.zone{
  id = "plain", name = "Plain", start = true,
  width = 1000, height = 1000, view = %(view)s,
  spawn = { x = 100, y = 100 },
  blocked = { { x = 300, y = 0, w = 10, h = 500 } },
  portals = { { x = 100, y = 200, radius = 5, to = "pit", to_x = 20, to_y = 20 } },
}
"""

PIT = """
local defs = require("content.defs")
defs.zone{ id = "pit", name = "Pit", width = 100, height = 100, view = 30, spawn = { x = 50, y = 50 } }
"""


def err(reply):
    assert "error" in reply, reply
    return reply["error"]["code"]


def drain(c):
    """Every event the server has sent c so far (a ping orders them), then clears."""
    assert c.request("ping")["ok"]
    evs, c.events = c.events, []
    return evs


class World(ServerTest):
    server_args = FAST_AUTH
    server_content = {
        "races.lua": RACES,
        "jobs.lua": PLAIN_JOBS,
        "zones/plain.lua": PLAIN % {"view": 50},
        "zones/pit.lua": PIT,
    }

    def enter(self, name, race="sprinter"):
        c = self.server.client()
        ch = play(c, name, race=race)
        return c, ch

    def two(self):
        a, cha = self.enter("Alice")
        b, chb = self.enter("Bobby")
        ea = [e for e in drain(b) if e["ev"] == "enter"]
        eb = [e for e in drain(a) if e["ev"] == "enter"]
        self.assertEqual(len(ea), 1, ea)
        self.assertEqual(len(eb), 1, eb)
        self.assertEqual((ea[0]["name"], ea[0]["kind"], ea[0]["x"], ea[0]["y"]), ("Alice", "player", 100, 100))
        self.assertEqual((eb[0]["name"], eb[0]["kind"]), ("Bobby", "player"))
        self.assertNotEqual(ea[0]["e"], eb[0]["e"])
        return a, b, ea[0]["e"], eb[0]["e"]

    def test_new_character_starts_at_the_start_zone_spawn(self):
        c, ch = self.enter("Newbie")
        self.assertEqual((ch["zone"], ch["x"], ch["y"]), ("plain", 100, 100))
        st = self.server.admin().cmd("status")
        self.assertEqual(st["world"]["zones"], 2, st)
        self.assertEqual(st["world"]["entities"], 1, st)
        adm = self.server.admin()
        wait_for(lambda: adm.cmd("status")["world"]["ticks"] >= 3, timeout=5, what="world ticks")

    def test_see_each_other_move_and_leave_view(self):
        a, b, ida, idb = self.two()
        time.sleep(0.1)
        r = b.request("move", x=130, y=100)
        self.assertTrue(r.get("ok"), r)
        self.assertEqual(drain(a), [{"ev": "move", "e": idb, "x": 130, "y": 100}])
        self.assertEqual(drain(b), [])  # the mover hears its answer, not an event
        time.sleep(0.1)
        self.assertTrue(b.request("move", x=150.5, y=100)["ok"])  # 50.5 away: out of view
        self.assertEqual(drain(a), [{"ev": "leave", "e": idb}])
        self.assertEqual(drain(b), [{"ev": "leave", "e": ida}])
        # Beyond view: nothing at all reaches the other side.
        for x in (200, 250, 280):
            time.sleep(0.06)
            self.assertTrue(b.request("move", x=x, y=100)["ok"])
        self.assertEqual(drain(a), [])
        # Coming back into view: enter, exactly once on each side.
        time.sleep(0.2)
        self.assertTrue(b.request("move", x=140, y=110)["ok"])
        self.assertEqual(drain(a), [{"ev": "enter", "e": idb, "kind": "player", "name": "Bobby",
                                     "x": 140, "y": 110}])
        self.assertEqual([(e["ev"], e["e"]) for e in drain(b)], [("enter", ida)])
        # Leaving the world tells those in view.
        b.close()
        self.server.wait_connections(1)
        self.assertEqual(drain(a), [{"ev": "leave", "e": idb}])

    def test_speed_hack_and_bounds_are_refused_with_the_position(self):
        a, b, ida, idb = self.two()
        slow, ch = self.enter("Slowpoke", race="human")
        drain(a)
        r = slow.request("move", x=900, y=900)
        self.assertEqual(err(r), "bad_move")
        self.assertEqual((r["error"]["x"], r["error"]["y"]), (100, 100))
        time.sleep(0.5)
        self.assertEqual(err(slow.request("move", x=100, y=-1)), "bad_move")
        r = slow.request("move", x=103, y=100)  # 3 units after 0.5 s at 10 u/s
        self.assertTrue(r.get("ok"), r)
        # Observers saw only the accepted move.
        moves = [e for e in drain(a) if e["ev"] == "move"]
        self.assertEqual([(m["x"], m["y"]) for m in moves], [(103, 100)])

    def test_blocked_area_is_refused(self):
        c, ch = self.enter("Mason")
        time.sleep(0.3)
        self.assertTrue(c.request("move", x=290, y=100)["ok"])
        time.sleep(0.2)
        r = c.request("move", x=320, y=100)  # straight through the wall at x 300..310
        self.assertEqual(err(r), "bad_move")
        self.assertEqual((r["error"]["x"], r["error"]["y"]), (290, 100))
        r = c.request("move", x=305, y=100)  # into it
        self.assertEqual(err(r), "bad_move")
        time.sleep(0.9)
        r = c.request("move", x=320, y=600)  # around its end (y 500)
        self.assertEqual(err(r), "bad_move")  # the segment still clips the wall
        self.assertTrue(c.request("move", x=290, y=510)["ok"])
        time.sleep(0.2)
        self.assertTrue(c.request("move", x=320, y=510)["ok"])

    def test_portal_moves_to_another_zone(self):
        a, b, ida, idb = self.two()
        time.sleep(0.2)
        r = b.request("move", x=100, y=198)  # inside the portal's radius
        self.assertTrue(r.get("ok"), r)
        self.assertEqual((r["zone"], r["x"], r["y"]), ("pit", 20, 20))
        evs = drain(b)
        self.assertIn({"ev": "zone", "zone": "pit", "x": 20, "y": 20}, evs)
        self.assertIn({"ev": "leave", "e": ida}, evs)
        self.assertEqual(drain(a), [{"ev": "leave", "e": idb}])
        # Moves in the pit are not seen from the plain, even at the same coordinates.
        time.sleep(0.2)
        self.assertTrue(b.request("move", x=90, y=90)["ok"])
        time.sleep(0.2)
        self.assertTrue(a.request("move", x=90, y=95)["ok"])
        self.assertEqual(drain(a), [])
        self.assertEqual(drain(b), [])
        # The new zone is saved with the character.
        st = self.server.admin().cmd("status")
        self.assertEqual(st["world"]["entities"], 2)

    def test_reload_keeps_players_and_applies_new_view(self):
        a, b, ida, idb = self.two()
        time.sleep(0.2)
        self.assertTrue(b.request("move", x=100, y=250)["ok"])  # 150 away
        self.assertEqual(drain(a), [{"ev": "leave", "e": idb}])
        self.assertEqual(drain(b), [{"ev": "leave", "e": ida}])
        self.server.write_content("zones/plain.lua", PLAIN % {"view": 200})
        r = self.server.admin().cmd("reload")
        self.assertTrue(r.get("ok"), r)
        # Both still in the world, and now within the wider view.
        self.assertEqual([(e["ev"], e["e"]) for e in drain(a)], [("enter", idb)])
        self.assertEqual([(e["ev"], e["e"]) for e in drain(b)], [("enter", ida)])
        time.sleep(0.1)
        self.assertTrue(b.request("move", x=100, y=260)["ok"])
        self.assertEqual(drain(a), [{"ev": "move", "e": idb, "x": 100, "y": 260}])
        self.assertEqual(self.server.admin().cmd("status")["world"]["entities"], 2)

    def test_reload_refuses_a_portal_to_an_unknown_zone(self):
        a, b, ida, idb = self.two()
        self.server.write_content("zones/plain.lua", (PLAIN % {"view": 50}).replace('to = "pit"', 'to = "nowhere"'))
        r = self.server.admin().cmd("reload")
        self.assertFalse(r.get("ok"), r)
        self.assertTrue(any(re.search(r"plain\.lua:\d+: .*nowhere", e) for e in r["errors"]), r)
        self.server.write_content("zones/pit.lua", PIT.replace("x = 50, y = 50", "x = 150, y = 50"))
        self.server.write_content("zones/plain.lua", PLAIN % {"view": 50})
        r = self.server.admin().cmd("reload")
        self.assertFalse(r.get("ok"), r)
        self.assertTrue(any(re.search(r"pit\.lua:\d+: .*spawn", e) for e in r["errors"]), r)
        # The live world is untouched.
        time.sleep(0.1)
        self.assertTrue(b.request("move", x=110, y=100)["ok"])
        self.assertEqual(drain(a), [{"ev": "move", "e": idb, "x": 110, "y": 100}])


SPREAD = """
local defs = require("content.defs")
defs.zone{
  id = "camp", name = "Camp", start = true, width = 400, height = 400, view = 50,
  spawn = { x = 200, y = 200, radius = 30 },
  blocked = { { x = 200.5, y = 0, w = 100, h = 400 } },
}
"""


class SpawnRadius(ServerTest):
    """A zone's spawn radius spreads new characters over a disc of standable points."""
    server_args = FAST_AUTH
    server_content = {"races.lua": RACES, "jobs.lua": PLAIN_JOBS, "zones/camp.lua": SPREAD}

    def test_new_characters_are_spread_and_never_in_a_wall(self):
        spots = set()
        for i in range(6):
            c = self.server.client()
            ch = play(c, "Camper%d" % i)
            x, y = ch["x"], ch["y"]
            self.assertEqual(ch["zone"], "camp")
            self.assertLessEqual((x - 200) ** 2 + (y - 200) ** 2, 30 ** 2 + 1e-6, ch)
            self.assertLessEqual(x, 200.5, ch)  # the wall covers the east half of the disc
            spots.add((x, y))
        self.assertGreater(len(spots), 1, spots)

    def test_a_negative_radius_is_refused_with_file_and_line(self):
        self.server.write_content("zones/camp.lua", SPREAD.replace("radius = 30", "radius = -1"))
        r = self.server.admin().cmd("reload")
        self.assertFalse(r.get("ok"), r)
        self.assertTrue(any(re.search(r"camp\.lua:\d+: .*spawn.radius", e) for e in r["errors"]), r)
        self.server.write_content("zones/camp.lua", SPREAD)


if __name__ == "__main__":
    main()

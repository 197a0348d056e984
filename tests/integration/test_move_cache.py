"""The move path's shortcuts against a real chaosd: the session caches the
mover's player and entity, and the dead check reads a flag kept on the
player. Each test moves, goes through a transition that replaces or moves
what the cache points at (logout and enter again, a takeover from another
connection, a portal to another zone, a content reload, death and respawn),
then moves again: the answer must be the one for the state now (a stale
entity would answer from the old position or zone, or crash under ASan)."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import FAST_AUTH, ServerTest, main, play, reenter, wait_for  # noqa: E402

PLAIN_JOBS = """
local defs = require("content.defs")
defs.job{ id = "warrior", name = "Warrior" }
"""

RACES = """
local defs = require("content.defs")
defs.race{ id = "human", name = "Human", move_speed = 1000, stats = { hp_max = 5 } }
"""

SKILLS = """
local defs = require("content.defs")
defs.skill{ id = "bite", name = "Bite", base_min = 50, base_max = 60, scaling = 0,
            range = 3, cooldown = 0.2 }
"""

MONSTERS = """
local defs = require("content.defs")
defs.monster{ id = "wolf", name = "Wolf", stats = { hp_max = 80, accuracy = 1000, move_speed = 8 },
              skills = { "bite" }, respawn = 30, aggro = 10, leash = 60, exp = 1 }
"""

PLAIN = """
local defs = require("content.defs")
defs.zone{
  id = "plain", name = "Plain", start = true,
  width = 1000, height = 1000, view = %(view)s,
  spawn = { x = 100, y = 100 },
  portals = { { x = 100, y = 200, radius = 5, to = "pit", to_x = 20, to_y = 20 } },
  spawns = { { monster = "wolf", x = 400, y = 100 } },
}
"""

PIT = """
local defs = require("content.defs")
defs.zone{ id = "pit", name = "Pit", width = 100, height = 100, view = 30, spawn = { x = 50, y = 50 } }
"""


def err(reply):
    assert "error" in reply, reply
    return reply["error"]["code"]


class MoveCache(ServerTest):
    server_args = FAST_AUTH
    server_content = {
        "races.lua": RACES,
        "jobs.lua": PLAIN_JOBS,
        "skills.lua": SKILLS,
        "monsters.lua": MONSTERS,
        "zones/plain.lua": PLAIN % {"view": 50},
        "zones/pit.lua": PIT,
    }

    def move(self, c, x, y):
        time.sleep(0.15)  # credit for up to 150 units at 1000 units/s
        return c.request("move", x=x, y=y)

    def assert_at(self, r, zone, x, y):
        self.assertTrue(r.get("ok"), r)
        self.assertEqual((r["zone"], r["x"], r["y"]), (zone, x, y))

    def test_logout_and_enter_again(self):
        c = self.server.client()
        play(c, "Alice")
        self.assert_at(self.move(c, 120, 100), "plain", 120, 100)
        self.assertTrue(c.request("logout")["ok"])
        self.assertEqual(err(self.move(c, 121, 100)), "not_logged_in")
        ch = reenter(c, "Alice")  # a new entity for the same character
        self.assertEqual((ch["x"], ch["y"]), (120, 100))
        self.assert_at(self.move(c, 130, 100), "plain", 130, 100)
        st = self.server.admin().cmd("status")
        self.assertEqual(st["world"]["entities"], 2)  # Alice and the wolf

    def test_takeover_from_another_connection(self):
        a = self.server.client()
        play(a, "Bobby")
        self.assert_at(self.move(a, 110, 110), "plain", 110, 110)
        b = self.server.client()
        reenter(b, "Bobby")
        self.assertEqual(a.event("kicked")["reason"], "logged_in_elsewhere")
        self.assert_at(self.move(b, 115, 110), "plain", 115, 110)
        self.assert_at(self.move(b, 118, 112), "plain", 118, 112)

    def test_portal_then_move(self):
        c = self.server.client()
        play(c, "Carol")
        self.assert_at(self.move(c, 100, 198), "pit", 20, 20)
        self.assert_at(self.move(c, 30, 30), "pit", 30, 30)
        # out of the pit's bounds: refused with the position in the pit
        r = self.move(c, 500, 500)
        self.assertEqual(err(r), "bad_move")
        self.assertEqual((r["error"]["x"], r["error"]["y"]), (30, 30))

    def test_reload_then_move(self):
        c = self.server.client()
        play(c, "Dave1")
        self.assert_at(self.move(c, 140, 100), "plain", 140, 100)
        self.server.write_content("zones/plain.lua", PLAIN % {"view": 80})
        self.assertTrue(self.server.admin().cmd("reload").get("ok"))
        self.assert_at(self.move(c, 150, 100), "plain", 150, 100)

    def test_the_dead_do_not_walk_until_respawned(self):
        c = self.server.client()
        play(c, "Erin1")
        for x in range(200, 400, 100):
            self.assert_at(self.move(c, x, 100), "plain", x, 100)
        self.assert_at(self.move(c, 398, 100), "plain", 398, 100)  # within the bite's range
        try:
            c.event("death", timeout=8)  # the wolf's kill
        except Exception:
            self.fail("no death; events: %r" % (c.events,))
        r = self.move(c, 390, 100)
        self.assertEqual(err(r), "dead")
        # respawned at the zone's spawn (3 s default): moves are taken again
        def alive():
            r = self.move(c, 100, 101)
            return r if r.get("ok") else None

        r = wait_for(alive, timeout=15, what="the respawn")
        self.assert_at(r, "plain", 100, 101)


if __name__ == "__main__":
    main()

"""Dungeon instances over TCP against a real chaosd (the shipped content): walking into the
meadow's dungeon portal puts the player in a fresh instance (a zone event with dng:wolf_den:N);
two players who are not in a party get two instances; a content reload that changes the zone set
keeps each instance and its player in it; dungeon_leave brings the player back to the meadow; an
empty instance is torn down after rules.dungeon_linger. `chaosctl audit` passes afterwards."""
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import FAST_AUTH, Server, ServerTest, audit, main, play, wait_for  # noqa: E402

TEST_OPS = """
local chaos = require("chaos")
local rules = require("rules")
local instance = require("dungeon.instance")
rules.dungeon_linger = 1
chaos.on_op("goto", function(req, ctx)
  chaos.world.teleport(ctx.player, req.zone, req.x, req.y)
  return { zone = ctx.player.zone }
end)
chaos.on_op("where", function(req, ctx)
  return { zone = ctx.player.zone, x = ctx.player.x, y = ctx.player.y }
end)
chaos.on_op("instances", function(req, ctx)
  return { list = instance.list() }
end)
"""

EXTRA_ZONE = """
local defs = require("content.defs")
defs.zone{ id = "glade", name = "Glade", width = 200, height = 200, view = 50, spawn = { x = 100, y = 100 } }
"""

DNG = re.compile(r"^dng:wolf_den:\d+$")


def zone_event(c, pred, timeout=10):
    """The first zone event whose zone matches pred (events before it are dropped)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        for i, e in enumerate(c.events):
            if e.get("ev") == "zone" and pred(e.get("zone", "")):
                del c.events[:i + 1]
                return e
        c.request("ping")
        time.sleep(0.05)
    raise AssertionError("no matching zone event in %s" % (c.events,))


class Dungeons(ServerTest):
    server_args = FAST_AUTH

    def setUp(self):
        self.server = Server(extra=self.server_args)
        self.server.write_content("zz_dungeon_test.lua", TEST_OPS)
        self.server.start()

    def walk_in(self, c):
        """Next to the portal (690, 300), then a walk into its circle (700, 300)."""
        r = c.request("goto", zone="meadow", x=690, y=300)
        self.assertTrue(r.get("ok"), r)
        time.sleep(1.1)  # the move below is 10 units at move_speed 10
        r = c.request("move", x=699, y=300)
        self.assertTrue(r.get("ok"), r)
        return zone_event(c, DNG.match)["zone"]

    def test_portal_instances_reload_leave_teardown(self):
        a = self.server.client()
        b = self.server.client()
        play(a, "Ann")
        play(b, "Bob")
        za = self.walk_in(a)
        self.assertEqual(a.request("where")["zone"], za)
        zb = self.walk_in(b)
        self.assertNotEqual(za, zb, "two players who are not a party share an instance")
        self.assertEqual(b.request("where")["zone"], zb)
        self.assertEqual(a.request("instances")["list"], sorted([za, zb]))

        # A reload that changes the zone set keeps both instances and their players.
        a.events.clear()
        self.server.write_content("zones/glade.lua", EXTRA_ZONE)
        r = self.server.admin().cmd("reload")
        self.assertTrue(r.get("ok"), r)
        self.assertGreaterEqual(self.server.admin().cmd("status")["world"]["zones"], 5)
        self.assertEqual(a.request("where")["zone"], za)
        self.assertEqual(b.request("where")["zone"], zb)
        a.request("ping")
        self.assertEqual([e for e in a.events if e.get("ev") == "zone"], [],
                         "the reload moved Ann out of her instance")
        here = a.request("where")
        self.assertTrue(a.request("goto", zone="glade", x=50, y=50).get("ok"))  # the new zone is live
        r = a.request("goto", zone=za, x=here["x"], y=here["y"])  # and the instance still is
        self.assertTrue(r.get("ok"), r)

        # dungeon_leave: back to the meadow; not in a dungeon any more.
        r = a.request("dungeon_leave")
        self.assertTrue(r.get("ok"), r)
        self.assertEqual(r["zone"], "meadow")
        r = a.request("dungeon_leave")
        self.assertEqual(r["error"]["code"], "not_in_dungeon", r)

        # Ann's empty instance goes after the linger (1 s); Bob's stays.
        wait_for(lambda: a.request("instances")["list"] == [zb], timeout=15, what="teardown of " + za)
        r = a.request("goto", zone=za, x=10, y=10)
        self.assertIn("error", r, "the torn-down instance's zone is still there")
        self.assertEqual(b.request("where")["zone"], zb)
        r = b.request("dungeon_leave")
        self.assertTrue(r.get("ok"), r)
        wait_for(lambda: not b.request("instances")["list"],  # {} when empty (cjson)
                 timeout=15, what="teardown of " + zb)

        rc, out = audit("sqlite:" + os.path.join(self.server.var, "chaos.db"))
        self.assertEqual(rc, 0, out)


if __name__ == "__main__":
    main()

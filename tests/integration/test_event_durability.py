"""World events started and stopped by hand from the admin console, over TCP
against a real chaosd: `event start|stop ID`, `event list`; the event's buff
shows in a player's stats while it runs and is gone once it ends or is
stopped; after kill -9 and a restart a hand-started event still running
resumes (its buff is back) and ends on time, and one stopped by hand stays
stopped."""
import os
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import FAST_AUTH, ServerTest, main, play, reenter, wait_for  # noqa: E402

CONTENT = {
    "races.lua": """
local defs = require("content.defs")
defs.race{ id = "human", name = "Human", move_speed = 10,
           stats = { hp_max = 500, mp_max = 50, power = 10 } }
""",
    "jobs.lua": """
local defs = require("content.defs")
defs.job{ id = "warrior", name = "Warrior" }
""",
    "zones/field.lua": """
local defs = require("content.defs")
defs.zone{ id = "field", name = "Field", start = true, width = 1000, height = 1000, view = 50,
  spawn = { x = 100, y = 100 } }
""",
    "events.lua": """
local defs = require("content.defs")
defs.world_event{ id = "harvest", name = "Harvest", duration = 3600,
  modifiers = { buffs = { stats = { power = 5 } } } }
defs.world_event{ id = "brief", name = "Brief", duration = 15,
  modifiers = { buffs = { stats = { power = 7 } } } }
""",
    "ops.lua": """
local chaos = require("chaos")
chaos.on_op("me", function(req, ctx)
  return { power = ctx.player:stats().power }
end)
""",
}


def power(c):
    r = c.request("me")
    assert r.get("ok"), r
    return r["power"]


class EventDurability(ServerTest):
    server_args = FAST_AUTH
    server_content = CONTENT

    def restart_kill9(self):
        for c in self.server.clients:
            c.close()
        self.server.clients = []
        self.assertEqual(self.server.stop(signal.SIGKILL), -signal.SIGKILL)
        self.server.start()

    def listed(self, admin, id):
        r = admin.cmd("event list")
        self.assertTrue(r["ok"], r)
        return {e["id"]: e for e in r["events"]}[id]

    def test_console_start_stop_and_kill9(self):
        c = self.server.client()
        play(c, "Reaper")
        self.assertEqual(power(c), 10)
        admin = self.server.admin()

        # Bad input: clear errors, nothing changes.
        r = admin.cmd("event start nope")
        self.assertFalse(r["ok"], r)
        self.assertIn("nope", r["error"]["message"])
        self.assertFalse(admin.cmd("event stop harvest")["ok"])
        self.assertFalse(admin.cmd("event")["ok"])
        self.assertFalse(admin.cmd("event frobnicate harvest")["ok"])

        # Start by hand: the buff is on; stop: it is gone.
        r = admin.cmd("event start harvest")
        self.assertTrue(r["ok"], r)
        self.assertEqual(r["event"], "harvest")
        self.assertEqual(r["ends"] - r["started"], 3600)
        self.assertFalse(admin.cmd("event start harvest")["ok"])  # already running
        self.assertEqual(power(c), 15)
        self.assertTrue(self.listed(admin, "harvest")["running"])
        r = admin.cmd("event stop harvest")
        self.assertTrue(r["ok"], r)
        self.assertEqual(power(c), 10)
        self.assertFalse(self.listed(admin, "harvest")["running"])

        # A short one ends by itself and takes its buff with it.
        self.assertTrue(admin.cmd("event start brief")["ok"])
        self.assertEqual(power(c), 17)
        wait_for(lambda: power(c) == 10, timeout=30, interval=0.5, what="brief to end")
        self.assertFalse(self.listed(admin, "brief")["running"])

        # Stopped by hand, then kill -9: it stays stopped. Started, then kill -9: it resumes.
        self.assertTrue(admin.cmd("event start brief")["ok"])
        started = admin.cmd("event start harvest")
        self.assertTrue(started["ok"], started)
        self.assertTrue(admin.cmd("event stop brief")["ok"])
        admin.close()
        self.restart_kill9()

        c = self.server.client()
        reenter(c, "Reaper")
        admin = self.server.admin()
        wait_for(lambda: self.listed(admin, "harvest")["running"], timeout=10, what="harvest resumed")
        h = self.listed(admin, "harvest")
        self.assertEqual((h["started"], h["ends"]), (started["started"], started["ends"]))
        self.assertFalse(self.listed(admin, "brief")["running"])
        self.assertEqual(power(c), 15)

        # Stop it and restart again: the stop holds.
        self.assertTrue(admin.cmd("event stop harvest")["ok"])
        self.assertEqual(power(c), 10)
        admin.close()
        self.restart_kill9()
        c = self.server.client()
        reenter(c, "Reaper")
        admin = self.server.admin()
        time.sleep(1.5)  # the engine's step runs once a second: give it the chance to misbehave
        self.assertFalse(self.listed(admin, "harvest")["running"])
        self.assertEqual(power(c), 10)

    def test_resumed_event_ends_on_time(self):
        c = self.server.client()
        play(c, "Gleaner")
        admin = self.server.admin()
        r = admin.cmd("event start brief")
        self.assertTrue(r["ok"], r)
        admin.close()
        self.restart_kill9()
        c = self.server.client()
        reenter(c, "Gleaner")
        admin = self.server.admin()
        if time.time() < r["ends"] - 1:  # still running after the restart: its buff is back
            self.assertEqual(power(c), 17)
            self.assertTrue(self.listed(admin, "brief")["running"])
        wait_for(lambda: power(c) == 10, timeout=40, interval=0.5, what="brief to end")
        self.assertFalse(self.listed(admin, "brief")["running"])


if __name__ == "__main__":
    main()

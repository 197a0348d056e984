"""Parties in dungeon instances over TCP against a real chaosd (the shipped content): two parties
of two walk into the meadow's Wolf Den portal; each party shares one instance, the second member
sees the first (`enter`), the other party is in another instance and sees neither; a kill inside
pays by the party rules (exp split with the member in range, gold to the killer, nothing to the
other party); a member who leaves the party inside stays in the instance until dungeon_leave; a
player who joins the party later walks into the party's instance. The leader's pull
(rules.dungeon_pull_radius, 30 in the demo content) brings a member standing near along and leaves
one farther away. `chaosctl audit` passes afterwards."""
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
chaos.on_op("goto", function(req, ctx)
  chaos.world.teleport(ctx.player, req.zone, req.x, req.y)
  return { zone = ctx.player.zone }
end)
chaos.on_op("where", function(req, ctx)
  return { zone = ctx.player.zone, x = ctx.player.x, y = ctx.player.y }
end)
chaos.on_op("t_pull", function(req, ctx)
  rules.dungeon_pull_radius = req.radius
  return {}
end)
chaos.on_op("t_strong", function(req, ctx)
  ctx.player:buff{ source = "test", stats = { power = 1000, accuracy = 5000, defense = 1000 }, seconds = 0 }
  return {}
end)
chaos.on_op("t_wolf", function(req, ctx)
  local p = ctx.player
  local h = chaos.world.spawn{ monster = "wolf", zone = p.zone, x = p.x + 1, y = p.y }
  return { entity = h.id }
end)
chaos.on_op("t_me", function(req, ctx)
  return { gold = ctx.player.gold, exp = ctx.player.exp }
end)
"""

DNG = re.compile(r"^dng:wolf_den:\d+$")


def wait_ev(c, name, pred, timeout=10):
    """The first `name` event matching pred (events before it are dropped)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        for i, e in enumerate(c.events):
            if e.get("ev") == name and pred(e):
                del c.events[:i + 1]
                return e
        c.request("ping")
        time.sleep(0.05)
    raise AssertionError("no matching %s event in %s" % (name, c.events))


class DungeonParties(ServerTest):
    def setUp(self):
        self.server = Server(extra=FAST_AUTH)
        self.server.write_content("zz_dungeon_party_test.lua", TEST_OPS)
        self.server.start()

    def tearDown(self):
        rc, out = audit("sqlite:" + os.path.join(self.server.var, "chaos.db"))
        super().tearDown()
        self.assertEqual(rc, 0, out)

    def player(self, name):
        c = self.server.client()
        play(c, name)
        return c

    def team(self, leader, *names):
        for c, name in names:
            self.assertTrue(leader.request("party_invite", name=name).get("ok"))
            self.assertTrue(c.request("party_accept").get("in_party"))

    def step_to_portal(self, c):
        """Next to the portal (690, 300), then the walk into its circle (700, 300)."""
        r = c.request("goto", zone="meadow", x=690, y=300)
        self.assertTrue(r.get("ok"), r)
        time.sleep(1.1)  # the move below is 9 units
        r = c.request("move", x=699, y=300)
        self.assertTrue(r.get("ok"), r)

    def walk_in(self, c):
        self.step_to_portal(c)
        return wait_ev(c, "zone", lambda e: DNG.match(e["zone"]))["zone"]

    def test_two_parties_two_instances(self):
        ann, bob, cat, dan = (self.player(n) for n in ("Ann", "Bob", "Cat", "Dan"))
        self.assertTrue(ann.request("t_pull", radius=0).get("ok"))  # each walks in on its own
        self.team(ann, (bob, "Bob"))
        self.team(cat, (dan, "Dan"))
        for c in (ann, bob, cat, dan):
            c.events.clear()

        x = self.walk_in(ann)
        self.assertEqual(bob.request("where")["zone"], "meadow")
        self.assertEqual(self.walk_in(bob), x, "Bob is not in his party's instance")
        wait_ev(bob, "enter", lambda e: e["kind"] == "player" and e["name"] == "Ann")
        wait_ev(ann, "enter", lambda e: e["kind"] == "player" and e["name"] == "Bob")
        y = self.walk_in(cat)
        self.assertNotEqual(y, x, "party B walked into party A's instance")
        self.assertEqual(self.walk_in(dan), y, "Dan is not in his party's instance")
        wait_ev(dan, "enter", lambda e: e["kind"] == "player" and e["name"] == "Cat")
        for c in (cat, dan):
            c.request("ping")
            seen = [e["name"] for e in c.events if e.get("ev") == "enter" and e["kind"] == "player"]
            self.assertNotIn("Ann", seen)
            self.assertNotIn("Bob", seen)

        # A kill inside X: the killer's exp is split with Bob (in range), gold goes to the killer.
        before = {n: c.request("t_me") for n, c in (("ann", ann), ("bob", bob), ("cat", cat), ("dan", dan))}
        ann.request("t_strong")
        wolf = ann.request("t_wolf")["entity"]
        for _ in range(50):
            if ann.request("attack", target=wolf).get("ok"):
                break
            time.sleep(0.1)
        wait_ev(ann, "death", lambda e: e["e"] == wolf)
        wait_ev(bob, "exp", lambda e: True)
        wait_for(lambda: ann.request("t_me")["gold"] > before["ann"]["gold"], timeout=10, what="Ann's gold")
        after = {n: c.request("t_me") for n, c in (("ann", ann), ("bob", bob), ("cat", cat), ("dan", dan))}
        got = {n: (after[n]["exp"] - before[n]["exp"], after[n]["gold"] - before[n]["gold"]) for n in after}
        total = got["ann"][0] + got["bob"][0]
        self.assertGreater(got["bob"][0], 0, got)
        self.assertEqual(got["bob"][0], total // 2, got)  # rules.party_share: an even split
        self.assertEqual(got["bob"][1], 0, got)  # rules.party_loot: the killer's gold
        self.assertEqual(got["cat"], (0, 0), got)
        self.assertEqual(got["dan"], (0, 0), got)

        # Bob leaves the party inside: he stays in X until he leaves it.
        self.assertTrue(bob.request("party_leave").get("left"))
        time.sleep(0.3)  # a few ticks
        self.assertEqual(bob.request("where")["zone"], x)
        self.assertEqual(bob.request("dungeon_leave").get("zone"), "meadow")

        # Eve joins Ann's (new) party later and walks into Ann's instance.
        eve = self.player("Eve")
        self.team(ann, (eve, "Eve"))
        self.assertEqual(self.walk_in(eve), x, "a later member did not land in the party's instance")
        self.assertEqual(ann.request("where")["zone"], x)

    def test_leader_pulls_members_near(self):
        gus, hal, ivy = (self.player(n) for n in ("Gus", "Hal", "Ivy"))
        self.team(gus, (hal, "Hal"), (ivy, "Ivy"))
        # The demo's rule (content/dungeons.lua): 30 units around the leader.
        self.assertTrue(hal.request("goto", zone="meadow", x=715, y=300).get("ok"))  # 16 from (699, 300)
        self.assertTrue(ivy.request("goto", zone="meadow", x=740, y=300).get("ok"))  # 41: too far
        for c in (gus, hal, ivy):
            c.events.clear()
        g = self.walk_in(gus)
        self.assertEqual(wait_ev(hal, "zone", lambda e: DNG.match(e["zone"]))["zone"], g)
        self.assertEqual(hal.request("where")["zone"], g)
        ivy.request("ping")
        self.assertEqual(ivy.request("where")["zone"], "meadow")
        self.assertEqual([e for e in ivy.events if e.get("ev") == "zone"], [])
        # Ivy walks in on her own, to her party's instance.
        self.assertEqual(self.walk_in(ivy), g)
        # The pulled member leaves like anyone.
        self.assertEqual(hal.request("dungeon_leave").get("zone"), "meadow")


if __name__ == "__main__":
    main()

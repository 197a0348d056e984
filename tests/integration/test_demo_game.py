"""The demo game (content/village.lua, content/quests.lua, content/world/demo_game.lua) played
over TCP against a real chaosd with the shipped content: the elder's dialogue, then the quest
chain first_steps (reach), wolf_trouble (kill), pelts (collect quest drops, use a potion; the
smith pays a sword), armed (equip it, talk to the elder; rewards reach the realm's cap), foundation
(a custom step: breakthrough until Foundation), each turned in with its rewards. Test-only helpers
(teleport, a wolf next to the player, a strength buff) live in the test's own content file.
`chaosctl audit` passes afterwards."""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import FAST_AUTH, Server, ServerTest, audit, main, play, wait_for  # noqa: E402

HELPERS = """
local chaos = require("chaos")
chaos.on_op("t_tp", function(req, ctx)
  chaos.world.teleport(ctx.player, "meadow", req.x, req.y)
  return { x = req.x, y = req.y }
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
chaos.on_op("t_npc", function(req, ctx)
  for _, h in ipairs(chaos.world.within("meadow", 500, 560, 30, "npc")) do
    if h.name == req.name then return { entity = h.id } end
  end
  return { entity = 0 }
end)
-- The standable cell centre nearest (x, y) in the player's zone (cells of 4
-- units, rings out to 6 cells), teleported to; {} when none is standable.
chaos.on_op("t_near", function(req, ctx)
  local p = ctx.player
  local cx, cy = math.floor(req.x / 4), math.floor(req.y / 4)
  for r = 0, 6 do
    for dy = -r, r do
      for dx = -r, r do
        if math.max(math.abs(dx), math.abs(dy)) == r then
          local x, y = (cx + dx) * 4 + 2, (cy + dy) * 4 + 2
          if pcall(chaos.world.teleport, p, p.zone, x, y) then return { x = x, y = y } end
        end
      end
    end
  end
  return {}
end)
chaos.on_op("t_me", function(req, ctx)
  return { gold = ctx.player.gold, exp = ctx.player.exp, level = ctx.player.level }
end)
"""


def sight(c, seen):
    """Folds the sight events in c.events into seen: {entity: {kind, name, x, y, dead}}."""
    for e in c.events:
        kind = e.get("ev")
        if kind == "enter":
            seen[e["e"]] = {"kind": e["kind"], "name": e["name"], "x": e["x"], "y": e["y"], "dead": False}
        elif kind == "move" and e["e"] in seen:
            seen[e["e"]].update(x=e["x"], y=e["y"])
        elif kind == "death" and e["e"] in seen:
            seen[e["e"]]["dead"] = True
    return seen


def ev_of(c, name, pred=None, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        for i, e in enumerate(c.events):
            if e.get("ev") == name and (pred is None or pred(e)):
                del c.events[:i + 1]
                return e
        c.request("ping")
        time.sleep(0.05)
    raise AssertionError("no %s event in %s" % (name, c.events))


BOSS = "Den Leader"  # the Wolf Den's boss monster (content/dungeons.lua, monsters.lua)


class DemoGame(ServerTest):
    def setUp(self):
        self.server = Server(extra=FAST_AUTH)
        self.server.write_content("zz_test_helpers.lua", HELPERS)
        self.server.start()

    def tearDown(self):
        rc, out = audit("sqlite:" + os.path.join(self.server.var, "chaos.db"))
        super().tearDown()
        self.assertEqual(rc, 0, out)

    def npc(self, c, name):
        deadline = time.time() + 10
        while time.time() < deadline:
            e = c.request("t_npc", name=name)["entity"]
            if e:
                return e
            time.sleep(0.05)
        raise AssertionError("npc %s not placed" % name)

    def items(self, c, template):
        items = c.request("inventory")["items"]
        return [i for i in (items if isinstance(items, list) else []) if i["template"] == template]

    def count(self, c, template):
        return sum(i["stack"] for i in self.items(c, template))

    def log(self, c):
        r = c.request("quests")
        self.assertTrue(r.get("ok"), r)
        return {a["quest"]: a for a in (r["active"] if isinstance(r["active"], list) else [])}

    def accept(self, c, quest):
        r = c.request("quest_accept", quest=quest)
        self.assertTrue(r.get("ok"), (quest, r))

    def turn_in(self, c, quest, gold=0, exp=0):
        before = c.request("t_me")
        r = c.request("quest_turn_in", quest=quest)
        self.assertTrue(r.get("done"), (quest, r))
        after = c.request("t_me")
        self.assertEqual(after["gold"] - before["gold"], gold, quest)
        if exp is not None:  # None: exp stops at the realm's level cap
            self.assertEqual(after["exp"] - before["exp"], exp, quest)

    def kill_wolf(self, c):
        wolf = c.request("t_wolf")["entity"]
        for _ in range(50):
            if c.request("attack", target=wolf).get("ok"):
                break
            time.sleep(0.1)
        ev_of(c, "death", lambda e: e["e"] == wolf)

    def test_play_the_chain(self):
        c = self.server.client()
        play(c, "Newbie")
        elder, smith = self.npc(c, "Elder Mo"), self.npc(c, "Smith Bran")
        c.request("t_tp", x=510, y=558)
        r = c.request("interact", target=elder)
        self.assertTrue(r.get("claimed"), r)
        d = ev_of(c, "dialogue")
        self.assertEqual((d["npc"], d["node"]), ("elder", "start"))
        r = c.request("dialogue_choose", npc="elder", choice=1)
        self.assertEqual(r.get("node"), "help", r)
        self.assertEqual(c.request("quest_accept", quest="wolf_trouble")["error"]["code"], "requires_quest")

        # 1. reach: teleport close, then walk the last steps.
        self.accept(c, "first_steps")
        c.request("t_tp", x=640, y=640)
        time.sleep(0.5)
        r = c.request("move", x=641, y=641)
        self.assertTrue(r.get("ok"), r)
        ev_of(c, "quest_progress", lambda e: e["kind"] == "reach")
        c.request("t_tp", x=510, y=558)
        self.turn_in(c, "first_steps", exp=50)
        self.assertEqual(self.count(c, "healing_potion"), 2)

        # 2. kill three wolves.
        self.accept(c, "wolf_trouble")
        c.request("t_strong")
        c.request("t_tp", x=505, y=600)
        for _ in range(3):
            self.kill_wolf(c)
        self.assertTrue(self.log(c)["wolf_trouble"]["ready"])
        self.assertEqual(self.count(c, "wolf_pelt"), 0)  # no pelts without the quest
        c.request("t_tp", x=510, y=558)
        gold0 = c.request("t_me")["gold"]
        self.turn_in(c, "wolf_trouble", gold=20, exp=150)

        # 3. pelts (quest drops) and a potion, turned in to the smith.
        c.request("t_tp", x=490, y=558)
        self.assertTrue(c.request("interact", target=smith).get("claimed"))
        self.accept(c, "pelts")
        c.request("t_tp", x=505, y=600)
        for _ in range(3):
            self.kill_wolf(c)
        deadline = time.time() + 10
        while self.count(c, "wolf_pelt") < 3 and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual(self.count(c, "wolf_pelt"), 3)
        potion = self.items(c, "healing_potion")[0]
        self.assertTrue(c.request("use_item", uid=potion["uid"]).get("ok"))
        ev_of(c, "quest_progress", lambda e: e["kind"] == "use")
        c.request("t_tp", x=490, y=558)
        looted = {i["uid"] for i in self.items(c, "iron_sword")}  # a wolf may drop one too
        self.turn_in(c, "pelts", exp=100)
        self.assertEqual(self.count(c, "wolf_pelt"), 0)
        swords = [i for i in self.items(c, "iron_sword") if i["uid"] not in looted]
        self.assertEqual(len(swords), 1)

        # 4. equip the sword, show the elder.
        self.accept(c, "armed")
        self.assertFalse(self.log(c)["armed"]["steps"][0]["done"])
        self.assertTrue(c.request("equip", uid=swords[0]["uid"]).get("ok"))
        self.assertTrue(self.log(c)["armed"]["steps"][0]["done"])
        c.request("t_tp", x=510, y=558)
        c.request("interact", target=elder)
        ev_of(c, "quest_progress", lambda e: e["kind"] == "talk")
        c.request("t_tp", x=490, y=558)
        self.turn_in(c, "armed", gold=600, exp=None)
        self.assertEqual(c.request("t_me")["level"], 10)

        # 5. breakthrough to Foundation (chance rises 10% per failure: at most 6 tries).
        c.request("t_tp", x=510, y=558)
        self.accept(c, "foundation")
        self.assertFalse(self.log(c)["foundation"]["ready"])
        for _ in range(6):
            r = c.request("breakthrough")
            self.assertTrue(r.get("ok"), r)
            if r["success"]:
                break
        self.assertEqual(r["realm"], "foundation", r)
        self.assertTrue(self.log(c)["foundation"]["ready"])
        self.turn_in(c, "foundation", gold=100, exp=500)

        # 6. the den run: not ready before the boss dies.
        self.accept(c, "den_leader")
        self.assertFalse(self.log(c)["den_leader"]["ready"])
        self.assertGreaterEqual(c.request("t_me")["gold"], gold0 - 600)
        self.den_run(c)
        self.assertTrue(self.log(c)["den_leader"]["ready"])
        r = c.request("dungeon_leave")
        self.assertEqual(r.get("zone"), "meadow", r)
        c.request("t_tp", x=510, y=558)
        self.turn_in(c, "den_leader", gold=200, exp=2000)
        self.assertNotIn("den_leader", self.log(c))
        done = c.request("quests")["done"]
        self.assertIn({"quest": "den_leader", "times": 1}, done)

    def den_run(self, c):
        """Walks into the Wolf Den's portal, looks for its boss by what the client sees (the
        `enter` events of a sweep over the instance), kills it with `attack`."""
        c.request("t_tp", x=690, y=300)
        time.sleep(1.1)  # the move below is 9 units
        r = c.request("move", x=699, y=300)
        self.assertTrue(r.get("ok"), r)
        ev_of(c, "zone", lambda e: e["zone"].startswith("dng:wolf_den:"))
        seen = {}

        def boss():
            sight(c, seen)
            del c.events[:]
            found = [e for e, s in seen.items() if s["kind"] == "monster" and s["name"] == BOSS]
            return found[0] if found else None

        # The instance is at most 160 x 96 units (wolf_den: 40 x 24 cells of 4), the view 50.
        for x in (20, 60, 100, 140):
            for y in (20, 50, 80):
                if boss():
                    break
                c.request("t_near", x=x, y=y)
                c.request("ping")
        b = boss()
        self.assertIsNotNone(b, "no %s in sight anywhere in the instance: %s" % (BOSS, seen))
        others = [s for e, s in seen.items() if e != b and s["name"] == BOSS]
        self.assertEqual(others, [], "more than one boss")
        me = c.request("t_me")
        deadline = time.time() + 30
        while not seen[b]["dead"] and time.time() < deadline:
            r = c.request("attack", target=b)
            if not r.get("ok"):
                c.request("t_near", x=seen[b]["x"] + 1, y=seen[b]["y"])
                time.sleep(0.1)
            c.request("ping")
            boss()
        self.assertTrue(seen[b]["dead"], "the boss did not die")
        # The kill's exp and gold (content/monsters.lua den_leader) commit behind the death.
        wait_for(lambda: c.request("t_me")["gold"] >= me["gold"] + 10, timeout=10, what="the boss's gold")


if __name__ == "__main__":
    main()

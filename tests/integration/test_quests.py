"""NPCs and quests over TCP against a real chaosd (SQLite): interact starts an NPC's dialogue,
dialogue_choose takes only offered choices; a quest is accepted at its giver, progressed by a kill,
a talk and collected items, and turned in with its rewards and the collected items in one
transaction (ledger rows with reason quest:<id>); a broken quest file is refused on reload with
file:line while the old quests keep working. `chaosctl audit` passes after each test."""
import os
import sqlite3
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import FAST_AUTH, ServerTest, audit, main, play  # noqa: E402

QUESTS = """
local defs = require("content.defs")
defs.npc{ id = "elder", name = "Elder", zone = "field", x = 102, y = 100, dialogue = {
  start = { text = "Rats!", choices = { { text = "More", ["goto"] = "more" }, { text = "Bye" } } },
  more = { text = "Big ones." } } }
defs.npc{ id = "scout", name = "Scout", zone = "field", x = 100, y = 103 }
defs.quest{ id = "hunt", name = "Hunt", giver = "elder",
  steps = { { kind = "kill", monster = "rat" }, { kind = "collect", item = "pelt", count = 2 },
            { kind = "talk", npc = "scout" } },
  rewards = { exp = 40, gold = 30, items = { { item = "potion", count = 2 } } } }
"""

CONTENT = {
    "quests.lua": QUESTS,
    "base.lua": """
local defs = require("content.defs")
defs.race{ id = "human", name = "Human", stats = { hp_max = 500, power = 100, accuracy = 1000 } }
defs.job{ id = "warrior", name = "Warrior" }
defs.skill{ id = "strike", name = "Strike", base_min = 50, base_max = 60, scaling = 0, range = 10, cooldown = 0 }
defs.skill{ id = "bite", name = "Bite", base_min = 1, base_max = 1, scaling = 0, range = 2, cooldown = 5 }
defs.monster{ id = "rat", name = "Rat", stats = { hp_max = 5, evasion = -1000 }, skills = { "bite" },
              respawn = 30, aggro = 0, leash = 30 }
defs.zone{ id = "field", name = "Field", start = true, width = 1000, height = 1000, view = 50,
           spawn = { x = 100, y = 100 } }
defs.item{ id = "pelt", name = "Pelt", stack = 10, value = 1 }
defs.item{ id = "potion", name = "Potion", stack = 10, value = 10 }
""",
    "ops.lua": """
local chaos = require("chaos")
chaos.on_op("grant", function(req, ctx)
  chaos.txn(ctx.player, "test grant", function(t) t:add_item(req.template, req.count) end)
  return { granted = true }
end)
chaos.on_op("rat", function(req, ctx)
  local h = chaos.world.spawn{ monster = "rat", zone = "field", x = 101, y = 100 }
  return { entity = h.id }
end)
chaos.on_op("npc_of", function(req, ctx)
  for _, h in ipairs(chaos.world.within("field", 100, 100, 20, "npc")) do
    if h.name == req.name then return { entity = h.id } end
  end
  return { entity = 0 }
end)
chaos.on_op("me", function(req, ctx)
  return { gold = ctx.player.gold, exp = ctx.player.exp }
end)
""",
}


def code(r):
    assert "error" in r, r
    return r["error"]["code"]


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


class Quests(ServerTest):
    server_args = FAST_AUTH
    server_content = CONTENT

    def db(self):
        return os.path.join(self.server.var, "chaos.db")

    def tearDown(self):
        rc, out = audit("sqlite:" + self.db())
        super().tearDown()
        self.assertEqual(rc, 0, out)

    def npc(self, c, name):
        deadline = time.time() + 10
        while time.time() < deadline:
            e = c.request("npc_of", name=name)["entity"]
            if e:
                return e
            time.sleep(0.05)
        raise AssertionError("npc %s not placed" % name)

    def count(self, c, template):
        items = c.request("inventory")["items"]
        return sum(i["stack"] for i in (items if isinstance(items, list) else []) if i["template"] == template)

    def log(self, c):
        r = c.request("quests")
        self.assertTrue(r.get("ok"), r)
        return {a["quest"]: a for a in (r["active"] if isinstance(r["active"], list) else [])}

    def test_dialogue_and_quest_with_rewards_in_the_ledger(self):
        c = self.server.client()
        play(c, "Ann")
        elder, scout = self.npc(c, "Elder"), self.npc(c, "Scout")
        r = c.request("interact", target=elder)
        self.assertTrue(r.get("claimed"), r)
        d = ev_of(c, "dialogue")
        self.assertEqual((d["npc"], d["node"], d["text"], d["choices"]), ("elder", "start", "Rats!", ["More", "Bye"]))
        self.assertEqual(code(c.request("dialogue_choose", npc="elder", choice=3)), "bad_choice")
        r = c.request("dialogue_choose", npc="elder", choice=1)
        self.assertEqual((r.get("node"), r.get("text")), ("more", "Big ones."), r)
        self.assertEqual(code(c.request("dialogue_choose", npc="elder", choice=1)), "bad_choice")

        self.assertEqual(code(c.request("quest_turn_in", quest="hunt")), "not_active")
        r = c.request("quest_accept", quest="hunt")
        self.assertTrue(r.get("ok"), r)
        self.assertEqual(code(c.request("quest_accept", quest="hunt")), "active")
        rat = c.request("rat")["entity"]
        for _ in range(20):
            if c.request("attack", target=rat).get("ok"):
                break
            time.sleep(0.1)
        p = ev_of(c, "quest_progress", lambda e: e["kind"] == "kill")
        self.assertEqual((p["quest"], p["count"], p["need"]), ("hunt", 1, 1))
        self.assertEqual(code(c.request("quest_turn_in", quest="hunt")), "not_complete")
        self.assertTrue(c.request("interact", target=scout).get("claimed"))
        ev_of(c, "quest_progress", lambda e: e["kind"] == "talk")
        self.assertTrue(c.request("grant", template="pelt", count=3)["ok"])
        self.assertTrue(self.log(c)["hunt"]["ready"])
        before = c.request("me")
        r = c.request("quest_turn_in", quest="hunt")
        self.assertTrue(r.get("done"), r)
        ev_of(c, "quest_done")
        after = c.request("me")  # the reply came after the commit
        self.assertEqual(after["gold"] - before["gold"], 30)
        self.assertEqual(after["exp"] - before["exp"], 40)
        self.assertEqual(self.count(c, "pelt"), 1)
        self.assertEqual(self.count(c, "potion"), 2)
        self.assertNotIn("hunt", self.log(c))
        self.assertEqual(code(c.request("quest_accept", quest="hunt")), "already_done")
        db = sqlite3.connect(self.db(), timeout=10)
        try:
            reasons = [row[0] for row in db.execute("SELECT reason FROM ledger")]
        finally:
            db.close()
        self.assertGreaterEqual(reasons.count("quest:hunt"), 2, reasons)  # gold and exp (and items)

    def test_broken_quest_refused_on_reload_old_keep_working(self):
        c = self.server.client()
        play(c, "Bob")
        self.npc(c, "Elder")
        self.server.write_content("quests.lua", QUESTS + """
defs.quest{ id = "broken", name = "Broken", steps = { { kind = "kill", monster = "dragon" } } }
""")
        r = self.server.admin().cmd("reload")
        self.assertFalse(r["ok"], r)
        self.assertTrue(any("quests.lua:12" in e and "unknown monster 'dragon'" in e for e in r["errors"]), r)
        self.assertEqual(code(c.request("quest_accept", quest="broken")), "not_found")
        self.assertTrue(c.request("quest_accept", quest="hunt").get("ok"))
        self.assertIn("hunt", self.log(c))


if __name__ == "__main__":
    main()

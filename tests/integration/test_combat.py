"""Monsters and combat against a real chaosd: a player kills a monster with
`attack` (hit events, death, exp, gold after the commit), the monster
respawns, the server refuses casts on cooldown / out of range / at the dead,
and an aggressive monster attacks an idle player nearby."""
import json
import os
import re
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import FAST_AUTH, SRC, ServerTest, audit, main, play  # noqa: E402


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
defs.race{ id = "human", name = "Human", move_speed = 10,
           stats = { hp_max = 500, power = 10, accuracy = 1000 } }
"""

SKILLS = """
local defs = require("content.defs")
defs.skill{ id = "strike", name = "Strike", base_min = 8, base_max = 12, scaling = 1.0,
            range = 3, cooldown = 1 }
defs.skill{ id = "firebolt", name = "Firebolt", base_min = 20, base_max = 30, scaling = 1.2,
            element = "fire", damage_type = "magical", range = 20, cooldown = 3,
            cost = { mp = 10 } }
defs.skill{ id = "meteor", name = "Meteor", base_min = 1, base_max = 1, scaling = 1,
            range = 20, cooldown = 1, cost = { mp = 999 } }
defs.skill{ id = "bolt", name = "Bolt", base_min = 1, base_max = 2, scaling = 0,
            range = 20, cooldown = 0, cast_time = 0.3 }
defs.skill{ id = "bite", name = "Bite", base_min = 3, base_max = 6, scaling = 0.5,
            range = 2.5, cooldown = 0.5 }
"""

MONSTERS = """
local defs = require("content.defs")
defs.monster{ id = "rat", name = "Rat", stats = { hp_max = 60, evasion = -1000 },
              skills = { "bite" }, respawn = 2.5, aggro = 0, leash = 30, exp = 150,
              gold = { min = 5, max = 5 } }
defs.monster{ id = "wolf", name = "Wolf", stats = { hp_max = 80, accuracy = 1000, move_speed = 8 },
              skills = { "bite" }, respawn = 30, aggro = 12, leash = 60, exp = 10 }
defs.monster{ id = "toad", name = "Toad", skills = { "bite" }, respawn = 30, aggro = 0, leash = 10 }
defs.monster{ id = "newt", name = "Newt", skills = { "bite" }, respawn = 30, aggro = 0, leash = 10 }
"""

FIELD = """
local defs = require("content.defs")
defs.zone{
  id = "field", name = "Field", start = true,
  width = 1000, height = 1000, view = 50,
  spawn = { x = 100, y = 100 },
  blocked = { { x = 110, y = 90, w = 2, h = 20 } },   -- a wall between the player and the toad
  safe = { { x = 90, y = 80, w = 20, h = 8 } },        -- the newt sits in a safe area
  spawns = { { monster = "rat", x = 102, y = 100 },
             { monster = "toad", x = 118, y = 100 },
             { monster = "newt", x = 100, y = 85 },
             { monster = "wolf", x = 100, y = 121 } },
}
"""


def err(reply):
    assert "error" in reply, reply
    return reply["error"]["code"]


def wait_ev(c, pred, timeout=10):
    """The first event (already received or arriving within timeout) for which pred holds;
    events before it are dropped."""
    deadline = time.time() + timeout
    while True:
        for i, e in enumerate(c.events):
            if pred(e):
                del c.events[:i + 1]
                return e
        c.events = []
        left = deadline - time.time()
        if left <= 0:
            raise AssertionError("timed out waiting for an event")
        c.sock.settimeout(left)
        try:
            m = c.recv()
        except socket.timeout:
            raise AssertionError("timed out waiting for an event")
        finally:
            c.sock.settimeout(10)
        assert m is not None, "connection closed"
        assert "ev" in m, m
        c.events.append(m)


class Combat(ServerTest):
    server_args = FAST_AUTH
    server_content = {
        "races.lua": RACES,
        "jobs.lua": PLAIN_JOBS,
        "skills.lua": SKILLS,
        "monsters.lua": MONSTERS,
        "zones/field.lua": FIELD,
    }

    def enter(self, name):
        c = self.server.client()
        play(c, name)
        self.assertTrue(c.request("ping")["ok"])
        me = None
        mons = {}
        for e in c.events:
            if e["ev"] == "enter" and e["kind"] == "monster":
                mons[e["name"]] = e
        c.events = []
        return c, mons

    def test_kill_a_monster_rewards_and_respawn(self):
        c, mons = self.enter("Hunter")
        self.assertEqual(sorted(mons), ["Newt", "Rat", "Toad", "Wolf"])
        rat, wolf = mons["Rat"]["e"], mons["Wolf"]["e"]
        self.assertEqual(err(c.request("cast", target=mons["Toad"]["e"], skill="firebolt")),
                         "no_line_of_sight")
        self.assertEqual(err(c.request("cast", target=mons["Newt"]["e"], skill="firebolt")),
                         "safe_area")
        self.assertEqual(err(c.request("cast", target=rat, skill="meteor")), "no_resource")
        # Errors first: unknown skill, bad target, out of range, missing target.
        self.assertEqual(err(c.request("cast", target=rat, skill="nope")), "unknown_skill")
        self.assertEqual(err(c.request("attack", target=987654)), "bad_target")
        self.assertEqual(err(c.request("attack", target=wolf)), "out_of_range")
        self.assertEqual(err(c.request("attack")), "bad_field")
        # First strike lands: a hit event from me to the rat, before the answer.
        r = c.request("attack", target=rat)
        self.assertTrue(r.get("ok"), r)
        hit = wait_ev(c, lambda e: e["ev"] == "hit")
        self.assertEqual((hit["to"], hit["skill"], hit["hit"]), (rat, "strike", True))
        self.assertGreater(hit["damage"], 0)
        self.assertLess(hit["hp"], 60)
        self.assertFalse(hit["killed"])  # 60 hp: no single strike (crit included) kills
        me = hit["from"]
        # At once again: the skill is cooling down, with the seconds left.
        r = c.request("attack", target=rat)
        self.assertEqual(err(r), "cooldown")
        self.assertTrue(0 < r["error"]["seconds"] <= 1, r)
        # Strike until it dies.
        killed = hit["killed"]
        deadline = time.time() + 20
        while not killed:
            self.assertLess(time.time(), deadline)
            r = c.request("attack", target=rat)
            if "error" in r:
                self.assertEqual(err(r), "cooldown", (r, hit, c.events))
                time.sleep(r["error"]["seconds"] + 0.02)
                continue
            hit = wait_ev(c, lambda e: e["ev"] == "hit" and e["from"] == me)
            killed = hit["killed"]
        self.assertEqual(hit["hp"], 0)
        death = wait_ev(c, lambda e: e["ev"] == "death")
        self.assertEqual((death["e"], death["by"]), (rat, me))
        exp = wait_ev(c, lambda e: e["ev"] == "exp")
        self.assertEqual((exp["exp"], exp["level"], exp["delta"]), (150, 2, 150))
        gold = wait_ev(c, lambda e: e["ev"] == "gold")
        self.assertEqual((gold["gold"], gold["delta"]), (5, 5))
        # The exp and the loot are in the ledger, committed with the save that carried them
        # (the events above came after that commit), and so is the exp in the document.
        import sqlite3
        db = sqlite3.connect(os.path.join(self.server.var, "chaos.db"), timeout=10)
        rows = db.execute("SELECT kind, amount, reason FROM ledger ORDER BY id").fetchall()
        doc = json.loads(db.execute("SELECT doc FROM characters WHERE name = 'Hunter'")
                         .fetchone()[0])
        db.close()
        self.assertEqual(sorted(rows), [("exp", 150, "kill:rat"), ("gold", 5, "kill:rat")])
        self.assertEqual((doc["exp"], doc["gold"]), (150, 5))
        # The corpse cannot be attacked.
        self.assertEqual(err(c.request("attack", target=rat)), "dead")
        # The corpse leaves, then a fresh rat enters at home.
        wait_ev(c, lambda e: e["ev"] == "leave" and e["e"] == rat)
        back = wait_ev(c, lambda e: e["ev"] == "enter" and e["kind"] == "monster", timeout=5)
        self.assertEqual((back["name"], back["x"], back["y"]), ("Rat", 102, 100))
        self.assertNotEqual(back["e"], rat)
        # Exp is soft state: it is in the character's saved level after a logout.
        r = c.request("logout")
        self.assertTrue(r.get("ok") and r.get("saved"), r)
        chars = c.request("login", name="hunter", password="correct horse 1")
        self.assertTrue(chars.get("ok"), chars)
        self.assertEqual(c.request("characters")["characters"][0]["level"], 2)
        # And the stored exp and gold agree with the ledger.
        rc, out = audit("sqlite:" + os.path.join(self.server.var, "chaos.db"))
        self.assertEqual((rc, out), (0, {"ok": True, "characters": 1, "ledger_rows": 2}))

    def test_an_aggressive_monster_attacks_a_nearby_player(self):
        c, mons = self.enter("Idler")
        wolf = mons["Wolf"]["e"]
        # At the spawn (21 units away) the wolf (aggro 12) stays home (and the
        # player banks a second of movement).
        time.sleep(1.0)
        self.assertTrue(c.request("ping")["ok"])
        self.assertFalse([e for e in c.events if e["ev"] in ("hit", "move")], c.events)
        r = c.request("move", x=100, y=109)
        self.assertTrue(r.get("ok"), r)
        mv = wait_ev(c, lambda e: e["ev"] == "move" and e["e"] == wolf)
        self.assertLess(mv["y"], 121)
        hit = wait_ev(c, lambda e: e["ev"] == "hit" and e["from"] == wolf)
        self.assertEqual(hit["skill"], "bite")
        self.assertLess(hit["hp"], 500)
        me = hit["to"]
        self.assertNotEqual(me, wolf)
        # It keeps biting (cooldown 0.5 s).
        hit2 = wait_ev(c, lambda e: e["ev"] == "hit" and e["from"] == wolf)
        self.assertLessEqual(hit2["hp"], hit["hp"])

    def test_a_cast_time_lands_later_and_moving_cancels_it(self):
        c, mons = self.enter("Caster")
        rat = mons["Rat"]["e"]
        t0 = time.time()
        r = c.request("cast", target=rat, skill="bolt")
        self.assertEqual((r.get("ok"), r.get("cast_time")), (True, 0.3), r)
        self.assertFalse([e for e in c.events if e["ev"] == "hit"], c.events)
        self.assertEqual(err(c.request("cast", target=rat, skill="bolt")), "busy")
        hit = wait_ev(c, lambda e: e["ev"] == "hit" and e["skill"] == "bolt")
        self.assertGreaterEqual(time.time() - t0, 0.28)
        self.assertEqual(hit["to"], rat)
        # Moving before it lands cancels it: no hit, a cast_failed.
        time.sleep(0.5)
        self.assertTrue(c.request("cast", target=rat, skill="bolt")["ok"])
        self.assertTrue(c.request("move", x=99, y=100)["ok"])
        failed = wait_ev(c, lambda e: e["ev"] in ("cast_failed", "hit"))
        self.assertEqual((failed["ev"], failed["reason"]), ("cast_failed", "moved"))

    def test_reload_refuses_unknown_monsters_and_skills(self):
        self.server.write_content("zones/field.lua", FIELD.replace('monster = "rat"', 'monster = "dragon"'))
        r = self.server.admin().cmd("reload")
        self.assertFalse(r.get("ok"), r)
        self.assertTrue(any(re.search(r"field\.lua:\d+: .*unknown monster 'dragon'", e)
                            for e in r["errors"]), r)
        self.server.write_content("zones/field.lua", FIELD)
        self.server.write_content("monsters.lua", MONSTERS.replace('"bite" }, respawn = 2.5', '"gnaw" }, respawn = 2.5'))
        r = self.server.admin().cmd("reload")
        self.assertFalse(r.get("ok"), r)
        self.assertTrue(any(re.search(r"monsters\.lua:\d+: .*unknown skill 'gnaw'", e)
                            for e in r["errors"]), r)
        self.server.write_content("monsters.lua", MONSTERS)
        self.server.write_content("skills.lua", SKILLS.replace("range = 3,", "range = -3,"))
        r = self.server.admin().cmd("reload")
        self.assertFalse(r.get("ok"), r)
        self.assertTrue(any(re.search(r"skills\.lua:\d+: .*range", e) for e in r["errors"]), r)
        # Good content reloads: a monster whose definition changed respawns fresh
        # from the new tables; the unchanged ones stay (same entity, no leave).
        self.server.write_content("skills.lua", SKILLS)
        self.server.write_content("monsters.lua", MONSTERS.replace("exp = 150", "exp = 160"))
        c, mons = self.enter("Watcher")
        r = self.server.admin().cmd("reload")
        self.assertTrue(r.get("ok"), r)
        seen = []
        fresh = wait_ev(c, lambda e: seen.append(e) or (e["ev"] == "enter" and e["name"] == "Rat"))
        self.assertNotEqual(fresh["e"], mons["Rat"]["e"])
        self.assertIn({"ev": "leave", "e": mons["Rat"]["e"]}, seen)
        for name in ("Wolf", "Toad", "Newt"):
            self.assertNotIn({"ev": "leave", "e": mons[name]["e"]}, seen)


if __name__ == "__main__":
    main()

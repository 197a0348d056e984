"""Progression over TCP against a real chaosd: levels and the `level_up` and
`stats` events, a realm's level cap, a breakthrough (forced to succeed in the
test content) that survives a restart, job skills (`skills` op, `skill_unknown`
for a cast of a skill not yet learnt)."""
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN, FAST_AUTH, SRC, ServerTest, main, play, reenter  # noqa: E402

CONTENT = {
    "races.lua": """
local defs = require("content.defs")
defs.race{ id = "human", name = "Human", move_speed = 10,
           stats = { hp_max = 500, mp_max = 50, power = 10, accuracy = 1000 },
           per_level = { hp_max = 10 } }
""",
    "jobs.lua": """
local defs = require("content.defs")
defs.job{ id = "warrior", name = "Warrior", per_level = { power = 2 },
  skills = { { skill = "strike", level = 1 }, { skill = "bolt", level = 2 },
             { skill = "nova", realm = "upper" } } }
""",
    "skills.lua": """
local defs = require("content.defs")
defs.skill{ id = "strike", name = "Strike", base_min = 1, base_max = 2, scaling = 0,
            range = 10, cooldown = 0 }
defs.skill{ id = "bolt", name = "Bolt", base_min = 1, base_max = 2, scaling = 0,
            range = 20, cooldown = 0 }
defs.skill{ id = "nova", name = "Nova", base_min = 1, base_max = 2, scaling = 0,
            range = 20, cooldown = 0 }
defs.skill{ id = "bite", name = "Bite", base_min = 1, base_max = 1, scaling = 0,
            range = 2, cooldown = 5 }
""",
    "realms.lua": """
local defs = require("content.defs")
defs.realm{ id = "lower", name = "Lower", order = 1, level_cap = 3, caps = { power = 11 },
  breakthrough = { chance = 1, cost = { gold = 10 } } }
defs.realm{ id = "upper", name = "Upper", order = 2, level_cap = 5 }
""",
    "monsters.lua": """
local defs = require("content.defs")
defs.monster{ id = "post", name = "Post", stats = { hp_max = 100000, evasion = -1000 },
              skills = { "bite" }, respawn = 30, aggro = 0, leash = 30 }
""",
    "zones/field.lua": """
local defs = require("content.defs")
defs.zone{ id = "field", name = "Field", start = true, width = 1000, height = 1000, view = 50,
  spawn = { x = 100, y = 100 }, spawns = { { monster = "post", x = 105, y = 100 } } }
""",
    "ops.lua": """
local chaos = require("chaos")
chaos.on_op("train", function(req, ctx)
  chaos.txn(ctx.player, "training", function(t)
    t:add_exp(req.exp or 0)
    t:add_gold(req.gold or 0)
  end)
  return { exp = ctx.player.exp_pending }
end)
chaos.on_op("me", function(req, ctx)
  local p = ctx.player
  return { level = p.level, exp = p.exp, gold = p.gold, realm = p:data("realm").id or "" }
end)
""",
}


def ev_of(c, name, pred=None, timeout=10):
    """The first `name` event (already received or arriving) for which pred holds."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        for i, e in enumerate(c.events):
            if e.get("ev") == name and (pred is None or pred(e)):
                del c.events[:i + 1]
                return e
        c.request("ping")
        time.sleep(0.05)  # below net.rate
    raise AssertionError("no %s event in %s" % (name, c.events))


def code(reply):
    assert "error" in reply, reply
    return reply["error"]["code"]


class Progression(ServerTest):
    server_args = FAST_AUTH
    server_content = CONTENT

    def post(self, c):
        e = ev_of(c, "enter", lambda e: e.get("name") == "Post")
        return e["e"]

    def skills(self, c):
        r = c.request("skills")
        self.assertTrue(r.get("ok"), r)
        return {s["id"]: s for s in r["skills"]}

    def test_levels_realm_breakthrough_and_skills(self):
        c = self.server.client()
        play(c, "Climber")
        post = self.post(c)
        sk = self.skills(c)
        self.assertTrue(sk["strike"]["known"])
        self.assertFalse(sk["bolt"]["known"])
        self.assertEqual(sk["bolt"]["unlock"], {"level": 2})
        self.assertEqual((sk["nova"]["known"], sk["nova"]["unlock"]), (False, {"realm": "upper"}))
        # A skill the character has not learnt: refused before anything else.
        self.assertEqual(code(c.request("cast", target=post, skill="bolt")), "skill_unknown")
        self.assertEqual(code(c.request("cast", target=post, skill="nope")), "unknown_skill")
        self.assertTrue(c.request("attack", target=post).get("ok"))

        # Level 2: the level_up event, then the character's own stats.
        self.assertTrue(c.request("train", exp=100).get("ok"))
        self.assertEqual(ev_of(c, "level_up")["level"], 2)
        st = ev_of(c, "stats", lambda e: e["hp_max"] == 510)
        self.assertEqual(st["stats"]["hp_max"], 510)
        self.assertEqual(st["stats"]["power"], 11)  # 10 + 2, capped at 11 by the realm
        self.assertTrue(c.request("cast", target=post, skill="bolt").get("ok"))

        self.assertEqual(code(c.request("breakthrough")), "not_at_cap")
        # The realm's cap: level 3 at most, the exp beyond it dropped.
        c.request("train", exp=100000, gold=5)
        me = c.request("me")
        self.assertEqual((me["level"], me["exp"], me["realm"]), (3, 599, ""), me)
        self.assertEqual(code(c.request("breakthrough")), "no_resource")
        c.request("train", gold=5)
        r = c.request("breakthrough")
        self.assertEqual((r.get("success"), r.get("realm"), r.get("failures"), r.get("chance")),
                         (True, "upper", 0, 1), r)
        self.assertEqual(c.request("me")["gold"], 0)
        st = ev_of(c, "stats", lambda e: e["stats"]["power"] == 14)  # uncapped in "upper"
        self.assertEqual(st["hp_max"], 520)
        self.assertTrue(self.skills(c)["nova"]["known"])
        logged = [r for r in self.server.log_records() if r.get("msg") == "breakthrough"]
        self.assertEqual(len(logged), 1, logged)
        self.assertEqual((logged[0]["chance"], logged[0]["success"]), (1, True))
        self.assertTrue(0 <= logged[0]["roll"] < 1)
        # The logged seed replays the roll exactly (chaos.rng(seed):float()).
        script = os.path.join(self.server.dir, "replay.lua")
        with open(script, "w") as f:
            f.write('print(string.format("%%.17g", require("chaos").rng(%d):float()))\n'
                    % int(logged[0]["seed"]))
        out = subprocess.run([os.path.join(BIN, "chaosctl"), "script", script], cwd=SRC,
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(float(out.stdout.strip()), logged[0]["roll"])

        # The realm is the character's data: it survives a restart.
        self.server.stop()
        self.server.start()
        c = self.server.client()
        reenter(c, "Climber")
        me = c.request("me")
        self.assertEqual((me["level"], me["realm"]), (3, "upper"), me)
        self.assertTrue(self.skills(c)["nova"]["known"])
        # In "lower" at its cap, without gold, this would be no_resource.
        self.assertEqual(code(c.request("breakthrough")), "max_realm")
        c.request("train", exp=100000)  # upper's cap is 5
        self.assertEqual(c.request("me")["level"], 5)


if __name__ == "__main__":
    main()

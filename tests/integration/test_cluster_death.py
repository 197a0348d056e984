"""Cluster part 4 (issue 15): zones really owned, and a process that dies.

Two chaosd on one PostgreSQL (CHAOS_TEST_PG) and one Redis (CHAOS_TEST_REDIS); the content's
zones mapped one to each process with `chaosctl cluster set`.

ZonesOwned: each process has monsters only in the zone it hosts (admin `status`,
"monsters"."zones"); `chaosctl cluster move` of a zone makes its monsters leave the old owner
and spawn on the new one; a script spawn into a zone another process owns is refused (the op
gets the error, the log says why) and creates nothing.

ProcessDies: players on A, with gold and an item granted by a transaction (answered after
its commit), A is killed with SIGKILL. At once the players log in on B (nothing of A blocks
them); A's announcement expires; `chaosctl cluster move` gives A's zone to B; the players enter
the world on B in that zone with every acknowledged value; B now has the zone's monsters;
`chaosctl audit` passes."""
import os
import signal
import subprocess
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(__file__))
from harness import (BIN, FAST_AUTH, SRC, Client, Server, audit, main, play,  # noqa: E402
                     stop_checked, wait_for)
from harness import cluster_ctl as ctl  # noqa: E402

PG_URL = os.environ.get("CHAOS_TEST_PG", "")
REDIS_URL = os.environ.get("CHAOS_TEST_REDIS", "")

RUN = uuid.uuid4().hex[:8]
ZA, ZB = "da" + RUN, "db" + RUN

CONTENT = {
    "base.lua": """
local defs = require("content.defs")
defs.race{ id = "human", name = "Human", move_speed = 1000 }
defs.job{ id = "warrior", name = "Warrior" }
defs.item{ id = "gem", name = "Gem", stack = 10 }
defs.skill{ id = "bite", name = "Bite", base_min = 1, base_max = 2, scaling = 0.5,
            range = 2, cooldown = 1 }
defs.monster{ id = "rat", name = "Rat", stats = { hp_max = 30 }, skills = { "bite" },
              respawn = 5, aggro = 0, leash = 10 }
defs.zone{ id = "%(a)s", name = "A", start = true, width = 200, height = 200, view = 50,
           spawn = { x = 20, y = 20 },
           spawns = { { monster = "rat", x = 150, y = 150, count = 3, radius = 5 } } }
defs.zone{ id = "%(b)s", name = "B", width = 200, height = 200, view = 50,
           spawn = { x = 30, y = 30 },
           spawns = { { monster = "rat", x = 150, y = 150, count = 2, radius = 5 } } }
""" % {"a": ZA, "b": ZB},
    "ops.lua": """
local chaos = require("chaos")
chaos.on_op("loot", function(req, ctx)
  chaos.txn(ctx.player, "loot", function(t) t:add_item("gem", req.gems); t:add_gold(req.gold) end)
  return { looted = true }
end)
chaos.on_op("summon", function(req, ctx)
  local ok, err = pcall(chaos.world.spawn, { monster = "rat", zone = req.zone, x = 100, y = 100 })
  if ok then return { spawned = true } end
  return { spawned = false, why = tostring(err) }
end)
""",
}



def monsters(server):
    return server.admin().cmd("status")["monsters"]["zones"]


def processes():
    return {p["name"] for p in ctl("processes", "--redis", REDIS_URL)["processes"]}


@unittest.skipUnless(PG_URL and REDIS_URL, "CHAOS_TEST_PG and CHAOS_TEST_REDIS not set")
class Base(unittest.TestCase):
    def setUp(self):
        self.pa = "qa" + RUN + self.id()[-4:]
        self.pb = "qb" + RUN + self.id()[-4:]
        common = FAST_AUTH + ["--store", PG_URL, "--redis", REDIS_URL,
                              "--set", "cluster.refresh_ms=200"]
        self.a = Server(extra=common + ["--name", self.pa], content=CONTENT).start()
        self.b = Server(extra=common + ["--name", self.pb], content=CONTENT).start()
        ctl("set", ZA, self.pa, "--store", PG_URL)
        ctl("move", ZB, self.pb, "--store", PG_URL, "--redis", REDIS_URL)
        for s in (self.a, self.b):
            wait_for(lambda s=s: len(s.admin().cmd("status")["cluster"]["map"]) >= 2,
                     what="map read")
        wait_for(lambda: processes() >= {self.pa, self.pb}, what="both processes announced")
        self.killed = set()

    def tearDown(self):
        for z in (ZA, ZB):
            subprocess.run([os.path.join(BIN, "chaosctl"), "cluster", "unset", z, "--store",
                            PG_URL], cwd=SRC, capture_output=True, timeout=60)
        for s in (self.a, self.b):
            stop_checked(self, s, clean_exit=s not in self.killed)

    def name(self, base):
        return (base + RUN)[:24]


class ZonesOwned(Base):
    def test_monsters_follow_the_owner(self):
        wait_for(lambda: monsters(self.a) == {ZA: 3, ZB: 0}, what="A: monsters only in its zone")
        wait_for(lambda: monsters(self.b) == {ZA: 0, ZB: 2}, what="B: monsters only in its zone")

        # A script on A spawning into B's zone: refused, nothing created, a log line says why.
        c = self.a.client()
        play(c, self.name("sam"))
        r = c.request("summon", zone=ZB)
        self.assertTrue(r.get("ok"), r)
        self.assertIs(r["spawned"], False, r)
        self.assertIn(self.pb, r["why"])
        self.assertEqual(monsters(self.a)[ZB], 0)
        wait_for(lambda: any(rec.get("msg", "").startswith("spawn refused")
                             for rec in self.a.log_records()), what="the refusal logged")
        # ...and into its own zone: works.
        r = c.request("summon", zone=ZA)
        self.assertIs(r["spawned"], True, r)
        self.assertEqual(monsters(self.a)[ZA], 4)

        # B's zone moves to A: B's monsters there leave, A spawns the zone's groups.
        ctl("move", ZB, self.pa, "--store", PG_URL, "--redis", REDIS_URL)
        wait_for(lambda: monsters(self.b) == {ZA: 0, ZB: 0}, what="B lost its monsters")
        wait_for(lambda: monsters(self.a) == {ZA: 4, ZB: 2}, what="A spawned B's zone")
        # and back
        ctl("move", ZB, self.pb, "--store", PG_URL, "--redis", REDIS_URL)
        wait_for(lambda: monsters(self.a) == {ZA: 4, ZB: 0}, what="A gave the zone back")
        wait_for(lambda: monsters(self.b)[ZB] == 2, what="B spawned its zone again")


class ProcessDies(Base):
    def test_kill9_then_move(self):
        # Players on A, in A's zone, with values committed just before the kill.
        alice, bob = self.a.client(), self.a.client()
        ca = play(alice, self.name("alice"))
        cb = play(bob, self.name("bob"))
        self.assertEqual((ca["zone"], cb["zone"]), (ZA, ZA))
        r = alice.request("loot", gems=3, gold=25)
        self.assertTrue(r.get("ok"), r)  # answered after the commit
        r = bob.request("loot", gems=1, gold=7)
        self.assertTrue(r.get("ok"), r)
        r = bob.request("loot", gems=2, gold=5)
        self.assertTrue(r.get("ok"), r)

        self.a.proc.send_signal(signal.SIGKILL)
        self.a.proc.wait()
        self.killed.add(self.a)
        alice.close()
        bob.close()

        # At once: both log in on B; nothing A held blocks them.
        na = Client(self.b.port)
        r = na.request("login", name=self.name("alice"), password="correct horse 1")
        self.assertTrue(r.get("ok"), r)
        chars = na.request("characters")["characters"]
        self.assertEqual([c["id"] for c in chars], [ca["id"]])
        # A's zone is still A's (dead) process. Until A's announcement expires, B takes A for
        # alive and answers enter_world with a hand-off to A's address (a client cannot
        # connect there); nobody is put anywhere else, and nothing is held.
        r = na.request("enter_world", character=ca["id"])
        if r.get("ok"):
            self.assertEqual(r["handoff"]["port"], self.a.port, r)
            self.assertTrue(na.closed())
        else:
            self.assertEqual(r["error"]["code"], "zone_unavailable", r)

        # A's announcement expires (TTL: 5 s here); then the zone is plainly unavailable.
        wait_for(lambda: self.pa not in processes(), timeout=20, what="A's announcement expired")
        nc = Client(self.b.port)
        r = nc.request("login", name=self.name("bob"), password="correct horse 1")
        self.assertTrue(r.get("ok"), r)
        r = nc.request("enter_world", character=cb["id"])
        self.assertEqual(r.get("error", {}).get("code"), "zone_unavailable", r)
        self.assertEqual(nc.request("characters")["characters"][0]["id"], cb["id"])  # still in
        nc.close()
        self.assertEqual(monsters(self.b)[ZA], 0)  # A's monsters were never B's

        # The operator gives A's zone to B.
        ctl("move", ZA, self.pb, "--store", PG_URL, "--redis", REDIS_URL)
        wait_for(lambda: self.b.admin().cmd("status")["cluster"]["map"].get(ZA) == self.pb,
                 what="B read the new map")
        wait_for(lambda: monsters(self.b) == {ZA: 3, ZB: 2}, what="B spawned A's zone")

        na2 = Client(self.b.port)
        r = na2.request("login", name=self.name("alice"), password="correct horse 1")
        self.assertTrue(r.get("ok"), r)
        r = na2.request("enter_world", character=ca["id"])
        self.assertTrue(r.get("ok"), r)
        self.assertNotIn("handoff", r)
        ch = r["character"]
        self.assertEqual((ch["zone"], ch["gold"]), (ZA, 25))
        self.assertEqual([(i["template"], i["stack"]) for i in na2.request("inventory")["items"]],
                         [("gem", 3)])

        nb = Client(self.b.port)
        r = nb.request("login", name=self.name("bob"), password="correct horse 1")
        self.assertTrue(r.get("ok"), r)
        r = nb.request("enter_world", character=cb["id"])
        self.assertTrue(r.get("ok"), r)
        self.assertEqual((r["character"]["zone"], r["character"]["gold"]), (ZA, 12))
        self.assertEqual([(i["template"], i["stack"]) for i in nb.request("inventory")["items"]],
                         [("gem", 3)])
        # They see each other on B.
        self.assertTrue(nb.request("whereis", name=self.name("alice"))["online"])
        for c in (na, na2, nb):
            c.close()

        rc, out = audit(PG_URL)
        self.assertEqual(rc, 0, out)


if __name__ == "__main__":
    main()

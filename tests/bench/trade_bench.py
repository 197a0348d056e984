"""Trades committed per second on a real chaosd (the build given by CHAOS_BIN).

    CHAOS_SRC=$PWD CHAOS_BIN=$PWD/build/bin python3 tests/bench/trade_bench.py \
        [--pairs 8] [--trades 50] [--store postgres://…]

Starts one server (SQLite in a temporary var dir unless --store), puts --pairs pairs of
players side by side, and has every pair (one thread each) run --trades full trades
(request, respond, both offer 1 gold, both lock, both confirm) as fast as the answers come.
A trade counts when the completing trade_confirm answered (after its commit). Prints one
JSON line: backend, pairs, trades, seconds, trades_per_s. Not a test: no assertions on time.
"""
import argparse
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from harness import FAST_AUTH, Server  # noqa: E402

CONTENT = {
    "base.lua": """
local defs = require("content.defs")
defs.race{ id = "human", name = "Human" }
defs.job{ id = "warrior", name = "Warrior" }
defs.zone{ id = "field", name = "Field", start = true, width = 1000, height = 1000, view = 50,
           spawn = { x = 100, y = 100 } }
""",
    "ops.lua": """
local chaos = require("chaos")
chaos.on_op("grant", function(req, ctx)
  chaos.txn(ctx.player, "bench", function(t) t:add_gold(req.gold) end)
  return {}
end)
""",
}


def ok(r):
    if not r.get("ok"):
        raise RuntimeError(r)
    return r


def enter(server, name):
    c = server.client(timeout=60)
    ok(c.request("register", name=name, password="correct horse 1"))
    ok(c.request("login", name=name, password="correct horse 1"))
    ch = ok(c.request("create_character", name=name, race="human", job="warrior"))["character"]
    r = ok(c.request("enter_world", character=ch["id"]))
    ok(c.request("grant", gold=1000))
    return c, r["entity"]


def pair_loop(a, b, b_ent, n, done):
    for _ in range(n):
        ok(a.request("trade_request", target=b_ent))
        ok(b.request("trade_respond", accept=True))
        ok(a.request("trade_offer", gold=1))
        ok(b.request("trade_offer", gold=1))
        ok(a.request("trade_lock"))
        ok(b.request("trade_lock"))
        ok(a.request("trade_confirm"))
        r = ok(b.request("trade_confirm"))
        assert r["state"] == "done", r
        a.events.clear()
        b.events.clear()
        done.append(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=8)
    ap.add_argument("--trades", type=int, default=50)
    ap.add_argument("--store", default="")
    args = ap.parse_args()
    extra = FAST_AUTH + ["--set", "net.rate=100000", "--set", "net.burst=100000",
                         "--log-level", "warn"]
    if args.store:
        extra += ["--store", args.store]
    server = Server(extra=extra, content=CONTENT)
    server.args.remove("debug")
    server.args.remove("--log-level")
    server.start()
    try:
        tag = os.urandom(3).hex()
        pairs = [(enter(server, "A%d_%s" % (i, tag)), enter(server, "B%d_%s" % (i, tag)))
                 for i in range(args.pairs)]
        done = []
        threads = [threading.Thread(target=pair_loop, args=(a[0], b[0], b[1], args.trades, done))
                   for a, b in pairs]
        t0 = time.time()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        sec = time.time() - t0
        print(json.dumps({"backend": "postgres" if args.store else "sqlite",
                          "pairs": args.pairs, "trades": len(done), "seconds": round(sec, 3),
                          "trades_per_s": round(len(done) / sec, 1)}))
    finally:
        server.cleanup()


if __name__ == "__main__":
    main()

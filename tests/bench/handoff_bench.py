#!/usr/bin/env python3
"""Hand-off time between two cluster processes: from the `move` that steps into a portal on
one process to the answer of the first `move` on the other (the client reads the `handoff`
event, connects to the other process, sends `resume` with the token, then a one-step move).
One player walks back and forth through a portal pair (A→B, then B→A) N times.

    CHAOS_BENCH_PG=postgres://… CHAOS_BENCH_REDIS=redis://… \\
      python3 tests/bench/handoff_bench.py [BUILD_DIR] [N]

BUILD_DIR (default build-rel) holds bin/chaosd and bin/chaosctl (a Release build). Uses the
integration harness (two real chaosd, loopback). Prints one JSON line: n, p50/p90/p99/max in
ms, and the split of one hand-off (step answered, token event, resume answered, first move).
The client is Python: its own cost (well under 0.1 ms per frame) is in the figures."""
import json
import os
import statistics
import subprocess
import sys
import time
import uuid

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = sys.argv[1] if len(sys.argv) > 1 else "build-rel"
N = int(sys.argv[2]) if len(sys.argv) > 2 else 200
os.environ.setdefault("CHAOS_SRC", ROOT)
os.environ["CHAOS_BIN"] = os.path.join(ROOT, BUILD, "bin") if not os.path.isabs(BUILD) \
    else os.path.join(BUILD, "bin")
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from harness import BIN, FAST_AUTH, SRC, Client, Server, play, wait_for  # noqa: E402

PG = os.environ.get("CHAOS_BENCH_PG") or os.environ.get("CHAOS_TEST_PG", "")
REDIS = os.environ.get("CHAOS_BENCH_REDIS") or os.environ.get("CHAOS_TEST_REDIS", "")
if not PG or not REDIS:
    sys.exit("set CHAOS_BENCH_PG and CHAOS_BENCH_REDIS (a PostgreSQL and a Redis to use)")

RUN = uuid.uuid4().hex[:8]
ZA, ZB = "ha" + RUN, "hb" + RUN
CONTENT = {"base.lua": """
local defs = require("content.defs")
defs.race{ id = "human", name = "Human", move_speed = 1000 }
defs.job{ id = "warrior", name = "Warrior" }
defs.zone{ id = "%(a)s", name = "A", start = true, width = 200, height = 200, view = 50,
           spawn = { x = 20, y = 20 },
           portals = { { x = 60, y = 20, radius = 3, to = "%(b)s", to_x = 30, to_y = 30 } } }
defs.zone{ id = "%(b)s", name = "B", width = 200, height = 200, view = 50,
           spawn = { x = 30, y = 30 },
           portals = { { x = 60, y = 30, radius = 3, to = "%(a)s", to_x = 20, to_y = 20 } } }
""" % {"a": ZA, "b": ZB}}


def ctl(*args):
    p = subprocess.run([os.path.join(BIN, "chaosctl"), "cluster"] + list(args), cwd=SRC,
                       capture_output=True, text=True, timeout=60)
    if p.returncode:
        sys.exit("chaosctl %s: %s" % (args, p.stderr))


def handoff_event(c):
    while True:
        for i, e in enumerate(c.events):
            if e.get("ev") == "handoff":
                del c.events[:i + 1]
                return e
        m = c.recv()
        if m is None:
            raise ConnectionError("closed before the handoff event")
        if "ev" in m:
            c.events.append(m)


def one(c, portal, ports):
    """c stands in front of portal; returns (client on the other side, timings in s)."""
    time.sleep(0.06)  # banked movement for the walk to the portal (not timed)
    t0 = time.perf_counter()
    r = c.request("move", x=portal[0], y=portal[1])
    assert r.get("handoff") is True, r
    t1 = time.perf_counter()
    ho = handoff_event(c)
    t2 = time.perf_counter()
    c.close()
    assert ho["port"] in ports, ho
    d = Client(ho["port"])
    r = d.request("resume", token=ho["token"])
    assert r.get("ok"), r
    t3 = time.perf_counter()
    ch = r["character"]
    r = d.request("move", x=ch["x"] + 0.01, y=ch["y"])
    assert r.get("ok") and not r.get("handoff"), r
    t4 = time.perf_counter()
    return d, (t1 - t0, t2 - t0, t3 - t0, t4 - t0)


def pct(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, max(0, int(round(q * len(v) + 0.5)) - 1))]


def main():
    pa, pb = "bench-a-" + RUN, "bench-b-" + RUN
    common = FAST_AUTH + ["--store", PG, "--redis", REDIS, "--set", "cluster.refresh_ms=1000",
                          "--log-level", "warn", "--set", "net.rate=0"]
    a = Server(extra=common + ["--name", pa], content=CONTENT).start()
    b = Server(extra=common + ["--name", pb], content=CONTENT).start()
    try:
        ctl("set", ZA, pa, "--store", PG)
        ctl("move", ZB, pb, "--store", PG, "--redis", REDIS)
        for s in (a, b):
            wait_for(lambda s=s: len(s.admin().cmd("status")["cluster"]["map"]) >= 2,
                     what="map read")
        c = Client(a.port)
        play(c, ("hb" + RUN)[:20])
        ports = {a.port, b.port}
        samples = []
        for i in range(N):
            portal = (60, 20) if i % 2 == 0 else (60, 30)
            c, t = one(c, portal, ports)
            samples.append(t)
        total = [t[3] * 1000 for t in samples]
        split = {k: round(statistics.median(t[j] for t in samples) * 1000, 3)
                 for j, k in enumerate(["step_ms", "event_ms", "resume_ms", "first_move_ms"])}
        print(json.dumps({"n": N, "p50_ms": round(pct(total, 0.5), 3),
                          "p90_ms": round(pct(total, 0.9), 3),
                          "p99_ms": round(pct(total, 0.99), 3), "max_ms": round(max(total), 3),
                          "median_split_cumulative": split}))
        c.close()
    finally:
        for z in (ZA, ZB):
            subprocess.run([os.path.join(BIN, "chaosctl"), "cluster", "unset", z, "--store", PG],
                           cwd=SRC, capture_output=True, timeout=60)
        for s in (a, b):
            s.cleanup()


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# Play benchmark: N players log in to one chaosd and walk randomly in the
# meadow (chaos-load --scenario play). Server on core 0, load on core 1.
#
#   bash tests/bench/play_bench.sh [BUILD_DIR] [N...]
#
# BUILD_DIR (default build-rel) must be a Release build holding bin/chaosd and
# bin/chaos-load:
#   cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release -DCHAOS_TESTS=OFF
#   cmake --build build-rel -j2 --target chaosd chaos-load
# N defaults to 1000 5000 10000. Environment: PLAY_BENCH_RATE (moves/s per
# player, 5), PLAY_BENCH_WARMUP (s of walking before the window, 45: lets the
# players spread out from the spawn point), PLAY_BENCH_DURATION (measured s, 20),
# PLAY_BENCH_FIGHTERS (0; fighters need ~45 s of warmup to reach the wolves),
# PLAY_BENCH_FIELD (unset: the demo meadow, where everyone enters at one point;
# W: the demo content with its zones replaced by one open W x W zone "field",
# view 50, whose spawn radius spreads arrivals over the whole field — the
# density of a large zone instead of a crowd at one spawn point),
# PLAY_BENCH_SERVER_ARGS (extra chaosd flags, e.g. "--set world.event_delay_ms=100"),
# PLAY_BENCH_LOAD_ARGS (extra chaos-load flags, e.g. "--spin"),
# PLAY_BENCH_HUGEPAGES (1: chaosd runs with GLIBC_TUNABLES=glibc.malloc.hugetlb=1 as tools/run.sh
# starts it; 0: without),
# PLAY_BENCH_PERF (unset: no profile; a path prefix P: `perf record --call-graph dwarf` of chaosd
# for 8 s inside the window, written to P.N.data).
#
# Per N it prints chaos-load's JSON line plus the server figures: VmRSS idle,
# after everyone entered (at the start of the window) and per player; CPU of
# chaosd over the window; tick p99 over the window (from the difference of two
# /metrics snapshots of the chaos_tick_seconds histogram: an upper bound, the
# bucket edge) and its mean, the mean of the event flush after each tick
# (chaos_event_flush_seconds), and world.tick_max_ms from the admin
# `status` (since start).
#
# BENCHMARK-ONLY SETTINGS: Argon2id at opslimit=1, memlimit 64 KiB and the
# login rate limits lifted, only so that 10,000 registrations from one address
# take seconds. Production keeps the defaults (opslimit 2, 19,456 KiB; see
# docs/operations.md and docs/performance.md for their cost).
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${1:-build-rel}
shift || true
NS=${*:-1000 5000 10000}
RATE=${PLAY_BENCH_RATE:-5}
WARMUP=${PLAY_BENCH_WARMUP:-45}
DUR=${PLAY_BENCH_DURATION:-20}
FIGHTERS=${PLAY_BENCH_FIGHTERS:-0} # connections that also attack monsters (chaos-load --fighters)
FIELD=${PLAY_BENCH_FIELD:-}
EXTRA=(${PLAY_BENCH_SERVER_ARGS:-}) # more chaosd flags, e.g. "--set world.event_delay_ms=100"
LOADX=(${PLAY_BENCH_LOAD_ARGS:-})   # more chaos-load flags, e.g. "--spin"
HUGE=()
[ "${PLAY_BENCH_HUGEPAGES:-1}" = 1 ] && HUGE=(env GLIBC_TUNABLES=glibc.malloc.hugetlb=1)
TOKEN=play-bench-token-0123456789
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
TMP=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$TMP"' EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores; uptime:$(uptime)" >&2

metrics() { # http_port -> file of tick buckets
  python3 - "$1" <<'PY'
import sys, urllib.request
t = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=30).read().decode()
for l in t.splitlines():
    if l.startswith("chaos_tick_seconds_") or l.startswith("chaos_event_flush_seconds_"):
        print(l)
PY
}
status() { # admin_port -> status JSON line
  python3 - "$1" "$TOKEN" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 30)
s.sendall(("auth %s\nstatus\nquit\n" % sys.argv[2]).encode())
f = s.makefile()
f.readline()
print(f.readline().strip())
PY
}
tick_p99() { # before after -> p99/p999/count over the difference
  python3 - "$1" "$2" <<'PY'
import re, sys
def load(p):  # -> tick buckets {le: cumulative count}, {"tick_sum": …, "event_flush_count": …}
    b, t = {}, {}
    for l in open(p):
        m = re.match(r'chaos_tick_seconds_bucket\{le="([^"]+)"\} (\S+)', l)
        if m: b[float(m.group(1))] = float(m.group(2))
        m = re.match(r'chaos_(tick|event_flush)_seconds_(sum|count) (\S+)', l)
        if m: t[m.group(1) + "_" + m.group(2)] = float(m.group(3))
    return b, t
(a, ta), (z, tz) = load(sys.argv[1]), load(sys.argv[2])
def mean(name, key):  # mean over the window, from the sums and counts
    n = tz.get(key + "_count", 0) - ta.get(key + "_count", 0)
    if n <= 0 or key + "_sum" not in ta or key + "_sum" not in tz: return '"%s":null' % name
    return '"%s":%.3f' % (name, (tz[key + "_sum"] - ta[key + "_sum"]) * 1e3 / n)
means = mean("tick_mean_ms", "tick") + "," + mean("flush_mean_ms", "event_flush")
d = sorted((le, z[le] - a.get(le, 0)) for le in z)   # cumulative counts in the window
total = d[-1][1] if d and a else 0
if total == 0:
    print('"ticks":0,"tick_p50_ms_le":null,"tick_p99_ms_le":null,"tick_p999_ms_le":null,' + means); sys.exit()
def q(p):
    for le, c in d:
        if c >= p * total: return le * 1e3
    return float("inf")
print('"ticks":%d,"tick_p50_ms_le":%g,"tick_p99_ms_le":%g,"tick_p999_ms_le":%g,%s' % (total, q(.5), q(.99), q(.999), means))
PY
}
rss() { awk '/VmRSS/{print $2}' "/proc/$1/status"; }
cpu() { awk '{print $14+$15}' "/proc/$1/stat"; } # utime+stime, clock ticks

results="$TMP/results"
CONTENT=(); BOX=()
if [ -n "$FIELD" ]; then
  cp -r content "$TMP/content"
  # the other zones stay (vendors, NPCs, quests and events name them) but no
  # longer are where characters start
  sed -i 's/start *= *true *,\?//' "$TMP/content/zones/"*.lua
  half=$(( FIELD / 2 ))
  cat >"$TMP/content/zones/field.lua" <<LUA
local defs = require("content.defs")
defs.zone{ id = "field", name = "Bench field", start = true, width = $FIELD, height = $FIELD,
  view = 50, spawn = { x = $half, y = $half, radius = $(( half - 20 )) } }
LUA
  CONTENT=(--set lua.content_dir="$TMP/content")
  BOX=(--box "10,10,$(( FIELD - 10 )),$(( FIELD - 10 ))")
  echo "zone: field ${FIELD}x${FIELD}, view 50, arrivals spread over radius $(( half - 20 ))" >&2
fi
for N in $NS; do
  P=$(port); A=$(port); H=$(port)
  rm -rf "$TMP/var"
  taskset -c 0 "${HUGE[@]}" "$B/bin/chaosd" --port "$P" --admin-port "$A" --http-port "$H" --var "$TMP/var" \
    --log-level warn --migrate --set net.rate=0 --set net.max_connections=30000 \
    --set admin.token="$TOKEN" --set auth.opslimit=1 --set auth.memlimit_kib=64 \
    --set auth.login_rate_addr=1000000 --set auth.login_rate_account=1000000 "${CONTENT[@]}" "${EXTRA[@]}" \
    >"$TMP/server.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 100); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1',$P),1)" 2>/dev/null && break
    sleep 0.05
  done
  sleep 1
  rss0=$(rss $SERVER)
  : >"$TMP/load.err"
  taskset -c 1 "$B/bin/chaos-load" --scenario play --port "$P" --connections "$N" --rate "$RATE" \
    --warmup "$WARMUP" --duration "$DUR" --connect-rate 2000 --prefix "p${N}x" --fighters "$FIGHTERS" "${BOX[@]}" "${LOADX[@]}" \
    >"$TMP/load.out" 2>"$TMP/load.err" &
  LOADER=$!
  # after everyone entered: RSS
  until grep -q "entered in" "$TMP/load.err" || ! kill -0 $LOADER 2>/dev/null; do sleep 0.2; done
  sleep 1
  rss1=$(rss $SERVER)
  until grep -q "measuring" "$TMP/load.err" || ! kill -0 $LOADER 2>/dev/null; do sleep 0.1; done
  c0=$(cpu $SERVER); rssm=$(rss $SERVER); t0=$(date +%s.%N)
  if [ -n "${PLAY_BENCH_PERF:-}" ]; then
    perf record -q -F 1999 --call-graph dwarf,8192 -p "$SERVER" -o "$PLAY_BENCH_PERF.$N.data" -- sleep 8 >/dev/null 2>&1 &
  fi
  metrics "$H" >"$TMP/m0" 2>/dev/null || echo "  [N=$N] /metrics did not answer within 30 s" >&2
  until grep -q "window over" "$TMP/load.err" || ! kill -0 $LOADER 2>/dev/null; do sleep 0.1; done
  c1=$(cpu $SERVER); t1=$(date +%s.%N)
  metrics "$H" >"$TMP/m1" 2>/dev/null || echo "  [N=$N] /metrics did not answer within 30 s" >&2
  st=$(status "$A" 2>/dev/null || echo "{}")
  wait $LOADER || true
  grep -v '^chaos-load: \(measuring\|measure window\)' "$TMP/load.err" | sed "s/^/  [N=$N] /" >&2 || true
  line=$(cat "$TMP/load.out")
  [ -n "$line" ] || line='{"scenario":"play","connections":'"$N"',"failed":true}'
  lagmax=$(echo "$st" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("loop_lag_max_ms","null"))')
  tickmax=$(echo "$st" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("world",{}).get("tick_max_ms","null"))')
  hz=$(getconf CLK_TCK)
  extra="\"rss_idle_kib\":$rss0,\"rss_entered_kib\":$rss1,\"rss_window_kib\":$rssm,\"rss_per_player_kib\":$(( (rssm - rss0) / N )),\"server_cpu_pct\":$(python3 -c "print(round(($c1-$c0)*100/$hz/max($t1-$t0,0.001)))"),$(tick_p99 "$TMP/m0" "$TMP/m1"),\"tick_max_ms\":$tickmax,\"loop_lag_max_ms\":$lagmax"
  echo "${line%\}},$extra}" | tee -a "$results"
  grep -v '"level":"info"' "$TMP/server.log" | head -5 | sed "s/^/  [server N=$N] /" >&2 || true
  kill $SERVER; wait $SERVER 2>/dev/null || true
done
python3 - "$results" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print("\n%6s %7s %8s %6s %8s %8s %8s %9s %8s %9s %10s %7s %6s %6s %9s %8s" % (
    "N", "entered", "move_rps", "bad", "errors", "ack_p50", "ack_p99", "tick_p99", "tick_max", "tick_mean", "flush_mean",
    "KiB/pl", "srvCPU", "cliCPU", "events/s", "logins/s"))
for r in rows:
    if r.get("failed"):
        print("%6d  (chaos-load printed nothing)" % r["connections"]); continue
    print("%6d %7d %8.0f %6d %8d %7.1fms %7.1fms %8gms %7.1fms %7.2fms %8.2fms %7d %5d%% %5.0f%% %9.0f %8.0f" % (
        r["connections"], r["entered"], r["move_rps"], r["bad_moves"], r["errors"],
        r["p50_us"] / 1e3, r["p99_us"] / 1e3, r["tick_p99_ms_le"] or -1, r["tick_max_ms"] or -1,
        r.get("tick_mean_ms") or -1, r.get("flush_mean_ms") or -1,
        r["rss_per_player_kib"], r["server_cpu_pct"], r["client_cpu_pct"], r["events_rx_per_s"],
        r["logins_per_s"]))
PY

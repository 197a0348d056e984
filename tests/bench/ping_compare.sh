#!/usr/bin/env bash
# Ping benchmark: chaosd against the bare libevent echo server, with the
# figures the performance doc records. Server on core 0, load on core 1.
#
#   bash tests/bench/ping_compare.sh [BUILD_DIR] [RUNS] [floor]
#
# BUILD_DIR must be a Release (or RelWithDebInfo) build holding bin/chaosd,
# bin/echo_server and bin/chaos-load. Prints one JSON line per run and a
# median table at the end. Takes a few minutes.
#
# With "floor": only the open-loop series at one total rate, 50,000 pings/s
# (the request rate of 10,000 players moving 5 times a second), spread over
# 1,000 x 50/s, 2,000 x 25/s and 10,000 x 5/s connections, echo and chaosd
# alternating: what answering that many requests costs on this machine with
# no game behind them (docs/performance.md, "Capacity round 4").
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${1:-build-rel}
RUNS=${2:-3}
DUR=${CHAOS_BENCH_DURATION:-8}
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
TMP=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$TMP"' EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_server() { # kind port
  if [ "$1" = echo ]; then
    taskset -c 0 "$B/bin/echo_server" --port "$2" >"$TMP/server.log" 2>&1 &
  else
    taskset -c 0 "$B/bin/chaosd" --port "$2" --admin-port 0 --http-port 0 --var "$TMP/var" \
      --log-level warn --set net.rate=0 --set net.max_connections=30000 \
      --set store.url="sqlite:$TMP/var/bench.db" --migrate >"$TMP/server.log" 2>&1 &
  fi
  SERVER=$!
  for _ in $(seq 100); do
    python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$2),1)" 2>/dev/null && return
    sleep 0.05
  done
  echo "server did not start" >&2; cat "$TMP/server.log" >&2; exit 1
}
stop_server() { kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; }

load() { taskset -c 1 "$B/bin/chaos-load" "$@"; }

results="$TMP/results"
run() { # kind test chaos-load-args... : one run against a fresh server, one JSON line
  local kind=$1 test=$2 p line
  shift 2
  p=$(port); start_server "$kind" "$p"
  line=$(load --port "$p" "$@" --warmup 2 --duration "$DUR" --connect-rate 5000)
  echo "{\"server\":\"$kind\",\"test\":\"$test\",$(echo "$line" | cut -c2-)" | tee -a "$results"
  stop_server
}

if [ "${3:-}" = floor ]; then
  for r in $(seq "$RUNS"); do
    for split in 1000:50 2000:25 10000:5; do
      for kind in echo chaosd; do
        run "$kind" open50k --connections "${split%%:*}" --mode open --rate "${split##*:}"
      done
    done
  done
else
  for kind in echo chaosd; do
    for conns in 100 1000 10000; do
      for r in $(seq "$RUNS"); do
        run "$kind" closed --connections "$conns" --mode closed --inflight 1
      done
    done
  done
  for conns in 1000 10000; do
    for r in $(seq "$RUNS"); do run chaosd open --connections "$conns" --mode open --rate 10; done
  done
  # Memory: RSS before and with 10,000 idle connections (one ping per 100 s each).
  for kind in echo chaosd; do
    p=$(port); start_server $kind "$p"; sleep 1
    before=$(awk '/VmRSS/{print $2}' /proc/$SERVER/status)
    load --port "$p" --connections 10000 --mode open --rate 0.01 --warmup 1 --duration 6 \
         --connect-rate 5000 >/dev/null &
    LOADER=$!
    sleep 5
    during=$(awk '/VmRSS/{print $2}' /proc/$SERVER/status)
    wait $LOADER || true
    echo "{\"server\":\"$kind\",\"test\":\"idle_memory\",\"rss_before_kib\":$before,\"rss_10k_kib\":$during,\"per_conn_bytes\":$(( (during - before) * 1024 / 10000 ))}" | tee -a "$results"
    stop_server
  done
fi
python3 - "$results" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
groups = {}
for r in rows:
    if r["test"] == "idle_memory":
        continue
    groups.setdefault((r["server"], r["test"], r["connections"]), []).append(r)
print("\nmedians:")
print("%-7s %-7s %6s %10s %9s %9s %9s %7s" % ("server", "test", "conns", "rps", "p50_us", "p99_us", "p999_us", "errors"))
for (s, t, c), rs in sorted(groups.items()):
    med = lambda k: statistics.median(x[k] for x in rs)
    print("%-7s %-7s %6d %10.0f %9.0f %9.0f %9.0f %7d" % (s, t, c, med("rps"), med("p50_us"), med("p99_us"), med("p999_us"), sum(x["errors"] for x in rs)))
PY

#!/usr/bin/env bash
# Mostly idle connections held across several chaosd processes on one machine:
# P processes (default 6), TOTAL connections (default 100000) split evenly, one
# chaos-load per process (open loop, one ping per connection every 10 s, random
# phase). Reports per process: connected, errors, ping p50/p99/max, the server's
# RSS before and with its connections; then the totals and the memory per
# connection (sum of RSS growth / connections). Prints `uptime` before and after
# (another job on the machine shows there).
#
#   bash tests/bench/cluster_idle.sh [BUILD_DIR] [P] [TOTAL]
#   CHAOS_BENCH_DURATION  measured seconds (default 60: six pings per connection)
#   CHAOS_BENCH_PG, CHAOS_BENCH_REDIS  optional: the processes join one cluster
#       (shared PostgreSQL and Redis, names idle-1..P); else each has its own SQLite
#
# BUILD_DIR (default build-rel) holds bin/chaosd and bin/chaos-load (Release).
# Run as root, or with a hard nofile limit above TOTAL / P + 100.
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${1:-build-rel}
P=${2:-6}
TOTAL=${3:-100000}
DUR=${CHAOS_BENCH_DURATION:-60}
PER=$(( (TOTAL + P - 1) / P ))
NOFILE=$(( PER + 1024 ))
ulimit -Hn "$NOFILE" 2>/dev/null || true
ulimit -n "$NOFILE" 2>/dev/null || { echo "cannot raise nofile to $NOFILE (hard $(ulimit -Hn))" >&2; exit 1; }
TMP=$(mktemp -d /tmp/chaos-idle.XXXXXX)
SERVERS=()
cleanup() {
  set +e
  for pid in "${SERVERS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${SERVERS[@]}"; do wait "$pid" 2>/dev/null; done
  rm -rf "$TMP"
}
trap cleanup EXIT
ports() {
  python3 -c '
import socket, sys
s = [socket.socket() for _ in range(int(sys.argv[1]))]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))' "$1"
}
rss() { awk '/VmRSS/{print $2}' "/proc/$1/status"; }

echo "machine: $(nproc) cores, $(awk '/MemTotal/{print int($2/1024)" MiB"}' /proc/meminfo), $(uname -r)"
echo "uptime before: $(uptime)"
read -r -a PORTS <<<"$(ports "$P")"
for k in $(seq 1 "$P"); do
  port=${PORTS[$((k - 1))]}
  mkdir -p "$TMP/s$k"
  if [ -n "${CHAOS_BENCH_PG:-}" ] && [ -n "${CHAOS_BENCH_REDIS:-}" ]; then
    store=(--store "$CHAOS_BENCH_PG" --redis "$CHAOS_BENCH_REDIS" --name "idle-$k")
  else
    store=(--set "store.url=sqlite:$TMP/s$k/bench.db")
  fi
  "$B/bin/chaosd" --port "$port" --admin-port 0 --http-port 0 --var "$TMP/s$k" \
    --log-level warn --set net.rate=0 --set "net.max_connections=$((PER + 100))" \
    "${store[@]}" --migrate >"$TMP/s$k/chaosd.log" 2>&1 &
  SERVERS+=($!)
done
for k in $(seq 1 "$P"); do
  port=${PORTS[$((k - 1))]}
  for _ in $(seq 200); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1',$port),1)" 2>/dev/null && break
    sleep 0.05
  done
done
sleep 1
BEFORE=()
for pid in "${SERVERS[@]}"; do BEFORE+=("$(rss "$pid")"); done

LOADERS=()
for k in $(seq 1 "$P"); do
  "$B/bin/chaos-load" --port "${PORTS[$((k - 1))]}" --connections "$PER" --mode open --rate 0.1 \
    --warmup 12 --duration "$DUR" --connect-rate 2500 >"$TMP/load$k.json" 2>"$TMP/load$k.err" &
  LOADERS+=($!)
done
# Every connection is up by the end of the ramp and warmup; read the memory mid-window.
cpu() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; } # clock ticks
sumcpu() { local t=0; for pid in "$@"; do t=$(( t + $(cpu "$pid") )); done; echo "$t"; }
sleep $(( 12 + DUR / 2 ))
S0=$(sumcpu "${SERVERS[@]}"); L0=$(sumcpu "${LOADERS[@]}")
sleep 10
S1=$(sumcpu "${SERVERS[@]}"); L1=$(sumcpu "${LOADERS[@]}")
HZ=$(getconf CLK_TCK)
echo "cpu over 10 s mid-window: servers $(( (S1 - S0) * 100 / HZ / 10 ))% loaders $(( (L1 - L0) * 100 / HZ / 10 ))% (of one core)"
DURING=()
for pid in "${SERVERS[@]}"; do DURING+=("$(rss "$pid")"); done
LOAD_RSS=0
for pid in "${LOADERS[@]}"; do LOAD_RSS=$(( LOAD_RSS + $(rss "$pid" 2>/dev/null || echo 0) )); done
echo "uptime during: $(uptime)"
for pid in "${LOADERS[@]}"; do wait "$pid" || true; done
echo "uptime after: $(uptime)"

python3 - "$TMP" "$P" "$PER" "$DUR" "$LOAD_RSS" "${BEFORE[*]}" "${DURING[*]}" <<'PY'
import json, statistics, sys
tmp, P, per, dur, load_rss = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
before = [int(x) for x in sys.argv[6].split()]
during = [int(x) for x in sys.argv[7].split()]
rows = []
for k in range(1, P + 1):
    text = open("%s/load%d.json" % (tmp, k)).read().strip()
    r = json.loads(text.splitlines()[-1]) if text else {"connected": 0, "errors": -1}
    r["process"] = k
    r["rss_before_kib"], r["rss_with_kib"] = before[k - 1], during[k - 1]
    print(json.dumps(r))
    rows.append(r)
conns = sum(r.get("connected", 0) for r in rows)
grow = sum(during) - sum(before)
print(json.dumps({
    "processes": P, "connections_asked": per * P, "connected": conns,
    "errors": sum(r.get("errors", 0) for r in rows),
    "pings": sum(r.get("requests", 0) for r in rows), "duration_s": dur,
    "ping_p50_us_median": statistics.median(r.get("p50_us", 0) for r in rows),
    "ping_p99_us_max": max(r.get("p99_us", 0) for r in rows),
    "ping_max_us": max(r.get("max_us", 0) for r in rows),
    "server_rss_growth_kib": grow,
    "server_bytes_per_conn": round(grow * 1024 / conns) if conns else None,
    "loaders_rss_kib": load_rss}))
PY

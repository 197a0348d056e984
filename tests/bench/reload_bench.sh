#!/usr/bin/env bash
# Reload benchmark: N players walk in the demo meadow (chaos-load --scenario
# play) while the content is edited and reloaded K times through the admin
# console. Server on core 0, load on core 1.
#
#   bash tests/bench/reload_bench.sh [BUILD_DIR] [BASELINE_BUILD_DIR]
#
# Each BUILD_DIR must be a Release build with bin/chaosd and bin/chaos-load.
# With a baseline dir the two builds run interleaved (base, new, base, new …
# RELOAD_BENCH_ROUNDS times), each round on a fresh server, so the noisy
# machine affects both alike. Environment: RELOAD_BENCH_N (players, 1000),
# RELOAD_BENCH_K (reloads per round, 10), RELOAD_BENCH_GAP (s between reloads,
# 2), RELOAD_BENCH_WARMUP (s of walking first, 15), RELOAD_BENCH_ROUNDS (2),
# RELOAD_BENCH_EDIT (greeting: each reload changes the demo greeting, content
# the world does not depend on; zone: each reload renames the meadow, so the
# world applies a new zone set; spin: each reload adds a file whose top level
# never ends, refused when its load budget runs out — the stall it causes is
# in the players' move-ack maximum).
#
# Per round it prints one JSON line: the build, the reloads' loop time
# (`swap_ms`; for builds that reload synchronously, the whole reload `ms`),
# split where the build reports it into the Lua state swap (`state_ms`) and
# the app's table rebuild (`tables_ms`),
# `build_ms` where the build reports it, players connected at the end (the
# disconnects), chaos-load's move-ack p99 and max over the window (what the
# players felt), and the server's loop-lag maximum (admin status).
#
# BENCHMARK-ONLY SETTINGS: cheap Argon2id and no login rate limits, only so
# that 1,000 registrations from one address take seconds.
set -euo pipefail
cd "$(dirname "$0")/../.."
NEW=${1:-build-rel}
BASE=${2:-}
N=${RELOAD_BENCH_N:-1000}
K=${RELOAD_BENCH_K:-10}
GAP=${RELOAD_BENCH_GAP:-2}
WARMUP=${RELOAD_BENCH_WARMUP:-15}
ROUNDS=${RELOAD_BENCH_ROUNDS:-2}
EDIT=${RELOAD_BENCH_EDIT:-greeting}
DUR=$(( K * GAP + 4 ))
TOKEN=reload-bench-token-0123456789
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
TMP=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$TMP"' EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores; uptime:$(uptime)" >&2

admin() { # port command -> the answer line
  python3 - "$1" "$TOKEN" "$2" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 60)
s.sendall(("auth %s\n%s\nquit\n" % (sys.argv[2], sys.argv[3])).encode())
f = s.makefile()
f.readline()
print(f.readline().strip())
PY
}

run() { # build_dir label
  local B=$1 label=$2
  local P A H
  P=$(port); A=$(port); H=$(port)
  rm -rf "$TMP/var" "$TMP/content" "$TMP/scripts"
  cp -r content "$TMP/content"
  cp -r scripts "$TMP/scripts"
  taskset -c 0 "$B/bin/chaosd" --port "$P" --admin-port "$A" --http-port "$H" --var "$TMP/var" \
    --scripts "$TMP/scripts" --content "$TMP/content" \
    --log-level info --migrate --set net.rate=0 --set net.max_connections=30000 \
    --set admin.token="$TOKEN" --set auth.opslimit=1 --set auth.memlimit_kib=64 \
    --set auth.login_rate_addr=1000000 --set auth.login_rate_account=1000000 \
    >"$TMP/server.log" 2>&1 &
  local SERVER=$!
  for _ in $(seq 100); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1',$P),1)" 2>/dev/null && break
    sleep 0.05
  done
  : >"$TMP/load.err"
  taskset -c 1 "$B/bin/chaos-load" --scenario play --port "$P" --connections "$N" --rate 5 \
    --warmup "$WARMUP" --duration "$DUR" --connect-rate 2000 --prefix "r${label}x" \
    >"$TMP/load.out" 2>"$TMP/load.err" &
  local LOADER=$!
  until grep -q "measuring" "$TMP/load.err" || ! kill -0 $LOADER 2>/dev/null; do sleep 0.1; done
  sleep 1
  for i in $(seq "$K"); do
    # A real change in every generation: the greeting text, or the meadow's name.
    if [ "$EDIT" = spin ]; then
      printf 'local n = %d\nwhile true do end\n' "$i" >"$TMP/content/world/spin.lua"
    elif [ "$EDIT" = zone ]; then
      sed -i "s/^  name = \"Green Meadow.*\",/  name = \"Green Meadow $i\",/" "$TMP/content/zones/meadow.lua"
    else
      sed -i "s/^local greeting = .*/local greeting = \"Welcome, edit $i\"/" \
        "$TMP/content/world/greeting.lua"
    fi
    admin "$A" reload >>"$TMP/reloads" 2>&1 || echo '{"ok":false}' >>"$TMP/reloads"
    rm -f "$TMP/content/world/spin.lua"
    sleep "$GAP"
  done
  wait $LOADER || true
  local st
  st=$(admin "$A" status 2>/dev/null || echo "{}")
  kill $SERVER; wait $SERVER 2>/dev/null || true
  python3 - "$label" "$TMP/load.out" "$TMP/server.log" "$st" "$K" <<'PY'
import json, sys
label, load, log, st, k = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
l = json.loads(open(load).read() or "{}")
rel = [json.loads(x) for x in open(log) if '"msg":"reloaded"' in x]
refused = sum(1 for x in open(log) if '"msg":"reload refused"' in x)
swap = [r.get("swap_ms", r.get("ms")) for r in rel]
build = [r["build_ms"] for r in rel if "build_ms" in r]
state = [r["state_ms"] for r in rel if "state_ms" in r]
tables = [r["tables_ms"] for r in rel if "tables_ms" in r]
s = json.loads(st or "{}")
out = {"build": label, "edit": __import__("os").environ.get("RELOAD_BENCH_EDIT", "greeting"), "reloads_ok": len(rel), "reloads_refused": refused, "reloads_asked": k,
       "swap_ms_max": round(max(swap), 2) if swap else None,
       "swap_ms_mean": round(sum(swap) / len(swap), 2) if swap else None,
       "build_ms_mean": round(sum(build) / len(build), 1) if build else None,
       "state_ms_mean": round(sum(state) / len(state), 2) if state else None,
       "tables_ms_mean": round(sum(tables) / len(tables), 2) if tables else None,
       "players": l.get("connections"), "connected_at_end": l.get("connected"),
       "errors": l.get("errors"), "move_ack_p99_ms": l.get("p99_us", 0) / 1e3,
       "move_ack_max_ms": l.get("max_us", 0) / 1e3,
       "loop_lag_max_ms": s.get("loop_lag_max_ms")}
print(json.dumps(out))
PY
  rm -f "$TMP/reloads"
}

for r in $(seq "$ROUNDS"); do
  [ -n "$BASE" ] && run "$BASE" base
  run "$NEW" new
done

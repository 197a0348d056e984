#!/usr/bin/env bash
# Starts a local cluster: a throwaway PostgreSQL and Redis (temporary data
# directories, free loopback ports; works as root) and N chaosd processes
# (default 2) named shard-1 … shard-N on one database and one Redis, with the
# demo content's zones split among them (chaosctl cluster set: zone i goes to
# shard-(i mod N + 1), in the order of content/zones/*.lua). Prints every
# address, then waits; Ctrl-C (or SIGTERM) stops everything and removes the
# temporary directory.
#
#   tools/cluster.sh [N]
#   CHAOS_BIN    directory of chaosd and chaosctl (default: build them in build/)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
N=${1:-2}
case "$N" in '' | *[!0-9]*) echo "usage: tools/cluster.sh [N]  (N: 1..16)" >&2; exit 2 ;; esac
if [ "$N" -lt 1 ] || [ "$N" -gt 16 ]; then echo "N must be 1..16" >&2; exit 2; fi

if [ -z "${CHAOS_BIN:-}" ]; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCHAOS_TESTS=OFF >/dev/null
  cmake --build build -j2 --target chaosd chaosctl
  CHAOS_BIN=$ROOT/build/bin
fi

TMP=$(mktemp -d /tmp/chaos-cluster.XXXXXX)
chmod 755 "$TMP"
PG_STARTED=""
REDIS_PID=""
PIDS=()

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

cleanup() {
  set +e
  trap - INT TERM EXIT
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  if [ -n "$REDIS_PID" ]; then kill "$REDIS_PID" 2>/dev/null; wait "$REDIS_PID" 2>/dev/null; fi
  if [ -n "$PG_STARTED" ]; then as_pg "$PG_BIN/pg_ctl" -D "$TMP/pg" -m fast -w stop >/dev/null 2>&1; fi
  rm -rf "$TMP"
  echo "cluster stopped" >&2
}
trap cleanup EXIT
trap 'exit 0' INT TERM

# Distinct free ports: every socket stays bound until all are picked.
free_ports() {
  python3 -c '
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))' "$1"
}
read -r -a PORTS <<<"$(free_ports $((2 + 3 * N)))"

# ---- PostgreSQL --------------------------------------------------------------
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
PG_PORT=${PORTS[0]}
mkdir -p "$TMP/pg"
[ "$(id -u)" -eq 0 ] && chown postgres "$TMP/pg"
as_pg "$PG_BIN/initdb" -D "$TMP/pg" -U chaos --auth=trust -E UTF8 >"$TMP/initdb.log" 2>&1 ||
  { cat "$TMP/initdb.log"; exit 1; }
as_pg "$PG_BIN/pg_ctl" -D "$TMP/pg" -l "$TMP/pg/server.log" -w \
  -o "-c listen_addresses=127.0.0.1 -c port=$PG_PORT -c unix_socket_directories=$TMP/pg" \
  start >/dev/null
PG_STARTED=1
as_pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U chaos chaos
STORE="postgres://chaos@127.0.0.1:$PG_PORT/chaos"

# ---- Redis ---------------------------------------------------------------------
REDIS_PORT=${PORTS[1]}
mkdir -p "$TMP/redis"
redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$TMP/redis" --save "" \
  --appendonly no --daemonize no --logfile "$TMP/redis/redis.log" &
REDIS_PID=$!
for _ in $(seq 50); do
  redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && break
  sleep 0.1
done
REDIS="redis://127.0.0.1:$REDIS_PORT"

# ---- the map: the demo zones split among the processes ----------------------------
"$CHAOS_BIN/chaosctl" migrate up --store "$STORE" >/dev/null 2>&1
i=0
for z in $(sed -n 's/^ *id = "\([^"]*\)".*/\1/p' content/zones/*.lua); do
  "$CHAOS_BIN/chaosctl" cluster set "$z" "shard-$((i % N + 1))" --store "$STORE" 2>/dev/null |
    sed 's/^/map: /'
  i=$((i + 1))
done

# ---- the processes ----------------------------------------------------------------
for k in $(seq 1 "$N"); do
  base=$((2 + 3 * (k - 1)))
  game=${PORTS[$base]} admin=${PORTS[$((base + 1))]} http=${PORTS[$((base + 2))]}
  mkdir -p "$TMP/shard-$k"
  GLIBC_TUNABLES="${GLIBC_TUNABLES:-glibc.malloc.hugetlb=1}" "$CHAOS_BIN/chaosd" --name "shard-$k" --store "$STORE" --redis "$REDIS" \
    --port "$game" --admin-port "$admin" --http-port "$http" --var "$TMP/shard-$k" \
    >"$TMP/shard-$k/chaosd.log" 2>&1 &
  PIDS+=($!)
  echo "shard-$k: game 127.0.0.1:$game admin 127.0.0.1:$admin http 127.0.0.1:$http" \
    "(token $TMP/shard-$k/admin.token, log $TMP/shard-$k/chaosd.log)"
done
echo "postgres: $STORE"
echo "redis:    $REDIS"
echo "map:      $CHAOS_BIN/chaosctl cluster list --store $STORE"
echo "          $CHAOS_BIN/chaosctl cluster processes --redis $REDIS"
echo "Ctrl-C stops everything."
wait -n "${PIDS[@]}" || true
echo "a chaosd exited; stopping the cluster" >&2

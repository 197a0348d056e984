#!/usr/bin/env bash
# The test command. Installs what the tests need, builds with ASan+UBSan,
# starts a throwaway PostgreSQL and Redis on free loopback ports (temporary
# data directories; works as root), runs every test through ctest, runs each
# libFuzzer harness briefly, stops the servers, and exits non-zero on any
# failure.
#
#   CHAOS_FUZZ_SECONDS   seconds per fuzzer (default 20; 0 skips fuzzing)
#   CHAOS_TEST_JOBS      parallel ctest jobs (default 2)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
bash tools/deps.sh --test

FUZZ_SECONDS=${CHAOS_FUZZ_SECONDS:-20}
JOBS=${CHAOS_TEST_JOBS:-2}
TMP=$(mktemp -d /tmp/chaos-test.XXXXXX)
chmod 755 "$TMP"
PG_PID=""
REDIS_PID=""

cleanup() {
  set +e
  if [ -n "$REDIS_PID" ]; then kill "$REDIS_PID" 2>/dev/null; wait "$REDIS_PID" 2>/dev/null; fi
  if [ -n "$PG_PID" ]; then
    as_pg "$PG_BIN/pg_ctl" -D "$TMP/pg" -m fast -w stop >/dev/null 2>&1
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# PostgreSQL refuses to run as root: as root, run it as the postgres account.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# ---- PostgreSQL -------------------------------------------------------------
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
PG_PORT=$(free_port)
mkdir -p "$TMP/pg"
[ "$(id -u)" -eq 0 ] && chown postgres "$TMP/pg"
as_pg "$PG_BIN/initdb" -D "$TMP/pg" -U chaos --auth=trust -E UTF8 >"$TMP/initdb.log" 2>&1 ||
  { cat "$TMP/initdb.log"; exit 1; }
as_pg "$PG_BIN/pg_ctl" -D "$TMP/pg" -l "$TMP/pg/server.log" -w \
  -o "-c listen_addresses=127.0.0.1 -c port=$PG_PORT -c unix_socket_directories=$TMP/pg -c fsync=off" \
  start >/dev/null
PG_PID=started
as_pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U chaos chaos_test
export CHAOS_TEST_PG="postgres://chaos@127.0.0.1:$PG_PORT/chaos_test"

# ---- Redis --------------------------------------------------------------------
REDIS_PORT=$(free_port)
mkdir -p "$TMP/redis"
redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$TMP/redis" --save "" \
  --appendonly no --daemonize no --logfile "$TMP/redis/redis.log" &
REDIS_PID=$!
for _ in $(seq 50); do
  redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && break
  sleep 0.1
done
redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping | grep -q PONG || { echo "redis did not start" >&2; exit 1; }
export CHAOS_TEST_REDIS="redis://127.0.0.1:$REDIS_PORT"
echo "test services: $CHAOS_TEST_PG $CHAOS_TEST_REDIS" >&2

# ---- build with sanitizers and run every test ----------------------------------
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCHAOS_SANITIZE=ON >/dev/null
cmake --build build-asan -j2
status=0
(cd build-asan && ctest --output-on-failure -j"$JOBS") || status=1

# ---- fuzzers ---------------------------------------------------------------------
if [ "$FUZZ_SECONDS" != "0" ] && [ $status -eq 0 ]; then
  CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCHAOS_FUZZ=ON \
    -DCHAOS_TESTS=OFF -DCHAOS_BENCH=OFF >/dev/null
  cmake --build build-fuzz -j2
  for f in build-fuzz/bin/fuzz_*; do
    [ -x "$f" ] || continue
    name=$(basename "$f")
    corpus="$TMP/corpus-$name"
    mkdir -p "$corpus"
    [ -d "tests/fuzz/corpus/$name" ] && cp -r "tests/fuzz/corpus/$name/." "$corpus/"
    echo "fuzzing $name for ${FUZZ_SECONDS}s" >&2
    if ! "$f" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
         -artifact_prefix="$TMP/" "$corpus" >"$TMP/$name.log" 2>&1; then
      tail -n 40 "$TMP/$name.log"; echo "fuzzer $name found a failure" >&2; status=1
    else
      grep -E "^Done|stat::number_of_executed_units" "$TMP/$name.log" | tail -n 1 >&2 || true
    fi
  done
fi

exit $status

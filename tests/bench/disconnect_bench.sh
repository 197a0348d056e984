#!/usr/bin/env bash
# Disconnect storm: N players walk (chaos-load --scenario play), then the load
# generator exits and every connection closes at once; each logout saves its
# character. Measures the server's CPU seconds and wall time from the loader's
# exit until the server is idle again (no CPU used for one second).
#
#   bash tests/bench/disconnect_bench.sh BUILD_DIR [N...]
#
# BUILD_DIR: a Release build with bin/chaosd and bin/chaos-load. Server on
# core 0, load on core 1. Benchmark-only settings as in play_bench.sh (cheap
# Argon2id, login limits lifted) so thousands of registrations take seconds.
# Prints one JSON line per N.
set -euo pipefail
B=${1:?build dir}
shift
NS=${*:-5000}
TOKEN=disconnect-bench-token-0123456789
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu() { awk '{print $14+$15}' "/proc/$1/stat"; }
cd "$(dirname "$0")/../.."
for N in $NS; do
  TMP=$(mktemp -d)
  P=$(port); A=$(port); H=$(port)
  taskset -c 0 "$B/bin/chaosd" --port "$P" --admin-port "$A" --http-port "$H" --var "$TMP/var" \
    --log-level warn --migrate --set net.rate=0 --set net.max_connections=30000 \
    --set admin.token="$TOKEN" --set auth.opslimit=1 --set auth.memlimit_kib=64 \
    --set auth.login_rate_addr=1000000 --set auth.login_rate_account=1000000 \
    >"$TMP/server.log" 2>&1 &
  S=$!
  for _ in $(seq 100); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1',$P),1)" 2>/dev/null && break
    sleep 0.05
  done
  taskset -c 1 "$B/bin/chaos-load" --scenario play --port "$P" --connections "$N" --rate 5 \
    --warmup 3 --duration 3 --connect-rate 2000 --prefix "d${N}x" >"$TMP/load.out" 2>"$TMP/load.err" || echo "chaos-load exited non-zero: $(tail -1 "$TMP/load.err")" >&2
  c0=$(cpu $S); t0=$(date +%s.%N); last=$c0
  while :; do
    sleep 1
    c=$(cpu $S)
    [ "$c" = "$last" ] && break
    last=$c
  done
  t1=$(date +%s.%N)
  hz=$(getconf CLK_TCK)
  python3 -c "import sys; print('{\"build\":\"$B\",\"players\":$N,\"cpu_s\":%.2f,\"wall_s\":%.2f}' % (($last-$c0)/$hz, $t1-$t0-1))"
  kill $S; wait $S 2>/dev/null || true
  rm -rf "$TMP"
done

#!/usr/bin/env bash
# Builds chaosd and starts it with the demo content on the embedded default
# store: game 127.0.0.1:7777, admin console 127.0.0.1:7778, HTTP 127.0.0.1:7780.
# Runtime data (admin token, database) goes under ./var/. Extra arguments go
# to chaosd (see build/bin/chaosd --help).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCHAOS_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)" --target chaosd chaosctl chaos-load chaos-client
# glibc's malloc asks for transparent huge pages (THP "madvise" mode): the
# world's state is read all over at every move, and 2 MiB pages spare the
# TLB misses of 4 KiB ones (docs/operations.md, "Memory and huge pages").
export GLIBC_TUNABLES="${GLIBC_TUNABLES:-glibc.malloc.hugetlb=1}"
echo "chaosd: game 127.0.0.1:7777, admin 127.0.0.1:7778 (token in var/admin.token), http 127.0.0.1:7780" >&2
exec build/bin/chaosd --var var --migrate --set lua.watch_ms=1000 "$@"

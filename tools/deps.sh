#!/usr/bin/env bash
# Installs the Debian packages the build (and, with --test, the tests) need.
# Only what is missing is installed; run as root or with sudo available.
set -euo pipefail

PKGS=(build-essential cmake pkg-config git libluajit2-5.1-dev luajit2 lua-cjson-dev
      libevent-dev libjansson-dev libpq-dev libhiredis-dev libsqlite3-dev libsodium-dev
      libncurses-dev)
if [ "${1:-}" = "--test" ]; then
  PKGS+=(libcmocka-dev clang libclang-rt-14-dev postgresql redis-server python3 procps tmux)
fi

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# Package scripts must not start system services (we run our own on free ports).
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/bans/run.sh - latency from a log line entering the engine to the
# address being a member of the kernel set, and bans per second. Not a test.
#
# tests/bans/bans_check bench feeds N distinct IPv4 addresses (10.x.y.z), each
# with two AUTH-probe sessions (connect + 'disconnect ... auth=0/1', maxretry
# 2), through engine_line() with backend = ipset; it times, per address, from
# the second disconnect line entering engine_line() to ipset_backend_test()
# returning "member" (CLOCK_MONOTONIC), and the whole run for bans/s (4 lines
# per ban). Runs in a private network namespace (unshare -n), as root.
#
# Usage: bench/bans/run.sh [N [RUNS]]   (default 2000 addresses, 5 runs)
# Needs a build: ./configure && make && make tests/bans/bans_check

set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
: "${top_builddir:=$top}"
bc=$top_builddir/tests/bans/bans_check
n=${1:-2000}
runs=${2:-5}
[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 1; }
[ -x "$bc" ] || { echo "build $bc first (make tests/bans/bans_check)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/state"
printf 'state_dir = %s/state\nbackend = ipset\nmax_addresses = %s\n' "$tmp" $((n + 1024)) >"$tmp/bench.conf"
echo "# $(uname -r), $(nproc) CPUs, $(ipset --version | head -1)"
echo "# bans_check bench $n, $runs runs, each in a new network namespace"
i=0
while [ $i -lt "$runs" ]; do
	unshare -n "$bc" bench "$tmp/bench.conf" "$n"
	i=$((i + 1))
done
unshare -n "$bc" takebench "$tmp/bench.conf" 100000

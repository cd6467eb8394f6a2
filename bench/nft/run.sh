#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/nft/run.sh - backend = nft beside backend = ipset: latency from a log
# line entering the engine to the address being an element of the kernel set,
# and bans per second, with and without a 20,000-element interval set in
# another table (table inet admin). Not a test.
#
# tests/bans/bans_check bench (see bench/bans/run.sh) feeds N distinct IPv4
# addresses, two AUTH-probe sessions each, maxretry 2, and times per address
# from the deciding line entering engine_line() until backend_test() finds the
# address in the set (ipset: authfold4; nft: inet authfold banned4), and
# until engine_line() returned (the add acknowledged). Each run is a fresh
# network namespace (unshare -n). Then, for comparison, what the nft program
# (libnftables) pays for one `nft add element` with and without the interval
# set, which is why authfold talks netlink through libnftnl instead.
#
# Usage: bench/nft/run.sh [N [RUNS]]   (default 2000 addresses, 3 runs)
# Needs root and a build: make tests/bans/bans_check

set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
: "${top_builddir:=$top}"
bc=$top_builddir/tests/bans/bans_check
n=${1:-2000}
runs=${2:-3}
[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 1; }
[ -x "$bc" ] || { echo "build $bc first (make tests/bans/bans_check)" >&2; exit 1; }
command -v nft >/dev/null || { echo "needs the nft program (package nftables)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/state"
for b in ipset nft; do
	printf 'state_dir = %s/state\nbackend = %s\nmax_addresses = %s\n' "$tmp" $b $((n + 1024)) >"$tmp/$b.conf"
done
python3 - >"$tmp/interval.nft" <<'PY'
print("table inet admin {")
print("  set blocked { type ipv6_addr; flags interval; elements = {")
print(",\n".join("    2001:db8:%x:%x::/64" % (i >> 8, i & 255) for i in range(20000)))
print("  } }")
print("}")
PY
echo "# $(uname -r), $(nproc) CPUs, $(nft --version), libnftnl $(pkg-config --modversion libnftnl), libmnl $(pkg-config --modversion libmnl), $(ipset --version | head -1)"
echo "# bans_check bench $n, $runs runs per case, each in a new network namespace"
for interval in no yes; do
	for b in ipset nft; do
		i=0
		while [ $i -lt "$runs" ]; do
			printf '%s interval=%s: ' $b $interval
			unshare -n sh -c "[ $interval = no ] || nft -f '$tmp/interval.nft'; exec '$bc' bench '$tmp/$b.conf' $n"
			i=$((i + 1))
		done
	done
done
echo "# the nft program (libnftables), one 'nft add element' per process, 20 elements:"
for interval in no yes; do
	unshare -n sh -c "
		[ $interval = no ] || nft -f '$tmp/interval.nft'
		nft add table inet t; nft add set inet t s '{ type ipv4_addr; flags timeout; }'
		t0=\$(date +%s%N)
		for i in \$(seq 1 20); do nft add element inet t s \"{ 192.0.2.\$i timeout 60s }\"; done
		t1=\$(date +%s%N)
		echo \"nft add element, interval=$interval: \$(( (t1 - t0) / 20000 )) us per element\""
done

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/nft/interval.sh - a 20,000-element interval set in another table does
# not slow bans: tests/bans/bans_check bench times 600 bans (from the line
# entering the engine to the element being in banned4) with backend = nft,
# first on a ruleset of authfold's table alone, then with the admin's table
# inet admin holding an interval set of 20,000 IPv6 /64 networks. Both
# medians must stay under 1 ms (the target), and the second within 3x + 200 us
# of the first. For comparison it shows what one `nft add element` (the nft
# program, libnftables) costs with that set loaded.

. "${top_srcdir:-.}/tests/nft/lib.sh"

conf "$tmp/a.conf" "max_addresses = 4096"
median() { sed -n 's/^bans [0-9]* median_us \([0-9.]*\) .*/\1/p' "$1" | head -1; }

check "bench without the interval set" sh -c "'$bc' bench '$tmp/a.conf' 600 >'$tmp/b0'"
m0=$(median "$tmp/b0")
echo "# without: $(cat "$tmp/b0")"
python3 - >"$tmp/interval.nft" <<'PY'
print("table inet admin {")
print("  set blocked { type ipv6_addr; flags interval; elements = {")
print(",\n".join("    2001:db8:%x:%x::/64" % (i >> 8, i & 255) for i in range(20000)))
print("  } }")
print("}")
PY
check "an interval set of 20,000 networks loads in table inet admin" nft -f "$tmp/interval.nft"
check "... it holds 20,000 elements" test "$(nft -j list set inet admin blocked | python3 -c 'import json,sys; print(sum(len(o["set"].get("elem", [])) for o in json.load(sys.stdin)["nftables"] if "set" in o))')" = 20000
check "bench with the interval set" sh -c "'$bc' bench '$tmp/a.conf' 600 >'$tmp/b1'"
m1=$(median "$tmp/b1")
echo "# with: $(cat "$tmp/b1")"
check "median without the interval set ${m0} us <= 1000 us" awk -v m="$m0" 'BEGIN { exit !(m > 0 && m <= 1000) }'
check "median with the interval set ${m1} us <= 1000 us" awk -v m="$m1" 'BEGIN { exit !(m > 0 && m <= 1000) }'
check "... and not slowed: ${m1} us <= 3 x ${m0} + 200 us" awk -v a="$m0" -v b="$m1" 'BEGIN { exit !(b <= 3 * a + 200) }'
t0=$(date +%s%N)
nft add element inet authfold banned4 '{ 203.0.113.200 timeout 60s }'
t1=$(date +%s%N)
echo "# for comparison, one 'nft add element' (libnftables) with the interval set: $(( (t1 - t0) / 1000 )) us"
finish

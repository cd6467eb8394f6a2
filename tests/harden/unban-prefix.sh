#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/harden/unban-prefix.sh - `authfold unban PREFIX` removes every kernel
# entry inside the prefix, whether a state file knows it or not, and says
# how many; entries outside stay. IPv4 (hash:ip: /32 entries) and IPv6
# (hash:net: /64 entries under an unban of a /32). In a private network
# namespace (tests/bans/lib.sh); root only.

. "${top_srcdir:-.}/tests/bans/lib.sh"

conf "$tmp/a.conf"
now=$(date +%s)
# bans without a state: replay --ban, maxretry 1
conf "$tmp/r.conf" "maxretry = 1"
{
	noauth_session "$now" 1 198.51.100.7
	noauth_session "$now" 2 198.51.100.9
	noauth_session "$now" 3 192.0.2.1
	noauth_session "$now" 4 2001:db8:0:1::7
	noauth_session "$now" 5 2001:db8:0:2::9
	noauth_session "$now" 6 2001:db8:1::1
} >"$tmp/probes.log"
"$af" replay --ban -c "$tmp/r.conf" "$tmp/probes.log" >/dev/null 2>"$tmp/replay.err"
check "replay --ban made the bans" test "$(members authfold4 | wc -l)" = 3 -a "$(members authfold6 | wc -l)" = 3
ipset add authfold4 198.51.100.200 timeout 500	# by hand: no state knows it

"$af" unban -c "$tmp/a.conf" 198.51.100.0/24 2>"$tmp/u1.err"
check "unban 198.51.100.0/24 exits 0" test $? = 0
sed 's/^/# /' "$tmp/u1.err"
check "...says it removed 3 kernel entries" grep -q "unban 198.51.100.0/24: 3 kernel entries removed" "$tmp/u1.err"
members authfold4 >"$tmp/m4"
sed 's/^/# left: /' "$tmp/m4"
check "...none of 198.51.100.0/24 is left" test "$(grep -c '^198\.51\.100\.' "$tmp/m4")" = 0
check "...192.0.2.1 stays" grep -q '^192\.0\.2\.1 ' "$tmp/m4"

"$af" unban -c "$tmp/a.conf" 2001:db8::/48 2>"$tmp/u2.err"
sed 's/^/# /' "$tmp/u2.err"
check "unban 2001:db8::/48 removes the two /64 inside it" grep -q "unban 2001:db8::/48: 2 kernel entries removed" "$tmp/u2.err"
members authfold6 >"$tmp/m6"
sed 's/^/# left: /' "$tmp/m6"
check "...2001:db8:1::/64 stays" grep -q '^2001:db8:1::/64 ' "$tmp/m6"
check "...nothing of 2001:db8::/48 is left" test "$(members authfold6 | wc -l)" = 1

"$af" unban -c "$tmp/a.conf" 203.0.113.0/24 2>"$tmp/u3.err"
check "an unban of a prefix with nothing inside says 0 entries" grep -q "0 kernel entries removed" "$tmp/u3.err"
finish

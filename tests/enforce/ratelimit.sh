#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/enforce/ratelimit.sh - issue 23, finding 7: authfold-enforce's
# "not applied" lines (a valid decision that ignoreip, the width limits or
# the table refuse) are rate-limited like its refused lines: 300 such
# decisions in a burst give at most 20 lines on stderr and one count of
# the rest, and are all counted (backend = none, no root needed).
set -u
: "${top_srcdir:=.}"
: "${top_builddir:=.}"
enf=$top_builddir/authfold-enforce
[ -x "$enf" ] || { echo "FAIL: $enf is not built"; exit 1; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
. "$top_srcdir/tests/lib/tap.sh"

mkdir -m 0700 "$tmp/state"
printf 'state_dir = %s\nbackend = none\nignoreip = 198.51.100.0/24\n' "$tmp/state" >"$tmp/a.conf"
now=$(date +%s)
i=0
while [ $i -lt 300 ]; do
	case $((i % 3)) in
	0) net=198.51.100.$((i % 250))/32 ;;		# ignoreip
	1) net=2001:db8:$i::/48 ;;			# wider than ipv6_prefix
	2) net=203.0.113.0/24 ;;			# an IPv4 ban wider than /32
	esac
	printf ' authfold-decision v1 id=%016x op=ban net=%s at=%s until=%s reason=noauth by=central\n' \
		$((4096 + i)) "$net" "$now" $((now + 600))
	i=$((i + 1))
done | "$enf" -c "$tmp/a.conf" --no-confirm 2>"$tmp/err"
rc=$?
head -n 3 "$tmp/err" | sed 's/^/# /'
tail -n 2 "$tmp/err" | sed 's/^/# /'
check "the enforcer takes 300 decisions it does not apply (exit $rc)" [ "$rc" = 0 ]
shown=$(grep -c 'not applied (' "$tmp/err")
check "at most 20 'not applied' lines on stderr (is $shown)" sh -c "[ $shown -le 20 ] && [ $shown -ge 1 ]"
check "...and the rest counted at the end" grep -q "^authfold-enforce: $((300 - shown)) more refused or not applied lines not shown\$" "$tmp/err"
"$top_builddir/authfold" status -c "$tmp/a.conf" --json >"$tmp/s.json" 2>/dev/null
check "status counts all 300 (ignored 100, unsupported 200)" python3 -c '
import json, sys
k = json.load(open(sys.argv[1]))["central"]["counters"]
sys.exit(0 if k["ignored"] == 100 and k["unsupported"] == 200 else 1)' "$tmp/s.json"
finish

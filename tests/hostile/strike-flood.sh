#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/hostile/strike-flood.sh - a million distinct addresses striking
# once each (a disconnect with auth=0/1 each, no connect needed): the
# policy table stays at max_addresses (default 65536), nothing is banned
# (maxretry 2), time stays linear, peak RSS stays under RSS_LIMIT_KB.
#
#   FLOOD_LINES=1000000 RSS_LIMIT_KB=65536 TIME_LIMIT_S=120

. "$(dirname "$0")/lib.sh"
flood_setup

# client i: 10.x.y.z for the first half, 2001:db8:i::1 (one /64 each) for the rest
awk -v n="$FLOOD_LINES" 'BEGIN {
	for (i = 1; i <= n; i++) {
		if (i <= n / 2)
			a = sprintf("10.%d.%d.%d", int(i / 65536) % 256, int(i / 256) % 256, i % 256)
		else
			a = sprintf("2001:db8:%x:%x::1", int(i / 65536), i % 65536)
		printf "2026-11-26T18:%02d:%02d.%06dZ mx1 postfix/smtpd[%d]: disconnect from unknown[%s] ehlo=1 auth=0/1 quit=1 commands=2/3\n",
			int(i / 60000) % 60, int(i / 1000) % 60, i % 1000000, i % 100000, a
	}
}' >"$tmp/in.log"

/usr/bin/time -v -o "$tmp/time" "$authfold" replay -c /dev/null --events "$tmp/events" "$tmp/in.log" \
	2>"$tmp/report" | wc -l >"$tmp/out.lines"
time_fields "$tmp/time"
echo "peak RSS: ${rss} KiB for $FLOOD_LINES distinct strikers (limit ${RSS_LIMIT_KB} KiB), wall clock $wall, user ${user}s"
[ "$status" = 0 ] || fail "exit status $status"
[ -n "$rss" ] && [ "$rss" -lt "$RSS_LIMIT_KB" ] || fail "peak RSS ${rss} KiB >= ${RSS_LIMIT_KB} KiB"
[ "${user%.*}" -lt "$TIME_LIMIT_S" ] || fail "took ${user}s of CPU: not linear"
# each line kept, each with its synthetic line before it
[ "$(cat "$tmp/out.lines")" = $((2 * FLOOD_LINES)) ] || fail "summary has $(cat "$tmp/out.lines") lines"
[ "$(grep -c '"event":"strike"' "$tmp/events")" = "$FLOOD_LINES" ] || fail "events: strikes"
grep -q '"event":"ban"' "$tmp/events" && fail "events: a ban"
evicted=$((FLOOD_LINES > 65536 ? FLOOD_LINES - 65536 : 0))
grep -q "^Strikes: $FLOOD_LINES noauth, 0 saslfail" "$tmp/report" || fail "report: strikes"
grep -q '^Would ban: 0 bans of 0 addresses' "$tmp/report" || fail "report: bans"
grep -q " $evicted addresses evicted\$" "$tmp/report" || fail "report: $evicted addresses evicted"
[ $failed = 0 ] || { cat "$tmp/report" "$tmp/time"; exit 1; }
echo "PASS"

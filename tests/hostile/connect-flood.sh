#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/hostile/connect-flood.sh - a million "connect from" lines with
# distinct pids and no disconnect, max_sessions at its default (65536):
# the session table evicts, memory stays bounded. Peak RSS is measured with
# /usr/bin/time -v and must stay under RSS_LIMIT_KB (default 64 MiB).
#
#   FLOOD_LINES=1000000 RSS_LIMIT_KB=65536

. "$(dirname "$0")/lib.sh"
flood_setup

# pid i, client 10.x.y.z: one line per session, in two timestamp formats
awk -v n="$FLOOD_LINES" 'BEGIN {
	for (i = 1; i <= n; i++)
		printf "2026-11-26T18:%02d:%02d.%06dZ mx1 postfix/smtpd[%d]: connect from unknown[10.%d.%d.%d]\n",
			int(i / 60000) % 60, int(i / 1000) % 60, i % 1000000, i, int(i / 65536) % 256, int(i / 256) % 256, i % 256
}' >"$tmp/in.log"

/usr/bin/time -v -o "$tmp/time" "$authfold" replay -c /dev/null "$tmp/in.log" 2>"$tmp/report" |
	cksum >"$tmp/out.cksum"
time_fields "$tmp/time"
echo "peak RSS: ${rss} KiB for $FLOOD_LINES connects (limit ${RSS_LIMIT_KB} KiB), wall clock $wall"
[ "$status" = 0 ] || fail "exit status $status"
[ -n "$rss" ] && [ "$rss" -lt "$RSS_LIMIT_KB" ] || fail "peak RSS ${rss} KiB >= ${RSS_LIMIT_KB} KiB"
# every connect line is kept, byte for byte
[ "$(cksum <"$tmp/in.log")" = "$(cat "$tmp/out.cksum")" ] || fail "summary is not the input"
evicted=$((FLOOD_LINES > 65536 ? FLOOD_LINES - 65536 : 0))
open=$((FLOOD_LINES > 65536 ? 65536 : FLOOD_LINES))
grep -q "^Lines: $FLOOD_LINES read" "$tmp/report" || fail "report: lines read"
grep -q "^Sessions: $FLOOD_LINES seen (0 before or without their connect), 0 disconnected, $open still open" "$tmp/report" || fail "report: sessions"
grep -q "evicted (table full): $evicted\$" "$tmp/report" || fail "report: evicted $evicted"
[ $failed = 0 ] || { cat "$tmp/report" "$tmp/time"; exit 1; }
echo "PASS"

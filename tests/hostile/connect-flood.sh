#!/bin/sh
# tests/hostile/connect-flood.sh - a million "connect from" lines with
# distinct pids and no disconnect, max_sessions at its default (65536):
# the session table evicts, memory stays bounded. Peak RSS is measured with
# /usr/bin/time -v and must stay under RSS_LIMIT_KB (default 64 MiB).
#
#   FLOOD_LINES=1000000 RSS_LIMIT_KB=65536

set -u
: "${top_builddir:=.}"
: "${FLOOD_LINES:=1000000}"
: "${RSS_LIMIT_KB:=65536}"
authfold=$top_builddir/authfold
[ -x "$authfold" ] || { echo "FAIL: $authfold is not built"; exit 1; }
[ -x /usr/bin/time ] || { echo "SKIP: no /usr/bin/time (Debian: apt-get install time)"; exit 77; }
# A build with AddressSanitizer (--enable-sanitizers) pays for shadow memory
# and quarantine: the bound is then only a sanity check.
if grep -q __asan_init "$authfold" 2>/dev/null; then
	RSS_LIMIT_KB=${ASAN_RSS_LIMIT_KB:-1048576}
	TIME_LIMIT_S=$((${TIME_LIMIT_S:-120} * 10))
	echo "AddressSanitizer build: RSS limit ${RSS_LIMIT_KB} KiB"
fi
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
failed=0
fail() { echo "FAIL: $*"; failed=1; }

# pid i, client 10.x.y.z: one line per session, in two timestamp formats
awk -v n="$FLOOD_LINES" 'BEGIN {
	for (i = 1; i <= n; i++)
		printf "2026-11-26T18:%02d:%02d.%06dZ mx1 postfix/smtpd[%d]: connect from unknown[10.%d.%d.%d]\n",
			int(i / 60000) % 60, int(i / 1000) % 60, i % 1000000, i, int(i / 65536) % 256, int(i / 256) % 256, i % 256
}' >"$tmp/in.log"

/usr/bin/time -v -o "$tmp/time" "$authfold" replay -c /dev/null "$tmp/in.log" 2>"$tmp/report" |
	cksum >"$tmp/out.cksum"
status=$(sed -n 's/.*Exit status: //p' "$tmp/time")
rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/time")
secs=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$tmp/time")
echo "peak RSS: ${rss} KiB for $FLOOD_LINES connects (limit ${RSS_LIMIT_KB} KiB), wall clock $secs"
[ "$status" = 0 ] || fail "exit status $status"
[ -n "$rss" ] && [ "$rss" -lt "$RSS_LIMIT_KB" ] || fail "peak RSS ${rss} KiB >= ${RSS_LIMIT_KB} KiB"
# every connect line is kept, byte for byte
[ "$(cksum <"$tmp/in.log")" = "$(cat "$tmp/out.cksum")" ] || fail "summary is not the input"
evicted=$((FLOOD_LINES > 65536 ? FLOOD_LINES - 65536 : 0))
open=$((FLOOD_LINES > 65536 ? 65536 : FLOOD_LINES))
grep -q "^Lines: $FLOOD_LINES read" "$tmp/report" || fail "report: lines read"
grep -q "^Sessions: $FLOOD_LINES opened, 0 disconnected, $open still open" "$tmp/report" || fail "report: sessions"
grep -q "evicted (table full): $evicted\$" "$tmp/report" || fail "report: evicted $evicted"
[ $failed = 0 ] || { cat "$tmp/report" "$tmp/time"; exit 1; }
echo "PASS"

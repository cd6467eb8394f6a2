#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/bans/repeat.sh - repeat offenders. The log is hand-written by this
# script (plain Postfix lines of AUTH probes, 'auth=0/1' without STARTTLS),
# with timestamps relative to now: 192.0.2.40 is struck twice, banned, struck
# during that ban, and banned again three times after each ban ended.
# bantime 60s, bantime_factor 2, bantime_max 200s, findtime 100s: the bans
# last 60, 120, 200 (240 capped), 200 s; a strike during a running ban makes
# no ban event and does not touch the kernel timeout; only the last ban is
# still running and has the kernel timeout its end implies.

. "${top_srcdir:-.}/tests/bans/lib.sh"

now=$(date +%s)
conf "$tmp/a.conf" "bantime = 60s" "bantime_factor = 2" "bantime_max = 200s" "findtime = 100s" "maxretry = 2"
{
	pid=100
	for off in 1000 990 960 800 790 500 490 20 10 5; do
		pid=$((pid + 1))
		noauth_session $((now - off)) $pid 192.0.2.40
	done
	noauth_session $((now - 20)) 300 192.0.2.41
	noauth_session $((now - 10)) 301 192.0.2.41
} >"$tmp/repeat.log"

"$af" replay -c "$tmp/a.conf" --ban --events "$tmp/a.events" "$tmp/repeat.log" >/dev/null 2>"$tmp/a.err"
check "replay --ban exits 0" test $? = 0
check "12 strikes" test "$(grep -c '"event":"strike"' "$tmp/a.events")" = 12
grep '"event":"ban"' "$tmp/a.events" | grep '"192.0.2.40"' |
	sed 's/.*"seconds":\([0-9]*\).*/\1/' | tr '\n' ' ' >"$tmp/seconds"
check "192.0.2.40 banned 4 times for 60 120 200 200 s (got: $(cat "$tmp/seconds"))" \
	test "$(cat "$tmp/seconds")" = "60 120 200 200 "
check "the bans that were over when replayed say applied_seconds 0" \
	test "$(grep '"192.0.2.40"' "$tmp/a.events" | grep -c '"applied_seconds":0')" = 3
check "192.0.2.41 banned once for 60 s" \
	test "$(grep '"event":"ban"' "$tmp/a.events" | grep '"192.0.2.41"' | grep -c '"seconds":60')" = 1
# the ban at now-10 ends at now+190; the strike at now-5 (during it) did not reset it
check "192.0.2.40: kernel timeout ~190 s (the last ban, capped; not reset by the strike during it)" \
	expect_timeout authfold4 192.0.2.40 $((now + 190 - $(date +%s)))
check "192.0.2.41: kernel timeout ~50 s" expect_timeout authfold4 192.0.2.41 $((now + 50 - $(date +%s)))

# The same through a state file: the history survives a restart of the
# daemon (bans_check feed twice), so the growth continues across runs.
ipset flush authfold4
head -n 14 "$tmp/repeat.log" >"$tmp/part1.log"	# up to the second ban
tail -n +15 "$tmp/repeat.log" >"$tmp/part2.log"
"$bc" feed "$tmp/a.conf" "$tmp/state/x.state" "$tmp/b.events" "$tmp/part1.log" &&
	"$bc" feed "$tmp/a.conf" "$tmp/state/x.state" "$tmp/b.events" "$tmp/part2.log"
check "two daemon runs over a state file exit 0" test $? = 0
grep '"event":"ban"' "$tmp/b.events" | grep '"192.0.2.40"' |
	sed 's/.*"seconds":\([0-9]*\).*/\1/' | tr '\n' ' ' >"$tmp/seconds2"
check "across the restart the bans still grow: 60 120 200 200 (got: $(cat "$tmp/seconds2"))" \
	test "$(cat "$tmp/seconds2")" = "60 120 200 200 "
"$af" status -c "$tmp/a.conf" --json >"$tmp/status.json"
check "status: 192.0.2.40 banned 4 times, last for 200 s" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
b = [x for x in d["bans"] if x["addr"] == "192.0.2.40"]
sys.exit(not (len(b) == 1 and b[0]["times_banned"] == 4 and b[0]["last_ban_seconds"] == 200 and b[0]["in_kernel"]))
' "$tmp/status.json"
finish

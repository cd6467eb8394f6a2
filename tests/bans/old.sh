#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/bans/old.sh - replay --ban of old logs: the recording with every
# timestamp moved so that it ends 3 days before now. bantime 1d: every ban is over on the wall
# clock, so nothing reaches the kernel and each ban event says
# "applied_seconds":0. bantime 4d: every ban is still running with about 1d
# left (ts + 4d - now, within 2 s).

. "${top_srcdir:-.}/tests/bans/lib.sh"

recording_aged "$tmp/old.log" $((3 * 86400))
conf "$tmp/d1.conf" "bantime = 1d"
conf "$tmp/d4.conf" "bantime = 4d"

"$af" replay -c "$tmp/d1.conf" --ban --events "$tmp/d1.events" "$tmp/old.log" >/dev/null 2>"$tmp/d1.err"
check "replay --ban of 3-day-old logs (bantime 1d) exits 0" test $? = 0
# four: the forger's second SASL failure asks for an unoffered mechanism (badmech, off)
check "four ban events" test "$(grep -c '"event":"ban"' "$tmp/d1.events")" = 4
check "all four say applied_seconds 0" test "$(grep -c '"applied_seconds":0' "$tmp/d1.events")" = 4
check "authfold4 is empty" test -z "$(members authfold4)"
check "authfold6 is empty" test -z "$(members authfold6)"
check "the report says 4 already over" grep -q "already over: 4" "$tmp/d1.err"

"$af" replay -c "$tmp/d4.conf" --ban --events "$tmp/d4.events" "$tmp/old.log" >/dev/null 2>"$tmp/d4.err"
check "replay --ban of 3-day-old logs (bantime 4d) exits 0" test $? = 0
check "three IPv4 entries and one /64" test "$(members authfold4 | wc -l) $(members authfold6 | wc -l)" = "3 1"
python3 - "$tmp/d4.events" >"$tmp/d4.timeouts" <<'PY'
import datetime, json, sys, time
now = time.time()
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["event"] == "ban":
        left = datetime.datetime.fromisoformat(e["ts"]).timestamp() + e["seconds"] - now
        print(e["set"], e["addr"] if e["prefix"] == 32 else f'{e["addr"]}/{e["prefix"]}', round(left))
PY
while read -r set addr secs; do
	check "$addr: ~1d left (${secs}s)" sh -c "[ $secs -gt 80000 ] && [ $secs -le 86400 ]"
	check "$addr: kernel timeout ${secs}s within 2 s" expect_timeout "$set" "$addr" "$secs"
done <"$tmp/d4.timeouts"
finish

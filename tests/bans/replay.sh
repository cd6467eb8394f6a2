#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/bans/replay.sh - authfold replay --ban of the real recording with
# backend = ipset, in a private network namespace: exactly the clients that
# tests/data/clients.tsv says reach maxretry (2) are in authfold4/authfold6
# (IPv6 as its /64), each with the kernel timeout the events log's ban line
# implies on the wall clock (ts + seconds - now, within 2 s; the recording is
# from 2026-11-26T19:27Z, so a 1d ban may still be running or already over).
# A second configuration with ignoreip covering 192.0.2.10 never adds it.

. "${top_srcdir:-.}/tests/bans/lib.sh"

log=$tmp/recent.log
recording_aged "$log" 60	# its 1d bans run whenever the test runs
conf "$tmp/a.conf"
conf "$tmp/b.conf" "ignoreip = 127.0.0.0/8 ::1 192.0.2.10/32"

# What clients.tsv expects: strikes per key (IPv4 /32, IPv6 /64) >= maxretry.
python3 - "$data/clients.tsv" >"$tmp/expected" <<'PY'
import ipaddress, sys
keys = {}
for line in open(sys.argv[1]):
    f = line.rstrip("\n").split("\t")
    if f[0] == "client" or len(f) < 3 or not f[2].isdigit():
        continue
    a = ipaddress.ip_address(f[1])
    k = str(a) + "/32" if a.version == 4 else str(ipaddress.ip_network(f"{a}/64", strict=False))
    keys[k] = keys.get(k, 0) + int(f[2])
for k in sorted(k for k, v in keys.items() if v >= 2):
    print(k)
PY

# The kernel timeout each ban should have now, from the events log.
expected_timeouts() {	# EVENTS -> "SET ADDR SECONDS" for the bans still running
	python3 - "$1" <<'PY'
import json, sys, time, datetime
now = time.time()
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["event"] != "ban":
        continue
    ts = datetime.datetime.fromisoformat(e["ts"]).timestamp()
    left = ts + e["seconds"] - now
    addr = e["addr"] if e["prefix"] == 32 else f'{e["addr"]}/{e["prefix"]}'
    if left > 0:
        print(e["set"], addr, round(left))
PY
}

"$af" replay -c "$tmp/a.conf" --ban --events "$tmp/a.events" "$log" >/dev/null 2>"$tmp/a.err"
check "replay --ban exits 0" test $? = 0
{ members authfold4 | awk '{ print $1 "/32" }'; members authfold6 | awk '{ print $1 }'; } | sort >"$tmp/got"
check "the sets hold exactly the expected bans ($(tr '\n' ' ' <"$tmp/got"))" cmp -s "$tmp/expected" "$tmp/got"
# four: the forger's second SASL failure asks for an unoffered mechanism (badmech, off)
check "four ban events" test "$(grep -c '"event":"ban"' "$tmp/a.events")" = 4
expected_timeouts "$tmp/a.events" >"$tmp/a.timeouts"
while read -r set addr secs; do
	check "$addr: kernel timeout ~${secs}s (ban end on the wall clock)" expect_timeout "$set" "$addr" "$secs"
done <"$tmp/a.timeouts"
# a ban already over when the replay ran would have applied_seconds 0 and no entry
over=$(grep '"event":"ban"' "$tmp/a.events" | grep -c '"applied_seconds":0')
check "every ban still running is in the kernel ($(wc -l <"$tmp/a.timeouts") running, $over over)" \
	test $(($(wc -l <"$tmp/a.timeouts") + over)) = 4

# ignoreip
ipset flush authfold4
ipset flush authfold6
"$af" replay -c "$tmp/b.conf" --ban --events "$tmp/b.events" "$log" >/dev/null 2>"$tmp/b.err"
check "replay --ban with ignoreip exits 0" test $? = 0
check "192.0.2.10 (ignoreip) is not in authfold4" sh -c "! ipset test authfold4 192.0.2.10 2>/dev/null"
check "no ban event for 192.0.2.10" sh -c "! grep '\"event\":\"ban\"' '$tmp/b.events' | grep -q '\"192.0.2.10\"'"
check "the other bans are there (192.0.2.11)" ipset -q test authfold4 192.0.2.11
check "the /64 is there" ipset -q test authfold6 2001:db8::/64
finish

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/bans/unban.sh - authfold status and authfold unban against a state
# file written by a daemon run (tests/bans/bans_check feed of the real
# recording, timestamps moved to end a minute ago so the bans are running):
# - status shows the four bans (table and --json), the three addresses with
#   one strike (the forger's second SASL failure is badmech, off), kernel entries that no state file knows (added here by
#   hand), never creates a missing set, and works without root (the kernel
#   part becomes a note);
# - unban with no daemon running: the kernel entry and the history go,
#   through the lock; a bare IPv6 address unbans its /64;
# - unban while a daemon runs (bans_check daemon holds STATE_DIR/lock and
#   calls bans_take_requests() every 20 ms): the request goes through it
#   and the daemon's own state, saved at its exit, has forgotten it;
# - a request left while a lock holder does not take it (flock(1)) is taken
#   by the next daemon start; bad request names are rejected and deleted.

. "${top_srcdir:-.}/tests/bans/lib.sh"

conf "$tmp/a.conf"
st=$tmp/state/omprog.state
recording_aged "$tmp/recent.log" 60
"$bc" feed "$tmp/a.conf" "$st" - "$tmp/recent.log"
check "a daemon run wrote the state" test -s "$st"

"$af" status -c "$tmp/a.conf" >"$tmp/s1.txt"
check "status exits 0" test $? = 0
sed 's/^/# /' "$tmp/s1.txt"
check "status lists the four bans, each in the kernel" \
	test "$(grep -cE '^(192.0.2.10/32|192.0.2.11/32|2001:db8::/64|198.51.100.21/32) .* yes ' "$tmp/s1.txt")" = 4
check "status lists 192.0.2.13 and 192.0.2.14 with one strike, 203.0.113.30 with one saslfail" \
	test "$(grep -cE '^(192.0.2.1[34]/32 +1 noauth|203.0.113.30/32 +1 saslfail)' "$tmp/s1.txt")" = 3
"$af" status -c "$tmp/a.conf" --json >"$tmp/s1.json"
check "status --json is one JSON document with 4 bans and 3 strikes" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
ok = len(d["bans"]) == 4 and len(d["strikes"]) == 3 and d["kernel"]["checked"] and all(b["in_kernel"] for b in d["bans"])
ok = ok and all(85000 < b["remaining"] <= 86400 and abs(b["kernel_timeout"] - b["remaining"]) <= 2 for b in d["bans"])
sys.exit(not ok)' "$tmp/s1.json"
# kernel entries that no state file knows: listed apart, with their timeouts
ipset add authfold4 198.51.100.77 timeout 500
ipset add authfold6 2001:db8:77::/64 timeout 600
"$af" status -c "$tmp/a.conf" >"$tmp/k.txt"
sed 's/^/# /' "$tmp/k.txt"
check "status lists the two entries no state knows, apart from the bans" sh -c "
	sed -n '/^In the kernel sets, in no state file/,/^\$/p' '$tmp/k.txt' >'$tmp/k.only'
	test \$(grep -cE '^(198.51.100.77/32 +(49[0-9]|500)s +authfold4|2001:db8:77::/64 +(59[0-9]|600)s +authfold6)\$' '$tmp/k.only') = 2 &&
	test \$(grep -c '/' '$tmp/k.only') = 2"
"$af" status -c "$tmp/a.conf" --json >"$tmp/k.json"
check "...and in --json as kernel_only" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
k = sorted((e["addr"], e["prefix"], e["set"]) for e in d["kernel_only"])
sys.exit(not (k == [("198.51.100.77", 32, "authfold4"), ("2001:db8:77::", 64, "authfold6")]
              and all(400 < e["kernel_timeout"] <= 600 for e in d["kernel_only"]) and len(d["bans"]) == 4))' "$tmp/k.json"
ipset del authfold4 198.51.100.77
ipset del authfold6 2001:db8:77::/64
# status never creates a set
conf "$tmp/other.conf" "ipset4 = authfold_other4" "ipset6 = authfold_other6"
"$af" status -c "$tmp/other.conf" >"$tmp/o.txt" 2>&1
check "status with sets that do not exist exits 0 and says so" \
	sh -c "grep -q '^note: kernel sets not read: ' '$tmp/o.txt' && test \$(grep -c ' ? *omprog.state' '$tmp/o.txt') = 4"
check "...and creates neither set" sh -c "! ipset list -n | grep -q authfold_other"

# without root: a readable copy of the state, a user without capabilities
mkdir -m 0755 "$tmp/pub" && cp "$st" "$tmp/pub/" && chmod 0644 "$tmp/pub/omprog.state" && chmod 0755 "$tmp"
sed "s|^state_dir = .*|state_dir = $tmp/pub|" "$tmp/a.conf" >"$tmp/pub.conf" && chmod 0644 "$tmp/pub.conf"
if command -v setpriv >/dev/null 2>&1; then
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$af" status -c "$tmp/pub.conf" >"$tmp/s2.txt" 2>&1
	check "status without root exits 0" test $? = 0
	check "...shows the bans from the state" test "$(grep -c ' ? *omprog.state' "$tmp/s2.txt")" = 4
	check "...and says the kernel was not read" grep -q "^note: kernel sets not read" "$tmp/s2.txt"
fi

# unban, no daemon
"$af" unban -c "$tmp/a.conf" 192.0.2.10 2>"$tmp/u1.err"
check "unban 192.0.2.10 exits 0 ($(cat "$tmp/u1.err"))" test $? = 0
check "...it is out of authfold4" sh -c '! ipset -q test authfold4 192.0.2.10'
check "...and out of the state" sh -c "! grep -q '^addr 192.0.2.10 ' '$st'"
check "...the others stay" sh -c "grep -q '^addr 192.0.2.11 ' '$st' && ipset -q test authfold4 192.0.2.11"
"$af" unban -c "$tmp/a.conf" 2001:db8::7 2>/dev/null
check "unban 2001:db8::7 removes 2001:db8::/64 (kernel and state)" \
	sh -c "! ipset -q test authfold6 2001:db8::/64 && ! grep -q '^addr 2001:db8:: ' '$st'"
"$af" unban -c "$tmp/a.conf" 192.0.2.0/24 2>"$tmp/u2.err"
check "unban 192.0.2.0/24 forgets every entry inside ($(cat "$tmp/u2.err"))" \
	sh -c "! grep -q '^addr 192.0.2.' '$st' && ! ipset -q test authfold4 192.0.2.11 && grep -q '^addr 198.51.100.21 ' '$st'"
"$af" unban -c "$tmp/a.conf" not-an-address 2>/dev/null
check "unban of a bad address is a usage error (2)" test $? = 2

# unban through a running daemon
mkfifo "$tmp/ready"
"$bc" daemon "$tmp/a.conf" "$st" "$tmp/stop" >"$tmp/ready" &
lib_pids=$!
read -r line <"$tmp/ready"
check "the daemon holds the lock" sh -c "! flock -n '$tmp/state/lock' true"
"$af" unban -c "$tmp/a.conf" 198.51.100.21 2>"$tmp/u3.err"
check "unban while the daemon runs exits 0" test $? = 0
check "...done by the running daemon" grep -q "done by the running daemon" "$tmp/u3.err"
check "...it is out of authfold4 at once" sh -c '! ipset -q test authfold4 198.51.100.21'
check "...the request is gone" test -z "$(ls "$tmp/state/unban.d")"
touch "$tmp/stop"
wait $lib_pids
lib_pids=
check "the daemon's own save has forgotten 198.51.100.21" sh -c "! grep -q '^addr 198.51.100.21 ' '$st'"
check "...and kept 203.0.113.30" grep -q '^addr 203.0.113.30 ' "$st"

# a lock holder that does not take requests; then the next daemon start does
flock "$tmp/state/lock" sleep 3 &
lib_pids=$!
sleep 0.2
"$af" unban -c "$tmp/a.conf" --wait 1 203.0.113.30 2>"$tmp/u4.err"
check "unban with a busy lock leaves a request ($(cat "$tmp/u4.err"))" test -e "$tmp/state/unban.d/203.0.113.30-32"
: >"$tmp/state/unban.d/garbage"
: >"$tmp/state/unban.d/192.0.2.300-32"
wait $lib_pids
lib_pids=
"$bc" take "$tmp/a.conf" "$st" >"$tmp/take.out"
check "the next daemon takes it: $(cat "$tmp/take.out")" grep -qx "taken 1 forgotten 1 rejected 2" "$tmp/take.out"
check "...203.0.113.30 is forgotten" sh -c "! grep -q '^addr 203.0.113.30 ' '$st'"
check "...and unban.d is empty" test -z "$(ls -A "$tmp/state/unban.d")"
"$af" status -c "$tmp/a.conf" >"$tmp/s3.txt"
check "status: no running bans left" grep -q "^No running bans" "$tmp/s3.txt"
finish

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/enforce/unban.sh - `authfold unban` run on an MX lifts the central
# bans authfold-enforce holds there, in a private network namespace with
# real ipsets (tests/bans/lib.sh):
#
# - a running authfold-enforce, fed central bans on its stdin as rsyslog's
#   omprog does (confirmMessages: one OK per line), puts them into the sets;
# - `authfold unban 192.0.2.7` removes the kernel entry, the enforcer takes
#   the request within a second (unban waits for it and says so); after
#   more ticks the entry is still gone (no kernel retry puts it back), the
#   other central ban stays, enforce.log holds the local unban, and
#   `authfold status` (table and --json) shows the ban as lifted;
# - a request whose kernel entry is still there (made by an unban with
#   backend = none, which leaves the kernel alone) is removed from the
#   kernel by the enforcer that put it there (an IPv6 /64 from a bare
#   address);
# - the lifted ban delivered again, and an older central ban of the
#   address, change nothing;
# - after a "reboot" (enforcer ended, sets destroyed) `authfold-enforce
#   --restore` puts the held ban back and not the lifted ones;
# - with no enforcer running, unban leaves the request; status shows the
#   ban as lifted with a note; --restore takes it and does not restore it;
# - a central ban decided after the unban bans again (kernel and status).

. "${top_srcdir:-.}/tests/bans/lib.sh"

enf=$top_builddir/authfold-enforce
[ -x "$enf" ] || { echo "FAIL: $enf is not built"; exit 1; }

by=central.example.org
conf "$tmp/a.conf" "enforce_from = $by"
# the same MX with backend = none: an unban that leaves the kernel alone
conf "$tmp/none.conf" "enforce_from = $by" "backend = none"

dec() {	# dec ID OP NET AT UNTIL
	reason=noauth
	[ "$2" = unban ] && reason=admin
	echo " authfold-decision v1 id=$1 op=$2 net=$3 at=$4 until=$5 reason=$reason by=$by"
}
replies() {	# replies N: wait (up to 10 s) until the enforcer has answered N lines
	i=0
	while [ "$(grep -c '^OK$' "$tmp/out" 2>/dev/null)" -lt "$1" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ "$(grep -c '^OK$' "$tmp/out")" -ge "$1" ]
}
in_set() {	# in_set SET ENTRY
	ipset test "$1" "$2" >/dev/null 2>&1
}
json() {	# json PYTHON-EXPRESSION-ON-c: true when it holds for status --json's "central"
	"$af" status -c "$tmp/a.conf" --json >"$tmp/status.json" 2>/dev/null
	python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))["central"]
sys.exit(0 if eval("(" + sys.argv[2] + ")") else 1)' "$tmp/status.json" "$1"
}
json_soon() {	# json_soon EXPR: json EXPR holds within 5 s (the counters are saved by the next tick, every 1 s)
	i=0
	until json "$1"; do
		[ $i -lt 50 ] || return 1
		sleep 0.1
		i=$((i + 1))
	done
}
lifted() {	# the lifted networks, sorted, as "ADDR/PREFIX ..."
	"$af" status -c "$tmp/a.conf" --json 2>/dev/null | python3 -c '
import json, sys
print(" ".join(sorted("%s/%d" % (b["addr"], b["prefix"]) for b in json.load(sys.stdin)["central"]["lifted"])))'
}

# --- a running enforcer ----------------------------------------------------
now=$(date +%s)
mkfifo "$tmp/in"
"$enf" -c "$tmp/a.conf" <"$tmp/in" >"$tmp/out" 2>"$tmp/enforce.err" &
pid=$!
lib_pids=$pid
exec 3>"$tmp/in"
dec 00000000000000a1 ban 192.0.2.7/32 $((now - 60)) $((now + 3600)) >&3
dec 00000000000000a2 ban 192.0.2.8/32 $((now - 60)) $((now + 3600)) >&3
dec 00000000000000a3 ban 2001:db8:1::/64 $((now - 60)) $((now + 3600)) >&3
check "the enforcer answers OK, then one OK per decision" replies 4
check "the central bans are in the kernel" sh -c "ipset test authfold4 192.0.2.7 && ipset test authfold4 192.0.2.8 &&
	ipset test authfold6 2001:db8:1::" 2>/dev/null

"$af" unban -c "$tmp/a.conf" 192.0.2.7 2>"$tmp/unban.err"
rc=$?
sed 's/^/# unban: /' "$tmp/unban.err"
check "authfold unban 192.0.2.7 exits 0 (is $rc)" [ "$rc" = 0 ]
check "...and says the running authfold-enforce lifted it" grep -q 'lifted by the running authfold-enforce' "$tmp/unban.err"
check "...the request was taken" [ -z "$(ls -A "$tmp/state/enforce-unban.d")" ]
sleep 2.5	# two ticks and more: a kernel retry or restore would be back by now
check "192.0.2.7 stays out of the kernel after the enforcer's ticks" sh -c "! ipset test authfold4 192.0.2.7 2>/dev/null"
check "the other central bans stay" sh -c "ipset test authfold4 192.0.2.8 && ipset test authfold6 2001:db8:1::" 2>/dev/null
check "the enforcer logs the local unban" grep -q 'local unban of 192.0.2.7/32 (uid 0.*): 1 central ban lifted' "$tmp/enforce.err"
check "enforce.log holds it as a local unban" \
	grep -q "^[0-9]* local authfold-decision v1 id=[0-9a-f]* op=unban net=192.0.2.7/32 at=[0-9]* until=0 reason=admin by=" \
	"$tmp/state/enforce.log"
check "status --json: 192.0.2.7 is lifted, not a running central ban" \
	json '[(b["addr"], b["id"]) for b in c["lifted"]] == [("192.0.2.7", "00000000000000a1")] and
	"192.0.2.7" not in [b["addr"] for b in c["bans"]] and c["lifted"][0]["until"] and c["lifted"][0]["lifted"]'
"$af" status -c "$tmp/a.conf" >"$tmp/status.txt" 2>&1
check "status' table lists it under 'lifted here'" sh -c "
	sed -n '/lifted here/,\$p' '$tmp/status.txt' | grep -q '192.0.2.7/32 .* central:$by  00000000000000a1 / lifted '"

# an unban that leaves the kernel alone (backend = none): the enforcer
# removes the entry it put there; a bare IPv6 address means its /64
"$af" unban -c "$tmp/none.conf" 2001:db8:1::5 2>"$tmp/unban6.err"
rc=$?
sed 's/^/# unban: /' "$tmp/unban6.err"
check "authfold unban 2001:db8:1::5 (backend = none) exits 0 (is $rc)" [ "$rc" = 0 ]
check "...and the enforcer took 2001:db8:1::/64 out of the kernel" sh -c "! ipset test authfold6 2001:db8:1:: 2>/dev/null"
check "status --json: both lifted" [ "$(lifted)" = "192.0.2.7/32 2001:db8:1::/64" ]

# late and repeated deliveries change nothing
dec 00000000000000a1 ban 192.0.2.7/32 $((now - 60)) $((now + 3600)) >&3
dec 00000000000000b1 ban 192.0.2.7/32 $((now - 30)) $((now + 7200)) >&3
dec 00000000000000a3 ban 2001:db8:1::/64 $((now - 60)) $((now + 3600)) >&3
check "the enforcer answers the late deliveries" replies 7
sleep 1.2
check "neither the lifted ban again nor an older one puts 192.0.2.7 back" sh -c "! ipset test authfold4 192.0.2.7 2>/dev/null"
check "nor 2001:db8:1::/64" sh -c "! ipset test authfold6 2001:db8:1:: 2>/dev/null"
check "status --json counts them duplicate 2, stale 1" \
	json_soon 'c["counters"]["duplicate"] == 2 and c["counters"]["stale"] == 1'

exec 3>&-
wait "$pid"
rc=$?
lib_pids=
check "the enforcer ends at EOF (exit $rc)" [ "$rc" = 0 ]

# --- a reboot ---------------------------------------------------------------------
ipset destroy
"$enf" -c "$tmp/a.conf" --restore 2>"$tmp/restore.err"
rc=$?
sed 's/^/# restore: /' "$tmp/restore.err"
check "--restore after a reboot exits 0 (is $rc)" [ "$rc" = 0 ]
check "...puts the held central ban back" in_set authfold4 192.0.2.8
check "...and not the lifted ones" sh -c "! ipset test authfold4 192.0.2.7 2>/dev/null && ! ipset test authfold6 2001:db8:1:: 2>/dev/null"

# --- no enforcer running: the request waits for the next one -----------------------
"$af" unban -c "$tmp/a.conf" 192.0.2.8 2>"$tmp/unban8.err"
rc=$?
sed 's/^/# unban: /' "$tmp/unban8.err"
check "authfold unban 192.0.2.8 with no enforcer exits 0 (is $rc)" [ "$rc" = 0 ]
check "...says the request waits for authfold-enforce" grep -q "waits for it" "$tmp/unban8.err"
check "...and leaves it" [ -f "$tmp/state/enforce-unban.d/192.0.2.8-32" ]
check "...the kernel entry is gone at once" sh -c "! ipset test authfold4 192.0.2.8 2>/dev/null"
check "status shows 192.0.2.8 lifted, with a note that the request waits" \
	json '"192.0.2.8" in [b["addr"] for b in c["lifted"]] and not c["bans"] and
	any("wait" in n for n in c["notes"])'
ipset destroy
"$enf" -c "$tmp/a.conf" --restore 2>"$tmp/restore2.err"
rc=$?
sed 's/^/# restore: /' "$tmp/restore2.err"
check "--restore takes the waiting request (exit $rc)" sh -c "[ $rc = 0 ] && [ -z \"\$(ls -A '$tmp/state/enforce-unban.d')\" ]"
check "...and puts nothing back" sh -c "! ipset test authfold4 192.0.2.8 2>/dev/null && ! ipset test authfold4 192.0.2.7 2>/dev/null"
check "...and says what it lifted" grep -q 'local unban of 192.0.2.8/32 (uid 0.*): 1 central ban lifted' "$tmp/restore2.err"
check "a second --restore still puts back none of them" sh -c "
	'$enf' -c '$tmp/a.conf' --restore 2>/dev/null; ! ipset test authfold4 192.0.2.8 2>/dev/null &&
	! ipset test authfold4 192.0.2.7 2>/dev/null && ! ipset test authfold6 2001:db8:1:: 2>/dev/null"

# --- the central host decides anew ------------------------------------------------
later=$(($(date +%s) + 2))
dec 00000000000000c1 ban 192.0.2.7/32 "$later" $((later + 600)) | "$enf" -c "$tmp/a.conf" --no-confirm 2>>"$tmp/enforce.err"
rc=$?
check "a central ban decided after the unban is taken (exit $rc)" [ "$rc" = 0 ]
check "...and 192.0.2.7 is in the kernel again" in_set authfold4 192.0.2.7
check "...status shows it running again, no longer lifted" \
	json '[b["id"] for b in c["bans"]] == ["00000000000000c1"] and
	sorted(b["addr"] for b in c["lifted"]) == ["192.0.2.8", "2001:db8:1::"]'
"$af" status -c "$tmp/a.conf" >"$tmp/status2.txt" 2>&1
sed -n '/Central decisions/,$p' "$tmp/status2.txt" | sed 's/^/# /'

finish

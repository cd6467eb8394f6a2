#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/enforce/unban-time.sh - issue 23, finding 4: a central unban
# reaches the MX's own authfold daemon (authfold-omprog, the same
# state_dir) with its time, and removes only what was banned before it.
# Real ipsets in a private network namespace (tests/bans/lib.sh).
#
# 1. authfold-omprog bans 192.0.2.50 and 192.0.2.51 itself (two AUTH probes
#    each) and stops.
# 2. authfold-enforce applies a central unban of 192.0.2.50 (at=now+1):
#    the kernel entry goes at once; a request carrying at= and "kernel
#    done" waits in state_dir/unban.d. Then a central ban of 192.0.2.50
#    decided after the unban (at=now+2): in the kernel again.
# 3. authfold-omprog starts again and takes the request before it
#    restores: it forgets its own ban of 192.0.2.50 (its state no longer
#    has it) and leaves the kernel alone: the later central ban stays (the
#    enforcer still holds it, and so does the kernel), and its own
#    192.0.2.51 is restored as before.

. "${top_srcdir:-.}/tests/bans/lib.sh"

enf=$top_builddir/authfold-enforce
omprog=$top_builddir/authfold-omprog
[ -x "$enf" ] && [ -x "$omprog" ] || { echo "FAIL: $enf or $omprog is not built"; exit 1; }
by=central.example.org
conf "$tmp/a.conf" "enforce_from = $by" "summary_log = $tmp/summary.log"
in_set() { ipset -q test authfold4 "$1"; }
dec() {	# dec ID OP NET AT UNTIL
	reason=noauth
	[ "$2" = unban ] && reason=admin
	echo " authfold-decision v1 id=$1 op=$2 net=$3 at=$4 until=$5 reason=$reason by=$by"
}

now=$(date +%s)
{
	noauth_session $((now - 30)) 101 192.0.2.50
	noauth_session $((now - 20)) 102 192.0.2.50
	noauth_session $((now - 30)) 103 192.0.2.51
	noauth_session $((now - 20)) 104 192.0.2.51
} >"$tmp/probes.log"
"$omprog" -c "$tmp/a.conf" <"$tmp/probes.log" >/dev/null 2>"$tmp/o1.err"
rc=$?
sed 's/^/# omprog: /' "$tmp/o1.err"
check "authfold-omprog bans 192.0.2.50 and 192.0.2.51 itself (exit $rc)" sh -c "[ $rc = 0 ] && ipset -q test authfold4 192.0.2.50 &&
	ipset -q test authfold4 192.0.2.51"
check "...and keeps them in its state" sh -c "grep -q '^addr 192.0.2.50 ' '$tmp/state/omprog.state' &&
	grep -q '^addr 192.0.2.51 ' '$tmp/state/omprog.state'"

dec 00000000000000b1 unban 192.0.2.50/32 $((now + 1)) 0 | "$enf" -c "$tmp/a.conf" --no-confirm 2>"$tmp/e.err"
rc=$?
check "the enforcer takes the central unban (exit $rc)" [ "$rc" = 0 ]
check "...192.0.2.50 left the kernel at once" sh -c '! ipset -q test authfold4 192.0.2.50'
dec 00000000000000a1 ban 192.0.2.50/32 $((now + 2)) $((now + 3600)) | "$enf" -c "$tmp/a.conf" --no-confirm 2>>"$tmp/e.err"
rc=$?
sed 's/^/# enforce: /' "$tmp/e.err"
check "...and a central ban decided after it (exit $rc)" [ "$rc" = 0 ]
check "...the request for the daemon carries the unban's at= and says the kernel is done" sh -c "
	grep -qx 'at $((now + 1))' '$tmp/state/unban.d/192.0.2.50-32' && grep -qx 'kernel done' '$tmp/state/unban.d/192.0.2.50-32'"
check "...192.0.2.50 is in the kernel (the later central ban)" in_set 192.0.2.50

: >"$tmp/empty.log"
"$omprog" -c "$tmp/a.conf" <"$tmp/empty.log" >/dev/null 2>"$tmp/o2.err"
rc=$?
sed 's/^/# omprog: /' "$tmp/o2.err"
check "authfold-omprog starts again and takes the request (exit $rc)" sh -c "[ $rc = 0 ] && [ -z \"\$(ls -A '$tmp/state/unban.d')\" ]"
check "...it forgot its own ban of 192.0.2.50" sh -c "! grep -q '^addr 192.0.2.50 ' '$tmp/state/omprog.state'"
check "...and kept 192.0.2.51" grep -q '^addr 192.0.2.51 ' "$tmp/state/omprog.state"
check "the later central ban of 192.0.2.50 stays in the kernel" in_set 192.0.2.50
check "...and 192.0.2.51 too" in_set 192.0.2.51
"$af" status -c "$tmp/a.conf" --json >"$tmp/status.json" 2>/dev/null
check "status: the enforcer holds the central ban of 192.0.2.50" python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))["central"]
sys.exit(0 if [b["id"] for b in c["bans"]] == ["00000000000000a1"] else 1)' "$tmp/status.json"
finish

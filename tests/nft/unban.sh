#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/nft/unban.sh - authfold status and authfold unban with backend = nft:
# the KERNEL column and kernel_timeout, an element no state file knows
# (kernel_only), unban without a daemon (the state file and the kernel), unban
# through a running daemon (unban.d), and status when the table is gone (a
# note; status never creates the table).

. "${top_srcdir:-.}/tests/nft/lib.sh"

conf "$tmp/a.conf" "bantime = 1h" "summary_log = $tmp/summary.log"
now=$(date +%s)
{
	noauth_session "$now" 401 192.0.2.90; noauth_session "$now" 402 192.0.2.90
	noauth_session "$now" 403 2001:db8:9::5; noauth_session "$now" 404 2001:db8:9::5
} >"$tmp/probes.log"
"$omprog" -c "$tmp/a.conf" <"$tmp/probes.log" >/dev/null 2>"$tmp/err" || { cat "$tmp/err"; exit 1; }
nft add element inet authfold banned4 '{ 203.0.113.9 timeout 2h }'

"$af" status -c "$tmp/a.conf" >"$tmp/st1" 2>&1
sed 's/^/# /' "$tmp/st1"
check "status: 192.0.2.90/32 is in the kernel with about an hour" sh -c "grep '^192.0.2.90/32 ' '$tmp/st1' | grep -Eq ' yes (3600|35[0-9]{2})s '"
check "status: 2001:db8:9::/64 is in the kernel" sh -c "grep '^2001:db8:9::/64 ' '$tmp/st1' | grep -q ' yes '"
check "status: 203.0.113.9/32 is listed as in no state file, set banned4" sh -c "grep -A3 'in no state file' '$tmp/st1' | grep -Eq '^203.0.113.9/32 +7[0-9]{3}s +banned4'"
"$af" status -c "$tmp/a.conf" --json >"$tmp/st1.json" 2>&1
check "status --json: kernel checked, backend nft, table authfold" python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
k = d['kernel']
assert k['checked'] is True and k['backend'] == 'nft' and k['table'] == 'authfold' and k['set4'] == 'banned4', k
b = {x['addr']: x for x in d['bans']}
assert b['192.0.2.90']['in_kernel'] is True and 3500 < b['192.0.2.90']['kernel_timeout'] <= 3600, b
assert b['2001:db8:9::']['in_kernel'] is True, b
ko = d['kernel_only']
assert [x['addr'] for x in ko] == ['203.0.113.9'] and ko[0]['set'] == 'banned4', ko
" "$tmp/st1.json"

check "unban 192.0.2.90 without a daemon" sh -c "'$af' unban -c '$tmp/a.conf' 192.0.2.90 2>'$tmp/u1'"
check "... removed from banned4" sh -c "! nft list set inet authfold banned4 | grep -q '192.0.2.90 '"
check "... and forgotten in the state file" grep -q "1 entry forgotten in 1 state file" "$tmp/u1"
check "unban of the kernel-only 203.0.113.9 removes it" sh -c "'$af' unban -c '$tmp/a.conf' 203.0.113.9 2>/dev/null && ! nft list set inet authfold banned4 | grep -q '203.0.113.9 '"

mkfifo "$tmp/in"
"$omprog" -c "$tmp/a.conf" <"$tmp/in" >"$tmp/out2" 2>"$tmp/err2" &
lib_pids=$!
exec 3>"$tmp/in"
# ready (it holds the lock) once it said OK to rsyslog
check "a daemon runs" wait_for 10 grep -qx OK "$tmp/out2"
check "unban 2001:db8:9::77 (its /64) through the running daemon" sh -c "'$af' unban -c '$tmp/a.conf' 2001:db8:9::77 2>'$tmp/u2' && grep -q 'done by the running daemon' '$tmp/u2' || { sed 's/^/# /' '$tmp/u2' '$tmp/err2'; false; }"
check "... 2001:db8:9::/64 is gone from banned6" sh -c "! nft list set inet authfold banned6 | grep -q '2001:db8:9:: '"
exec 3>&-
wait $lib_pids
lib_pids=
"$af" status -c "$tmp/a.conf" >"$tmp/st2" 2>&1
check "status: no running bans are left" grep -q "No running bans." "$tmp/st2"

nft flush ruleset
"$af" status -c "$tmp/a.conf" >"$tmp/st3" 2>&1
check "status without the table: a note" grep -q "note: kernel sets not read: nft table 'inet authfold'" "$tmp/st3"
check "... and it did not create the table" sh -c '! nft list table inet authfold >/dev/null 2>&1'
finish

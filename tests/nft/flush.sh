#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/nft/flush.sh - an admin's `nft flush ruleset` (what Debian's
# nftables.service does at reload) or `nft delete table` while
# authfold-omprog runs with backend = nft: the daemon notices within a few
# seconds while idle, or at the next ban, makes the table again and puts the
# running bans back with their remaining time, and says so in its log.

. "${top_srcdir:-.}/tests/nft/lib.sh"

conf "$tmp/a.conf" "bantime = 1h" "summary_log = $tmp/summary.log"
mkfifo "$tmp/in"
"$omprog" -c "$tmp/a.conf" <"$tmp/in" >"$tmp/out" 2>"$tmp/err" &
lib_pids=$!
exec 3>"$tmp/in"
now=$(date +%s)
{
	noauth_session "$now" 201 192.0.2.70; noauth_session "$now" 202 192.0.2.70
	noauth_session "$now" 203 2001:db8:5::7; noauth_session "$now" 204 2001:db8:5::7
} >&3
check "the daemon bans 192.0.2.70" wait_for 5 is_member banned4 192.0.2.70
check "... and 2001:db8:5::/64" wait_for 5 is_member banned6 2001:db8:5::
nft add table inet admin
nft add chain inet admin input '{ type filter hook input priority 0; policy accept; }'

sleep 2	# so that the put-back bans have visibly less time left
# the daemon stopped for the look, or its next tick (250 ms) may already
# have made the table again
kill -STOP $lib_pids
nft flush ruleset
check "nft flush ruleset removed the table" sh -c '! nft list table inet authfold >/dev/null 2>&1'
kill -CONT $lib_pids
t0=$(date +%s)
wait_for 5 nft list table inet authfold
t1=$(date +%s)
check "idle, the daemon made the table again within 5 s ($((t1 - t0)) s)" test $((t1 - t0)) -le 5
check "... with 192.0.2.70" wait_for 2 is_member banned4 192.0.2.70
check "... and 2001:db8:5::/64" is_member banned6 2001:db8:5::
check "... for what was left of the hour" expect_timeout banned4 192.0.2.70 $((3600 - ($(date +%s) - now)))
check "... and the chain with its two rules" test "$(nft list chain inet authfold input | grep -c ' drop$')" = 2
check "the daemon's log says so" wait_for 2 grep -q "nft table 'inet authfold' was gone or incomplete" "$tmp/err"
check "... and how many bans it put back" grep -q "2 running bans put back into the kernel" "$tmp/err"

# at the next ban: delete the table and ban at once
nft delete table inet authfold
now=$(date +%s)
{ noauth_session "$now" 205 198.51.100.8; noauth_session "$now" 206 198.51.100.8; } >&3
check "after nft delete table, the next ban remakes the table and lands" wait_for 5 is_member banned4 198.51.100.8
check "... and the earlier bans come back" wait_for 5 is_member banned4 192.0.2.70
check "... 2001:db8:5::/64 too" is_member banned6 2001:db8:5::
check "the admin's own table was not touched by authfold" sh -c '! nft list table inet admin >/dev/null 2>&1'

sed 's/^/# daemon: /' "$tmp/err"
exec 3>&-
wait $lib_pids
st=$?
lib_pids=
check "the daemon ended cleanly ($st)" test "$st" = 0
finish

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/nft/journal.sh - `authfold journal` (the systemd unit's daemon) with
# backend = nft: it bans from journal entries (a journal directory written by
# systemd-journal-remote), notices an admin's `nft flush ruleset` within a
# few seconds while idle, makes its table again with the running bans, logs
# it, and stops cleanly on SIGTERM. Skips (77) without systemd-journal-remote.

. "${top_srcdir:-.}/tests/nft/lib.sh"

REMOTE=/lib/systemd/systemd-journal-remote
[ -x "$REMOTE" ] || { echo "SKIP: $REMOTE not installed (Debian package systemd-journal-remote)"; exit 77; }

conf "$tmp/a.conf" "bantime = 1h" "summary_log = $tmp/summary.log" "journal_match ="
now=$(date +%s)
{
	noauth_session "$now" 501 192.0.2.110; noauth_session "$now" 502 192.0.2.110
	noauth_session "$now" 503 2001:db8:11::1; noauth_session "$now" 504 2001:db8:11::1
} >"$tmp/probes.log"
mkdir "$tmp/j"
python3 "$top_srcdir/tests/journal/log2export.py" <"$tmp/probes.log" >"$tmp/probes.export" || exit 1
"$REMOTE" -o "$tmp/j/x.journal" - <"$tmp/probes.export" 2>/dev/null || { echo "FAIL: systemd-journal-remote"; exit 1; }

"$af" journal -c "$tmp/a.conf" --directory "$tmp/j" 2>"$tmp/err" &
lib_pids=$!
check "authfold journal bans 192.0.2.110" wait_for 10 is_member banned4 192.0.2.110
check "... and 2001:db8:11::/64" wait_for 5 is_member banned6 2001:db8:11::
nft flush ruleset
t0=$(date +%s)
wait_for 6 nft list table inet authfold
t1=$(date +%s)
check "after nft flush ruleset, idle, the table is back within 5 s ($((t1 - t0)) s)" test $((t1 - t0)) -le 5
check "... with 192.0.2.110" wait_for 2 is_member banned4 192.0.2.110
check "... and 2001:db8:11::/64" is_member banned6 2001:db8:11::
check "... for what was left of the hour" expect_timeout banned4 192.0.2.110 $((3600 - ($(date +%s) - now)))
check "the daemon logged it" wait_for 2 grep -q "nft table 'inet authfold' was gone or incomplete" "$tmp/err"
kill -TERM $lib_pids
wait $lib_pids
st=$?
lib_pids=
check "authfold journal stopped cleanly on SIGTERM ($st)" test "$st" = 0
sed 's/^/# daemon: /' "$tmp/err"
finish

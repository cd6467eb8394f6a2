#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/order/redeliver.sh - lines delivered again after their sessions were
# forgotten (RELP resends, rsyslog's disk queue replays hours later, a
# restart) strike no second time (policy(3), authfold(8) ORDER).
#
# The -v and the plain RFC 3339 recordings (35 s of log time) with
# session_idle = 10s, so that most of their sessions are forgotten by the
# end of the first delivery:
# - replay: the recording twice in one run gives the strikes and bans of
#   one delivery, and the report counts the strikes not counted again;
# - authfold-omprog: the recording, EOF (state saved), a new process, the
#   same recording again: the events log holds the strikes and bans of one
#   delivery, and the state file carries the strikes' identities (without
#   them, as in a state file written before them, it counts again).
# The traditional recording (one-second timestamps) is replayed twice too:
# there a redelivery still counts again (authfold(8) BUGS); the test only
# prints what it gives.
. "$(dirname "$0")/../hostile/lib.sh"
: "${top_srcdir:=$(dirname "$0")/../..}"
data=$top_srcdir/tests/data
omprog=$top_builddir/authfold-omprog
[ -x "$omprog" ] || { echo "FAIL: $omprog is not built"; exit 1; }

strikes() { grep -c '"event":"strike"' "$1"; }
bans() { grep -c '"event":"ban"' "$1"; }

for rec in verbose plain; do
	log=$data/$rec.rfc3339.log
	mkdir -p "$tmp/$rec" && mkdir -m 0700 "$tmp/$rec/state"
	printf 'backend = none\nstate_dir = %s/%s/state\nsession_idle = 10s\n' "$tmp" "$rec" >"$tmp/$rec/c.conf"
	c=$tmp/$rec/c.conf

	"$authfold" replay -c "$c" --events "$tmp/$rec/once.ev" "$log" >/dev/null 2>"$tmp/$rec/once.err" ||
		fail "$rec: replay exits non-zero"
	s1=$(strikes "$tmp/$rec/once.ev") b1=$(bans "$tmp/$rec/once.ev")
	[ "$s1" -gt 0 ] && [ "$b1" -gt 0 ] || fail "$rec: one delivery gives $s1 strikes and $b1 bans"

	"$authfold" replay -c "$c" --events "$tmp/$rec/twice.ev" "$log" "$log" >/dev/null 2>"$tmp/$rec/twice.err" ||
		fail "$rec: replay of two deliveries exits non-zero"
	s2=$(strikes "$tmp/$rec/twice.ev") b2=$(bans "$tmp/$rec/twice.ev")
	again=$(sed -n 's/.*not counted again: //p' "$tmp/$rec/twice.err")
	echo "# $rec: one delivery $s1 strikes, $b1 bans; two deliveries $s2 strikes, $b2 bans; not counted again: ${again:-none}"
	[ "$s2" = "$s1" ] || fail "$rec: delivered twice, $s2 strikes instead of $s1"
	[ "$b2" = "$b1" ] || fail "$rec: delivered twice, $b2 bans instead of $b1"
	[ "${again:-0}" -gt 0 ] || fail "$rec: no strike was known again (were the sessions forgotten?)"
	grep "^Strikes:" "$tmp/$rec/once.err" >"$tmp/$rec/once.strikes"
	grep "^Strikes:" "$tmp/$rec/twice.err" >"$tmp/$rec/twice.strikes"
	cmp -s "$tmp/$rec/once.strikes" "$tmp/$rec/twice.strikes" ||
		fail "$rec: the report's strikes differ: '$(cat "$tmp/$rec/once.strikes")' and '$(cat "$tmp/$rec/twice.strikes")'"

	# the daemon: a restart between the two deliveries
	printf 'summary_log = %s/%s/summary.log\nevents_log = %s/%s/omprog.ev\n' "$tmp" "$rec" "$tmp" "$rec" >>"$c"
	for run in 1 2; do
		"$omprog" -c "$c" --no-confirm <"$log" 2>>"$tmp/$rec/omprog.err" || fail "$rec: authfold-omprog run $run failed"
		[ $run = 1 ] && s3=$(strikes "$tmp/$rec/omprog.ev") b3=$(bans "$tmp/$rec/omprog.ev")
	done
	s4=$(strikes "$tmp/$rec/omprog.ev") b4=$(bans "$tmp/$rec/omprog.ev")
	echo "# $rec: authfold-omprog, first run $s3 strikes, $b3 bans; after the second $s4 strikes, $b4 bans"
	[ "$s3" = "$s1" ] && [ "$b3" = "$b1" ] || fail "$rec: authfold-omprog's first run gives $s3 strikes, $b3 bans, not $s1, $b1"
	[ "$s4" = "$s3" ] || fail "$rec: delivered again after a restart, $s4 strikes instead of $s3"
	[ "$b4" = "$b3" ] || fail "$rec: delivered again after a restart, $b4 bans instead of $b3"
	grep -q '^addr .* [0-9a-f]\{16\}$' "$tmp/$rec/state/omprog.state" ||
		fail "$rec: the state file holds no strike identity"
	# the same restart with the identities taken out of the state file
	# (as a state file written before them): the second delivery counts again
	mkdir -m 0700 "$tmp/$rec/state2"
	sed "s|$tmp/$rec/state|$tmp/$rec/state2|; s|omprog.ev|stripped.ev|" "$c" >"$tmp/$rec/c2.conf"
	"$omprog" -c "$tmp/$rec/c2.conf" --no-confirm <"$log" 2>/dev/null || fail "$rec: authfold-omprog failed"
	sed -i -E 's/ [0-9]+( [0-9a-f]{16})+$//' "$tmp/$rec/state2/omprog.state"
	"$omprog" -c "$tmp/$rec/c2.conf" --no-confirm <"$log" 2>/dev/null || fail "$rec: authfold-omprog failed"
	s5=$(strikes "$tmp/$rec/stripped.ev")
	echo "# $rec: the same without the identities in the state file: $s5 strikes"
	[ "$s5" -gt "$s3" ] || fail "$rec: without the saved identities the second delivery should count again ($s5 strikes)"
	[ $failed = 0 ] || { sed 's/^/# /' "$tmp/$rec/omprog.err" | head -20; }
done

log=$data/verbose.traditional.log
"$authfold" replay -c "$tmp/verbose/c.conf" --events "$tmp/trad.ev" "$log" "$log" >/dev/null 2>&1 ||
	fail "traditional: replay exits non-zero"
echo "# traditional (one-second timestamps, counted again: authfold(8) BUGS): two deliveries give" \
	"$(strikes "$tmp/trad.ev") strikes, $(bans "$tmp/trad.ev") bans"

[ $failed = 0 ] && echo PASS
exit $failed

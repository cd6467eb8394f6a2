#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/hostile/reorder.sh - lines of one session that arrive out of order
# give one strike and one synthetic line, as in order.
#
# rsyslog's disk-assisted action queue (the shipped snippet's) hands lines
# over out of order after it spilled to disk (bench/omprog/order.sh; BUGS in
# authfold-omprog(8)). Here the real lines of the bot's first session
# (tests/data/verbose.rfc3339.log, lines 100-185, not edited) come with the
# block from its disconnect on first, as after such a spill: the disconnect
# (auth=0/1, no session known yet) strikes, and then the connect opens a new
# session whose 503 strikes again. The session deserves one strike and one
# synthetic line, as in order; the fold places lines by their timestamps
# (fold(3), authfold(8) ORDER). Anything else going wrong (no recording,
# replay failing, the in-order run not giving exactly one strike) is exit
# 99, a hard error.

. "$(dirname "$0")/lib.sh"
: "${top_srcdir:=$(dirname "$0")/../..}"
log=$top_srcdir/tests/data/verbose.rfc3339.log
[ -s "$log" ] || { echo "ERROR: no $log"; exit 99; }

{ sed -n 179,185p "$log"; sed -n 100,178p "$log"; } >"$tmp/reordered.log"
{ sed -n 100,185p "$log"; } >"$tmp/inorder.log"
grep -q 'disconnect from unknown\[192.0.2.10\] ehlo=1 auth=0/1' "$tmp/reordered.log" ||
	{ echo "ERROR: the recording is not the one this test cuts"; exit 99; }
printf 'backend = none\nstate_dir = %s/state\n' "$tmp" >"$tmp/c.conf"
for t in inorder reordered; do
	"$authfold" replay -c "$tmp/c.conf" --events "$tmp/$t.events" "$tmp/$t.log" >"$tmp/$t.summary" 2>"$tmp/$t.err" ||
		{ cat "$tmp/$t.err"; echo "ERROR: replay of $t exits non-zero"; exit 99; }
done
[ "$(grep -c '"event":"strike"' "$tmp/inorder.events")" = 1 ] || { echo "ERROR: in order: not one strike"; exit 99; }
strikes=$(grep -c '"event":"strike"' "$tmp/reordered.events")
synth=$(grep -c 'authentication not enabled$' "$tmp/reordered.summary")
echo "out of order: $strikes strikes, $synth synthetic lines (in order: 1 and 1)"
[ "$strikes" = 1 ] || fail "out of order: $strikes strikes for one session"
[ "$synth" = 1 ] || fail "out of order: $synth synthetic lines for one session"
[ $failed = 0 ] || exit 1
echo "PASS"

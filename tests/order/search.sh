#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/order/search.sh - tests/order/order-search on the recordings: the
# two -v ones for ORDER_SEARCH_SECONDS each (default 10), the two plain
# ones (the statistics verdict) and a two-host aggregate of the -v one
# with colliding pids for a fifth and three fifths of that. Bounded
# reorderings (lines displaced by up to 64 places, blocks moved by up to
# 5 minutes of log time, two runs interleaved in chunks), each replayed and
# held to the in-order replay (kept lines, synthetic lines, strikes, bans).
# The rfc3339 ones (microseconds) once more with -w 300: a window of up to
# 300 lines sent again later (RELP redelivery), held to the same lines in
# order: every verdict once.
# The seeds start where ORDER_SEARCH_SEED says (default: new ones each run,
# printed), so CI searches new ground every time; a failure prints the
# seed and the shrunk counterexample, which becomes a row of
# tests/unit/test_fold.c. An hour on each -v recording:
#   ORDER_SEARCH_SECONDS=3600 nice -n 19 tests/order/search.sh
: "${top_srcdir:=$(dirname "$0")/../..}"
: "${top_builddir:=.}"
search=$top_builddir/tests/order/order-search
data=$top_srcdir/tests/data
[ -x "$search" ] || { echo "FAIL: no $search"; exit 1; }
seconds=${ORDER_SEARCH_SECONDS:-10}
seed=${ORDER_SEARCH_SEED:-$(( $(date +%s) % 100000 * 100000 ))}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
echo "seeds from $seed"
# A central log host: the -v recording of two hosts, same pids, merged by time.
sed 's/^\(\S*\) mx /\1 mx2 /' "$data/verbose.rfc3339.log" | sed 's/192\.0\.2\./198.51.100./g' >"$tmp/mx2.log"
sort -s -k1,1 "$data/verbose.rfc3339.log" "$tmp/mx2.log" >"$tmp/two-hosts.rfc3339.log"
status=0
for run in "verbose.rfc3339 $seconds" "verbose.traditional $seconds" "plain.rfc3339 $((seconds / 5 + 1))" \
	   "plain.traditional $((seconds / 5 + 1))" "two-hosts.rfc3339 $((seconds * 3 / 5 + 1))" \
	   "verbose.rfc3339 $((seconds / 2 + 1)) -w 300" "plain.rfc3339 $((seconds / 5 + 1)) -w 300" \
	   "two-hosts.rfc3339 $((seconds / 5 + 1)) -w 300"; do
	set -- $run
	log=$data/$1.log
	[ "$1" = two-hosts.rfc3339 ] && log=$tmp/$1.log
	[ -s "$log" ] || { echo "FAIL: no $log"; exit 1; }
	name=$1 secs=$2
	shift 2
	TMPDIR=$tmp "$search" -s "$secs" -S "$seed" "$@" "$log" || { echo "FAIL: $name $*"; status=1; }
done
[ $status = 0 ] && echo PASS
exit $status

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/order/search.sh - tests/order/order-search on both -v recordings
# for ORDER_SEARCH_SECONDS each (default 12): bounded reorderings (lines
# displaced by up to 64 places, blocks moved by up to 5 minutes of log
# time, two runs interleaved in chunks), each replayed and held to the
# in-order replay (kept lines, synthetic lines, strikes, bans). The seeds
# start where ORDER_SEARCH_SEED says (default: a new one each run, printed),
# so CI searches new ground every time; a failure prints the seed and
# the shrunk counterexample, which becomes a row of tests/unit/test_fold.c.
# An hour on each recording:
#   ORDER_SEARCH_SECONDS=3600 nice -n 19 tests/order/search.sh
: "${top_srcdir:=$(dirname "$0")/../..}"
: "${top_builddir:=.}"
search=$top_builddir/tests/order/order-search
[ -x "$search" ] || { echo "FAIL: no $search"; exit 1; }
seconds=${ORDER_SEARCH_SECONDS:-12}
seed=${ORDER_SEARCH_SEED:-$(( $(date +%s) % 100000 * 100000 ))}
echo "seeds from $seed"
status=0
for log in "$top_srcdir/tests/data/verbose.rfc3339.log" "$top_srcdir/tests/data/verbose.traditional.log"; do
	[ -s "$log" ] || { echo "FAIL: no $log"; exit 1; }
	TMPDIR=${TMPDIR:-/tmp} "$search" -s "$seconds" -S "$seed" "$log" || status=1
done
[ $status = 0 ] && echo PASS
exit $status

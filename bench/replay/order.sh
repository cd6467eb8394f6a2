#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/replay/order.sh - replay of a million lines in order and out of order.
#
#   BASELINE=/path/to/old/authfold bench/replay/order.sh [LINES]
#
# Builds authfold (-O2) as bench/replay/run.sh does, makes LINES real-shaped
# lines (bench/gen-log.py over tests/data/verbose.rfc3339.log) and a copy
# reordered the way a spilled rsyslog queue hands them over
# (tests/order/reorder.py fine, then jumpback, over the whole file), and
# times on one core (taskset -c 0), best of 5, in the same run:
#   - authfold replay of the lines in order,
#   - authfold replay of the reordered lines,
#   - BASELINE (another build, e.g. of the commit before the order-tolerant
#     fold) on the lines in order, when given,
# with the peak RSS of each. Prints markdown for BENCHMARKS.md; nothing is
# asserted (shared, noisy machines).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
lines=${1:-1000000}
work=$(mktemp -d /tmp/authfold-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
build=$top/build-bench
if [ ! -x "$build/authfold" ]; then
	[ -x "$top/configure" ] || (cd "$top" && autoreconf -fi >/dev/null)
	mkdir -p "$build"
	(cd "$build" && "$top/configure" -q CFLAGS="-O2 -g" && make -s -j"$(nproc)" authfold)
fi
python3 "$top/bench/gen-log.py" "$top/tests/data/verbose.rfc3339.log" "$work/in.log" "$lines" >/dev/null
python3 "$top/tests/order/reorder.py" fine 1 "$work/in.log" "$work/a.log"
python3 "$top/tests/order/reorder.py" jumpback 2 "$work/a.log" "$work/out.log"
printf 'backend = none\nstate_dir = %s/state\n' "$work" >"$work/c.conf"
n=$(wc -l <"$work/in.log")

# measure BIN LOG: "best_seconds maxrss_kib" of 5 runs
measure() {
	local bin=$1 log=$2 best="" t0 t1 s rss
	for _ in 1 2 3 4 5; do
		t0=$(date +%s.%N)
		taskset -c 0 "$bin" replay -c "$work/c.conf" --summary /dev/null "$log" 2>/dev/null
		t1=$(date +%s.%N)
		s=$(echo "$t1 - $t0" | bc -l)
		if [ -z "$best" ] || [ "$(echo "$s < $best" | bc -l)" = 1 ]; then best=$s; fi
	done
	rss=$(/usr/bin/time -f %M taskset -c 0 "$bin" replay -c "$work/c.conf" --summary /dev/null "$log" 2>&1 >/dev/null | tail -n1)
	echo "$best $rss"
}
read -r t_in rss_in < <(measure "$build/authfold" "$work/in.log")
read -r t_out rss_out < <(measure "$build/authfold" "$work/out.log")
echo "| replay of $n lines (one core, best of 5) | seconds | lines/s | peak RSS |"
echo "|---|---:|---:|---:|"
printf '| in order | %.3f | %.0f | %.1f MiB |\n' "$t_in" "$(echo "$n / $t_in" | bc -l)" "$(echo "$rss_in / 1024" | bc -l)"
printf '| reordered (fine interleave + jump back) | %.3f | %.0f | %.1f MiB |\n' "$t_out" "$(echo "$n / $t_out" | bc -l)" "$(echo "$rss_out / 1024" | bc -l)"
if [ -n "${BASELINE:-}" ]; then
	read -r t_b rss_b < <(measure "$BASELINE" "$work/in.log")
	printf '| in order, BASELINE | %.3f | %.0f | %.1f MiB |\n' "$t_b" "$(echo "$n / $t_b" | bc -l)" "$(echo "$rss_b / 1024" | bc -l)"
	printf '\nin order: %.2f of BASELINE'"'"'s lines/s; reordered: %.2f of in order\n' "$(echo "$t_b / $t_in" | bc -l)" "$(echo "$t_in / $t_out" | bc -l)"
else
	printf '\nreordered: %.2f of in order\n' "$(echo "$t_in / $t_out" | bc -l)"
fi

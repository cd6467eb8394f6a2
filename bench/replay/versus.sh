#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/replay/versus.sh - this tree's `authfold replay` against an older
# build of it, alternately, in one run; prints the ratio.
#
#   bench/replay/versus.sh [REV [LINES [ROUNDS]]]
#	REV	the build to compare with (default 81a45bb, the last build
#		before the order-tolerant fold)
#	LINES	size of the generated log (default 963605)
#	ROUNDS	alternating rounds (default 7)
#
# Both builds are made here with the same compiler and CFLAGS (-O2 -g), from
# `git archive REV` and from the working tree.  The input is a traditional
# log (`Nov 26 18:46:35 host tag[pid]: ...`, rsyslog's and Postfix's
# postlogd's form): bench/gen-log.py repeats the real recording
# tests/data/verbose.rfc3339.log and the timestamps are rewritten in the
# traditional form, so every second's lines share one timestamp text as in a
# real log.  Each round runs the old build then the new one (the order
# flips every round), pinned to core 0, output to files; the best and the
# median of each are printed, with lines/s, the ratio new/old, peak RSS, and
# whether the two summaries and strike counts agree.  With valgrind
# installed, it also counts each build's instructions with callgrind (the
# same count for the same binary and input whatever else the machine does:
# the figure to trust on a shared machine).
# Timings are not asserted anywhere: the machine is shared and noisy.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
rev=${1:-81a45bb}
lines=${2:-963605}
rounds=${3:-7}
work=$(mktemp -d /tmp/authfold-versus.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$top"

build() {	# build SRCDIR BUILDDIR
	local src=$1 dir=$2
	(cd "$src" && { [ -x configure ] || autoreconf -fi >/dev/null 2>&1; }) || {
		echo "versus: autoreconf failed in $src" >&2; exit 1; }
	mkdir -p "$dir"
	(cd "$dir" && "$src/configure" -q CFLAGS="-O2 -g" >/dev/null && make -s -j"$(nproc)" authfold >/dev/null 2>"$dir/build.log") || {
		echo "versus: build in $dir failed:" >&2; tail -20 "$dir/build.log" >&2; exit 1; }
}
git rev-parse --verify -q "$rev^{commit}" >/dev/null || { echo "versus: no commit '$rev'" >&2; exit 2; }
mkdir -p "$work/old-src"
git archive "$rev" | tar -x -C "$work/old-src"
build "$work/old-src" "$work/old"
# The working tree may be configured in place; copy what git tracks.
mkdir -p "$work/new-src"
git ls-files -z | tar --null -T - -cf - | tar -x -C "$work/new-src"
build "$work/new-src" "$work/new"

python3 bench/gen-log.py tests/data/verbose.rfc3339.log "$work/rfc.log" "$lines" >/dev/null
python3 - "$work/rfc.log" "$work/big.log" <<'PY'
import re, sys
from datetime import datetime
ts = re.compile(rb"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.\d+[+-]\d\d:\d\d ")
with open(sys.argv[1], "rb") as f, open(sys.argv[2], "wb") as out:
    for l in f:
        m = ts.match(l)
        if m:
            t = datetime.strptime(m.group(1).decode(), "%Y-%m-%dT%H:%M:%S")
            l = t.strftime("%b %d %H:%M:%S ").encode() + l[m.end():]
        out.write(l)
PY
n=$(wc -l <"$work/big.log")
cat "$work/big.log" >/dev/null	# warm the page cache

run() {	# run NAME: seconds of one replay, output kept in $work/NAME.*
	local b=$work/$1 t0 t1
	rm -f "$work/$1.summary" "$work/$1.events"
	t0=$(date +%s.%N)
	TZ=UTC taskset -c 0 "$b/authfold" replay --summary "$work/$1.summary" --events "$work/$1.events" \
		"$work/big.log" 2>"$work/$1.err" || { echo "versus: $1 failed:" >&2; tail -5 "$work/$1.err" >&2; exit 1; }
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'
}
: >"$work/old.times"; : >"$work/new.times"
for ((i = 0; i < rounds; i++)); do
	if ((i % 2)); then run new >>"$work/new.times"; run old >>"$work/old.times"
	else run old >>"$work/old.times"; run new >>"$work/new.times"; fi
done
rss() { /usr/bin/time -f "%M" -o "$work/$1.rss" taskset -c 0 "$work/$1/authfold" replay \
	--summary /dev/null --events /dev/null "$work/big.log" >/dev/null 2>&1; tail -n1 "$work/$1.rss"; }
best() { sort -n "$1" | head -n1; }
median() { sort -n "$1" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
rate() { awk -v n="$n" -v s="$1" 'BEGIN { if (s <= 0) s = 0.001; printf "%.2f", n / s / 1e6 }'; }
ob=$(best "$work/old.times") om=$(median "$work/old.times")
nb=$(best "$work/new.times") nm=$(median "$work/new.times")
orss=$(rss old) nrss=$(rss new)
same=differ
cmp -s "$work/old.summary" "$work/new.summary" && same=identical
ostr=$(grep -c '"event":"strike"' "$work/old.events" || true)
nstr=$(grep -c '"event":"strike"' "$work/new.events" || true)
instr() {	# instructions of one replay under callgrind, or '-'
	command -v valgrind >/dev/null || { echo -; return; }
	TZ=UTC valgrind --tool=callgrind --callgrind-out-file="$work/$1.cg" "$work/$1/authfold" replay \
		--summary /dev/null --events /dev/null "$work/big.log" 2>&1 >/dev/null |
		sed -n 's/.*Collected : *\([0-9]*\).*/\1/p'
}
oi=$(instr old) ni=$(instr new)
cat <<OUT
### authfold replay: this tree against $rev ($(date -u +%F), $(nproc) cores, pinned to core 0)

Input: $n traditional lines (bench/gen-log.py from tests/data/verbose.rfc3339.log,
timestamps rewritten). Command: \`bench/replay/versus.sh $rev $lines $rounds\`,
$rounds alternating rounds.

| build | best s | median s | M lines/s (best) | M lines/s (median) | peak RSS | strikes |
|---|---:|---:|---:|---:|---:|---:|
| $rev | $ob | $om | $(rate "$ob") | $(rate "$om") | $((orss / 1024)) MiB | $ostr |
| this tree ($(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src plugin || echo +changes)) | $nb | $nm | $(rate "$nb") | $(rate "$nm") | $((nrss / 1024)) MiB | $nstr |

Ratio this tree / $rev: $(awk -v a="$ob" -v b="$nb" 'BEGIN { printf "%.2f", a / b }')x (best),
$(awk -v a="$om" -v b="$nm" 'BEGIN { printf "%.2f", a / b }')x (median). Summaries: $same.
Instructions (callgrind): $rev $oi, this tree $ni, ratio $(awk -v a="$oi" -v b="$ni" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2fx", a / b; else printf "-" }').
OUT

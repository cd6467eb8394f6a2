#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Benchmark: authfold-omprog against bench/omprog/okprog.c (answers OK, does
# nothing else) on a bare pipe, without rsyslog: bench/omprog/pingpong.c
# plays rsyslog's part (one line, wait for the reply, the next). RUNS runs
# of each, alternating; the best of each (the least disturbed by the other
# work of a shared machine) and the ratio. With BASELINE=/path/to/another
# authfold-omprog, that build runs too. backend = none. Not a test.
#   bench/omprog/pipe.sh [REPS [RUNS]]   (default 20 passes over the recording, 7 runs)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$HERE/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
REPS=${1:-20}
RUNS=${2:-7}
LOG=$top_srcdir/tests/data/verbose.rfc3339.log
OMPROG=$top_builddir/authfold-omprog
[ -x "$OMPROG" ] || { echo "pipe.sh: no $OMPROG: build first" >&2; exit 1; }
T=$(mktemp -d /tmp/authfold-pipe.XXXXXX)
trap 'rm -rf "$T"' EXIT
${CC:-cc} -O2 -o "$T/okprog.bin" "$HERE/okprog.c"
${CC:-cc} -O2 -o "$T/pingpong" "$HERE/pingpong.c"
progs="okprog omprog"
[ -n "${BASELINE:-}" ] && progs="$progs baseline"
for p in omprog baseline; do
    mkdir -m 700 "$T/$p"
    printf 'backend = none\nstate_dir = %s/%s/state\nsummary_log = %s/%s/summary.log\n' "$T" "$p" "$T" "$p" >"$T/$p.conf"
done
declare -A best
for ((i = 1; i <= RUNS; i++)); do
    for p in $progs; do
        case $p in
        okprog) cmd=("$T/okprog.bin") ;;
        omprog) cmd=("$OMPROG" -c "$T/omprog.conf") ;;
        baseline) cmd=("$BASELINE" -c "$T/baseline.conf") ;;
        esac
        rm -rf "$T/$p/state" "$T/$p/summary.log"
        mkdir -m 700 -p "$T/$p/state"
        read -r lines secs rate < <(REPS=$REPS "$T/pingpong" "${cmd[@]}" <"$LOG")
        echo "run $i: $p $rate lines/s ($lines lines, $secs s)"
        [ "${best[$p]:-0}" -ge "$rate" ] || best[$p]=$rate
    done
done
echo "best: okprog ${best[okprog]}, authfold-omprog ${best[omprog]} lines/s;" \
    "authfold-omprog / okprog $(python3 -c "print(f'{${best[omprog]} / ${best[okprog]}:.2f}')")"
[ -n "${BASELINE:-}" ] && echo "baseline ${best[baseline]} lines/s; baseline / okprog" \
    "$(python3 -c "print(f'{${best[baseline]} / ${best[okprog]}:.2f}')")"
exit 0

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Benchmark (not a test): authfold journal --once --directory over a journal of
# >= 1,000,000 entries (the recorded Postfix log repeated with distinct pids
# and times), against journalctl -o short-iso over the same journal with the
# same match. Writes bench/journal/RESULTS.md.
#
# Usage (root, from a built tree): bench/journal/run.sh [ENTRIES] [BUILDDIR]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
WANT=${1:-1000000}
BUILD=$(cd "${2:-$SRC}" && pwd)
AUTHFOLD=$BUILD/authfold
REMOTE=/lib/systemd/systemd-journal-remote
LOG=$SRC/tests/data/verbose.rfc3339.log
[ -s "$LOG" ] || LOG=$SRC/tests/journal/sample.syslog
export TZ=UTC LC_ALL=C
T=$(mktemp -d /tmp/authfold-bench-journal.XXXXXX)
trap 'rm -rf "$T"' EXIT

n=$(grep -cE '^[0-9]{4}-' "$LOG")
rep=$(( (WANT + n - 1) / n ))
mkdir -p "$T/j" "$T/state"
python3 "$SRC/tests/journal/log2export.py" --repeat "$rep" <"$LOG" | "$REMOTE" -o "$T/j/x.journal" - 2>/dev/null
entries=$((n * rep))
printf 'state_dir = %s/state\nbackend = none\nsummary_format = rfc3339\n' "$T" >"$T/c.conf"

now() { date +%s.%N; }
best() { sort -n | head -1; }
runs=3
a=() b=()
for i in $(seq $runs); do
	rm -rf "$T/state"/* && rm -f "$T/s" "$T/e"	# state_dir holds unban.d
	sync; t0=$(now)
	"$AUTHFOLD" journal -c "$T/c.conf" --once --directory "$T/j" --summary "$T/s" --events "$T/e" 2>"$T/report"
	t1=$(now)
	a+=("$(echo "$t1 - $t0" | bc -l)")
	t0=$(now)
	journalctl -q -o short-iso --directory "$T/j" SYSLOG_FACILITY=2 >"$T/jc"
	t1=$(now)
	b+=("$(echo "$t1 - $t0" | bc -l)")
done
ta=$(printf "%s\n" "${a[@]}" | best | xargs printf "%.2f")
tb=$(printf "%s\n" "${b[@]}" | best | xargs printf "%.2f")
jl=$(wc -l <"$T/jc")
sl=$(wc -l <"$T/s")
size=$(du -m "$T/j/x.journal" | cut -f1)
ra=$(echo "$entries / $ta" | bc)
rb=$(echo "$entries / $tb" | bc)
ratio=$(echo "scale=2; $tb / $ta" | bc)
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')

cat >"$HERE/RESULTS.md" <<MD
# authfold journal benchmark

Command: \`bench/journal/run.sh $WANT\` ($(date -u +%Y-%m-%d), $(nproc) CPUs, $cpu, libsystemd $(pkg-config --modversion libsystemd 2>/dev/null || echo '?')).

Journal: $(basename "$LOG") ($n lines) repeated $rep times with distinct pids
and times = **$entries entries**, ${size} MiB, one file written by
systemd-journal-remote. Best of $runs runs, wall clock, warm page cache.

| reader | command | seconds | entries/s | output lines |
|---|---|---|---|---|
| authfold | \`authfold journal --once --directory DIR --summary S --events E\` (match SYSLOG_FACILITY=2, checkpoints every 10000 entries) | $ta | $ra | $sl summary lines |
| journalctl | \`journalctl -q -o short-iso --directory DIR SYSLOG_FACILITY=2 >FILE\` | $tb | $rb | $jl |

authfold / journalctl speed ratio: **$ratio** (above 1: authfold is faster).
authfold does more per entry (fold, sessions, policy, checkpoints with fsync)
but writes only the summary; journalctl formats every entry.
MD
cat "$HERE/RESULTS.md"

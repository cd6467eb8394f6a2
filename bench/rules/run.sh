#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/rules/run.sh - replay throughput with 0, 10 and 100 site rules.
#
#   bench/rules/run.sh [LINES] [BEFORE]   (default 1000000 lines)
#
# Builds authfold (-O2) in build-bench-rules/ unless AUTHFOLD names a binary,
# makes a verbose log of LINES real-shaped lines from the recording
# tests/data/verbose.rfc3339.log (bench/gen-log.py), and times on one core
# (taskset -c 0), best of RUNS (default 3) runs each:
#   - BEFORE (optional): an authfold built before site rules existed, no rules;
#   - authfold with 0, 10 and 100 site rules.
# The rules are written so that almost none match: every rule is tried on
# every line the built-in rules leave undecided (the worst case for cost);
# one strike rule and one fold rule match real lines of the recording.
# Also times the worst case of the match budget: one line made for a
# pathological pattern. Prints markdown for RESULTS.md. Nothing is asserted:
# the machine is shared and noisy.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
lines=${1:-1000000}
before=${2:-}
runs=${RUNS:-3}
work=$(mktemp -d /tmp/authfold-rules-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$top"
bin=${AUTHFOLD:-}
if [ -z "$bin" ]; then
	build=$top/build-bench-rules
	if [ ! -x "$build/authfold" ]; then
		[ -x configure ] || autoreconf -fi >/dev/null
		[ -f config.status ] && { echo "bench: the source tree is configured in place; set AUTHFOLD=path" >&2; exit 1; }
		mkdir -p "$build"
		(cd "$build" && "$top/configure" -q CFLAGS="-O2 -g" && make -s -j"$(nproc)" authfold)
	fi
	bin=$build/authfold
fi
python3 bench/gen-log.py tests/data/verbose.rfc3339.log "$work/big.log" "$lines"
n=$(wc -l <"$work/big.log")
size=$(du -m "$work/big.log" | cut -f1)

# Rules: kinds and shapes an admin would write; none matches the recording
# except rule 1 (a strike) and rule 2 (qmgr lines, another program).
mkconf() {	# mkconf N FILE
	local want=$1 out=$2 i=3
	{
		echo "backend = none"
		[ "$want" -gt 0 ] && echo "strike = autherr /^too many errors after AUTH from /"
		[ "$want" -gt 1 ] && echo "fold = postfix/qmgr / \\(queue active\\)\$/"
		while [ "$i" -le "$want" ]; do
			case $((i % 5)) in
			0) echo "fold = /^milter8_[a-z_]+: rule$i /" ;;
			1) echo "keep = /^warning: [^:]+: bench rule $i\\b/" ;;
			2) echo "strike = r$((i % 20)) /^NOQUEUE: reject: RCPT from \\S+: 5\\d\\d [0-9.]+ <[^>]*>: rule $i/" ;;
			3) echo "fold = /dict_lookup: no such table $i\$/i" ;;
			4) echo "keep = postfix/postscreen /^PREGREET \\d+ after [0-9.]+ from \\[[0-9a-f.:]+\\]:\\d+: rule$i/" ;;
			esac
			i=$((i + 1))
		done
	} >"$out"
}
for k in 0 10 100; do mkconf "$k" "$work/rules$k.conf"; done

best() {	# best NAME CMD... ; prints the best seconds of $runs runs
	local name=$1 b="" s; shift
	for _ in $(seq "$runs"); do
		/usr/bin/time -f "%e" -o "$work/$name.time" taskset -c 0 "$@" >/dev/null 2>"$work/$name.err" || {
			echo "bench: $name failed:" >&2; tail -5 "$work/$name.err" >&2; exit 1; }
		s=$(tail -n1 "$work/$name.time")
		b=$(awk -v a="$b" -v s="$s" 'BEGIN { print (a == "" || s < a) ? s : a }')
	done
	echo "$b"
}
cat "$work/big.log" >/dev/null	# warm the page cache
replay() { echo env TZ=UTC "$1" replay -c "$2" --summary /dev/null --events /dev/null "$work/big.log"; }
declare -A sec
[ -n "$before" ] && sec[before]=$(best before $(replay "$before" "$work/rules0.conf"))
for k in 0 10 100; do sec[$k]=$(best "r$k" $(replay "$bin" "$work/rules$k.conf")); done
$(replay "$bin" "$work/rules100.conf") 2>"$work/report100.txt" >/dev/null

# The budget's worst case: 100 copies of one line made for (a+)+$, whose
# cost stays under the per-start limit at every start position.
python3 - "$work/patho.log" <<'PY'
import sys
body = ("aaaaaab " * 9000)[:64000] + "b"
with open(sys.argv[1], "w") as f:
    for i in range(100):
        f.write("2026-11-26T18:46:35Z mx1 postfix/smtpd[1]: %s\n" % body)
PY
printf 'backend = none\nfold = /(a+)+$/\n' >"$work/patho.conf"
p_s=$(best patho env TZ=UTC "$bin" replay -c "$work/patho.conf" --summary /dev/null "$work/patho.log")
env TZ=UTC "$bin" replay -c "$work/patho.conf" --summary /dev/null "$work/patho.log" 2>"$work/patho.txt"

rate() { awk -v n="$n" -v s="$1" 'BEGIN { if (s <= 0) s = 0.005; printf "%.0f", n / s }'; }
cat <<OUT
### authfold replay with site rules ($(date -u +%F), $(nproc) cores, pinned to core 0, best of $runs)

Input: $n lines ($size MiB) made by \`bench/gen-log.py\` from the real recording
\`tests/data/verbose.rfc3339.log\`. Command: \`bench/rules/run.sh $lines${before:+ BEFORE}\`.

| build | site rules | seconds | lines/s |
|---|---:|---:|---:|
OUT
[ -n "$before" ] && echo "| before site rules | - | ${sec[before]} | $(rate "${sec[before]}") |"
for k in 0 10 100; do echo "| with site rules | $k | ${sec[$k]} | $(rate "${sec[$k]}") |"; done
echo
echo "Report of the 100-rule run (site rules part):"
echo
echo '```'
grep -E '^(Strikes|Site rules)' "$work/report100.txt"
echo '```'
echo
echo "Worst case of the budget: 100 lines of 64001 bytes made for \`(a+)+\$\` (one rule):"
echo "$p_s s, $(awk -v s="$p_s" 'BEGIN { if (s <= 0) s = 0.005; printf "%.1f", s * 1000 / 100 }') ms per line."
grep -E '^Site rules' "$work/patho.txt"

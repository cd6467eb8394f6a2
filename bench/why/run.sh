#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/why/run.sh - authfold why over a year of logs.
#
#   bench/why/run.sh [SUMMARY_MIB]      (default 1024; root or not)
#
# Builds authfold (-O2) in build-bench/ unless it is there, writes a summary
# log of SUMMARY_MIB MiB and its events log (bench/why/gen.py: a year of
# sessions on 3 hosts, one bot probing twice a week), then times
# `authfold why 203.0.113.200` (best of 3 wall times, peak RSS of one run):
#   1. on the plain files;
#   2. with --json;
#   3. for scale, LC_ALL=C grep -F of the address over the same two files;
#   4. with both logs rotated: the older half compressed (PATH.2.gz, gzip -6),
#      a quarter as PATH.1, the rest as PATH.
# Prints markdown rows for BENCHMARKS.md. Nothing is asserted: the machine
# is shared and noisy.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
mib=${1:-1024}
work=$(mktemp -d /tmp/authfold-why-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$top"
build=$top/build-bench
if [ ! -x "$build/authfold" ]; then
	[ -x configure ] || autoreconf -fi >/dev/null
	[ -f config.status ] && { echo "bench: the source tree is configured in place; run 'make distclean' first" >&2; exit 1; }
	mkdir -p "$build"
	(cd "$build" && "$top/configure" -q CFLAGS="-O2 -g" && make -s -j"$(nproc)" authfold)
fi
af=$build/authfold
python3 bench/why/gen.py "$work" "$mib"
printf 'events_log = %s/events.log\nsummary_log = %s/summary.log\nstate_dir = %s/state\n' "$work" "$work" "$work" >"$work/conf"
bytes=$(( $(stat -c %s "$work/summary.log") + $(stat -c %s "$work/events.log") ))
lines=$(( $(wc -l <"$work/summary.log") + $(wc -l <"$work/events.log") ))

# measure ARGS... : "best_seconds maxrss_kib" of 3 runs (bash's clock) and one more
measure() {
	local best="" s e t
	for _ in 1 2 3; do
		s=$(date +%s%N)
		"$af" why -c "$work/conf" "$@" >"$work/out" 2>&1
		e=$(date +%s%N)
		t=$(( (e - s) / 1000000 ))
		[ -z "$best" ] || [ "$t" -lt "$best" ] && best=$t
	done
	/usr/bin/time -f "%M" -o "$work/rss" "$af" why -c "$work/conf" "$@" >/dev/null 2>&1
	echo "$(printf '%d.%03d' $((best / 1000)) $((best % 1000))) $(cat "$work/rss")"
}
row() {	# NAME SECONDS RSS
	awk -v n="$1" -v s="$2" -v r="$3" -v b="$bytes" -v l="$lines" \
		'BEGIN { printf "| %s | %.2f s | %.0f MB/s | %.1fM lines/s | %.1f MiB |\n", n, s, b / s / 1e6, l / s / 1e6, r / 1024 }'
}

echo "summary $(du -m "$work/summary.log" | cut -f1) MiB, events $(du -m "$work/events.log" | cut -f1) MiB, $lines lines"
strikes=$("$af" why -c "$work/conf" --json 203.0.113.200 | python3 -c 'import json,sys; d=json.load(sys.stdin); s=[x for x in d["story"] if x["event"]=="strike"]; print(len(s), sum(1 for x in s if x["session"]))')
echo "203.0.113.200: strikes, strikes with their session: $strikes"
echo
echo "| run | wall (best of 3) | input | lines | peak RSS |"
echo "|---|---|---|---|---|"
read -r s r < <(measure 203.0.113.200); row "plain files" "$s" "$r"
# for scale: grep -F of the address over both files (what why must not rely on);
# -c, since GNU grep stops at the first match when its output is /dev/null
best=""
for _ in 1 2 3; do
	st=$(date +%s%N)
	LC_ALL=C grep -F -c 203.0.113.200 "$work/summary.log" "$work/events.log" >"$work/grep.out"
	en=$(date +%s%N)
	t=$(( (en - st) / 1000000 ))
	[ -z "$best" ] || [ "$t" -lt "$best" ] && best=$t
done
row "(for scale) LC_ALL=C grep -F 203.0.113.200, same files" "$(printf '%d.%03d' $((best / 1000)) $((best % 1000)))" 0
read -r s r < <(measure --json 203.0.113.200); row "plain files, --json" "$s" "$r"
for f in summary.log events.log; do
	n=$(wc -l <"$work/$f")
	head -n $((n / 2)) "$work/$f" | gzip -6 >"$work/$f.2.gz"
	sed -n "$((n / 2 + 1)),$((3 * n / 4))p" "$work/$f" >"$work/$f.1"
	tail -n +$((3 * n / 4 + 1)) "$work/$f" >"$work/$f.new"
	mv "$work/$f.new" "$work/$f"
done
echo "rotated: $(du -m "$work/summary.log.2.gz" | cut -f1) + $(du -m "$work/events.log.2.gz" | cut -f1) MiB compressed"
read -r s r < <(measure 203.0.113.200); row "rotated, half of it .gz" "$s" "$r"

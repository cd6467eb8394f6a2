#!/bin/sh
# tests/fuzz/run.sh - build the libFuzzer target fuzz_line with clang
# (-fsanitize=fuzzer,address,undefined) straight from src/*.c and run it
# for FUZZ_SECONDS (default 30). Exit 77 (skip) when clang or libFuzzer is
# missing. A crash leaves its input in $top_builddir/tests/fuzz/ and fails.
#
#   FUZZ_SECONDS=3600 FUZZ_JOBS=4 tests/fuzz/run.sh    (see README.md)

set -u
: "${top_srcdir:=.}"
: "${top_builddir:=.}"
: "${FUZZ_SECONDS:=30}"
# libFuzzer reads -max_total_time=0 as "forever": never pass it 0
[ "$FUZZ_SECONDS" -ge 1 ] 2>/dev/null || FUZZ_SECONDS=1
: "${FUZZ_JOBS:=1}"
: "${CLANG:=clang}"

out=$top_builddir/tests/fuzz
mkdir -p "$out" || exit 1
bin=$out/fuzz_line

command -v "$CLANG" >/dev/null 2>&1 || { echo "SKIP: no $CLANG"; exit 77; }
libs=$(pkg-config --libs libipset libsystemd libcap-ng libpcre2-8 2>/dev/null) || {
	echo "SKIP: pkg-config does not know the core's libraries"; exit 77; }
cflags=$(pkg-config --cflags libipset libsystemd libcap-ng libpcre2-8 2>/dev/null)

# The core's sources: every src/*.c without a main().
srcs=
for f in "$top_srcdir"/src/*.c; do
	grep -q '^int[[:space:]]*main[[:space:]]*(' "$f" && continue
	srcs="$srcs $f"
done

if [ -f "$top_builddir/autoconfig.h" ]; then
	defs="-include $top_builddir/autoconfig.h"
else
	defs="-D_GNU_SOURCE -DPACKAGE_VERSION=\"fuzz\""
fi
defs="$defs -DSYSCONFDIR=\"/etc\" -DLOCALSTATEDIR=\"/var\""

# Rebuild when a source is newer than the binary.
rebuild=yes
if [ -x "$bin" ]; then
	rebuild=no
	for f in $srcs "$top_srcdir"/src/*.h "$top_srcdir/tests/fuzz/fuzz_line.c" "$0"; do
		[ "$f" -nt "$bin" ] && rebuild=yes
	done
fi
if [ $rebuild = yes ]; then
	echo "building $bin"
	# shellcheck disable=SC2086
	if ! "$CLANG" -std=c11 -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all $defs -I"$top_srcdir/src" $cflags \
		-o "$bin.tmp" "$top_srcdir/tests/fuzz/fuzz_line.c" $srcs $libs 2>"$out/build.log"; then
		if grep -q -e 'libclang_rt.fuzzer' -e 'unsupported option.*fuzzer' "$out/build.log"; then
			echo "SKIP: $CLANG has no libFuzzer"; exit 77
		fi
		cat "$out/build.log"
		echo "FAIL: cannot build fuzz_line"
		exit 1
	fi
	mv "$bin.tmp" "$bin"
fi

# The corpus: a kept one (grows run after run) plus the seeds, the
# recorded logs cut into pieces of 40 lines.
corpus=$out/fuzz_line.corpus
seeds=$out/fuzz_line.seeds
rm -rf "$seeds"
mkdir -p "$corpus" "$seeds" || exit 1
nlogs=0
for log in "$top_srcdir"/tests/data/*.log; do
	[ -f "$log" ] || continue
	nlogs=$((nlogs + 1))
	split -l 40 -a 4 "$log" "$seeds/$(basename "$log" .log)."
done
[ $nlogs -gt 0 ] || echo "no tests/data/*.log: hand-written seeds only"
cp "$top_srcdir"/tests/fuzz/seeds/* "$seeds"/ 2>/dev/null

echo "fuzzing for ${FUZZ_SECONDS}s ($FUZZ_JOBS job(s)), seeds: $(ls "$seeds" | wc -l) files"
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS UBSAN_OPTIONS
if [ "$FUZZ_JOBS" -gt 1 ]; then
	jobs="-jobs=$FUZZ_JOBS -workers=$FUZZ_JOBS"
else
	jobs=
fi
# shellcheck disable=SC2086
"$bin" -max_total_time="$FUZZ_SECONDS" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
	-print_final_stats=1 -artifact_prefix="$out/" -dict="$top_srcdir/tests/fuzz/line.dict" \
	$jobs "$corpus" "$seeds" >"$out/fuzz.log" 2>&1
status=$?
rm -rf "$seeds"
grep -h -E '^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+.*DONE)' "$out/fuzz.log" $out/fuzz-*.log 2>/dev/null
if [ $status -ne 0 ]; then
	tail -60 "$out/fuzz.log"
	echo "FAIL: fuzz_line found a problem (exit $status); see $out/fuzz.log and $out/crash-*"
	exit 1
fi
echo "PASS: corpus $(ls "$corpus" | wc -l) inputs"
exit 0

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/fuzz/run.sh - build the libFuzzer targets with clang
# (-fsanitize=fuzzer,address,undefined) straight from src/*.c (and
# plugin/omprog.c) and run each of them in turn:
#
#   fuzz_line     the line path (authfold replay)
#   fuzz_journal  journal fields -> record -> engine (authfold journal)
#   fuzz_omprog   omprog's stdin protocol (authfold-omprog)
#   fuzz_files    the configuration and state-file readers
#   fuzz_decision decision lines (authfold-enforce): parser, format, enforce table
#
# FUZZ_SECONDS (default 30) is the TOTAL time: each of the n targets run
# gets FUZZ_SECONDS/n (at least 1 s), so `make check` stays short. Set
# FUZZ_TARGET_SECONDS to give each target that many seconds instead, and
# FUZZ_TARGETS to run only some ("fuzz_journal fuzz_omprog"). Exit 77
# (skip) when clang or libFuzzer is missing. A crash leaves its input in
# $top_builddir/tests/fuzz/ as TARGET-crash-* and fails.
#
#   FUZZ_TARGETS=fuzz_omprog FUZZ_TARGET_SECONDS=3600 tests/fuzz/run.sh   (see README.md)

set -u
: "${top_srcdir:=.}"
: "${top_builddir:=.}"
: "${FUZZ_SECONDS:=30}"
: "${FUZZ_TARGETS:=fuzz_line fuzz_journal fuzz_omprog fuzz_files fuzz_decision}"
: "${FUZZ_JOBS:=1}"
: "${CLANG:=clang}"

ntargets=$(echo $FUZZ_TARGETS | wc -w)
[ "$ntargets" -ge 1 ] || { echo "FAIL: FUZZ_TARGETS is empty"; exit 1; }
: "${FUZZ_TARGET_SECONDS:=$((FUZZ_SECONDS / ntargets))}"
# libFuzzer reads -max_total_time=0 as "forever": never pass it 0
[ "$FUZZ_TARGET_SECONDS" -ge 1 ] 2>/dev/null || FUZZ_TARGET_SECONDS=1

mkdir -p "$top_builddir/tests/fuzz" || exit 1
out=$(cd "$top_builddir/tests/fuzz" && pwd)
src=$(cd "$top_srcdir" && pwd)
here=$src/tests/fuzz

command -v "$CLANG" >/dev/null 2>&1 || { echo "SKIP: no $CLANG"; exit 77; }
libs=$(pkg-config --libs libipset libnftnl libmnl libsystemd libcap-ng libpcre2-8 zlib 2>/dev/null) || {
	echo "SKIP: pkg-config does not know the core's libraries"; exit 77; }
cflags=$(pkg-config --cflags libipset libnftnl libmnl libsystemd libcap-ng libpcre2-8 zlib 2>/dev/null)

# The core's sources: every src/*/*.c without a main().
srcs=
for f in "$src"/src/*/*.c; do
	grep -q '^int[[:space:]]*main[[:space:]]*(' "$f" && continue
	srcs="$srcs $f"
done

if [ -f "$top_builddir/autoconfig.h" ]; then
	defs="-include $(cd "$top_builddir" && pwd)/autoconfig.h"
else
	defs="-D_GNU_SOURCE -DPACKAGE_VERSION=\"fuzz\""
fi
defs="$defs -DSYSCONFDIR=\"/etc\" -DLOCALSTATEDIR=\"/var\""

# build TARGET: $out/TARGET from $here/TARGET.c, rebuilt when a source is newer.
build() {
	t=$1 bin=$out/$1 extra=
	[ "$t" = fuzz_omprog ] && extra="$src/plugin/omprog.c"
	rebuild=yes
	if [ -x "$bin" ]; then
		rebuild=no
		for f in $srcs $extra "$src"/src/*/*.h "$src"/plugin/*.h "$here/$t.c" "$here/fuzz_common.h" "$0"; do
			[ "$f" -nt "$bin" ] && rebuild=yes
		done
	fi
	[ $rebuild = yes ] || return 0
	echo "building $bin"
	# shellcheck disable=SC2086
	if ! "$CLANG" -std=c11 -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all $defs $(for d in "$src"/src/*/; do printf -- "-I%s " "$d"; done)-I"$src/plugin" $cflags \
		-o "$bin.tmp" "$here/$t.c" $srcs $extra $libs 2>"$out/build.log"; then
		if grep -q -e 'libclang_rt.fuzzer' -e 'unsupported option.*fuzzer' "$out/build.log"; then
			echo "SKIP: $CLANG has no libFuzzer"; exit 77
		fi
		cat "$out/build.log"
		echo "FAIL: cannot build $t"
		exit 1
	fi
	mv "$bin.tmp" "$bin"
}

# The recorded logs cut into pieces of 40 lines, into directory $1.
pieces() {
	n=0
	for log in "$src"/tests/data/*.log; do
		[ -f "$log" ] || continue
		n=$((n + 1))
		split -l 40 -a 4 "$log" "$1/$(basename "$log" .log)."
	done
	[ $n -gt 0 ] || echo "no tests/data/*.log: hand-written seeds only"
}

# seeds TARGET DIR: the seed corpus of each target.
seeds() {
	case $1 in
	fuzz_line)
		pieces "$2"
		cp "$here"/seeds/* "$2"/ 2>/dev/null ;;
	fuzz_journal)
		# a mode byte, then the pieces as journal export entries
		# (tests/journal/log2export.py: RFC 3339 lines only), honest and forged
		mkdir -p "$2.lines"
		pieces "$2.lines"
		if command -v python3 >/dev/null 2>&1; then
			i=0
			for p in "$2.lines"/*; do
				[ -f "$p" ] || continue
				i=$((i + 1))
				if [ $((i % 4)) = 0 ]; then comm="--comm logger"; else comm=; fi
				# shellcheck disable=SC2086
				{ printf "\\$(printf %o $((i * 37 % 256)))"
				  python3 "$src/tests/journal/log2export.py" $comm <"$p" 2>/dev/null; } >"$2/$(basename "$p")"
				[ "$(wc -c <"$2/$(basename "$p")")" -gt 1 ] || rm -f "$2/$(basename "$p")"
			done
		else
			echo "no python3: hand-written journal seeds only"
		fi
		rm -rf "$2.lines"
		cp "$here"/seeds-journal/* "$2"/ 2>/dev/null ;;
	fuzz_omprog)
		# five header bytes (mode, flush-failure mask), then the pieces
		# as one transaction; every other piece with each line sent twice
		# and every other flush failing (the resend path)
		mkdir -p "$2.lines"
		pieces "$2.lines"
		i=0
		for p in "$2.lines"/*; do
			[ -f "$p" ] || continue
			i=$((i + 1))
			if [ $((i % 2)) = 0 ]; then
				{ printf '\000\000\000\000\000'; echo "BEGIN TRANSACTION"; cat "$p"
				  echo "COMMIT TRANSACTION"; } >"$2/$(basename "$p")"
			else
				{ printf "\\$(printf %o $((i * 4 % 256)))\\125\\125\\125\\125"
				  awk '{ print; print }' "$p"; } >"$2/$(basename "$p")"
			fi
		done
		rm -rf "$2.lines"
		cp "$here"/seeds-omprog/* "$2"/ 2>/dev/null ;;
	fuzz_files)
		cp "$here"/seeds-files/* "$2"/ 2>/dev/null ;;
	fuzz_decision)
		cp "$here"/seeds-decision/* "$2"/ 2>/dev/null ;;
	esac
}

ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS UBSAN_OPTIONS
if [ "$FUZZ_JOBS" -gt 1 ]; then
	jobs="-jobs=$FUZZ_JOBS -workers=$FUZZ_JOBS"
else
	jobs=
fi

status=0
for t in $FUZZ_TARGETS; do
	[ -f "$here/$t.c" ] || { echo "FAIL: no $here/$t.c"; exit 1; }
	build "$t"
	# The corpus: a kept one (grows run after run) plus the seeds.
	corpus=$out/$t.corpus seedd=$out/$t.seeds work=$out/$t.work
	rm -rf "$seedd" "$work"
	mkdir -p "$corpus" "$seedd" "$work" || exit 1
	seeds "$t" "$seedd"
	dict=$out/$t.dict
	cat "$here/line.dict" >"$dict"
	case $t in
	fuzz_journal) cat "$here/journal.dict" >>"$dict" ;;
	fuzz_omprog) cat "$here/omprog.dict" >>"$dict" ;;
	fuzz_files) cat "$here/files.dict" >>"$dict" ;;
	fuzz_decision) cat "$here/decision.dict" >"$dict" ;;
	esac
	echo "$t: fuzzing for ${FUZZ_TARGET_SECONDS}s ($FUZZ_JOBS job(s)), seeds: $(ls "$seedd" | wc -l) files"
	# In $work: with -jobs, libFuzzer writes fuzz-N.log into the current directory.
	# shellcheck disable=SC2086
	(cd "$work" && "$out/$t" -max_total_time="$FUZZ_TARGET_SECONDS" -max_len=8192 -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$out/$t-" -dict="$dict" \
		$jobs "$corpus" "$seedd" >"$out/$t.log" 2>&1)
	st=$?
	rm -rf "$seedd"
	grep -h -E '^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+.*DONE)' \
		"$out/$t.log" "$work"/fuzz-*.log 2>/dev/null | sed "s/^/$t: /"
	if [ $st -ne 0 ]; then
		tail -60 "$out/$t.log"
		cat "$work"/fuzz-*.log 2>/dev/null | tail -60
		echo "FAIL: $t found a problem (exit $st); see $out/$t.log and $out/$t-crash-*"
		status=1
		continue
	fi
	rm -rf "$work"
	echo "PASS: $t, corpus $(ls "$corpus" | wc -l) inputs"
done
exit $status

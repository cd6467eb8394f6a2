#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/valgrind.sh - integration tests with authfold and authfold-omprog
# under valgrind memcheck. Slow (minutes): not in TESTS, run it by hand as
# root from a configured and built tree (in-tree or VPATH), not a sanitizer
# build (ASan and valgrind do not mix):
#
#   top_srcdir=. top_builddir=. tests/valgrind.sh [TEST.sh ...]
#
# Each test runs with bash, as make check runs them ($(SHELL)).
#
# How: the tests find the programs as $top_builddir/authfold and
# $top_builddir/authfold-omprog (the rsyslog tests write that path into
# rsyslog's omprog action). This script makes a shadow build directory
# whose entries are symbolic links to the real one, except those two,
# which are small scripts that exec the real program under $AUTHFOLD_WRAP,
# and runs the tests with top_builddir pointing there. No test needs a hook
# of its own. rsyslog starts omprog programs with an empty environment, so
# everything the wrappers need is written into them.
#
#   AUTHFOLD_WRAP   the wrapper command (default below); with valgrind,
#                   each run logs to $VALGRIND_LOGS/NAME.PID.log
#   VALGRIND_LOGS   where those logs go (default: a new /tmp/authfold-valgrind.*,
#                   kept and printed at the end)
#   FLOOD_LINES     lines of the hostile floods (default here 100000: still
#                   past the 65536-entry tables; their RSS and time bounds
#                   are lifted, valgrind's own memory is measured)
#
# Default tests: the oracle (authfold replay), tests/hostile/*.sh,
# tests/rsyslog/confirm.sh, tests/journal/equivalence.sh, tests/bans/replay.sh
# and the end-to-end test (tests/e2e/run.sh: authfold-omprog under rsyslog
# and `authfold journal` with the ipset backend, as root, after the drop to
# CAP_NET_ADMIN; about 2 minutes).
# Exit 0 when every test passes (or skips) and every program run ended
# with "ERROR SUMMARY: 0 errors" (definite leaks count as errors); 1 otherwise.
# A run without a summary (killed, e.g. by rsyslog's closeTimeout) is
# reported and fails too.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${AUTHFOLD_WRAP:=valgrind --tool=memcheck --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite,indirect --track-origins=yes --child-silent-after-fork=yes}"
: "${FLOOD_LINES:=100000}"
src=$(cd "$top_srcdir" && pwd)
build=$(cd "$top_builddir" && pwd)

for p in authfold authfold-omprog; do
	[ -x "$build/$p" ] || { echo "FAIL: $build/$p is not built"; exit 1; }
	if grep -q __asan_init "$build/$p" 2>/dev/null; then
		echo "SKIP: $build/$p is built with AddressSanitizer; valgrind needs a plain build"
		exit 77
	fi
done
wrap0=${AUTHFOLD_WRAP%% *}
command -v "$wrap0" >/dev/null || { echo "SKIP: no $wrap0 (Debian: apt-get install valgrind)"; exit 77; }
wrap0=$(command -v "$wrap0")

if [ $# -gt 0 ]; then
	tests=("$@")
else
	tests=(tests/oracle/oracle.sh tests/hostile/longline.sh tests/hostile/binary.sh tests/hostile/forged.sh
	       tests/hostile/connect-flood.sh tests/hostile/strike-flood.sh tests/rsyslog/confirm.sh
	       tests/journal/equivalence.sh tests/bans/replay.sh tests/e2e/run.sh)
fi

V=$(mktemp -d "${TMPDIR:-/tmp}/authfold-valgrind.XXXXXX") || exit 1
: "${VALGRIND_LOGS:=$V/logs}"
mkdir -p "$VALGRIND_LOGS" "$V/build" || exit 1
VALGRIND_LOGS=$(cd "$VALGRIND_LOGS" && pwd)
trap 'rm -rf "$V/build"' EXIT

# The shadow build directory.
for e in "$build"/* "$build"/.[!.]*; do
	[ -e "$e" ] || continue
	case ${e##*/} in authfold|authfold-omprog) continue ;; esac
	ln -s "$e" "$V/build/${e##*/}"
done
for p in authfold authfold-omprog; do
	{
		echo '#!/bin/sh'
		echo "# authfold tests/valgrind.sh: $p under AUTHFOLD_WRAP"
		printf 'exec %s' "$wrap0"
		# shellcheck disable=SC2086
		set -- ${AUTHFOLD_WRAP#* }
		[ "$wrap0" = "${AUTHFOLD_WRAP}" ] && set --
		for a in "$@"; do printf " '%s'" "$a"; done
		case ${wrap0##*/} in
		valgrind*) printf " '--log-file=%s/%s.%%p.log'" "$VALGRIND_LOGS" "$p" ;;
		esac
		printf " '%s' \"\$@\"\n" "$build/$p"
	} >"$V/build/$p"
	chmod 755 "$V/build/$p"
done

echo "wrapper: $(sed -n 3p "$V/build/authfold")"
pass=0 fail=0 skip=0
for t in "${tests[@]}"; do
	[ -f "$src/$t" ] || { echo "FAIL: no $src/$t"; fail=$((fail + 1)); continue; }
	start=$(date +%s)
	top_srcdir=$src top_builddir=$V/build FLOOD_LINES=$FLOOD_LINES RSS_LIMIT_KB=16777216 \
		TIME_LIMIT_S=36000 bash "$src/$t" >"$V/${t//\//_}.out" 2>&1
	st=$?
	secs=$(($(date +%s) - start))
	case $st in
	0) r=PASS; pass=$((pass + 1)) ;;
	77) r=SKIP; skip=$((skip + 1)) ;;
	*) r="FAIL (exit $st)"; fail=$((fail + 1)) ;;
	esac
	echo "$r: $t (${secs}s)"
	[ $st = 0 ] || [ $st = 77 ] || tail -20 "$V/${t//\//_}.out"
	[ $st = 77 ] && tail -2 "$V/${t//\//_}.out"
done

# The valgrind logs: one per program run.
runs=0 bad=0
case ${wrap0##*/} in
valgrind*)
	for l in "$VALGRIND_LOGS"/*.log; do
		[ -f "$l" ] || continue
		runs=$((runs + 1))
		if ! grep -q 'ERROR SUMMARY:' "$l"; then
			echo "INCOMPLETE (killed?): $l"
			bad=$((bad + 1))
		elif ! grep -q 'ERROR SUMMARY: 0 errors' "$l"; then
			echo "ERRORS: $l"
			sed -n '/^==[0-9]*== [A-Z].*\(Invalid\|uninitialised\|definitely lost\|Mismatched\|overlap\|Syscall param\)/,/^==[0-9]*== $/p' "$l" | head -60
			bad=$((bad + 1))
		fi
	done
	lost=$(grep -h 'definitely lost:' "$VALGRIND_LOGS"/*.log 2>/dev/null | grep -vc 'definitely lost: 0 bytes')
	echo "valgrind: $runs program runs, $bad with errors or incomplete, $lost with definite leaks; logs in $VALGRIND_LOGS"
	;;
esac
echo "tests: $pass passed, $fail failed, $skip skipped"
[ $fail = 0 ] && [ $bad = 0 ]

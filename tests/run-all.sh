#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/run-all.sh - set up and run every test of authfold on Debian 12 or 13, as root.
#
#   sudo tests/run-all.sh
#
# 1. installs missing packages (tests/deps.sh),
# 2. builds with -Werror and runs `make check` (unit tests, the plain-log oracle,
#    hostile input, rsyslog/journal/ipset integration: each starts the real
#    services it needs, privately, and stops them),
# 3. builds again with AddressSanitizer + UndefinedBehaviorSanitizer and runs
#    the same tests,
# 4. runs the libFuzzer target briefly (FUZZ_SECONDS, default 30) - part of 2,
# 4b. builds and tests authfold in a Debian 13 chroot (tests/trixie/run.sh,
#    gcc 14, -Werror and ASan: unit, oracle, journal, ipset tests; about 3 min
#    with its cached chroot, skipped only when Debian's packages cannot be
#    reached, or on a Debian 13 host, where 2 and 3 ran on Debian 13 itself;
#    tests/trixie/full.sh runs this whole script in a fresh Debian 13 and is
#    not run from here: it doubles the time),
# 5. `make distcheck` (build, install, uninstall and dist from a tarball),
# 6. builds everything (programs and test programs) once more with clang and
#    -Werror, so a warning only clang sees does not wait for the next release.
# It ends with one line "N passed, N failed, N expected failures, N skipped":
# an expected failure (XFAIL, a known bug that tests/hostile/reorder.sh and
# the like name) is not a pass and not a failure; an unexpected pass (XPASS)
# is a failure, so the known bug's test is updated when it is fixed.
# A build or `make check` that stops before its tests does not read as green:
# every test of the suite (`make print-tests`) without a result counts as
# failed, and the end of the log that says why is printed (tests/lib/runall.sh,
# proven by tests/runall/count.sh).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=$(nproc 2>/dev/null || echo 2)

# deps.sh's output is shown as it comes; its last line says why it failed.
deps_log=$(mktemp) || { echo "0 passed, 1 failed"; exit 1; }
if ! bash tests/deps.sh 2>&1 | tee "$deps_log"; then
	echo "FAILED: tests/deps.sh: $(sed -n 's/^deps: failed: //p' "$deps_log" | tail -n1)"
	rm -f "$deps_log"
	echo "0 passed, 1 failed"
	exit 1
fi
rm -f "$deps_log"

# shellcheck source=lib/runall.sh
. "$top/tests/lib/runall.sh"
RUNALL_JOBS=$jobs
step() {	# a step that is not a test of its own but must work
	local what=$1; shift
	if "$@"; then runall_passed=$((runall_passed + 1)); else runall_fail ": $what"; fi
}

[ -x configure ] || autoreconf -fi >/dev/null || { echo "0 passed, 1 failed"; exit 1; }

# A VPATH build needs an unconfigured source tree.
[ -f config.status ] && make -s distclean >/dev/null 2>&1
runall_build "$top/build-ci" "werror" --enable-werror
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	FUZZ_SECONDS=15 runall_build "$top/build-asan" "asan+ubsan" --enable-werror --enable-sanitizers
# Debian 13 from this Debian 12 host: build and tests in a trixie chroot.
trixie_log=$top/build-ci/trixie.log
bash tests/trixie/run.sh >"$trixie_log" 2>&1
case $? in
0) runall_passed=$((runall_passed + 1)) ;;
77) runall_skipped=$((runall_skipped + 1)); echo "skipped: tests/trixie/run.sh: $(tail -n1 "$trixie_log")" ;;
*) runall_fail "(debian13): tests/trixie/run.sh" "$trixie_log" ;;
esac
step "make distcheck" bash -c "cd '$top/build-ci' && make -s distcheck TESTS= >/dev/null 2>&1"
if command -v clang >/dev/null; then
	clang_log=$top/build-ci/clang.log
	if (mkdir -p "$top/build-clang" && cd "$top/build-clang" &&
		CC=clang "$top/configure" -q --enable-werror && make -s -j"$jobs" &&
		make -s -j"$jobs" check TESTS=) >"$clang_log" 2>&1; then
		runall_passed=$((runall_passed + 1))
	else
		runall_fail ": clang -Werror build" "$clang_log"
	fi
fi

runall_summary

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/runall/count.sh - tests/run-all.sh never reports green without results.
#
# run-all's counting (tests/lib/runall.sh) on a small autotools tree built the
# way authfold's is (TESTS of a C unit test and .sh scripts, TEST_EXTENSIONS,
# and the print-tests targets copied from authfold's own Makefile.am):
#  1. one unit test does not compile: make check stops before any test, and
#     the run must end "0 passed, 3 failed" with exit 1 and the compiler's
#     error shown;
#  2. the same tree fixed: "3 passed, 0 failed", exit 0;
#  3. one result removed (a run that executed fewer tests than the suite
#     has): 1 failed, named;
#  4. a configure that fails: counted as failed, its log's end shown;
#  5. nothing counted at all is not green.
# Needs autoconf, automake and a C compiler (exit 77 without them).
set -uo pipefail
# Run by make check: the outer make's flags (TESTS=..., -j) must not reach
# the small tree's make.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES
top_srcdir=${top_srcdir:-.}
src=$(cd "$top_srcdir" && pwd)
for p in autoreconf automake cc make; do
	command -v "$p" >/dev/null || { echo "SKIP: $p missing"; exit 77; }
done
. "$src/tests/lib/tap.sh"

T=$(mktemp -d /tmp/authfold-runall.XXXXXX)
trap 'rm -rf "$T"' EXIT
tree=$T/tree
mkdir -p "$tree/tests/unit"
cat >"$tree/configure.ac" <<'EOF'
AC_INIT([runall-mini], [1])
AM_INIT_AUTOMAKE([foreign subdir-objects])
AC_PROG_CC
AC_CONFIG_FILES([Makefile])
AC_OUTPUT
EOF
{
	cat <<'EOF'
check_PROGRAMS = tests/unit/test_good tests/unit/test_broken
TESTS = tests/unit/test_good tests/unit/test_broken tests/script.sh
TEST_EXTENSIONS = .sh
SH_LOG_COMPILER = $(SHELL)
EXTRA_DIST = tests/script.sh
EOF
	# authfold's own targets, so that this tests what run-all relies on
	sed -n '/^print-tests:/,/^\.PHONY: print-tests/p' "$src/Makefile.am"
} >"$tree/Makefile.am"
grep -q '^print-test-extensions:' "$tree/Makefile.am" ||
	{ echo "Bail out! authfold's Makefile.am has no print-tests/print-test-extensions targets"; exit 1; }
echo 'int main(void) { return 0; }' >"$tree/tests/unit/test_good.c"
echo 'int main(void) { return undeclared_in_this_test; }' >"$tree/tests/unit/test_broken.c"
printf '#!/bin/sh\nexit 0\n' >"$tree/tests/script.sh"
(cd "$tree" && autoreconf -fi) >"$T/autoreconf.log" 2>&1 ||
	{ cat "$T/autoreconf.log"; echo "Bail out! autoreconf of the small tree failed"; exit 1; }

# run CASE-NAME SHELL-CODE: the code with runall.sh sourced, in a subshell,
# output in $T/CASE.out, status in $T/CASE.rc
run() {
	local name=$1 code=$2
	(
		top=$tree
		RUNALL_JOBS=2
		. "$src/tests/lib/runall.sh"
		eval "$code"
		runall_summary
	) >"$T/$name.out" 2>&1
	echo $? >"$T/$name.rc"
	sed "s/^/# $name: /" "$T/$name.out"
}
has() { grep -q -- "$2" "$T/$1.out"; }
rc_is() { [ "$(cat "$T/$1.rc")" = "$2" ]; }

run broken 'runall_build "$T/b1" broken'
check "a unit test that does not compile: 0 passed, 3 failed" has broken '^0 passed, 3 failed, 0 expected failures, 0 skipped$'
check "... and exit 1" rc_is broken 1
check "... every test named as not run" has broken 'tests/script: no result (not run)'
check "... the compiler's error shown" has broken 'undeclared_in_this_test'

echo 'int main(void) { return 0; }' >"$tree/tests/unit/test_broken.c"
run fixed 'runall_build "$T/b2" fixed'
check "the same tree fixed: 3 passed, 0 failed" has fixed '^3 passed, 0 failed, 0 expected failures, 0 skipped$'
check "... and exit 0" rc_is fixed 0

rm -f "$T/b2/tests/unit/test_good.trs"
run fewer 'runall_count "$T/b2" fewer'
check "one result missing: 2 passed, 1 failed" has fewer '^2 passed, 1 failed, 0 expected failures, 0 skipped$'
check "... the missing test named" has fewer 'tests/unit/test_good: no result (not run)'
check "... and exit 1" rc_is fewer 1

run noconf 'runall_build "$T/b3" noconf --with-no-such-option CC=/nonexistent/cc'
check "a configure that fails: 1 failed, exit 1" has noconf '^0 passed, 1 failed, '
check "... its log's end shown" has noconf 'runall-build.log, its last'
check "... and exit 1" rc_is noconf 1

run nothing ':'
check "nothing counted at all is not green" rc_is nothing 1
finish

# SPDX-License-Identifier: GPL-2.0-or-later
# tests/lib/runall.sh - sourced by tests/run-all.sh (and tests/runall/count.sh,
# which proves it): build a tree, run its `make check`, and count the results
# against the list of tests the suite has, so that a run that ran nothing (or
# less than everything) can never read as green.
#
#   runall_build DIR LABEL CONFIGURE-FLAGS...
#       configure (the tree at $top) and build in DIR, then `make check`;
#       a configure or build failure is one failure with its log's end
#       printed; then runall_count.
#   runall_count DIR LABEL
#       for every test of `make print-tests` in DIR: its .trs result, or a
#       failure "no result" when it has none (make check stopped early, or
#       the test was never run); when make check failed, its log's end.
#   runall_expected DIR
#       the .trs paths (relative to DIR) of every test of the suite, one a line.
#   runall_summary
#       "N passed, N failed, N expected failures, N skipped"; status 0 only
#       when nothing failed and something passed.
# Counters: runall_passed runall_failed runall_xfailed runall_skipped.
# Environment: RUNALL_JOBS (make -j, default 2), RUNALL_TAIL (lines of a log's
# end, default 40).

runall_passed=0 runall_failed=0 runall_xfailed=0 runall_skipped=0

runall_fail() {	# runall_fail MESSAGE [LOG]: one failure, with LOG's end
	runall_failed=$((runall_failed + 1))
	echo "FAILED $1"
	if [ -n "${2:-}" ]; then
		echo "--- $2, its last ${RUNALL_TAIL:-40} lines:"
		tail -n "${RUNALL_TAIL:-40}" "$2" 2>/dev/null
	fi
}

# The suite's tests as .trs paths. Automake names the result of a test with
# an extension of TEST_EXTENSIONS without it (tests/x.sh -> tests/x.trs).
runall_expected() {
	local dir=$1 exts
	exts=$(make -s --no-print-directory -C "$dir" print-test-extensions 2>/dev/null) || return 1
	make -s --no-print-directory -C "$dir" print-tests 2>/dev/null | tr ' \t' '\n\n' | sed '/^$/d' |
	while IFS= read -r t; do
		local e base=$t
		for e in $exts; do
			case "$t" in *"$e") base=${t%"$e"}; break ;; esac
		done
		echo "$base.trs"
	done
}

runall_count() {
	local dir=$1 label=$2 list t r n=0
	list=$(runall_expected "$dir") && [ -n "$list" ] || {
		runall_fail "($label): cannot list the suite's tests (make print-tests in $dir)"
		return 1
	}
	while IFS= read -r t; do
		n=$((n + 1))
		if [ ! -f "$dir/$t" ]; then
			runall_fail "($label): ${t%.trs}: no result (not run)"
			continue
		fi
		r=$(sed -n 's/^:test-result: //p' "$dir/$t" | head -n1)
		case "$r" in
		PASS) runall_passed=$((runall_passed + 1)) ;;
		XFAIL) runall_xfailed=$((runall_xfailed + 1)); echo "expected failure, a known bug ($label): ${t%.trs}" ;;
		XPASS) runall_fail "($label): ${t%.trs} passed but is listed as a known bug (XFAIL_TESTS)" ;;
		SKIP) runall_skipped=$((runall_skipped + 1)) ;;
		*) runall_fail "($label): ${t%.trs}" "$dir/${t%.trs}.log" ;;
		esac
	done <<<"$list"
	echo "($label): $n tests in the suite"
}

runall_build() {
	local dir=$1 label=$2 log
	shift 2
	rm -rf "$dir"; mkdir -p "$dir"
	log=$dir/runall-build.log
	if ! ( cd "$dir" && "$top/configure" -q "$@" && make -s -j"${RUNALL_JOBS:-2}" ) >"$log" 2>&1; then
		runall_fail "($label): build" "$log"
		return 1
	fi
	log=$dir/runall-check.log
	if ! ( cd "$dir" && make -s -j1 check ) >"$log" 2>&1; then
		# Failed tests are shown by runall_count; a make check that
		# stopped before them (a test that does not compile) only here.
		echo "make check ($label) failed; its log: $log"
		if ! grep -q '^# TOTAL:' "$log"; then
			echo "--- make check ($label) ended without a test summary, its last ${RUNALL_TAIL:-40} lines:"
			tail -n "${RUNALL_TAIL:-40}" "$log"
		fi
	fi
	runall_count "$dir" "$label"
}

runall_summary() {
	echo "$runall_passed passed, $runall_failed failed, $runall_xfailed expected failures, $runall_skipped skipped"
	[ "$runall_failed" -eq 0 ] && [ "$runall_passed" -gt 0 ]
}

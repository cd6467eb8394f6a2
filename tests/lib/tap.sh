# SPDX-License-Identifier: GPL-2.0-or-later
# tests/lib/tap.sh - sourced: the TAP lines of the shell tests that count
# their checks.
#   check DESCRIPTION COMMAND...   runs COMMAND: "ok N - ..." or "not ok N - ..."
#   finish                         "1..N", and a status: 0 when nothing failed
n=0
failed=0
check() {
	desc=$1
	shift
	n=$((n + 1))
	if "$@"; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc"
		failed=$((failed + 1))
	fi
}
finish() {
	echo "1..$n"
	[ "$failed" = 0 ]
}

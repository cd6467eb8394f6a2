# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by tests/journal/*.sh: sourced, not run.
# Needs root (journal files written by systemd-journal-remote are read back as
# they would be on a system) and /lib/systemd/systemd-journal-remote; exits 77
# (skip) otherwise. Everything happens in a temp dir removed at exit.
set -eu

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
AUTHFOLD=$top_builddir/authfold
HERE=$top_srcdir/tests/journal
REMOTE=/lib/systemd/systemd-journal-remote
NAME=$(basename "$0" .sh)
export TZ=UTC LC_ALL=C

skip() { echo "SKIP $NAME: $*" >&2; exit 77; }
fail() { echo "FAIL $NAME: $*" >&2; exit 1; }
say() { echo "$NAME: $*" >&2; }

[ "$(id -u)" = 0 ] || skip "needs root"
[ -x "$REMOTE" ] || skip "$REMOTE not installed (Debian package systemd-journal-remote)"
[ -x "$AUTHFOLD" ] || fail "$AUTHFOLD not built"
command -v python3 >/dev/null || skip "needs python3"

T=$(mktemp -d "${TMPDIR:-/tmp}/authfold-journal-$NAME.XXXXXX")
PIDS=""
cleanup() {
	for p in $PIDS; do kill -9 "$p" 2>/dev/null || true; done
	rm -rf "$T"
}
trap cleanup EXIT

# The recorded real Postfix log when there is one, else the hand-written sample.
data_log() {
	if [ -s "$top_srcdir/tests/data/verbose.rfc3339.log" ]; then
		echo "$top_srcdir/tests/data/verbose.rfc3339.log"
	else
		echo "$HERE/sample.syslog"
	fi
}

# conf FILE [extra lines]: a test configuration with its state in $T/state.
conf() {
	local f=$1
	shift
	mkdir -p "$T/state"
	{
		echo "state_dir = $T/state"
		echo "backend = none"
		echo "summary_format = rfc3339"
		for l in "$@"; do echo "$l"; done
	} >"$f"
}

# export_to JOURNAL_FILE [log2export options] < LOG: appends the lines as entries.
export_to() {
	local out=$1
	shift
	mkdir -p "$(dirname "$out")"
	python3 "$HERE/log2export.py" "$@" | "$REMOTE" -o "$out" - 2>"$T/remote.err" ||
		{ cat "$T/remote.err" >&2; fail "systemd-journal-remote failed"; }
}

# Events without the wall-clock dependent applied_seconds.
events_norm() { sed -e 's/,"applied_seconds":[-0-9]*//' "$1"; }

# same_summary A B: identical, or identical after the timestamp when the
# input's timestamps are not in UTC.
same_summary() {
	if cmp -s "$1" "$2"; then return 0; fi
	if ! grep -qv '^[^ ]*+00:00 ' "$1"; then
		diff -u "$1" "$2" | head -20 >&2
		return 1
	fi
	diff -u <(cut -d' ' -f2- "$1") <(cut -d' ' -f2- "$2") | head -20 >&2
	[ "${PIPESTATUS[0]}" = 0 ]
}

same_events() {
	diff -u <(events_norm "$1") <(events_norm "$2") | head -20 >&2
	[ "${PIPESTATUS[0]}" = 0 ]
}

strikes() { grep -c '"event":"strike"' "$1" || true; }

# replay_ref LOG SUMMARY EVENTS: the reference, authfold replay of the same lines.
replay_ref() {
	"$AUTHFOLD" replay -c "$T/c.conf" --ban --summary "$2" --events "$3" "$1" 2>"$T/replay.err" ||
		{ cat "$T/replay.err" >&2; fail "authfold replay failed"; }
}

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# sd_notify through a test NOTIFY_SOCKET (a python3 unix datagram socket):
# READY=1 once, STATUS= with counters, WATCHDOG=1 every half of
# WATCHDOG_USEC, STOPPING=1 on SIGTERM.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${top_srcdir:-$(dirname "$0")/../..}/tests/journal/lib.sh"

LOG=$(data_log)
conf "$T/c.conf"
export_to "$T/j/x.journal" <"$LOG"

python3 "$top_srcdir/tests/lib/notify-listen.py" "$T/notify.sock" "$T/notify.txt" &
PIDS=$!
for _ in $(seq 100); do [ -S "$T/notify.sock" ] && break; sleep 0.02; done
[ -S "$T/notify.sock" ] || fail "the test's notify socket did not appear"

NOTIFY_SOCKET=$T/notify.sock WATCHDOG_USEC=400000 \
	"$AUTHFOLD" journal -c "$T/c.conf" --directory "$T/j" --summary "$T/j.sum" 2>"$T/journal.err" &
pid=$!
PIDS="$PIDS $pid"
sleep 1.5
kill -TERM "$pid"
wait "$pid" || fail "exit status $? after SIGTERM"
for _ in $(seq 100); do grep -q STOPPING=1 "$T/notify.txt" 2>/dev/null && break; sleep 0.02; done

f=$T/notify.txt
[ "$(grep -c '^READY=1$' "$f")" = 1 ] || { cat "$f" >&2; fail "READY=1 not sent exactly once"; }
grep -q '^STATUS=following: [0-9]* entries' "$f" || { cat "$f" >&2; fail "no STATUS= with counters"; }
w=$(grep -c '^WATCHDOG=1$' "$f" || true)
[ "$w" -ge 4 ] || { cat "$f" >&2; fail "$w WATCHDOG=1 in 1.5 s with WATCHDOG_USEC=400000 (want >= 4)"; }
grep -q '^STOPPING=1$' "$f" || fail "no STOPPING=1 after SIGTERM"
status=$(grep '^STATUS=following' "$f" | tail -1)
say "READY=1, $w WATCHDOG=1 in 1.5 s, STOPPING=1; last ${status}"

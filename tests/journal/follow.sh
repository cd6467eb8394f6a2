#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Live follow: entries appended while authfold journal --directory runs reach
# the summary within a second; SIGTERM ends it cleanly (exit 0, state saved);
# a restart goes on after the saved cursor (no line twice).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${top_srcdir:-$(dirname "$0")/../..}/tests/journal/lib.sh"

LOG=$(data_log)
conf "$T/c.conf"
grep -E '^[0-9]{4}-' "$LOG" >"$T/all.log" || true
n=$(wc -l <"$T/all.log")
replay_ref "$T/all.log" "$T/r.sum" "$T/r.ev"
h=$((n / 2))
export_to "$T/j/x.journal" --to "$h" <"$T/all.log"

start() {
	"$AUTHFOLD" journal -c "$T/c.conf" --directory "$T/j" --summary "$T/j.sum" --events "$T/j.ev" \
		2>>"$T/journal.err" &
	pid=$!
	PIDS=$pid
}
# wait_for PATTERN [T0]: up to 5 s; prints the milliseconds since T0 (ns)
wait_for() {
	local t0=${2:-$(date +%s%N)} now
	while :; do
		if grep -qF -- "$1" "$T/j.sum" 2>/dev/null; then
			now=$(date +%s%N)
			echo $(((now - t0) / 1000000))
			return 0
		fi
		now=$(date +%s%N)
		[ $(((now - t0) / 1000000)) -lt 5000 ] || return 1
		sleep 0.01
	done
}

start
first=$(head -1 "$T/r.sum" | cut -d' ' -f2-)
wait_for "$first" >/dev/null || fail "the first half never reached the summary"

# Append the rest while it runs; the last summary line must appear within 1 s.
last=$(tail -1 "$T/r.sum")
grep -qF -- "$last" "$T/j.sum" && fail "the last line is already there: bad split"
python3 "$HERE/log2export.py" --from "$h" <"$T/all.log" >"$T/rest.export"
t0=$(date +%s%N)
"$REMOTE" -o "$T/j/x.journal" - <"$T/rest.export" 2>/dev/null
ms=$(wait_for "$last" "$t0") || fail "appended entries not in the summary after 5 s"
[ "$ms" -le 1000 ] || fail "appended entries took $ms ms to reach the summary (limit 1000)"

kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
PIDS=
[ "$rc" = 0 ] || { cat "$T/journal.err" >&2; fail "exit status $rc after SIGTERM"; }
grep -q "stopped after" "$T/journal.err" || fail "no clean stop message"
same_summary "$T/r.sum" "$T/j.sum" || fail "followed summary differs from replay"
same_events "$T/r.ev" "$T/j.ev" || fail "followed events differ from replay"

# Restart: nothing new, nothing repeated; then one more part is picked up.
start
sleep 0.5
same_summary "$T/r.sum" "$T/j.sum" || fail "a restart repeated lines"
t0=$(date +%s%N)
printf '__REALTIME_TIMESTAMP=1795800000000000\n__MONOTONIC_TIMESTAMP=1795800000000000\n_BOOT_ID=a7f01d0000000000000000000000b007\nMESSAGE=authfold-follow-marker\nSYSLOG_IDENTIFIER=postfix/qmgr\nSYSLOG_PID=7\n_PID=7\n_COMM=qmgr\n_HOSTNAME=mx\nSYSLOG_FACILITY=2\n\n' |
	"$REMOTE" -o "$T/j/x.journal" - 2>/dev/null
ms2=$(wait_for "authfold-follow-marker" "$t0") || fail "entry after a restart not in the summary"
[ "$ms2" -le 1000 ] || fail "entry after a restart took $ms2 ms (limit 1000)"
kill -TERM "$pid"
wait "$pid" || fail "second run: exit status $? after SIGTERM"
PIDS=
[ "$(grep -c authfold-follow-marker "$T/j.sum")" = 1 ] || fail "marker not exactly once"
say "$n lines, appended half ($((n - h)) entries) in the summary $ms ms after the append began, after a restart in $ms2 ms; SIGTERM clean"

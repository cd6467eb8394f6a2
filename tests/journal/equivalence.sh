#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# authfold journal --once over a journal built from a Postfix log gives the
# same summary and the same strikes and bans as authfold replay of that log.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${top_srcdir:-$(dirname "$0")/../..}/tests/journal/lib.sh"

LOG=$(data_log)
conf "$T/c.conf"
export_to "$T/j/x.journal" --accepted "$T/in.log" <"$LOG"
replay_ref "$T/in.log" "$T/r.sum" "$T/r.ev"

"$AUTHFOLD" journal -c "$T/c.conf" --once --directory "$T/j" --summary "$T/j.sum" --events "$T/j.ev" \
	2>"$T/journal.err" || { cat "$T/journal.err" >&2; fail "authfold journal failed"; }

n=$(wc -l <"$T/in.log")
[ "$n" -gt 0 ] || fail "no input lines"
[ -s "$T/r.sum" ] || fail "replay wrote no summary"
same_summary "$T/r.sum" "$T/j.sum" || fail "summaries differ (replay vs journal)"
same_events "$T/r.ev" "$T/j.ev" || fail "events differ (replay vs journal)"
s=$(strikes "$T/j.ev")
[ "$s" -gt 0 ] || fail "no strike at all: the test proves nothing"
grep -q "^Lines: $n read" "$T/journal.err" || fail "journal report does not count $n entries"

# The default journal_match (SYSLOG_FACILITY=2) leaves out other facilities.
printf '__REALTIME_TIMESTAMP=1795718800000000\n__MONOTONIC_TIMESTAMP=1795718800000000\n_BOOT_ID=a7f01d0000000000000000000000b007\nMESSAGE=not mail\nSYSLOG_IDENTIFIER=cron\n_COMM=cron\n_HOSTNAME=mx\nSYSLOG_FACILITY=3\n\n' |
	"$REMOTE" -o "$T/j/x.journal" - 2>/dev/null
rm -rf "$T/state"/*
"$AUTHFOLD" journal -c "$T/c.conf" --once --directory "$T/j" --summary "$T/j2.sum" 2>/dev/null
cmp -s "$T/j.sum" "$T/j2.sum" || fail "an entry of facility 3 reached the summary"

say "$(basename "$LOG"): $n lines, summary $(wc -l <"$T/j.sum") lines, $s strikes: same as replay"

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Resuming from the saved cursor: a journal written in parts, authfold journal
# --once after each part, gives the summary and events of one replay; a run
# with nothing new adds nothing; a vacuumed cursor goes on with the next
# entry; a garbage cursor is reported and (with --directory) starts at the head.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${top_srcdir:-$(dirname "$0")/../..}/tests/journal/lib.sh"

LOG=$(data_log)
conf "$T/c.conf"
grep -E '^[0-9]{4}-' "$LOG" >"$T/all.log" || true
n=$(wc -l <"$T/all.log")
[ "$n" -ge 8 ] || fail "too few lines in $LOG"
replay_ref "$T/all.log" "$T/r.sum" "$T/r.ev"

run() {
	"$AUTHFOLD" journal -c "$T/c.conf" --once --directory "$T/j" --summary "$T/j.sum" --events "$T/j.ev" \
		"$@" 2>"$T/journal.err" || { cat "$T/journal.err" >&2; fail "authfold journal failed"; }
}

# 1. Five parts of uneven sizes appended to one journal file.
cuts="0 1 $((n / 7)) $((n / 2)) $((n - 3)) $n"
prev=
for c in $cuts; do
	if [ -n "$prev" ]; then
		export_to "$T/j/x.journal" --from "$prev" --to "$c" <"$T/all.log"
		run
	fi
	prev=$c
done
same_summary "$T/r.sum" "$T/j.sum" || fail "parts: summary differs from replay"
same_events "$T/r.ev" "$T/j.ev" || fail "parts: events differ from replay"

# 2. Nothing new: nothing written.
run
same_summary "$T/r.sum" "$T/j.sum" || fail "a run with no new entry changed the summary"
same_events "$T/r.ev" "$T/j.ev" || fail "a run with no new entry changed the events"

# 3. Vacuumed cursor: part 1 in a.journal, read; part 2 in b.journal; a.journal
#    removed (as journald's vacuum does): the reader goes on with b's first entry.
rm -rf "$T/j" "$T/state" "$T/j.sum" "$T/j.ev"
conf "$T/c.conf"
h=$((n / 2))
export_to "$T/j/a.journal" --to "$h" <"$T/all.log"
run
export_to "$T/j/b.journal" --from "$h" <"$T/all.log"
rm "$T/j/a.journal"
run
grep -q "vacuumed" "$T/journal.err" || fail "no warning about the vacuumed cursor"
same_summary "$T/r.sum" "$T/j.sum" || fail "vacuumed cursor: summary differs from replay"
same_events "$T/r.ev" "$T/j.ev" || fail "vacuumed cursor: events differ from replay"

# 4. Garbage cursor: a warning, then (--directory) everything from the head.
sed -i 's/^extra cursor .*/extra cursor this-is-no-cursor/' "$T/state/journal-directory.state"
rm -f "$T/j.sum" "$T/j.ev"
run
grep -q "cursor saved in .* is not usable; starting at the head" "$T/journal.err" ||
	{ cat "$T/journal.err" >&2; fail "no warning about the garbage cursor"; }
[ "$(wc -l <"$T/j.sum")" -gt 0 ] || fail "garbage cursor: nothing read from the head"

say "$n lines in 5 parts, vacuumed and garbage cursors: ok"

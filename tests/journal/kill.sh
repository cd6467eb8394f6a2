#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# SIGKILL at random points, then resume: the summary and events end up exactly
# those of one replay (no missing, no doubled line, every strike once), thanks
# to the checkpoint {cursor, engine state, output sizes} and the cut back of
# the outputs to the saved sizes on start.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${top_srcdir:-$(dirname "$0")/../..}/tests/journal/lib.sh"

LOG=$(data_log)
# Checkpoints far apart: output passes the 64 KiB buffer between them, so a
# kill leaves lines after the checkpoint that the restart must cut back.
conf "$T/c.conf" "journal_checkpoint_entries = 100000"
n=$(grep -cE '^[0-9]{4}-' "$LOG" || true)
[ "$n" -gt 0 ] || fail "no syslog lines in $LOG"
rep=$(( (300000 + n - 1) / n ))
export_to "$T/j/x.journal" --repeat "$rep" --accepted "$T/all.log" <"$LOG"
total=$(wc -l <"$T/all.log")
replay_ref "$T/all.log" "$T/r.sum" "$T/r.ev"

kills=0 midway=0 tries=0
while :; do
	tries=$((tries + 1))
	[ "$tries" -le 60 ] || fail "60 runs and still not done"
	"$AUTHFOLD" journal -c "$T/c.conf" --once --directory "$T/j" --summary "$T/j.sum" --events "$T/j.ev" \
		2>>"$T/journal.err" &
	pid=$!
	PIDS=$pid
	# 5..65 ms at first, wider with each kill: a slow build (ASan, a busy
	# machine) must still get kills that land after a checkpoint
	ms=$((5 + RANDOM % (60 + kills * 15)))
	sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
	if kill -9 "$pid" 2>/dev/null; then
		wait "$pid" 2>/dev/null || true
		kills=$((kills + 1))
		s=$(wc -l <"$T/j.sum" 2>/dev/null || echo 0)
		r=$(wc -l <"$T/r.sum")
		[ "$s" -lt "$r" ] && midway=$((midway + 1))
		[ "$kills" -lt 40 ] && continue
		# enough: let the next run finish
		"$AUTHFOLD" journal -c "$T/c.conf" --once --directory "$T/j" --summary "$T/j.sum" \
			--events "$T/j.ev" 2>>"$T/journal.err" || fail "final run failed"
		break
	fi
	wait "$pid" || { tail "$T/journal.err" >&2; fail "authfold journal failed"; }
	break
done
PIDS=
[ "$midway" -ge 3 ] || fail "only $midway of $kills kills landed before the end: the test proves little"
same_summary "$T/r.sum" "$T/j.sum" || fail "summary after $kills SIGKILLs differs from replay"
same_events "$T/r.ev" "$T/j.ev" || fail "events after $kills SIGKILLs differ from replay"
cut_backs=$(grep -c "after the last checkpoint removed" "$T/journal.err" || true)
[ "$cut_backs" -ge 1 ] || fail "no kill left lines after a checkpoint: the cut back was not tested"
say "$total entries, $kills SIGKILLs ($midway midway, $cut_backs outputs cut back): same as replay, $(strikes "$T/j.ev") strikes each once"

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# rsyslog's queue spills and hands lines over out of order; the fold places
# them by time. The shipped snippet (queue.size 100000: a smaller queue lost
# lines to queue.timeoutEnqueue when tried), authfold-omprog stopped
# (SIGSTOP) while about 120000 lines arrive, past the queue's high watermark
# of 90000, then let go: the disk-assisted queue drains its disk part and its
# memory part at the same time (bench/omprog/order.sh measured this). The
# result must be authfold replay's of the same lines in order
# (tests/order/compare.py --input: the kept lines as a multiset, one
# synthetic line per session carrying one of its proving lines' prefix, the
# strikes per session, the bans). A second run
# kills authfold-omprog (SIGKILL) three times while the queue drains:
# no kept line and no strike missing, at most one line, one strike and one
# ban more per kill (the line rsyslog sends again, whose outputs may have
# been written before the kill).
. "$(dirname "$0")/lib.sh"

COPIES=${SPILL_COPIES:-30}
COMPARE=$top_srcdir/tests/order/compare.py

# spill_run NAME KILLS
spill_run() {
    local name=$1 kills=$2
    # SIGSTOP is how the test holds the queue, and sending the burst may
    # take longer than the snippet's confirmTimeout on a loaded machine:
    # rsyslog would then take the stopped program for a hung one and kill
    # it, a kill the comparison does not count. So confirmTimeout covers
    # the stop here; the kills are the test's own.
    new_run "$name" 's|action.resumeInterval="10"|action.resumeInterval="1"|' \
        's|confirmTimeout="10000"|confirmTimeout="600000"|'
    python3 "$top_srcdir/bench/gen-log.py" "$top_srcdir/tests/data/verbose.rfc3339.log" "$W/big.log" \
        $((COPIES * 4074)) >/dev/null || fail "gen-log.py"
    DATA=$W/big.log
    expect
    rm -f "$W/exp/summary.log" "$W/exp/events.log"	# again, with the events (outputs append)
    "$AUTHFOLD" replay -c "$W/exp/authfold.conf" --summary "$W/exp/summary.log" --events "$W/exp/events.log" \
        "$W/exp/input.log" 2>/dev/null || fail "authfold replay with events failed"
    start_rsyslog
    # The first lines, all of them answered, so that SIGSTOP finds the
    # program waiting for the next line, not between a line's outputs and
    # its "OK" (a kill there makes rsyslog send that line again).
    send --to 100 --sentinel first-lines
    wait_for first-lines
    sleep 0.5
    local p i t0
    p=$(omprog_pid)
    [ -n "$p" ] || fail "no authfold-omprog after the first lines"
    kill -STOP "$p"
    t0=$SECONDS
    send --from 100 --sentinel end-of-test
    say "the burst of $(($(wc -l <"$DATA") - 100)) lines took $((SECONDS - t0)) s while authfold-omprog was stopped"
    kill -CONT "$p"
    local k pids=()
    for k in $(seq "$kills"); do
        sleep 0.7
        p=$(omprog_pid)
        [ -n "$p" ] || continue
        kill -KILL "$p"
        pids+=("$p")
        say "kill $k: SIGKILL to $p"
    done
    # The sentinel may overtake the lines (that is the point): wait until
    # the summary holds as many lines as the replay's, or stops growing.
    # A drain that stops for STILL seconds has ended (it never stopped for
    # more than a few seconds when measured, also under load); the whole
    # wait is bounded by 600 s.
    local want last=-1 n still=0 longest=0 start=$SECONDS
    want=$(($(wc -l <"$W/exp/summary.log") + 2))	# and the two sentinels
    while [ $((SECONDS - start)) -lt 600 ]; do
        n=$(wc -l <"$SUMMARY" 2>/dev/null || echo 0)
        [ "$n" -ge "$want" ] && break
        if [ "$n" = "$last" ]; then still=$((still + 1)); else still=0; fi
        [ "$still" -gt "$longest" ] && longest=$still
        [ "$still" -ge "$((${SPILL_STILL:-90} * 10))" ] && break
        last=$n
        sleep 0.1
    done
    say "summary: $n of $want lines after $((SECONDS - start)) s; longest stall $((longest / 10)).$((longest % 10)) s"
    sleep 1
    stop_rsyslog
    # What rsyslog itself received (its omfile action writes every line):
    # a line it never had is the transport's loss, not the fold's.
    local got sent
    got=$(grep ' postfix/' "$W/all.log" 2>/dev/null | grep -c -v ' postfix/authfold-test\[1\]: ')
    sent=$(wc -l <"$DATA")
    [ "$got" = "$sent" ] || say "rsyslog's own file holds $got of the $sent lines sent"
    python3 - "$SUMMARY" <<'PY' >&2
import sys
prev, back, n = "", 0, 0
for line in open(sys.argv[1], errors="surrogateescape"):
    ts = line.split(" ", 1)[0]
    if ts[:1].isdigit() and " postfix/authfold-test[1]: " not in line:	# not the sentinels
        n += 1
        back += ts < prev
        prev = max(prev, ts)
print(f"order: {back} of {n} summary lines came after a later one"
      + ("" if back else " (rsyslog kept the order this time: the run proves less)"))
PY
}

spill_run spill 0
grep -v ' postfix/authfold-test\[1\]: ' "$SUMMARY" >"$W/summary.lines"
python3 "$COMPARE" --input "$W/exp/input.log" "$W/exp/summary.log" "$W/exp/events.log" "$W/summary.lines" "$EVENTS" \
    >"$W/compare.txt" ||
    { cat "$W/compare.txt" >&2; fail "out of order through rsyslog: not the in-order result"; }
say "ok: $(tail -n1 "$W/compare.txt")"

spill_run spill-kill 3
grep -v ' postfix/authfold-test\[1\]: ' "$SUMMARY" >"$W/summary.lines"
python3 "$COMPARE" --slack 3 --input "$W/exp/input.log" "$W/exp/summary.log" "$W/exp/events.log" \
    "$W/summary.lines" "$EVENTS" >"$W/compare.txt" ||
    { cat "$W/compare.txt" >&2; fail "three kills while the queue drains: lines or strikes lost, or doubled too often"; }
say "ok: $(tail -n1 "$W/compare.txt")"
exit 0

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Bursts through the shipped snippet, no faults (issue 22): a 2,000-session
# -v recording (bench/gen-log.py: BURST_COPIES copies of
# tests/data/verbose.rfc3339.log, 28 sessions each; default 72, 2,016
# sessions, 293,328 lines) sent as fast as send.py can into a private
# rsyslogd whose action is rsyslog.d/authfold.conf as shipped (paths
# only replaced). A burst that size passes the queue's high watermark, so
# the queue spills to disk and hands lines over out of order. Each of
# BURSTS (default 5) bursts must give the in-order replay's result
# exactly (tests/order/compare.py --input: kept lines as a multiset, one
# synthetic line per probing session with one of its proving lines'
# prefix, strikes per session, bans).
#
# authfold-omprog's input is captured on the way (a tee in front of it), so
# a burst that differs can be replayed: the capture goes through
# tests/order/order-search -a, which replays that exact order, holds it to
# the recording's order and shrinks a difference to a counterexample (it
# is printed; it becomes a row of tests/unit/test_fold.c). The test also
# says how far out of order each burst came.
#
#   BURSTS=5 BURST_COPIES=72 tests/rsyslog/burst.sh     (root; 77 otherwise)
. "$(dirname "$0")/lib.sh"

BURSTS=${BURSTS:-5}
COPIES=${BURST_COPIES:-72}
COMPARE=$top_srcdir/tests/order/compare.py
SEARCH=$top_builddir/tests/order/order-search
[ -x "$SEARCH" ] || fail "no $SEARCH: make check builds it"

python3 "$top_srcdir/bench/gen-log.py" "$top_srcdir/tests/data/verbose.rfc3339.log" "$BASE/big.log" \
    $((COPIES * 4074)) >/dev/null || fail "gen-log.py"
DATA=$BASE/big.log
sessions=$(grep -c 'smtpd\[[0-9]*\]: connect from' "$DATA")
say "$sessions sessions, $(wc -l <"$DATA") lines per burst"

status=0
for b in $(seq "$BURSTS"); do
    name=burst$b
    # The program behind a tee: the capture is its input, byte for byte.
    W=$BASE/$name
    mkdir -p "$W"
    cat >"$W/tee-omprog" <<EOF
#!/bin/sh
tee -a "$W/capture.log" | exec "$OMPROG" "\$@"
EOF
    chmod +x "$W/tee-omprog"
    new_run "$name" "s|binary=\"$OMPROG |binary=\"$W/tee-omprog |"
    grep -q "tee-omprog" "$W/snippet.conf" || fail "the snippet's binary was not replaced by the tee"
    if [ "$b" = 1 ]; then
        expect
        rm -f "$W/exp/summary.log" "$W/exp/events.log"
        "$AUTHFOLD" replay -c "$W/exp/authfold.conf" --summary "$W/exp/summary.log" --events "$W/exp/events.log" \
            "$W/exp/input.log" 2>/dev/null || fail "authfold replay with events failed"
        EXP=$W/exp
    fi
    start_rsyslog
    t0=$SECONDS
    send --sentinel end-of-burst
    # The sentinel may overtake the lines: wait for as many summary lines
    # as the replay's, or until the summary stops growing for 60 s.
    want=$(($(wc -l <"$EXP/summary.log") + 1))
    last=-1 still=0
    while [ $((SECONDS - t0)) -lt 900 ]; do
        n=$(wc -l <"$SUMMARY" 2>/dev/null || echo 0)
        [ "$n" -ge "$want" ] && break
        if [ "$n" = "$last" ]; then still=$((still + 1)); else still=0; fi
        [ "$still" -ge 600 ] && break
        last=$n
        sleep 0.1
    done
    sleep 1
    stop_rsyslog
    grep -v ' postfix/authfold-test\[1\]: ' "$SUMMARY" >"$W/summary.lines"
    back=$(python3 - "$W/capture.log" <<'PY'
import sys
prev, back, n = "", 0, 0
for line in open(sys.argv[1], errors="surrogateescape"):
    if " postfix/authfold-test[1]: " in line:
        continue
    ts = line.split(" ", 1)[0]
    n += 1
    back += ts < prev
    prev = max(prev, ts)
print(f"{back} of {n} lines came after a later one")
PY
)
    if python3 "$COMPARE" --input "$EXP/input.log" "$EXP/summary.log" "$EXP/events.log" "$W/summary.lines" \
        "$EVENTS" >"$W/compare.txt"; then
        say "burst $b: $((SECONDS - t0)) s, $back; $(tail -n1 "$W/compare.txt")"
    else
        cat "$W/compare.txt" >&2
        say "burst $b: $((SECONDS - t0)) s, $back; NOT the in-order result; the capture replayed:"
        "$SEARCH" -a "$W/capture.log" -o "$W/counterexample.log" "$DATA" >&2
        status=1
    fi
    # Whatever the outcome, the captured order replayed must give what
    # authfold-omprog gave (the fold is a function of the order).
    "$SEARCH" -a "$W/capture.log" "$DATA" >"$W/search.txt" 2>&1 || true
    say "burst $b: capture: $(head -n1 "$W/search.txt" | sed 's/^[^:]*: //')"
done
[ $status = 0 ] || fail "a burst differs from the in-order replay (counterexamples above)"
say "ok: $BURSTS bursts of $sessions sessions, each the in-order result"
exit 0

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# authfold-omprog killed with SIGKILL several times while lines flow: rsyslog
# restarts it and resends the unconfirmed line. No line of the summary may be
# missing, at most one line is doubled per kill, and no strike is missing
# (a session cut by a kill may give its strike twice: the state saved up to
# a second before the kill does not know it was given).
. "$(dirname "$0")/lib.sh"

KILLS=3
STRIP_TS=1   # a synthetic line of a session cut by a kill may come from its disconnect line
new_run kill 's|action.resumeInterval="10"|action.resumeInterval="1"|'
expect
n=$(wc -l <"$DATA")
rate=$((n / 8))
[ "$rate" -ge 50 ] || rate=50
start_rsyslog
send --rate "$rate" --sentinel end-of-test &
SENDER=$!
pids=()
for k in $(seq $KILLS); do
    sleep 1.7
    p=$(omprog_pid)
    [ -n "$p" ] || fail "no authfold-omprog running before kill $k"
    kill -KILL "$p"
    pids+=("$p")
    say "kill $k: SIGKILL to $p"
done
wait "$SENDER" || fail "send.py failed"
wait_for end-of-test 90
p=$(omprog_pid)
for q in "${pids[@]}"; do [ "$p" != "$q" ] || fail "authfold-omprog was not restarted"; done
stop_rsyslog

bare "$W/exp/summary.log" >"$W/exp.bare"
bare "$SUMMARY" >"$W/got.bare"
strikes "$W/exp/events.log" >"$W/exp.strikes"
strikes "$EVENTS" >"$W/got.strikes"
python3 - "$W" "$KILLS" <<'PY' || fail "lines lost or doubled too often"
import collections, sys
w, kills = sys.argv[1], int(sys.argv[2])
def ms(f): return collections.Counter(open(f).read().splitlines())
exp, got = ms(w + '/exp.bare'), ms(w + '/got.bare')
missing, extra = exp - got, got - exp
es, gs = ms(w + '/exp.strikes'), ms(w + '/got.strikes')
ms_, xs = es - gs, gs - es
print(f'kill: summary {sum(got.values())} lines (replay {sum(exp.values())}): '
      f'{sum(missing.values())} missing, {sum(extra.values())} extra; '
      f'strikes {sum(gs.values())} (replay {sum(es.values())}): {sum(ms_.values())} missing, '
      f'{sum(xs.values())} extra', file=sys.stderr)
for l in list(missing)[:10]: print('  missing:', l, file=sys.stderr)
for l in list(extra)[:10]: print('  extra:', l, file=sys.stderr)
for l in list(ms_)[:10]: print('  missing strike:', l, file=sys.stderr)
sys.exit(1 if missing or ms_ or sum(extra.values()) > kills or sum(xs.values()) > kills else 0)
PY
exit 0

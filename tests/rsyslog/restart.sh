#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Graceful restarts in the middle of sessions: the feed is cut in four parts,
# each cut 3 lines after a "connect from" (inside a session still open), and
# rsyslogd is stopped and started again at every cut, which ends
# authfold-omprog with SIGTERM + EOF and starts a new one. The sessions must
# survive in the state file: the summary and the strikes must be exactly
# those of `authfold replay` of the whole input.
#
# (rsyslog 8.2302 did not end the program when the action's worker idled
# past queue.timeoutWorkerThreadShutdown, with forceSingleInstance on or off,
# so restarts of rsyslogd are what ends it gracefully here.)
. "$(dirname "$0")/lib.sh"

new_run restart
expect
cuts=$(python3 - "$DATA" <<'PY'
import sys
lines = open(sys.argv[1], encoding='utf-8', errors='surrogateescape').read().splitlines()
conn = [i for i, l in enumerate(lines) if ' connect from ' in l and 'smtpd[' in l]
pick = [conn[len(conn) * k // 4] for k in (1, 2, 3)] if len(conn) >= 4 else conn[:3]
print(' '.join(str(i + 3) for i in pick))
PY
)
[ -n "$cuts" ] || fail "no session in the input"
say "restarts of rsyslogd before lines $cuts"
from=0
part=0
pids=()
for to in $cuts end; do
    part=$((part + 1))
    start_rsyslog
    if [ "$to" = end ]; then send --from "$from" --sentinel "end-of-part-$part"
    else send --from "$from" --to "$to" --sentinel "end-of-part-$part"; fi
    wait_for "end-of-part-$part"
    pids+=("$(omprog_pid)")
    stop_rsyslog
    [ -s "$W/state/omprog.state" ] || fail "no state file after part $part"
    from=$to
done
[ "$(printf '%s\n' "${pids[@]}" | sort -u | grep -c .)" -eq 4 ] || fail "expected 4 runs of authfold-omprog: ${pids[*]}"
compare_exact
exit 0

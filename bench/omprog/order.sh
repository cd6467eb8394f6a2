#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/omprog/order.sh - does rsyslog hand the lines to the omprog program
# in the order they came in? A private rsyslogd (imtcp on 127.0.0.1) with
# the SHIPPED rsyslog.d/authfold.conf, whose program is replaced by a trivial
# one (built here with cc: append each line to a file, answer OK) that is
# as fast as authfold-omprog, gets tests/data/verbose.rfc3339.log REPEAT
# times (default 250: about a million lines) as fast as send.py can send.
# The lines as sent (send.py --write) are compared with the lines as the
# program got them: lost lines, "breakpoints" (a line not followed by its
# successor) and the largest jump back.
#
#   bench/omprog/order.sh [REPEAT [CONFIG]]      as root; not a test
#
# CONFIG: shipped (the snippet as it is), mainq1 (plus main_queue with one
# worker), disk (queue.type="Disk"), memory (no queue.filename: no disk).
# Prints one line per run. Nothing is asserted.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$HERE/../.." && pwd)}
REPEAT=${1:-250}
CONFIG=${2:-shipped}
LOG=$top_srcdir/tests/data/verbose.rfc3339.log
SEND=$top_srcdir/tests/rsyslog/send.py
T=$(mktemp -d /tmp/authfold-order.XXXXXX)
RS_PID=
cleanup() {
    [ -n "$RS_PID" ] && kill "$RS_PID" 2>/dev/null && wait "$RS_PID" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT

cat >"$T/lines.c" <<'EOF'
#include <stdio.h>
int main(int argc, char **argv)
{
	FILE *out = fopen(argv[1], "a");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (out == NULL)
		return 1;
	setvbuf(stdout, NULL, _IONBF, 0);
	fputs("OK\n", stdout);
	while ((n = getline(&line, &cap, stdin)) > 0) {
		fwrite(line, 1, (size_t) n, out);
		fflush(out);
		fputs("OK\n", stdout);
	}
	return 0;
}
EOF
cc -O2 -o "$T/lines" "$T/lines.c"
P=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$T/work"
case $CONFIG in
shipped) mainq= sedx='s/^//' ;;
mainq1) mainq='main_queue(queue.workerThreads="1")' sedx='s/^//' ;;
disk) mainq= sedx='s/queue.type="LinkedList"/queue.type="Disk"/' ;;
memory) mainq= sedx='/queue.filename=\|queue.saveOnShutdown=\|queue.maxDiskSpace=/d' ;;
*) echo "order.sh: CONFIG is shipped, mainq1, disk or memory" >&2; exit 2 ;;
esac
{
    printf 'global(workDirectory="%s/work" maxMessageSize="64k")\n%s\n' "$T" "$mainq"
    printf 'module(load="imtcp")\ninput(type="imtcp" address="127.0.0.1" port="%s")\n' "$P"
    sed -e "s|/usr/sbin/authfold-omprog -c /etc/authfold/authfold.conf --confirm|$T/lines $T/got|" \
        -e "s|/var/log/authfold-omprog.log|$T/program.err|" -e "$sedx" "$top_srcdir/rsyslog.d/authfold.conf"
} >"$T/rsyslog.conf"
rsyslogd -N1 -f "$T/rsyslog.conf" >/dev/null 2>&1 || { echo "order.sh: rsyslogd -N1 refuses the config" >&2; exit 1; }
rsyslogd -n -f "$T/rsyslog.conf" -i "$T/pid" 2>"$T/rsyslog.err" &
RS_PID=$!
until python3 -c "import socket; socket.create_connection(('127.0.0.1',$P)).close()" 2>/dev/null; do sleep 0.1; done
python3 "$SEND" --port "$P" --repeat "$REPEAT" --write "$T/sent" "$LOG"
want=$(wc -l <"$T/sent")
for _ in $(seq 1800); do
    [ "$(wc -l <"$T/got" 2>/dev/null || echo 0)" -ge "$want" ] && break
    sleep 0.1
done
kill "$RS_PID"; wait "$RS_PID" 2>/dev/null || true; RS_PID=
python3 - "$T/sent" "$T/got" "$CONFIG" <<'PY'
import collections, sys
sent = open(sys.argv[1], errors='replace').read().splitlines()
got = open(sys.argv[2], errors='replace').read().splitlines()
pos = collections.defaultdict(collections.deque)
for i, l in enumerate(sent):
    pos[l].append(i)
idx = [pos[l].popleft() for l in got if pos[l]]
breaks = sum(1 for a, b in zip(idx, idx[1:]) if b != a + 1)
back = max((a - b for a, b in zip(idx, idx[1:]) if b < a), default=0)
print("%s: %d lines sent, %d lost, %d breakpoints, largest jump back %d lines"
      % (sys.argv[3], len(sent), len(sent) - len(idx), breaks, back))
PY

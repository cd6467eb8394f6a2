#!/bin/bash
# Benchmark: a private rsyslogd fed the same large Postfix `smtpd -v` log over
# TCP, once with an omfile action and once with authfold-omprog (the shipped
# snippet, backend = none), both behind the same kind of action queue.
# Reports lines/s of both and the ratio, and writes bench/omprog/RESULTS.md.
# Not a test; nothing is asserted. Run as root from a built tree:
#   bench/omprog/run.sh [REPEAT]      (default 50 copies of the recording)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$HERE/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
REPEAT=${1:-50}
LOG=$top_srcdir/tests/data/verbose.rfc3339.log
SEND=$top_srcdir/tests/rsyslog/send.py
OMPROG=$top_builddir/authfold-omprog
[ -s "$LOG" ] || { echo "run.sh: no $LOG" >&2; exit 1; }
[ -x "$OMPROG" ] || { echo "run.sh: no $OMPROG: build first" >&2; exit 1; }
T=$(mktemp -d /tmp/authfold-bench.XXXXXX)
RS_PID=
cleanup() {
    [ -n "$RS_PID" ] && kill "$RS_PID" 2>/dev/null && wait "$RS_PID" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
LINES=$(( $(wc -l <"$LOG") * REPEAT ))

# run NAME OUTFILE PORT: starts rsyslogd with $T/NAME/rsyslog.conf, sends,
# prints "LINES_PER_SECOND SECONDS".
run() {
    local d=$T/$1 out=$2 p=$3 t0 t1
    rsyslogd -n -f "$d/rsyslog.conf" -i "$d/pid" 2>"$d/rsyslog.err" &
    RS_PID=$!
    until python3 -c "import socket; socket.create_connection(('127.0.0.1',$p)).close()" 2>/dev/null; do
        sleep 0.1
    done
    # warm-up: the program is started and the files opened before timing
    python3 "$SEND" --port "$p" --to 10 --sentinel warm-up "$LOG"
    until tail -c 300 "$out" 2>/dev/null | grep -q 'warm-up$'; do sleep 0.05; done
    t0=$(now)
    python3 "$SEND" --port "$p" --repeat "$REPEAT" --sentinel end-of-bench "$LOG"
    # The sentinel is the last line, unless rsyslog's queue spilled to disk
    # and delivered out of order (see bench/omprog/order.sh): then the end
    # is when the output has stopped growing and holds the sentinel.
    local size=-1 still=0 grown
    grown=$(now)
    until tail -c 300 "$out" 2>/dev/null | grep -q 'end-of-bench$'; do
        sleep 0.02
        if [ "$(stat -c %s "$out")" != "$size" ]; then
            size=$(stat -c %s "$out") still=0 grown=$(now)
        elif [ $((still += 1)) -ge 100 ] && grep -q 'end-of-bench$' "$out"; then
            echo "run.sh: $1: the sentinel is not the last line (out of order)" >&2
            break
        fi
    done
    t1=$(now)
    [ "$still" -ge 100 ] && t1=$grown
    kill "$RS_PID"
    wait "$RS_PID" || true
    RS_PID=
    python3 -c "print(f'{$LINES / ($t1 - $t0):.0f} {$t1 - $t0:.2f}')"
}

common() { # DIR PORT
    mkdir -p "$1/work"
    printf 'global(workDirectory="%s/work" maxMessageSize="64k")\n' "$1"
    printf 'module(load="imtcp")\ninput(type="imtcp" address="127.0.0.1" port="%s")\n' "$2"
}

P1=$(port)
mkdir -p "$T/omfile"
{
    common "$T/omfile" "$P1"
    printf 'if $programname startswith "postfix" then {\n'
    printf '\taction(type="omfile" file="%s" template="RSYSLOG_FileFormat"\n' "$T/omfile/mail.log"
    printf '\t\tqueue.type="LinkedList" queue.filename="bench" queue.size="100000"\n'
    printf '\t\tqueue.saveOnShutdown="on" action.resumeRetryCount="-1")\n}\n'
} >"$T/omfile/rsyslog.conf"

P2=$(port)
mkdir -p "$T/omprog"
printf 'summary_log = %s\nevents_log = %s\nstate_dir = %s\nbackend = none\n' \
    "$T/omprog/summary.log" "$T/omprog/events.log" "$T/omprog/state" >"$T/omprog/authfold.conf"
{
    common "$T/omprog" "$P2"
    sed -e "s|/usr/sbin/authfold-omprog|$OMPROG|" -e "s|/etc/authfold/authfold.conf|$T/omprog/authfold.conf|" \
        -e "s|/var/log/authfold-omprog.log|$T/omprog/omprog.err|" "$top_srcdir/rsyslog.d/authfold.conf"
} >"$T/omprog/rsyslog.conf"
for c in omfile omprog; do
    rsyslogd -N1 -f "$T/$c/rsyslog.conf" >/dev/null 2>&1 || { echo "run.sh: bad $c config" >&2; exit 1; }
done

read -r r1 s1 < <(run omfile "$T/omfile/mail.log" "$P1")
read -r r2 s2 < <(run omprog "$T/omprog/summary.log" "$P2")
sent=$(python3 - "$SEND" "$REPEAT" "$LOG" "$LINES" <<'PY'
import socket, subprocess, sys, threading, time
send, repeat, log, lines = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(1)
def sink():
    c, _ = s.accept()
    while c.recv(1 << 20):
        pass
    c.close()
t = threading.Thread(target=sink); t.start()
t0 = time.monotonic()
subprocess.run(['python3', send, '--port', str(s.getsockname()[1]), '--repeat', repeat, log], check=True)
t.join()
print(f'{lines / (time.monotonic() - t0):.0f}')
PY
)
ratio=$(python3 -c "print(f'{$r2 / $r1:.2f}')")
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
rsv=$(rsyslogd -v | head -1 | awk '{print $2}')
echo "lines: $LINES (verbose.rfc3339.log x $REPEAT, distinct pids and addresses)"
echo "omfile:          $r1 lines/s ($s1 s)"
echo "authfold-omprog: $r2 lines/s ($s2 s)"
echo "ratio omprog/omfile: $ratio   (sender alone: $sent lines/s)"
{
    echo "# authfold-omprog under rsyslog: throughput"
    echo
    echo "Command: \`bench/omprog/run.sh $REPEAT\` (as root, from a built tree), on $(date -u +%Y-%m-%d),"
    echo "$(nproc) CPUs ($cpu), rsyslog $rsv, Debian $(cat /etc/debian_version)."
    echo
    echo "A private rsyslogd (imtcp on 127.0.0.1) is fed $LINES lines:"
    echo "tests/data/verbose.rfc3339.log repeated $REPEAT times with distinct pids and client"
    echo "addresses (tests/rsyslog/send.py --repeat), as one TCP stream. Time runs from the"
    echo "first line sent to the moment the last line is in the output file. Both actions"
    echo "sit behind the same LinkedList action queue with a queue.filename. authfold-omprog"
    echo "runs with the shipped snippet (confirmMessages on: one reply per line, each line"
    echo "flushed to the summary before its OK), backend = none."
    echo
    echo "| action | lines/s | seconds |"
    echo "|---|---:|---:|"
    echo "| omfile (RSYSLOG_FileFormat) | $r1 | $s1 |"
    echo "| authfold-omprog | $r2 | $s2 |"
    echo "| ratio omprog / omfile | $ratio | |"
    echo
    echo "The sender alone (send.py into a socket that discards) does $sent lines/s; a"
    echo "figure close to it is limited by the sender, not by the action."
} >"$HERE/RESULTS.md"
echo "wrote $HERE/RESULTS.md"

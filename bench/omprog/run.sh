#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Benchmark: a private rsyslogd fed the same large Postfix `smtpd -v` log over
# TCP, with three actions in turn, each behind the same kind of action queue:
#   omfile           rsyslog writing the lines to a file
#   okprog           bench/omprog/okprog.c under the shipped omprog snippet:
#                    answers OK per line and does nothing else (the fastest
#                    any program that confirms can go)
#   authfold-omprog  the shipped snippet, backend = none
# ROUNDS rounds (default 3) of the three, one after the other, so the
# programs are compared in the same run; reports each figure, the medians
# and the ratios authfold-omprog / okprog (the target: >= 0.95) and
# authfold-omprog / omfile, and writes bench/omprog/RESULTS.md.
# USE_TRANSACTIONS=on runs both programs with useTransactions="on".
# With BASELINE=/path/to/another/authfold-omprog, that build runs too (as
# "baseline", after authfold-omprog in each round): before/after a change.
# Not a test; nothing is asserted. Run as root from a built tree:
#   bench/omprog/run.sh [REPEAT [ROUNDS]]   (default 50 copies of the recording, 3 rounds)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$HERE/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
REPEAT=${1:-50}
ROUNDS=${2:-3}
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
${CC:-cc} -O2 -o "$T/okprog.bin" "$HERE/okprog.c"

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
LINES=$(( $(wc -l <"$LOG") * REPEAT ))

# seen NAME WORD: has the action NAME delivered the sentinel WORD?
seen() {
    case $1 in
    okprog) [ -e "$T/okprog/flags/$([ "$2" = warm-up ] && echo warm || echo done)" ] ;;
    *) tail -c 300 "$(out "$1")" 2>/dev/null | grep -q "$2\$" ;;
    esac
}
out() { case $1 in omfile) echo "$T/omfile/mail.log" ;; *) echo "$T/$1/summary.log" ;; esac; }
ACTIONS="omfile okprog omprog"
[ -n "${BASELINE:-}" ] && ACTIONS="$ACTIONS baseline"

# run NAME PORT: starts rsyslogd with $T/NAME/rsyslog.conf, sends, prints
# "LINES_PER_SECOND SECONDS".
run() {
    local d=$T/$1 p=$2 t0 t1
    rm -rf "$d/work" "$d/state" "$d/flags" "$d"/*.log
    mkdir -p "$d/work" "$d/flags"
    mkdir -m 700 "$d/state"
    rsyslogd -n -f "$d/rsyslog.conf" -i "$d/pid" 2>"$d/rsyslog.err" &
    RS_PID=$!
    until python3 -c "import socket; socket.create_connection(('127.0.0.1',$p)).close()" 2>/dev/null; do
        sleep 0.1
    done
    # warm-up: the program is started and the files opened before timing
    python3 "$SEND" --port "$p" --to 10 --sentinel warm-up "$LOG"
    local w=0
    until seen "$1" warm-up; do
        sleep 0.05
        [ $((w += 1)) -lt 1200 ] || { echo "run.sh: $1: no warm-up after 60 s" >&2; tail -5 "$T/$1"/*.err >&2; exit 1; }
    done
    t0=$(now)
    python3 "$SEND" --port "$p" --repeat "$REPEAT" --sentinel end-of-bench "$LOG"
    # The sentinel is the last line, unless rsyslog's queue spilled to disk
    # and delivered out of order (see bench/omprog/order.sh): then the end
    # is when the output has stopped growing and holds the sentinel.
    # (okprog counts the lines instead: order does not matter to it.)
    local size=-1 still=0 grown f
    f=$(out "$1")
    grown=$(now)
    local deadline=$(( $(date +%s) + 120 + LINES / 5000 ))
    until seen "$1" end-of-bench; do
        sleep 0.02
        if [ "$(date +%s)" -gt "$deadline" ]; then
            echo "run.sh: $1: no end after $((120 + LINES / 5000)) s; see $T/$1/*.err" >&2
            tail -5 "$T/$1"/*.err >&2
            exit 1
        fi
        [ "$1" = okprog ] && continue
        if [ "$(stat -c %s "$f")" != "$size" ]; then
            size=$(stat -c %s "$f") still=0 grown=$(now)
        elif [ $((still += 1)) -ge 100 ] && grep -q 'end-of-bench$' "$f"; then
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
    printf 'global(workDirectory="%s/work" maxMessageSize="64k")\n' "$1"
    printf 'module(load="imtcp")\ninput(type="imtcp" address="127.0.0.1" port="%s")\n' "$2"
}

declare -A PORT
for c in $ACTIONS; do PORT[$c]=$(port); mkdir -p "$T/$c"; done
{
    common "$T/omfile" "${PORT[omfile]}"
    printf 'if $programname startswith "postfix" then {\n'
    printf '\taction(type="omfile" file="%s" template="RSYSLOG_FileFormat"\n' "$T/omfile/mail.log"
    printf '\t\tqueue.type="LinkedList" queue.filename="bench" queue.size="100000"\n'
    printf '\t\tqueue.saveOnShutdown="on" action.resumeRetryCount="-1")\n}\n'
} >"$T/omfile/rsyslog.conf"
for c in omprog ${BASELINE:+baseline}; do
    printf 'summary_log = %s\nevents_log = %s\nstate_dir = %s\nbackend = none\n' \
        "$T/$c/summary.log" "$T/$c/events.log" "$T/$c/state" >"$T/$c/authfold.conf"
done
# okprog and authfold-omprog: the shipped snippet, only the binary differs
for c in $ACTIONS; do
    case $c in
    omfile) continue ;;
    okprog) bin="$T/okprog.bin $T/okprog/flags $((LINES + 1))" ;;
    omprog) bin="$OMPROG -c $T/omprog/authfold.conf --confirm" ;;
    baseline) bin="$BASELINE -c $T/baseline/authfold.conf --confirm" ;;
    esac
    {
        common "$T/$c" "${PORT[$c]}"
        sed -e "s|binary=\"[^\"]*\"|binary=\"$bin\"|" -e "s|/var/log/authfold-omprog.log|$T/$c/omprog.err|" \
            -e "s|useTransactions=\"off\"|useTransactions=\"${USE_TRANSACTIONS:-off}\"|" \
            "$top_srcdir/rsyslog.d/authfold.conf"
    } >"$T/$c/rsyslog.conf"
done
for c in $ACTIONS; do
    mkdir -p "$T/$c/work"
    rsyslogd -N1 -f "$T/$c/rsyslog.conf" >/dev/null 2>&1 || { echo "run.sh: bad $c config" >&2; exit 1; }
done

declare -a R_omfile R_okprog R_omprog R_baseline RATIO_OK RATIO_FILE RATIO_BASE
for ((i = 1; i <= ROUNDS; i++)); do
    for c in $ACTIONS; do
        read -r r s < <(run $c "${PORT[$c]}")
        eval "R_$c+=($r)"
        echo "round $i: $c $r lines/s ($s s)"
    done
    RATIO_OK+=("$(python3 -c "print(f'{${R_omprog[-1]} / ${R_okprog[-1]}:.2f}')")")
    RATIO_FILE+=("$(python3 -c "print(f'{${R_omprog[-1]} / ${R_omfile[-1]}:.2f}')")")
    [ -n "${BASELINE:-}" ] && RATIO_BASE+=("$(python3 -c "print(f'{${R_baseline[-1]} / ${R_okprog[-1]}:.2f}')")")
done
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
m_file=$(median "${R_omfile[@]}") m_ok=$(median "${R_okprog[@]}") m_af=$(median "${R_omprog[@]}")
m_rok=$(median "${RATIO_OK[@]}") m_rfile=$(median "${RATIO_FILE[@]}")
ok_file=$(python3 -c "print(f'{$m_ok / $m_file:.2f}')")
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
rsv=$(rsyslogd -v | head -1 | awk '{print $2}')
echo "lines: $LINES (verbose.rfc3339.log x $REPEAT), $ROUNDS rounds"
echo "median omfile $m_file, okprog $m_ok, authfold-omprog $m_af lines/s"
echo "authfold-omprog / okprog per round: ${RATIO_OK[*]} (median $m_rok); / omfile: ${RATIO_FILE[*]} (median $m_rfile)"
if [ -n "${BASELINE:-}" ]; then
    m_base=$(median "${R_baseline[@]}") m_rbase=$(median "${RATIO_BASE[@]}")
    echo "baseline $BASELINE: median $m_base lines/s; / okprog per round: ${RATIO_BASE[*]} (median $m_rbase)"
fi
{
    echo "# authfold-omprog under rsyslog: throughput"
    echo
    echo "Command: \`bench/omprog/run.sh $REPEAT $ROUNDS\` (as root, from a built tree), on $(date -u +%Y-%m-%d),"
    echo "$(nproc) CPUs ($cpu), rsyslog $rsv, Debian $(cat /etc/debian_version)."
    echo
    echo "A private rsyslogd (imtcp on 127.0.0.1) is fed $LINES lines:"
    echo "tests/data/verbose.rfc3339.log repeated $REPEAT times with distinct pids and client"
    echo "addresses (tests/rsyslog/send.py --repeat), as one TCP stream. Time runs from the"
    echo "first line sent to the moment the last line is delivered. Every action sits behind"
    echo "the same LinkedList action queue with a queue.filename. okprog"
    echo "(bench/omprog/okprog.c) and authfold-omprog run under the shipped snippet"
    echo "(confirmMessages on: one reply per line; authfold-omprog writes each line to the"
    echo "summary before its OK), only the binary differs; okprog answers OK and does"
    echo "nothing else, the limit of any program that confirms. backend = none."
    echo "useTransactions=\"${USE_TRANSACTIONS:-off}\"."
    echo "The three run one after the other in each of $ROUNDS rounds, on a machine shared"
    echo "with other work: compare within a round."
    echo
    echo "| round | omfile lines/s | okprog lines/s | authfold-omprog lines/s | authfold-omprog / okprog | authfold-omprog / omfile |"
    echo "|---|---:|---:|---:|---:|---:|"
    for ((i = 0; i < ROUNDS; i++)); do
        echo "| $((i + 1)) | ${R_omfile[$i]} | ${R_okprog[$i]} | ${R_omprog[$i]} | ${RATIO_OK[$i]} | ${RATIO_FILE[$i]} |"
    done
    echo "| median | $m_file | $m_ok | $m_af | $m_rok | $m_rfile |"
    echo
    if [ -n "${BASELINE:-}" ]; then
        echo
        echo "Baseline (BASELINE=$BASELINE, run after authfold-omprog in each round):"
        echo
        echo "| round | baseline lines/s | baseline / okprog |"
        echo "|---|---:|---:|"
        for ((i = 0; i < ROUNDS; i++)); do
            echo "| $((i + 1)) | ${R_baseline[$i]} | ${RATIO_BASE[$i]} |"
        done
        echo "| median | $m_base | $m_rbase |"
    fi
    echo
    echo "okprog / omfile (medians): $ok_file: with confirmMessages on, the round trip per"
    echo "message, not the program, sets the pace."
} >"$HERE/RESULTS.md.new"
echo "wrote $HERE/RESULTS.md.new (bench/omprog/RESULTS.md keeps the commentary: merge by hand)"

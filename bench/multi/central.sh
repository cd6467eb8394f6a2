#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/multi/central.sh - the central log host's throughput with several
# live MX streams over RELP with mutual TLS.
#
#   bench/multi/central.sh [LINES [ROUNDS]]   (as root, from a built tree;
#                                             default 100000 lines per MX, 3 rounds)
#   STREAMS="1 2 4" (default): the numbers of MX streams measured.
#   WINDOW=N: the senders' omrelp action gets windowSize="N" instead of the
#   shipped example's 1024 (librelp's default is 128): a variant, said so in
#   the results.
#
# One central rsyslogd with the shipped central example's input
# (rsyslog.d/authfold-central.conf, part 1: imrelp, mutual TLS,
# tls.authMode="name", a private CA and certificates made here with openssl)
# feeding authfold-omprog (backend = none, publish off), and N sending
# rsyslogds, each with the shipped MX example's omrelp action
# (rsyslog.d/authfold-mx.conf, part 1: disk-assisted queue). Only paths, the
# port, the target (127.0.0.1) and the central host's list of permitted
# peers (mx1..mxN) are changed. All on loopback, on private ports; the
# host's rsyslog, /dev/log and firewall are left alone.
#
# The input: LINES lines made by bench/gen-log.py from
# tests/data/verbose.rfc3339.log, one copy per MX with the host field
# renamed mx1..mxN (so the sessions are distinct), injected into each
# sender's imtcp by tests/rsyslog/send.py. The N senders start at one moment.
# Time runs from the first line sent until the central summary holds every
# line of `authfold replay` of the merged input (the N copies merged by
# timestamp). In the same round, with the same senders, the central
# rsyslogd writes the same stream with its own omfile instead (the same
# action queue): the peer. The central rsyslogd and the senders start afresh
# for each measurement (empty queues, empty state); a warm-up line per MX
# goes through before the time starts (TLS sessions up, program started).
#
# Correctness, once per N (the first round): the central summary and events
# against `authfold replay` of the merged input, as multisets
# (tests/order/compare.py --input: the central queue may reorder).
# Reports lines/s per round, medians of ROUNDS rounds and the ratios
# authfold-omprog / omfile, and writes bench/multi/RESULTS.md (with WINDOW=N:
# bench/multi/RESULTS-windowN.md).
# Not a test; nothing is asserted. KEEP=1 keeps the temp dir.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
top_srcdir=$(cd "${top_srcdir:-$HERE/../..}" && pwd)
top_builddir=$(cd "${top_builddir:-$top_srcdir}" && pwd)
LINES=${1:-100000}
ROUNDS=${2:-3}
STREAMS=${STREAMS:-1 2 4}
LOG=$top_srcdir/tests/data/verbose.rfc3339.log
SEND=$top_srcdir/tests/rsyslog/send.py
COMPARE=$top_srcdir/tests/order/compare.py
OMPROG=$top_builddir/authfold-omprog
AUTHFOLD=$top_builddir/authfold
# shellcheck source=../../tests/lib/tlsca.sh
. "$top_srcdir/tests/lib/tlsca.sh"

die() { echo "central.sh: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root (rsyslogd with private configs)"
for c in rsyslogd openssl python3 ss; do command -v "$c" >/dev/null || die "no $c"; done
compgen -G '/usr/lib/*/rsyslog/imrelp.so' >/dev/null || compgen -G /usr/lib/rsyslog/imrelp.so >/dev/null ||
    die "no imrelp (package rsyslog-relp)"
[ -s "$LOG" ] || die "no $LOG"
for p in "$OMPROG" "$AUTHFOLD"; do [ -x "$p" ] || die "no $p: build first"; done
NMAX=0
for n in $STREAMS; do
    [[ $n =~ ^[1-9][0-9]?$ ]] || die "STREAMS: not a number of MX from 1 to 99: $n"
    [ "$n" -gt "$NMAX" ] && NMAX=$n
done
[ "$NMAX" -gt 0 ] || die "STREAMS is empty"
[[ -z ${WINDOW:-} || $WINDOW =~ ^[1-9][0-9]{0,5}$ ]] || die "WINDOW: not a window size: $WINDOW"

T=$(mktemp -d /tmp/authfold-central.XXXXXX)
chmod 0755 "$T"
PIDS=()		# rsyslogd and send.py processes of the current measurement
stop_all() {
    local p i
    for p in "${PIDS[@]+"${PIDS[@]}"}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]+"${PIDS[@]}"}"; do
        for ((i = 0; i < 100; i++)); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null && echo "central.sh: process $p needed SIGKILL" >&2
        wait "$p" 2>/dev/null || true
    done
    PIDS=()
}
cleanup() {
    stop_all
    if [ -n "${KEEP:-}" ]; then echo "central.sh: kept $T" >&2; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
listening() { ss -Hltn "( sport = :$1 )" | grep -q .; }
now() { date +%s.%N; }
wait_listen() {	# PORT PID WHAT
    local i
    for ((i = 0; i < 200; i++)); do
        listening "$1" && return 0
        kill -0 "$2" 2>/dev/null || die "$3 died at start (see $T)"
        sleep 0.05
    done
    die "$3 does not listen on port $1"
}

# --- certificates -------------------------------------------------------------
tlsca_new "$T/ca" "authfold central bench CA" || die "openssl: CA"
tlsca_cert "$T/ca" central.example.org "$T/central/tls" || die "openssl: central certificate"
for ((i = 1; i <= NMAX; i++)); do
    tlsca_cert "$T/ca" "mx$i.example.org" "$T/mx$i/tls" || die "openssl: mx$i certificate"
done

# --- input: one copy per MX, and the expected summary per N -------------------
python3 "$top_srcdir/bench/gen-log.py" "$LOG" "$T/gen.log" "$LINES" >/dev/null
# only lines that both snippets forward (programname starting "postfix")
awk '$3 ~ /^postfix/' "$T/gen.log" >"$T/postfix.log"
PER_MX=$(wc -l <"$T/postfix.log")
for ((i = 1; i <= NMAX; i++)); do
    sed -E "s/^([^ ]+) [^ ]+ /\\1 mx$i /" "$T/postfix.log" >"$T/mx$i/input.log"
done
head -1 "$T/postfix.log" >"$T/one.log"	# with send.py --to 0: only the sentinel is sent
rm -f "$T/gen.log" "$T/postfix.log"

CP=$(port)	# the central host's imrelp port
# A config of authfold for the central host (and for the replay): DIR
authfold_conf() {
    mkdir -p "$1/state" && chmod 0700 "$1/state"
    printf 'summary_log = %s\nevents_log = %s\nstate_dir = %s\nbackend = none\n' \
        "$1/summary.log" "$1/events.log" "$1/state" >"$1/authfold.conf"
}
declare -A EXPECT
for n in $STREAMS; do
    E=$T/expect$n
    mkdir -p "$E"
    files=()
    for ((i = 1; i <= n; i++)); do files+=("$T/mx$i/input.log"); done
    LC_ALL=C sort -m -s -k1,1 "${files[@]}" >"$E/input.log"
    authfold_conf "$E"
    "$AUTHFOLD" replay -c "$E/authfold.conf" --summary "$E/summary.log" --events "$E/events.log" \
        "$E/input.log" 2>"$E/replay.err" || { cat "$E/replay.err" >&2; die "authfold replay failed"; }
    EXPECT[$n]=$(wc -l <"$E/summary.log")
done

# --- configurations -------------------------------------------------------------
peers=
for ((i = 1; i <= NMAX; i++)); do peers+="${peers:+, }\"mx$i.example.org\""; done
# The shipped central snippet, part 1 (the MX logs in), for MODE omprog or
# omfile: only paths, the port and the permitted peers changed; for omfile
# the omprog action becomes an omfile action with the same queue.
central_conf() {	# MODE DIR
    local mode=$1 d=$2
    authfold_conf "$d"
    sed -e '/^# --- 2\./,$d' \
        -e "s|/etc/authfold/tls|$T/central/tls|g" \
        -e "s|/etc/authfold/authfold.conf|$d/authfold.conf|g" \
        -e "s|/usr/sbin/authfold-omprog|$OMPROG|g" \
        -e "s|/var/log/|$d/|g" \
        -e "s|port=\"2514\"|port=\"$CP\"|" \
        -e "s|tls.permittedPeer=\\[\"mx1.example.org\", \"mx2.example.org\"\\]|tls.permittedPeer=[$peers]|" \
        "$top_srcdir/rsyslog.d/authfold-central.conf" >"$d/snippet.conf"
    { grep -q "port=\"$CP\"" "$d/snippet.conf" && grep -q "permittedPeer=\\[$peers\\]" "$d/snippet.conf"; } ||
        die "rsyslog.d/authfold-central.conf: its imrelp input has changed; adapt $0"
    if [ "$mode" = omfile ]; then
        sed -i -e '/binary=\|confirmMessages=\|forceSingleInstance=\|killUnresponsive=\|output=/d' \
            -e "s|action(type=\"omprog\"|action(type=\"omfile\" file=\"$d/summary.log\"|" "$d/snippet.conf"
        ! grep -q 'omprog"\|confirm\|Unresponsive\|signal' <(sed -n '/^ruleset/,$p' "$d/snippet.conf") ||
            die "rsyslog.d/authfold-central.conf: its omprog action has changed; adapt $0"
    fi
    printf 'global(workDirectory="%s/work" maxMessageSize="64k")\ninclude(file="%s/snippet.conf")\n' \
        "$d" "$d" >"$d/rsyslog.conf"
}
# A sender: imtcp on PORT, and the shipped MX snippet's omrelp action.
SPORT=()
for ((i = 1; i <= NMAX; i++)); do
    M=$T/mx$i
    SPORT[i]=$(port)
    {
        printf 'global(workDirectory="%s/work" maxMessageSize="64k")\n' "$M"
        printf 'module(load="imtcp")\ninput(type="imtcp" address="127.0.0.1" port="%s")\n' "${SPORT[i]}"
        sed -n -e '/^module(load="omrelp"/p' -e '/^# --- 1\./,/^# --- 2\./p' "$top_srcdir/rsyslog.d/authfold-mx.conf" |
            sed -e '/^# --- 2\./d' -e "s|/etc/authfold/tls|$M/tls|g" \
                -e "${WINDOW:+s|windowSize=\"[0-9]*\"|windowSize=\"$WINDOW\"|}" \
                -e 's|target="central.example.org"|target="127.0.0.1"|' -e "s|port=\"2514\"|port=\"$CP\"|"
    } >"$M/rsyslog.conf"
    { grep -q 'type="omrelp"' "$M/rsyslog.conf" && grep -q "port=\"$CP\"" "$M/rsyslog.conf"; } ||
        die "rsyslog.d/authfold-mx.conf: its omrelp action has changed; adapt $0"
    [ -z "${WINDOW:-}" ] || grep -q "windowSize=\"$WINDOW\"" "$M/rsyslog.conf" ||
        die "rsyslog.d/authfold-mx.conf: its omrelp action has no windowSize to change; adapt $0"
done
for mode in omfile omprog; do
    mkdir -p "$T/$mode/work"
    central_conf "$mode" "$T/$mode"
    rsyslogd -N1 -f "$T/$mode/rsyslog.conf" >"$T/$mode/check.txt" 2>&1 ||
        { cat "$T/$mode/check.txt" >&2; die "rsyslogd -N1 refuses the central $mode config"; }
done
for ((i = 1; i <= NMAX; i++)); do
    mkdir -p "$T/mx$i/work"
    rsyslogd -N1 -f "$T/mx$i/rsyslog.conf" >"$T/mx$i/check.txt" 2>&1 ||
        { cat "$T/mx$i/check.txt" >&2; die "rsyslogd -N1 refuses mx$i's config"; }
done

# lines OUT: the lines in the central output (cheap while the file is short
# of the payload's bytes: the omfile output holds every line)
lines_in() { wc -l 2>/dev/null <"$1" || echo 0; }

# measure MODE N: sets LPS (lines/s) and SECS; leaves the output in $T/MODE.
# (Runs in this shell, not in a subshell: PIDS must know every process.)
measure() {
    local mode=$1 n=$2 d=$T/$1 i want bytes=0 t0 t1
    rm -rf "$d/work" "$d/state" "$d"/*.log "$T"/go "$T"/ready.*
    mkdir -p "$d/work"
    authfold_conf "$d"
    rsyslogd -n -f "$d/rsyslog.conf" -i "$d/rsyslog.pid" 2>>"$d/rsyslog.err" &
    PIDS+=($!)
    wait_listen "$CP" "${PIDS[-1]}" "the central rsyslogd"
    for ((i = 1; i <= n; i++)); do
        rm -rf "$T/mx$i/work" && mkdir -p "$T/mx$i/work"
        rsyslogd -n -f "$T/mx$i/rsyslog.conf" -i "$T/mx$i/rsyslog.pid" 2>>"$T/mx$i/rsyslog.err" &
        PIDS+=($!)
        wait_listen "${SPORT[i]}" "${PIDS[-1]}" "mx$i's rsyslogd"
    done
    # warm-up: one line from each MX through to the output
    for ((i = 1; i <= n; i++)); do
        python3 "$SEND" --port "${SPORT[i]}" --to 0 --sentinel "warm-up mx$i" "$T/one.log"
    done
    for ((i = 0; i < 1200; i++)); do
        c=$(grep -c 'authfold-test\[1\]: warm-up mx' "$d/summary.log" 2>/dev/null || true)
        [ "${c:-0}" -ge "$n" ] && break
        sleep 0.05
    done
    [ "$i" -lt 1200 ] || { tail -5 "$d/rsyslog.err" "$T"/mx*/rsyslog.err >&2; die "$mode, $n MX: no warm-up after 60 s"; }
    if [ "$mode" = omfile ]; then
        want=$((n * PER_MX + n))
        for ((i = 1; i <= n; i++)); do bytes=$((bytes + $(stat -c %s "$T/mx$i/input.log"))); done
    else
        want=$((EXPECT[$n] + n))
    fi
    local senders=()
    for ((i = 1; i <= n; i++)); do
        python3 "$SEND" --port "${SPORT[i]}" --ready "$T/ready.$i" --go "$T/go" "$T/mx$i/input.log" &
        PIDS+=($!) senders+=($!)
    done
    for ((i = 1; i <= n; i++)); do
        until [ -e "$T/ready.$i" ]; do
            kill -0 "${senders[i - 1]}" 2>/dev/null || die "$mode, $n MX: send.py to mx$i failed"
            sleep 0.02
        done
    done
    t0=$(now)
    touch "$T/go"
    local deadline=$(($(date +%s) + 120 + n * PER_MX / 2000))
    while :; do
        if [ "$(stat -c %s "$d/summary.log" 2>/dev/null || echo 0)" -ge "$bytes" ] &&
            [ "$(lines_in "$d/summary.log")" -ge "$want" ]; then
            break
        fi
        [ "$(date +%s)" -le "$deadline" ] ||
            { tail -5 "$d/rsyslog.err" "$T"/mx*/rsyslog.err >&2
              die "$mode, $n MX: $(lines_in "$d/summary.log") of $want lines after $((deadline - ${t0%.*})) s"; }
        sleep 0.02
    done
    t1=$(now)
    stop_all
    read -r LPS SECS < <(python3 -c "print(f'{$n * $PER_MX / ($t1 - $t0):.0f} {$t1 - $t0:.2f}')")
}

# check N: the central summary and events of the last omprog run against the replay
check() {
    local n=$1 E=$T/expect$1 d=$T/omprog
    grep -v ' postfix/authfold-test\[1\]: ' "$d/summary.log" >"$d/got.summary" || true
    python3 "$COMPARE" --input "$E/input.log" "$E/summary.log" "$E/events.log" \
        "$d/got.summary" "$d/events.log" >"$T/check$n.txt" 2>&1 || true
    tail -1 "$T/check$n.txt"
}

declare -A R_omfile R_omprog RATIO CHECK
load0=$(cut -d' ' -f1-3 /proc/loadavg)
start=$(date +%s)
for ((r = 1; r <= ROUNDS; r++)); do
    for n in $STREAMS; do
        for mode in omfile omprog; do
            measure "$mode" "$n"
            if [ "$mode" = omfile ]; then R_omfile[$n,$r]=$LPS; else R_omprog[$n,$r]=$LPS; fi
            echo "round $r: $n MX, $mode: $LPS lines/s ($SECS s)"
        done
        RATIO[$n,$r]=$(python3 -c "print(f'{${R_omprog[$n,$r]} / ${R_omfile[$n,$r]}:.2f}')")
        if [ "$r" = 1 ]; then
            CHECK[$n]=$(check "$n")
            echo "$n MX: central summary vs authfold replay of the merged input: ${CHECK[$n]}"
        fi
    done
done
load1=$(cut -d' ' -f1-3 /proc/loadavg)
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
rsv=$(rsyslogd -v | head -1 | awk '{print $2}')
relp=$(dpkg-query -W -f '${Version}' librelp0 2>/dev/null || echo unknown)
envs=
[ "$STREAMS" = "1 2 4" ] || envs="STREAMS=\"$STREAMS\" "
[ -z "${WINDOW:-}" ] || envs="${envs}WINDOW=$WINDOW "
RESULTS=$HERE/RESULTS${WINDOW:+-window$WINDOW}.md
{
    echo "# The central log host with several live RELP streams"
    echo
    echo "Command: \`${envs}bench/multi/central.sh $LINES $ROUNDS\` (as root, from a built tree), on $(date -u +%Y-%m-%d),"
    echo "$(nproc) CPUs ($cpu), rsyslog $rsv, librelp $relp, Debian $(cat /etc/debian_version);"
    echo "load average $load0 before, $load1 after; $(($(date +%s) - start)) s in all."
    echo "Every process (the central rsyslogd, authfold-omprog, N sending rsyslogds, N senders)"
    echo "shares these $(nproc) cores."
    echo
    echo "One central rsyslogd with the shipped central example's imrelp input (mutual TLS,"
    echo "tls.authMode=\"name\", a private CA) and N sending rsyslogds on the same host, each"
    echo "with the shipped MX example's omrelp action (disk-assisted queue), over loopback."
    echo "Each MX sends its own copy of a $PER_MX-line log (bench/gen-log.py from"
    echo "tests/data/verbose.rfc3339.log, host renamed mx1..mxN), injected into its imtcp by"
    echo "tests/rsyslog/send.py, all N starting at one moment. Time: from the first line sent"
    echo "until the central output holds every line: for authfold-omprog (the shipped action,"
    echo "backend = none, publish off) the lines of \`authfold replay\` of the merged input;"
    echo "for omfile (the same action queue, rsyslog writing the stream itself) every line"
    echo "sent. lines/s counts the lines sent (N x $PER_MX). Fresh rsyslogds, queues and state"
    echo "for each measurement; omfile then authfold-omprog for each N in each round."
    if [ -n "${WINDOW:-}" ]; then
        echo
        echo "**Variant:** the senders' omrelp action has windowSize=\"$WINDOW\" (the shipped"
        echo "example has 1024; librelp's default is 128 messages in flight)."
    fi
    echo
    echo "| MX streams | lines | round | omfile lines/s | authfold-omprog lines/s | authfold-omprog / omfile |"
    echo "|---:|---:|---|---:|---:|---:|"
    for n in $STREAMS; do
        f=() o=() q=()
        for ((r = 1; r <= ROUNDS; r++)); do
            echo "| $n | $((n * PER_MX)) | $r | ${R_omfile[$n,$r]} | ${R_omprog[$n,$r]} | ${RATIO[$n,$r]} |"
            f+=("${R_omfile[$n,$r]}") o+=("${R_omprog[$n,$r]}") q+=("${RATIO[$n,$r]}")
        done
        echo "| $n | $((n * PER_MX)) | **median** | **$(median "${f[@]}")** | **$(median "${o[@]}")** | **$(median "${q[@]}")** |"
    done
    echo
    echo "Correctness (round 1, tests/order/compare.py --input: the central summary and"
    echo "events against \`authfold replay\` of the merged input, as multisets):"
    echo
    for n in $STREAMS; do
        echo "- $n MX ($((EXPECT[$n])) summary lines expected): ${CHECK[$n]}"
    done
} >"$RESULTS"
echo "wrote $RESULTS"

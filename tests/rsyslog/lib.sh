# SPDX-License-Identifier: GPL-2.0-or-later
# Shared part of the rsyslog integration tests (sourced, bash).
#
# Each test runs a PRIVATE rsyslogd: its own config, workDirectory and pid
# file in a temp dir, imtcp on 127.0.0.1 with a free port, no imuxsock, no
# imklog, never /dev/log. The action is rsyslog.d/authfold.conf with its
# paths replaced (the binary of the build tree, a config that puts the
# summary, the events log and the state into the temp dir, backend = none).
# The input is the recorded Postfix log, sent as RFC 5424 frames by send.py.
# The expected result is `authfold replay` of the same lines (those whose
# programname starts with "postfix", as the snippet selects), compared
# line by line, timestamps included except in the traditional format.
#
# Exit status 77 (skipped) when not root or without rsyslogd/omprog.

set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
top_srcdir=$(cd "$top_srcdir" && pwd)
top_builddir=$(cd "$top_builddir" && pwd)
TEST=$(basename "$0" .sh)

say() { printf '%s: %s\n' "$TEST" "$*" >&2; }
skip() { say "SKIP: $*"; exit 77; }
fail() { say "FAIL: $*"; exit 1; }

[ "$(id -u)" = 0 ] || skip "needs root"
command -v rsyslogd >/dev/null || skip "rsyslogd is not installed"
RSYSLOG_MODDIR=${RSYSLOG_MODDIR:-/usr/lib/x86_64-linux-gnu/rsyslog}
[ -e "$RSYSLOG_MODDIR/omprog.so" ] || [ -n "$(find /usr/lib* -name omprog.so 2>/dev/null | head -1)" ] ||
    skip "rsyslog's omprog module is not installed"
command -v python3 >/dev/null || skip "python3 is not installed"

OMPROG=$top_builddir/authfold-omprog
AUTHFOLD=$top_builddir/authfold
SNIPPET=$top_srcdir/rsyslog.d/authfold.conf
SEND=$top_srcdir/tests/rsyslog/send.py
[ -x "$OMPROG" ] || fail "no $OMPROG: build first"
[ -x "$AUTHFOLD" ] || fail "no $AUTHFOLD: build first"

# The recorded Postfix log; the small hand-written sample until it exists.
DATA=${AUTHFOLD_TEST_LOG:-$top_srcdir/tests/data/verbose.rfc3339.log}
if [ ! -s "$DATA" ]; then
    say "note: $DATA is missing; using tests/rsyslog/sample.syslog (hand-written)"
    DATA=$top_srcdir/tests/rsyslog/sample.syslog
fi

BASE=$(mktemp -d /tmp/authfold-rsyslog.XXXXXX)
RS_PID=
MOUNTS=()
cleanup() {
    local rc=$?
    stop_rsyslog
    local m
    for m in "${MOUNTS[@]+"${MOUNTS[@]}"}"; do umount "$m" 2>/dev/null; done
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; then
        say "kept $BASE for inspection"
        local f
        for f in "$BASE"/*/omprog.err "$BASE"/*/rsyslog.err; do
            [ -s "$f" ] && { say "--- $f"; tail -n 20 "$f" >&2; }
        done
    elif [ -z "${KEEP:-}" ]; then
        rm -rf "$BASE"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# new_run NAME [SED-EXPR...]: a fresh directory $W with rsyslog and authfold
# configs; each SED-EXPR edits the snippet (e.g. 's|confirmMessages="on"|...|').
new_run() {
    local name=$1
    shift
    W=$BASE/$name
    mkdir -p "$W/work" "$W/out" "$W/exp"
    PORT=$(free_port)
    SUMMARY=$W/out/summary.log
    EVENTS=$W/out/events.log
    cat >"$W/authfold.conf" <<EOF
summary_log = $SUMMARY
events_log = $EVENTS
state_dir = $W/state
backend = none
EOF
    local args=(-e "s|/usr/sbin/authfold-omprog|$OMPROG|"
                -e "s|/etc/authfold/authfold.conf|$W/authfold.conf|"
                -e "s|/var/log/authfold-omprog.log|$W/omprog.err|") e
    for e in "$@"; do args+=(-e "$e"); done
    sed "${args[@]}" "$SNIPPET" >"$W/snippet.conf"
    cat >"$W/rsyslog.conf" <<EOF
global(workDirectory="$W/work" maxMessageSize="64k")
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="$PORT")
action(type="omfile" file="$W/all.log" template="RSYSLOG_FileFormat")
include(file="$W/snippet.conf")
EOF
    rsyslogd -N1 -f "$W/rsyslog.conf" >"$W/check.txt" 2>&1 ||
        { cat "$W/check.txt" >&2; fail "rsyslogd -N1 refuses the config with the snippet"; }
}

start_rsyslog() {
    rsyslogd -n -f "$W/rsyslog.conf" -i "$W/rsyslog.pid" 2>>"$W/rsyslog.err" &
    RS_PID=$!
    local i
    for i in $(seq 100); do
        python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$PORT)).close()" 2>/dev/null &&
            return 0
        kill -0 "$RS_PID" 2>/dev/null || fail "rsyslogd died at start: $(cat "$W/rsyslog.err")"
        sleep 0.1
    done
    fail "rsyslogd does not listen on port $PORT"
}

stop_rsyslog() {
    [ -n "$RS_PID" ] || return 0
    kill -TERM "$RS_PID" 2>/dev/null
    local i
    for i in $(seq 150); do kill -0 "$RS_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$RS_PID" 2>/dev/null
    wait "$RS_PID" 2>/dev/null
    RS_PID=
}

# The pid of the running authfold-omprog (a child of our rsyslogd), or nothing.
omprog_pid() {
    local p
    for p in $(pgrep -P "$RS_PID" 2>/dev/null); do
        [ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$OMPROG" ] && { echo "$p"; return; }
    done
}

send() { python3 "$SEND" --port "$PORT" "$@" "$DATA" || fail "send.py failed"; }

# wait_for TEXT [SECONDS]: until the summary holds a line ending in TEXT.
wait_for() {
    local text=$1 t=${2:-60} i
    for i in $(seq $((t * 10))); do
        grep -q -- "$text\$" "$SUMMARY" 2>/dev/null && return 0
        sleep 0.1
    done
    fail "'$text' did not reach the summary within ${t}s"
}

# expect: the replay of the postfix lines of $DATA into $W/exp/.
expect() {
    python3 - "$DATA" >"$W/exp/input.log" <<'EOF'
import re, sys
for line in open(sys.argv[1], encoding='utf-8', errors='surrogateescape'):
    m = re.match(r'^(?:\d{4}-\S+|[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) \S+ ([^\s\[:/]+)', line)
    if m and m.group(1).startswith('postfix'):
        sys.stdout.write(line)
EOF
    sed -e "s|^summary_log = .*|summary_log = $W/exp/summary.log|" \
        -e "s|^events_log = .*|events_log = $W/exp/events.log|" \
        -e "s|^state_dir = .*|state_dir = $W/exp/state|" "$W/authfold.conf" >"$W/exp/authfold.conf"
    "$AUTHFOLD" replay -c "$W/exp/authfold.conf" --summary "$W/exp/summary.log" \
        "$W/exp/input.log" 2>"$W/exp/report.txt" || fail "authfold replay failed"
}

# bare FILE...: the lines without the test's own lines; without timestamps
# when STRIP_TS=1 (traditional format: rsyslog writes its own). RFC 3339
# timestamps are kept: rsyslog passes them through (confirm.sh checks it),
# and they tell where a synthetic line or a strike came from.
STRIP_TS=0
bare() {
    local ts=(cat)
    [ "$STRIP_TS" = 1 ] && ts=(sed -E -e 's/^[0-9]{4}-[0-9][0-9]-[0-9][0-9]T[^ ]+ //' \
                                    -e 's/^[A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} //')
    cat "$@" | grep -v ' postfix/authfold-test\[1\]: ' | "${ts[@]}"
}

# strikes FILE...: the strike events in order (without "ts" when STRIP_TS=1).
strikes() {
    cat "$@" | STRIP_TS=$STRIP_TS python3 -c '
import json, os, sys
for l in sys.stdin:
    e = json.loads(l)
    if e.get("event") == "strike":
        if os.environ["STRIP_TS"] == "1":
            e.pop("ts", None)
        print(json.dumps(e, sort_keys=True))'
}

# compare_exact [SUMMARY-FILES...]: summary and strikes equal the replay's.
compare_exact() {
    local files=("$@")
    [ ${#files[@]} -gt 0 ] || files=("$SUMMARY")
    bare "${files[@]}" >"$W/got.bare"
    bare "$W/exp/summary.log" >"$W/exp.bare"
    diff -u "$W/exp.bare" "$W/got.bare" >"$W/summary.diff" ||
        { head -n 40 "$W/summary.diff" >&2; fail "the summary differs from authfold replay"; }
    compare_strikes
    say "ok: $(wc -l <"$W/got.bare") summary lines, $(wc -l <"$W/got.strikes") strikes as replay"
}

compare_strikes() {
    local ev=("${EVENTS_FILES[@]-$EVENTS}")
    strikes "${ev[@]}" >"$W/got.strikes"
    strikes "$W/exp/events.log" >"$W/exp.strikes"
    diff -u "$W/exp.strikes" "$W/got.strikes" >"$W/strikes.diff" ||
        { head -n 20 "$W/strikes.diff" >&2; fail "strikes differ from authfold replay"; }
    [ -s "$W/exp.strikes" ] || say "note: the input gives no strike at all"
}

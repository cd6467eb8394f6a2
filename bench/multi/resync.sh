#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/multi/resync.sh - what the central host's resync costs at N running
# bans: the central authfold-omprog and its local rsyslogd, one full round.
#
#   bench/multi/resync.sh [BANS [PERIOD]]   (from a built tree; default
#                                           100000 bans, publish_resync 30s)
#
# A state_dir whose publish.log holds BANS running bans (IPv6 /64s of
# 2001:db8::/32, each with its id, as publish(3) writes them once sent), an
# authfold-omprog (backend = none, publish = syslog) whose stdin stays open
# and silent, and a private rsyslogd whose imuxsock publish socket (as in
# rsyslog.d/authfold-central.conf, with the annotation) feeds an omfile
# (standing in for the omrelp actions). The first round begins one period
# after the start; the bench waits for the round's marker (a keep-alive
# whose id begins with eight zeros) and reports: the start (reading and
# rewriting publish.log), the round's length and lines/s, the CPU seconds
# of authfold-omprog and of rsyslogd over the round, authfold-omprog's
# resident memory, and the size of publish.log. Nothing of the host is
# touched (no /dev/log, no kernel set).
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top_srcdir=$(cd "${top_srcdir:-$HERE/../..}" && pwd)
top_builddir=$(cd "${top_builddir:-$top_srcdir}" && pwd)
OMPROG=$top_builddir/authfold-omprog
N=${1:-100000}
PERIOD=${2:-30}

die() { echo "resync: $*" >&2; exit 1; }
[ -x "$OMPROG" ] || die "no $OMPROG (build first)"
command -v rsyslogd >/dev/null || die "no rsyslogd"
T=$(mktemp -d /tmp/authfold-resync.XXXXXX) || die mktemp
RPID= APID= SPID=
cleanup() {
    [ -n "$APID" ] && kill "$APID" 2>/dev/null
    [ -n "$SPID" ] && kill "$SPID" 2>/dev/null
    [ -n "$RPID" ] && kill "$RPID" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
mkdir -p "$T/state" "$T/rsyslog"
chmod 0750 "$T/state"

cat >"$T/rsyslog.conf" <<EOF
global(workDirectory="$T/rsyslog")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" socket="$T/publish.sock" ruleset="publish" annotate="on" parseTrusted="on"
      useSysTimeStamp="on" rateLimit.interval="0")
ruleset(name="publish") {
    if \$msg contains "authfold-decision v" then {
        action(type="omfile" file="$T/out.log" template="RSYSLOG_FileFormat" asyncWriting="on"
               ioBufferSize="256k" flushOnTXEnd="off")
    }
}
EOF
rsyslogd -n -f "$T/rsyslog.conf" -i "$T/rsyslog.pid" >"$T/rsyslog.err" 2>&1 &
RPID=$!
for ((i = 0; i < 100; i++)); do [ -S "$T/publish.sock" ] && break; sleep 0.05; done
[ -S "$T/publish.sock" ] || die "rsyslogd did not create its socket"

now=$(date +%s)
python3 - "$N" "$now" >"$T/state/publish.log" <<'PY'
import ipaddress, sys
n, now = int(sys.argv[1]), int(sys.argv[2])
base = int(ipaddress.IPv6Address("2001:db8::"))
for i in range(n):
    net = ipaddress.IPv6Network((base + ((i + 1) << 64), 64))
    print("S authfold-decision v1 id=%016x op=ban net=%s at=%d until=%d reason=noauth by=central.example.org"
          % (0xa000000000000000 + i, net, now - 60, now + 86400))
PY
cat >"$T/authfold.conf" <<EOF
summary_log = $T/summary.log
state_dir = $T/state
backend = none
publish = syslog
publish_socket = $T/publish.sock
publish_host = central.example.org
publish_alive = 0
publish_resync = ${PERIOD}s
EOF
size=$(stat -c %s "$T/state/publish.log")
mkfifo "$T/in"
sleep 100000 >"$T/in" &
SPID=$!
t0=$(date +%s.%N)
"$OMPROG" -c "$T/authfold.conf" <"$T/in" 2>"$T/omprog.err" &
APID=$!
# started: publish.log read and rewritten, then waiting on its silent stdin
# (sleeping, and no CPU used for 0.2 s)
state() { awk '{ print $3 }' "/proc/$APID/stat"; }
prev=-1
for ((i = 0; i < 1200; i++)); do
    c=$(awk '{ print $14 + $15 }' "/proc/$APID/stat")
    [ "$(state)" = S ] && [ "$c" = "$prev" ] && [ ! -e "$T/state/publish.log.tmp" ] && break
    prev=$c
    sleep 0.2
done
t1=$(date +%s.%N)
cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
rss=$(awk '/VmRSS/ { print $2 }' "/proc/$APID/status")
# wait for the round: its first line, then its marker
for ((i = 0; i < (PERIOD + 30) * 20; i++)); do [ -s "$T/out.log" ] && break; sleep 0.05; done
[ -s "$T/out.log" ] || { cat "$T/omprog.err" >&2; die "no round began within $((PERIOD + 30)) s"; }
ta=$(date +%s.%N)
ca=$(cpu "$APID") cr=$(cpu "$RPID")
for ((i = 0; i < (PERIOD * 3 + 30) * 10; i++)); do
    grep -q ' id=00000000' "$T/out.log" && break
    sleep 0.1
done
tb=$(date +%s.%N)
cb=$(cpu "$APID") crb=$(cpu "$RPID")
grep -q ' id=00000000' "$T/out.log" || { cat "$T/omprog.err" >&2; die "the round did not end"; }
sleep 1
lines=$(grep -c 'op=ban' "$T/out.log")
rss2=$(awk '/VmRSS/ { print $2 }' "/proc/$APID/status")
marker=$(grep -o ' id=00000000[0-9a-f]*' "$T/out.log" | head -1)
awk -v n="$N" -v p="$PERIOD" -v size="$size" -v t0="$t0" -v t1="$t1" -v ta="$ta" -v tb="$tb" \
    -v ca="$ca" -v cb="$cb" -v cr="$cr" -v crb="$crb" -v hz="$hz" -v lines="$lines" -v rss="$rss" -v rss2="$rss2" \
    -v marker="$marker" 'BEGIN {
    printf "resync: %d running bans, publish_resync %ds; publish.log %.1f MB\n", n, p, size / 1e6
    printf "resync: start (read and rewrite publish.log): %.2f s; authfold-omprog RSS %d kB at start, %d kB after the round\n", t1 - t0, rss, rss2
    printf "resync: round: %d bans resent in %.1f s (%.0f lines/s), marker%s\n", lines, tb - ta, lines / (tb - ta), marker
    printf "resync: CPU over the round: authfold-omprog %.2f s (%.1f us per line), rsyslogd %.2f s (%.1f us per line)\n",
        (cb - ca) / hz, (cb - ca) / hz / lines * 1e6, (crb - cr) / hz, (crb - cr) / hz / lines * 1e6
}'
[ "$lines" -ge "$N" ] || die "the round resent $lines of $N bans"

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/multi/newbans.sh - what a rebuilt MX pays for the central host's
# running bans: authfold-enforce (backend = none, an empty state_dir on
# this disk) takes N new ban decisions on stdin, each a different IPv6 /64.
#
#   bench/multi/newbans.sh [N [MODE]]   (from a built tree; default 20000, piped)
#
# MODE piped: every line is in the pipe at once (what rsyslog's omprog
# gives with confirmMessages="off", or a backlog read in one go): the
# enforcer syncs enforce.log once per batch of bans read together.
# MODE lockstep: the next line is written only after the reply to the
# previous one, as rsyslog's omprog does with confirmMessages="on": every
# read holds one decision, so every ban is its own batch.
# Prints the wall time, bans/s, enforce.log's lines and the time a rebuilt
# MX would need for 100,000 bans at that rate. Nothing of the host is
# touched (no kernel set, no rsyslogd).
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top_srcdir=$(cd "${top_srcdir:-$HERE/../..}" && pwd)
top_builddir=$(cd "${top_builddir:-$top_srcdir}" && pwd)
ENF=$top_builddir/authfold-enforce
N=${1:-20000}
MODE=${2:-piped}

die() { echo "newbans: $*" >&2; exit 1; }
[ -x "$ENF" ] || die "no $ENF (build first)"
case $MODE in piped|lockstep) ;; *) die "MODE is piped or lockstep" ;; esac
T=$(mktemp -d "${TMPDIR:-/var/tmp}/authfold-newbans.XXXXXX") || die mktemp
trap 'rm -rf "$T"' EXIT
mkdir -m 0700 "$T/state"
cat >"$T/a.conf" <<EOF
state_dir = $T/state
summary_log = $T/summary.log
backend = none
enforce_from = central.example.org
EOF
python3 - "$N" >"$T/in" <<'PY'
import ipaddress, sys, time
n, now = int(sys.argv[1]), int(time.time())
base = int(ipaddress.IPv6Address("2001:db8::"))
for i in range(n):
    net = ipaddress.IPv6Network((base + ((i + 1) << 64), 64))
    print(" authfold-decision v1 id=%016x op=ban net=%s at=%d until=%d reason=noauth by=central.example.org"
          % (0xb000000000000000 + i, net, now - 60, now + 86400))
PY
python3 - "$ENF" "$T/a.conf" "$T/in" "$MODE" "$T/err" "$N" <<'PY'
import subprocess, sys, time
enf, conf, path, mode, errpath, n = sys.argv[1:7]
n = int(n)
lines = open(path, "rb").read().splitlines(keepends=True)
p = subprocess.Popen([enf, "-c", conf], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                     stderr=open(errpath, "w"), bufsize=0)
if p.stdout.readline() != b"OK\n":
    sys.exit("newbans: no greeting")
t0 = time.monotonic()
oks = 0
if mode == "piped":
    import threading
    def feed():
        p.stdin.write(b"".join(lines))
        p.stdin.close()
    th = threading.Thread(target=feed)
    th.start()
    for _ in range(n):
        if p.stdout.readline() == b"OK\n":
            oks += 1
    th.join()
else:
    for l in lines:
        p.stdin.write(l)
        if p.stdout.readline() == b"OK\n":
            oks += 1
    p.stdin.close()
t = time.monotonic() - t0
p.wait(60)
print("newbans: %d new bans %s: %.2f s, %.0f bans/s, %d OK; 100,000 would take %.0f s"
      % (n, mode, t, n / t, oks, 100000 / (n / t)))
if oks != n:
    sys.exit(1)
PY
st=$?
echo "newbans: enforce.log holds $(wc -l <"$T/state/enforce.log") lines"
[ -s "$T/err" ] && sed 's/^/newbans: stderr: /' "$T/err" | head -5
exit $st

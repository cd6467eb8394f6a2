#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/enforce/transaction.sh - a real rsyslogd (a private configuration,
# an imuxsock socket of its own) feeds authfold-enforce through omprog with
# confirmMessages="on" and useTransactions="on": the enforcer answers each
# decision DEFER_COMMIT and logs and applies the transaction's decisions at
# its COMMIT, one fdatasync for each run of new bans (enforce_apply_batch()).
# - 3000 new bans: all in enforce.log, with far fewer syncs than bans
#   (counted with strace when it is there), and the time is printed beside
#   that of useTransactions="off" (one sync a ban);
# - a full disk (RLIMIT_FSIZE set by a wrapper, SIGXFSZ ignored): the
#   COMMIT is answered ERROR, rsyslog sends the transaction's decisions
#   again; once the limit is lifted (prlimit), every ban is in the log once.
# Needs rsyslogd with omprog and prlimit; no root, no kernel (backend = none).
set -u
: "${top_builddir:=.}"
enf=$(cd "$top_builddir" && pwd)/authfold-enforce
[ -x "$enf" ] || { echo "FAIL: $enf is not built"; exit 1; }
command -v rsyslogd >/dev/null 2>&1 || { echo "SKIP: no rsyslogd"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "SKIP: no python3"; exit 77; }
command -v prlimit >/dev/null 2>&1 || { echo "SKIP: no prlimit"; exit 77; }
tmp=$(mktemp -d) || exit 1
rpid=
cleanup() {
	[ -n "$rpid" ] && kill "$rpid" 2>/dev/null && wait "$rpid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
failed=0
fail() { echo "FAIL: $*"; failed=1; }

# run MODE N [WRAPPER]: rsyslogd with useTransactions=MODE, N bans sent;
# $secs and $lines when the log holds N lines (or after 60 s); rsyslogd
# keeps running (stop)
run() {
	mode=$1 n=$2 bin=${3:-$enf}
	rm -rf "$tmp/state" "$tmp/work"
	mkdir -m 0700 "$tmp/state" && mkdir "$tmp/work"
	printf 'state_dir = %s/state\nsummary_log = %s/summary.log\nbackend = none\nenforce_from = central.example.org\n' \
		"$tmp" "$tmp" >"$tmp/a.conf"
	cat >"$tmp/rs.conf" <<EOF
global(workDirectory="$tmp/work")
module(load="imuxsock" SysSock.Use="off")
module(load="omprog")
input(type="imuxsock" socket="$tmp/in.sock" ruleset="r" rateLimit.interval="0")
template(name="dec" type="string" string="%msg%\n")
ruleset(name="r" queue.type="LinkedList" queue.size="100000") {
	action(type="omprog" binary="$bin -c $tmp/a.conf --confirm" confirmMessages="on" useTransactions="$mode"
	       confirmTimeout="10000" action.resumeRetryCount="-1" action.resumeInterval="1"
	       output="$tmp/enforce.err" template="dec")
}
EOF
	rsyslogd -n -f "$tmp/rs.conf" -i "$tmp/rs.pid" >"$tmp/rs.err" 2>&1 &
	rpid=$!
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		[ -S "$tmp/in.sock" ] && break
		sleep 0.1
	done
	{ python3 - "$tmp" "$n" <<'PY'
import ipaddress, os, socket, sys, time
tmp, n = sys.argv[1], int(sys.argv[2])
now, base = int(time.time()), int(ipaddress.IPv6Address("2001:db8::"))
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
t0 = time.monotonic()
for i in range(n):
    s.sendto(("<13>Dec  7 19:40:00 authfold: authfold-decision v1 id=%016x op=ban net=%s at=%d until=%d "
              "reason=noauth by=central.example.org" % (0xe000 + i, ipaddress.IPv6Network((base + ((i + 1) << 80), 64)),
                                                        now - 60, now + 86400)).encode(), tmp + "/in.sock")
def lines():
    try:
        return sum(1 for _ in open(tmp + "/state/enforce.log"))
    except FileNotFoundError:
        return 0
while lines() < n and time.monotonic() - t0 < 60:
    if os.path.exists(tmp + "/full") and os.path.exists(tmp + "/enforce.err") and \
       "cannot write" in open(tmp + "/enforce.err").read():
        break
    time.sleep(0.05)
print("%.2f %d" % (time.monotonic() - t0, lines()))
PY
	} >"$tmp/result"
	read -r secs lines <"$tmp/result"
}
stop() { [ -n "$rpid" ] && kill "$rpid" && wait "$rpid" 2>/dev/null; rpid=; }

# 1. 3000 new bans, with transactions (and without, for the comparison)
N=3000
if command -v strace >/dev/null 2>&1; then
	printf '#!/bin/sh\nexec strace -f -c -e trace=fdatasync -o %s/strace "%s" "$@"\n' "$tmp" "$enf" >"$tmp/traced"
	chmod +x "$tmp/traced"
	run on $N "$tmp/traced"
else
	run on $N
fi
stop
t_on=$secs
[ "$lines" = $N ] || fail "useTransactions=on: $lines of $N bans in enforce.log ($(head -3 "$tmp/enforce.err" 2>/dev/null))"
if [ -s "$tmp/strace" ]; then
	syncs=$(awk '$NF == "fdatasync" { print $(NF-1) }' "$tmp/strace")
	echo "# useTransactions=on: $N new bans in ${t_on}s, ${syncs:-?} fdatasync"
	[ -n "$syncs" ] && [ "$syncs" -lt $((N / 10)) ] || fail "useTransactions=on: ${syncs:-no} fdatasync for $N bans"
else
	echo "# useTransactions=on: $N new bans in ${t_on}s (no strace: syncs not counted)"
fi
if [ -s "$tmp/strace" ]; then	# the same wrapper, for a fair time
	rm -f "$tmp/strace"
	run off $N "$tmp/traced"
else
	run off $N
fi
stop
syncs=$(awk '$NF == "fdatasync" { print $(NF-1) }' "$tmp/strace" 2>/dev/null)
echo "# useTransactions=off: $N new bans in ${secs}s, ${syncs:-one a ban} fdatasync"
[ "$lines" = $N ] || fail "useTransactions=off: $lines of $N bans in enforce.log"

# 2. a full disk: the COMMIT is refused, the transaction sent again
N=600
cat >"$tmp/wrapper" <<EOF
#!/bin/sh
trap '' XFSZ
[ -e "$tmp/full" ] && ulimit -S -f 40
exec "$enf" "\$@"
EOF
chmod +x "$tmp/wrapper"
touch "$tmp/full"
run on $N "$tmp/wrapper"
grep -q "cannot write" "$tmp/enforce.err" 2>/dev/null || fail "the full disk was not seen ($lines lines)"
echo "# full disk: $lines of $N bans in enforce.log when the first COMMIT was refused"
rm -f "$tmp/full"
# room again (the limit of the running enforcer lifted): rsyslog's retries
# of the refused transaction are taken
for pid in $(pgrep -P "$rpid" 2>/dev/null); do
	prlimit --pid "$pid" --fsize=unlimited: || fail "prlimit $pid"
done
python3 - "$tmp" "$N" <<'PY' || failed=1
import re, sys, time
tmp, n = sys.argv[1], int(sys.argv[2])
t0 = time.monotonic()
while time.monotonic() - t0 < 60:
    try:
        ids = re.findall(r"id=([0-9a-f]{16}) op=ban", open(tmp + "/state/enforce.log").read())
    except FileNotFoundError:
        ids = []
    if len(set(ids)) >= n:
        break
    time.sleep(0.1)
dup = len(ids) - len(set(ids))
print("# after room came back: %d bans in enforce.log (%d lines, %d twice) in %.1f s"
      % (len(set(ids)), len(ids), dup, time.monotonic() - t0))
if len(set(ids)) != n or dup:
    print("FAIL: after the full disk, %d of %d bans logged, %d twice" % (len(set(ids)), n, dup))
    sys.exit(1)
PY
stop

[ $failed = 0 ] && echo PASS
exit $failed

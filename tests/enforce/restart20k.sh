#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/enforce/restart20k.sh - issue 23: an enforcer holding 20,000
# central bans restarts within rsyslog's confirmTimeout (10 s in the shipped
# rsyslog.d/authfold-mx.conf, rsyslog's default): the time from its start
# to its "OK" greeting (log replayed and compacted, local unban requests
# taken, running bans checked or put into the kernel) is measured with real
# ipsets in a private network namespace (tests/bans/lib.sh):
# - a restart with the kernel still holding the bans (rsyslog restarted the
#   program: each entry is tested and left alone);
# - a start with empty sets (after a reboot without the restore unit: every
#   ban is added);
# each must greet within 10 s, and the sets hold the 20,000 bans after.
# The measured times are printed as comments.

. "${top_srcdir:-.}/tests/bans/lib.sh"

enf=$top_builddir/authfold-enforce
[ -x "$enf" ] || { echo "FAIL: $enf is not built"; exit 1; }
by=central.example.org
conf "$tmp/a.conf" "enforce_from = $by"
N=20000

python3 - "$tmp/state/enforce.log" "$N" "$by" <<'PY'
import ipaddress, sys, time
path, n, by = sys.argv[1], int(sys.argv[2]), sys.argv[3]
now = int(time.time())
base = int(ipaddress.IPv6Address("2001:db8::"))
with open(path, "w") as f:
    for i in range(n):
        net = ipaddress.IPv6Network((base + ((i + 1) << 64), 64))
        f.write("%d authfold-decision v1 id=%016x op=ban net=%s at=%d until=%d reason=noauth by=%s\n"
                % (now, 0x1000 + i, net, now, now + 3600 + i % 600, by))
PY
chmod 0640 "$tmp/state/enforce.log"

# greet CONF: seconds from the start to the greeting; the program then gets EOF
greet() {
	python3 - "$enf" "$1" "$tmp/e.err" <<'PY'
import subprocess, sys, time
t0 = time.monotonic()
p = subprocess.Popen([sys.argv[1], "-c", sys.argv[2]], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                     stderr=open(sys.argv[3], "a"), text=True)
import select
hello = p.stdout.readline().strip() if select.select([p.stdout], [], [], 30)[0] else "none"  # a hang: not forever
t = time.monotonic() - t0
p.stdin.close()
try:
    p.wait(60)
except subprocess.TimeoutExpired:
    p.kill()
    p.wait()
print("%.3f" % t if hello == "OK" else "none")
PY
}
count6() { ipset list authfold6 2>/dev/null | awk '/^Members:/ { m = 1; next } m && NF { n++ } END { print n + 0 }'; }

t_empty=$(greet "$tmp/a.conf")
echo "# start with empty sets, $N bans added: ${t_empty}s to the greeting"
check "with empty sets it greets within 10 s (${t_empty}s)" python3 -c "import sys; sys.exit(not ('$t_empty' != 'none' and float('$t_empty') < 10))"
check "...and the set holds the $N bans ($(count6))" [ "$(count6)" = "$N" ]
t_full=$(greet "$tmp/a.conf")
echo "# restart with the $N bans in the kernel: ${t_full}s to the greeting"
check "restarted with the bans in the kernel it greets within 10 s (${t_full}s)" python3 -c "import sys; sys.exit(not ('$t_full' != 'none' and float('$t_full') < 10))"
check "...and the set still holds them ($(count6))" [ "$(count6)" = "$N" ]
check "the log kept every ban ($(wc -l <"$tmp/state/enforce.log") lines)" [ "$(wc -l <"$tmp/state/enforce.log")" = "$N" ]
sed 's/^/# enforce: /' "$tmp/e.err"
finish

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/bans/drop.sh - end to end: authfold replay --ban of a hand-written
# log (written by this script with timestamps of now: two AUTH probes of
# 192.0.2.10, one each of 2001:db8::6 and 2001:db8::7) with bantime 6s (a busy machine must not outlast it), and
# the firewall rules of the README:
#   iptables  -I INPUT -p tcp -m multiport --dports 25,465,587 -m set --match-set authfold4 src -j DROP
#   ip6tables -I INPUT -p tcp -m multiport --dports 25,465,587 -m set --match-set authfold6 src -j DROP
# A real TCP connection to port 25 in the namespace from the banned
# documentation address is dropped while an unbanned one connects; IPv6 bans
# the /64; after the kernel expires the entries both connect again.
# Socket code as in tests/ipset/drop.sh.

. "${top_srcdir:-.}/tests/bans/lib.sh"

for p in iptables ip6tables ip; do
	command -v $p >/dev/null 2>&1 || { echo "SKIP: no $p"; exit 77; }
done
ip link set lo up || exit 1
ip route add local 192.0.2.0/24 dev lo || exit 1
ip -6 route add local 2001:db8::/64 dev lo || exit 1
ip -6 route add local 2001:db8:1::/64 dev lo || exit 1
sysctl -q -w net.ipv6.ip_nonlocal_bind=1 || exit 1

conf "$tmp/a.conf" "bantime = 6s"
# the sets must exist before the rules that name them: an empty replay creates them
"$af" replay -c "$tmp/a.conf" --ban /dev/null >/dev/null 2>&1
if ! iptables -I INPUT -p tcp -m multiport --dports 25,465,587 -m set --match-set authfold4 src -j DROP ||
   ! ip6tables -I INPUT -p tcp -m multiport --dports 25,465,587 -m set --match-set authfold6 src -j DROP; then
	echo "SKIP: iptables cannot match ipsets here"
	exit 77
fi

cat >"$tmp/listen.py" <<'PY'
import socket, sys, threading
socks = []
for fam, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, 25))
    s.listen(64)
    socks.append(s)
def serve(s):
    while True:
        c, _ = s.accept()
        c.close()
for s in socks:
    threading.Thread(target=serve, args=(s,), daemon=True).start()
open(sys.argv[1], "w").close()
threading.Event().wait()
PY
cat >"$tmp/connect.py" <<'PY'
import socket, sys
src, dst = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_INET6 if ":" in dst else socket.AF_INET, socket.SOCK_STREAM)
s.bind((src, 0))
s.settimeout(0.7)
try:
    s.connect((dst, 25))
except OSError:
    sys.exit(1)
sys.exit(0)
PY
python3 "$tmp/listen.py" "$tmp/ready" &
lib_pids=$!
i=0
while [ ! -e "$tmp/ready" ]; do
	i=$((i + 1))
	[ $i -le 50 ] || { echo "FAIL: listener did not start"; exit 1; }
	sleep 0.1
done
connects() { python3 "$tmp/connect.py" "$1" "$2"; }
dropped() { ! connects "$1" "$2"; }

check "192.0.2.10 connects before the replay" connects 192.0.2.10 127.0.0.1
check "2001:db8::6 connects before the replay" connects 2001:db8::6 ::1
now=$(date +%s)
{
	noauth_session "$now" 201 192.0.2.10
	noauth_session "$now" 202 192.0.2.10
	noauth_session "$now" 203 2001:db8::6
	noauth_session "$now" 204 2001:db8::7
} >"$tmp/probe.log"
"$af" replay -c "$tmp/a.conf" --ban --events "$tmp/a.events" "$tmp/probe.log" >/dev/null 2>"$tmp/a.err"
check "replay --ban exits 0" test $? = 0
check "192.0.2.10 is dropped while banned" dropped 192.0.2.10 127.0.0.1
check "192.0.2.12 (not banned) connects meanwhile" connects 192.0.2.12 127.0.0.1
check "2001:db8::6 is dropped while its /64 is banned" dropped 2001:db8::6 ::1
check "2001:db8:1::20 (another /64) connects meanwhile" connects 2001:db8:1::20 ::1
i=0
while ipset -q test authfold4 192.0.2.10 || ipset -q test authfold6 2001:db8::/64; do
	i=$((i + 1))
	[ $i -le 100 ] || break
	sleep 0.1
done
check "the entries expired $(($(date +%s) - now)) s after the ban (bantime 6s)" \
	sh -c "[ $(($(date +%s) - now)) -le 8 ]"
check "192.0.2.10 connects again after the ban" connects 192.0.2.10 127.0.0.1
check "2001:db8::7 connects again after the ban" connects 2001:db8::7 ::1
drops4=$(iptables -nvxL INPUT | awk '/match-set authfold4 src/ { print $1 }')
drops6=$(ip6tables -nvxL INPUT | awk '/match-set authfold6 src/ { print $1 }')
check "the authfold4 rule dropped packets (${drops4:-none})" test "${drops4:-0}" -gt 0
check "the authfold6 rule dropped packets (${drops6:-none})" test "${drops6:-0}" -gt 0
finish

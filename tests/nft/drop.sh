#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/nft/drop.sh - with backend = nft and no iptables rule at all, a ban
# decided by authfold (replay --ban of two AUTH probes per client) really
# drops TCP on the mail ports, only there, and only for bantime. Private
# network namespace: lo up, 192.0.2.0/24, 2001:db8::/64 and 2001:db8:0:1::/64
# routed locally, listeners on 127.0.0.1 and [::1], ports 25, 465 and 2525
# (2525 is not in nft_ports). IPv4 bans 192.0.2.50; IPv6 bans the /64 of
# 2001:db8::50, and 2001:db8::51 in the same /64 is dropped too, while
# 2001:db8:0:1::50 (another /64) and 192.0.2.51 connect all along.

. "${top_srcdir:-.}/tests/nft/lib.sh"

ip link set lo up || exit 1
ip route add local 192.0.2.0/24 dev lo || exit 1
ip -6 route add local 2001:db8::/64 dev lo || exit 1
ip -6 route add local 2001:db8:0:1::/64 dev lo || exit 1
sysctl -q -w net.ipv6.ip_nonlocal_bind=1 || exit 1

cat >"$tmp/listen.py" <<'PY'
import socket, sys, threading
socks = []
for port in (25, 465, 2525):
    for fam, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, port))
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
src, dst, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.bind((src, 0))
s.settimeout(1.0)
try:
    s.connect((dst, port))
except OSError:
    sys.exit(1)
sys.exit(0)
PY
python3 "$tmp/listen.py" "$tmp/ready" &
lib_pids=$!
wait_for 5 test -e "$tmp/ready" || { echo "FAIL: listener did not start"; exit 1; }

connects() { python3 "$tmp/connect.py" "$1" "$2" "${3:-25}"; }
refused() { ! connects "$@"; }
now() { date +%s.%N; }

# 6 s: each refused attempt waits for a 1 s connect timeout, and a busy
# machine must not let the ban run out before the checks are done
conf "$tmp/a.conf" "bantime = 6s"

# family src same-prefix-or-- neighbour dst element
run_family() {
	fam=$1 src=$2 same=$3 other=$4 dst=$5 elem=$6 set=$7
	check "$fam: $src connects to port 25 before the ban" connects "$src" "$dst"
	t=$(date +%s)
	{ noauth_session "$t" 101 "$src"; noauth_session "$t" 102 "$src"; } >"$tmp/$fam.log"
	check "$fam: authfold replay --ban bans $src" sh -c "'$af' replay -c '$tmp/a.conf' --ban '$tmp/$fam.log' >/dev/null 2>&1"
	t0=$(now)
	check "$fam: the element is $elem" is_member "$set" "$elem"
	check "$fam: $src cannot connect to port 25 while banned" refused "$src" "$dst"
	check "$fam: ... nor to 465" refused "$src" "$dst" 465
	check "$fam: the $set rule counted the dropped SYNs" sh -c "nft list chain inet authfold input | grep '@$set' | grep -qv 'packets 0 '"
	[ "$same" != - ] && check "$fam: $same (same /64) cannot connect either" refused "$same" "$dst"
	check "$fam: $src still reaches port 2525 (not in nft_ports)" connects "$src" "$dst" 2525
	check "$fam: $other (not banned) connects during the ban" connects "$other" "$dst"
	wait_for 9 sh -c "! nft list set inet authfold $set | grep -q '$elem '"
	t1=$(now)
	check "$fam: the kernel expired the element after ~6 s ($(echo "$t0 $t1" | awk '{printf "%.1f", $2 - $1}') s)" \
		awk -v a="$t0" -v b="$t1" 'BEGIN { d = b - a; exit !(d >= 4 && d <= 8.5) }'
	check "$fam: $src connects again after the ban" connects "$src" "$dst"
}

run_family IPv4 192.0.2.50 - 192.0.2.51 127.0.0.1 192.0.2.50 banned4
run_family IPv6 2001:db8::50 2001:db8::51 2001:db8:0:1::50 ::1 2001:db8:: banned6
check "no iptables rule took part" sh -c "! command -v iptables-save >/dev/null || ! iptables-save 2>/dev/null | grep -q -- '-A '"
finish

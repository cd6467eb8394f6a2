#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/ipset/drop.sh - a ban made through the backend really drops traffic,
# and only for its timeout. Inside a private network namespace (unshare -n):
# lo up, 192.0.2.0/24, 2001:db8::/64 and 2001:db8:0:1::/64 routed locally,
# iptables/ip6tables drop sources in authfold4/authfold6, a listener on
# 127.0.0.1 and [::1]. Per family: the client connects; after a 6 s ban it
# cannot (1 s connect timeout) while a neighbour outside the ban still can;
# once the kernel expires the entry it connects again. IPv6 bans a /64 and
# checks that a second host of that /64 is dropped too.
# Needs root, unshare -n, ipset, iptables, ip6tables, ip, python3; exit 77
# (skip) otherwise.

set -u
: "${top_builddir:=.}"
prog=$top_builddir/tests/ipset/ipset_check

if [ -z "${AUTHFOLD_IN_NETNS:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
	for p in ipset iptables ip6tables ip python3; do
		command -v $p >/dev/null 2>&1 || { echo "SKIP: no $p"; exit 77; }
	done
	unshare -n true 2>/dev/null || { echo "SKIP: unshare -n is not possible here"; exit 77; }
	[ -x "$prog" ] || { echo "FAIL: $prog is not built"; exit 1; }
	AUTHFOLD_HOST_NETNS=$(stat -L -c %i /proc/self/ns/net)
	AUTHFOLD_IN_NETNS=1
	export AUTHFOLD_HOST_NETNS AUTHFOLD_IN_NETNS
	exec unshare -n /bin/sh "$0" "$@"
fi

# --- from here on: inside the private network namespace ---
[ "$(stat -L -c %i /proc/self/ns/net)" != "$AUTHFOLD_HOST_NETNS" ] || { echo "FAIL: not in a private netns"; exit 1; }
tmp=$(mktemp -d) || exit 1
listener=
cleanup() {
	[ -n "$listener" ] && kill "$listener" 2>/dev/null && wait "$listener" 2>/dev/null
	iptables -F INPUT 2>/dev/null
	ip6tables -F INPUT 2>/dev/null
	ipset destroy authfold4 2>/dev/null
	ipset destroy authfold6 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ip link set lo up || exit 1
ip route add local 192.0.2.0/24 dev lo || exit 1
ip -6 route add local 2001:db8::/64 dev lo || exit 1
ip -6 route add local 2001:db8:0:1::/64 dev lo || exit 1
sysctl -q -w net.ipv6.ip_nonlocal_bind=1 || exit 1

if ! "$prog" open; then
	echo "SKIP: cannot create the sets (no ipset support in this kernel?)"
	exit 77
fi
if ! iptables -I INPUT -m set --match-set authfold4 src -j DROP ||
   ! ip6tables -I INPUT -m set --match-set authfold6 src -j DROP; then
	echo "SKIP: iptables cannot match ipsets here"
	exit 77
fi

port=2525
cat >"$tmp/listen.py" <<'EOF'
import socket, sys, threading
port = int(sys.argv[1])
socks = []
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
open(sys.argv[2], "w").close()
threading.Event().wait()
EOF
cat >"$tmp/connect.py" <<'EOF'
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
EOF

python3 "$tmp/listen.py" $port "$tmp/ready" &
listener=$!
i=0
while [ ! -e "$tmp/ready" ]; do
	i=$((i + 1))
	[ $i -le 50 ] || { echo "FAIL: listener did not start"; exit 1; }
	kill -0 "$listener" 2>/dev/null || { echo "FAIL: listener died"; exit 1; }
	sleep 0.1
done

. "${top_srcdir:-.}/tests/lib/tap.sh"
connects() { python3 "$tmp/connect.py" "$1" "$2" $port; }
refused() { ! connects "$1" "$2"; }
now() { date +%s.%N; }

# family banned-source other-source-in-ban neighbour dst ban-addr prefix
run_family() {
	fam=$1 src=$2 same=$3 other=$4 dst=$5 ban=$6 prefix=$7
	check "$fam: $src connects before the ban" connects "$src" "$dst"
	# 6 s: each refused attempt waits for a 1 s connect timeout, and a busy
	# machine must not let the ban run out before the checks are done
	check "$fam: ban $ban/$prefix for 6 s" "$prog" add "$ban" "$prefix" 6
	t0=$(now)
	check "$fam: $src cannot connect while banned" refused "$src" "$dst"
	[ "$same" != - ] && check "$fam: $same (same /$prefix) cannot connect either" refused "$same" "$dst"
	check "$fam: $other (not banned) connects during the ban" connects "$other" "$dst"
	# wait for the kernel to expire the entry: poll, never sleep longer than needed
	i=0
	while "$prog" test "$ban" "$prefix" 2>/dev/null; do
		i=$((i + 1))
		[ $i -le 90 ] || break
		sleep 0.1
	done
	t1=$(now)
	check "$fam: the entry expired after ~6 s ($(echo "$t0 $t1" | awk '{printf "%.1f", $2 - $1}') s)" \
		awk -v a="$t0" -v b="$t1" 'BEGIN { d = b - a; exit !(d >= 4 && d <= 8.5) }'
	check "$fam: $src connects again after the ban" connects "$src" "$dst"
}

run_family IPv4 192.0.2.50 - 192.0.2.51 127.0.0.1 192.0.2.50 32
run_family IPv6 2001:db8::50 2001:db8::51 2001:db8:0:1::50 ::1 2001:db8:: 64
drops4=$(iptables -nvxL INPUT | awk '/match-set authfold4 src/ { print $1 }')
drops6=$(ip6tables -nvxL INPUT | awk '/match-set authfold6 src/ { print $1 }')
check "the authfold4 DROP rule counted packets (${drops4:-none})" test "${drops4:-0}" -gt 0
check "the authfold6 DROP rule counted packets (${drops6:-none})" test "${drops6:-0}" -gt 0

finish

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/ipset/run.sh - the ipset backend and the privilege drop against the
# real kernel, inside a private network namespace (unshare -n): the host's
# ipsets and firewall are never touched. Needs root; exit 77 (skip) when not
# root, when unshare -n is not possible or when the kernel has no ipset.
#
# Runs ipset_check's TAP suite, checks that libipset never writes to stdout,
# drives single calls and cross-checks them with the ipset(8) program, then
# checks privs_keep_net_admin() as root, as a user without capabilities and
# as a user with an ambient CAP_NET_ADMIN.

set -u
: "${top_builddir:=.}"
prog=$top_builddir/tests/ipset/ipset_check

if [ -z "${AUTHFOLD_IN_NETNS:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
	command -v ipset >/dev/null 2>&1 || { echo "SKIP: no ipset program"; exit 77; }
	unshare -n true 2>/dev/null || { echo "SKIP: unshare -n is not possible here"; exit 77; }
	[ -x "$prog" ] || { echo "FAIL: $prog is not built"; exit 1; }
	AUTHFOLD_HOST_NETNS=$(stat -L -c %i /proc/self/ns/net)
	AUTHFOLD_IN_NETNS=1
	export AUTHFOLD_HOST_NETNS AUTHFOLD_IN_NETNS
	exec unshare -n /bin/sh "$0" "$@"
fi

# --- from here on: inside the private network namespace ---
[ "$(stat -L -c %i /proc/self/ns/net)" != "$AUTHFOLD_HOST_NETNS" ] || { echo "FAIL: not in a private netns"; exit 1; }
if ! ipset create authfold_probe hash:ip timeout 0 2>/dev/null; then
	echo "SKIP: the kernel has no ipset support in this namespace"
	exit 77
fi
ipset destroy authfold_probe

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
. "${top_srcdir:-.}/tests/lib/tap.sh"

# 1. the C suite (TAP on stdout)
echo "# ipset_check suite"
"$prog" suite
check "ipset_check suite" test $? = 0

# 2. nothing ever reaches stdout (it is a protocol pipe in authfold-omprog)
"$prog" quiet >"$tmp/quiet.out" 2>"$tmp/quiet.err"
check "quiet mode succeeds" test $? = 0
check "libipset wrote nothing to stdout" test ! -s "$tmp/quiet.out"
[ -s "$tmp/quiet.err" ] && sed 's/^/# stderr: /' "$tmp/quiet.err"
ipset destroy authfold4 2>/dev/null
ipset destroy authfold6 2>/dev/null

# 3. single calls, cross-checked with ipset(8)
check "add 192.0.2.9/32 100" "$prog" add 192.0.2.9 32 100
check "ipset test sees 192.0.2.9" ipset -q test authfold4 192.0.2.9
secs=$("$prog" timeout 192.0.2.9 32)
check "timeout reads ~100 ($secs)" test "${secs:-0}" -ge 95 -a "${secs:-0}" -le 100
check "test 192.0.2.9 is a member" "$prog" test 192.0.2.9 32
check "del 192.0.2.9" "$prog" del 192.0.2.9 32
check "ipset test no longer sees it" sh -c '! ipset -q test authfold4 192.0.2.9'
check "test after del: not a member (exit 1)" sh -c '"$0" test 192.0.2.9 32; test $? = 1' "$prog"
check "add 2001:db8:5:6::1/64 100" "$prog" add 2001:db8:5:6::1 64 100
ipset list authfold6 >"$tmp/l6"
ipset list authfold4 >"$tmp/l4"
check "authfold6 holds 2001:db8:5:6::/64 with a timeout" grep -q '^2001:db8:5:6::/64 timeout ' "$tmp/l6"
check "authfold4 got nothing from the IPv6 add" grep -q '^Number of entries: 0$' "$tmp/l4"
check "ipset test matches a host in the /64" ipset -q test authfold6 2001:db8:5:6::abcd
check "a missing entry: timeout exits 1" sh -c '! "$0" timeout 192.0.2.10 32 2>/dev/null' "$prog"
check "bad prefix exits 1 with a message" sh -c '"$0" add 192.0.2.10 24 10 2>&1 | grep -q "bad prefix"' "$prog"

# 4. privileges: root keeps CAP_NET_ADMIN only, and that is enough for ipset
echo "# privs as root"
"$prog" privs
check "privs as root" test $? = 0

# 5./6. non-root: refused without CAP_NET_ADMIN, accepted with it ambient
if command -v setpriv >/dev/null 2>&1 && setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
	echo "# privs as uid 65534 without capabilities"
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$prog" privs expect-eperm
	check "privs as a user without CAP_NET_ADMIN is -EPERM" test $? = 0
	echo "# privs as uid 65534 with ambient CAP_NET_ADMIN"
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=+net_admin --ambient-caps=+net_admin \
		"$prog" privs expect-ok
	check "privs as a user with ambient CAP_NET_ADMIN" test $? = 0
else
	echo "# setpriv not usable: non-root privilege checks skipped"
fi

ipset destroy authfold4 2>/dev/null
ipset destroy authfold6 2>/dev/null
finish

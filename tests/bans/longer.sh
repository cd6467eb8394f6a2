#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/bans/longer.sh - a ban never shortens one the kernel holds
# (backend(3)): authfold-enforce(8)'s central bans, an admin's own entries
# and the MX's own bans share the sets, and a kernel add restarts an
# entry's timeout. In a private network namespace, with hand-written
# sessions (noauth_session: two AUTH probes each, maxretry 2, bantime 600):
#   192.0.2.61 and 2001:db8:61::/64 are already in the sets for 100000 s
#     (a central ban): they keep their time;
#   192.0.2.62 is there for 100 s: the ban extends it to what it has left;
#   192.0.2.63 is not there: it gets what the ban has left;
#   192.0.2.64 is there without a timeout: it stays so.
# backend = ipset, or nft when run as tests/nft/longer.sh.

if [ "${longer_backend:-ipset}" = nft ]; then
	. "${top_srcdir:-.}/tests/nft/lib.sh"
	set4=banned4 set6=banned6 net6=2001:db8:61::
else
	. "${top_srcdir:-.}/tests/bans/lib.sh"
	set4=authfold4 set6=authfold6 net6=2001:db8:61::/64
fi

conf "$tmp/a.conf" "maxretry = 2" "bantime = 600"
now=$(date +%s) pid=0
for a in 192.0.2.61 192.0.2.62 192.0.2.63 192.0.2.64 2001:db8:61::5; do
	pid=$((pid + 1))
	noauth_session $((now - 30)) $((1000 + pid)) "$a"
	noauth_session $((now - 20)) $((2000 + pid)) "$a"
done >"$tmp/probes.log"

# The sets or the table as authfold makes them, then what "others" put there.
"$af" replay -c "$tmp/a.conf" --ban /dev/null >/dev/null 2>"$tmp/make.err"
check "authfold makes the sets" test $? = 0
if [ "${longer_backend:-ipset}" = nft ]; then
	nft add element inet authfold banned4 '{ 192.0.2.61 timeout 100000s, 192.0.2.62 timeout 100s, 192.0.2.64 }' &&
		nft add element inet authfold banned6 '{ 2001:db8:61:: timeout 100000s }'
else
	ipset add authfold4 192.0.2.61 timeout 100000 && ipset add authfold4 192.0.2.62 timeout 100 &&
		ipset add authfold4 192.0.2.64 timeout 0 && ipset add authfold6 2001:db8:61::/64 timeout 100000
fi
check "the entries of others are there" test $? = 0
rm -rf "$tmp/state" && mkdir -m 0700 "$tmp/state"

"$af" replay -c "$tmp/a.conf" --ban --events "$tmp/a.events" "$tmp/probes.log" >/dev/null 2>"$tmp/a.err"
check "replay --ban exits 0" test $? = 0
check "five bans, all applied" test "$(grep '"event":"ban"' "$tmp/a.events" | grep -vc '"applied_seconds":0')" = 5

timeout_in() {	# timeout_in SET ADDR LO HI: the entry's timeout is in [LO, HI] (0: none)
	members "$1" | awk -v a="$2" -v lo="$3" -v hi="$4" '$1 == a { f = 1; t = $2 }
		END { if (!f) print "# " a " is not in the set"; else if (t < lo || t > hi) print "# " a ": timeout " t;
		      exit !(f && t >= lo && t <= hi) }'
}
check "a longer entry keeps its time (192.0.2.61)" timeout_in $set4 192.0.2.61 99000 100000
check "a longer IPv6 entry keeps its time ($net6)" timeout_in $set6 $net6 99000 100000
check "a shorter entry gets the ban's time (192.0.2.62)" timeout_in $set4 192.0.2.62 570 590
check "a new entry gets the ban's time (192.0.2.63)" timeout_in $set4 192.0.2.63 570 590
check "an entry without a timeout stays so (192.0.2.64)" timeout_in $set4 192.0.2.64 0 0
# (nft: reading such an entry crashed in libnftnl before it was checked for)
"$af" status -c "$tmp/a.conf" >"$tmp/status" 2>&1
check "authfold status lists the sets, with the entry without a timeout" test $? = 0
finish

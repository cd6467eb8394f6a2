#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/nft/unit.sh - the nft backend call by call (tests/nft/nft_check),
# cross-checked with the nft program, in a private network namespace:
# the table, sets and chain it makes; idempotent reopening; adds, timeouts,
# the refresh by delete+add (a shorter timeout too), del and test; bad
# prefixes; attach without creating; a set of another type under authfold's
# name; a new priority and "all ports"; the admin's own table untouched; the
# check after nft delete table; CAP_NET_ADMIN alone (also as uid 65534 with
# an ambient capability, as authfold.service runs it); nothing on stdout.

. "${top_srcdir:-.}/tests/nft/lib.sh"

rules() { nft list chain inet authfold input | grep -c ' drop$'; }

check "attach fails while there is no table" sh -c "! '$nc' attach 2>'$tmp/attach.err'"
check "... and says the table is missing" grep -q "nft table 'inet authfold'.*No such file" "$tmp/attach.err"
check "attach created nothing" sh -c '! nft list table inet authfold >/dev/null 2>&1'
nft add table inet admin
nft add chain inet admin input '{ type filter hook input priority 0; policy accept; }'
nft add rule inet admin input tcp dport 22 accept
cp /dev/null "$tmp/before"
nft list table inet admin >"$tmp/admin.before"
check "open makes the table" sh -c "'$nc' open >'$tmp/out' && nft list table inet authfold >'$tmp/t1'"
check "... with banned4 (ipv4_addr, timeout)" sh -c "nft list set inet authfold banned4 | grep -q 'type ipv4_addr' && nft list set inet authfold banned4 | grep -q 'flags timeout'"
check "... with banned6 (ipv6_addr, timeout)" sh -c "nft list set inet authfold banned6 | grep -q 'type ipv6_addr' && nft list set inet authfold banned6 | grep -q 'flags timeout'"
check "... with the ports 25, 465, 587" grep -q 'elements = { 25, 465, 587 }' "$tmp/t1"
check "... an input hook chain at priority filter - 10" grep -q 'type filter hook input priority filter - 10; policy accept;' "$tmp/t1"
check "... the IPv4 rule" grep -q 'ip saddr @banned4 tcp dport @ports counter packets 0 bytes 0 drop' "$tmp/t1"
check "... the IPv6 rule with the /64 mask" grep -q 'ip6 saddr & ffff:ffff:ffff:ffff:: == @banned6 tcp dport @ports counter packets 0 bytes 0 drop' "$tmp/t1"
check "open prints nothing on stdout" test ! -s "$tmp/out"

check "add 192.0.2.10/32 for 300 s" "$nc" add 192.0.2.10 32 300
check "... is an element with about 300 s" expect_timeout banned4 192.0.2.10 300
check "add 2001:db8:1:2::99/64 for 600 s" "$nc" add 2001:db8:1:2::99 64 600
check "... the element is the masked network" expect_timeout banned6 2001:db8:1:2:: 600
check "test finds 192.0.2.10/32" "$nc" test 192.0.2.10 32
check "test finds 2001:db8:1:2::/64" "$nc" test 2001:db8:1:2:: 64
check "test does not find 192.0.2.11/32" sh -c "! '$nc' test 192.0.2.11 32"
check "timeout reads about 300" sh -c "t=\$('$nc' timeout 192.0.2.10 32) && [ \$t -ge 298 ] && [ \$t -le 300 ]"
check "timeout of a missing element fails" sh -c "! '$nc' timeout 192.0.2.11 32 2>/dev/null"
check "a longer add refreshes the timeout (3000 s)" sh -c "'$nc' add 192.0.2.10 32 3000"
check "... to about 3000 s" expect_timeout banned4 192.0.2.10 3000
check "a shorter add lowers it again (100 s: delete and add)" "$nc" add 192.0.2.10 32 100
check "... to about 100 s" expect_timeout banned4 192.0.2.10 100
check "a timeout past the limit is clamped to 2147483 s" "$nc" add 192.0.2.12 32 4000000000
check "... it is" expect_timeout banned4 192.0.2.12 2147483
check "a bad IPv4 prefix is refused" sh -c "! '$nc' add 192.0.2.0 24 60 2>'$tmp/e' && grep -q 'bad prefix length 24' '$tmp/e'"
check "an IPv6 /48 ban (an older ipv6_prefix) is banned as the /64 holding it" "$nc" add 2001:db8:7:: 48 60
check "... 2001:db8:7::/64 is the element" is_member banned6 2001:db8:7::
check "... a del of the /48 is a no-op" "$nc" del 2001:db8:7:: 48
check "... the /64 stays" is_member banned6 2001:db8:7::
check "an IPv6 prefix of 0 is refused" sh -c "! '$nc' add 2001:db8:: 0 60 2>/dev/null"
check "a zero timeout is refused" sh -c "! '$nc' add 192.0.2.13 32 0 2>/dev/null"
check "del removes 192.0.2.12" "$nc" del 192.0.2.12 32
check "... it is gone" sh -c "! nft list set inet authfold banned4 | grep -q 192.0.2.12"
check "del of a missing element succeeds" "$nc" del 192.0.2.12 32
check "list shows both sets" sh -c "'$nc' list | sort >'$tmp/list' && grep -q '^192.0.2.10/32 ' '$tmp/list' && grep -q '^2001:db8:1:2::/64 ' '$tmp/list'"

"$nc" open
check "reopening keeps the IPv4 elements" is_member banned4 192.0.2.10
check "... and the IPv6 ones" is_member banned6 2001:db8:1:2::
check "... and leaves two rules" test "$(rules)" = 2
check "check: the table is whole (0)" test "$("$nc" check)" = 0
check "the admin's table is untouched" sh -c "nft list table inet admin | diff - '$tmp/admin.before'"
check "a new priority (-50) remakes the chain" sh -c "AUTHFOLD_NFT_PRIORITY=-50 '$nc' open && nft list chain inet authfold input | grep -q 'hook input priority -50;'"
check "... bans kept" is_member banned4 192.0.2.10
check "nft_ports = all: the rules match every packet" sh -c "AUTHFOLD_NFT_PORTS=all '$nc' open && nft list chain inet authfold input | grep -q 'ip saddr @banned4 counter packets 0 bytes 0 drop'"
check "... two rules" test "$(rules)" = 2
check "/48 prefixes: the mask follows" sh -c "AUTHFOLD_NFT_PREFIX=48 '$nc' open && nft list chain inet authfold input | grep -q 'ip6 saddr & ffff:ffff:ffff:: == @banned6'"
"$nc" open

check "after nft delete table, check rebuilds it (1)" test "$(AUTHFOLD_NFT_BETWEEN='nft delete table inet authfold' "$nc" check)" = 1
check "... the table is back, whole" sh -c "nft list table inet authfold | grep -q 'ip saddr @banned4 tcp dport @ports' && test \$(nft list chain inet authfold input | grep -c ' drop\$') = 2"
check "after the chain was flushed, check rebuilds it" test "$(AUTHFOLD_NFT_BETWEEN='nft flush chain inet authfold input' "$nc" check)" = 1
check "... two rules again" test "$(rules)" = 2
check "after nft flush ruleset, an add remakes the table" env AUTHFOLD_NFT_BETWEEN='nft flush ruleset' "$nc" add 192.0.2.20 32 60
check "... and lands in it" is_member banned4 192.0.2.20

nft flush ruleset
nft add table inet authfold
nft add set inet authfold banned4 '{ type ipv6_addr; }'
check "a set banned4 of another type is refused" sh -c "! '$nc' open 2>'$tmp/e'"
check "... with a message naming the table and the set" grep -q "nft table 'inet authfold': create (set banned4): it exists with another type" "$tmp/e"
nft flush ruleset
check "another table name (nft_table)" sh -c "AUTHFOLD_NFT_TABLE=mail_bans '$nc' open && nft list table inet mail_bans >/dev/null"
check "a table name nft could not parse is refused" sh -c "! AUTHFOLD_NFT_TABLE='a b' '$nc' open 2>/dev/null"
check "CAP_NET_ADMIN alone bans (privs)" "$nc" privs 198.51.100.9 60
check "... it landed" is_member banned4 198.51.100.9
if command -v setpriv >/dev/null; then
	# as authfold.service runs it: an unprivileged user, ambient CAP_NET_ADMIN only
	check "uid 65534 with CAP_NET_ADMIN alone (ambient) bans" setpriv --reuid 65534 --regid 65534 --clear-groups \
		--inh-caps -all,+net_admin --ambient-caps -all,+net_admin --bounding-set -all,+net_admin "$nc" privs 198.51.100.10 60
	check "... it landed" is_member banned4 198.51.100.10
	check "uid 65534 without it: refused, with a message that says so" sh -c "! setpriv --reuid 65534 --regid 65534 \
		--clear-groups '$nc' open 2>'$tmp/e' && grep -q 'Operation not permitted (needs CAP_NET_ADMIN)' '$tmp/e'"
fi
finish

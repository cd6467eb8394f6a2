#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/nft/reboot.sh - a reboot with backend = nft: authfold-omprog bans
# two clients (an hour each, one IPv4, one IPv6 /64) and saves its state;
# then a fresh network namespace (an empty ruleset, as after a boot) and the
# same state_dir: the daemon's start makes the table and puts both bans back
# with the time they had left; authfold status there reads them in the kernel.

. "${top_srcdir:-.}/tests/nft/lib.sh"

conf "$tmp/a.conf" "bantime = 1h" "summary_log = $tmp/summary.log"
now=$(date +%s)
{
	noauth_session "$now" 301 192.0.2.80; noauth_session "$now" 302 192.0.2.80
	noauth_session "$now" 303 2001:db8:7::1; noauth_session "$now" 304 2001:db8:7::1
} >"$tmp/probes.log"
check "before the reboot: the daemon bans and ends" sh -c "'$omprog' -c '$tmp/a.conf' <'$tmp/probes.log' >/dev/null 2>'$tmp/err1'"
check "... 192.0.2.80 is in banned4" is_member banned4 192.0.2.80
check "... the state file holds the bans" grep -q 192.0.2.80 "$tmp/state/omprog.state"

sleep 3	# the bans have visibly less time left after the "reboot"
# the reboot: a new, empty network namespace; the same state_dir
cat >"$tmp/after.sh" <<EOF2
nft list ruleset >"$tmp/ruleset.before"
'$omprog' -c '$tmp/a.conf' </dev/null >/dev/null 2>"$tmp/err2"
echo \$? >"$tmp/rc2"
nft -j list ruleset >"$tmp/ruleset.json"
'$af' status -c '$tmp/a.conf' >"$tmp/status.txt" 2>&1
EOF2
AUTHFOLD_IN_NETNS= unshare -n sh "$tmp/after.sh"
left=$((3600 - ($(date +%s) - now)))
check "the new namespace started without a ruleset" test ! -s "$tmp/ruleset.before"
check "the daemon started and ended (status $(cat "$tmp/rc2"))" test "$(cat "$tmp/rc2")" = 0
check "it said it put 2 bans back" grep -q "2 running bans put back into the kernel, 0 queued" "$tmp/err2"
python3 - "$tmp/ruleset.json" >"$tmp/elems" <<'PY'
import json, sys
for o in json.load(open(sys.argv[1]))["nftables"]:
    s = o.get("set")
    if s:
        for e in s.get("elem", []):
            e = e["elem"] if isinstance(e, dict) else {"val": e, "expires": 0}
            print(s["name"], e["val"], e.get("expires", 0))
PY
near() { awk -v s="$1" -v e="$2" -v w="$3" '$1 == s && $2 == e { f = 1; d = $3 - w; if (d < 0) d = -d; ok = d <= 3 } END { exit !(f && ok) }' "$tmp/elems"; }
check "192.0.2.80 is back with about ${left} s left" near banned4 192.0.2.80 $left
check "2001:db8:7::/64 is back with about ${left} s left" near banned6 2001:db8:7:: $left
check "status reads both bans in the kernel" sh -c "grep '^192.0.2.80/32 ' '$tmp/status.txt' | grep -q ' yes ' && grep '^2001:db8:7::/64 ' '$tmp/status.txt' | grep -q ' yes '"
sed 's/^/# /' "$tmp/status.txt"
finish

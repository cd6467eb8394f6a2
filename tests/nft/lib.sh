# SPDX-License-Identifier: GPL-2.0-or-later
# tests/nft/lib.sh - sourced by tests/nft/*.sh. Re-executes the test inside a
# private network namespace (unshare -n), so that the host's ruleset is never
# touched; skips (77) when not root, when unshare -n is not possible, or when
# the kernel has no nf_tables in this namespace. Gives:
#   $af (authfold), $omprog (authfold-omprog), $nc (nft_check), $bc (bans_check),
#   $tmp (removed at exit)
#   check DESCRIPTION COMMAND...   one TAP line
#   finish                         the TAP plan and the exit status
#   conf FILE [LINE]...            backend = nft, state_dir $tmp/state
#   members SET                    "ADDR TIMEOUT" lines of the set (sorted), from nft -j
#   expect_timeout SET ADDR S      the element's timeout is S within 2 s
#   noauth_session EPOCH PID ADDR  the two lines of an AUTH probe without -v
#   wait_for SECONDS COMMAND...    retries COMMAND every 0.1 s

set -u
: "${top_builddir:=.}"
: "${top_srcdir:=.}"
af=$top_builddir/authfold
omprog=$top_builddir/authfold-omprog
nc=$top_builddir/tests/nft/nft_check
bc=$top_builddir/tests/bans/bans_check

if [ -z "${AUTHFOLD_IN_NETNS:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
	for p in nft python3 ip; do
		command -v $p >/dev/null 2>&1 || { echo "SKIP: no $p"; exit 77; }
	done
	unshare -n true 2>/dev/null || { echo "SKIP: unshare -n is not possible here"; exit 77; }
	for p in "$af" "$omprog" "$nc" "$bc"; do
		[ -x "$p" ] || { echo "FAIL: $p is not built"; exit 1; }
	done
	AUTHFOLD_HOST_NETNS=$(stat -L -c %i /proc/self/ns/net)
	AUTHFOLD_IN_NETNS=1
	export AUTHFOLD_HOST_NETNS AUTHFOLD_IN_NETNS
	exec unshare -n /bin/sh "$0" "$@"
fi

[ "$(stat -L -c %i /proc/self/ns/net)" != "$AUTHFOLD_HOST_NETNS" ] || { echo "FAIL: not in a private netns"; exit 1; }
if ! nft add table inet authfold_probe 2>/dev/null; then
	echo "SKIP: the kernel has no nf_tables in this namespace"
	exit 77
fi
nft delete table inet authfold_probe

tmp=$(mktemp -d) || exit 1
mkdir -m 0700 "$tmp/state"
lib_cleanup() {
	[ -n "${lib_pids:-}" ] && kill $lib_pids 2>/dev/null
	nft flush ruleset 2>/dev/null
	rm -rf "$tmp"
}
trap lib_cleanup EXIT
trap 'exit 1' INT TERM

. "${top_srcdir:-.}/tests/lib/tap.sh"

conf() {	# conf FILE [LINE]...
	f=$1
	shift
	{
		echo "state_dir = $tmp/state"
		echo "backend = nft"
		for l in "$@"; do echo "$l"; done
	} >"$f"
}

members() {	# members SET [TABLE]: "ADDR TIMEOUT" per element, sorted; TIMEOUT is what is left
	nft -j list set inet "${2:-authfold}" "$1" 2>/dev/null | python3 -c '
import json, sys
for o in json.load(sys.stdin)["nftables"]:
    for e in o.get("set", {}).get("elem", []):
        if isinstance(e, dict):
            e = e["elem"]
            print(e["val"], e.get("expires", 0))
        else:
            print(e, 0)' | sort
}

expect_timeout() {	# expect_timeout SET ADDR SECONDS
	members "$1" | awk -v a="$2" -v s="$3" '$1 == a { found = 1; d = $2 - s; if (d < 0) d = -d; ok = d <= 2 }
		END { if (!found) print "# " a " not in the set"; else if (!ok) print "# " a ": timeout off by more than 2 s from " s; exit !(found && ok) }'
}

is_member() {	# is_member SET ADDR
	members "$1" | awk -v a="$2" '$1 == a { f = 1 } END { exit !f }'
}

rfc3339() {
	date -u -d "@$1" +%Y-%m-%dT%H:%M:%S.000000+00:00
}

noauth_session() {	# noauth_session EPOCH PID ADDR
	ts=$(rfc3339 "$1")
	echo "$ts mx postfix/smtpd[$2]: connect from unknown[$3]"
	echo "$ts mx postfix/smtpd[$2]: disconnect from unknown[$3] ehlo=1 auth=0/1 quit=1 commands=2/3"
}

wait_for() {	# wait_for SECONDS COMMAND...
	w_left=$(($1 * 10))
	shift
	while ! "$@" >/dev/null 2>&1; do
		w_left=$((w_left - 1))
		[ $w_left -gt 0 ] || return 1
		sleep 0.1
	done
}

# SPDX-License-Identifier: GPL-2.0-or-later
# tests/bans/lib.sh - sourced by tests/bans/*.sh. Re-executes the test inside
# a private network namespace (unshare -n), so that the host's ipsets and
# firewall are never touched; skips (77) when not root, when unshare -n is
# not possible or when the kernel has no ipset support. Gives:
#   $af (authfold), $bc (bans_check), $data (tests/data), $tmp (removed at exit)
#   check DESCRIPTION COMMAND...   one TAP line
#   finish                         the TAP plan and the exit status
#   conf FILE [KEY = VALUE]...     a configuration with state_dir $tmp/state
#   members SET                    "ADDR TIMEOUT" lines of the set (sorted)
#   rfc3339 EPOCH                  the RFC3339 timestamp of a Unix time
#   noauth_session TS PID ADDR     the two lines of an AUTH probe without -v

set -u
: "${top_builddir:=.}"
: "${top_srcdir:=.}"
af=$top_builddir/authfold
bc=$top_builddir/tests/bans/bans_check
data=$top_srcdir/tests/data

if [ -z "${AUTHFOLD_IN_NETNS:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
	for p in ipset python3; do
		command -v $p >/dev/null 2>&1 || { echo "SKIP: no $p"; exit 77; }
	done
	unshare -n true 2>/dev/null || { echo "SKIP: unshare -n is not possible here"; exit 77; }
	[ -x "$af" ] && [ -x "$bc" ] || { echo "FAIL: $af or $bc is not built"; exit 1; }
	AUTHFOLD_HOST_NETNS=$(stat -L -c %i /proc/self/ns/net)
	AUTHFOLD_IN_NETNS=1
	export AUTHFOLD_HOST_NETNS AUTHFOLD_IN_NETNS
	exec unshare -n /bin/sh "$0" "$@"
fi

[ "$(stat -L -c %i /proc/self/ns/net)" != "$AUTHFOLD_HOST_NETNS" ] || { echo "FAIL: not in a private netns"; exit 1; }
if ! ipset create authfold_probe hash:ip timeout 0 2>/dev/null; then
	echo "SKIP: the kernel has no ipset support in this namespace"
	exit 77
fi
ipset destroy authfold_probe

tmp=$(mktemp -d) || exit 1
mkdir -m 0700 "$tmp/state"
lib_cleanup() {
	[ -n "${lib_pids:-}" ] && kill $lib_pids 2>/dev/null
	iptables -F INPUT 2>/dev/null
	ip6tables -F INPUT 2>/dev/null
	ipset destroy 2>/dev/null
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
		echo "backend = ipset"
		for l in "$@"; do echo "$l"; done
	} >"$f"
}

members() {	# members SET: "ADDR TIMEOUT" per entry, sorted
	ipset list "$1" 2>/dev/null | awk '/^Members:/ { m = 1; next } m && NF { print $1, $3 }' | sort
}

# recording_aged OUT SECONDS: tests/data/verbose.rfc3339.log with every
# timestamp moved so that its last line is SECONDS old now. The recording
# is a fixed day in the past; bans are judged on the wall clock, so a test
# that wants running bans must not depend on when it runs.
recording_aged() {
	python3 - "$data/verbose.rfc3339.log" "$2" >"$1" <<'PY'
import datetime, sys, time
lines = open(sys.argv[1], encoding="utf-8", errors="surrogateescape").readlines()
last = datetime.datetime.fromisoformat(lines[-1].split(" ", 1)[0])
shift = datetime.datetime.fromtimestamp(time.time() - float(sys.argv[2]), datetime.timezone.utc) - last
for line in lines:
    ts, sep, rest = line.partition(" ")
    sys.stdout.write((datetime.datetime.fromisoformat(ts) + shift).isoformat(timespec="microseconds") + sep + rest)
PY
}

rfc3339() {
	date -u -d "@$1" +%Y-%m-%dT%H:%M:%S.000000+00:00
}

noauth_session() {	# noauth_session EPOCH PID ADDR
	ts=$(rfc3339 "$1")
	echo "$ts mx postfix/smtpd[$2]: connect from unknown[$3]"
	echo "$ts mx postfix/smtpd[$2]: disconnect from unknown[$3] ehlo=1 auth=0/1 quit=1 commands=2/3"
}

# expect_timeout SET ADDR SECONDS: the kernel timeout is SECONDS within 2 s
expect_timeout() {
	members "$1" | awk -v a="$2" -v s="$3" '$1 == a { found = 1; d = $2 - s; if (d < 0) d = -d; ok = d <= 2 }
		END { if (!found) print "# " a " not in the set"; else if (!ok) print "# " a ": timeout off by more than 2 s from " s; exit !(found && ok) }'
}

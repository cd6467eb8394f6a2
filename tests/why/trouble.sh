#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/why/trouble.sh - `authfold why` tells the SASL failures that gave no
# strike because of auth server trouble (why_trouble(3)), in the words of
# authfold(8), next to the real strikes.
#
# A log of an auth server outage as Postfix writes it (Dovecot's "Connection
# lost to authentication server", Postfix's "warning: SASL: Connect to ...
# failed", wrong passwords in the seconds around them, a password guesser a
# few minutes later, a second host without trouble) goes through `authfold
# replay` (authserver_hold 60s); then for every client `authfold why`:
# - the server's failure: "no strike: auth server trouble (SASL LOGIN
#   authentication failed: Connection lost to authentication server...)";
# - a wrong password held by the engine: "no strike: held, mail
#   postfix/smtpd logged auth server trouble at TIME (authserver_hold 1m)",
#   with the sign of trouble nearest in time;
# - the guesser's failures far from the outage, and the same wrong password
#   on the host without trouble: strikes, told as strikes, never "no strike";
# - why and the engine agree: every wrong password of the log is a strike
#   of the events log or a "held" of why, never both, never neither;
# - --json: the no_strike events and their counts (checked against
#   why.schema.json when python3-jsonschema is installed).
set -u
: "${top_srcdir:=.}"
: "${top_builddir:=.}"
af=$top_builddir/authfold
[ -x "$af" ] || { echo "FAIL: $af is not built"; exit 1; }
command -v python3 >/dev/null 2>&1 || { echo "SKIP: no python3"; exit 77; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
. "$top_srcdir/tests/lib/tap.sh"

L='SASL LOGIN authentication failed'
m() { printf '2026-02-03T08:%s+00:00 %s postfix/smtpd[%s]: %s\n' "$1" "$2" "$3" "$4"; }
session() {	# session MM:SS HOST PID ADDR FAILURE...
	t=$1 h=$2 p=$3 a=$4
	shift 4
	m "$t.000000" "$h" "$p" "connect from unknown[$a]"
	for f in "$@"; do m "$t.100000" "$h" "$p" "warning: unknown[$a]: $L: $f"; done
	m "$t.200000" "$h" "$p" "disconnect from unknown[$a] ehlo=1 auth=0/$# quit=1 commands=2/$(($# + 2))"
}
{
	session 29:00 mail 100 192.0.2.21 'authentication failure, sasl_username=bob'
	session 29:20 mail 101 192.0.2.22 '(reason unavailable), sasl_username=carol'
	session 29:28 mail 102 192.0.2.20 'Connection lost to authentication server, sasl_username=alice'
	m 29:30.000000 mail 103 "warning: SASL: Connect to private/auth failed: Connection refused"
	m 29:31.000000 mail 103 "fatal: no SASL authentication mechanisms"
	session 29:40 mail 104 192.0.2.20 "Can't connect to authentication server, sasl_username=alice"
	session 29:45 mx2 200 192.0.2.23 'authentication failure, sasl_username=dave'
	session 35:00 mail 105 198.51.100.21 'authentication failure, sasl_username=root'
	session 36:00 mail 106 198.51.100.21 'authentication failure, sasl_username=admin'
} >"$tmp/mail.log"
mkdir "$tmp/state"
cat >"$tmp/authfold.conf" <<EOF
backend = none
authserver_hold = 60s
state_dir = $tmp/state
summary_log = $tmp/summary.log
events_log = $tmp/events.log
EOF
TZ=UTC "$af" replay -c "$tmp/authfold.conf" --summary "$tmp/summary.log" --events "$tmp/events.log" \
	"$tmp/mail.log" 2>"$tmp/replay.err"
rc=$?
check "authfold replay of the outage log" test "$rc" = 0
strikes=$(sed -n 's/.*"event":"strike".*"addr":"\([^"]*\)".*/\1/p' "$tmp/events.log" | sort | uniq -c | tr -s ' ' |
	tr '\n' ';')
check "the engine strikes the guesser twice and the host without trouble once, no one else ($strikes)" \
	test "$strikes" = " 1 192.0.2.23; 2 198.51.100.21;"

why() { TZ=UTC "$af" why -c "$tmp/authfold.conf" "$@"; }
why 192.0.2.20 >"$tmp/20.txt"
check "the server's failure: no strike: auth server trouble (...Connection lost...)" \
	grep -qF "    no strike: auth server trouble ($L: Connection lost to authentication server, sasl_username=alice)" \
	"$tmp/20.txt"
check "...and the other one (Can't connect), in the order of time" sh -c \
	"grep -n 'no strike: auth server trouble' '$tmp/20.txt' | sed -n 2p | grep -qF \"Can't connect\""
check "...with the verdict" grep -qxF "Verdict: 2 SASL failures of 192.0.2.20/32 gave no strike because of auth \
server trouble: 2 failed by the auth server itself." "$tmp/20.txt"
why 192.0.2.21 >"$tmp/21.txt"
check "a wrong password 28 s before Connection lost: held, with the sign nearest" grep -qF \
	"    no strike: held, mail postfix/smtpd logged auth server trouble at 2026-02-03T08:29:28.100000+00:00 \
(authserver_hold 1m)" "$tmp/21.txt"
why 192.0.2.22 >"$tmp/22.txt"
check "(reason unavailable) 8 s before: held too" grep -qF "no strike: held, mail postfix/smtpd logged auth \
server trouble at 2026-02-03T08:29:28.100000+00:00" "$tmp/22.txt"
why 192.0.2.23 >"$tmp/23.txt"
check "the same wrong password on mx2, which logged no trouble: a strike, no 'no strike'" sh -c \
	"grep -q 'strike #1  saslfail  192.0.2.23  rule sasl-failed  mx2 postfix/smtpd\[200\]' '$tmp/23.txt' &&
	 ! grep -q 'no strike' '$tmp/23.txt'"
why 198.51.100.21 >"$tmp/g.txt"
check "the guesser beside the outage: two strikes with their sessions, no 'no strike', a ban" sh -c \
	"grep -c '  strike #[12]  saslfail  198.51.100.21' '$tmp/g.txt' | grep -qx 2 &&
	 grep -q 'BAN 198.51.100.21/32' '$tmp/g.txt' && ! grep -q 'no strike' '$tmp/g.txt' &&
	 ! grep -q Verdict '$tmp/g.txt'"
why 192.0.2.0/24 >"$tmp/net.txt"
check "the network: every one in one story, the verdict counts them" grep -qxF "Verdict: 4 SASL failures of \
192.0.2.0/24 gave no strike because of auth server trouble: 2 failed by the auth server itself, 2 held (the host \
logged auth server trouble within authserver_hold 1m)." "$tmp/net.txt"

# why and the engine agree: every client failure is a strike or a held, once
python3 - "$tmp/mail.log" "$tmp/events.log" "$tmp/net.txt" "$tmp/g.txt" >"$tmp/agree.txt" <<'PY'
import json, re, sys
fails = set()
for line in open(sys.argv[1]):
    m = re.match(r'(\S+) (\S+) postfix/smtpd\[(\d+)\]: warning: unknown\[([^\]]+)\]: SASL \S+ authentication '
                 r'failed: (authentication failure|\(reason unavailable\))', line)
    if m:
        fails.add((m.group(1), m.group(4)))
struck = {(e["ts"], e["addr"]) for e in map(json.loads, open(sys.argv[2])) if e["event"] == "strike"}
held = set()
for f in sys.argv[3:]:
    for line in open(f):
        m = re.match(r'(\S+)  no strike  saslfail  (\S+)  ', line)
        if m:
            held.add((m.group(1), m.group(2)))
print("failures %d struck %d held %d" % (len(fails), len(struck), len(held)))
sys.exit(0 if fails == struck | held and not struck & held and held else 1)
PY
rc=$?
check "why's held and the engine's strikes are the client failures, each once ($(cat "$tmp/agree.txt"))" test "$rc" = 0

why --json 192.0.2.0/24 >"$tmp/net.json"
python3 - "$tmp/net.json" "$top_srcdir/tests/why/why.schema.json" >"$tmp/json.txt" 2>&1 <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
ns = [e for e in doc["story"] if e["event"] == "no_strike"]
ok = (doc["no_strikes"] == {"auth_server_trouble": 2, "held": 2, "not_shown": 0} and
      [e["because"] for e in ns] == ["held", "held", "auth_server_trouble", "auth_server_trouble"] and
      all(e["verdict"].startswith("no strike: ") for e in ns) and
      ns[0]["trouble_ts"] == "2026-02-03T08:29:28.100000+00:00" and ns[0]["authserver_hold"] == 60 and
      ns[2]["reason"] is None and ns[2]["trouble_ts"] is None and
      [e["ts"] for e in doc["story"]] == sorted(e["ts"] for e in doc["story"]))
try:
    import jsonschema
    jsonschema.validate(doc, json.load(open(sys.argv[2])))
    print("schema: valid")
except ImportError:
    print("schema: not checked (no python3-jsonschema)")
sys.exit(0 if ok else 1)
PY
rc=$?
check "--json: no_strike events with because, verdict, trouble_ts; the counts ($(tail -1 "$tmp/json.txt"))" test "$rc" = 0
finish

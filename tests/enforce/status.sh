#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/enforce/status.sh - `authfold status --json` on an MX shows the
# central decisions authfold-enforce keeps ("central"): each running ban
# with its network, end, remaining seconds, reason, deciding host, id and
# arrival; the last arrival and its host; the counters; and null on a host
# that does not enforce. The state is made by authfold-enforce itself from
# decision lines on stdin (backend = none: no kernel, no root needed).
# Also: the table shows the same bans, a bad line in the log is a note, and
# a state_dir with a quote and a backslash in its name still gives JSON.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
: "${top_srcdir:=.}"
: "${top_builddir:=.}"
af=$top_builddir/authfold
enf=$top_builddir/authfold-enforce
[ -x "$af" ] && [ -x "$enf" ] || { echo "FAIL: $af or $enf is not built"; exit 1; }
command -v python3 >/dev/null 2>&1 || { echo "SKIP: no python3"; exit 77; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
. "$top_srcdir/tests/lib/tap.sh"

state=$tmp/st\"a\\te
mkdir -m 0700 "$state"
cat >"$tmp/authfold.conf" <<EOF
state_dir = $state
backend = none
enforce_from = central.example.org
EOF

# a host that does not enforce: "central" is null, the table says nothing
"$af" status -c "$tmp/authfold.conf" --json >"$tmp/none.json" 2>"$tmp/none.err"
rc=$?
check "status --json without enforce.log exits 0 (is $rc)" [ "$rc" = 0 ]
check "...its \"central\" is null" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if "central" in d and d["central"] is None else 1)' "$tmp/none.json"
"$af" status -c "$tmp/authfold.conf" >"$tmp/none.txt" 2>&1
check "...and the table has no central part" sh -c "! grep -q 'Central decisions' '$tmp/none.txt'"

now=$(date +%s)
c=central.example.org
dec() {	# dec ID OP NET AT UNTIL REASON [BY]
	echo " authfold-decision v1 id=$1 op=$2 net=$3 at=$4 until=$5 reason=$6 by=${7:-$c}"
}
t0=$(date +%s)
{
	dec 3f29c1d07a8e44b1 ban 192.0.2.7/32 "$now" $((now + 3600)) noauth
	dec 3f29c1d07a8e44b2 ban 2001:db8:1::/64 "$now" $((now + 7200)) saslfail
	dec 3f29c1d07a8e44b1 ban 192.0.2.7/32 "$now" $((now + 3600)) noauth		# duplicate
	dec 3f29c1d07a8e44b3 ban 192.0.2.66/32 "$now" $((now + 600)) noauth
	dec 3f29c1d07a8e44b4 unban 192.0.2.66/32 $((now + 1)) 0 admin
	dec 3f29c1d07a8e44b5 ban 198.51.100.9/32 $((now - 7200)) $((now - 60)) noauth	# expired
	dec 3f29c1d07a8e44b6 ban 203.0.113.5/32 "$now" $((now + 600)) noauth other.example.org	# not_from
	echo " authfold-decision v1 id=zz op=ban"						# malformed
	echo " authfold-decision v1 id=3f29c1d07a8e44b7 op=alive at=$now by=$c"
} | "$enf" -c "$tmp/authfold.conf" --no-confirm 2>"$tmp/enforce.err"
rc=$?
t1=$(date +%s)
sed 's/^/# enforce: /' "$tmp/enforce.err"
check "authfold-enforce takes the decisions (exit $rc)" [ "$rc" = 0 ]

"$af" status -c "$tmp/authfold.conf" --json >"$tmp/status.json" 2>"$tmp/status.err"
rc=$?
check "status --json exits 0 (is $rc)" [ "$rc" = 0 ]
python3 -m json.tool "$tmp/status.json" | sed -n '/"central"/,$p' | sed 's/^/# /'
check "the central part: bans, times, last arrival, counters" python3 - "$tmp/status.json" "$state" "$now" "$t0" "$t1" <<'PY'
import datetime, json, sys
doc = json.load(open(sys.argv[1]))
state, now, t0, t1 = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
now_doc = int(datetime.datetime.strptime(doc["now"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp())
def utc(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
def parse(s):
    return int(datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp())
bad = []
def want(cond, what):
    if not cond:
        bad.append(what)
c = doc.get("central")
want(isinstance(c, dict), "central is an object")
if not isinstance(c, dict):
    print("# " + "; ".join(bad)); sys.exit(1)
want(c.get("log") == state + "/enforce.log", "log is %r" % c.get("log"))
bans = {(b["addr"], b["prefix"]): b for b in c.get("bans", [])}
want(len(c.get("bans", [])) == 2, "two bans, not %d" % len(c.get("bans", [])))
want(set(bans) == {("192.0.2.7", 32), ("2001:db8:1::", 64)}, "the bans are %s" % sorted(bans))
for (addr, prefix), until, reason, bid in ((("192.0.2.7", 32), now + 3600, "noauth", "3f29c1d07a8e44b1"),
                                          (("2001:db8:1::", 64), now + 7200, "saslfail", "3f29c1d07a8e44b2")):
    b = bans.get((addr, prefix))
    if b is None:
        continue
    keys = {"addr", "prefix", "remaining", "until", "reason", "by", "id", "arrived"}
    want(set(b) == keys, "%s: keys %s" % (addr, sorted(b)))
    want(b.get("until") == utc(until), "%s: until %r, not %r" % (addr, b.get("until"), utc(until)))
    want(b.get("remaining") == until - now_doc, "%s: remaining %r, not %d" % (addr, b.get("remaining"), until - now_doc))
    want(b.get("reason") == reason, "%s: reason %r" % (addr, b.get("reason")))
    want(b.get("by") == "central.example.org", "%s: by %r" % (addr, b.get("by")))
    want(b.get("id") == bid, "%s: id %r" % (addr, b.get("id")))
    want(t0 <= parse(b.get("arrived", "1970-01-01T00:00:00Z")) <= t1, "%s: arrived %r" % (addr, b.get("arrived")))
la = c.get("last_arrival")
want(isinstance(la, str) and t0 <= parse(la) <= t1, "last_arrival %r" % la)
want(isinstance(la, str) and c.get("last_arrival_ago") == now_doc - parse(la), "last_arrival_ago %r" % c.get("last_arrival_ago"))
want(c.get("last_by") == "central.example.org", "last_by %r" % c.get("last_by"))
expect = {"banned": 3, "unbanned": 1, "duplicate": 1, "kept": 0, "stale": 0, "expired": 1, "ignored": 0,
          "not_from": 1, "unsupported": 0, "full": 0, "alive": 1, "malformed": 1, "kernel_errors": 0}
want(c.get("counters") == expect, "counters %r" % c.get("counters"))
want(list(c.get("counters", {})) == list(expect), "counters in the order of enforce.status")
want(c.get("notes") == [], "notes %r" % c.get("notes"))
if bad:
    print("# " + "\n# ".join(bad))
sys.exit(1 if bad else 0)
PY

# the table shows the same bans
"$af" status -c "$tmp/authfold.conf" >"$tmp/status.txt" 2>&1
check "the table lists the same two central bans" sh -c "
	grep -q '192.0.2.7/32 .* central:central.example.org  3f29c1d07a8e44b1 ' '$tmp/status.txt' &&
	grep -q '2001:db8:1::/64 .* central:central.example.org  3f29c1d07a8e44b2 ' '$tmp/status.txt' &&
	[ \"\$(grep -c 'central:' '$tmp/status.txt')\" = 2 ]"

# a bad line in the log: the bans that can be read, and a note
printf 'garbage \001\002 "quoted" \\ line\n' >>"$state/enforce.log"
"$af" status -c "$tmp/authfold.conf" --json >"$tmp/bad.json" 2>&1
rc=$?
check "a bad log line: status --json exits 0 (is $rc)" [ "$rc" = 0 ]
check "...the JSON parses, keeps both bans, and notes the skipped line" python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))["central"]
ok = len(c["bans"]) == 2 and c["notes"] == ["1 unreadable line in the log skipped"]
print("# notes:", c["notes"])
sys.exit(0 if ok else 1)' "$tmp/bad.json"

finish

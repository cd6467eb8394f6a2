#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/enforce/batch.sh - authfold-enforce takes the bans waiting in its
# input behind one another as one batch (one fdatasync of enforce.log for a
# run of new bans, enforce_apply_batch()), and keeps the write-ahead rule:
# - a backlog read at once (a pipe, confirmMessages="off"): 300 new bans,
#   a line that is no decision, an empty transaction, an unban, a resent ban,
#   an overlong line and 10 more bans get one reply each, in order, all OK;
#   enforce.log holds exactly the decisions that changed the table, and a
#   restart (--restore with backend = none) finds the 309 running bans;
# - the same backlog on a "full disk" (RLIMIT_FSIZE past the first batch,
#   SIGXFSZ ignored): every
#   ban answered OK is in the log, no ban in the log was answered ERROR,
#   the log ends with a whole line, and the bans answered ERROR are taken
#   when they come again with room on the disk.
# No root, no kernel (backend = none).
set -u
: "${top_builddir:=.}"
enf=$top_builddir/authfold-enforce
[ -x "$enf" ] || { echo "FAIL: $enf is not built"; exit 1; }
command -v python3 >/dev/null || { echo "SKIP: no python3"; exit 77; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
failed=0
fail() { echo "FAIL: $*"; failed=1; }

setup() {	# setup DIR: a state_dir and a.conf in DIR
	mkdir -p "$1" && mkdir -m 0700 "$1/state"
	printf 'state_dir = %s/state\nsummary_log = %s/summary.log\nbackend = none\nenforce_from = central.example.org\n' \
		"$1" "$1" >"$1/a.conf"
}

python3 - "$tmp/in" <<'PY'
import ipaddress, sys, time
now = int(time.time())
base = int(ipaddress.IPv6Address("2001:db8::"))
def net(i):
    return ipaddress.IPv6Network((base + ((i + 1) << 80), 64))
def ban(i):
    return (" authfold-decision v1 id=%016x op=ban net=%s at=%d until=%d reason=noauth by=central.example.org"
            % (0xc000 + i, net(i), now - 60, now + 86400))
lines = [ban(i) for i in range(300)]
lines.append(" this is no decision")
lines += ["BEGIN TRANSACTION", "COMMIT TRANSACTION"]
lines.append(" authfold-decision v1 id=%016x op=unban net=%s at=%d until=0 reason=admin by=central.example.org"
             % (0xd000, net(5), now - 30))
lines.append(ban(7))
lines.append(" authfold-decision v1 " + "x" * 700)
lines += [ban(1000 + i) for i in range(10)]
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
PY
nmsg=$(wc -l <"$tmp/in")

setup "$tmp/a"
"$enf" -c "$tmp/a/a.conf" <"$tmp/in" >"$tmp/a/out" 2>"$tmp/a/err" || fail "authfold-enforce exits non-zero"
# the greeting, then one reply per line
[ "$(wc -l <"$tmp/a/out")" = $((nmsg + 1)) ] || fail "$(wc -l <"$tmp/a/out") replies for $nmsg lines and the greeting"
[ "$(grep -cvx OK "$tmp/a/out")" = 0 ] || fail "a reply is not OK: $(grep -vx OK "$tmp/a/out" | head -1)"
# 310 new bans and the unban change the table; the resent ban and the rest do not
[ "$(wc -l <"$tmp/a/state/enforce.log")" = 311 ] || fail "enforce.log holds $(wc -l <"$tmp/a/state/enforce.log") lines, not 311"
grep -q "op=unban net=" "$tmp/a/state/enforce.log" || fail "the unban is not in the log"
grep -q "refused" "$tmp/a/err" || fail "the line that is no decision was not refused on stderr"
"$enf" -c "$tmp/a/a.conf" --restore >"$tmp/a/out2" 2>"$tmp/a/err2" || fail "--restore exits non-zero"
grep -q "309 running bans" "$tmp/a/err2" || fail "the restart does not find the 309 running bans: $(cat "$tmp/a/err2")"

# a full disk in the middle of the backlog
setup "$tmp/b"
# room for the first batch (256 bans: a read holds them all) and a little more
python3 - "$enf" "$tmp/b/a.conf" "$tmp/in" "$tmp/b/out" "$tmp/b/err" <<'PY'
import resource, signal, subprocess, sys
enf, conf, inp, out, err = sys.argv[1:6]
lines = open(inp).read().splitlines()
room = sum(len(l.lstrip()) + 12 for l in lines[:256]) + 100
def limit():
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (room, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
p = subprocess.run([enf, "-c", conf], stdin=open(inp), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                   preexec_fn=limit)
open(out, "wb").write(p.stdout)
open(err, "wb").write(p.stderr)
PY
ok=$(tail -n +2 "$tmp/b/out" | grep -cx OK)
errors=$(grep -c '^ERROR' "$tmp/b/out")
log=$(wc -l <"$tmp/b/state/enforce.log")
echo "# full disk: $ok OK, $errors ERROR, $log lines in enforce.log ($(wc -c <"$tmp/b/state/enforce.log") bytes)"
[ "$errors" -gt 0 ] || fail "the full disk refused nothing"
[ "$log" -ge 256 ] || fail "the first batch did not fit ($log lines)"
[ $((ok + errors)) = "$nmsg" ] || fail "$ok OK and $errors ERROR for $nmsg lines"
[ -z "$(tail -c 1 "$tmp/b/state/enforce.log")" ] || fail "enforce.log ends with part of a line"
# which bans were answered OK, which are in the log
python3 - "$tmp/in" "$tmp/b/out" "$tmp/b/state/enforce.log" <<'PY' || failed=1
import re, sys
msgs = open(sys.argv[1]).read().splitlines()
replies = open(sys.argv[2]).read().splitlines()[1:]
logged = set(re.findall(r"id=([0-9a-f]{16}) op=ban", open(sys.argv[3]).read()))
oked = set()
for i, (m, r) in enumerate(zip(msgs, replies)):
    g = re.search(r"id=([0-9a-f]{16}) op=ban", m)
    if not g:
        continue
    if r == "OK":
        oked.add(g.group(1))
    elif g.group(1) in logged and m not in msgs[:i]:
        print("FAIL: ban %s is in the log but was answered %r" % (g.group(1), r)); sys.exit(1)
missing = oked - logged
if missing:
    print("FAIL: %d bans answered OK are not in the log (%s)" % (len(missing), sorted(missing)[0])); sys.exit(1)
PY
# room again: what was refused comes again (rsyslog's retry) and is taken
"$enf" -c "$tmp/b/a.conf" <"$tmp/in" >"$tmp/b/out3" 2>"$tmp/b/err3" || fail "authfold-enforce exits non-zero"
[ "$(grep -cvx OK "$tmp/b/out3")" = 0 ] || fail "after the disk has room, a reply is not OK"
[ "$(wc -l <"$tmp/b/state/enforce.log")" -ge 311 ] || fail "after the retry enforce.log holds $(wc -l <"$tmp/b/state/enforce.log") lines"
"$enf" -c "$tmp/b/a.conf" --restore 2>"$tmp/b/err4" >/dev/null || fail "--restore exits non-zero"
grep -q "309 running bans" "$tmp/b/err4" || fail "after the retry the restart finds: $(cat "$tmp/b/err4")"

[ $failed = 0 ] && echo PASS
exit $failed

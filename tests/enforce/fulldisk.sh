#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/enforce/fulldisk.sh - issue 23: a full disk on an MX loses no
# central decision once it frees. authfold-enforce keeps its log on a
# 192 KiB tmpfs (enforce_state_dir, in a private mount namespace) and is
# driven as rsyslog's omprog drives it (confirmMessages: an OK greeting,
# one reply per line, a line answered otherwise is sent again), with real
# ipsets in a private network namespace (tests/bans/lib.sh).
#
# Checked:
# - with room, bans are answered OK and reach the kernel;
# - the disk filled (tmpfs: the log's last page still has room, so the
#   bans sent go on being OK until a line does not fit): the ban that does
#   not fit, and a longer unban after it, are answered ERROR and change
#   nothing (the ban is not in the kernel, the unbanned network still is:
#   write-ahead), the log holds no part of a line; the retries too;
# - an enforcer restarted while the disk is full starts (its log cannot
#   be compacted: used as it is) and answers ERROR the same way;
# - the disk freed: the same lines sent again are answered OK and applied
#   (the ban in the kernel, the unban out), every line of enforce.log is
#   whole, and after a "reboot" (sets destroyed) --restore puts back
#   exactly the running bans: nothing decided was lost.

if [ -z "${AUTHFOLD_FULLDISK_MNTNS:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
	unshare -m --propagation private true 2>/dev/null || { echo "SKIP: unshare -m is not possible here"; exit 77; }
	AUTHFOLD_FULLDISK_MNTNS=1
	export AUTHFOLD_FULLDISK_MNTNS
	exec unshare -m --propagation private /bin/sh "$0" "$@"
fi

. "${top_srcdir:-.}/tests/bans/lib.sh"

enf=$top_builddir/authfold-enforce
[ -x "$enf" ] || { echo "FAIL: $enf is not built"; exit 1; }

mkdir -m 0700 "$tmp/disk"
mount -t tmpfs -o size=192k,mode=0700 authfold-test "$tmp/disk" || { echo "FAIL: cannot mount a tmpfs"; exit 1; }
lib_cleanup_mount() {
	umount "$tmp/disk" 2>/dev/null
	lib_cleanup
}
trap lib_cleanup_mount EXIT
conf "$tmp/a.conf" "enforce_state_dir = $tmp/disk" "enforce_from = central.example.org"

python3 - "$enf" "$tmp/a.conf" "$tmp/disk" "$tmp/enforce.err" <<'PY'
import os, subprocess, sys, time
enf, conf, disk, errlog = sys.argv[1:5]
by = "central.example.org"
now = int(time.time())
n = 0
bad = 0
def check(desc, ok):
    global n, bad
    n += 1
    print("%s %d - %s" % ("ok" if ok else "not ok", n, desc), flush=True)
    if not ok:
        bad += 1
def dec(i, op, net, at, until):
    reason = "admin" if op == "unban" else "noauth"
    return " authfold-decision v1 id=%016x op=%s net=%s at=%d until=%d reason=%s by=%s" % (i, op, net, at, until, reason, by)
def in_set(s, a):
    return subprocess.run(["ipset", "test", s, a], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0
def start():
    p = subprocess.Popen([enf, "-c", conf], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=open(errlog, "a"), text=True, bufsize=1)
    return p, p.stdout.readline().rstrip("\n")
def send(p, line):
    p.stdin.write(line + "\n")
    p.stdin.flush()
    return p.stdout.readline().rstrip("\n")
def log_whole():
    data = open(os.path.join(disk, "enforce.log"), "rb").read()
    return data.endswith(b"\n") or data == b""

p, hello = start()
check("the enforcer greets OK (is %r)" % hello, hello == "OK")
bans = [dec(0xa1, "ban", "192.0.2.7/32", now, now + 3600),
        dec(0xa2, "ban", "192.0.2.8/32", now, now + 3600),
        dec(0xa3, "ban", "2001:db8:1:ffff:ffff::/80", now, now + 3600)]
check("three bans with room: OK each", [send(p, l) for l in bans] == ["OK"] * 3)
check("...in the kernel", in_set("authfold4", "192.0.2.7") and in_set("authfold4", "192.0.2.8") and
      in_set("authfold6", "2001:db8:1:ffff:ffff::"))

# the disk fills up
k = 0
try:
    with open(os.path.join(disk, "fill"), "wb") as f:
        while True:
            f.write(b"\0" * 4096)
            f.flush()
            os.fsync(f.fileno())
            k += 1
except OSError:
    pass
# bans (192.0.2.9, each a little longer) until one does not fit
oks = 0
for i in range(80):
    size = os.path.getsize(os.path.join(disk, "enforce.log"))
    new_ban = dec(0x100 + i, "ban", "192.0.2.9/32", now + 1, now + 3600 + i)
    r1 = send(p, new_ban)
    if r1 != "OK":
        break
    oks += 1
print("# disk full after %d pages of filler; %d bans still fitted the log's last page" % (k, oks))
unban = dec(0xb1, "unban", "2001:db8:1:ffff:ffff::/80", now + 1, 0)
r2 = send(p, unban)
check("disk full: the ban that does not fit is answered ERROR (is %r)" % r1, r1.startswith("ERROR"))
check("...and a longer unban too (is %r)" % r2, r2.startswith("ERROR"))
want9 = (oks > 0) == in_set("authfold4", "192.0.2.9")
check("...nothing changed: 192.0.2.9 with its last confirmed end, 2001:db8:1:ffff:ffff::/80 still in the kernel",
      want9 and in_set("authfold6", "2001:db8:1:ffff:ffff::"))
check("...the log holds no part of a line (size %d, was %d)" % (os.path.getsize(os.path.join(disk, "enforce.log")), size),
      os.path.getsize(os.path.join(disk, "enforce.log")) == size and log_whole())
r1, r2 = send(p, new_ban), send(p, unban)
check("the retries while full: ERROR again (%r, %r)" % (r1, r2), r1.startswith("ERROR") and r2.startswith("ERROR"))
p.stdin.close()
rc = p.wait(10)
check("the enforcer ends at EOF (exit %d)" % rc, rc == 0)

p, hello = start()
check("restarted while the disk is full: it greets OK (is %r)" % hello, hello == "OK")
r1 = send(p, new_ban)
check("...the ban is answered ERROR (is %r)" % r1, r1.startswith("ERROR"))
check("...the running bans are all held (192.0.2.8 in the kernel)", in_set("authfold4", "192.0.2.8"))

# the disk frees: rsyslog sends the same lines again
os.unlink(os.path.join(disk, "fill"))
r1, r2 = send(p, new_ban), send(p, unban)
check("disk freed: the retried ban and unban are OK (%r, %r)" % (r1, r2), r1 == "OK" and r2 == "OK")
check("...and applied: 192.0.2.9 in the kernel, 2001:db8:1:ffff:ffff::/80 out",
      in_set("authfold4", "192.0.2.9") and not in_set("authfold6", "2001:db8:1:ffff:ffff::"))
p.stdin.close()
rc = p.wait(10)
check("the enforcer ends at EOF (exit %d)" % rc, rc == 0)
lines = open(os.path.join(disk, "enforce.log")).read().splitlines()
check("every line of enforce.log is whole (%d lines)" % len(lines),
      log_whole() and all(l.split(" ", 1)[1].startswith("authfold-decision v1 ") and l.endswith(("by=" + by))
                          for l in lines))
check("...it holds the ban and the unban that waited for room",
      any(("id=%016x op=ban" % (0x100 + oks)) in l for l in lines) and any("id=00000000000000b1 op=unban" in l for l in lines))

# a reboot: the sets are empty, --restore puts back exactly the running bans
subprocess.run(["ipset", "destroy"], stderr=subprocess.DEVNULL)
rc = subprocess.run([enf, "-c", conf, "--restore"], stderr=open(errlog, "a")).returncode
check("--restore after a reboot exits 0 (is %d)" % rc, rc == 0)
check("...192.0.2.7, 192.0.2.8, 192.0.2.9 back, 2001:db8:1:ffff:ffff::/80 not",
      in_set("authfold4", "192.0.2.7") and in_set("authfold4", "192.0.2.8") and in_set("authfold4", "192.0.2.9")
      and not in_set("authfold6", "2001:db8:1:ffff:ffff::"))
ends = subprocess.run(["ipset", "list", "authfold4"], capture_output=True, text=True).stdout
t9 = [l.split() for l in ends.splitlines() if l.startswith("192.0.2.9 ")]
left = int(t9[0][2]) if t9 else -1
check("...192.0.2.9 with the end of the ban that waited for room (%ds left)" % left,
      abs(left - (now + 3600 + oks - time.time())) <= 3)
print("1..%d" % n)
sys.exit(1 if bad else 0)
PY
rc=$?
sed 's/^/# enforce: /' "$tmp/enforce.err"
exit $rc

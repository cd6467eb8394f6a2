#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""tests/why/hostile.py - `authfold why` on broken and hostile logs (run by hostile.sh).

Each case of issue 22's list, with what must hold:
  gap        events.log.1 missing while events.log.2.gz exists: the older
             strikes are told and a note says the gap;
  dateext    events.log-20261125.gz (logrotate dateext): read, said;
  cap        exactly 1,000 rotations: no cap note; 1,001: the note;
  gzip       a .gz whose CRC trailer is corrupt: all 20,000 lines read;
             damage in the middle: every complete line before it read
             (as many as zlib gives before the error), the damage said;
  terminal   ESC, C1 (raw and as UTF-8), DEL, invalid UTF-8 and U+202E in
             an event's reason, set and by, in a session line and in a
             state file's name: the text output holds no control byte
             but newline, no C1 and no bidi control, and is valid UTF-8;
  special    the events or summary log a FIFO (with no writer), /dev/zero:
             refused at once, "not a regular file";
  memory     10,000 events with 320-byte fields, 4,096 strikes on one
             process, 600,000 summary lines near them, and a gzip bomb
             (a 1 MB .gz of 150 MB of lines): peak RSS under 64 MiB;
  writes     why and why --summary under strace: no open for writing
             but standard output, never /dev/null;
  dates      --since 2026-02-30, an offset +99:99, --since after --until:
             usage errors; events at 2026-02-30 or with a ban of
             INT64_MAX seconds are bad lines, not told;
  state      150 state files: every one listed, by name;
  no strike  a target without strikes: the summary is read all the same
             (for SASL failures without a strike), never "NOT READ ()".
TAP output.
"""
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zlib

SRC = os.environ.get("top_srcdir", ".")
BUILD = os.environ.get("top_builddir", ".")
AF = os.path.join(BUILD, "authfold")
os.environ["TZ"] = "UTC"

from tap import check, finish, skip  # noqa: E402 (tests/why/tap.py)

ASAN = b"__asan_init" in open(AF, "rb").read()


def run(args, timeout=60, **kw):
    return subprocess.run([AF] + args, capture_output=True, timeout=timeout, **kw)


def conf(tmp, name, events, summary, state=None):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write("events_log = %s\nsummary_log = %s\nstate_dir = %s\nbackend = none\n" %
                (events, summary, state or os.path.join(tmp, "state")))
    return path


def why(c, target, *extra):
    r = run(["why", "-c", c, "--json", target] + list(extra))
    if r.returncode != 0:
        print("# why: exit %d %r" % (r.returncode, r.stderr[-300:]))
        return None
    return json.loads(r.stdout)


def strike(ts, addr, pid, reason="noauth", **kw):
    e = {"ts": ts, "event": "strike", "reason": reason, "addr": addr, "client": "unknown[%s]" % addr,
         "host": "mx", "tag": "postfix/smtpd", "pid": pid, "rule": "trace-reply"}
    e.update(kw)
    return json.dumps(e)


def session(ts, ts2, addr, pid):
    c = "unknown[%s]" % addr
    return ["%s mx postfix/smtpd[%d]: connect from %s" % (ts, pid, c),
            "%s mx postfix/smtpd[%d]: warning: %s: authentication not enabled" % (ts2, pid, c),
            "%s mx postfix/smtpd[%d]: disconnect from %s ehlo=1 auth=0/1 quit=1 commands=2/3" % (ts2, pid, c)]


def ts_of(i):
    return "2026-11-26T10:%02d:%02d.%06d+00:00" % (i // 60 % 60, i % 60, i)


def rotations(tmp):
    d = os.path.join(tmp, "rot")
    os.mkdir(d)
    ev = os.path.join(d, "events.log")
    with gzip.open(ev + ".2.gz", "wt") as f:
        f.write(strike(ts_of(1), "192.0.2.50", 100) + "\n")
    with gzip.open(ev + "-20261125.gz", "wt") as f:
        f.write(strike(ts_of(0), "192.0.2.50", 100) + "\n")
    open(ev, "w").write(strike(ts_of(2), "192.0.2.50", 100) + "\n")
    c = conf(tmp, "rot.conf", ev, os.path.join(d, "summary.log"))
    doc = why(c, "192.0.2.50")
    files = [os.path.basename(s["file"]) for s in doc["sources"] if s["kind"] == "events"] if doc else []
    notes = " | ".join(doc["notes"]) if doc else ""
    check(files == ["events.log-20261125.gz", "events.log.2.gz", "events.log"],
          "gap and dateext: every rotation found by listing, oldest first (%r)" % files)
    check(doc and len([e for e in doc["story"] if e["event"] == "strike"]) == 3,
          "gap: the strikes of events.log.2.gz are told although events.log.1 is missing")
    check("missing" in notes and "events.log.1" in notes and "dateext" in notes,
          "gap and dateext: the notes say them (%s)" % notes)
    # exactly 1,000 rotations, then 1,001
    cd = os.path.join(tmp, "cap")
    os.mkdir(cd)
    for i in range(1, 1001):
        open(os.path.join(cd, "events.log.%d" % i), "w").close()
    c = conf(tmp, "cap.conf", os.path.join(cd, "events.log"), os.path.join(cd, "summary.log"))
    doc = why(c, "192.0.2.50")
    check(doc and not any("rotated files" in n for n in doc["notes"]) and
          len([s for s in doc["sources"] if s["kind"] == "events"]) == 1001,
          "exactly 1,000 rotations: all read, no cap note")
    open(os.path.join(cd, "events.log.1001"), "w").close()
    doc = why(c, "192.0.2.50")
    check(doc and any("1001 rotated files found, only the newest 1000" in n for n in doc["notes"]) and
          not any(s["file"].endswith(".1001") for s in doc["sources"]),
          "1,001 rotations: the newest 1,000 read, the cap said")


def gzip_damage(tmp):
    d = os.path.join(tmp, "gz")
    os.mkdir(d)
    lines = [strike(ts_of(i), "198.51.100.%d" % (1 + i % 200), 200 + i % 50) for i in range(20000)]
    data = ("\n".join(lines) + "\n").encode()
    good = gzip.compress(data)
    ev = os.path.join(d, "events.log")
    c = conf(tmp, "gz.conf", ev, os.path.join(d, "summary.log"))
    # a bad CRC: every line is there
    bad = bytearray(good)
    bad[-8] ^= 0xff
    open(ev + ".1.gz", "wb").write(bad)
    open(ev, "w").close()
    doc = why(c, "198.51.100.0/24")
    src = [s for s in doc["sources"] if s["file"].endswith(".1.gz")][0] if doc else {}
    check(src.get("lines") == 20000 and not src.get("complete") and src.get("error"),
          "a .gz with a corrupt CRC: all 20000 lines read, the damage said (%r lines, %r)" %
          (src.get("lines"), src.get("error")))
    # damage in the middle: the complete lines zlib gives before the error
    bad = bytearray(good)
    at = len(bad) // 2
    for i in range(at, at + 64):
        bad[i] ^= 0x5a
    open(ev + ".1.gz", "wb").write(bad)
    z = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = b""
    try:	# a byte at a time: what zlib gives before the error, nothing thrown away
        for i in range(len(bad)):
            out += z.decompress(bytes(bad[i:i + 1]))
    except zlib.error:
        pass
    want = out.count(b"\n")
    doc = why(c, "198.51.100.0/24")
    src = [s for s in doc["sources"] if s["file"].endswith(".1.gz")][0] if doc else {}
    check(want > 1000 and src.get("lines") == want and src.get("error"),
          "damage in the middle of a .gz: every complete line before it read (%r of %d), said: %r" %
          (src.get("lines"), want, src.get("error")))


BAD = "\x1b[2J\x1b]0;owned\x07\u009b31m\x7f\u202eevil"


def terminal(tmp):
    d = os.path.join(tmp, "term")
    os.mkdir(os.path.join(d))
    os.mkdir(os.path.join(d, "state"))
    ev = os.path.join(d, "events.log")
    sm = os.path.join(d, "summary.log")
    with open(ev, "wb") as f:
        f.write(strike(ts_of(5), "203.0.113.66", 301, reason="x" + BAD, rule="r" + BAD).encode() + b"\n")
        line = strike(ts_of(6), "203.0.113.66", 300, reason="noauth").encode()
        f.write(line.replace(b'"rule": "trace-reply"', b'"rule": "raw\xff\xc3(\xc2\x9b"') + b"\n")
        f.write(json.dumps({"ts": ts_of(6), "event": "ban", "addr": "203.0.113.66", "prefix": 32,
                            "seconds": 60, "strikes": 2, "set": "s" + BAD}).encode() + b"\n")
        f.write(json.dumps({"ts": ts_of(7), "event": "unban", "addr": "203.0.113.66", "prefix": 32,
                            "by": "b" + BAD}).encode() + b"\n")
    s = session(ts_of(5), ts_of(6), "203.0.113.66", 300)
    s.insert(1, "%s mx postfix/smtpd[300]: warning: client said %s" % (ts_of(5), BAD))
    raw = ("\n".join(s) + "\n").encode()	# and raw bytes: C1 0x9b, invalid 0xff, a cut sequence
    raw = raw.replace(b"client said ", b"client said \x1b[5m\x9b\xff\xe2\x80 ")
    open(sm, "wb").write(raw)
    open(os.path.join(d, "state", "x\x1b]0;t\x07\u009b.state"), "w").write("junk\n")
    c = conf(tmp, "term.conf", ev, sm, os.path.join(d, "state"))
    r = run(["why", "-c", c, "203.0.113.66"])
    out = r.stdout
    ctl = sorted(set(b for b in out if (b < 0x20 and b != 0x0a) or b == 0x7f))
    try:
        text = out.decode("utf-8")
        c1 = [ch for ch in text if 0x80 <= ord(ch) <= 0x9f or ord(ch) in (0x202e, 0x2066)]
        valid = True
    except UnicodeDecodeError:
        c1, valid = ["?"], False
    check(r.returncode == 0 and not ctl and not c1 and valid,
          "terminal: no control byte, C1, bidi control or invalid UTF-8 reaches the terminal (%r %r %s)" %
          (ctl, c1, valid))
    check(b"\\x1b[2J" in out and b"\\u{009b}" in out and b"\\x7f" in out and b"\\u{202e}" in out and
          b"\\x1b[5m\\x9b\\xff\\xe2\\x80 " in out and b"rule raw\\xff\\xc3(\\u{009b}" in out,
          "terminal: each of them shown escaped")
    check(b"set s\\x1b" in out and b"by b\\x1b" in out and b"x\\x1b]0;t\\x07\\u{009b}.state" in out,
          "terminal: the ban's set, the unban's by and the state file's name too")


def special(tmp):
    d = os.path.join(tmp, "special")
    os.mkdir(d)
    fifo = os.path.join(d, "fifo")
    os.mkfifo(fifo)
    for ev, sm, what in ((fifo, "/nonexistent", "events log a FIFO"), ("/dev/zero", "/nonexistent", "events /dev/zero"),
                         ("/dev/null", fifo, "summary log a FIFO")):
        open(os.path.join(d, "e"), "w").write(strike(ts_of(1), "192.0.2.77", 1) + "\n")
        c = conf(tmp, "sp.conf", ev if ev != "/dev/null" else os.path.join(d, "e"), sm)
        t0 = time.time()
        try:
            r = run(["why", "-c", c, "--json", "192.0.2.77"], timeout=20)
            doc = json.loads(r.stdout)
            src = [s for s in doc["sources"] if s["file"] in (fifo, "/dev/zero")]
            ok = r.returncode == 0 and src and not src[0]["read"] and "not a regular file" in src[0]["error"]
        except subprocess.TimeoutExpired:
            ok, src = False, "hung"
        check(ok and time.time() - t0 < 10, "special files: %s is refused at once (%r)" % (what, src))
    c = conf(tmp, "sp.conf", "/dev/zero", fifo)
    try:
        r = run(["why", "-c", c, "--summary"], timeout=20)
        ok = r.returncode == 0 and b"not a regular file" in r.stdout
    except subprocess.TimeoutExpired:
        ok = False
    check(ok, "special files: why --summary on a FIFO refuses it at once")


def peak_rss_kb(args, tmp):
    """Through /usr/bin/time: the RSS of a process forked from this one
    would count this one's (Linux keeps the high-water mark across exec)."""
    out = os.path.join(tmp, "time.out")
    r = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", out, AF] + args, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
    return r.returncode, int(open(out).read().split()[-1])


def memory(tmp):
    if not os.access("/usr/bin/time", os.X_OK):
        skip("memory: no /usr/bin/time (Debian: apt-get install time)")
        return
    d = os.path.join(tmp, "mem")
    os.mkdir(d)
    ev, sm = os.path.join(d, "events.log"), os.path.join(d, "summary.log")
    pad = "A" * 320
    with open(ev, "w") as f:
        for i in range(12000):	# 4,096 strikes looked for, of one process, fields near the limit
            f.write(strike("2026-11-26T10:00:%02d.%06d+00:00" % (i // 1000, i), "192.0.2.88", 4242,
                           client="unknown[192.0.2.88]" + pad[:290], rule=pad[:320], reason=pad[:320],
                           set=pad[:320], by=pad[:320], host="mx") + "\n")
    with open(sm, "w") as f:
        for i in range(600000):	# lines of that process in the same hour
            f.write("2026-11-26T10:%02d:%02d.%06d+00:00 mx postfix/smtpd[4242]: %s\n" %
                    (i // 60000 % 60, i // 1000 % 60, i % 1000000, ("connect from unknown[192.0.2.88]"
                                                                     if i % 3 == 0 else "x" * 1500)))
    c = conf(tmp, "mem.conf", ev, sm)
    rc, kb = peak_rss_kb(["why", "-c", c, "192.0.2.88"], tmp)
    if ASAN:
        skip("memory: AddressSanitizer build (peak %d KiB)" % kb)
    else:
        check(rc == 0 and kb < 65536, "memory: crafted events and 600,000 lines near 4,096 strikes: peak %d KiB "
              "< 65536" % kb)
    # a gzip bomb: 150 MB of lines of the process, in a .gz of about 1 MB
    line = "2026-11-26T10:00:01.000001+00:00 mx postfix/smtpd[4242]: " + "y" * 1900 + "\n"
    block = (line * 1000).encode()
    with gzip.open(sm + ".1.gz", "wb", compresslevel=9) as f:
        for _ in range(75):
            f.write(block)
    rc, kb = peak_rss_kb(["why", "-c", c, "192.0.2.88"], tmp)
    size = os.path.getsize(sm + ".1.gz")
    if ASAN:
        skip("memory: gzip bomb, AddressSanitizer build (peak %d KiB)" % kb)
    else:
        check(rc == 0 and kb < 65536, "memory: a %d-byte .gz of 150 MB of the process's lines: peak %d KiB < 65536" %
              (size, kb))


def writes(tmp):
    if shutil.which("strace") is None:
        skip("writes: no strace")
        return
    d = os.path.join(tmp, "w")
    os.mkdir(d)
    ev, sm = os.path.join(d, "events.log"), os.path.join(d, "summary.log")
    open(ev, "w").write(strike(ts_of(6), "192.0.2.99", 7) + "\n")
    open(sm, "w").write("\n".join(session(ts_of(5), ts_of(6), "192.0.2.99", 7)) + "\n")
    os.mkdir(os.path.join(d, "state"))
    open(os.path.join(d, "state", "a.state"), "w").write("junk\n")
    c = conf(tmp, "w.conf", ev, sm, os.path.join(d, "state"))
    bad = []
    for args in (["why", "-c", c, "192.0.2.99"], ["why", "-c", c, "--summary", "--since", "2026-11-26"]):
        tr = os.path.join(d, "trace")
        subprocess.run(["strace", "-f", "-qq", "-e", "trace=open,openat,creat", "-o", tr, AF] + args,
                       capture_output=True, timeout=60)
        for l in open(tr):
            if re.search(r"O_WRONLY|O_RDWR|O_CREAT|creat\(", l) or "/dev/null" in l:
                bad.append(l.strip())
    check(not bad, "writes: why and why --summary open nothing for writing, nor /dev/null (%r)" % bad[:3])


def dates(tmp):
    c = conf(tmp, "d.conf", "/nonexistent", "/nonexistent")
    for args, what in ((["--since", "2026-02-30"], "--since 2026-02-30"),
                       (["--until", "2026-11-26T00:00:00+99:99"], "an offset +99:99"),
                       (["--since", "2026-11-26T24:00:00Z"], "24:00"),
                       (["--since", "2026-11-27", "--until", "2026-11-26"], "--since after --until")):
        r = run(["why", "-c", c, "--summary"] + args)
        check(r.returncode == 2 and r.stderr, "dates: %s is a usage error: %s" % (what, r.stderr.decode().strip()[:120]))
    d = os.path.join(tmp, "dates")
    os.mkdir(d)
    ev = os.path.join(d, "events.log")
    with open(ev, "w") as f:
        f.write(strike("2026-02-30T10:00:00.000001+00:00", "192.0.2.44", 1) + "\n")
        f.write(strike("2026-11-26T10:00:00.000001+99:99", "192.0.2.44", 1) + "\n")
        f.write(json.dumps({"ts": ts_of(1), "event": "ban", "addr": "192.0.2.44", "prefix": 32,
                            "seconds": 9223372036854775807, "strikes": 2}) + "\n")
        f.write(json.dumps({"ts": ts_of(2), "event": "ban", "addr": "192.0.2.44", "prefix": 32,
                            "seconds": -5, "strikes": 2}) + "\n")
    c = conf(tmp, "d2.conf", ev, "/nonexistent")
    doc = why(c, "192.0.2.44")
    src = [s for s in doc["sources"] if s["kind"] == "events"][0] if doc else {}
    check(doc and doc["story"] == [] and src.get("bad_lines") == 4,
          "dates: events at 2026-02-30, at +99:99, bans of INT64_MAX and -5 seconds: 4 bad lines, not told (%r)" %
          src.get("bad_lines"))


def state_files(tmp):
    d = os.path.join(tmp, "many")
    os.makedirs(os.path.join(d, "state"))
    for i in range(150):
        open(os.path.join(d, "state", "s%03d.state" % (149 - i)), "w").write("junk\n")
    c = conf(tmp, "m.conf", "/nonexistent/e", "/nonexistent/s", os.path.join(d, "state"))
    doc = why(c, "192.0.2.1")
    names = [os.path.basename(s["file"]) for s in doc["sources"] if s["kind"] == "state"] if doc else []
    check(names == ["s%03d.state" % i for i in range(150)], "state: all 150 state files listed, by name (%d)" %
          len(names))


def not_needed(tmp):
    d = os.path.join(tmp, "nn")
    os.mkdir(d)
    ev, sm = os.path.join(d, "events.log"), os.path.join(d, "summary.log")
    open(ev, "w").write(strike(ts_of(6), "192.0.2.99", 7) + "\n")
    open(sm, "w").write("\n".join(session(ts_of(5), ts_of(6), "192.0.2.99", 7)) + "\n")
    c = conf(tmp, "nn.conf", ev, sm)
    r = run(["why", "-c", c, "198.51.100.1"])
    check(r.returncode == 0 and re.search(rb"summary \S+summary.log: 3 lines\n", r.stdout) and
          b"NOT READ ()" not in r.stdout and b"No strike and no ban of 198.51.100.1/32" in r.stdout,
          "no strike: a summary is read also without a strike to look for, never NOT READ ()")


def main():
    tmp = tempfile.mkdtemp(prefix="authfold-why-hostile.")
    try:
        for case in (rotations, gzip_damage, terminal, special, memory, writes, dates, state_files, not_needed):
            case(tmp)
    finally:
        shutil.rmtree(tmp)
    return finish()


if __name__ == "__main__":
    sys.exit(main())

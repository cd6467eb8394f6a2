#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""tests/why/story.py - `authfold why` on the recordings (run by story.sh).

For every client of tests/data/clients.tsv, after `authfold replay` of the
verbose recording (RFC 3339 and traditional): the story lists exactly the
address's strikes of the events log (as many as clients.tsv says), each
with the lines of its session, which this script finds on its own in the
summary (same host, tag and pid, from the connect before the strike to the
next disconnect); the bans with the strikes that made them; an address
named only in forged client text has no story. Then the same logs split
into rotated files (.2.gz, .1 and the current one), a cut .gz, a cut events
line, an overlong line, a missing summary, and a running ban that
`authfold unban` ends. Every --json output is checked against
why.schema.json (python3-jsonschema). TAP output.
"""
import datetime
import gzip
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import jsonschema

SRC = os.environ.get("top_srcdir", ".")
BUILD = os.environ.get("top_builddir", ".")
AF = os.path.join(BUILD, "authfold")
DATA = os.path.join(SRC, "tests", "data")
SCHEMA = json.load(open(os.path.join(SRC, "tests", "why", "why.schema.json")))
os.environ["TZ"] = "UTC"
os.environ["LC_ALL"] = "C"

from tap import check, finish, skip  # noqa: E402 (tests/why/tap.py)


def run(args, **kw):
    return subprocess.run([AF] + args, capture_output=True, **kw)


def why(conf, target, *extra):
    r = run(["why", "-c", conf, "--json", target] + list(extra))
    if r.returncode != 0:
        print("# why %s: exit %d: %s" % (target, r.returncode, r.stderr.decode(errors="replace")))
        return None
    doc = json.loads(r.stdout)
    jsonschema.validate(doc, SCHEMA)
    return doc


LINE = re.compile(r"^(\S+(?: +\d+ \d\d:\d\d:\d\d)?) (\S+) ([^\s\[]+)\[(\d+)\]: (.*)$")


def line_time(ts):
    if ts[:4].isdigit():
        return datetime.datetime.fromisoformat(ts).timestamp()
    return datetime.datetime.strptime("2026 " + ts, "%Y %b %d %H:%M:%S").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def expected_sessions(summary, events):
    """Each strike's session in the summary, found on its own by host, tag,
    pid and time: the sessions of a (host, tag, pid) in order, each given
    to the first strike (in the events' order) without one whose time it
    spans and whose client its connect line names (whole-second
    timestamps put several sessions of one smtpd in one second)."""
    sessions = {}
    cur = {}
    for raw in summary:
        m = LINE.match(raw)
        if not m:
            continue
        key = (m.group(2), m.group(3), int(m.group(4)))
        t, msg = line_time(m.group(1)), m.group(5)
        if msg.startswith("connect from "):
            cur[key] = [t, None, msg[len("connect from "):], [raw]]
        elif key in cur:
            cur[key][3].append(raw)
            if msg.startswith("disconnect from "):
                cur[key][1] = t
                sessions.setdefault(key, []).append(cur.pop(key))
    out = {}
    strikes = [e for e in events if e["event"] == "strike"]
    for i, e in enumerate(strikes):
        key = (e["host"], e["tag"], e["pid"])
        fits = [lines for start, end, client, lines in sessions.get(key, [])
                if e["client"] == client and start <= line_time(e["ts"]) <= end]
        out[(e["ts"], e["addr"], e["pid"], sum(1 for x in strikes[:i] if (x["ts"], x["addr"]) == (e["ts"], e["addr"])))] = fits
    return out


def events_of(path):
    ev = []
    for line in open(path, encoding="utf-8", errors="replace"):
        try:
            ev.append(json.loads(line))
        except ValueError:
            pass
    return ev


def write_conf(path, tmp, events, summary, extra=""):
    with open(path, "w") as f:
        f.write("events_log = %s\nsummary_log = %s\nstate_dir = %s/state\nbackend = none\n%s" %
                (events, summary, tmp, extra))


def story_strikes(doc):
    return [s for s in doc["story"] if s["event"] == "strike"]


def main():
    tmp = tempfile.mkdtemp(prefix="authfold-why.")
    try:
        clients = [l.rstrip("\n").split("\t") for l in open(os.path.join(DATA, "clients.tsv"))][1:]
        stories = {}
        for fmt in ("rfc3339", "traditional"):
            log = os.path.join(DATA, "verbose.%s.log" % fmt)
            ev, sm = os.path.join(tmp, "ev." + fmt), os.path.join(tmp, "sum." + fmt)
            conf = os.path.join(tmp, "conf." + fmt)
            write_conf(conf, tmp, ev, sm)
            r = run(["replay", "-c", conf, "--summary", sm, log])
            check(r.returncode == 0, "%s: replay" % fmt)
            events = events_of(ev)
            summary = open(sm, encoding="utf-8", errors="replace").read().splitlines()
            expected = expected_sessions(summary, events)
            for row in clients:
                name, addr, want = row[0], row[1], int(row[2])
                bits = 128 if ":" in addr else 32
                doc = why(conf, "%s/%d" % (addr, bits))
                if not check(doc is not None, "%s: why %s --json runs and matches the schema" % (fmt, addr)):
                    continue
                got = story_strikes(doc)
                mine = [e for e in events if e["event"] == "strike" and e["addr"] == addr]
                check(len(got) == want == len(mine),
                      "%s: %s (%s): %d strikes in the story, clients.tsv and events say %d" % (fmt, addr, name, len(got), want))
                check([(s["ts"], s["reason"], s["pid"], s["rule"]) for s in got] ==
                      [(e["ts"], e["reason"], e["pid"], e["rule"]) for e in mine],
                      "%s: %s: the story's strikes are the events log's, in order" % (fmt, addr))
                ok = True
                for i, s in enumerate(got):
                    fits = expected.get((s["ts"], s["addr"], s["pid"], sum(1 for x in got[:i] if x["ts"] == s["ts"])))
                    sess = s["session"]
                    # microseconds: exactly one session fits; whole seconds: one of those that
                    # fit, and said to be ambiguous when several do
                    if sess is None or not fits or sess["lines"] not in fits or not sess["connect_seen"] \
                            or not sess["disconnect_seen"] or ("[%s]" % addr) not in sess["lines"][0] \
                            or (len(fits) == 1 and sess["ambiguous"]) or (fmt == "rfc3339" and len(fits) != 1):
                        ok = False
                        print("# strike %s: got %r want one of %r" % (s["ts"], sess, fits))
                check(ok, "%s: %s: each strike's session lines are its session's (host, tag, pid, time)" % (fmt, addr))
                bans = [e for e in events if e["event"] == "ban" and
                        ipaddress.ip_address(addr) in ipaddress.ip_network("%s/%d" % (e["addr"], e["prefix"]))]
                got_bans = [b for b in doc["story"] if b["event"] == "ban"]
                # a ban of a wider network (IPv6 /64) also counts strikes of other addresses
                check(len(bans) == len(got_bans) and all(
                    (len(b["strike_numbers"]) == b["strikes"] if b["prefix"] == bits else
                     0 < len(b["strike_numbers"]) <= b["strikes"]) and b["status"] == "dry_run" for b in got_bans),
                      "%s: %s: %d bans, each with the strikes that made it" % (fmt, addr, len(bans)))
                if name == "(forged)":
                    check(doc["story"] == [] and doc["state"] == [],
                          "%s: %s is named only in forged client text: no story" % (fmt, addr))
                if fmt == "rfc3339":
                    stories[addr] = doc["story"]
            # the /64 of bot6: both addresses' strikes
            doc = why(conf, "2001:db8::6")
            check(doc is not None and doc["target"] == "2001:db8::/64" and len(story_strikes(doc)) == 2,
                  "%s: a bare IPv6 address means its ipv6_prefix network (2 strikes in 2001:db8::/64)" % fmt)

        # --- rotated and compressed: .2.gz, .1 and the current file ---
        ev, sm = os.path.join(tmp, "ev.rfc3339"), os.path.join(tmp, "sum.rfc3339")
        rot = os.path.join(tmp, "rot")
        os.mkdir(rot)
        rev, rsm = os.path.join(rot, "events.log"), os.path.join(rot, "summary.log")
        for src, dst in ((ev, rev), (sm, rsm)):
            lines = open(src, "rb").read().splitlines(keepends=True)
            a, b = len(lines) // 3, 2 * len(lines) // 3
            with gzip.open(dst + ".2.gz", "wb") as f:
                f.writelines(lines[:a])
            open(dst + ".1", "wb").writelines(lines[a:b])
            open(dst, "wb").writelines(lines[b:])
        rconf = os.path.join(tmp, "conf.rot")
        write_conf(rconf, tmp, rev, rsm)
        same = True
        for addr, story in stories.items():
            doc = why(rconf, "%s/%d" % (addr, 128 if ":" in addr else 32))
            if doc is None or doc["story"] != story:
                same = False
                print("# %s differs" % addr)
        check(same, "rotated: the stories from events.log.2.gz, .1 and events.log (summary likewise) are the same")
        doc = why(rconf, "192.0.2.10")
        kinds = [(s["kind"], os.path.basename(s["file"]), s["complete"]) for s in doc["sources"]]
        check(kinds[:6] == [("events", "events.log.2.gz", True), ("events", "events.log.1", True),
                            ("events", "events.log", True), ("summary", "summary.log.2.gz", True),
                            ("summary", "summary.log.1", True), ("summary", "summary.log", True)],
              "rotated: the files are read oldest first (%s)" % kinds[:6])

        # --- a cut .gz: said, and the rest still read ---
        data = open(rev + ".2.gz", "rb").read()
        open(rev + ".2.gz", "wb").write(data[:len(data) - 40])
        doc = why(rconf, "203.0.113.30")
        src = [s for s in doc["sources"] if s["file"].endswith("events.log.2.gz")][0]
        check(src["read"] and not src["complete"] and src["error"],
              "a cut events.log.2.gz is said: %r" % src["error"])
        check(len(story_strikes(doc)) == len(story_strikes({"story": stories["203.0.113.30"]})),
              "...and the events of the other files are all told")
        r = run(["why", "-c", rconf, "203.0.113.30"])
        check(r.returncode == 0 and b"NOT READ TO THE END" in r.stdout, "...the text says so too")

        # --- a cut events line (a crash mid-write), and an overlong junk line ---
        with open(rev, "rb") as f:
            body = f.read()
        last = body.rstrip(b"\n").rsplit(b"\n", 1)[-1]
        with open(rev, "wb") as f:
            f.write(body[:len(body) - len(last) - 1] + last[:len(last) // 2] + b"\n")
            f.write(b"{\"x\":\"" + b"A" * 300000 + b"\"}\n")
        doc = why(rconf, "192.0.2.10")
        src = [s for s in doc["sources"] if s["file"].endswith("events.log")][0]
        check(src["bad_lines"] == 2 and src["overlong_lines"] == 1,
              "a cut events line and an overlong line are counted, not believed (%d bad, %d overlong)" %
              (src["bad_lines"], src["overlong_lines"]))

        # --- no summary: the strikes without sessions, said plainly ---
        nconf = os.path.join(tmp, "conf.nosum")
        write_conf(nconf, tmp, ev, os.path.join(tmp, "missing.log"))
        doc = why(nconf, "192.0.2.10")
        src = [s for s in doc["sources"] if s["kind"] == "summary"][0]
        check(not src["read"] and "No such file" in (src["error"] or "") and
              all(s["session"] is None for s in story_strikes(doc)) and len(story_strikes(doc)) == 3,
              "a missing summary: not read, said, strikes without sessions")
        r = run(["why", "-c", nconf, "192.0.2.10"])
        check(r.returncode == 0 and b"NOT READ (No such file" in r.stdout, "...the text says NOT READ")

        # --- a running ban, then authfold unban ---
        now = time.time() - 120
        lines = []
        for i, pid in enumerate((4001, 4002)):
            t = datetime.datetime.fromtimestamp(now + i * 10, datetime.timezone.utc).isoformat(timespec="microseconds")
            lines += ["%s mx postfix/smtpd[%d]: connect from unknown[198.51.100.77]" % (t, pid),
                      "%s mx postfix/smtpd[%d]: disconnect from unknown[198.51.100.77] ehlo=1 auth=0/1 quit=1 commands=2/3"
                      % (t, pid)]
        log = os.path.join(tmp, "now.log")
        open(log, "w").write("\n".join(lines) + "\n")
        uconf = os.path.join(tmp, "conf.unban")
        uev, usm = os.path.join(tmp, "u.ev"), os.path.join(tmp, "u.sum")
        write_conf(uconf, tmp, uev, usm)
        r = run(["replay", "-c", uconf, "--ban", "--summary", usm, log])
        doc = why(uconf, "198.51.100.77")
        bans = [b for b in doc["story"] if b["event"] == "ban"]
        check(r.returncode == 0 and len(bans) == 1 and bans[0]["status"] == "running" and
              bans[0]["strike_numbers"] == [1, 2], "a ban of now is running, made by strikes #1 #2")
        r = run(["unban", "-c", uconf, "198.51.100.77"])
        doc = why(uconf, "198.51.100.77")
        bans = [b for b in doc["story"] if b["event"] == "ban"]
        check(r.returncode == 0 and bans and bans[0]["status"] == "unbanned" and
              bans[0]["unban"]["by"].startswith("uid %d" % os.getuid()),
              "after authfold unban: unbanned, by %r" % (bans and bans[0]["unban"]))
        r = run(["why", "-c", uconf, "198.51.100.77"])
        check(b": unbanned at " in r.stdout, "...the text says unbanned at ... by ...")

        # --- a daemon's state: authfold-omprog folds the same lines ---
        oconf = os.path.join(tmp, "conf.omprog")
        oev, osm = os.path.join(tmp, "o.ev"), os.path.join(tmp, "o.sum")
        write_conf(oconf, tmp + "/o", oev, osm)
        os.mkdir(tmp + "/o")
        r = subprocess.run([os.path.join(BUILD, "authfold-omprog"), "--no-confirm", "-c", oconf],
                           stdin=open(log, "rb"), capture_output=True)
        doc = why(oconf, "198.51.100.77")
        bans = [b for b in doc["story"] if b["event"] == "ban"] if doc else []
        st = doc["state"] if doc else []
        check(r.returncode == 0 and len(bans) == 1 and bans[0]["status"] == "running" and bans[0]["in_state"] and
              len(st) == 1 and st[0]["file"] == "omprog.state" and st[0]["running"] and st[0]["times_banned"] == 1,
              "after authfold-omprog: the ban runs, omprog.state holds it (%r)" % st)
        srcs = [x for x in doc["sources"] if x["kind"] == "state"] if doc else []
        check(srcs and all(x["read"] and x["complete"] for x in srcs), "...the state file is listed as read")

        # --- unban through a running daemon: it writes the event, with who asked ---
        p = subprocess.Popen([os.path.join(BUILD, "authfold-omprog"), "--no-confirm", "-c", oconf],
                             stdin=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(0.5)
        env = dict(os.environ, SUDO_USER="alice")
        r = subprocess.run([AF, "unban", "-c", oconf, "198.51.100.77"], capture_output=True, env=env)
        p.stdin.close()
        p.wait()
        doc = why(oconf, "198.51.100.77")
        bans = [b for b in doc["story"] if b["event"] == "ban"] if doc else []
        unbans = [b for b in doc["story"] if b["event"] == "unban"] if doc else []
        by = "uid %d" % os.getuid()
        check(b"done by the running daemon" in r.stderr and bans and bans[-1]["status"] == "unbanned" and
              len(unbans) == 1 and unbans[0]["by"].startswith(by) and
              (os.getuid() != 0 or unbans[0]["by"].endswith("sudo by alice")) and not bans[-1]["in_state"],
              "unban through the running daemon: its unban event says who (%r; %s)" %
              (unbans, r.stderr.decode().strip()))

        # --- hostile files: random bytes, mangled events, forged sessions ---
        rnd = __import__("random").Random(16)
        hev, hsm = os.path.join(tmp, "h.ev"), os.path.join(tmp, "h.sum")
        good = open(ev, "rb").read().splitlines()
        summ = open(sm, "rb").read().splitlines()
        with open(hev, "wb") as f:
            for i in range(20000):
                line = bytearray(rnd.choice(good))
                for _ in range(rnd.randrange(4)):
                    line[rnd.randrange(len(line))] = rnd.randrange(256)
                if i % 7 == 0:
                    line = line[:rnd.randrange(len(line))]
                if i % 11 == 0:
                    line = bytes(rnd.randrange(256) for _ in range(rnd.randrange(300)))
                f.write(bytes(line) + b"\n")
        with open(hsm, "wb") as f:
            for i in range(20000):
                line = bytearray(rnd.choice(summ))
                for _ in range(rnd.randrange(3)):
                    line[rnd.randrange(len(line))] = rnd.randrange(256)
                f.write(bytes(line) + b"\n")
            # a session that names the address only in client text, same pid
            f.write(b"2026-11-26T19:30:00.000001+00:00 mx postfix/smtpd[21433]: connect from unknown[192.0.2.98]\n")
            f.write(b"2026-11-26T19:30:00.000002+00:00 mx postfix/smtpd[21433]: warning: unknown[192.0.2.98]: "
                    b"authentication not enabled\n")
        hconf = os.path.join(tmp, "conf.hostile")
        write_conf(hconf, tmp, hev, hsm)
        ok = True
        for target in ("192.0.2.10", "198.51.100.21", "192.0.2.98/32", "2001:db8::/32", "192.0.2.0/24"):
            r = run(["why", "-c", hconf, "--json", target])
            try:
                doc = json.loads(r.stdout)
                jsonschema.validate(doc, SCHEMA)
            except ValueError as e:
                ok = False
                print("# %s: %s" % (target, e))
                continue
            if r.returncode != 0 or r.stderr:
                ok = False
                print("# %s: exit %d %r" % (target, r.returncode, r.stderr[-300:]))
            r = run(["why", "-c", hconf, target])
            ok = ok and r.returncode == 0 and not r.stderr
        check(ok, "hostile events and summary (random bytes, cut lines): valid JSON, exit 0, nothing on stderr")
        doc = why(hconf, "192.0.2.98/32")
        check(doc is not None and story_strikes(doc) == [],
              "an address named only in forged text has no story, whatever the summary says")

        # --- usage ---
        check(run(["why", "-c", uconf, "not-an-address"]).returncode == 2, "a bad address is a usage error (2)")
        check(run(["why", "-c", uconf]).returncode == 2, "no address is a usage error (2)")
    finally:
        shutil.rmtree(tmp)
    return finish()


if __name__ == "__main__":
    sys.exit(main())

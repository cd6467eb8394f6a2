#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""tests/why/metrics.py - metrics_file (run by metrics.sh).

The recording is folded by `authfold replay` (the report's counters), by
authfold-omprog and by `authfold journal --once` (journal files made with
systemd-journal-remote), both with metrics_file: `promtool check metrics`
accepts the files and their values equal the report's. Then, while
authfold-omprog writes the file every second, a reader that reads it
without pause never sees a part of a file. TAP output.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

def opened_from_connect(text):
    """Sessions seen, from their connect or a later line: "Sessions: N seen (M before or without their connect)"."""
    m = re.search(r"^Sessions: (\d+) seen \((\d+) before or without their connect\)", text, re.M)
    return int(m.group(1))


SRC = os.environ.get("top_srcdir", ".")
BUILD = os.environ.get("top_builddir", ".")
AF = os.path.join(BUILD, "authfold")
OMPROG = os.path.join(BUILD, "authfold-omprog")
LOG = os.path.join(SRC, "tests", "data", "verbose.rfc3339.log")
REMOTE = "/lib/systemd/systemd-journal-remote"
os.environ["TZ"] = "UTC"
os.environ["LC_ALL"] = "C"

from tap import check, finish, skip  # noqa: E402 (tests/why/tap.py)



def report_counters(text):
    """The counters of replay's report (stderr)."""
    c = {}
    m = re.search(r"^Lines: (\d+) read", text, re.M)
    c["lines_read"] = int(m.group(1))
    m = re.search(r"folded away: (\d+), kept: (\d+), passed through: (\d+), synthetic added: (\d+)", text)
    c["lines_folded"], c["lines_kept"], c["lines_passed"], c["lines_synthetic"] = map(int, m.groups())
    c["sessions_opened"] = opened_from_connect(text)
    m = re.search(r"^Strikes: (\d+) noauth, (\d+) saslfail", text, re.M)
    c["strikes_noauth"], c["strikes_saslfail"] = map(int, m.groups())
    c["bans"] = int(re.search(r"^(?:Would ban|Banned): (\d+) bans", text, re.M).group(1))
    return c


SAMPLE = re.compile(r'^([a-z_]+)\{([^}]*)\} (\S+)$')


def metrics_values(text):
    v = {}
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        if not m:
            raise ValueError("bad sample line %r" % line)
        labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2)))
        name = m.group(1)
        if name == "authfold_strikes_total":
            name = "strikes_" + labels["reason"]
        else:
            name = re.sub(r"^authfold_|_total$", "", name)
        v[name] = float(m.group(3))
    return v


def compare(what, text, want):
    got = metrics_values(text)
    bad = {k: (got.get(k), w) for k, w in want.items() if got.get(k) != w}
    check(not bad, "%s: the metrics equal the report's counters%s" % (what, (" (differ: %r)" % bad) if bad else ""))


def promtool(what, path):
    if shutil.which("promtool") is None:
        skip("%s: no promtool (Debian package prometheus)" % what)
        return
    r = subprocess.run(["promtool", "check", "metrics"], stdin=open(path, "rb"), capture_output=True)
    check(r.returncode == 0, "%s: promtool check metrics accepts it %s" % (what, r.stdout.decode() + r.stderr.decode()))


def conf(path, tmp, name, extra=""):
    with open(path, "w") as f:
        f.write("summary_log = %s/%s.sum\nevents_log = %s/%s.ev\nstate_dir = %s/%s.state\nbackend = none\n"
                "summary_format = rfc3339\nmetrics_file = %s/%s.prom\n%s" % (tmp, name, tmp, name, tmp, name, tmp, name,
                                                                           extra))


def main():
    tmp = tempfile.mkdtemp(prefix="authfold-metrics.")
    try:
        c = os.path.join(tmp, "replay.conf")
        conf(c, tmp, "replay")
        r = subprocess.run([AF, "replay", "-c", c, "--summary", os.path.join(tmp, "r.sum"), LOG], capture_output=True)
        want = report_counters(r.stderr.decode())
        check(r.returncode == 0 and want["bans"] > 0, "replay: report %r" % want)

        # --- authfold-omprog ---
        c = os.path.join(tmp, "omprog.conf")
        conf(c, tmp, "omprog")
        r = subprocess.run([OMPROG, "--no-confirm", "-c", c], stdin=open(LOG, "rb"), capture_output=True)
        prom = os.path.join(tmp, "omprog.prom")
        check(r.returncode == 0 and os.path.exists(prom), "authfold-omprog wrote %s" % prom)
        promtool("omprog", prom)
        compare("omprog", open(prom).read(), want)
        check('daemon="omprog"' in open(prom).read() and not os.path.exists(prom + ".tmp"),
              "omprog: the daemon label, and no temporary file left")

        # --- authfold journal --once ---
        if os.getuid() != 0 or not os.access(REMOTE, os.X_OK):
            skip("journal: needs root and %s (Debian package systemd-journal-remote)" % REMOTE)
        else:
            jdir = os.path.join(tmp, "j")
            os.mkdir(jdir)
            accepted = os.path.join(tmp, "accepted.log")
            exp = subprocess.run(["python3", os.path.join(SRC, "tests", "journal", "log2export.py"),
                                  "--accepted", accepted], stdin=open(LOG, "rb"), capture_output=True)
            subprocess.run([REMOTE, "-o", os.path.join(jdir, "x.journal"), "-"], input=exp.stdout, check=True,
                           capture_output=True)
            r = subprocess.run([AF, "replay", "-c", os.path.join(tmp, "replay.conf"), "--summary",
                                os.path.join(tmp, "a.sum"), accepted], capture_output=True)
            jwant = report_counters(r.stderr.decode())
            c = os.path.join(tmp, "journal.conf")
            conf(c, tmp, "journal")
            r = subprocess.run([AF, "journal", "-c", c, "--once", "--directory", jdir], capture_output=True)
            prom = os.path.join(tmp, "journal.prom")
            check(r.returncode == 0 and os.path.exists(prom), "authfold journal --once wrote %s %s" %
                  (prom, r.stderr.decode()[-300:] if r.returncode else ""))
            if os.path.exists(prom):
                promtool("journal", prom)
                compare("journal", open(prom).read(), jwant)
                v = metrics_values(open(prom).read())
                check(v.get("checkpoint_timestamp_seconds", 0) > time.time() - 600 and
                      v.get("last_line_timestamp_seconds", 0) > time.time() - 600,
                      "journal: checkpoint and last line times are recent")

        # --- a reader never sees a part of the file ---
        c = os.path.join(tmp, "live.conf")
        conf(c, tmp, "live", "metrics_interval = 1s\n")
        prom = os.path.join(tmp, "live.prom")
        p = subprocess.Popen([OMPROG, "--no-confirm", "-c", c], stdin=subprocess.PIPE, stderr=subprocess.PIPE)
        stop = threading.Event()
        seen = {"reads": 0, "bad": 0, "contents": set()}

        def reader():
            while not stop.is_set():
                try:
                    with open(prom, "rb") as f:
                        data = f.read()
                except FileNotFoundError:
                    continue
                seen["reads"] += 1
                text = data.decode(errors="replace")
                try:
                    ok = text.endswith("\n") and "authfold_metrics_timestamp_seconds{" in text.splitlines()[-1]
                    metrics_values(text)
                except (ValueError, IndexError):
                    ok = False
                if not ok:
                    seen["bad"] += 1
                seen["contents"].add(data)

        t = threading.Thread(target=reader)
        t.start()
        lines = open(LOG, "rb").read().splitlines(keepends=True)
        end = time.time() + 5
        i = 0
        while time.time() < end:
            p.stdin.write(b"".join(lines[i:i + 50]))
            p.stdin.flush()
            i = (i + 50) % len(lines)
            time.sleep(0.05)
        p.stdin.close()
        p.wait()
        stop.set()
        t.join()
        check(seen["reads"] > 100 and len(seen["contents"]) >= 3 and seen["bad"] == 0,
              "a reader read the file %d times while it was rewritten (%d versions): %d incomplete" %
              (seen["reads"], len(seen["contents"]), seen["bad"]))

        # --- a bad metrics_file ---
        c = os.path.join(tmp, "bad.conf")
        with open(c, "w") as f:
            f.write("metrics_file = relative.prom\n")
        r = subprocess.run([AF, "replay", "-c", c, "/dev/null"], capture_output=True)
        check(r.returncode == 2 and b"metrics_file" in r.stderr, "a relative metrics_file is a configuration error")
        c2 = os.path.join(tmp, "unwritable.conf")
        conf(c2, tmp, "unw")
        with open(c2, "a") as f:
            f.write("metrics_file = %s/no/such/dir/x.prom\n" % tmp)
        r = subprocess.run([OMPROG, "--no-confirm", "-c", c2], stdin=open(LOG, "rb"), capture_output=True)
        check(r.returncode == 0 and r.stderr.count(b"cannot write metrics_file") == 1,
              "an unwritable metrics_file is said once, and the daemon goes on")
    finally:
        shutil.rmtree(tmp)
    return finish()


if __name__ == "__main__":
    sys.exit(main())

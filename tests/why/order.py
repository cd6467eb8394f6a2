#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""tests/why/order.py - `authfold why` on summary and events logs written in any order (run by order.sh).

A summary written from a reordered stream (rsyslog's spilled queues hand
a session's disconnect over before its connect, tests/order/reorder.py)
must tell the same story as the summary written in order: the logs of
the verbose recording (replayed) and of bench/why/gen.py (about 4,000
sessions, 1,400 strikes, 400 processes on 3 hosts) are reordered in every
mode of reorder.py with several seeds, the events log too, and for every
address of the documentation ranges `why --json` must give
  - every strike its session, with its connect and its disconnect, the
    same lines as from the log in order,
  - the story oldest first,
  - for every ban of one address, as many strike numbers as strikes.
TAP output.
"""
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile

SRC = os.environ.get("top_srcdir", ".")
BUILD = os.environ.get("top_builddir", ".")
AF = os.path.join(BUILD, "authfold")
os.environ["TZ"] = "UTC"

from tap import check, finish  # noqa: E402 (tests/why/tap.py)

TARGETS = ("192.0.0.0/2", "2001:db8::/32")


def why(conf, target):
    r = subprocess.run([AF, "why", "-c", conf, "--json", target], capture_output=True)
    if r.returncode != 0:
        print("# why %s: exit %d: %s" % (target, r.returncode, r.stderr.decode(errors="replace")))
        return None
    return json.loads(r.stdout)


def t_of(ts):
    return datetime.datetime.fromisoformat(ts).timestamp() if ts else -1


def write_conf(path, events, summary, state):
    with open(path, "w") as f:
        f.write("events_log = %s\nsummary_log = %s\nstate_dir = %s\nbackend = none\n" % (events, summary, state))


def stories(conf):
    out = {}
    for t in TARGETS:
        doc = why(conf, t)
        out[t] = doc["story"] if doc else None
    return out


def judge(label, got, want):
    """got and want: the stories of one reordering and of the logs in order."""
    missing = strikes = 0
    ok_order = ok_bans = True
    for t in TARGETS:
        story = got[t] or []
        times = [t_of(e["ts"]) for e in story]
        ok_order = ok_order and times == sorted(times)
        for e in story:
            if e["event"] == "strike":
                strikes += 1
                s = e["session"]
                if s is None or not s["connect_seen"] or not s["disconnect_seen"]:
                    missing += 1
            if e["event"] == "ban" and e["prefix"] in (32, 128) and len(e["strike_numbers"]) != e["strikes"]:
                ok_bans = False
                print("# %s: ban %s at %s: %d strikes, shows %r" % (label, e["addr"], e["ts"], e["strikes"],
                                                                  e["strike_numbers"]))
    check(got == want and strikes > 0, "%s: the same story as the logs in order (%d strikes)" % (label, strikes))
    check(missing == 0, "%s: every strike told with its whole session (%d of %d without)" % (label, missing, strikes))
    check(ok_order, "%s: the story is oldest first" % label)
    check(ok_bans, "%s: each ban of one address shows as many strikes as it counts" % label)


def reorder(mode, seed, src, dst):
    subprocess.run([sys.executable, os.path.join(SRC, "tests", "order", "reorder.py"), mode, str(seed), src, dst],
                   check=True)


def main():
    tmp = tempfile.mkdtemp(prefix="authfold-why-order.")
    try:
        # the verbose recording, replayed; and gen.py's summary and events
        rec = os.path.join(tmp, "rec")
        os.mkdir(rec)
        conf = os.path.join(rec, "conf")
        write_conf(conf, rec + "/events.log", rec + "/summary.log", rec + "/state")
        r = subprocess.run([AF, "replay", "-c", conf, "--summary", rec + "/summary.log",
                            os.path.join(SRC, "tests", "data", "verbose.rfc3339.log")], capture_output=True)
        check(r.returncode == 0, "replay of the verbose recording")
        gen = os.path.join(tmp, "gen")
        os.mkdir(gen)
        r = subprocess.run([sys.executable, os.path.join(SRC, "bench", "why", "gen.py"), gen, "2"],
                           capture_output=True)
        check(r.returncode == 0, "bench/why/gen.py: %s" % r.stdout.decode().strip())
        for name, d in (("recording", rec), ("gen.py", gen)):
            c = os.path.join(d, "conf")
            write_conf(c, d + "/events.log", d + "/summary.log", d + "/state")
            want = stories(c)
            n = sum(1 for t in TARGETS for e in (want[t] or []) if e["event"] == "strike")
            judge("%s in order" % name, want, want)
            for mode in ("interleave", "fine", "jumpback", "mixed", "shuffle"):
                for seed in (1, 2, 3):
                    o = os.path.join(tmp, "o")
                    shutil.rmtree(o, ignore_errors=True)
                    os.mkdir(o)
                    reorder(mode, seed, d + "/summary.log", o + "/summary.log")
                    if seed == 3:	# the events log too
                        reorder(mode, seed, d + "/events.log", o + "/events.log")
                    else:
                        shutil.copy(d + "/events.log", o + "/events.log")
                    oc = os.path.join(o, "conf")
                    write_conf(oc, o + "/events.log", o + "/summary.log", o + "/state")
                    judge("%s, %s %d%s (%d strikes in order)" % (name, mode, seed, ", events too" if seed == 3 else "",
                                                                 n), stories(oc), want)
    finally:
        shutil.rmtree(tmp)
    return finish()


if __name__ == "__main__":
    sys.exit(main())

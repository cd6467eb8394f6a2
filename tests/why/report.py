#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""tests/why/report.py - the replay report's hourly table and top offenders
(run by report.sh).

1. The recording: the table's columns sum to its totals row, and the
   totals are the report's (sessions opened, noauth and saslfail strikes,
   bans).
2. A generated plain log over several hours and days (TZ=UTC): every hour's
   row is what the generator put there, sessions of two days add up in the
   same hour, and the top addresses and /64s are the generator's, in order.
3. More distinct addresses than the top table tracks: the report says its
   counts are bounds, and the heaviest offender is still first.
TAP output.
"""
import datetime
import os
import re
import shutil
import subprocess
import sys
import tempfile

def opened_from_connect(text):
    """Sessions seen, from their connect or a later line: "Sessions: N seen (M before or without their connect)"."""
    m = re.search(r"^Sessions: (\d+) seen \((\d+) before or without their connect\)", text, re.M)
    return int(m.group(1))


SRC = os.environ.get("top_srcdir", ".")
BUILD = os.environ.get("top_builddir", ".")
AF = os.path.join(BUILD, "authfold")
os.environ["TZ"] = "UTC"
os.environ["LC_ALL"] = "C"

from tap import check, finish, skip  # noqa: E402 (tests/why/tap.py)


ROW = re.compile(r"^  (\d\d)-\d\d  +(\d+)  +(\d+)  +(\d+)  +(\d+)  +(\d+)$", re.M)
TOTAL = re.compile(r"^  total  +(\d+)  +(\d+)  +(\d+)  +(\d+)  +(\d+)$", re.M)


def parse(report):
    rows = {int(m.group(1)): tuple(map(int, m.groups()[1:])) for m in ROW.finditer(report)}
    total = tuple(map(int, TOTAL.search(report).groups()))
    totals = (opened_from_connect(report),
              int(re.search(r"^Strikes: (\d+) noauth", report, re.M).group(1)),
              int(re.search(r"^Strikes: \d+ noauth, (\d+) saslfail", report, re.M).group(1)),
              int(re.search(r"^(?:Would ban|Banned): (\d+) bans", report, re.M).group(1)))
    return rows, total, totals


def top(report, what):
    m = re.search(r"^Top %s by strikes.*?:\n  strikes  bans  \w+\n((?:  .*\n)*)" % re.escape(what), report, re.M)
    if not m:
        return []
    return [l.split()[:3] for l in m.group(1).splitlines()]


def replay(tmp, log, extra="", summary="/dev/null"):
    c = os.path.join(tmp, "conf")
    with open(c, "w") as f:
        f.write("state_dir = %s/state\nbackend = none\n%s" % (tmp, extra))
    r = subprocess.run([AF, "replay", "-c", c, "--summary", summary, log], capture_output=True)
    return r.returncode, r.stderr.decode()


def sums_ok(what, rows, total, totals):
    colsum = tuple(sum(r[i] for r in rows.values()) for i in range(5))
    check(len(rows) == 24, "%s: 24 hourly rows" % what)
    check(colsum == total, "%s: the hours sum to the totals row %r" % (what, total))
    check((total[0], total[1], total[2], total[4]) == totals,
          "%s: the totals row is the report's (sessions, noauth, saslfail, bans) %r" % (what, totals))


def main():
    tmp = tempfile.mkdtemp(prefix="authfold-report.")
    try:
        status, rep = replay(tmp, os.path.join(SRC, "tests", "data", "verbose.rfc3339.log"))
        check(status == 0, "recording: replay")
        rows, total, totals = parse(rep)
        sums_ok("recording", rows, total, totals)
        check(total[0] > 0 and total[4] > 0, "recording: sessions and bans counted %r" % (total,))
        t = top(rep, "addresses")
        check(t and t[0] == ["3", "1", "192.0.2.10"], "recording: the top address is 192.0.2.10, 3 strikes, 1 ban (%r)" % t[:1])

        # --- generated: hours of two days ---
        base = datetime.datetime(2026, 11, 20, tzinfo=datetime.timezone.utc)
        want = {}	# hour -> [sessions, noauth, saslfail]
        want0 = {}	# the same, first day only
        lines = []
        pid = 1000
        plan = [  # (day, hour, address, kind, count)
            (0, 3, "192.0.2.50", "noauth", 5), (0, 3, "198.51.100.60", "plain", 4),
            (1, 3, "192.0.2.50", "noauth", 2), (0, 9, "203.0.113.70", "saslfail", 3),
            (0, 9, "2001:db8:5::1", "noauth", 2), (0, 9, "2001:db8:5::2", "noauth", 2),
            (1, 23, "2001:db8:6::1", "saslfail", 1), (1, 0, "198.51.100.61", "plain", 7),
        ]
        events = []
        for day, hour, addr, kind, count in plan:
            for i in range(count):
                events.append((base + datetime.timedelta(days=day, hours=hour, minutes=i), addr, kind))
        events.sort()
        for when, addr, kind in events:
            pid += 1
            ts = when.isoformat(timespec="microseconds")
            pre = "%s mx postfix/smtpd[%d]: " % (ts, pid)
            client = "unknown[%s]" % addr
            lines.append(pre + "connect from " + client)
            if kind == "saslfail":
                lines.append(pre + "warning: %s: SASL LOGIN authentication failed: authentication failure" % client)
                lines.append(pre + "disconnect from %s ehlo=1 starttls=1 auth=0/1 quit=1 commands=3/4" % client)
            elif kind == "noauth":
                lines.append(pre + "disconnect from %s ehlo=1 auth=0/1 quit=1 commands=2/3" % client)
            else:
                lines.append(pre + "disconnect from %s ehlo=1 quit=1 commands=2" % client)
            for w in (want.setdefault(when.hour, [0, 0, 0]),
                      (want0 if when.day == base.day else {}).setdefault(when.hour, [0, 0, 0])):
                w[0] += 1
                w[1] += kind == "noauth"
                w[2] += kind == "saslfail"
        log = os.path.join(tmp, "gen.log")
        open(log, "w").write("\n".join(lines) + "\n")
        status, rep = replay(tmp, log, "maxretry = 2\nfindtime = 1h\n", os.path.join(tmp, "gen.sum"))
        rows, total, totals = parse(rep)
        sums_ok("generated", rows, total, totals)
        check(all(list(rows[h][:3]) == want.get(h, [0, 0, 0]) for h in range(24)),
              "generated: every hour's sessions, probing sessions and password failures are the generator's")
        check(rows[3][0] == 11 and rows[3][1] == 7, "generated: hour 03 adds both days (11 sessions, 7 probing)")
        t = top(rep, "addresses")
        check([x[2] for x in t[:2]] == ["192.0.2.50", "203.0.113.70"] and t[0][0] == "7" and t[1][0] == "3",
              "generated: top addresses 192.0.2.50 (7), 203.0.113.70 (3): %r" % t[:3])
        t6 = top(rep, "IPv6 /64 networks")
        check(t6 and t6[0][0] == "4" and t6[0][2] == "2001:db8:5::/64",
              "generated: top /64 2001:db8:5::/64 with 4 strikes: %r" % t6[:2])

        # --- why --summary: the summary log of one day, folded again ---
        r = subprocess.run([AF, "why", "-c", os.path.join(tmp, "conf"), "--summary", "--summary-log",
                            os.path.join(tmp, "gen.sum"), "--since", "2026-11-20T00:00:00Z", "--until",
                            "2026-11-21T00:00:00Z"], capture_output=True)
        rep = r.stdout.decode()
        check(r.returncode == 0 and "Per hour" in rep, "why --summary --since --until: a report on stdout")
        rows, total, totals = parse(rep)
        sums_ok("why --summary", rows, total, totals)
        check(all(list(rows[h][:3]) == want0.get(h, [0, 0, 0]) for h in range(24)),
              "why --summary: every hour of the first day only, from the summary log")
        r = subprocess.run([AF, "why", "-c", os.path.join(tmp, "conf"), "--summary", "--since", "yesterday"],
                           capture_output=True)
        check(r.returncode == 2, "why --summary --since yesterday is a usage error")

        # --- more addresses than the top table keeps ---
        lines = []
        t0 = base + datetime.timedelta(days=3)
        for i in range(3000):
            ts = (t0 + datetime.timedelta(seconds=i)).isoformat(timespec="microseconds")
            addr = "192.0.2.9" if i % 10 == 0 else "2001:db8:%x::%x" % (i, i)
            lines.append("%s mx postfix/smtpd[%d]: connect from unknown[%s]" % (ts, 5000 + i, addr))
            lines.append("%s mx postfix/smtpd[%d]: disconnect from unknown[%s] ehlo=1 auth=0/1 commands=1/2" %
                         (ts, 5000 + i, addr))
        log = os.path.join(tmp, "many.log")
        open(log, "w").write("\n".join(lines) + "\n")
        status, rep = replay(tmp, log, "maxretry = 64\n")
        check(status == 0, "many: replay")
        rows, total, totals = parse(rep)
        sums_ok("many", rows, total, totals)
        t = top(rep, "addresses")
        m = re.search(r"may be short by up to (\d+)\)", rep)
        check(t and t[0][2] == "192.0.2.9" and m and 300 - int(m.group(1)) <= int(t[0][0]) <= 300,
              "many: over the table's size the report says by how much counts may be short, and 192.0.2.9 "
              "(300 strikes) is first: %r" % t[:1])
    finally:
        shutil.rmtree(tmp)
    return finish()


if __name__ == "__main__":
    sys.exit(main())

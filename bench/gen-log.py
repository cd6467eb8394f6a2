#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Make a large real-shaped log from a recording: gen-log.py IN OUT LINES

Repeats the recorded Postfix log (tests/data/*.log) until OUT has at least
LINES lines. Each copy shifts the pids (so sessions stay distinct), moves the
client addresses within their documentation /24 (IPv4) or /64 (IPv6), and
advances the timestamps by the recording's span, so the result reads like a
long day of the same mix of clients. Line shapes and lengths stay real.
"""
import re
import sys
from datetime import datetime, timedelta

src, dst, want = sys.argv[1], sys.argv[2], int(sys.argv[3])
lines = open(src, "rb").read().decode("utf-8", "surrogateescape").splitlines()
ts_re = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+)([+-]\d\d:\d\d) ")
pid_re = re.compile(r"^(\S+ \S+ [^\[ ]+)\[(\d+)\]")
v4_re = re.compile(r"\b(192\.0\.2|198\.51\.100|203\.0\.113)\.(\d+)\b")
first = last = None
for l in lines:
    m = ts_re.match(l)
    if m:
        t = datetime.fromisoformat(m.group(1))
        first = first or t
        last = t
span = (last - first) + timedelta(seconds=1) if first else timedelta(0)
n = 0
with open(dst, "wb") as out:
    copy = 0
    while n < want:
        shift = span * copy
        buf = []
        for l in lines:
            m = ts_re.match(l)
            if m and copy:
                t = datetime.fromisoformat(m.group(1)) + shift
                l = t.isoformat(timespec="microseconds") + m.group(2) + l[m.end() - 1:]
            if copy:
                l = pid_re.sub(lambda p: "%s[%d]" % (p.group(1), int(p.group(2)) + 100000 * copy), l, 1)
                l = v4_re.sub(lambda a: "%s.%d" % (a.group(1), (int(a.group(2)) + copy) % 250 + 1), l)
            buf.append(l)
        out.write(("\n".join(buf) + "\n").encode("utf-8", "surrogateescape"))
        n += len(buf)
        copy += 1
print("%s: %d lines, %d copies" % (dst, n, copy))

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Convert syslog lines (rsyslog's RSYSLOG_FileFormat: RFC 3339 timestamp,
host, tag[pid]: msg) into the journal export format that
systemd-journal-remote reads, one entry per line, with the fields journald
would set for a program that logs through syslog(3):

  MESSAGE, SYSLOG_IDENTIFIER, SYSLOG_PID, _PID, _COMM (the program name after
  the last '/', cut to 15 bytes as the kernel does), _UID (user postfix's
  uid, as Postfix's smtpd runs as mail_owner; none when there is no such
  user), _HOSTNAME,
  __REALTIME_TIMESTAMP (the line's timestamp), SYSLOG_FACILITY=2, PRIORITY,
  and __MONOTONIC_TIMESTAMP (the same value) and _BOOT_ID (BOOT_ID below):
  systemd 257's journal-remote (Debian 13) drops an entry without these two
  ("Entry is invalid, ignoring"); 252 (Debian 12) did not need them. Every
  writer of export format for the tests must add them.

Usage: log2export.py [--accepted FILE] [--comm NAME] [--uid N] [--exe PATH] [--pid-offset N]
                     [--facility N] [--from N] [--to N] < LOG > EXPORT

--accepted FILE  also write the lines that were converted (lines that are
                 not syslog lines are skipped), to replay the same lines
--comm NAME      _COMM for every entry (forged entries: --comm logger)
--uid N          _UID for every entry (forged entries: --uid 65534; none: no _UID)
--exe PATH       _EXE for every entry (default: none)
--pid-offset N   add N to every pid (a repeated recording with distinct pids)
--usec-offset N  add N to every timestamp
--from/--to N    convert only lines N..M-1 (0-based) of the input
--repeat N       convert the input N times; repetition k adds k*PID_STEP to
                 every pid and k*USEC_STEP to every timestamp (--pid-step,
                 default the largest pid + 1; --usec-step, default 1 h); --accepted then holds the rewritten lines
A message that export's text form cannot hold (a newline) is written in the
binary form.
"""
import argparse
import datetime
import pwd
import re
import struct
import sys

LINE = re.compile(rb'^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) (\S+) ([^\s\[:]+)(?:\[(\d+)\])?: (.*)$', re.S)


BOOT_ID = b'a7f01d0000000000000000000000b007'


def usec_of(ts):
    t = ts.decode()
    if t.endswith('Z'):
        t = t[:-1] + '+00:00'
    frac = 0
    m = re.match(r'^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?([+-]\d\d:\d\d)$', t)
    base, f, off = m.group(1), m.group(2), m.group(3)
    if f:
        frac = int((f + '000000')[:6])
    dt = datetime.datetime.fromisoformat(base + off)
    return int(dt.timestamp()) * 1000000 + frac


def field(out, name, value):
    if b'\n' in value:
        out.write(name + b'\n' + struct.pack('<Q', len(value)) + value + b'\n')
    else:
        out.write(name + b'=' + value + b'\n')


def priority(msg):
    for word, p in ((b'panic:', b'2'), (b'fatal:', b'2'), (b'error:', b'3'), (b'warning:', b'4')):
        if msg.startswith(word):
            return p
    return b'6'


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--accepted')
    ap.add_argument('--comm')
    ap.add_argument('--uid')
    ap.add_argument('--exe')
    ap.add_argument('--pid-offset', type=int, default=0)
    ap.add_argument('--usec-offset', type=int, default=0)
    ap.add_argument('--from', dest='start', type=int, default=0)
    ap.add_argument('--to', type=int, default=-1)
    ap.add_argument('--repeat', type=int, default=1)
    ap.add_argument('--pid-step', type=int, default=0)
    ap.add_argument('--usec-step', type=int, default=3600 * 1000000)
    a = ap.parse_args()
    if a.uid is None:
        try:
            a.uid = str(pwd.getpwnam('postfix').pw_uid)
        except KeyError:
            a.uid = 'none'
    out = sys.stdout.buffer
    acc = open(a.accepted, 'wb') if a.accepted else None
    skipped = 0
    parsed = []
    for i, raw in enumerate(sys.stdin.buffer):
        if i < a.start or (a.to >= 0 and i >= a.to):
            continue
        line = raw[:-1] if raw.endswith(b'\n') else raw
        m = LINE.match(line)
        if not m:
            skipped += 1
            continue
        parsed.append((line, m.groups(), usec_of(m.group(1))))
    if not a.pid_step:
        a.pid_step = 1 + max([int(g[3]) for _, g, _ in parsed if g[3] is not None] + [0])
    for k in range(a.repeat):
        for line, g, usec in parsed:
            entry(out, acc, a, line, g, usec, a.pid_offset + k * a.pid_step, a.usec_offset + k * a.usec_step)
    if acc:
        acc.close()
    if skipped:
        print('log2export: %d lines are not syslog lines: skipped' % skipped, file=sys.stderr)


def rfc3339(usec):
    dt = datetime.datetime.fromtimestamp(usec // 1000000, datetime.timezone.utc)
    return (dt.strftime('%Y-%m-%dT%H:%M:%S') + '.%06d+00:00' % (usec % 1000000)).encode()


def entry(out, acc, a, line, g, usec, pid_offset, usec_offset):
        ts, host, tag, pid, msg = g
        if acc and not pid_offset and not usec_offset:
            acc.write(line + b'\n')
        elif acc:
            acc.write(rfc3339(usec + usec_offset) + b' ' + host + b' ' + tag +
                      (b'[%d]' % (int(pid) + pid_offset) if pid is not None else b'') + b': ' + msg + b'\n')
        out.write(b'__REALTIME_TIMESTAMP=%d\n' % (usec + usec_offset))
        out.write(b'__MONOTONIC_TIMESTAMP=%d\n' % (usec + usec_offset))
        out.write(b'_BOOT_ID=' + BOOT_ID + b'\n')
        field(out, b'MESSAGE', msg)
        field(out, b'SYSLOG_IDENTIFIER', tag)
        if pid is not None:
            p = b'%d' % (int(pid) + pid_offset)
            field(out, b'SYSLOG_PID', p)
            field(out, b'_PID', p)
        comm = a.comm.encode() if a.comm else tag.rsplit(b'/', 1)[-1][:15]
        field(out, b'_COMM', comm)
        if a.uid != 'none':
            field(out, b'_UID', a.uid.encode())
        if a.exe:
            field(out, b'_EXE', a.exe.encode())
        field(out, b'_HOSTNAME', host)
        field(out, b'SYSLOG_FACILITY', b'2')
        field(out, b'PRIORITY', priority(msg))
        out.write(b'\n')


if __name__ == '__main__':
    main()

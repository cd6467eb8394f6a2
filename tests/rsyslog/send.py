#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Send recorded syslog lines to a private rsyslogd's imtcp as syslog frames.

Each input line, as rsyslog wrote it with RSYSLOG_FileFormat
("2026-11-26T18:46:35.318738+00:00 host tag[pid]: msg") or
RSYSLOG_TraditionalFileFormat ("Nov 26 18:46:35 host tag[pid]: msg"), becomes

    <22>TIMESTAMP HOST TAG: MSG

(RFC 3164 framing with an RFC 3339 timestamp, which rsyslog's pmrfc3164
accepts; RFC 5424 would lose the colon of the tag), so that rsyslog writes it
back as the same "host tag[pid]: msg" and, for RFC 3339 input, the same
timestamp. Frames are newline-delimited.

Usage: send.py --port PORT [options] FILE
  --from N / --to N      send lines N..M-1 only (0-based)
  --pause N:SEC[,...]    sleep SEC seconds before line N
  --rate LPS             at most LPS lines per second (0: as fast as possible)
  --repeat K             send the file K times; copy k>0 gets pid + k*100000
                         and 192.0.2.X -> 10.a.b.X, 2001:db8:: -> 2001:db8:k::
  --sentinel TEXT        finally send "postfix/authfold-test[1]: TEXT"
  --write FILE           also write the lines as sent (FileFormat) to FILE
  --filter-postfix       send only lines whose programname starts "postfix"
  --ready FILE           once the input is read and the connection made,
                         create FILE; then with
  --go FILE              wait until FILE exists before the first line
                         (several senders started at one moment)
"""
import argparse
import datetime
import os
import re
import socket
import sys
import time

LINE = re.compile(r'^(?P<ts>\d{4}-\d\d-\d\dT\S+|[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) '
                  r'(?P<host>\S+) (?P<app>[^\s\[:]+)(?:\[(?P<pid>[^\]\s]*)\])?: ?(?P<msg>.*)$')
V4 = re.compile(r'\b192\.0\.2\.(\d{1,3})\b')
V6 = re.compile(r'\b2001:db8::', re.I)


def rfc3339(ts, year):
    if ts[0].isdigit():
        return ts
    d = datetime.datetime.strptime(f'{year} {ts}', '%Y %b %d %H:%M:%S')
    return d.strftime('%Y-%m-%dT%H:%M:%S+00:00')


def shift(m, k):
    if k == 0:
        return m
    app, pid, msg = m
    if pid and pid.isdigit():
        pid = str(int(pid) + k * 100000)
    msg = V4.sub(lambda x: f'10.{k // 256}.{k % 256}.{x.group(1)}', msg)
    msg = V6.sub(f'2001:db8:{k:x}::', msg)
    return app, pid, msg


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--from', dest='first', type=int, default=0)
    ap.add_argument('--to', type=int, default=None)
    ap.add_argument('--pause', default='')
    ap.add_argument('--rate', type=float, default=0)
    ap.add_argument('--repeat', type=int, default=1)
    ap.add_argument('--sentinel')
    ap.add_argument('--write')
    ap.add_argument('--filter-postfix', action='store_true')
    ap.add_argument('--ready')
    ap.add_argument('--go')
    ap.add_argument('file')
    a = ap.parse_args()

    pauses = {}
    for p in filter(None, a.pause.split(',')):
        n, s = p.split(':')
        pauses[int(n)] = float(s)
    year = datetime.date.today().year
    parsed = []
    with open(a.file, encoding='utf-8', errors='surrogateescape') as f:
        for raw in f:
            raw = raw.rstrip('\n')
            m = LINE.match(raw)
            if not m:
                sys.exit(f'send.py: {a.file}: not a syslog line: {raw[:80]!r}')
            if a.filter_postfix and not m['app'].startswith('postfix'):
                continue
            parsed.append((rfc3339(m['ts'], year), m['host'], m['app'], m['pid'], m['msg']))
    lines = parsed[a.first:a.to]
    s = socket.create_connection(('127.0.0.1', a.port))
    if a.ready:
        open(a.ready, 'w').close()
    if a.go:
        deadline = time.monotonic() + 600
        while not os.path.exists(a.go):
            if time.monotonic() > deadline:
                sys.exit(f'send.py: no {a.go} after 600 s')
            time.sleep(0.005)
    out = open(a.write, 'w', encoding='utf-8', errors='surrogateescape') if a.write else None
    buf = []
    t0 = time.monotonic()
    i = 0
    for k in range(a.repeat):
        for ts, host, app, pid, msg in lines:
            if i in pauses:
                s.sendall(''.join(buf).encode('utf-8', 'surrogateescape'))
                buf = []
                time.sleep(pauses[i])
            app2, pid2, msg2 = shift((app, pid, msg), k)
            tag = f'{app2}[{pid2}]:' if pid2 is not None else f'{app2}:'
            buf.append(f'<22>{ts} {host} {tag} {msg2}\n')
            if out:
                out.write(f'{ts} {host} {tag} {msg2}\n')
            i += 1
            if len(buf) >= 256 or a.rate:
                s.sendall(''.join(buf).encode('utf-8', 'surrogateescape'))
                buf = []
            if a.rate:
                ahead = i / a.rate - (time.monotonic() - t0)
                if ahead > 0:
                    time.sleep(ahead)
    if a.sentinel:
        ts = datetime.datetime.now(datetime.timezone.utc).isoformat()
        buf.append(f'<22>{ts} sentinel postfix/authfold-test[1]: {a.sentinel}\n')
    s.sendall(''.join(buf).encode('utf-8', 'surrogateescape'))
    s.shutdown(socket.SHUT_WR)
    s.recv(1)
    s.close()
    if out:
        out.close()


if __name__ == '__main__':
    main()

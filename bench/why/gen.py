#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""bench/why/gen.py - a year of summary log and events log for `authfold why`.

    gen.py DIR [SUMMARY_MIB]     (default 1024)

Writes DIR/summary.log (RFC 3339 lines as authfold writes them: connect,
the synthetic warning or Postfix's SASL failures, queue lines of other
programs, disconnect) until it holds SUMMARY_MIB MiB, and DIR/events.log
with a strike event for every probing session and a ban for every second
strike of an address (maxretry 2). The sessions are spread over the year
before 2026-11-30 across 3 hosts and 400 smtpd processes per host, from
addresses of the documentation ranges. One bot, 203.0.113.200, probes
twice a week all year (104 strikes, 52 bans): the address `why` is asked
about. Prints the numbers of lines, sessions, strikes and bans.
"""
import datetime
import os
import random
import sys

out = sys.argv[1]
limit = int(sys.argv[2] if len(sys.argv) > 2 else 1024) << 20
rnd = random.Random(16)
start = datetime.datetime(2025, 11, 30, tzinfo=datetime.timezone.utc).timestamp()
year = 365 * 86400
BOT = "203.0.113.200"
bot_times = [start + i * year / 104 + 3600 for i in range(104)]

# the average session: ~4 summary lines of ~130 bytes
sessions = limit // 520
step = year / sessions
addrs4 = ["192.0.2.%d" % i for i in range(1, 255)] + ["198.51.100.%d" % i for i in range(1, 255)] + \
    ["203.0.113.%d" % i for i in range(1, 200)]


def ts(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).isoformat(timespec="microseconds")


strikes = {}
n_lines = n_strikes = n_bans = n_sessions = 0
sm = open(os.path.join(out, "summary.log"), "w", buffering=1 << 20)
ev = open(os.path.join(out, "events.log"), "w", buffering=1 << 20)
size = 0
t = start
bi = 0
qid = 0x10000
while size < limit:
    t += step * rnd.uniform(0.5, 1.5)
    if bi < len(bot_times) and t >= bot_times[bi]:
        addr, kind = BOT, "noauth"
        bi += 1
    else:
        r = rnd.random()
        addr = rnd.choice(addrs4) if r < 0.8 else "2001:db8:%x:%x::%x" % (rnd.randrange(65536), rnd.randrange(16),
                                                                          rnd.randrange(1, 65536))
        kind = "noauth" if r < 0.25 else "saslfail" if r < 0.35 else "plain"
    host = "mx%d" % rnd.randrange(1, 4)
    pid = 20000 + rnd.randrange(400)
    client = "unknown[%s]" % addr
    pre = "%s %s postfix/smtpd[%d]: " % (ts(t), host, pid)
    lines = [pre + "connect from " + client]
    t1 = t + 0.001
    if kind == "noauth":
        p1 = "%s %s postfix/smtpd[%d]: " % (ts(t1), host, pid)
        lines.append(p1 + "warning: %s: authentication not enabled" % client)
        lines.append(p1 + "disconnect from %s ehlo=1 auth=0/1 quit=1 commands=2/3" % client)
        ev_ts, rule = ts(t1), "trace-reply"
    elif kind == "saslfail":
        p1 = "%s %s postfix/smtpd[%d]: " % (ts(t1), host, pid)
        lines.append(p1 + "warning: %s: SASL LOGIN authentication failed: authentication failure" % client)
        lines.append(p1 + "disconnect from %s ehlo=1 starttls=1 auth=0/1 quit=1 commands=3/4" % client)
        ev_ts, rule = ts(t1), "sasl-failed"
    else:
        qid += 1
        q = "%X" % qid
        lines.append(pre + "%s: client=%s" % (q, client))
        lines.append("%s %s postfix/cleanup[%d]: %s: message-id=<%x@example.test>" % (ts(t1), host, pid + 1000, q, qid))
        lines.append("%s %s postfix/qmgr[900]: %s: from=<a@example.test>, size=%d, nrcpt=1 (queue active)" %
                     (ts(t1), host, q, rnd.randrange(500, 90000)))
        lines.append(pre + "disconnect from %s ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5" % client)
    text = "\n".join(lines) + "\n"
    sm.write(text)
    size += len(text)
    n_lines += len(lines)
    n_sessions += 1
    if kind != "plain":
        ev.write('{"ts":"%s","event":"strike","reason":"%s","addr":"%s","client":"%s","host":"%s",'
                 '"tag":"postfix/smtpd","pid":%d,"rule":"%s"}\n' % (ev_ts, kind, addr, client, host, pid, rule))
        n_strikes += 1
        strikes[addr] = strikes.get(addr, 0) + 1
        if strikes[addr] % 2 == 0:
            prefix = 64 if ":" in addr else 32
            net = addr if prefix == 32 else addr.rsplit(":", 3)[0] + "::"
            ev.write('{"ts":"%s","event":"ban","addr":"%s","prefix":%d,"seconds":86400,"strikes":2,'
                     '"set":"authfold%s"}\n' % (ev_ts, net, prefix, "6" if prefix == 64 else "4"))
            n_bans += 1
sm.close()
ev.close()
print("summary: %d lines, %d sessions; events: %d strikes, %d bans; %s: %d strikes" %
      (n_lines, n_sessions, n_strikes, n_bans, BOT, strikes.get(BOT, 0)))

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""tests/multi/multi.py - the clients and probes of tests/multi/run.sh.

  probe SRC DST          a bot: EHLO, AUTH PLAIN while AUTH is not offered
                         (Postfix answers 503 5.5.1), QUIT; prints the time
  honest SRC DST         an honest client: EHLO, one message to alice, QUIT
  blocked SRC DST        exit 0 when a TCP connection to DST:25 from SRC is
                         dropped (no answer within 3 s), 1 when it connects
  poll SET STOPFILE OUT  until STOPFILE exists: list the ipset SET every few
                         ms, write "ADDR FIRST-SEEN-UNIX-TIME" lines to OUT
  decide SOCKET LINE...  each LINE as one syslog datagram to SOCKET (tag authfold)
  relp HOST PORT CERT KEY LINE
                         a RELP client with the given certificate: TLS
                         handshake, "open", one "syslog" frame with LINE;
                         prints what happened; exit 0 when the peer
                         REFUSED (handshake or session failed), 1 when it
                         took the message
  latency ALL_LOG POLL_OUT ADDR...
                         for each ADDR: its 503 line's time in ALL_LOG (the
                         deciding line, RFC 3339 with microseconds), its
                         first sight in POLL_OUT; prints one latency in ms per line
"""

import datetime
import os
import re
import smtplib
import socket
import ssl
import subprocess
import sys
import time


def smtp(src, dst):
    s = smtplib.SMTP(timeout=15, source_address=(src, 0))
    s.connect(dst, 25)
    s.ehlo("client.example")
    return s


def probe(src, dst):
    s = smtp(src, dst)
    code, msg = s.docmd("AUTH", "PLAIN AGFsaWNlAHdyb25n")
    if code != 503:
        sys.exit("probe: AUTH got %d %s, not 503" % (code, msg))
    print("%.6f" % time.time())
    # The ban may be in the kernel before QUIT: then QUIT is dropped.
    s.sock.settimeout(2)
    try:
        s.quit()
    except (OSError, smtplib.SMTPException):
        s.close()


def honest(src, dst):
    s = smtp(src, dst)
    s.sendmail("honest@example.net", ["alice@example.test"],
               "From: honest@example.net\r\nTo: alice@example.test\r\n"
               "Subject: multi\r\n\r\nhello\r\n")
    s.quit()


def blocked(src, dst):
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.bind((src, 0))
    c.settimeout(3)
    try:
        c.connect((dst, 25))
    except socket.timeout:
        return 0
    except OSError as e:
        print("blocked: %s" % e)
        return 1
    c.close()
    return 1


def poll(setname, stopfile, out):
    seen = {}
    with open(out, "w") as f:
        while not os.path.exists(stopfile):
            r = subprocess.run(["ipset", "-o", "save", "list", setname],
                               capture_output=True, text=True)
            t = time.time()
            for line in r.stdout.splitlines():
                w = line.split()
                if len(w) >= 3 and w[0] == "add" and w[2] not in seen:
                    seen[w[2]] = t
                    f.write("%s %.6f\n" % (w[2], t))
                    f.flush()
            time.sleep(0.002)


def decide(sock, lines):
    c = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    c.connect(sock)
    stamp = time.strftime("%b %e %H:%M:%S")
    for line in lines:
        c.send(("<86>%s authfold[%d]: %s" % (stamp, os.getpid(), line)).encode())


def relp(host, port, cert, key, line):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.load_cert_chain(cert, key)
    raw = socket.create_connection((host, int(port)), timeout=5)
    try:
        t = ctx.wrap_socket(raw)
    except (ssl.SSLError, OSError) as e:
        print("relp: handshake refused: %s" % e)
        return 0
    try:
        offer = b"relp_version=0\nrelp_software=multi.py\ncommands=syslog"
        t.sendall(b"1 open %d %s\n" % (len(offer), offer))
        rsp = t.recv(4096)
        print("relp: open answered %r" % rsp[:80])
        if not rsp.startswith(b"1 rsp 200"):
            return 0
        msg = ("<86>%s central authfold: %s" % (time.strftime("%b %e %H:%M:%S"), line)).encode()
        t.sendall(b"2 syslog %d %s\n" % (len(msg), msg))
        rsp = t.recv(4096)
        print("relp: syslog answered %r" % rsp[:80])
        return 1 if rsp.startswith(b"2 rsp 200") else 0
    except (ssl.SSLError, OSError) as e:
        print("relp: session refused: %s" % e)
        return 0


def latency(all_log, poll_out, addrs):
    seen = {}
    for line in open(poll_out):
        a, t = line.split()
        seen[a] = float(t)
    decided = {}
    pat = re.compile(r"^(\S+) \S+ postfix/smtpd\[\d+\]: > unknown\[([0-9.]+)\]: 503 5\.5\.1")
    for line in open(all_log, errors="replace"):
        m = pat.match(line)
        if m and m.group(2) in addrs:
            decided[m.group(2)] = datetime.datetime.fromisoformat(m.group(1)).timestamp()
    for a in addrs:
        if a in seen and a in decided:
            print("%s %.1f" % (a, (seen[a] - decided[a]) * 1000))
        else:
            print("%s missing" % a)


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "probe":
        probe(*args)
    elif cmd == "honest":
        honest(*args)
    elif cmd == "blocked":
        sys.exit(blocked(*args))
    elif cmd == "poll":
        poll(*args)
    elif cmd == "decide":
        decide(args[0], args[1:])
    elif cmd == "relp":
        sys.exit(relp(*args))
    elif cmd == "latency":
        latency(args[0], args[1], args[2:])
    else:
        sys.exit("multi.py: unknown command %s" % cmd)


if __name__ == "__main__":
    main()

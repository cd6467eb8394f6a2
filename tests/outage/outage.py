#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""tests/outage/outage.py - drive a real Postfix whose Dovecot auth server
fails, then breaks, then disappears (run by tests/outage/run.sh).

    outage.py drive SOCKET ALL_LOG PAUSE   the auth server and the SMTP clients
    outage.py check EVENTS REPORT      TAP lines about authfold's verdicts

The auth server speaks enough of Dovecot's auth protocol (the server side
of Postfix's src/xsasl/xsasl_dovecot_server.c: VERSION, MECH, SPID, CUID,
COOKIE, DONE, then FAIL to every AUTH) to fail every password. Phases:

  fail   the server answers; the guesser (198.51.100.50) fails its password
         in two sessions: two saslfail strikes, a ban with maxretry = 2;
         then PAUSE seconds (more than the authserver_hold of the check)
  lost   the server answers the handshake, then closes the connection when
         asked to authenticate (its auth process died): three users
         (203.0.113.50-52) try AUTH in two sessions each
  close  the server accepts each connection and closes it at once, and the
         connections Postfix already holds are closed: three users
         (203.0.113.60-62) try AUTH in two sessions each
  none   the socket is gone: three users (203.0.113.70-72), two sessions each

Nobody of the lost, close and none phases may be struck: their failures
are the server's (Connection lost, connect failed, no mechanisms), or
plain failures next to those in time.
"""

import base64
import json
import os
import re
import smtplib
import socket
import sys
import threading
import time

GUESSER = "198.51.100.50"
LOST_USERS = ["203.0.113.50", "203.0.113.51", "203.0.113.52"]
CLOSE_USERS = ["203.0.113.60", "203.0.113.61", "203.0.113.62"]
NONE_USERS = ["203.0.113.70", "203.0.113.71", "203.0.113.72"]


class AuthServer:
    """A Dovecot-style auth-client socket; mode is fail, close or none."""

    def __init__(self, path):
        self.path = path
        self.mode = "fail"
        self.conns = []
        self.lock = threading.Lock()
        self.sock = None
        self.listen()

    def listen(self):
        if os.path.exists(self.path):
            os.unlink(self.path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        os.chmod(self.path, 0o666)
        self.sock.listen(16)
        threading.Thread(target=self.accept_loop, args=(self.sock,), daemon=True).start()

    def accept_loop(self, sock):
        while True:
            try:
                c, _ = sock.accept()
            except OSError:
                return
            if self.mode not in ("fail", "lost"):
                c.close()
                continue
            with self.lock:
                self.conns.append(c)
            threading.Thread(target=self.serve, args=(c,), daemon=True).start()

    def serve(self, c):
        try:
            c.sendall(b"VERSION\t1\t2\nMECH\tPLAIN\tplaintext\nMECH\tLOGIN\tplaintext\n"
                      b"SPID\t4242\nCUID\t1\nCOOKIE\t0123456789abcdef0123456789abcdef\nDONE\n")
            buf = b""
            while True:
                data = c.recv(4096)
                if not data:
                    return
                buf += data
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    f = line.decode("utf-8", "replace").split("\t")
                    if f[0] != "AUTH" or len(f) < 3:
                        continue
                    if self.mode == "lost":
                        c.close()
                        return
                    user = ""
                    for a in f[3:]:
                        if a.startswith("resp="):
                            parts = base64.b64decode(a[5:] + "==").split(b"\0")
                            if len(parts) == 3:
                                user = parts[1].decode("utf-8", "replace")
                    # a wrong password: FAIL with the user, no reason (as Dovecot does)
                    c.sendall(("FAIL\t%s\tuser=%s\n" % (f[1], user)).encode())
        except OSError:
            return

    def set_mode(self, mode):
        self.mode = mode
        if mode in ("close", "none"):
            with self.lock:
                for c in self.conns:
                    try:
                        c.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    c.close()
                self.conns = []
        if mode == "none":
            self.sock.close()
            os.unlink(self.path)


def session(addr, user, password):
    """One SMTP session: EHLO, AUTH PLAIN with an initial response, QUIT. What happened."""
    try:
        s = smtplib.SMTP("192.0.2.1", 25, source_address=(addr, 0), timeout=10)
    except (OSError, smtplib.SMTPException) as e:
        return "connect: %s" % e
    try:
        s.ehlo("client.example")
        resp = base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode()).decode()
        code, text = s.docmd("AUTH", "PLAIN " + resp)
        try:
            s.quit()
        except (OSError, smtplib.SMTPException):
            pass
        return "%d %s" % (code, text.decode("utf-8", "replace"))
    except (OSError, smtplib.SMTPException) as e:
        return "session: %s" % e


def wait_log(path, pattern, count, seconds=30):
    deadline = time.time() + seconds
    n = 0
    while time.time() < deadline:
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                n = len(re.findall(pattern, f.read()))
        except FileNotFoundError:
            n = 0
        if n >= count:
            return n
        time.sleep(0.2)
    return n


def drive(sock_path, all_log, pause):
    srv = AuthServer(sock_path)
    out = []
    # fail: the guesser's two sessions
    for i in range(2):
        out.append(("fail", GUESSER, session(GUESSER, "alice", "wrong%d" % i)))
    n = wait_log(all_log, r"\[%s\]: SASL PLAIN authentication failed" % re.escape(GUESSER), 2)
    out.append(("fail", "log", "%d SASL failures of the guesser logged" % n))
    time.sleep(pause)
    # lost: the server dies on each request
    srv.set_mode("lost")
    for i in range(2):
        for a in LOST_USERS:
            out.append(("lost", a, session(a, "user" + a, "correct horse")))
    # close: the server breaks
    srv.set_mode("close")
    for i in range(2):
        for a in CLOSE_USERS:
            out.append(("close", a, session(a, "user" + a, "correct horse")))
    # none: the socket is gone
    srv.set_mode("none")
    for i in range(2):
        for a in NONE_USERS:
            out.append(("none", a, session(a, "user" + a, "correct horse")))
    time.sleep(1)
    for phase, who, what in out:
        print("%s\t%s\t%s" % (phase, who, what))


def check(events_path, report_path):
    strikes, bans = {}, set()
    with open(events_path) as f:
        for line in f:
            e = json.loads(line)
            if e["event"] == "strike":
                strikes.setdefault(e["addr"], []).append(e["reason"])
            elif e["event"] == "ban":
                bans.add(e["addr"])
    report = open(report_path).read()
    n = 0

    def ok(cond, what):
        nonlocal n
        n += 1
        print("%s %d - %s" % ("ok" if cond else "not ok", n, what))
        return cond

    ok(strikes.get(GUESSER) == ["saslfail", "saslfail"],
       "a wrong password strikes: the guesser has two saslfail strikes (%r)" % strikes.get(GUESSER))
    ok(GUESSER in bans, "and is banned with maxretry = 2 (bans: %s)" % sorted(bans))
    others = {a: r for a, r in strikes.items() if a != GUESSER}
    ok(not others, "the auth server broken or gone strikes nobody (others struck: %r)" % others)
    ok(bans <= {GUESSER}, "and bans nobody (bans: %s)" % sorted(bans))
    m = re.search(r"^Auth server trouble: (\d+) SASL failures the server caused \(never strike\), (\d+) warnings",
                  report, re.M)
    ok(m is not None and int(m.group(1)) + int(m.group(2)) > 0,
       "the report counts the auth server trouble (%s)" % (m.group(0) if m else "no such line"))
    print("1..%d" % n)
    return 0


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "drive":
        drive(sys.argv[2], sys.argv[3], float(sys.argv[4]))
        return 0
    if len(sys.argv) == 4 and sys.argv[1] == "check":
        return check(sys.argv[2], sys.argv[3])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())

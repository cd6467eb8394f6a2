#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""authfold end to end: the SMTP clients and the checks of run.sh.

    e2e.py drive DIR MODE     play the clients against the Postfix of run.sh
                              (inside its network namespace); live checks of
                              the kernel's verdicts; writes DIR/out/drive.json
    e2e.py check TOP MODE...  check the logs of the passes MODE (verbose, plain, journal, nft)
                              in TOP/MODE/out; TAP lines; exit 1 on a failure

Clients, strictly sequential, each from its own documentation address (local
to the namespace: run.sh routes 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24
and 2001:db8::/32 to lo):

  user    198.51.100.20   submission (587): STARTTLS + AUTH PLAIN alice + mail;
                          port 25: plain delivery; at the very end it still
                          connects to 25 and 587 (never banned)
  bot     192.0.2.10      2 sessions of EHLO, AUTH LOGIN (503 authentication
                          not enabled), QUIT; then its next connection is
                          dropped by the kernel
  guesser 198.51.100.21   2 sessions on 587: STARTTLS, 2 wrong passwords; then
                          dropped on 587 and 25
  guesser465 198.51.100.22  2 sessions on 465 (TLS from the first byte), wrong
                          passwords; then dropped on 465 and 25
  forger  203.0.113.30    EHLO / MAIL FROM / RCPT / VRFY / NOOP / non-SMTP /
                          AUTH text forging log lines that name the user's
                          address; its own AUTH probe and SASL failure get it
                          banned, never the user
  junk    203.0.113.40    control bytes (escape sequences, CR, DEL, a
                          right-to-left override, text after a NUL), invalid
                          UTF-8 and values over Postfix's 2048-byte
                          line_length_limit (up to 100 kB) in EHLO, MAIL,
                          RCPT, VRFY, AUTH arguments, SASL names and a
                          non-SMTP line; one SASL failure and one AUTH probe
                          get it banned, never the user it names
  v6a/v6b 2001:db8::a/::b one AUTH probe each: the /64 is banned, 2001:db8::c
                          cannot connect
  v6user  2001:db8:1::20  another /64: plain delivery, never banned

Every SMTP reply the script depends on is checked. Waits are polls with
generous deadlines, never fixed sleeps: after each session the script waits
until Postfix has logged its disconnect (so that sessions never interleave in
the log and the two passes log the same lines in the same order).
"""

import base64
import difflib
import ipaddress
import json
import os
import re
import socket
import ssl
import subprocess
import sys
import threading
import time

SERVER4 = "192.0.2.1"
SERVER6 = "2001:db8:f::1"
TIMEOUT = 60            # seconds, for any SMTP reply
DROP_TIMEOUT = 2.0      # a connect that gets no answer within this is "dropped"
BAN_DEADLINE = 60       # seconds from the evidence to the ban, at most
NOT_ENABLED = "503 5.5.1 Error: authentication not enabled"
USER = "198.51.100.20"

# Expected outcome (check).
STRIKES = {             # addr -> (number, reason of each strike in order)
    "192.0.2.10": ["noauth", "noauth"],
    "198.51.100.21": ["saslfail", "saslfail"],
    "198.51.100.22": ["saslfail", "saslfail"],
    "203.0.113.30": ["noauth", "saslfail"],
    "203.0.113.40": ["saslfail", "noauth"],
    "2001:db8::a": ["noauth"],
    "2001:db8::b": ["noauth"],
}
BANS = {("192.0.2.10", 32, "authfold4"), ("198.51.100.21", 32, "authfold4"),
        ("198.51.100.22", 32, "authfold4"), ("203.0.113.30", 32, "authfold4"),
        ("203.0.113.40", 32, "authfold4"), ("2001:db8::", 64, "authfold6")}
NEVER = [USER, "2001:db8:1::20"]
NFT = False             # the nft pass: backend = nft, no ipset, no iptables rule
NFT_SET = {"authfold4": "banned4", "authfold6": "banned6"}
G465 = "198.51.100.22"
J = "203.0.113.40"
BANTIME = 3600


def b64(s):
    return base64.b64encode(raw(s)).decode()


def tls_context():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class Surprise(Exception):
    pass


def now():
    return time.monotonic()


# --------------------------------------------------------------------------
# drive

class Driver:
    def __init__(self, d, mode):
        self.dir = d
        self.mode = mode
        self.all_log = os.path.join(d, "out", "all.log")
        self.sessions = 0       # sessions Postfix must have logged so far
        self.result = {"mode": mode, "latency": {}, "checks": []}
        self.failed = 0

    # -- TAP-ish output ------------------------------------------------------
    def check(self, cond, what):
        print("  %s %s" % ("ok  " if cond else "FAIL", what), flush=True)
        self.result["checks"].append([bool(cond), what])
        if not cond:
            self.failed += 1
        return cond

    def log(self, text):
        print(text, flush=True)

    # -- the log as Postfix wrote it -----------------------------------------
    def disconnects(self):
        try:
            with open(self.all_log, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            return 0
        return len(re.findall(rb"^\S+ \S+ postfix[^ \[]*/smtpd\[\d+\]: disconnect from ", data, re.M))

    def session_done(self):
        """Wait until Postfix has logged the disconnect of the session."""
        self.sessions += 1
        deadline = now() + TIMEOUT
        while now() < deadline:
            if self.disconnects() >= self.sessions:
                return
            time.sleep(0.02)
        raise Surprise("Postfix did not log disconnect #%d within %ds" % (self.sessions, TIMEOUT))

    # -- kernel ----------------------------------------------------------------
    @staticmethod
    def in_set(addr):
        if NFT:     # authfold's own table; IPv6 elements are the /64 networks
            s, elem = ("banned6", str(ipaddress.ip_network(addr + "/64", strict=False).network_address)) \
                if ":" in addr else ("banned4", addr)
            return subprocess.run(["nft", "get", "element", "inet", "authfold", s, "{ %s }" % elem],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0
        s = "authfold6" if ":" in addr else "authfold4"
        return subprocess.run(["ipset", "-q", "test", s, addr],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0

    def watch_ban(self, addr):
        """Start polling the set for addr now; returns a function that waits
        for the result: seconds from now to the first positive test, or None."""
        t0 = now()
        box = {}

        def run():
            while now() - t0 < BAN_DEADLINE:
                if self.in_set(addr):
                    box["t"] = now() - t0
                    return
                time.sleep(0.002)
        th = threading.Thread(target=run, daemon=True)
        th.start()

        def wait():
            th.join(BAN_DEADLINE + 5)
            return box.get("t")
        return t0, wait

    @staticmethod
    def try_connect(src, port, timeout=DROP_TIMEOUT):
        """'open' (got the banner), 'dropped' (no answer), or an error name."""
        fam = socket.AF_INET6 if ":" in src else socket.AF_INET
        dst = SERVER6 if ":" in src else SERVER4
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.settimeout(timeout)
        try:
            s.bind((src, 0))
            s.connect((dst, port))
            return "open", s
        except socket.timeout:
            s.close()
            return "dropped", None
        except OSError as e:
            s.close()
            return type(e).__name__, None

    def expect_dropped(self, src, port, t0=None):
        t1 = now()
        verdict, s = self.try_connect(src, port)
        took = now() - t1
        if s is not None:
            s.close()
            # a session Postfix will log: keep the count right
            self.sessions += 1
        self.check(verdict == "dropped" and took >= DROP_TIMEOUT * 0.9,
                   "%s -> port %d: connect dropped by the kernel (%s after %.2fs)"
                   % (src, port, verdict, took))
        return t1

    # -- SMTP ------------------------------------------------------------------
    def session(self, src, port=25):
        return Session(self, src, port, tls=(port == 465))

    def probe_ban(self, name, addr, trigger_session, set_addr=None, ports=(25,)):
        """trigger_session(watch) plays the last session before the ban and
        calls watch() right after the reply that completes the evidence."""
        box = {}

        def watch():
            box["t0"], box["wait"] = self.watch_ban(set_addr or addr)
        trigger_session(watch)
        t_quit = now()
        lat = box["wait"]()
        t0 = box["t0"]
        self.check(lat is not None, "%s %s: in the set %s"
                   % (name, set_addr or addr,
                      "%.0f ms after the reply that proved it" % (lat * 1000) if lat is not None
                      else "NOT within %ds" % BAN_DEADLINE))
        before_quit = lat is not None and t0 + lat <= t_quit
        first = None
        for p in ports:
            t1 = self.expect_dropped(addr, p)
            if first is None:
                first = t1
        self.result["latency"][name] = {
            "addr": addr,
            "in_set_ms": None if lat is None else round(lat * 1000, 1),
            "session_end_ms": round((t_quit - t0) * 1000, 1),
            "banned_before_session_end": before_quit,
            "dropped_connect_started_ms": round((first - t0) * 1000, 1),
        }

    # -- the scenario ------------------------------------------------------------
    def run(self):
        self.user_submission()
        self.user_plain()
        self.check(not self.in_set(USER), "user %s not in the set after its sessions" % USER)

        # bot: AUTH without TLS, maxretry (2) sessions
        self.bot(None)
        self.check(not self.in_set("192.0.2.10"), "bot 192.0.2.10 not banned after 1 session")
        self.probe_ban("bot", "192.0.2.10", self.bot)

        # password guesser on submission
        self.guesser(None)
        self.check(not self.in_set("198.51.100.21"), "guesser not banned after 1 session")
        self.probe_ban("guesser", "198.51.100.21", self.guesser, ports=(587, 25))

        # password guesser on submissions (465, TLS from the first byte)
        self.guesser465(None)
        self.check(not self.in_set(G465), "guesser %s not banned after 1 session" % G465)
        self.probe_ban("guesser465", G465, self.guesser465, ports=(465, 25))

        # forger
        for f in (self.forger_envelope, self.forger_commands, self.forger_delivery,
                  self.forger_nonsmtp, self.forger_connect, self.forger_auth_plain):
            f()
            self.check(not self.in_set(USER), "after %s: user %s not in the set"
                       % (f.__name__, USER))
        self.probe_ban("forger", "203.0.113.30", self.forger_auth_tls)
        self.check(not self.in_set(USER), "after the forger's ban: user %s not in the set" % USER)

        # junk: control bytes, non-UTF-8 and over-long values in every field
        for f in (self.junk_envelope, self.junk_long):
            f()
            self.check(not self.in_set(USER) and not self.in_set(J),
                       "after %s: neither %s nor %s in the set" % (f.__name__, USER, J))
        self.junk_sasl()
        self.check(not self.in_set(J), "junk %s not banned after 1 SASL failure" % J)
        self.probe_ban("junk", J, self.junk_auth_plain)
        self.check(not self.in_set(USER), "after the junk client's ban: user %s not in the set" % USER)

        # IPv6: two addresses of one /64
        self.bot6("2001:db8::a", None)
        self.check(not self.in_set("2001:db8::a"), "2001:db8::a not banned after 1 probe of the /64")
        self.probe_ban("v6", "2001:db8::b", lambda w: self.bot6("2001:db8::b", w),
                       set_addr="2001:db8::c")
        self.expect_dropped("2001:db8::a", 25)
        self.expect_dropped("2001:db8::c", 587)
        self.v6user()
        self.check(not self.in_set("2001:db8:1::20"), "2001:db8:1::20 (another /64) not in the set")

        # the user, last: still connects
        for port in (25, 587):
            s = self.session(USER, port)
            s.expect("EHLO user.example.net", "250 ")
            s.quit()
            self.session_done()
            self.check(True, "user %s connects to port %d at the end" % (USER, port))
        self.check(not self.in_set(USER), "user %s never in the set" % USER)
        self.result["sessions"] = self.sessions
        return self.failed == 0

    def user_submission(self):
        s = self.session(USER, 587)
        s.expect("EHLO user.example.net", "250 ")
        s.starttls()
        s.expect("EHLO user.example.net", "250 ")
        s.expect("AUTH PLAIN " + b64("\x00alice\x00correct horse"), "235 ")
        s.mail("user@example.net", "e2e-submission")
        s.quit()
        self.session_done()

    def user_plain(self):
        s = self.session(USER, 25)
        s.expect("EHLO user.example.net", "250 ")
        s.mail("user@example.net", "e2e-plain")
        s.quit()
        self.session_done()

    def v6user(self):
        s = self.session("2001:db8:1::20", 25)
        s.expect("EHLO v6user.example.net", "250 ")
        s.mail("v6user@example.net", "e2e-v6")
        s.quit()
        self.session_done()

    def bot(self, watch):
        s = self.session("192.0.2.10")
        s.expect("EHLO User", "250 ")
        s.pipeline([("AUTH LOGIN", NOT_ENABLED), ("QUIT", "221 ")], watch)
        s.wait_eof()
        self.session_done()

    def bot6(self, src, watch):
        s = self.session(src)
        s.expect("EHLO ylmf-pc", "250 ")
        s.pipeline([("AUTH PLAIN " + b64("\x00admin\x00admin"), NOT_ENABLED),
                    ("QUIT", "221 ")], watch)
        s.wait_eof()
        self.session_done()

    def guesser(self, watch):
        s = self.session("198.51.100.21", 587)
        s.expect("EHLO guesser.example.net", "250 ")
        s.starttls()
        s.expect("EHLO guesser.example.net", "250 ")
        if watch:
            s.pipeline([("AUTH PLAIN " + b64("\x00alice\x00password1"), "535 "),
                        ("AUTH PLAIN " + b64("\x00alice\x00Summer2026!"), "535 "),
                        ("QUIT", "221 ")], watch)
            s.wait_eof()
        else:
            s.expect("AUTH PLAIN " + b64("\x00alice\x00password1"), "535 ")
            s.expect("AUTH LOGIN", "334 ")
            s.expect(b64("alice"), "334 ")
            s.expect(b64("Summer2026!"), "535 ")
            s.quit()
        self.session_done()

    def guesser465(self, watch):
        s = self.session(G465, 465)
        s.expect("EHLO guesser465.example.net", "250 ")
        if watch:
            s.pipeline([("AUTH LOGIN " + b64("alice"), "334 "), (b64("letmein"), "535 "),
                        ("QUIT", "221 ")], watch)
            s.wait_eof()
        else:
            s.expect("AUTH PLAIN " + b64("\x00alice\x00123456"), "535 ")
            s.quit()
        self.session_done()

    F = "203.0.113.30"

    def forger_envelope(self):
        s = self.session(self.F)
        s.expect("EHLO unknown[%s]: 503 5.5.1 Error: authentication not enabled" % USER, "250 ")
        s.expect('MAIL FROM:<"connect from unknown[%s]"@x>' % USER, "250 ")
        s.expect('RCPT TO:<"> unknown[%s]: 503 5.5.1 Error: authentication not enabled"@example.test>'
                 % USER, "550 5.1.1 ")
        s.expect("RSET", "250 ")
        s.quit()
        self.session_done()

    def forger_commands(self):
        s = self.session(self.F)
        s.expect("EHLO x", "250 ")
        s.expect("NOOP > unknown[%s]: 503 5.5.1 Error: authentication not enabled" % USER, "250 ")
        # Postfix 3.7 does not know HELP; the 3.10 of Debian 13 lists its commands
        s.expect("HELP > unknown[%s]: 503 5.5.1 Error: authentication not enabled" % USER,
                 ("500 5.5.2 Error: command not recognized", "214 2.0.0 Commands: "))
        s.expect('VRFY <"disconnect from unknown[%s] ehlo=1 auth=0/1 quit=1 commands=2/3"@example.test>'
                 % USER, "550 5.1.1 ")
        s.quit()
        self.session_done()

    def forger_delivery(self):
        s = self.session(self.F)
        s.expect("EHLO disconnect from unknown[%s] ehlo=1 auth=0/1 quit=1 commands=2/3" % USER,
                 "250 ")
        s.mail('"connect from unknown[%s]"@x' % USER, "e2e-forger",
               ">%s: 503 5.5.1 Error: authentication not enabled" % USER)
        s.quit()
        self.session_done()

    def forger_nonsmtp(self):
        s = self.session(self.F)
        s.expect("EHLO x", "250 ")
        s.expect("> unknown[%s]: 503 5.5.1 Error: authentication not enabled" % USER, "221 ")
        s.wait_eof()
        self.session_done()

    def forger_connect(self):
        s = self.session(self.F)
        s.expect("EHLO x", "250 ")
        s.expect("connect from unknown[%s]" % USER, "221 ")
        s.wait_eof()
        self.session_done()

    def forger_auth_plain(self):
        """AUTH without TLS whose argument forges a line: the forger's own probe."""
        s = self.session(self.F)
        s.expect("EHLO x", "250 ")
        s.expect("AUTH PLAIN " + b64("\x00unknown[%s]: 503 5.5.1 Error: authentication not "
                                     "enabled\x00x" % USER), NOT_ENABLED)
        s.quit()
        self.session_done()

    def forger_auth_tls(self, watch):
        """After STARTTLS, forged SASL user names: the forger's own SASL failure."""
        s = self.session(self.F)
        s.expect("EHLO x", "250 ")
        s.starttls()
        s.expect("EHLO unknown[%s]" % USER, "250 ")
        s.pipeline([("AUTH PLAIN " + b64("\x00connect from unknown[%s]\x00x" % USER), "535 "),
                    ("AUTH LOGIN", "334 "),
                    (b64("> unknown[%s]: 503 5.5.1 Error: authentication not enabled" % USER), "334 "),
                    (b64("x"), "535 "),
                    ("QUIT", "221 ")], watch)
        s.wait_eof()
        self.session_done()


    # The junk client: every field it controls filled with control bytes,
    # bytes that are not UTF-8, forged lines and values over Postfix's
    # line_length_limit (2048). Postfix's replies are checked as they are;
    # nothing it sends may strike or ban anybody but itself.
    def junk_envelope(self):
        s = self.session(J)
        forged_503 = "unknown[%s]: 503 5.5.1 Error: authentication not enabled" % USER
        bad_utf8 = "500 5.5.2 Error: bad UTF-8 syntax"
        s.expect(b"EHLO " + junk(forged_503, utf8=False), bad_utf8)
        s.expect(b"EHLO " + junk(forged_503), "250 ")
        s.expect(b"MAIL FROM:<" + junk("connect from unknown[%s]" % USER) + b"@x>", "501 5.1.7 ")
        s.expect(b"MAIL FROM:<\"" + junk("connect from unknown[%s]" % USER) + b"\"@x>", "501 5.1.7 ")
        s.expect("MAIL FROM:<x@example.net>", "250 ")
        s.expect(b"RCPT TO:<\"" + junk("> " + forged_503) + b"\"@example.test>", "501 5.1.3 ")
        s.expect(b"RCPT TO:<" + junk("> " + forged_503, utf8=False) + b"@example.test>", bad_utf8)
        s.expect(b"VRFY " + junk("disconnect from unknown[%s] ehlo=1 auth=0/1 commands=1/2" % USER),
                 "501 5.1.3 ")
        # a non-SMTP line ends the session
        s.expect(junk("warning: unknown[%s]: SASL LOGIN authentication failed" % USER), "221 2.7.0 ")
        s.wait_eof()
        self.session_done()

    def junk_long(self):
        s = self.session(J)
        s.expect("EHLO " + long_text(3000), "250 ")
        s.expect("EHLO " + long_text(2000), "250 ")
        s.expect("MAIL FROM:<" + long_text(5000) + "@x>", "501 5.1.7 ")
        # Postfix 3.10 (Debian 13) reads the rest of that line, past
        # line_length_limit, as a non-SMTP command and hangs up; 3.7 does not
        if s.expect("MAIL FROM:<x@x>", ("250 ", "221 2.7.0 ")).startswith("221 "):
            s.wait_eof()
            self.session_done()
            return
        s.expect("RCPT TO:<" + long_text(100000) + "@example.test>", "501 5.1.3 ")
        s.expect("NOOP " + long_text(2000), "250 ")
        s.quit()
        self.session_done()

    def junk_sasl(self):
        """After STARTTLS: SASL names of control bytes and over-long ones."""
        s = self.session(J)
        s.expect("EHLO x", "250 ")
        s.starttls()
        s.expect("EHLO x", "250 ")
        s.expect("AUTH LOGIN", "334 ")
        s.expect(b64(junk("connect from unknown[%s]" % USER)), "334 ")
        s.expect(b64("x"), "535 5.7.8 ")
        s.expect("AUTH PLAIN " + b64(b"\x00" + junk("> unknown[%s]: 503" % USER) + b"\x00x"), "535 5.7.8 ")
        s.expect(b"AUTH PLAIN " + junk("> unknown[%s]: 503" % USER), "501 5.5.4 ")
        s.expect("AUTH PLAIN " + b64("\x00" + long_text(3000) + "\x00x"), "535 5.7.8 ")
        # cut at 2048 bytes: the initial response is no longer base64
        s.expect("AUTH LOGIN " + b64(long_text(1600)), "535 5.7.8 ")
        s.expect(b64("x"), "500 5.5.2 ")
        s.quit()
        self.session_done()

    def junk_auth_plain(self, watch):
        """AUTH without TLS, its argument control bytes and then too long."""
        s = self.session(J)
        s.expect("EHLO x", "250 ")
        s.pipeline([(b"AUTH PLAIN " + junk("unknown[%s]: 503" % USER), NOT_ENABLED),
                    ("AUTH PLAIN " + b64(long_text(3000)), NOT_ENABLED),
                    ("QUIT", "221 ")], watch)
        s.wait_eof()
        self.session_done()

def raw(line):
    return line if isinstance(line, bytes) else line.encode("utf-8")


def show(line):
    """A command as the transcript shows it: long ones shortened, bytes escaped."""
    text = repr(line)[2:-1] if isinstance(line, bytes) else line
    return text if len(text) <= 200 else "%s... (%d bytes)" % (text[:200], len(raw(line)))


def junk(text, utf8=True):
    """Forged log text wrapped in control bytes (terminal escapes, CR, DEL,
    TAB), a right-to-left override, and after a NUL more text; with
    utf8=False also bytes that are not UTF-8."""
    return (b"\x01\x1b[2K\r" + raw(text) + b"\x7f\t\xe2\x80\xae\x1b]0;x\x07"
            + (b"" if utf8 else b"\xff\xfe\xc3(") + b"\x00after NUL " + raw(text))


def long_text(n):
    """n bytes of forged lines, one after another."""
    unit = "connect from unknown[%s] > unknown[%s]: %s " % (USER, USER, NOT_ENABLED)
    return (unit * (n // len(unit) + 1))[:n]


class Session:
    """A raw SMTP session: exact lines out, full replies back."""

    def __init__(self, drv, src, port, tls=False):
        """tls: TLS from the first byte (port 465, smtpd_tls_wrappermode)."""
        self.drv = drv
        self.src = src
        verdict, sock = drv.try_connect(src, port, TIMEOUT)
        if sock is None:
            raise Surprise("%s -> port %d: connect %s" % (src, port, verdict))
        drv.log("[%d] %s -> port %d%s" % (drv.sessions + 1, src, port, " (TLS)" if tls else ""))
        self.sock = sock
        self.sock.settimeout(TIMEOUT)
        if tls:
            self.sock = tls_context().wrap_socket(self.sock)
        self.f = self.sock.makefile("rb")
        self.expect(None, "220 ")

    def reply(self):
        lines = []
        while True:
            raw = self.f.readline()
            if not raw:
                raise EOFError("%s: server closed the connection" % self.src)
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            lines.append(line)
            if line[3:4] != "-":
                break
        print("    < " + lines[-1], flush=True)
        return lines[-1]

    def send(self, line):
        """line: text, or bytes sent as they are (control bytes, non-UTF-8)."""
        print("    > " + show(line), flush=True)
        self.sock.sendall(raw(line) + b"\r\n")

    def expect(self, line, prefix):
        if line is not None:
            self.send(line)
        last = self.reply()
        if not last.startswith(prefix):
            raise Surprise("%s: after %r expected %r, got %r" % (self.src, line, prefix, last))
        return last

    def pipeline(self, steps, watch=None):
        """Send all command lines in one write, then check the replies in
        order; watch() (if any) right after the first reply. The session that
        completes a client's evidence does this: its last commands reach
        Postfix before the ban can drop them, so that Postfix logs the same
        session with and without -v (a client that waits for each reply has
        its session cut by the ban: Postfix then logs a timeout instead)."""
        for line, _ in steps:
            print("    > " + show(line), flush=True)
        self.sock.sendall(b"".join(raw(l) + b"\r\n" for l, _ in steps))
        for i, (line, prefix) in enumerate(steps):
            last = self.reply()
            if not last.startswith(prefix):
                raise Surprise("%s: after %r expected %r, got %r" % (self.src, line, prefix, last))
            if i == 0 and watch:
                watch()

    def starttls(self):
        self.expect("STARTTLS", "220 ")
        self.sock = tls_context().wrap_socket(self.sock)
        self.f = self.sock.makefile("rb")

    def mail(self, sender, tag, extra=""):
        self.expect("MAIL FROM:<%s>" % sender, "250 ")
        self.expect("RCPT TO:<alice@example.test>", "250 ")
        self.expect("DATA", "354 ")
        body = ("From: <%s>\r\nTo: <alice@example.test>\r\nSubject: authfold %s\r\n"
                "Message-ID: <%s@e2e.example.net>\r\n\r\nHello.\r\n"
                "connect from unknown[%s]\r\n%s\r\n" % (sender, tag, tag, USER, extra))
        for l in body.splitlines():
            self.sock.sendall(("." + l if l.startswith(".") else l).encode() + b"\r\n")
        self.expect(".", "250 ")

    def wait_eof(self):
        while True:
            try:
                raw = self.f.readline()
            except (ConnectionResetError, ssl.SSLError):
                break
            if not raw:
                break
        self.close()

    def quit(self):
        self.expect("QUIT", "221 ")
        self.wait_eof()

    def close(self):
        try:
            self.f.close()
            self.sock.close()
        except OSError:
            pass


def drive(d, mode):
    global NFT
    NFT = mode == "nft"
    drv = Driver(d, mode)
    ok = False
    try:
        ok = drv.run()
    except (Surprise, OSError, EOFError) as e:
        print("e2e.py drive: %s" % e, file=sys.stderr, flush=True)
        drv.result["error"] = str(e)
    drv.result["sessions"] = drv.sessions
    with open(os.path.join(d, "out", "drive.json"), "w") as f:
        json.dump(drv.result, f, indent=1)
    return 0 if ok else 1


# --------------------------------------------------------------------------
# check

RFC3339 = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) (\S+) ([^\[: ]+)(?:\[(\d+)\])?: ?(.*)$", re.S)
SMTPD_TAG = re.compile(r"^postfix(-[^/]+)?(/[^/]+)?/smtpd$")
SYNTH = re.compile(r"^warning: ([A-Za-z0-9._-]+)\[([0-9a-fA-F.:]+)\]: authentication not enabled$")

tests = 0
failures = 0


def ok(cond, what, detail=""):
    global tests, failures
    tests += 1
    print("%s %d - %s" % ("ok" if cond else "not ok", tests, what), flush=True)
    if not cond:
        failures += 1
        for line in detail.splitlines()[:40]:
            print("#   " + line)
    return cond


def read_lines(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return []
    return [l.decode("utf-8", "surrogateescape") for l in data.split(b"\n")[:-1]] if data else []


def parse(line):
    m = RFC3339.match(line)
    if not m:
        return None
    ts, host, tag, pid, msg = m.groups()
    return {"ts": ts, "host": host, "tag": tag, "pid": pid, "msg": msg}


def is_smtpd(p):
    return p is not None and SMTPD_TAG.match(p["tag"]) is not None


def mask(msg):
    """What legitimately differs between two runs of the same traffic."""
    msg = re.sub(r"^[0-9A-F]{6,12}:", "QID:", msg)
    msg = re.sub(r"^[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]{10,16}:", "QID:", msg)
    msg = re.sub(r"queued as [0-9A-Za-z]+", "queued as QID", msg)
    msg = re.sub(r"delays?=[0-9./]+", "delay=X", msg)
    return msg


def smtpd_masked(lines, synthetic=True):
    out = []
    for l in lines:
        p = parse(l)
        if is_smtpd(p) and (synthetic or not SYNTH.match(p["msg"])):
            out.append(p["tag"] + ": " + mask(p["msg"]))
    return out


def synth_at_disconnect(masked):
    """masked (smtpd_masked) with each synthetic line moved to just before
    the next disconnect line of its client."""
    out, pending = [], {}
    for l in masked:
        msg = l.split(": ", 1)[1]
        m = SYNTH.match(msg)
        if m:
            pending.setdefault("%s[%s]" % m.groups(), []).append(l)
            continue
        d = re.match(r"^disconnect from (\S+\[[^\]]+\])", msg)
        if d:
            out.extend(pending.pop(d.group(1), []))
        out.append(l)
    for rest in pending.values():
        out.extend(rest)
    return out


def diff(a, b, na="expected", nb="got"):
    return "\n".join(list(difflib.unified_diff(a, b, na, nb, lineterm="", n=2))[:60])


def events(path):
    return [json.loads(l) for l in read_lines(path)]


def check_pass(top, mode, authfold):
    d = os.path.join(top, mode, "out")
    verbose = mode != "plain"
    print("# pass %s (%s)" % (mode, {"verbose": "smtpd -v, rsyslog + authfold-omprog",
                                     "nft": "smtpd -v, rsyslog + authfold-omprog, backend = nft, no iptables",
                                     "plain": "smtpd without -v, rsyslog + authfold-omprog",
                                     "journal": "smtpd -v, journald + authfold journal"}[mode]))
    drv = {}
    try:
        with open(os.path.join(d, "drive.json")) as f:
            drv = json.load(f)
    except (OSError, ValueError):
        pass
    ok(drv and "error" not in drv and all(c for c, _ in drv.get("checks", [])),
       "%s: the clients ran and every live check passed (%d checks)"
       % (mode, len(drv.get("checks", []))),
       drv.get("error", "") + "\n" + "\n".join(w for c, w in drv.get("checks", []) if not c))
    for name, l in sorted(drv.get("latency", {}).items()):
        print("# %s: probe->ban latency of %s (%s): in the set %s ms after the reply that "
              "proved it (session over and logged +%s ms); the next connect, started +%s ms, was dropped"
              % (mode, name, l["addr"], l["in_set_ms"], l["session_end_ms"],
                 l["dropped_connect_started_ms"]))

    all_log = read_lines(os.path.join(d, "all.log"))
    summary = read_lines(os.path.join(d, "summary.log"))
    ev = events(os.path.join(d, "events.log"))
    ok(len(all_log) > 0 and len(summary) > 0,
       "%s: all.log %d lines, summary %d lines" % (mode, len(all_log), len(summary)))
    if verbose:
        ok(any(re.search(r"postfix/smtpd\[\d+\]: > unknown\[192\.0\.2\.10\]: " + NOT_ENABLED + "$", l)
               for l in all_log), "%s: Postfix logged the -v 503 trace line" % mode)
        for svc, port in (("submission", 587), ("smtps", 465)):
            ok(any(re.search(r"postfix/%s/smtpd\[\d+\]: < unknown\[" % svc, l) for l in all_log),
               "%s: %s (%d) runs smtpd -v too (postfix/%s/smtpd)" % (mode, svc, port, svc))
        ok(len(summary) < len(all_log) / 3, "%s: the summary folds (%d -> %d lines)"
           % (mode, len(all_log), len(summary)))
    else:
        ok(not any(re.search(r"/smtpd\[\d+\]: [<>] ", l) for l in all_log),
           "plain: Postfix logged no -v trace line")

    # the junk client's values reached Postfix and its log; what Postfix
    # made of them is kept in the summary, and struck nobody but the client
    def kept(pattern):
        return any(re.search(pattern, l) for l in summary)
    ok(kept(r"/smtpd\[\d+\]: warning: unknown\[%s\]: request longer than 2048: " % re.escape(J)),
       "%s: Postfix warned of the junk client's over-long commands; the summary keeps it" % mode)
    ok(kept(r"/smtpd\[\d+\]: warning: unknown\[%s\]: SASL LOGIN authentication failed: .*"
            r"sasl_username=.*connect from unknown\[%s\]" % (re.escape(J), re.escape(USER))),
       "%s: the forged SASL user name (control bytes, 'connect from unknown[%s]') is kept" % (mode, USER))
    ok(kept(r"/smtpd\[\d+\]: warning: non-SMTP command from unknown\[%s\]: \\001\\033\[2K\\r"
            % re.escape(J)), "%s: Postfix's own \\ooo escape of the junk's non-SMTP line is kept" % mode)
    ctl = [l for l in all_log if re.search(r"[\x00-\x08\x0a-\x1f\x7f]", l)]
    ok(not ctl, "%s: no raw control byte in Postfix's log (it writes them as '?' or \\ooo)" % mode,
       "\n".join(repr(l) for l in ctl[:5]))

    # 1. oracle: authfold replay of the same lines Postfix wrote
    rdir = os.path.join(top, mode, "replay")
    os.makedirs(rdir, exist_ok=True)
    conf = os.path.join(rdir, "authfold.conf")
    with open(conf, "w") as f:
        f.write("state_dir = %s/state\nbackend = none\nmaxretry = 2\nbantime = 1h\nauthserver_hold = 2s\n" % rdir)
    for p in ("summary.log", "events.log"):
        if os.path.exists(os.path.join(rdir, p)):
            os.unlink(os.path.join(rdir, p))
    r = subprocess.run([authfold, "replay", "-c", conf, "--summary", rdir + "/summary.log",
                        "--events", rdir + "/events.log", os.path.join(d, "all.log")],
                       stderr=subprocess.PIPE)
    ok(r.returncode == 0, "%s: authfold replay all.log exits 0" % mode,
       r.stderr.decode(errors="replace"))
    rsum = read_lines(rdir + "/summary.log")
    ok(rsum == summary, "%s: the live summary (%s) is byte for byte "
       "authfold replay of the all-lines log (%d lines)"
       % (mode, "journald -> authfold journal" if mode == "journal" else "rsyslog -> authfold-omprog",
          len(summary)),
       diff(rsum, summary, "replay", "omprog"))
    rstrikes = [e for e in events(rdir + "/events.log") if e.get("event") == "strike"]
    strikes = [e for e in ev if e.get("event") == "strike"]
    ok(rstrikes == strikes, "%s: the live strikes are those of authfold replay (%d)"
       % (mode, len(strikes)),
       diff([json.dumps(e, sort_keys=True) for e in rstrikes],
            [json.dumps(e, sort_keys=True) for e in strikes], "replay", "omprog"))

    # 2. non-smtpd lines pass through byte for byte; the synthetic lines
    others = [l for l in all_log if not is_smtpd(parse(l))]
    ok(others == [l for l in summary if not is_smtpd(parse(l))],
       "%s: every non-smtpd line passes through byte for byte (%d)" % (mode, len(others)))
    synth = [SYNTH.match(parse(l)["msg"]).group(2) for l in summary
             if is_smtpd(parse(l)) and SYNTH.match(parse(l)["msg"])]
    want = ["192.0.2.10", "192.0.2.10", "203.0.113.30", "203.0.113.40", "2001:db8::a", "2001:db8::b"]
    ok(synth == want, "%s: one synthetic 'authentication not enabled' per probing session: %s"
       % (mode, " ".join(synth)), "want " + " ".join(want))

    # 3. events: strikes only for the misbehaving clients, the bans
    # A SASL strike waits authserver_hold, so it may come after a later
    # noauth strike of the same client (junk): each client's reasons are
    # compared as a set with counts, not in order.
    got = {}
    for e in strikes:
        got.setdefault(e.get("addr"), []).append(e.get("reason"))
    ok({a: sorted(r) for a, r in got.items()} == {a: sorted(r) for a, r in STRIKES.items()},
       "%s: strikes exactly %s" % (mode, json.dumps(STRIKES, sort_keys=True)),
       "got " + json.dumps(got, sort_keys=True))
    forged = [e for e in ev if any(a in json.dumps(e) for a in NEVER)]
    ok(not forged, "%s: no event names %s" % (mode, " or ".join(NEVER)),
       "\n".join(json.dumps(e) for e in forged))
    bans = {(e.get("addr"), e.get("prefix"), e.get("set")) for e in ev if e.get("event") == "ban"}
    want_bans = {(a, p, NFT_SET[s]) for a, p, s in BANS} if mode == "nft" else BANS
    ok(bans == want_bans and all(e.get("seconds") == BANTIME for e in ev if e.get("event") == "ban"),
       "%s: ban events %s for %ds" % (mode, sorted(want_bans), BANTIME), "got %s" % sorted(bans))
    if mode == "nft":
        check_nft(d, mode)
    else:
        check_ipset(d, mode)

    # 5. mail delivered (local)
    for tag in ("e2e-submission", "e2e-plain", "e2e-v6", "e2e-forger"):
        ok(any(re.search(r"postfix/cleanup\[\d+\]: \w+: message-id=<%s@e2e\.example\.net>" % tag, l)
               for l in summary),
           "%s: %s accepted (cleanup message-id line in the summary)" % (mode, tag))
    sent = [l for l in summary if re.search(r"postfix/local\[\d+\]: \w+: to=<alice@example\.test>.*"
                                            r"status=sent \(delivered to file: /var/mail/alice\)", l)]
    ok(len(sent) == 4, "%s: 4 local deliveries to alice logged (%d)" % (mode, len(sent)))
    box = "\n".join(read_lines(os.path.join(top, mode, "mail", "alice")))
    ok(all("Message-ID: <%s@e2e.example.net>" % t in box
           for t in ("e2e-submission", "e2e-plain", "e2e-v6", "e2e-forger")),
       "%s: the 4 messages are in alice's mailbox" % mode)
    return summary, all_log


def check_nft(d, mode):
    """4. backend = nft: authfold's table at the end (nft -j list ruleset saved
    by run.sh), its rules' counters, and not one iptables rule."""
    try:
        with open(os.path.join(d, "nft.json")) as f:
            objs = json.load(f)["nftables"]
    except (OSError, ValueError, KeyError):
        objs = []
    members = {}
    rules = []
    for o in objs:
        s = o.get("set")
        if s and s.get("table") == "authfold" and s.get("family") == "inet":
            members[s["name"]] = {}
            for e in s.get("elem", []):
                e = e["elem"] if isinstance(e, dict) else {"val": e}
                members[s["name"]][e["val"]] = e.get("expires", 0)
        r = o.get("rule")
        if r and r.get("table") == "authfold" and r.get("chain") == "input":
            rules.append(r)
    v4 = sorted(a for a, _, s in BANS if s == "authfold4")
    ok(sorted(members.get("banned4", {})) == v4, "%s: inet authfold banned4 holds exactly %s" % (mode, " ".join(v4)),
       "got %s" % sorted(members.get("banned4", {})))
    ok(set(members.get("banned6", {})) == {"2001:db8::"}, "%s: banned6 holds exactly 2001:db8:: (the /64)" % mode,
       "got %s" % sorted(members.get("banned6", {})))
    tmo = [t for n in ("banned4", "banned6") for t in members.get(n, {}).values()]
    ok(tmo and all(BANTIME - 600 < t <= BANTIME for t in tmo),
       "%s: kernel timeouts within bantime (1h): %s" % (mode, sorted(tmo)))
    for fam, set_name in (("4", "banned4"), ("6", "banned6")):
        n = [x["counter"]["packets"] for r in rules if ("@" + set_name) in json.dumps(r)
             for x in r.get("expr", []) if "counter" in x]
        ok(len(n) == 1 and n[0] > 0, "%s: authfold's own IPv%s rule dropped packets (%s)"
           % (mode, fam, n[0] if n else "no rule"))
    ipt = [l for l in read_lines(os.path.join(d, "iptables-save.txt")) if l.startswith("-A ")]
    ok(not ipt, "%s: not one iptables/ip6tables rule in the namespace" % mode, "\n".join(ipt))


def check_ipset(d, mode):
    """4. backend = ipset: the kernel sets at the end (ipset list saved by
    run.sh) and the README's iptables rules."""
    members = {}
    cur = None
    for l in read_lines(os.path.join(d, "ipset.txt")):
        m = re.match(r"^Name: (\S+)", l)
        if m:
            cur = m.group(1)
            members[cur] = {}
            continue
        if l == "Members:":
            continue
        m = re.match(r"^(\S+) timeout (\d+)", l)
        if m and cur:
            members[cur][m.group(1)] = int(m.group(2))
    v4 = sorted(a for a, _, s in BANS if s == "authfold4")
    ok(sorted(members.get("authfold4", {})) == v4,
       "%s: authfold4 holds exactly %s" % (mode, " ".join(v4)),
       "got %s" % sorted(members.get("authfold4", {})))
    ok(set(members.get("authfold6", {})) == {"2001:db8::/64"},
       "%s: authfold6 holds exactly 2001:db8::/64" % mode,
       "got %s" % sorted(members.get("authfold6", {})))
    tmo = [t for s in members.values() for t in s.values()]
    ok(tmo and all(BANTIME - 600 < t <= BANTIME for t in tmo),
       "%s: kernel timeouts within bantime (1h): %s" % (mode, sorted(tmo)))
    rules = "\n".join(read_lines(os.path.join(d, "iptables.txt")))
    for fam in ("4", "6"):
        m = re.search(r"^\s*(\d+)\s+\d+\s+DROP\s.*multiport dports 25,465,587 match-set authfold%s src"
                      % fam, rules, re.M)
        ok(m is not None and int(m.group(1)) > 0,
           "%s: the README's authfold%s DROP rule dropped packets (%s)"
           % (mode, fam, m.group(1) if m else "no rule"))


def check(top, modes, authfold):
    res = {m: check_pass(top, m, authfold) for m in modes}
    if "verbose" in res and "plain" in res:
        # The independent truth: what Postfix WITHOUT -v wrote for the same
        # traffic equals the fold of the -v run without its synthetic lines.
        want = smtpd_masked(res["plain"][1])
        got = smtpd_masked(res["verbose"][0], synthetic=False)
        ok(want == got and len(want) > 0,
           "summary of the -v pass minus synthetic lines == smtpd lines of the pass without -v "
           "(%d lines, masked: time, pid, queue id, delays)" % len(want), diff(want, got, "plain", "fold(-v)"))
        # and without -v the summary only adds the same synthetic lines
    if "verbose" in res:
        # The synthetic line follows the line that proved it: with -v the
        # 503 reply, without -v the disconnect statistics. Where Postfix
        # logs a plain line in between (the junk client's "request longer
        # than 2048" after its first 503), the plain pass has it one line
        # later, so plain is compared with its synthetic lines at the end of
        # their sessions; journal and verbose must agree exactly.
        for m in ("plain", "journal"):
            if m in res:
                norm = synth_at_disconnect if m == "plain" else (lambda x: x)
                want = norm(smtpd_masked(res["verbose"][0]))
                got = norm(smtpd_masked(res[m][0]))
                ok(want == got and len(want) > 0,
                   "smtpd lines of the %s pass's summary == those of the verbose pass's summary "
                   "(masked, synthetic lines included%s)"
                   % (m, ", placed before their session's disconnect" if m == "plain" else ""),
                   diff(want, got, "verbose", m))
    print("1..%d" % tests)
    return 1 if failures else 0


def journal2log():
    """journalctl -o json on stdin -> RFC 3339 syslog lines on stdout (the
    all-lines log of the journal pass): __REALTIME_TIMESTAMP in local time
    with microseconds, _HOSTNAME, SYSLOG_IDENTIFIER[SYSLOG_PID or _PID]."""
    def text(v):
        if isinstance(v, list):         # journalctl's form of non-UTF-8 data
            return bytes(v).decode("utf-8", "surrogateescape")
        return v or ""
    for line in sys.stdin:
        try:
            e = json.loads(line)
        except ValueError:
            continue
        us = int(e["__REALTIME_TIMESTAMP"])
        t = time.localtime(us // 1000000)
        off = t.tm_gmtoff // 60
        ts = "%s.%06d%s%02d:%02d" % (time.strftime("%Y-%m-%dT%H:%M:%S", t), us % 1000000,
                                     "-" if off < 0 else "+", abs(off) // 60, abs(off) % 60)
        pid = text(e.get("SYSLOG_PID")) or text(e.get("_PID"))
        tag = text(e.get("SYSLOG_IDENTIFIER")) or text(e.get("_COMM"))
        out = "%s %s %s%s: %s\n" % (ts, text(e.get("_HOSTNAME")), tag,
                                    "[%s]" % pid if pid else "", text(e.get("MESSAGE")))
        sys.stdout.buffer.write(out.encode("utf-8", "surrogateescape"))
        sys.stdout.flush()
    return 0


def main():
    a = sys.argv[1:]
    if a == ["journal2log"]:
        return journal2log()
    if len(a) == 3 and a[0] == "drive":
        return drive(a[1], a[2])
    if len(a) >= 4 and a[0] == "check":
        return check(a[1], a[3:], a[2])
    print("usage: e2e.py drive DIR MODE | e2e.py check TOP AUTHFOLD MODE...", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())

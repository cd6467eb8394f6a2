#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The plain-log oracle for authfold's fold, on recordings of a real Postfix.

    oracle.py AUTHFOLD DATA_DIR FORMAT        FORMAT: rfc3339 | traditional

DATA_DIR is one recording (tests/oracle/oracle.sh runs every one under
tests/data); its logs may be xz-compressed (NAME.log.xz, record.sh --xz).

Each recording (tests/data: Postfix 3.7; tests/data/postfix-3.7-port: the same
with smtpd_client_port_logging; tests/data/pf310 and pf310-port: Postfix 3.10
of Debian 13, without and with port logging) holds SMTP traffic recorded twice
from a real Postfix:
once with `smtpd -v` (verbose.FORMAT.log) and once without (plain.FORMAT.log),
and clients.tsv with the strikes each client must get. The plain log is the
independent truth. Checks, each printed as a TAP line:

 1. fold(verbose) without its synthetic lines has exactly the smtpd lines of
    the plain log, in order (timestamps, pids, queue ids, delays and client
    ports, which differ between two runs, are masked);
 2. every line of other programs passes through fold(verbose) byte for byte;
 3. fold(verbose) adds exactly one synthetic line per probing session, inside
    that session, with the prefix of a line of the input;
 4. the strikes of fold(verbose) are those of clients.tsv, and no address that
    appears only in client-supplied text is struck;
 5. fold(plain) is the plain log plus one synthetic line just before the
    disconnect of each session that the auth=0/N rule names; this rule is
    re-implemented here, independently of the C code, and its result must match
    clients.tsv except where PLAIN_DIFFERS says why it cannot;
 6. two hosts' verbose streams interleaved with colliding pids fold to the same
    lines per host as each stream alone.
"""

import json
import lzma
import os
import re
import subprocess
import sys
import tempfile

# Sessions the plain log cannot tell apart from probes (no -v trace): AUTH
# before EHLO, then EHLO. The statistics keep no order. See fold(3) BUGS.
# Each session of this client (one per round of drive.py) is one more
# noauth strike by the plain log's rule.
PLAIN_DIFFERS = {"192.0.2.12": "noauth"}

# The client token: NAME[ADDR], or NAME[ADDR]:PORT with Postfix's
# smtpd_client_port_logging = yes.
PORT = r"(?::\d{1,5})?"

RFC3339 = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) (\S+) ([^\[: ]+)(?:\[(\d+)\])?: ?(.*)$", re.S)
TRADITIONAL = re.compile(r"^([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) (\S+) ([^\[: ]+)(?:\[(\d+)\])?: ?(.*)$", re.S)
SMTPD_TAG = re.compile(r"^postfix(-[^/]+)?(/[^/]+)?/smtpd$")
SYNTH = re.compile(r"^warning: ([A-Za-z0-9._-]+\[[0-9a-fA-F.:]+\]" + PORT + r"): authentication not enabled$")

tests = 0
failures = 0


def ok(cond, what, detail=""):
    global tests, failures
    tests += 1
    if cond:
        print("ok %d - %s" % (tests, what))
    else:
        failures += 1
        print("not ok %d - %s" % (tests, what))
        for line in detail.splitlines()[:40]:
            print("#   " + line)


def parse(line):
    m = RFC3339.match(line) or TRADITIONAL.match(line)
    if not m:
        return None
    ts, host, tag, pid, msg = m.groups()
    return {"ts": ts, "host": host, "tag": tag, "pid": pid, "msg": msg,
            "prefix": line[:len(line) - len(msg)]}


def is_smtpd(p):
    return p is not None and SMTPD_TAG.match(p["tag"]) is not None


def mask(msg):
    """What legitimately differs between two runs of the same traffic."""
    msg = re.sub(r"^[0-9A-F]{6,12}:", "QID:", msg)
    msg = re.sub(r"^[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]{10,16}:", "QID:", msg)
    msg = re.sub(r"queued as [0-9A-Za-z]+", "queued as QID", msg)
    msg = re.sub(r"delays?=[0-9./]+", "delay=X", msg)
    msg = re.sub(r"(\[[0-9A-Fa-f.:]+\]):\d{1,5}\b", r"\1:PORT", msg)	# source ports differ too
    return msg


def read_lines(path):
    with open(path, "rb") as f:
        data = f.read()
    return [l.decode("utf-8", "surrogateescape") for l in data.split(b"\n")[:-1]] if data else []


def log_path(data, name, tmp):
    """DATA/NAME.log, or DATA/NAME.log.xz decompressed into tmp."""
    path = os.path.join(data, name + ".log")
    if os.path.exists(path) or not os.path.exists(path + ".xz"):
        return path
    out = os.path.join(tmp, name + ".log")
    with lzma.open(path + ".xz", "rb") as f, open(out, "wb") as o:
        o.write(f.read())
    return out


def run_fold(authfold, log, conf, tmp, name):
    summary = os.path.join(tmp, name + ".summary")
    events = os.path.join(tmp, name + ".events")
    for p in (summary, events):
        if os.path.exists(p):
            os.unlink(p)
    r = subprocess.run([authfold, "replay", "-c", conf, "--summary", summary, "--events", events, log],
                       stderr=subprocess.PIPE)
    if r.returncode != 0:
        sys.stderr.write(r.stderr.decode(errors="replace"))
        raise SystemExit("authfold replay failed on %s (exit %d)" % (log, r.returncode))
    strikes = [json.loads(l) for l in read_lines(events)]
    return read_lines(summary), strikes


def smtpd_masked(lines):
    out = []
    for l in lines:
        p = parse(l)
        if is_smtpd(p):
            out.append(p["tag"] + ": " + mask(p["msg"]))
    return out


def diff(a, b):
    import difflib
    return "\n".join(list(difflib.unified_diff(a, b, "expected", "got", lineterm="", n=2))[:60])


def sessions_of(lines):
    """Map each line index to its session (host, tag, pid, n) and client."""
    open_ = {}
    n = 0
    out = []
    for l in lines:
        p = parse(l)
        sid = None
        if is_smtpd(p):
            key = (p["host"], p["tag"], p["pid"])
            m = re.match(r"^connect from (\S+\[[^\]]+\]" + PORT + r")$", p["msg"])
            if m:
                n += 1
                open_[key] = (key, n, m.group(1))
            sid = open_.get(key)
            if p["msg"].startswith("disconnect from "):
                open_.pop(key, None)
        out.append(sid)
    return out


def check_synthetic(lines, input_prefixes, label):
    """Synthetic lines: within their session, one per session, a real prefix."""
    sids = sessions_of(lines)
    per_session = {}
    bad = []
    for l, sid in zip(lines, sids):
        p = parse(l)
        if not is_smtpd(p):
            continue
        m = SYNTH.match(p["msg"])
        if not m:
            continue
        if sid is None or sid[2] != m.group(1):
            bad.append("outside its session: " + l)
        elif p["prefix"] not in input_prefixes:
            bad.append("prefix of no input line: " + l)
        else:
            per_session[sid] = per_session.get(sid, 0) + 1
    twice = [s for s, c in per_session.items() if c > 1]
    ok(not bad, "%s: synthetic lines sit inside their own session with an input line's prefix" % label, "\n".join(bad))
    ok(not twice, "%s: at most one synthetic line per session" % label, repr(twice))
    counts = {}
    for sid, c in per_session.items():
        addr = re.search(r"\[([^\]]+)\]", sid[2]).group(1)
        counts[addr] = counts.get(addr, 0) + c
    return counts


def strike_counts(strikes):
    counts = {}
    for e in strikes:
        if e.get("event") == "strike":
            k = (e["addr"], e["reason"])
            counts[k] = counts.get(k, 0) + 1
    return counts


def expected_from_tsv(path):
    exp = {}
    with open(path) as f:
        for row in f:
            cols = row.rstrip("\n").split("\t")
            if len(cols) < 4 or cols[0] in ("client", "#client") or row.startswith("#"):
                continue
            n, reason = int(cols[2]), cols[3]
            if n:
                exp[(cols[1], reason)] = exp.get((cols[1], reason), 0) + n
    return exp


def plain_rule(lines):
    """The auth=0/N rule, independently: (addr, reason) -> count, and the
    disconnect lines that must be preceded by a synthetic line."""
    open_ = {}
    counts = {}
    synth_before = set()
    for i, l in enumerate(lines):
        p = parse(l)
        if not is_smtpd(p):
            continue
        key = (p["host"], p["tag"], p["pid"])
        msg = p["msg"]
        if msg.startswith("connect from "):
            open_[key] = {"sasl": False, "struck": False}
            continue
        s = open_.get(key)
        m = re.match(r"^warning: (\S+)\[([^\]]+)\]" + PORT + r": SASL .* authentication failed", msg)
        if m and s is not None:
            s["sasl"] = True
            # an unoffered mechanism (badmech) is off by default; the
            # server's own failures never strike (saslreason(3))
            if re.search(r" authentication failed: (no mechanism available|Invalid authentication mechanism|"
                         r"Connection lost to authentication server|Can't connect to authentication server|"
                         r"generic failure|remote authentication server unavailable)(,|:|$)", msg):
                continue
            if not s["struck"]:
                s["struck"] = True
                counts[(m.group(2), "saslfail")] = counts.get((m.group(2), "saslfail"), 0) + 1
            continue
        m = re.match(r"^disconnect from (\S+)\[([^\]]+)\]" + PORT + r"((?: \S+)*)$", msg)
        if m:
            stats = dict(t.split("=", 1) for t in m.group(3).split() if "=" in t)
            auth = stats.get("auth", "")
            failed = 0
            if "/" in auth:
                a, b = auth.split("/")
                failed = int(b) - int(a)
            if (failed > 0 and "starttls" not in stats and ("ehlo" in stats or "helo" in stats)
                    and not (s and (s["sasl"] or s["struck"]))):
                counts[(m.group(2), "noauth")] = counts.get((m.group(2), "noauth"), 0) + 1
                synth_before.add(i)
            open_.pop(key, None)
    return counts, synth_before


def main():
    authfold, data, fmt0 = sys.argv[1:4]
    name = os.path.basename(os.path.normpath(data))
    fmt = fmt0 if name == "data" else name + " " + fmt0	# the TAP label
    expected = expected_from_tsv(os.path.join(data, "clients.tsv"))
    tmp = tempfile.mkdtemp(prefix="authfold-oracle.")
    verbose = log_path(data, "verbose.%s" % fmt0, tmp)
    plain = log_path(data, "plain.%s" % fmt0, tmp)
    conf = os.path.join(tmp, "authfold.conf")
    with open(conf, "w") as f:
        f.write("backend = none\nstate_dir = %s\n" % tmp)

    vin, pin = read_lines(verbose), read_lines(plain)
    ok(len(vin) > 500 and any(" < " in l or ": < " in l for l in vin), "%s: the verbose recording has a -v trace" % fmt)
    ok(not any(re.search(r"smtpd\[\d+\]: [<>] ", l) for l in pin), "%s: the plain recording has no -v trace" % fmt)

    # 1-4: fold(verbose)
    vout, vstrikes = run_fold(authfold, verbose, conf, tmp, "verbose-" + fmt0)
    without = [l for l in vout if not (is_smtpd(parse(l)) and SYNTH.match(parse(l)["msg"]))]
    got, want = smtpd_masked(without), smtpd_masked(pin)
    ok(got == want, "%s: fold(verbose) keeps exactly the smtpd lines of the plain log (%d lines)" % (fmt, len(want)),
       diff(want, got))
    others_in = [l for l in vin if not is_smtpd(parse(l))]
    others_out = [l for l in vout if not is_smtpd(parse(l))]
    ok(others_in == others_out, "%s: %d lines of other programs pass through byte for byte" % (fmt, len(others_in)),
       diff(others_in, others_out))
    prefixes = set(parse(l)["prefix"] for l in vin if parse(l))
    synth = check_synthetic(vout, prefixes, fmt + " verbose")
    exp_noauth = {a: n for (a, r), n in expected.items() if r == "noauth"}
    ok(synth == exp_noauth, "%s: one synthetic line per probing session of clients.tsv" % fmt,
       "expected %r\ngot      %r" % (exp_noauth, synth))
    got_strikes = strike_counts(vstrikes)
    ok(got_strikes == expected, "%s: strikes of fold(verbose) are those of clients.tsv" % fmt,
       "expected %r\ngot      %r" % (expected, got_strikes))
    struck = set(a for a, _ in got_strikes)
    innocent = set(re.findall(r"192\.0\.2\.9[5-9]", "\n".join(vin)))
    ok(innocent and not (struck & innocent), "%s: addresses named only in client text (%s) are never struck"
       % (fmt, " ".join(sorted(innocent))), repr(struck & innocent))

    # 5: fold(plain)
    pout, pstrikes = run_fold(authfold, plain, conf, tmp, "plain-" + fmt0)
    rule, synth_before = plain_rule(pin)
    want_lines = []
    for i, l in enumerate(pin):
        if i in synth_before:
            p = parse(l)
            client = re.match(r"^disconnect from (\S+\]" + PORT + ")", p["msg"]).group(1)
            want_lines.append(p["prefix"] + "warning: %s: authentication not enabled" % client)
        want_lines.append(l)
    ok(pout == want_lines, "%s: fold(plain) is the plain log plus a synthetic line before each probing disconnect"
       % fmt, diff(want_lines, pout))
    got_plain = strike_counts(pstrikes)
    ok(got_plain == rule, "%s: strikes of fold(plain) follow the auth=0/N rule" % fmt,
       "rule %r\ngot  %r" % (rule, got_plain))
    adjusted = dict(expected)
    for addr, reason in PLAIN_DIFFERS.items():
        n = sum(1 for l in pin if is_smtpd(parse(l)) and
                re.match(r"^connect from \S+\[%s\]" % re.escape(addr) + PORT + "$", parse(l)["msg"]))
        adjusted[(addr, reason)] = adjusted.get((addr, reason), 0) + n
    ok(rule == adjusted, "%s: the plain log's strikes are clients.tsv's, but for the documented ambiguity" % fmt,
       "expected %r\nrule     %r" % (adjusted, rule))

    # 6: two hosts, colliding pids, interleaved in blocks of 7 lines
    other = []
    for l in vin:
        p = parse(l)
        other.append(l if p is None else l.replace(" %s " % p["host"], " mx2 ", 1))
    mixed = []
    for i in range(0, max(len(vin), len(other)), 7):
        mixed += vin[i:i + 7] + other[i:i + 7]
    mixed_path = os.path.join(tmp, "mixed.log")
    with open(mixed_path, "wb") as f:
        f.write(("\n".join(mixed) + "\n").encode("utf-8", "surrogateescape"))
    mout, mstrikes = run_fold(authfold, mixed_path, conf, tmp, "mixed-" + fmt0)
    host1 = [l for l in mout if parse(l) is None or parse(l)["host"] != "mx2"]
    host2 = [l for l in mout if parse(l) and parse(l)["host"] == "mx2"]
    want2 = []
    for l in vout:
        p = parse(l)
        if p is not None:
            want2.append(l.replace(" %s " % p["host"], " mx2 ", 1))
    ok(host1 == vout, "%s: interleaved with a second host, the first host folds as alone" % fmt, diff(vout, host1))
    ok(host2 == want2, "%s: and so does the second host, whose pids collide" % fmt, diff(want2, host2))
    doubled = {k: 2 * v for k, v in expected.items()}
    ok(strike_counts(mstrikes) == doubled, "%s: interleaved, each host's probing sessions strike once" % fmt,
       "expected %r\ngot      %r" % (doubled, strike_counts(mstrikes)))

    print("1..%d" % tests)
    subprocess.run(["rm", "-rf", tmp])
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

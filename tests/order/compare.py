#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Compare two replays of the same lines: compare.py A.summary A.events B.summary B.events

Equal means: the summaries hold the same lines as multisets (kept lines and
synthetic lines, byte for byte: a synthetic line carries its proving line's
prefix, so this is "one per session, the right one"), the strike events are
the same multiset of (reason, address, client, host, tag, pid), and the same
networks were banned the same number of times, for as long.

A strike's time is that of the session's first evidence to arrive: when a
session has several (two SASL failures, two 503 replies) and the later one
arrives first, the strike and the synthetic line carry the later time
(authfold(8), ORDER). So times are not compared for strikes, and with
--input IN (the lines replayed) a synthetic line may carry the prefix of
another proving line of its client on its process (a 503 reply or its
disconnect) than in order: synthetic lines are compared as a multiset per
(host, tag, pid, client), each with a real proving line of IN; without
--input, byte for byte.
Prints the differences and exits 1 when there are any. --slack N first
(a run with N kills: rsyslog resends the line in flight, whose outputs may
already be written) lets N summary lines, N strikes and N bans more than in
order pass, never one less.

With --bounded (one-second timestamps, fine-grained shuffles, where
authfold(8) ORDER documents what stays ambiguous) only the kept lines must
be the same multiset; the evidence that differs is printed and counted
(missed strikes, and addresses with more strikes, bans or synthetic lines
than in order), not failed.
"""
import collections
import json
import re
import sys


def summary(path):
    return collections.Counter(open(path, "rb").read().split(b"\n"))


def events(path):
    strikes, bans = collections.Counter(), collections.Counter()
    for raw in open(path, "rb"):
        e = json.loads(raw)
        if e.get("event") == "strike":
            strikes[(e["reason"], e["addr"], e["client"], e["host"], e["tag"], e["pid"])] += 1
        elif e.get("event") == "ban":
            bans[(e["addr"], e["prefix"], e["seconds"])] += 1
    return strikes, bans


# --slack N: this many more summary lines, strikes and bans (each) than in
# order are no difference
SLACK = {"line": 0, "strike": 0, "ban": 0}
BUDGET = {"summary line": "line", "kept line": "line", "synthetic lines of": "line",
          "strike": "strike", "bans of": "ban"}


def diff(what, a, b):
    bad = 0
    budget = BUDGET.get(what)
    for k in sorted(set(a) | set(b), key=repr):
        if a[k] != b[k]:
            if bad < 10:
                print("%s: %r: %d in order, %d reordered" % (what, k, a[k], b[k]))
            if budget and b[k] > a[k] and SLACK[budget] >= b[k] - a[k]:
                SLACK[budget] -= b[k] - a[k]
                continue
            bad += 1
    return bad


SYNTHETIC = b": authentication not enabled"


# NAME[ADDR], or NAME[ADDR]:PORT with smtpd_client_port_logging = yes
SYNTHETIC_LINE = re.compile(rb"^.* \S+ \S+\[\d+\]: warning: [^\s\[\]]+\[[0-9A-Fa-f.:]+\](?::\d+)?: authentication not enabled$")


def split(counter):
    kept = collections.Counter({k: v for k, v in counter.items() if not SYNTHETIC_LINE.match(k)})
    synth = collections.Counter({k: v for k, v in counter.items() if SYNTHETIC_LINE.match(k)})
    return kept, synth


def per_client(synth):
    # "... warning: NAME[ADDR]: authentication not enabled" -> NAME[ADDR]
    out = collections.Counter()
    for k, v in synth.items():
        out[k.rsplit(b" warning: ", 1)[-1]] += v
    return out


def more(what, a, b):
    bad = 0
    for k in sorted(set(a) | set(b), key=repr):
        if b[k] > a[k]:
            print("%s: %r: %d in order, %d reordered (more)" % (what, k, a[k], b[k]))
            bad += 1
    return bad


args = sys.argv[1:]
if args[0] == "--slack":
    SLACK = dict.fromkeys(SLACK, int(args[1]))
    args = args[2:]
bounded = args[0] == "--bounded"
if bounded:
    args = args[1:]
proving = None
if args[0] == "--input":
    # every (prefix, client) a synthetic line may take: 503 replies and disconnects
    proving = set()
    for raw in open(args[1], "rb"):
        raw = raw.rstrip(b"\n")
        m = re.match(rb"^(\S+ \S+ \S+\[\d+\]: )(?:> (\S+\[[^\]]+\](?::\d+)?): 503 5\.5\.1 Error: "
                     rb"authentication not enabled|disconnect from (\S+\[[^\]]+\](?::\d+)?))", raw)
        if m:
            proving.add((m.group(1), m.group(2) or m.group(3)))
    args = args[2:]
sa, ea, sb, eb = args[:4]
strikes_a, bans_a = events(ea)
strikes_b, bans_b = events(eb)
if bounded:
    kept_a, synth_a = split(summary(sa))
    kept_b, synth_b = split(summary(sb))
    bad = diff("kept line", kept_a, kept_b)
    extra = more("synthetic lines of", per_client(synth_a), per_client(synth_b))
    extra += more("strike", strikes_a, strikes_b)
    bans_a2 = collections.Counter({k[:2]: 0 for k in bans_a})
    for k, v in bans_a.items():
        bans_a2[k[:2]] += v
    bans_b2 = collections.Counter()
    for k, v in bans_b.items():
        bans_b2[k[:2]] += v
    extra += more("bans of", bans_a2, bans_b2)
    missed = sum((strikes_a - strikes_b).values())
    print("%d strikes in order, %d missed and %d addresses over reordered: %s" % (
        sum(strikes_a.values()), missed, extra, "same" if bad == 0 and missed == 0 and extra == 0
        and synth_a == synth_b else "kept lines the same" if bad == 0 else "%d kept lines differ" % bad))
    sys.exit(1 if bad else 0)
if proving is None:
    bad = diff("summary line", summary(sa), summary(sb))
else:
    kept_a, synth_a = split(summary(sa))
    kept_b, synth_b = split(summary(sb))
    bad = diff("kept line", kept_a, kept_b)

    def who(line):	# "TS HOST TAG[PID]: warning: CLIENT: ..." -> (HOST TAG[PID], CLIENT)
        head, client = line.split(b": warning: ", 1)
        return b" ".join(head.rsplit(b" ", 2)[-2:]), client[:-len(SYNTHETIC)]

    bad += diff("synthetic lines of", collections.Counter({who(k): 0 for k in synth_a}) + collections.Counter(
        [who(k) for k, v in synth_a.items() for _ in range(v)]), collections.Counter(
        [who(k) for k, v in synth_b.items() for _ in range(v)]))
    for k in synth_b:
        head, client = k.split(b"warning: ", 1)
        if (head, client[:-len(SYNTHETIC)]) not in proving:
            print("synthetic line with no proving line: %r" % k)
            bad += 1
bad += diff("strike", strikes_a, strikes_b)
bad += diff("bans of", bans_a, bans_b)
print("%d strikes, %d bans in order: %s" % (sum(strikes_a.values()), sum(bans_a.values()),
                                              "same" if bad == 0 else "%d differences" % bad))
sys.exit(1 if bad else 0)

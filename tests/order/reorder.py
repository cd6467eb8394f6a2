#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Reorder a log the way rsyslog's queues hand lines over after a backlog.

  reorder.py MODE SEED IN OUT

MODE is one of
  interleave  a disk-assisted queue that spilled drains its disk part (older
              lines) and its memory part (newer lines) at the same time: two
              adjacent ranges of the stream come out interleaved, in chunks
              of random sizes (bench/omprog/order.sh measured this);
  fine        the same in chunks of 1 to 8 lines, as tests/rsyslog/spill.sh
              saw a real rsyslogd 8.2302 do it;
  jumpback    a block of lines comes after many later ones (the measured
              jumps back of up to 424,574 lines);
  mixed       several of both, one after the other;
  shuffle     short-range disorder: every line moves up to 50 places
              (a memory queue with several workers);
  straddle    as fine, with the two parts the whole log split inside a
              session that is no probe although its statistics say auth=0/1
              with an EHLO (AUTH before EHLO: "send HELO/EHLO first"), just
              before its disconnect, at its SEED-th occurrence: the
              disconnect comes minutes of log time before its connect and
              its trace (the spill that tests/rsyslog/spill.sh once caught).
Every line of IN is in OUT exactly once; only the order changes. The same
SEED gives the same order.
"""
import random
import sys


def interleave(lines, rnd, a, b, c, chunk=None):
    old, new = lines[a:b], lines[b:c]
    out, i, j = [], 0, 0
    while i < len(old) or j < len(new):
        take_old = j >= len(new) or (i < len(old) and rnd.random() < 0.5)
        n = rnd.randint(1, chunk or max(1, (c - a) // 8))
        if take_old:
            out += old[i:i + n]
            i += n
        else:
            out += new[j:j + n]
            j += n
    return lines[:a] + out + lines[c:]


def jumpback(lines, rnd, a, b, c):
    # [a, b) comes after [b, c)
    return lines[:a] + lines[b:c] + lines[a:b] + lines[c:]


def points(rnd, n):
    a = rnd.randrange(0, max(1, n - 2))
    c = rnd.randrange(a + 2, n + 1) if a + 2 <= n else n
    b = rnd.randrange(a + 1, c) if a + 1 < c else a
    return a, b, c


def main():
    mode, seed, src, dst = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    rnd = random.Random(seed)
    lines = open(src, "rb").read().split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    n = len(lines)
    if mode == "interleave":
        lines = interleave(lines, rnd, *points(rnd, n))
    elif mode == "fine":
        lines = interleave(lines, rnd, *points(rnd, n), chunk=8)
    elif mode == "jumpback":
        lines = jumpback(lines, rnd, *points(rnd, n))
    elif mode == "mixed":
        for _ in range(4):
            f = interleave if rnd.random() < 0.5 else jumpback
            lines = f(lines, rnd, *points(rnd, n))
    elif mode == "straddle":
        at = [i for i, l in enumerate(lines) if b"Error: send HELO/EHLO first" in l]
        if not at:
            sys.exit("reorder.py: no 'send HELO/EHLO first' reply in " + src)
        i = at[(seed - 1) % len(at)]
        while i < n and b"]: disconnect from " not in lines[i]:
            i += 1
        lines = interleave(lines, rnd, 0, i, n, chunk=8)
    elif mode == "shuffle":
        keyed = [(i + rnd.uniform(0, 50), l) for i, l in enumerate(lines)]
        lines = [l for _, l in sorted(keyed, key=lambda x: x[0])]
    else:
        sys.exit("reorder.py: unknown mode " + mode)
    assert len(lines) == n
    open(dst, "wb").write(b"\n".join(lines) + b"\n")


main()

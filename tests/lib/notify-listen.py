#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""tests/lib/notify-listen.py SOCKET FILE: a NOTIFY_SOCKET for sd_notify
tests. Binds the unix datagram socket SOCKET and appends each message to
FILE as one line (its newlines as '|'), flushed at once; exits after a
message with STOPPING=1. Used by tests/journal/notify.sh and tests/e2e."""
import socket
import sys

s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a") as f:
    while True:
        d = s.recv(65536).decode(errors="replace")
        f.write(d.replace("\n", "|") + "\n")
        f.flush()
        if "STOPPING=1" in d:
            break

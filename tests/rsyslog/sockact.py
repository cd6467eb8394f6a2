#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# sockact.py PATH CMD...: what systemd does for Debian's syslog.socket and
# rsyslog.service, for tests: bind a datagram unix socket at PATH (mode
# 0666, SO_PASSCRED, an 8 MiB receive buffer, as syslog.socket says), then
# exec CMD with it as fd 3 and LISTEN_FDS=1, LISTEN_PID=its own pid
# (socket activation, sd_listen_fds(3)).
import os
import socket
import sys

if len(sys.argv) < 3:
    sys.exit("usage: sockact.py PATH CMD...")
path = sys.argv[1]
try:
    os.unlink(path)
except FileNotFoundError:
    pass
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o666)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
if s.fileno() != 3:
    os.dup2(s.fileno(), 3)
    s.close()
os.set_inheritable(3, True)
os.environ['LISTEN_FDS'] = '1'
os.environ['LISTEN_PID'] = str(os.getpid())
os.environ.pop('LISTEN_FDNAMES', None)
os.execvp(sys.argv[2], sys.argv[2:])

# SPDX-License-Identifier: GPL-2.0-or-later
"""The TAP lines of tests/why/*.py: check(), skip(), finish()."""
n = 0
failed = 0


def check(ok, what):
    """One check: "ok N - WHAT" or "not ok N - WHAT"; returns ok."""
    global n, failed
    n += 1
    if not ok:
        failed += 1
    print(("ok" if ok else "not ok") + " %d - %s" % (n, what), flush=True)
    return ok


def skip(what):
    global n
    n += 1
    print("ok %d # SKIP %s" % (n, what), flush=True)


def finish():
    """The plan line; the exit status (1 when a check failed)."""
    print("1..%d" % n)
    return 1 if failed else 0

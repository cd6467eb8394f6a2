#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/why/metrics.sh - metrics_file of both daemons: see metrics.py.
: "${top_srcdir:=.}"
: "${top_builddir:=.}"
export top_srcdir top_builddir
[ -x "$top_builddir/authfold" ] && [ -x "$top_builddir/authfold-omprog" ] || { echo "FAIL: not built"; exit 1; }
exec python3 "$top_srcdir/tests/why/metrics.py"

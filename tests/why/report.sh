#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/why/report.sh - the report's hourly table and top offenders: see report.py.
: "${top_srcdir:=.}"
: "${top_builddir:=.}"
export top_srcdir top_builddir
[ -x "$top_builddir/authfold" ] || { echo "FAIL: not built"; exit 1; }
exec python3 "$top_srcdir/tests/why/report.py"

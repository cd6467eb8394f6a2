#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/why/hostile.sh - authfold why on broken and hostile logs: see hostile.py.
: "${top_srcdir:=.}"
: "${top_builddir:=.}"
export top_srcdir top_builddir
[ -x "$top_builddir/authfold" ] || { echo "FAIL: $top_builddir/authfold is not built"; exit 1; }
exec python3 "$top_srcdir/tests/why/hostile.py"

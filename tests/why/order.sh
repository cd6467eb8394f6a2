#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/why/order.sh - authfold why on summaries written in any order: see order.py.
: "${top_srcdir:=.}"
: "${top_builddir:=.}"
export top_srcdir top_builddir
[ -x "$top_builddir/authfold" ] || { echo "FAIL: $top_builddir/authfold is not built"; exit 1; }
exec python3 "$top_srcdir/tests/why/order.py"

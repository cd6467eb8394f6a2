#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/why/story.sh - authfold why on the recordings: see story.py.
: "${top_srcdir:=.}"
: "${top_builddir:=.}"
export top_srcdir top_builddir
[ -x "$top_builddir/authfold" ] || { echo "FAIL: $top_builddir/authfold is not built"; exit 1; }
python3 -c 'import jsonschema' 2>/dev/null || { echo "SKIP: no python3-jsonschema"; exit 77; }
exec python3 "$top_srcdir/tests/why/story.py"

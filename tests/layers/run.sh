#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/layers/run.sh - the include graph of src/ and plugin/ keeps DESIGN.md's
# layers (util < core, backend < service < cmd < plugin): layers.py fails,
# naming file:line, on an upward #include "..." or an include cycle between
# modules (also inside one layer).  The build holds the layers too (each
# layer library has only its own folder and the ones below on its include
# path); this test adds the cycles, which the include path cannot see.
# Self-check first: in a copy of the tree, a planted upward edge, a planted
# cycle inside core and a planted cycle inside cmd must each fail with the
# planted file:line, so the test can fail.  No root, a second or so.
set -u
: "${top_srcdir:=.}"
py=$top_srcdir/tests/layers/layers.py
command -v python3 >/dev/null 2>&1 || { echo "SKIP: no python3"; exit 77; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0

# plant LABEL FILE AFTER_LINE_REGEX INCLUDE EXPECT: a copy whose FILE has
# #include "INCLUDE" after the first line matching the regex must fail
# with a finding that names FILE:N (N the planted line) and EXPECT (a cycle's
# one finding names every edge of it).
plant() {
	rm -rf "$tmp/t" && mkdir -p "$tmp/t" && cp -R "$top_srcdir/src" "$top_srcdir/plugin" "$tmp/t/" || exit 1
	n=$(grep -n -m1 -e "$3" "$tmp/t/$2" | cut -d: -f1)
	[ -n "$n" ] || { echo "FAIL: self-check $1: no line matching '$3' in $2"; fail=1; return; }
	sed -i "${n}a #include \"$4\"" "$tmp/t/$2"
	n=$((n + 1))
	if python3 "$py" "$tmp/t" >"$tmp/out" 2>&1; then
		echo "FAIL: self-check $1: layers.py passed a tree with #include \"$4\" at $2:$n"
		fail=1
	elif ! grep -F "$2:$n" "$tmp/out" | grep -q -e "$5"; then
		echo "FAIL: self-check $1: no finding '$2:$n: ... $5'; layers.py said:"
		sed 's/^/  /' "$tmp/out"
		fail=1
	else
		echo "ok: self-check $1: $(grep -F "$2:$n" "$tmp/out" | head -1)"
	fi
}
plant "upward util -> core" src/util/addr.c '^#include "addr.h"' engine.h 'upward edge util -> core'
plant "upward core -> backend" src/core/engine.c '^#include "engine.h"' ipset.h 'upward edge core -> backend'
plant "backend -> core" src/backend/nft.c '^#include "nft.h"' config.h 'upward edge backend -> core'
plant "cycle in core" src/core/config.h '^#include "addr.h"' policy.h 'include cycle core/config -> core/policy -> core/config'
plant "cycle in cmd" src/cmd/why_story.h '^#include "addr.h"' why.h 'include cycle cmd/why -> cmd/why_story -> cmd/why'
plant "unknown header" src/service/state.c '^#include "state.h"' nowhere.h 'not a header of a layer folder'

# the tree itself
if python3 "$py" "$top_srcdir" >"$tmp/out" 2>&1; then
	cat "$tmp/out"
else
	echo "FAIL: the include graph breaks the layers (DESIGN.md):"
	cat "$tmp/out"
	fail=1
fi
exit $fail

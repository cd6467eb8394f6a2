#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/synopsis.sh - every function declared in a src/**/*.h is named in the
# SYNOPSIS of the manual-page comment of its .c (STYLE.md), and the check
# itself still finds a missing one (a module with a name taken out of a copy).
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=${srcdir:-$here/..}/src
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 is missing"; exit 77; }

python3 "$here/synopsis.py" "$src" || { echo "FAIL: the functions above are not in their module's SYNOPSIS"; exit 1; }

# the check can fail: a copy of addr without cidr_parse in its SYNOPSIS
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/util"
cp "$src/util/addr.h" "$tmp/util/addr.h"
grep -v '^ \*	int	cidr_parse(' "$src/util/addr.c" > "$tmp/util/addr.c"
out=$(python3 "$here/synopsis.py" "$tmp")
if [ $? -eq 0 ] || ! printf '%s\n' "$out" | grep -q 'cidr_parse'; then
	echo "FAIL: synopsis.py did not notice cidr_parse missing from a SYNOPSIS: $out"
	exit 1
fi
echo "PASS: every public function is in its SYNOPSIS, and a missing one is found"

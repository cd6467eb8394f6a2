#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The plain-log oracle on every real Postfix recording, both timestamp formats.
# A recording is a directory with verbose.{rfc3339,traditional}.log,
# plain.{rfc3339,traditional}.log (or the same .log.xz) and clients.tsv:
# tests/data itself (Postfix 3.7, tests/fixtures/record.sh) and each
# subdirectory of it that has them (tests/data/postfix-3.7-port: record.sh
# --port-logging --rounds 11 --xz; tests/data/pf310 and pf310-port: Postfix
# 3.10 of Debian 13, record.sh --trixie [--port-logging]). Add one by recording into a new
# subdirectory of tests/data; Makefile.am's EXTRA_DIST takes all of
# tests/data.
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
command -v python3 >/dev/null || { echo "python3 missing"; exit 77; }
status=0
n=0
for dir in "$top_srcdir/tests/data" "$top_srcdir"/tests/data/*/; do
	[ -f "$dir/verbose.rfc3339.log" ] || [ -f "$dir/verbose.rfc3339.log.xz" ] || continue
	n=$((n + 1))
	for fmt in rfc3339 traditional; do
		TZ=UTC python3 "$top_srcdir/tests/oracle/oracle.py" "$top_builddir/authfold" "$dir" "$fmt" || status=1
	done
done
[ "$n" -gt 0 ] || { echo "no recording under $top_srcdir/tests/data"; exit 1; }
echo "# $n recording(s)"
exit $status

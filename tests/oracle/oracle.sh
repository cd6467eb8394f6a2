#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The plain-log oracle on every real Postfix recording, both timestamp formats:
# tests/data (Postfix 3.7, Debian 12) and each tests/data/*/ that holds a
# recording (tests/data/pf310: Postfix 3.10 of Debian 13; pf310-port: the
# same with smtpd_client_port_logging = yes; see tests/fixtures/record.sh).
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
command -v python3 >/dev/null || { echo "python3 missing"; exit 77; }
status=0
sets=0
for dir in "$top_srcdir/tests/data" "$top_srcdir"/tests/data/*; do
	[ -f "$dir/verbose.rfc3339.log" ] || continue
	sets=$((sets + 1))
	for fmt in rfc3339 traditional; do
		echo "# recording ${dir#"$top_srcdir/"}, $fmt"
		TZ=UTC python3 "$top_srcdir/tests/oracle/oracle.py" "$top_builddir/authfold" "$dir" "$fmt" || {
			echo "# FAILED: the oracle on ${dir#"$top_srcdir/"} ($fmt)"
			status=1
		}
	done
done
[ "$sets" -gt 0 ] || { echo "no recording found under $top_srcdir/tests/data"; exit 1; }
echo "# $sets recordings"
exit $status

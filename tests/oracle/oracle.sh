#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The plain-log oracle on the real Postfix recordings, both timestamp formats.
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
command -v python3 >/dev/null || { echo "python3 missing"; exit 77; }
status=0
for fmt in rfc3339 traditional; do
	TZ=UTC python3 "$top_srcdir/tests/oracle/oracle.py" "$top_builddir/authfold" "$top_srcdir/tests/data" "$fmt" || status=1
done
exit $status

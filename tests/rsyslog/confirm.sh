#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# rsyslog -> authfold-omprog with the snippet as shipped (confirmMessages on,
# no transactions, RSYSLOG_FileFormat): the summary and the strikes equal
# those of `authfold replay` of the same lines. Also checks that rsyslog
# writes the frames of send.py back as the recorded lines, so the other
# tests really feed what Postfix logged.
. "$(dirname "$0")/lib.sh"

new_run confirm
expect
start_rsyslog
send --sentinel end-of-test
wait_for end-of-test
stop_rsyslog

# The echo: rsyslog's own rendering of what we sent is the recorded text.
grep -v -e ' postfix/authfold-test\[1\]: ' -e ' rsyslogd[:\[]' -e ' rsyslogd-[0-9]*:' "$W/all.log" >"$W/echo.log"
if head -c 4 "$DATA" | grep -q '^[0-9]'; then
    diff -u "$DATA" "$W/echo.log" >"$W/echo.diff" ||
        { head -n 20 "$W/echo.diff" >&2; fail "rsyslog does not write back the recorded lines"; }
fi
compare_exact
grep -q . "$W/omprog.err" 2>/dev/null && { say "diagnostics of authfold-omprog:"; cat "$W/omprog.err" >&2; }
exit 0

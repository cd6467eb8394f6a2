#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/hostile/longline.sh - 1 MiB lines through `authfold replay`.
#
# A line that is not smtpd's (another program's, or not syslog at all) is
# passed through byte for byte however long it is; an smtpd line that a
# non-verbose Postfix writes is kept whole; an smtpd -v chatter line of
# 1 MiB is dropped whole, and the lines around it stay in sync.

. "$(dirname "$0")/lib.sh"

P='2026-11-26T18:46:35.318738+00:00 mx1'
big() {	# big CHAR: 1 MiB of CHAR
	head -c 1048576 /dev/zero | tr '\0' "$1"
}

{
	printf '%s postfix/smtpd[1]: connect from unknown[192.0.2.7]\n' "$P"
	printf '%s kernel: ' "$P"; big A; printf '\n'			# other program: pass
	big B; printf '\n'						# not syslog: pass
	printf '%s postfix/smtpd[1]: match_list_match: ' "$P"; big C; printf '\n'	# chatter: drop
	printf '%s postfix/smtpd[1]: NOQUEUE: reject: RCPT from unknown[192.0.2.7]: 554 x; from=<' "$P"; big D; printf '>\n'	# kept
	printf '%s postfix/smtpd[1]: < unknown[192.0.2.7]: AUTH LOGIN ' "$P"; big E; printf '\n'	# trace: drop
	printf '%s postfix/smtpd[1]: > unknown[192.0.2.7]: 503 5.5.1 Error: authentication not enabled\n' "$P"
	printf '%s postfix/smtpd[1]: disconnect from unknown[192.0.2.7] ehlo=1 auth=0/1 quit=1 commands=2/3\n' "$P"
	printf '%s postfix/smtpd[1]: < unknown[192.0.2.7]: ' "$P"; big F	# overlong last line, no newline: drop
} >"$tmp/in.log"

{
	printf '%s postfix/smtpd[1]: connect from unknown[192.0.2.7]\n' "$P"
	printf '%s kernel: ' "$P"; big A; printf '\n'
	big B; printf '\n'
	printf '%s postfix/smtpd[1]: NOQUEUE: reject: RCPT from unknown[192.0.2.7]: 554 x; from=<' "$P"; big D; printf '>\n'
	printf '%s postfix/smtpd[1]: warning: unknown[192.0.2.7]: authentication not enabled\n' "$P"
	printf '%s postfix/smtpd[1]: disconnect from unknown[192.0.2.7] ehlo=1 auth=0/1 quit=1 commands=2/3\n' "$P"
} >"$tmp/want.log"

"$authfold" replay -c /dev/null --events "$tmp/events" "$tmp/in.log" >"$tmp/out.log" 2>"$tmp/report"
status=$?
[ $status -eq 0 ] || fail "exit status $status"
if cmp -s "$tmp/out.log" "$tmp/want.log"; then
	echo "ok: summary as expected ($(wc -c <"$tmp/out.log") bytes)"
else
	fail "summary differs: $(cmp "$tmp/out.log" "$tmp/want.log" 2>&1)"
fi
grep -q '^Lines: 9 read' "$tmp/report" || fail "report: lines read"
grep -q ' 6 overlong lines' "$tmp/report" || fail "report: 6 overlong lines"
grep -q 'folded away: 4, kept: 3, passed through: 2, synthetic added: 1' "$tmp/report" || fail "report: fold counters"
grep -q '^Strikes: 1 noauth' "$tmp/report" || fail "report: strikes"
[ "$(grep -c '"event":"strike"' "$tmp/events")" = 1 ] || fail "events: one strike"
[ $failed = 0 ] || { cat "$tmp/report"; exit 1; }
echo "PASS"

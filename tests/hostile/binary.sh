#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/hostile/binary.sh - NUL bytes, invalid UTF-8, truncated and garbage
# lines through `authfold replay`: no crash, exit 0, every line that is not
# -v chatter comes out byte for byte, the events log stays valid JSON.

. "$(dirname "$0")/lib.sh"

P='2026-11-26T18:46:35.318738+00:00 mx1'
S="$P postfix/smtpd[9]:"
# Each line: K (kept or passed, in the summary) or D (dropped), then the bytes
# (printf format: \000 is NUL, \377 an invalid UTF-8 byte).
cat >"$tmp/table" <<'TABLE'
K	$S connect from unknown[192.0.2.9]
K	$S warning: unknown[192.0.2.9]: SASL LOGIN authentication failed: \000\377\376\300\257
D	$S < unknown[192.0.2.9]: EHLO \000\001\033[31m\377
D	$S > unknown[192.0.2.9]: 250-\355\240\200
D	$S match_list_match: \377\000
K	$S NOQUEUE: reject: RCPT from unknown[192.0.2.9]: 554 5.7.1 <\377@\000>: Relay access denied; from=<\300\257> to=<x@y>
K	$S disconnect from unknown[192.0.2.9] ehlo=1 auth=0/1 quit=1 commands=2/3
K	\000\000\000
K	\377\376\375
K	
K	   
K	$P
K	$P postfix/smtpd[9
K	$P postfix/smtpd[9]
K	2026-11-26T18:46:35.318738+00:0
K	2026-11-26T18:46
K	Nov 26 18:4
K	$P postfix/smtpd[12a]: connect from unknown[192.0.2.10]
K	$P \377\376 postfix/smtpd[9]: hello
K	$P kernel\000: x
K	$P postfix/smtpd\000[9]: connect from unknown[192.0.2.11]
K	$S connect from unknown[192.0.2.1\0002]
K	$S connect from unknown[192.0.2.13\000]
D	$S \000connect from unknown[192.0.2.14]
K	$S disconnect from unknown[\377] ehlo=1 auth=0/1
K	$S warning: unknown[192.0.2.15\000]: SASL LOGIN authentication failed
K	$P postfix/smtpd[9]: warning: \377[192.0.2.16]: SASL LOGIN authentication failed
K	$S connect from unknown[192.0.2.17]
D	$S < unknown[192.0.2.17]: AUTH \377
D	$S > unknown[192.0.2.17]: 503 5.5.1 Error: authentication not enabled
K	$S disconnect from unknown[192.0.2.17] ehlo=1 auth=0/1 quit=1 commands=2/3
TABLE

: >"$tmp/in.log"
: >"$tmp/want.log"
while IFS='	' read -r kind fmt; do
	fmt=$(printf '%s' "$fmt" | sed -e "s|\\\$S|$S|" -e "s|\\\$P|$P|")
	# shellcheck disable=SC2059
	printf "$fmt\\n" >>"$tmp/in.log"
	# shellcheck disable=SC2059
	[ "$kind" = K ] && printf "$fmt\\n" >>"$tmp/want.log"
	case $fmt in
	*'503 5.5.1 Error: authentication not enabled') printf '%s warning: unknown[192.0.2.17]: authentication not enabled\n' "$S" >>"$tmp/want.log";;
	esac
done <"$tmp/table"
printf '%s postfix/smtpd[9]: < unknown[192.0.2.17]: QUI' "$P" >>"$tmp/in.log"	# truncated last line, no newline

"$authfold" replay -c /dev/null --events "$tmp/events" "$tmp/in.log" >"$tmp/out.log" 2>"$tmp/report"
status=$?
[ $status -eq 0 ] || fail "exit status $status"
if cmp -s "$tmp/out.log" "$tmp/want.log"; then
	echo "ok: summary byte for byte ($(wc -l <"$tmp/out.log") lines)"
else
	fail "summary differs"
	cmp "$tmp/out.log" "$tmp/want.log"
	diff "$tmp/out.log" "$tmp/want.log" | od -c | head -20
fi
# strikes: 192.0.2.9 (saslfail), 192.0.2.17 (noauth), nobody else
got=$(sed -n 's/.*"addr":"\([^"]*\)".*/\1/p' "$tmp/events" | sort | tr '\n' ' ')
[ "$got" = "192.0.2.17 192.0.2.9 " ] || fail "events name '$got', want 192.0.2.17 192.0.2.9"
grep -q '^Strikes: 1 noauth, 1 saslfail' "$tmp/report" || fail "report: strikes"
if command -v python3 >/dev/null 2>&1; then
	python3 -c 'import json, sys
for line in open(sys.argv[1], "rb"):
    json.loads(line.decode("utf-8", "strict"))' "$tmp/events" || fail "events log is not valid JSON"
fi
[ $failed = 0 ] || { cat "$tmp/report"; exit 1; }
echo "PASS"

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/hostile/forged.sh - client-controlled text that imitates Postfix's
# own lines (in EHLO, MAIL FROM, AUTH arguments, reject lines, other
# programs' lines, another host's sessions): `authfold replay --ban` with
# backend none and maxretry 1 strikes and bans only the sessions' own
# clients, and never an address the text names.

. "$(dirname "$0")/lib.sh"

printf 'backend = none\nmaxretry = 1\n' >"$tmp/conf"
T='2026-11-26T18:46:35.318738+00:00'
A="$T mx1 postfix/smtpd[100]:"		# attacker session: 203.0.113.30
B="$T mx1 postfix/smtpd[200]:"		# an innocent session: 198.51.100.20
V='192.0.2.99'				# the victim the forged text names
cat >"$tmp/in.log" <<LOG
$A connect from unknown[203.0.113.30]
$B connect from mail.example.org[198.51.100.20]
$A < unknown[203.0.113.30]: EHLO connect from unknown[$V]
$A < unknown[203.0.113.30]: EHLO x
$A > unknown[203.0.113.30]: 250-mx1
$A < unknown[203.0.113.30]: MAIL FROM:<"warning: unknown[$V]: SASL LOGIN authentication failed"@x>
$A NOQUEUE: reject: RCPT from unknown[203.0.113.30]: 554 5.7.1 <x@y>: Relay access denied; from=<"connect from unknown[$V]"@x> to=<x@y> proto=ESMTP helo=<disconnect from unknown[$V] ehlo=1 auth=0/1>
$A < unknown[203.0.113.30]: RSET > unknown[$V]: 503 5.5.1 Error: authentication not enabled
$A > unknown[$V]: 503 5.5.1 Error: authentication not enabled
$A warning: non-SMTP command from unknown[203.0.113.30]: disconnect from unknown[$V] ehlo=1 auth=0/1 commands=1/2
$A improper command pipelining after EHLO from unknown[203.0.113.30]: connect from unknown[$V]\r\n
$B < mail.example.org[198.51.100.20]: AUTH LOGIN
$A < unknown[203.0.113.30]: AUTH LOGIN
$B > mail.example.org[198.51.100.20]: 235 2.7.0 Authentication successful
$A > unknown[203.0.113.30]: 503 5.5.1 Error: authentication not enabled
$T mx1 postfix/cleanup[300]: warning: unknown[$V]: SASL LOGIN authentication failed
$T mx1 postfix/smtp[301]: disconnect from unknown[$V] ehlo=1 auth=0/1 quit=1 commands=2/3
$T mx1 sshd[302]: postfix/smtpd[100]: connect from unknown[$V]
$T mx1 logger: $A > unknown[$V]: 503 5.5.1 Error: authentication not enabled
$T mx2 postfix/smtpd[100]: > unknown[$V]: 503 5.5.1 Error: authentication not enabled
$A disconnect from unknown[203.0.113.30] ehlo=1 mail=1 rcpt=0/1 auth=0/1 rset=1 unknown=0/1 commands=3/6
$B disconnect from mail.example.org[198.51.100.20] ehlo=1 auth=1 quit=1 commands=3
LOG

"$authfold" replay -c "$tmp/conf" --ban --events "$tmp/events" "$tmp/in.log" >"$tmp/out.log" 2>"$tmp/report"
status=$?
[ $status -eq 0 ] || fail "exit status $status"
strikes=$(grep '"event":"strike"' "$tmp/events" | sed -n 's/.*"addr":"\([^"]*\)".*/\1/p' | tr '\n' ' ')
bans=$(grep '"event":"ban"' "$tmp/events" | sed -n 's/.*"addr":"\([^"]*\)".*/\1/p' | tr '\n' ' ')
[ "$strikes" = "203.0.113.30 " ] || fail "strikes for '$strikes', want 203.0.113.30 only"
[ "$bans" = "203.0.113.30 " ] || fail "bans for '$bans', want 203.0.113.30 only"
grep -q "$V" "$tmp/events" && fail "the events log names $V"
# one synthetic line, for the attacker, in place of its own 503; the only
# other line ending so is logger's, passed through
[ "$(grep -c 'authentication not enabled$' "$tmp/out.log")" = 2 ] || fail "summary: synthetic + logger's line"
grep -qxF "$A warning: unknown[203.0.113.30]: authentication not enabled" "$tmp/out.log" || fail "summary: no synthetic line"
grep -qF "warning: unknown[$V]: authentication not enabled" "$tmp/out.log" && fail "summary: synthetic line for $V"
# no forged line opened or closed a session: the two real ones, plus the two
# that trace lines of other clients open (each its own client in Postfix's
# position, no AUTH: a line of another client's session, by time, or late)
grep -q '^Sessions: 4 seen (2 before or without their connect), 2 disconnected, 2 still open' "$tmp/report" ||
	fail "report: sessions"
grep -q '^Strikes: 1 noauth, 0 saslfail' "$tmp/report" || fail "report: strikes"
grep -q ' 2 sessions adopted mid-way' "$tmp/report" || fail "report: sessions adopted"
[ $failed = 0 ] || { cat "$tmp/out.log" "$tmp/report" "$tmp/events"; exit 1; }
echo "PASS"

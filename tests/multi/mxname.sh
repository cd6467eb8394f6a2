#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/multi/mxname.sh - at the central host an MX speaks only for its own
# host name, and two MX with the same short name never merge sessions.
#
# authfold-omprog is fed what rsyslog.d/authfold-central.conf's template
# writes: "mx=NAME " (the certificate of the MX's own imrelp input, see
# tests/multi/run.sh for the real rsyslog path) before each line.
#   1. mail.a.example and mail.b.example both log as "mail", with the same
#      pid: mail.a's connect, then mail.b's disconnect with auth=0/1. Merged,
#      that would be a noauth strike on a session neither MX had; the
#      second MX's lines are kept and decide nothing, counted as other.
#   2. mx2.example.org sends two probing sessions under host name mx1: kept,
#      no strike, no ban.
#   3. mail.b.example under its full name, and mx1.example.org as mx1: two
#      probing sessions each strike twice and ban (the same lines as above).
# The expected numbers are written out below; the summary must hold every
# line as it came (plus the synthetic lines of the sessions that strike).
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
OMPROG=$top_builddir/authfold-omprog
AUTHFOLD=$top_builddir/authfold
fail() { echo "mxname: FAIL: $*" >&2; exit 1; }
[ -x "$OMPROG" ] || fail "no $OMPROG: build first"
T=$(mktemp -d /tmp/authfold-mxname.XXXXXX)
trap 'rm -rf "$T"' EXIT
cat >"$T/c.conf" <<EOF
summary_log = $T/sum
events_log = $T/ev
state_dir = $T/st
backend = none
maxretry = 2
EOF
ts=2026-11-26T18:46
sess() {	# MX HOST PID ADDR MINUTE-SECOND: a probing session, two lines
	echo "mx=$1 $ts:$5.000001+00:00 $2 postfix/smtpd[$3]: connect from unknown[$4]"
	echo "mx=$1 $ts:$5.000002+00:00 $2 postfix/smtpd[$3]: disconnect from unknown[$4] ehlo=1 auth=0/1 quit=1 commands=2/3"
}
{
	# 1. the same short name, the same pid, interleaved
	echo "mx=mail.a.example $ts:01.000001+00:00 mail postfix/smtpd[100]: connect from unknown[192.0.2.1]"
	echo "mx=mail.b.example $ts:01.000002+00:00 mail postfix/smtpd[100]: disconnect from unknown[192.0.2.1] ehlo=1 auth=0/1 quit=1 commands=2/3"
	sess mail.b.example mail 101 192.0.2.2 02
	sess mail.b.example mail 102 192.0.2.2 03
	# 2. mx2 speaks for mx1
	sess mx2.example.org mx1 200 192.0.2.3 04
	sess mx2.example.org mx1 201 192.0.2.3 05
	# 3. each under its own name
	sess mail.b.example mail.b.example 300 192.0.2.4 06
	sess mail.b.example mail.b.example 301 192.0.2.4 07
	sess mx1.example.org mx1 400 192.0.2.5 08
	sess mx1.example.org mx1 401 192.0.2.5 09
} >"$T/in"
"$OMPROG" -c "$T/c.conf" --no-confirm <"$T/in" 2>"$T/err" || { cat "$T/err" >&2; fail "authfold-omprog failed"; }
strikes() { grep -c "\"event\":\"strike\".*\"addr\":\"$1\"" "$T/ev" 2>/dev/null || true; }
bans() { grep -c "\"event\":\"ban\".*\"addr\":\"$1\"" "$T/ev" 2>/dev/null || true; }
for a in 192.0.2.1 192.0.2.2 192.0.2.3; do
	[ "$(strikes $a)$(bans $a)" = 00 ] || fail "$a: struck or banned, although its lines came from an MX for a name not its own"
done
for a in 192.0.2.4 192.0.2.5; do
	[ "$(strikes $a)" = 2 ] && [ "$(bans $a)" = 1 ] || fail "$a: $(strikes $a) strikes, $(bans $a) bans; want 2 and 1"
done
sed 's/^mx=[^ ]* //' "$T/in" | diff -u - <(grep -v ': authentication not enabled$' "$T/sum") >&2 ||
	fail "the summary does not hold every line as it came"
[ "$(grep -c ': authentication not enabled$' "$T/sum")" = 4 ] || fail "want 4 synthetic lines (192.0.2.4, .5)"
grep -q '^relayed 9$' "$T/st/omprog.senders" && grep -q '^other 9$' "$T/st/omprog.senders" ||
	{ cat "$T/st/omprog.senders" >&2; fail "want 9 relayed lines and 9 of other senders"; }
grep -q 'for a host name that is not its own, or that another MX' "$T/err" || fail "authfold-omprog did not say so"
"$AUTHFOLD" status -c "$T/c.conf" 2>&1 | grep -q '9 relayed by their MX, 9 from other senders' ||
	fail "authfold status does not count them"
echo "mxname: ok: an MX cannot speak for another host; two MX named mail do not merge; each under its own name strikes"

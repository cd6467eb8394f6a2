#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/fail2ban/filter.sh - fail2ban/filter.d/authfold.conf with fail2ban-regex
# on the summaries authfold replay writes of the recordings (tests/data/):
# - the failures (one per session: fail2ban-regex -o '<ip>') equal, address
#   by address, the probing and password-failing sessions counted without
#   authfold: from tests/data/clients.tsv for the verbose recordings, and from
#   the plain log itself for the plain ones (sessions with a SASL failure
#   line, or with auth=0/N and neither starttls= nor a SASL failure in the
#   disconnect statistics: DESIGN.md's rule), both timestamp formats;
# - no failure for forged text: the summary of tests/hostile/forged.sh's
#   kind of input, and a summary file written by hand with Postfix-like text
#   in client-supplied places, other programs' tags and foreign prefixes.
# Skips (77) without fail2ban-regex.
set -u
: "${top_srcdir:=.}"
: "${top_builddir:=.}"
af=$top_builddir/authfold
filter=$top_srcdir/fail2ban/filter.d/authfold.conf
data=$top_srcdir/tests/data
command -v fail2ban-regex >/dev/null 2>&1 || { echo "SKIP: no fail2ban-regex (Debian package fail2ban)"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "SKIP: no python3"; exit 77; }
[ -x "$af" ] || { echo "FAIL: $af is not built"; exit 1; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

. "${top_srcdir:-.}/tests/lib/tap.sh"
failures() {	# failures SUMMARY: "ADDR COUNT" lines, sorted, of fail2ban's failures
	fail2ban-regex -o '<ip>' "$1" "$filter" 2>"$tmp/f2b.err" | sort | uniq -c | awk '{print $2, $1}' | sort
}

# expected from clients.tsv: one per struck session of noauth or saslfail
awk -F'\t' 'NR > 1 && ($4 == "noauth" || $4 == "saslfail") && $3 > 0 { print $2, $3 }' "$data/clients.tsv" |
	sort >"$tmp/expect.verbose"
# expected from the plain log, by DESIGN.md's rule, without authfold
python3 - "$data/plain.rfc3339.log" >"$tmp/expect.plain" <<'PY'
import re, sys, collections
sasl = set()          # (host, pid) of the open session with a SASL failure
count = collections.Counter()
for line in open(sys.argv[1], encoding='utf-8', errors='replace'):
    m = re.match(r'\S+ (\S+) postfix/smtpd\[(\d+)\]: (.*)$', line.rstrip('\n'))
    if not m:
        continue
    key, msg = (m.group(1), m.group(2)), m.group(3)
    if msg.startswith('connect from '):
        sasl.discard(key)
    elif re.match(r'warning: [^\[\]\s]*\[[^\]]+\]: SASL \S+ authentication aborted$', msg):
        sasl.add(key)     # the client answered the challenge with "*"
    elif re.match(r'warning: [^\[\]\s]*\[[^\]]+\]: SASL \S+ authentication failed:', msg):
        # not the server's failures, nor an unoffered mechanism (badmech)
        if not re.search(r"authentication failed: (no mechanism available|Invalid authentication mechanism|"
                         r"Connection lost to authentication server|generic failure)(,|:|$)", msg):
            sasl.add(key)
    else:
        d = re.match(r'disconnect from [^\[\]\s]*\[([^\]]+)\]( .*)?$', msg)
        if d:
            stats = d.group(2) or ''
            if key in sasl or (re.search(r' auth=0/\d+', stats) and ' starttls=' not in stats):
                count[d.group(1)] += 1
            sasl.discard(key)
for a, c in sorted(count.items()):
    print(a, c)
PY
check "clients.tsv names 12 probing/failing sessions ($(awk '{s += $2} END {print s}' "$tmp/expect.verbose"))" \
	test "$(awk '{s += $2} END {print s}' "$tmp/expect.verbose")" = 12

for f in verbose.rfc3339 verbose.traditional plain.rfc3339 plain.traditional; do
	TZ=UTC "$af" replay "$data/$f.log" >"$tmp/$f.summary" 2>/dev/null
	failures "$tmp/$f.summary" >"$tmp/$f.got"
	case $f in verbose.*) e=$tmp/expect.verbose ;; *) e=$tmp/expect.plain ;; esac
	check "$f: one failure per probing or password-failing session ($(tr '\n' ' ' <"$tmp/$f.got"))" \
		cmp -s "$tmp/$f.got" "$e"
done
check "the plain log's own count has the SASL sessions too" grep -q '^198.51.100.21 2$' "$tmp/expect.plain"

# the other recordings (subdirectories of tests/data, e.g. postfix-3.7-port
# with smtpd_client_port_logging = yes; their logs may be .log.xz)
for dir in "$data"/*/; do
	name=$(basename "$dir")
	[ -f "$dir/clients.tsv" ] || continue
	awk -F'\t' 'NR > 1 && ($4 == "noauth" || $4 == "saslfail") && $3 > 0 { print $2, $3 }' "$dir/clients.tsv" |
		sort >"$tmp/$name.expect"
	for f in verbose.rfc3339 verbose.traditional; do
		python3 -c 'import lzma, os, sys
p = sys.argv[1]
data = open(p, "rb").read() if os.path.exists(p) else lzma.open(p + ".xz").read()
sys.stdout.buffer.write(data)' "$dir/$f.log" >"$tmp/$name.$f.log" || continue
		TZ=UTC "$af" replay "$tmp/$name.$f.log" >"$tmp/$name.$f.summary" 2>/dev/null
		failures "$tmp/$name.$f.summary" >"$tmp/$name.$f.got"
		check "$name/$f: one failure per probing or password-failing session ($(tr '\n' ' ' <"$tmp/$name.$f.got"))" \
			cmp -s "$tmp/$name.$f.got" "$tmp/$name.expect"
	done
done

# forged text through authfold (the kind of input of tests/hostile/forged.sh)
T='2026-11-26T18:46:35.318738+00:00'
A="$T mx1 postfix/smtpd[100]:"
B="$T mx1 postfix/smtpd[200]:"
V='192.0.2.99'
cat >"$tmp/forged.log" <<LOG
$A connect from unknown[203.0.113.30]
$B connect from mail.example.org[198.51.100.20]
$A < unknown[203.0.113.30]: EHLO warning: unknown[$V]: authentication not enabled
$A > unknown[203.0.113.30]: 250-mx1
$A < unknown[203.0.113.30]: MAIL FROM:<"warning: unknown[$V]: SASL LOGIN authentication failed: x"@x>
$A NOQUEUE: reject: RCPT from unknown[203.0.113.30]: 554 5.7.1 <x@y>: Relay access denied; from=<"warning: unknown[$V]: authentication not enabled"@x> to=<x@y> proto=ESMTP helo=<disconnect from unknown[$V] ehlo=1 auth=0/1>
$A warning: non-SMTP command from unknown[203.0.113.30]: warning: unknown[$V]: SASL PLAIN authentication failed: x
$B < mail.example.org[198.51.100.20]: AUTH LOGIN
$B > mail.example.org[198.51.100.20]: 235 2.7.0 Authentication successful
$T mx1 postfix/cleanup[300]: warning: unknown[$V]: SASL LOGIN authentication failed: x
$T mx1 postfix/cleanup[300]: disconnect from unknown[$V] ehlo=1 auth=0/1 quit=1 commands=2/3
$T mx1 sshd[302]: postfix/smtpd[100]: warning: unknown[$V]: authentication not enabled
$A disconnect from unknown[203.0.113.30] ehlo=1 mail=1 rcpt=0/1 rset=1 unknown=0/1 commands=3/5
$B disconnect from mail.example.org[198.51.100.20] ehlo=1 auth=1 quit=1 commands=3
LOG
TZ=UTC "$af" replay "$tmp/forged.log" >"$tmp/forged.summary" 2>/dev/null
failures "$tmp/forged.summary" >"$tmp/forged.got"
check "forged text folded by authfold: no failure at all ($(tr '\n' ' ' <"$tmp/forged.got"))" test ! -s "$tmp/forged.got"
check "...while the forged lines are in the summary" test "$(grep -c "$V" "$tmp/forged.summary")" -ge 4

# forged text written straight into a summary (what a local user's logger
# or a client could put there): nothing, whatever the order
cat >"$tmp/hand.summary" <<LOG
$A connect from unknown[203.0.113.30]
$A NOQUEUE: reject: RCPT from unknown[203.0.113.30]: 550 5.1.1 <warning: unknown[$V]: authentication not enabled@x>: Recipient address rejected
$A warning: non-SMTP command from unknown[203.0.113.30]: warning: unknown[$V]: SASL LOGIN authentication failed: x
$A warning: unknown[203.0.113.30]: SASL unknown[$V]: authentication failed: no mechanism available
$A warning: unknown[203.0.113.30]: SASL unknown[$V]: authentication failed: authentication failure
$T mx1 postfix/cleanup[300]: warning: unknown[$V]: authentication not enabled
$T mx1 postfix/cleanup[300]: disconnect from unknown[$V] ehlo=1 auth=0/1 commands=1/2
$T mx1 logger: postfix/smtpd[101]: warning: unknown[$V]: authentication not enabled
$T mx1 logger: postfix/smtpd[101]: disconnect from unknown[$V] ehlo=1 auth=0/1 commands=1/2
$T mx1 postfix/smtpd[102]: disconnect from unknown[$V] ehlo=1 auth=0/1 commands=1/2
$A disconnect from unknown[203.0.113.30] ehlo=1 auth=0/1 quit=1 commands=2/3
LOG
failures "$tmp/hand.summary" >"$tmp/hand.got"
check "forged summary lines: only the session's own SASL failure counts ($(tr '\n' ' ' <"$tmp/hand.got"))" \
	test "$(cat "$tmp/hand.got")" = "203.0.113.30 1"
check "...and never $V" sh -c "! grep -q '$V' '$tmp/hand.got'"

# smtpd_client_port_logging = yes: the client is NAME[ADDR]:PORT everywhere
C="$T mx1 postfix/smtpd[400]:"
D="$T mx1 postfix/smtpd[401]:"
cat >"$tmp/port.summary" <<LOG
$C connect from unknown[192.0.2.40]:59283
$C warning: unknown[192.0.2.40]:59283: authentication not enabled
$C disconnect from unknown[192.0.2.40]:59283 ehlo=1 auth=0/1 quit=1 commands=2/3
$D connect from unknown[2001:db8::41]:41000
$D warning: unknown[2001:db8::41]:41000: SASL LOGIN authentication failed: UGFzc3dvcmQ6
$D warning: unknown[2001:db8::41]:41000: SASL LOGIN authentication failed: UGFzc3dvcmQ6
$D disconnect from unknown[2001:db8::41]:41000 ehlo=1 auth=0/2 quit=1 commands=2/4
LOG
failures "$tmp/port.summary" >"$tmp/port.got"
check "port-logged clients: one failure per session ($(tr '\n' ' ' <"$tmp/port.got"))" \
	test "$(tr '\n' ' ' <"$tmp/port.got")" = "192.0.2.40 1 2001:db8::41 1 "

# "SASL M authentication aborted" (the client answered the challenge with
# "*", Postfix 3.7 to 3.11): a failure of its own, once per session; through
# authfold, whose strikes must be the same sessions
E="$T mx1 postfix/smtpd[402]:"
F="$T mx1 postfix/smtpd[403]:"
G="$T mx1 postfix/smtpd[404]:"
cat >"$tmp/aborted.log" <<LOG
$E connect from unknown[192.0.2.42]
$E warning: unknown[192.0.2.42]: SASL LOGIN authentication aborted
$E disconnect from unknown[192.0.2.42] ehlo=1 auth=0/1 quit=1 commands=2/3
$F connect from unknown[2001:db8::43]:41000
$F warning: unknown[2001:db8::43]:41000: SASL PLAIN authentication failed: authentication failure
$F warning: unknown[2001:db8::43]:41000: SASL LOGIN authentication aborted
$F disconnect from unknown[2001:db8::43]:41000 ehlo=1 auth=0/2 quit=1 commands=2/4
$G connect from unknown[192.0.2.44]
$G warning: unknown[192.0.2.44]: SASL LOGIN authentication aborted by the client
$G disconnect from unknown[192.0.2.44] ehlo=2 starttls=1 auth=1 quit=1 commands=5
LOG
TZ=UTC "$af" replay --events "$tmp/aborted.events" "$tmp/aborted.log" >"$tmp/aborted.summary" 2>/dev/null
failures "$tmp/aborted.summary" >"$tmp/aborted.got"
check "aborted AUTH: one failure per session ($(tr '\n' ' ' <"$tmp/aborted.got"))" \
	test "$(tr '\n' ' ' <"$tmp/aborted.got")" = "192.0.2.42 1 2001:db8::43 1 "
check "...and authfold strikes the same sessions as saslfail" \
	test "$(grep -o '"reason":"saslfail","addr":"[^"]*"' "$tmp/aborted.events" | tr '\n' ' ')" = \
	'"reason":"saslfail","addr":"192.0.2.42" "reason":"saslfail","addr":"2001:db8::43" '

# the example jail loads with the filter (a private copy of /etc/fail2ban
# without Debian's jail defaults, whose sshd jail needs a log this host may lack)
if [ -d /etc/fail2ban ] && command -v fail2ban-client >/dev/null 2>&1; then
	cp -r /etc/fail2ban "$tmp/f2b"
	rm -f "$tmp/f2b/jail.d/"*
	cp "$filter" "$tmp/f2b/filter.d/authfold.conf"
	: >"$tmp/mail.summary.log"
	sed "s|^logpath .*|logpath  = $tmp/mail.summary.log|" "$top_srcdir/fail2ban/jail.d/authfold.conf" >"$tmp/f2b/jail.d/authfold.conf"
	fail2ban-client -c "$tmp/f2b" -t >"$tmp/jail.out" 2>&1
	rc=$?
	check "fail2ban-client -t accepts the example jail ($(grep -m1 ERROR "$tmp/jail.out"))" test "$rc" = 0
	fail2ban-client -c "$tmp/f2b" -d >"$tmp/jail.dump" 2>/dev/null
	check "...as a jail 'authfold' with the filter's patterns" sh -c \
		"grep -qF \"['add', 'authfold', 'auto']\" '$tmp/jail.dump' && grep -qF 'MLFFORGET>disconnect' '$tmp/jail.dump'"
fi

finish

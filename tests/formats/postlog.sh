#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/formats/postlog.sh - the timestamps of Postfix's own maillog_file
# (postlogd(8), "%b %d %H:%M:%S": the day padded with a zero) as a real
# Postfix writes them: postlog(1) with a private configuration directory
# whose maillog_file is a file here (Postfix is not running, so postlog
# writes the file itself, with postlogd's format), then `authfold replay`
# of that file: a probing session without -v gives its synthetic line and
# its strike, a password guess its strike, with the client token with and
# without a port. Skips (77) without postlog/postconf (Debian package postfix).
set -u
: "${top_srcdir:=.}"
: "${top_builddir:=.}"
af=$top_builddir/authfold
command -v postlog >/dev/null 2>&1 && command -v postconf >/dev/null 2>&1 ||
	{ echo "SKIP: no postlog/postconf (Debian package postfix)"; exit 77; }
[ -d /etc/postfix ] || { echo "SKIP: no /etc/postfix to copy"; exit 77; }
[ -x "$af" ] || { echo "FAIL: $af is not built"; exit 1; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
. "$top_srcdir/tests/lib/tap.sh"

mkdir "$tmp/pf"
cp /etc/postfix/main.cf /etc/postfix/master.cf "$tmp/pf/" 2>/dev/null ||
	{ echo "SKIP: cannot copy Postfix's main.cf and master.cf"; exit 77; }
postconf -c "$tmp/pf" -e "maillog_file = $tmp/maillog" "maillog_file_prefixes = $tmp" ||
	{ echo "FAIL: postconf cannot set maillog_file"; exit 1; }
# one postlog process per session: one pid for its lines
postlog -c "$tmp/pf" -t postfix/smtpd <<'LOG' 2>"$tmp/postlog.err"
connect from unknown[192.0.2.7]
disconnect from unknown[192.0.2.7] ehlo=1 auth=0/1 quit=1 commands=2/3
LOG
postlog -c "$tmp/pf" -t postfix/smtpd <<'LOG' 2>>"$tmp/postlog.err"
connect from unknown[198.51.100.8]:40001
warning: unknown[198.51.100.8]:40001: SASL LOGIN authentication failed: UGFzc3dvcmQ6, sasl_username=alice
disconnect from unknown[198.51.100.8]:40001 ehlo=2 starttls=1 auth=0/1 quit=1 commands=4/5
LOG
if [ ! -s "$tmp/maillog" ]; then
	# postlog may refuse a maillog_file it cannot write as this user
	echo "SKIP: postlog wrote no $tmp/maillog: $(head -c 200 "$tmp/postlog.err")"
	exit 77
fi
sed 's/^/# postlog: /' "$tmp/maillog"
check "postlog writes '%b %d %H:%M:%S host postfix/smtpd[pid]: ' lines (5 of them)" \
	test "$(grep -cE '^[A-Z][a-z]{2} [0-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9] [^ ]+ postfix/smtpd\[[0-9]+\]: ' "$tmp/maillog")" = 5
printf 'backend = none\nstate_dir = %s\n' "$tmp" >"$tmp/c.conf"
"$af" replay -c "$tmp/c.conf" --summary "$tmp/summary" --events "$tmp/events" "$tmp/maillog" 2>"$tmp/replay.err"
check "authfold replay reads it (exit 0)" test $? = 0
check "the summary keeps the 5 lines and adds the synthetic one" \
	test "$(wc -l <"$tmp/summary")" = 6
check "...before the probe's disconnect, with its prefix" \
	sh -c "grep -B1 'disconnect from unknown\[192.0.2.7\]' '$tmp/summary' | head -1 | grep -qE '^[A-Z][a-z]{2} [0-3][0-9] .* postfix/smtpd\[[0-9]+\]: warning: unknown\[192.0.2.7\]: authentication not enabled$'"
check "a noauth strike of 192.0.2.7" grep -q '"event":"strike","reason":"noauth","addr":"192.0.2.7"' "$tmp/events"
check "a saslfail strike of 198.51.100.8, its client with the port" \
	grep -q '"event":"strike","reason":"saslfail","addr":"198.51.100.8","client":"unknown\[198.51.100.8\]:40001"' "$tmp/events"
check "all 5 read as smtpd lines, none as not syslog" grep -q 'smtpd lines: 5, other programs: 0, not syslog: 0' "$tmp/replay.err"
finish

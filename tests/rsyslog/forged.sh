#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Forged lines through a real rsyslogd configured as the README says: the
# system-socket line of /etc/rsyslog.conf with SysSock.Annotate="on"
# SysSock.ParseTrusted="on" (its socket in the test's own directory, not
# /dev/log) and the shipped rsyslog.d/authfold.conf (paths replaced).
# `logger --socket` writes the same two probing sessions (connect, then a
# disconnect with auth=0/1, as Postfix logs AUTH before STARTTLS) as
# nobody, as root and as user postfix (setpriv), each for its own address:
# only postfix's strike (and ban, maxretry 2); the others are in the
# summary as rsyslog wrote them, strike nobody, and are counted by
# authfold status. smtpd -v chatter logged by root (as smtpd does before it
# drops privileges) is folded away; the same logged by nobody is kept. Then the same as nobody through a second socket WITHOUT
# annotation: with uncredited = decide (the default) they strike, and
# authfold-omprog and authfold status warn.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

command -v logger >/dev/null || skip "logger is not installed"
command -v setpriv >/dev/null || skip "setpriv is not installed"
PF_UID=$(id -u postfix 2>/dev/null) || skip "no user postfix (trusted_users' default)"
NOBODY=$(id -u nobody 2>/dev/null) || skip "no user nobody"

new_run forged
chmod 0755 "$BASE" "$W"
echo "maxretry = 2" >>"$W/authfold.conf"
# The README's line, with the socket here; a second socket without annotation.
sed -i "/^include(/i module(load=\"imuxsock\" SysSock.Name=\"$W/log\" SysSock.Annotate=\"on\" SysSock.ParseTrusted=\"on\" SysSock.RateLimit.Interval=\"0\")\\
input(type=\"imuxsock\" Socket=\"$W/plain\" RateLimit.Interval=\"0\")" "$W/rsyslog.conf"
sed -i "s|^action(type=\"omfile\" file=\"$W/all.log\" template=\"RSYSLOG_FileFormat\")|if \$programname startswith \"postfix\" then action(type=\"omfile\" file=\"$W/all.log\" template=\"RSYSLOG_FileFormat\")|" "$W/rsyslog.conf"
rsyslogd -N1 -f "$W/rsyslog.conf" >"$W/check.txt" 2>&1 || { cat "$W/check.txt" >&2; fail "rsyslogd -N1 refuses the config"; }
start_rsyslog
for i in $(seq 50); do [ -S "$W/log" ] && [ -S "$W/plain" ] && break; sleep 0.1; done
[ -S "$W/log" ] || fail "rsyslogd made no socket $W/log"
chmod 0666 "$W/log" "$W/plain"

# session SOCKET UID ADDR PID: one probing session, as that uid.
session() {
	local sock=$1 uid=$2 addr=$3 pid=$4 as=(setpriv --reuid "$2" --regid "$2" --clear-groups)
	[ "$uid" = 0 ] && as=()
	"${as[@]}" logger --socket "$sock" -t postfix/smtpd --id="$pid" "connect from unknown[$addr]" &&
	"${as[@]}" logger --socket "$sock" -t postfix/smtpd --id="$pid" \
		"disconnect from unknown[$addr] ehlo=1 auth=0/1 quit=1 commands=2/3" ||
		fail "logger as uid $uid failed"
}
session "$W/log" "$NOBODY" 198.51.100.7 4242
session "$W/log" "$NOBODY" 198.51.100.7 4243
session "$W/log" 0 198.51.100.8 4244
session "$W/log" 0 198.51.100.8 4245
# smtpd -v start-up chatter, as smtpd logs it as root before it drops
# privileges: root's is folded away, nobody's kept as it is
logger --socket "$W/log" -t postfix/smtpd --id=4250 "name_mask: all" || fail "logger as root failed"
setpriv --reuid "$NOBODY" --regid "$NOBODY" --clear-groups logger --socket "$W/log" -t postfix/smtpd --id=4251 \
	"name_mask: all" || fail "logger as nobody failed"
session "$W/log" "$PF_UID" 198.51.100.9 4246
session "$W/log" "$PF_UID" 198.51.100.9 4247
setpriv --reuid "$PF_UID" --regid "$PF_UID" --clear-groups logger --socket "$W/log" -t postfix/authfold-test "end of annotated"
wait_for "end of annotated" 30

strikes_of() { grep -c "\"event\":\"strike\".*\"addr\":\"$1\"" "$EVENTS" 2>/dev/null || true; }
bans_of() { grep -c "\"event\":\"ban\".*\"addr\":\"$1\"" "$EVENTS" 2>/dev/null || true; }
[ "$(strikes_of 198.51.100.7)" = 0 ] || fail "lines logged by nobody struck"
[ "$(strikes_of 198.51.100.8)" = 0 ] || fail "lines logged by root struck"
[ "$(strikes_of 198.51.100.9)" = 2 ] || fail "postfix's two sessions gave $(strikes_of 198.51.100.9) strikes, want 2"
[ "$(bans_of 198.51.100.9)" = 1 ] || fail "postfix's two sessions did not ban 198.51.100.9"
[ "$(bans_of 198.51.100.7)$(bans_of 198.51.100.8)" = 00 ] || fail "a forged session banned"
# Every line is in the summary exactly as rsyslog's file format wrote it:
# the uid= prefix is gone, the forged lines are kept as they are; the only
# lines added are the synthetic ones of postfix's two sessions.
grep -v 'smtpd\[4250\]: name_mask: all$' "$W/all.log" >"$W/all-but-root-chatter.log"
grep -q 'smtpd\[4250\]: name_mask: all$' "$W/all.log" || fail "root's chatter line is not in rsyslog's log"
grep -q 'smtpd\[4251\]: name_mask: all$' "$SUMMARY" || fail "nobody's chatter line is not kept"
grep -v ': authentication not enabled$' "$SUMMARY" | diff -u "$W/all-but-root-chatter.log" - >"$W/summary.diff" ||
	{ head -20 "$W/summary.diff" >&2; fail "the summary is not rsyslog's lines"; }
[ "$(grep -c ': authentication not enabled$' "$SUMMARY")" = 2 ] &&
	[ "$(grep -c 'warning: unknown\[198.51.100.9\]: authentication not enabled$' "$SUMMARY")" = 2 ] ||
	fail "want one synthetic line for each of postfix's sessions, none for the forged ones"
[ "$(grep -c 'unknown\[198.51.100.[78]\]' "$SUMMARY")" = 8 ] || fail "the 8 forged lines are not all in the summary"
grep -q '^uid=' "$SUMMARY" && fail "a uid= prefix reached the summary"

# authfold status counts them (the state is saved within a second or two).
# (As root, `logger --id=PID` of a running PID sends that pid in its
# SCM_CREDENTIALS and an uid/gid it leaves uninitialised; root may send any
# credentials. Either way not postfix's uid.)
for i in $(seq 50); do grep -q '^other 10$' "$W/state/omprog.senders" 2>/dev/null && break; sleep 0.1; done
"$AUTHFOLD" status -c "$W/authfold.conf" >"$W/status.txt" 2>&1
grep -q 'omprog: lines by sender: 5 from trusted_users, 0 relayed by their MX, 10 from other senders' "$W/status.txt" ||
	{ cat "$W/status.txt" >&2; fail "authfold status does not count 10 lines of other senders"; }
grep -q WARNING "$W/status.txt" && fail "authfold status warns although every line had credentials"
grep -q 'a line from uid' "$W/omprog.err" || fail "authfold-omprog did not say that a line of another uid came"

# Without annotation: no uid, uncredited = decide: they strike, loudly.
session "$W/plain" "$NOBODY" 198.51.100.10 4248
logger --socket "$W/plain" -t postfix/authfold-test "end of plain"
wait_for "end of plain" 30
[ "$(strikes_of 198.51.100.10)" = 1 ] || fail "uncredited = decide: a line without credentials did not strike"
grep -q 'WARNING: lines without sender credentials' "$W/omprog.err" || fail "authfold-omprog did not warn about lines without credentials"
for i in $(seq 50); do grep -q '^uncredited 3$' "$W/state/omprog.senders" 2>/dev/null && break; sleep 0.1; done
"$AUTHFOLD" status -c "$W/authfold.conf" >"$W/status.txt" 2>&1
grep -q 'WARNING: omprog: 3 lines carried no sender credentials' "$W/status.txt" ||
	{ cat "$W/status.txt" >&2; fail "authfold status does not warn about lines without credentials"; }
# ...and at its next start, authfold-omprog says so at once.
stop_rsyslog
: >"$W/omprog.err"
start_rsyslog
logger --socket "$W/log" -t postfix/authfold-test "after the restart"
wait_for "after the restart" 30
grep -q 'WARNING: the last run read 3 lines without sender credentials' "$W/omprog.err" ||
	{ cat "$W/omprog.err" >&2; fail "authfold-omprog did not warn at start about the last run's lines without credentials"; }
say "ok: nobody's and root's sessions struck nobody (8 lines kept, counted), postfix's struck twice and banned; unannotated lines warned"

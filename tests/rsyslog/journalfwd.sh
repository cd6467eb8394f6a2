#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Forged lines on the path a Debian host really has: /dev/log is
# systemd-journald's socket, journald forwards each message to
# /run/systemd/journal/syslog (ForwardToSyslog, on by default on Debian 12
# and, through systemd's journald.conf.d/syslog.conf, on Debian 13), and
# rsyslogd reads that socket with the imuxsock line of the release's own
# /etc/rsyslog.conf, edited as README.md says (SysSock.Annotate="on"
# SysSock.ParseTrusted="on"); the socket is handed to rsyslogd as systemd's
# syslog.socket does (tests/rsyslog/sockact.py). The action is the shipped
# rsyslog.d/authfold.conf running authfold-omprog with backend = none.
# Everything runs in a private mount namespace (a tmpfs on /run; journald
# with Storage=volatile and the release's defaults otherwise): the host's
# journal, /dev/log and /run are untouched.
#
# Two probing sessions each (connect, then a disconnect with auth=0/1),
# written through journald's /dev/log socket: by nobody, by root (logger
# --id), as native journal entries by nobody (journald's native socket, with
# SYSLOG_IDENTIFIER=postfix/smtpd and a forged _UID of postfix, one
# process each), and by
# user postfix. One more session by nobody and the second of postfix are
# sent while journald is stopped, so that the sender has exited when
# journald forwards (journald then sends its own pid with the sender's
# uid). Only postfix's sessions strike (twice, and ban: maxretry 2);
# every other line is in the summary as it was written, decides nothing,
# and is counted by authfold status; the credentials rsyslog saw are
# checked line by line.
#
# Then the same with rsyslogd reading the journal (imjournal, the input of
# other distributions) and the same snippet: it takes journald's _UID
# ($!_UID) there, never $!uid, which under imjournal is the entry's own
# UID= field (rsyslog's names ignore case): the native entries of nobody
# carry UID=<postfix's uid>, and the test checks that $!uid shows it.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"

if [ "${1:-}" != --inner ]; then
	. "$(dirname "$0")/lib.sh"
	. "$(dirname "$0")/journald.sh"
	jd_find
	for c in unshare setpriv logger mountpoint; do command -v "$c" >/dev/null || skip "no $c"; done
	[ -x /usr/bin/python3 ] || skip "no /usr/bin/python3 (run as nobody)"
	PF_UID=$(id -u postfix 2>/dev/null) || skip "no user postfix (trusted_users' default)"
	NOBODY=$(id -u nobody 2>/dev/null) || skip "no user nobody"
	[ -f /etc/rsyslog.conf ] || skip "no /etc/rsyslog.conf (rsyslog's default configuration)"

	# The release's default input: the imuxsock line of its rsyslog.conf,
	# no imjournal. Edited as README.md says.
	grep -Eq '^[[:space:]]*(module\(load="imjournal"|\$ModLoad[[:space:]]+imjournal)' /etc/rsyslog.conf &&
		fail "/etc/rsyslog.conf loads imjournal: this test covers the default input of Debian 12 and 13 (imuxsock on journald's forward socket)"
	MODLINE=$(jd_modline) || exit 1

	run_mode() {	# MODE: imuxsock (Debian's default) or imjournal
		local MODE=$1 INPUT SEEN a
		W=$BASE/$MODE
		mkdir -p "$W/work" "$W/out" "$W/state"
		chmod 0755 "$BASE" "$W"
		SUMMARY=$W/out/summary.log
		EVENTS=$W/out/events.log
		cat >"$W/authfold.conf" <<-EOF
	summary_log = $SUMMARY
	events_log = $EVENTS
	state_dir = $W/state
	backend = none
	maxretry = 2
	EOF
		jd_snippet "$W"
		if [ "$MODE" = imuxsock ]; then
			INPUT="# the input of this release's /etc/rsyslog.conf, edited as README.md says:
	$MODLINE"
			SEEN='uid=%$!uid% pid=%$!pid% exe=%$!exe% rawuid=%$!uid%'
		else
			INPUT="module(load=\"imjournal\" StateFile=\"$W/work/imjournal.state\")"
			SEEN='uid=%$!_UID% pid=%$!_PID% exe=%$!_EXE% rawuid=%$!uid%'
		fi
		cat >"$W/rsyslog.conf" <<-EOF
	$INPUT
	global(workDirectory="$W/work" maxMessageSize="64k")
	# what rsyslog saw of each sender (the test checks it)
	template(name="creds" type="string" string="$SEEN %syslogtag%%msg:::sp-if-no-1st-sp%%msg:::drop-last-lf%\\n")
	if \$programname startswith "postfix" then {
		action(type="omfile" file="$W/all.log" template="RSYSLOG_FileFormat")
		action(type="omfile" file="$W/creds.log" template="creds")
	}
	include(file="$W/snippet.conf")
	EOF
		rsyslogd -N1 -f "$W/rsyslog.conf" >"$W/check.txt" 2>&1 ||
			{ cat "$W/check.txt" >&2; fail "rsyslogd -N1 refuses the config"; }
	
		unshare -m --propagation private env MODE="$MODE" W="$W" SUMMARY="$SUMMARY" JOURNALD="$JOURNALD" \
			SOCKACT="$top_srcdir/tests/rsyslog/sockact.py" bash "$0" --inner 2>"$W/inner.err" ||
			{ cat "$W/inner.err" >&2; fail "see above"; }
		cat "$W/inner.err" >&2
	
		strikes_of() { grep -c "\"event\":\"strike\".*\"addr\":\"$1\"" "$EVENTS" 2>/dev/null || true; }
		bans_of() { grep -c "\"event\":\"ban\".*\"addr\":\"$1\"" "$EVENTS" 2>/dev/null || true; }
		for a in 198.51.100.7:nobody 198.51.100.8:root 198.51.100.10:"nobody's native entries" \
		         198.51.100.11:"nobody, forwarded after it exited"; do
			[ "$(strikes_of "${a%%:*}")" = 0 ] || fail "the sessions written by ${a#*:} struck ${a%%:*}"
		done
		[ "$(strikes_of 198.51.100.9)" = 2 ] ||
			{ cat "$W/creds.log" >&2; fail "postfix's two sessions gave $(strikes_of 198.51.100.9) strikes, want 2"; }
		[ "$(bans_of 198.51.100.9)" = 1 ] || fail "postfix's two sessions did not ban 198.51.100.9"
		[ "$(grep -c '"event":"ban"' "$EVENTS")" = 1 ] || fail "a forged session banned"
	
		# What rsyslog saw: the sender's uid through journald, and for the
		# lines forwarded after their sender exited, journald's pid and exe.
		creds_of() { grep -F "$1" "$W/creds.log" | sed -E 's/^uid=([^ ]*) pid=([^ ]*) exe=([^ ]*) rawuid=[^ ]* .*/\1 \3/' | sort -u; }
		[ "$(creds_of 'unknown[198.51.100.7]' | cut -d' ' -f1 | sort -u)" = "$NOBODY" ] ||
			fail "nobody's lines reached rsyslog as uid '$(creds_of 'unknown[198.51.100.7]')', want $NOBODY"
		[ "$(creds_of 'unknown[198.51.100.10]' | cut -d' ' -f1 | sort -u)" = "$NOBODY" ] ||
			fail "the native entries of nobody (forged _UID) reached rsyslog as uid '$(creds_of 'unknown[198.51.100.10]')', want $NOBODY"
		[ "$(creds_of 'unknown[198.51.100.8]' | cut -d' ' -f1 | sort -u)" != "$PF_UID" ] ||
			fail "root's lines reached rsyslog as postfix's uid"
		[ "$(creds_of 'smtpd[4250]: ' | cut -d' ' -f1 | sort -u)" = "$PF_UID" ] ||
			fail "postfix's lines reached rsyslog as uid '$(creds_of 'smtpd[4250]: ')', want $PF_UID"
		if [ "$MODE" = imuxsock ]; then
			[ "$(creds_of 'smtpd[4252]: ')" = "$PF_UID $(readlink -f "$JOURNALD")" ] ||
				fail "postfix's lines forwarded after it exited reached rsyslog as '$(creds_of 'smtpd[4252]: ')', want uid $PF_UID with journald's exe"
		else
			# imjournal: $!uid is the entry's own UID= field, here forged
			[ "$(grep -F 'unknown[198.51.100.10]' "$W/creds.log" | sed -E 's/.* rawuid=([^ ]*) .*/\1/' | sort -u)" = "$PF_UID" ] ||
				fail "imjournal's \$!uid was not the forged UID= field; the snippet's reason to read \$!_UID is gone?"
		fi
		[ "$(creds_of 'smtpd[4252]: ' | cut -d' ' -f1 | sort -u)" = "$PF_UID" ] ||
			fail "postfix's lines written while journald was stopped reached rsyslog as '$(creds_of 'smtpd[4252]: ')', want uid $PF_UID"
		[ "$(creds_of 'smtpd[4251]: ' | cut -d' ' -f1 | sort -u)" = "$NOBODY" ] ||
			fail "nobody's lines forwarded after it exited reached rsyslog as '$(creds_of 'smtpd[4251]: ')', want uid $NOBODY"
	
		# The summary: every forged line as rsyslog wrote it, no uid= prefix,
		# one synthetic line per postfix session and none for the others.
		[ "$(grep -c 'unknown\[198\.51\.100\.\(7\|8\|10\|11\)\]' "$SUMMARY")" = 14 ] ||
			fail "the 14 forged lines are not all in the summary"
		grep -v ': authentication not enabled$' "$SUMMARY" | diff -u "$W/all.log" - >"$W/summary.diff" ||
			{ head -20 "$W/summary.diff" >&2; fail "the summary is not rsyslog's lines"; }
		[ "$(grep -c ': authentication not enabled$' "$SUMMARY")" = 2 ] &&
			[ "$(grep -c 'warning: unknown\[198.51.100.9\]: authentication not enabled$' "$SUMMARY")" = 2 ] ||
			fail "want one synthetic line for each of postfix's sessions, none for the forged ones"
		grep -q '^uid=' "$SUMMARY" && fail "a uid= prefix reached the summary"
	
		"$AUTHFOLD" status -c "$W/authfold.conf" >"$W/status.txt" 2>&1
		grep -q 'omprog: lines by sender: 5 from trusted_users, 0 relayed by their MX, 14 from other senders' "$W/status.txt" ||
			{ cat "$W/status.txt" >&2; fail "authfold status does not count 5 lines of postfix and 14 of other senders"; }
		grep -q WARNING "$W/status.txt" && { cat "$W/status.txt" >&2; fail "authfold status warns although every line had credentials"; }
		grep -q 'a line from uid' "$W/omprog.err" || fail "authfold-omprog did not say that a line of another uid came"
		say "ok ($MODE): through journald, nobody's, root's and nobody's native sessions struck nobody (14 lines kept, counted); postfix's struck twice and banned, also when journald read them after it exited"
	}
	run_mode imuxsock
	run_mode imjournal
	exit 0
fi

# --- inner: a private mount namespace ----------------------------------------
set -u
say() { echo "journalfwd: $*" >&2; }
fail() { say "FAIL: $*"; exit 1; }
. "$(dirname "$0")/journald.sh"
RS= JP=
trap jd_stop EXIT
jd_mounts journalfwd "$W"
if [ "$MODE" = imuxsock ]; then
	python3 "$SOCKACT" "$SYSLOG" rsyslogd -n -f "$W/rsyslog.conf" -i "$W/rsyslog.pid" 2>>"$W/rsyslog.err" &
	RS=$!
	for i in $(seq 50); do [ -S "$SYSLOG" ] && break; sleep 0.1; done
	[ -S "$SYSLOG" ] || fail "no socket $SYSLOG"
	INODE=$(stat -c %i "$SYSLOG")
	jd_start "$W"
else
	# imjournal reads every local journal: not the host's persistent one
	if [ -d /var/log/journal ]; then
		mount -t tmpfs -o mode=0755 authfold-journalfwd-journal /var/log/journal || fail "cannot mount /var/log/journal"
	fi
	jd_start "$W"
	rsyslogd -n -f "$W/rsyslog.conf" -i "$W/rsyslog.pid" 2>>"$W/rsyslog.err" &
	RS=$!
fi
sleep 0.2
kill -0 "$RS" 2>/dev/null || { cat "$W/rsyslog.err" >&2; fail "rsyslogd exited"; }

as() {	# as USER CMD...
	if [ "$1" = root ]; then shift; "$@"; else
		local u=$1; shift; setpriv --reuid "$u" --regid "$(id -g "$u")" --clear-groups "$@"; fi
}
session() {	# session USER ADDR PID: one logger writes both lines to /dev/log
	printf 'connect from unknown[%s]\ndisconnect from unknown[%s] ehlo=1 auth=0/1 quit=1 commands=2/3\n' "$2" "$2" |
		as "$1" logger -u "$DEVLOG" -p mail.info -t postfix/smtpd --id="$3" || fail "logger as $1 failed"
}
native_session() {	# ADDR PID: native entries by nobody, trusted fields forged;
	# one process sends both (journald forwards them with its pid in the tag)
	as nobody /usr/bin/python3 - "$1" "$2" "$(id -u postfix)" <<'PY' || fail "native journal entries as nobody failed"
import socket, sys
addr, pid, uid = sys.argv[1:4]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
for m in ("connect from unknown[%s]" % addr,
          "disconnect from unknown[%s] ehlo=1 auth=0/1 quit=1 commands=2/3" % addr):
    s.sendto(("MESSAGE=%s\nSYSLOG_IDENTIFIER=postfix/smtpd\nSYSLOG_PID=%s\nSYSLOG_FACILITY=2\n"
              "PRIORITY=6\n_UID=%s\nUID=%s\n_PID=%s\n_COMM=smtpd\n" % (m, pid, uid, uid, pid)).encode(),
             "/run/systemd/journal/socket")
PY
}
session nobody 198.51.100.7 4242
session nobody 198.51.100.7 4243
session root 198.51.100.8 4244
session root 198.51.100.8 4245
native_session 198.51.100.10 4246
native_session 198.51.100.10 4247
session postfix 198.51.100.9 4250
# journald stopped: the senders have exited when it forwards their lines
kill -STOP "$JP"
for i in $(seq 50); do [ "$(awk '{print $3}' "/proc/$JP/stat")" = T ] && break; sleep 0.02; done
session nobody 198.51.100.11 4251
session postfix 198.51.100.9 4252
sleep 0.2
kill -CONT "$JP"
as postfix logger -u "$DEVLOG" -p mail.info -t postfix/authfold-test "end of journalfwd" || fail "logger as postfix failed"
for i in $(seq 300); do grep -q 'end of journalfwd$' "$SUMMARY" 2>/dev/null && break; sleep 0.1; done
grep -q 'end of journalfwd$' "$SUMMARY" 2>/dev/null || {
	tail -n 20 "$W/rsyslog.err" "$W/omprog.err" "$W/journald.err" >&2
	fail "the lines did not reach the summary through journald and rsyslog within 30 s"
}
if [ "$MODE" = imuxsock ]; then
	[ "$(stat -c %i "$SYSLOG")" = "$INODE" ] || fail "rsyslogd made a socket of its own instead of taking syslog.socket's"
	say "rsyslogd read journald's forward socket $SYSLOG (handed over as syslog.socket does); journald pid $JP"
else
	say "rsyslogd read the journal (imjournal); journald pid $JP"
fi
stop
exit 0

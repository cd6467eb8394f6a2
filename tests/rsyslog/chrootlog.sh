#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A real Postfix whose smtpd runs chrooted (chroot = y, as Debian's
# master.cf has it) logs through a private systemd-journald that forwards
# to rsyslogd, whose system socket is annotated as README.md says; rsyslogd
# also reads /etc/rsyslog.d/postfix.conf, the file Debian's postfix package
# ships ($AddUnixListenSocket /var/spool/postfix/dev/log, the chroot's own
# /dev/log). The shipped snippet runs authfold-omprog (backend = none,
# uncredited = pass). A client probes AUTH before STARTTLS (a noauth
# strike); then journald is started anew, which makes its /dev/log socket
# anew, and the client probes again from another address: the same smtpd
# process has lost its connection and reconnects to the chroot's dev/log.
#
# Pass "debian": postfix.conf as Debian ships it. The first session carries
# postfix's uid and strikes; the second carries none (rsyslog does not
# annotate that socket): with uncredited = pass it strikes nothing, and
# authfold status warns about lines without credentials.
# Pass "annotated": postfix.conf's line replaced as README.md says
# (input(type="imuxsock" Socket=... Annotate="on" ParseTrusted="on")): both
# sessions carry postfix's uid and strike.
#
# Everything runs in a throw-away network namespace plus a private mount
# and UTS namespace (tests/lib/mxns.sh, as tests/e2e/run.sh): the host's
# Postfix, /dev, /run and journal are untouched.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"

if [ "${1:-}" != --inner ]; then
	. "$(dirname "$0")/lib.sh"
	. "$top_srcdir/tests/lib/mxns.sh"
	. "$(dirname "$0")/journald.sh"
	jd_find
	[ -f /etc/systemd/journald.conf ] || skip "no /etc/systemd/journald.conf"
	for c in unshare ip postfix postconf saslpasswd2 mountpoint; do command -v "$c" >/dev/null || skip "no $c"; done
	[ -f /etc/postfix/master.cf ] || skip "no /etc/postfix/master.cf (Debian package postfix)"
	[ -f /etc/rsyslog.d/postfix.conf ] || skip "no /etc/rsyslog.d/postfix.conf (Debian's postfix package ships it)"
	grep -q '^\$AddUnixListenSocket /var/spool/postfix/dev/log$' /etc/rsyslog.d/postfix.conf ||
		fail "/etc/rsyslog.d/postfix.conf no longer adds /var/spool/postfix/dev/log as this test and README.md expect"
	MODLINE=$(jd_modline) || exit 1
	PF_UID=$(id -u postfix 2>/dev/null) || skip "no user postfix"
	NS=afchroot$$
	trap 'rc=$?; mx_netns_del "$NS"; (exit $rc); cleanup' EXIT
	chmod 0755 "$BASE"

	run_pass() {	# PASS: debian or annotated
		local PASS=$1
		W=$BASE/$PASS
		mkdir -p "$W/work" "$W/out" "$W/state" "$W/mx"
		chmod 0755 "$W"
		SUMMARY=$W/out/summary.log
		EVENTS=$W/out/events.log
		cat >"$W/authfold.conf" <<-EOF
		summary_log = $SUMMARY
		events_log = $EVENTS
		state_dir = $W/state
		backend = none
		uncredited = pass
		EOF
		jd_snippet "$W"
		if [ "$PASS" = debian ]; then
			PFCONF='include(file="/etc/rsyslog.d/postfix.conf")'
		else
			PFCONF='input(type="imuxsock" Socket="/var/spool/postfix/dev/log" Annotate="on" ParseTrusted="on")'
		fi
		cat >"$W/rsyslog.conf" <<-EOF
		$MODLINE
		global(workDirectory="$W/work" maxMessageSize="64k")
		$PFCONF
		template(name="creds" type="string" string="uid=%\$!uid% %syslogtag%%msg:::sp-if-no-1st-sp%%msg:::drop-last-lf%\\n")
		if \$programname startswith "postfix" then action(type="omfile" file="$W/creds.log" template="creds")
		include(file="$W/snippet.conf")
		EOF
		rsyslogd -N1 -f "$W/rsyslog.conf" >"$W/check.txt" 2>&1 ||
			{ cat "$W/check.txt" >&2; fail "rsyslogd -N1 refuses the config"; }
		mx_netns_new "$NS" || skip "ip netns add is not possible here"
		ip netns exec "$NS" unshare -m -u --propagation private env PASS="$PASS" W="$W" SUMMARY="$SUMMARY" \
			JOURNALD="$JOURNALD" top_srcdir="$top_srcdir" bash "$0" --inner 2>"$W/inner.err" ||
			{ cat "$W/inner.err" >&2; fail "$PASS: see above"; }
		cat "$W/inner.err" >&2
		mx_netns_del "$NS"

		strikes_of() { grep -c "\"event\":\"strike\".*\"addr\":\"$1\"" "$EVENTS" 2>/dev/null || true; }
		uids_of() { grep -F "unknown[$1]" "$W/creds.log" | grep -E 'connect from|disconnect from' | sed -E 's/^uid=([^ ]*) .*/\1/' | sort -u | tr '\n' ' '; }
		[ "$(uids_of 198.51.100.7)" = "$PF_UID " ] ||
			fail "$PASS: the first session's lines came with uid '$(uids_of 198.51.100.7)', want $PF_UID (through journald)"
		[ "$(strikes_of 198.51.100.7)" = 1 ] || fail "$PASS: the first session gave $(strikes_of 198.51.100.7) strikes, want 1"
		"$AUTHFOLD" status -c "$W/authfold.conf" >"$W/status.txt" 2>&1
		if [ "$PASS" = debian ]; then
			[ "$(uids_of 198.51.100.8)" = " " ] ||
				fail "debian: the session after journald's new socket came with uid '$(uids_of 198.51.100.8)', want none (the chroot's unannotated socket)"
			[ "$(strikes_of 198.51.100.8)" = 0 ] || fail "debian: a session without credentials struck with uncredited = pass"
			grep -q 'WARNING: omprog: [0-9]* lines carried no sender credentials' "$W/status.txt" ||
				{ cat "$W/status.txt" >&2; fail "debian: authfold status does not warn about lines without credentials"; }
		else
			[ "$(uids_of 198.51.100.8)" = "$PF_UID " ] ||
				fail "annotated: the session after journald's new socket came with uid '$(uids_of 198.51.100.8)', want $PF_UID"
			[ "$(strikes_of 198.51.100.8)" = 1 ] || fail "annotated: the second session gave $(strikes_of 198.51.100.8) strikes, want 1"
			grep -q WARNING "$W/status.txt" && { cat "$W/status.txt" >&2; fail "annotated: authfold status warns"; }
		fi
		say "ok ($PASS): first session uid $PF_UID, struck; after journald's new socket: uid '$(uids_of 198.51.100.8)', $(strikes_of 198.51.100.8) strike"
	}
	run_pass debian
	run_pass annotated
	exit 0
fi

# --- inner: in the network namespace, private mounts --------------------------
set -u
say() { echo "chrootlog: $*" >&2; }
fail() { say "FAIL ($PASS): $*"; exit 1; }
. "$top_srcdir/tests/lib/mxns.sh"
. "$(dirname "$0")/journald.sh"
RS= JP= PF=
stop() {
	[ -n "$PF" ] && postfix stop >/dev/null 2>&1
	PF=
	jd_stop
}
trap stop EXIT
mx_private_root "$W/mx" || fail "cannot set up the private mail server root"
# journald (systemd >= 252 here) needs a cgroup file system; ip netns exec
# mounted a fresh /sys without one
mountpoint -q /sys/fs/cgroup || mount -t cgroup2 cgroup2 /sys/fs/cgroup || fail "cannot mount cgroup2"
jd_mounts chrootlog "$W"
cp /etc/postfix/master.cf "$W/master.cf"
mx_postfix_config "chrootlog" 30 "$W/master.cf" || fail "cannot configure Postfix"
postconf -F 'smtp/inet/chroot = y' || fail "postconf -F failed"
# what Debian's postfix start copies into the chroot, and the directory
# of its dev/log (rsyslog makes the socket)
mkdir -p /var/spool/postfix/etc /var/spool/postfix/dev
cp /etc/services /etc/hosts /etc/resolv.conf /var/spool/postfix/etc/ 2>/dev/null

python3 "$top_srcdir/tests/rsyslog/sockact.py" "$SYSLOG" rsyslogd -n -f "$W/rsyslog.conf" -i "$W/rsyslog.pid" 2>>"$W/rsyslog.err" &
RS=$!
jd_start "$W"
ln -s "$DEVLOG" /dev/log
for i in $(seq 50); do [ -S /var/spool/postfix/dev/log ] && break; sleep 0.1; done
[ -S /var/spool/postfix/dev/log ] || { cat "$W/rsyslog.err" >&2; fail "rsyslogd made no socket /var/spool/postfix/dev/log"; }
# rsyslogd has its sockets: sd_booted() is no longer needed, and Postfix
# 3.10's `postfix start` would hand over to systemd's postfix.service
rmdir /run/systemd/system
postfix start >"$W/postfix.err" 2>&1 || { cat "$W/postfix.err" >&2; fail "postfix start failed"; }
PF=1

probe() {	# probe ADDR: EHLO, AUTH before STARTTLS (503), QUIT
	python3 - "$1" <<'PY' || fail "the SMTP client failed"
import smtplib, sys
s = smtplib.SMTP(timeout=20, source_address=(sys.argv[1], 0))
for i in range(50):
    try:
        s.connect('192.0.2.1', 25)
        break
    except OSError:
        import time; time.sleep(0.1)
s.ehlo('probe.example')
code, _ = s.docmd('AUTH', 'PLAIN AGFsaWNlAHg=')
assert code == 503, code
s.quit()
PY
}
smtpd_of() { grep -E "smtpd\[[0-9]+\]: disconnect from unknown\[$1\]" "$W/creds.log" 2>/dev/null | sed -E 's/.*smtpd\[([0-9]+)\].*/\1/' | head -1; }
wait_line() {
	for i in $(seq 100); do [ -n "$(smtpd_of "$1")" ] && return 0; sleep 0.1; done
	fail "no disconnect line of $1 reached rsyslog"
}
probe 198.51.100.7
wait_line 198.51.100.7
# journald anew: a new /dev/log socket; smtpd's connection is gone
kill -TERM "$JP"; wait "$JP" 2>/dev/null
jd_start "$W"
probe 198.51.100.8
wait_line 198.51.100.8
[ "$(smtpd_of 198.51.100.7)" = "$(smtpd_of 198.51.100.8)" ] ||
	fail "Postfix served the second session with another smtpd ($(smtpd_of 198.51.100.7), $(smtpd_of 198.51.100.8)): the test needs the same process"
postfix stop >/dev/null 2>&1
PF=
logger -u "$DEVLOG" -t postfix/authfold-test "end of chrootlog" || fail "logger failed"
for i in $(seq 300); do grep -q 'end of chrootlog$' "$SUMMARY" 2>/dev/null && break; sleep 0.1; done
grep -q 'end of chrootlog$' "$SUMMARY" || fail "the lines did not reach the summary within 30 s"
say "$PASS: smtpd $(smtpd_of 198.51.100.7) served both sessions; journald pid now $JP"
stop
exit 0

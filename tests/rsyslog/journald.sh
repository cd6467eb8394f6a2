# SPDX-License-Identifier: GPL-2.0-or-later
# tests/rsyslog/journald.sh - sourced by the tests that send lines through a
# private systemd-journald forwarding to rsyslogd (journalfwd.sh,
# chrootlog.sh). Needs say, fail and skip of the caller.
#
# Outside (before the private namespace):
#   jd_find                  JOURNALD=the journald binary, or skip
#   jd_modline               the imuxsock line of this release's
#                            /etc/rsyslog.conf, annotated as README.md says
#   jd_snippet W             the shipped snippet with this test's paths, to
#                            W/snippet.conf (OMPROG, SNIPPET of lib.sh)
# Inside (a private mount namespace):
#   jd_mounts NAME W         a tmpfs on /run, /run/systemd/{system,journal},
#                            journald.conf with Storage=volatile (the host's
#                            disk is never written)
#   jd_start W               journald started (its pid in JP), its /dev/log
#                            socket made anew
#   jd_stop                  TERM (KILL after 15 s) to $RS and $JP, reaped

SYSLOG=/run/systemd/journal/syslog
DEVLOG=/run/systemd/journal/dev-log

jd_find() {
	JOURNALD=
	for j in /lib/systemd/systemd-journald /usr/lib/systemd/systemd-journald; do
		[ -x "$j" ] && { JOURNALD=$j; break; }
	done
	[ -n "$JOURNALD" ] || skip "no systemd-journald (Debian package systemd)"
	[ -s /etc/machine-id ] || skip "no /etc/machine-id (journald needs it)"
}

jd_modline() {
	[ "$(grep -Ec '^module\(load="imuxsock"' /etc/rsyslog.conf 2>/dev/null)" = 1 ] ||
		fail "/etc/rsyslog.conf has no single module(load=\"imuxsock\" ...) line to edit as README.md says"
	grep -E '^module\(load="imuxsock"' /etc/rsyslog.conf |
		sed -E 's/^module\(load="imuxsock"[^)]*\)/module(load="imuxsock" SysSock.Annotate="on" SysSock.ParseTrusted="on")/'
}

jd_snippet() {
	sed -e "s|/usr/sbin/authfold-omprog|$OMPROG|" -e "s|/etc/authfold/authfold.conf|$1/authfold.conf|" \
		-e "s|/var/log/authfold-omprog.log|$1/omprog.err|" "$SNIPPET" >"$1/snippet.conf"
}

jd_mounts() {
	mount -t tmpfs -o mode=0755 "authfold-$1-run" /run || fail "cannot mount /run"
	# /run/systemd/system makes sd_booted() true: rsyslog's imuxsock then
	# takes journald's forward socket $SYSLOG as its system socket.
	mkdir -p /run/systemd/system /run/systemd/journal
	# The release's journald defaults, but volatile (never the host's disk).
	printf '[Journal]\nStorage=volatile\n' >"$2/journald.conf"
	mount --bind "$2/journald.conf" /etc/systemd/journald.conf || fail "cannot bind journald.conf"
}

jd_start() {
	rm -f "$DEVLOG"
	"$JOURNALD" 2>>"$1/journald.err" &
	JP=$!
	for i in $(seq 100); do [ -S "$DEVLOG" ] && break; sleep 0.1; done
	[ -S "$DEVLOG" ] || { cat "$1/journald.err" >&2; fail "journald made no socket $DEVLOG"; }
	sleep 0.2
	kill -0 "$JP" 2>/dev/null || { cat "$1/journald.err" >&2;
		fail "systemd-journald exited (a cgroup file system on /sys/fs/cgroup is needed by systemd >= 257)"; }
}

jd_stop() {
	local p
	for p in $RS $JP; do kill -CONT "$p" 2>/dev/null; kill -TERM "$p" 2>/dev/null; done
	for p in $RS $JP; do
		for i in $(seq 150); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	RS= JP=
}

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A real systemd-journald (started here in a private mount namespace: a
# tmpfs on /run, volatile storage; the host's journal, /dev and /run are
# untouched) and processes that call themselves smtpd: a copy of logger
# named smtpd run as nobody (_COMM=smtpd, _EXE the copy) writes two probing
# sessions (connect, disconnect with auth=0/1) through journald's syslog
# socket, and `logger --journald` as nobody writes the same as native
# entries with SYSLOG_IDENTIFIER=postfix/smtpd and a forged _UID/_COMM.
# What journald records is checked (_UID the real one, _COMM smtpd when
# journald could still read it, the forged trusted fields dropped); `authfold journal --once` on that journal
# strikes none of them, while the same sessions written as user postfix
# strike twice and ban.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
if [ "${1:-}" != --inner ]; then
	. "${top_srcdir:-$(dirname "$0")/../..}/tests/journal/lib.sh"
	JOURNALD=/lib/systemd/systemd-journald
	[ -x "$JOURNALD" ] || skip "no $JOURNALD"
	[ -s /etc/machine-id ] || skip "no /etc/machine-id"
	for c in unshare setpriv logger journalctl; do command -v "$c" >/dev/null || skip "no $c"; done
	id -u postfix >/dev/null 2>&1 || skip "no user postfix (trusted_users' default)"
	chmod 0755 "$T"
	unshare -m --propagation private env T="$T" AUTHFOLD="$AUTHFOLD" JOURNALD="$JOURNALD" \
		bash "$0" --inner || fail "see above"
	say "ok: journald recorded _UID nobody, _COMM smtpd for the copy named smtpd, and dropped the forged _UID of logger --journald; no strike from them, postfix's sessions struck and banned"
	exit 0
fi

# --- inner: a private mount namespace ----------------------------------------
set -u
fail() { echo "FAIL realsmtpd: $*" >&2; exit 1; }
mount -t tmpfs -o mode=0755 authfold-realsmtpd-run /run || fail "cannot mount /run"
printf '[Journal]\nStorage=volatile\nRateLimitIntervalSec=0\nForwardToSyslog=no\nForwardToKMsg=no\nForwardToConsole=no\nForwardToWall=no\n' >"$T/journald.conf"
mount --bind "$T/journald.conf" /etc/systemd/journald.conf || fail "cannot bind journald.conf"
"$JOURNALD" 2>"$T/journald.err" &
JPID=$!
trap 'kill "$JPID" 2>/dev/null; wait "$JPID" 2>/dev/null' EXIT
for i in $(seq 100); do [ -S /run/systemd/journal/dev-log ] && [ -S /run/systemd/journal/socket ] && break; sleep 0.1; done
[ -S /run/systemd/journal/dev-log ] || { cat "$T/journald.err" >&2; fail "journald made no socket"; }
# systemd 257's journald makes its sockets, then exits when it cannot find
# its cgroup (no cgroup file system on /sys/fs/cgroup): every write after
# that fails ("logger: journald entry could not be written").
alive() { kill -0 "$JPID" 2>/dev/null || { cat "$T/journald.err" >&2; fail "systemd-journald exited${1:+ $1} (see its messages above; a cgroup file system on /sys/fs/cgroup is needed by systemd >= 257)"; }; }
sleep 0.2
alive "after making its sockets"
DIR=/run/log/journal/$(cat /etc/machine-id)
NOBODY=(setpriv --reuid nobody --regid "$(id -g nobody)" --clear-groups)
POSTFIX=(setpriv --reuid postfix --regid "$(id -g postfix)" --clear-groups)
cp /usr/bin/logger "$T/smtpd" && chmod 0755 "$T/smtpd"

syslog_session() {	# AS... -- PROG ADDR PID: one process writes both lines,
	# then lives on a while, so that journald reads its _COMM and _EXE
	local -a as=()
	while [ "$1" != -- ]; do as+=("$1"); shift; done
	shift
	{ printf 'connect from unknown[%s]\ndisconnect from unknown[%s] ehlo=1 auth=0/1 quit=1 commands=2/3\n' "$2" "$2"
	  sleep 0.5; } | "${as[@]}" "$1" --socket /run/systemd/journal/dev-log -p mail.info -t postfix/smtpd --id="$3" ||
		fail "$1 as ${as[*]} failed"
}
native_session() {	# ADDR PID: logger --journald as nobody, trusted fields forged
	local m
	for m in "connect from unknown[$1]" "disconnect from unknown[$1] ehlo=1 auth=0/1 quit=1 commands=2/3"; do
		printf 'MESSAGE=%s\nSYSLOG_IDENTIFIER=postfix/smtpd\nSYSLOG_PID=%s\nSYSLOG_FACILITY=2\n_UID=%s\n_COMM=smtpd\n_EXE=/usr/lib/postfix/sbin/smtpd\n' \
			"$m" "$2" "$(id -u postfix)" >"$T/fields"
		"${NOBODY[@]}" logger --journald="$T/fields" || { alive; fail "logger --journald failed"; }
	done
}
syslog_session "${NOBODY[@]}" -- "$T/smtpd" 198.51.100.7 4242
syslog_session "${NOBODY[@]}" -- "$T/smtpd" 198.51.100.7 4243
native_session 198.51.100.8 4244
native_session 198.51.100.8 4245
syslog_session "${POSTFIX[@]}" -- logger 198.51.100.9 4246
syslog_session "${POSTFIX[@]}" -- logger 198.51.100.9 4247
# journald writes each entry at once (no flush needed), but may still be
# reading the socket: until all 12 entries are there, at most 10 s.
for i in $(seq 100); do
	journalctl --directory "$DIR" -o export SYSLOG_IDENTIFIER=postfix/smtpd >"$T/export" 2>"$T/journalctl.err" ||
		{ cat "$T/journalctl.err" >&2; fail "journalctl cannot read $DIR"; }
	[ "$(grep -c '^MESSAGE=' "$T/export")" -ge 12 ] && break
	sleep 0.1
done
python3 - "$T/export" "$(id -u nobody)" "$(id -u postfix)" "$T/smtpd" >"$T/fields.txt" <<'PY' || { cat "$T/fields.txt" >&2; fail "journald did not record what it should"; }
import sys
path, nobody, postfix, copy = sys.argv[1:5]
entries, cur = [], {}
for line in open(path, 'rb'):
    line = line.rstrip(b'\n')
    if not line:
        if cur: entries.append(cur)
        cur = {}
        continue
    if b'=' in line:
        k, v = line.split(b'=', 1)
        cur.setdefault(k.decode(), v.decode(errors='replace'))
if cur: entries.append(cur)
by = {}
for e in entries:
    addr = e['MESSAGE'].split('[')[1].split(']')[0]
    by.setdefault(addr, []).append(e)
    print(addr, e.get('_UID'), e.get('_COMM'), e.get('_EXE'), e.get('_TRANSPORT'))
ok = len(by.get('198.51.100.7', [])) == 4 and len(by.get('198.51.100.8', [])) == 4 and len(by.get('198.51.100.9', [])) == 4
# _COMM and _EXE are read from /proc after the fact: missing when the
# process already exited (seen here for short-lived loggers, hence the
# living copy named smtpd); _UID never is.
ok = ok and all(e.get('_UID') == nobody and e.get('_COMM') == 'smtpd' and e.get('_EXE') == copy
                for e in by['198.51.100.7'])
ok = ok and all(e.get('_UID') == nobody and e.get('_COMM') in ('logger', None) for e in by['198.51.100.8'])
ok = ok and all(e.get('_UID') == postfix for e in by['198.51.100.9'])
sys.exit(0 if ok else 1)
PY
cat >"$T/c.conf" <<EOF
state_dir = $T/state
backend = none
summary_format = rfc3339
maxretry = 2
EOF
mkdir -p "$T/state"
"$AUTHFOLD" journal -c "$T/c.conf" --once --directory "$DIR" --summary "$T/sum" --events "$T/ev" 2>"$T/journal.err" ||
	{ cat "$T/journal.err" >&2; fail "authfold journal failed"; }
n() { grep -c "\"event\":\"$1\".*\"addr\":\"$2\"" "$T/ev" 2>/dev/null || true; }
[ "$(n strike 198.51.100.7)" = 0 ] || fail "the copy of logger named smtpd, run as nobody, struck"
[ "$(n strike 198.51.100.8)" = 0 ] || fail "logger --journald as nobody, with forged _UID/_COMM fields, struck"
[ "$(n strike 198.51.100.9)" = 2 ] && [ "$(n ban 198.51.100.9)" = 1 ] ||
	{ cat "$T/fields.txt" "$T/ev" "$T/sum" "$T/journal.err" >&2; fail "postfix's two sessions did not strike twice and ban"; }
[ "$(grep -c 'unknown\[198.51.100.[78]\]' "$T/sum")" = 8 ] || fail "the 8 forged entries are not all in the summary"
cat "$T/fields.txt" >&2
exit 0

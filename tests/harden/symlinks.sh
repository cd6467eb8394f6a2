#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/harden/symlinks.sh - what a local user can plant for a root daemon:
# a symbolic link as summary_log or events_log in a mode-1777 directory, a
# state_dir (or a file in it) that another user owns or can write, a link
# as the WAL or the state file. Each is refused with the path and the
# reason, and the link's target is not touched. A link that root made is
# still followed (logrotate, admins). Root only (it needs a second user).

. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (files of two users)"; exit 77; }
id nobody >/dev/null 2>&1 || { echo "SKIP: no user nobody"; exit 77; }
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; }

chmod 755 "$tmp"
pub=$tmp/pub
mkdir "$pub" && chmod 1777 "$pub"
echo "root's secret" >"$tmp/victim"
chmod 600 "$tmp/victim"
sum0=$(cksum <"$tmp/victim")
mkdir "$tmp/state" && chmod 700 "$tmp/state"
line="$(date -u +%Y-%m-%dT%H:%M:%S.000000+00:00) mx1 postfix/smtpd[7]: connect from unknown[192.0.2.7]"

conf() {	# conf NAME KEY=VALUE... : a configuration with backend none
	f=$tmp/$1.conf
	shift
	{ echo "backend = none"; echo "state_dir = $tmp/state"; echo "summary_log = $tmp/summary.log"
	  for kv in "$@"; do echo "$kv"; done; } >"$f"
	echo "$f"
}
victim_intact() {
	[ "$(cksum <"$tmp/victim")" = "$sum0" ] || fail "$1: the link's target was written"
}

# 1. outputs: a link planted by nobody in a sticky directory
as_nobody ln -s "$tmp/victim" "$pub/summary.log"
as_nobody ln -s "$tmp/victim" "$pub/events.log"
c=$(conf s "summary_log = $pub/summary.log")
printf '%s\n' "$line" >"$tmp/in"
timeout 10 "$omprog" -c "$c" <"$tmp/in" >/dev/null 2>"$tmp/err"
[ $? = 1 ] || fail "omprog: summary_log through nobody's link: exit $?"
grep -qF "$pub/summary.log': a symbolic link not owned by root or this user" "$tmp/err" ||
	fail "omprog: no reason given: $(cat "$tmp/err")"
victim_intact "omprog summary_log"
expect_exit 1 "events.log': a symbolic link not owned" "$authfold" replay -c "$(conf e "events_log = $pub/events.log")" "$tmp/in"
victim_intact "replay events_log"
expect_exit 1 "summary.log': a symbolic link not owned" "$authfold" replay --summary "$pub/summary.log" "$tmp/in"
victim_intact "replay --summary"
# a link root made is followed
ln -s "$tmp/target.log" "$pub/root.log"
expect_exit 0 "" "$authfold" replay --summary "$pub/root.log" "$tmp/in"
grep -qF "$line" "$tmp/target.log" || fail "a link made by root was not followed"

# 2. state_dir owned by another user, or writable by others
mkdir "$tmp/foreign" && chown nobody "$tmp/foreign" && chmod 700 "$tmp/foreign"
expect_exit 1 "state_dir '$tmp/foreign' is owned by uid" "$omprog" -c "$(conf f "state_dir = $tmp/foreign")"
mkdir "$tmp/open" && chmod 777 "$tmp/open"
expect_exit 1 "state_dir '$tmp/open' is writable by group or others" "$omprog" -c "$(conf o "state_dir = $tmp/open")"
expect_exit 1 "state_dir '$tmp/open' is writable by group or others" "$authfold" journal --once --directory "$tmp" -c "$(conf o2 "state_dir = $tmp/open")"
expect_exit 1 "state_dir '$tmp/open' is writable" "$authfold" unban -c "$(conf o3 "state_dir = $tmp/open")" 192.0.2.7

# 3. entries of state_dir: a planted state file, a WAL link, a group-writable file
st=$tmp/state
printf 'authfold-state 1\naddr 192.0.2.66 32 1 9999999999999999 86400 0 0 0\nend 2\n' >"$st/omprog.state"
chown nobody "$st/omprog.state"
expect_exit 1 "'$st/omprog.state' in state_dir is owned by another user" "$omprog" -c "$(conf p)"
rm -f "$st/omprog.state"
ln -s "$tmp/victim" "$st/omprog.wal"
expect_exit 1 "'$st/omprog.wal' in state_dir is a symbolic link" "$omprog" -c "$(conf w)"
victim_intact "omprog.wal link"
rm -f "$st/omprog.wal"
ln -s "$tmp/victim" "$st/journal.state"
expect_exit 1 "journal.state' in state_dir is a symbolic link" "$authfold" journal --once --directory "$tmp" -c "$(conf j)"
victim_intact "journal.state link"
rm -f "$st/journal.state"
: >"$st/lock" && chmod 666 "$st/lock"
expect_exit 1 "'$st/lock' in state_dir is writable by group or others" "$omprog" -c "$(conf l)"
rm -f "$st/lock"

# 4. and a clean state_dir works: the daemon runs, answers OK, saves
timeout 10 "$omprog" -c "$(conf ok)" <"$tmp/in" >"$tmp/out" 2>"$tmp/err" || fail "clean state_dir: $(cat "$tmp/err")"
[ -s "$st/omprog.state" ] || fail "clean state_dir: no state saved"

exit $failed

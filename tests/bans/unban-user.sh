#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/bans/unban-user.sh - `authfold unban` by root reaches `authfold
# journal` running the way the shipped unit runs it (DynamicUser=yes,
# StateDirectory=authfold, AmbientCapabilities=CAP_NET_ADMIN), and the
# unban without a daemon leaves a state the daemon can still use.
#
# systemd is not needed (nor PID 1 on the test machines): the arrangement
# the unit gets is made by hand, in a private network namespace (lib.sh):
# - an unprivileged uid and gid of systemd's dynamic range, with no entry in
#   /etc/passwd, and no capability but CAP_NET_ADMIN (ambient), as
#   AmbientCapabilities= gives it;
# - its state directory as systemd makes it: ROOT/var/lib/private (0700
#   root) / authfold (0700, the dynamic user's), and ROOT/var/lib/authfold a
#   symbolic link to private/authfold; state_dir names the link;
# - the daemon runs in a mount namespace of its own where, as systemd does
#   for such a unit, a tmpfs (0755) covers ROOT/var/lib/private and holds
#   only its own directory; root's `authfold unban` works from the host's
#   view (through the 0700 directory).
# The daemon reads a journal made from the recording, with the times moved
# so that its bans are running now.
# Checked: root's unban while the daemon runs (kernel entry, the daemon's
# history: its own state at exit); root's unban with no daemon, then the
# daemon starts again with its history (the files root wrote are the
# daemon's user's); root's unban on a state_dir where no daemon ever ran,
# then the daemon starts; and a planted hard link is never handed over.

. "${top_srcdir:-.}/tests/bans/lib.sh"

remote=/lib/systemd/systemd-journal-remote
command -v setpriv >/dev/null 2>&1 || { echo "SKIP: no setpriv"; exit 77; }
[ -x "$remote" ] || { echo "SKIP: no $remote (systemd-journal-remote)"; exit 77; }

uid=61901	# in systemd's DynamicUser range 61184-65519, unused here
while getent passwd "$uid" >/dev/null || getent group "$uid" >/dev/null; do uid=$((uid + 1)); done
chmod 0755 "$tmp"
root=$tmp/root
mkdir -p "$root/var/lib" "$root/log" "$root/journal" "$root/bin"
mkdir -m 0700 "$root/var/lib/private"
mkdir -m 0700 "$root/var/lib/private/authfold"
chown "$uid:$uid" "$root/var/lib/private/authfold"
ln -s private/authfold "$root/var/lib/authfold"
chown "$uid:$uid" "$root/log"
state=$root/var/lib/authfold
cp "$af" "$root/bin/authfold"		# the build tree may not be reachable by the user
cat >"$root/authfold.conf" <<EOF
state_dir = $state
backend = ipset
summary_format = rfc3339
# SASL strikes wait authserver_hold (60s by default) for auth server trouble
# nearby; the guesser's ban is awaited for seconds here
authserver_hold = 2s
EOF
chmod 0644 "$root/authfold.conf"
conf=$root/authfold.conf

# the journal: the recording, its last line 60 s ago
recording_aged "$tmp/recent.log" 60
python3 "$top_srcdir/tests/journal/log2export.py" <"$tmp/recent.log" | "$remote" -o "$root/journal/x.journal" - 2>/dev/null
chmod -R a+rX "$root/journal"
check "a journal of $(wc -l <"$tmp/recent.log") entries" test -s "$root/journal/x.journal"

daemon_pid=
start_daemon() {	# start_daemon LOG: authfold journal as the unit would run it
	unshare -m --propagation private sh -c '
		set -e
		root=$1 uid=$2
		mkdir -p "$root/.stash"
		mount --bind "$root/var/lib/private/authfold" "$root/.stash"
		mount -t tmpfs -o mode=0755 tmpfs "$root/var/lib/private"
		mkdir "$root/var/lib/private/authfold"
		mount --bind "$root/.stash" "$root/var/lib/private/authfold"
		umount "$root/.stash"
		exec setpriv --reuid="$uid" --regid="$uid" --clear-groups --inh-caps=-all,+net_admin \
			--ambient-caps=+net_admin --bounding-set=-all,+net_admin --no-new-privs \
			"$root/bin/authfold" journal -c "$root/authfold.conf" --directory "$root/journal" \
			--summary "$root/log/mail.summary.log"' sh "$root" "$uid" 2>"$1" &
	daemon_pid=$!
	lib_pids=$daemon_pid
}
stop_daemon() {
	kill -TERM "$daemon_pid" 2>/dev/null
	wait "$daemon_pid"
	rc=$?
	daemon_pid= lib_pids=
	return $rc
}
wait_for() {	# wait_for SECONDS COMMAND...: until COMMAND succeeds
	s=$1
	shift
	i=0
	while [ "$i" -lt $((s * 10)) ]; do
		"$@" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
state_has() { grep -q "^addr $1 " "$state/journal-directory.state" 2>/dev/null; }
owned_by_user() {	# every file of the state directory is the user's
	test -z "$(find "$root/var/lib/private/authfold" ! -uid "$uid" -print)"
}

# 1. root's unban while the daemon runs
start_daemon "$tmp/d1.err"
check "the daemon, uid $uid, banned 192.0.2.10 from the journal" wait_for 20 ipset -q test authfold4 192.0.2.10
check "...and saved its state" wait_for 10 state_has 198.51.100.21
check "...in its directory below the 0700 private one" test -s "$root/var/lib/private/authfold/journal-directory.state"
check "...owned by it" owned_by_user
check "root cannot take the daemon's lock: a daemon runs" sh -c "! flock -n '$state/lock' true"
"$af" unban -c "$conf" 192.0.2.10 2>"$tmp/u1.err"
rc=$?
sed 's/^/# /' "$tmp/u1.err"
check "root's authfold unban 192.0.2.10 exits 0" test "$rc" = 0
check "...done by the running daemon" grep -q "done by the running daemon" "$tmp/u1.err"
check "...out of the kernel set" sh -c '! ipset -q test authfold4 192.0.2.10'
check "...the daemon says it took the request" wait_for 5 grep -q "1 unban request taken, 1 entry forgotten" "$tmp/d1.err"
check "...and the request is gone" test -z "$(ls -A "$state/unban.d")"
stop_daemon
check "the daemon ends cleanly on SIGTERM" test "$rc" = 0
sed 's/^/# daemon: /' "$tmp/d1.err"
check "its own state, saved at exit, has forgotten 192.0.2.10" sh -c "! grep -q '^addr 192.0.2.10 ' '$state/journal-directory.state'"
check "...and kept 192.0.2.11 and 198.51.100.21" sh -c "state_has() { grep -q \"^addr \$1 \" '$state/journal-directory.state'; }; state_has 192.0.2.11 && state_has 198.51.100.21"
check "...and everything in its directory is still its own" owned_by_user

# 2. root's unban with no daemon: root edits the state, the daemon starts again
"$af" unban -c "$conf" 192.0.2.11 2>"$tmp/u2.err"
rc=$?
sed 's/^/# /' "$tmp/u2.err"
check "root's unban 192.0.2.11 with no daemon exits 0" test "$rc" = 0
check "...forgotten in the state file" sh -c "! grep -q '^addr 192.0.2.11 ' '$state/journal-directory.state'"
check "...which stays the daemon's user's" owned_by_user
start_daemon "$tmp/d2.err"
check "the daemon starts again and takes its lock" wait_for 10 sh -c "! flock -n '$state/lock' true"
sleep 1
check "...keeps running" kill -0 "$daemon_pid"
check "...with its history: 198.51.100.21 still banned, no 'starting without state'" sh -c \
	"ipset -q test authfold4 198.51.100.21 && ! grep -q 'starting without state' '$tmp/d2.err'"
stop_daemon
sed 's/^/# daemon: /' "$tmp/d2.err"
check "...and 192.0.2.11 stays forgotten (not struck again from the journal it already read)" sh -c \
	"! grep -q '^addr 192.0.2.11 ' '$state/journal-directory.state' && grep -q '^addr 198.51.100.21 ' '$state/journal-directory.state'"

# 3. root's unban where no daemon ever ran (the lock file is made by root), then the daemon
rm -rf "$root/var/lib/private/authfold"
mkdir -m 0700 "$root/var/lib/private/authfold"
chown "$uid:$uid" "$root/var/lib/private/authfold"
ipset flush authfold4
"$af" unban -c "$conf" 192.0.2.10 2>"$tmp/u3.err"
rc=$?
sed 's/^/# /' "$tmp/u3.err"
check "root's unban on a state_dir no daemon used exits 0" test "$rc" = 0
check "...and leaves nothing there that is not the daemon's user's" owned_by_user
start_daemon "$tmp/d3.err"
check "the daemon then starts and bans" wait_for 20 ipset -q test authfold4 198.51.100.21
stop_daemon
sed 's/^/# daemon: /' "$tmp/d3.err"
check "...without an error" sh -c "! grep -qiE 'cannot|denied|error' '$tmp/d3.err'"

# 4. a lock planted as a hard link to a root file (possible where
#    fs.protected_hardlinks is 0): root's unban refuses to hand it over
rm -rf "$root/var/lib/private/authfold"
mkdir -m 0700 "$root/var/lib/private/authfold"
chown "$uid:$uid" "$root/var/lib/private/authfold"
echo "root's own" >"$tmp/victim"
ln "$tmp/victim" "$root/var/lib/private/authfold/lock"
"$af" unban -c "$conf" 192.0.2.10 2>"$tmp/u4.err"
rc=$?
sed 's/^/# /' "$tmp/u4.err"
check "a lock that is a hard link to a root file: unban fails (exit $rc), naming the lock" \
	sh -c "test $rc = 1 && grep -q \"cannot lock '.*/lock'\" '$tmp/u4.err'"
check "...and the root file stays root's" test "$(stat -c %u "$tmp/victim")" = 0
finish

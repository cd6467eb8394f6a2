#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/enforce/journal.sh - issue 23: authfold-enforce runs beside
# `authfold journal` run as the shipped unit runs it (DynamicUser=yes,
# StateDirectory=authfold mode 0700, CAP_NET_ADMIN only), with real ipsets
# in a private network namespace (tests/bans/lib.sh). The arrangement is
# made by hand as in tests/bans/unban-user.sh (no systemd needed).
#
# Checked:
# - with state_dir alone, the enforcer (root, keeping only CAP_NET_ADMIN)
#   cannot enter the daemon's 0700 directory: it exits 1 and says so (the
#   finding);
# - with enforce_state_dir (a directory of root's), it runs beside the
#   daemon: central bans reach the kernel, the daemon keeps running;
# - a central unban of an address the daemon banned itself removes the
#   kernel entry and reaches the daemon through enforce_state_dir/forget.d
#   (the daemon cannot be written to): the daemon forgets it; a central
#   ban of it decided after the unban stays in the kernel (the daemon
#   touches no kernel entry for such a request, and reading the request
#   again forgets nothing more);
# - root's `authfold status` and `authfold unban` find the enforcer there;
# - 301 central unbans while the daemon is down: at its start it reads all
#   of forget.d (more than bans(3)'s 256 requests per call) and forgets its
#   own 192.0.2.11;
# - after a "reboot" the daemon does not put the unbanned addresses back,
#   and authfold-enforce --restore puts back the later central ban.

. "${top_srcdir:-.}/tests/bans/lib.sh"

enf=$top_builddir/authfold-enforce
remote=/lib/systemd/systemd-journal-remote
[ -x "$enf" ] || { echo "FAIL: $enf is not built"; exit 1; }
command -v setpriv >/dev/null 2>&1 || { echo "SKIP: no setpriv"; exit 77; }
[ -x "$remote" ] || { echo "SKIP: no $remote (systemd-journal-remote)"; exit 77; }

uid=61911	# in systemd's DynamicUser range 61184-65519, unused here
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
cp "$af" "$root/bin/authfold"
by=central.example.org
cat >"$root/authfold.conf" <<EOF
state_dir = $state
backend = ipset
summary_format = rfc3339
# SASL strikes wait authserver_hold (60s by default) for auth server trouble
# nearby; the guesser's ban is awaited for seconds here
authserver_hold = 2s
enforce_from = $by
EOF
sed '$a enforce_state_dir = '"$root/var/lib/authfold-enforce" "$root/authfold.conf" >"$root/both.conf"
chmod 0644 "$root/authfold.conf" "$root/both.conf"

recording_aged "$tmp/recent.log" 60
python3 "$top_srcdir/tests/journal/log2export.py" <"$tmp/recent.log" | "$remote" -o "$root/journal/x.journal" - 2>/dev/null
chmod -R a+rX "$root/journal"

daemon_pid=
start_daemon() {	# start_daemon CONF LOG: authfold journal as the unit would run it
	unshare -m --propagation private sh -c '
		set -e
		root=$1 uid=$2 conf=$3
		mkdir -p "$root/.stash"
		mount --bind "$root/var/lib/private/authfold" "$root/.stash"
		mount -t tmpfs -o mode=0755 tmpfs "$root/var/lib/private"
		mkdir "$root/var/lib/private/authfold"
		mount --bind "$root/.stash" "$root/var/lib/private/authfold"
		umount "$root/.stash"
		exec setpriv --reuid="$uid" --regid="$uid" --clear-groups --inh-caps=-all,+net_admin \
			--ambient-caps=+net_admin --bounding-set=-all,+net_admin --no-new-privs \
			"$root/bin/authfold" journal -c "$conf" --directory "$root/journal" \
			--summary "$root/log/mail.summary.log"' sh "$root" "$uid" "$1" 2>"$2" &
	daemon_pid=$!
	lib_pids="$daemon_pid ${enf_pid:-}"
}
stop_daemon() {
	kill -TERM "$daemon_pid" 2>/dev/null
	wait "$daemon_pid"
	rc=$?
	daemon_pid=
	lib_pids=${enf_pid:-}
	return $rc
}
wait_for() {	# wait_for SECONDS COMMAND...
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
dec() {	# dec ID OP NET AT UNTIL
	reason=noauth
	[ "$2" = unban ] && reason=admin
	echo " authfold-decision v1 id=$1 op=$2 net=$3 at=$4 until=$5 reason=$reason by=$by"
}
replies() {	# replies N: the enforcer has answered N lines OK (10 s at most)
	wait_for 10 sh -c "[ \$(grep -c '^OK\$' '$tmp/out' 2>/dev/null) -ge $1 ]"
}
in_set() { ipset -q test authfold4 "$1"; }
state_has() { grep -q "^addr $1 " "$state/journal-directory.state" 2>/dev/null; }

start_daemon "$root/both.conf" "$tmp/d1.err"
check "the daemon, uid $uid, banned 192.0.2.10 and 198.51.100.21 from the journal" \
	wait_for 20 sh -c "ipset -q test authfold4 192.0.2.10 && ipset -q test authfold4 198.51.100.21"
check "...and saved its state" wait_for 10 state_has 198.51.100.21

# 1. state_dir alone: the finding
now=$(date +%s)
dec 00000000000000a1 ban 203.0.113.5/32 "$now" $((now + 3600)) | "$enf" -c "$root/authfold.conf" >/dev/null 2>"$tmp/e0.err"
rc=$?
sed 's/^/# enforce: /' "$tmp/e0.err"
check "without enforce_state_dir the enforcer cannot enter the daemon's state_dir: exit 1 (is $rc)" [ "$rc" = 1 ]
check "...and says why" grep -q 'Permission denied' "$tmp/e0.err"

# 2. enforce_state_dir: beside the daemon
mkfifo "$tmp/in"
"$enf" -c "$root/both.conf" <"$tmp/in" >"$tmp/out" 2>"$tmp/e1.err" &
enf_pid=$!
lib_pids="$daemon_pid $enf_pid"
exec 3>"$tmp/in"
dec 00000000000000a1 ban 203.0.113.5/32 "$now" $((now + 3600)) >&3
check "with enforce_state_dir the enforcer greets and takes a central ban" replies 2
check "...into the kernel" in_set 203.0.113.5
check "...its log in enforce_state_dir" grep -q 'id=00000000000000a1 op=ban' "$root/var/lib/authfold-enforce/enforce.log"
check "the daemon keeps running" kill -0 "$daemon_pid"

# 3. a central unban of the daemon's own ban, then a central ban decided after it
dec 00000000000000b1 unban 192.0.2.10/32 $((now + 1)) 0 >&3
check "a central unban of 192.0.2.10 is answered" replies 3
check "...its kernel entry is gone" sh -c '! ipset -q test authfold4 192.0.2.10'
check "...a request for the daemon waits in enforce_state_dir/forget.d, readable by it" sh -c "
	[ -f '$root/var/lib/authfold-enforce/forget.d/192.0.2.10-32' ] &&
	setpriv --reuid=$uid --regid=$uid --clear-groups cat '$root/var/lib/authfold-enforce/forget.d/192.0.2.10-32' >/dev/null"
check "...and the daemon forgets 192.0.2.10" wait_for 5 grep -q '1 entry forgotten after central unbans' "$tmp/d1.err"
dec 00000000000000a2 ban 192.0.2.10/32 $((now + 2)) $((now + 3600)) >&3
check "a central ban of 192.0.2.10 decided after the unban is answered" replies 4
sleep 2.5	# the daemon reads forget.d every second
check "...and stays in the kernel (the daemon touches no kernel entry for it)" in_set 192.0.2.10
check "...the daemon forgot only once" [ "$(grep -c 'forgotten after central unbans' "$tmp/d1.err")" = 1 ]
check "the daemon still runs, 198.51.100.21 still banned" sh -c "kill -0 $daemon_pid && ipset -q test authfold4 198.51.100.21"

# 4. root's status and unban find the enforcer in enforce_state_dir
"$af" status -c "$root/both.conf" --json >"$tmp/status.json" 2>"$tmp/status.err"
check "authfold status shows the two central bans" python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))["central"]
sys.exit(0 if sorted(b["addr"] for b in c["bans"]) == ["192.0.2.10", "203.0.113.5"] else 1)' "$tmp/status.json"
"$af" unban -c "$root/both.conf" 203.0.113.5 2>"$tmp/u1.err"
rc=$?
sed 's/^/# unban: /' "$tmp/u1.err"
check "authfold unban 203.0.113.5 on the MX: lifted by the running enforcer (exit $rc)" \
	sh -c "[ $rc = 0 ] && grep -q 'lifted by the running authfold-enforce' '$tmp/u1.err' && ! ipset -q test authfold4 203.0.113.5"

exec 3>&-
wait "$enf_pid"
rc=$?
enf_pid=
lib_pids=$daemon_pid
check "the enforcer ends at EOF (exit $rc)" [ "$rc" = 0 ]
stop_daemon
check "the daemon ends cleanly (exit $rc)" [ "$rc" = 0 ]
sed 's/^/# daemon: /' "$tmp/d1.err"
sed 's/^/# enforce: /' "$tmp/e1.err"
check "its state has forgotten 192.0.2.10 and kept 198.51.100.21" sh -c "
	! grep -q '^addr 192.0.2.10 ' '$state/journal-directory.state' && grep -q '^addr 198.51.100.21 ' '$state/journal-directory.state'"

# 5. while the daemon is down: 300 central unbans of other networks, then
#    one of its own 192.0.2.11; then a reboot
later=$(($(date +%s) + 3))
i=0
while [ $i -lt 300 ]; do
	dec "$(printf '%016x' $((8192 + i)))" unban "2001:db8:ff:$(printf '%x' $((i + 1)))::/64" "$later" 0
	i=$((i + 1))
done >"$tmp/unbans"
dec 00000000000000b2 unban 192.0.2.11/32 "$later" 0 >>"$tmp/unbans"
"$enf" -c "$root/both.conf" --no-confirm <"$tmp/unbans" 2>"$tmp/e2.err"
rc=$?
check "301 central unbans while the daemon is down (exit $rc): 302 requests in forget.d with the first" \
	sh -c "[ $rc = 0 ] && [ \$(ls '$root/var/lib/authfold-enforce/forget.d' | wc -l) = 302 ]"
ipset flush authfold4
start_daemon "$root/both.conf" "$tmp/d2.err"
check "the daemon restarts and restores its own bans" wait_for 10 in_set 198.51.100.21
sleep 1
check "...not 192.0.2.10 (the central unban)" sh -c '! ipset -q test authfold4 192.0.2.10'
check "...nor 192.0.2.11: it read all 302 requests at start, past bans(3)'s 256 per call" \
	sh -c "! ipset -q test authfold4 192.0.2.11 && grep -q '1 entry forgotten after central unbans' '$tmp/d2.err'"
"$enf" -c "$root/both.conf" --restore 2>"$tmp/r.err"
rc=$?
sed 's/^/# restore: /' "$tmp/r.err"
check "authfold-enforce --restore beside it (exit $rc) puts the later central ban back" sh -c "[ $rc = 0 ] && ipset -q test authfold4 192.0.2.10"
stop_daemon
check "the daemon ends cleanly again (exit $rc)" [ "$rc" = 0 ]
sed 's/^/# daemon: /' "$tmp/d2.err"
finish

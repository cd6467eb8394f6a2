#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/bans/recover.sh - what goes wrong around a running authfold:
# 1. an admin destroys authfold4 while authfold replay --ban reads a pipe:
#    the next ban recreates the set and lands in it;
# 2. the state file is deleted or corrupted between two daemon runs
#    (tests/bans/bans_check feed stands in for the daemons): the run reports
#    it, sets the corrupt file aside and goes on with an empty state; status
#    reports a corrupt file without renaming it;
# 3. "reboot": a daemon saved its state, the sets are destroyed; on start
#    bans_restore() puts every running ban back with its remaining time and
#    leaves present entries alone.

. "${top_srcdir:-.}/tests/bans/lib.sh"

conf "$tmp/a.conf"
now=$(date +%s)

# 1. set destroyed while running
mkfifo "$tmp/pipe"
"$af" replay -c "$tmp/a.conf" --ban --events "$tmp/1.events" <"$tmp/pipe" >/dev/null 2>"$tmp/1.err" &
lib_pids=$!
exec 3>"$tmp/pipe"
noauth_session "$now" 301 192.0.2.60 >&3
noauth_session "$now" 302 192.0.2.60 >&3
wait_member() {	# wait_member SET ADDR: up to 5 s
	i=0
	while ! ipset -q test "$1" "$2"; do
		i=$((i + 1))
		[ $i -le 50 ] || return 1
		sleep 0.1
	done
}
check "a running replay bans 192.0.2.60" wait_member authfold4 192.0.2.60
ipset destroy authfold4
check "an admin destroyed authfold4" sh -c '! ipset -q list authfold4 >/dev/null'
noauth_session "$now" 303 192.0.2.61 >&3
noauth_session "$now" 304 192.0.2.61 >&3
check "the next ban recreates authfold4 and lands in it" wait_member authfold4 192.0.2.61
exec 3>&-
wait $lib_pids
check "the replay ends with 0 (nothing lost)" test $? = 0
lib_pids=
check "its report counts 2 bans given to the kernel, 0 failed" grep -q "given to the kernel: 2, already over: 0, failed: 0" "$tmp/1.err"

# 2. state file deleted or corrupted
{
	noauth_session $((now - 30)) 401 192.0.2.70
	noauth_session $((now - 20)) 402 192.0.2.70
	noauth_session $((now - 10)) 403 192.0.2.71
} >"$tmp/2.log"
st=$tmp/state/x.state
"$bc" feed "$tmp/a.conf" "$st" - "$tmp/2.log" 2>"$tmp/2a.err"
check "a daemon run without a state file starts quietly" sh -c "[ $? = 0 ] && [ ! -s '$tmp/2a.err' ] && [ -s '$st' ]"
rm "$st"
"$bc" feed "$tmp/a.conf" "$st" - /dev/null 2>"$tmp/2b.err"
check "state deleted: the next run goes on (exit 0, a new file)" sh -c "[ $? = 0 ] && [ -s '$st' ]"
"$bc" feed "$tmp/a.conf" "$st" - "$tmp/2.log" 2>/dev/null
sed -i '$d' "$st"	# cut the end line: a file cut short
"$af" status -c "$tmp/a.conf" >"$tmp/status.txt" 2>&1
check "status reports the corrupt file" grep -q "x.state' is corrupt (line .*no end line" "$tmp/status.txt"
check "status leaves it where it is" sh -c "[ -e '$st' ] && [ ! -e '$st.corrupt' ]"
"$bc" feed "$tmp/a.conf" "$st" - /dev/null 2>"$tmp/2c.err"
check "state corrupt: the run exits 0" test $? = 0
check "...reports it, naming the file" grep -q "x.state' is corrupt (line .*set aside as '$st.corrupt'" "$tmp/2c.err"
check "...set it aside and wrote a new one" sh -c "[ -e '$st.corrupt' ] && grep -q '^end ' '$st'"
check "...and goes on: the kernel entries were not touched" ipset -q test authfold4 192.0.2.70

# 3. reboot: the sets are gone, the state is not
rm -f "$st" "$st.corrupt"
ipset destroy
{
	noauth_session $((now - 30)) 501 192.0.2.80
	noauth_session $((now - 29)) 502 192.0.2.80
	noauth_session $((now - 20)) 503 2001:db8::80
	noauth_session $((now - 19)) 504 2001:db8::81
	noauth_session $((now - 10)) 505 192.0.2.81
} >"$tmp/3.log"
"$bc" feed "$tmp/a.conf" "$st" - "$tmp/3.log"
check "before the reboot: 192.0.2.80 and 2001:db8::/64 banned" \
	sh -c "ipset -q test authfold4 192.0.2.80 && ipset -q test authfold6 2001:db8::/64"
ipset destroy
check "after the reboot: no sets" sh -c '! ipset -q list authfold4 >/dev/null'
"$bc" restore "$tmp/a.conf" "$st" >"$tmp/3.out"
check "restore: $(cat "$tmp/3.out")" grep -qx "active 2 present 0 restored 2 failed 0" "$tmp/3.out"
check "192.0.2.80 is back with ~1d minus 30 s" expect_timeout authfold4 192.0.2.80 $((now - 29 + 86400 - $(date +%s)))
check "2001:db8::/64 is back with ~1d minus 19 s" expect_timeout authfold6 2001:db8::/64 $((now - 19 + 86400 - $(date +%s)))
check "192.0.2.81 (one strike, never banned) is not added" sh -c '! ipset -q test authfold4 192.0.2.81'
ipset del authfold4 192.0.2.80
ipset add authfold4 192.0.2.80 timeout 1000 -exist
ipset del authfold6 2001:db8::/64
"$bc" restore "$tmp/a.conf" "$st" >"$tmp/3b.out"
check "restore again: $(cat "$tmp/3b.out")" grep -qx "active 2 present 1 restored 1 failed 0" "$tmp/3b.out"
check "a present entry is left alone (the admin's 1000 s stay)" expect_timeout authfold4 192.0.2.80 1000
finish

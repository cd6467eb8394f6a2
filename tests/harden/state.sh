#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/harden/state.sh - state files as hostile input.
# 1. every field is checked against what authfold writes: records with a
#    prefix it never writes (::/1, an IPv4 /8 or /24, host bits set), a
#    negative time, a NUL byte, an unknown flag make the file corrupt
#    (status: a note, the file untouched; a daemon: set aside, started
#    empty); a ban end of INT64_MAX is clamped to now + bantime_max;
# 2. authfold status and a FIFO or a link to /dev/zero named *.state:
#    no hang, no copy, a note;
# 3. a state save that fails half-way (RLIMIT_FSIZE) never replaces the
#    good state file, and leaves no temporary file.

. "$(dirname "$0")/lib.sh"

st=$tmp/st
mkdir -m 700 "$st"
cat >"$tmp/c.conf" <<CONF
backend = none
state_dir = $st
summary_log = $tmp/summary.log
CONF
now=$(date +%s)
us=${now}000000

# status --json "ok" of one state file holding the given records
state_ok() {
	rm -f "$st"/*.state
	{ echo "authfold-state 1"; printf '%b\n' "$@"; echo "end $(($# + 1))"; } >"$st/t.state"
	chmod 600 "$st/t.state"
	timeout 10 "$authfold" status -c "$tmp/c.conf" --json >"$tmp/status.json" 2>"$tmp/err" ||
		fail "status failed: $(cat "$tmp/err")"
	grep -o '"states":\[[^]]*\]' "$tmp/status.json" | grep -o '"ok":[a-z]*' | cut -d: -f2
}
good="addr 192.0.2.9 32 1 $((us + 3600000000)) 86400 $us 0 1 $us"
[ "$(state_ok "$good")" = true ] || fail "a good state file is refused: $(cat "$tmp/status.json")"
while IFS='|' read -r what rec; do
	[ -n "$what" ] || continue
	rec=$(echo "$rec" | sed "s/NOW/$us/g")
	got=$(state_ok "$rec")
	[ "$got" = false ] || fail "$what: accepted ($rec)"
	[ -f "$st/t.state" ] || fail "$what: status moved the file"
done <<'TABLE'
IPv6 /1 (half of IPv6)|addr :: 1 1 NOW 86400 NOW 0 0
IPv6 /15|addr 2001:: 15 1 NOW 86400 NOW 0 0
IPv6 host bits past the prefix|addr 2001:db8::1 64 1 NOW 86400 NOW 0 0
IPv4 /8|addr 10.0.0.0 8 1 NOW 86400 NOW 0 0
IPv4 /24|addr 192.0.2.0 24 1 NOW 86400 NOW 0 0
negative ban end|addr 192.0.2.9 32 1 -5 86400 NOW 0 0
negative strike time|addr 192.0.2.9 32 0 0 0 NOW 0 1 -1
times banned beyond reason|addr 192.0.2.9 32 99999999 NOW 86400 NOW 0 0
strike count that lies|addr 192.0.2.9 32 0 0 0 NOW 0 2 NOW
pending ::/1|pending :: 1 NOW
pending IPv4 /16|pending 10.1.0.0 16 NOW
session with unknown flags|session mx1 postfix/smtpd 7 NOW 99 unknown[192.0.2.7]
session with a negative pid|session mx1 postfix/smtpd -7 NOW 1 unknown[192.0.2.7]
number with a sign where none is written|addr 192.0.2.9 32 +1 NOW 86400 NOW 0 0
TABLE

# a NUL byte inside a record
rm -f "$st"/*.state
printf 'authfold-state 1\naddr 192.0.2.9 32 1 %s 86400 %s 0\0000 0\nend 2\n' "$us" "$us" >"$st/t.state"
timeout 10 "$authfold" status -c "$tmp/c.conf" --json >"$tmp/status.json" 2>&1
grep -q '"ok":false' "$tmp/status.json" || fail "a NUL byte in a record is accepted: $(cat "$tmp/status.json")"

# a ban end of INT64_MAX: clamped to now + bantime_max (24d), not the year 294247
[ "$(state_ok "addr 192.0.2.9 32 1 9223372036854775807 86400 $us 0 0")" = true ] || fail "INT64_MAX refused"
rem=$(grep -o '"remaining":[0-9]*' "$tmp/status.json" | cut -d: -f2)
[ -n "$rem" ] && [ "$rem" -le $((24 * 86400 + 5)) ] || fail "ban end not clamped: remaining '$rem'"
grep -q '"until":"29' "$tmp/status.json" && fail "a ban until the far future: $(cat "$tmp/status.json")"

# the daemon sets a corrupt file aside and starts empty: ::/1 never reaches a set
rm -rf "$st"/*
printf 'authfold-state 1\naddr :: 1 1 %s 86400 %s 0 0\nend 2\n' "$((us + 3600000000))" "$us" >"$st/omprog.state"
chmod 600 "$st/omprog.state"
timeout 10 "$omprog" -c "$tmp/c.conf" </dev/null >/dev/null 2>"$tmp/err" || fail "omprog: $(cat "$tmp/err")"
grep -q "omprog.state' is corrupt (line 2: bad address or prefix.*set aside as '$st/omprog.state.corrupt'" "$tmp/err" ||
	fail "omprog did not report the corrupt state: $(cat "$tmp/err")"
[ -f "$st/omprog.state.corrupt" ] || fail "omprog did not set the corrupt state aside"
grep -q '^addr' "$st/omprog.state" && fail "the ::/1 entry survived: $(cat "$st/omprog.state")"

# 2. status and a FIFO, a link to /dev/zero: a note each, at once, no copy left
rm -rf "$st"/*
mkfifo -m 600 "$st/x.state"
ln -s /dev/zero "$st/z.state"
mkdir -m 700 "$tmp/tmpdir"
TMPDIR=$tmp/tmpdir timeout 10 "$authfold" status -c "$tmp/c.conf" >"$tmp/out" 2>&1
rc=$?
[ $rc = 0 ] || fail "status with a FIFO and a /dev/zero link: exit $rc: $(cat "$tmp/out")"
grep -q "x.state': not a regular file" "$tmp/out" || fail "no note about the FIFO: $(cat "$tmp/out")"
grep -q "z.state': a symbolic link, not followed" "$tmp/out" || fail "no note about the link: $(cat "$tmp/out")"
[ -z "$(ls -A "$tmp/tmpdir")" ] || fail "status left files in TMPDIR: $(ls "$tmp/tmpdir")"
rm -rf "$st"/*

# 3. a save that fails half-way keeps the last good state
ts=$(date -u +%Y-%m-%dT%H:%M:%S)
awk -v ts="$ts" 'BEGIN { for (i = 0; i < 20000; i++) {
	a = sprintf("2001:db8:%x:%x::1", int(i / 256), i % 256)
	printf "%s.%06d+00:00 mx1 postfix/smtpd[%d]: connect from unknown[%s]\n", ts, i, 1000 + i, a
	printf "%s.%06d+00:00 mx1 postfix/smtpd[%d]: disconnect from unknown[%s] ehlo=1 auth=0/1 quit=1 commands=2/3\n", ts, i, 1000 + i, a } }' >"$tmp/strikes.log"
timeout 30 "$omprog" -c "$tmp/c.conf" <"$tmp/strikes.log" >/dev/null 2>"$tmp/err" || fail "omprog: $(cat "$tmp/err")"
n=$(grep -c '^addr' "$st/omprog.state")
[ "$n" = 20000 ] || fail "expected 20000 addresses in the state, got $n"
size=$(stat -c %s "$st/omprog.state")
sum=$(cksum <"$st/omprog.state")
[ "$size" -gt $((1200 * 1024)) ] || fail "the state is too small for the test: $size bytes"
# 1100 KiB of file size: the line journal (a 1 MiB mapping) fits, the state
# (~$size bytes) does not; SIGXFSZ ignored, so writes fail with EFBIG as on
# a full disk
(trap '' XFSZ; ulimit -f 1100; exec timeout 30 "$omprog" -c "$tmp/c.conf") </dev/null >/dev/null 2>"$tmp/err"
echo "omprog under RLIMIT_FSIZE 1100 KiB (state $size bytes): exit $?: $(tr '\n' ' ' <"$tmp/err")"
grep -q "cannot write state '$st/omprog.state'" "$tmp/err" || fail "the failed save was not reported"
[ "$(cksum <"$st/omprog.state")" = "$sum" ] || fail "a failed save replaced the good state file"
[ -e "$st/omprog.state.tmp" ] && fail "a failed save left omprog.state.tmp"

exit $failed

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/harden/config.sh - configurations a careless admin can give: each is
# refused at once with exit 2 and the reason (FILE:LINE where there is a
# line), before any output file is created; a program reading a
# configuration can be stopped by SIGTERM.

. "$(dirname "$0")/lib.sh"

# -c /dev/zero used to spin at 100% CPU, deaf to SIGTERM
expect_exit 2 "/dev/zero: not a regular file" "$omprog" -c /dev/zero
expect_exit 2 "/dev/zero: not a regular file" "$authfold" replay -c /dev/zero
mkfifo "$tmp/fifo"
expect_exit 2 "fifo: not a regular file" "$omprog" -c "$tmp/fifo"
mkdir "$tmp/confdir"
expect_exit 2 "confdir: is a directory" "$omprog" -c "$tmp/confdir"
expect_exit 2 "confdir: is a directory" "$authfold" status -c "$tmp/confdir"
head -c 2000000 /dev/zero | tr '\0' '#' >"$tmp/big.conf"
expect_exit 2 "big.conf: larger than" "$omprog" -c "$tmp/big.conf"

# NUL bytes: 'maxretry = 3\0junk' is not 3, and what follows a NUL and
# 4096 bytes of padding is not a new line
printf 'maxretry = 3\000junk\n' >"$tmp/nul.conf"
expect_exit 2 "nul.conf:1: NUL byte" "$omprog" -c "$tmp/nul.conf"
{ printf '# x\nmaxretry = 3\000'; head -c 4200 /dev/zero | tr '\0' ' '; printf 'bogus = 1\n'; } >"$tmp/pad.conf"
expect_exit 2 "pad.conf:2: NUL byte" "$authfold" replay -c "$tmp/pad.conf"

# ipset4 = ipset6, summary_log = events_log, an output in state_dir: refused
# at load, naming the later line, before any file is created
mkdir "$tmp/state" && chmod 700 "$tmp/state"
cat >"$tmp/same.conf" <<CONF
summary_log = $tmp/summary.log
state_dir = $tmp/state
backend = none
ipset4 = one
ipset6 = one
CONF
expect_exit 2 "same.conf:5: ipset4 and ipset6 are both 'one'" "$omprog" -c "$tmp/same.conf"
expect_exit 2 "same.conf:5: ipset4 and ipset6" "$authfold" journal -c "$tmp/same.conf" --once --directory "$tmp"
[ -e "$tmp/summary.log" ] && fail "summary.log created by a refused configuration"
cat >"$tmp/coll.conf" <<CONF
summary_log = $tmp/x.log
events_log = $tmp/x.log
state_dir = $tmp/state
CONF
expect_exit 2 "coll.conf:2: summary_log and events_log are both" "$omprog" -c "$tmp/coll.conf"
cat >"$tmp/indir.conf" <<CONF
state_dir = $tmp/state
summary_log = $tmp/state/omprog.state
CONF
expect_exit 2 "indir.conf:2: summary_log '$tmp/state/omprog.state' is inside state_dir" "$omprog" -c "$tmp/indir.conf"
[ -e "$tmp/x.log" ] || [ -e "$tmp/state/omprog.state" ] && fail "a refused configuration created an output"

# outputs that collide, seen on the opened files: the summary on
# authfold-omprog's standard output (the reply pipe), two names of one file
for s in - /dev/stdout; do
	printf 'summary_log = %s\nstate_dir = %s\nbackend = none\n' "$s" "$tmp/state" >"$tmp/stdout.conf"
	expect_exit 2 "is standard output, where only the replies" "$omprog" -c "$tmp/stdout.conf"
done
ln -s "$tmp/one.log" "$tmp/other.log"
printf 'summary_log = %s\nevents_log = %s\nstate_dir = %s\nbackend = none\n' "$tmp/one.log" "$tmp/other.log" \
	"$tmp/state" >"$tmp/twonames.conf"
expect_exit 2 "are the same file" "$omprog" -c "$tmp/twonames.conf"
expect_exit 2 "are the same file" "$authfold" replay --summary "$tmp/one.log" --events "$tmp/other.log" /dev/null
expect_exit 2 "are the same file" "$authfold" replay --summary - --events - /dev/null
ln -s state "$tmp/statelink"	# another name of state_dir: the opened file is checked
printf 'summary_log = %s\nstate_dir = %s\nbackend = none\n' "$tmp/statelink/x.log" "$tmp/state" >"$tmp/alias.conf"
expect_exit 2 "x.log' is in state_dir" "$omprog" -c "$tmp/alias.conf"

# SIGTERM ends a program that has read its configuration and waits on stdin
cat >"$tmp/ok.conf" <<CONF
summary_log = $tmp/ok.log
state_dir = $tmp/state
backend = none
CONF
mkfifo "$tmp/in"
"$omprog" -c "$tmp/ok.conf" <"$tmp/in" >/dev/null 2>"$tmp/term.err" &
pid=$!
exec 3>"$tmp/in"
sleep 0.5
kill -TERM "$pid"
for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
if kill -0 "$pid" 2>/dev/null; then
	fail "authfold-omprog ignored SIGTERM"
	kill -KILL "$pid"
fi
exec 3>&-
wait "$pid"

exit $failed

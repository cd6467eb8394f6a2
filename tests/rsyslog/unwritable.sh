#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The summary cannot be written for a while (its file system is full: a
# small tmpfs filled up), then can again. authfold-omprog answers ERROR,
# rsyslog keeps the lines and resends; the resent line is not folded twice.
# At the end nothing is lost and nothing doubled: the summary and the strikes
# equal those of `authfold replay`.
. "$(dirname "$0")/lib.sh"

new_run unwritable 's|action.resumeInterval="10"|action.resumeInterval="1"|'
expect
size=$(( ($(stat -c %s "$W/exp/summary.log") + $(stat -c %s "$W/exp/events.log")) * 2 + 1048576 ))
mount -t tmpfs -o "size=$size,mode=0755" authfold-test "$W/out" || skip "cannot mount a tmpfs"
MOUNTS+=("$W/out")
: >"$SUMMARY"
: >"$EVENTS"
dd if=/dev/zero of="$W/out/filler" bs=4k 2>/dev/null   # fills it: "No space left on device"
start_rsyslog
send --sentinel end-of-test
sleep 4
grep -q 'No space left on device' "$W/omprog.err" 2>/dev/null ||
    fail "authfold-omprog reported no write error while the disk was full"
grep -q 'end-of-test$' "$SUMMARY" && fail "the whole input went through a full disk?"
say "disk full for 4 s: $(wc -l <"$SUMMARY") summary lines so far; freeing it"
rm -f "$W/out/filler"
wait_for end-of-test 60
stop_rsyslog
grep -q 'outputs written again' "$W/omprog.err" || fail "no recovery message"
compare_exact
exit 0

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# logrotate: the summary and the events log are renamed while lines flow,
# rsyslogd gets SIGHUP and forwards it (hup.signal="HUP"); authfold-omprog
# reopens both. The old files followed by the new ones equal the replay.
. "$(dirname "$0")/lib.sh"

new_run hup
expect
n=$(wc -l <"$DATA")
half=$((n / 2))
start_rsyslog
send --to "$half" --sentinel half-way
wait_for half-way
mv "$SUMMARY" "$SUMMARY.1"
mv "$EVENTS" "$EVENTS.1"
kill -HUP "$RS_PID"
send --from "$half" --sentinel end-of-test
wait_for end-of-test
stop_rsyslog
[ -s "$SUMMARY.1" ] || fail "nothing in the rotated summary"
[ "$(bare "$SUMMARY" | wc -l)" -gt 0 ] || fail "nothing in the new summary"
EVENTS_FILES=("$EVENTS.1" "$EVENTS")
compare_exact "$SUMMARY.1" "$SUMMARY"
say "rotated: $(bare "$SUMMARY.1" | wc -l) lines before the HUP, $(bare "$SUMMARY" | wc -l) after"
exit 0

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Entries that claim SYSLOG_IDENTIFIER=postfix/smtpd from a process of
# another user (_UID nobody or root), even one that named itself smtpd
# (_COMM=smtpd: prctl(PR_SET_NAME), or a copy of logger named smtpd), pass
# through the summary and never strike; so do entries without _UID with
# uncredited = pass, and with journal_trusted_exe entries of another _EXE;
# a MESSAGE with newlines cannot forge a summary line; binary and overlong
# MESSAGEs are cut and counted, the reader goes on.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${top_srcdir:-$(dirname "$0")/../..}/tests/journal/lib.sh"

LOG=$(data_log)
conf "$T/c.conf"
grep -E '^[0-9]{4}-' "$LOG" >"$T/all.log" || true
n=$(wc -l <"$T/all.log")
replay_ref "$T/all.log" "$T/r.sum" "$T/r.ev"
[ "$(strikes "$T/r.ev")" -gt 0 ] || fail "the log has no strike: the test proves nothing"

run() {
	rm -rf "$T/state" "$T/j.sum" "$T/j.ev"
	conf "$T/c.conf" "${EXTRA[@]}"
	"$AUTHFOLD" journal -c "$T/c.conf" --once --directory "$T/$1" --summary "$T/j.sum" --events "$T/j.ev" \
		2>"$T/journal.err" || { cat "$T/journal.err" >&2; fail "authfold journal failed"; }
}

EXTRA=()
PF_UID=$(id -u postfix 2>/dev/null) || skip "no user postfix (trusted_users' default)"

# 0. The genuine entries (_UID postfix, _COMM smtpd) strike as replay does.
export_to "$T/g/x.journal" <"$T/all.log"
run g
same_events "$T/r.ev" "$T/j.ev" || fail "genuine entries do not strike as replay"

# 1. All forged, by a process that calls itself smtpd, as nobody and as
#    root: nothing strikes; nobody's lines all pass through, root's too but
#    for its smtpd -v chatter, folded as Postfix's start-up chatter is.
for who in 65534 0; do
	rm -rf "$T/f"
	export_to "$T/f/x.journal" --comm smtpd --uid "$who" <"$T/all.log"
	run f
	[ "$(strikes "$T/j.ev")" = 0 ] || fail "forged entries of _UID $who named smtpd struck"
	if [ "$who" = 0 ]; then
		# root's smtpd -v chatter folds away (smtpd logs it as root before it
		# drops privileges); every other line is kept as it is
		diff <(cut -d' ' -f2- "$T/all.log") <(cut -d' ' -f2- "$T/j.sum") | grep -q '^>' &&
			fail "root's entries: the summary has a line that is not in the input"
		kept='^[^ ]+ [^ ]+ [^ ]+: ((dis)?connect from |[<>] )'
		[ "$(grep -cE "$kept" "$T/j.sum")" = "$(grep -cE "$kept" "$T/all.log")" ] ||
			fail "root's entries: connect, disconnect or protocol lines were not kept"
		[ "$(wc -l <"$T/j.sum")" -lt "$n" ] || fail "root's entries: its -v chatter was not folded"
	else
		[ "$(wc -l <"$T/j.sum")" = "$n" ] || fail "forged entries: $(wc -l <"$T/j.sum") summary lines, want all $n"
		diff <(cut -d' ' -f2- "$T/all.log") <(cut -d' ' -f2- "$T/j.sum") >/dev/null ||
			fail "forged lines not passed through as they are"
	fi
	grep -q "^other $n\$" "$T/state/journal.senders" || fail "the $n forged entries are not counted as other senders"
done
"$AUTHFOLD" status -c "$T/c.conf" >"$T/status.txt" 2>&1
grep -q "journal: lines by sender: 0 from trusted_users, 0 relayed by their MX, $n from other senders" "$T/status.txt" ||
	{ cat "$T/status.txt" >&2; fail "authfold status does not count the forged entries"; }

# 2. Genuine and forged mixed (forged copies with other pids): only the genuine strike.
export_to "$T/m/x.journal" <"$T/all.log"
export_to "$T/m/y.journal" --comm smtpd --uid 65534 --pid-offset 3000000 <"$T/all.log"
run m
same_events "$T/r.ev" "$T/j.ev" || fail "forged copies changed the strikes"

# 2b. No _UID at all: decides with uncredited = decide (the default), not with pass.
export_to "$T/u/x.journal" --uid none <"$T/all.log"
run u
same_events "$T/r.ev" "$T/j.ev" || fail "entries without _UID, uncredited = decide: not as replay"
EXTRA=("uncredited = pass")
run u
[ "$(strikes "$T/j.ev")" = 0 ] || fail "entries without _UID struck with uncredited = pass"
"$AUTHFOLD" status -c "$T/c.conf" >"$T/status.txt" 2>&1
grep -q "WARNING: journal: $n lines carried no sender credentials" "$T/status.txt" ||
	{ cat "$T/status.txt" >&2; fail "authfold status does not warn about entries without _UID"; }

# 2c. journal_trusted_exe: only Postfix's smtpd binary decides.
export_to "$T/e/x.journal" --exe /usr/lib/postfix/sbin/smtpd <"$T/all.log"
export_to "$T/e/y.journal" --exe /usr/bin/logger --pid-offset 3000000 <"$T/all.log"
EXTRA=("journal_trusted_exe = /usr/lib/postfix/sbin/smtpd")
run e
same_events "$T/r.ev" "$T/j.ev" || fail "journal_trusted_exe: the strikes differ from the genuine ones alone"
EXTRA=()

# 3. Hostile MESSAGEs: an embedded newline that would forge a line, binary
#    bytes, one of 100 KiB; a name with blanks and newline.
python3 - "$T/h.export" <<'PY'
import struct, sys
out = open(sys.argv[1], 'wb')
def entry(fields):
    for k, v in fields:
        if b'\n' in v or b'\0' in v:
            out.write(k + b'\n' + struct.pack('<Q', len(v)) + v + b'\n')
        else:
            out.write(k + b'=' + v + b'\n')
    out.write(b'\n')
base = [(b'__REALTIME_TIMESTAMP', b'1795800000000000'), (b'__MONOTONIC_TIMESTAMP', b'1795800000000000'),
        (b'_BOOT_ID', b'a7f01d0000000000000000000000b007'), (b'SYSLOG_IDENTIFIER', b'postfix/smtpd'),
        (b'SYSLOG_PID', b'4242'), (b'_PID', b'4242'), (b'_COMM', b'logger'), (b'_UID', b'65534'), (b'_HOSTNAME', b'mx'),
        (b'SYSLOG_FACILITY', b'2')]
forge = b'x\n2026-11-26T18:00:00.000000+00:00 mx postfix/smtpd[1]: warning: unknown[192.0.2.99]: authentication not enabled\n'
entry(base + [(b'MESSAGE', forge)])
entry(base + [(b'MESSAGE', b'bin\0ary\x01\x7f\xff\xfe end')])
entry(base + [(b'MESSAGE', b'L' * (100 * 1024))])
entry([(b'__REALTIME_TIMESTAMP', b'1795800000000001'), (b'__MONOTONIC_TIMESTAMP', b'1795800000000001'),
       (b'_BOOT_ID', b'a7f01d0000000000000000000000b007'), (b'SYSLOG_IDENTIFIER', b'post fix\nsmtpd'),
       (b'_COMM', b'smtpd'), (b'_HOSTNAME', b'm x'), (b'SYSLOG_FACILITY', b'2'), (b'MESSAGE', b'named')])
entry([(b'__REALTIME_TIMESTAMP', b'1795800000000002'), (b'__MONOTONIC_TIMESTAMP', b'1795800000000002'),
       (b'_BOOT_ID', b'a7f01d0000000000000000000000b007'), (b'SYSLOG_IDENTIFIER', b'postfix/qmgr'),
       (b'_COMM', b'qmgr'), (b'_HOSTNAME', b'mx'), (b'SYSLOG_FACILITY', b'2'), (b'MESSAGE', b'after the hostile ones')])
PY
mkdir -p "$T/h"
"$REMOTE" -o "$T/h/x.journal" - <"$T/h.export" 2>/dev/null || fail "journal-remote refused the hostile entries"
run h
[ "$(wc -l <"$T/j.sum")" = 5 ] || { cat -A "$T/j.sum" | cut -c1-200 >&2; fail "hostile entries: want 5 summary lines, got $(wc -l <"$T/j.sum")"; }
grep -q '^[^ ]* mx postfix/smtpd\[4242\]: x#0122026-11-26T18:00:00.000000+00:00 mx postfix/smtpd\[1\]: warning' "$T/j.sum" ||
	fail "the newline in MESSAGE was not escaped as #012"
grep -q 'bin#000ary#001#177' "$T/j.sum" || fail "binary bytes not escaped"
long=$(sed -n 3p "$T/j.sum" | wc -c)
[ "$long" -lt $((64 * 1024 + 200)) ] && [ "$long" -gt $((64 * 1024)) ] || fail "the 100 KiB MESSAGE gave a line of $long bytes, want 64 KiB + prefix"
grep -q '^[^ ]* m_x post_fix_smtpd: named$' "$T/j.sum" || fail "blanks in host and tag not replaced"
grep -q 'after the hostile ones' "$T/j.sum" || fail "the reader did not go on after the hostile entries"
[ ! -s "$T/j.ev" ] || fail "hostile entries struck"

say "$n forged entries (named smtpd, _UID nobody or root) passed through, 0 strikes, counted; mixed: strikes as replay; no _UID: decide/pass; _EXE filter; hostile MESSAGEs escaped and cut"

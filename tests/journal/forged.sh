#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Entries that claim SYSLOG_IDENTIFIER=postfix/smtpd from another program
# (_COMM=logger, as `logger -t postfix/smtpd` gives) pass through the summary
# and never strike; a MESSAGE with newlines cannot forge a summary line;
# binary and overlong MESSAGEs are cut and counted, the reader goes on.
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
	conf "$T/c.conf"
	"$AUTHFOLD" journal -c "$T/c.conf" --once --directory "$T/$1" --summary "$T/j.sum" --events "$T/j.ev" \
		2>"$T/journal.err" || { cat "$T/journal.err" >&2; fail "authfold journal failed"; }
}

# 1. All forged: every line passes through, nothing strikes.
export_to "$T/f/x.journal" --comm logger <"$T/all.log"
run f
[ "$(strikes "$T/j.ev")" = 0 ] || fail "forged entries struck"
[ "$(wc -l <"$T/j.sum")" = "$n" ] || fail "forged entries: $(wc -l <"$T/j.sum") summary lines, want all $n"
diff <(cut -d' ' -f2- "$T/all.log") <(cut -d' ' -f2- "$T/j.sum") >/dev/null || fail "forged lines not passed through as they are"

# 2. Genuine and forged mixed (forged copies with other pids): only the genuine strike.
export_to "$T/m/x.journal" <"$T/all.log"
export_to "$T/m/y.journal" --comm logger --pid-offset 3000000 <"$T/all.log"
run m
same_events "$T/r.ev" "$T/j.ev" || fail "forged copies changed the strikes"

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
        (b'SYSLOG_PID', b'4242'), (b'_PID', b'4242'), (b'_COMM', b'logger'), (b'_HOSTNAME', b'mx'),
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

say "$n forged entries passed through, 0 strikes; mixed: strikes as replay; hostile MESSAGEs escaped and cut"

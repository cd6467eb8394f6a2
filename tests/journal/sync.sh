#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A checkpoint records the outputs' sizes only once they are on disk: when
# fdatasync(2) of the summary fails (an LD_PRELOAD shim built here makes it
# return EIO, as a failing disk does), authfold journal says so, saves no
# state and exits 1; the next run, with a disk that works, writes the
# summary of a replay. Before, the failure was ignored and the size saved
# as synced. The same for the fsync(2) of the state file's directory after
# its rename (a second shim fails it for directories only).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${top_srcdir:-$(dirname "$0")/../..}/tests/journal/lib.sh"

CC=${CC:-cc}
command -v "${CC%% *}" >/dev/null || fail "no C compiler '$CC' to build the shim"
cat >"$T/shim.c" <<'C'
#include <errno.h>

int fdatasync(int fd)
{
	(void) fd;
	errno = EIO;
	return -1;
}
C
$CC -shared -fPIC -o "$T/shim.so" "$T/shim.c" || fail "cannot build the fdatasync shim"
cat >"$T/dirshim.c" <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <sys/stat.h>

int fsync(int fd)
{
	struct stat st;
	int (*real)(int) = (int (*)(int)) dlsym(RTLD_NEXT, "fsync");

	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		errno = EIO;
		return -1;
	}
	return real(fd);
}
C
$CC -shared -fPIC -o "$T/dirshim.so" "$T/dirshim.c" -ldl || fail "cannot build the fsync shim"

LOG=$(data_log)
conf "$T/c.conf"
grep -E '^[0-9]{4}-' "$LOG" | head -n 40 >"$T/all.log" || true
replay_ref "$T/all.log" "$T/r.sum" "$T/r.ev"
export_to "$T/j/x.journal" <"$T/all.log"

rc=0
# (a sanitizer build wants its runtime first: the shim comes after it)
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 LD_PRELOAD="$T/shim.so" \
	"$AUTHFOLD" journal -c "$T/c.conf" --once --directory "$T/j" --summary "$T/j.sum" --events "$T/j.ev" \
	2>"$T/fail.err" || rc=$?
sed 's/^/# /' "$T/fail.err" >&2
[ "$rc" = 1 ] || fail "a failed fdatasync: exit $rc, not 1"
grep -q "cannot sync the outputs to disk: Input/output error" "$T/fail.err" ||
	fail "a failed fdatasync is not reported"
[ ! -e "$T/state/journal-directory.state" ] || fail "a state was saved with sizes that are not on disk"

"$AUTHFOLD" journal -c "$T/c.conf" --once --directory "$T/j" --summary "$T/j.sum" --events "$T/j.ev" \
	2>"$T/ok.err" || { cat "$T/ok.err" >&2; fail "authfold journal failed with a working disk"; }
[ -s "$T/state/journal-directory.state" ] || fail "no state after a run with a working disk"
same_summary "$T/r.sum" "$T/j.sum" || fail "summary differs from replay after the failed run"

rm -rf "$T/state" "$T/j.sum" "$T/j.ev"
conf "$T/c.conf"
rc=0
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 LD_PRELOAD="$T/dirshim.so" \
	"$AUTHFOLD" journal -c "$T/c.conf" --once --directory "$T/j" --summary "$T/j.sum" --events "$T/j.ev" \
	2>"$T/dir.err" || rc=$?
sed 's/^/# /' "$T/dir.err" >&2
[ "$rc" = 1 ] || fail "a failed fsync of the state directory: exit $rc, not 1"
grep -q "cannot sync the directory of state '.*journal-directory.state': Input/output error" "$T/dir.err" ||
	fail "a failed fsync of the state directory is not reported"
say "ok"

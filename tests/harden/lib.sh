# SPDX-License-Identifier: GPL-2.0-or-later
# tests/harden/lib.sh - sourced by tests/harden/*.sh. Gives
#   $authfold $omprog   the built programs (FAIL when they are not built)
#   $tmp                a temporary directory, removed at exit
#   fail MESSAGE        "FAIL: MESSAGE", and $failed becomes 1
#   expect_exit N WHY CMD...   runs CMD (stdin /dev/null, at most 10 s),
#                       checks its exit status is N and that stderr holds WHY
#                       (grep -F); its stderr is in $tmp/err

set -u
: "${top_builddir:=.}"
: "${top_srcdir:=.}"
authfold=$top_builddir/authfold
omprog=$top_builddir/authfold-omprog
for p in "$authfold" "$omprog"; do
	[ -x "$p" ] || { echo "FAIL: $p is not built"; exit 1; }
done
tmp=$(mktemp -d) || exit 1
chmod 700 "$tmp"
trap 'rm -rf "$tmp"' EXIT
failed=0
fail() { echo "FAIL: $*"; failed=1; }

expect_exit() {
	want=$1 why=$2
	shift 2
	timeout -s KILL 10 "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
	got=$?
	if [ "$got" != "$want" ]; then
		fail "$*: exit $got, expected $want; stderr: $(head -c 300 "$tmp/err")"
	elif ! grep -qF -- "$why" "$tmp/err"; then
		fail "$*: stderr does not say '$why': $(head -c 300 "$tmp/err")"
	else
		echo "ok: $* -> $got: $(head -n 1 "$tmp/err")"
	fi
}

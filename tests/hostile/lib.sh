# SPDX-License-Identifier: GPL-2.0-or-later
# tests/hostile/lib.sh - sourced by tests/hostile/*.sh. Gives
#   $authfold         $top_builddir/authfold (FAIL when it is not built)
#   $tmp              a temporary directory, removed at exit
#   fail MESSAGE      "FAIL: MESSAGE", and $failed becomes 1
# and, for the floods, after `flood_setup`:
#   FLOOD_LINES (default 1000000), RSS_LIMIT_KB (65536), TIME_LIMIT_S (120),
#   relaxed for a build with AddressSanitizer (shadow memory and quarantine:
#   the bounds are then only a sanity check); SKIP without /usr/bin/time
#   time_fields FILE  status, rss (KiB), wall and user from `/usr/bin/time -v -o FILE`

set -u
: "${top_builddir:=.}"
authfold=$top_builddir/authfold
[ -x "$authfold" ] || { echo "FAIL: $authfold is not built"; exit 1; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
failed=0
fail() { echo "FAIL: $*"; failed=1; }

flood_setup() {
	: "${FLOOD_LINES:=1000000}"
	: "${RSS_LIMIT_KB:=65536}"
	: "${TIME_LIMIT_S:=120}"
	[ -x /usr/bin/time ] || { echo "SKIP: no /usr/bin/time (Debian: apt-get install time)"; exit 77; }
	if grep -q __asan_init "$authfold" 2>/dev/null; then
		RSS_LIMIT_KB=${ASAN_RSS_LIMIT_KB:-1048576}
		TIME_LIMIT_S=$((TIME_LIMIT_S * 10))
		echo "AddressSanitizer build: RSS limit ${RSS_LIMIT_KB} KiB"
	fi
}

time_fields() {
	status=$(sed -n 's/.*Exit status: //p' "$1")
	rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$1")
	wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$1")
	user=$(sed -n 's/.*User time (seconds): //p' "$1")
}

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/pkg/conf.sh - etc/authfold.conf, the default configuration that the
# package and `make install` ship, against authfold.conf(5) and authfold:
# - every key that authfold.conf(5) documents with a default ("key [default]")
#   is in the file, commented out, with that default as its value;
# - authfold replay -c accepts the file as shipped;
# - with the first line of each key uncommented (the defaults set explicitly),
#   replay of the recording gives the same summary, events and report as with
#   an empty configuration: the defaults written in the file are the real ones;
# - with every commented key line uncommented (the site-rule example too) it is
#   still accepted.
set -u
: "${top_srcdir:=.}"
: "${top_builddir:=.}"
af=$top_builddir/authfold
conf=$top_srcdir/etc/authfold.conf
man=$top_srcdir/man/authfold.conf.5
log=$top_srcdir/tests/data/verbose.rfc3339.log
[ -x "$af" ] || { echo "FAIL: $af is not built"; exit 1; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

. "${top_srcdir:-.}/tests/lib/tap.sh"

# "KEY DEFAULT" from every .BR line of the man page: `.BR key " [default]"`
# (also two on one line: `.BR ipset4 " [authfold4]" ", " ipset6 " [authfold6]"`)
python3 - "$man" >"$tmp/keys" <<'PY'
import re, sys
for line in open(sys.argv[1]):
    if line.startswith('.BR '):
        for k, v in re.findall(r'(?:^\.BR |" )([a-z0-9_]+) " \[([^\]]*)\]"', line):
            print(k, v.replace('$(localstatedir)', '/var').replace('\\-', '-'))
PY
check "authfold.conf(5) documents at least 20 keys ($(wc -l <"$tmp/keys"))" test "$(wc -l <"$tmp/keys")" -ge 20
while read -r key def; do
	check "key $key is in the file as '#$key = $def'" grep -qxF "#$key = $def" "$conf"
done <"$tmp/keys"
check "...and no key line is active as shipped" sh -c "! grep -qE '^[[:space:]]*[a-z_0-9]+[[:space:]]*=' '$conf'"

"$af" replay -c "$conf" </dev/null >/dev/null 2>"$tmp/err"
check "authfold replay -c accepts the file as shipped ($(head -n1 "$tmp/err"))" test $? = 0

# the first commented line of each documented key, uncommented
awk -v keys="$tmp/keys" 'BEGIN { while ((getline l < keys) > 0) { split(l, f, " "); k[f[1]] = 1 } }
	match($0, /^#[a-z0-9_]+ = /) { key = substr($0, 2, RLENGTH - 4); if ((key in k) && !(key in seen)) { seen[key] = 1; print substr($0, 2); next } }
	{ print }' "$conf" >"$tmp/explicit.conf"
check "every documented key set explicitly ($(grep -cE '^[a-z]' "$tmp/explicit.conf") keys)" \
	test "$(grep -cE '^[a-z]' "$tmp/explicit.conf")" = "$(wc -l <"$tmp/keys")"
: >"$tmp/empty.conf"
TZ=UTC "$af" replay -c "$tmp/explicit.conf" --events "$tmp/e1" "$log" >"$tmp/s1" 2>"$tmp/r1"
r1=$?
TZ=UTC "$af" replay -c "$tmp/empty.conf" --events "$tmp/e2" "$log" >"$tmp/s2" 2>"$tmp/r2"
check "replay with the defaults set explicitly exits 0 ($(head -n1 "$tmp/r1"))" test "$r1" = 0
check "...same summary as with built-in defaults" cmp -s "$tmp/s1" "$tmp/s2"
check "...same events" sh -c "test -s '$tmp/e1' && cmp -s '$tmp/e1' '$tmp/e2'"
grep -v '^Lines: ' "$tmp/r1" >"$tmp/r1.x"
grep -v '^Lines: ' "$tmp/r2" >"$tmp/r2.x"
check "...same report (the timing line aside)" cmp -s "$tmp/r1.x" "$tmp/r2.x"

sed -E 's/^#([a-z0-9_]+ = )/\1/' "$conf" >"$tmp/all.conf"
"$af" replay -c "$tmp/all.conf" </dev/null >/dev/null 2>"$tmp/err"
check "every commented key line uncommented (site-rule example too) is accepted ($(head -n1 "$tmp/err"))" test $? = 0

finish

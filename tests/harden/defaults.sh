#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/harden/defaults.sh - `authfold defaults` and authfold.conf(5) cannot
# drift apart: the same keys, the same defaults (where the man page does not
# give a build-time path), and the printed file is a valid configuration
# that changes nothing once uncommented.

. "$(dirname "$0")/lib.sh"

man=$top_srcdir/man/authfold.conf.5
"$authfold" defaults >"$tmp/defaults" || fail "authfold defaults failed"

# "#key = default" lines; repeatable keys as "# key = ...  (repeatable"
sed -n 's/^#\([a-z0-9_]*\) = \(.*\)$/\1\t\2/p' "$tmp/defaults" | sort >"$tmp/prog"
sed -n 's/^# \([a-z0-9_]*\) = .*(repeatable.*/\1/p' "$tmp/defaults" | sort >"$tmp/prog-repeat"

# man: .BR key " [default]" (two keys on the ipset line), and the site rules' "key = ..."
sed -n '/^\.SH KEYS/,/^\.SH SITE RULES/p' "$man" | grep '^\.BR [a-z0-9_]* " \[' |
	grep -o '[a-z0-9_]* " \[[^]]*\]"' | sed 's/\\-/-/g' | sed 's/^\([a-z0-9_]*\) " \[\(.*\)\]"$/\1\t\2/' | sort >"$tmp/man"
sed -n '/^\.SH SITE RULES/,/^\.SH /p' "$man" | sed -n 's/^\.RI "\([a-z]*\) = .*/\1/p' | sort -u >"$tmp/man-repeat"

cut -f1 "$tmp/prog" >"$tmp/prog-keys"
cut -f1 "$tmp/man" >"$tmp/man-keys"
if ! diff -u "$tmp/man-keys" "$tmp/prog-keys" >"$tmp/diff"; then
	fail "the keys of authfold.conf(5) (-) and of authfold defaults (+) differ:"
	cat "$tmp/diff"
fi
if ! diff -u "$tmp/man-repeat" "$tmp/prog-repeat" >"$tmp/diff"; then
	fail "the site-rule keys of authfold.conf(5) (-) and of authfold defaults (+) differ:"
	cat "$tmp/diff"
fi
[ "$(wc -l <"$tmp/prog")" -ge 20 ] || fail "authfold defaults printed only $(wc -l <"$tmp/prog") keys"
# defaults, except build-time paths ($(localstatedir)...)
join -t "$(printf '\t')" "$tmp/man" "$tmp/prog" | while IFS="$(printf '\t')" read -r key mandef progdef; do
	case $mandef in *'$('*) continue ;; esac
	[ "$mandef" = "$progdef" ] || echo "$key: authfold.conf(5) says [$mandef], authfold defaults '$progdef'"
done >"$tmp/defdiff"
if [ -s "$tmp/defdiff" ]; then
	fail "defaults differ:"
	cat "$tmp/defdiff"
fi

# uncommented, it is a valid configuration (state_dir etc. made private)
sed -e 's/^#\([a-z]\)/\1/' -e "s|^state_dir = .*|state_dir = $tmp/state|" \
	-e "s|^summary_log = .*|summary_log = $tmp/summary.log|" -e 's/^backend = .*/backend = none/' \
	"$tmp/defaults" >"$tmp/all.conf"
printf '' | "$authfold" replay -c "$tmp/all.conf" >/dev/null 2>"$tmp/err" ||
	fail "the uncommented defaults are refused: $(cat "$tmp/err")"
echo "$(wc -l <"$tmp/prog") keys + $(wc -l <"$tmp/prog-repeat") repeatable, man page and program agree"
exit $failed

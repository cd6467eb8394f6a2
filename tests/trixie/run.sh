#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/trixie/run.sh - Debian 13 proven from a Debian 12 host: authfold built
# and tested inside a Debian 13 ("trixie") chroot.
#
#   sudo tests/trixie/run.sh          (run by tests/run-all.sh)
#
# The chroot is the cached tree of tests/lib/trixie.sh (made with debootstrap
# when missing or of another package set, ~90 s), seen through an overlay in a
# private mount namespace: the cache is never changed. Inside it, from a copy
# of this source tree:
#  0. README's ./demo.sh;
#  1. autoreconf, configure --enable-werror, make with Debian 13's gcc 14;
#  2. make check of the unit tests, the plain-log oracle (every recording,
#     3.7 and 3.10), run-all's counting (tests/runall), the journal tests
#     (their journals written by Debian 13's systemd-journal-remote 257, read
#     by `authfold journal` linked with its libsystemd) and the ipset tests
#     (Debian 13's libipset, in a private network namespace), and
#     tests/rsyslog/journalfwd.sh (Debian 13's journald forwarding to its
#     rsyslog, with the imuxsock line of its own /etc/rsyslog.conf) and
#     tests/rsyslog/chrootlog.sh (Postfix 3.10's chrooted smtpd through it);
#  3. the Debian package, dpkg-buildpackage -us -uc -b (its build-time tests
#     run), units in /usr/lib/systemd/system;
#  4. the same build with --enable-sanitizers (ASan+UBSan) and the same tests.
# One TAP line per build and per test result; a failure prints the end of its
# log. Exit 77 only when not root, when the host itself is Debian 13 (its
# run-all.sh ran the whole suite there directly), or when there is no cache
# and Debian's packages cannot be reached; everything else that goes wrong is a failure.
#
# Environment: TRIXIE_CACHE, TRIXIE_MIRROR (tests/lib/trixie.sh),
# TRIXIE_TESTS (a regex of the tests to run, default the set above).
set -uo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
src=$(cd "$top_srcdir" && pwd)
SELF=$src/tests/trixie/run.sh

# --- inside the private mount namespace ------------------------------------
if [ "${1:-}" = --inner ]; then
	root=$2 T=$3
	. "$src/tests/lib/trixie.sh"
	trixie_enter "$root" "$T" || { echo "cannot set up the chroot at $T/root" >&2; exit 1; }
	mkdir -p "$T/root/src" "$T/root/out"
	tar -C "$T/src" -cf - . | tar -C "$T/root/src" -xf - || exit 1
	cp "$src/tests/trixie/inside.sh" "$T/root/inside.sh" || exit 1
	trixie_run "$T" /bin/bash /inside.sh "${TRIXIE_TESTS:-^tests/((unit|oracle|runall|journal|ipset)/|rsyslog/(journalfwd|chrootlog))}" \
		>"$T/root/out/inside.log" 2>&1
	echo $? >"$T/root/out/inside.rc"
	cp -a "$T/root/out" "$T/out"
	exit 0
fi

# --- outside ------------------------------------------------------------------
# On a Debian 13 host this test has nothing to add: run-all.sh there builds
# and runs every test with that host's own gcc 14, libipset and systemd.
if [ "$( (. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}"))" = trixie ]; then
	echo "SKIP: this host is Debian 13: the whole suite ran on it directly"
	exit 77
fi
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (chroot, mounts)"; exit 77; }
for p in unshare chroot mount python3 tar; do
	command -v "$p" >/dev/null || { echo "SKIP: $p missing"; exit 77; }
done
. "$src/tests/lib/tap.sh"
. "$src/tests/lib/trixie.sh"

start=$(date +%s)
rc=0
root=$(trixie_root) || rc=$?
if [ $rc = 77 ]; then
	echo "SKIP: Debian 13 packages cannot be reached and there is no cached chroot ($TRIXIE_CACHE)"
	exit 77
fi
[ $rc = 0 ] || { echo "Bail out! cannot make the Debian 13 chroot (status $rc)"; exit 1; }
echo "# Debian 13 tree: $root ($(cat "$root/etc/debian_version"), made or reused in $(($(date +%s) - start)) s)"

T=$(mktemp -d /tmp/authfold-trixie.XXXXXX)
cleanup() { rm -rf "$T"; }
trap cleanup EXIT

# A clean copy of the source tree: in a checkout, what git tracks or would
# track (working-tree state, ignored build products left out), else
# everything but build products.
mkdir -p "$T/src"
if git -C "$src" rev-parse --show-toplevel >/dev/null 2>&1 &&
   [ "$(cd "$(git -C "$src" rev-parse --show-toplevel)" && pwd)" = "$src" ]; then
	(cd "$src" && git ls-files -z --cached --others --exclude-standard |
	  tar -cf - --no-recursion --ignore-failed-read --null -T - 2>/dev/null) | tar -C "$T/src" -xf - ||
		{ echo "Bail out! cannot copy the source tree"; exit 1; }
else
	tar -C "$src" -cf - --exclude=./build-ci --exclude=./build-asan --exclude=./autom4te.cache \
		--exclude=config.status --exclude=config.log --exclude='*.o' --exclude='*.a' . | tar -C "$T/src" -xf - ||
		{ echo "Bail out! cannot copy the source tree"; exit 1; }
	rm -f "$T/src/Makefile"
fi

unshare -m --propagation private "$BASH" "$SELF" --inner "$root" "$T" ||
	{ echo "Bail out! the private mount namespace failed"; exit 1; }
out=$T/out
[ -f "$out/inside.rc" ] || { echo "Bail out! the chroot run left no result"; exit 1; }
sed 's/^/# /' "$out/inside.log" | grep -E '^# (gcc|libipset|systemd|Postfix|step|time)' || true

# README's first command.
check "Debian 13: ./demo.sh exits 0" test "$(cat "$out/demo.rc" 2>/dev/null)" = 0
check "...and shows the summary, the events and the report" sh -c "
	grep -q '^=== The folded summary' '$out/demo.log' && grep -q '^=== Events' '$out/demo.log' &&
	grep -q '\"event\":\"ban\"' '$out/demo.log'"
grep -q '^=== Events' "$out/demo.log" || tail -n 30 "$out/demo.log" 2>/dev/null | sed 's/^/#   /'

# The Debian package, built as README says (its build-time tests ran).
debok() { [ "$(cat "$out/deb.build" 2>/dev/null)" = 0 ]; }
check "Debian 13 package: dpkg-buildpackage -us -uc -b" debok
debok || tail -n 30 "$out/deb.log" 2>/dev/null | sed 's/^/#   /'
check "...its build-time tests ran and passed" grep -q '^# PASS: *[1-9]' "$out/deb.log"
check "...units in /usr/lib/systemd/system (merged /usr), programs in /usr/sbin" sh -c "
	grep -q ' \./usr/lib/systemd/system/authfold\.service\$' '$out/deb.contents' &&
	grep -q ' \./usr/sbin/authfold\$' '$out/deb.contents' && ! grep -q ' \./lib/' '$out/deb.contents'"

# The builds, then every listed test's result: a test without one failed.
for label in werror asan; do
	built() { [ "$(cat "$out/$label.build" 2>/dev/null)" = 0 ]; }
	check "$label: Debian 13 build (gcc 14, -Werror$([ $label = asan ] && echo ', ASan+UBSan'))" built
	if ! built; then
		echo "# its build log's end:"
		tail -n 40 "$out/$label.build.log" 2>/dev/null | sed 's/^/#   /'
	fi
	[ -s "$out/$label.list" ] || { check "$label: the test list is not empty" false; continue; }
	while IFS= read -r t; do
		base=${t%.sh}
		r=$(sed -n 's/^:test-result: //p' "$out/$label/$base.trs" 2>/dev/null | head -n1)
		case "$r" in
		PASS) check "$label: $t" true ;;
		SKIP)
			n=$((n + 1))
			echo "ok $n - $label: $t # SKIP $(grep -m1 -i 'skip' "$out/$label/$base.log" 2>/dev/null | cut -c1-120)"
			;;
		*)
			check "$label: $t (${r:-no result})" false
			tail -n 30 "$out/$label/$base.log" 2>/dev/null | sed 's/^/#   /'
			;;
		esac
	done <"$out/$label.list"
done
echo "# whole run: $(($(date +%s) - start)) s"
finish

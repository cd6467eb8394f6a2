#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/trixie/inside.sh - run by tests/trixie/run.sh inside the Debian 13
# chroot: /src is a copy of the tree, /out receives, per build LABEL (werror,
# asan): LABEL.build (configure+make status), LABEL.build.log, LABEL.list
# (the tests run: those of `make print-tests` matching REGEX) and LABEL/ (their
# .log and .trs files); deb.build (dpkg-buildpackage's status), deb.log and
# deb.contents (dpkg-deb -c of the package); demo.rc and demo.log (./demo.sh).
#   inside.sh REGEX
set -u
regex=$1
jobs=2
echo "gcc: $(gcc --version | head -n1)"
echo "libipset: $(dpkg-query -W -f='${Version}' libipset-dev)"
echo "systemd: $(dpkg-query -W -f='${Version}' systemd-journal-remote)"
echo "Postfix: $(dpkg-query -W -f='${Version}' postfix)"
cd /src && autoreconf -fi >/out/autoreconf.log 2>&1 || { echo "step autoreconf failed"; tail -n 20 /out/autoreconf.log; }

build() {	# build LABEL CONFIGURE-FLAGS...
	local label=$1 b=/build/$1 t0 rc=0
	shift
	t0=$(date +%s)
	mkdir -p "$b" "/out/$label"
	( cd "$b" && /src/configure -q "$@" && make -s -j$jobs ) >"/out/$label.build.log" 2>&1 || rc=$?
	echo $rc >"/out/$label.build"
	echo "step $label build: status $rc, $(($(date +%s) - t0)) s"
	[ $rc = 0 ] || return 1
	make -s --no-print-directory -C "$b" print-tests | tr ' ' '\n' | grep -E "$regex" >"/out/$label.list"
	t0=$(date +%s)
	( cd "$b" && make -s -j1 check TESTS="$(tr '\n' ' ' <"/out/$label.list")" ) >"/out/$label.check.log" 2>&1
	echo "step $label check: $(wc -l <"/out/$label.list") tests, $(($(date +%s) - t0)) s"
	(cd "$b" && find tests -name '*.trs' -o -name '*.log' | tar -cf - -T -) | tar -C "/out/$label" -xf -
}

# README's first command, ./demo.sh, in a copy of the tree.
t0=$(date +%s)
rm -rf /demo && cp -a /src /demo
rc=0
(cd /demo && bash demo.sh) >/out/demo.log 2>&1 || rc=$?
echo $rc >/out/demo.rc
echo "step demo.sh: status $rc, $(($(date +%s) - t0)) s"

build werror --enable-werror

# The Debian package, as README says to build it (its build-time tests run).
t0=$(date +%s)
rm -rf /debsrc && cp -a /src /debsrc && rm -rf /debsrc/autom4te.cache
rc=0
(cd /debsrc && DEB_BUILD_OPTIONS=parallel=$jobs dpkg-buildpackage -us -uc -b) >/out/deb.log 2>&1 || rc=$?
echo $rc >/out/deb.build
for d in /authfold_*.deb; do [ -f "$d" ] && dpkg-deb -c "$d" >/out/deb.contents; done
echo "step deb: status $rc, $(($(date +%s) - t0)) s"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	build asan --enable-werror --enable-sanitizers
exit 0

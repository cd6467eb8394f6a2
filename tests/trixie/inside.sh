#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/trixie/inside.sh - run by tests/trixie/run.sh inside the Debian 13
# chroot: /src is a copy of the tree, /out receives, per build LABEL (werror,
# asan): LABEL.build (configure+make status), LABEL.build.log, LABEL.list
# (the tests run: those of `make print-tests` matching REGEX) and LABEL/ (their
# .log and .trs files).
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

build werror --enable-werror
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	build asan --enable-werror --enable-sanitizers
exit 0

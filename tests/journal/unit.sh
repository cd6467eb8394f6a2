#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# systemd/authfold.service: `systemd-analyze verify` accepts it, and the score
# of `systemd-analyze security --offline=yes` is recorded (in the test log).
# Skips (77) when systemd-analyze is missing or cannot run here.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
UNIT=$top_builddir/systemd/authfold.service
command -v systemd-analyze >/dev/null || { echo "SKIP: no systemd-analyze" >&2; exit 77; }
[ -f "$UNIT" ] || { echo "FAIL: $UNIT not built" >&2; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/authfold-unit.XXXXXX")
trap 'rm -rf "$T"' EXIT

# verify wants ExecStart's program to exist: point it at the built one.
bin=$(cd "$top_builddir" && pwd)/authfold
sed "s|^ExecStart=[^ ]*|ExecStart=$bin|" "$UNIT" >"$T/authfold.service"
grep -q "^ExecStart=$bin journal" "$T/authfold.service" || { echo "FAIL: no ExecStart=... journal" >&2; exit 1; }

if ! systemd-analyze verify --man=no "$T/authfold.service" >"$T/verify.out" 2>&1; then
	if grep -qiE 'Failed to (initialize|connect|create)|not been booted|No such file or directory.*(bus|run)' "$T/verify.out"; then
		cat "$T/verify.out" >&2
		echo "SKIP: systemd-analyze verify cannot run in this container" >&2
		exit 77
	fi
	cat "$T/verify.out" >&2
	echo "FAIL: systemd-analyze verify" >&2
	exit 1
fi
[ ! -s "$T/verify.out" ] || { cat "$T/verify.out" >&2; echo "FAIL: verify printed warnings" >&2; exit 1; }
echo "unit: systemd-analyze verify: ok" >&2

if systemd-analyze security --offline=yes "$T/authfold.service" >"$T/security.out" 2>&1; then
	score=$(grep -o 'Overall exposure level for authfold.service: .*' "$T/security.out")
	echo "unit: systemd-analyze security --offline=yes: $score" >&2
	grep '✗' "$T/security.out" >&2 || true
else
	echo "unit: systemd-analyze security --offline=yes cannot run here (not a failure):" >&2
	head -5 "$T/security.out" >&2
fi

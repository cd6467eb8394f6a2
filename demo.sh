#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# demo.sh - build authfold and run it on a bundled recording of a real Postfix.
#
#   sudo ./demo.sh
#
# The recording (tests/data/verbose.rfc3339.log) is the mail log of a real
# Postfix 3.7 running `smtpd -v` with smtpd_tls_auth_only = yes while bots tried
# AUTH without TLS, a password guesser, real users and forgers talked to it.
# The demo prints the folded summary authfold writes, the strike and ban events,
# and the report of what would be banned. Nothing touches the kernel (dry run).
set -euo pipefail
top=$(cd "$(dirname "$0")" && pwd)
cd "$top"
# deps.sh ends with "deps: failed: REASON" on stderr when it cannot install.
bash tests/deps.sh --build-only ||
	{ echo "demo: tests/deps.sh failed (its reason is above); nothing was built" >&2; exit 1; }
if [ ! -x build-demo/authfold ]; then
	[ -x configure ] || autoreconf -fi >/dev/null
	[ -f config.status ] && make -s distclean >/dev/null 2>&1
	mkdir -p build-demo
	(cd build-demo && ../configure -q && make -s -j"$(nproc)" authfold >/dev/null)
fi
log=tests/data/verbose.rfc3339.log
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
printf 'Input: %s, %d lines from a real Postfix with smtpd -v\n' "$log" "$(wc -l <"$log")"
printf '       (%d of them smtpd lines)\n\n' "$(grep -c 'postfix/smtpd\[' "$log")"
TZ=UTC build-demo/authfold replay --events "$out/events.jsonl" "$log" >"$out/summary.log" 2>"$out/report.txt"
printf '=== The folded summary (%d lines; what a Postfix without -v logs, plus the\n' "$(wc -l <"$out/summary.log")"
printf '=== synthetic "authentication not enabled" warnings) - smtpd lines only:\n\n'
grep 'postfix/smtpd\[' "$out/summary.log" | cut -c1-160
printf '\n=== Events (JSON Lines):\n\n'
cat "$out/events.jsonl"
cat "$out/report.txt"

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/deps.sh - install what authfold's build, demo and tests need on Debian 12
# ("bookworm") or Debian 13 ("trixie").
#
#   tests/deps.sh [--build-only]
#
# Idempotent; only packages that are missing are installed.  Nothing is started:
# while apt runs, a temporary policy-rc.d keeps the packages' services stopped
# (postfix, rsyslog, fail2ban would otherwise start on the host).  An existing
# policy-rc.d is used as it is and left alone.
#
# Exit status: 0 when everything is there (installed now or before), 1 with a
# last line "deps: failed: REASON" on stderr otherwise.  The status is decided
# by the script's own exit statements only: the EXIT trap removes what it made
# and re-exits with the status it was given, so no cleanup step can change it.
#
# The two releases share the package names below (checked against both
# archives: every name has a candidate on bookworm and on trixie); they differ
# where trixie split a package: systemd.pc, which says where units go
# (configure, debian/rules), moved from systemd to systemd-dev. Another release
# gets the Debian 12 set, with a warning. libclang-rt-dev is named for
# tests/fuzz: on Debian 13 clang-19 only recommends the runtime that holds
# libFuzzer, and recommends are not installed here.
#
# Environment (for tests/deps/deps.sh, which runs this with stand-in apt-get,
# dpkg-query, debconf-set-selections and id on PATH):
#   DEPS_POLICY_RC_D   the policy-rc.d to use (default /usr/sbin/policy-rc.d)
#   DEPS_RELEASE       bookworm or trixie (default: VERSION_CODENAME of
#                      /etc/os-release)
set -euo pipefail

policy=${DEPS_POLICY_RC_D:-/usr/sbin/policy-rc.d}

pkgs="build-essential autoconf automake pkg-config libsystemd-dev libpcre2-dev
libipset-dev libnftnl-dev libmnl-dev libcap-ng-dev libcmocka-dev clang libclang-rt-dev python3 time iproute2 ipset
iptables nftables rsyslog rsyslog-relp systemd-journal-remote postfix sasl2-bin libsasl2-modules ssl-cert swaks
fail2ban sshguard debhelper lintian logrotate zlib1g-dev python3-jsonschema prometheus strace debootstrap"
[ "${1:-}" = "--build-only" ] && pkgs="build-essential autoconf automake pkg-config
libsystemd-dev libpcre2-dev libipset-dev libnftnl-dev libmnl-dev libcap-ng-dev libcmocka-dev zlib1g-dev python3"

release=${DEPS_RELEASE:-$( (. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}"))}
case $release in
bookworm) ;;
trixie) [ "${1:-}" = "--build-only" ] || pkgs="$pkgs systemd-dev" ;;
*) echo "deps: release '${release:-unknown}' is neither Debian 12 (bookworm) nor 13 (trixie): using the Debian 12 package set" >&2 ;;
esac

made_policy=""
reason=""
fail() {	# fail REASON: the one way out with an error
	reason=$1
	exit 1
}
on_exit() {
	local rc=$?
	if [ -n "$made_policy" ]; then
		rm -f "$policy" || echo "deps: cannot remove '$policy' that this script made" >&2
	fi
	if [ "$rc" != 0 ]; then
		[ -n "$reason" ] || reason="a step ended with status $rc (set -e)"
		echo "deps: failed: $reason" >&2
	fi
	exit "$rc"
}
trap on_exit EXIT

missing=""
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
if [ -z "$missing" ]; then
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	fail "missing packages:$missing (run as root to install them)"
fi
echo "deps: installing:$missing" >&2
if [ ! -e "$policy" ] && [ ! -L "$policy" ]; then
	made_policy=1
	printf '#!/bin/sh\nexit 101\n' >"$policy" || fail "cannot write '$policy'"
	chmod 0755 "$policy" || fail "cannot make '$policy' executable"
fi
echo "postfix postfix/main_mailer_type select Internet Site" | debconf-set-selections ||
	fail "debconf-set-selections refused postfix/main_mailer_type"
echo "postfix postfix/mailname string mx.example.test" | debconf-set-selections ||
	fail "debconf-set-selections refused postfix/mailname"
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp) || fail "mktemp failed"
if ! apt-get update -qq >"$log" 2>&1; then
	tail -n 20 "$log" >&2
	rm -f "$log"
	fail "apt-get update failed (its last lines are above)"
fi
# shellcheck disable=SC2086
if ! apt-get install -y -qq --no-install-recommends $missing >"$log" 2>&1; then
	tail -n 20 "$log" >&2
	rm -f "$log"
	fail "apt-get install of$missing failed (its last lines are above)"
fi
rm -f "$log"
echo "deps: installed:$missing" >&2
exit 0

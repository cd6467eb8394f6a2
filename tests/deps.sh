#!/bin/bash
# tests/deps.sh - install what authfold's build, demo and tests need on Debian 12.
# Idempotent; only packages that are missing are installed.  Nothing is started:
# while apt runs, a temporary policy-rc.d keeps the packages' services stopped
# (postfix, rsyslog, fail2ban would otherwise start on the host).
set -euo pipefail

pkgs="build-essential autoconf automake pkg-config libsystemd-dev libpcre2-dev
libipset-dev libcap-ng-dev libcmocka-dev clang python3 time iproute2 ipset iptables
rsyslog rsyslog-relp systemd-journal-remote postfix sasl2-bin libsasl2-modules ssl-cert swaks
fail2ban sshguard"
[ "${1:-}" = "--build-only" ] && pkgs="build-essential autoconf automake pkg-config
libsystemd-dev libpcre2-dev libipset-dev libcap-ng-dev libcmocka-dev python3"

missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing (run as root to install them)" >&2
	exit 1
fi
echo "deps: installing:$missing" >&2
made_policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
	made_policy=1
fi
cleanup() { [ -n "$made_policy" ] && rm -f /usr/sbin/policy-rc.d; }
trap cleanup EXIT
echo "postfix postfix/main_mailer_type select Internet Site" | debconf-set-selections
echo "postfix postfix/mailname string mx.example.test" | debconf-set-selections
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null

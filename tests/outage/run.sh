#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/outage/run.sh - a real Postfix whose Dovecot auth server fails a
# password, then breaks, then disappears: a wrong password strikes, the
# auth server's trouble strikes (and bans) nobody.
#
# Postfix (smtpd_sasl_type = dovecot, smtpd_sasl_path = private/auth) runs
# in a throw-away network namespace with the private mount, UTS, /dev and
# Postfix directories of tests/lib/mxns.sh; a private rsyslogd writes its
# lines to all.log. tests/outage/outage.py is the auth server (enough of
# Dovecot's auth protocol to fail every password, then a socket that
# answers the handshake and dies on AUTH, then one that accepts and closes,
# then no socket) and the SMTP clients; then `authfold replay` (maxretry =
# 2, authserver_hold = 5s: the guesser comes 7 s before the outage, to keep
# the test short) of all.log must strike and ban the password guesser only.
# `authfold why` on its summary and events then tells a user's failure as
# "no strike: auth server trouble (...)" (and, when Postfix logged one of
# its failures plainly, "no strike: held, ..."), the guesser's as strikes.
# As a measure, the same log with authserver_hold = 0 and with the default
# (60s) is replayed too and its strikes printed.
#
# Exit 77 (skip) when not root or when postfix, rsyslogd, ip netns,
# unshare or python3 are missing. KEEP=1 keeps the temp dir (kept on
# failure too). About 15 s.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SELF="$HERE/$(basename "${BASH_SOURCE[0]}")"
top_srcdir=$(cd "${top_srcdir:-$HERE/../..}" && pwd)
top_builddir=$(cd "${top_builddir:-$top_srcdir}" && pwd)
AUTHFOLD=$top_builddir/authfold
OUTAGE=$top_srcdir/tests/outage/outage.py
# shellcheck source=../lib/mxns.sh
. "$top_srcdir/tests/lib/mxns.sh"

say() { printf 'outage: %s\n' "$*" >&2; }
die() { say "FAIL: $*"; exit 1; }
skip() { say "SKIP: $*"; exit 77; }

wait_until() {
    local t=$1 what=$2 i
    shift 2
    for ((i = 0; i < t * 10; i++)); do
        "$@" && return 0
        sleep 0.1
    done
    die "$what (waited ${t}s)"
}

# ---------------------------------------------------------------------------
# Inner part: in the network namespace, in a private mount/UTS namespace.
if [ "${1:-}" = --inner ]; then
    D=$2
    mkdir -p "$D/out" "$D/rsyslog"
    mx_private_root "$D" || die "cannot set up the private mail server root"
    mx_postfix_config "authfold outage test (tests/outage/run.sh)" 30s /usr/share/postfix/master.cf.dist ||
        die "cannot configure Postfix"
    # Dovecot SASL on private/auth; AUTH also without TLS (simpler clients)
    # and smtpd restarted after 1 s, not 60, when it dies at startup (no mechanisms)
    postconf -e smtpd_sasl_type=dovecot smtpd_sasl_path=private/auth smtpd_tls_auth_only=no \
        service_throttle_time=1s ||
        die "postconf failed"
    cat >"$D/rsyslog.conf" <<EOF
global(workDirectory="$D/rsyslog" localHostname="mx")
module(load="imuxsock" SysSock.Name="/dev/log" SysSock.RateLimit.Interval="0" SysSock.UseSysTimeStamp="on")
if \$programname startswith "postfix" then {
    action(type="omfile" file="$D/out/all.log" template="RSYSLOG_FileFormat")
}
EOF
    rsyslogd -n -f "$D/rsyslog.conf" -i "$D/rsyslog.pid" 2>"$D/rsyslog.err" &
    RSYSLOG_PID=$!
    wait_until 20 "rsyslogd did not create /dev/log" test -S /dev/log
    postfix check || die "postfix check failed"
    postfix start 2>"$D/postfix-start.err" || { cat "$D/postfix-start.err" >&2; die "postfix start failed"; }
    wait_until 30 "Postfix does not listen on 25" sh -c 'ss -Hltn "( sport = :25 )" | grep -q .'
    rc=0
    timeout 120 python3 "$OUTAGE" drive /var/spool/postfix/private/auth "$D/out/all.log" 7 >"$D/out/clients.txt" ||
        { say "the clients failed"; rc=1; }
    pid=$(tr -dc 0-9 </var/spool/postfix/pid/master.pid 2>/dev/null)
    postfix stop >/dev/null 2>&1
    for ((i = 0; i < 300; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    stopped() { grep -q 'postfix/master\[[0-9]*\]: terminating on signal 15$' "$D/out/all.log" 2>/dev/null; }
    wait_until 30 "rsyslog did not write Postfix's last line" stopped
    kill -TERM "$RSYSLOG_PID" 2>/dev/null
    wait "$RSYSLOG_PID" 2>/dev/null
    exit $rc
fi

# ---------------------------------------------------------------------------
# Outer part.
[ "$(id -u)" = 0 ] || skip "needs root (network namespace, a private Postfix)"
for c in postfix postconf postalias saslpasswd2 rsyslogd ip ss unshare python3 timeout; do
    command -v "$c" >/dev/null 2>&1 || skip "$c is not installed"
done
[ -f /usr/share/postfix/master.cf.dist ] || skip "no /usr/share/postfix/master.cf.dist"
[ -d /etc/postfix ] && [ -d /var/spool/postfix ] && [ -d /var/lib/postfix ] && [ -d /var/mail ] ||
    skip "Postfix is not installed properly"
[ -x "$AUTHFOLD" ] || die "$AUTHFOLD is not built"

T=$(mktemp -d /tmp/authfold-outage.XXXXXX)
NS=authfold-outage-$$
cleanup() {
    local rc=$?
    mx_netns_del "$NS"
    if [ -n "${KEEP:-}" ] || { [ "$rc" != 0 ] && [ "$rc" != 77 ]; }; then
        say "kept $T"
    else
        rm -rf "$T"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mx_netns_new "$NS" || skip "ip netns add is not possible here"
ip netns exec "$NS" unshare -m -u --propagation private \
    env top_srcdir="$top_srcdir" top_builddir="$top_builddir" "$BASH" "$SELF" --inner "$T" 2>&1 | sed 's/^/  /' >&2
rc=${PIPESTATUS[0]}
left=$(ip netns pids "$NS")
[ -z "$left" ] || die "processes left in $NS: $(echo $left)"
ip netns del "$NS"
[ "$rc" = 0 ] || die "the Postfix run failed (rc=$rc)"
sed 's/^/  client: /' "$T/out/clients.txt" >&2
grep -E 'SASL|authentication' "$T/out/all.log" | sed 's/^/  log: /' >&2

printf 'maxretry = 2\nbackend = none\nauthserver_hold = 5s\nstate_dir = %s/state\n' "$T" >"$T/authfold.conf"
mkdir -p "$T/state"
"$AUTHFOLD" replay -c "$T/authfold.conf" --summary "$T/summary.log" --events "$T/events.log" "$T/out/all.log" \
    2>"$T/report.txt" || die "authfold replay failed: $(cat "$T/report.txt")"
for hold in 0 60s; do
    printf 'maxretry = 2\nbackend = none\nauthserver_hold = %s\n' "$hold" >"$T/hold$hold.conf"
    "$AUTHFOLD" replay -c "$T/hold$hold.conf" --summary /dev/null --events "$T/hold$hold.log" "$T/out/all.log" \
        2>/dev/null || die "authfold replay (authserver_hold = $hold) failed"
    say "measured: with authserver_hold = $hold the same log gives strikes to:" \
        "$(sed -n 's/.*"event":"strike".*"addr":"\([^"]*\)".*/\1/p' "$T/hold$hold.log" | sort | uniq -c | tr -s ' ' | tr '\n' ';')"
done
grep -E '^(Strikes|Auth server trouble|Would ban)' "$T/report.txt" | sed 's/^/  report: /' >&2
python3 "$OUTAGE" check "$T/events.log" "$T/report.txt" | tee "$T/check.tap"
! grep -q '^not ok' "$T/check.tap" || exit 1

# authfold why on the same logs tells each user's failure that gave no
# strike, in the words of authfold(8), and the guesser's strikes as strikes
why() { "$AUTHFOLD" why -c "$T/authfold.conf" --events "$T/events.log" --summary-log "$T/summary.log" "$1" >"$T/why-$1.txt" ||
    die "authfold why $1 failed"; }
why 203.0.113.50
grep -qF "no strike: auth server trouble (SASL PLAIN authentication failed: Connection lost to authentication server" \
    "$T/why-203.0.113.50.txt" || die "why 203.0.113.50 does not say 'no strike: auth server trouble (...)': $(cat "$T/why-203.0.113.50.txt")"
say "ok: why 203.0.113.50: $(grep -m1 'no strike: ' "$T/why-203.0.113.50.txt" | sed 's/^ *//')"
if grep -q 'unknown\[203.0.113.60\]: SASL PLAIN authentication failed: (reason unavailable)' "$T/out/all.log"; then
    why 203.0.113.60
    grep -qE "no strike: held, mx postfix/smtpd logged auth server trouble at .* \(authserver_hold 5s\)" \
        "$T/why-203.0.113.60.txt" || die "why 203.0.113.60 does not say 'no strike: held, ...': $(cat "$T/why-203.0.113.60.txt")"
    say "ok: why 203.0.113.60: $(grep -m1 'no strike: ' "$T/why-203.0.113.60.txt" | sed 's/^ *//')"
fi
why 198.51.100.50
[ "$(grep -c '  strike #[0-9]*  saslfail  198.51.100.50' "$T/why-198.51.100.50.txt")" = 2 ] &&
    ! grep -q 'no strike' "$T/why-198.51.100.50.txt" ||
    die "why 198.51.100.50 does not tell two strikes and nothing else: $(cat "$T/why-198.51.100.50.txt")"
say "ok: why 198.51.100.50: two saslfail strikes, no 'no strike'"

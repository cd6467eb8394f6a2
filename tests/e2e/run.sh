#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/e2e/run.sh - authfold end to end: real Postfix 3.7, real
# rsyslogd with the SHIPPED rsyslog.d/authfold.conf, authfold-omprog with the
# ipset backend, the README's iptables/ip6tables rules, and SMTP clients that
# probe, guess passwords, forge log lines and deliver mail.
#
# Everything runs in a throw-away network namespace (`ip netns`) plus a
# private mount and UTS namespace, with private copies of /etc/postfix,
# /var/spool/postfix, /var/lib/postfix, /var/mail, /etc/ssl, /etc/hosts,
# /etc/resolv.conf and a private /dev (so /dev/log is our own rsyslogd's
# socket): tests/lib/mxns.sh, shared with tests/fixtures/record.sh. The
# host's Postfix configuration, /dev, ipsets and firewall are never touched.
#
# Four passes of the same clients (tests/e2e/e2e.py), each in a fresh
# namespace: "verbose" (smtpd -v on 25, on submission 587 and on smtps 465
# with smtpd_tls_wrappermode, rsyslog), "nft" (as verbose, but backend = nft:
# authfold's own nftables table drops the banned clients, no ipset and not one
# iptables rule), "plain" (Postfix without -v, rsyslog) and "journal" (smtpd -v, no rsyslog:
# systemd-journald started by hand on the private /dev/log, a private /run
# and volatile storage, and `authfold journal` following that namespace's
# system journal from its READY=1). Each pass:
#   - rsyslogd (journal pass: journald, and journalctl -f for all.log):
#     imuxsock on the private /dev/log, annotated as the README says (the
#     sender's uid: only Postfix's lines decide), an omfile writing every
#     postfix line (all.log), and the shipped snippet with only its paths
#     replaced (binary, authfold config, omprog output), as tests/rsyslog do;
#   - authfold: backend = ipset (nft pass: nft), maxretry = 2, bantime = 1h,
#     summary, events and state in the temp dir;
#   - clients (e2e.py drive) with live checks: the bans happen, the next
#     connection of a banned client is dropped by the kernel (no answer within
#     2 s), the probe->ban latency is measured, the real user is never banned;
#   - after Postfix stops and the summary has caught up, the sets and the
#     firewall counters are saved (nft pass: nft -j list ruleset, and
#     iptables-save/ip6tables-save to show that there is no rule).
# Then e2e.py check: the summary is byte for byte `authfold replay` of the
# all-lines log, strikes/bans/sets/deliveries are the expected ones, and the
# -v pass's summary minus the synthetic lines equals (masked) the smtpd lines
# Postfix wrote without -v for the same traffic.
#
# Exit 77 (skip) when not root or when postfix, rsyslogd (omprog), ipset, nft,
# iptables, ip netns or the kernel's ipset/xt_set support are missing, found
# before any pass ran: once a pass ran, a missing prerequisite is a failure
# (a later pass cannot hide an earlier pass's failure, or its own, behind a
# skip). The journal pass needs systemd-journald, journalctl, a cgroup file
# system, /etc/machine-id, /etc/systemd/journald.conf and /var/log/journal:
# when one is missing the pass is left out with a note, except with CI=true
# or on Debian 12 (the platform tests/deps.sh provisions, where CI runs as
# root): there it is a failure, so e2e cannot pass without testing journal
# mode. E2E_PASSES chosen by hand is taken as it is.
# KEEP=1 keeps the temp dir (it is also kept on failure).
# E2E_PASSES="verbose journal" runs only those passes. About 125 s on 2 cores.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SELF="$HERE/$(basename "${BASH_SOURCE[0]}")"
top_srcdir=$(cd "${top_srcdir:-$HERE/../..}" && pwd)
top_builddir=$(cd "${top_builddir:-$top_srcdir}" && pwd)
AUTHFOLD=$top_builddir/authfold
OMPROG=$top_builddir/authfold-omprog
SNIPPET=$top_srcdir/rsyslog.d/authfold.conf
E2E=$top_srcdir/tests/e2e/e2e.py
# shellcheck source=../lib/mxns.sh
. "$top_srcdir/tests/lib/mxns.sh"

say() { printf 'e2e: %s\n' "$*" >&2; }
die() { say "FAIL: $*"; exit 1; }
skip() { say "SKIP: $*"; exit 77; }

# wait_until SECONDS WHAT COMMAND...: poll COMMAND every 0.1 s.
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
# Inner part: inside the network namespace, in a private mount/UTS namespace.
#   run.sh --inner MODE DIR
inner() {
    local mode=$1 D=$2 n backend=ipset
    [ "$mode" = nft ] && backend=nft
    mkdir -p "$D/out"
    mx_private_root "$D" || die "cannot set up the private mail server root"
    mx_postfix_config "authfold end-to-end test (tests/e2e/run.sh)" 30s /usr/share/postfix/master.cf.dist ||
        die "cannot configure Postfix"
    local v=""
    [ "$mode" = plain ] || v=" -v"
    postconf -F "smtp/inet/command = smtpd$v"
    postconf -M "submission/inet = submission inet n - n - - smtpd$v"
    postconf -P "submission/inet/syslog_name = postfix/submission"
    postconf -M "smtps/inet = smtps inet n - n - - smtpd$v"
    postconf -P "smtps/inet/syslog_name = postfix/smtps" "smtps/inet/smtpd_tls_wrappermode = yes"
    postconf -M -f smtp/inet submission/inet smtps/inet >"$D/out/master.txt"

    # --- authfold, the sets and the README's firewall rules ---------------------
    mkdir -m 0700 "$D/state" "$D/state0"
    cat >"$D/authfold.conf" <<EOF
# tests/e2e/run.sh
summary_log = $D/out/summary.log
events_log = $D/out/events.log
state_dir = $D/state
backend = $backend
maxretry = 2
bantime = 1h
# SASL strikes wait authserver_hold (60s by default) for auth server
# trouble: short here, so that a guesser's ban comes within BAN_DEADLINE
authserver_hold = 2s
EOF
    # nft: nothing by hand, authfold-omprog makes its table when rsyslog starts it
    if [ "$mode" != nft ]; then
    # The sets must exist before the rules that name them: an empty replay
    # with the same configuration (but another state dir) creates them.
    sed "s|^state_dir = .*|state_dir = $D/state0|" "$D/authfold.conf" >"$D/authfold0.conf"
    "$AUTHFOLD" replay -c "$D/authfold0.conf" --ban --summary /dev/null --events /dev/null \
        /dev/null 2>"$D/replay0.err" || { cat "$D/replay0.err" >&2; die "authfold cannot create the sets"; }
    ipset list -n >"$D/sets.txt"
    grep -qx authfold4 "$D/sets.txt" && grep -qx authfold6 "$D/sets.txt" ||
        die "authfold did not create authfold4 and authfold6"
    iptables -I INPUT -p tcp -m multiport --dports 25,465,587 -m set --match-set authfold4 src -j DROP ||
        skip "iptables cannot add the README's rule matching the ipset authfold4 (no xt_set/ip_tables in this kernel?)"
    ip6tables -I INPUT -p tcp -m multiport --dports 25,465,587 -m set --match-set authfold6 src -j DROP ||
        skip "ip6tables cannot add the README's rule matching the ipset authfold6 (no xt_set/ip6_tables in this kernel?)"
    fi

    if [ "$mode" = journal ]; then
        start_journal
    else
        start_rsyslog
    fi

    # --- Postfix ----------------------------------------------------------------
    postfix check || die "postfix check failed"
    postfix start 2>"$D/postfix-start.err" || { cat "$D/postfix-start.err" >&2; die "postfix start failed"; }
    listening() { ss -Hltn "( sport = :25 or sport = :465 or sport = :587 )" | wc -l | grep -qx 6; }
    wait_until 30 "Postfix does not listen on 25, 465 and 587 (v4 and v6)" listening

    # --- clients ----------------------------------------------------------------
    local rc=0
    say "$mode: clients"
    timeout 200 python3 "$E2E" drive "$D" "$mode" >"$D/out/drive.txt" 2>&1 || rc=$?
    if [ $rc -ne 0 ]; then
        grep -e FAIL -e 'e2e.py' "$D/out/drive.txt" >&2
        say "$mode: the clients failed (rc=$rc)"
    fi

    # --- drain, stop, wait for the summary ---------------------------------------
    delivered() { [ "$(grep -c '^Message-ID: <e2e-' /var/mail/alice 2>/dev/null)" = 4 ]; }
    [ $rc -ne 0 ] || wait_until 60 "the 4 messages did not reach alice's mailbox" delivered
    stop_postfix
    caught_up() { grep -q 'postfix/master\[[0-9]*\]: terminating on signal 15$' "$D/out/summary.log" 2>/dev/null; }
    wait_until 60 "the summary did not catch up with Postfix's last line" caught_up
    if [ "$mode" = nft ]; then
        nft -j list ruleset >"$D/out/nft.json"
        { iptables-save; ip6tables-save; } >"$D/out/iptables-save.txt" 2>&1
        stop_logging
        nft delete table inet authfold
    else
        ipset list >"$D/out/ipset.txt"
        { iptables -nvxL INPUT; ip6tables -nvxL INPUT; } >"$D/out/iptables.txt"
        stop_logging
        iptables -F INPUT
        ip6tables -F INPUT
        ipset destroy
    fi
    return $rc
}

# rsyslogd: imuxsock on the private /dev/log, an omfile with every postfix
# line, and the shipped snippet with its paths replaced.
start_rsyslog() {
    mkdir -p "$D/rsyslog"
    sed -e "s|/usr/sbin/authfold-omprog|$OMPROG|" \
        -e "s|/etc/authfold/authfold.conf|$D/authfold.conf|" \
        -e "s|/var/log/authfold-omprog.log|$D/out/omprog.err|" "$SNIPPET" >"$D/snippet.conf"
    # only paths may differ from the shipped file
    diff "$SNIPPET" "$D/snippet.conf" | grep '^[<>]' |
        grep -v -e '/usr/sbin/authfold-omprog' -e '/etc/authfold/authfold.conf' \
                -e '/var/log/authfold-omprog.log' -e "$OMPROG" -e "$D/" &&
        die "the snippet differs from the shipped one in more than paths"
    cat >"$D/rsyslog.conf" <<EOF
global(workDirectory="$D/rsyslog" localHostname="mx" maxMessageSize="64k")
module(load="imuxsock" SysSock.Name="/dev/log" SysSock.RateLimit.Interval="0"
       SysSock.UseSysTimeStamp="on" SysSock.Annotate="on" SysSock.ParseTrusted="on")
# every line the snippet hands to authfold-omprog, for the comparison
if \$programname startswith "postfix" then {
    action(type="omfile" file="$D/out/all.log" template="RSYSLOG_FileFormat")
}
include(file="$D/snippet.conf")
EOF
    rsyslogd -N1 -f "$D/rsyslog.conf" >"$D/rsyslog-check.txt" 2>&1 ||
        { cat "$D/rsyslog-check.txt" >&2; die "rsyslogd -N1 refuses the config"; }
    rsyslogd -n -f "$D/rsyslog.conf" -i "$D/rsyslog.pid" 2>"$D/rsyslog.err" &
    RSYSLOG_PID=$!
    wait_until 20 "rsyslogd did not create /dev/log" test -S /dev/log
}

# journald started by hand (private /run, volatile storage, no rate limit),
# /dev/log its syslog socket. `authfold journal` reads the SYSTEM journal as
# it does under systemd (no --directory: sd_journal_open() of the private
# /run/log/journal and /var/log/journal), starting at the tail like the
# shipped unit, and Postfix starts only after its READY=1 (a NOTIFY_SOCKET
# of the test's own). journalctl -f writes the all-lines log (e2e.py
# journal2log) for the comparison and for the clients' pacing.
start_journal() {
    # journald needs the cgroup file system, which the sysfs that
    # `ip netns exec` mounts lacks: mount a read-only view of the host's.
    case "$CGROUP_FS" in
    v2) mount -t cgroup2 -o ro authfold-e2e-cg /sys/fs/cgroup ;;
    v1) mount -t tmpfs -o mode=0755 authfold-e2e-cg /sys/fs/cgroup &&
        mkdir /sys/fs/cgroup/systemd &&
        mount -t cgroup -o ro,none,name=systemd authfold-e2e-cg /sys/fs/cgroup/systemd ;;
    esac || die "cannot mount the cgroup file system for journald"
    mount -t tmpfs -o mode=0755 authfold-e2e-run /run
    mount -t tmpfs -o mode=0755 authfold-e2e-jvar /var/log/journal
    printf '[Journal]\nStorage=volatile\nRateLimitIntervalSec=0\nRuntimeMaxUse=64M\nForwardToSyslog=no\nForwardToKMsg=no\nForwardToConsole=no\nForwardToWall=no\n' >"$D/journald.conf"
    mount --bind "$D/journald.conf" /etc/systemd/journald.conf
    "$JOURNALD" 2>"$D/out/journald.err" &
    JOURNALD_PID=$!
    wait_until 20 "systemd-journald did not create its syslog socket" test -S /run/systemd/journal/dev-log
    ln -s /run/systemd/journal/dev-log /dev/log
    local mid
    mid=$(cat /etc/machine-id)
    wait_until 20 "no journal file in /run/log/journal/$mid" test -s "/run/log/journal/$mid/system.journal"
    echo "summary_format = rfc3339" >>"$D/authfold.conf"
    python3 "$top_srcdir/tests/lib/notify-listen.py" "$D/notify.sock" "$D/out/notify.txt" &
    NOTIFY_PID=$!
    wait_until 20 "the test's notify socket did not appear" test -S "$D/notify.sock"
    NOTIFY_SOCKET=$D/notify.sock "$AUTHFOLD" journal -c "$D/authfold.conf" 2>"$D/out/journal.err" &
    AFJ_PID=$!
    ready() { grep -q '^READY=1' "$D/out/notify.txt" 2>/dev/null; }
    wait_until 30 "authfold journal sent no READY=1" ready
    { echo "$BASHPID" >"$D/journalctl.pid"
      exec journalctl -f -n all -o json SYSLOG_FACILITY=2 2>"$D/journalctl.err"; } |
        python3 "$E2E" journal2log >"$D/out/all.log" &
    JCTL_PID=$!
}

stop_postfix() {
    local pid
    [ -s /var/spool/postfix/pid/master.pid ] || return 0
    pid=$(tr -dc 0-9 </var/spool/postfix/pid/master.pid)
    [ -n "$pid" ] || return 0
    postfix stop >/dev/null 2>&1
    for ((i = 0; i < 300; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
}

stop_rsyslog() {
    [ -n "${RSYSLOG_PID:-}" ] || return 0
    kill -TERM "$RSYSLOG_PID" 2>/dev/null
    for ((i = 0; i < 300; i++)); do kill -0 "$RSYSLOG_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$RSYSLOG_PID" 2>/dev/null
    wait "$RSYSLOG_PID" 2>/dev/null
    RSYSLOG_PID=
}

# stop_pid PID: TERM, up to 30 s, KILL.
stop_pid() {
    [ -n "$1" ] || return 0
    kill -TERM "$1" 2>/dev/null
    for ((i = 0; i < 300; i++)); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$1" 2>/dev/null
    wait "$1" 2>/dev/null
}

stop_logging() {
    stop_rsyslog
    stop_pid "${AFJ_PID:-}"; AFJ_PID=
    # the journalctl | journal2log pipeline: its processes, by their pids
    if [ -n "${JCTL_PID:-}" ]; then
        [ -s "$D/journalctl.pid" ] && kill -TERM "$(cat "$D/journalctl.pid")" 2>/dev/null
        stop_pid "$JCTL_PID"; JCTL_PID=
    fi
    stop_pid "${JOURNALD_PID:-}"; JOURNALD_PID=
    stop_pid "${NOTIFY_PID:-}"; NOTIFY_PID=
}

if [ "${1:-}" = --inner ]; then
    trap 'stop_postfix; stop_logging' EXIT
    inner "$2" "$3"
    exit $?
fi

# ---------------------------------------------------------------------------
# Outer part.
[ "$(id -u)" = 0 ] || skip "needs root"
for c in postfix postconf postalias saslpasswd2 rsyslogd ipset iptables ip6tables nft ip ss \
         unshare python3 timeout; do
    command -v "$c" >/dev/null 2>&1 || skip "$c is not installed"
done
[ -f /usr/share/postfix/master.cf.dist ] || skip "no /usr/share/postfix/master.cf.dist"
[ -d /etc/postfix ] && [ -d /var/spool/postfix ] && [ -d /var/lib/postfix ] && [ -d /var/mail ] ||
    skip "Postfix is not installed properly"
[ -n "$(find /usr/lib* -name omprog.so 2>/dev/null | head -1)" ] || skip "rsyslog's omprog is not installed"
[ -n "$(find /usr/lib* -path '*sasl2*' -name 'libsasldb.so*' 2>/dev/null | head -1)" ] ||
    skip "the Cyrus SASL sasldb plugin (libsasl2-modules) is not installed"
[ -x "$AUTHFOLD" ] && [ -x "$OMPROG" ] || die "$AUTHFOLD or $OMPROG is not built"

# Host state that must not change. /run/systemd/systemd-units-load is
# touched by every `systemctl daemon-reload` on the host (a package
# installed meanwhile), which this test never runs: it is left out.
fingerprint() {
    find /etc/postfix /var/spool/postfix /var/lib/postfix /var/mail /etc/ssl \
         /var/log/journal /run/systemd /run/log -path /run/systemd/systemd-units-load -prune -o \
         -printf '%p %y %m %u %g %s %T@\n' 2>/dev/null | sort
    find /etc/postfix -type f -exec sha256sum {} + 2>/dev/null | sort
    ls -l /dev/log 2>&1
    ipset list -n 2>&1 | sort
    iptables -S 2>&1
    ip6tables -S 2>&1
    nft -s list ruleset 2>&1
    grep -c -e authfold-e2e -e authfold-mx /proc/self/mountinfo
    true
}
BEFORE=$(fingerprint)
T=$(mktemp -d /tmp/authfold-e2e.XXXXXX)
NS=authfold-e2e-$$
START=$SECONDS

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

new_ns() {
    mx_netns_new "$NS" || skip_or_fail "ip netns add is not possible here"
    nsx() { ip netns exec "$NS" "$@"; }
    nsx ipset create authfold_probe hash:ip timeout 0 2>/dev/null ||
        skip_or_fail "the kernel has no ipset support in a network namespace"
    nsx ipset destroy authfold_probe
}

status=0
passes_run=0
# A prerequisite found missing: skip only while no pass ran and none failed.
skip_or_fail() {
    [ "$passes_run" = 0 ] && [ "$status" = 0 ] && skip "$*"
    die "$* (after $passes_run pass(es) ran: not a skip)"
}
journal_required() {
    [ "${CI:-}" = true ] && return 0
    case "$(cat /etc/debian_version 2>/dev/null)" in 12.*|12) return 0 ;; esac
    return 1
}
JOURNALD=/lib/systemd/systemd-journald
PASSES="verbose nft plain"
CGROUP_FS=none
if [ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ]; then
    CGROUP_FS=v2
elif [ "$(stat -fc %T /sys/fs/cgroup/systemd 2>/dev/null)" = cgroupfs ]; then
    CGROUP_FS=v1
fi
if [ -x "$JOURNALD" ] && [ "$CGROUP_FS" != none ] && command -v journalctl >/dev/null && [ -s /etc/machine-id ] &&
   [ -f /etc/systemd/journald.conf ] && [ -d /var/log/journal ]; then
    PASSES="$PASSES journal"
elif [ -z "${E2E_PASSES:-}" ] && journal_required; then
    die "no journal pass possible (needs $JOURNALD, a cgroup file system, journalctl, /etc/machine-id, /etc/systemd/journald.conf, /var/log/journal); required with CI=true and on Debian 12"
else
    say "note: no journal pass (needs $JOURNALD, a cgroup file system, journalctl, /etc/machine-id, /etc/systemd/journald.conf, /var/log/journal)"
fi
PASSES=${E2E_PASSES:-$PASSES}
for mode in $PASSES; do
    say "pass $mode ($((SECONDS - START))s)"
    new_ns
    mkdir -p "$T/$mode"
    rc=0
    ip netns exec "$NS" unshare -m -u --propagation private \
        env top_srcdir="$top_srcdir" top_builddir="$top_builddir" JOURNALD="$JOURNALD" CGROUP_FS="$CGROUP_FS" \
        "$BASH" "$SELF" --inner "$mode" "$T/$mode" 2>&1 | sed "s/^/  /" >&2
    rc=${PIPESTATUS[0]}
    [ "$rc" = 77 ] && skip_or_fail "iptables cannot match ipsets in a network namespace"
    passes_run=$((passes_run + 1))
    left=$(ip netns pids "$NS")
    [ -z "$left" ] || { say "processes left in $NS after pass $mode: $(echo $left)"; status=1; }
    ip netns del "$NS"
    [ "$rc" = 0 ] || { say "pass $mode failed (rc=$rc)"; status=1; }
done

say "checks ($((SECONDS - START))s)"
after=$(fingerprint)
if [ "$after" != "$BEFORE" ]; then
    say "the host changed:"
    diff <(echo "$BEFORE") <(echo "$after") | head -20 >&2
    status=1
fi
! ip netns list | grep -q "^authfold-e2e-$$" || { say "netns $NS left behind"; status=1; }
python3 "$E2E" check "$T" "$AUTHFOLD" $PASSES || status=1
say "done in $((SECONDS - START))s"
exit $status

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/multi/run.sh - several MX, one memory: strikes from every MX count
# together at a central host, and its decisions reach every MX over rsyslog
# RELP with mutual TLS.
#
# Three network namespaces joined by a bridge in the central one
# (203.0.113.1 central, .11 mx1, .12 mx2; clients on mx1 and mx2 from
# 192.0.2.0/24 and 198.51.100.0/24 routed to lo), a private CA and
# certificates made here with openssl, and in each namespace an rsyslogd
# with the SHIPPED snippets (rsyslog.d/authfold-central.conf,
# rsyslog.d/authfold-mx.conf, rsyslog.d/authfold.conf on the MX) in which
# only paths and the peers' addresses are replaced:
#   central: imrelp (mx1, mx2) -> authfold-omprog (backend none, publish =
#            syslog) -> its publish socket -> omrelp to mx1 and to mx2
#   mx1/mx2: real Postfix with smtpd -v on port 25 (tests/lib/mxns.sh, in a
#            private mount namespace) -> rsyslogd -> omrelp to central, and
#            the local authfold-omprog; imrelp (central only) -> authfold-enforce
#            -> ipset authfold4, dropped by iptables on port 25.
# Checks:
#   - a bot probing mx1 once and mx2 once (one strike each: below maxretry
#     on either MX) is dropped by the kernel on both; an honest client never;
#   - forged decisions: a local `logger` on mx2 (logged as refused by the
#     shipped snippet), a RELP client with a self-signed certificate and one
#     with a certificate of the CA that the MX does not permit: nothing banned;
#   - a decision delivered twice changes nothing (enforce.log, counters);
#   - a decision for an address in the MX's ignoreip is not applied;
#   - `authfold unban` on the central host removes the ban on both MX;
#   - central down (its rsyslogd stopped) while a second bot probes: the MX
#     queue their lines; after it is back the bot is banned on both, and
#     the central summary holds every line of both sessions;
#   - mx2 "rebooted": killed, a fresh namespace (empty sets), same state dir:
#     `authfold-enforce --restore` puts the running central ban back, and
#     the unbanned address stays out;
#   - after all that a third bot is banned on both MX within 20 s (the
#     keep-alive, every 5 s here, bounds rsyslog's stalled session), and
#     the MX count keep-alives.
#   - mx2 rebuilt (stopped, its state dir and sets wiped, started again
#     without --restore): the central host's resync (publish_resync = 10s
#     here) puts every running central ban back within 60 s without a new
#     strike, and not the unbanned one; mx1, in step, hears full sets
#     (authfold status) and takes the resent decisions as duplicates;
#   - the central rsyslogd stopped and started again during a burst of
#     MULTI_BURST (30) bots, each probing mx1 then mx2: every one of them
#     is banned on both MX (decisions pending when the central authfold
#     stopped are kept in its state_dir and sent after the restart).
#   - `authfold unban` on the central host while its rsyslogd is down:
#     kept in publish.log, published to both MX once it is back.
# MULTI_BENCH_BOTS=N adds N bots (probe mx2, then mx1) and prints the
# latency from mx1's deciding line to the set entry on mx2 (median, p99),
# MULTI_BENCH_IDLE=S with S seconds of silence before each (MULTI_ALIVE=D
# sets the central publish_alive, 5s by default here; MULTI_RESYNC=D its
# publish_resync, 10s; MULTI_BENCH_AFTER_REBOOT=1 measures right after mx2's
# reboot instead of before anything restarted);
# MULTI_BENCH_DECISIONS=N sends N decisions into the central publish socket
# and prints how many per second reached mx1's authfold-enforce. KEEP=1
# keeps the temp dir (also kept on failure). Root only; exit 77 when a
# tool or the kernel's ipset support is missing.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SELF="$HERE/$(basename "${BASH_SOURCE[0]}")"
top_srcdir=$(cd "${top_srcdir:-$HERE/../..}" && pwd)
top_builddir=$(cd "${top_builddir:-$top_srcdir}" && pwd)
AUTHFOLD=$top_builddir/authfold
OMPROG=$top_builddir/authfold-omprog
ENFORCE=$top_builddir/authfold-enforce
PY=$top_srcdir/tests/multi/multi.py
# shellcheck source=../lib/mxns.sh
. "$top_srcdir/tests/lib/mxns.sh"
# shellcheck source=../lib/tlsca.sh
. "$top_srcdir/tests/lib/tlsca.sh"

say() { printf 'multi: %s\n' "$*" >&2; }
die() { say "FAIL: $*"; exit 1; }
skip() { say "SKIP: $*"; exit 77; }

wait_until() {
    local t=$1 what=$2 i
    shift 2
    for ((i = 0; i < t * 20; i++)); do
        "$@" && return 0
        sleep 0.05
    done
    die "$what (waited ${t}s)"
}

# The shipped snippet SRC with this test's paths and peers into DST; only
# paths, addresses and names may differ.
snippet() {
    local src=$1 dst=$2 dir=$3
    sed -e "s|/etc/authfold/tls|$dir/tls|g" \
        -e "s|/etc/authfold/authfold.conf|$dir/authfold.conf|g" \
        -e "s|/run/authfold/publish.sock|$dir/publish.sock|g" \
        -e "s|/usr/sbin/authfold-omprog|$OMPROG|g" \
        -e "s|/usr/sbin/authfold-enforce|$ENFORCE|g" \
        -e "s|/var/log/|$dir/out/|g" \
        -e 's|target="central.example.org"|target="203.0.113.1"|' \
        -e 's|target="mx1.example.org"|target="203.0.113.11"|' \
        -e 's|target="mx2.example.org"|target="203.0.113.12"|' \
        -e "s|\$!uid == \"POSTFIX_UID\"|\$!uid == \"$(id -u postfix)\"|" \
        -e "s|tls.tlslib=\"openssl\"|tls.tlslib=\"${MULTI_TLSLIB:-openssl}\"|" "$src" >"$dst"
    if diff "$src" "$dst" | grep '^[<>]' |
        grep -v -e '/etc/authfold/' -e '/run/authfold' -e '/usr/sbin/authfold' -e '/var/log/' \
                -e "$dir/" -e "$top_builddir/" -e 'target=' -e 'tls.tlslib=' -e '$!uid == "' >&2; then
        die "$dst differs from $src in more than paths and peers"
    fi
}

# ---------------------------------------------------------------------------
# Inner part of an MX: in its network namespace, private mount/UTS namespace.
#   run.sh --mx N DIR STATE      (DIR: this boot's private root)
mx_inner() {
    local n=$1 D=$2 S=$3
    mkdir -p "$D/out" "$D/rsyslog"
    mx_private_root "$D" || die "mx$n: cannot set up the private root"
    hostname "mx$n"
    mx_postfix_config "authfold multi-MX test (tests/multi/run.sh)" 30s /usr/share/postfix/master.cf.dist ||
        die "mx$n: cannot configure Postfix"
    postconf -F "smtp/inet/command = smtpd -v"
    postconf -e "myhostname = mx$n.example.test"

    # The sets before the rule that names them: an empty replay (other state dir).
    "$AUTHFOLD" replay -c "$S/../authfold0.conf" --ban --summary /dev/null --events /dev/null /dev/null \
        2>"$D/replay0.err" || { cat "$D/replay0.err" >&2; die "mx$n: cannot create the sets"; }
    iptables -I INPUT -p tcp --dport 25 -m set --match-set authfold4 src -j DROP ||
        skip "mx$n: iptables cannot add a rule matching the ipset authfold4 (no xt_set/ip_tables in this kernel?)"

    cat >"$D/rsyslog.conf" <<EOF
global(workDirectory="$D/rsyslog" localHostname="mx$n" maxMessageSize="64k")
module(load="imuxsock" SysSock.Name="/dev/log" SysSock.RateLimit.Interval="0"
       SysSock.UseSysTimeStamp="on" SysSock.Annotate="on" SysSock.ParseTrusted="on")
if \$programname startswith "postfix" then {
    action(type="omfile" file="$D/out/all.log" template="RSYSLOG_FileFormat")
}
include(file="$S/../mx-snippet.conf")
include(file="$S/../local-snippet.conf")
EOF
    rsyslogd -N1 -f "$D/rsyslog.conf" >"$D/rsyslog-check.txt" 2>&1 ||
        { cat "$D/rsyslog-check.txt" >&2; die "mx$n: rsyslogd -N1 refuses the config"; }
    rsyslogd -n -f "$D/rsyslog.conf" -i "$D/rsyslog.pid" >"$D/out/rsyslog.err" 2>&1 &
    local rpid=$!
    wait_until 20 "mx$n: rsyslogd did not create /dev/log" test -S /dev/log
    [ "${MX_RESTORE:-}" = 1 ] && "$ENFORCE" -c "$S/../authfold.conf" --restore 2>"$D/out/restore.err"
    postfix start 2>"$D/postfix-start.err" || { cat "$D/postfix-start.err" >&2; die "mx$n: postfix start failed"; }
    listening() { ss -Hltn "( sport = :25 )" | grep -q .; }
    wait_until 30 "mx$n: Postfix does not listen on 25" listening
    echo ready >"$D/ready"
    while [ ! -e "$D/stop" ]; do sleep 0.2; done
    postfix stop >/dev/null 2>&1
    sleep 1
    kill -TERM "$rpid" 2>/dev/null
    for ((i = 0; i < 100; i++)); do kill -0 "$rpid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$rpid" 2>/dev/null && say "mx$n: rsyslogd needed SIGKILL"
    wait "$rpid" 2>/dev/null
    iptables -F INPUT
    echo stopped >"$D/stopped"
}

if [ "${1:-}" = --mx ]; then
    mx_inner "$2" "$3" "$4"
    exit $?
fi

# ---------------------------------------------------------------------------
[ "$(id -u)" = 0 ] || skip "not root"
for c in postfix postconf postalias saslpasswd2 rsyslogd ipset iptables ip ss unshare nsenter \
         python3 openssl logger timeout; do
    command -v "$c" >/dev/null 2>&1 || skip "no $c"
done
[ -f /usr/share/postfix/master.cf.dist ] || skip "no /usr/share/postfix/master.cf.dist"
ls /usr/lib/*/rsyslog/imrelp.so >/dev/null 2>&1 || ls /usr/lib/rsyslog/imrelp.so >/dev/null 2>&1 ||
    skip "no imrelp (package rsyslog-relp)"
for p in "$AUTHFOLD" "$OMPROG" "$ENFORCE"; do [ -x "$p" ] || die "no $p (build first)"; done

T=$(mktemp -d /tmp/authfold-multi.XXXXXX) || die "mktemp"
chmod 0755 "$T"
C=$T/central
NSC=afc$$ NS1=afm1$$ NS2=afm2$$
CPID= POLLPID=
failed=1

stop_mx() {	# N
    local n=$1 b
    b=$(cat "$T/mx$n/boot" 2>/dev/null) || return 0
    [ -e "$b/ready" ] || return 0
    [ -e "$b/stopped" ] && return 0
    touch "$b/stop"
    for ((i = 0; i < 200; i++)); do [ -e "$b/stopped" ] && return 0; sleep 0.1; done
    say "mx$n did not stop"
}
stop_central() {
    [ -n "$CPID" ] || return 0
    kill -TERM "$CPID" 2>/dev/null
    for ((i = 0; i < 100; i++)); do kill -0 "$CPID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$CPID" 2>/dev/null && say "central rsyslogd needed SIGKILL"
    wait "$CPID" 2>/dev/null
    CPID=
}
cleanup() {
    [ -n "$POLLPID" ] && { touch "$T/poll.stop"; wait "$POLLPID" 2>/dev/null; }
    # in order, never two forwarding rsyslogd at the same moment
    stop_mx 1
    stop_mx 2
    stop_central
    for ns in "$NS1" "$NS2" "$NSC"; do mx_netns_del "$ns"; done
    if [ $failed = 0 ] && [ -z "${KEEP:-}" ]; then
        rm -rf "$T"
    else
        say "kept $T"
    fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# --- a private CA, and a certificate per host ---------------------------------
tlsca_new "$T/ca" "authfold multi test CA" || die "openssl: CA"
tlsca_cert "$T/ca" central.example.org "$C/tls" && tlsca_cert "$T/ca" mx1.example.org "$T/mx1/tls" &&
    tlsca_cert "$T/ca" mx2.example.org "$T/mx2/tls" || die "openssl: host certificates"
# the forger's: self-signed, with the central host's name on it
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/ca/self.key" -out "$T/ca/self.pem" -days 2 \
    -subj "/CN=central.example.org" -addext "subjectAltName=DNS:central.example.org" 2>/dev/null ||
    die "openssl: self-signed"
cd "$T" || die "cd"

# --- namespaces: a bridge in central, a veth to each MX -------------------------
ip netns add "$NSC" || skip "ip netns add is not possible here"
ip netns exec "$NSC" ip link set lo up
ip netns exec "$NSC" ip link add br0 type bridge || skip "no bridge support"
# A fixed MAC: a bridge takes the lowest of its ports' otherwise, so a
# rebooted MX would change the central host's MAC under the other MX's ARP
# cache (its RELP session then stalls for a minute, resending into nothing).
ip netns exec "$NSC" ip link set br0 address 02:00:cb:00:71:01
ip netns exec "$NSC" ip addr add 203.0.113.1/24 dev br0
ip netns exec "$NSC" ip link set br0 up
ns_of() { [ "$1" = 1 ] && echo "$NS1" || echo "$NS2"; }
# A rebooted MX keeps its MAC address, as a real one does: otherwise the
# central host's ARP cache sends to the old one for a minute.
mx_ns() {	# N: a fresh namespace for mxN, linked to the bridge
    local n=$1 ns
    ns=$(ns_of "$n")
    mx_netns_del "$ns"
    # the old pair goes with the old namespace, but only once the kernel
    # has freed it (asynchronous): remove the central end now
    ip netns exec "$NSC" ip link del "af$$c$n" 2>/dev/null
    ip netns add "$ns" || die "ip netns add $ns"
    ip link add "af$$m$n" type veth peer name "af$$c$n" || die "veth"
    ip link set "af$$m$n" netns "$ns" && ip link set "af$$c$n" netns "$NSC" || die "veth into namespaces"
    ip netns exec "$NSC" ip link set "af$$c$n" master br0 up &&
    ip netns exec "$ns" ip link set lo up &&
    ip netns exec "$ns" ip link set "af$$m$n" name eth0 &&
    ip netns exec "$ns" ip link set eth0 address "02:00:cb:00:71:1$n" &&
    ip netns exec "$ns" ip addr add "203.0.113.1$n/24" dev eth0 &&
    ip netns exec "$ns" ip link set eth0 up &&
    ip netns exec "$ns" ip route add local 192.0.2.0/24 dev lo &&
    ip netns exec "$ns" ip route add local 198.51.100.0/24 dev lo &&
    ip netns exec "$ns" sysctl -qw net.ipv4.ip_nonlocal_bind=1 || die "mx$n: addresses"
}

# --- configurations -----------------------------------------------------------
mkdir -p "$C/out" "$C/rsyslog" "$C/state"
cat >"$C/authfold.conf" <<EOF
# tests/multi/run.sh: the central host
summary_log = $C/out/summary.log
events_log = $C/out/events.log
state_dir = $C/state
backend = none
maxretry = 2
bantime = 1h
publish = syslog
publish_socket = $C/publish.sock
publish_host = central.example.org
publish_alive = ${MULTI_ALIVE:-5s}
publish_resync = ${MULTI_RESYNC:-10s}
metrics_file = $C/out/metrics.prom
metrics_interval = 1s
EOF
snippet "$top_srcdir/rsyslog.d/authfold-central.conf" "$C/snippet.conf" "$C"
cat >"$C/rsyslog.conf" <<EOF
global(workDirectory="$C/rsyslog" localHostname="central" maxMessageSize="64k")
module(load="imuxsock" SysSock.Use="off")
include(file="$C/snippet.conf")
EOF
rsyslogd -N1 -f "$C/rsyslog.conf" >"$C/rsyslog-check.txt" 2>&1 ||
    { cat "$C/rsyslog-check.txt" >&2; die "central: rsyslogd -N1 refuses the config"; }
start_central() {
    rm -f "$C/publish.sock"
    ip netns exec "$NSC" rsyslogd -n -f "$C/rsyslog.conf" -i "$C/rsyslog.pid" >>"$C/out/rsyslog.err" 2>&1 &
    CPID=$!
    wait_until 20 "central: no publish socket" test -S "$C/publish.sock"
}

for n in 1 2; do
    M=$T/mx$n
    mkdir -p "$M/state" "$M/state0" "$M/out"
    cat >"$M/authfold.conf" <<EOF
# tests/multi/run.sh: mx$n (its own authfold-omprog, and authfold-enforce)
summary_log = $M/out/summary.log
events_log = $M/out/events.log
state_dir = $M/state
backend = ipset
maxretry = 2
bantime = 1h
ignoreip = 127.0.0.0/8 ::1 203.0.113.0/24
enforce_from = central.example.org
metrics_file = $M/out/metrics.prom
metrics_interval = 1s
EOF
    sed "s|^state_dir = .*|state_dir = $M/state0|" "$M/authfold.conf" >"$M/authfold0.conf"
    snippet "$top_srcdir/rsyslog.d/authfold-mx.conf" "$M/mx-snippet.conf" "$M"
    # the central host's input for mx2 (authfold-central.conf)
    [ "$n" = 2 ] && sed -i 's|target="203.0.113.1" port="2514"|target="203.0.113.1" port="2515"|' "$M/mx-snippet.conf"
    snippet "$top_srcdir/rsyslog.d/authfold.conf" "$M/local-snippet.conf" "$M"
    # as authfold-mx.conf says: omprog is loaded there, once
    sed -i '/^module(load="omprog")$/d' "$M/local-snippet.conf"
done

boot_mx() {	# N BOOTNAME
    local n=$1 b=$T/mx$1/$2 pid
    mkdir -p "$b"
    echo "$b" >"$T/mx$n/boot"
    mx_ns "$n"
    ip netns exec "$(ns_of "$n")" unshare -m -u --propagation private \
        env top_srcdir="$top_srcdir" top_builddir="$top_builddir" MX_RESTORE="${MX_RESTORE:-}" \
        "$BASH" "$SELF" --mx "$n" "$b" "$T/mx$n/state" >"$b/inner.log" 2>&1 &
    pid=$!
    for ((i = 0; i < 600; i++)); do
        [ -e "$b/ready" ] && return 0
        kill -0 "$pid" 2>/dev/null || { cat "$b/inner.log" >&2; die "mx$n did not start"; }
        sleep 0.1
    done
    cat "$b/inner.log" >&2
    die "mx$n: not ready in 60 s"
}

start_central
boot_mx 1 boot1
boot_mx 2 boot1
say "central, mx1, mx2 up"

inset() {	# N ADDR: ADDR in mxN's authfold4
    ip netns exec "$(ns_of "$1")" ipset test authfold4 "$2" >/dev/null 2>&1
}
notinset() { ! inset "$@"; }
enforce_count() {	# N NAME: a counter from mxN's enforce.status
    awk -v k="$2" '$1 == k { print $2 }' "$T/mx$1/state/enforce.status" 2>/dev/null
}
mx_shell() {	# N COMMAND...: in mxN's namespaces (its /dev/log)
    local b pid
    b=$(cat "$T/mx$1/boot")
    pid=$(cat "$b/rsyslog.pid" 2>/dev/null) || return 1
    shift
    # -r: rsyslogd's root directory too. Entering a mount namespace moves a
    # process to that namespace's root, out of a chroot the test runs in
    # (then the host's logger wrote to the host's /dev/log).
    nsenter -t "$pid" -m -n -u -r "$@"
}

# --- 1. an honest client on both, a bot probing each once -----------------------
ip netns exec "$NS1" python3 "$PY" honest 198.51.100.20 203.0.113.11 || die "honest client on mx1"
ip netns exec "$NS2" python3 "$PY" honest 198.51.100.20 203.0.113.12 || die "honest client on mx2"
ip netns exec "$NS2" python3 "$PY" probe 192.0.2.66 203.0.113.12 >/dev/null || die "bot on mx2"
ip netns exec "$NS1" python3 "$PY" probe 192.0.2.66 203.0.113.11 >/dev/null || die "bot on mx1"
wait_until 30 "the bot is not in mx1's set" inset 1 192.0.2.66
wait_until 30 "the bot is not in mx2's set" inset 2 192.0.2.66
ip netns exec "$NS1" python3 "$PY" blocked 192.0.2.66 203.0.113.11 || die "mx1 still answers the bot"
ip netns exec "$NS2" python3 "$PY" blocked 192.0.2.66 203.0.113.12 || die "mx2 still answers the bot"
for n in 1 2; do
    inset "$n" 198.51.100.20 && die "mx$n banned the honest client"
    ip netns exec "$(ns_of $n)" python3 "$PY" honest 198.51.100.20 "203.0.113.1$n" ||
        die "the honest client cannot send to mx$n any more"
    grep -q '"event":"ban"' "$T/mx$n/out/events.log" 2>/dev/null && die "mx$n banned on its own (one strike only)"
done
grep -q '"event":"ban","addr":"192.0.2.66"' "$C/out/events.log" || die "the central events log has no ban"
say "ok: the bot (one probe per MX) is dropped on both MX, the honest client is not"

# --- figures (optional): latency, while nothing has been restarted yet -----------------
bench_latency() {	# FIRST: the first bench address is 192.0.2.(100 + FIRST + 1)
    local first=$1 i a k addrs

    rm -f "$T/poll.stop"
    ip netns exec "$NS2" python3 "$PY" poll authfold4 "$T/poll.stop" "$T/poll.out" &
    POLLPID=$!
    sleep 0.5
    addrs=
    for ((i = 1; i <= MULTI_BENCH_BOTS; i++)); do
        sleep "${MULTI_BENCH_IDLE:-0}"
        a=192.0.2.$((100 + first + i))
        addrs="$addrs $a"
        ip netns exec "$NS2" python3 "$PY" probe "$a" 203.0.113.12 >/dev/null || die "bench bot $a on mx2"
        ip netns exec "$NS1" python3 "$PY" probe "$a" 203.0.113.11 >/dev/null || die "bench bot $a on mx1"
        for ((k = 0; k < 100; k++)); do grep -q "^$a " "$T/poll.out" 2>/dev/null && break; sleep 0.02; done
    done
    sleep 1
    touch "$T/poll.stop"; wait "$POLLPID"; POLLPID=
    # shellcheck disable=SC2086
    python3 "$PY" latency "$(cat "$T/mx1/boot")/out/all.log" "$T/poll.out" $addrs >"$T/latency.txt"
    sort -k2 -n "$T/latency.txt" | awk '$2 != "missing" { v[n++] = $2 } END {
        if (n == 0) { print "multi: latency: no sample"; exit }
        p99 = int(0.99 * n); if (p99 >= n) p99 = n - 1
        printf "multi: latency mx1 deciding line -> mx2 set entry: n=%d median %.1f ms p99 %.1f ms max %.1f ms\n",
            n, v[int((n - 1) / 2)], v[p99], v[n - 1] }' >&2
    grep -c missing "$T/latency.txt" | sed 's/^/multi: latency samples missing: /' >&2
    awk '{ printf "%s%s", n++ ? ", " : "multi: latency in ms, bot by bot: ", $2 } END { print "" }' \
        "$T/latency.txt" >&2
}
if [ "${MULTI_BENCH_BOTS:-0}" -gt 0 ] && [ "${MULTI_BENCH_AFTER_REBOOT:-0}" = 0 ]; then
    bench_latency 0
fi

# --- 2. forged decisions --------------------------------------------------------
now=$(date +%s)
forged="authfold-decision v1 id=f0f0f0f0f0f0f0f0 op=ban net=192.0.2.99/32 at=$now until=$((now + 3600)) reason=noauth by=central.example.org"
mx_shell 2 logger -t authfold "$forged" || die "logger on mx2"
out=$(ip netns exec "$NS2" python3 "$PY" relp 203.0.113.12 2514 "$T/ca/self.pem" "$T/ca/self.key" "$forged") ||
    die "a RELP client with a self-signed certificate was taken: $out"
say "self-signed: $out"
out=$(ip netns exec "$NS2" python3 "$PY" relp 203.0.113.12 2514 "$T/mx1/tls/host.pem" "$T/mx1/tls/host.key" "$forged") ||
    die "a RELP client with mx1's certificate was taken by mx2: $out"
say "mx1's certificate at mx2: $out"
sleep 2
inset 2 192.0.2.99 && die "a forged decision banned 192.0.2.99 on mx2"
wait_until 10 "the local forgery is not in mx2's refused log" \
    grep -q "refused decision.*f0f0f0f0f0f0f0f0" "$T/mx2/out/authfold-refused.log"
say "ok: forged decisions (local logger, self-signed RELP, wrong peer) refused; the local one logged"

# --- 2b. forged Postfix lines: only Postfix's own lines reach the central host --
# The same probing session (connect, disconnect with auth=0/1) that Postfix
# writes for the bots above, written with logger on mx1 and on mx2 by nobody
# and by root: one strike per MX would ban 192.0.2.55 on both; it must
# strike nobody, reach no set, and not even reach the central host.
for n in 1 2; do
    for who in nobody root; do
        as=(setpriv --reuid "$who" --regid "$(id -g "$who")" --clear-groups)
        [ "$who" = root ] && as=()
        for msg in "connect from unknown[192.0.2.55]" "disconnect from unknown[192.0.2.55] ehlo=1 auth=0/1 quit=1 commands=2/3"; do
            mx_shell "$n" "${as[@]}" logger -t postfix/smtpd --id="$((7000 + n))" "$msg" || die "logger as $who on mx$n"
        done
    done
done
sleep 3
for n in 1 2; do
    inset "$n" 192.0.2.55 && die "forged lines banned 192.0.2.55 on mx$n"
    grep -q '192.0.2.55' "$T/mx$n/out/events.log" 2>/dev/null && die "forged lines struck on mx$n"
    [ "$(grep -c 'unknown\[192.0.2.55\]' "$(cat "$T/mx$n/boot")/out/all.log")" = 4 ] || die "mx$n did not log the 4 forged lines"
done
grep -q '192.0.2.55' "$C/out/events.log" && die "forged lines struck at the central host"
grep -q '192.0.2.55' "$C/out/summary.log" && die "forged lines were forwarded to the central host"
ip netns exec "$NSC" "$AUTHFOLD" status -c "$C/authfold.conf" >"$T/status-central.txt" 2>&1
grep -q 'omprog: lines by sender: 0 from trusted_users, [1-9][0-9]* relayed by their MX, 0 from other senders' \
    "$T/status-central.txt" || { cat "$T/status-central.txt" >&2; die "the central host does not count relayed lines"; }
say "ok: forged Postfix lines (nobody, root) on both MX: kept there, not forwarded, no strike, no ban"

# --- 3. a duplicate, an ignored address, a malformed one -------------------------
banned_before=$(enforce_count 1 banned) lines_before=$(wc -l <"$T/mx1/state/enforce.log")
dup_before=$(enforce_count 1 duplicate)
line=$(grep -h 'op=ban net=192.0.2.66/32' "$T/mx1/state/enforce.log" | head -1 | cut -d' ' -f2-)
[ -n "$line" ] || die "no decision for the bot in mx1's enforce.log"
timeout_before=$(ip netns exec "$NS1" ipset -o save list authfold4 | awk '$3 == "192.0.2.66" { print $5 }')
sleep 1.1
ip netns exec "$NSC" python3 "$PY" decide "$C/publish.sock" "$line" \
    "authfold-decision v1 id=e0e0e0e0e0e0e0e0 op=ban net=203.0.113.250/32 at=$now until=$((now + 3600)) reason=noauth by=central.example.org" \
    "authfold-decision v1 id=d0d0d0d0d0d0d0d0 op=ban net=192.0.2.98/32 at=$now until=$((now + 3600)) reason=noauth by=central.example.org trailing"
dup_more() { [ "$(enforce_count 1 duplicate)" -gt "$dup_before" ] && [ "$(enforce_count 1 malformed)" -ge 1 ]; }
wait_until 15 "mx1 did not count the duplicate and the malformed decision" dup_more
[ "$(enforce_count 1 banned)" = "$banned_before" ] || die "the duplicate changed mx1's banned count"
[ "$(wc -l <"$T/mx1/state/enforce.log")" = "$lines_before" ] || die "the duplicate was logged again"
timeout_after=$(ip netns exec "$NS1" ipset -o save list authfold4 | awk '$3 == "192.0.2.66" { print $5 }')
[ "$timeout_after" -lt "$timeout_before" ] || die "the duplicate reset the kernel timeout ($timeout_before -> $timeout_after)"
inset 1 203.0.113.250 && die "mx1 banned an address of its ignoreip"
[ "$(enforce_count 1 ignored)" -ge 1 ] || die "mx1 did not count the ignored decision"
inset 1 192.0.2.98 && die "mx1 applied a malformed decision"
say "ok: duplicate changes nothing, ignoreip holds, malformed refused and counted"

# --- 4. unban on the central host reaches every MX --------------------------------
"$AUTHFOLD" unban -c "$C/authfold.conf" 192.0.2.66 2>"$T/unban.err" || { cat "$T/unban.err" >&2; die "authfold unban"; }
grep -q 'unban 192.0.2.66/32: published by the running daemon' "$T/unban.err" ||
    { cat "$T/unban.err" >&2; die "unban not published"; }
wait_until 15 "the unban did not reach mx1" notinset 1 192.0.2.66
wait_until 15 "the unban did not reach mx2" notinset 2 192.0.2.66
# wider than a decision may be: refused with that reason (issue 23, item 7)
"$AUTHFOLD" unban -c "$C/authfold.conf" 10.0.0.0/7 2>"$T/unban-wide.err" && die "authfold unban 10.0.0.0/7 succeeded"
grep -q 'not published: a decision is never wider than /8' "$T/unban-wide.err" ||
    { cat "$T/unban-wide.err" >&2; die "authfold unban 10.0.0.0/7 does not give the real cause"; }
say "ok: authfold unban on the central host removed the ban on mx1 and mx2"

# --- 5. central down while a second bot probes; nothing lost -----------------------
stop_central
ip netns exec "$NS1" python3 "$PY" probe 192.0.2.77 203.0.113.11 >/dev/null || die "bot 2 on mx1"
ip netns exec "$NS2" python3 "$PY" probe 192.0.2.77 203.0.113.12 >/dev/null || die "bot 2 on mx2"
sleep 3
inset 1 192.0.2.77 && die "mx1 banned bot 2 with the central host down (one strike)"
start_central
wait_until 60 "bot 2 is not banned on mx1 after the central host came back" inset 1 192.0.2.77
wait_until 30 "bot 2 is not banned on mx2 after the central host came back" inset 2 192.0.2.77
for n in 1 2; do
    grep -q "^[^ ]* mx$n postfix/smtpd\[[0-9]*\]: disconnect from unknown\[192.0.2.77\]" "$C/out/summary.log" ||
        die "the central summary lacks bot 2's session on mx$n"
done
say "ok: with the central host down the MX queued; after it came back bot 2 is banned on both"

# --- 6. mx2 rebooted: fresh namespace, same state dir -------------------------------
stop_mx 2
MX_RESTORE=1 boot_mx 2 boot2
inset 2 192.0.2.77 || { cat "$T/mx2/boot2/out/restore.err" >&2; die "mx2 did not restore bot 2's ban after the reboot"; }
inset 2 192.0.2.66 && die "mx2 restored the unbanned bot"
ip netns exec "$NS2" python3 "$PY" blocked 192.0.2.77 203.0.113.12 || die "mx2 answers bot 2 after the reboot"
say "ok: mx2 rebooted restores the central ban, not the unbanned one"
# figures (optional): the latency right after that reboot
if [ "${MULTI_BENCH_BOTS:-0}" -gt 0 ] && [ "${MULTI_BENCH_AFTER_REBOOT:-0}" = 1 ]; then
    bench_latency 20
fi

# --- 7. after all that, a third bot: banned on both, and how long it took -------------
# mx2's reboot closed the central host's RELP session to it; rsyslog 8.2302
# notices only when it sends the next message, suspends the action, and
# retries only when the following message arrives (measured: a ban waited
# for the next ban). The keep-alive (publish_alive = 5s here) is that next
# message at the latest, so bot 3 must reach mx2 within 20 s on its own.
t3=$(date +%s.%N)
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
ip netns exec "$NS1" python3 "$PY" probe 192.0.2.88 203.0.113.11 >/dev/null || die "bot 3 on mx1"
ip netns exec "$NS2" python3 "$PY" probe 192.0.2.88 203.0.113.12 >/dev/null || die "bot 3 on mx2"
for n in 1 2; do
    wait_until 20 "bot 3 is not banned on mx$n within 20 s" inset "$n" 192.0.2.88
    say "bot 3 banned on mx$n $(since "$t3") s after its first probe"
done
for n in 1 2; do
    [ "$(enforce_count "$n" alive)" -ge 1 ] || die "mx$n counted no keep-alive from the central host"
done
say "ok: after the central restart and the mx2 reboot, nothing lost; keep-alives arrive"

# --- status on an MX -----------------------------------------------------------------
ip netns exec "$NS1" "$AUTHFOLD" status -c "$T/mx1/authfold.conf" >"$T/status-mx1.txt" 2>&1
grep -q 'central:central.example.org' "$T/status-mx1.txt" && grep -q 'last central decision arrived' "$T/status-mx1.txt" ||
    { cat "$T/status-mx1.txt" >&2; die "authfold status on mx1 does not show the central bans"; }
say "ok: authfold status on mx1 shows the central bans and the last arrival"

# --- 8. mx2 rebuilt: state dir and sets wiped; the resync puts it back in step ------------
stop_mx 2
rm -rf "$T/mx2/state"
mkdir -p "$T/mx2/state"
t8=$(date +%s.%N)
boot_mx 2 boot3		# a fresh namespace: empty sets
for a in 192.0.2.77 192.0.2.88; do
    wait_until 60 "the rebuilt mx2 lacks the running central ban of $a" inset 2 "$a"
done
say "rebuilt mx2 holds the running central bans $(since "$t8") s after its boot began"
[ -s "$T/mx2/state/enforce.log" ] || die "the rebuilt mx2 logged no central decision"
inset 2 192.0.2.66 && die "the rebuilt mx2 banned the unbanned bot"
ip netns exec "$NS2" python3 "$PY" blocked 192.0.2.88 203.0.113.12 || die "the rebuilt mx2 answers bot 3"
full_set() { [ "$(enforce_count "$1" last_full_set)" -gt 0 ] 2>/dev/null; }
wait_until 40 "mx1 heard no full set of central decisions" full_set 1
[ "$(enforce_count 1 duplicate)" -gt "$dup_before" ] || die "mx1 took no resent decision as a duplicate"
ip netns exec "$NS1" "$AUTHFOLD" status -c "$T/mx1/authfold.conf" >"$T/status-mx1.txt" 2>&1
grep -q 'last full set of central decisions heard' "$T/status-mx1.txt" ||
    { cat "$T/status-mx1.txt" >&2; die "authfold status on mx1 does not say when it heard the full set"; }
metric() {	# FILE NAME: its value (no labels but daemon)
    awk -v n="$2" '$1 ~ "^" n "[{]" { print $2 }' "$1" 2>/dev/null
}
rounds_metric() { [ "$(metric "$C/out/metrics.prom" authfold_resync_rounds_total)" -ge 1 ] 2>/dev/null; }
wait_until 15 "the central metrics count no resync round" rounds_metric
[ -n "$(metric "$C/out/metrics.prom" authfold_decisions_held)" ] || die "the central metrics lack authfold_decisions_held"
full_metric() { [ -n "$(metric "$T/mx1/out/metrics.prom" authfold_central_last_full_set_timestamp_seconds)" ]; }
wait_until 15 "mx1's metrics do not say when it last heard the full set" full_metric
say "ok: mx2 rebuilt is back in step by the resync (no new strike); mx1 hears full sets (status, metrics), resent = duplicates"

# --- 9. the central rsyslogd restarted during a burst of decisions: none lost ----------------
nb=${MULTI_BURST:-30}
bots=
for ((i = 1; i <= nb; i++)); do bots="$bots 192.0.2.$((150 + i))"; done
pids=
for a in $bots; do
    ( ip netns exec "$NS1" python3 "$PY" probe "$a" 203.0.113.11 >/dev/null &&
      ip netns exec "$NS2" python3 "$PY" probe "$a" 203.0.113.12 >/dev/null ) &
    pids="$pids $!"
done
# stop it while the bans are being decided: a third of them decided
third() { [ "$(grep -c '"event":"ban","addr":"192.0.2.1[5-9][0-9]"' "$C/out/events.log")" -ge $((nb / 3)) ]; }
wait_until 60 "the central host decided fewer than $((nb / 3)) bans of the burst" third
stop_central
decided=$(grep -c '"event":"ban","addr":"192.0.2.1[5-9][0-9]"' "$C/out/events.log")
for p in $pids; do wait "$p" || die "a burst bot could not probe"; done
sleep 2
start_central
t9=$(date +%s.%N)
for a in $bots; do
    for n in 1 2; do
        wait_until 90 "burst bot $a is not banned on mx$n after the central restart" inset "$n" "$a"
    done
done
kept=$(grep -ho '[0-9]* decisions\? not published yet: kept' "$C/out/"*.log 2>/dev/null | head -1)
say "burst of $nb bots: $decided decided when the central rsyslogd stopped${kept:+, $kept}; all on both MX $(since "$t9") s after it started again"
say "ok: a central rsyslogd restarted during a burst of decisions lost none"

# --- 10. an unban decided while the central rsyslogd is down: kept, then published ---------
stop_central
sleep 1
"$AUTHFOLD" unban -c "$C/authfold.conf" 192.0.2.151 2>"$T/unban-down.err" ||
    { cat "$T/unban-down.err" >&2; die "authfold unban with the central rsyslogd down"; }
grep -q "not published yet .*kept in '$C/state/publish.log'" "$T/unban-down.err" ||
    { cat "$T/unban-down.err" >&2; die "the unban decided with rsyslog down was not kept"; }
grep -q '^P .* op=unban net=192.0.2.151/32 ' "$C/state/publish.log" || die "publish.log does not hold the pending unban"
start_central
# authfold-omprog starts with the next MX line, and sends what is pending
ip netns exec "$NS1" python3 "$PY" honest 198.51.100.20 203.0.113.11 || die "honest client on mx1"
wait_until 30 "the kept unban did not reach mx1" notinset 1 192.0.2.151
wait_until 30 "the kept unban did not reach mx2" notinset 2 192.0.2.151
inset 1 192.0.2.152 || die "the unban of .151 lifted .152 on mx1"
say "ok: an unban decided while the central rsyslogd was down was kept in state_dir and reached both MX after it came back"

# --- figures (optional): decisions per second ---------------------------------------------
if [ "${MULTI_BENCH_DECISIONS:-0}" -gt 0 ]; then
    nd=$MULTI_BENCH_DECISIONS
    before=$(enforce_count 1 banned)
    now=$(date +%s)
    python3 -c '
import ipaddress, sys
n, now = int(sys.argv[1]), int(sys.argv[2])
base = int(ipaddress.IPv6Address("2001:db8:100::"))
for i in range(n):
    net = ipaddress.IPv6Network((base + ((i + 1) << 64), 64))
    print("authfold-decision v1 id=%016x op=ban net=%s at=%d until=%d reason=noauth by=central.example.org"
          % (0xb000000000000000 + i, net, now, now + 3600))
' "$nd" "$now" >"$T/bench-decisions.txt"
    t0=$(date +%s.%N)
    xargs -d '\n' -n 500 ip netns exec "$NSC" python3 "$PY" decide "$C/publish.sock" <"$T/bench-decisions.txt"
    all_in() { [ "$(enforce_count 1 banned)" -ge $((before + nd)) ]; }
    wait_until 600 "mx1 did not get the $nd decisions" all_in
    t1=$(date +%s.%N)
    awk -v n="$nd" -v a="$t0" -v b="$t1" 'BEGIN { printf "multi: %d decisions through one RELP connection to mx1 in %.2f s: %.0f/s\n", n, b - a, n / (b - a) }' >&2
fi

failed=0
say "PASS"

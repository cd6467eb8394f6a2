# SPDX-License-Identifier: GPL-2.0-or-later
# tests/lib/mxns.sh - a private mail server for tests: sourced (bash) by
# tests/fixtures/record.sh and tests/e2e/run.sh.
#
# Outer part (on the host, as root):
#   mx_netns_new NS        `ip netns add NS`; lo up; 192.0.2.0/24,
#                          198.51.100.0/24, 203.0.113.0/24 and 2001:db8::/32
#                          routed to lo as local; non-local bind allowed
#   mx_netns_del NS        TERM then KILL what still runs in NS; delete NS
# Inner part (in NS, inside `unshare -m -u --propagation private`):
#   mx_private_root D      a private /dev (tmpfs with null, zero, random,
#                          urandom, full, tty: /dev/log is whoever binds it
#                          next), host name mx, private /etc/hosts and
#                          /etc/resolv.conf (no DNS: every client is
#                          unknown[addr]), and private copies of /etc/ssl
#                          (with Debian's snakeoil certificate), /etc/postfix,
#                          /var/spool/postfix, /var/lib/postfix and /var/mail,
#                          all kept under D
#   mx_postfix_config TITLE TIMEOUT MASTER_CF
#                          main.cf (mx.example.test, example.test local, TLS
#                          may with the snakeoil certificate, tls_auth_only,
#                          Cyrus SASL sasldb with alice / "correct horse",
#                          smtpd_helo_required, smtpd_timeout TIMEOUT),
#                          master.cf copied from MASTER_CF with chroot = n
#                          everywhere, alice@example.test delivered to
#                          /var/mail/alice
# Every function returns non-zero on a failure, with a message on stderr.

mx_netns_new() {
    local ns=$1
    ip netns add "$ns" || return 1
    ip netns exec "$ns" ip link set lo up &&
    ip netns exec "$ns" ip route add local 192.0.2.0/24 dev lo &&
    ip netns exec "$ns" ip route add local 198.51.100.0/24 dev lo &&
    ip netns exec "$ns" ip route add local 203.0.113.0/24 dev lo &&
    ip netns exec "$ns" ip -6 route add local 2001:db8::/32 dev lo &&
    ip netns exec "$ns" sysctl -qw net.ipv4.ip_nonlocal_bind=1 &&
    ip netns exec "$ns" sysctl -qw net.ipv6.ip_nonlocal_bind=1
}

mx_netns_del() {
    local ns=$1 pids p
    ip netns list 2>/dev/null | grep -q "^$ns\b" || return 0
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    if [ -n "$pids" ]; then
        echo "killing leftover processes in $ns: $(echo $pids)" >&2
        for p in $pids; do kill -TERM "$p" 2>/dev/null || true; done
        sleep 1
        for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
    fi
    ip netns del "$ns" 2>/dev/null || true
    return 0
}

mx_private_root() {
    local D=$1 n
    # Nothing mounted here may leak to the host.
    mount --make-rprivate / || return 1

    mkdir -p "$D/dev" &&
    mount -t tmpfs -o mode=0755,size=1m authfold-mx-dev "$D/dev" || return 1
    for n in null zero random urandom full tty; do
        touch "$D/dev/$n" && mount --bind "/dev/$n" "$D/dev/$n" || return 1
    done
    ln -s /proc/self/fd "$D/dev/fd"
    ln -s /proc/self/fd/0 "$D/dev/stdin"
    ln -s /proc/self/fd/1 "$D/dev/stdout"
    ln -s /proc/self/fd/2 "$D/dev/stderr"
    mkdir "$D/dev/shm"
    mount --rbind "$D/dev" /dev || return 1

    hostname mx || return 1
    printf '127.0.0.1\tlocalhost\n127.0.1.1\tmx.example.test mx\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$D/hosts"
    mount --bind "$D/hosts" /etc/hosts || return 1
    # A refused query on loopback makes every reverse lookup fail at once.
    printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$D/resolv.conf"
    if [ -e /etc/resolv.conf ]; then
        mount --bind "$D/resolv.conf" /etc/resolv.conf || return 1
    fi
    cp -a /etc/ssl "$D/ssl" && mount --bind "$D/ssl" /etc/ssl || return 1
    if [ ! -s /etc/ssl/certs/ssl-cert-snakeoil.pem ] ||
       [ ! -s /etc/ssl/private/ssl-cert-snakeoil.key ]; then
        make-ssl-cert generate-default-snakeoil --force-overwrite >/dev/null ||
            { echo "mxns: cannot make a snakeoil certificate" >&2; return 1; }
    fi
    cp -a /etc/postfix "$D/postfix" && mount --bind "$D/postfix" /etc/postfix || return 1
    mkdir -m 0755 "$D/spool" && mount --bind "$D/spool" /var/spool/postfix || return 1
    mkdir -m 0755 "$D/lib" && chown postfix:postfix "$D/lib" &&
        mount --bind "$D/lib" /var/lib/postfix || return 1
    mkdir -m 1777 "$D/mail" && mount --bind "$D/mail" /var/mail || return 1
}

mx_postfix_config() {
    local title=$1 timeout=$2 master=$3
    rm -f /etc/postfix/main.cf /etc/postfix/master.cf
    rm -rf /etc/postfix/sasl
    mkdir -m 0755 /etc/postfix/sasl || return 1
    cp "$master" /etc/postfix/master.cf || return 1
    cat >/etc/postfix/main.cf <<EOF
# $title; private copy only.
compatibility_level = 3.6
smtpd_banner = \$myhostname ESMTP \$mail_name (Debian/GNU)
biff = no
append_dot_mydomain = no
readme_directory = no
myhostname = mx.example.test
mydomain = example.test
myorigin = \$myhostname
mydestination = \$myhostname, example.test, localhost
mynetworks = 127.0.0.0/8 [::1]/128
inet_interfaces = all
inet_protocols = all
relayhost =
alias_maps = hash:/etc/postfix/aliases
alias_database = hash:/etc/postfix/aliases
mailbox_size_limit = 0
recipient_delimiter = +
maillog_file =

smtpd_tls_cert_file = /etc/ssl/certs/ssl-cert-snakeoil.pem
smtpd_tls_key_file = /etc/ssl/private/ssl-cert-snakeoil.key
smtpd_tls_security_level = may
smtpd_tls_auth_only = yes
smtp_tls_security_level = may

smtpd_sasl_auth_enable = yes
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
cyrus_sasl_config_path = /etc/postfix/sasl

smtpd_relay_restrictions = permit_mynetworks permit_sasl_authenticated reject_unauth_destination
smtpd_recipient_restrictions = permit_mynetworks permit_sasl_authenticated reject_unauth_destination

smtpd_timeout = $timeout
smtpd_helo_required = yes
EOF
    # alice is a local alias delivered to a file in the private /var/mail.
    cat >/etc/postfix/aliases <<'EOF'
postmaster: alice
root: alice
MAILER-DAEMON: alice
alice: /var/mail/alice
EOF
    postalias /etc/postfix/aliases || return 1
    cat >/etc/postfix/sasl/smtpd.conf <<'EOF'
pwcheck_method: auxprop
auxprop_plugin: sasldb
mech_list: PLAIN LOGIN
sasldb_path: /etc/postfix/sasl/sasldb2
EOF
    printf 'correct horse' |
        saslpasswd2 -p -c -f /etc/postfix/sasl/sasldb2 -u mx.example.test alice || return 1
    chown root:postfix /etc/postfix/sasl/sasldb2 &&
    chmod 0640 /etc/postfix/sasl/sasldb2 &&
    postconf -F '*/*/chroot = n'
}

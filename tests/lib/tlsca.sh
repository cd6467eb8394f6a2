# SPDX-License-Identifier: GPL-2.0-or-later
# tests/lib/tlsca.sh - sourced: a private CA and host certificates made with
# openssl, for the RELP/TLS tests and benchmarks (tls.authMode="name").
#   tlsca_new CADIR SUBJECT-CN       CADIR/ca.pem, CADIR/ca.key (valid 2 days)
#   tlsca_cert CADIR NAME DIR        DIR/host.pem, DIR/host.key (0600), DIR/ca.pem:
#                                    signed by the CA, CN and SAN dNSName NAME,
#                                    usable as TLS server and client
# Both return non-zero when openssl fails (its messages are discarded).
# shellcheck shell=bash
tlsca_new() {
	mkdir -p "$1" &&
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$1/ca.key" -out "$1/ca.pem" -days 2 \
		-subj "/CN=$2" 2>/dev/null
}
tlsca_cert() {
	mkdir -p "$3" &&
	openssl req -new -newkey rsa:2048 -nodes -keyout "$3/host.key" -subj "/CN=$2" \
		-out "$3/host.csr" 2>/dev/null &&
	printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$2" >"$3/ext" &&
	openssl x509 -req -in "$3/host.csr" -CA "$1/ca.pem" -CAkey "$1/ca.key" \
		-CAcreateserial -CAserial "$1/ca.srl" -days 2 -extfile "$3/ext" -out "$3/host.pem" 2>/dev/null &&
	cp "$1/ca.pem" "$3/ca.pem" && chmod 0600 "$3/host.key"
}

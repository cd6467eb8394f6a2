/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_smtpd - smtpd_classify(): one message to kind, rule, client, flags.
 *
 * The table is the spec: each row is a message as Postfix (or a client
 * trying to fool it) writes it, and what the classifier must make of it.
 */

#include "smtpd.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

enum { F_AUTH_CMD = 1, F_NOAUTH = 2, F_TLS = 4, F_HELO = 8 };

struct row {
	const char *msg;
	enum smtpd_kind kind;
	const char *rule;		/* NULL: do not check */
	const char *client;		/* NULL: no client */
	const char *addr;		/* the address the client token names */
	unsigned flags;
	int auth_failed;
};

static void check(const struct row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct row *t = &rows[i];
		struct smtpd_line l;

		print_message("msg: %s\n", t->msg);
		smtpd_classify((struct span) {t->msg, strlen(t->msg)}, &l);
		assert_string_equal(smtpd_kind_name(l.kind), smtpd_kind_name(t->kind));
		if (t->rule)
			assert_string_equal(l.rule, t->rule);
		if (t->client) {
			assert_int_equal(l.client.len, strlen(t->client));
			assert_memory_equal(l.client.p, t->client, l.client.len);
			char a[ADDR_STRLEN];

			addr_format(&l.addr, a);
			assert_string_equal(a, t->addr);
		} else {
			assert_int_equal(l.client.len, 0);
		}
		assert_int_equal(l.auth_command, !!(t->flags & F_AUTH_CMD));
		assert_int_equal(l.noauth_reply, !!(t->flags & F_NOAUTH));
		assert_int_equal(l.starttls, !!(t->flags & F_TLS));
		assert_int_equal(l.helo, !!(t->flags & F_HELO));
		assert_int_equal(l.auth_failed, t->auth_failed);
	}
}
#define CHECK(rows) check((rows), sizeof(rows) / sizeof((rows)[0]))

static void test_connect_disconnect(void **state)
{
	(void) state;
	static const struct row rows[] = {
		{"connect from unknown[192.0.2.7]", SMTPD_CONNECT, "connect", "unknown[192.0.2.7]", "192.0.2.7", 0, 0},
		{"connect from mail-bk0-f50.google.com[209.85.214.50]", SMTPD_CONNECT, "connect",
		 "mail-bk0-f50.google.com[209.85.214.50]", "209.85.214.50", 0, 0},
		{"connect from unknown[2001:db8::7]", SMTPD_CONNECT, "connect", "unknown[2001:db8::7]", "2001:db8::7", 0, 0},
		{"connect from localhost[::1]", SMTPD_CONNECT, "connect", "localhost[::1]", "::1", 0, 0},
		/* an IPv4-mapped address is the IPv4 address */
		{"connect from unknown[::ffff:192.0.2.9]", SMTPD_CONNECT, "connect", "unknown[::ffff:192.0.2.9]",
		 "192.0.2.9", 0, 0},
		/* not a valid token: kept, decides nothing */
		{"connect from unknown[192.0.2.300]", SMTPD_KEEP, "connect-unparsed", NULL, NULL, 0, 0},
		{"connect from unknown[192.0.2.7] trailing", SMTPD_KEEP, "connect-unparsed", NULL, NULL, 0, 0},
		{"connect from unknown[192.0.2.7", SMTPD_KEEP, "connect-unparsed", NULL, NULL, 0, 0},
		{"connect from [192.0.2.7]", SMTPD_KEEP, "connect-unparsed", NULL, NULL, 0, 0},
		{"connect from un known[192.0.2.7]", SMTPD_KEEP, "connect-unparsed", NULL, NULL, 0, 0},
		{"connect from unknown[]", SMTPD_KEEP, "connect-unparsed", NULL, NULL, 0, 0},
		{"connect from ", SMTPD_KEEP, "connect-unparsed", NULL, NULL, 0, 0},
		{"connect from", SMTPD_CHATTER, NULL, NULL, NULL, 0, 0},
		{"Connect from unknown[192.0.2.7]", SMTPD_CHATTER, NULL, NULL, NULL, 0, 0},

		{"disconnect from unknown[192.0.2.7] ehlo=1 auth=0/1 quit=1 commands=2/3", SMTPD_DISCONNECT,
		 "disconnect", "unknown[192.0.2.7]", "192.0.2.7", F_HELO, 1},
		{"disconnect from unknown[192.0.2.7] ehlo=1 auth=0/3 rset=1 quit=1 commands=3/6", SMTPD_DISCONNECT,
		 "disconnect", "unknown[192.0.2.7]", "192.0.2.7", F_HELO, 3},
		{"disconnect from unknown[192.0.2.7] helo=1 auth=1/2 quit=1 commands=3/4", SMTPD_DISCONNECT,
		 "disconnect", "unknown[192.0.2.7]", "192.0.2.7", F_HELO, 1},
		/* auth=1 (one good AUTH, nothing failed) */
		{"disconnect from x.example[192.0.2.8] ehlo=2 starttls=1 auth=1 mail=1 rcpt=1 data=1 quit=1 commands=8",
		 SMTPD_DISCONNECT, "disconnect", "x.example[192.0.2.8]", "192.0.2.8", F_HELO | F_TLS, 0},
		{"disconnect from unknown[192.0.2.7] ehlo=1 auth=1 quit=1 commands=3", SMTPD_DISCONNECT,
		 "disconnect", "unknown[192.0.2.7]", "192.0.2.7", F_HELO, 0},
		/* starttls=1 and a failed AUTH */
		{"disconnect from unknown[192.0.2.7] ehlo=2 starttls=1 auth=0/1 quit=1 commands=4/5", SMTPD_DISCONNECT,
		 "disconnect", "unknown[192.0.2.7]", "192.0.2.7", F_HELO | F_TLS, 1},
		{"disconnect from unknown[192.0.2.7] ehlo=1 starttls=0/1 commands=1/2", SMTPD_DISCONNECT,
		 "disconnect", "unknown[192.0.2.7]", "192.0.2.7", F_HELO | F_TLS, 0},
		/* no ehlo: an AUTH before EHLO */
		{"disconnect from unknown[192.0.2.7] auth=0/1 quit=1 commands=1/2", SMTPD_DISCONNECT, "disconnect",
		 "unknown[192.0.2.7]", "192.0.2.7", 0, 1},
		{"disconnect from unknown[192.0.2.7] commands=0/0", SMTPD_DISCONNECT, "disconnect",
		 "unknown[192.0.2.7]", "192.0.2.7", 0, 0},
		{"disconnect from unknown[192.0.2.7]", SMTPD_DISCONNECT, "disconnect", "unknown[192.0.2.7]",
		 "192.0.2.7", 0, 0},
		{"disconnect from unknown[2001:db8::1] ehlo=1 auth=0/2 commands=1/3", SMTPD_DISCONNECT, "disconnect",
		 "unknown[2001:db8::1]", "2001:db8::1", F_HELO, 2},
		/* malformed auth= counts give no failure */
		{"disconnect from unknown[192.0.2.7] ehlo=1 auth=0/ commands=1/2", SMTPD_DISCONNECT, "disconnect",
		 "unknown[192.0.2.7]", "192.0.2.7", F_HELO, 0},
		{"disconnect from unknown[192.0.2.7] ehlo=1 auth=x/1 commands=1/2", SMTPD_DISCONNECT, "disconnect",
		 "unknown[192.0.2.7]", "192.0.2.7", F_HELO, 0},
		{"disconnect from unknown[192.0.2.7] ehlo=1 auth=2/1 commands=1/2", SMTPD_DISCONNECT, "disconnect",
		 "unknown[192.0.2.7]", "192.0.2.7", F_HELO, 0},
		{"disconnect from unknown[192.0.2.7] ehlo=1 auth=0/1x commands=1/2", SMTPD_DISCONNECT, "disconnect",
		 "unknown[192.0.2.7]", "192.0.2.7", F_HELO, 0},
		{"disconnect from unknown[192.0.2.7] ehlo=1 auth=0/99999999999999 commands=1/2", SMTPD_DISCONNECT,
		 "disconnect", "unknown[192.0.2.7]", "192.0.2.7", F_HELO, 0},
		{"disconnect from unknown[192.0.2.7]x ehlo=1 auth=0/1", SMTPD_KEEP, "disconnect-unparsed", NULL, NULL, 0, 0},
		{"disconnect from unknown", SMTPD_KEEP, "disconnect-unparsed", NULL, NULL, 0, 0},
	};

	CHECK(rows);
}

static void test_trace(void **state)
{
	(void) state;
	static const struct row rows[] = {
		{"< unknown[192.0.2.7]: AUTH LOGIN", SMTPD_COMMAND, "trace-command", "unknown[192.0.2.7]", "192.0.2.7",
		 F_AUTH_CMD, 0},
		{"< unknown[192.0.2.7]: AUTH PLAIN AHRlc3QAdGVzdA==", SMTPD_COMMAND, "trace-command",
		 "unknown[192.0.2.7]", "192.0.2.7", F_AUTH_CMD, 0},
		/* SMTP verbs are case-insensitive: Postfix takes "auth" as AUTH */
		{"< unknown[192.0.2.7]: auth", SMTPD_COMMAND, "trace-command", "unknown[192.0.2.7]", "192.0.2.7",
		 F_AUTH_CMD, 0},
		{"< unknown[192.0.2.7]: Auth login", SMTPD_COMMAND, "trace-command", "unknown[192.0.2.7]", "192.0.2.7",
		 F_AUTH_CMD, 0},
		{"< unknown[192.0.2.7]: AUTH", SMTPD_COMMAND, "trace-command", "unknown[192.0.2.7]", "192.0.2.7",
		 F_AUTH_CMD, 0},
		{"< unknown[192.0.2.7]: AUTHX", SMTPD_COMMAND, "trace-command", "unknown[192.0.2.7]", "192.0.2.7", 0, 0},
		{"< unknown[192.0.2.7]: AUTHX LOGIN", SMTPD_COMMAND, "trace-command", "unknown[192.0.2.7]", "192.0.2.7", 0, 0},
		{"< unknown[192.0.2.7]: AUT", SMTPD_COMMAND, "trace-command", "unknown[192.0.2.7]", "192.0.2.7", 0, 0},
		{"< unknown[192.0.2.7]:  AUTH LOGIN", SMTPD_COMMAND, "trace-command", "unknown[192.0.2.7]", "192.0.2.7", 0, 0},
		{"< unknown[192.0.2.7]: EHLO [192.0.2.7]", SMTPD_COMMAND, "trace-command", "unknown[192.0.2.7]",
		 "192.0.2.7", 0, 0},
		{"< unknown[192.0.2.7]: QUIT", SMTPD_COMMAND, "trace-command", "unknown[192.0.2.7]", "192.0.2.7", 0, 0},
		{"< unknown[192.0.2.7]: ", SMTPD_COMMAND, "trace-command", "unknown[192.0.2.7]", "192.0.2.7", 0, 0},
		/* a command that looks like a reply is a command */
		{"< unknown[192.0.2.7]: > unknown[192.0.2.8]: 503 5.5.1 Error: authentication not enabled",
		 SMTPD_COMMAND, "trace-command", "unknown[192.0.2.7]", "192.0.2.7", 0, 0},

		/* the 503 reply, exact, and its near misses */
		{"> unknown[192.0.2.7]: 503 5.5.1 Error: authentication not enabled", SMTPD_REPLY, "trace-reply",
		 "unknown[192.0.2.7]", "192.0.2.7", F_NOAUTH, 0},
		{"> unknown[2001:db8::7]: 503 5.5.1 Error: authentication not enabled", SMTPD_REPLY, "trace-reply",
		 "unknown[2001:db8::7]", "2001:db8::7", F_NOAUTH, 0},
		{"> unknown[192.0.2.7]: 503 5.5.1 Error: send HELO/EHLO first", SMTPD_REPLY, "trace-reply",
		 "unknown[192.0.2.7]", "192.0.2.7", 0, 0},
		{"> unknown[192.0.2.7]: 503 5.5.1 Error: already authenticated", SMTPD_REPLY, "trace-reply",
		 "unknown[192.0.2.7]", "192.0.2.7", 0, 0},
		{"> unknown[192.0.2.7]: 503 5.5.1 Error: authentication not enabled ", SMTPD_REPLY, "trace-reply",
		 "unknown[192.0.2.7]", "192.0.2.7", 0, 0},
		{"> unknown[192.0.2.7]: 503 5.5.1 Error: authentication not enable", SMTPD_REPLY, "trace-reply",
		 "unknown[192.0.2.7]", "192.0.2.7", 0, 0},
		{"> unknown[192.0.2.7]: 503 5.5.1 error: authentication not enabled", SMTPD_REPLY, "trace-reply",
		 "unknown[192.0.2.7]", "192.0.2.7", 0, 0},
		{"> unknown[192.0.2.7]: 250-AUTH PLAIN LOGIN", SMTPD_REPLY, "trace-reply", "unknown[192.0.2.7]",
		 "192.0.2.7", 0, 0},
		{"> unknown[192.0.2.7]: 535 5.7.8 Error: authentication failed: UGFzc3dvcmQ6", SMTPD_REPLY,
		 "trace-reply", "unknown[192.0.2.7]", "192.0.2.7", 0, 0},

		/* not a trace line of a client: chatter without a client */
		{"> unknown[192.0.2.7] 503 5.5.1 Error: authentication not enabled", SMTPD_CHATTER, "trace", NULL, NULL, 0, 0},
		{">unknown[192.0.2.7]: 503 5.5.1 Error: authentication not enabled", SMTPD_CHATTER, NULL, NULL, NULL, 0, 0},
		{"> unknown[999.0.2.7]: 503 5.5.1 Error: authentication not enabled", SMTPD_CHATTER, "trace", NULL, NULL, 0, 0},
		{"> : 503 5.5.1 Error: authentication not enabled", SMTPD_CHATTER, "trace", NULL, NULL, 0, 0},
		{"< ", SMTPD_CHATTER, "trace", NULL, NULL, 0, 0},
		{"<", SMTPD_CHATTER, NULL, NULL, NULL, 0, 0},
	};

	CHECK(rows);
}

static void test_sasl(void **state)
{
	(void) state;
	static const struct row rows[] = {
		{"warning: unknown[192.0.2.7]: SASL LOGIN authentication failed: UGFzc3dvcmQ6", SMTPD_SASL_FAIL,
		 "sasl-failed", "unknown[192.0.2.7]", "192.0.2.7", 0, 0},
		{"warning: unknown[192.0.2.7]: SASL PLAIN authentication failed: authentication failure",
		 SMTPD_SASL_FAIL, "sasl-failed", "unknown[192.0.2.7]", "192.0.2.7", 0, 0},
		{"warning: x.example[2001:db8::5]: SASL CRAM-MD5 authentication failed: bad protocol / cancel",
		 SMTPD_SASL_FAIL, "sasl-failed", "x.example[2001:db8::5]", "2001:db8::5", 0, 0},
		{"warning: unknown[192.0.2.7]: SASL SCRAM-SHA-256 authentication failed", SMTPD_SASL_FAIL,
		 "sasl-failed", "unknown[192.0.2.7]", "192.0.2.7", 0, 0},
		/* Postfix logs the mechanism as the client typed it (smtpd_sasl_proto.c
		   passes argv[1] through): a guesser that sends "AUTH login" must
		   still be seen */
		{"warning: unknown[192.0.2.7]: SASL login authentication failed: UGFzc3dvcmQ6", SMTPD_SASL_FAIL,
		 "sasl-failed", "unknown[192.0.2.7]", "192.0.2.7", 0, 0},
		{"warning: unknown[192.0.2.7]: SASL Plain authentication failed: authentication failure",
		 SMTPD_SASL_FAIL, "sasl-failed", "unknown[192.0.2.7]", "192.0.2.7", 0, 0},
		/* the client answered a challenge with "*" (smtpd_sasl_glue.c, 501 5.7.0): its own doing */
		{"warning: unknown[192.0.2.7]: SASL LOGIN authentication aborted", SMTPD_SASL_FAIL, "sasl-aborted",
		 "unknown[192.0.2.7]", "192.0.2.7", 0, 0},
		{"warning: unknown[192.0.2.7]:41000: SASL PLAIN authentication aborted", SMTPD_SASL_FAIL, "sasl-aborted",
		 "unknown[192.0.2.7]:41000", "192.0.2.7", 0, 0},
		{"warning: unknown[192.0.2.7]: SASL LOGIN authentication aborted ", SMTPD_KEEP, "warning", NULL, NULL, 0, 0},
		{"warning: unknown[192.0.2.7]: SASL authentication aborted", SMTPD_KEEP, "warning", NULL, NULL, 0, 0},
		{"warning: unknown[192.0.2.7]: SASL LOGIN authentication aborted!", SMTPD_KEEP, "warning", NULL, NULL, 0, 0},
		{"warning: SASL LOGIN authentication aborted", SMTPD_KEEP, "warning", NULL, NULL, 0, 0},
		/* client text: only Postfix's own NAME[ADDR] position names the client */
		{"warning: non-SMTP command from unknown[203.0.113.30]: warning: unknown[192.0.2.99]: SASL LOGIN "
		 "authentication aborted", SMTPD_KEEP, "warning", NULL, NULL, 0, 0},
		{"warning: unknown[203.0.113.30]: SASL unknown[192.0.2.99]: authentication aborted", SMTPD_SASL_FAIL,
		 "sasl-aborted", "unknown[203.0.113.30]", "203.0.113.30", 0, 0},
		/* other SASL warnings: kept, not failures */
		{"warning: SASL authentication failure: Password verification failed", SMTPD_KEEP, "warning", NULL, NULL, 0, 0},
		/* the mechanism is the client's word, whatever it is: the line is
		   Postfix's because it starts with "warning: CLIENT: SASL " */
		{"warning: unknown[192.0.2.7]: SASL x]: y authentication failed: z", SMTPD_SASL_FAIL, "sasl-failed",
		 "unknown[192.0.2.7]", "192.0.2.7", 0, 0},
		{"warning: unknown[192.0.2.7]: SASL LOGIN authentication faile", SMTPD_KEEP, "warning", NULL, NULL, 0, 0},
		{"warning: unknown[192.0.2.7] SASL LOGIN authentication failed", SMTPD_KEEP, "warning", NULL, NULL, 0, 0},
		{"warning: unknown[192.0.2.700]: SASL LOGIN authentication failed", SMTPD_KEEP, "warning", NULL, NULL, 0, 0},
		{"Warning: unknown[192.0.2.7]: SASL LOGIN authentication failed", SMTPD_CHATTER, NULL, NULL, NULL, 0, 0},
		/* client text cannot move the token: the failure must be Postfix's own */
		{"warning: Illegal address syntax from unknown[192.0.2.7] in MAIL command: <warning: unknown[192.0.2.99]: SASL LOGIN authentication failed>",
		 SMTPD_KEEP, "warning", NULL, NULL, 0, 0},
	};

	CHECK(rows);
}

static void test_kept(void **state)
{
	(void) state;
	static const struct row rows[] = {
		{"NOQUEUE: reject: RCPT from unknown[192.0.2.7]: 554 5.7.1 <x@example.org>: Relay access denied; from=<a@b> to=<x@example.org> proto=ESMTP helo=<y>",
		 SMTPD_KEEP, "queue-id", NULL, NULL, 0, 0},
		{"NOQUEUE: reject: CONNECT from unknown[192.0.2.7]: 554 5.7.1 Service unavailable; Client host [192.0.2.7] blocked using zen.spamhaus.org",
		 SMTPD_KEEP, "queue-id", NULL, NULL, 0, 0},
		{"3F2A81C0A: client=unknown[192.0.2.7]", SMTPD_KEEP, "queue-id", NULL, NULL, 0, 0},
		{"4LxYz12aBcDzQ7: client=unknown[192.0.2.7], sasl_method=PLAIN, sasl_username=u", SMTPD_KEEP, "queue-id",
		 NULL, NULL, 0, 0},
		{"3F2A81C0A: reject: DATA from unknown[192.0.2.7]: 550 x", SMTPD_KEEP, "queue-id", NULL, NULL, 0, 0},
		{"3F2A81C0A: milter-reject: END-OF-MESSAGE from x[192.0.2.7]: 5.7.1 spam", SMTPD_KEEP, "queue-id",
		 NULL, NULL, 0, 0},
		{"NOQUEUE: filter: RCPT from x[192.0.2.7]: <a@b>: Sender address triggers FILTER smtp:[::1]:10025",
		 SMTPD_KEEP, "queue-id", NULL, NULL, 0, 0},
		/* Postfix 3.10: the session-end lines with NOQUEUE: or the queue id */
		{"NOQUEUE: lost connection after AUTH from unknown[192.0.2.7]", SMTPD_KEEP, "queue-id", NULL, NULL, 0, 0},
		{"NOQUEUE: timeout after AUTH from unknown[192.0.2.14]", SMTPD_KEEP, "queue-id", NULL, NULL, 0, 0},
		{"NOQUEUE: too many errors after AUTH from unknown[192.0.2.13]", SMTPD_KEEP, "queue-id", NULL, NULL, 0, 0},
		{"3F2A81C0A: timeout after DATA (1234 bytes) from x[192.0.2.7]", SMTPD_KEEP, "queue-id", NULL, NULL, 0, 0},
		/* too short, or an unknown action: chatter */
		{"3F2A: client=unknown[192.0.2.7]", SMTPD_CHATTER, NULL, NULL, NULL, 0, 0},
		{"NOQUEUE: frobnicate", SMTPD_CHATTER, NULL, NULL, NULL, 0, 0},
		{"NOQUEUE:reject: x", SMTPD_CHATTER, NULL, NULL, NULL, 0, 0},

		{"lost connection after AUTH from unknown[192.0.2.7]", SMTPD_KEEP, "lost-connection", NULL, NULL, 0, 0},
		{"timeout after EHLO from unknown[192.0.2.7]", SMTPD_KEEP, "timeout", NULL, NULL, 0, 0},
		{"too many errors after AUTH from unknown[192.0.2.7]", SMTPD_KEEP, "too-many-errors", NULL, NULL, 0, 0},
		{"improper command pipelining after EHLO from unknown[192.0.2.7]: QUIT\\r\\n", SMTPD_KEEP,
		 "improper-pipelining", NULL, NULL, 0, 0},
		{"warning: hostname x.example does not resolve to address 192.0.2.7", SMTPD_KEEP, "warning", NULL, NULL, 0, 0},
		{"error: open database /etc/postfix/x.db: No such file or directory", SMTPD_KEEP, "error", NULL, NULL, 0, 0},
		/* a new smtpd that cannot reach the auth server: a sign of trouble (saslreason(3)) */
		{"fatal: no SASL authentication mechanisms", SMTPD_KEEP, "sasl-trouble", NULL, NULL, 0, 0},
		{"panic: myfree: corrupt or unallocated memory block", SMTPD_KEEP, "panic", NULL, NULL, 0, 0},
		{"discarding EHLO keywords: CHUNKING", SMTPD_KEEP, "discard-ehlo", NULL, NULL, 0, 0},
		{"using backwards-compatible default setting chroot=y", SMTPD_KEEP, "compat", NULL, NULL, 0, 0},
		{"table hash:/etc/postfix/access(0,lock|fold_fix|utf8_request) has changed -- restarting", SMTPD_KEEP,
		 "table-changed", NULL, NULL, 0, 0},
		{"table lookup failed", SMTPD_CHATTER, NULL, NULL, NULL, 0, 0},

		/* TLS, smtpd_tls_loglevel 1..4 */
		{"Anonymous TLS connection established from unknown[192.0.2.7]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)",
		 SMTPD_KEEP, "tls-established", NULL, NULL, 0, 0},
		{"Untrusted TLS connection established from unknown[192.0.2.7]: TLSv1.2 with cipher x", SMTPD_KEEP,
		 "tls-established", NULL, NULL, 0, 0},
		{"Trusted TLS connection established from unknown[192.0.2.7]: TLSv1.2", SMTPD_KEEP, "tls-established",
		 NULL, NULL, 0, 0},
		{"Verified TLS connection established from unknown[192.0.2.7]: TLSv1.2", SMTPD_KEEP, "tls-established",
		 NULL, NULL, 0, 0},
		{"setting up TLS connection from unknown[192.0.2.7]", SMTPD_KEEP, "tls-loglevel", NULL, NULL, 0, 0},
		{"SSL_accept error from unknown[192.0.2.7]: lost connection", SMTPD_KEEP, "tls-error", NULL, NULL, 0, 0},
		{"SSL_accept:SSLv3/TLS write server done", SMTPD_KEEP, "tls-loglevel", NULL, NULL, 0, 0},
		{"TLS_accept:before SSL initialization", SMTPD_KEEP, "tls-loglevel", NULL, NULL, 0, 0},
		{"unknown[192.0.2.7]: TLS cipher list \"aNULL:-aNULL:HIGH\"", SMTPD_KEEP, "tls-client", NULL, NULL, 0, 0},
		{"unknown[192.0.2.7]: Issuing session ticket, key expiration: 1764186395", SMTPD_KEEP, "tls-client",
		 NULL, NULL, 0, 0},
	};

	CHECK(rows);
}

/* The open-ended -v vocabulary: everything here is folded away. */
static void test_chatter(void **state)
{
	(void) state;
	static const char *const msgs[] = {
		"match_list_match: unknown: no match",
		"match_list_match: 192.0.2.7: no match",
		"match_hostname: smtpd_client_event_limit_exceptions: unknown ~? 127.0.0.0/8",
		"match_hostaddr: smtpd_client_event_limit_exceptions: 192.0.2.7 ~? [::1]/128",
		"input attribute name: status",
		"input attribute value: 0",
		"input attribute name: (end)",
		"send attr request = connect",
		"send attr ident = smtp:192.0.2.7",
		"private/anvil: wanted attribute: count",
		"private/anvil: wanted attribute: (list terminator)",
		">>> START Recipient address RESTRICTIONS <<<",
		">>> END Recipient address RESTRICTIONS <<<",
		">>> CHECKING RECIPIENT MAPS <<<",
		"xsasl_cyrus_server_create: SASL service=smtp, realm=(null)",
		"xsasl_cyrus_server_get_mechanism_list: mechanism list: PLAIN LOGIN",
		"name_mask: noanonymous",
		"smtpd_check_rewrite: trying: permit_inet_interfaces",
		"smtpd_check_addr: addr=192.0.2.7",
		"generic_checks: name=reject_unauth_destination status=0",
		"permit_mynetworks: unknown 192.0.2.7",
		"connection established",
		"master_notify: status 0",
		"smtp_stream_setup: maxtime=300 enable_deadline=0 min_data_rate=0",
		"watchdog_pat: 0x55d4a9a0a2b0",
		"event_enable_read: fd 12",
		"auto_clnt_open: connected to private/anvil",
		"rewrite_clnt: local: MAILER-DAEMON -> MAILER-DAEMON",
		"smtpd_sasl_authenticate: sasl_method LOGIN, init_response (null)",
		"smtpd_sasl_activate: SASL service=smtp, realm=(null)",
		"dict_eval: const  mail.example.org",
		"tls_server_start: setting up TLS connection from unknown[192.0.2.7]",
		"fsspace: .: block size 4096, blocks free 12345",
		"smtpd_chat_notify: notify postmaster",
		"proxymap stream disconnect",
		"ctable_locate: install entry key unknown[192.0.2.7]",
		"mail_addr_find: unknown@[192.0.2.7] -> (not found)",
		"vstream_fflush_some: fd 12 flush 34",
		"connect to subsystem private/anvil",
		"disconnect from",
		"lost connection",
		"",
		"warning",
		"NOQUEUE",
		"> ",
		"QUIT",
		"unknown[192.0.2.7]:",
		"unknown[192.0.2.7]:x",
	};

	for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		struct smtpd_line l;

		print_message("msg: %s\n", msgs[i]);
		smtpd_classify((struct span) {msgs[i], strlen(msgs[i])}, &l);
		assert_string_equal(smtpd_kind_name(l.kind), "chatter");
		assert_int_equal(l.client.len, 0);
	}
}

/* Client-controlled text inside kept lines never opens, closes or strikes. */
static void test_forged(void **state)
{
	(void) state;
	static const struct row rows[] = {
		{"NOQUEUE: reject: RCPT from unknown[203.0.113.30]: 554 5.7.1 <x@y>: Relay access denied; from=<\"connect from unknown[192.0.2.99]\"@x> to=<x@y> proto=ESMTP helo=<z>",
		 SMTPD_KEEP, "queue-id", NULL, NULL, 0, 0},
		{"NOQUEUE: reject: RCPT from unknown[203.0.113.30]: 554 5.7.1 <x@y>: Relay access denied; from=<a@b> to=<x@y> proto=ESMTP helo=<warning: unknown[192.0.2.99]: SASL LOGIN authentication failed>",
		 SMTPD_KEEP, "queue-id", NULL, NULL, 0, 0},
		{"NOQUEUE: reject: RCPT from unknown[203.0.113.30]: 550 x; from=<a@b> to=<x@y> proto=ESMTP helo=<disconnect from unknown[192.0.2.99] ehlo=1 auth=0/1>",
		 SMTPD_KEEP, "queue-id", NULL, NULL, 0, 0},
		{"< unknown[203.0.113.30]: EHLO connect from unknown[192.0.2.99]", SMTPD_COMMAND, "trace-command",
		 "unknown[203.0.113.30]", "203.0.113.30", 0, 0},
		{"< unknown[203.0.113.30]: MAIL FROM:<warning: unknown[192.0.2.99]: SASL LOGIN authentication failed>",
		 SMTPD_COMMAND, "trace-command", "unknown[203.0.113.30]", "203.0.113.30", 0, 0},
		{"improper command pipelining after CONNECT from unknown[203.0.113.30]: connect from unknown[192.0.2.99]\\r\\n",
		 SMTPD_KEEP, "improper-pipelining", NULL, NULL, 0, 0},
		{"lost connection after UNKNOWN from unknown[203.0.113.30]", SMTPD_KEEP, "lost-connection", NULL, NULL, 0, 0},
		{"warning: non-SMTP command from unknown[203.0.113.30]: connect from unknown[192.0.2.99]", SMTPD_KEEP,
		 "warning", NULL, NULL, 0, 0},
		/* a failure of the client of the line, whatever the mechanism text says */
		{"warning: unknown[203.0.113.30]: SASL connect from unknown[192.0.2.99] authentication failed",
		 SMTPD_SASL_FAIL, "sasl-failed", "unknown[203.0.113.30]", "203.0.113.30", 0, 0},
		{"3F2A81C0A: reject: RCPT from unknown[203.0.113.30]: 550 x; from=<disconnect from unknown[192.0.2.99]>",
		 SMTPD_KEEP, "queue-id", NULL, NULL, 0, 0},
	};

	CHECK(rows);
}

/*
 * Postfix 3.7 to 3.11: each change of smtpd logging that RELEASE_NOTES and
 * HISTORY name, as a line of the version that writes it, with its verdict.
 * Sources: HISTORY 20231006 (SASL failure wording, backported to 3.5.22,
 * 3.6.12, 3.7.8, 3.8.3), 20240124 (notes=bare_lf), 20241023 (sasl_* on
 * reject lines), 20250104 (queue id or NOQUEUE before lost connection,
 * timeout, too many errors), 20250801 (smtpd_reject_filter_maps),
 * smtpd.c's non-SMTP command warning (smtpd_forbidden_commands),
 * xsasl_dovecot_server.c's "Invalid authentication mechanism".
 */
static void test_postfix_versions(void **state)
{
	(void) state;
	static const struct row rows[] = {
		/* 3.7: smtpd_forbidden_commands */
		{"warning: non-SMTP command from unknown[192.0.2.7]: connect from unknown[192.0.2.99]", SMTPD_KEEP,
		 "warning", NULL, NULL, 0, 0},
		{"warning: non-SMTP command from unknown[192.0.2.7]:40001: User-Agent: x", SMTPD_KEEP, "warning", NULL,
		 NULL, 0, 0},
		/* 3.7.8, 3.8.3, 3.9: ", sasl_username=U" after the reason */
		{"warning: unknown[192.0.2.7]: SASL LOGIN authentication failed: UGFzc3dvcmQ6, sasl_username=alice",
		 SMTPD_SASL_FAIL, "sasl-failed", "unknown[192.0.2.7]", "192.0.2.7", 0, 0},
		{"warning: unknown[192.0.2.7]: SASL PLAIN authentication failed: (reason unavailable), sasl_username=(unavailable)",
		 SMTPD_SASL_FAIL, "sasl-failed", "unknown[192.0.2.7]", "192.0.2.7", 0, 0},
		{"warning: unknown[192.0.2.7]: SASL LOGIN authentication failed: authentication failure, sasl_username=unknown[192.0.2.99]: x",
		 SMTPD_SASL_FAIL, "sasl-failed", "unknown[192.0.2.7]", "192.0.2.7", 0, 0},
		/* 3.10, Dovecot: an unoffered mechanism */
		{"warning: unknown[192.0.2.7]: SASL CRAM-MD5 authentication failed: Invalid authentication mechanism: 'CRAM-MD5', sasl_username=(unavailable)",
		 SMTPD_SASL_FAIL, "sasl-badmech", "unknown[192.0.2.7]", "192.0.2.7", 0, 0},
		/* the server's fault reads the same (saslreason(3) tells them apart: rule sasl-server, never a strike) */
		{"warning: unknown[192.0.2.7]: SASL PLAIN authentication failed: Connection lost to authentication server, sasl_username=alice",
		 SMTPD_SASL_FAIL, "sasl-server", "unknown[192.0.2.7]", "192.0.2.7", 0, 0},
		/* 3.9: notes= after the statistics */
		{"disconnect from unknown[192.0.2.7] ehlo=1 auth=0/1 quit=1 commands=2/3 notes=bare_lf", SMTPD_DISCONNECT,
		 "disconnect", "unknown[192.0.2.7]", "192.0.2.7", F_HELO, 1},
		{"disconnect from unknown[192.0.2.7] ehlo=2 starttls=1 auth=1 mail=1 rcpt=1 data=1 quit=1 commands=8 notes=bare_lf,x",
		 SMTPD_DISCONNECT, "disconnect", "unknown[192.0.2.7]", "192.0.2.7", F_HELO | F_TLS, 0},
		/* 3.10: NOQUEUE or the queue id before lost connection, timeout, too many errors */
		{"NOQUEUE: lost connection after AUTH from unknown[192.0.2.7]", SMTPD_KEEP, "queue-id", NULL, NULL, 0, 0},
		{"NOQUEUE: timeout after AUTH from unknown[192.0.2.7]", SMTPD_KEEP, "queue-id", NULL, NULL, 0, 0},
		{"NOQUEUE: too many errors after AUTH from unknown[192.0.2.7]", SMTPD_KEEP, "queue-id", NULL, NULL, 0, 0},
		{"3F2A81C0A: lost connection after DATA (1234 bytes) from unknown[192.0.2.7]", SMTPD_KEEP, "queue-id", NULL,
		 NULL, 0, 0},
		{"4LxYz12aBcDzQ7: timeout after END-OF-MESSAGE from unknown[192.0.2.7]:40001", SMTPD_KEEP, "queue-id",
		 NULL, NULL, 0, 0},
		{"NOQUEUE: too many errors after RCPT from unknown[2001:db8::7]", SMTPD_KEEP, "queue-id", NULL, NULL, 0, 0},
		/* before 3.10 the same lines had no prefix */
		{"lost connection after AUTH from unknown[192.0.2.7]", SMTPD_KEEP, "lost-connection", NULL, NULL, 0, 0},
		{"timeout after AUTH from unknown[192.0.2.7]", SMTPD_KEEP, "timeout", NULL, NULL, 0, 0},
		/* 3.10: sasl_method, sasl_username, sasl_sender on reject lines */
		{"NOQUEUE: reject: RCPT from unknown[192.0.2.7]: 554 5.7.1 <x@example.org>: Relay access denied; from=<a@b> to=<x@example.org> proto=ESMTP helo=<y> sasl_method=PLAIN sasl_username=alice",
		 SMTPD_KEEP, "queue-id", NULL, NULL, 0, 0},
		/* 3.11: smtpd_reject_filter_maps */
		{"NOQUEUE: reply filter in: 554 5.7.1 <x@example.org>: Relay access denied", SMTPD_KEEP, "queue-id", NULL,
		 NULL, 0, 0},
		{"NOQUEUE: reply filter out: 550 5.7.1 Relaying denied", SMTPD_KEEP, "queue-id", NULL, NULL, 0, 0},
		{"3F2A81C0A: reply filter in: 550 5.7.1 spam", SMTPD_KEEP, "queue-id", NULL, NULL, 0, 0},
		{"warning: NOQUEUE: ignoring invalid reject filter result: 250 ok", SMTPD_KEEP, "warning", NULL, NULL, 0, 0},
		/* the -v trace is the same from 3.4 to 3.12; the 503 is a reply, never a warning */
		{"> unknown[192.0.2.7]: 503 5.5.1 Error: authentication not enabled", SMTPD_REPLY, "trace-reply",
		 "unknown[192.0.2.7]", "192.0.2.7", F_NOAUTH, 0},
		/* not Postfix's wording: near misses stay chatter */
		{"NOQUEUE: reply filter: x", SMTPD_CHATTER, NULL, NULL, NULL, 0, 0},
		{"NOQUEUE: timeout", SMTPD_CHATTER, NULL, NULL, NULL, 0, 0},
	};

	CHECK(rows);
}

/*
 * smtpd_client_port_logging = yes: Postfix writes every client as
 * NAME[ADDR]:PORT (smtpd_peer.c's namaddr), in the plain lines and in
 * the -v trace alike.
 */
static void test_port_logging(void **state)
{
	(void) state;
	static const struct row rows[] = {
		{"connect from unknown[198.51.100.37]:59283", SMTPD_CONNECT, "connect", "unknown[198.51.100.37]:59283",
		 "198.51.100.37", 0, 0},
		{"connect from mail.example.net[2001:db8::25]:41000", SMTPD_CONNECT, "connect",
		 "mail.example.net[2001:db8::25]:41000", "2001:db8::25", 0, 0},
		{"disconnect from unknown[198.51.100.37]:59283 ehlo=1 auth=0/1 quit=1 commands=2/3", SMTPD_DISCONNECT,
		 "disconnect", "unknown[198.51.100.37]:59283", "198.51.100.37", F_HELO, 1},
		{"disconnect from unknown[198.51.100.37]:59283", SMTPD_DISCONNECT, "disconnect",
		 "unknown[198.51.100.37]:59283", "198.51.100.37", 0, 0},
		{"warning: unknown[192.0.2.237]:55729: SASL LOGIN authentication failed: UGFzc3dvcmQ6", SMTPD_SASL_FAIL,
		 "sasl-failed", "unknown[192.0.2.237]:55729", "192.0.2.237", 0, 0},
		{"warning: unknown[192.0.2.237]:55729: SASL PLAIN authentication failed: (reason unavailable), sasl_username=alice",
		 SMTPD_SASL_FAIL, "sasl-failed", "unknown[192.0.2.237]:55729", "192.0.2.237", 0, 0},
		{"< unknown[192.0.2.237]:55729: AUTH LOGIN", SMTPD_COMMAND, "trace-command", "unknown[192.0.2.237]:55729",
		 "192.0.2.237", F_AUTH_CMD, 0},
		{"> unknown[192.0.2.237]:55729: 503 5.5.1 Error: authentication not enabled", SMTPD_REPLY, "trace-reply",
		 "unknown[192.0.2.237]:55729", "192.0.2.237", F_NOAUTH, 0},
		{"> unknown[2001:db8::6]:40000: 503 5.5.1 Error: authentication not enabled", SMTPD_REPLY, "trace-reply",
		 "unknown[2001:db8::6]:40000", "2001:db8::6", F_NOAUTH, 0},
		{"unknown[192.0.2.237]:55729: TLS cipher list \"aNULL:-aNULL:HIGH\"", SMTPD_KEEP, "tls-client", NULL, NULL,
		 0, 0},
		{"lost connection after AUTH from unknown[192.0.2.237]:55729", SMTPD_KEEP, "lost-connection", NULL, NULL, 0, 0},
		{"NOQUEUE: reject: RCPT from unknown[192.0.2.237]:55729: 554 5.7.1 <x@example.org>: Relay access denied; from=<a@b> to=<x@example.org> proto=ESMTP helo=<y>",
		 SMTPD_KEEP, "queue-id", NULL, NULL, 0, 0},
		/* a bad port is no port: the token must then end where Postfix ends it */
		{"connect from unknown[198.51.100.37]:65536", SMTPD_KEEP, "connect-unparsed", NULL, NULL, 0, 0},
		{"connect from unknown[198.51.100.37]:", SMTPD_KEEP, "connect-unparsed", NULL, NULL, 0, 0},
		{"warning: unknown[192.0.2.237]:555555: SASL LOGIN authentication failed: x", SMTPD_KEEP, "warning",
		 NULL, NULL, 0, 0},
		{"> unknown[192.0.2.237]:5x: 503 5.5.1 Error: authentication not enabled", SMTPD_CHATTER, "trace", NULL,
		 NULL, 0, 0},
		/* client text after a port-logged token decides nothing */
		{"< unknown[203.0.113.30]:4000: EHLO connect from unknown[192.0.2.99]:25", SMTPD_COMMAND, "trace-command",
		 "unknown[203.0.113.30]:4000", "203.0.113.30", 0, 0},
	};

	CHECK(rows);
}

static void test_parse_client(void **state)
{
	(void) state;
	static const struct {
		const char *text;
		int len;		/* <0: rejected */
		const char *addr;
	} rows[] = {
		{"unknown[192.0.2.7]", 18, "192.0.2.7"},
		{"unknown[192.0.2.7]: tail", 18, "192.0.2.7"},
		{"a-b_c.d[2001:db8::1]", 20, "2001:db8::1"},
		{"unknown[192.0.2.7", -1, NULL},
		{"[192.0.2.7]", -1, NULL},
		{"unknown[]", -1, NULL},
		{"unknown[192.0.2]", -1, NULL},
		{"unknown[ 192.0.2.7]", -1, NULL},
		{"unknown[192.0.2.7 ]", -1, NULL},
		{"unk/nown[192.0.2.7]", -1, NULL},
		{"unknown[fe80::1%eth0]", -1, NULL},
		{"unknown[0000:0000:0000:0000:0000:ffff:192.000.002.007]", -1, NULL},
		{"unknown[1111:2222:3333:4444:5555:6666:7777:8888:9999]", -1, NULL},
		{"", -1, NULL},
		/* smtpd_client_port_logging = yes: the port is part of the token */
		{"unknown[198.51.100.37]:59283", 28, "198.51.100.37"},
		{"unknown[192.0.2.237]:55729: SASL LOGIN", 26, "192.0.2.237"},
		{"unknown[2001:db8::7]:1", 22, "2001:db8::7"},
		{"unknown[2001:db8::7]:65535 ehlo=1", 26, "2001:db8::7"},
		{"unknown[192.0.2.7]:0", 20, "192.0.2.7"},
		/* not a port: the token ends at ']' */
		{"unknown[192.0.2.7]:65536", 18, "192.0.2.7"},
		{"unknown[192.0.2.7]:123456", 18, "192.0.2.7"},
		{"unknown[192.0.2.7]:", 18, "192.0.2.7"},
		{"unknown[192.0.2.7]: 25", 18, "192.0.2.7"},
		{"unknown[192.0.2.7]:x25", 18, "192.0.2.7"},
		{"unknown[192.0.2.7]25", 18, "192.0.2.7"},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct span c;
		struct addr a;
		char buf[ADDR_STRLEN];
		int n = smtpd_parse_client(rows[i].text, strlen(rows[i].text), &c, &a);

		print_message("client: %s\n", rows[i].text);
		if (rows[i].len < 0) {
			assert_true(n < 0);
			continue;
		}
		assert_int_equal(n, rows[i].len);
		assert_int_equal(c.len, (size_t) rows[i].len);
		addr_format(&a, buf);
		assert_string_equal(buf, rows[i].addr);
		/* the base is NAME[ADDR]: up to and with the first ']' */
		struct span b = smtpd_client_base(c);

		assert_ptr_equal(b.p, c.p);
		assert_int_equal(b.len, (size_t) (strchr(rows[i].text, ']') - rows[i].text) + 1);
	}
}

/* A client token cut by the end of the span is not read past. */
static void test_truncated(void **state)
{
	(void) state;
	static const char *const full[] = {
		"connect from unknown[192.0.2.7]",
		"disconnect from unknown[192.0.2.7] ehlo=1 auth=0/1 quit=1 commands=2/3",
		"warning: unknown[192.0.2.7]: SASL LOGIN authentication failed: x",
		"> unknown[192.0.2.7]: 503 5.5.1 Error: authentication not enabled",
		"< unknown[192.0.2.7]: AUTH LOGIN",
		"3F2A81C0A: client=unknown[192.0.2.7]",
		"table hash:/x has changed -- restarting",
	};

	for (size_t k = 0; k < sizeof(full) / sizeof(full[0]); k++) {
		size_t len = strlen(full[k]);

		for (size_t n = 0; n < len; n++) {
			char copy[128];
			struct smtpd_line l;

			memcpy(copy, full[k], n);
			memset(copy + n, 'Z', sizeof(copy) - n);	/* what lies past the span must not matter */
			smtpd_classify((struct span) {copy, n}, &l);
			assert_true(l.client.len <= n);
			assert_false(l.noauth_reply);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_connect_disconnect),
		cmocka_unit_test(test_trace),
		cmocka_unit_test(test_sasl),
		cmocka_unit_test(test_kept),
		cmocka_unit_test(test_chatter),
		cmocka_unit_test(test_forged),
		cmocka_unit_test(test_postfix_versions),
		cmocka_unit_test(test_port_logging),
		cmocka_unit_test(test_parse_client),
		cmocka_unit_test(test_truncated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_saslreason - whose fault a SASL failure is (saslreason(3)), and
 * what smtpd_classify() makes of it.
 *
 * The table is the spec: each row is a message as Postfix 3.7 to 3.11
 * writes it (with the Postfix source file its REASON comes from), the
 * class it must get, and the source the deciding row of saslreason.c
 * names. Every row of saslreason.c must be reached by some message here.
 */

#include "saslreason.h"
#include "smtpd.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#define C(reason) "warning: unknown[192.0.2.7]: SASL PLAIN authentication failed: " reason
#define U ", sasl_username=alice@example.test"
#define DOVECOT "xsasl_dovecot_server.c"
#define CYRUS "xsasl_cyrus_server.c"
#define GLUE "smtpd_sasl_glue.c"

static const struct {
	const char *msg;
	enum sasl_class cls;
	const char *source;		/* a part of the deciding row's source */
	const char *rule;
} rows[] = {
	/* smtpd_sasl_glue.c: the reason Postfix writes when the server gave none */
	{"warning: unknown[192.0.2.7]: SASL PLAIN authentication failed: ", SASL_CLIENT, GLUE, "sasl-failed"},
	{"warning: unknown[192.0.2.7]: SASL PLAIN authentication failed:", SASL_CLIENT, GLUE, "sasl-failed"},
	{"warning: unknown[192.0.2.7]: SASL SCRAM-SHA-256 authentication failed", SASL_CLIENT, GLUE, "sasl-failed"},
	{C("(reason unavailable), sasl_username=(unavailable)"), SASL_CLIENT, GLUE, "sasl-failed"},
	{C("(reason unavailable)" U), SASL_CLIENT, GLUE, "sasl-failed"},
	/* xsasl_dovecot_server.c: the server's trouble (454, and one 535) */
	{C("Connection lost to authentication server"), SASL_SERVER, DOVECOT, "sasl-server"},
	{"warning: unknown[192.0.2.20]: SASL LOGIN authentication failed: Connection lost to authentication server",
	 SASL_SERVER, DOVECOT, "sasl-server"},
	{C("Connection lost to authentication server" U), SASL_SERVER, DOVECOT, "sasl-server"},
	{C("Can't connect to authentication server" U), SASL_SERVER, DOVECOT, "sasl-server"},
	{C("Authentication backend error" U), SASL_SERVER, DOVECOT, "sasl-server"},
	/* xsasl_dovecot_server.c: an unoffered mechanism (3.7-3.9, then 3.10's form) */
	{"warning: host[192.0.2.5]: SASL CRAM-MD5 authentication failed: Invalid authentication mechanism",
	 SASL_BADMECH, DOVECOT, "sasl-badmech"},
	{"warning: host[192.0.2.5]: SASL CRAM-MD5 authentication failed: Invalid authentication mechanism"
	 ", sasl_username=(unavailable)", SASL_BADMECH, DOVECOT, "sasl-badmech"},
	{"warning: host[192.0.2.5]: SASL CRAM-MD5 authentication failed: Invalid authentication mechanism: "
	 "'CRAM-MD5', sasl_username=(unavailable)", SASL_BADMECH, DOVECOT, "sasl-badmech"},
	/* xsasl_dovecot_server.c: the client's bad data */
	{C("Invalid base64 data in initial response" U), SASL_CLIENT, DOVECOT, "sasl-failed"},
	{C("Invalid base64 data in continued response" U), SASL_CLIENT, DOVECOT, "sasl-failed"},
	/* xsasl_cyrus_server.c + sasl_errstring(): XSASL_AUTH_TEMP, 454 */
	{C("generic failure"), SASL_SERVER, CYRUS, "sasl-server"},
	{C("generic failure" U), SASL_SERVER, CYRUS, "sasl-server"},
	{C("no memory available" U), SASL_SERVER, CYRUS, "sasl-server"},
	{C("transient failure (e.g., weak key)" U), SASL_SERVER, CYRUS, "sasl-server"},
	{C("remote authentication server unavailable" U), SASL_SERVER, CYRUS, "sasl-server"},
	/* the Cyrus server's own malfunction, 535 */
	{C("SASL library is not initialized" U), SASL_SERVER, CYRUS, "sasl-server"},
	{C("version mismatch with plug-in" U), SASL_SERVER, CYRUS, "sasl-server"},
	{C("error when parsing configuration file" U), SASL_SERVER, CYRUS, "sasl-server"},
	/* the client's fault, 535 */
	{C("authentication failure"), SASL_CLIENT, CYRUS, "sasl-failed"},
	{C("authentication failure" U), SASL_CLIENT, CYRUS, "sasl-failed"},
	{C("authorization failure" U), SASL_CLIENT, CYRUS, "sasl-failed"},
	{"warning: x.example[2001:db8::5]: SASL CRAM-MD5 authentication failed: bad protocol / cancel",
	 SASL_CLIENT, CYRUS, "sasl-failed"},
	{C("invalid parameter supplied" U), SASL_CLIENT, CYRUS, "sasl-failed"},
	{C("overflowed buffer" U), SASL_CLIENT, CYRUS, "sasl-failed"},
	{C("mechanism too weak for this user" U), SASL_CLIENT, CYRUS, "sasl-failed"},
	{C("encryption needed to use mechanism" U), SASL_CLIENT, CYRUS, "sasl-failed"},
	{C("passphrase expired, has to be reset" U), SASL_CLIENT, CYRUS, "sasl-failed"},
	{C("account disabled" U), SASL_CLIENT, CYRUS, "sasl-failed"},
	{C("user exists, but no verifier for user" U), SASL_CLIENT, CYRUS, "sasl-failed"},
	{C("passphrase locked" U), SASL_CLIENT, CYRUS, "sasl-failed"},
	/* Cyrus, an unoffered mechanism (the recording's forger: the mechanism is its own word) */
	{"warning: unknown[203.0.113.30]: SASL unknown[192.0.2.97]: authentication failed: no mechanism available"
	 ", sasl_username=(unavailable)", SASL_BADMECH, CYRUS, "sasl-badmech"},
	/* smtpd_sasl_glue.c, every version 3.7.0 to 3.11: the client answered a
	   challenge with "*" (501 5.7.0 Authentication aborted), no REASON */
	{"warning: unknown[192.0.2.7]: SASL LOGIN authentication aborted", SASL_CLIENT, GLUE, "sasl-aborted"},
	{"warning: unknown[192.0.2.7]:41000: SASL PLAIN authentication aborted", SASL_CLIENT, GLUE, "sasl-aborted"},
	/* ...which is not a REASON: as one, it is any other text */
	{C("authentication aborted" U), SASL_CLIENT, "other", "sasl-failed"},
	/* any other text: Dovecot's reason=, a stale challenge before 3.9 */
	{"warning: unknown[192.0.2.7]: SASL LOGIN authentication failed: UGFzc3dvcmQ6", SASL_CLIENT, "other",
	 "sasl-failed"},
	{C("Password expired" U), SASL_CLIENT, "other", "sasl-failed"},
	/* the client's words come after the fixed text: they change nothing */
	{C("authentication failure, sasl_username=Connection lost to authentication server"), SASL_CLIENT, CYRUS,
	 "sasl-failed"},
	{C("(reason unavailable), sasl_username=x, sasl_username=generic failure"), SASL_CLIENT, GLUE,
	 "sasl-failed"},
	{"warning: unknown[192.0.2.7]: SASL Connection authentication failed: lost to authentication server",
	 SASL_CLIENT, "other", "sasl-failed"},
	/* a known text must end where the row does */
	{C("generic failures are fun"), SASL_CLIENT, "other", "sasl-failed"},
	{C("Connection lost to authentication server!"), SASL_CLIENT, "other", "sasl-failed"},
	{C("Invalid authentication mechanismX"), SASL_CLIENT, "other", "sasl-failed"},
};

static void test_reason_table(void **state)
{
	size_t nrows, n = sizeof(rows) / sizeof(rows[0]);
	const struct saslreason_row *table = saslreason_rows(&nrows);
	bool reached[64] = {false};

	(void) state;
	assert_true(nrows <= 64);
	for (size_t i = 0; i < n; i++) {
		struct smtpd_line l;

		print_message("msg: %s\n", rows[i].msg);
		smtpd_classify((struct span) {rows[i].msg, strlen(rows[i].msg)}, &l);
		assert_int_equal(l.kind, SMTPD_SASL_FAIL);
		assert_non_null(l.sasl);
		assert_string_equal(saslreason_class_name(l.sasl->cls), saslreason_class_name(rows[i].cls));
		assert_non_null(strstr(l.sasl->source, rows[i].source));
		assert_string_equal(l.rule, rows[i].rule);
		assert_int_equal(l.client.len > 0, 1);
		reached[l.sasl - table] = true;
	}
	for (size_t i = 0; i < nrows; i++) {
		print_message("row %zu '%s' (%s) reached\n", i, table[i].text ? table[i].text : "(other)",
			      saslreason_class_name(table[i].cls));
		assert_true(reached[i]);
		/* 454 is always the server's; the rows name their Postfix source */
		if (table[i].reply == 454)
			assert_int_equal(table[i].cls, SASL_SERVER);
		assert_non_null(table[i].source);
	}
}

static const struct {
	const char *msg;
	bool trouble;
} troubles[] = {
	{"warning: SASL: Connect to Dovecot auth socket 'private/auth' failed: No such file or directory", true},
	{"warning: SASL: Connect to private/auth failed: Connection refused", true},
	{"warning: SASL: Couldn't send handshake: Broken pipe", true},
	{"warning: SASL: Protocol version error", true},
	{"warning: SASL: Protocol version mismatch (2 vs. 1)", true},
	{"warning: SASL: Connected to wrong auth socket (auth-master instead of auth-client)", true},
	{"warning: SASL: Protocol error", true},
	{"warning: missing Dovecot server OK username field", true},
	{"warning: SASL authentication failure: cannot connect to saslauthd server: No such file or directory", true},
	{"warning: SASL authentication failure: cannot create socket for saslauthd: Too many open files", true},
	{"warning: SASL authentication failure: cannot connect to Courier authdaemond: Connection refused", true},
	{"warning: SASL authentication failure: cannot create socket for connection to Courier authdaemond: x", true},
	{"fatal: no SASL authentication mechanisms", true},
	{"fatal: SASL per-connection initialization failed", true},
	/* not trouble: a client's wrong password, the client's own words */
	{"warning: SASL authentication failure: Password verification failed", false},
	{"warning: SASL authentication failure: Couldn't find mech unknown[192.0.2.97]:", false},
	{"warning: unknown[192.0.2.7]: SASL: Connect to x failed: y", false},
	{"SASL: Connect to Dovecot auth socket 'private/auth' failed: No such file or directory", false},
	{"warning: non-SMTP command from unknown[192.0.2.7]: warning: SASL: Connect to x failed", false},
};

static void test_trouble(void **state)
{
	size_t nt;
	const struct saslreason_trouble *t = saslreason_troubles(&nt);

	(void) state;
	for (size_t i = 0; i < sizeof(troubles) / sizeof(troubles[0]); i++) {
		struct smtpd_line l;

		print_message("msg: %s\n", troubles[i].msg);
		assert_int_equal(saslreason_is_trouble(troubles[i].msg, strlen(troubles[i].msg)), troubles[i].trouble);
		smtpd_classify((struct span) {troubles[i].msg, strlen(troubles[i].msg)}, &l);
		assert_int_equal(l.sasl_trouble, troubles[i].trouble);
		if (troubles[i].trouble) {
			assert_int_equal(l.kind, SMTPD_KEEP);
			assert_string_equal(l.rule, "sasl-trouble");
		}
	}
	for (size_t i = 0; i < nt; i++)
		assert_true(strstr(t[i].source, "src/xsasl/") || strstr(t[i].source, "src/smtpd/"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reason_table),
		cmocka_unit_test(test_trouble),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

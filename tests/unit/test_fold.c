/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_fold - fold_line(): sequences of log lines and what becomes of each.
 *
 * Each table is a log excerpt with, beside every line, the verdict the
 * fold must give, written as
 *
 *	ACTION [+synthetic-before | +synthetic] [+strike=REASON:ADDR:CLIENT]
 *
 * ACTION is keep, drop or pass. The clock is the records' own time.
 */

#include "fold.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

struct row {
	const char *line;
	const char *expect;
};

#define T0 "2026-11-26T18:46:35Z "
#define T(s) "2026-11-26T18:" s "Z "
#define MX1(pid) T0 "mx1 postfix/smtpd[" #pid "]: "
#define MX2(pid) T0 "mx2 postfix/smtpd[" #pid "]: "

static void verdict(const struct fold_result *res, char *buf, size_t len)
{
	static const char *const actions[] = {[FOLD_PASS] = "pass", [FOLD_KEEP] = "keep", [FOLD_DROP] = "drop"};
	size_t n = (size_t) snprintf(buf, len, "%s", actions[res->action]);

	if (res->synthetic)
		n += (size_t) snprintf(buf + n, len - n, res->synthetic_before ? " +synthetic-before" : " +synthetic");
	if (res->strike) {
		char a[ADDR_STRLEN];

		addr_format(&res->addr, a);
		n += (size_t) snprintf(buf + n, len - n, " +strike=%s:%s:%.*s", reason_name(res->reason), a,
				       (int) res->client_len, res->client);
	}
}

/* Verdicts given after their line: " +late(TIMESTAMP)[+synthetic][+strike=REASON:CLIENT]" each;
   TIMESTAMP is "-" for a strike with no line to show (a moved SASL failure). */
static void late(struct fold *f, char *buf, size_t len)
{
	const struct fold_late *l;
	size_t n = strlen(buf);

	while ((l = fold_late_peek(f)) != NULL) {
		n += (size_t) snprintf(buf + n, len - n, " +late(%.*s)%s", l->r.ts.len ? (int) l->r.ts.len : 1,
				       l->r.ts.len ? l->r.ts.p : "-", l->synthetic ? "+synthetic" : "");
		if (l->strike)
			n += (size_t) snprintf(buf + n, len - n, "+strike=%s:%.*s", reason_name(l->reason),
					       (int) l->client_len, l->client);
		fold_late_pop(f);
	}
}

static void run(struct fold *f, const struct row *rows, size_t nrows)
{
	for (size_t i = 0; i < nrows; i++) {
		struct record r;
		struct fold_result res;
		char got[512];

		record_parse(rows[i].line, strlen(rows[i].line), 0, &r);
		assert_int_equal(fold_line(f, &r, &res), 0);
		verdict(&res, got, sizeof(got));
		late(f, got, sizeof(got));
		if (strcmp(got, rows[i].expect) != 0) {
			print_error("line %zu: %s\n  expected: %s\n  got:      %s (rule %s)\n", i + 1, rows[i].line,
				    rows[i].expect, got, res.rule);
			fail();
		}
	}
}
#define RUN(f, rows) run((f), (rows), sizeof(rows) / sizeof((rows)[0]))

static struct config *conf(const char *const *kv)
{
	struct config *c = config_new();
	char err[256];

	assert_non_null(c);
	for (; kv && kv[0]; kv += 2)
		if (config_set(c, kv[0], kv[1], err, sizeof(err)) < 0)
			fail_msg("config: %s", err);
	return c;
}

struct fixture {
	struct config *c;
	struct fold *f;
};

static struct fixture *setup(const char *const *kv)
{
	struct fixture *x = calloc(1, sizeof(*x));

	assert_non_null(x);
	x->c = conf(kv);
	x->f = fold_new(x->c);
	assert_non_null(x->f);
	return x;
}

static void teardown(struct fixture *x)
{
	fold_free(x->f);
	config_free(x->c);
	free(x);
}

/* -v: the synthetic line takes the place of the 503 reply; one per session. */
static void test_verbose_probe(void **state)
{
	(void) state;
	static const struct row rows[] = {
		{MX1(100) "connect from unknown[192.0.2.7]", "keep"},
		{MX1(100) "match_list_match: unknown: no match", "drop"},
		{MX1(100) "> unknown[192.0.2.7]: 220 mx1.example.org ESMTP", "drop"},
		{MX1(100) "< unknown[192.0.2.7]: EHLO User", "drop"},
		{MX1(100) "> unknown[192.0.2.7]: 250-mx1.example.org", "drop"},
		{MX1(100) "< unknown[192.0.2.7]: AUTH LOGIN", "drop"},
		{MX1(100) "> unknown[192.0.2.7]: 503 5.5.1 Error: authentication not enabled",
		 "drop +synthetic +strike=noauth:192.0.2.7:unknown[192.0.2.7]"},
		{MX1(100) "< unknown[192.0.2.7]: AUTH PLAIN", "drop"},
		{MX1(100) "> unknown[192.0.2.7]: 503 5.5.1 Error: authentication not enabled", "drop"},
		{MX1(100) "< unknown[192.0.2.7]: QUIT", "drop"},
		{MX1(100) "> unknown[192.0.2.7]: 221 2.0.0 Bye", "drop"},
		/* verbose session: the stats rule does not add a second line */
		{MX1(100) "disconnect from unknown[192.0.2.7] ehlo=1 auth=0/2 quit=1 commands=2/4", "keep"},
		{"2026-11-26T18:46:35Z mx1 postfix/anvil[9]: statistics: max connection rate 1/60s", "pass"},
		{"not a syslog line", "pass"},
	};
	struct fixture *x = setup(NULL);

	RUN(x->f, rows);
	const struct fold_counters *c = fold_counters(x->f);

	assert_int_equal(c->lines, 14);
	assert_int_equal(c->synthetic, 1);
	assert_int_equal(c->strikes[REASON_NOAUTH], 1);
	assert_int_equal(c->kept, 2);
	assert_int_equal(c->dropped, 10);
	assert_int_equal(c->passed, 2);
	assert_int_equal(c->other, 1);
	assert_int_equal(session_count(fold_sessions(x->f)), 0);
	teardown(x);
}

/* Without -v: auth=0/N with EHLO and no STARTTLS, synthetic before the disconnect. */
static void test_stats_rule(void **state)
{
	(void) state;
	static const struct row rows[] = {
		{MX1(1) "connect from unknown[192.0.2.1]", "keep"},
		{MX1(1) "disconnect from unknown[192.0.2.1] ehlo=1 auth=0/1 quit=1 commands=2/3",
		 "keep +synthetic-before +strike=noauth:192.0.2.1:unknown[192.0.2.1]"},
		/* STARTTLS: AUTH was offered, a failure there is not a probe */
		{MX1(2) "connect from unknown[192.0.2.2]", "keep"},
		{MX1(2) "disconnect from unknown[192.0.2.2] ehlo=2 starttls=1 auth=0/1 quit=1 commands=4/5", "keep"},
		/* no EHLO: "send HELO/EHLO first", not a probe */
		{MX1(3) "connect from unknown[192.0.2.3]", "keep"},
		{MX1(3) "disconnect from unknown[192.0.2.3] auth=0/1 quit=1 commands=1/2", "keep"},
		/* AUTH succeeded */
		{MX1(4) "connect from unknown[192.0.2.4]", "keep"},
		{MX1(4) "disconnect from unknown[192.0.2.4] ehlo=1 auth=1 quit=1 commands=3", "keep"},
		/* no AUTH at all */
		{MX1(5) "connect from unknown[192.0.2.5]", "keep"},
		{MX1(5) "disconnect from unknown[192.0.2.5] ehlo=1 quit=1 commands=2", "keep"},
		/* a SASL failure was logged: the failure is a password guess, one strike */
		{MX1(6) "connect from unknown[192.0.2.6]", "keep"},
		{MX1(6) "warning: unknown[192.0.2.6]: SASL LOGIN authentication failed: UGFzc3dvcmQ6",
		 "keep +strike=saslfail:192.0.2.6:unknown[192.0.2.6]"},
		{MX1(6) "warning: unknown[192.0.2.6]: SASL LOGIN authentication failed: UGFzc3dvcmQ6", "keep"},
		{MX1(6) "lost connection after AUTH from unknown[192.0.2.6]", "keep"},
		{MX1(6) "disconnect from unknown[192.0.2.6] ehlo=1 auth=0/2 commands=1/3", "keep"},
		/* the client answered the challenge with "*": an aborted exchange is its
		   own doing, a SASL failure (no noauth for its auth=0/1) */
		{MX1(11) "connect from unknown[192.0.2.11]", "keep"},
		{MX1(11) "warning: unknown[192.0.2.11]: SASL LOGIN authentication aborted",
		 "keep +strike=saslfail:192.0.2.11:unknown[192.0.2.11]"},
		{MX1(11) "disconnect from unknown[192.0.2.11] ehlo=1 auth=0/1 quit=1 commands=2/3", "keep"},
		/* a disconnect with no session (connect before the log began, or
		   still to come): its verdict waits for its session (fold_settle below) */
		{MX1(7) "disconnect from unknown[192.0.2.7] ehlo=1 auth=0/1 quit=1 commands=2/3", "keep"},
		/* the submission service and postfix-out instances are smtpd too */
		{T0 "mx1 postfix/submission/smtpd[8]: connect from unknown[2001:db8::8]", "keep"},
		{T0 "mx1 postfix/submission/smtpd[8]: disconnect from unknown[2001:db8::8] ehlo=1 auth=0/1 commands=1/2",
		 "keep +synthetic-before +strike=noauth:2001:db8::8:unknown[2001:db8::8]"},
		{T0 "mx1 postfix-out/smtpd[9]: disconnect from unknown[192.0.2.9] ehlo=1 auth=0/1 commands=1/2", "keep"},
		/* not smtpd */
		{T0 "mx1 postfix/smtp[10]: disconnect from unknown[192.0.2.10] ehlo=1 auth=0/1 commands=1/2", "pass"},
		{T0 "mx1 postfix/submission/smtpd/x[10]: disconnect from unknown[192.0.2.10] ehlo=1 auth=0/1", "pass"},
	};
	struct fixture *x = setup(NULL);

	RUN(x->f, rows);
	assert_int_equal(fold_counters(x->f)->strikes[REASON_NOAUTH], 2);
	assert_int_equal(fold_pending(x->f), 2);
	/* the end of the input: the waiting verdicts, with their disconnects' prefixes */
	assert_int_equal(fold_settle(x->f, true), 0);
	static const char *const late[] = {"mx1 postfix/smtpd[7]: ", "mx1 postfix-out/smtpd[9]: "};
	static const char *const client[] = {"unknown[192.0.2.7]", "unknown[192.0.2.9]"};

	for (int i = 0; i < 2; i++) {
		const struct fold_late *l = fold_late_peek(x->f);

		assert_non_null(l);
		assert_true(l->synthetic);
		assert_true(l->strike);
		assert_int_equal(l->reason, REASON_NOAUTH);
		assert_int_equal(l->r.line.len, strlen(T0) + strlen(late[i]));
		assert_memory_equal(l->r.line.p + strlen(T0), late[i], strlen(late[i]));
		assert_int_equal(l->client_len, strlen(client[i]));
		assert_memory_equal(l->client, client[i], l->client_len);
		fold_late_pop(x->f);
	}
	assert_null(fold_late_peek(x->f));
	assert_int_equal(fold_counters(x->f)->strikes[REASON_NOAUTH], 4);
	assert_int_equal(fold_counters(x->f)->strikes[REASON_SASLFAIL], 2);
	assert_int_equal(fold_counters(x->f)->synthetic, 4);
	teardown(x);
}

/*
 * smtpd_client_port_logging = yes: every client token is NAME[ADDR]:PORT.
 * The port is kept as written (the synthetic line and the strike carry
 * the session's token); a line that names the client without its port is
 * still the session's, a line with another port is not.
 */
static void test_port_logging(void **state)
{
	(void) state;
	static const struct row rows[] = {
		{T("01:01") "mx1 postfix/smtpd[40]: connect from unknown[192.0.2.40]:59283", "keep"},
		{T("01:01") "mx1 postfix/smtpd[40]: < unknown[192.0.2.40]:59283: AUTH LOGIN", "drop"},
		{T("01:01") "mx1 postfix/smtpd[40]: > unknown[192.0.2.40]:59283: 503 5.5.1 Error: authentication not enabled",
		 "drop +synthetic +strike=noauth:192.0.2.40:unknown[192.0.2.40]:59283"},
		{T("01:02") "mx1 postfix/smtpd[40]: disconnect from unknown[192.0.2.40]:59283 ehlo=1 auth=0/1 commands=1/2",
		 "keep"},
		/* without -v: the statistics rule, the synthetic line names the port */
		{T("01:11") "mx1 postfix/smtpd[41]: connect from unknown[2001:db8::41]:41000", "keep"},
		{T("01:12") "mx1 postfix/smtpd[41]: disconnect from unknown[2001:db8::41]:41000 ehlo=1 auth=0/1 quit=1 commands=2/3",
		 "keep +synthetic-before +strike=noauth:2001:db8::41:unknown[2001:db8::41]:41000"},
		/* a password guess */
		{T("01:21") "mx1 postfix/smtpd[42]: connect from unknown[192.0.2.42]:55729", "keep"},
		{T("01:22") "mx1 postfix/smtpd[42]: warning: unknown[192.0.2.42]:55729: SASL LOGIN authentication failed: UGFzc3dvcmQ6",
		 "keep +strike=saslfail:192.0.2.42:unknown[192.0.2.42]:55729"},
		{T("01:23") "mx1 postfix/smtpd[42]: disconnect from unknown[192.0.2.42]:55729 ehlo=1 auth=0/1 commands=1/2",
		 "keep"},
		/* the same client named without its port: the same session */
		{T("01:31") "mx1 postfix/smtpd[43]: connect from unknown[192.0.2.43]:1025", "keep"},
		{T("01:31") "mx1 postfix/smtpd[43]: < unknown[192.0.2.43]: AUTH LOGIN", "drop"},
		{T("01:31") "mx1 postfix/smtpd[43]: > unknown[192.0.2.43]: 503 5.5.1 Error: authentication not enabled",
		 "drop +synthetic +strike=noauth:192.0.2.43:unknown[192.0.2.43]:1025"},
		{T("01:32") "mx1 postfix/smtpd[43]: disconnect from unknown[192.0.2.43]:1025 ehlo=1 auth=0/1 commands=1/2",
		 "keep"},
		/* the same address on another port is another connection: inside
		   the ended session of :3000, a line of :3001 is foreign to it
		   (back-to-back sessions of one client told apart) */
		{T("01:51") "mx1 postfix/smtpd[46]: connect from unknown[192.0.2.46]:3000", "keep"},
		{T("01:54") "mx1 postfix/smtpd[46]: disconnect from unknown[192.0.2.46]:3000 ehlo=1 quit=1 commands=2",
		 "keep"},
		{T("01:53") "mx1 postfix/smtpd[46]: < unknown[192.0.2.46]:3001: AUTH LOGIN", "drop"},
		{T("01:53") "mx1 postfix/smtpd[46]: > unknown[192.0.2.46]:3001: 503 5.5.1 Error: authentication not enabled",
		 "drop"},
		/* another address on the same port is another client: inside the
		   ended session of .44, a line naming .45 is foreign to it */
		{T("01:41") "mx1 postfix/smtpd[44]: connect from unknown[192.0.2.44]:2000", "keep"},
		{T("01:44") "mx1 postfix/smtpd[44]: disconnect from unknown[192.0.2.44]:2000 ehlo=1 quit=1 commands=2",
		 "keep"},
		{T("01:43") "mx1 postfix/smtpd[44]: < unknown[192.0.2.45]:2000: AUTH LOGIN", "drop"},
		{T("01:43") "mx1 postfix/smtpd[44]: > unknown[192.0.2.45]:2000: 503 5.5.1 Error: authentication not enabled",
		 "drop"},
	};
	struct fixture *x = setup(NULL);

	RUN(x->f, rows);
	assert_null(fold_late_peek(x->f));
	assert_int_equal(fold_counters(x->f)->strikes[REASON_NOAUTH], 3);
	assert_int_equal(fold_counters(x->f)->strikes[REASON_SASLFAIL], 1);
	assert_int_equal(fold_counters(x->f)->foreign_client, 4);
	teardown(x);
}

/* Other 503s are not probes; a 503 counts only with an AUTH of its session no later than it. */
static void test_other_503(void **state)
{
	(void) state;
	static const struct row rows[] = {
		{T("00:01") "mx1 postfix/smtpd[20]: connect from unknown[192.0.2.20]", "keep"},
		{T("00:02") "mx1 postfix/smtpd[20]: < unknown[192.0.2.20]: AUTH LOGIN", "drop"},
		{T("00:03") "mx1 postfix/smtpd[20]: > unknown[192.0.2.20]: 503 5.5.1 Error: send HELO/EHLO first", "drop"},
		{T("00:04") "mx1 postfix/smtpd[20]: > unknown[192.0.2.20]: 503 5.5.1 Error: already authenticated", "drop"},
		{T("00:05") "mx1 postfix/smtpd[20]: disconnect from unknown[192.0.2.20] ehlo=1 auth=0/1 commands=1/2", "keep"},
		/* the right text before any AUTH of the session: it waits for one */
		{T("00:11") "mx1 postfix/smtpd[21]: connect from unknown[192.0.2.21]", "keep"},
		{T("00:12") "mx1 postfix/smtpd[21]: > unknown[192.0.2.21]: 503 5.5.1 Error: authentication not enabled", "drop"},
		/* AUTHX is not AUTH; an AUTH later than the reply is not its AUTH */
		{T("00:13") "mx1 postfix/smtpd[21]: < unknown[192.0.2.21]: AUTHX LOGIN", "drop"},
		{T("00:14") "mx1 postfix/smtpd[21]: < unknown[192.0.2.21]: AUTH LOGIN", "drop"},
		/* a command faking the reply is a command */
		{T("00:15") "mx1 postfix/smtpd[21]: < unknown[192.0.2.21]: > unknown[192.0.2.21]: 503 5.5.1 Error: authentication not enabled",
		 "drop"},
		/* a verbose session never takes the statistics rule */
		{T("00:16") "mx1 postfix/smtpd[21]: disconnect from unknown[192.0.2.21] ehlo=1 auth=0/3 mail=1 quit=1 commands=3/6",
		 "keep"},
		/* lowercase auth is AUTH */
		{T("00:21") "mx1 postfix/smtpd[22]: connect from unknown[192.0.2.22]", "keep"},
		{T("00:22") "mx1 postfix/smtpd[22]: < unknown[192.0.2.22]: auth login", "drop"},
		{T("00:22") "mx1 postfix/smtpd[22]: > unknown[192.0.2.22]: 503 5.5.1 Error: authentication not enabled",
		 "drop +synthetic +strike=noauth:192.0.2.22:unknown[192.0.2.22]"},
		{T("00:23") "mx1 postfix/smtpd[22]: disconnect from unknown[192.0.2.22] ehlo=1 auth=0/1 commands=1/2", "keep"},
	};
	struct fixture *x = setup(NULL);

	RUN(x->f, rows);
	assert_null(fold_late_peek(x->f));
	assert_int_equal(fold_counters(x->f)->strikes[REASON_NOAUTH], 1);
	teardown(x);
}

/* `reasons` filters strikes, not the summary. */
static void test_reasons(void **state)
{
	(void) state;
	static const char *const saslfail_only[] = {"reasons", "saslfail", NULL};
	static const char *const noauth_only[] = {"reasons", "noauth", NULL};
	static const struct row probe_saslfail_only[] = {
		{MX1(30) "connect from unknown[192.0.2.30]", "keep"},
		{MX1(30) "< unknown[192.0.2.30]: AUTH LOGIN", "drop"},
		{MX1(30) "> unknown[192.0.2.30]: 503 5.5.1 Error: authentication not enabled", "drop +synthetic"},
		{MX1(30) "disconnect from unknown[192.0.2.30] ehlo=1 auth=0/1 commands=1/2", "keep"},
		{MX1(31) "connect from unknown[192.0.2.31]", "keep"},
		{MX1(31) "disconnect from unknown[192.0.2.31] ehlo=1 auth=0/1 commands=1/2", "keep +synthetic-before"},
		{MX1(32) "connect from unknown[192.0.2.32]", "keep"},
		{MX1(32) "warning: unknown[192.0.2.32]: SASL PLAIN authentication failed: x",
		 "keep +strike=saslfail:192.0.2.32:unknown[192.0.2.32]"},
		{MX1(32) "disconnect from unknown[192.0.2.32] ehlo=1 auth=0/1 commands=1/2", "keep"},
	};
	static const struct row sasl_noauth_only[] = {
		{MX1(33) "connect from unknown[192.0.2.33]", "keep"},
		{MX1(33) "warning: unknown[192.0.2.33]: SASL PLAIN authentication failed: x", "keep"},
		{MX1(33) "disconnect from unknown[192.0.2.33] ehlo=1 auth=0/1 commands=1/2", "keep"},
		{MX1(34) "connect from unknown[192.0.2.34]", "keep"},
		{MX1(34) "disconnect from unknown[192.0.2.34] ehlo=1 auth=0/1 commands=1/2",
		 "keep +synthetic-before +strike=noauth:192.0.2.34:unknown[192.0.2.34]"},
	};
	struct fixture *x = setup(saslfail_only);

	RUN(x->f, probe_saslfail_only);
	assert_int_equal(fold_counters(x->f)->strikes[REASON_NOAUTH], 0);
	assert_int_equal(fold_counters(x->f)->strikes[REASON_SASLFAIL], 1);
	assert_int_equal(fold_counters(x->f)->evidence_ignored, 2);
	teardown(x);

	x = setup(noauth_only);
	RUN(x->f, sasl_noauth_only);
	assert_int_equal(fold_counters(x->f)->evidence_ignored, 1);
	teardown(x);
}

/* Two hosts, same pids, interleaved: each session keeps its own client. */
static void test_interleaved_hosts(void **state)
{
	(void) state;
	static const struct row rows[] = {
		{MX1(500) "connect from unknown[192.0.2.50]", "keep"},
		{MX2(500) "connect from unknown[198.51.100.50]", "keep"},
		{MX1(500) "< unknown[192.0.2.50]: AUTH LOGIN", "drop"},
		{MX2(500) "< unknown[198.51.100.50]: EHLO x", "drop"},
		/* mx2's pid 500 has another client: this reply is not its session's,
		   it opens one of its own, which has no AUTH */
		{MX2(500) "> unknown[192.0.2.50]: 503 5.5.1 Error: authentication not enabled", "drop"},
		{MX1(500) "> unknown[192.0.2.50]: 503 5.5.1 Error: authentication not enabled",
		 "drop +synthetic +strike=noauth:192.0.2.50:unknown[192.0.2.50]"},
		{MX2(500) "disconnect from unknown[198.51.100.50] ehlo=1 quit=1 commands=2", "keep"},
		{MX1(500) "disconnect from unknown[192.0.2.50] ehlo=1 auth=0/1 commands=1/2", "keep"},
		/* another tag on the same host and pid is another session */
		{T0 "mx1 postfix/submission/smtpd[500]: connect from unknown[203.0.113.5]", "keep"},
		{MX1(500) "connect from unknown[203.0.113.6]", "keep"},
		{T0 "mx1 postfix/submission/smtpd[500]: disconnect from unknown[203.0.113.5] ehlo=1 auth=0/1 commands=1/2",
		 "keep +synthetic-before +strike=noauth:203.0.113.5:unknown[203.0.113.5]"},
		{MX1(500) "disconnect from unknown[203.0.113.6] ehlo=1 quit=1 commands=2", "keep"},
	};
	struct fixture *x = setup(NULL);

	RUN(x->f, rows);
	/* the reply of another client at the same time opens a session of its own */
	assert_int_equal(fold_counters(x->f)->no_session, 1);
	assert_int_equal(session_count(fold_sessions(x->f)), 1);
	teardown(x);
}

/* A new connect on a busy pid ends the old session at its time; a late
   line of the old session still counts for it. */
static void test_replace(void **state)
{
	(void) state;
	static const struct row rows[] = {
		{T("00:01") "mx1 postfix/smtpd[600]: connect from unknown[192.0.2.60]", "keep"},
		{T("00:02") "mx1 postfix/smtpd[600]: < unknown[192.0.2.60]: AUTH LOGIN", "drop"},
		{T("00:03") "mx1 postfix/smtpd[600]: connect from unknown[192.0.2.61]", "keep"},
		/* the old session's reply arrives after the new connect: it strikes
		   its own session, by its time */
		{T("00:02.5") "mx1 postfix/smtpd[600]: > unknown[192.0.2.60]: 503 5.5.1 Error: authentication not enabled",
		 "drop +synthetic +strike=noauth:192.0.2.60:unknown[192.0.2.60]"},
		/* the new session did not send AUTH yet */
		{T("00:05") "mx1 postfix/smtpd[600]: > unknown[192.0.2.61]: 503 5.5.1 Error: authentication not enabled", "drop"},
		{T("00:06") "mx1 postfix/smtpd[600]: < unknown[192.0.2.61]: AUTH LOGIN", "drop"},
		{T("00:07") "mx1 postfix/smtpd[600]: > unknown[192.0.2.61]: 503 5.5.1 Error: authentication not enabled",
		 "drop +synthetic +strike=noauth:192.0.2.61:unknown[192.0.2.61]"},
		{T("00:08") "mx1 postfix/smtpd[600]: disconnect from unknown[192.0.2.61] ehlo=1 auth=0/2 commands=1/3", "keep"},
	};
	static const char *const kv[] = {"session_idle", "60s", NULL};
	struct fixture *x = setup(kv);

	RUN(x->f, rows);
	assert_int_equal(fold_counters(x->f)->no_session, 0);
	assert_int_equal(fold_counters(x->f)->late, 1);
	/* .60's session never saw its disconnect: past the window it counts as
	   replaced (a later session began), the one of .61 as ended */
	fold_expire(x->f, INT64_C(1795718760) * 1000000 + 3600 * INT64_C(1000000));
	assert_int_equal(session_counters(fold_sessions(x->f))->replaced, 1);
	assert_int_equal(session_counters(fold_sessions(x->f))->forgotten, 1);
	assert_int_equal(session_total(fold_sessions(x->f)), 0);
	teardown(x);
}

/* The table has a hard size: the least recently active session goes. */
static void test_max_sessions(void **state)
{
	(void) state;
	static const char *const kv[] = {"max_sessions", "16", NULL};
	struct fixture *x = setup(kv);
	char line[256];
	struct record r;
	struct fold_result res;

	for (int pid = 1; pid <= 17; pid++) {
		snprintf(line, sizeof(line), MX1(%d) "connect from unknown[192.0.2.%d]", pid, pid);
		record_parse(line, strlen(line), 0, &r);
		assert_int_equal(fold_line(x->f, &r, &res), 0);
		assert_int_equal(res.action, FOLD_KEEP);
		assert_true(session_count(fold_sessions(x->f)) <= 16);
		if (pid == 8) {	/* pid 1 becomes the most recent */
			static const char touch[] = MX1(1) "< unknown[192.0.2.1]: EHLO x";

			record_parse(touch, strlen(touch), 0, &r);
			fold_line(x->f, &r, &res);
		}
	}
	assert_int_equal(session_count(fold_sessions(x->f)), 16);
	assert_int_equal(session_counters(fold_sessions(x->f))->evicted, 1);

	static const struct row rows[] = {
		/* pid 2 was evicted: its trace line adopts it again (evicting
		   pid 3), from the client token in Postfix's position */
		{MX1(2) "< unknown[192.0.2.2]: AUTH LOGIN", "drop"},
		{MX1(2) "> unknown[192.0.2.2]: 503 5.5.1 Error: authentication not enabled",
		 "drop +synthetic +strike=noauth:192.0.2.2:unknown[192.0.2.2]"},
		/* pid 1 was not evicted */
		{MX1(1) "< unknown[192.0.2.1]: AUTH LOGIN", "drop"},
		{MX1(1) "> unknown[192.0.2.1]: 503 5.5.1 Error: authentication not enabled",
		 "drop +synthetic +strike=noauth:192.0.2.1:unknown[192.0.2.1]"},
		/* pid 3 was evicted by the adoption */
		{MX1(3) "< unknown[192.0.2.3]: QUIT", "drop"},
	};

	RUN(x->f, rows);
	assert_int_equal(fold_counters(x->f)->no_session, 2);
	assert_int_equal(session_counters(fold_sessions(x->f))->evicted, 3);
	assert_int_equal(session_count(fold_sessions(x->f)), 16);
	teardown(x);
}

/* Idle sessions expire on the records' clock, not the wall clock. */
static void test_idle_expiry(void **state)
{
	(void) state;
	static const char *const kv[] = {"session_idle", "60s", NULL};
	static const struct row rows[] = {
		{T("00:00") "mx1 postfix/smtpd[70]: connect from unknown[192.0.2.70]", "keep"},
		{T("00:00") "mx1 postfix/smtpd[71]: connect from unknown[192.0.2.71]", "keep"},
		{T("00:50") "mx1 postfix/smtpd[71]: < unknown[192.0.2.71]: EHLO x", "drop"},
		/* 70 idle for 61 s: gone; 71 idle for 11 s: still open */
		{T("01:01") "mx1 postfix/smtpd[72]: connect from unknown[192.0.2.72]", "keep"},
		/* 70's trace line adopts a new session: its evidence counts */
		{T("01:01") "mx1 postfix/smtpd[70]: < unknown[192.0.2.70]: AUTH LOGIN", "drop"},
		{T("01:01") "mx1 postfix/smtpd[70]: > unknown[192.0.2.70]: 503 5.5.1 Error: authentication not enabled",
		 "drop +synthetic +strike=noauth:192.0.2.70:unknown[192.0.2.70]"},
		{T("01:02") "mx1 postfix/smtpd[71]: < unknown[192.0.2.71]: AUTH LOGIN", "drop"},
		{T("01:02") "mx1 postfix/smtpd[71]: > unknown[192.0.2.71]: 503 5.5.1 Error: authentication not enabled",
		 "drop +synthetic +strike=noauth:192.0.2.71:unknown[192.0.2.71]"},
		/* at 02:02, 72 and 70 (idle since 01:01) are past the limit; 71
		   (idle since 01:02, exactly 60 s) is not; 72 is adopted again */
		{T("02:02") "mx1 postfix/smtpd[71]: < unknown[192.0.2.71]: QUIT", "drop"},
		{T("02:02") "mx1 postfix/smtpd[72]: < unknown[192.0.2.72]: QUIT", "drop"},
	};
	struct fixture *x = setup(kv);

	RUN(x->f, rows);
	const struct session_counters *s = session_counters(fold_sessions(x->f));

	assert_int_equal(s->expired, 3);
	assert_int_equal(fold_counters(x->f)->no_session, 2);
	assert_int_equal(session_count(fold_sessions(x->f)), 2);

	/* fold_expire() with an explicit clock */
	struct record r;

	record_parse(rows[0].line, strlen(rows[0].line), 0, &r);
	fold_expire(x->f, r.usec + 3600 * INT64_C(1000000));
	assert_int_equal(session_count(fold_sessions(x->f)), 0);
	assert_int_equal(s->expired, 5);
	teardown(x);
}

/* Client text never opens, closes or strikes; untrusted records pass. */
static void test_forged(void **state)
{
	(void) state;
	static const struct row rows[] = {
		{MX1(80) "connect from unknown[203.0.113.30]", "keep"},
		{MX1(80) "NOQUEUE: reject: RCPT from unknown[203.0.113.30]: 554 5.7.1 <x@y>: Relay access denied; from=<\"connect from unknown[192.0.2.99]\"@x> to=<x@y> proto=ESMTP helo=<z>",
		 "keep"},
		{MX1(80) "< unknown[203.0.113.30]: EHLO warning: unknown[192.0.2.99]: SASL LOGIN authentication failed",
		 "drop"},
		{MX1(80) "< unknown[203.0.113.30]: MAIL FROM:<disconnect from unknown[192.0.2.99] ehlo=1 auth=0/1>",
		 "drop"},
		{MX1(80) "warning: non-SMTP command from unknown[203.0.113.30]: connect from unknown[192.0.2.99]", "keep"},
		{MX1(80) "improper command pipelining after EHLO from unknown[203.0.113.30]: > unknown[192.0.2.99]: 503 5.5.1 Error: authentication not enabled\\r\\n",
		 "keep"},
		/* the session's client sends AUTH, the strike names it, not the text */
		{MX1(80) "< unknown[203.0.113.30]: AUTH LOGIN dW5rbm93blsxOTIuMC4yLjk5XQ==", "drop"},
		{MX1(80) "> unknown[203.0.113.30]: 503 5.5.1 Error: authentication not enabled",
		 "drop +synthetic +strike=noauth:203.0.113.30:unknown[203.0.113.30]"},
		{MX1(80) "disconnect from unknown[203.0.113.30] ehlo=1 auth=0/1 mail=1 commands=2/3", "keep"},
		/* another program's line quoting smtpd text decides nothing */
		{T0 "mx1 postfix/cleanup[81]: warning: unknown[192.0.2.99]: SASL LOGIN authentication failed", "pass"},
		{T0 "mx1 logger: postfix/smtpd[82]: disconnect from unknown[192.0.2.99] ehlo=1 auth=0/1", "pass"},
	};
	struct fixture *x = setup(NULL);

	RUN(x->f, rows);
	assert_int_equal(fold_counters(x->f)->strikes[REASON_NOAUTH], 1);
	assert_int_equal(fold_counters(x->f)->strikes[REASON_SASLFAIL], 0);

	/* a record not trusted to decide (journal: _COMM does not match) */
	struct record r;
	struct fold_result res;
	static const char line[] = MX1(83) "disconnect from unknown[192.0.2.83] ehlo=1 auth=0/1 commands=1/2";

	record_parse(line, strlen(line), 0, &r);
	r.trusted = false;
	assert_int_equal(fold_line(x->f, &r, &res), 0);
	assert_int_equal(res.action, FOLD_PASS);
	assert_false(res.strike);
	assert_false(res.synthetic);
	assert_int_equal(fold_counters(x->f)->untrusted, 1);
	teardown(x);
}

/* The result copies the client: it outlives the session. */
static void test_result_self_contained(void **state)
{
	(void) state;
	struct fixture *x = setup(NULL);
	struct record r;
	struct fold_result res;
	static const char c[] = MX1(90) "connect from a-very-long-name.example.org[2001:db8::90]";
	static const char d[] = MX1(90) "disconnect from a-very-long-name.example.org[2001:db8::90] ehlo=1 auth=0/1 commands=1/2";

	record_parse(c, strlen(c), 0, &r);
	fold_line(x->f, &r, &res);
	record_parse(d, strlen(d), 0, &r);
	fold_line(x->f, &r, &res);
	assert_int_equal(session_count(fold_sessions(x->f)), 0);
	assert_true(res.strike);
	assert_int_equal(res.client_len, strlen("a-very-long-name.example.org[2001:db8::90]"));
	assert_memory_equal(res.client, "a-very-long-name.example.org[2001:db8::90]", res.client_len);
	teardown(x);
}

#define P(ts, pid) "2026-11-26T18:" ts "Z mx1 postfix/smtpd[" #pid "]: "
#define PLAIN(ts, pid) "2026-11-26T18:" ts "Z mx2 postfix/smtpd[" #pid "]: "	/* mx2: without -v */

/* Lines that arrive out of order count for the session their time falls in. */
static void test_reorder(void **state)
{
	(void) state;
	static const struct row rows[] = {
		/* -v: the disconnect block comes first (rsyslog's queue spilled) */
		{P("00:05", 1) "disconnect from unknown[192.0.2.1] ehlo=1 auth=0/1 quit=1 commands=2/3", "keep"},
		{P("00:01", 1) "connect from unknown[192.0.2.1]", "keep"},
		{P("00:02", 1) "< unknown[192.0.2.1]: AUTH LOGIN", "drop"},
		{P("00:03", 1) "> unknown[192.0.2.1]: 503 5.5.1 Error: authentication not enabled",
		 "drop +synthetic +strike=noauth:192.0.2.1:unknown[192.0.2.1]"},
		{P("00:04", 1) "< unknown[192.0.2.1]: QUIT", "drop"},
		/* a reply before its AUTH command waits for it, with its own prefix */
		{P("00:10", 2) "connect from unknown[192.0.2.2]", "keep"},
		{P("00:12", 2) "> unknown[192.0.2.2]: 503 5.5.1 Error: authentication not enabled", "drop"},
		{P("00:11", 2) "< unknown[192.0.2.2]: AUTH PLAIN",
		 "drop +late(2026-11-26T18:00:12Z)+synthetic+strike=noauth:unknown[192.0.2.2]"},
		{P("00:13", 2) "disconnect from unknown[192.0.2.2] ehlo=1 auth=0/1 commands=1/2", "keep"},
		/* without -v (mx2 never wrote a trace line): the disconnect waits
		   for its session's connect and then for a line of the process
		   after it */
		{PLAIN("00:24", 3) "disconnect from unknown[192.0.2.3] ehlo=1 auth=0/1 quit=1 commands=2/3", "keep"},
		{PLAIN("00:20", 3) "connect from unknown[192.0.2.3]", "keep"},
		{PLAIN("00:30", 3) "connect from unknown[192.0.2.33]",
		 "keep +late(2026-11-26T18:00:24Z)+synthetic+strike=noauth:unknown[192.0.2.3]"},
		/* ... and a SASL failure of the session cancels it: a guess, not a probe */
		{PLAIN("00:44", 4) "disconnect from unknown[192.0.2.4] ehlo=1 auth=0/1 quit=1 commands=2/3", "keep"},
		{PLAIN("00:40", 4) "connect from unknown[192.0.2.4]", "keep"},
		{PLAIN("00:41", 4) "warning: unknown[192.0.2.4]: SASL LOGIN authentication failed: UGFzc3dvcmQ6",
		 "keep +strike=saslfail:192.0.2.4:unknown[192.0.2.4]"},
		{PLAIN("00:50", 4) "connect from unknown[192.0.2.44]", "keep"},
		/* mx1 writes the -v trace: a process of it whose disconnect comes
		   first waits for its trace, past the grace and past later lines
		   of the process (a spilled queue hands a process's lines over
		   out of order); "send HELO/EHLO first" was no probe */
		{P("00:34", 6) "disconnect from unknown[192.0.2.6] ehlo=1 auth=0/1 rset=1 quit=1 commands=3/4", "keep"},
		{P("00:30", 6) "connect from unknown[192.0.2.6]", "keep"},
		{P("00:36", 6) "connect from unknown[192.0.2.66]", "keep"},
		{P("02:00", 6) "disconnect from unknown[192.0.2.66] ehlo=1 quit=1 commands=2", "keep"},
		{P("00:31", 6) "< unknown[192.0.2.6]: AUTH LOGIN", "drop"},
		{P("00:32", 6) "> unknown[192.0.2.6]: 503 5.5.1 Error: send HELO/EHLO first", "drop"},
		/* a late SASL failure of an ended session counts for it, not for the next one */
		{P("01:00", 5) "connect from unknown[192.0.2.5]", "keep"},
		{P("01:03", 5) "disconnect from unknown[192.0.2.5] ehlo=2 starttls=1 auth=0/1 commands=3/4", "keep"},
		{P("01:04", 5) "connect from unknown[192.0.2.55]", "keep"},
		{P("01:02", 5) "warning: unknown[192.0.2.5]: SASL PLAIN authentication failed: x",
		 "keep +strike=saslfail:192.0.2.5:unknown[192.0.2.5]"},
		/* a line inside an ended session of another client decides nothing */
		{P("01:01", 5) "warning: unknown[192.0.2.56]: SASL PLAIN authentication failed: x", "keep"},
	};
	struct fixture *x = setup(NULL);

	RUN(x->f, rows);
	assert_int_equal(fold_counters(x->f)->foreign_client, 1);
	assert_int_equal(fold_counters(x->f)->strikes[REASON_NOAUTH], 3);
	assert_int_equal(fold_counters(x->f)->strikes[REASON_SASLFAIL], 2);
	assert_int_equal(fold_counters(x->f)->synthetic, 3);
	assert_int_equal(fold_pending(x->f), 0);
	teardown(x);
}

/* The same for the 503 replies of two probing sessions of one client
   (tests/rsyslog/spill.sh once lost the second one's): the second one's
   disconnect comes while the first is open, so the two look like one and
   the second one's AUTH and 503 land in it; when the middle bounds come,
   the later reply and AUTH go with the later session, which gives its own
   synthetic line and strike. */
static void test_same_client_replies(void **state)
{
	(void) state;
	static const struct row rows[] = {
		{P("00:00", 8) "connect from unknown[192.0.2.8]", "keep"},
		{P("00:01", 8) "< unknown[192.0.2.8]: AUTH LOGIN", "drop"},
		{P("00:02", 8) "> unknown[192.0.2.8]: 503 5.5.1 Error: authentication not enabled",
		 "drop +synthetic +strike=noauth:192.0.2.8:unknown[192.0.2.8]"},
		{P("00:07", 8) "disconnect from unknown[192.0.2.8] ehlo=1 auth=0/1 quit=1 commands=2/3", "keep"},
		{P("00:05", 8) "< unknown[192.0.2.8]: AUTH LOGIN", "drop"},
		{P("00:06", 8) "> unknown[192.0.2.8]: 503 5.5.1 Error: authentication not enabled", "drop"},
		{P("00:03", 8) "disconnect from unknown[192.0.2.8] ehlo=1 auth=0/1 quit=1 commands=2/3",
		 "keep +late(2026-11-26T18:00:06Z)+synthetic+strike=noauth:unknown[192.0.2.8]"},
		{P("00:04", 8) "connect from unknown[192.0.2.8]", "keep"},
	};
	struct fixture *x = setup(NULL);

	RUN(x->f, rows);
	assert_int_equal(fold_counters(x->f)->strikes[REASON_NOAUTH], 2);
	assert_int_equal(fold_counters(x->f)->synthetic, 2);
	teardown(x);
}

/* The reduced capture of issue 22 (one process of a 2,000-session burst
   through the shipped snippet, in the order rsyslog handed it over): the
   later AUTH and 503 of 2001:db8::2386 come first, then lines of later
   sessions of other clients, then the disconnect of the session before,
   then the earlier AUTH and 503. The two replies are 2 ms apart with no
   boundary of the process between them: one session, one strike. */
#define V(ts) "2026-11-26T18:46:" ts "+00:00 vm postfix/smtpd[7267]: "
static void test_issue22_capture(void **state)
{
	(void) state;
	static const struct row rows[] = {
		{V("49.095868") "< unknown[2001:db8::2386]: AUTH CRAM-MD5", "drop"},
		{V("49.095874") "> unknown[2001:db8::2386]: 503 5.5.1 Error: authentication not enabled",
		 "drop +synthetic +strike=noauth:2001:db8::2386:unknown[2001:db8::2386]"},
		{V("49.490112") "connect from unknown[198.51.100.20]", "keep"},
		{V("49.490300") "> unknown[198.51.100.20]: 220 mx.example.org ESMTP", "drop"},
		{V("49.491020") "< unknown[198.51.100.20]: EHLO a.example", "drop"},
		{V("49.491200") "> unknown[198.51.100.20]: 250-mx.example.org", "drop"},
		{V("49.491210") "> unknown[198.51.100.20]: 250 CHUNKING", "drop"},
		{V("49.492010") "< unknown[198.51.100.20]: QUIT", "drop"},
		{V("49.492100") "> unknown[198.51.100.20]: 221 2.0.0 Bye", "drop"},
		{V("49.492300") "match_hostname: smtpd_client_event_limit_exceptions: unknown ~? 127.0.0.0/8", "drop"},
		{V("49.492400") "disconnect from unknown[198.51.100.20] ehlo=1 quit=1 commands=2", "keep"},
		{V("50.101000") "connect from unknown[203.0.113.183]", "keep"},
		{V("50.101200") "> unknown[203.0.113.183]: 220 mx.example.org ESMTP", "drop"},
		{V("50.102000") "< unknown[203.0.113.183]: EHLO b.example", "drop"},
		{V("50.102100") "> unknown[203.0.113.183]: 250-mx.example.org", "drop"},
		{V("50.102110") "> unknown[203.0.113.183]: 250 CHUNKING", "drop"},
		{V("50.103000") "< unknown[203.0.113.183]: MAIL FROM:<a@b.example>", "drop"},
		{V("50.103100") "> unknown[203.0.113.183]: 250 2.1.0 Ok", "drop"},
		{V("50.104000") "< unknown[203.0.113.183]: QUIT", "drop"},
		{V("50.104100") "> unknown[203.0.113.183]: 221 2.0.0 Bye", "drop"},
		{V("50.104300") "disconnect from unknown[203.0.113.183] ehlo=1 mail=1 quit=1 commands=3", "keep"},
		{V("51.770000") "connect from unknown[2001:db8::2387]", "keep"},
		{V("51.770200") "> unknown[2001:db8::2387]: 220 mx.example.org ESMTP", "drop"},
		{V("51.771000") "< unknown[2001:db8::2387]: EHLO c.example", "drop"},
		{V("51.771100") "> unknown[2001:db8::2387]: 250-mx.example.org", "drop"},
		{V("51.771110") "> unknown[2001:db8::2387]: 250 CHUNKING", "drop"},
		{V("51.772000") "< unknown[2001:db8::2387]: RSET", "drop"},
		{V("51.772100") "> unknown[2001:db8::2387]: 250 2.0.0 Ok", "drop"},
		{V("51.773000") "< unknown[2001:db8::2387]: QUIT", "drop"},
		{V("51.773100") "> unknown[2001:db8::2387]: 221 2.0.0 Bye", "drop"},
		{V("51.773300") "disconnect from unknown[2001:db8::2387] ehlo=1 rset=1 quit=1 commands=3", "keep"},
		{V("51.780000") "connect from unknown[198.51.100.21]", "keep"},
		{V("49.089248") "disconnect from unknown[203.0.113.182] ehlo=1 auth=0/1 rset=1 quit=1 commands=3/4",
		 "keep"},
		{V("49.093867") "< unknown[2001:db8::2386]: AUTH LOGIN", "drop"},
		{V("49.093873") "> unknown[2001:db8::2386]: 503 5.5.1 Error: authentication not enabled", "drop"},
		{V("49.097000") "< unknown[2001:db8::2386]: QUIT", "drop"},
	};
	struct fixture *x = setup(NULL);

	RUN(x->f, rows);
	assert_int_equal(fold_counters(x->f)->strikes[REASON_NOAUTH], 1);
	assert_int_equal(fold_counters(x->f)->synthetic, 1);
	teardown(x);
}

/* Found by tests/order/order-search (verbose.rfc3339.log, seed 12, shrunk):
   two probing sessions of one client on one process; the second one's
   503 comes while the first is open and lands in it, its connect then
   takes it over, and its AUTH comes last, after both disconnects. The
   second session is owed its own synthetic line and strike. */
#define R(ts) "2026-11-26T19:27:" ts "+00:00 mx postfix/smtpd[21433]: "
static void test_search_back_to_back(void **state)
{
	(void) state;
	static const struct row rows[] = {
		{R("41.028484") "connect from unknown[192.0.2.10]", "keep"},
		{R("41.029340") "> unknown[192.0.2.10]: 503 5.5.1 Error: authentication not enabled", "drop"},
		{R("41.029334") "< unknown[192.0.2.10]: AUTH LOGIN",
		 "drop +late(2026-11-26T19:27:41.029340+00:00)+synthetic+strike=noauth:unknown[192.0.2.10]"},
		{R("41.631497") "> unknown[192.0.2.10]: 503 5.5.1 Error: authentication not enabled", "drop"},
		{R("41.630471") "connect from unknown[192.0.2.10]", "keep"},
		{R("41.029615") "disconnect from unknown[192.0.2.10] ehlo=1 auth=0/1 quit=1 commands=2/3", "keep"},
		{R("41.631863") "disconnect from unknown[192.0.2.10] ehlo=1 auth=0/1 quit=1 commands=2/3", "keep"},
		{R("41.631467") "< unknown[192.0.2.10]: AUTH LOGIN",
		 "drop +late(2026-11-26T19:27:41.631497+00:00)+synthetic+strike=noauth:unknown[192.0.2.10]"},
	};
	struct fixture *x = setup(NULL);

	RUN(x->f, rows);
	assert_int_equal(fold_counters(x->f)->strikes[REASON_NOAUTH], 2);
	assert_int_equal(fold_counters(x->f)->synthetic, 2);
	teardown(x);
}

/* The same with three sessions of the client (seed 3097, shrunk): the
   third one's 503 comes first and lands in the first. */
static void test_search_three_sessions(void **state)
{
	(void) state;
	static const struct row rows[] = {
		{R("40.419993") "connect from unknown[192.0.2.10]", "keep"},
		{R("41.631497") "> unknown[192.0.2.10]: 503 5.5.1 Error: authentication not enabled", "drop"},
		{R("40.427269") "> unknown[192.0.2.10]: 503 5.5.1 Error: authentication not enabled", "drop"},
		{R("40.427250") "< unknown[192.0.2.10]: AUTH LOGIN",
		 "drop +late(2026-11-26T19:27:40.427269+00:00)+synthetic+strike=noauth:unknown[192.0.2.10]"},
		{R("41.028484") "connect from unknown[192.0.2.10]", "keep"},
		{R("40.427605") "disconnect from unknown[192.0.2.10] ehlo=1 auth=0/1 quit=1 commands=2/3", "keep"},
		{R("41.029340") "> unknown[192.0.2.10]: 503 5.5.1 Error: authentication not enabled", "drop"},
		{R("41.029334") "< unknown[192.0.2.10]: AUTH LOGIN",
		 "drop +late(2026-11-26T19:27:41.029340+00:00)+synthetic+strike=noauth:unknown[192.0.2.10]"},
		{R("41.630471") "connect from unknown[192.0.2.10]", "keep"},
		{R("41.029615") "disconnect from unknown[192.0.2.10] ehlo=1 auth=0/1 quit=1 commands=2/3", "keep"},
		{R("41.631467") "< unknown[192.0.2.10]: AUTH LOGIN",
		 "drop +late(2026-11-26T19:27:41.631497+00:00)+synthetic+strike=noauth:unknown[192.0.2.10]"},
		{R("41.631863") "disconnect from unknown[192.0.2.10] ehlo=1 auth=0/1 quit=1 commands=2/3", "keep"},
	};
	struct fixture *x = setup(NULL);

	RUN(x->f, rows);
	assert_int_equal(fold_counters(x->f)->strikes[REASON_NOAUTH], 3);
	assert_int_equal(fold_counters(x->f)->synthetic, 3);
	teardown(x);
}

/* A SASL failure's session, three sessions of one client (seed 3838,
   shrunk): the middle one's disconnect comes first, the first one's
   connect then opens it, and the middle one's own connect splits it. */
static void test_search_sasl_middle(void **state)
{
	(void) state;
	static const struct row rows[] = {
		{R("09.189788") "disconnect from unknown[203.0.113.30] ehlo=2 starttls=1 auth=0/2 quit=1 commands=4/6",
		 "keep"},
		{R("09.798607") "< unknown[203.0.113.30]: AUTH x", "drop"},
		{R("09.798621") "warning: unknown[203.0.113.30]: SASL x: authentication failed: x",
		 "keep +strike=saslfail:203.0.113.30:unknown[203.0.113.30]"},
		{R("09.802114") "disconnect from unknown[203.0.113.30] ehlo=2 starttls=1 auth=0/1 quit=1 commands=4/5",
		 "keep"},
		{R("08.571293") "connect from unknown[203.0.113.30]", "keep"},
		{R("08.575797") "> unknown[203.0.113.30]: 221 2.7.0 Error: I can break rules, too. Goodbye.", "drop"},
		{R("09.177378") "connect from unknown[203.0.113.30]", "keep"},
		{R("08.576719") "disconnect from unknown[203.0.113.30] ehlo=1 unknown=0/1 commands=1/2", "keep"},
		{R("09.188475") "< unknown[203.0.113.30]: AUTH PLAIN x", "drop"},
		{R("09.188640") "warning: unknown[203.0.113.30]: SASL PLAIN authentication failed: authentication failure",
		 "keep +strike=saslfail:203.0.113.30:unknown[203.0.113.30]"},
		{R("09.188775") "< unknown[203.0.113.30]: AUTH LOGIN", "drop"},
		{R("09.189105") "warning: unknown[203.0.113.30]: SASL LOGIN authentication failed: authentication failure",
		 "keep"},
		{R("09.790666") "connect from unknown[203.0.113.30]", "keep"},
	};
	struct fixture *x = setup(NULL);

	RUN(x->f, rows);
	assert_int_equal(fold_counters(x->f)->strikes[REASON_SASLFAIL], 2);
	teardown(x);
}

/* The middle session's SASL failure comes while the first is open (seed
   100014 with lines displaced by up to 2,000, shrunk): when the first
   one's disconnect comes, it goes to a middle session, not to the third
   one whose connect came before. */
static void test_search_sasl_between(void **state)
{
	(void) state;
	static const struct row rows[] = {
		{R("08.571293") "connect from unknown[203.0.113.30]", "keep"},
		{R("09.189105") "warning: unknown[203.0.113.30]: SASL LOGIN authentication failed: authentication failure",
		 "keep +strike=saslfail:203.0.113.30:unknown[203.0.113.30]"},
		{R("09.792614") "> unknown[203.0.113.30]: 250 CHUNKING", "drop"},
		{R("09.790666") "connect from unknown[203.0.113.30]", "keep"},
		{R("08.575766") "< unknown[203.0.113.30]: x", "drop"},
		{R("08.576719") "disconnect from unknown[203.0.113.30] ehlo=1 unknown=0/1 commands=1/2", "keep"},
		{R("09.798621") "warning: unknown[203.0.113.30]: SASL x: authentication failed: x",
		 "keep +strike=saslfail:203.0.113.30:unknown[203.0.113.30]"},
		{R("09.188775") "< unknown[203.0.113.30]: AUTH LOGIN", "drop"},
		{R("09.177378") "connect from unknown[203.0.113.30]", "keep"},
		{R("09.188640") "warning: unknown[203.0.113.30]: SASL PLAIN authentication failed: authentication failure",
		 "keep"},
		{R("09.189788") "disconnect from unknown[203.0.113.30] ehlo=2 starttls=1 auth=0/2 quit=1 commands=4/6",
		 "keep"},
		{R("09.188475") "< unknown[203.0.113.30]: AUTH PLAIN x", "drop"},
		{R("09.798607") "< unknown[203.0.113.30]: AUTH x", "drop"},
		{R("09.802114") "disconnect from unknown[203.0.113.30] ehlo=2 starttls=1 auth=0/1 quit=1 commands=4/5",
		 "keep"},
	};
	struct fixture *x = setup(NULL);

	RUN(x->f, rows);
	assert_int_equal(fold_counters(x->f)->strikes[REASON_SASLFAIL], 2);
	teardown(x);
}

/* Three probing sessions of one client that looked like one before any of
   their bounds came (the hour's search on verbose.rfc3339.log, seed
   1127056, shrunk): the middle one's reply was lost when only the earliest
   and latest reply of a session were kept; each part keeps its own now,
   and each synthetic line carries its own session's reply. */
static void test_search_three_merged(void **state)
{
	(void) state;
	static const struct row rows[] = {
		{R("41.029340") "> unknown[192.0.2.10]: 503 5.5.1 Error: authentication not enabled", "drop"},
		{R("41.631467") "< unknown[192.0.2.10]: AUTH LOGIN", "drop"},
		{R("41.631863") "disconnect from unknown[192.0.2.10] ehlo=1 auth=0/1 quit=1 commands=2/3", "keep"},
		{R("41.631497") "> unknown[192.0.2.10]: 503 5.5.1 Error: authentication not enabled",
		 "drop +synthetic +strike=noauth:192.0.2.10:unknown[192.0.2.10]"},
		{R("40.419993") "connect from unknown[192.0.2.10]", "keep"},
		{R("40.427269") "> unknown[192.0.2.10]: 503 5.5.1 Error: authentication not enabled", "drop"},
		{R("40.427605") "disconnect from unknown[192.0.2.10] ehlo=1 auth=0/1 quit=1 commands=2/3", "keep"},
		{R("40.427250") "< unknown[192.0.2.10]: AUTH LOGIN",
		 "drop +late(2026-11-26T19:27:40.427269+00:00)+synthetic+strike=noauth:unknown[192.0.2.10]"},
		{R("41.028484") "connect from unknown[192.0.2.10]", "keep"},
		{R("41.029615") "disconnect from unknown[192.0.2.10] ehlo=1 auth=0/1 quit=1 commands=2/3", "keep"},
		{R("41.630471") "connect from unknown[192.0.2.10]", "keep"},
		{R("41.029334") "< unknown[192.0.2.10]: AUTH LOGIN",
		 "drop +late(2026-11-26T19:27:41.029340+00:00)+synthetic+strike=noauth:unknown[192.0.2.10]"},
	};
	struct fixture *x = setup(NULL);

	RUN(x->f, rows);
	assert_int_equal(fold_counters(x->f)->strikes[REASON_NOAUTH], 3);
	assert_int_equal(fold_counters(x->f)->synthetic, 3);
	teardown(x);
}

/* session(3)'s evidence marks: sorted, each time once, the second earliest
   goes when full, and a split divides them at a time. */
static void test_session_marks(void **state)
{
	(void) state;
	struct session_table *t = session_table_new(8, 3600 * INT64_C(1000000));
	struct session_proc *p;
	struct session *a, *b;
	struct addr addr;
	const struct span client = {"unknown[192.0.2.1]", 18}, host = {"mx", 2}, tag = {"postfix/smtpd", 13};
	static const int64_t times[] = {5, 1, 3, 9, 7, 3, 1};

	assert_non_null(t);
	assert_int_equal(addr_parse("192.0.2.1", 9, &addr), 0);
	assert_int_equal(session_proc_get(t, host, tag, 1, &p), 0);
	assert_int_equal(session_new(t, p, client, &addr, 0, &a), 0);
	assert_int_equal(session_new(t, p, client, &addr, 6, &b), 0);
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		char ts[8];

		snprintf(ts, sizeof(ts), "t%lld", (long long) times[i]);
		assert_int_equal(session_mark_reply(a, times[i], ts, (uint8_t) strlen(ts)), 0);
		assert_int_equal(session_mark_auth(a, times[i]), 0);
	}
	/* 5; 1 5; 1 3 5; 1 3 5 9; 7 drops 3: 1 5 7 9; 3 would be the second: gone; 1 is there */
	assert_int_equal(a->marks->nreply, SESSION_MARKS_MAX);
	assert_int_equal(a->marks->reply[0].usec, 1);
	assert_int_equal(a->marks->reply[1].usec, 5);
	assert_int_equal(a->marks->reply[2].usec, 7);
	assert_int_equal(a->marks->reply[3].usec, 9);
	assert_int_equal(a->reply_usec, 1);
	assert_int_equal(a->reply_hi, 9);
	assert_memory_equal(a->reply_hi_ts, "t9", 2);
	assert_int_equal(a->auth_usec, 1);
	assert_int_equal(a->auth_hi, 9);
	assert_int_equal(session_reply_from(a, 2)->usec, 5);
	assert_null(session_reply_from(a, 10));
	/* a split at 7: 7 and 9 go to b, 1 and 5 stay; b had no evidence, no marks */
	assert_null(b->marks);
	assert_true(session_marks_split(a, b, 7, false));
	assert_int_equal(a->marks->nreply, 2);
	assert_int_equal(a->reply_hi, 5);
	assert_memory_equal(a->reply_hi_ts, "t5", 2);
	assert_int_equal(b->marks->nreply, 2);
	assert_int_equal(b->reply_usec, 7);
	assert_int_equal(b->auth_usec, 7);
	assert_false(b->saslfail);
	assert_int_equal(session_mark_sasl(b, 8), 0);
	assert_true(b->saslfail);
	assert_int_equal(b->sasl_lo, 8);
	assert_false(session_marks_split(a, b, 6, true));	/* nothing of a past 6 */
	/* a state file's ends rebuild the marks */
	b->marks->nreply = b->marks->nauth = b->marks->nsasl = 0;
	assert_int_equal(session_marks_restore(b), 0);
	assert_int_equal(b->marks->nreply, 2);
	assert_int_equal(b->marks->nauth, 2);
	assert_int_equal(b->marks->nsasl, 1);
	assert_true(b->saslfail);
	session_table_free(t);
}

/* A disconnect that comes before any -v trace of its host: once the host
   writes the trace, the session waits for its own, past the grace. */
static void test_traced_later(void **state)
{
	(void) state;
	static const struct row rows[] = {
		{"2026-11-26T18:00:05Z mx3 postfix/smtpd[20]: disconnect from unknown[192.0.2.20] ehlo=1 auth=0/1 rset=1 "
		 "quit=1 commands=3/4", "keep"},
		{"2026-11-26T18:00:06Z mx3 postfix/smtpd[21]: connect from unknown[192.0.2.21]", "keep"},
		{"2026-11-26T18:00:07Z mx3 postfix/smtpd[21]: < unknown[192.0.2.21]: EHLO x", "drop"},
		{"2026-11-26T18:03:00Z mx3 postfix/smtpd[21]: disconnect from unknown[192.0.2.21] ehlo=1 quit=1 commands=2",
		 "keep"},
		{"2026-11-26T18:00:01Z mx3 postfix/smtpd[20]: connect from unknown[192.0.2.20]", "keep"},
		{"2026-11-26T18:00:02Z mx3 postfix/smtpd[20]: < unknown[192.0.2.20]: AUTH LOGIN", "drop"},
		{"2026-11-26T18:00:02Z mx3 postfix/smtpd[20]: > unknown[192.0.2.20]: 503 5.5.1 Error: send HELO/EHLO first",
		 "drop"},
	};
	struct fixture *x = setup(NULL);

	RUN(x->f, rows);
	assert_int_equal(fold_counters(x->f)->strikes[REASON_NOAUTH], 0);
	assert_int_equal(fold_counters(x->f)->synthetic, 0);
	assert_int_equal(fold_pending(x->f), 0);
	teardown(x);
}

/* Two sessions of one client on one process whose middle bounds come late. */
static void test_same_client(void **state)
{
	(void) state;
	static const struct row rows[] = {
		{P("00:00", 7) "connect from unknown[192.0.2.7]", "keep"},
		{P("00:01", 7) "warning: unknown[192.0.2.7]: SASL LOGIN authentication failed: x",
		 "keep +strike=saslfail:192.0.2.7:unknown[192.0.2.7]"},
		/* the second session's failure, before its bounds: counted with the first for now */
		{P("00:05", 7) "warning: unknown[192.0.2.7]: SASL LOGIN authentication failed: x", "keep"},
		{P("00:06", 7) "disconnect from unknown[192.0.2.7] ehlo=2 starttls=1 auth=0/1 commands=3/4", "keep"},
		/* the first session's disconnect: the failure at 00:05 was another session's */
		{P("00:02", 7) "disconnect from unknown[192.0.2.7] ehlo=2 starttls=1 auth=0/1 commands=3/4",
		 "keep +late(-)+strike=saslfail:unknown[192.0.2.7]"},
		{P("00:04", 7) "connect from unknown[192.0.2.7]", "keep"},
	};
	struct fixture *x = setup(NULL);

	RUN(x->f, rows);
	assert_int_equal(fold_counters(x->f)->strikes[REASON_SASLFAIL], 2);
	teardown(x);
}

/* A connect inside an ended session of another client: the clock went back. */
static void test_clock_step(void **state)
{
	(void) state;
	static const char *const kv[] = {"session_idle", "10m", NULL};
	static const struct row rows[] = {
		{P("10:00", 8) "connect from unknown[192.0.2.8]", "keep"},
		{P("10:05", 8) "disconnect from unknown[192.0.2.8] ehlo=1 quit=1 commands=2", "keep"},
		{P("10:02", 8) "connect from unknown[192.0.2.88]", "keep"},
		{P("10:03", 8) "disconnect from unknown[192.0.2.88] ehlo=1 auth=0/1 commands=1/2",
		 "keep +synthetic-before +strike=noauth:192.0.2.88:unknown[192.0.2.88]"},
		/* a jump back past the window is a step too, not a late line */
		{P("00:00", 9) "connect from unknown[192.0.2.9]", "keep"},
		{P("00:01", 9) "disconnect from unknown[192.0.2.9] ehlo=1 auth=0/1 commands=1/2",
		 "keep +synthetic-before +strike=noauth:192.0.2.9:unknown[192.0.2.9]"},
	};
	struct fixture *x = setup(kv);

	RUN(x->f, rows);
	assert_int_equal(session_counters(fold_sessions(x->f))->clock_steps, 2);
	teardown(x);
}

/* A restarted host's processes reuse pids, later in time: no conflict,
   and a late line of the old process's session still counts for it. */
static void test_pid_reuse(void **state)
{
	(void) state;
	static const struct row rows[] = {
		{P("10:00", 11) "connect from unknown[192.0.2.11]", "keep"},
		{P("10:01", 11) "< unknown[192.0.2.11]: AUTH LOGIN", "drop"},
		{P("10:03", 11) "disconnect from unknown[192.0.2.11] ehlo=1 auth=0/1 commands=1/2", "keep"},
		/* the host restarted: a new smtpd with the same pid */
		{P("10:20", 11) "connect from unknown[192.0.2.11]", "keep"},
		{P("10:21", 11) "< unknown[192.0.2.11]: AUTH PLAIN", "drop"},
		{P("10:21", 11) "> unknown[192.0.2.11]: 503 5.5.1 Error: authentication not enabled",
		 "drop +synthetic +strike=noauth:192.0.2.11:unknown[192.0.2.11]"},
		/* the old session's reply, late: its own session, its own strike */
		{P("10:02", 11) "> unknown[192.0.2.11]: 503 5.5.1 Error: authentication not enabled",
		 "drop +synthetic +strike=noauth:192.0.2.11:unknown[192.0.2.11]"},
		{P("10:22", 11) "disconnect from unknown[192.0.2.11] ehlo=1 auth=0/1 commands=1/2", "keep"},
	};
	struct fixture *x = setup(NULL);

	RUN(x->f, rows);
	assert_int_equal(fold_counters(x->f)->strikes[REASON_NOAUTH], 2);
	assert_int_equal(session_counters(fold_sessions(x->f))->clock_steps, 0);
	teardown(x);
}

/* A transport that redelivers (rsyslog RELP after a restart) sends lines
   a second time, later: the whole stream again, or a window of it that
   begins inside a session. A line the session already has (its connect,
   its disconnect, evidence at a time it has) belongs to that session and
   adds nothing: one strike and one synthetic line per session, and the
   kept lines still pass through. The times have microseconds: with whole
   seconds a connect in the second its client's last session began and
   ended, or one while that session is open, may be a next session (it
   is taken as one, as before). */
#define DUP_A1 P("20:00.25", 21) "connect from unknown[192.0.2.21]"
#define DUP_A2 P("20:01.25", 21) "< unknown[192.0.2.21]: AUTH LOGIN"
#define DUP_A3 P("20:02.25", 21) "> unknown[192.0.2.21]: 503 5.5.1 Error: authentication not enabled"
#define DUP_A4 P("20:03.25", 21) "disconnect from unknown[192.0.2.21] ehlo=1 auth=0/1 commands=1/2"
#define DUP_B1 P("20:04.25", 21) "connect from unknown[192.0.2.22]"
#define DUP_B2 P("20:05.25", 21) "warning: unknown[192.0.2.22]: SASL LOGIN authentication failed: UGFzc3dvcmQ6"
#define DUP_B3 P("20:06.25", 21) "disconnect from unknown[192.0.2.22] ehlo=1 auth=0/1 commands=1/2"
#define DUP_C1 PLAIN("20:07.25", 31) "connect from unknown[192.0.2.31]"
#define DUP_C2 PLAIN("20:08.25", 31) "disconnect from unknown[192.0.2.31] ehlo=1 auth=0/1 quit=1 commands=2/3"
#define DUP_D1 P("20:10.25", 21) "connect from unknown[192.0.2.23]"
#define DUP_D2 P("20:11.25", 21) "< unknown[192.0.2.23]: AUTH PLAIN"
#define DUP_D3 P("20:12.25", 21) "> unknown[192.0.2.23]: 503 5.5.1 Error: authentication not enabled"
#define DUP_D4 P("20:13.25", 21) "disconnect from unknown[192.0.2.23] ehlo=1 auth=0/1 commands=1/2"

static void test_duplicates(void **state)
{
	(void) state;
	static const struct row first[] = {
		{DUP_A1, "keep"},
		{DUP_A2, "drop"},
		{DUP_A3, "drop +synthetic +strike=noauth:192.0.2.21:unknown[192.0.2.21]"},
		{DUP_A4, "keep"},
		{DUP_B1, "keep"},
		{DUP_B2, "keep +strike=saslfail:192.0.2.22:unknown[192.0.2.22]"},
		{DUP_B3, "keep"},
		{DUP_C1, "keep"},
		{DUP_C2, "keep +synthetic-before +strike=noauth:192.0.2.31:unknown[192.0.2.31]"},
	};
	/* the whole stream again */
	static const struct row again[] = {
		{DUP_A1, "keep"}, {DUP_A2, "drop"}, {DUP_A3, "drop"}, {DUP_A4, "keep"},
		{DUP_B1, "keep"}, {DUP_B2, "keep"}, {DUP_B3, "keep"},
		{DUP_C1, "keep"}, {DUP_C2, "keep"},
	};
	/* a session still open when the window from inside B is resent */
	static const struct row later[] = {
		{DUP_D1, "keep"},
		{DUP_D2, "drop"},
		{DUP_D3, "drop +synthetic +strike=noauth:192.0.2.23:unknown[192.0.2.23]"},
		{DUP_B2, "keep"}, {DUP_B3, "keep"}, {DUP_C1, "keep"}, {DUP_C2, "keep"},
		{DUP_D1, "keep"}, {DUP_D2, "drop"}, {DUP_D3, "drop"},
		{DUP_D4, "keep"},
		{DUP_D4, "keep"},
	};
	struct fixture *x = setup(NULL);
	const struct fold_counters *c = fold_counters(x->f);
	struct session_table *t = fold_sessions(x->f);

	RUN(x->f, first);
	RUN(x->f, again);
	RUN(x->f, later);
	assert_int_equal(c->strikes[REASON_NOAUTH], 3);
	assert_int_equal(c->strikes[REASON_SASLFAIL], 1);
	assert_int_equal(c->synthetic, 3);
	assert_int_equal(c->kept, 7 + 7 + 8);
	assert_int_equal(fold_pending(x->f), 0);
	assert_int_equal(session_total(t), 4);
	assert_int_equal(session_count(t), 0);
	assert_int_equal(session_counters(t)->opened, 4);
	assert_int_equal(session_counters(t)->adopted, 0);
	assert_int_equal(session_counters(t)->disconnected, 4);
	assert_int_equal(session_counters(t)->clock_steps, 0);
	teardown(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verbose_probe),
		cmocka_unit_test(test_stats_rule),
		cmocka_unit_test(test_port_logging),
		cmocka_unit_test(test_other_503),
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_interleaved_hosts),
		cmocka_unit_test(test_replace),
		cmocka_unit_test(test_max_sessions),
		cmocka_unit_test(test_idle_expiry),
		cmocka_unit_test(test_forged),
		cmocka_unit_test(test_result_self_contained),
		cmocka_unit_test(test_reorder),
		cmocka_unit_test(test_traced_later),
		cmocka_unit_test(test_same_client_replies),
		cmocka_unit_test(test_same_client),
		cmocka_unit_test(test_issue22_capture),
		cmocka_unit_test(test_search_back_to_back),
		cmocka_unit_test(test_search_three_sessions),
		cmocka_unit_test(test_search_sasl_middle),
		cmocka_unit_test(test_search_sasl_between),
		cmocka_unit_test(test_search_three_merged),
		cmocka_unit_test(test_session_marks),
		cmocka_unit_test(test_clock_step),
		cmocka_unit_test(test_pid_reuse),
		cmocka_unit_test(test_duplicates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

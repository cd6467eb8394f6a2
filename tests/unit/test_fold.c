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

static void run(struct fold *f, const struct row *rows, size_t nrows)
{
	for (size_t i = 0; i < nrows; i++) {
		struct record r;
		struct fold_result res;
		char got[512];

		record_parse(rows[i].line, strlen(rows[i].line), 0, &r);
		assert_int_equal(fold_line(f, &r, &res), 0);
		verdict(&res, got, sizeof(got));
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
		/* a disconnect with no session (connect before the log began) still counts */
		{MX1(7) "disconnect from unknown[192.0.2.7] ehlo=1 auth=0/1 quit=1 commands=2/3",
		 "keep +synthetic-before +strike=noauth:192.0.2.7:unknown[192.0.2.7]"},
		/* the submission service and postfix-out instances are smtpd too */
		{T0 "mx1 postfix/submission/smtpd[8]: connect from unknown[2001:db8::8]", "keep"},
		{T0 "mx1 postfix/submission/smtpd[8]: disconnect from unknown[2001:db8::8] ehlo=1 auth=0/1 commands=1/2",
		 "keep +synthetic-before +strike=noauth:2001:db8::8:unknown[2001:db8::8]"},
		{T0 "mx1 postfix-out/smtpd[9]: disconnect from unknown[192.0.2.9] ehlo=1 auth=0/1 commands=1/2",
		 "keep +synthetic-before +strike=noauth:192.0.2.9:unknown[192.0.2.9]"},
		/* not smtpd */
		{T0 "mx1 postfix/smtp[10]: disconnect from unknown[192.0.2.10] ehlo=1 auth=0/1 commands=1/2", "pass"},
		{T0 "mx1 postfix/submission/smtpd/x[10]: disconnect from unknown[192.0.2.10] ehlo=1 auth=0/1", "pass"},
	};
	struct fixture *x = setup(NULL);

	RUN(x->f, rows);
	assert_int_equal(fold_counters(x->f)->strikes[REASON_NOAUTH], 4);
	assert_int_equal(fold_counters(x->f)->strikes[REASON_SASLFAIL], 1);
	assert_int_equal(fold_counters(x->f)->synthetic, 4);
	teardown(x);
}

/* Other 503s are not probes; a 503 counts only as the reply to an AUTH. */
static void test_other_503(void **state)
{
	(void) state;
	static const struct row rows[] = {
		{MX1(20) "connect from unknown[192.0.2.20]", "keep"},
		{MX1(20) "< unknown[192.0.2.20]: AUTH LOGIN", "drop"},
		{MX1(20) "> unknown[192.0.2.20]: 503 5.5.1 Error: send HELO/EHLO first", "drop"},
		{MX1(20) "< unknown[192.0.2.20]: EHLO x", "drop"},
		{MX1(20) "> unknown[192.0.2.20]: 250 ok", "drop"},
		{MX1(20) "< unknown[192.0.2.20]: MAIL FROM:<a@b>", "drop"},
		/* the right text, but not the reply to an AUTH */
		{MX1(20) "> unknown[192.0.2.20]: 503 5.5.1 Error: authentication not enabled", "drop"},
		{MX1(20) "< unknown[192.0.2.20]: AUTH LOGIN", "drop"},
		{MX1(20) "> unknown[192.0.2.20]: 503 5.5.1 Error: already authenticated", "drop"},
		/* the reply to AUTHX is not the reply to AUTH */
		{MX1(20) "< unknown[192.0.2.20]: AUTHX LOGIN", "drop"},
		{MX1(20) "> unknown[192.0.2.20]: 503 5.5.1 Error: authentication not enabled", "drop"},
		/* a command faking the reply is a command */
		{MX1(20) "< unknown[192.0.2.20]: AUTH LOGIN", "drop"},
		{MX1(20) "< unknown[192.0.2.20]: > unknown[192.0.2.20]: 503 5.5.1 Error: authentication not enabled",
		 "drop"},
		{MX1(20) "> unknown[192.0.2.20]: 503 5.5.1 Error: authentication not enabled", "drop"},
		/* a verbose session never takes the stats rule */
		{MX1(20) "disconnect from unknown[192.0.2.20] ehlo=1 auth=0/3 mail=1 quit=1 commands=3/6", "keep"},
		/* lowercase auth is AUTH */
		{MX1(21) "connect from unknown[192.0.2.21]", "keep"},
		{MX1(21) "< unknown[192.0.2.21]: auth login", "drop"},
		{MX1(21) "> unknown[192.0.2.21]: 503 5.5.1 Error: authentication not enabled",
		 "drop +synthetic +strike=noauth:192.0.2.21:unknown[192.0.2.21]"},
		{MX1(21) "disconnect from unknown[192.0.2.21] ehlo=1 auth=0/1 commands=1/2", "keep"},
	};
	struct fixture *x = setup(NULL);

	RUN(x->f, rows);
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
		/* mx2's pid 500 has another client: this reply is not its session's */
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
	assert_int_equal(fold_counters(x->f)->foreign_client, 1);
	assert_int_equal(session_count(fold_sessions(x->f)), 0);
	teardown(x);
}

/* A new connect on a busy pid closes the old session. */
static void test_replace(void **state)
{
	(void) state;
	static const struct row rows[] = {
		{MX1(600) "connect from unknown[192.0.2.60]", "keep"},
		{MX1(600) "< unknown[192.0.2.60]: AUTH LOGIN", "drop"},
		{MX1(600) "connect from unknown[192.0.2.61]", "keep"},
		/* the old client's reply no longer belongs to a session */
		{MX1(600) "> unknown[192.0.2.60]: 503 5.5.1 Error: authentication not enabled", "drop"},
		/* the new session did not send AUTH */
		{MX1(600) "> unknown[192.0.2.61]: 503 5.5.1 Error: authentication not enabled", "drop"},
		{MX1(600) "< unknown[192.0.2.61]: AUTH LOGIN", "drop"},
		{MX1(600) "> unknown[192.0.2.61]: 503 5.5.1 Error: authentication not enabled",
		 "drop +synthetic +strike=noauth:192.0.2.61:unknown[192.0.2.61]"},
		/* a disconnect naming the lost client: judged alone, the open session stays */
		{MX1(600) "disconnect from unknown[192.0.2.60] ehlo=1 auth=0/1 commands=1/2",
		 "keep +synthetic-before +strike=noauth:192.0.2.60:unknown[192.0.2.60]"},
		{MX1(600) "disconnect from unknown[192.0.2.61] ehlo=1 auth=0/1 commands=1/2", "keep"},
	};
	struct fixture *x = setup(NULL);

	RUN(x->f, rows);
	const struct session_counters *s = session_counters(fold_sessions(x->f));

	assert_int_equal(s->replaced, 1);
	assert_int_equal(session_count(fold_sessions(x->f)), 0);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verbose_probe),
		cmocka_unit_test(test_stats_rule),
		cmocka_unit_test(test_other_503),
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_interleaved_hosts),
		cmocka_unit_test(test_replace),
		cmocka_unit_test(test_max_sessions),
		cmocka_unit_test(test_idle_expiry),
		cmocka_unit_test(test_forged),
		cmocka_unit_test(test_result_self_contained),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

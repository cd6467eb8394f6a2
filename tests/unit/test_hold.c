/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_hold - holding judgement while the auth server is in trouble:
 * hold(3) alone, then the engine on log excerpts, in order and not.
 *
 * Each engine row is a log excerpt (arrival order, each line with its own
 * time), the configuration, and the strikes (by address) the events log
 * must hold once the input ended, plus how many SASL strikes may already
 * be in it right after the last line (the rest still waits).
 */

#include "engine.h"
#include "hold.h"
#include "state.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define SEC 1000000LL
#define S(lit) ((struct span) {lit, sizeof(lit) - 1})

static void test_hold_windows(void **state)
{
	struct hold *h = hold_new(60 * SEC);

	(void) state;
	assert_non_null(h);
	assert_false(hold_troubled(h, S("mx1"), S("postfix/smtpd"), 1000 * SEC));
	hold_trouble(h, S("mx1"), S("postfix/smtpd"), 1000 * SEC);
	/* 60 s before and after, not further */
	assert_true(hold_troubled(h, S("mx1"), S("postfix/smtpd"), 940 * SEC));
	assert_true(hold_troubled(h, S("mx1"), S("postfix/smtpd"), 1060 * SEC));
	assert_false(hold_troubled(h, S("mx1"), S("postfix/smtpd"), 939 * SEC));
	assert_false(hold_troubled(h, S("mx1"), S("postfix/smtpd"), 1061 * SEC));
	/* another origin: another host, another tag */
	assert_false(hold_troubled(h, S("mx2"), S("postfix/smtpd"), 1000 * SEC));
	assert_false(hold_troubled(h, S("mx1"), S("postfix/submission/smtpd"), 1000 * SEC));
	/* signs less than two windows apart make one interval, out of order too */
	hold_trouble(h, S("mx1"), S("postfix/smtpd"), 1100 * SEC);
	hold_trouble(h, S("mx1"), S("postfix/smtpd"), 900 * SEC);
	assert_true(hold_troubled(h, S("mx1"), S("postfix/smtpd"), 1160 * SEC));
	assert_true(hold_troubled(h, S("mx1"), S("postfix/smtpd"), 840 * SEC));
	/* a far one is an interval of its own; the gap between is not trouble */
	hold_trouble(h, S("mx1"), S("postfix/smtpd"), 5000 * SEC);
	assert_true(hold_troubled(h, S("mx1"), S("postfix/smtpd"), 5030 * SEC));
	assert_false(hold_troubled(h, S("mx1"), S("postfix/smtpd"), 3000 * SEC));
	/* HOLD_SPANS intervals: the oldest goes */
	for (int i = 0; i < HOLD_SPANS; i++)
		hold_trouble(h, S("mx1"), S("postfix/smtpd"), (10000 + 1000 * i) * SEC);
	assert_false(hold_troubled(h, S("mx1"), S("postfix/smtpd"), 1000 * SEC));
	assert_true(hold_troubled(h, S("mx1"), S("postfix/smtpd"), 10000 * SEC));
	/* HOLD_ORIGINS origins: the one longest without trouble goes, bounded */
	for (int i = 0; i < HOLD_ORIGINS; i++) {
		char host[32];
		int n = snprintf(host, sizeof(host), "other%d", i);

		hold_trouble(h, (struct span) {host, (size_t) n}, S("postfix/smtpd"), (20000 + i) * SEC);
	}
	assert_false(hold_troubled(h, S("mx1"), S("postfix/smtpd"), 10000 * SEC));
	assert_true(hold_troubled(h, S("other0"), S("postfix/smtpd"), 20000 * SEC));
	hold_free(h);
}

static void test_hold_queue(void **state)
{
	struct hold *h = hold_new(60 * SEC);
	struct record r;
	struct addr a;
	static const char line[] = "2026-12-07T10:00:00.000000+00:00 mx1 postfix/smtpd[7]: warning: x";
	const struct hold_strike *s;

	(void) state;
	assert_non_null(h);
	record_parse(line, sizeof(line) - 1, 0, &r);
	assert_int_equal(addr_parse("192.0.2.7", 9, &a), 0);
	for (int i = 0; i < HOLD_MAX; i++)
		assert_int_equal(hold_put(h, &r, "sasl-failed", REASON_SASLFAIL, &a, "unknown[192.0.2.7]", 18), 0);
	assert_int_equal(hold_put(h, &r, "sasl-failed", REASON_SASLFAIL, &a, "unknown[192.0.2.7]", 18), -ENOSPC);
	assert_null(hold_due(h, r.usec + 59 * SEC));
	assert_non_null(s = hold_due(h, r.usec + 60 * SEC));
	/* the record is rebuilt: timestamp text, host, tag, pid, time */
	assert_int_equal(s->r.ts.len, 32);
	assert_memory_equal(s->r.ts.p, line, 32);
	assert_int_equal(s->r.host.len, 3);
	assert_memory_equal(s->r.host.p, "mx1", 3);
	assert_memory_equal(s->r.tag.p, "postfix/smtpd", 13);
	assert_int_equal(s->r.pid, 7);
	assert_int_equal(s->r.usec, r.usec);
	assert_memory_equal(s->client, "unknown[192.0.2.7]", 18);
	for (int i = 0; i < HOLD_MAX; i++)
		hold_pop(h);
	assert_int_equal(hold_count(h), 0);
	assert_null(hold_due(h, INT64_MAX));
	assert_int_equal(hold_counters(h)->held, HOLD_MAX);
	hold_free(h);
}

#define T(sec) "2026-12-07T10:" #sec "+00:00 "
#define LOST ": SASL LOGIN authentication failed: Connection lost to authentication server"
#define BAD ": SASL LOGIN authentication failed: (reason unavailable), sasl_username=alice"
#define CONN "warning: SASL: Connect to Dovecot auth socket 'private/auth' failed: No such file or directory"

struct row {
	const char *what;
	const char *hold;		/* authserver_hold, NULL: default */
	const char *reasons;		/* NULL: default */
	const char *lines[12];
	const char *struck;		/* addresses struck, in order, space separated */
	int early;			/* SASL strikes in the events log before the end of input */
};

static const struct row rows[] = {
	{"a wrong password alone strikes, after the window", NULL, NULL,
	 {T(00:00.000000) "mx1 postfix/smtpd[1]: warning: unknown[192.0.2.1]" BAD}, "192.0.2.1", 0},
	{"the issue's two lines strike nobody", NULL, NULL,
	 {"Feb  3 08:29:28 mail postfix/smtpd[21022]: warning: unknown[192.0.2.20]" LOST,
	  "Feb  3 08:29:30 mail postfix/smtpd[21023]: warning: host[192.0.2.5]: SASL CRAM-MD5 authentication failed: "
	  "Invalid authentication mechanism"}, "", 0},
	{"a failure 30 s before the server's is held", NULL, NULL,
	 {T(00:00.000000) "mx1 postfix/smtpd[1]: warning: unknown[192.0.2.1]" BAD,
	  T(00:30.000000) "mx1 postfix/smtpd[2]: warning: unknown[192.0.2.2]" LOST}, "", 0},
	{"and 30 s after it", NULL, NULL,
	 {T(00:30.000000) "mx1 postfix/smtpd[2]: warning: unknown[192.0.2.2]" LOST,
	  T(01:00.000000) "mx1 postfix/smtpd[1]: warning: unknown[192.0.2.1]" BAD}, "", 0},
	{"out of order: the server's line arrives after the client's, timestamped before", NULL, NULL,
	 {T(01:00.000000) "mx1 postfix/smtpd[1]: warning: unknown[192.0.2.1]" BAD,
	  T(01:10.000000) "mx1 postfix/smtpd[3]: connect from unknown[198.51.100.3]",
	  T(00:20.000000) "mx1 postfix/smtpd[2]: warning: unknown[192.0.2.2]" LOST}, "", 0},
	{"out of order: the backend warning arrives last, timestamped after", NULL, NULL,
	 {T(01:00.000000) "mx1 postfix/smtpd[1]: warning: unknown[192.0.2.1]" BAD,
	  T(01:40.000000) "mx1 postfix/smtpd[2]: " CONN}, "", 0},
	{"Postfix's warning that the backend is unreachable holds too", NULL, NULL,
	 {T(00:00.000000) "mx1 postfix/smtpd[2]: " CONN,
	  T(00:50.000000) "mx1 postfix/smtpd[1]: warning: unknown[192.0.2.1]" BAD,
	  T(02:00.000000) "mx1 postfix/smtpd[4]: warning: unknown[192.0.2.4]" BAD}, "192.0.2.4", 0},
	{"a failure past the window strikes, given once the log clock passes it", NULL, NULL,
	 {T(00:00.000000) "mx1 postfix/smtpd[2]: warning: unknown[192.0.2.2]" LOST,
	  T(02:00.000000) "mx1 postfix/smtpd[1]: warning: unknown[192.0.2.1]" BAD,
	  T(03:01.000000) "mx1 postfix/smtpd[3]: connect from unknown[198.51.100.3]"}, "192.0.2.1", 1},
	{"trouble at another host holds nothing", NULL, NULL,
	 {T(00:00.000000) "mx1 postfix/smtpd[1]: warning: unknown[192.0.2.1]" BAD,
	  T(00:10.000000) "mx2 postfix/smtpd[2]: warning: unknown[192.0.2.2]" LOST}, "192.0.2.1", 0},
	{"trouble of another Postfix service (tag) holds nothing", NULL, NULL,
	 {T(00:00.000000) "mx1 postfix/smtpd[1]: warning: unknown[192.0.2.1]" BAD,
	  T(00:10.000000) "mx1 postfix/submission/smtpd[2]: " CONN}, "192.0.2.1", 0},
	{"trouble that comes after the window was over cannot cancel (documented)", NULL, NULL,
	 {T(00:00.000000) "mx1 postfix/smtpd[1]: warning: unknown[192.0.2.1]" BAD,
	  T(01:01.000000) "mx1 postfix/smtpd[3]: connect from unknown[198.51.100.3]",
	  T(00:10.000000) "mx1 postfix/smtpd[2]: warning: unknown[192.0.2.2]" LOST}, "192.0.2.1", 1},
	{"authserver_hold = 0: no hold (the server's failure still never strikes)", "0", NULL,
	 {T(00:00.000000) "mx1 postfix/smtpd[1]: warning: unknown[192.0.2.1]" BAD,
	  T(00:10.000000) "mx1 postfix/smtpd[2]: warning: unknown[192.0.2.2]" LOST}, "192.0.2.1", 1},
	{"a longer window", "5m", NULL,
	 {T(00:00.000000) "mx1 postfix/smtpd[1]: warning: unknown[192.0.2.1]" BAD,
	  T(04:00.000000) "mx1 postfix/smtpd[2]: warning: unknown[192.0.2.2]" LOST}, "", 0},
	{"badmech strikes only when asked, and is held like saslfail", NULL, "noauth saslfail badmech",
	 {T(00:00.000000) "mx1 postfix/smtpd[1]: warning: unknown[192.0.2.1]: SASL CRAM-MD5 authentication failed: "
	  "Invalid authentication mechanism: 'CRAM-MD5', sasl_username=(unavailable)",
	  T(00:00.000000) "mx1 postfix/smtpd[5]: warning: unknown[192.0.2.5]: SASL CRAM-MD5 authentication failed: "
	  "Invalid authentication mechanism: 'CRAM-MD5', sasl_username=(unavailable)",
	  T(00:30.000000) "mx2 postfix/smtpd[2]: " CONN,
	  T(00:40.000000) "mx1 postfix/smtpd[2]: " CONN}, "", 0},
	{"badmech off by default", NULL, NULL,
	 {T(00:00.000000) "mx1 postfix/smtpd[1]: warning: unknown[192.0.2.1]: SASL CRAM-MD5 authentication failed: "
	  "Invalid authentication mechanism"}, "", 0},
	{"noauth is never held", NULL, NULL,
	 {T(00:00.000000) "mx1 postfix/smtpd[1]: connect from unknown[192.0.2.9]",
	  T(00:01.000000) "mx1 postfix/smtpd[1]: disconnect from unknown[192.0.2.9] ehlo=1 auth=0/1 commands=1/2",
	  T(00:10.000000) "mx1 postfix/smtpd[2]: " CONN}, "192.0.2.9", 0},
};

static int count_lines(const char *path, const char *needle, char *addrs, size_t len)
{
	FILE *fp = fopen(path, "r");
	char buf[4096];
	int n = 0;

	assert_non_null(fp);
	if (addrs)
		addrs[0] = 0;
	while (fgets(buf, sizeof(buf), fp)) {
		const char *a;

		if (strstr(buf, needle) == NULL)
			continue;
		n++;
		if (addrs && (a = strstr(buf, "\"addr\":\"")) != NULL) {
			const char *end = strchr(a + 8, '"');

			snprintf(addrs + strlen(addrs), len - strlen(addrs), "%s%.*s", addrs[0] ? " " : "",
				 (int) (end - a - 8), a + 8);
		}
	}
	fclose(fp);
	return n;
}

static void test_engine_rows(void **state)
{
	(void) state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *t = &rows[i];
		char events_path[] = "/tmp/test_hold.events.XXXXXX", err[256], got[512];
		struct config *c = config_new();
		struct output *summary, *events;
		struct engine *e;
		int fd, early;

		print_message("row: %s\n", t->what);
		assert_non_null(c);
		if (t->hold && config_set(c, "authserver_hold", t->hold, err, sizeof(err)) < 0)
			fail_msg("%s", err);
		if (t->reasons && config_set(c, "reasons", t->reasons, err, sizeof(err)) < 0)
			fail_msg("%s", err);
		assert_true((fd = mkstemp(events_path)) >= 0);
		close(fd);
		assert_int_equal(output_open("/dev/null", &summary), 0);
		assert_int_equal(output_open(events_path, &events), 0);

		struct engine_options o = {.summary = summary, .events = events};

		assert_non_null(e = engine_new(c, &o));
		for (size_t j = 0; j < 12 && t->lines[j]; j++)
			assert_int_equal(engine_line(e, t->lines[j], strlen(t->lines[j]), true), 0);
		assert_int_equal(engine_flush(e), 0);
		early = count_lines(events_path, "\"event\":\"strike\",\"reason\":\"sasl", NULL, 0) +
			count_lines(events_path, "\"event\":\"strike\",\"reason\":\"badmech", NULL, 0);
		assert_int_equal(early, t->early);
		assert_int_equal(engine_settle(e, true), 0);
		assert_int_equal(engine_hold_flush(e), 0);
		assert_int_equal(engine_flush(e), 0);
		count_lines(events_path, "\"event\":\"strike\"", got, sizeof(got));
		print_message("  struck: '%s'\n", got);
		assert_string_equal(got, t->struck);
		engine_free(e);
		output_free(summary);
		output_free(events);
		config_free(c);
		unlink(events_path);
	}
}

static int64_t mono_now;

static int64_t mono_clock(void)
{
	return mono_now;
}

/* A daemon's idle ticks: the log clock runs on from the latest line as the
   monotonic clock does, not as the wall clock (old lines are not live). */
static void test_engine_tick(void **state)
{
	char events_path[] = "/tmp/test_hold.events.XXXXXX";
	static const char fail1[] = T(00:00.000000) "mx1 postfix/smtpd[1]: warning: unknown[192.0.2.1]" BAD;
	static const char fail2[] = T(01:10.000000) "mx1 postfix/smtpd[3]: warning: unknown[192.0.2.3]" BAD;
	static const char lost[] = T(01:30.000000) "mx1 postfix/smtpd[2]: warning: unknown[192.0.2.2]" LOST;
	struct config *c = config_new();
	struct output *summary, *events;
	struct engine *e;
	size_t given;
	int fd;

	(void) state;
	assert_true((fd = mkstemp(events_path)) >= 0);
	close(fd);
	assert_int_equal(output_open("/dev/null", &summary), 0);
	assert_int_equal(output_open(events_path, &events), 0);

	struct engine_options o = {.summary = summary, .events = events, .monotonic = mono_clock};

	mono_now = 1000 * SEC;
	assert_non_null(e = engine_new(c, &o));
	assert_int_equal(engine_line(e, fail1, strlen(fail1), true), 0);
	mono_now += 59 * SEC;	/* no line for 59 s: still waiting */
	assert_int_equal(engine_hold_tick(e, &given), 0);
	assert_int_equal(given, 0);
	mono_now += 2 * SEC;	/* 61 s: given */
	assert_int_equal(engine_hold_tick(e, &given), 0);
	assert_int_equal(given, 1);
	assert_int_equal(engine_flush(e), 0);
	assert_int_equal(count_lines(events_path, "\"event\":\"strike\"", NULL, 0), 1);
	/* a failure whose server trouble comes 20 s later (in log time), 5 s later in real time */
	assert_int_equal(engine_line(e, fail2, strlen(fail2), true), 0);
	mono_now += 5 * SEC;
	assert_int_equal(engine_hold_tick(e, &given), 0);
	assert_int_equal(given, 0);
	assert_int_equal(engine_line(e, lost, strlen(lost), true), 0);
	mono_now += 120 * SEC;
	assert_int_equal(engine_hold_tick(e, &given), 0);
	assert_int_equal(given, 1);	/* judged: not struck */
	assert_int_equal(engine_flush(e), 0);
	assert_int_equal(count_lines(events_path, "\"event\":\"strike\"", NULL, 0), 1);
	engine_free(e);
	output_free(summary);
	output_free(events);
	config_free(c);
	unlink(events_path);
}

/* A restart (state file) keeps what waits and what is remembered. */
static void test_state(void **state)
{
	char events_path[] = "/tmp/test_hold.events.XXXXXX", state_path[] = "/tmp/test_hold.state.XXXXXX", err[256];
	static const char fail1[] = T(00:00.000000) "mx1 postfix/smtpd[1]: warning: unknown[192.0.2.1]" BAD;
	static const char fail2[] = T(03:00.000000) "mx%201 postfix/smtpd[3]: warning: unknown[192.0.2.3]" BAD;
	static const char lost[] = T(00:20.000000) "mx1 postfix/smtpd[2]: warning: unknown[192.0.2.2]" LOST;
	static const char fail3[] = T(01:10.000000) "mx1 postfix/smtpd[4]: warning: unknown[192.0.2.4]" BAD;
	struct config *c = config_new();
	struct output *summary, *events;
	struct engine *e, *e2;
	struct span host, tag;
	int64_t lo, hi;
	int fd;

	(void) state;
	assert_true((fd = mkstemp(events_path)) >= 0);
	close(fd);
	assert_true((fd = mkstemp(state_path)) >= 0);
	close(fd);
	assert_int_equal(output_open("/dev/null", &summary), 0);
	assert_int_equal(output_open(events_path, &events), 0);

	struct engine_options o = {.summary = summary, .events = events};

	assert_non_null(e = engine_new(c, &o));
	assert_int_equal(engine_line(e, fail1, strlen(fail1), true), 0);
	assert_int_equal(engine_line(e, lost, strlen(lost), true), 0);
	assert_int_equal(engine_line(e, fail2, strlen(fail2), true), 0);
	assert_int_equal(hold_count(engine_hold(e)), 1);	/* fail1 judged at 03:00: held back */
	assert_int_equal(state_save(e, state_path, NULL, err, sizeof(err)), 0);
	engine_free(e);

	assert_non_null(e2 = engine_new(c, &o));
	assert_int_equal(state_load(e2, c, INT64_C(1900000000) * SEC, state_path, NULL, NULL), 0);
	assert_int_equal(hold_count(engine_hold(e2)), 1);
	assert_int_equal(hold_at(engine_hold(e2), 0)->r.host.len, 6);
	assert_memory_equal(hold_at(engine_hold(e2), 0)->r.host.p, "mx%201", 6);	/* escaped and back */
	assert_true(hold_trouble_at(engine_hold(e2), 0, &host, &tag, &lo, &hi));
	assert_int_equal(host.len, 3);
	assert_int_equal(hi - lo, 0);
	/* the trouble is remembered: a late line within its window is held back */
	assert_int_equal(engine_line(e2, fail3, strlen(fail3), true), 0);
	assert_int_equal(engine_hold_flush(e2), 0);
	assert_int_equal(engine_flush(e2), 0);
	char got[128];

	count_lines(events_path, "\"event\":\"strike\"", got, sizeof(got));
	assert_string_equal(got, "192.0.2.3");
	engine_free(e2);
	output_free(summary);
	output_free(events);
	config_free(c);
	unlink(events_path);
	unlink(state_path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hold_windows),
		cmocka_unit_test(test_hold_queue),
		cmocka_unit_test(test_engine_rows),
		cmocka_unit_test(test_engine_tick),
		cmocka_unit_test(test_state),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

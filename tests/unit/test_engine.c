/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_engine - engine(3): refused bans and the clock.
 *
 * A backend stub that refuses (or takes) bans on command and two clocks
 * the test sets (wall and monotonic): a refused ban never fails a line or
 * a flush, waits, is retried with a bounded backoff, and its cause is
 * news once; the year of traditional timestamps comes from a clock read
 * for every line, also after days of silence and across New Year.
 */

#include "engine.h"
#include "state.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#define SEC 1000000LL

static int64_t wall_now, mono_now;

static int64_t wall_clock(void)
{
	return wall_now;
}

static int64_t mono_clock(void)
{
	return mono_now;
}

/* µs since the epoch of a UTC date and time. */
static int64_t utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm = {0};

	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	return (int64_t) timegm(&tm) * SEC;
}

/* The backend stub: refuses with refuse_errno/refuse_msg while refuse is set. */
struct stub {
	bool refuse;
	int refuse_errno;
	const char *refuse_msg;
	unsigned calls, taken;
	unsigned last_seconds;
	struct addr last_net;
};

static int stub_add(void *data, const struct addr *net, unsigned prefix, unsigned seconds, char *err, size_t errlen)
{
	struct stub *s = data;

	(void) prefix;
	s->calls++;
	if (s->refuse) {
		snprintf(err, errlen, "%s", s->refuse_msg);
		return -s->refuse_errno;
	}
	s->taken++;
	s->last_seconds = seconds;
	s->last_net = *net;
	return 0;
}

struct fixture {
	struct config *c;
	struct output *summary, *events;
	char summary_path[64], events_path[64];
	struct stub stub;
	struct ban_backend backend;
	struct engine *e;
};

static struct fixture *setup(const char *const *kv)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256];
	int fd;

	assert_non_null(f);
	f->c = config_new();
	assert_non_null(f->c);
	for (; kv && kv[0]; kv += 2)
		if (config_set(f->c, kv[0], kv[1], err, sizeof(err)) < 0)
			fail_msg("config: %s", err);
	snprintf(f->summary_path, sizeof(f->summary_path), "/tmp/test_engine.summary.XXXXXX");
	snprintf(f->events_path, sizeof(f->events_path), "/tmp/test_engine.events.XXXXXX");
	assert_true((fd = mkstemp(f->summary_path)) >= 0);
	close(fd);
	assert_true((fd = mkstemp(f->events_path)) >= 0);
	close(fd);
	assert_int_equal(output_open(f->summary_path, &f->summary), 0);
	assert_int_equal(output_open(f->events_path, &f->events), 0);
	f->stub.refuse_errno = EIO;
	f->stub.refuse_msg = "ipset 'authfold4': add: Kernel error received: Hash is full, cannot add more elements";
	f->backend = (struct ban_backend) {&f->stub, stub_add, "authfold4", "authfold6"};

	struct engine_options o = {.summary = f->summary, .events = f->events, .backend = &f->backend,
				   .clock = wall_clock, .monotonic = mono_clock};

	assert_non_null(f->e = engine_new(f->c, &o));
	return f;
}

static void teardown(struct fixture *f)
{
	engine_free(f->e);
	output_free(f->summary);
	output_free(f->events);
	unlink(f->summary_path);
	unlink(f->events_path);
	config_free(f->c);
	free(f);
}

static void line(struct fixture *f, const char *text)
{
	assert_int_equal(engine_line(f->e, text, strlen(text), true), 0);
}

/* A probe without -v: connect, then AUTH while it was not offered. */
static void probe(struct fixture *f, const char *ts, int pid, const char *addr)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "%s mx postfix/smtpd[%d]: connect from unknown[%s]", ts, pid, addr);
	line(f, buf);
	snprintf(buf, sizeof(buf), "%s mx postfix/smtpd[%d]: disconnect from unknown[%s] ehlo=1 auth=0/1 quit=1 "
		 "commands=2/3", ts, pid, addr);
	line(f, buf);
}

/* How many lines of the file contain needle. */
static unsigned count_lines(const char *path, const char *needle)
{
	FILE *fp = fopen(path, "r");
	char buf[1024];
	unsigned n = 0;

	assert_non_null(fp);
	while (fgets(buf, sizeof(buf), fp))
		n += strstr(buf, needle) != NULL;
	fclose(fp);
	return n;
}

static const char *const ban_at_once[] = {"maxretry", "1", "bantime", "1d", NULL};

/* The kernel refuses: every line and every flush succeed all the same,
   the bans wait, one kernel call per wait, the cause is news once. */
static void test_refused_ban_waits(void **state)
{
	(void) state;
	struct fixture *f = setup(ban_at_once);
	struct engine_ban_state bs;
	struct engine_ban_seen seen = {0, false};
	char msg[1024];
	const char *ts = "2026-11-26T18:46:35.000000+00:00";

	wall_now = utc(2026, 11, 26, 18, 46, 36);
	mono_now = 1000 * SEC;
	f->stub.refuse = true;
	probe(f, ts, 1, "192.0.2.1");
	assert_int_equal(engine_flush(f->e), 0);
	probe(f, ts, 2, "192.0.2.2");
	probe(f, ts, 3, "192.0.2.3");
	assert_int_equal(engine_flush(f->e), 0);
	assert_int_equal(f->stub.calls, 1);	/* the later bans joined the queue */
	assert_int_equal(engine_pending_bans(f->e), 3);
	engine_ban_state(f->e, &bs);
	assert_int_equal(bs.waiting, 3);
	assert_true(bs.since_usec == wall_now);
	assert_non_null(strstr(bs.error, "cannot ban 192.0.2.1/32: "));
	assert_non_null(strstr(bs.error, "Hash is full"));
	assert_int_equal(engine_counters(f->e)->ban_errors, 1);
	assert_int_equal(engine_counters(f->e)->write_errors, 0);
	assert_string_equal(engine_error(f->e), "");

	/* news once per cause */
	assert_true(engine_ban_news(f->e, &seen, msg, sizeof(msg)));
	print_message("news: %s\n", msg);
	assert_non_null(strstr(msg, "3 bans waiting for the kernel"));
	assert_non_null(strstr(msg, "Hash is full"));
	assert_false(engine_ban_news(f->e, &seen, msg, sizeof(msg)));

	/* every line once in the summary, the strikes and bans in the events */
	assert_int_equal(count_lines(f->summary_path, "connect from unknown[192.0.2.1]"), 2);
	assert_int_equal(count_lines(f->summary_path, "authentication not enabled"), 3);
	assert_int_equal(count_lines(f->events_path, "\"event\":\"strike\""), 3);
	assert_int_equal(count_lines(f->events_path, "\"event\":\"ban\""), 3);

	/* the same cause again: no news */
	mono_now += 1 * SEC;
	assert_int_equal(engine_flush(f->e), 0);
	assert_int_equal(f->stub.calls, 2);
	assert_false(engine_ban_news(f->e, &seen, msg, sizeof(msg)));
	/* another cause: news */
	f->stub.refuse_errno = EPERM;
	f->stub.refuse_msg = "ipset 'authfold4': add: Kernel error received: Operation not permitted";
	mono_now += 2 * SEC;
	assert_int_equal(engine_flush(f->e), 0);
	assert_int_equal(f->stub.calls, 3);
	assert_true(engine_ban_news(f->e, &seen, msg, sizeof(msg)));
	assert_non_null(strstr(msg, "Operation not permitted"));
	assert_false(engine_ban_news(f->e, &seen, msg, sizeof(msg)));

	/* the kernel takes them again: all given at the next due retry, in order */
	f->stub.refuse = false;
	mono_now += 4 * SEC;
	assert_int_equal(engine_flush(f->e), 0);
	assert_int_equal(engine_pending_bans(f->e), 0);
	assert_int_equal(f->stub.taken, 3);
	assert_int_equal(engine_counters(f->e)->bans_retried, 3);
	assert_int_equal(engine_counters(f->e)->bans_applied, 3);
	assert_true(f->stub.last_seconds >= 86400 - 2 && f->stub.last_seconds <= 86400);
	assert_true(engine_ban_news(f->e, &seen, msg, sizeof(msg)));
	print_message("news: %s\n", msg);
	assert_non_null(strstr(msg, "no ban waits"));
	assert_false(engine_ban_news(f->e, &seen, msg, sizeof(msg)));
	engine_ban_state(f->e, &bs);
	assert_int_equal(bs.waiting, 0);
	assert_string_equal(bs.error, "");

	/* a new ban goes straight to the kernel again */
	probe(f, ts, 4, "192.0.2.4");
	assert_int_equal(f->stub.taken, 4);
	assert_int_equal(engine_pending_bans(f->e), 0);
	teardown(f);
}

/* The wait doubles from ENGINE_RETRY_MIN_USEC to ENGINE_RETRY_MAX_USEC on
   the monotonic clock, whatever the wall clock does. */
static void test_backoff(void **state)
{
	(void) state;
	struct fixture *f = setup(ban_at_once);
	int64_t want = ENGINE_RETRY_MIN_USEC;
	unsigned calls;

	wall_now = utc(2026, 11, 26, 18, 46, 36);
	mono_now = 5 * SEC;
	f->stub.refuse = true;
	probe(f, "2026-11-26T18:46:35.000000+00:00", 1, "192.0.2.1");
	assert_int_equal(f->stub.calls, 1);
	for (int round = 0; round < 12; round++) {
		calls = f->stub.calls;
		mono_now += want - 1;
		wall_now += 3600 * SEC;		/* the wall clock jumps: no effect */
		assert_int_equal(engine_flush(f->e), 0);
		assert_int_equal(f->stub.calls, calls);	/* not yet */
		mono_now += 1;
		assert_int_equal(engine_flush(f->e), 0);
		assert_int_equal(f->stub.calls, calls + 1);	/* due: one try */
		assert_int_equal(engine_flush(f->e), 0);
		assert_int_equal(f->stub.calls, calls + 1);
		want = want * 2 > ENGINE_RETRY_MAX_USEC ? ENGINE_RETRY_MAX_USEC : want * 2;
	}
	assert_true(want == ENGINE_RETRY_MAX_USEC);
	/* a forced retry does not wait */
	calls = f->stub.calls;
	assert_int_equal(engine_retry_bans(f->e, true), 0);
	assert_int_equal(f->stub.calls, calls + 1);
	teardown(f);
}

/* The queue is bounded: the oldest waiting ban goes first, counted. A ban
   refused as invalid can never work: dropped, not retried. */
static void test_queue_bounds(void **state)
{
	(void) state;
	struct fixture *f = setup(ban_at_once);
	struct engine_ban b;

	wall_now = utc(2026, 11, 26, 18, 46, 36);
	mono_now = 5 * SEC;
	memset(&b, 0, sizeof(b));
	assert_int_equal(addr_parse("198.51.100.0", 12, &b.net), 0);
	b.prefix = 32;
	b.until_usec = wall_now + 3600 * SEC;
	for (unsigned i = 0; i < ENGINE_PENDING_MAX + 10; i++) {
		b.net.bytes[2] = (uint8_t) (i >> 8);
		b.net.bytes[3] = (uint8_t) i;
		engine_queue_ban(f->e, &b);
	}
	assert_int_equal(engine_pending_bans(f->e), ENGINE_PENDING_MAX);
	assert_int_equal(engine_counters(f->e)->pending_dropped, 10);
	assert_int_equal(engine_pending_ban(f->e, 0)->net.bytes[3], 10);	/* the oldest went */

	/* one batch per call, then the rest at the next calls */
	assert_int_equal(engine_retry_bans(f->e, false), ENGINE_RETRY_BATCH);
	assert_int_equal(engine_pending_bans(f->e), ENGINE_PENDING_MAX - ENGINE_RETRY_BATCH);
	while (engine_pending_bans(f->e) > 0)
		assert_true(engine_retry_bans(f->e, false) > 0);
	assert_int_equal(f->stub.taken, ENGINE_PENDING_MAX);

	/* -EINVAL: dropped */
	f->stub.refuse = true;
	f->stub.refuse_errno = EINVAL;
	f->stub.refuse_msg = "bad prefix";
	engine_queue_ban(f->e, &b);
	engine_queue_ban(f->e, &b);
	assert_int_equal(engine_retry_bans(f->e, true), 0);
	assert_int_equal(engine_pending_bans(f->e), 0);
	assert_int_equal(engine_counters(f->e)->pending_dropped, 12);
	teardown(f);
}

/* A ban whose time ran out while it waited is not given (counted expired). */
static void test_expired_while_waiting(void **state)
{
	(void) state;
	static const char *const kv[] = {"maxretry", "1", "bantime", "10m", NULL};
	struct fixture *f = setup(kv);

	wall_now = utc(2026, 11, 26, 18, 46, 36);
	mono_now = 5 * SEC;
	f->stub.refuse = true;
	probe(f, "2026-11-26T18:46:35.000000+00:00", 1, "192.0.2.1");
	assert_int_equal(engine_pending_bans(f->e), 1);
	f->stub.refuse = false;
	wall_now += 11 * 60 * SEC;
	mono_now += 11 * 60 * SEC;
	assert_int_equal(engine_flush(f->e), 0);
	assert_int_equal(engine_pending_bans(f->e), 0);
	assert_int_equal(f->stub.taken, 0);
	assert_int_equal(engine_counters(f->e)->bans_expired, 1);
	assert_int_equal(engine_counters(f->e)->bans_retried, 0);
	teardown(f);
}

/* An output that refuses a line's text (here: /dev/full, whose buffer
   passes 16 MiB) fails the line, but the line is folded and struck all
   the same, and its ban reaches the kernel: the caller must not judge it
   again (authfold-omprog remembers it), and nothing is counted twice. */
static void test_output_refused(void **state)
{
	(void) state;
	struct fixture *f = setup(ban_at_once);
	struct output *full;
	static char big[60000];
	const char *ts = "2026-11-26T18:46:35.000000+00:00";
	char buf[256];
	int r = 0;

	assert_int_equal(output_open("/dev/full", &full), 0);
	struct engine_options o = {.summary = full, .events = f->events, .backend = &f->backend,
				   .clock = wall_clock, .monotonic = mono_clock};

	engine_free(f->e);
	assert_non_null(f->e = engine_new(f->c, &o));
	wall_now = utc(2026, 11, 26, 18, 46, 36);
	mono_now = 5 * SEC;
	memset(big, 'x', sizeof(big));
	/* fill the buffer that /dev/full never takes (16 MiB) with passed
	   lines, shorter and shorter until fewer than 40 bytes are left */
	static const size_t sizes[] = {sizeof(big), 1000, 40};

	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		r = 0;
		for (int i = 0; i < 1000 && r == 0; i++)
			r = engine_line(f->e, big, sizes[k], true);
		assert_int_equal(r, -ENOBUFS);
	}
	assert_non_null(strstr(engine_error(f->e), "cannot write '/dev/full'"));
	snprintf(buf, sizeof(buf), "%s mx postfix/smtpd[1]: connect from unknown[192.0.2.1]", ts);
	assert_int_equal(engine_line(f->e, buf, strlen(buf), true), -ENOBUFS);
	snprintf(buf, sizeof(buf), "%s mx postfix/smtpd[1]: disconnect from unknown[192.0.2.1] ehlo=1 auth=0/1 quit=1 "
		 "commands=2/3", ts);
	assert_int_equal(engine_line(f->e, buf, strlen(buf), true), -ENOBUFS);
	/* folded and struck: the ban is in the kernel, once */
	assert_int_equal(f->stub.taken, 1);
	assert_int_equal(fold_counters(engine_fold(f->e))->strikes[REASON_NOAUTH], 1);
	assert_int_equal(engine_pending_bans(f->e), 0);
	/* a flush fails for the output only */
	assert_true(engine_flush(f->e) < 0);
	assert_non_null(strstr(engine_error(f->e), "cannot write '/dev/full'"));
	engine_free(f->e);
	f->e = NULL;
	output_free(full);
	teardown(f);
}

/* The waiting bans and the last refusal survive a restart (state(3));
   the same refusal after it is not news a second time. */
static void test_state_roundtrip(void **state)
{
	(void) state;
	struct fixture *f = setup(ban_at_once);
	struct engine_ban_state bs, bs2;
	struct engine_ban_seen seen = {0, false};
	char path[64] = "/tmp/test_engine.state.XXXXXX", err[512], msg[1024];
	int fd;

	wall_now = utc(2026, 11, 26, 18, 46, 36);
	mono_now = 5 * SEC;
	f->stub.refuse = true;
	probe(f, "2026-11-26T18:46:35.000000+00:00", 1, "192.0.2.1");
	probe(f, "2026-11-26T18:46:35.000000+00:00", 2, "2001:db8::2");
	engine_ban_state(f->e, &bs);
	assert_int_equal(bs.waiting, 2);
	assert_true((fd = mkstemp(path)) >= 0);
	close(fd);
	assert_int_equal(state_save(f->e, path, NULL, err, sizeof(err)), 0);

	/* a new engine, as after a restart, an hour later */
	struct engine_options o = {.summary = f->summary, .events = f->events, .backend = &f->backend,
				   .clock = wall_clock, .monotonic = mono_clock};
	struct engine *e2 = engine_new(f->c, &o);

	assert_non_null(e2);
	wall_now += 3600 * SEC;
	assert_int_equal(state_load(e2, f->c, wall_now, path, NULL, NULL), 0);
	engine_ban_state(e2, &bs2);
	assert_int_equal(bs2.waiting, 2);
	assert_true(bs2.since_usec == bs.since_usec);
	assert_string_equal(bs2.error, bs.error);
	assert_int_equal(engine_pending_ban(e2, 1)->prefix, 64);
	assert_true(engine_ban_news(e2, &seen, msg, sizeof(msg)));
	assert_non_null(strstr(msg, "2 bans waiting for the kernel"));
	/* refused again for the same cause: no news */
	assert_int_equal(engine_flush(e2), 0);
	assert_int_equal(engine_counters(e2)->ban_errors, 1);
	assert_false(engine_ban_news(e2, &seen, msg, sizeof(msg)));
	/* taken: the state holds no waiting ban and no refusal */
	f->stub.refuse = false;
	assert_int_equal(engine_retry_bans(e2, true), 2);
	assert_int_equal(state_save(e2, path, NULL, err, sizeof(err)), 0);
	engine_free(e2);
	assert_non_null(e2 = engine_new(f->c, &o));
	assert_int_equal(state_load(e2, f->c, wall_now, path, NULL, NULL), 0);
	engine_ban_state(e2, &bs2);
	assert_int_equal(bs2.waiting, 0);
	assert_string_equal(bs2.error, "");
	engine_free(e2);
	unlink(path);
	teardown(f);
}

/* A probe's lines delivered again after its session was forgotten
   (session_idle) strike once, also after a restart through the state file;
   with one-second timestamps they still count again (authfold(8) BUGS). A
   strike key the daemon could not have written makes the file corrupt. */
static void test_redelivered(void **state)
{
	static const char *const kv[] = {"maxretry", "3", "session_idle", "10s", NULL};
	static const char *const bad[] = {
		"00000000000000a1",	/* the only good one */
		"000000000000000a1",	/* 17 hex digits */
		"00000000000000a",
		"000000000000000g",
		"00000000000000A1",
		"0000000000000000",	/* key 0 */
		"-000000000000001",
		"1795718795000001:00000000000000a1",
	};
	(void) state;
	struct fixture *f = setup(kv);
	char path[64] = "/tmp/test_engine.state.XXXXXX", err[512], buf[4096];
	struct engine_options o = {.summary = f->summary, .events = f->events, .backend = &f->backend,
				   .clock = wall_clock, .monotonic = mono_clock};
	int fd;

	wall_now = utc(2026, 11, 26, 18, 50, 0);
	mono_now = 5 * SEC;
	probe(f, "2026-11-26T18:46:35.100000+00:00", 7, "192.0.2.1");
	probe(f, "2026-11-26T18:46:50.100000+00:00", 7, "198.51.100.1");	/* 15 s later: the first forgotten */
	probe(f, "2026-11-26T18:46:35.100000+00:00", 7, "192.0.2.1");	/* delivered again */
	assert_int_equal(engine_flush(f->e), 0);
	assert_int_equal(count_lines(f->events_path, "\"event\":\"strike\""), 2);
	assert_int_equal(policy_counters(engine_policy(f->e))->redelivered, 1);
	assert_true(session_counters(fold_sessions(engine_fold(f->e)))->opened >= 3);	/* it was opened anew */

	/* a restart: the identities are in the state file */
	assert_true((fd = mkstemp(path)) >= 0);
	close(fd);
	assert_int_equal(state_save(f->e, path, NULL, err, sizeof(err)), 0);
	struct engine *e2 = engine_new(f->c, &o);

	assert_non_null(e2);
	assert_int_equal(state_load(e2, f->c, wall_now, path, NULL, NULL), 0);
	engine_free(f->e);
	f->e = e2;
	probe(f, "2026-11-26T18:47:10.100000+00:00", 8, "203.0.113.1");
	probe(f, "2026-11-26T18:46:35.100000+00:00", 7, "192.0.2.1");
	probe(f, "2026-11-26T18:46:50.100000+00:00", 7, "198.51.100.1");
	assert_int_equal(engine_flush(f->e), 0);
	assert_int_equal(count_lines(f->events_path, "\"event\":\"strike\""), 3);
	assert_int_equal(policy_counters(engine_policy(f->e))->redelivered, 2);

	/* one-second timestamps: no identity, counted again */
	probe(f, "Nov 26 18:48:00", 9, "192.0.2.9");
	probe(f, "Nov 26 18:48:20", 9, "198.51.100.9");
	probe(f, "Nov 26 18:48:00", 9, "192.0.2.9");
	assert_int_equal(engine_flush(f->e), 0);
	assert_int_equal(count_lines(f->events_path, "\"event\":\"strike\""), 6);

	/* hostile identities in an addr record */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		FILE *fp = fopen(path, "we");
		struct state_fault fault = {0, NULL};

		assert_non_null(fp);
		snprintf(buf, sizeof(buf), "addr 192.0.2.1 32 0 0 0 1795718795000001 0 1 1795718795000001 1 %s\n", bad[i]);
		fprintf(fp, "authfold-state 1\n%send 2\n", buf);
		fclose(fp);
		assert_non_null(e2 = engine_new(f->c, &o));
		int r = state_load(e2, f->c, wall_now, path, NULL, &fault);

		if (i == 0 ? r != 0 : r != -EBADMSG)
			fail_msg("'%s': %d (%s)", bad[i], r, fault.why ? fault.why : "");
		engine_free(e2);
	}
	unlink(path);
	teardown(f);
}

/* Traditional timestamps: the clock is read for every line. After two days
   of silence the next lines are this year's, and the ban is given for its
   full time (a stale clock put them a year back: no ban, or one "over"). */
static void test_clock_after_silence(void **state)
{
	(void) state;
	static const char *const kv[] = {"maxretry", "2", "bantime", "1d", "findtime", "1d", NULL};
	struct fixture *f = setup(kv);

	mono_now = 5 * SEC;
	wall_now = utc(2026, 12, 29, 10, 0, 1);
	probe(f, "Dec 29 10:00:00", 1, "192.0.2.9");		/* one unrelated line, then silence */
	wall_now = utc(2026, 12, 31, 14, 0, 0);
	probe(f, "Dec 31 13:00:00", 2, "192.0.2.1");
	probe(f, "Dec 31 13:00:01", 3, "192.0.2.1");
	assert_int_equal(engine_flush(f->e), 0);
	assert_int_equal(f->stub.taken, 1);
	assert_int_equal(engine_counters(f->e)->bans_expired, 0);
	/* until Jan 1 13:00:01, an hour less a second gone */
	assert_true(f->stub.last_seconds >= 86400 - 3600 && f->stub.last_seconds <= 86400 - 3599 + 1);

	/* across New Year: a strike before midnight and one after */
	wall_now = utc(2027, 1, 1, 0, 0, 30);
	probe(f, "Dec 31 23:59:50", 4, "192.0.2.2");
	probe(f, "Jan  1 00:00:20", 5, "192.0.2.2");
	assert_int_equal(engine_flush(f->e), 0);
	assert_int_equal(f->stub.taken, 2);
	assert_true(f->stub.last_seconds >= 86400 - 11 && f->stub.last_seconds <= 86400 - 9);
	/* a sender a little ahead of our clock, just before midnight */
	wall_now = utc(2027, 12, 31, 23, 59, 58);
	probe(f, "Dec 31 23:59:57", 6, "192.0.2.3");
	probe(f, "Jan  1 00:00:03", 7, "192.0.2.3");
	assert_int_equal(engine_flush(f->e), 0);
	assert_int_equal(f->stub.taken, 3);
	assert_true(f->stub.last_seconds >= 86400 + 4 && f->stub.last_seconds <= 86400 + 6);
	assert_int_equal(engine_counters(f->e)->bans_expired, 0);
	teardown(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refused_ban_waits),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_queue_bounds),
		cmocka_unit_test(test_expired_while_waiting),
		cmocka_unit_test(test_state_roundtrip),
		cmocka_unit_test(test_redelivered),
		cmocka_unit_test(test_output_refused),
		cmocka_unit_test(test_clock_after_silence),
	};

	setenv("TZ", "UTC", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	bans_check 1
 * SUMMARY
 *	a small daemon-like driver of bans(3) for the tests and the benchmark
 * SYNOPSIS
 *	bans_check feed CONF STATE EVENTS LOG	(EVENTS: a path or -)
 *	bans_check restore CONF STATE
 *	bans_check take CONF STATE
 *	bans_check daemon CONF STATE STOPFILE
 *	bans_check bench CONF N
 *	bans_check takebench CONF N
 * DESCRIPTION
 *	Until authfold-omprog and authfold journal call bans(3) themselves,
 *	this stands in for them, the way a daemon is meant to:
 *	statedir_lock(state_dir), state_load(), bans_take_requests(),
 *	bans_restore(), the lines, engine_hold_flush(), engine_flush(), state_save().
 *
 *	feed	the above, with the lines of LOG (the state is loaded when it
 *		exists, so feeding twice continues the history).
 *	restore	lock, load, take requests, restore; prints
 *		"active A present P restored R failed F".
 *	take	lock, load, take requests, save; prints
 *		"taken T forgotten F rejected J".
 *	daemon	lock, load, then every 20 ms take requests (saving after
 *		each that took some) until STOPFILE exists; prints
 *		"ready" on stdout once it holds the lock.
 *	bench	N distinct IPv4 addresses (10.x.y.z; up to 768 from
 *		192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24), two noauth strikes each
 *		as RFC3339 lines with maxretry 2; measures from the second
 *		strike's line entering engine_line() until backend_test()
 *		sees the address; prints median, p99, max (µs) and bans/s.
 *	takebench  the cost of N bans_take_requests() calls with an empty
 *		unban.d (what a daemon pays per checkpoint, or per line).
 *	Exit 0 on success, 1 on failure (message on stderr).
 */

#include "backend.h"
#include "bans.h"
#include "statedir.h"
#include "config.h"
#include "engine.h"
#include "ipset.h"
#include "output.h"
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

struct daemon {
	struct config *c;
	struct backend b;
	struct output *summary, *events;
	struct engine *e;
	int lock;
	const char *state;
	struct state_extra x;
};

static int64_t wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int fail(const char *what, const char *err)
{
	fprintf(stderr, "bans_check: %s: %s\n", what, err);
	return 1;
}

/* Config, backend, lock, engine, state: what a daemon does first. */
static int start(struct daemon *d, const char *conf, const char *state, const char *events)
{
	char err[1024];
	int r;

	memset(d, 0, sizeof(*d));
	d->lock = -1;
	d->state = state;
	d->x.summary_size = d->x.events_size = -1;
	if ((d->c = config_new()) == NULL || config_load(d->c, conf, err, sizeof(err)) < 0)
		return fail("config", err);
	if ((r = backend_open(d->c, &d->b, err, sizeof(err))) < 0)
		return fail("backend", err);
	if ((r = statedir_lock(d->c->state_dir, &d->lock)) < 0)
		return fail("lock", strerror(-r));
	if (output_open("/dev/null", &d->summary) < 0 || (events && output_open(events, &d->events) < 0))
		return fail("outputs", events ? events : "/dev/null");

	struct engine_options eo = {.summary = d->summary, .events = d->events, .backend = &d->b.ops};

	if ((d->e = engine_new(d->c, &eo)) == NULL)
		return fail("engine", "out of memory");
	struct state_fault fault;
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	r = state_load(d->e, d->c, (int64_t) now.tv_sec * 1000000 + now.tv_nsec / 1000, state, &d->x, &fault);
	if (r < 0 && r != -ENOENT) {
		char aside[4200] = "";

		state_describe(state, r, &fault, err, sizeof(err));
		if (r == -EBADMSG && state_set_aside(state, aside, sizeof(aside)) == 0)
			fprintf(stderr, "bans_check: %s; set aside as '%s', starting without state\n", err, aside);
		else
			fprintf(stderr, "bans_check: %s; starting without state\n", err);
		engine_free(d->e);
		if ((d->e = engine_new(d->c, &eo)) == NULL)
			return fail("engine", "out of memory");
	}
	return 0;
}

static int take(struct daemon *d, bool quiet)
{
	struct bans_requests q;
	char err[1024] = "";
	int r = bans_take_requests(d->e, &d->b, d->c->state_dir, &q, err, sizeof(err));

	if (r < 0)
		fprintf(stderr, "bans_check: requests: %s\n", err);
	else if (!quiet)
		printf("taken %u forgotten %u rejected %u\n", q.taken, q.forgotten, q.rejected);
	return r;
}

static int save(struct daemon *d)
{
	char err[1024];

	if (state_save(d->e, d->state, &d->x, err, sizeof(err)) < 0)
		return fail("save", err);
	return 0;
}

static void stop(struct daemon *d)
{
	engine_free(d->e);
	output_free(d->summary);
	output_free(d->events);
	backend_close(&d->b);
	statedir_unlock(d->lock);
	config_free(d->c);
}

static int feed(struct daemon *d, const char *log)
{
	FILE *fp = fopen(log, "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (fp == NULL)
		return fail(log, strerror(errno));
	while ((n = getline(&line, &cap, fp)) > 0) {
		if (line[n - 1] == '\n')
			n--;
		if (engine_line(d->e, line, (size_t) n, true) < 0)
			fprintf(stderr, "bans_check: %s\n", engine_error(d->e));
	}
	free(line);
	fclose(fp);
	/* the end of the input, as a daemon that stops: held SASL strikes are given */
	if (engine_hold_flush(d->e) < 0 || engine_flush(d->e) < 0)
		fprintf(stderr, "bans_check: flush: %s\n", engine_error(d->e));
	return 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;

	return x < y ? -1 : x > y;
}

static int bench(const char *conf, long n)
{
	struct daemon d;
	int64_t *lat = calloc((size_t) n, sizeof(*lat)), *add = calloc((size_t) n, sizeof(*add));
	char line[512], err[512], ts[64];
	int64_t t0, base = wall() - 60 * 1000000;
	struct tm tm;
	time_t sec = (time_t) (base / 1000000);

	if (lat == NULL || add == NULL || start(&d, conf, "/nonexistent/bench.state", NULL) != 0)
		return 1;
	gmtime_r(&sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	int64_t total0 = mono_ns();

	for (long i = 0; i < n; i++) {
		static const uint8_t doc[3][3] = {{192, 0, 2}, {198, 51, 100}, {203, 0, 113}};
		struct addr a = {AF_INET, {10, (uint8_t) (i >> 16), (uint8_t) (i >> 8), (uint8_t) i}};

		if (n <= 768)	/* the documentation ranges, as tests must use */
			a = (struct addr) {AF_INET, {doc[i / 256][0], doc[i / 256][1], doc[i / 256][2], (uint8_t) i}};
		char as[ADDR_STRLEN];

		addr_format(&a, as);
		for (int k = 0; k < 2; k++) {
			int len = snprintf(line, sizeof(line),
					   "%s.%06ld+00:00 mx postfix/smtpd[%ld]: disconnect from unknown[%s] ehlo=1 "
					   "auth=0/1 quit=1 commands=2/3", ts, (long) k, 1000 + i * 2 + k, as);

			/* a session: connect, then the disconnect with auth=0/1 */
			char conn[256];
			int cl = snprintf(conn, sizeof(conn), "%s.%06ld+00:00 mx postfix/smtpd[%ld]: connect from unknown[%s]",
					  ts, (long) k, 1000 + i * 2 + k, as);

			engine_line(d.e, conn, (size_t) cl, true);
			if (k == 1)
				t0 = mono_ns();
			if (engine_line(d.e, line, (size_t) len, true) < 0)
				return fail("engine", engine_error(d.e));
		}
		add[i] = mono_ns() - t0;
		int r = backend_test(&d.b, &a, 32, err, sizeof(err));

		lat[i] = mono_ns() - t0;
		if (r != 1)
			return fail(as, r < 0 ? err : "not in the set after its ban");
	}
	int64_t total = mono_ns() - total0;

	qsort(lat, (size_t) n, sizeof(*lat), cmp_i64);
	qsort(add, (size_t) n, sizeof(*add), cmp_i64);
	printf("bans %ld median_us %.1f p99_us %.1f max_us %.1f bans_per_s %.0f (line to add returned: median_us %.1f p99_us %.1f)\n",
	       n, (double) lat[n / 2] / 1e3, (double) lat[(n * 99) / 100] / 1e3, (double) lat[n - 1] / 1e3,
	       (double) n / ((double) total / 1e9), (double) add[n / 2] / 1e3, (double) add[(n * 99) / 100] / 1e3);
	free(lat);
	free(add);
	stop(&d);
	return 0;
}

int main(int argc, char **argv)
{
	struct daemon d;
	char err[1024];
	int r = 1;

	if (argc == 6 && strcmp(argv[1], "feed") == 0) {
		if (start(&d, argv[2], argv[3], strcmp(argv[4], "-") ? argv[4] : NULL) == 0 && take(&d, true) >= 0 &&
		    feed(&d, argv[5]) == 0)
			r = save(&d);
		stop(&d);
		return r;
	}
	if (argc == 4 && strcmp(argv[1], "restore") == 0) {
		struct bans_restored n;

		if (start(&d, argv[2], argv[3], NULL) == 0 && take(&d, true) >= 0) {
			if (bans_restore(d.e, &d.b, wall(), &n, err, sizeof(err)) < 0)
				fprintf(stderr, "bans_check: restore: %s\n", err);
			printf("active %u present %u restored %u failed %u\n", n.active, n.present, n.restored, n.failed);
			r = save(&d);
		}
		stop(&d);
		return r;
	}
	if (argc == 4 && strcmp(argv[1], "take") == 0) {
		if (start(&d, argv[2], argv[3], NULL) == 0 && take(&d, false) >= 0)
			r = save(&d);
		stop(&d);
		return r;
	}
	if (argc == 5 && strcmp(argv[1], "daemon") == 0) {
		if (start(&d, argv[2], argv[3], NULL) == 0) {
			printf("ready\n");
			fflush(stdout);
			r = 0;
			while (access(argv[4], F_OK) != 0 && r == 0) {
				if (take(&d, true) > 0)
					r = save(&d);
				usleep(20000);
			}
			if (r == 0)
				r = save(&d);
		}
		stop(&d);
		return r;
	}
	if (argc == 4 && strcmp(argv[1], "takebench") == 0 && atol(argv[3]) > 0) {
		if (start(&d, argv[2], "/nonexistent/bench.state", NULL) == 0) {
			char dir[4200];
			long calls = atol(argv[3]);

			snprintf(dir, sizeof(dir), "%s/%s", d.c->state_dir, BANS_REQUEST_DIR);
			(void) mkdir(dir, 0700);
			int64_t t = mono_ns();

			for (long i = 0; i < calls; i++)
				if (take(&d, true) < 0)
					break;
			printf("bans_take_requests, empty unban.d: %.2f us per call\n", (double) (mono_ns() - t) / 1e3 / (double) calls);
			r = 0;
		}
		stop(&d);
		return r;
	}
	if (argc == 4 && strcmp(argv[1], "bench") == 0 && atol(argv[3]) > 0 && atol(argv[3]) <= 1 << 24)
		return bench(argv[2], atol(argv[3]));
	fprintf(stderr, "usage: see the comment at the top of tests/bans/bans_check.c\n");
	return 2;
}

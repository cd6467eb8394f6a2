/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	why 3
 * SUMMARY
 *	authfold why: the command
 * SYNOPSIS
 *	#include "why.h"
 *
 *	int	why_main(argc, argv)
 *	int	why_run(o, out)
 *	int	why_report(o, out)
 * DESCRIPTION
 *	why_run() gathers the story of the addresses inside o->target
 *	(why_story(3), with the sessions of why_session(3)) and writes it to
 *	out as text or, with o->json, as JSON (why_render(3)).
 *
 *	why_main() is the command: options, then why_run() or why_report()
 *	(why_period(3), --summary) to stdout. --since and --until take a
 *	duration back from now, an RFC 3339 time or a date; an impossible
 *	date (2026-02-30, an offset of +99:99) and a --since after --until
 *	are usage errors, said as such.
 * DIAGNOSTICS
 *	why_run() returns 0 (unreadable files are said in the story) or
 *	-errno when the output cannot be written or memory runs out.
 *	why_main() returns the exit status: 0, 1 runtime failure, 2 usage.
 * SECURITY
 *	Nothing is opened for writing but standard output; see why_story(3)
 *	for the bounds on memory.
 */

#include "why.h"

#include "bans.h"
#include "eventlog.h"
#include "why_render.h"
#include "why_story.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int why_run(const struct why_options *o, struct output *out)
{
	struct why_story y;
	int r = why_story_gather(o, &y);

	if (r == 0)
		r = o->json ? why_render_json(&y, out) : why_render_text(&y, out);
	if (r == 0)
		r = output_flush(out);
	why_story_fini(&y);
	return r;
}

static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* A calendar date that exists: no 2026-02-30. */
static bool date_exists(int y, int m, int d)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return y >= 1970 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= days[m - 1] + (m == 2 && leap(y));
}

/* --since/--until: a duration back from now ("1d"), an RFC 3339 time, or
   a date (local midnight); -1 when it is none of them. */
static int64_t parse_when(const char *s, int64_t now_usec)
{
	int64_t secs, usec;
	struct tm tm = {0};
	char end;

	if (parse_duration(s, &secs) == 0)	/* at most 10^12 s: no overflow */
		return secs * 1000000 < now_usec ? now_usec - secs * 1000000 : 0;
	if ((usec = eventlog_time(s)) >= 0)
		return usec;
	if (strlen(s) == 10 && sscanf(s, "%4d-%2d-%2d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &end) == 3 &&
	    date_exists(tm.tm_year, tm.tm_mon, tm.tm_mday)) {
		tm.tm_year -= 1900;
		tm.tm_mon -= 1;
		tm.tm_isdst = -1;
		time_t t = mktime(&tm);

		return t == (time_t) -1 ? -1 : (int64_t) t * 1000000;
	}
	return -1;
}

/* --since and --until of --summary into o; 0, or 2 (said) for a usage error. */
static int parse_period(struct why_options *o, const char *since, const char *until)
{
	if (since == NULL) {	/* today, from local midnight */
		time_t t = (time_t) (o->now_usec / 1000000);
		struct tm tm;

		localtime_r(&t, &tm);
		o->since_usec = (o->now_usec / 1000000 - tm.tm_hour * 3600 - tm.tm_min * 60 - tm.tm_sec) * 1000000;
	}
	if ((since && (o->since_usec = parse_when(since, o->now_usec)) < 0) ||
	    (until && (o->until_usec = parse_when(until, o->now_usec)) < 0)) {
		fprintf(stderr, "authfold: why: '%s' is not a time that exists (a duration back from now like 1d, an "
			"RFC 3339 time, or YYYY-MM-DD)\nTry 'authfold --help'.\n", since && o->since_usec < 0 ? since : until);
		return 2;
	}
	if (o->since_usec >= 0 && o->until_usec >= 0 && o->since_usec >= o->until_usec) {
		fprintf(stderr, "authfold: why: --since %s is not before --until %s: the period is empty\n"
			"Try 'authfold --help'.\n", since ? since : "(today)", until);
		return 2;
	}
	return 0;
}

int why_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'}, {"events", required_argument, NULL, 'e'},
		{"summary-log", required_argument, NULL, 'l'}, {"json", no_argument, NULL, 'j'},
		{"summary", no_argument, NULL, 's'}, {"since", required_argument, NULL, 'S'},
		{"until", required_argument, NULL, 'U'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
	};
	struct why_options o = {.since_usec = -1, .until_usec = -1};
	const char *conf_path = NULL, *since = NULL, *until = NULL;
	bool report = false;
	struct output *out = NULL;
	struct timespec ts;
	char err[1024];
	int opt, r;

	while ((opt = getopt_long(argc, argv, "c:e:l:jsS:U:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': conf_path = optarg; break;
		case 'e': o.events = optarg; break;
		case 'l': o.summary = optarg; break;
		case 'j': o.json = true; break;
		case 's': report = true; break;
		case 'S': since = optarg; break;
		case 'U': until = optarg; break;
		case 'h': return 3;	/* the caller prints the usage */
		default:
			fprintf(stderr, "authfold: bad option for why\nTry 'authfold --help'.\n");
			return 2;
		}
	}
	if (report ? argc - optind != 0 || o.json : argc - optind != 1 || since || until) {
		fprintf(stderr, "authfold: %s\nTry 'authfold --help'.\n", report ?
			"why --summary takes no address and no --json" : "why takes one ADDR[/PREFIX] (--since and --until "
			"go with --summary)");
		return 2;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	o.now_usec = (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	if (report && (r = parse_period(&o, since, until)) != 0)
		return r;

	struct config *c = config_read(conf_path, err, sizeof(err));

	if (c == NULL) {
		fprintf(stderr, "authfold: %s\n", err);
		return 2;
	}
	if (o.events == NULL)
		o.events = c->events_log;
	if (o.summary == NULL)
		o.summary = c->summary_log;
	if (report) {
		o.config = c;
		if ((r = why_report(&o, stdout)) < 0)
			fprintf(stderr, "authfold: why --summary: %s\n", r == -ENOENT ? "no summary log (summary_log is "
				"not set)" : strerror(-r));
		config_free(c);
		return r < 0 ? 1 : 0;
	}
	if (bans_parse_target(c, argv[optind], &o.target, err, sizeof(err)) < 0) {
		fprintf(stderr, "authfold: why: %s\nTry 'authfold --help'.\n", err);
		config_free(c);
		return 2;
	}
	o.config = c;
	if ((r = output_open("-", &out)) == 0)
		r = why_run(&o, out);
	if (r < 0)
		fprintf(stderr, "authfold: why: %s\n", strerror(-r));
	output_free(out);
	config_free(c);
	return r < 0 ? 1 : 0;
}

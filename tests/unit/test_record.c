/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_record - record_parse(): syslog lines to fields.
 *
 * Tables: one line and the fields it must give. The clock is a
 * parameter (now_usec), TZ is UTC, so the year of a traditional
 * timestamp is checked without depending on today's date.
 */

#include "record.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

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
	return (int64_t) timegm(&tm) * 1000000;
}

static void assert_span(struct span s, const char *want)
{
	if (want == NULL) {
		assert_int_equal(s.len, 0);
		return;
	}
	char buf[256];
	size_t n = s.len < sizeof(buf) - 1 ? s.len : sizeof(buf) - 1;

	memcpy(buf, s.p, n);
	buf[n] = 0;
	assert_string_equal(buf, want);
	assert_int_equal(s.len, strlen(want));
}

struct row {
	const char *line;
	enum record_format format;
	const char *ts, *host, *tag, *msg;	/* NULL: empty span */
	long pid;
	int64_t usec;
};

#define NOW_2026 utc(2026, 11, 26, 20, 0, 0)

static void check_row(const struct row *t, int64_t now)
{
	struct record r;

	print_message("line: %s\n", t->line);
	record_parse(t->line, strlen(t->line), now, &r);
	assert_int_equal(r.format, t->format);
	assert_ptr_equal(r.line.p, t->line);
	assert_int_equal(r.line.len, strlen(t->line));
	assert_int_equal(r.pid, t->pid);
	assert_true(r.usec == t->usec);
	if (t->format == RECORD_OTHER) {
		/* the only span is the line; it decides nothing */
		assert_ptr_equal(r.msg.p, t->line);
		assert_int_equal(r.msg.len, strlen(t->line));
		assert_int_equal(r.host.len, 0);
		assert_int_equal(r.tag.len, 0);
		return;
	}
	assert_span(r.ts, t->ts);
	assert_span(r.host, t->host);
	assert_span(r.tag, t->tag);
	assert_span(r.msg, t->msg);
	/* the prefix and the message make the line, byte for byte */
	assert_int_equal(r.prefix_len + r.msg.len, r.line.len);
	assert_ptr_equal(r.msg.p, t->line + r.prefix_len);
}

static void test_rfc3339(void **state)
{
	(void) state;
	int64_t t0 = utc(2026, 11, 26, 18, 46, 35);
	struct row rows[] = {
		{"2026-11-26T18:46:35.318738+00:00 mx1 postfix/smtpd[32591]: connect from unknown[192.0.2.7]",
		 RECORD_RFC3339, "2026-11-26T18:46:35.318738+00:00", "mx1", "postfix/smtpd",
		 "connect from unknown[192.0.2.7]", 32591, t0 + 318738},
		{"2026-11-26T18:46:35Z mx1 postfix/smtpd[1]: x", RECORD_RFC3339, "2026-11-26T18:46:35Z", "mx1",
		 "postfix/smtpd", "x", 1, t0},
		{"2026-11-26T19:46:35.5+01:00 mx1 postfix/submission/smtpd[77]: lost connection after AUTH from x[192.0.2.1]",
		 RECORD_RFC3339, "2026-11-26T19:46:35.5+01:00", "mx1", "postfix/submission/smtpd",
		 "lost connection after AUTH from x[192.0.2.1]", 77, t0 + 500000},
		{"2026-11-26T13:46:35.318738-05:00 mx1 postfix/smtpd[2]: y", RECORD_RFC3339,
		 "2026-11-26T13:46:35.318738-05:00", "mx1", "postfix/smtpd", "y", 2, t0 + 318738},
		/* more than 6 digits of fraction: the rest are ignored */
		{"2026-11-26T18:46:35.3187389999+00:00 h t[3]: z", RECORD_RFC3339,
		 "2026-11-26T18:46:35.3187389999+00:00", "h", "t", "z", 3, t0 + 318738},
		/* a tag without pid */
		{"2026-11-26T18:46:35.318738+00:00 mx1 kernel: [123.4] boom", RECORD_RFC3339,
		 "2026-11-26T18:46:35.318738+00:00", "mx1", "kernel", "[123.4] boom", -1, t0 + 318738},
		/* empty message */
		{"2026-11-26T18:46:35Z mx1 postfix/smtpd[9]:", RECORD_RFC3339, "2026-11-26T18:46:35Z", "mx1",
		 "postfix/smtpd", NULL, 9, t0},
		/* pid 0 and a 10-digit pid */
		{"2026-11-26T18:46:35Z mx1 postfix/smtpd[0]: x", RECORD_RFC3339, "2026-11-26T18:46:35Z", "mx1",
		 "postfix/smtpd", "x", 0, t0},
		{"2026-11-26T18:46:35Z mx1 postfix/smtpd[4294967295]: x", RECORD_RFC3339, "2026-11-26T18:46:35Z", "mx1",
		 "postfix/smtpd", "x", 4294967295L, t0},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		check_row(&rows[i], NOW_2026);
}

static void test_traditional(void **state)
{
	(void) state;
	struct row rows[] = {
		{"Nov 26 18:46:35 mx1 postfix/smtpd[32591]: connect from unknown[192.0.2.7]", RECORD_TRADITIONAL,
		 "Nov 26 18:46:35", "mx1", "postfix/smtpd", "connect from unknown[192.0.2.7]", 32591,
		 utc(2026, 11, 26, 18, 46, 35)},
		{"Nov  6 08:00:01 mx1 postfix/smtpd[5]: x", RECORD_TRADITIONAL, "Nov  6 08:00:01", "mx1",
		 "postfix/smtpd", "x", 5, utc(2026, 11, 6, 8, 0, 1)},
		/* less than a day in the future: this year */
		{"Nov 27 10:00:00 mx1 postfix/smtpd[5]: x", RECORD_TRADITIONAL, "Nov 27 10:00:00", "mx1",
		 "postfix/smtpd", "x", 5, utc(2026, 11, 27, 10, 0, 0)},
		/* more than a day in the future: last year */
		{"Dec 24 10:00:00 mx1 postfix/smtpd[5]: x", RECORD_TRADITIONAL, "Dec 24 10:00:00", "mx1",
		 "postfix/smtpd", "x", 5, utc(2025, 12, 24, 10, 0, 0)},
		{"Jan  1 00:00:00 mx1 postfix/smtpd[5]: x", RECORD_TRADITIONAL, "Jan  1 00:00:00", "mx1",
		 "postfix/smtpd", "x", 5, utc(2026, 1, 1, 0, 0, 0)},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		check_row(&rows[i], NOW_2026);
}

/*
 * Every timestamp form a syslog daemon or Postfix itself writes for a
 * Postfix line, with the time it stands for (TZ=UTC; the clock is
 * NOW_2026, 2026-11-26 20:00).
 */
static void test_timestamp_forms(void **state)
{
	(void) state;
	int64_t t0 = utc(2026, 11, 26, 18, 46, 35);
#define L(ts) ts " mx1 postfix/smtpd[7]: x"
#define RFC(ts, usec) {L(ts), RECORD_RFC3339, ts, "mx1", "postfix/smtpd", "x", 7, (usec)}
#define TRAD(ts, usec) {L(ts), RECORD_TRADITIONAL, ts, "mx1", "postfix/smtpd", "x", 7, (usec)}
	struct row rows[] = {
		/* rsyslog RSYSLOG_FileFormat (imuxsock stamps with µs) */
		RFC("2026-11-26T18:46:35.318738+00:00", t0 + 318738),
		/* rsyslog with a sender's stamp of lower precision, syslog-ng ts_format(iso) */
		RFC("2026-11-26T18:46:35+00:00", t0),
		RFC("2026-11-26T18:46:35.318+00:00", t0 + 318000),
		RFC("2026-11-26T18:46:35.3+00:00", t0 + 300000),
		/* nanoseconds: the digits past the sixth are dropped */
		RFC("2026-11-26T18:46:35.318738123Z", t0 + 318738),
		/* RFC 3339 5.6: 't' and 'z' may be lower case */
		RFC("2026-11-26t18:46:35.318738z", t0 + 318738),
		/* any offset */
		RFC("2026-11-27T00:16:35.318738+05:30", t0 + 318738),
		RFC("2026-11-26T15:46:35-03:00", t0),
		RFC("2026-11-26T18:46:35.000001+00:00", t0 + 1),
		/* rsyslog RSYSLOG_TraditionalFileFormat, syslog-ng $DATE: day padded with a space */
		TRAD("Nov 26 18:46:35", t0),
		TRAD("Nov  6 08:00:01", utc(2026, 11, 6, 8, 0, 1)),
		/* Postfix's own maillog_file (postlogd, postlog(1)): "%b %d", day padded with a zero
		   (Postfix 3.7.11 here: "Dec 07 15:53:47 vm postfix/smtpd[16479]: ...") */
		TRAD("Nov 06 08:00:01", utc(2026, 11, 6, 8, 0, 1)),
		/* an unpadded day, as some daemons and hand-rotated logs write it */
		TRAD("Aug 3 15:30:49", utc(2026, 8, 3, 15, 30, 49)),
		TRAD("Jan 1 00:00:00", utc(2026, 1, 1, 0, 0, 0)),
		/* syslog-ng frac-digits() on the BSD form */
		TRAD("Nov  6 08:00:01.250", utc(2026, 11, 6, 8, 0, 1) + 250000),
		TRAD("Nov 26 18:46:35.318738", t0 + 318738),
		/* syslog-ng ts_format(full): the year is given, not guessed */
		TRAD("2026 Nov  6 08:00:01", utc(2026, 11, 6, 8, 0, 1)),
		TRAD("2026 Dec 24 10:00:00", utc(2026, 12, 24, 10, 0, 0)),
		TRAD("2025 Dec 24 10:00:00.5", utc(2025, 12, 24, 10, 0, 0) + 500000),
		/* every month */
		TRAD("Jan 15 12:00:00", utc(2026, 1, 15, 12, 0, 0)), TRAD("Feb 15 12:00:00", utc(2026, 2, 15, 12, 0, 0)),
		TRAD("Mar 15 12:00:00", utc(2026, 3, 15, 12, 0, 0)), TRAD("Apr 15 12:00:00", utc(2026, 4, 15, 12, 0, 0)),
		TRAD("May 15 12:00:00", utc(2026, 5, 15, 12, 0, 0)), TRAD("Jun 15 12:00:00", utc(2026, 6, 15, 12, 0, 0)),
		TRAD("Jul 15 12:00:00", utc(2026, 7, 15, 12, 0, 0)), TRAD("Aug 15 12:00:00", utc(2026, 8, 15, 12, 0, 0)),
		TRAD("Sep 15 12:00:00", utc(2026, 9, 15, 12, 0, 0)), TRAD("Oct 15 12:00:00", utc(2026, 10, 15, 12, 0, 0)),
		TRAD("Nov 15 12:00:00", utc(2026, 11, 15, 12, 0, 0)), TRAD("Dec 15 12:00:00", utc(2025, 12, 15, 12, 0, 0)),
	};
#undef L
#undef RFC
#undef TRAD

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		check_row(&rows[i], NOW_2026);
	/* each again after a line of another form: no cache answers for the wrong text */
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		check_row(&rows[(i + 7) % (sizeof(rows) / sizeof(rows[0]))], NOW_2026);
		check_row(&rows[i], NOW_2026);
	}
}

/* Consecutive lines that share their timestamp or their "host tag[pid]: "
   bytes reuse the parse of the line before: only for the same bytes. */
static void test_caches(void **state)
{
	(void) state;
	int64_t t0 = utc(2026, 11, 26, 18, 46, 35);
	struct row rows[] = {
		{"Nov 26 18:46:35 mx1 postfix/smtpd[1]: a", RECORD_TRADITIONAL, "Nov 26 18:46:35", "mx1",
		 "postfix/smtpd", "a", 1, t0},
		{"Nov 26 18:46:35 mx1 postfix/smtpd[1]: b c", RECORD_TRADITIONAL, "Nov 26 18:46:35", "mx1",
		 "postfix/smtpd", "b c", 1, t0},
		{"Nov 26 18:46:35 mx1 postfix/smtpd[12]: d", RECORD_TRADITIONAL, "Nov 26 18:46:35", "mx1",
		 "postfix/smtpd", "d", 12, t0},
		{"Nov 26 18:46:35.5 mx1 postfix/smtpd[12]: e", RECORD_TRADITIONAL, "Nov 26 18:46:35.5", "mx1",
		 "postfix/smtpd", "e", 12, t0 + 500000},
		{"Nov 26 18:46:35 mx1 postfix/smtpd[12]:", RECORD_TRADITIONAL, "Nov 26 18:46:35", "mx1",
		 "postfix/smtpd", NULL, 12, t0},
		{"Nov 26 18:46:35 mx2 postfix/smtpd[12]: f", RECORD_TRADITIONAL, "Nov 26 18:46:35", "mx2",
		 "postfix/smtpd", "f", 12, t0},
		{"Nov 26 18:46:35 mx2 postfix/smtpd: g", RECORD_TRADITIONAL, "Nov 26 18:46:35", "mx2",
		 "postfix/smtpd", "g", -1, t0},
		{"Nov 26 18:46:35 mx2 postfix/smtpd[12]: h", RECORD_TRADITIONAL, "Nov 26 18:46:35", "mx2",
		 "postfix/smtpd", "h", 12, t0},
		{"Nov 26 18:46:36 mx2 postfix/smtpd[12]: i", RECORD_TRADITIONAL, "Nov 26 18:46:36", "mx2",
		 "postfix/smtpd", "i", 12, t0 + 1000000},
		{"2026-11-26T18:46:36Z mx2 postfix/smtpd[12]: j", RECORD_RFC3339, "2026-11-26T18:46:36Z", "mx2",
		 "postfix/smtpd", "j", 12, t0 + 1000000},
		{"2026-11-26T18:46:36Z mx2 postfix/smtpd[12]:k", RECORD_OTHER, NULL, NULL, NULL, NULL, -1, -1},
		{"2026-11-26T18:46:36Z mx2 postfix/smtpd[12]: k", RECORD_RFC3339, "2026-11-26T18:46:36Z", "mx2",
		 "postfix/smtpd", "k", 12, t0 + 1000000},
		/* a timestamp that fails late (its seconds) does not spoil the kept one */
		{"Nov 26 18:46:35 mx1 postfix/smtpd[1]: l", RECORD_TRADITIONAL, "Nov 26 18:46:35", "mx1",
		 "postfix/smtpd", "l", 1, t0},
		{"Dec 31 23:59:6x mx1 postfix/smtpd[1]: m", RECORD_OTHER, NULL, NULL, NULL, NULL, -1, -1},
		{"2025 Dec 31 23:59:6x mx1 postfix/smtpd[1]: m", RECORD_OTHER, NULL, NULL, NULL, NULL, -1, -1},
		{"Nov 26 18:46:35 mx1 postfix/smtpd[1]: n", RECORD_TRADITIONAL, "Nov 26 18:46:35", "mx1",
		 "postfix/smtpd", "n", 1, t0},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		check_row(&rows[i], NOW_2026);
}

/* A log written in December, replayed in January. */
static void test_year_rollover(void **state)
{
	(void) state;
	int64_t jan2 = utc(2027, 1, 2, 12, 0, 0);
	struct row rows[] = {
		{"Dec 31 23:59:59 h postfix/smtpd[1]: x", RECORD_TRADITIONAL, "Dec 31 23:59:59", "h",
		 "postfix/smtpd", "x", 1, utc(2026, 12, 31, 23, 59, 59)},
		{"Jan  2 11:00:00 h postfix/smtpd[1]: x", RECORD_TRADITIONAL, "Jan  2 11:00:00", "h",
		 "postfix/smtpd", "x", 1, utc(2027, 1, 2, 11, 0, 0)},
		{"Jan  3 11:00:00 h postfix/smtpd[1]: x", RECORD_TRADITIONAL, "Jan  3 11:00:00", "h",
		 "postfix/smtpd", "x", 1, utc(2027, 1, 3, 11, 0, 0)},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		check_row(&rows[i], jan2);
	/* the same text against another clock gives another year (no stale cache) */
	struct row again = rows[0];

	again.usec = utc(2026, 12, 31, 23, 59, 59);
	check_row(&again, utc(2027, 3, 1, 0, 0, 0));
	again.usec = utc(2025, 12, 31, 23, 59, 59);
	check_row(&again, utc(2026, 6, 1, 0, 0, 0));
}

/* The year depends on the exact time of the clock, not on its day: the
   same text against two clocks of the same day. */
static void test_year_exact_clock(void **state)
{
	(void) state;
	struct row r = {"Nov 26 00:00:30 h postfix/smtpd[1]: x", RECORD_TRADITIONAL, "Nov 26 00:00:30", "h",
			"postfix/smtpd", "x", 1, 0};

	/* a day and 30 s ahead of the clock: last year's */
	r.usec = utc(2025, 11, 26, 0, 0, 30);
	check_row(&r, utc(2026, 11, 25, 0, 0, 0));
	/* the same day, 12 hours later: 12 h 30 s ahead, this year's */
	r.usec = utc(2026, 11, 26, 0, 0, 30);
	check_row(&r, utc(2026, 11, 25, 12, 0, 0));
	/* and back: the answer is not cached from the call before */
	r.usec = utc(2025, 11, 26, 0, 0, 30);
	check_row(&r, utc(2026, 11, 25, 0, 0, 0));
}

/* Across New Year, with a clock current for each line. */
static void test_year_new_year(void **state)
{
	(void) state;
	const char *jan1 = "Jan  1 00:00:05 h postfix/smtpd[1]: x";
	const struct {
		const char *line;
		int64_t now, want;
	} rows[] = {
		/* the sender's clock a little ahead of ours: next year's */
		{jan1, utc(2026, 12, 31, 23, 59, 59), utc(2027, 1, 1, 0, 0, 5)},
		{"Dec 31 23:59:58 h postfix/smtpd[1]: x", utc(2026, 12, 31, 23, 59, 59), utc(2026, 12, 31, 23, 59, 58)},
		/* just after midnight: the old year's last line, the new year's first */
		{"Dec 31 23:59:59 h postfix/smtpd[1]: x", utc(2027, 1, 1, 0, 0, 10), utc(2026, 12, 31, 23, 59, 59)},
		{jan1, utc(2027, 1, 1, 0, 0, 10), utc(2027, 1, 1, 0, 0, 5)},
		/* 12 hours ahead: within a day, next year's */
		{jan1, utc(2026, 12, 31, 12, 0, 0), utc(2027, 1, 1, 0, 0, 5)},
		/* 36 hours ahead: more than a day, this year's January */
		{jan1, utc(2026, 12, 30, 12, 0, 0), utc(2026, 1, 1, 0, 0, 5)},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct record r;

		print_message("line: %s at clock %lld\n", rows[i].line, (long long) rows[i].now);
		record_parse(rows[i].line, strlen(rows[i].line), rows[i].now, &r);
		assert_int_equal(r.format, RECORD_TRADITIONAL);
		assert_true(r.usec == rows[i].want);
	}
}

static void test_garbage(void **state)
{
	(void) state;
	static const char *const lines[] = {
		"",
		" ",
		"hello world",
		"2026-11-26T18:46:35",				/* truncated timestamp */
		"2026-11-26T18:46:35.318738+00:0",		/* truncated zone */
		"2026-11-26T18:46:35.318738+00:00",		/* timestamp only */
		"2026-11-26T18:46:35.318738+00:00 ",		/* no host */
		"2026-11-26T18:46:35.318738+00:00 mx1",		/* no tag */
		"2026-11-26T18:46:35.318738+00:00 mx1 ",	/* empty tag */
		"2026-11-26T18:46:35.318738+00:00 mx1 postfix/smtpd",	/* no colon */
		"2026-11-26T18:46:35.318738+00:00 mx1 postfix/smtpd[",
		"2026-11-26T18:46:35.318738+00:00 mx1 postfix/smtpd[32591",
		"2026-11-26T18:46:35.318738+00:00 mx1 postfix/smtpd[32591]",
		"2026-11-26T18:46:35.318738+00:00 mx1 postfix/smtpd[]: x",
		"2026-11-26T18:46:35.318738+00:00 mx1 postfix/smtpd[12a]: x",
		"2026-11-26T18:46:35.318738+00:00 mx1 postfix/smtpd[99999999999]: x",	/* 11 digits */
		"2026-11-26T18:46:35.318738+00:00 mx1 postfix smtpd[1]: x",	/* space in tag */
		"2026-11-26T18:46:35.318738+00:00  postfix/smtpd[1]: x",	/* empty host */
		"2026-13-26T18:46:35Z mx1 postfix/smtpd[1]: x",	/* month 13 */
		"2026-11-32T18:46:35Z mx1 postfix/smtpd[1]: x",
		"2026-11-26T24:46:35Z mx1 postfix/smtpd[1]: x",
		"2026-11-26T18:60:35Z mx1 postfix/smtpd[1]: x",
		"2026-11-26T18:46:35.Z mx1 postfix/smtpd[1]: x",	/* empty fraction */
		"2026-11-26T18:46:35+24:00 mx1 postfix/smtpd[1]: x",
		"2026-11-26 18:46:35Z mx1 postfix/smtpd[1]: x",
		"2026-11-26T18:46:35Zmx1 postfix/smtpd[1]: x",
		"Nov 26 18:46:35",
		"Nov 26 18:46:35 ",
		"Nov 26 18:46:35 mx1",
		"Nov 26 18:46:3",
		"Now 26 18:46:35 mx1 postfix/smtpd[1]: x",
		"nov 26 18:46:35 mx1 postfix/smtpd[1]: x",
		"Nov 00 18:46:35 mx1 postfix/smtpd[1]: x",
		"Nov 32 18:46:35 mx1 postfix/smtpd[1]: x",
		"Nov 26 25:46:35 mx1 postfix/smtpd[1]: x",
		"Nov 26 18:46:35:mx1 postfix/smtpd[1]: x",
		"Nov2618:46:35 mx1 postfix/smtpd[1]: x",
		"Aug 3  15:30:49 mx1 postfix/smtpd[1]: x",	/* a padded unpadded day */
		"Aug  03 15:30:49 mx1 postfix/smtpd[1]: x",
		"Aug 003 15:30:49 mx1 postfix/smtpd[1]: x",
		"Aug 3 15:30:4 mx1 postfix/smtpd[1]: x",
		"Nov 26 18:46:35. mx1 postfix/smtpd[1]: x",	/* empty fraction */
		"Nov 26 18:46:35,5 mx1 postfix/smtpd[1]: x",
		"20x6 Nov 26 18:46:35 mx1 postfix/smtpd[1]: x",
		"2026  Nov 26 18:46:35 mx1 postfix/smtpd[1]: x",
		"2026 Nov 26 18:46 mx1 postfix/smtpd[1]: x",
		"2026-11-26T18:46:35+0000 mx1 postfix/smtpd[1]: x",	/* RFC 3339 needs the colon */
		/* rsyslog always puts a space after "tag[pid]:" */
		"2026-11-26T18:46:35Z mx1 postfix/smtpd[9]:x",
		"2026-11-26T18:46:35Z mx1 postfix/smtpd[9]x: y",
		"2026-11-26T18:46:35Z mx1 postfix/smtpd[[9]: y",
		"2026-11-26T18:46:35Z mx1 [9]: y",
		"2026-11-26T18:46:35Z mx1 : y",
		"2026-11-26T18:46:35Z mx1 post:fix[9]: y",
		"\xff\xfe\x80 binary",
	};

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct row t = {lines[i], RECORD_OTHER, NULL, NULL, NULL, NULL, -1, -1};

		check_row(&t, NOW_2026);
	}
}

/* NUL and other bytes are data: the parse is bounded by len, not by NUL. */
static void test_binary(void **state)
{
	(void) state;
	static const char line[] = "2026-11-26T18:46:35Z mx1 postfix/smtpd[7]: con\0nect \xff\x01 from";
	size_t len = sizeof(line) - 1;
	struct record r;

	record_parse(line, len, NOW_2026, &r);
	assert_int_equal(r.format, RECORD_RFC3339);
	assert_int_equal(r.pid, 7);
	assert_int_equal(r.line.len, len);
	assert_int_equal(r.msg.len, len - r.prefix_len);
	assert_memory_equal(r.msg.p, "con\0nect \xff\x01 from", r.msg.len);

	/* NUL inside the host: still a syslog line, the host is any run of
	   non-space bytes, NUL included (no byte value is special) */
	static const char nul_host[] = "2026-11-26T18:46:35Z m\0x postfix/smtpd[7]: x";
	record_parse(nul_host, sizeof(nul_host) - 1, NOW_2026, &r);
	assert_int_equal(r.format, RECORD_RFC3339);
	assert_int_equal(r.host.len, 3);
	assert_memory_equal(r.host.p, "m\0x", 3);
	assert_int_equal(r.pid, 7);

	/* NUL inside the timestamp: not a syslog line */
	static const char nul_ts[] = "2026-11-26T18:4\0:35Z mx1 postfix/smtpd[7]: x";
	record_parse(nul_ts, sizeof(nul_ts) - 1, NOW_2026, &r);
	assert_int_equal(r.format, RECORD_OTHER);
}

/* Every prefix of a good line parses without reading past len. The copies
   live in exactly-sized heap blocks so that ASan sees an over-read. */
static void test_truncated_prefixes(void **state)
{
	(void) state;
	static const char *const lines[] = {
		"2026-11-26T18:46:35.318738+00:00 mx1 postfix/smtpd[32591]: connect from unknown[192.0.2.7]",
		"Nov 26 18:46:35 mx1 postfix/smtpd[32591]: connect from unknown[192.0.2.7]",
		"2026-11-26T18:46:35Z mx1 postfix/smtpd: x",
		"Aug 3 15:30:49 mx1 postfix/smtpd[32591]: x",
		"Nov 06 18:46:35.318738 mx1 postfix/smtpd[32591]: x",
		"2026 Nov  6 18:46:35 mx1 postfix/smtpd[32591]: x",
	};

	for (size_t k = 0; k < sizeof(lines) / sizeof(lines[0]); k++) {
		size_t full = strlen(lines[k]);

		for (size_t n = 0; n <= full; n++) {
			char *copy = malloc(n ? n : 1);
			struct record r;

			assert_non_null(copy);
			memcpy(copy, lines[k], n);
			record_parse(copy, n, NOW_2026, &r);
			assert_int_equal(r.line.len, n);
			if (r.format != RECORD_OTHER) {
				assert_true(r.prefix_len <= n);
				assert_int_equal(r.prefix_len + r.msg.len, n);
				assert_true(r.ts.len > 0 && r.host.len > 0 && r.tag.len > 0);
			}
			free(copy);
		}
	}
}

static void test_span_helpers(void **state)
{
	(void) state;
	struct span s = {"postfix/smtpd", 13};

	assert_true(span_eq(s, "postfix/smtpd"));
	assert_false(span_eq(s, "postfix/smtp"));
	assert_false(span_eq(s, "postfix/smtpdx"));
	assert_true(span_startswith(s, "postfix/"));
	assert_true(span_startswith(s, ""));
	assert_false(span_startswith(s, "postfix/smtpd/"));
	assert_true(span_eq_span(s, (struct span) {"postfix/smtpd!", 13}));
	assert_false(span_eq_span(s, (struct span) {"postfix/smtpd", 12}));
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc3339),
		cmocka_unit_test(test_traditional),
		cmocka_unit_test(test_timestamp_forms),
		cmocka_unit_test(test_caches),
		cmocka_unit_test(test_year_rollover),
		cmocka_unit_test(test_year_exact_clock),
		cmocka_unit_test(test_year_new_year),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_binary),
		cmocka_unit_test(test_truncated_prefixes),
		cmocka_unit_test(test_span_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	record 3
 * SUMMARY
 *	parse a syslog line into a record, without copying it
 * SYNOPSIS
 *	#include "record.h"
 *
 *	void	record_parse(line, len, now_usec, ret_record)
 * DESCRIPTION
 *	record_parse() splits one log line (no newline, not necessarily
 *	NUL-terminated) into timestamp, host, tag, pid and message. The
 *	record's spans point into line: they are borrowed and valid while
 *	the caller keeps the line.
 *
 *	Two layouts are recognised, as rsyslog writes them on Debian 12:
 *	RSYSLOG_FileFormat (RFC 3339 timestamp) and
 *	RSYSLOG_TraditionalFileFormat ("Mmm dd hh:mm:ss", local time,
 *	no year). The year of a traditional timestamp is the latest of the
 *	years after, of and before that of now_usec that puts the line at
 *	most a day after now_usec: a log written in December and replayed in
 *	January is last year's, a line stamped "Jan  1 00:00:05" by a
 *	sender whose clock is a little ahead, read at 23:59:59 on December
 *	31, is next year's. now_usec must be current for the line (the
 *	caller reads the clock per line): the rule depends on its exact
 *	time, not only on its day.
 *
 *	A line that fits neither layout yields a record of format
 *	RECORD_OTHER whose only span is the line: it is passed through
 *	and decides nothing.
 * DIAGNOSTICS
 *	None: an unparsable line is not an error, it is a RECORD_OTHER record.
 * BUGS
 *	Timestamp conversions are cached in static storage: one thread. The
 *	cache of a traditional timestamp is keyed on its text and on the
 *	year of now_usec; the choice of year is made per call.
 * SECURITY
 *	The scan is linear and bounded by len; no byte value (NUL,
 *	invalid UTF-8) is special. Client text can only appear in the
 *	message part, which this module does not interpret.
 */

#include "record.h"

#include <string.h>
#include <time.h>

bool span_eq(struct span s, const char *lit)
{
	size_t n = strlen(lit);

	return s.len == n && memcmp(s.p, lit, n) == 0;
}

bool span_eq_span(struct span a, struct span b)
{
	return a.len == b.len && memcmp(a.p, b.p, a.len) == 0;
}

bool span_startswith(struct span s, const char *lit)
{
	size_t n = strlen(lit);

	return s.len >= n && memcmp(s.p, lit, n) == 0;
}

static int digits(const char *p, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (no time zone). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

/* 2026-11-26T18:46:35[.frac](Z|+hh:mm|-hh:mm): returns its length or 0. */
static size_t parse_rfc3339(const char *p, size_t len, int64_t *ret_usec)
{
	/* Consecutive lines share their minute: cache "YYYY-MM-DDTHH:MM". */
	static char cache_key[16];
	static int64_t cache_secs = -1;
	int y, mo, d, h, mi, s;
	size_t i = 19;
	int64_t frac = 0, base;
	int fdigits = 0;

	if (len < 20 || p[4] != '-' || p[7] != '-' || p[10] != 'T' || p[13] != ':' || p[16] != ':')
		return 0;
	if (cache_secs >= 0 && memcmp(p, cache_key, 16) == 0) {
		base = cache_secs;
	} else {
		if ((y = digits(p, 4)) < 0 || (mo = digits(p + 5, 2)) < 1 || mo > 12 ||
		    (d = digits(p + 8, 2)) < 1 || d > 31 || (h = digits(p + 11, 2)) < 0 || h > 23 ||
		    (mi = digits(p + 14, 2)) < 0 || mi > 59)
			return 0;
		base = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60;
		memcpy(cache_key, p, 16);
		cache_secs = base;
	}
	if ((s = digits(p + 17, 2)) < 0 || s > 60)
		return 0;
	if (p[i] == '.') {
		for (i++; i < len && p[i] >= '0' && p[i] <= '9'; i++)
			if (fdigits < 6) {
				frac = frac * 10 + (p[i] - '0');
				fdigits++;
			}
		if (fdigits == 0)
			return 0;
		for (; fdigits < 6; fdigits++)
			frac *= 10;
	}
	int64_t off = 0;

	if (i < len && p[i] == 'Z') {
		i++;
	} else if (i + 6 <= len && (p[i] == '+' || p[i] == '-') && p[i + 3] == ':') {
		int oh = digits(p + i + 1, 2), om = digits(p + i + 4, 2);

		if (oh < 0 || om < 0 || oh > 23 || om > 59)
			return 0;
		off = (oh * 60 + om) * 60 * (p[i] == '-' ? -1 : 1);
		i += 6;
	} else {
		return 0;
	}
	*ret_usec = (base + s - off) * 1000000 + frac;
	return i;
}

static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

static int year_infer(const char *p, int mo, int d, int h, int mi, int s, int64_t now_usec, int64_t *ret_usec);

/* "Nov 26 18:46:35" (day may be " 6"): returns 15 or 0. */
static size_t parse_traditional(const char *p, size_t len, int64_t now_usec, int64_t *ret_usec)
{
	int mo = -1, d, h, mi, s;

	if (len < 16 || p[3] != ' ' || p[6] != ' ' || p[9] != ':' || p[12] != ':')
		return 0;
	for (int i = 0; i < 12; i++)
		if (memcmp(p, months + 3 * i, 3) == 0)
			mo = i;
	if (mo < 0)
		return 0;
	d = p[4] == ' ' ? digits(p + 5, 1) : digits(p + 4, 2);
	if (d < 1 || d > 31 || (h = digits(p + 7, 2)) < 0 || h > 23 ||
	    (mi = digits(p + 10, 2)) < 0 || mi > 59 || (s = digits(p + 13, 2)) < 0 || s > 60)
		return 0;

	return year_infer(p, mo, d, h, mi, s, now_usec, ret_usec) < 0 ? 0 : 15;
}

/*
 * The local year of now, cached with its bounds [start, next) in seconds:
 * a new year is looked up once, not per line.
 */
static int local_year(time_t now, time_t *ret_next)
{
	static int year;
	static time_t start = 1, next = 0;	/* empty: nothing cached */

	if (now < start || now >= next) {
		struct tm ref, tm;

		if (localtime_r(&now, &ref) == NULL)
			return INT32_MIN;
		year = ref.tm_year;
		memset(&tm, 0, sizeof(tm));
		tm.tm_year = year;
		tm.tm_mday = 1;
		tm.tm_isdst = -1;
		start = mktime(&tm);
		memset(&tm, 0, sizeof(tm));
		tm.tm_year = year + 1;
		tm.tm_mday = 1;
		tm.tm_isdst = -1;
		next = mktime(&tm);
		if (start == (time_t) -1 || next == (time_t) -1 || now < start || now >= next) {
			start = 1;	/* not cached: the next call looks again */
			next = 0;
			*ret_next = (time_t) -1;
			return year;
		}
	}
	*ret_next = next;
	return year;
}

/*
 * A traditional timestamp's time in the years around now's (tm_year
 * year + k, k = -1, 0, 1). mktime() is slow and consecutive lines mostly
 * share their second: the three candidates of the last text are cached
 * with the year they were made for, and only the choice, which depends
 * on the exact now, is made per call.
 */
static int year_infer(const char *p, int mo, int d, int h, int mi, int s, int64_t now_usec, int64_t *ret_usec)
{
	static char cache_ts[15];
	static int cache_year = INT32_MIN;
	static int64_t cand[3];			/* INT64_MIN: not made yet; -1: mktime() failed */
	time_t now = (time_t) (now_usec / 1000000), next;
	int year = local_year(now, &next);
	int64_t limit = (int64_t) now + 86400;

	if (year == INT32_MIN)
		return -1;
	if (cache_year != year || memcmp(cache_ts, p, 15) != 0) {
		memcpy(cache_ts, p, 15);
		cache_year = year;
		cand[0] = cand[1] = cand[2] = INT64_MIN;
	}
	/* the year after only when now is within a day of its start */
	for (int k = next != (time_t) -1 && limit >= (int64_t) next ? 1 : 0; k >= -1; k--) {
		int64_t *t = &cand[k + 1];

		if (*t == INT64_MIN) {
			struct tm tm;

			memset(&tm, 0, sizeof(tm));
			tm.tm_year = year + k;
			tm.tm_mon = mo;
			tm.tm_mday = d;
			tm.tm_hour = h;
			tm.tm_min = mi;
			tm.tm_sec = s;
			tm.tm_isdst = -1;
			time_t v = mktime(&tm);

			*t = v == (time_t) -1 ? -1 : (int64_t) v;
		}
		if (*t == -1)
			continue;
		if (*t <= limit || k == -1) {
			*ret_usec = *t * 1000000;
			return 0;
		}
	}
	return -1;
}

/* A line that is not syslog: passed through, decides nothing. */
static void record_other(const char *line, size_t len, struct record *r)
{
	memset(r, 0, sizeof(*r));
	r->format = RECORD_OTHER;
	r->line = (struct span) {line, len};
	r->msg = r->line;
	r->pid = -1;
	r->usec = -1;
	r->trusted = true;
}

void record_parse(const char *line, size_t len, int64_t now_usec, struct record *ret_record)
{
	struct record r;
	size_t i, tslen;

	record_other(line, len, &r);

	if ((tslen = parse_rfc3339(line, len, &r.usec)) > 0)
		r.format = RECORD_RFC3339;
	else if ((tslen = parse_traditional(line, len, now_usec, &r.usec)) > 0)
		r.format = RECORD_TRADITIONAL;
	else
		goto other;
	if (tslen >= len || line[tslen] != ' ')
		goto other;
	r.ts = (struct span) {line, tslen};

	/* host: one word */
	size_t h0 = tslen + 1;
	const char *sp = memchr(line + h0, ' ', len - h0);

	if (sp == NULL || sp == line + h0)
		goto other;
	i = (size_t) (sp - line);
	r.host = (struct span) {line + h0, i - h0};
	i++;

	/* "tag[pid]:" or "tag:", then a space or the end of the line */
	size_t t0 = i;
	const char *end = memchr(line + t0, ' ', len - t0);
	size_t e = end ? (size_t) (end - line) : len;	/* the block is line[t0..e) */

	if (e - t0 < 2 || line[e - 1] != ':')
		goto other;
	size_t tag_end = e - 1;

	if (line[e - 2] == ']') {
		size_t p0 = e - 2;
		long pid = 0;

		while (p0 > t0 && line[p0 - 1] >= '0' && line[p0 - 1] <= '9')
			p0--;
		if (p0 == e - 2 || e - 2 - p0 > 10 || p0 <= t0 + 1 || line[p0 - 1] != '[')
			goto other;
		for (size_t k = p0; k < e - 2; k++)
			pid = pid * 10 + (line[k] - '0');
		r.pid = pid;
		tag_end = p0 - 1;
	}
	if (tag_end == t0 || memchr(line + t0, '[', tag_end - t0) || memchr(line + t0, ':', tag_end - t0))
		goto other;
	r.tag = (struct span) {line + t0, tag_end - t0};
	i = e < len ? e + 1 : e;
	r.prefix_len = i;
	r.msg = (struct span) {line + i, len - i};
	*ret_record = r;
	return;

other:
	record_other(line, len, ret_record);
}

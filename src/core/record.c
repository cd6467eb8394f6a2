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
 *	bool	span_eq(s, lit)
 *	bool	span_eq_span(a, b)
 *	bool	span_startswith(s, lit)
 * DESCRIPTION
 *	record_parse() splits one log line (no newline, not necessarily
 *	NUL-terminated) into timestamp, host, tag, pid and message. The
 *	record's spans point into line: they are borrowed and valid while
 *	the caller keeps the line.
 *
 *	The line is "TIMESTAMP HOST TAG[PID]: MSG" (or "TAG: MSG"), the
 *	timestamp in any form a syslog daemon or Postfix itself writes:
 *
 *	RFC 3339 (RECORD_RFC3339): "2026-11-26T18:46:35.318738+00:00",
 *	rsyslog's RSYSLOG_FileFormat and syslog-ng's ts_format(iso); any
 *	fraction (digits past the sixth are dropped) or none, "Z" or any
 *	"+hh:mm"/"-hh:mm" offset, 'T' and 'Z' in either case.
 *
 *	Local time without a year (RECORD_TRADITIONAL): "Nov 26 18:46:35",
 *	rsyslog's RSYSLOG_TraditionalFileFormat and syslog-ng's default
 *	$DATE, the day padded with a space ("Nov  6"), with a zero ("Nov
 *	06": Postfix's own maillog_file, postlogd(8)) or not at all ("Aug
 *	3"), with an optional fraction (syslog-ng's frac-digits()); and
 *	syslog-ng's ts_format(full) "2026 Nov  6 18:46:35", whose year is
 *	given.
 *
 *	The year of a timestamp without one is the latest of the years
 *	after, of and before that of now_usec that puts the line at
 *	most a day after now_usec: a log written in December and replayed in
 *	January is last year's, a line stamped "Jan  1 00:00:05" by a
 *	sender whose clock is a little ahead, read at 23:59:59 on December
 *	31, is next year's. now_usec must be current for the line (the
 *	caller reads the clock per line): the rule depends on its exact
 *	time, not only on its day.
 *
 *	A line that fits none of these yields a record of format
 *	RECORD_OTHER whose only span is the line: it is passed through
 *	and decides nothing.
 * DIAGNOSTICS
 *	None: an unparsable line is not an error, it is a RECORD_OTHER record.
 * BUGS
 *	Parses are cached in static storage: one thread. The last
 *	timestamp's text (without a fraction) and the last line's "HOST
 *	TAG[PID]: " are kept, and a line that starts with the same bytes
 *	reuses their parse; the time of a timestamp without a year is cached
 *	by its date and the year of now_usec, and the choice of year is made
 *	again for each second of now_usec.
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

/*
 * a[0..n) == b[0..n), 8 bytes at a time: the kept timestamp and prefix are
 * compared on every line, and a call to memcmp() costs more than the
 * compare of their 15 to 40 bytes.
 */
static inline bool same_bytes(const char *a, const char *b, size_t n)
{
	uint64_t x, y;
	size_t i;

	if (n < 8) {
		for (i = 0; i < n; i++)
			if (a[i] != b[i])
				return false;
		return true;
	}
	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		if (x != y)
			return false;
	}
	memcpy(&x, a + n - 8, 8);	/* the tail, overlapping */
	memcpy(&y, b + n - 8, 8);
	return x == y;
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

/* ".ddd..." at p[0] (up to len): µs of the fraction (digits past the sixth
   are read and dropped); returns the bytes read, 0 when there is none, or
   -1 for a '.' without digits. */
static int parse_fraction(const char *p, size_t len, int64_t *ret_frac)
{
	size_t i = 1;
	int64_t frac = 0;
	int fdigits = 0;

	if (len == 0 || p[0] != '.')
		return 0;
	/* the usual six digits (rsyslog, syslog-ng's frac-digits(6)) */
	if (len >= 7 && (len == 7 || p[7] < '0' || p[7] > '9') && (frac = digits(p + 1, 6)) >= 0) {
		*ret_frac = frac;
		return 7;
	}
	frac = 0;
	for (; i < len && p[i] >= '0' && p[i] <= '9'; i++)
		if (fdigits < 6) {
			frac = frac * 10 + (p[i] - '0');
			fdigits++;
		}
	if (fdigits == 0 || i > INT32_MAX)
		return -1;
	for (; fdigits < 6; fdigits++)
		frac *= 10;
	*ret_frac = frac;
	return (int) i;
}

/* 2026-11-26T18:46:35[.frac](Z|+hh:mm|-hh:mm), 't' and 'z' in lower case too
   (RFC 3339 5.6): returns its length or 0. */
static size_t parse_rfc3339(const char *p, size_t len, int64_t *ret_usec)
{
	/* Consecutive lines share their minute: cache "YYYY-MM-DDTHH:MM". */
	static char cache_key[16];
	static int64_t cache_secs = -1;
	int y, mo, d, h, mi, s, n;
	size_t i = 19;
	int64_t frac = 0, base;

	if (len < 20 || p[4] != '-' || p[7] != '-' || (p[10] != 'T' && p[10] != 't') || p[13] != ':' ||
	    p[16] != ':')
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
	if ((n = parse_fraction(p + i, len - i, &frac)) < 0)
		return 0;
	i += (size_t) n;
	int64_t off = 0;

	if (i < len && (p[i] == 'Z' || p[i] == 'z')) {
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

/* "Jan".."Dec" at p: 0..11, or -1. */
static int month_of(const char *p)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	int first;

	switch (p[0]) {
	case 'J': first = 0; break;	/* Jan Jun Jul */
	case 'F': first = 1; break;
	case 'M': first = 2; break;	/* Mar May */
	case 'A': first = 3; break;	/* Apr Aug */
	case 'S': first = 8; break;
	case 'O': first = 9; break;
	case 'N': first = 10; break;
	case 'D': first = 11; break;
	default: return -1;
	}
	for (int m = first; m < 12; m++)
		if (months[3 * m] == p[0] && months[3 * m + 1] == p[1] && months[3 * m + 2] == p[2])
			return m;
	return -1;
}

/* A local date and time without its year (or with it: year >= 0). */
struct civil {
	int year, mo, d, h, mi, s;
	int64_t frac;
};

/*
 * "Mmm dd hh:mm:ss[.frac]" at p: RFC 3164 as rsyslog (RSYSLOG_Traditional-
 * FileFormat), syslog-ng ($DATE) and sysklogd write it, the day padded with
 * a space ("Aug  3"), with a zero (Postfix's own maillog_file: "Aug 03") or
 * not at all ("Aug 3"); syslog-ng's frac-digits() adds a fraction. Returns
 * its length or 0.
 */
static size_t parse_bsd(const char *p, size_t len, struct civil *ret)
{
	size_t i;
	int n;

	if (len < 15 || p[3] != ' ' || (ret->mo = month_of(p)) < 0)
		return 0;
	if (p[4] == ' ') {			/* " 3" */
		ret->d = digits(p + 5, 1);
		i = 6;
	} else if (p[5] == ' ') {		/* "3": unpadded */
		ret->d = digits(p + 4, 1);
		i = 5;
	} else {				/* "03", "13" */
		ret->d = digits(p + 4, 2);
		i = 6;
	}
	if (ret->d < 1 || ret->d > 31 || p[i] != ' ' || i + 9 > len || p[i + 3] != ':' || p[i + 6] != ':' ||
	    (ret->h = digits(p + i + 1, 2)) < 0 || ret->h > 23 || (ret->mi = digits(p + i + 4, 2)) < 0 ||
	    ret->mi > 59 || (ret->s = digits(p + i + 7, 2)) < 0 || ret->s > 60)
		return 0;
	i += 9;
	ret->frac = 0;
	if ((n = parse_fraction(p + i, len - i, &ret->frac)) < 0)
		return 0;
	ret->year = -1;
	return i + (size_t) n;
}

/* "yyyy Mmm dd hh:mm:ss[.frac]": syslog-ng's ts_format(full). */
static size_t parse_full(const char *p, size_t len, struct civil *ret)
{
	size_t n;
	int y;

	if (len < 20 || p[4] != ' ' || (y = digits(p, 4)) < 0 || (n = parse_bsd(p + 5, len - 5, ret)) == 0)
		return 0;
	ret->year = y;
	return n + 5;
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

/* Seconds since the epoch of c in year tm_year (years since 1900), local time; -1: none. */
static int64_t local_secs(const struct civil *c, int tm_year)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = tm_year;
	tm.tm_mon = c->mo;
	tm.tm_mday = c->d;
	tm.tm_hour = c->h;
	tm.tm_min = c->mi;
	tm.tm_sec = c->s;
	tm.tm_isdst = -1;
	time_t v = mktime(&tm);

	return v == (time_t) -1 ? -1 : (int64_t) v;
}

/*
 * A local timestamp's time. With its year (syslog-ng's full format) it is
 * that year's; without, it is in one of the years around now's (tm_year
 * year + k, k = -1, 0, 1). mktime() is slow and consecutive lines mostly
 * share their second: the candidates of the last date are cached with the
 * year they were made for, and only the choice, which depends on the exact
 * now, is made per call.
 */
static int local_usec(const struct civil *c, int64_t now_usec, int64_t *ret_usec)
{
	static struct civil key = {.mo = -1};
	static int cache_year = INT32_MIN;
	static int64_t cand[3];			/* INT64_MIN: not made yet; -1: mktime() failed */
	time_t now = (time_t) (now_usec / 1000000), next = (time_t) -1;
	int year = c->year >= 0 ? c->year - 1900 : local_year(now, &next);
	int64_t limit = (int64_t) now + 86400;

	if (year == INT32_MIN)
		return -1;
	if (cache_year != year || key.year != c->year || key.mo != c->mo || key.d != c->d || key.h != c->h ||
	    key.mi != c->mi || key.s != c->s) {
		key = *c;
		cache_year = year;
		cand[0] = cand[1] = cand[2] = INT64_MIN;
	}
	if (c->year >= 0) {
		if (cand[1] == INT64_MIN)
			cand[1] = local_secs(c, year);
		if (cand[1] == -1)
			return -1;
		*ret_usec = cand[1] * 1000000 + c->frac;
		return 0;
	}
	/* the year after only when now is within a day of its start */
	for (int k = next != (time_t) -1 && limit >= (int64_t) next ? 1 : 0; k >= -1; k--) {
		int64_t *t = &cand[k + 1];

		if (*t == INT64_MIN)
			*t = local_secs(c, year + k);
		if (*t == -1)
			continue;
		if (*t <= limit || k == -1) {
			*ret_usec = *t * 1000000 + c->frac;
			return 0;
		}
	}
	return -1;
}

/*
 * The timestamp at the start of line, of any form: its length (0: none),
 * format and time. The last one's text is kept: a line that starts with
 * the same bytes (most lines of a busy second, in the forms without a
 * fraction) reuses its parse, and only a timestamp without a year is
 * placed in a year again, for the now of this line.
 */
#define TS_CACHE_MAX 40
static size_t parse_timestamp(const char *line, size_t len, int64_t now_usec, enum record_format *ret_format,
			      int64_t *ret_usec)
{
	static char text[TS_CACHE_MAX];
	static size_t text_len;			/* 0: nothing cached */
	static enum record_format format;
	static int64_t usec;			/* the time of the kept text */
	static struct civil local;		/* the local forms */
	static int64_t local_now = INT64_MIN;	/* the second of now local's time was placed for */
	struct civil c;
	size_t n;

	if (text_len && len > text_len && line[text_len] == ' ' && same_bytes(line, text, text_len)) {
		if (format == RECORD_TRADITIONAL && now_usec / 1000000 != local_now) {
			if (local_usec(&local, now_usec, &usec) < 0)
				return 0;
			local_now = now_usec / 1000000;
		}
		*ret_usec = usec;	/* RFC 3339, or local's time for this second of now */
		*ret_format = format;
		return text_len;
	}
	if ((n = parse_rfc3339(line, len, ret_usec)) > 0) {
		*ret_format = RECORD_RFC3339;
		usec = *ret_usec;
	} else if ((n = parse_bsd(line, len, &c)) > 0 || (n = parse_full(line, len, &c)) > 0) {
		local = c;	/* only now: a failed parse leaves the kept one whole */
		if (local_usec(&local, now_usec, ret_usec) < 0) {
			text_len = 0;
			return 0;
		}
		usec = *ret_usec;
		local_now = now_usec / 1000000;
		*ret_format = RECORD_TRADITIONAL;
	} else {
		return 0;
	}
	/* with a fraction, the next line's text differs: not worth a copy */
	format = *ret_format;
	text_len = n < TS_CACHE_MAX && memchr(line, '.', n) == NULL ? n : 0;
	memcpy(text, line, text_len);
	return n;
}

/* The bytes that end a tag: ' ', '[' (its pid) and ':' (its end). */
static const bool tag_stop[256] = {[' '] = true, ['['] = true, [':'] = true};

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

/* The last line's "host tag[pid]: " (see record_parse()). */
static struct {
	char text[96];
	size_t len;			/* 0: nothing kept */
	size_t host_len, tag_len;
	long pid;
} pfx;

void record_parse(const char *line, size_t len, int64_t now_usec, struct record *ret_record)
{
	struct record *r = ret_record;	/* written in place: no copy per line */
	size_t i, tslen;

	record_other(line, len, r);

	if ((tslen = parse_timestamp(line, len, now_usec, &r->format, &r->usec)) == 0 || tslen >= len ||
	    line[tslen] != ' ')
		goto other;
	r->ts = (struct span) {line, tslen};

	/* Consecutive lines mostly come from one process: the last line's
	   "host tag[pid]: " is kept, and a line that goes on with the same
	   bytes has the same host, tag and pid. */
	size_t h0 = tslen + 1;

	if (pfx.len && len - h0 >= pfx.len && same_bytes(line + h0, pfx.text, pfx.len)) {
		r->host = (struct span) {line + h0, pfx.host_len};
		r->tag = (struct span) {line + h0 + pfx.host_len + 1, pfx.tag_len};
		r->pid = pfx.pid;
		i = h0 + pfx.len;
		goto done;
	}

	/* host: one word */
	const char *sp = memchr(line + h0, ' ', len - h0);

	if (sp == NULL || sp == line + h0)
		goto other;
	i = (size_t) (sp - line);
	r->host = (struct span) {line + h0, i - h0};
	i++;

	/* "tag[pid]:" or "tag:", then a space or the end of the line: one pass */
	size_t t0 = i, tag_end;

	while (i < len && !tag_stop[(unsigned char) line[i]])
		i++;
	tag_end = i;
	if (tag_end == t0 || i >= len)
		goto other;
	if (line[i] == '[') {
		size_t p0 = ++i;
		long pid = 0;

		while (i < len && (unsigned) (line[i] - '0') < 10)
			i++;
		if (i == p0 || i - p0 > 10 || i + 1 >= len || line[i] != ']')
			goto other;
		for (size_t k = p0; k < i; k++)
			pid = pid * 10 + (line[k] - '0');
		r->pid = pid;
		i++;
	}
	if (line[i] != ':' || (i + 1 < len && line[i + 1] != ' '))
		goto other;
	r->tag = (struct span) {line + t0, tag_end - t0};
	i = i + 1 < len ? i + 2 : i + 1;
	if (i < len && i - h0 <= sizeof(pfx.text)) {	/* ends with ": ": kept for the next line */
		pfx.len = i - h0;
		memcpy(pfx.text, line + h0, pfx.len);
		pfx.host_len = r->host.len;
		pfx.tag_len = r->tag.len;
		pfx.pid = r->pid;
	}
done:
	r->prefix_len = i;
	r->msg = (struct span) {line + i, len - i};
	return;

other:
	record_other(line, len, ret_record);
}

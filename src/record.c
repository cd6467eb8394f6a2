/*
 * NAME
 *	record 3
 * SUMMARY
 *	parse a syslog line into a record, without copying it
 * SYNOPSIS
 *	#include "record.h"
 *
 *	int	record_parse(line, len, now_usec, ret_record)
 * DESCRIPTION
 *	record_parse() splits one log line (no newline, not necessarily
 *	NUL-terminated) into timestamp, host, tag, pid and message. The
 *	record's spans point into line: they are borrowed and valid while
 *	the caller keeps the line.
 *
 *	Two layouts are recognised, as rsyslog writes them on Debian 12:
 *	RSYSLOG_FileFormat (RFC 3339 timestamp) and
 *	RSYSLOG_TraditionalFileFormat ("Mmm dd hh:mm:ss", local time,
 *	no year). The year of a traditional timestamp is that of now_usec,
 *	or the year before when that would put the line more than a day in
 *	the future (a log replayed in January that was written in December).
 *
 *	A line that fits neither layout yields a record of format
 *	RECORD_OTHER whose only span is the line: it is passed through
 *	and decides nothing.
 * DIAGNOSTICS
 *	Always returns 0: an unparsable line is not an error.
 * BUGS
 *	Timestamp conversions are cached in static storage: one thread.
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

	/* mktime() is slow: consecutive lines mostly share their second. */
	static char cache_ts[15];
	static int64_t cache_now_day = -1, cache_usec;
	int64_t now_day = now_usec / 86400000000;

	if (cache_now_day == now_day && memcmp(cache_ts, p, 15) == 0) {
		*ret_usec = cache_usec;
		return 15;
	}

	time_t now = (time_t) (now_usec / 1000000);
	struct tm ref, tm;

	localtime_r(&now, &ref);
	for (int back = 0; back < 2; back++) {
		memset(&tm, 0, sizeof(tm));
		tm.tm_year = ref.tm_year - back;
		tm.tm_mon = mo;
		tm.tm_mday = d;
		tm.tm_hour = h;
		tm.tm_min = mi;
		tm.tm_sec = s;
		tm.tm_isdst = -1;
		time_t t = mktime(&tm);

		if (t == (time_t) -1)
			return 0;
		if (back == 0 && t > now + 86400)
			continue;
		*ret_usec = (int64_t) t * 1000000;
		memcpy(cache_ts, p, 15);
		cache_now_day = now_day;
		cache_usec = *ret_usec;
		return 15;
	}
	return 0;
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

int record_parse(const char *line, size_t len, int64_t now_usec, struct record *ret_record)
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
	return 0;

other:
	record_other(line, len, ret_record);
	return 0;
}

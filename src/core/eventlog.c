/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	eventlog 3
 * SUMMARY
 *	read one line of the events log
 * SYNOPSIS
 *	#include "eventlog.h"
 *
 *	bool	eventlog_parse(p, len, ret)
 *	int64_t	eventlog_time(rfc3339)
 * DESCRIPTION
 *	eventlog_parse() reads a line of the events log (events(3)): one
 *	flat JSON object whose values are strings, integers, true, false or
 *	null. The fields authfold writes (ts, event, reason, rule, addr,
 *	client, host, tag, pid, prefix, seconds, strikes, set, dry_run,
 *	applied_seconds, by) land in ret[EVF_...]: present, is_string,
 *	is_null, num (integers; true is 1), val (a string, decoded: the
 *	\u00XX that events(3) writes for a raw byte gives that byte back,
 *	other \uXXXX UTF-8). Other keys are skipped. It returns false for
 *	anything else: a line cut by a crash, nested values, garbage.
 *
 *	eventlog_time() reads an RFC 3339 time (2026-11-26T18:46:35.318738+00:00,
 *	...Z) as µs since the epoch; -1 when it is not one, or names a time
 *	that does not exist (2026-02-30, 24:00, an offset of +99:99).
 * SECURITY
 *	Strings are cut at EVENTLOG_FIELD_MAX - 1 bytes; nothing is
 *	allocated; every index is checked against the line's end.
 */

#include "eventlog.h"
#include "strlit.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* YYYY-MM-DDTHH:MM:SS with digits where digits go. */
static bool shape_ok(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";

	if (strlen(s) < 20)
		return false;
	for (size_t i = 0; i < sizeof(shape) - 1; i++)
		if (shape[i] == 'd' ? !isdigit((unsigned char) s[i]) : s[i] != shape[i] &&
		    !(shape[i] == 'T' && (s[i] == 't' || s[i] == ' ')))
			return false;
	return true;
}

/* A time that exists (a leap second :60 is let through); no 2026-02-30. */
static bool time_exists(const struct tm *tm)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y = tm->tm_year;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return tm->tm_mon >= 1 && tm->tm_mon <= 12 && tm->tm_mday >= 1 &&
	       tm->tm_mday <= days[tm->tm_mon - 1] + (tm->tm_mon == 2 && leap) && tm->tm_hour <= 23 &&
	       tm->tm_min <= 59 && tm->tm_sec <= 60;
}

int64_t eventlog_time(const char *s)
{
	struct tm tm = {0};
	int64_t usec = 0, scale = 100000;
	const char *p;
	int off = 0;

	if (!shape_ok(s) || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
				   &tm.tm_min, &tm.tm_sec) != 6 || !time_exists(&tm))
		return -1;
	p = s + 19;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
			if (scale > 0)
				usec += (*p - '0') * scale;
	if ((*p == 'Z' || *p == 'z') && p[1] == 0)
		off = 0;
	else if ((*p == '+' || *p == '-') && isdigit((unsigned char) p[1]) && isdigit((unsigned char) p[2]) &&
		 p[3] == ':' && isdigit((unsigned char) p[4]) && isdigit((unsigned char) p[5]) && p[6] == 0)
		off = ((p[1] - '0') * 10 + (p[2] - '0')) * 3600 + ((p[4] - '0') * 10 + (p[5] - '0')) * 60,
		off = *p == '-' ? -off : off;
	else
		return -1;
	if (off > 23 * 3600 + 59 * 60 || off < -(23 * 3600 + 59 * 60) || (p[0] != 'Z' && p[0] != 'z' && p[4] > '5'))
		return -1;	/* an impossible offset: +24:00, +99:99 */
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	time_t t = timegm(&tm);

	if (t == (time_t) -1)
		return -1;
	return ((int64_t) t - off) * 1000000 + usec;
}

static const char *const field_names[EVF_COUNT] = {
	"ts", "event", "reason", "rule", "addr", "client", "host", "tag", "pid", "prefix", "seconds", "strikes",
	"set", "dry_run", "applied_seconds", "by",
};

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
		p++;
	return p;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Parses a string at p (its quote); decodes into out (cap bytes, cut). */
static const char *parse_string(const char *p, const char *end, char *out, size_t cap)
{
	size_t n = 0;

	if (p >= end || *p != '"')
		return NULL;
	for (p++; p < end && *p != '"'; p++) {
		unsigned cp;
		char tmp[4];
		size_t k = 0;

		if ((unsigned char) *p < 0x20)
			return NULL;
		if (*p != '\\') {
			tmp[k++] = *p;
		} else {
			if (++p >= end)
				return NULL;
			switch (*p) {
			case '"': case '\\': case '/': tmp[k++] = *p; break;
			case 'b': tmp[k++] = '\b'; break;
			case 'f': tmp[k++] = '\f'; break;
			case 'n': tmp[k++] = '\n'; break;
			case 'r': tmp[k++] = '\r'; break;
			case 't': tmp[k++] = '\t'; break;
			case 'u':
				if (end - p < 5 || hexval(p[1]) < 0 || hexval(p[2]) < 0 || hexval(p[3]) < 0 || hexval(p[4]) < 0)
					return NULL;
				cp = (unsigned) (hexval(p[1]) << 12 | hexval(p[2]) << 8 | hexval(p[3]) << 4 | hexval(p[4]));
				p += 4;
				if (cp < 0x100) {	/* events.c writes a raw byte as \u00XX */
					tmp[k++] = (char) cp;
				} else if (cp < 0x800) {
					tmp[k++] = (char) (0xc0 | cp >> 6);
					tmp[k++] = (char) (0x80 | (cp & 0x3f));
				} else {
					tmp[k++] = (char) (0xe0 | cp >> 12);
					tmp[k++] = (char) (0x80 | (cp >> 6 & 0x3f));
					tmp[k++] = (char) (0x80 | (cp & 0x3f));
				}
				break;
			default:
				return NULL;
			}
		}
		for (size_t i = 0; i < k; i++)
			if (n + 1 < cap)
				out[n++] = tmp[i];
	}
	if (p >= end)
		return NULL;
	if (cap)
		out[n] = 0;
	return p + 1;
}

bool eventlog_parse(const char *p, size_t len, struct eventlog_value *f)
{
	const char *end = p + len;
	char key[64];

	for (int i = 0; i < EVF_COUNT; i++) {
		f[i].present = f[i].is_string = f[i].is_null = false;
		f[i].val[0] = 0;
		f[i].num = 0;
	}
	p = skip_ws(p, end);
	if (p >= end || *p++ != '{')
		return false;
	p = skip_ws(p, end);
	if (p < end && *p == '}')
		return skip_ws(p + 1, end) == end;
	for (;;) {
		struct eventlog_value *x = NULL;
		char scratch[8];

		p = skip_ws(p, end);
		if ((p = parse_string(p, end, key, sizeof(key))) == NULL)
			return false;
		for (int i = 0; i < EVF_COUNT; i++)
			if (strcmp(key, field_names[i]) == 0)
				x = &f[i];
		p = skip_ws(p, end);
		if (p >= end || *p++ != ':')
			return false;
		p = skip_ws(p, end);
		if (p >= end)
			return false;
		if (*p == '"') {
			p = x ? parse_string(p, end, x->val, sizeof(x->val)) : parse_string(p, end, scratch, 0);
			if (p == NULL)
				return false;
			if (x)
				x->is_string = true;
		} else if (STRLIT_PREFIX(p, end - p, "null")) {
			p += STRLIT_LEN("null");
			if (x)
				x->is_null = true;
		} else if (STRLIT_PREFIX(p, end - p, "true")) {
			p += STRLIT_LEN("true");
			if (x)
				x->num = 1;
		} else if (STRLIT_PREFIX(p, end - p, "false")) {
			p += STRLIT_LEN("false");
		} else if (*p == '-' || (*p >= '0' && *p <= '9')) {
			bool neg = *p == '-';
			int64_t v = 0;

			if (neg)
				p++;
			if (p >= end || *p < '0' || *p > '9')
				return false;
			for (; p < end && *p >= '0' && *p <= '9'; p++)
				v = v < INT64_MAX / 10 ? v * 10 + (*p - '0') : INT64_MAX;
			if (x)
				x->num = neg ? -v : v;
		} else {
			return false;	/* nested values are not ours */
		}
		if (x)
			x->present = true;
		p = skip_ws(p, end);
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		if (p < end && *p == '}')
			return skip_ws(p + 1, end) == end;
		return false;
	}
}

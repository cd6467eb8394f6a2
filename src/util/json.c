/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	json 3
 * SUMMARY
 *	the one JSON string encoder
 * SYNOPSIS
 *	#include "json.h"
 *
 *	int	json_quote(p, n, put, data)
 *	int	json_string(o, p, n)
 *	void	json_fputs(fp, s)
 * DESCRIPTION
 *	json_quote() writes a JSON string of n arbitrary bytes through
 *	put: valid UTF-8 is kept, quotes, backslashes and control bytes
 *	(and DEL) are escaped, and each byte of an invalid sequence becomes
 *	\u00XX, so the output is valid JSON whatever a client put in the
 *	log. Runs of plain bytes go to put in one call.
 *
 *	json_string() is json_quote() into an output(3) (the events log,
 *	authfold why --json); json_fputs() into a stdio stream (authfold
 *	status --json).
 * DIAGNOSTICS
 *	json_quote() returns 0 or the first -errno of put, after which it
 *	writes nothing more; json_string() returns that of output_write().
 *	json_fputs() leaves a write error in ferror(fp).
 */

#include "json.h"

#include "output.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at p, or 0. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	size_t len;
	unsigned cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

int json_quote(const char *p, size_t n, json_put_fn *put, void *data)
{
	const unsigned char *u = (const unsigned char *) p;
	size_t i = 0, run = 0;
	char esc[8];
	int r;

	if ((r = put(data, "\"", 1)) < 0)
		return r;
	while (i < n) {
		size_t len = u[i] >= 0x20 && u[i] != '"' && u[i] != '\\' && u[i] != 0x7f ? utf8_len(u + i, n - i) : 0;

		if (len > 0) {
			i += len;
			run += len;
			continue;
		}
		if (run && (r = put(data, p + i - run, run)) < 0)
			return r;
		run = 0;
		if (u[i] == '"' || u[i] == '\\')
			snprintf(esc, sizeof(esc), "\\%c", u[i]);
		else
			snprintf(esc, sizeof(esc), "\\u%04x", u[i]);
		if ((r = put(data, esc, strlen(esc))) < 0)
			return r;
		i++;
	}
	if (run && (r = put(data, p + n - run, run)) < 0)
		return r;
	return put(data, "\"", 1);
}

static int put_output(void *data, const char *p, size_t n)
{
	return output_write(data, p, n);
}

int json_string(struct output *o, const char *p, size_t n)
{
	return json_quote(p, n, put_output, o);
}

static int put_stdio(void *data, const char *p, size_t n)
{
	return fwrite(p, 1, n, data) == n ? 0 : -EIO;
}

void json_fputs(FILE *fp, const char *s)
{
	(void) json_quote(s, strlen(s), put_stdio, fp);
}

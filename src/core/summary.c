/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	summary 3
 * SUMMARY
 *	write records and synthetic lines to the summary log
 * SYNOPSIS
 *	#include "summary.h"
 *
 *	int	summary_write(o, r, format, msg, msg_len, newline)
 *	int	summary_synthetic(o, r, format, client, client_len)
 *	size_t	format_rfc3339(usec, buf, len)
 *	size_t	format_traditional(usec, buf, len)
 * DESCRIPTION
 *	summary_write() writes record r. A syslog record is written byte for
 *	byte (its prefix, then msg, or its own message when msg is NULL). A
 *	journal record has no line: it is formatted as rsyslog would write it,
 *	RFC 3339 ("2026-11-26T18:46:35.318738+00:00 host tag[pid]: msg") or
 *	traditional ("Nov 26 18:46:35 host tag[pid]: msg") per format
 *	(SUMMARY_AS_INPUT means RFC 3339 there). newline ends the line; it is
 *	false for the head of an overlong line whose tail follows.
 *
 *	summary_synthetic() writes "warning: CLIENT: authentication not
 *	enabled" with the prefix (timestamp, host, tag[pid]) of r, the line
 *	that proved it.
 * DIAGNOSTICS
 *	Returns 0 or the -errno of output_write().
 */

#include "summary.h"
#include "strlit.h"

#include "session.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

size_t format_rfc3339(int64_t usec, char *buf, size_t len)
{
	time_t t = (time_t) (usec / 1000000);
	struct tm tm;
	char zone[40];

	localtime_r(&t, &tm);
	long off = tm.tm_gmtoff / 60;

	snprintf(zone, sizeof(zone), "%c%02ld:%02ld", off < 0 ? '-' : '+', (off < 0 ? -off : off) / 60,
		 (off < 0 ? -off : off) % 60);
	int n = snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06ld%s", tm.tm_year + 1900, tm.tm_mon + 1,
			 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long) (usec % 1000000), zone);

	return n < 0 ? 0 : (size_t) n < len ? (size_t) n : len - 1;
}

size_t format_traditional(int64_t usec, char *buf, size_t len)
{
	time_t t = (time_t) (usec / 1000000);
	struct tm tm;

	localtime_r(&t, &tm);
	return strftime(buf, len, "%b %e %H:%M:%S", &tm);
}

static int write_prefix(struct output *o, const struct record *r, enum summary_format format)
{
	char ts[64], pid[32];
	size_t n;
	int ret;

	if (r->format != RECORD_JOURNAL)
		return output_write(o, r->line.p, r->prefix_len);
	if (format == SUMMARY_TRADITIONAL)
		n = format_traditional(r->usec, ts, sizeof(ts));
	else
		n = format_rfc3339(r->usec, ts, sizeof(ts));
	if ((ret = output_write(o, ts, n)) < 0 || (ret = output_write(o, " ", 1)) < 0 ||
	    (ret = output_write(o, r->host.p, r->host.len)) < 0 || (ret = output_write(o, " ", 1)) < 0 ||
	    (ret = output_write(o, r->tag.p, r->tag.len)) < 0)
		return ret;
	n = r->pid >= 0 ? (size_t) snprintf(pid, sizeof(pid), "[%ld]: ", r->pid) : (size_t) snprintf(pid, sizeof(pid), ": ");
	return output_write(o, pid, n);
}

int summary_write(struct output *o, const struct record *r, enum summary_format format,
		  const char *msg, size_t msg_len, bool newline)
{
	int ret;

	if (msg == NULL && r->format != RECORD_JOURNAL) {
		ret = output_write(o, r->line.p, r->line.len);
	} else {
		if (msg == NULL) {
			msg = r->msg.p;
			msg_len = r->msg.len;
		}
		if ((ret = write_prefix(o, r, format)) == 0)
			ret = output_write(o, msg, msg_len);
	}
	if (ret == 0 && newline)
		ret = output_write(o, "\n", 1);
	return ret;
}

int summary_synthetic(struct output *o, const struct record *r, enum summary_format format,
		      const char *client, size_t client_len)
{
	char msg[SESSION_CLIENT_MAX + 64];
	size_t n = 0;

	memcpy(msg, "warning: ", STRLIT_LEN("warning: "));
	n = STRLIT_LEN("warning: ");
	memcpy(msg + n, client, client_len);
	n += client_len;
	memcpy(msg + n, SYNTHETIC_SUFFIX, sizeof(SYNTHETIC_SUFFIX) - 1);
	n += sizeof(SYNTHETIC_SUFFIX) - 1;
	return summary_write(o, r, format, msg, n, true);
}

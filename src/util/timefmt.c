/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	timefmt 3
 * SUMMARY
 *	UTC times for status outputs
 * SYNOPSIS
 *	#include "timefmt.h"
 *
 *	void	timefmt_utc(sec, buf, len)
 *	void	timefmt_utc_usec(usec, buf, len)
 * DESCRIPTION
 *	The one place that writes an RFC 3339 UTC time of whole seconds
 *	("2026-12-07T16:57:08Z"), as authfold status shows it in text and
 *	JSON. The buffer holds len bytes; TIMEFMT_UTC_LEN is enough.
 *
 *	timefmt_utc() takes seconds since the epoch; a time that gmtime(3)
 *	cannot represent, or a buffer too short, gives "?". 0 is the
 *	epoch itself.
 *
 *	timefmt_utc_usec() takes microseconds since the epoch; 0 or less
 *	means "no time" and gives "-", as does a time that cannot be
 *	represented. Apart from that it writes what timefmt_utc() writes.
 *
 *	The two differ only in what they write when there is no time to
 *	show; the outputs of authfold status keep both forms.
 * DIAGNOSTICS
 *	None; the result is always a terminated string when len > 0.
 */

#include "timefmt.h"

#include <stdio.h>
#include <time.h>

static size_t utc(int64_t sec, char *buf, size_t len)
{
	time_t t = (time_t) sec;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		return 0;
	return strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void timefmt_utc(int64_t sec, char *buf, size_t len)
{
	if (len > 0 && utc(sec, buf, len) == 0)
		snprintf(buf, len, "?");
}

void timefmt_utc_usec(int64_t usec, char *buf, size_t len)
{
	if (len > 0 && (usec <= 0 || utc(usec / 1000000, buf, len) == 0))
		snprintf(buf, len, "-");
}

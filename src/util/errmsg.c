/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	errmsg 3
 * SUMMARY
 *	fill a caller's error buffer
 * SYNOPSIS
 *	#include "errmsg.h"
 *
 *	void	set_err(err, errlen, fmt, ...)
 * DESCRIPTION
 *	Library modules do not log: they describe a failure in a buffer
 *	the caller passed (err, errlen) and the caller logs it once.
 *	set_err() formats into that buffer, cut to fit and always
 *	terminated; a NULL buffer or a zero length is allowed and ignored.
 */

#include "errmsg.h"

#include <stdarg.h>
#include <stdio.h>

void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

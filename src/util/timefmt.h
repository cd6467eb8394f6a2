/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_TIMEFMT_H
#define AUTHFOLD_TIMEFMT_H

/* timefmt - UTC times as the status outputs show them, see timefmt.c */

#include <stddef.h>
#include <stdint.h>

#define TIMEFMT_UTC_LEN 32	/* "YYYY-MM-DDTHH:MM:SSZ" with room to spare, NUL included */

/* sec as "YYYY-MM-DDTHH:MM:SSZ" in buf (len bytes, always terminated), or "?" when it has no such form. */
void timefmt_utc(int64_t sec, char *buf, size_t len);
/* usec as timefmt_utc() does, but "-" for no time (0 or less) and for one that has no such form. */
void timefmt_utc_usec(int64_t usec, char *buf, size_t len);

#endif

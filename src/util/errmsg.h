/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_ERRMSG_H
#define AUTHFOLD_ERRMSG_H

/* errmsg - fill a caller's error buffer, as library modules report failures */

#include <stddef.h>

/* printf into err (errlen bytes, always terminated); nothing when err is NULL or errlen 0. */
void set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif

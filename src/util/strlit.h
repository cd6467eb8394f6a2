/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_STRLIT_H
#define AUTHFOLD_STRLIT_H

/*
 * strlit - the length of a string literal, counted by the compiler, so that
 * no length is counted by hand beside its text. lit must be a literal
 * ("" lit does not compile otherwise); p and n are evaluated once.
 */

#include <stddef.h>
#include <string.h>

#define STRLIT_LEN(lit) (sizeof("" lit) - 1)
/* the n bytes at p are lit */
#define STRLIT_EQ(p, n, lit) ((size_t) (n) == STRLIT_LEN(lit) && memcmp((p), lit, STRLIT_LEN(lit)) == 0)
/* the n bytes at p begin with lit */
#define STRLIT_PREFIX(p, n, lit) ((size_t) (n) >= STRLIT_LEN(lit) && memcmp((p), lit, STRLIT_LEN(lit)) == 0)

#endif

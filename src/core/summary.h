/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_SUMMARY_H
#define AUTHFOLD_SUMMARY_H

/* summary - write records and synthetic lines to the summary log; see summary.c */

#include "config.h"
#include "output.h"
#include "record.h"

/* the end of the synthetic line: "... warning: NAME[ADDR]" SYNTHETIC_SUFFIX */
#define SYNTHETIC_SUFFIX ": authentication not enabled"

int summary_write(struct output *o, const struct record *r, enum summary_format format,
		  const char *msg, size_t msg_len, bool newline);
int summary_synthetic(struct output *o, const struct record *r, enum summary_format format,
		      const char *client, size_t client_len);
size_t format_rfc3339(int64_t usec, char *buf, size_t len);
size_t format_traditional(int64_t usec, char *buf, size_t len);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_DECISION_H
#define AUTHFOLD_DECISION_H

/* decision - the one-line ban/unban decision a central authfold publishes; see decision.c */

#include "addr.h"
#include "names.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DECISION_MAGIC		"authfold-decision"
#define DECISION_VERSION	1
#define DECISION_LINE_MAX	512	/* longer lines are refused unread */
#define DECISION_ID_LEN		16	/* hex digits */
#define DECISION_REASON_MAX	31
#define DECISION_BY_MAX		NAMES_HOST_MAX	/* a DNS name (names(3)) */
#define DECISION_TIME_MAX	INT64_C(253402300799)	/* 9999-12-31T23:59:59Z */

enum decision_op { DECISION_BAN, DECISION_UNBAN, DECISION_ALIVE };

struct decision {
	char id[DECISION_ID_LEN + 1];
	enum decision_op op;
	struct cidr net;		/* alive: none (zero) */
	int64_t at;			/* unix seconds: when it was decided */
	int32_t at_usec;		/* and its microseconds, 0..999999 (0 in a line without them) */
	int64_t until;			/* unix seconds: ban ends (unban: 0) */
	char reason[DECISION_REASON_MAX + 1];
	char by[DECISION_BY_MAX + 1];
};

/* Why decision_parse() refused a line (decision_strerror() names it). */
enum decision_error {
	DECISION_OK,
	DECISION_E_LONG,		/* longer than DECISION_LINE_MAX */
	DECISION_E_MAGIC,		/* not a decision at all */
	DECISION_E_VERSION,		/* a version this build does not know */
	DECISION_E_SYNTAX,		/* fields missing, out of order, extra bytes */
	DECISION_E_ID, DECISION_E_OP, DECISION_E_NET, DECISION_E_AT, DECISION_E_UNTIL,
	DECISION_E_REASON, DECISION_E_BY,
};

/* A fresh random id (getrandom(2)); 0 or -errno. */
int decision_new_id(char ret_id[DECISION_ID_LEN + 1]);
/* The line, without newline, into buf; its length, or -ENOSPC / -EINVAL
   (a field that decision_parse() would refuse). */
int decision_format(const struct decision *d, char *buf, size_t len);
/* Strict: 0 and *ret_d, or -EINVAL and *ret_error (ret_error may be NULL). */
int decision_parse(const char *line, size_t len, struct decision *ret_d, enum decision_error *ret_error);
const char *decision_strerror(enum decision_error e);
bool decision_reason_ok(const char *s, size_t len);
bool decision_by_ok(const char *s, size_t len);
/* at= in microseconds since the epoch: what decisions are ordered by. */
int64_t decision_at_usec(const struct decision *d);

#endif

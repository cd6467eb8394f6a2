/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_RECORD_H
#define AUTHFOLD_RECORD_H

/* record - one log entry, whatever its source; see record.c */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum record_format {
	RECORD_OTHER,			/* not a syslog line: passed through */
	RECORD_RFC3339,			/* 2026-11-26T18:46:35.318738+00:00 host tag[pid]: msg */
	RECORD_TRADITIONAL,		/* Nov 26 18:46:35 host tag[pid]: msg, and the other local-time forms */
	RECORD_JOURNAL,			/* fields of a journal entry, no line */
};

struct span {
	const char *p;
	size_t len;
};

struct record {
	enum record_format format;
	struct span line;		/* the raw line, no newline; empty for journal */
	size_t prefix_len;		/* bytes of line before msg */
	struct span ts;			/* timestamp text as written */
	struct span host;
	struct span tag;		/* "postfix/smtpd" (without [pid] and ':') */
	struct span msg;
	long pid;			/* -1 when the tag has none */
	int64_t usec;			/* µs since the epoch; -1 when unknown */
	bool trusted;			/* may decide (sender(3): Postfix's uid) */
	bool fold_chatter;		/* not trusted, but its -v chatter folds away (root's) */
};

#define RECORD_YEAR_FROM_NOW	0

void record_parse(const char *line, size_t len, int64_t now_usec, struct record *ret_record);
bool span_eq(struct span s, const char *lit);
bool span_eq_span(struct span a, struct span b);
bool span_startswith(struct span s, const char *lit);

#endif

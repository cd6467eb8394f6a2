/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_RULES_H
#define AUTHFOLD_RULES_H

/* rules - site rules: fold, keep and strike lines by PCRE2 pattern; see rules.c */

#include "record.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RULES_MAX		256	/* rules in one configuration */
#define RULES_TAGS_MAX		32	/* distinct tag patterns among them */
#define RULES_NAME_MAX		300	/* "site:FILE:LINE" */
/* Matching bounds. PCRE2's match limit counts per start position, so the
   limit given to PCRE2 is RULES_MATCH_BUDGET / (length + 1), or all of it
   for an anchored pattern (one start): one rule costs at most
   RULES_MATCH_BUDGET backtracking steps on one line, whatever the line and
   the pattern. */
#define RULES_MATCH_BUDGET	10000000
#define RULES_DEPTH_LIMIT	10000		/* backtracking depth (interpreter) */
#define RULES_HEAP_LIMIT_KIB	4096		/* backtracking frames (interpreter) */
#define RULES_JIT_STACK_MIN	(32 * 1024)
#define RULES_JIT_STACK_MAX	(512 * 1024)

enum rules_kind { RULES_FOLD, RULES_KEEP, RULES_STRIKE };

struct rules_hit {
	enum rules_kind kind;
	bool drop;			/* fold the line away */
	int reason;			/* RULES_STRIKE: the reason (enum reason) */
	const char *name;		/* "site:FILE:LINE", owned by the rules */
	size_t index;			/* the rule's position */
};

struct rules_counters {
	uint64_t lines;			/* lines the rules were tried on */
	uint64_t limit;			/* matches that hit a limit: taken as no match */
	uint64_t errors;		/* other match errors: taken as no match */
	uint64_t strike_no_session;	/* strike rule matched a line outside any session */
};

struct rules;

struct rules *rules_new(void);
void rules_free(struct rules *rs);
/* value: "[TAG] /REGEX/[i] [keep|fold]" (keep|fold only for strike). */
int rules_add(struct rules *rs, enum rules_kind kind, int reason, const char *value, const char *name,
	      char *err, size_t errlen);
size_t rules_count(const struct rules *rs);
bool rules_tagged(const struct rules *rs);	/* some rule names a tag: other programs' lines */
bool rules_jit(const struct rules *rs);		/* every pattern is JIT-compiled */
/* First rule that applies to a line of tag (smtpd: an smtpd_tags line) and matches msg. */
bool rules_match(struct rules *rs, struct span tag, bool smtpd, struct span msg, struct rules_hit *ret_hit);
struct rules_counters *rules_counters(struct rules *rs);
/* The i-th rule's name and matches, for the report. */
const char *rules_name(const struct rules *rs, size_t i, uint64_t *ret_hits);
const char *rules_kind_name(enum rules_kind kind);

#endif

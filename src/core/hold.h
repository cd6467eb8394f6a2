/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_HOLD_H
#define AUTHFOLD_HOLD_H

/* hold - SASL strikes wait while their origin's auth server may be in trouble; see hold.c */

#include "config.h"
#include "record.h"
#include "session.h"

#define HOLD_MAX		1024	/* strikes waiting at most */
#define HOLD_ORIGINS		64	/* origins whose trouble is remembered */
#define HOLD_SPANS		4	/* trouble intervals remembered per origin */

/* A strike that waits: its record is rebuilt (ts, host, tag, pid, time). */
struct hold_strike {
	struct record r;		/* msg and line empty; spans into buf */
	const char *rule;		/* static */
	enum reason reason;
	struct addr addr;
	size_t client_len;
	char client[SESSION_CLIENT_MAX];
	char buf[SESSION_TS_MAX + SESSION_ORIGIN_TEXT_MAX];
};

struct hold_counters {
	uint64_t held;			/* SASL strikes that waited */
	uint64_t cancelled;		/* of those, not given: auth server trouble around them */
	uint64_t cancelled_reason[REASON_COUNT];	/* the same by reason (fold(3) counted them as strikes) */
	uint64_t early;			/* given before their wait was over: the queue was full */
};

struct hold;

struct hold *hold_new(int64_t window_usec);
void hold_free(struct hold *h);
/* A sign of auth server trouble at origin (host, tag) at log time t. */
void hold_trouble(struct hold *h, struct span host, struct span tag, int64_t t);
/* Whether origin logged trouble within the window of t (before or after). */
bool hold_troubled(const struct hold *h, struct span host, struct span tag, int64_t t);
/* Queues a strike; -ENOSPC when HOLD_MAX wait (take one out first). */
int hold_put(struct hold *h, const struct record *r, const char *rule, enum reason reason, const struct addr *addr,
	     const char *client, size_t client_len);
/* The oldest waiting strike when its wait is over at log time now (any
   when now is INT64_MAX), or NULL; valid until hold_pop(). */
const struct hold_strike *hold_due(const struct hold *h, int64_t now);
void hold_pop(struct hold *h);
size_t hold_count(const struct hold *h);
/* For the state file: the i-th waiting strike (oldest first), NULL past
   the last; the i-th trouble interval (false past the last), its origin
   borrowed until the next call that adds trouble; and their restore. */
const struct hold_strike *hold_at(const struct hold *h, size_t i);
bool hold_trouble_at(const struct hold *h, size_t i, struct span *ret_host, struct span *ret_tag, int64_t *ret_lo,
		     int64_t *ret_hi);
void hold_trouble_span(struct hold *h, struct span host, struct span tag, int64_t lo, int64_t hi);
struct hold_counters *hold_counters(struct hold *h);

#endif

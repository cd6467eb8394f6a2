/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_EVENTS_H
#define AUTHFOLD_EVENTS_H

/* events - the JSON Lines events log; see events.c */

#include "addr.h"
#include "config.h"
#include "output.h"
#include "record.h"

struct events_strike {
	const struct record *r;
	enum reason reason;
	const struct addr *addr;
	const char *client;
	size_t client_len;
	const char *rule;		/* the rule that decided: built-in name or site:FILE:LINE; NULL none */
};

struct events_ban {
	const struct record *r;
	const struct addr *net;
	unsigned prefix;
	int64_t seconds;		/* the decided duration */
	unsigned strikes;
	const char *set;		/* NULL: backend none */
	bool dry_run;
	int64_t applied_seconds;	/* what the kernel got; -1 none (dry run), 0 expired already */
};

int events_strike(struct output *o, const struct events_strike *s);
int events_ban(struct output *o, const struct events_ban *b);
/* {"ts":…,"event":"unban","addr":…,"prefix":N,"by":…}: who asked authfold unban */
int events_unban(struct output *o, int64_t usec, const struct addr *net, unsigned prefix, const char *by);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_OUTBOX_H
#define AUTHFOLD_OUTBOX_H

/* outbox - the central host's durable set of decisions to publish; see outbox.c */

#include "decision.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OUTBOX_NAME		"publish.log"	/* in state_dir */
#define OUTBOX_ENTRIES_MAX	(1u << 20)	/* running bans and remembered unbans */
#define OUTBOX_UNBANS_EXTRA	4096		/* unbans still taken past the bound */

struct outbox_counters {
	uint64_t added;			/* decisions taken (ban, unban) */
	uint64_t full;			/* bans refused: OUTBOX_ENTRIES_MAX */
	uint64_t expired;		/* dropped when their end had passed */
	uint64_t bad_lines;		/* log lines skipped at load */
};

struct outbox;

/* Reads state_dir/OUTBOX_NAME (a missing file is an empty outbox) and
   rewrites it compacted; state_dir NULL: memory only. keep_unban: how
   long an unban is remembered (and republished) after its at=. The
   caller holds state_dir's lock. */
int outbox_open(const char *state_dir, int64_t keep_unban, int64_t now, struct outbox **ret, char *err,
		size_t errlen);
void outbox_free(struct outbox *o);	/* accepts NULL; nothing is written */
/* Takes a decision (ban or unban) as pending, appended to the log (not
   yet synced: outbox_sync()). 1 taken, 0 nothing new (the same id, or a
   later decision of that network is held), -ENOSPC (a ban past
   OUTBOX_ENTRIES_MAX), -errno of the log write (still taken in memory). */
int outbox_add(struct outbox *o, const struct decision *d, int64_t now, char *err, size_t errlen);
/* Whether a decision of net covers a ban decided at at ending at until:
   a ban held to until or later, or an unban decided at at or later. */
bool outbox_covers(const struct outbox *o, const struct cidr *net, int64_t at, int64_t until);
/* Whether an unban of net or of a network holding it (/8 or /16 at the
   widest), decided at at or later, is held: a ban that began by then is
   one that unban lifted. */
bool outbox_unbanned(const struct outbox *o, const struct cidr *net, int64_t at);
/* The oldest pending decision (borrowed until the next call that changes
   o), or NULL; outbox_sent() marks it sent. */
const struct decision *outbox_pending_first(const struct outbox *o);
void outbox_sent(struct outbox *o);
size_t outbox_pending(const struct outbox *o);
size_t outbox_count(const struct outbox *o);	/* held bans and unbans */
size_t outbox_bans(const struct outbox *o);	/* held bans */
/* The resync walk: the next held decision after the previous call (NULL
   at the end of a round; the next call starts over). Expired ones are
   dropped on the way. Borrowed like outbox_pending_first(). */
const struct decision *outbox_walk(struct outbox *o, int64_t now);
/* Makes the appended lines durable (fdatasync); compacts the log when it
   holds more than twice the live entries. 0 or -errno with err. */
int outbox_sync(struct outbox *o, int64_t now, char *err, size_t errlen);
/* Rewrites the log from memory (which are pending, which sent). */
int outbox_save(struct outbox *o, int64_t now, char *err, size_t errlen);
const struct outbox_counters *outbox_counters(const struct outbox *o);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_PUBLISH_H
#define AUTHFOLD_PUBLISH_H

/* publish - send ban and unban decisions to the local syslog socket; see publish.c */

#include "config.h"
#include "decision.h"
#include "engine.h"
#include "outbox.h"
#include "policy.h"

#define PUBLISH_TICK_WAIT_USEC	200000	/* per tick, at most, for rsyslog to read a full socket */
#define PUBLISH_REQUEST_DIR	"publish-unban.d"	/* in state_dir: authfold unban on the central host */

struct publish_counters {
	uint64_t sent, failed_sends;
	uint64_t dropped;		/* refused: the outbox is full (OUTBOX_ENTRIES_MAX) */
	uint64_t store_errors;		/* taken, but the outbox file could not be written */
	uint64_t resent;		/* sent again by the resync */
	uint64_t reconciled;		/* running bans of the policy the outbox lacked */
	uint64_t lifted;		/* bans not published: a held unban decided later lifted them */
	uint64_t rounds;		/* resync rounds completed */
	int64_t last_round;		/* unix s of the last round's end; 0 */
};

struct publish;

/* NULL when c->publish is none. -errno (no host name, out of memory).
   The outbox is in memory until publish_store(). */
int publish_new(const struct config *c, struct publish **ret);
/* The outbox in state_dir (outbox(3)), before any decision; the caller
   holds state_dir's lock. 0 or -errno with err. */
int publish_store(struct publish *p, const char *state_dir, int64_t now, char *err, size_t errlen);
/* Resync rounds begin by publishing the running bans of policy that the
   outbox lacks (NULL: none). */
void publish_set_policy(struct publish *p, struct policy *policy);
void publish_free(struct publish *p);	/* accepts NULL; publish_save() first */
/* Formats, keeps and sends (or leaves pending) one decision; now is unix
   seconds. 0, or -errno with the reason in err: when it is pending (not
   lost), or -ENOSPC (outbox full: lost, counted), -ERANGE (an unban
   wider than a decision may be). */
int publish_ban(struct publish *p, const struct cidr *net, int64_t now, int64_t until, const char *reason,
		char *err, size_t errlen);
int publish_unban(struct publish *p, const struct cidr *net, int64_t now, char *err, size_t errlen);
/* engine_options.on_ban for a struct publish: publishes d (errors are
   counted; the decision waits for publish_flush()). */
void publish_on_ban(void *data, const struct engine_decided *d);
/* About once a second (now: unix seconds): what waits, the resync's
   share, a keep-alive when nothing was sent for publish_alive seconds. */
int publish_tick(struct publish *p, int64_t now, char *err, size_t errlen);
/* Sends what waits, in order; 0 when nothing waits any more. */
int publish_flush(struct publish *p, char *err, size_t errlen);
/* Takes the unban requests of state_dir/PUBLISH_REQUEST_DIR; the number
   taken or -errno, and what to log in ret_msg ("" nothing). */
int publish_take_requests(struct publish *p, const char *state_dir, int64_t now, char *ret_msg, size_t msglen);
/* The checkpoint: the outbox file made durable (and compacted). */
int publish_sync(struct publish *p, int64_t now, char *err, size_t errlen);
/* The end: the outbox file rewritten (what is still pending). */
int publish_save(struct publish *p, int64_t now, char *err, size_t errlen);
size_t publish_pending(const struct publish *p);
const struct publish_counters *publish_counters(const struct publish *p);
const struct outbox *publish_outbox(const struct publish *p);
/* The last decision sent (for logs and tests); "" before any. */
const char *publish_last(const struct publish *p);

#endif

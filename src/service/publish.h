/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_PUBLISH_H
#define AUTHFOLD_PUBLISH_H

/* publish - send ban and unban decisions to the local syslog socket; see publish.c */

#include "config.h"
#include "decision.h"
#include "engine.h"

#define PUBLISH_PENDING_MAX	1024	/* decisions waiting for the socket */

struct publish_counters {
	uint64_t sent, failed_sends, dropped;	/* dropped: pending queue full, oldest lost */
};

struct publish;

/* NULL when c->publish is none. -errno (no host name, out of memory). */
int publish_new(const struct config *c, struct publish **ret);
void publish_free(struct publish *p);	/* accepts NULL; pending decisions are lost */
/* Formats and sends (or queues) one decision; now is unix seconds. A
   decision that could not be sent waits for publish_flush(). 0, or
   -errno with the reason in err when it had to wait (it is not lost). */
int publish_ban(struct publish *p, const struct cidr *net, int64_t now, int64_t until, const char *reason,
		char *err, size_t errlen);
int publish_unban(struct publish *p, const struct cidr *net, int64_t now, char *err, size_t errlen);
/* engine_options.on_ban for a struct publish: publishes d (errors are
   counted; the decision waits for publish_flush()). */
void publish_on_ban(void *data, const struct engine_decided *d);
/* About once a second: a keep-alive when nothing was published for
   publish_alive seconds (now: unix seconds); then publish_flush(). */
int publish_tick(struct publish *p, int64_t now, char *err, size_t errlen);
/* Sends what waits, in order; 0 when nothing waits any more. */
int publish_flush(struct publish *p, char *err, size_t errlen);
size_t publish_pending(const struct publish *p);
const struct publish_counters *publish_counters(const struct publish *p);
/* The last line sent or queued (for logs and tests); "" before any. */
const char *publish_last(const struct publish *p);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_ENGINE_H
#define AUTHFOLD_ENGINE_H

/* engine - one log pipeline: fold, policy, summary, events, bans; see engine.c */

#include "config.h"
#include "fold.h"
#include "output.h"
#include "policy.h"
#include "record.h"

#define ENGINE_LINE_MAX		(64 * 1024)	/* longer lines: head judged, tail streamed */
#define ENGINE_PENDING_MAX	4096		/* bans waiting for a failed backend */
#define ENGINE_WAL_QUEUE_MAX	(1024 * 1024)	/* WAL bytes held back until the next flush */
#define ENGINE_RETRY_MIN_USEC	1000000		/* first wait after a refused ban */
#define ENGINE_RETRY_MAX_USEC	60000000	/* the wait doubles up to this */
#define ENGINE_RETRY_BATCH	256		/* waiting bans tried per engine_retry_bans() */

struct ban_backend {
	void *data;
	/* Put net/prefix in the kernel for seconds; fill err on failure. */
	int (*add)(void *data, const struct addr *net, unsigned prefix, unsigned seconds, char *err, size_t errlen);
	const char *set4, *set6;
};

/* A ban the policy just decided, for engine_options.on_ban. */
struct engine_decided {
	struct addr net;
	unsigned prefix;
	int64_t until_usec;		/* wall clock */
	enum reason reason;		/* of the strike that decided it */
	int64_t at_usec;		/* that strike's (log) time: the ban's start */
};

struct engine_options {
	struct output *summary;		/* required */
	struct output *events;		/* NULL: none */
	struct ban_backend *backend;	/* NULL: dry run */
	int64_t (*clock)(void);		/* wall clock in µs; NULL: CLOCK_REALTIME */
	int64_t (*monotonic)(void);	/* µs, for the retry backoff; NULL: CLOCK_MONOTONIC */
	bool explain;			/* write the deciding rule before each line (replay --explain) */
	struct output *wal;		/* NULL, or where the lines that change state are copied */
	struct tally *tally;	/* NULL, or the hourly and top tables (tally(3)) */
	/* NULL, or called once per ban decided (never in quiet mode), after
	   the backend was given it: publish(3) hangs here. */
	void (*on_ban)(void *data, const struct engine_decided *d);
	void *on_ban_data;
};

struct engine_counters {
	uint64_t overlong, bans_applied, bans_expired;
	uint64_t ban_errors;		/* refusals by the backend (each attempt) */
	uint64_t bans_retried;		/* waiting bans given to the kernel at last */
	uint64_t pending_dropped;	/* waiting bans dropped: queue full, or refused as invalid */
	uint64_t write_errors;
};

struct engine;
struct hold;
struct tally;

struct engine *engine_new(const struct config *c, const struct engine_options *o);
void engine_free(struct engine *e);
/* One line without its newline. complete is false for the head of a line
   longer than ENGINE_LINE_MAX; its tail then follows through engine_tail(). */
int engine_line(struct engine *e, const char *line, size_t len, bool complete);
/* engine_line() for a line whose sender may or may not decide (sender(3)):
   may_decide false writes it to the summary as it is, and nothing else;
   unless fold_chatter, and the line is smtpd -v chatter: folded away. */
int engine_line_from(struct engine *e, const char *line, size_t len, bool complete, bool may_decide, bool fold_chatter);
int engine_tail(struct engine *e, const char *p, size_t n, bool last);
int engine_record(struct engine *e, const struct record *r);
/* Quiet: lines change the state only (no summary, events, WAL or bans):
   for feeding a line journal back after a restart. */
void engine_set_quiet(struct engine *e, bool quiet);
/* Gives the verdicts the fold still defers (end of input, idle); traced:
   also those that wait for a -v trace (fold(3)). */
int engine_settle(struct engine *e, bool traced);
/* Gives the SASL strikes that wait out authserver_hold (hold(3)): all of
   them (end of input, a daemon that stops), or in a daemon's idle time
   those whose wait is over by the log clock run on since its latest line
   came (the number judged, given or not, in *ret_given). */
int engine_hold_flush(struct engine *e);
int engine_hold_tick(struct engine *e, size_t *ret_given);
/* state(3): the log clock of the hold (0: none), and a held strike back
   (the log clock is at least its time). */
int64_t engine_hold_clock(const struct engine *e);
void engine_hold_set_clock(struct engine *e, int64_t usec);
int engine_hold_restore(struct engine *e, const struct record *r, const char *rule, enum reason reason,
			const struct addr *addr, const char *client, size_t client_len);
/* Writes out the summary and events (<0: an output failed), then
   engine_retry_bans(e, false). A refused ban never fails it. */
int engine_flush(struct engine *e);
/* Gives waiting bans to the backend when the backoff allows (force: now);
   returns how many reached the kernel. */
size_t engine_retry_bans(struct engine *e, bool force);
const char *engine_error(const struct engine *e);	/* the last output failure, for diagnostics */
struct fold *engine_fold(struct engine *e);
struct hold *engine_hold(struct engine *e);	/* NULL: authserver_hold = 0 */
struct policy *engine_policy(struct engine *e);
const struct engine_counters *engine_counters(const struct engine *e);
struct output *engine_events(struct engine *e);	/* NULL: none */
size_t engine_pending_bans(const struct engine *e);

/* Bans waiting for the backend, for the state file. */
struct engine_ban {
	struct addr net;
	unsigned prefix;
	int64_t until_usec;
};
const struct engine_ban *engine_pending_ban(const struct engine *e, size_t i);
void engine_queue_ban(struct engine *e, const struct engine_ban *b);
/* Drops the waiting bans that overlap net/prefix (unban); returns how many. */
size_t engine_unqueue_bans(struct engine *e, const struct cidr *net);

/* Why bans wait: borrowed until the next call into e. */
struct engine_ban_state {
	size_t waiting;			/* engine_pending_bans() */
	int64_t since_usec;		/* wall clock of the first refusal of this run of them; 0 */
	const char *error;		/* "cannot ban ADDR/PREFIX: why" of the last refusal; "" */
	uint64_t cause_gen;		/* changes with each new cause (backend message) */
};
void engine_ban_state(const struct engine *e, struct engine_ban_state *ret);
/* state(3): the refusal a saved state recorded (since_usec, error). */
void engine_restore_ban_error(struct engine *e, int64_t since_usec, const char *error);
/* For a daemon that logs each cause once: seen starts zeroed. Returns
   true with a message in msg when the cause is new since seen, or when
   no ban waits any more after some did. */
struct engine_ban_seen {
	uint64_t cause_gen;
	bool waiting;
};
bool engine_ban_news(const struct engine *e, struct engine_ban_seen *seen, char *msg, size_t msglen);

#endif

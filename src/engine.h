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
};

struct engine_options {
	struct output *summary;		/* required */
	struct output *events;		/* NULL: none */
	struct ban_backend *backend;	/* NULL: dry run */
	int64_t (*clock)(void);		/* wall clock in µs; NULL: CLOCK_REALTIME */
	bool explain;			/* write the deciding rule before each line (replay --explain) */
	struct output *wal;		/* NULL, or where the lines that change state are copied */
	/* NULL, or called once per ban decided (never in quiet mode), after
	   the backend was given it: publish(3) hangs here. */
	void (*on_ban)(void *data, const struct engine_decided *d);
	void *on_ban_data;
};

struct engine_counters {
	uint64_t overlong, bans_applied, bans_expired, ban_errors, pending_dropped;
	uint64_t write_errors;
};

struct engine;

struct engine *engine_new(const struct config *c, const struct engine_options *o);
void engine_free(struct engine *e);
/* One line without its newline. complete is false for the head of a line
   longer than ENGINE_LINE_MAX; its tail then follows through engine_tail(). */
int engine_line(struct engine *e, const char *line, size_t len, bool complete);
int engine_tail(struct engine *e, const char *p, size_t n, bool last);
int engine_record(struct engine *e, const struct record *r);
/* Quiet: lines change the state only (no summary, events, WAL or bans):
   for feeding a line journal back after a restart. */
void engine_set_quiet(struct engine *e, bool quiet);
/* Writes out the summary and events, retries bans that failed. */
int engine_flush(struct engine *e);
const char *engine_error(const struct engine *e);	/* the last failure, for diagnostics */
struct fold *engine_fold(struct engine *e);
struct policy *engine_policy(struct engine *e);
const struct engine_counters *engine_counters(const struct engine *e);
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

#endif

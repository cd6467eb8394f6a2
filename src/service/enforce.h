/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_ENFORCE_H
#define AUTHFOLD_ENFORCE_H

/* enforce - an MX's table of central decisions, its log, the kernel; see enforce.c */

#include "backend.h"
#include "config.h"
#include "decision.h"

#include <stdio.h>

#define ENFORCE_ENTRIES_MAX	65536		/* bans and remembered unbans */
#define ENFORCE_LOG_NAME	"enforce.log"	/* in state_dir */
#define ENFORCE_STATUS_NAME	"enforce.status"
#define ENFORCE_LOCK_NAME	"enforce.lock"
#define ENFORCE_REQUEST_DIR	"enforce-unban.d"	/* in state_dir: authfold unban on this MX */
#define ENFORCE_LOG_LINE_MAX	(DECISION_LINE_MAX + 32)
#define ENFORCE_OWN_MAX		64		/* own and central addresses never banned */
#define ENFORCE_FORGET_MAX	1024		/* unbans waiting to reach the MX's daemon */

enum enforce_result {
	ENFORCE_BANNED,		/* a new ban, or a later end for a known one */
	ENFORCE_UNBANNED,	/* removed from the table and the kernel */
	ENFORCE_DUPLICATE,	/* the same id, or an unban already done */
	ENFORCE_KEPT,		/* a ban ending no later than the one held */
	ENFORCE_STALE,		/* decided before an unban already applied */
	ENFORCE_EXPIRED,	/* its end has passed */
	ENFORCE_IGNORED,	/* ignoreip overlaps it */
	ENFORCE_NOT_FROM,	/* by= is not in enforce_from */
	ENFORCE_UNSUPPORTED,	/* an IPv4 ban that is not /32 (the ipset holds hosts) */
	ENFORCE_FULL,		/* ENFORCE_ENTRIES_MAX reached */
	ENFORCE_ALIVE,		/* a keep-alive: only the arrival is noted */
	ENFORCE_RESULTS
};

struct enforce_counters {
	uint64_t results[ENFORCE_RESULTS];
	uint64_t malformed;		/* refused by decision_parse() */
	uint64_t kernel_errors;		/* backend failures (retried) */
	uint64_t forget_lost;		/* unbans the MX's daemon was never told of (ENFORCE_FORGET_MAX) */
	int64_t last_arrival;		/* unix s of the last valid decision; 0 none */
	char last_by[DECISION_BY_MAX + 1];
	/* resync (publish(3)): a round's marker is a keep-alive whose id is
	   ENFORCE_ROUND_MARK and the round's number of bans in 8 hex digits */
	int64_t last_full_set;		/* unix s: a round ended with all its bans heard; 0 none */
	uint64_t full_set_bans;		/* the bans of that round */
	uint64_t rounds_short;		/* rounds that ended with fewer bans heard than sent */
};
#define ENFORCE_ROUND_MARK	"00000000"

struct enforce;

/* Locks state_dir/enforce.lock, reads enforce.log (expired entries
   dropped), rewrites it compacted and reads the counters. b may be NULL
   (no kernel: status, tests). -EWOULDBLOCK: another enforcer runs. */
int enforce_open(const struct config *c, struct backend *b, int64_t now, struct enforce **ret, char *err,
		 size_t errlen);
void enforce_free(struct enforce *e);		/* accepts NULL */
/* The directory of enforce.log, its lock, counters and local unban
   requests: enforce_state_dir, or state_dir. */
const char *enforce_dir(const struct config *c);
/* After a reboot: every running ban that the kernel lacks (or holds for
   less time) is put back. Returns how many were added, or -errno (those
   left wait for enforce_tick()). */
int enforce_restore(struct enforce *e, int64_t now, char *err, size_t errlen);
/* One decision: table, durable log (fdatasync) and kernel. 0 with
   *ret_result even when the kernel refused (counted, retried by
   enforce_tick()); -errno only when the log cannot be written (the
   caller asks for the decision again). */
int enforce_apply(struct enforce *e, const struct decision *d, int64_t now, enum enforce_result *ret_result,
		  char *err, size_t errlen);
/* Decisions read together (at most ENFORCE_BATCH_MAX), in order, as
   enforce_apply() each, but a run of bans of different networks is
   logged with one sync before any of it is applied. *ret_done: how many,
   from the first, are done (their results in ret_results) also when it
   fails: the rest changed nothing and must be asked for again. */
#define ENFORCE_BATCH_MAX	256
int enforce_apply_batch(struct enforce *e, const struct decision *ds, size_t n, int64_t now,
			enum enforce_result *ret_results, size_t *ret_done, char *err, size_t errlen);
void enforce_refused(struct enforce *e);	/* a malformed line: counted */
/* About once a second: forgets what ended, retries kernel failures,
   saves the counters (enforce.status). 0 or the first -errno. */
int enforce_tick(struct enforce *e, int64_t now, char *err, size_t errlen);
/* authfold unban on this MX: takes the requests waiting in
   state_dir/ENFORCE_REQUEST_DIR (bans(3)'s requests). Each lifts the
   held central bans of its network and inside it decided no later than
   it was asked, logs a local unban (fdatasync) before the request is
   deleted, and removes from the kernel what this enforcer put there.
   Returns the number of requests taken, or the first -errno (that
   request stays for the next call); ret_msg says what was done, for the
   program's log ("" when nothing). */
int enforce_take_requests(struct enforce *e, int64_t now, char *ret_msg, size_t msglen);
const struct enforce_counters *enforce_counters(const struct enforce *e);
size_t enforce_entries(const struct enforce *e);
const char *enforce_result_name(enum enforce_result r);

/* A held ban, or one lifted on this MX, borrowed from the table until it
   changes or is freed. */
struct enforce_ban {
	struct cidr net;
	int64_t until, arrived;		/* unix s */
	int64_t lifted;			/* unix s of the local unban; 0: held */
	const char *reason, *by, *id;
};

/* The held bans in table order: k = 0 first, then the value returned;
   0 when there is none left. */
size_t enforce_next_ban(const struct enforce *e, size_t k, struct enforce_ban *ret);
/* The same for the central bans that authfold unban lifted on this MX
   and that would still run. */
size_t enforce_next_lifted(const struct enforce *e, size_t k, struct enforce_ban *ret);
/* enforce_status_read(): local unban requests no enforcer has taken yet
   (applied to its private table, so shown as lifted). */
unsigned enforce_pending_requests(const struct enforce *e);
uint64_t enforce_bad_log_lines(const struct enforce *e);	/* skipped when the log was read */
const char *enforce_log_path(const struct enforce *e);

/* authfold-enforce --restore: how many bans of c->state_dir's log are
   still running, read without the lock and without changing anything
   (a missing state_dir or log: 0). -errno with err when the log cannot
   be read. */
int enforce_running(const struct config *c, int64_t now, size_t *ret_bans, char *err, size_t errlen);

/* authfold status: the central decisions held in c->state_dir, read
   without the lock and without changing anything (no kernel). *ret is
   NULL when this host does not enforce (neither enforce.log nor
   enforce.status exists); a log that cannot be read is a note in err
   and an empty table. Free with enforce_free(). */
int enforce_status_read(const struct config *c, int64_t now, struct enforce **ret, char *err, size_t errlen);
/* Its table for people. 0, or -errno when fp cannot be written. */
int enforce_status_write(FILE *fp, const struct config *c, int64_t now);
/* The counters of state_dir/enforce.status alone (no log, no lock): for
   the MX's own daemon's metrics. -ENOENT: this host enforces nothing. */
int enforce_counters_read(const struct config *c, struct enforce_counters *ret);

#endif

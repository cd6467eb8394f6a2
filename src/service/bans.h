/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_BANS_H
#define AUTHFOLD_BANS_H

/* bans - restore bans after a reboot, unban, and take unban requests; see bans.c */

#include "backend.h"
#include "bans_request.h"
#include "engine.h"
#include "state.h"

#include <stdint.h>

struct bans_restored {
	unsigned active;	/* running bans in the engine's policy */
	unsigned present;	/* of those, already in the kernel: left alone */
	unsigned restored;	/* put back with their remaining time */
	unsigned failed;	/* refused by the backend: queued for engine_flush() */
};

/* After state_load(): puts every running ban that is missing from the kernel back. */
int bans_restore(struct engine *e, struct backend *b, int64_t now_usec, struct bans_restored *ret,
		 char *err, size_t errlen);

/* ADDR or ADDR/PREFIX as unban takes it: a bare IPv4 address is /32, a bare
   IPv6 address its ipv6_prefix network. */
int bans_parse_target(const struct config *c, const char *text, struct cidr *ret_target, char *err, size_t errlen);

/* Forgets the entries overlapping target, drops their waiting bans and
   removes them (and target itself) from the kernel; b may be NULL (no
   kernel). Returns the number of entries forgotten, or <0 when a kernel
   removal failed (the history is forgotten all the same). */
/* The unban event of target in events_log, for authfold unban when no
   daemon runs (it holds the lock); 0 without an events log. */
int bans_log_unban(const struct config *c, const struct cidr *target, const char *by, char *err, size_t errlen);
int bans_unban(struct engine *e, struct backend *b, const struct cidr *target, char *err, size_t errlen);

/* Removes from the kernel every entry of target's family set that lies
   inside target or contains it (a listing of the set); b may be NULL or
   backend none (nothing to do). 0 or the first failure. */
struct bans_swept {
	unsigned removed;	/* entries removed */
	unsigned failed;	/* entries that could not be removed */
	bool unlisted;		/* the set could not be listed: only target itself was tried */
};
int bans_kernel_unban(struct backend *b, const struct cidr *target, struct bans_swept *ret, char *err, size_t errlen);

/* The daemon side: applies and deletes the waiting requests. Returns the
   number taken (>0: save the state soon), or <0 (a failed request stays). */
int bans_take_requests(struct engine *e, struct backend *b, const char *state_dir, struct bans_requests *ret,
		       char *err, size_t errlen);

/* What a daemon does with bans after state_load() (restore true) and about
   once a second (restore false): takes the waiting unban requests and, at
   start, puts running bans back into the kernel; with shared_dir
   (enforce_state_dir) it also reads authfold-enforce's central unbans in
   shared_dir/forget.d (all at start, then those newer than *shared_since,
   which it keeps up to date). Returns the number of
   requests taken (>0: save the state), or <0 when one failed (it stays for
   the next call). ret_msg says what was done or what failed, for the
   daemon's log; "" when there is nothing to say. */
int bans_daemon_step(struct engine *e, struct backend *b, const char *state_dir, const char *shared_dir,
		     int64_t *shared_since, bool restore, char *ret_msg, size_t msglen);

/* Read-only load of a state file: a corrupt file is reported (-EBADMSG)
   but neither renamed nor changed.
   The engine is a scratch one (no backend, summary to an output_open_discard()); free it
   with bans_scratch_free(), also after a failure. */
struct bans_scratch {
	struct engine *e;
	struct output *null;
};
int bans_scratch_load(const struct config *c, const char *path, struct bans_scratch *ret, struct state_extra *x,
		      char *err, size_t errlen);
void bans_scratch_free(struct bans_scratch *s);

/* unban without a daemon (the caller holds the lock): forgets target in
   the state file path and saves it if anything changed. */
int bans_unban_state(const struct config *c, const char *path, struct backend *b, const struct cidr *target,
		     unsigned *ret_forgotten, char *err, size_t errlen);

/* The same for every STATE_DIR/ *.state file; goes on after a failure and
   returns the first. A missing state_dir is no state (0). */
int bans_unban_all(const struct config *c, struct backend *b, const struct cidr *target,
		   unsigned *ret_forgotten, unsigned *ret_files, char *err, size_t errlen);

#endif

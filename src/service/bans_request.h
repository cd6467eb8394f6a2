/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_BANS_REQUEST_H
#define AUTHFOLD_BANS_REQUEST_H

/* bans_request - the unban-request spool; see bans_request.c */

#include "addr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BANS_REQUEST_DIR	"unban.d"	/* in state_dir */
#define BANS_REQUESTS_MAX	256		/* requests taken per call */
#define BANS_KERNEL_DONE	"kernel done"	/* a request line: the sender removed the kernel entries */
#define BANS_FORGET_DIR		"forget.d"	/* in enforce_state_dir: central unbans for the daemon */
#define BANS_FORGET_MAX		65536		/* of them read at a daemon's start */

/* Text form of a request name: "ADDR-PREFIX". */
void bans_target_name(const struct cidr *t, char ret_buf[ADDR_STRLEN + 8]);
/* "uid N (NAME)", and ", sudo by USER" under sudo: who runs this process. */
void bans_whoami(char *ret_buf, size_t len);
/* Makes the spool directory dir (e.g. state_dir/unban.d, mode 0700) owned like state_dir, whoever makes it. */
int bans_request_mkdir(const char *state_dir, const char *dir);

/* unban while a daemon runs: state_dir/unban.d/ADDR-PREFIX, created atomically. */
int bans_request_unban(const char *state_dir, const struct cidr *target, char *ret_path, size_t pathlen,
		       char *err, size_t errlen);
/* The same into state_dir/DIRNAME (made 0700, owned like state_dir),
   asked at unix time at: the file holds "ADDR/PREFIX", "by WHO", "at AT". */
int bans_request_to(const char *state_dir, const char *dirname, const struct cidr *target, int64_t at,
		    char *ret_path, size_t pathlen, char *err, size_t errlen);

/* authfold-enforce's central unban for the MX's own daemon: unban.d/ADDR-PREFIX
   with at and "kernel done" (the daemon forgets what it banned no later
   than at, and leaves the kernel alone). */
/* shared_dir non-NULL (enforce_state_dir): into shared_dir/forget.d instead,
   readable by all, never deleted by the daemon (bans_daemon_step()). */
int bans_request_forget(const char *state_dir, const char *shared_dir, const struct cidr *target, int64_t at,
			char *err, size_t errlen);

struct bans_requests {
	unsigned taken;		/* requests applied and deleted */
	unsigned forgotten;	/* entries forgotten by them */
	unsigned rejected;	/* bad name, not a regular file, foreign owner: deleted */
};

/* One request: its target, who asked ("by" line), when (unix s) and
   whether the sender removed the kernel entries itself (a "kernel done"
   line: authfold-enforce's bans_request_forget()). Returns >= 0 (taken; added to forgotten) or -errno (it stays). */
typedef int bans_request_fn(void *data, const struct cidr *target, const char *by, int64_t at, bool kernel_done,
			    char *err, size_t errlen);
/* The requests waiting in state_dir/DIRNAME, each checked as SECURITY in
   bans(3) says, at most BANS_REQUESTS_MAX per call, handed to fn. take:
   a request fn took is deleted, and so is one that is refused (rejected);
   !take: only read (authfold status), nothing deleted. Returns the number
   taken, or the first -errno of fn (that request stays). A missing
   directory is no request. */
int bans_walk_requests(const char *state_dir, const char *dirname, bool take, bans_request_fn *fn, void *data,
		       struct bans_requests *ret, char *err, size_t errlen);
/* bans_walk_requests() with a bound of its own (limit), skipping (uncounted)
   the requests older than since (unix s; 0: none). */
int bans_request_walk(const char *state_dir, const char *dirname, bool take, int64_t since, unsigned limit,
		      bans_request_fn *fn, void *data, struct bans_requests *ret, char *err, size_t errlen);

#endif

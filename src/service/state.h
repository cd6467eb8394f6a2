/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_STATE_H
#define AUTHFOLD_STATE_H

/* state - save and restore an engine's sessions, strikes and ban history; see state.c */

#include "engine.h"

#define STATE_CURSOR_MAX	4096
#define STATE_FILE_MAX		(INT64_C(1) << 30)	/* bytes: a state file is refused beyond */
#define STATE_FILE_MAX_TEXT	"1 GiB"

/* What a source keeps beside the engine's state, saved in the same file
   so that both are consistent (a journal cursor; output sizes). */
struct state_extra {
	char cursor[STATE_CURSOR_MAX];	/* "" when none */
	int64_t summary_size;		/* size of the summary file at the save; -1 unknown */
	int64_t events_size;		/* size of the events file at the save; -1 unknown */
	int64_t wal_gen;		/* generation of the line journal (omprog); 0 none */
};

/* Why state_load() failed: the line (0: the file as a whole) and a static
   reason (NULL: strerror() of the return value says it). */
struct state_fault {
	unsigned line;
	const char *why;
};

/* Writes path atomically (PATH.tmp, checked writes, fsync, rename, fsync
   of the directory); a failed write leaves the old file. x may be NULL. */
int state_save(struct engine *e, const char *path, const struct state_extra *x, char *err, size_t errlen);
/* Reads path into e (sessions, strikes, ban history) and x (may be NULL),
   every field checked against c's limits and the wall clock now_usec.
   -ENOENT: no state yet. -EBADMSG: corrupt; e holds part of the file
   (discard it), *ret_fault says where and why. Other errors (a link, not
   a regular file, a foreign owner...) also fill *ret_fault. Never renames
   or changes the file. ret_fault may be NULL. */
int state_load(struct engine *e, const struct config *c, int64_t now_usec, const char *path, struct state_extra *x,
	       struct state_fault *ret_fault);
/* "state 'PATH' is corrupt (line N: WHY)" or "cannot read state 'PATH': WHY". */
void state_describe(const char *path, int r, const struct state_fault *f, char *buf, size_t len);
/* Renames a corrupt path to PATH.corrupt (its name in ret_aside). */
int state_set_aside(const char *path, char *ret_aside, size_t len);
/* state_dir and each entry: owned by root or this user (a reader run as
   root, daemon false: any owner), not writable by group or others, no
   links, only files and directories. 0 or -errno with the path and the
   reason in err. */
int state_dir_check(const char *dir, bool daemon, char *err, size_t errlen);

#endif

#ifndef AUTHFOLD_STATE_H
#define AUTHFOLD_STATE_H

/* state - save and restore an engine's sessions, strikes and ban history; see state.c */

#include "engine.h"

#define STATE_CURSOR_MAX	4096

/* What a source keeps beside the engine's state, saved in the same file
   so that both are consistent (a journal cursor; output sizes). */
struct state_extra {
	char cursor[STATE_CURSOR_MAX];	/* "" when none */
	int64_t summary_size;		/* size of the summary file at the save; -1 unknown */
	int64_t events_size;		/* size of the events file at the save; -1 unknown */
	int64_t wal_gen;		/* generation of the line journal (omprog); 0 none */
};

/* Writes path atomically (PATH.tmp, fsync, rename, fsync of the directory).
   x may be NULL. */
int state_save(struct engine *e, const char *path, const struct state_extra *x, char *err, size_t errlen);
/* Reads path into e (sessions, strikes, ban history) and x (may be NULL).
   -ENOENT: no state yet. A corrupt file is renamed to PATH.corrupt and
   -EBADMSG is returned with the reason in err: the caller reports it,
   discards e (it holds part of the file) and goes on with a new engine. */
int state_load(struct engine *e, const char *path, struct state_extra *x, char *err, size_t errlen);

#endif

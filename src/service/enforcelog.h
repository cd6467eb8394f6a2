/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_ENFORCELOG_H
#define AUTHFOLD_ENFORCELOG_H

/* enforcelog - authfold-enforce's durable log of decisions; see enforcelog.c */

#include "decision.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define ENFORCELOG_LINE_MAX	(DECISION_LINE_MAX + 32)	/* "ARRIVED local " and the newline */

struct enforcelog {
	char *path;			/* owned */
	int fd;				/* for appending; -1 until enforcelog_open() */
	off_t end;			/* the size after the last synced whole line */
	off_t written;			/* ...and after the lines written since (enforcelog_write()) */
	uint64_t unsynced;		/* lines written since the last sync */
	bool torn;			/* a failed append may have left bytes past end */
	uint64_t lines;			/* read by the last replay, written since */
};

/* Takes path (malloc()ed; NULL allowed: enforcelog_fini() only). */
void enforcelog_init(struct enforcelog *l, char *path);
void enforcelog_fini(struct enforcelog *l);	/* closes, frees path */

/* "ARRIVED [local ]DECISION\n" into buf: its length, or -ENOSPC, -EINVAL. */
int enforcelog_format(const struct decision *d, int64_t arrived, bool local, char *buf, size_t len);
/* One line without its newline: 0, or -EINVAL ("local" only before an unban). */
int enforcelog_parse(const char *p, size_t n, int64_t *ret_arrived, bool *ret_local, struct decision *ret_d);

/* Every line of the log in order to fn; a line that is too long, torn or
   does not parse is skipped and counted in *ret_bad. A missing log is
   empty. 0 or -errno (err). */
typedef void enforcelog_fn(void *data, const struct decision *d, int64_t arrived, bool local);
int enforcelog_replay(struct enforcelog *l, enforcelog_fn *fn, void *data, uint64_t *ret_bad, char *err,
		      size_t errlen);

/* Opens (creates, 0640) for appending and cuts a torn last line off. */
int enforcelog_open(struct enforcelog *l, char *err, size_t errlen);
/* Appends one formatted line and fdatasync()s it: done when it returns 0.
   On failure nothing of it stays (cut off now, or before the next append). */
int enforcelog_append(struct enforcelog *l, const char *line, size_t n, char *err, size_t errlen);
/* A batch: lines written without a sync, then one sync for them all; done
   when enforcelog_sync() returns 0. A failed write or sync cuts off every
   line written since the last sync (now, or before the next write). */
int enforcelog_write(struct enforcelog *l, const char *line, size_t n, char *err, size_t errlen);
int enforcelog_sync(struct enforcelog *l, char *err, size_t errlen);

/* A rewrite: PATH.tmp filled line by line, then fsync, rename over the
   log, fsync of its directory, and the log opened again. On any failure
   the old log stays as it was and the temporary file goes. */
struct enforcelog_rewrite {
	int fd, r;
	uint64_t lines;
	char tmp[4200];
};
int enforcelog_rewrite_begin(const struct enforcelog *l, struct enforcelog_rewrite *w, char *err, size_t errlen);
void enforcelog_rewrite_line(struct enforcelog_rewrite *w, const char *line, size_t n);
int enforcelog_rewrite_end(struct enforcelog *l, struct enforcelog_rewrite *w, char *err, size_t errlen);

#endif

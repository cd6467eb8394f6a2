/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_METRICS_H
#define AUTHFOLD_METRICS_H

/* metrics - the Prometheus text file of a daemon (metrics_file); see metrics.c */

#include "engine.h"
#include "sender.h"
#include "publish.h"

/* What a daemon knows beside its engine; zero-initialised at start. */
struct metrics_source {
	const char *daemon;		/* label: "omprog", "journal" */
	uint64_t unbans;		/* unban requests taken */
	int64_t checkpoint_usec;	/* wall clock of the last state save; 0 none */
	int64_t last_line_usec;		/* wall clock when the last line was read; 0 none */
	const struct sender_counters *senders;	/* lines by sender (sender(3)); NULL: not counted */
	const struct publish *publish;	/* publish = syslog: the central host's outbox; NULL */
	/* metrics_tick()'s own */
	int64_t last_write_usec;
	int last_error;
	char error[4200];
};

int metrics_format(struct engine *e, const struct config *c, const struct metrics_source *m, int64_t now_usec,
		   char *out, size_t len, size_t *ret_len);
int metrics_write(const char *path, struct engine *e, const struct config *c, const struct metrics_source *m,
		  int64_t now_usec);
int metrics_tick(struct metrics_source *m, struct engine *e, const struct config *c, int64_t now_usec, bool force);

#endif

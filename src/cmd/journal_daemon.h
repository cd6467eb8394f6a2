/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_JOURNAL_DAEMON_H
#define AUTHFOLD_JOURNAL_DAEMON_H

/* journal_daemon - authfold journal: the journal source over daemon(3); see journal_daemon.c */

#include "config.h"

struct journal_daemon_options {
	const char *directory;		/* NULL: the system journal */
	const char *summary_path;	/* NULL: summary_log */
	const char *events_path;	/* NULL: events_log */
	bool once;			/* stop at the end of the journal */
};

/* Runs the daemon until SIGTERM (or the end with once); the exit status. */
int journal_daemon_main(const struct config *c, const struct journal_daemon_options *o);

#endif

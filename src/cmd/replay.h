/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_REPLAY_H
#define AUTHFOLD_REPLAY_H

/* replay - authfold replay: fold the given logs once; see replay.c */

#include "config.h"

struct replay_options {
	const char *summary_path;	/* NULL: stdout */
	const char *events_path;	/* NULL: events_log */
	bool ban;			/* give the bans to the backend; else a dry run */
	bool explain;			/* '# ACTION RULE: ' before every line */
};

/* files[0..nfiles) in order; none: stdin. The exit status. */
int replay_main(const struct config *c, const struct replay_options *o, int nfiles, char **files);

#endif

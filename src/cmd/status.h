/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_STATUS_H
#define AUTHFOLD_STATUS_H

/* status - what authfold status prints: bans and strikes from the state files and the kernel; see status.c */

#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define STATUS_KERNEL_ENTRIES_MAX	(1u << 20)	/* kernel set entries read, both sets */
#define STATUS_KERNEL_ENTRIES_MAX_TEXT	"1048576"
#define STATUS_STATE_FILES_MAX		16	/* *.state files read from state_dir */

struct status_options {
	bool json;		/* one JSON document instead of tables */
	bool kernel;		/* look the bans up in the kernel (backend = ipset) */
	int64_t now_usec;	/* the wall clock */
};

int status_write(FILE *fp, const struct config *c, const struct status_options *o);

#endif

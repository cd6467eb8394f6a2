/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_REPLACEFILE_H
#define AUTHFOLD_REPLACEFILE_H

/* replacefile - write a whole file anew under PATH.tmp, rename it over PATH; see replacefile.c */

#include <stdio.h>
#include <sys/types.h>

#define REPLACEFILE_PATH_MAX	4096
#define REPLACEFILE_SYNC	1	/* replacefile_commit(): fsync before the rename */

struct replacefile {
	FILE *fp;
	int fd;
	const char *path;
	char tmp[REPLACEFILE_PATH_MAX + 8];
};

int replacefile_open(struct replacefile *rf, const char *path, mode_t mode);
int replacefile_commit(struct replacefile *rf, int flags);
void replacefile_abort(struct replacefile *rf);

#endif

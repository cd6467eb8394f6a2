/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_LOGFILE_H
#define AUTHFOLD_LOGFILE_H

/* logfile - a log and its rotations, line by line, plain or gzip; see logfile.c */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

#define LOGFILE_LINE_MAX	(64 * 1024)	/* longer lines: the head, the rest skipped */
#define LOGFILE_READ_CHUNK	(256 * 1024)
#define LOGFILE_ROTATED_MAX	1000

struct logfile {
	gzFile gz;
	char *buf;
	size_t len, pos;		/* bytes in buf, start of the next line */
	bool eof, skipping;
	uint64_t overlong;
};

int logfile_open(const char *path, struct logfile *l);
int logfile_next(struct logfile *l, const char **ret_p, size_t *ret_n);
const char *logfile_error(struct logfile *l);
void logfile_close(struct logfile *l);	/* also after a failed open */
int logfile_rotations(const char *base, char ***ret_paths, size_t *ret_n, bool *ret_capped);
void logfile_rotations_free(char **paths, size_t n);

#endif

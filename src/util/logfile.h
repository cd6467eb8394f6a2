/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_LOGFILE_H
#define AUTHFOLD_LOGFILE_H

/* logfile - a log and its rotations, line by line, plain or gzip; see logfile.c */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

#define LOGFILE_LINE_MAX	(64 * 1024)	/* longer lines: the head, the rest skipped */
#define LOGFILE_READ_CHUNK	(256 * 1024)	/* lines decompressed at a time */
#define LOGFILE_IN_CHUNK	(64 * 1024)	/* file bytes read at a time */
#define LOGFILE_ROTATED_MAX	1000		/* rotated files listed, the newest */
#define LOGFILE_NAMES_MAX	100000		/* names of rotations looked at */
#define LOGFILE_ENOTREG		(-ENODEV)	/* logfile_open(): not a regular file */

struct logfile {
	int fd;
	z_stream z;
	bool gzip, z_live, in_eof;
	unsigned char *in;		/* LOGFILE_IN_CHUNK bytes of the file */
	char *buf;			/* LOGFILE_LINE_MAX + LOGFILE_READ_CHUNK */
	size_t len, pos;		/* bytes in buf, start of the next line */
	uint64_t base;			/* offset of buf[0] in the (decompressed) file */
	uint64_t line_offset;		/* offset of the line logfile_next() gave */
	bool eof, skipping, damaged;
	uint64_t overlong;
	int64_t mtime_usec;		/* the file's modification time */
	char err[160];			/* what ended the file early; "" none */
};

int logfile_open(const char *path, struct logfile *l);
int logfile_next(struct logfile *l, const char **ret_p, size_t *ret_n);
const char *logfile_error(const struct logfile *l);
const char *logfile_strerror(int r);
void logfile_close(struct logfile *l);	/* also after a failed open */

struct logfile_rotations {
	char **paths;			/* oldest first; the log itself last */
	size_t n;
	size_t found;			/* rotated files found, capped or not */
	bool capped;			/* more than LOGFILE_ROTATED_MAX: the oldest left out */
	long max_number;		/* the highest N of PATH.N[.gz]; 0 none */
	long first_missing;		/* the lowest N < max_number absent; 0 none */
	size_t missing;			/* how many N in 1..max_number are absent */
	size_t dated;			/* dateext names (PATH-DATE[.gz]) */
};

int logfile_rotations(const char *base, struct logfile_rotations *ret);
void logfile_rotations_free(struct logfile_rotations *r);

#endif

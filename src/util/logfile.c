/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	logfile 3
 * SUMMARY
 *	a log and its rotations, line by line, plain or gzip
 * SYNOPSIS
 *	#include "logfile.h"
 *
 *	int	logfile_open(path, l)
 *	int	logfile_next(l, ret_p, ret_n)
 *	const char *logfile_error(l)
 *	void	logfile_close(l)
 *	int	logfile_rotations(base, ret_paths, ret_n, ret_capped)
 *	void	logfile_rotations_free(paths, n)
 * DESCRIPTION
 *	logfile_open() opens path for reading through zlib, which reads a
 *	gzip file (logrotate's compress) and a plain file alike.
 *	logfile_next() gives the next line without its newline, valid until
 *	the next call; the last line needs no newline. A line longer than
 *	LOGFILE_LINE_MAX comes as its head (l->overlong counts them) and the
 *	rest of it is skipped, so the reader never loses the line breaks.
 *	logfile_error() says what went wrong at the end of a file ("" when
 *	nothing): a gzip file cut short, a bad checksum, a read error.
 *
 *	logfile_rotations() lists the files of a log as logrotate leaves
 *	them, oldest first: PATH.N.gz (or PATH.N) ... PATH.1, then PATH
 *	(listed whether it exists or not, for the caller to report). Both
 *	PATH.N and PATH.N.gz are listed when both exist (logrotate was
 *	compressing). At most LOGFILE_ROTATED_MAX rotations; *ret_capped
 *	says when there were more.
 * DIAGNOSTICS
 *	logfile_open(): 0 or -errno of open(2), -ENOMEM. logfile_next():
 *	1 a line, 0 the end, -EIO a read or decompression error (see
 *	logfile_error()).
 * SECURITY
 *	Memory is LOGFILE_LINE_MAX + LOGFILE_READ_CHUNK bytes per open file
 *	plus zlib's window, whatever the file holds; NUL and control bytes
 *	are data. Files are opened O_CLOEXEC, never created.
 */

#include "logfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


int logfile_open(const char *path, struct logfile *l)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	memset(l, 0, sizeof(*l));
	if (fd < 0)
		return -errno;
	if ((l->buf = malloc(LOGFILE_LINE_MAX + LOGFILE_READ_CHUNK)) == NULL) {
		close(fd);
		return -ENOMEM;
	}
	/* gzdopen reads a file that is not gzip as it is */
	if ((l->gz = gzdopen(fd, "rb")) == NULL) {
		close(fd);
		free(l->buf);
		return -ENOMEM;
	}
	gzbuffer(l->gz, LOGFILE_READ_CHUNK);
	return 0;
}

void logfile_close(struct logfile *l)
{
	if (l->gz)
		gzclose(l->gz);
	free(l->buf);
	l->gz = NULL;
	l->buf = NULL;
}

int logfile_next(struct logfile *l, const char **ret_p, size_t *ret_n)
{
	for (;;) {
		char *nl = memchr(l->buf + l->pos, '\n', l->len - l->pos);

		if (nl) {
			const char *p = l->buf + l->pos;
			size_t n = (size_t) (nl - p);

			l->pos += n + 1;
			if (l->skipping) {
				l->skipping = false;
				continue;
			}
			*ret_p = p;
			*ret_n = n;
			return 1;
		}
		if (l->skipping)
			l->pos = l->len;
		if (l->len - l->pos >= LOGFILE_LINE_MAX) {
			/* overlong: give the head, skip to its newline */
			*ret_p = l->buf + l->pos;
			*ret_n = LOGFILE_LINE_MAX;
			l->pos = l->len;
			l->skipping = true;
			l->overlong++;
			return 1;
		}
		if (l->eof) {
			if (l->pos < l->len && !l->skipping) {
				*ret_p = l->buf + l->pos;
				*ret_n = l->len - l->pos;
				l->pos = l->len;
				return 1;
			}
			return 0;
		}
		memmove(l->buf, l->buf + l->pos, l->len - l->pos);
		l->len -= l->pos;
		l->pos = 0;

		int n = gzread(l->gz, l->buf + l->len, LOGFILE_READ_CHUNK);

		if (n < 0)
			return -EIO;
		if (n == 0)
			l->eof = true;
		l->len += (size_t) n;
	}
}

const char *logfile_error(struct logfile *l)
{
	int errnum = Z_OK;
	const char *msg = gzerror(l->gz, &errnum);

	if (errnum == Z_OK)
		return "";
	if (errnum == Z_ERRNO)
		return strerror(errno);
	/* zlib names the file "<fd:N>": the caller names it */
	if (strncmp(msg, "<fd:", 4) == 0 && strstr(msg, ">: "))
		msg = strstr(msg, ">: ") + 3;
	return msg;
}

int logfile_rotations(const char *base, char ***ret_paths, size_t *ret_n, bool *ret_capped)
{
	char path[4096];
	struct stat st;
	char **v;
	size_t n = 0;
	int last = 0;

	if (strlen(base) + 16 >= sizeof(path))
		return -ENAMETOOLONG;
	for (int i = 1; i <= LOGFILE_ROTATED_MAX; i++) {
		bool found;

		snprintf(path, sizeof(path), "%s.%d", base, i);
		found = stat(path, &st) == 0;
		snprintf(path, sizeof(path), "%s.%d.gz", base, i);
		found = found || stat(path, &st) == 0;
		if (!found)
			break;
		last = i;
	}
	*ret_capped = last == LOGFILE_ROTATED_MAX;
	if ((v = calloc(2 * (size_t) last + 1, sizeof(*v))) == NULL)
		return -ENOMEM;
	for (int i = last; i >= 1; i--)
		for (int gz = 1; gz >= 0; gz--) {
			snprintf(path, sizeof(path), gz ? "%s.%d.gz" : "%s.%d", base, i);
			if (stat(path, &st) == 0 && (v[n++] = strdup(path)) == NULL) {
				logfile_rotations_free(v, n);
				return -ENOMEM;
			}
		}
	if ((v[n++] = strdup(base)) == NULL) {
		logfile_rotations_free(v, n);
		return -ENOMEM;
	}
	*ret_paths = v;
	*ret_n = n;
	return 0;
}

void logfile_rotations_free(char **paths, size_t n)
{
	if (paths == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
}

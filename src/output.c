/*
 * NAME
 *	output 3
 * SUMMARY
 *	a buffered, append-only output file
 * SYNOPSIS
 *	#include "output.h"
 *
 *	int	output_open(path, ret_output)
 *	int	output_write(o, p, n)
 *	int	output_flush(o)
 *	int	output_reopen(o)
 *	size_t	output_pending(o)
 * DESCRIPTION
 *	output_open() opens path for appending (O_APPEND|O_CLOEXEC, mode
 *	0640), or standard output for "-".
 *
 *	output_write() appends to a memory buffer and writes it out when it
 *	passes 64 KiB. output_flush() writes everything buffered. Bytes
 *	that could not be written stay buffered, in order, so a later flush
 *	retries them: nothing is lost and nothing is written twice.
 *
 *	output_reopen() flushes what it can and opens the path again (after
 *	logrotate renamed it); standard output is left alone.
 *
 *	output_truncate() drops the buffer and empties the file (a journal
 *	whose content is now in a checkpoint).
 * DIAGNOSTICS
 *	Functions return 0 or -errno of the failed call.
 * SECURITY
 *	The buffer holds at most 64 KiB plus one write; when the file
 *	cannot be written and the buffer passes 16 MiB, output_write()
 *	refuses more with -ENOBUFS, so a full disk bounds memory.
 */

#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define OUTPUT_FLUSH_AT		(64 * 1024)
#define OUTPUT_MAX_PENDING	(16 * 1024 * 1024)

struct output {
	int fd;
	char *path;			/* NULL for stdout */
	char *buf;
	size_t len, cap;
};

static int open_path(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);

	return fd < 0 ? -errno : fd;
}

int output_open(const char *path, struct output **ret_output)
{
	struct output *o = calloc(1, sizeof(*o));

	if (o == NULL)
		return -ENOMEM;
	if (strcmp(path, "-") == 0) {
		o->fd = STDOUT_FILENO;
	} else {
		if ((o->path = strdup(path)) == NULL) {
			free(o);
			return -ENOMEM;
		}
		if ((o->fd = open_path(path)) < 0) {
			int r = o->fd;

			free(o->path);
			free(o);
			return r;
		}
	}
	*ret_output = o;
	return 0;
}

void output_free(struct output *o)
{
	if (o == NULL)
		return;
	output_flush(o);
	if (o->path && o->fd >= 0)
		close(o->fd);
	free(o->path);
	free(o->buf);
	free(o);
}

int output_flush(struct output *o)
{
	size_t done = 0;
	int r = 0;

	if (o->fd < 0 && o->path) {
		if ((o->fd = open_path(o->path)) < 0) {
			r = o->fd;
			o->fd = -1;
			return r;
		}
	}
	while (done < o->len) {
		ssize_t w = write(o->fd, o->buf + done, o->len - done);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		done += (size_t) w;
	}
	if (done > 0) {		/* o->buf is NULL until the first write */
		memmove(o->buf, o->buf + done, o->len - done);
		o->len -= done;
	}
	return r;
}

int output_write(struct output *o, const void *p, size_t n)
{
	if (n == 0)
		return 0;	/* o->buf may still be NULL: no memcpy(NULL, p, 0) */
	if (o->len + n > o->cap) {
		if (o->len + n > OUTPUT_MAX_PENDING)
			return -ENOBUFS;
		size_t cap = o->cap ? o->cap : OUTPUT_FLUSH_AT * 2;

		while (cap < o->len + n)
			cap *= 2;
		char *nb = realloc(o->buf, cap);

		if (nb == NULL)
			return -ENOMEM;
		o->buf = nb;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, p, n);
	o->len += n;
	if (o->len >= OUTPUT_FLUSH_AT)
		(void) output_flush(o);	/* a failure shows in the caller's next flush */
	return 0;
}

int output_reopen(struct output *o)
{
	int r = output_flush(o);

	if (o->path == NULL)
		return r;
	if (o->fd >= 0)
		close(o->fd);
	o->fd = open_path(o->path);
	if (o->fd < 0) {
		r = o->fd;
		o->fd = -1;
		return r;
	}
	return output_flush(o);
}

int output_truncate(struct output *o)
{
	o->len = 0;
	if (o->fd < 0 || o->path == NULL)
		return -EBADF;
	return ftruncate(o->fd, 0) < 0 ? -errno : 0;
}

size_t output_pending(const struct output *o)
{
	return o->len;
}

const char *output_path(const struct output *o)
{
	return o->path ? o->path : "-";
}

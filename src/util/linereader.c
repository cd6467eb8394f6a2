/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	linereader 3
 * SUMMARY
 *	newline-separated input with a bound on line length
 * SYNOPSIS
 *	#include "linereader.h"
 *
 *	struct linereader *linereader_new(fd, max_line)
 *	int	linereader_next(lr, ret_p, ret_len, ret_piece)
 *	void	linereader_free(lr)
 *	uint64_t linereader_bytes(lr)
 *	bool	linereader_buffered(lr)
 *	void	linereader_set_interruptible(lr, on)
 * DESCRIPTION
 *	linereader_next() returns the next line of fd, without copying it
 *	when it lies in the buffer. A line longer than max_line comes in
 *	pieces: its head (LINE_HEAD, max_line bytes), then LINE_TAIL pieces
 *	and a LINE_TAIL_LAST, so a caller can judge a line by its head and
 *	still stream all of it, and the reader never loses sync.
 *
 *	Reads block; for a pipe (omprog) the reader returns each line as
 *	soon as its newline has arrived, and never waits for more input
 *	while a complete line is buffered.
 *
 *	linereader_set_interruptible() makes a read that a signal
 *	interrupts return -EINTR instead of being retried, so that a caller
 *	can block in read(2) and still wake up on a timer signal, without a
 *	poll(2) before every read.
 * DIAGNOSTICS
 *	-errno of read(2); EINTR is retried unless interruptible.
 * SECURITY
 *	Memory is bounded by 2 * max_line + 64 KiB whatever the input; NUL
 *	and other bytes are data.
 */

#include "linereader.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define READ_CHUNK (64 * 1024)

struct linereader {
	int fd;
	size_t max_line;
	char *buf;
	size_t cap, start, end;		/* unread bytes are buf[start..end) */
	bool in_long;			/* inside an overlong line */
	bool eof;
	bool interruptible;		/* EINTR is returned, not retried */
	uint64_t bytes;
};

struct linereader *linereader_new(int fd, size_t max_line)
{
	struct linereader *lr = calloc(1, sizeof(*lr));

	if (lr == NULL)
		return NULL;
	lr->fd = fd;
	lr->max_line = max_line;
	lr->cap = max_line + READ_CHUNK + 1;
	if ((lr->buf = malloc(lr->cap)) == NULL) {
		free(lr);
		return NULL;
	}
	return lr;
}

void linereader_free(struct linereader *lr)
{
	if (lr == NULL)
		return;
	free(lr->buf);
	free(lr);
}

uint64_t linereader_bytes(const struct linereader *lr)
{
	return lr->bytes;
}

bool linereader_buffered(const struct linereader *lr)
{
	return memchr(lr->buf + lr->start, '\n', lr->end - lr->start) != NULL;
}

static int fill(struct linereader *lr)
{
	if (lr->start > 0) {
		memmove(lr->buf, lr->buf + lr->start, lr->end - lr->start);
		lr->end -= lr->start;
		lr->start = 0;
	}
	for (;;) {
		ssize_t n = read(lr->fd, lr->buf + lr->end, lr->cap - lr->end);

		if (n < 0 && errno == EINTR && !lr->interruptible)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			lr->eof = true;
		lr->end += (size_t) n;
		lr->bytes += (uint64_t) n;
		return 0;
	}
}

int linereader_next(struct linereader *lr, const char **ret_p, size_t *ret_len, enum line_piece *ret_piece)
{
	for (;;) {
		char *p = lr->buf + lr->start;
		size_t avail = lr->end - lr->start;
		char *nl = memchr(p, '\n', avail);

		if (lr->in_long) {
			size_t n = nl ? (size_t) (nl - p) : avail;

			if (nl || (lr->eof && avail > 0) || n >= lr->max_line) {
				if (n > lr->max_line)
					n = lr->max_line;
				bool last = (nl && p + n == nl) || (lr->eof && n == avail);

				lr->start += n + (last && nl ? 1 : 0);
				lr->in_long = !last;
				*ret_p = p;
				*ret_len = n;
				*ret_piece = last ? LINE_TAIL_LAST : LINE_TAIL;
				return 1;
			}
			if (lr->eof) {
				lr->in_long = false;
				*ret_p = p;
				*ret_len = 0;
				*ret_piece = LINE_TAIL_LAST;
				return 1;
			}
		} else if (nl && (size_t) (nl - p) <= lr->max_line) {
			lr->start += (size_t) (nl - p) + 1;
			*ret_p = p;
			*ret_len = (size_t) (nl - p);
			*ret_piece = LINE_COMPLETE;
			return 1;
		} else if (avail > lr->max_line) {
			lr->start += lr->max_line;
			lr->in_long = true;
			*ret_p = p;
			*ret_len = lr->max_line;
			*ret_piece = LINE_HEAD;
			return 1;
		} else if (lr->eof) {
			if (avail == 0)
				return 0;
			lr->start = lr->end;
			*ret_p = p;
			*ret_len = avail;
			*ret_piece = LINE_COMPLETE;
			return 1;
		}
		int r = fill(lr);

		if (r < 0)
			return r;
	}
}

void linereader_set_interruptible(struct linereader *lr, bool on)
{
	lr->interruptible = on;
}

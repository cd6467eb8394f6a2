/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_LINEREADER_H
#define AUTHFOLD_LINEREADER_H

/* linereader - newline-separated input with a bound on line length; see linereader.c */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum line_piece {
	LINE_COMPLETE,			/* a whole line (without its newline) */
	LINE_HEAD,			/* the first max_line bytes of a longer line */
	LINE_TAIL,			/* more of that line */
	LINE_TAIL_LAST,			/* the end of that line */
};

struct linereader;

struct linereader *linereader_new(int fd, size_t max_line);
void linereader_free(struct linereader *lr);	/* does not close fd; accepts NULL */
/* 1 with a piece, 0 at end of input, or -errno. The piece is borrowed
   until the next call. A last line without newline is COMPLETE. */
int linereader_next(struct linereader *lr, const char **ret_p, size_t *ret_len, enum line_piece *ret_piece);
uint64_t linereader_bytes(const struct linereader *lr);
bool linereader_buffered(const struct linereader *lr);	/* a complete line is waiting */
/* on: a read interrupted by a signal makes linereader_next() return -EINTR. */
void linereader_set_interruptible(struct linereader *lr, bool on);

#endif

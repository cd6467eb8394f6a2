/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_OUTPUT_H
#define AUTHFOLD_OUTPUT_H

/* output - a buffered, append-only output file; see output.c */

#include <stddef.h>
#include <stdint.h>

struct output;

int output_open(const char *path, struct output **ret_output);	/* "-": stdout */
/* A regular file written through a shared mapping (no write(2) per write):
   for a journal whose reader stops at the first NUL byte. */
int output_open_mapped(const char *path, size_t window, struct output **ret_output);
/* An output that opens nothing and drops every byte (for a dry run). */
int output_open_discard(struct output **ret_output);
void output_free(struct output *o);	/* flushes what it can; accepts NULL */
int output_write(struct output *o, const void *p, size_t n);
int output_write_fd(int fd, const void *p, size_t n);	/* unbuffered, all n bytes or -errno */
int output_flush(struct output *o);
int output_reopen(struct output *o);
int output_truncate(struct output *o);	/* drops what is buffered and empties the file */
size_t output_pending(const struct output *o);
const char *output_path(const struct output *o);
/* Cuts the file back to size bytes if it is longer (through its descriptor);
   the bytes removed, 0, or -errno. stdout and mappings are left alone. */
int64_t output_cut(struct output *o, int64_t size);
/* strerror() of an output_open() failure, saying why a link was refused. */
const char *output_strerror(int r);
/* The outputs must be different files, not in state_dir (may be NULL) and
   not reply_fd (>= 0). -EINVAL with the reason in err. */
int output_collisions(const struct output *summary, const struct output *events, const char *state_dir,
		      int reply_fd, char *err, size_t errlen);

#endif

#ifndef AUTHFOLD_OUTPUT_H
#define AUTHFOLD_OUTPUT_H

/* output - a buffered, append-only output file; see output.c */

#include <stddef.h>

struct output;

int output_open(const char *path, struct output **ret_output);	/* "-": stdout */
void output_free(struct output *o);	/* flushes what it can; accepts NULL */
int output_write(struct output *o, const void *p, size_t n);
int output_flush(struct output *o);
int output_reopen(struct output *o);
int output_truncate(struct output *o);	/* drops what is buffered and empties the file */
size_t output_pending(const struct output *o);
const char *output_path(const struct output *o);

#endif

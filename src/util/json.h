/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_JSON_H
#define AUTHFOLD_JSON_H

/* json - the one JSON string encoder of every writer, see json.c */

#include <stddef.h>
#include <stdio.h>

struct output;

/* A sink for json_quote(): writes n bytes, returns 0 or -errno. */
typedef int json_put_fn(void *data, const char *p, size_t n);

/* "p" as a JSON string (n arbitrary bytes) through put; 0 or put's first -errno. */
int json_quote(const char *p, size_t n, json_put_fn *put, void *data);
/* json_quote() into an output(3); 0 or the -errno of output_write(). */
int json_string(struct output *o, const char *p, size_t n);
/* json_quote() of the NUL-terminated s into a stdio stream (errors stay in ferror(fp)). */
void json_fputs(FILE *fp, const char *s);

#endif

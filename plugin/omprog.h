/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_OMPROG_H
#define AUTHFOLD_OMPROG_H

/* omprog - rsyslog omprog's side of the protocol: replies, marks, resends; see omprog.c */

#include <stdbool.h>
#include <stddef.h>

#define OMPROG_REPLY_MAX	1024	/* rsyslog refuses replies of 4095 bytes or more */

enum omprog_mark { OMPROG_MESSAGE, OMPROG_BEGIN, OMPROG_COMMIT };

/* What a complete input line is: a transaction mark or a message. */
enum omprog_mark omprog_mark(const char *line, size_t len);

/* Writes "OK\n", or "ERROR <why>\n" when why is not NULL, to fd in one
   write(2). why is cut and stripped of control bytes so the reply stays
   one short line. 0 or -errno (-EPIPE: rsyslog closed the pipe). */
int omprog_reply(int fd, const char *why);

/* The message whose flush failed, so that its resend is not folded twice. */
struct omprog_resend;

struct omprog_resend *omprog_resend_new(size_t max);
void omprog_resend_free(struct omprog_resend *rs);	/* accepts NULL */
/* Remembers the (head of the) message; a head longer than max is not
   remembered (forgets the last one too): its resend is folded again. */
void omprog_resend_set(struct omprog_resend *rs, const char *p, size_t n, bool overlong);
void omprog_resend_clear(struct omprog_resend *rs);
/* true when p/n is the head of the remembered message. */
bool omprog_resend_match(const struct omprog_resend *rs, const char *p, size_t n, bool overlong);

#endif

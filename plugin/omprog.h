/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_OMPROG_H
#define AUTHFOLD_OMPROG_H

/* omprog - rsyslog omprog's side of the protocol: replies, marks, resends; see omprog.c */

#include "linereader.h"

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OMPROG_REPLY_MAX	1024	/* rsyslog refuses replies of 4095 bytes or more */

enum omprog_mark { OMPROG_MESSAGE, OMPROG_BEGIN, OMPROG_COMMIT };

/* What a complete input line is: a transaction mark or a message. */
enum omprog_mark omprog_mark(const char *line, size_t len);

/* Writes "OK\n", or "ERROR <why>\n" when why is not NULL, to fd in one
   write(2). why is cut and stripped of control bytes so the reply stays
   one short line. 0 or -errno (-EPIPE: rsyslog closed the pipe). */
int omprog_reply(int fd, const char *why);
/* Writes "DEFER_COMMIT\n" (inside a transaction: done at its COMMIT). */
int omprog_reply_deferred(int fd);

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

/* rsyslog's pipe on stdin as a daemon(3) source with a tick: pieces of
   lines, the idle passes, the drain after SIGTERM. */
#define OMPROG_TICK_MS		250	/* SIGALRM interrupts a blocking read this often (daemon_ops.tick_ms) */
#define OMPROG_DRAIN_LULL_MS	100	/* after SIGTERM: the end when stdin is quiet this long */
#define OMPROG_DRAIN_MAX_MS	2000	/* or after this; rsyslog's closeTimeout is 5 s */
#define OMPROG_PIECE		16	/* omprog_input_next(): a piece of a line is ready */

struct omprog_input {
	struct linereader *lr;
	int fd;
	bool in_long;			/* between the head and the last piece of an overlong line */
	sig_atomic_t seen_tick;		/* daemon_ticks() when the idle work was last offered */
	int64_t term_at;		/* ms (CLOCK_MONOTONIC) of SIGTERM/SIGINT; 0: none */
};

/* Reads fd in lines of at most max bytes (longer ones in pieces). 0 or -ENOMEM. */
int omprog_input_open(struct omprog_input *in, int fd, size_t max);
void omprog_input_close(struct omprog_input *in);	/* accepts one never opened (zeroed) */
/* OMPROG_PIECE with the piece in ret_*, or what daemon_ops.read returns
   as is: DAEMON_IDLE (a tick came and the next read would block),
   DAEMON_AGAIN (a signal), DAEMON_END (EOF, or drained after SIGTERM);
   <0 -errno with the reason in err. */
int omprog_input_next(struct omprog_input *in, const char **ret_p, size_t *ret_n, enum line_piece *ret_piece,
		      char *err, size_t errlen);

#endif

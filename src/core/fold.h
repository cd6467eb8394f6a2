/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_FOLD_H
#define AUTHFOLD_FOLD_H

/* fold - what becomes of one log line: kept, dropped, synthetic, strike; see fold.c */

#include "config.h"
#include "record.h"
#include "session.h"
#include "smtpd.h"

enum fold_action {
	FOLD_PASS,			/* not an smtpd line we judge: written as is */
	FOLD_KEEP,			/* an smtpd line a non-verbose Postfix writes */
	FOLD_DROP,			/* -v chatter */
};

struct fold_result {
	enum fold_action action;
	enum smtpd_kind kind;
	const char *rule;		/* the rule that decided (static) */
	bool synthetic;			/* write "warning: CLIENT: authentication not enabled" */
	bool synthetic_before;		/* before the line (disconnect) or in its place (reply) */
	bool strike;
	bool sasl_trouble;		/* a sign that the line's origin's auth server is in trouble */
	enum reason reason;
	struct addr addr;		/* the struck client's address */
	size_t client_len;
	char client[SESSION_CLIENT_MAX];	/* NAME[ADDR] as Postfix wrote it */
};

/* A verdict settled later than its line: the line is rebuilt from its prefix. */
struct fold_late {
	struct record r;		/* prefix only (msg empty); spans into buf */
	const char *rule;		/* the rule that decided (static) */
	bool synthetic;
	bool strike;
	enum reason reason;
	struct addr addr;
	size_t client_len;
	char client[SESSION_CLIENT_MAX];
	char buf[SESSION_PREFIX_MAX + SESSION_ORIGIN_TEXT_MAX];
};

struct fold_counters {
	uint64_t lines, other, smtpd, kept, dropped, passed, untrusted, synthetic;
	uint64_t strikes[REASON_COUNT];
	uint64_t evidence_ignored;	/* evidence of a reason not in `reasons` */
	uint64_t foreign_client;	/* session lines naming another client than the session's */
	uint64_t no_session;		/* session lines before their session's connect (adopted) */
	uint64_t late;			/* lines older than the stream's clock */
	uint64_t deferred;		/* statistics verdicts that waited for their session */
	uint64_t settled_late;		/* verdicts given after their line */
	uint64_t sasl_server;		/* SASL failures the auth server caused (never strikes) */
	uint64_t sasl_trouble;		/* Postfix's warnings that its SASL backend is unreachable */
};

#define FOLD_LATE_MAX		64	/* verdicts waiting to be written */
#define FOLD_GRACE_USEC		(60 * INT64_C(1000000))	/* a deferred verdict's wait */

struct fold;

struct fold *fold_new(const struct config *c);
void fold_free(struct fold *f);
int fold_line(struct fold *f, const struct record *r, struct fold_result *ret_result);
const struct fold_late *fold_late_peek(const struct fold *f);
void fold_late_pop(struct fold *f);
/* Gives the deferred verdicts (traced: also those waiting for a -v trace);
   returns how many of those still wait (the late queue is full). */
size_t fold_settle(struct fold *f, bool traced);
void fold_expire(struct fold *f, int64_t now_usec);
const struct fold_counters *fold_counters(const struct fold *f);
struct session_table *fold_sessions(struct fold *f);
size_t fold_pending(const struct fold *f);
size_t fold_pending_traced(const struct fold *f);	/* of those, waiting for a -v trace */
/* Restores a session's deferred verdict from saved state. */
void fold_pend(struct fold *f, struct session *s);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_SASLREASON_H
#define AUTHFOLD_SASLREASON_H

/* saslreason - whose fault a Postfix SASL failure is; see saslreason.c */

#include <stdbool.h>
#include <stddef.h>

enum sasl_class {
	SASL_CLIENT,			/* the client's fault: strikes (saslfail) */
	SASL_SERVER,			/* the auth server's: never strikes, counted apart */
	SASL_BADMECH,			/* a mechanism the server does not offer (badmech) */
};

struct saslreason_row {
	const char *text;		/* the REASON of "SASL M authentication failed: REASON" */
	bool prefix;			/* text is followed by a variable part */
	enum sasl_class cls;
	int reply;			/* Postfix's reply: 535 or 454 (501 aborted); 0 when either */
	const char *source;		/* where the text comes from */
};

struct saslreason_trouble {
	const char *text;		/* a message prefix ("warning: ...", "fatal: ...") */
	const char *source;
};

/* The table; its rows stay valid for the process's life. */
const struct saslreason_row *saslreason_rows(size_t *ret_n);
const struct saslreason_trouble *saslreason_troubles(size_t *ret_n);
/* tail: the text after "SASL M authentication failed"; the row that
   decided (never NULL: unknown texts have a row of their own). */
const struct saslreason_row *saslreason_classify(const char *tail, size_t len);
/* The row of "SASL M authentication aborted" (no REASON): the client's fault. */
const struct saslreason_row *saslreason_aborted(void);
/* msg: a whole smtpd message; true when it says the SASL backend is unreachable. */
bool saslreason_is_trouble(const char *msg, size_t len);
const char *saslreason_class_name(enum sasl_class cls);

#endif

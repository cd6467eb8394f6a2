/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_SMTPD_H
#define AUTHFOLD_SMTPD_H

/* smtpd - classify the message of one Postfix smtpd line; see smtpd.c */

#include "addr.h"
#include "record.h"
#include "saslreason.h"

enum smtpd_kind {
	SMTPD_CHATTER,			/* written only under -v: folded away */
	SMTPD_KEEP,			/* written without -v; no meaning for the fold */
	SMTPD_CONNECT,			/* "connect from NAME[ADDR]" */
	SMTPD_DISCONNECT,		/* "disconnect from NAME[ADDR] stats..." */
	SMTPD_SASL_FAIL,		/* "warning: NAME[ADDR]: SASL M authentication failed..." (or aborted) */
	SMTPD_COMMAND,			/* -v "< NAME[ADDR]: command" */
	SMTPD_REPLY,			/* -v "> NAME[ADDR]: reply" */
};

struct smtpd_line {
	enum smtpd_kind kind;
	const char *rule;		/* name of the rule that decided (static) */
	struct span client;		/* "NAME[ADDR]" or "NAME[ADDR]:PORT" as written */
	struct addr addr;		/* ADDR, checked with inet_pton */
	bool auth_command;		/* COMMAND: the verb is AUTH */
	bool noauth_reply;		/* REPLY: 503 5.5.1 Error: authentication not enabled */
	int auth_failed;		/* DISCONNECT: failed AUTH commands (auth=ok/total), 0 if none */
	bool starttls;			/* DISCONNECT: the statistics name starttls */
	bool helo;			/* DISCONNECT: the statistics name ehlo or helo */
	const struct saslreason_row *sasl;	/* SASL_FAIL: its REASON's row (saslreason(3)) */
	bool sasl_trouble;		/* KEEP: Postfix says its SASL backend is unreachable */
};

void smtpd_classify(struct span msg, struct smtpd_line *ret_line);
const char *smtpd_kind_name(enum smtpd_kind kind);
int smtpd_parse_client(const char *p, size_t len, struct span *ret_client, struct addr *ret_addr);
struct span smtpd_client_base(struct span client);

#endif

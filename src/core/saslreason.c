/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	saslreason 3
 * SUMMARY
 *	whose fault a Postfix SASL failure is
 * SYNOPSIS
 *	#include "saslreason.h"
 *
 *	const struct saslreason_row *saslreason_classify(tail, len)
 *	const struct saslreason_row *saslreason_aborted(void)
 *	bool	saslreason_is_trouble(msg, len)
 *	const struct saslreason_row *saslreason_rows(ret_n)
 *	const struct saslreason_trouble *saslreason_troubles(ret_n)
 *	const char *saslreason_class_name(cls)
 * DESCRIPTION
 *	Postfix's smtpd_sasl_glue.c logs every failed AUTH as
 *
 *	    warning: NAME[ADDR]: SASL M authentication failed: REASON
 *	    warning: NAME[ADDR]: SASL M authentication failed: REASON, sasl_username=U
 *
 *	(the second since 3.9 and the backports 3.7.8, 3.8.3; an empty
 *	REASON reads "(reason unavailable)" there, and U "(unavailable)").
 *	REASON is the text the SASL server (xsasl_dovecot_server.c, or
 *	xsasl_cyrus_server.c with Cyrus SASL's sasl_errstring()) put in the
 *	reply; Postfix answers the client 454 (temporary) when the server
 *	returned XSASL_AUTH_TEMP, else 535. The log line does not carry
 *	the reply code, so the class comes from REASON, by the table below,
 *	one row per text Postfix 3.7 to 3.11 and libsasl2 2.1.28 can put
 *	there, with the file each comes from:
 *
 *	SASL_CLIENT: a wrong password, an unknown user, a broken or
 *	cancelled exchange; also an empty REASON, "(reason unavailable)"
 *	and any text not in the table (Dovecot passes its own reason= text
 *	through; Postfix before 3.9 logs a stale base64 challenge). These
 *	strike as saslfail.
 *
 *	SASL_SERVER: the auth server failed (unreachable, lost connection,
 *	temporary failure, its own malfunction): never a strike.
 *
 *	SASL_BADMECH: the client asked for a mechanism the server does not
 *	offer ("Invalid authentication mechanism", since 3.10 followed by
 *	": 'M'"; Cyrus "no mechanism available"): reason badmech.
 *
 *	saslreason_classify() takes the text after "authentication
 *	failed" (": REASON[, sasl_username=U]", or nothing) and returns the
 *	row that matches REASON: a row matches when REASON starts with its
 *	text and ends there or continues with ", sasl_username=" (a prefix
 *	row also with ": '"). The client's own words (its user name, the
 *	mechanism it named) come after the fixed text, so they cannot
 *	change the class.
 *
 *	saslreason_aborted() returns the row of the other form of a failed
 *	AUTH, "warning: NAME[ADDR]: SASL M authentication aborted" (every
 *	Postfix from 3.7.0 to 3.11 and 3.12's snapshots writes it so, with
 *	no REASON and no sasl_username, and answers 501 5.7.0): the client
 *	answered a challenge with "*" (RFC 4954), the aborted exchange of a
 *	client that has no password to give or gives up guessing. SASL_CLIENT:
 *	it strikes as saslfail. saslreason_classify() never returns it.
 *
 *	saslreason_is_trouble() tells whether a whole smtpd message is one
 *	of Postfix's (or libsasl2's) own warnings that the SASL backend is
 *	unreachable or broken, e.g. "warning: SASL: Connect to Dovecot auth
 *	socket 'private/auth' failed: No such file or directory", or the
 *	fatal error of a new smtpd that cannot get the mechanism list
 *	("fatal: no SASL authentication mechanisms"): such a
 *	line names no client; the SASL failures around it in time are not
 *	the clients' fault (engine(3) holds judgement).
 *
 *	saslreason_rows() and saslreason_troubles() give the tables, for
 *	the unit test and the manual.
 * SECURITY
 *	Only texts that Postfix or the SASL library write, at the start of
 *	REASON, decide; the parts a client chooses come later and are never
 *	read. A client cannot make its own failure a server one.
 * BUGS
 *	Dovecot answers a temporary failure of its passdb with a FAIL that
 *	carries no reason, logged like a wrong password ("(reason
 *	unavailable)"); only the hold window around the server's own
 *	trouble lines keeps those from striking.
 */

#include "saslreason.h"

#include <string.h>

#define DOVECOT "src/xsasl/xsasl_dovecot_server.c"
#define CYRUS "src/xsasl/xsasl_cyrus_server.c + libsasl2 2.1.28 lib/common.c sasl_errstring()"
#define GLUE "src/smtpd/smtpd_sasl_glue.c"

static const struct saslreason_row rows[] = {
	/* smtpd_sasl_glue.c: no text from the server */
	{"", false, SASL_CLIENT, 0, GLUE " (3.7.0-3.7.7, 3.8.0-3.8.2: empty REASON)"},
	{"(reason unavailable)", false, SASL_CLIENT, 0, GLUE " (3.7.8+, 3.8.3+, 3.9+)"},
	/* Dovecot */
	{"Connection lost to authentication server", false, SASL_SERVER, 454, DOVECOT},
	{"Can't connect to authentication server", false, SASL_SERVER, 454, DOVECOT},
	{"Authentication backend error", false, SASL_SERVER, 535, DOVECOT " (a reply without user or data)"},
	{"Invalid authentication mechanism", true, SASL_BADMECH, 535, DOVECOT " (3.10+: \": 'M'\" follows)"},
	{"Invalid base64 data in initial response", false, SASL_CLIENT, 535, DOVECOT},
	{"Invalid base64 data in continued response", false, SASL_CLIENT, 535, DOVECOT},
	/* Cyrus SASL: XSASL_AUTH_TEMP (454) for SASL_FAIL, NOMEM, TRYAGAIN, UNAVAIL */
	{"generic failure", false, SASL_SERVER, 454, CYRUS " SASL_FAIL (saslauthd down)"},
	{"no memory available", false, SASL_SERVER, 454, CYRUS " SASL_NOMEM"},
	{"transient failure (e.g., weak key)", false, SASL_SERVER, 454, CYRUS " SASL_TRYAGAIN"},
	{"remote authentication server unavailable", false, SASL_SERVER, 454, CYRUS " SASL_UNAVAIL"},
	/* Cyrus SASL: the server's own malfunction, answered 535 */
	{"SASL library is not initialized", false, SASL_SERVER, 535, CYRUS " SASL_NOTINIT"},
	{"version mismatch with plug-in", false, SASL_SERVER, 535, CYRUS " SASL_BADVERS"},
	{"error when parsing configuration file", false, SASL_SERVER, 535, CYRUS " SASL_CONFIGERR"},
	/* Cyrus SASL: the client's fault, 535 (SASL_NOUSER is logged as SASL_BADAUTH) */
	{"authentication failure", false, SASL_CLIENT, 535, CYRUS " SASL_BADAUTH, SASL_NOUSER"},
	{"authorization failure", false, SASL_CLIENT, 535, CYRUS " SASL_NOAUTHZ"},
	{"bad protocol / cancel", false, SASL_CLIENT, 535, CYRUS " SASL_BADPROT"},
	{"invalid parameter supplied", false, SASL_CLIENT, 535, CYRUS " SASL_BADPARAM"},
	{"overflowed buffer", false, SASL_CLIENT, 535, CYRUS " SASL_BUFOVER"},
	{"mechanism too weak for this user", false, SASL_CLIENT, 535, CYRUS " SASL_TOOWEAK"},
	{"encryption needed to use mechanism", false, SASL_CLIENT, 535, CYRUS " SASL_ENCRYPT"},
	{"passphrase expired, has to be reset", false, SASL_CLIENT, 535, CYRUS " SASL_EXPIRED"},
	{"account disabled", false, SASL_CLIENT, 535, CYRUS " SASL_DISABLED"},
	{"user exists, but no verifier for user", false, SASL_CLIENT, 535, CYRUS " SASL_NOVERIFY"},
	{"passphrase locked", false, SASL_CLIENT, 535, CYRUS " SASL_PWLOCK"},
	{"no mechanism available", false, SASL_BADMECH, 535, CYRUS " SASL_NOMECH"},
	/* next to last: not a REASON but the line "SASL M authentication aborted" (saslreason_aborted()) */
	{"authentication aborted", false, SASL_CLIENT, 501, GLUE " (\"SASL M authentication aborted\": the client "
	 "answered a challenge with \"*\", 3.7.0-3.11)"},
	/* last: any other text (Dovecot's reason=, a stale challenge before 3.9) */
	{NULL, true, SASL_CLIENT, 0, "any other REASON: Dovecot's reason= text, a stale challenge (before 3.9)"},
};

#define NROWS (sizeof(rows) / sizeof(rows[0]))
#define ROW_ABORTED (NROWS - 2)
#define ROW_OTHER (NROWS - 1)

static const struct saslreason_trouble troubles[] = {
	{"warning: SASL: Connect to ", DOVECOT " (\"Connect to Dovecot auth socket 'P' failed: %m\")"},
	{"warning: SASL: Couldn't send handshake: ", DOVECOT},
	{"warning: SASL: Protocol version error", DOVECOT},
	{"warning: SASL: Protocol version mismatch ", DOVECOT},
	{"warning: SASL: Connected to wrong auth socket ", DOVECOT},
	{"warning: SASL: Protocol error", DOVECOT},
	{"warning: missing Dovecot server ", DOVECOT " (\"missing Dovecot server %s username field\")"},
	{"warning: SASL authentication failure: cannot connect to saslauthd server: ",
	 "src/xsasl/xsasl_cyrus_log.c + libsasl2 lib/checkpw.c"},
	{"warning: SASL authentication failure: cannot create socket for saslauthd: ",
	 "src/xsasl/xsasl_cyrus_log.c + libsasl2 lib/checkpw.c"},
	{"warning: SASL authentication failure: cannot connect to Courier authdaemond: ",
	 "src/xsasl/xsasl_cyrus_log.c + libsasl2 lib/checkpw.c"},
	{"warning: SASL authentication failure: cannot create socket for connection to Courier authdaemond: ",
	 "src/xsasl/xsasl_cyrus_log.c + libsasl2 lib/checkpw.c"},
	/* a new smtpd process that cannot reach the auth server dies at its session's start */
	{"fatal: no SASL authentication mechanisms", GLUE " (smtpd_sasl_activate)"},
	{"fatal: SASL per-connection initialization failed", GLUE " (smtpd_sasl_activate)"},
};

#define NTROUBLES (sizeof(troubles) / sizeof(troubles[0]))

const struct saslreason_row *saslreason_rows(size_t *ret_n)
{
	*ret_n = NROWS;
	return rows;
}

const struct saslreason_trouble *saslreason_troubles(size_t *ret_n)
{
	*ret_n = NTROUBLES;
	return troubles;
}

const char *saslreason_class_name(enum sasl_class cls)
{
	switch (cls) {
	case SASL_CLIENT:
		return "client";
	case SASL_SERVER:
		return "server";
	case SASL_BADMECH:
		return "badmech";
	}
	return "?";
}

static bool at(const char *p, size_t len, const char *lit)
{
	size_t n = strlen(lit);

	return len >= n && memcmp(p, lit, n) == 0;
}

#define USER ", sasl_username="

const struct saslreason_row *saslreason_classify(const char *tail, size_t len)
{
	/* ": REASON", ":" or nothing (an empty REASON, trailing space cut) */
	if (len > 0 && tail[0] == ':')
		tail++, len--;
	if (len > 0 && tail[0] == ' ')
		tail++, len--;
	for (size_t i = 0; i < ROW_ABORTED; i++) {
		size_t n = strlen(rows[i].text);

		if (!at(tail, len, rows[i].text))
			continue;
		if (n == len || at(tail + n, len - n, USER) || (rows[i].prefix && at(tail + n, len - n, ": '")))
			return &rows[i];
	}
	return &rows[ROW_OTHER];
}

const struct saslreason_row *saslreason_aborted(void)
{
	return &rows[ROW_ABORTED];
}

bool saslreason_is_trouble(const char *msg, size_t len)
{
	for (size_t i = 0; i < NTROUBLES; i++)
		if (at(msg, len, troubles[i].text))
			return true;
	return false;
}

/*
 * NAME
 *	fold 3
 * SUMMARY
 *	what becomes of one log line
 * SYNOPSIS
 *	#include "fold.h"
 *
 *	struct fold *fold_new(c)
 *	int	fold_line(f, r, ret_result)
 *	void	fold_expire(f, now_usec)
 * DESCRIPTION
 *	fold_line() decides, for one record, whether it is written to the
 *	summary (PASS: not a Postfix smtpd line, or not trusted to decide;
 *	KEEP: an smtpd line a Postfix without -v writes) or folded away
 *	(DROP: -v chatter, in a session or outside one), whether a synthetic
 *	"warning: NAME[ADDR]: authentication not enabled" goes with it, and
 *	whether its session gives a strike.
 *
 *	Sessions run from "connect from" to "disconnect from" per (host,
 *	tag, pid). A session is a probe (reason noauth) when
 *	  - the -v trace shows the reply "503 5.5.1 Error: authentication
 *	    not enabled" to an AUTH command of the same session: the
 *	    synthetic line takes the reply's place; or
 *	  - the session showed no -v trace and its disconnect statistics
 *	    count a failed AUTH (auth=0/N), no STARTTLS, an EHLO or HELO (an
 *	    AUTH before any EHLO is refused with "send HELO/EHLO first"), and
 *	    no SASL failure was logged: the synthetic line goes just before
 *	    the disconnect line.
 *	A session fails a password (reason saslfail) at "warning: NAME[ADDR]:
 *	SASL MECH authentication failed". A session gives at most one strike,
 *	at its first evidence of a reason listed in `reasons`, and at most one
 *	synthetic line.
 *
 *	A trace or SASL line of a session whose "connect from" was not seen
 *	(authfold started, or was killed, in the middle of it) adopts the
 *	session from its own client token, so its evidence still counts once.
 *
 *	Site rules (rules(3), authfold.conf(5) SITE RULES) come after the
 *	built-in rules: connect, disconnect, the -v trace and SASL failures
 *	always keep their built-in meaning; any other smtpd line, and a line
 *	of another program whose tag a rule names, goes to the site rules in
 *	order, and the first that matches decides: fold (drop), keep, or
 *	strike the line's session with the rule's reason (and keep or fold
 *	the line). result.rule is then the rule's name, site:FILE:LINE.
 *
 *	The result is self-contained (it copies the client token): it stays
 *	valid after the session closes.
 * DIAGNOSTICS
 *	fold_line() returns 0, or -ENOMEM.
 * SECURITY
 *	Evidence counts only from a line whose client token, in Postfix's
 *	own position, is the client of the session it belongs to; the
 *	address struck is that of the session's "connect from" line (or of
 *	the disconnect line itself when no session is open). Nothing a client
 *	sends (EHLO, MAIL FROM, AUTH arguments) is ever parsed for an address.
 * BUGS
 *	Without -v, an AUTH sent before EHLO by a client that then sends
 *	EHLO cannot be told from a probe: the statistics do not keep order.
 */

#include "fold.h"

#include "rules.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct fold {
	const struct config *c;
	struct session_table *sessions;
	struct fold_counters counters;
	const char *last_tag;		/* one-entry cache of config_smtpd_tag() */
	size_t last_tag_len;
	char last_tag_buf[128];
	bool last_tag_result;
};

struct fold *fold_new(const struct config *c)
{
	struct fold *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	f->c = c;
	if ((f->sessions = session_table_new(c->max_sessions, c->session_idle * 1000000)) == NULL) {
		free(f);
		return NULL;
	}
	return f;
}

void fold_free(struct fold *f)
{
	if (f == NULL)
		return;
	session_table_free(f->sessions);
	free(f);
}

const struct fold_counters *fold_counters(const struct fold *f)
{
	return &f->counters;
}

struct session_table *fold_sessions(struct fold *f)
{
	return f->sessions;
}

void fold_expire(struct fold *f, int64_t now_usec)
{
	session_expire(f->sessions, now_usec);
}

static bool smtpd_tag(struct fold *f, struct span tag)
{
	if (f->last_tag && tag.len == f->last_tag_len && memcmp(tag.p, f->last_tag_buf, tag.len) == 0)
		return f->last_tag_result;
	if (tag.len >= sizeof(f->last_tag_buf))
		return false;
	memcpy(f->last_tag_buf, tag.p, tag.len);
	f->last_tag = f->last_tag_buf;
	f->last_tag_len = tag.len;
	f->last_tag_result = config_smtpd_tag(f->c, tag.p, tag.len);
	return f->last_tag_result;
}

static void set_client(struct fold_result *res, const char *p, size_t len, const struct addr *a)
{
	memcpy(res->client, p, len);
	res->client_len = len;
	res->addr = *a;
}

/* First evidence of a reason in a session (s may be NULL: a disconnect alone). */
static void evidence(struct fold *f, struct session *s, enum reason reason, struct fold_result *res)
{
	if (s && s->struck)
		return;
	if (!f->c->reasons[reason]) {
		f->counters.evidence_ignored++;
		return;
	}
	if (s) {
		s->struck = true;
		set_client(res, s->client, s->client_len, &s->addr);
	}
	res->strike = true;
	res->reason = reason;
	f->counters.strikes[reason]++;
}

/* --- site rules (issue 6) ------------------------------------------------
   A site rule decides a line the built-in rules leave to it (see
   fold_line) and overrides their keep/chatter verdict. A strike rule
   strikes the session the line belongs to by (host, tag, pid), with the
   client of its "connect from" line: text of the line is never read for
   an address. Outside a session it strikes nothing (counted). */
static bool site_rule(struct fold *f, const struct record *r, bool smtpd, struct fold_result *res)
{
	struct rules_hit hit;
	struct session *s;

	if (!rules_match(f->c->rules, r->tag, smtpd, r->msg, &hit))
		return false;
	res->rule = hit.name;
	res->action = hit.drop ? FOLD_DROP : smtpd ? FOLD_KEEP : FOLD_PASS;
	if (hit.kind != RULES_STRIKE)
		return true;
	if ((s = session_find(f->sessions, r->host, r->tag, r->pid)) == NULL) {
		rules_counters(f->c->rules)->strike_no_session++;
		return true;
	}
	session_touch(f->sessions, s, r->usec);
	evidence(f, s, (enum reason) hit.reason, res);
	return true;
}
/* --- end site rules --- */

static void synthetic(struct fold *f, struct session *s, bool before, struct fold_result *res)
{
	if (s)
		s->noauth = true;
	res->synthetic = true;
	res->synthetic_before = before;
	f->counters.synthetic++;
}

int fold_line(struct fold *f, const struct record *r, struct fold_result *ret_result)
{
	struct fold_result *res = ret_result;
	struct smtpd_line l;
	struct session *s = NULL;
	int ret = 0;

	/* Not memset: client[] is large and only valid up to client_len. */
	res->action = FOLD_PASS;
	res->kind = SMTPD_CHATTER;
	res->rule = "not-smtpd";
	res->synthetic = res->synthetic_before = res->strike = false;
	res->reason = REASON_NOAUTH;
	res->client_len = 0;
	f->counters.lines++;

	if (r->format == RECORD_OTHER) {
		f->counters.other++;
		res->rule = "not-syslog";
		goto done;
	}
	if (!smtpd_tag(f, r->tag)) {
		/* site rules (issue 6): rules with a tag see other programs' lines */
		if (r->trusted && rules_tagged(f->c->rules))
			site_rule(f, r, false, res);
		goto done;
	}
	if (!r->trusted) {
		f->counters.untrusted++;
		res->rule = "untrusted";
		goto done;
	}
	f->counters.smtpd++;
	smtpd_classify(r->msg, &l);
	res->kind = l.kind;
	res->rule = l.rule;
	res->action = l.kind == SMTPD_CHATTER || l.kind == SMTPD_COMMAND || l.kind == SMTPD_REPLY
	    ? FOLD_DROP : FOLD_KEEP;
	if (r->usec >= 0)
		session_expire(f->sessions, r->usec);
	if (l.kind == SMTPD_CHATTER || l.kind == SMTPD_KEEP) {
		/* site rules (issue 6): only these; structural lines keep their meaning */
		if (f->c->rules)
			site_rule(f, r, true, res);
		goto done;
	}

	if (l.kind == SMTPD_CONNECT) {
		ret = session_open(f->sessions, r->host, r->tag, r->pid, l.client, &l.addr, r->usec, &s);
		if (ret == -ENOSPC || ret == -EINVAL)
			ret = 0;	/* counted by the table; the line is still kept */
		goto done;
	}
	s = session_find(f->sessions, r->host, r->tag, r->pid);
	if (s && !session_client_is(s, l.client)) {
		f->counters.foreign_client++;
		if (l.kind != SMTPD_DISCONNECT)
			goto done;
		s = NULL;	/* a disconnect of another client: the old session was lost */
	}
	if (s) {
		session_touch(f->sessions, s, r->usec);
	} else if (l.kind != SMTPD_DISCONNECT) {
		/* A session whose connect we did not see (authfold started, or was
		   killed, in its middle): adopt it from the client token in
		   Postfix's own position, so that its evidence still counts once. */
		f->counters.no_session++;
		if (session_open(f->sessions, r->host, r->tag, r->pid, l.client, &l.addr, r->usec, &s) < 0)
			goto done;
	}

	switch (l.kind) {
	case SMTPD_COMMAND:
		s->verbose = true;
		s->last_command_auth = l.auth_command;
		break;
	case SMTPD_REPLY:
		s->verbose = true;
		if (l.noauth_reply && s->last_command_auth && !s->noauth) {
			synthetic(f, s, false, res);
			set_client(res, s->client, s->client_len, &s->addr);
			evidence(f, s, REASON_NOAUTH, res);
		}
		s->last_command_auth = false;
		break;
	case SMTPD_SASL_FAIL:
		s->saslfail = true;
		evidence(f, s, REASON_SASLFAIL, res);
		break;
	case SMTPD_DISCONNECT:
		if (s == NULL)
			f->counters.no_session++;
		if ((s == NULL || (!s->verbose && !s->noauth && !s->saslfail)) &&
		    l.auth_failed > 0 && !l.starttls && l.helo) {
			set_client(res, l.client.p, l.client.len, &l.addr);
			synthetic(f, s, true, res);
			evidence(f, s, REASON_NOAUTH, res);
		}
		if (s)
			session_close(f->sessions, s);
		break;
	default:
		break;
	}
done:
	if (res->action == FOLD_DROP)
		f->counters.dropped++;
	else if (res->action == FOLD_KEEP)
		f->counters.kept++;
	else
		f->counters.passed++;
	return ret;
}

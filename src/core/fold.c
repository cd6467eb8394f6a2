/* SPDX-License-Identifier: GPL-2.0-or-later */
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
 *	const struct fold_late *fold_late_peek(f)
 *	void	fold_late_pop(f)
 *	size_t	fold_settle(f, traced)
 *	size_t	fold_pending(f)
 *	size_t	fold_pending_traced(f)
 *	void	fold_expire(f, now_usec)
 *	void	fold_free(f)
 *	const struct fold_counters *fold_counters(f)
 *	struct session_table *fold_sessions(f)
 *	void	fold_pend(f, s)
 * DESCRIPTION
 *	fold_line() decides, for one record, whether it is written to the
 *	summary (PASS: not a Postfix smtpd line, or not trusted to decide;
 *	KEEP: an smtpd line a Postfix without -v writes) or folded away
 *	(DROP: -v chatter), whether a synthetic "warning: NAME[ADDR]:
 *	authentication not enabled" goes with it, and whether a session
 *	gives a strike. Keeping or dropping depends on the line alone;
 *	synthetic lines and strikes depend on the line's session.
 *
 *	Lines belong to sessions by time, not by arrival. One smtpd process
 *	(host, tag, pid) serves its sessions one after the other, so each
 *	session is an interval from "connect from" to "disconnect from", and
 *	a line belongs to the session of its process whose interval holds
 *	its timestamp, whatever order lines arrive in (rsyslog's queues
 *	reorder under a backlog). session(3) decides that placement and
 *	remembers ended sessions for session_idle of log time, so a late
 *	line still finds its session; a line that arrives before its
 *	session's connect opens the session without it ("adopted"); the
 *	connect joins it when it comes. When timestamps tie (one-second
 *	stamps), the client token decides, then arrival order. This module
 *	judges: each session's evidence gives its verdicts once, whenever the
 *	evidence is complete; when placement says a session was two, the
 *	evidence past the split moves to the later part and both are judged
 *	again, a verdict already given is never given again.
 *
 *	A session is a probe (reason noauth) when
 *	  - the -v trace holds the reply "503 5.5.1 Error: authentication
 *	    not enabled" and an AUTH command of the same session no later
 *	    than it (Postfix sends that reply only to AUTH): the synthetic
 *	    line carries the reply's prefix, in the reply's place; or
 *	  - the session's disconnect statistics count a failed AUTH
 *	    (auth=0/N), no STARTTLS and an EHLO or HELO (an AUTH before any
 *	    EHLO is refused with "send HELO/EHLO first"), while no -v trace
 *	    of its process and no SASL failure of the session was seen: the
 *	    synthetic line carries the disconnect's prefix, just before it.
 *	A session fails a password (reason saslfail) at "warning: NAME[ADDR]:
 *	SASL MECH authentication failed: REASON" when saslreason(3) says
 *	REASON is the client's fault; asks for an unoffered mechanism
 *	(reason badmech) when it says so; a failure the auth server caused
 *	strikes nothing, is counted (sasl_server) and sets the result's
 *	sasl_trouble, as Postfix's own warnings that its SASL backend is
 *	unreachable do (sasl_trouble counted): engine(3) holds judgement
 *	around them. Any SASL failure cancels the statistics verdict.
 *	A session gives at most one strike,
 *	at its first evidence of a reason listed in `reasons`, and at most one
 *	synthetic line, whatever order its lines come in.
 *
 *	The statistics verdict needs the whole session. It is given at the
 *	disconnect when the session's connect came first (the in-order case).
 *	When the disconnect comes first it waits (deferred) until the
 *	session's earlier lines have had their chance: a -v trace line or a
 *	SASL failure of the session cancels it; it is given, with the
 *	disconnect's prefix, once the connect has come and a later line of
 *	the process lies outside the session, or once the stream's clock is
 *	FOLD_GRACE_USEC past the disconnect, or when the session is dropped,
 *	or at fold_settle(). When the session's origin (host and tag) has
 *	written -v trace lines by then (session_origin_traced(): a Postfix
 *	service runs with -v or without it), the trace of the session itself
 *	is sure to come and decides: the verdict then waits only to be
 *	cancelled, and is given when the session is dropped (session_idle of
 *	log time after its last line) or by fold_settle(f, true) (end of
 *	input; a daemon after DAEMON_TRACED_QUIET_USEC without a line). A
 *	queue that spills hands a process's lines over out of order and
 *	spans minutes of log time, so neither a later line of the process
 *	nor the clock's grace says that the trace has come. Likewise a 503
 *	reply that comes before its AUTH command waits for it. Verdicts given after their line are queued
 *	(at most FOLD_LATE_MAX): the caller takes them with fold_late_peek() and
 *	fold_late_pop() after each fold_line() and fold_settle(); each carries a record
 *	rebuilt from the proving line's prefix. fold_settle() gives the
 *	waiting statistics verdicts now (end of input, idle daemon): with
 *	traced false only those of origins without a -v trace; it returns
 *	how many of those still wait because the queue is full.
 *	fold_pending() tells how many wait, fold_pending_traced() how many
 *	of them wait for a -v trace.
 *
 *	Site rules (rules(3), authfold.conf(5) SITE RULES) come after the
 *	built-in rules: connect, disconnect, the -v trace and SASL failures
 *	always keep their built-in meaning; any other smtpd line, and a line
 *	of another program whose tag a rule names, goes to the site rules in
 *	order, and the first that matches decides: fold (drop), keep, or
 *	strike the line's session (by time) with the rule's reason. The
 *	result's rule is then the rule's name, site:FILE:LINE.
 *
 *	Results and late verdicts are self-contained (they copy the client
 *	and prefix): they stay valid after the session goes; a late verdict
 *	until it is popped.
 * DIAGNOSTICS
 *	fold_line() returns 0, or -ENOMEM.
 * SECURITY
 *	Evidence counts only from a line whose client token, in Postfix's
 *	own position, is the client of the session it belongs to; the
 *	address struck is that of the session's client token. Nothing a
 *	client sends (EHLO, MAIL FROM, AUTH arguments) is ever parsed for an
 *	address. A client cannot write a "> " (reply) line: its own text
 *	appears only after "< NAME[ADDR]: ", with control characters
 *	replaced by Postfix. Memory is session(3)'s bound plus the fixed
 *	queue of late verdicts; deferred prefixes are at most
 *	SESSION_PREFIX_MAX bytes each (a longer one is decided at once).
 * BUGS
 *	Without -v, an AUTH sent before EHLO by a client that then sends
 *	EHLO cannot be told from a probe: the statistics do not keep order.
 *
 *	Two consecutive sessions of one client on one process cannot be told
 *	apart while the first one's disconnect and the second one's connect
 *	have both not arrived: the second one's lines then count for the
 *	first until those bounds come and session(3) splits them; a session
 *	keeps SESSION_MARKS_MAX of each kind of evidence, so past that many
 *	in sessions merged that way a strike may be missed or given twice
 *	(tests/order/order-search searches for such orders). A disconnect of a -v session that arrives before every -v
 *	line of its process and before its connect, and is then settled by
 *	the grace time before they come, gives the statistics verdict (one
 *	strike all the same, the synthetic line with the disconnect's time).
 */

#include "fold.h"

#include "rules.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fold {
	const struct config *c;
	struct session_table *sessions;
	struct fold_counters counters;
	/* deferred statistics verdicts, oldest first: [PEND_CLOCK] given after
	   FOLD_GRACE_USEC, [PEND_TRACED] wait for their -v trace (module header) */
	struct pend_list {
		struct session *first, *last;
		size_t n;
	} pend[2];
	struct fold_late late[FOLD_LATE_MAX];
	size_t late_head, late_len;
	const char *last_tag;		/* one-entry cache of config_smtpd_tag() */
	size_t last_tag_len;
	char last_tag_buf[128];
	bool last_tag_result;
};

enum { PEND_CLOCK, PEND_TRACED };

static void on_drop(void *data, struct session *s);

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
	session_table_on_drop(f->sessions, on_drop, f);
	return f;
}

void fold_free(struct fold *f)
{
	if (f == NULL)
		return;
	session_table_on_drop(f->sessions, NULL, NULL);
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

size_t fold_pending(const struct fold *f)
{
	return f->pend[PEND_CLOCK].n + f->pend[PEND_TRACED].n;
}

size_t fold_pending_traced(const struct fold *f)
{
	return f->pend[PEND_TRACED].n;
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

/* --- deferred verdicts ---------------------------------------------------- */

static void pend_unlink(struct fold *f, struct session *s)
{
	struct pend_list *l = &f->pend[s->pending_traced ? PEND_TRACED : PEND_CLOCK];

	if (s->pending != SESSION_PENDING_DISCONNECT)
		return;
	if (s->pprev)
		s->pprev->pnext = s->pnext;
	else
		l->first = s->pnext;
	if (s->pnext)
		s->pnext->pprev = s->pprev;
	else
		l->last = s->pprev;
	s->pnext = s->pprev = NULL;
	s->proc->npending--;
	l->n--;
}

static void pend_clear(struct fold *f, struct session *s)
{
	pend_unlink(f, s);
	s->pending = SESSION_PENDING_NONE;
	free(s->pending_prefix);
	s->pending_prefix = NULL;
	s->pending_len = 0;
}

void fold_pend(struct fold *f, struct session *s)
{
	struct pend_list *l;

	if (s->pending != SESSION_PENDING_DISCONNECT)
		return;
	s->pending_traced = session_origin_traced(s->proc);
	l = &f->pend[s->pending_traced ? PEND_TRACED : PEND_CLOCK];
	s->pnext = NULL;
	s->pprev = l->last;
	if (l->last)
		l->last->pnext = s;
	else
		l->first = s;
	l->last = s;
	s->proc->npending++;
	l->n++;
}

/* A deferred statistics verdict follows its disconnect line to another session. */
static void pend_move(struct fold *f, struct session *from, struct session *to)
{
	if (from->pending != SESSION_PENDING_DISCONNECT)
		return;
	pend_clear(f, to);
	pend_unlink(f, from);
	to->pending = from->pending;
	to->pending_format = from->pending_format;
	to->pending_ts_len = from->pending_ts_len;
	to->pending_len = from->pending_len;
	to->pending_usec = from->pending_usec;
	to->pending_prefix = from->pending_prefix;
	from->pending_prefix = NULL;
	from->pending_len = 0;
	from->pending = SESSION_PENDING_NONE;
	fold_pend(f, to);
}

/* Keeps r's prefix in s for a verdict given later; false if it cannot. */
static bool pend(struct fold *f, struct session *s, const struct record *r, enum session_pending kind)
{
	size_t n = r->format == RECORD_JOURNAL ? 0 : r->prefix_len;
	char *p = NULL;

	if (n > SESSION_PREFIX_MAX || (n > 0 && (p = malloc(n)) == NULL))
		return false;
	pend_clear(f, s);
	if (n > 0)
		memcpy(p, r->line.p, n);
	s->pending_prefix = p;
	s->pending_len = (uint16_t) n;
	s->pending_ts_len = (uint16_t) r->ts.len;
	s->pending_format = (uint8_t) r->format;
	s->pending_usec = r->usec;
	s->pending = (uint8_t) kind;
	fold_pend(f, s);
	return true;
}

static size_t late_room(const struct fold *f)
{
	return FOLD_LATE_MAX - f->late_len;
}

static void set_client(struct fold_result *res, const struct session *s)
{
	memcpy(res->client, s->client, s->client_len);
	res->client_len = s->client_len;
	res->addr = s->addr;
}

/* Whether the session gives its strike for reason now, at evidence time t. */
static bool evidence(struct fold *f, struct session *s, enum reason reason, int64_t t)
{
	if (s->struck)
		return false;
	if (!f->c->reasons[reason]) {
		f->counters.evidence_ignored++;
		return false;
	}
	s->struck = true;
	s->struck_usec = t;
	f->counters.strikes[reason]++;
	return true;
}

/* The next free late verdict, its record made of prefix (n bytes, the
   timestamp its first ts_len) and s's origin. */
static struct fold_late *late_slot(struct fold *f, const struct session *s, enum record_format format,
				   const char *prefix, size_t n, size_t ts_len, int64_t usec)
{
	struct fold_late *l = &f->late[(f->late_head + f->late_len) % FOLD_LATE_MAX];
	struct span host, tag;

	session_proc_origin(s->proc, &host, &tag);
	memset(&l->r, 0, sizeof(l->r));
	if (n > 0)
		memcpy(l->buf, prefix, n);
	memcpy(l->buf + n, host.p, host.len);
	memcpy(l->buf + n + host.len, tag.p, tag.len);
	l->r.format = format;
	l->r.line = (struct span) {l->buf, n};
	l->r.prefix_len = n;
	l->r.ts = (struct span) {l->buf, ts_len <= n ? ts_len : 0};
	l->r.host = (struct span) {l->buf + n, host.len};
	l->r.tag = (struct span) {l->buf + n + host.len, tag.len};
	l->r.msg = (struct span) {l->buf + n, 0};
	l->r.pid = s->proc->pid;
	l->r.usec = usec;
	l->r.trusted = true;
	l->addr = s->addr;
	memcpy(l->client, s->client, s->client_len);
	l->client_len = s->client_len;
	return l;
}

/* The synthetic line (unless written) and the noauth strike of s, late. */
static void noauth_late(struct fold *f, struct session *s, struct fold_late *l, const char *rule, int64_t usec)
{
	l->synthetic = !s->synthetic;
	if (l->synthetic) {
		s->synthetic = true;
		s->synthetic_usec = usec;
		f->counters.synthetic++;
	}
	l->rule = rule;
	l->reason = REASON_NOAUTH;
	l->strike = evidence(f, s, REASON_NOAUTH, usec);
	if (l->synthetic || l->strike) {
		f->late_len++;
		f->counters.settled_late++;
	}
}

/* Gives s's deferred verdict now, as a late one. */
static void give_late(struct fold *f, struct session *s)
{
	struct fold_late *l = late_slot(f, s, (enum record_format) s->pending_format, s->pending_prefix,
					s->pending_len, s->pending_ts_len, s->pending_usec);

	noauth_late(f, s, l, s->pending == SESSION_PENDING_REPLY ? "trace-reply" : "disconnect", s->pending_usec);
	pend_clear(f, s);
}

/* The timestamp text of a 503 reply r into buf when r's prefix is
   "TS HOST TAG[PID]: ", as rsyslog writes it, so that it can be rebuilt;
   its length, 0 when it cannot be (or need not: the journal's is rebuilt
   from its time). */
static uint8_t reply_ts_of(const struct record *r, char buf[SESSION_TS_MAX])
{
	char pid[24];
	int np = snprintf(pid, sizeof(pid), "[%ld]: ", r->pid);
	size_t want = r->ts.len + 1 + r->host.len + 1 + r->tag.len + (size_t) np;

	if (r->format == RECORD_JOURNAL || r->ts.len == 0 || r->ts.len >= SESSION_TS_MAX || r->pid < 0 ||
	    r->prefix_len != want || r->line.p[r->ts.len] != ' ' || r->line.p[r->ts.len + 1 + r->host.len] != ' ' ||
	    memcmp(r->line.p + r->ts.len + 2 + r->host.len + r->tag.len, pid, (size_t) np) != 0)
		return 0;
	memcpy(buf, r->ts.p, r->ts.len);
	return (uint8_t) r->ts.len;
}

/* s's own 503 reply with an AUTH before it (the earliest such), once
   evidence moved between sessions or an AUTH came after its reply: its
   synthetic line and strike, late, rebuilt. */
static void reply_late(struct fold *f, struct session *s)
{
	char prefix[SESSION_TS_MAX + SESSION_ORIGIN_TEXT_MAX + 32];
	struct span host, tag;
	size_t n = 0;
	const struct session_reply *reply;

	if (s->synthetic || s->auth_usec < 0 || (reply = session_reply_from(s, s->auth_usec)) == NULL ||
	    late_room(f) == 0)
		return;
	if (s->reply_format != RECORD_JOURNAL) {
		if (reply->ts_len == 0)
			return;		/* its prefix cannot be rebuilt: no line rather than a wrong one */
		session_proc_origin(s->proc, &host, &tag);
		n = (size_t) snprintf(prefix, sizeof(prefix), "%.*s %.*s %.*s[%ld]: ", (int) reply->ts_len, reply->ts,
				      (int) host.len, host.p, (int) tag.len, tag.p, s->proc->pid);
		if (n >= sizeof(prefix))
			return;
	}
	noauth_late(f, s, late_slot(f, s, (enum record_format) s->reply_format, prefix, n, reply->ts_len, reply->usec),
		    "trace-reply", reply->usec);
}

/* A strike given late with no line to show (a SASL failure moved to its
   own session): its record is rebuilt from the session's origin and time. */
static void strike_late(struct fold *f, struct session *s, enum reason reason, int64_t t)
{
	struct fold_late *l;

	if (late_room(f) == 0 || !evidence(f, s, reason, t))
		return;
	l = late_slot(f, s, RECORD_JOURNAL, NULL, 0, 0, t);
	l->synthetic = false;
	l->strike = true;
	l->rule = "sasl-failed";
	l->reason = reason;
	f->late_len++;
	f->counters.settled_late++;
}

/*
 * Judgement, idempotent: gives (late) what s's evidence proves and s has
 * not given yet: its synthetic line and noauth strike when a 503 reply of
 * it follows an AUTH command of it, its saslfail strike when it has a SASL
 * failure. A verdict given is never given again (s->synthetic, s->struck);
 * evidence after it is noted in the marks, not struck. Called whenever
 * evidence came to s other than with the line at hand (a split, an AUTH
 * after its reply).
 */
static void judge(struct fold *f, struct session *s)
{
	reply_late(f, s);
	if (s->saslfail && !s->struck)
		strike_late(f, s, REASON_SASLFAIL, s->sasl_lo);
}

static void on_drop(void *data, struct session *s)
{
	struct fold *f = data;

	if (s->pending == SESSION_PENDING_DISCONNECT && late_room(f) > 0)
		give_late(f, s);
	pend_clear(f, s);
}

const struct fold_late *fold_late_peek(const struct fold *f)
{
	return f->late_len ? &f->late[f->late_head] : NULL;
}

void fold_late_pop(struct fold *f)
{
	if (f->late_len == 0)
		return;
	f->late_head = (f->late_head + 1) % FOLD_LATE_MAX;
	f->late_len--;
}

/* The origin of s has written a -v trace since s was deferred: s waits for
   its own trace now. True when s moved. */
static bool pend_retrace(struct fold *f, struct session *s)
{
	if (s->pending_traced || !session_origin_traced(s->proc))
		return false;
	pend_unlink(f, s);
	fold_pend(f, s);
	return true;
}

size_t fold_settle(struct fold *f, bool traced)
{
	struct pend_list *l = &f->pend[PEND_CLOCK];

	while (l->first && late_room(f) > 0)
		if (traced || !pend_retrace(f, l->first))
			give_late(f, l->first);
	l = &f->pend[PEND_TRACED];
	while (traced && l->first && late_room(f) > 0)
		give_late(f, l->first);
	return f->pend[PEND_CLOCK].n + (traced ? l->n : 0);
}

/* Deferred verdicts whose grace has passed on the stream's clock. Keeps
   room for what one line can add (a process reset drops SESSION_PER_PROC_MAX). */
static void settle_by_clock(struct fold *f)
{
	int64_t now = session_watermark(f->sessions);
	struct pend_list *l = &f->pend[PEND_CLOCK];

	while (l->first && l->first->disconnect_usec + FOLD_GRACE_USEC < now &&
	       late_room(f) > SESSION_PER_PROC_MAX + 2)
		if (!pend_retrace(f, l->first))
			give_late(f, l->first);
}

/* A line of the process outside a deferred session whose connect came:
   the session's own lines have come, in the order they are sent. */
static void settle_by_process(struct fold *f, struct session_proc *p, int64_t t)
{
	struct session *s, *earlier;

	if (session_origin_traced(p))
		return;		/* its sessions wait for their own trace */
	for (s = p->latest; s && p->npending > 0; s = earlier) {
		earlier = s->earlier;
		if (s->pending == SESSION_PENDING_DISCONNECT && s->connect_usec >= 0 &&
		    (t > s->disconnect_usec || t < s->connect_usec) && late_room(f) > SESSION_PER_PROC_MAX + 2)
			give_late(f, s);
	}
}

/* --- moving evidence when a session was two ------------------------------ */

/*
 * Evidence of `from` at or after t (after t when `after`) belongs to `to`,
 * a later session of the same client: two sessions of one client on one
 * process whose bounds came late (session(3) decided). Their SASL
 * failures, replies and AUTH commands, and a strike and synthetic line
 * they gave, move over; each session is then judged again, and whichever
 * is owed its strike or synthetic line gets it.
 */
static bool past(int64_t x, int64_t t, bool after)
{
	return session_past(x, t, after);
}

static void split(struct fold *f, struct session *from, struct session *to, int64_t t, bool after)
{
	if (session_marks_split(from, to, t, after) && from->reply_format)
		to->reply_format = from->reply_format;
	if (from->pending == SESSION_PENDING_REPLY && past(from->pending_usec, t, after))
		pend_clear(f, from);	/* its reply is `to`'s now: judged from the marks */
	if (from->struck && past(from->struck_usec, t, after)) {
		to->struck = true;
		to->struck_usec = from->struck_usec;
		from->struck = false;
		from->struck_usec = -1;
	}
	if (from->synthetic && past(from->synthetic_usec, t, after)) {
		to->synthetic = true;
		to->synthetic_usec = from->synthetic_usec;
		from->synthetic = false;
		from->synthetic_usec = -1;
	}
	if (from->verbose)
		to->verbose = true;
	if (from->sasl_other)	/* its time is not kept: both keep it */
		to->sasl_other = true;
	/* what moved lies in `to`'s interval now: a later split finds it */
	const int64_t lo[] = {to->auth_usec, to->reply_usec, to->sasl_lo}, hi[] = {to->auth_hi, to->reply_hi, to->sasl_hi};

	for (size_t i = 0; i < 3; i++) {
		if (lo[i] >= 0 && lo[i] < to->lo_usec)
			to->lo_usec = lo[i];
		if (hi[i] > to->hi_usec)
			to->hi_usec = hi[i];
	}
	if (from->hi_usec > t)
		from->hi_usec = t;
	judge(f, from);
	judge(f, to);
}

/* Applies what placing a line in its session moved (session(3)). */
static void placed(struct fold *f, const struct session_placed *pl)
{
	if (pl->adopted)
		f->counters.no_session++;
	if (pl->ended_from)
		pend_move(f, pl->ended_from, pl->ended_to);
	if (pl->split_from)
		split(f, pl->split_from, pl->split_to, pl->split_usec, pl->split_after);
}

static void noauth_now(struct fold *f, struct session *s, int64_t t, bool before, struct fold_result *res)
{
	s->synthetic = true;
	s->synthetic_usec = t;
	f->counters.synthetic++;
	res->synthetic = true;
	res->synthetic_before = before;
	set_client(res, s);
	if (evidence(f, s, REASON_NOAUTH, t)) {
		res->strike = true;
		res->reason = REASON_NOAUTH;
	}
}

static int on_disconnect(struct fold *f, const struct record *r, struct session_proc *p, const struct smtpd_line *l,
			 struct fold_result *res)
{
	struct session_placed pl;
	struct session *s;
	int64_t t = r->usec;
	int ret;

	if ((ret = session_place_disconnect(f->sessions, p, l->client, &l->addr, t, &pl)) < 0 || pl.s == NULL)
		return ret;
	if (pl.duplicate)
		return 0;	/* its verdict was judged when it came first */
	placed(f, &pl);
	s = pl.s;
	s->probe_stats = l->auth_failed > 0 && !l->starttls && l->helo;
	if (!s->probe_stats || s->synthetic || s->saslfail || s->sasl_other || s->verbose || p->verbose || s->reply_usec >= 0)
		return 0;
	if (s->connect_usec >= 0 || !pend(f, s, r, SESSION_PENDING_DISCONNECT)) {
		noauth_now(f, s, t, true, res);
		return 0;
	}
	f->counters.deferred++;
	return 0;
}

static int on_reply(struct fold *f, const struct record *r, struct session *s, struct fold_result *res)
{
	int64_t t = r->usec;

	char ts[SESSION_TS_MAX];

	s->reply_format = (uint8_t) r->format;
	if (session_mark_reply(s, t, ts, reply_ts_of(r, ts)) < 0)
		return -ENOMEM;
	if (s->synthetic)
		return 0;
	if (s->auth_usec >= 0 && s->auth_usec <= t) {
		noauth_now(f, s, t, false, res);
		return 0;
	}
	if (s->pending != SESSION_PENDING_REPLY || t < s->pending_usec)
		pend(f, s, r, SESSION_PENDING_REPLY);
	return 0;
}

static int on_auth(struct fold *f, struct session *s, int64_t t)
{
	if (session_mark_auth(s, t) < 0)
		return -ENOMEM;
	if (s->pending == SESSION_PENDING_REPLY && !s->synthetic && t <= s->pending_usec && late_room(f) > 0)
		give_late(f, s);
	else
		judge(f, s);	/* a reply that came with a split, before its AUTH */
	return 0;
}

/* The -v trace and SASL failures: lines of a session named by client. */
static int on_session_line(struct fold *f, const struct record *r, struct session_proc *p, const struct smtpd_line *l,
			   struct fold_result *res)
{
	struct session_placed pl;
	struct session *s;
	int ret;

	if ((ret = session_place(f->sessions, p, l->client, &l->addr, r->usec, &pl)) < 0)
		return ret;
	if (pl.foreign)
		f->counters.foreign_client++;
	if ((s = pl.s) == NULL)
		return 0;
	placed(f, &pl);
	switch (l->kind) {
	case SMTPD_COMMAND:
	case SMTPD_REPLY:
		s->verbose = true;
		session_traced(p);
		if (s->pending == SESSION_PENDING_DISCONNECT)
			pend_clear(f, s);	/* a -v session: the trace decides */
		if (l->kind == SMTPD_COMMAND && l->auth_command)
			return on_auth(f, s, r->usec);
		if (l->kind == SMTPD_REPLY && l->noauth_reply)
			return on_reply(f, r, s, res);
		break;
	case SMTPD_SASL_FAIL:
		if (s->pending == SESSION_PENDING_DISCONNECT)
			pend_clear(f, s);
		if (l->sasl->cls == SASL_SERVER) {	/* never a strike; the engine holds judgement */
			s->sasl_other = true;
			f->counters.sasl_server++;
			res->sasl_trouble = true;
			break;
		}
		if (l->sasl->cls == SASL_BADMECH) {
			s->sasl_other = true;
			if (evidence(f, s, REASON_BADMECH, r->usec)) {
				set_client(res, s);
				res->strike = true;
				res->reason = REASON_BADMECH;
			}
			break;
		}
		s->saslfail = true;
		if (s->sasl_lo < 0 || r->usec < s->sasl_lo)
			s->sasl_lo = r->usec;
		if (r->usec > s->sasl_hi)
			s->sasl_hi = r->usec;
		if (session_mark_sasl(s, r->usec) < 0)
			return -ENOMEM;
		if (s->pending == SESSION_PENDING_DISCONNECT)
			pend_clear(f, s);
		if (evidence(f, s, REASON_SASLFAIL, r->usec)) {
			set_client(res, s);
			res->strike = true;
			res->reason = REASON_SASLFAIL;
		}
		break;
	default:
		break;
	}
	return 0;
}

/* A site rule decides a line the built-in rules leave to it and overrides
   their keep/chatter verdict. A strike rule strikes the session whose
   interval holds the line's time, with that session's client: text of
   the line is never read for an address. Outside a session it strikes
   nothing (counted). */
static void site_rule(struct fold *f, const struct record *r, bool smtpd, struct fold_result *res)
{
	struct rules_hit hit;
	struct session_proc *p;
	struct session *s = NULL;
	bool foreign;

	if (!rules_match(f->c->rules, r->tag, smtpd, r->msg, &hit))
		return;
	res->rule = hit.name;
	res->action = hit.drop ? FOLD_DROP : smtpd ? FOLD_KEEP : FOLD_PASS;
	if (hit.kind != RULES_STRIKE)
		return;
	if ((p = session_proc_find(f->sessions, r->host, r->tag, r->pid)) != NULL)
		s = session_find(p, r->usec, NULL, &foreign);
	if (s == NULL) {
		rules_counters(f->c->rules)->strike_no_session++;
		return;
	}
	session_seen(f->sessions, s, r->usec);
	if (evidence(f, s, (enum reason) hit.reason, r->usec)) {
		set_client(res, s);
		res->strike = true;
		res->reason = (enum reason) hit.reason;
	}
}

/* The clock, expiry and deferred verdicts, before a line of the process is placed. */
static void advance(struct fold *f, const struct record *r)
{
	if (r->usec < 0)
		return;
	if (r->usec < session_watermark(f->sessions))
		f->counters.late++;
	session_clock(f->sessions, r->usec);
	session_expire(f->sessions, session_watermark(f->sessions));
	if (f->pend[PEND_CLOCK].first)
		settle_by_clock(f);
}

static int session_line(struct fold *f, const struct record *r, const struct smtpd_line *l, struct fold_result *res)
{
	struct session_proc *p;
	int ret;

	if (r->usec < 0)
		return 0;	/* no time, no place: kept or dropped, never judged */
	for (int tries = 0; tries < 2; tries++) {
		if ((ret = session_proc_get(f->sessions, r->host, r->tag, r->pid, &p)) < 0)
			return ret == -ENOMEM ? ret : 0;
		if (p->npending)
			settle_by_process(f, p, r->usec);
		switch (l->kind) {
		case SMTPD_CONNECT: {
			struct session_placed pl;

			if ((ret = session_place_connect(f->sessions, p, l->client, &l->addr, r->usec, &pl)) < 0)
				return ret;
			if (pl.reset)
				continue;	/* look the process up again */
			if (pl.s)
				placed(f, &pl);
			return 0;
		}
		case SMTPD_DISCONNECT:
			return on_disconnect(f, r, p, l, res);
		default:
			return on_session_line(f, r, p, l, res);
		}
	}
	return 0;
}

int fold_line(struct fold *f, const struct record *r, struct fold_result *ret_result)
{
	struct fold_result *res = ret_result;
	struct smtpd_line l;
	int ret = 0;

	/* Not memset: client[] is large and only valid up to client_len. */
	res->action = FOLD_PASS;
	res->kind = SMTPD_CHATTER;
	res->rule = "not-smtpd";
	res->synthetic = res->synthetic_before = res->strike = res->sasl_trouble = false;
	res->reason = REASON_NOAUTH;
	res->client_len = 0;
	f->counters.lines++;

	if (r->format == RECORD_OTHER) {
		f->counters.other++;
		res->rule = "not-syslog";
	} else if (!smtpd_tag(f, r->tag)) {
		/* rules with a tag see other programs' lines */
		if (r->trusted && rules_tagged(f->c->rules))
			site_rule(f, r, false, res);
	} else if (!r->trusted) {
		f->counters.untrusted++;
		res->rule = "untrusted";
		/* root's smtpd lines before it drops privileges are -v chatter:
		   folded like Postfix's, nothing else (sender(3)) */
		if (r->fold_chatter && (smtpd_classify(r->msg, &l), l.kind == SMTPD_CHATTER)) {
			res->kind = l.kind;
			res->rule = "untrusted-chatter";
			res->action = FOLD_DROP;
		}
	} else {
		f->counters.smtpd++;
		smtpd_classify(r->msg, &l);
		res->kind = l.kind;
		res->rule = l.rule;
		res->action = l.kind == SMTPD_CHATTER || l.kind == SMTPD_COMMAND || l.kind == SMTPD_REPLY
		    ? FOLD_DROP : FOLD_KEEP;
		advance(f, r);
		if (l.sasl_trouble) {
			f->counters.sasl_trouble++;
			res->sasl_trouble = true;
		}
		if (l.kind == SMTPD_CHATTER || l.kind == SMTPD_KEEP) {
			/* only these go to site rules; session lines keep their meaning */
			if (f->c->rules)
				site_rule(f, r, true, res);
		} else {
			ret = session_line(f, r, &l, res);
		}
	}
	if (res->action == FOLD_DROP)
		f->counters.dropped++;
	else if (res->action == FOLD_KEEP)
		f->counters.kept++;
	else
		f->counters.passed++;
	return ret;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	hold 3
 * SUMMARY
 *	hold judgement on SASL failures while the auth server is in trouble
 * SYNOPSIS
 *	#include "hold.h"
 *
 *	struct hold *hold_new(window_usec)
 *	void	hold_trouble(h, host, tag, t)
 *	bool	hold_troubled(h, host, tag, t)
 *	int	hold_put(h, r, rule, reason, addr, client, client_len)
 *	const struct hold_strike *hold_due(h, now)
 *	void	hold_pop(h)
 *	size_t	hold_count(h)
 *	const struct hold_strike *hold_at(h, i)
 *	bool	hold_trouble_at(h, i, ret_host, ret_tag, ret_lo, ret_hi)
 *	void	hold_trouble_span(h, host, tag, lo, hi)
 *	struct hold_counters *hold_counters(h)
 *	void	hold_free(h)
 * DESCRIPTION
 *	While Dovecot's auth service restarts, or saslauthd is down, Postfix
 *	logs "Connection lost to authentication server" for some clients
 *	and a plain failure for others, in any order. So a SASL failure of
 *	the client's own fault counts only when its origin (host, syslog
 *	tag) logged no sign of trouble (a failure the server caused, or
 *	Postfix's warning that its SASL backend is unreachable, see
 *	saslreason(3)) within window_usec of log time before or after it.
 *
 *	Lines arrive out of order, so the decision waits: engine(3) puts
 *	each SASL strike here with hold_put() and takes it out with
 *	hold_due() once the stream's log clock is window_usec past it, then
 *	asks hold_troubled() whether trouble came around it meanwhile. A
 *	sign of trouble that arrives later than that cannot cancel it.
 *
 *	hold_trouble() records a sign at log time t: each origin keeps at
 *	most HOLD_SPANS intervals of trouble (signs less than twice the
 *	window apart join one interval; a new one replaces the oldest), and
 *	at most HOLD_ORIGINS origins are remembered (the one longest without
 *	trouble is forgotten). Strikes wait in arrival order; hold_due()
 *	looks at the oldest queued only. The strike's record is rebuilt from
 *	its timestamp text, host, tag, pid and time: its message is empty.
 *
 *	hold_at() and hold_trouble_at() list what is held and remembered,
 *	for state(3); hold_put() and hold_trouble_span() (a whole interval)
 *	put it back.
 * DIAGNOSTICS
 *	hold_new() returns NULL when memory runs out; hold_put() -ENOSPC.
 * SECURITY
 *	Memory is fixed: HOLD_MAX strikes, HOLD_ORIGINS origins. Only
 *	trusted Postfix lines are signs (fold(3) decides), and the texts a
 *	client controls never make one; an origin with trouble suspends its
 *	own SASL strikes for the window, no other origin's. Whoever can make
 *	the auth server fail can suspend them too: the price of not banning
 *	users during an outage (authfold(8) BUGS).
 */

#include "hold.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct origin {
	size_t host_len, tag_len;
	char text[SESSION_ORIGIN_TEXT_MAX];
	int64_t lo[HOLD_SPANS], hi[HOLD_SPANS];	/* -1: unused */
	int64_t last;			/* the latest sign, for replacement */
	bool used;
};

struct hold {
	int64_t window;
	struct hold_counters counters;
	struct origin origins[HOLD_ORIGINS];
	struct hold_strike *q;		/* ring of HOLD_MAX */
	size_t head, n;
};

struct hold *hold_new(int64_t window_usec)
{
	struct hold *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return NULL;
	if ((h->q = calloc(HOLD_MAX, sizeof(*h->q))) == NULL) {
		free(h);
		return NULL;
	}
	h->window = window_usec;
	return h;
}

void hold_free(struct hold *h)
{
	if (h == NULL)
		return;
	free(h->q);
	free(h);
}

struct hold_counters *hold_counters(struct hold *h)
{
	return &h->counters;
}

size_t hold_count(const struct hold *h)
{
	return h->n;
}

static bool is_origin(const struct origin *o, struct span host, struct span tag)
{
	return o->used && o->host_len == host.len && o->tag_len == tag.len && memcmp(o->text, host.p, host.len) == 0 &&
	       memcmp(o->text + host.len, tag.p, tag.len) == 0;
}

static const struct origin *find(const struct hold *h, struct span host, struct span tag)
{
	for (size_t i = 0; i < HOLD_ORIGINS; i++)
		if (is_origin(&h->origins[i], host, tag))
			return &h->origins[i];
	return NULL;
}

void hold_trouble(struct hold *h, struct span host, struct span tag, int64_t t)
{
	hold_trouble_span(h, host, tag, t, t);
}

void hold_trouble_span(struct hold *h, struct span host, struct span tag, int64_t t, int64_t hi)
{
	struct origin *o = (struct origin *) find(h, host, tag);
	size_t k = 0;

	if (t < 0 || hi < t || host.len + tag.len > SESSION_ORIGIN_TEXT_MAX)
		return;
	if (o == NULL) {	/* a free slot, or the one longest without trouble */
		o = &h->origins[0];
		for (size_t i = 0; i < HOLD_ORIGINS && o->used; i++)
			if (!h->origins[i].used || h->origins[i].last < o->last)
				o = &h->origins[i];
		memset(o, 0, sizeof(*o));
		o->used = true;
		o->host_len = host.len;
		o->tag_len = tag.len;
		memcpy(o->text, host.p, host.len);
		memcpy(o->text + host.len, tag.p, tag.len);
		for (size_t i = 0; i < HOLD_SPANS; i++)
			o->lo[i] = o->hi[i] = -1;
		o->last = hi;
	}
	if (hi > o->last)
		o->last = hi;
	for (size_t i = 0; i < HOLD_SPANS; i++) {
		if (o->lo[i] >= 0 && hi >= o->lo[i] - 2 * h->window && t <= o->hi[i] + 2 * h->window) {
			if (t < o->lo[i])
				o->lo[i] = t;
			if (hi > o->hi[i])
				o->hi[i] = hi;
			return;
		}
		if (o->lo[i] < 0 || (o->lo[k] >= 0 && o->hi[i] < o->hi[k]))
			k = i;	/* a free one, else the oldest */
	}
	o->lo[k] = t;
	o->hi[k] = hi;
}

bool hold_trouble_at(const struct hold *h, size_t i, struct span *ret_host, struct span *ret_tag, int64_t *ret_lo,
		     int64_t *ret_hi)
{
	for (size_t j = 0; j < HOLD_ORIGINS; j++) {
		const struct origin *o = &h->origins[j];

		for (size_t k = 0; o->used && k < HOLD_SPANS; k++) {
			if (o->lo[k] < 0 || i-- > 0)
				continue;
			*ret_host = (struct span) {o->text, o->host_len};
			*ret_tag = (struct span) {o->text + o->host_len, o->tag_len};
			*ret_lo = o->lo[k];
			*ret_hi = o->hi[k];
			return true;
		}
	}
	return false;
}

const struct hold_strike *hold_at(const struct hold *h, size_t i)
{
	return i < h->n ? &h->q[(h->head + i) % HOLD_MAX] : NULL;
}

bool hold_troubled(const struct hold *h, struct span host, struct span tag, int64_t t)
{
	const struct origin *o = find(h, host, tag);

	if (o == NULL || t < 0)
		return false;
	for (size_t i = 0; i < HOLD_SPANS; i++)
		if (o->lo[i] >= 0 && t >= o->lo[i] - h->window && t <= o->hi[i] + h->window)
			return true;
	return false;
}

int hold_put(struct hold *h, const struct record *r, const char *rule, enum reason reason, const struct addr *addr,
	     const char *client, size_t client_len)
{
	struct hold_strike *s;
	size_t ts = r->ts.len <= SESSION_TS_MAX ? r->ts.len : 0;

	if (h->n == HOLD_MAX)
		return -ENOSPC;
	if (r->host.len + r->tag.len > SESSION_ORIGIN_TEXT_MAX || client_len > SESSION_CLIENT_MAX)
		return -EINVAL;
	s = &h->q[(h->head + h->n) % HOLD_MAX];
	memset(&s->r, 0, sizeof(s->r));
	memcpy(s->buf, r->ts.p, ts);
	memcpy(s->buf + ts, r->host.p, r->host.len);
	memcpy(s->buf + ts + r->host.len, r->tag.p, r->tag.len);
	s->r.format = ts > 0 || r->format == RECORD_JOURNAL ? r->format : RECORD_JOURNAL;	/* journal: ts from usec */
	s->r.ts = (struct span) {s->buf, ts};
	s->r.host = (struct span) {s->buf + ts, r->host.len};
	s->r.tag = (struct span) {s->buf + ts + r->host.len, r->tag.len};
	s->r.line = s->r.msg = (struct span) {s->buf, 0};
	s->r.pid = r->pid;
	s->r.usec = r->usec;
	s->r.trusted = r->trusted;
	s->rule = rule;
	s->reason = reason;
	s->addr = *addr;
	memcpy(s->client, client, client_len);
	s->client_len = client_len;
	h->n++;
	h->counters.held++;
	return 0;
}

const struct hold_strike *hold_due(const struct hold *h, int64_t now)
{
	const struct hold_strike *s = h->n ? &h->q[h->head] : NULL;

	if (s == NULL)
		return NULL;
	if (now != INT64_MAX && s->r.usec + h->window > now)
		return NULL;
	return s;
}

void hold_pop(struct hold *h)
{
	if (h->n == 0)
		return;
	h->head = (h->head + 1) % HOLD_MAX;
	h->n--;
}

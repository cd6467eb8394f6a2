/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	why_trouble 3
 * SUMMARY
 *	authfold why: the SASL failures of an address that gave no strike
 *	because of auth server trouble
 * SYNOPSIS
 *	#include "why_story.h"
 *
 *	void	why_trouble_line(y, r, l, origin, struck, seq)
 *	void	why_trouble_in_session(y, seq)
 *	int	why_trouble_judge(y)
 *	const char *why_trouble_verdict(y, ns, buf, len)
 *	void	why_trouble_fini(y)
 * DESCRIPTION
 *	authfold never strikes a SASL failure the auth server caused
 *	(saslreason(3): "Connection lost to authentication server", ...),
 *	and holds judgement on the client's own failures while the auth
 *	server is in trouble (hold(3): no strike when the failure's origin,
 *	host and syslog tag, logged a sign of trouble within authserver_hold
 *	of log time before or after it). Neither leaves an event; why(8)
 *	tells them from the summary logs, which keep every such line:
 *
 *	why_trouble_line() is given, while why_session(3) reads the summary
 *	logs, every smtpd line (l: smtpd_classify()'s verdict) that is a
 *	SASL failure or Postfix's warning that its SASL backend is
 *	unreachable. A failure the server caused and such a warning are a
 *	sign of trouble at origin (a keyed hash of host and tag) at the
 *	line's time (at most WHY_TROUBLE_MAX, then a note). A SASL failure
 *	of an address inside the target is kept (the newest WHY_NOSTRIKE_MAX,
 *	with its line) when it is the server's, or when it is the client's,
 *	its reason is in `reasons`, authserver_hold is on and no strike of
 *	the events log has its host, tag, pid and time (struck).
 *
 *	why_trouble_in_session() drops the failure whose line is at seq: it
 *	lies in the session of a strike, shown there.
 *
 *	why_trouble_judge() then keeps the server's failures ("auth server
 *	trouble") and those of the client's that lie within authserver_hold
 *	of a sign of trouble at their origin ("held", with the sign nearest
 *	in time), in the order of time; the others are not told.
 *
 *	why_trouble_verdict() writes the verdict of a failure kept into buf:
 *	"no strike: auth server trouble (SASL M authentication failed:
 *	REASON)" or "no strike: held, HOST TAG logged auth server trouble at
 *	TIME (authserver_hold 60s)".
 * DIAGNOSTICS
 *	why_trouble_judge() returns 0 or -ENOMEM; a failure that cannot be
 *	kept for want of memory is counted as left out.
 * SECURITY
 *	Only Postfix's own positions decide: the client is the NAME[ADDR]
 *	token that smtpd_classify() takes after "warning: ", never an
 *	address in client text. A summary keeps the lines of any sender as
 *	they came (sender(3)), so a line a local user forged in syslog mode
 *	can be told here as a failure without a strike: it never struck
 *	either. Memory: WHY_NOSTRIKE_MAX lines of at most WHY_SHOWN_LINE_MAX
 *	bytes, WHY_TROUBLE_MAX signs of 16 bytes.
 */

#include "why_story.h"

#include "summary.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t ring_at(const struct why_story *y, size_t i)
{
	return (y->ns_head + i) % WHY_NOSTRIKE_MAX;
}

static void nostrike_free(struct why_nostrike *n)
{
	free(n->line);
	memset(n, 0, sizeof(*n));
}

static void sign(struct why_story *y, uint64_t origin, int64_t usec)
{
	if (y->nsigns == y->capsigns) {
		size_t cap = y->capsigns ? y->capsigns * 2 : 256;
		struct why_sign *v;

		if (cap > WHY_TROUBLE_MAX)
			cap = WHY_TROUBLE_MAX;
		if (y->nsigns == cap || (v = realloc(y->signs, cap * sizeof(*v))) == NULL) {
			y->signs_dropped++;
			return;
		}
		y->signs = v;
		y->capsigns = cap;
	}
	y->signs[y->nsigns++] = (struct why_sign) {usec, origin};
}

/* The offset of span s inside the line at p. */
static uint32_t off(const char *p, struct span s)
{
	return (uint32_t) (s.p - p);
}

void why_trouble_line(struct why_story *y, const struct record *r, const struct smtpd_line *l, uint64_t origin,
		      bool struck, uint64_t seq)
{
	const struct config *c = y->o->config;
	struct why_nostrike *n;
	bool server;
	size_t len;

	if (r->usec < 0)
		return;
	if (l->kind != SMTPD_SASL_FAIL) {
		if (l->sasl_trouble)
			sign(y, origin, r->usec);
		return;
	}
	server = l->sasl->cls == SASL_SERVER;
	if (server)
		sign(y, origin, r->usec);
	if (!cidr_contains(&y->o->target, &l->addr))
		return;
	if (!server && (struck || c->authserver_hold <= 0 ||
			!c->reasons[l->sasl->cls == SASL_BADMECH ? REASON_BADMECH : REASON_SASLFAIL]))
		return;
	if (y->ns == NULL && (y->ns = calloc(WHY_NOSTRIKE_MAX, sizeof(*y->ns))) == NULL) {
		y->ns_dropped++;
		return;
	}
	if (y->nns == WHY_NOSTRIKE_MAX) {	/* the oldest goes */
		nostrike_free(&y->ns[y->ns_head]);
		y->ns_head = (y->ns_head + 1) % WHY_NOSTRIKE_MAX;
		y->nns--;
		y->ns_dropped++;
	}
	len = r->line.len < WHY_SHOWN_LINE_MAX ? r->line.len : WHY_SHOWN_LINE_MAX;
	n = &y->ns[ring_at(y, y->nns)];
	memset(n, 0, sizeof(*n));
	/* the spans must lie inside what is kept of the line */
	if (l->client.p + l->client.len > r->line.p + len || (n->line = malloc(len + 1)) == NULL) {
		y->ns_dropped++;
		return;
	}
	memcpy(n->line, r->line.p, len);
	n->line[len] = 0;
	n->usec = r->usec;
	n->trouble_usec = -1;
	n->seq = seq;
	n->origin = origin;
	n->pid = r->pid;
	n->addr = l->addr;
	n->server = server;
	n->reason = server ? NULL : l->sasl->cls == SASL_BADMECH ? "badmech" : "saslfail";
	n->rule = l->rule;
	n->host = off(r->line.p, r->host);
	n->host_len = (uint32_t) r->host.len;
	n->tag = off(r->line.p, r->tag);
	n->tag_len = (uint32_t) r->tag.len;
	n->client = off(r->line.p, l->client);
	n->client_len = (uint32_t) l->client.len;
	/* the failure's words: "SASL ..." after "warning: CLIENT: " */
	n->words = n->client + n->client_len + 2;
	if (n->words > len)
		n->words = (uint32_t) len;
	y->nns++;
}

void why_trouble_in_session(struct why_story *y, uint64_t seq)
{
	size_t lo = 0, hi = y->nns;

	while (lo < hi) {	/* the ring is in the order read: by seq */
		size_t mid = lo + (hi - lo) / 2;

		if (y->ns[ring_at(y, mid)].seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < y->nns && y->ns[ring_at(y, lo)].seq == seq)
		y->ns[ring_at(y, lo)].in_session = true;
}

static int sign_cmp(const void *a, const void *b)
{
	const struct why_sign *x = a, *y = b;

	if (x->origin != y->origin)
		return x->origin < y->origin ? -1 : 1;
	return x->usec < y->usec ? -1 : x->usec > y->usec;
}

/* The sign at origin nearest to t within hold µs, or -1. */
static int64_t nearest_sign(const struct why_story *y, uint64_t origin, int64_t t, int64_t hold)
{
	size_t lo = 0, hi = y->nsigns;
	int64_t best = -1;

	while (lo < hi) {	/* the first sign of origin at or after t */
		size_t mid = lo + (hi - lo) / 2;
		const struct why_sign *s = &y->signs[mid];

		if (s->origin < origin || (s->origin == origin && s->usec < t))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < y->nsigns && y->signs[lo].origin == origin && y->signs[lo].usec - t <= hold)
		best = y->signs[lo].usec;
	if (lo > 0 && y->signs[lo - 1].origin == origin && t - y->signs[lo - 1].usec <= hold &&
	    (best < 0 || t - y->signs[lo - 1].usec <= best - t))
		best = y->signs[lo - 1].usec;
	return best;
}

static int nostrike_cmp(const void *a, const void *b)
{
	const struct why_nostrike *x = a, *y = b;

	if (x->usec != y->usec)
		return x->usec < y->usec ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int why_trouble_judge(struct why_story *y)
{
	int64_t hold = y->o->config->authserver_hold * INT64_C(1000000);
	struct why_nostrike *v;
	size_t kept = 0;

	if (y->nsigns)
		qsort(y->signs, y->nsigns, sizeof(*y->signs), sign_cmp);
	if (y->nns == 0)
		return 0;
	/* out of the ring, in the order of time */
	if ((v = calloc(y->nns, sizeof(*v))) == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < y->nns; i++) {
		struct why_nostrike *n = &y->ns[ring_at(y, i)];

		if (!n->in_session && !n->server && hold > 0)
			n->trouble_usec = nearest_sign(y, n->origin, n->usec, hold);
		if (n->in_session || (!n->server && n->trouble_usec < 0)) {
			nostrike_free(n);
			continue;
		}
		n->held = !n->server;
		y->ns_server += n->server;
		y->ns_held += n->held;
		v[kept++] = *n;
		memset(n, 0, sizeof(*n));
	}
	free(y->ns);
	y->ns = v;
	y->nns = kept;
	y->ns_head = 0;
	qsort(y->ns, y->nns, sizeof(*y->ns), nostrike_cmp);
	if (y->signs_dropped)
		why_note(y, "more than %u signs of auth server trouble in the summary logs: %llu later ones were not "
			 "looked at, and a SASL failure held for one of them is not told", WHY_TROUBLE_MAX,
			 (unsigned long long) y->signs_dropped);
	return 0;
}

const char *why_trouble_verdict(const struct why_story *y, const struct why_nostrike *n, char *buf, size_t len)
{
	char at[64], hold[64];

	if (n->server) {
		snprintf(buf, len, "no strike: auth server trouble (%s)", n->line + n->words);
		return buf;
	}
	format_rfc3339(n->trouble_usec, at, sizeof(at));
	format_duration(y->o->config->authserver_hold, hold, sizeof(hold));
	snprintf(buf, len, "no strike: held, %.*s %.*s logged auth server trouble at %s (authserver_hold %s)",
		 (int) n->host_len, n->line + n->host, (int) n->tag_len, n->line + n->tag, at, hold);
	return buf;
}

void why_trouble_fini(struct why_story *y)
{
	if (y->ns)
		for (size_t i = 0; i < y->nns; i++)
			nostrike_free(&y->ns[ring_at(y, i)]);
	free(y->ns);
	free(y->signs);
	y->ns = NULL;
	y->signs = NULL;
	y->nns = y->nsigns = y->capsigns = 0;
}

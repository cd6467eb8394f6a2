/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	tally 3
 * SUMMARY
 *	a run's hourly counts and top offenders
 * SYNOPSIS
 *	#include "tally.h"
 *
 *	struct tally *tally_new(void)
 *	void	tally_sessions(t, usec, n)
 *	void	tally_strike(t, usec, reason, addr)
 *	void	tally_ban(t, usec, net, prefix)
 *	void	tally_top_sort(tp)
 *	void	tally_free(t)
 * DESCRIPTION
 *	A tally is what the engine (engine_options.tally) feeds as it goes:
 *	sessions opened, strikes by reason and bans, each at the hour of
 *	the local time of its line (the wall clock for a line without a
 *	time), and the strikes and bans per address and per IPv6 /64.
 *	report(3) prints it (report_tables()). NULL tallies are accepted
 *	by every function but tally_top_sort().
 *
 *	tally_top_sort() orders a top list by strikes, most first (equal
 *	counts by address), and keeps its hash index valid.
 * SECURITY
 *	The tables have a fixed size whatever the input: 24 hours, and
 *	TALLY_TOP_TRACK addresses and /64s each, found through a hash index
 *	and kept with the Misra-Gries algorithm: when the table is full, a
 *	newcomer takes one strike off every entry (and its own), and the
 *	entries at zero leave. That costs O(1) per strike amortized, also
 *	under a flood of distinct addresses, and an address with more than
 *	1/TALLY_TOP_TRACK of all strikes is never lost. The top lists are
 *	exact while there are at most that many distinct keys; otherwise
 *	tally_top.rounds says by how much each count may be short.
 */

#include "tally.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
struct tally *tally_new(void)
{
	struct tally *t = calloc(1, sizeof(*t));

	if (t) {
		t->first_usec = t->last_usec = -1;
		memset(t->addrs.slot, 0xff, sizeof(t->addrs.slot));
		memset(t->nets64.slot, 0xff, sizeof(t->nets64.slot));
	}
	return t;
}

void tally_free(struct tally *t)
{
	free(t);
}

/* The local hour of usec; localtime_r only when the hour changes. */
static int hour_of(struct tally *t, int64_t usec)
{
	if (t->first_usec < 0 || usec < t->first_usec)
		t->first_usec = usec;
	if (usec > t->last_usec)
		t->last_usec = usec;
	if (usec >= t->hour_start && usec < t->hour_end)
		return t->hour;

	time_t sec = (time_t) (usec / 1000000);
	struct tm tm;

	if (usec < 0 || localtime_r(&sec, &tm) == NULL)
		return 0;
	t->hour = tm.tm_hour;
	t->hour_start = ((int64_t) sec - tm.tm_min * 60 - tm.tm_sec) * 1000000;
	t->hour_end = t->hour_start + INT64_C(3600) * 1000000;	/* a DST change: looked up again */
	return t->hour;
}

void tally_sessions(struct tally *t, int64_t usec, uint64_t n)
{
	if (t && n)
		t->sessions[hour_of(t, usec)] += n;
}

/* The slot of a, or the empty slot where it would go. */
static size_t top_slot(const struct tally_top *tp, const struct addr *a)
{
	size_t i = (size_t) addr_hash(a, 0x16) & (TALLY_TOP_SLOTS - 1);

	while (tp->slot[i] >= 0 && !addr_equal(&tp->v[tp->slot[i]].key, a))
		i = (i + 1) & (TALLY_TOP_SLOTS - 1);
	return i;
}

static struct tally_top_entry *top_find(struct tally_top *tp, const struct addr *a)
{
	size_t i = top_slot(tp, a);

	return tp->slot[i] >= 0 ? &tp->v[tp->slot[i]] : NULL;
}

static void top_reindex(struct tally_top *tp)
{
	memset(tp->slot, 0xff, sizeof(tp->slot));
	for (size_t i = 0; i < tp->n; i++)
		tp->slot[top_slot(tp, &tp->v[i].key)] = (int16_t) i;
}

static void top_strike(struct tally_top *tp, const struct addr *a)
{
	size_t i = top_slot(tp, a);

	if (tp->slot[i] >= 0) {
		tp->v[tp->slot[i]].strikes++;
		return;
	}
	if (tp->n < TALLY_TOP_TRACK) {
		tp->v[tp->n] = (struct tally_top_entry) {*a, 1, 0};
		tp->slot[i] = (int16_t) tp->n++;
		return;
	}
	/* full: one strike off everyone, the newcomer's included */
	size_t kept = 0;

	for (size_t j = 0; j < tp->n; j++)
		if (--tp->v[j].strikes > 0)
			tp->v[kept++] = tp->v[j];
	tp->n = kept;
	tp->rounds++;
	top_reindex(tp);
}

void tally_strike(struct tally *t, int64_t usec, enum reason reason, const struct addr *a)
{
	if (t == NULL)
		return;
	t->strikes[hour_of(t, usec)][reason]++;
	top_strike(&t->addrs, a);
	if (a->family == AF_INET6) {
		struct addr net = *a;

		addr_mask(&net, 64);
		top_strike(&t->nets64, &net);
	}
}

void tally_ban(struct tally *t, int64_t usec, const struct addr *net, unsigned prefix)
{
	struct tally_top_entry *e;

	if (t == NULL)
		return;
	t->bans[hour_of(t, usec)]++;
	if (prefix == addr_bits(net) && (e = top_find(&t->addrs, net)) != NULL)
		e->bans++;
	if (net->family == AF_INET6 && prefix == 64 && (e = top_find(&t->nets64, net)) != NULL)
		e->bans++;
}

static int top_cmp(const void *a, const void *b)
{
	const struct tally_top_entry *x = a, *y = b;

	return x->strikes != y->strikes ? (x->strikes < y->strikes ? 1 : -1) : memcmp(x->key.bytes, y->key.bytes, 16);
}

void tally_top_sort(struct tally_top *tp)
{
	qsort(tp->v, tp->n, sizeof(tp->v[0]), top_cmp);
	top_reindex(tp);
}

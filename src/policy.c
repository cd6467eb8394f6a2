/*
 * NAME
 *	policy 3
 * SUMMARY
 *	count strikes per address and decide bans
 * SYNOPSIS
 *	#include "policy.h"
 *
 *	struct policy *policy_new(c)
 *	int	policy_strike(p, client, reason, now_usec, ret_decision)
 * DESCRIPTION
 *	The policy is pure logic: it never touches the kernel and never
 *	reads a clock. Time is a parameter (the log's own timestamps in
 *	replay), so a week of old logs replays with the decisions it would
 *	have had, and tests need no sleep.
 *
 *	policy_strike() records one strike of client at now_usec. IPv6
 *	clients count per ipv6_prefix network. Addresses in ignoreip are
 *	never counted. When maxretry strikes fall within findtime, the
 *	decision is POLICY_BAN for bantime * bantime_factor^(times banned
 *	before), capped at bantime_max; the strikes are then cleared, like
 *	fail2ban does. A strike while a ban is still running is counted and
 *	returns POLICY_ALREADY_BANNED: no new ban, no growth.
 *
 *	Entries live in a hash table ordered by activity. Returned entries
 *	are owned by the policy and valid until the next call that adds or
 *	forgets one.
 * DIAGNOSTICS
 *	policy_strike() returns 0, or -ENOMEM.
 * SECURITY
 *	Memory is bounded by max_addresses entries. A full table first drops
 *	entries that no longer matter (no strike within findtime and no ban
 *	running) and then the least recently struck entry without a running
 *	ban, so a flood of distinct addresses costs a slow prober its
 *	partial count at worst, never a running ban. Only when every entry
 *	is a running ban is a new address left untracked (counted).
 */

#include "policy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct policy {
	const struct config *c;
	struct policy_entry **buckets;
	size_t nbuckets, count;
	uint64_t seed;
	struct lru lru;
	struct policy_counters counters;
};

static struct policy_entry *entry_of(struct lru_node *n)
{
	return n ? lru_entry(n, struct policy_entry, lru) : NULL;
}

struct policy *policy_new(const struct config *c)
{
	struct policy *p = calloc(1, sizeof(*p));
	struct timespec ts;

	if (p == NULL)
		return NULL;
	p->c = c;
	for (p->nbuckets = 64; p->nbuckets < c->max_addresses; p->nbuckets <<= 1)
		;
	if ((p->buckets = calloc(p->nbuckets, sizeof(*p->buckets))) == NULL) {
		free(p);
		return NULL;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	p->seed = (uint64_t) ts.tv_nsec * 0x9e3779b97f4a7c15ull ^ (uint64_t) getpid();
	return p;
}

void policy_free(struct policy *p)
{
	struct policy_entry *e;

	if (p == NULL)
		return;
	while ((e = entry_of(p->lru.oldest)) != NULL) {
		lru_unlink(&p->lru, &e->lru);
		free(e);
	}
	free(p->buckets);
	free(p);
}

void policy_key(const struct policy *p, const struct addr *client, struct addr *ret_net, unsigned *ret_prefix)
{
	*ret_net = *client;
	*ret_prefix = client->family == AF_INET6 ? p->c->ipv6_prefix : 32;
	addr_mask(ret_net, *ret_prefix);
}

static size_t bucket_of(const struct policy *p, const struct addr *net)
{
	return (size_t) (addr_hash(net, p->seed) >> 7) & (p->nbuckets - 1);
}

struct policy_entry *policy_find(struct policy *p, const struct addr *net)
{
	for (struct policy_entry *e = p->buckets[bucket_of(p, net)]; e; e = e->hnext)
		if (addr_equal(&e->net, net))
			return e;
	return NULL;
}

static void entry_remove(struct policy *p, struct policy_entry *e)
{
	struct policy_entry **pp = &p->buckets[bucket_of(p, &e->net)];

	while (*pp && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = e->hnext;
	lru_unlink(&p->lru, &e->lru);
	p->count--;
	free(e);
}

int policy_forget(struct policy *p, const struct addr *net)
{
	struct policy_entry *e = policy_find(p, net);

	if (e == NULL)
		return -ENOENT;
	entry_remove(p, e);
	return 0;
}

unsigned policy_strikes_within(const struct policy *p, const struct policy_entry *e, int64_t now_usec)
{
	int64_t from = now_usec - p->c->findtime * 1000000;
	unsigned n = 0;

	for (unsigned i = 0; i < e->nstrikes; i++)
		if (e->strikes[i] >= from && e->strikes[i] <= now_usec)
			n++;
	return n;
}

static bool entry_matters(const struct policy *p, const struct policy_entry *e, int64_t now_usec)
{
	if (e->ban_until_usec > now_usec)
		return true;
	return policy_strikes_within(p, e, now_usec) > 0;
}

/* Makes room for one entry; false when every entry is a running ban. */
static bool make_room(struct policy *p, int64_t now_usec)
{
	struct policy_entry *e, *next;

	if (p->count < p->c->max_addresses)
		return true;
	/* The list is ordered by last strike: stop at the first entry struck
	   within findtime, or a full table costs a scan of it per strike. */
	for (e = entry_of(p->lru.oldest); e && e->last_strike_usec < now_usec - p->c->findtime * 1000000; e = next) {
		next = entry_of(e->lru.newer);
		if (!entry_matters(p, e, now_usec)) {
			entry_remove(p, e);
			p->counters.evicted++;
		}
	}
	if (p->count < p->c->max_addresses)
		return true;
	for (e = entry_of(p->lru.oldest); e; e = entry_of(e->lru.newer)) {
		if (e->ban_until_usec <= now_usec) {
			entry_remove(p, e);
			p->counters.evicted++;
			return true;
		}
	}
	return false;
}

static struct policy_entry *entry_new(struct policy *p, const struct addr *net, unsigned prefix)
{
	unsigned ring = p->c->maxretry < POLICY_MAXRETRY_MAX ? p->c->maxretry : POLICY_MAXRETRY_MAX;
	struct policy_entry *e = calloc(1, sizeof(*e) + ring * sizeof(int64_t));

	if (e == NULL)
		return NULL;
	e->net = *net;
	e->prefix = prefix;
	size_t b = bucket_of(p, net);

	e->hnext = p->buckets[b];
	p->buckets[b] = e;
	lru_append(&p->lru, &e->lru);
	p->count++;
	return e;
}

static void add_strike(struct policy *p, struct policy_entry *e, int64_t now_usec)
{
	unsigned ring = p->c->maxretry < POLICY_MAXRETRY_MAX ? p->c->maxretry : POLICY_MAXRETRY_MAX;

	if (e->nstrikes < ring) {
		e->strikes[e->nstrikes++] = now_usec;
		return;
	}
	/* replace the oldest */
	unsigned oldest = 0;

	for (unsigned i = 1; i < e->nstrikes; i++)
		if (e->strikes[i] < e->strikes[oldest])
			oldest = i;
	e->strikes[oldest] = now_usec;
}

int policy_strike(struct policy *p, const struct addr *client, enum reason reason, int64_t now_usec,
		  struct policy_decision *ret_decision)
{
	const struct config *c = p->c;
	struct policy_decision d;
	struct policy_entry *e;

	memset(&d, 0, sizeof(d));
	policy_key(p, client, &d.net, &d.prefix);
	p->counters.strikes++;
	if (config_ignored(c, client)) {
		p->counters.ignored++;
		d.verdict = POLICY_IGNORED;
		*ret_decision = d;
		return 0;
	}
	if ((e = policy_find(p, &d.net)) == NULL) {
		if (!make_room(p, now_usec)) {
			p->counters.untracked++;
			d.verdict = POLICY_UNTRACKED;
			*ret_decision = d;
			return 0;
		}
		if ((e = entry_new(p, &d.net, d.prefix)) == NULL)
			return -ENOMEM;
	}
	lru_touch(&p->lru, &e->lru);
	add_strike(p, e, now_usec);
	if (now_usec > e->last_strike_usec)
		e->last_strike_usec = now_usec;
	e->last_reason = reason;
	d.strikes = policy_strikes_within(p, e, now_usec);
	d.times_banned = e->times_banned;

	if (e->ban_until_usec > now_usec) {
		p->counters.already_banned++;
		d.verdict = POLICY_ALREADY_BANNED;
		d.until_usec = e->ban_until_usec;
	} else if (d.strikes >= c->maxretry) {
		double seconds = (double) c->bantime;

		for (unsigned i = 0; i < e->times_banned && seconds < (double) c->bantime_max; i++)
			seconds *= c->bantime_factor;
		if (seconds > (double) c->bantime_max)
			seconds = (double) c->bantime_max;
		e->times_banned++;
		e->last_ban_seconds = (int64_t) seconds;
		e->ban_until_usec = now_usec + e->last_ban_seconds * 1000000;
		e->nstrikes = 0;
		p->counters.bans++;
		d.verdict = POLICY_BAN;
		d.seconds = e->last_ban_seconds;
		d.times_banned = e->times_banned;
		d.until_usec = e->ban_until_usec;
	} else {
		d.verdict = POLICY_COUNTED;
	}
	*ret_decision = d;
	return 0;
}

const struct policy_counters *policy_counters(const struct policy *p)
{
	return &p->counters;
}

struct policy_entry *policy_first(struct policy *p)
{
	return entry_of(p->lru.oldest);
}

struct policy_entry *policy_next(struct policy_entry *e)
{
	return entry_of(e->lru.newer);
}

int policy_restore(struct policy *p, const struct policy_entry *saved, const int64_t *strikes, unsigned nstrikes)
{
	struct policy_entry *e = policy_find(p, &saved->net);

	if (e == NULL) {
		if (!make_room(p, saved->last_strike_usec))
			return -ENOSPC;
		if ((e = entry_new(p, &saved->net, saved->prefix)) == NULL)
			return -ENOMEM;
	}
	e->times_banned = saved->times_banned;
	e->ban_until_usec = saved->ban_until_usec;
	e->last_ban_seconds = saved->last_ban_seconds;
	e->last_strike_usec = saved->last_strike_usec;
	e->last_reason = saved->last_reason;
	e->nstrikes = 0;
	for (unsigned i = 0; i < nstrikes; i++)
		add_strike(p, e, strikes[i]);
	return 0;
}

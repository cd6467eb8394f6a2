/* SPDX-License-Identifier: GPL-2.0-or-later */
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
 *	int	policy_strike_seen(p, client, reason, now_usec, key, ret_decision)
 *	uint64_t policy_strike_key(host, host_len, tag, tag_len, pid, client, usec)
 *	unsigned policy_seen_max(p)
 *	unsigned policy_seen_keys(e, ret)
 *	void	policy_free(p)
 *	void	policy_key(p, client, ret_net, ret_prefix)
 *	struct policy_entry *policy_find(p, net)
 *	int	policy_forget(p, net)
 *	const struct policy_counters *policy_counters(p)
 *	struct policy_entry *policy_first(p)
 *	struct policy_entry *policy_next(e)
 *	int	policy_restore(p, saved, strikes, nstrikes)
 *	int	policy_restore_seen(p, net, keys, nkeys)
 *	unsigned policy_strikes_within(p, e, now_usec)
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
 *	Strikes may come out of order (rsyslog reorders under a backlog):
 *	a strike counts toward a ban when maxretry strikes, it among them,
 *	fall within one findtime window, whichever came first; the ban then
 *	starts at the latest strike of that window, as it would have in
 *	order. Only the latest min(maxretry, POLICY_MAXRETRY_MAX) strike
 *	times are kept per address.
 *
 *	A line delivered again after its session was forgotten (RELP
 *	resends, rsyslog's disk queue replays hours later, fold(3) remembers
 *	sessions for session_idle only) gives its strike again. So each
 *	entry also keeps the identity of its latest strikes (a 64-bit key,
 *	policy_strike_key() of the evidence's time and the session's host,
 *	tag, pid and client address), the ring's size plus POLICY_SEEN_EXTRA
 *	of them in arrival order, also those a ban cleared from the ring:
 *	policy_strike_seen() of one seen before is POLICY_REDELIVERED,
 *	counted apart (redelivered) and changes nothing. The check is a look
 *	at those few keys (8 bytes each) in the entry the strike counts in
 *	anyway.
 *
 *	Entries live in table(3); policy_first() and policy_next() visit
 *	them all, those without a running ban first. Returned entries are
 *	owned by the policy and valid until the next call that adds or
 *	forgets one.
 * DIAGNOSTICS
 *	policy_strike() returns 0, or -ENOMEM.
 * BUGS
 *	A redelivered strike is known only while its address keeps its
 *	entry and the strike is among the last policy_seen_max() it heard:
 *	one before those, or whose entry was evicted (max_addresses) or
 *	forgotten (authfold unban), counts again. Two strikes of one client
 *	on one process at the same time are one identity: engine(3) gives
 *	a key only to strikes with sub-second timestamps (with whole
 *	seconds, back-to-back sessions would be one), so with traditional
 *	timestamps a redelivery still counts again.
 * SECURITY
 *	Memory is bounded by max_addresses entries, found through table(3)
 *	(keyed SipHash). Entries without a running ban sit in one list by
 *	last strike, entries with a running ban in another. A full table
 *	drops the least recently struck entry without a running ban, so a
 *	flood of distinct addresses costs a slow prober its partial count at
 *	worst, never a running ban. When every entry is a running ban, a few
 *	of them (POLICY_ROOM_PROBES) are looked at, oldest ban first, and
 *	one that has ended makes room; the others go to the end of the
 *	list, so that every entry is looked at in turn. Otherwise the new
 *	address is left untracked (counted, and shown by the report). Either
 *	way a strike costs the same whatever the table holds.
 */

#include "policy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define POLICY_ROOM_PROBES	4

struct policy {
	const struct config *c;
	struct table table;
	size_t count;
	struct lru counting;		/* no running ban, least recently struck first */
	struct lru banned;		/* a running ban (or one that ended since) */
	struct policy_counters counters;
};

static struct policy_entry *entry_of(struct lru_node *n)
{
	return n ? lru_entry(n, struct policy_entry, lru) : NULL;
}

struct policy *policy_new(const struct config *c)
{
	struct policy *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->c = c;
	if (table_init(&p->table, c->max_addresses) < 0) {
		free(p);
		return NULL;
	}
	return p;
}

static void entry_remove(struct policy *p, struct policy_entry *e)
{
	table_remove(&p->table, &e->node);
	lru_unlink(e->in_banned ? &p->banned : &p->counting, &e->lru);
	p->count--;
	free(e);
}

void policy_free(struct policy *p)
{
	struct policy_entry *e;

	if (p == NULL)
		return;
	while ((e = entry_of(p->counting.oldest)) != NULL || (e = entry_of(p->banned.oldest)) != NULL)
		entry_remove(p, e);
	table_fini(&p->table);
	free(p);
}

void policy_key(const struct policy *p, const struct addr *client, struct addr *ret_net, unsigned *ret_prefix)
{
	*ret_net = *client;
	*ret_prefix = client->family == AF_INET6 ? p->c->ipv6_prefix : 32;
	addr_mask(ret_net, *ret_prefix);
}

static uint64_t key_hash(const struct policy *p, const struct addr *net)
{
	struct {
		int family;
		uint8_t bytes[16];
	} key;

	memset(&key, 0, sizeof(key));
	key.family = net->family;
	memcpy(key.bytes, net->bytes, sizeof(key.bytes));
	return table_hash(&p->table, &key, sizeof(key));
}

struct policy_entry *policy_find(struct policy *p, const struct addr *net)
{
	for (struct table_node *n = table_first(&p->table, key_hash(p, net)); n; n = table_next(n)) {
		struct policy_entry *e = table_entry(n, struct policy_entry, node);

		if (addr_equal(&e->net, net))
			return e;
	}
	return NULL;
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

/* Moves e to the list its ban puts it in, at the newest end. */
static void file_entry(struct policy *p, struct policy_entry *e, bool banned)
{
	lru_unlink(e->in_banned ? &p->banned : &p->counting, &e->lru);
	e->in_banned = banned;
	lru_append(banned ? &p->banned : &p->counting, &e->lru);
}

/* Makes room for one entry in constant time; false when it cannot. */
static bool make_room(struct policy *p, int64_t now_usec)
{
	struct policy_entry *e;

	if (p->count < p->c->max_addresses)
		return true;
	if ((e = entry_of(p->counting.oldest)) != NULL) {
		entry_remove(p, e);
		p->counters.evicted++;
		return true;
	}
	for (int i = 0; i < POLICY_ROOM_PROBES && (e = entry_of(p->banned.oldest)) != NULL; i++) {
		if (e->ban_until_usec <= now_usec) {
			entry_remove(p, e);
			p->counters.evicted++;
			return true;
		}
		lru_touch(&p->banned, &e->lru);
	}
	return false;
}

/* The strike times kept per address: min(maxretry, POLICY_MAXRETRY_MAX). */
static unsigned ring_size(const struct policy *p)
{
	return p->c->maxretry < POLICY_MAXRETRY_MAX ? p->c->maxretry : POLICY_MAXRETRY_MAX;
}

unsigned policy_seen_max(const struct policy *p)
{
	return ring_size(p) + POLICY_SEEN_EXTRA;
}

static struct policy_entry *entry_new(struct policy *p, const struct addr *net, unsigned prefix)
{
	unsigned ring = ring_size(p);
	struct policy_entry *e = calloc(1, sizeof(*e) + ring * sizeof(int64_t) + policy_seen_max(p) * sizeof(uint64_t));

	if (e == NULL)
		return NULL;
	e->owner = p;
	e->net = *net;
	e->prefix = prefix;
	table_insert(&p->table, &e->node, key_hash(p, net));
	lru_append(&p->counting, &e->lru);
	p->count++;
	return e;
}

/* Keeps the latest strike times: a full ring drops its earliest. */
static void add_strike(struct policy *p, struct policy_entry *e, int64_t t)
{
	unsigned ring = ring_size(p);
	unsigned earliest = 0;

	if (e->nstrikes < ring) {
		e->strikes[e->nstrikes++] = t;
		return;
	}
	for (unsigned i = 1; i < e->nstrikes; i++)
		if (e->strikes[i] < e->strikes[earliest])
			earliest = i;
	if (t > e->strikes[earliest])
		e->strikes[earliest] = t;
}

/*
 * The most strikes (t among them) in one findtime window, and the latest
 * strike of the first window that reaches maxretry (else of the fullest).
 */
static unsigned window(const struct policy *p, const struct policy_entry *e, int64_t t, int64_t *ret_end)
{
	int64_t span = p->c->findtime * 1000000, best_end = t;
	unsigned best = 0;

	/* Windows [s, s + span] that hold t: s is t or a strike in [t - span, t]. */
	for (unsigned i = 0; i <= e->nstrikes; i++) {
		int64_t s = i < e->nstrikes ? e->strikes[i] : t;
		int64_t end = t;
		unsigned n = 1;	/* t itself */

		if (s > t || s < t - span)
			continue;
		for (unsigned j = 0; j < e->nstrikes; j++) {
			int64_t x = e->strikes[j];

			if (x >= s && x <= s + span) {
				n++;
				if (x > end)
					end = x;
			}
		}
		if (n > best || (n == best && end < best_end)) {
			best = n;
			best_end = end;
		}
	}
	*ret_end = best_end;
	/* as many as the ring keeps once t is in it */
	unsigned ring = ring_size(p);

	return best < ring ? best : ring;
}

uint64_t policy_strike_key(const char *host, size_t host_len, const char *tag, size_t tag_len, long pid,
			   const struct addr *client, int64_t usec)
{
	/* FNV-1a: the same on every host and after a restart (the state file
	   keeps the keys). Nothing in it is the client's choice but its own
	   address, so nobody picks a collision with someone else's strike. */
	uint64_t h = UINT64_C(14695981039346656037);
	const uint64_t nums[2] = {(uint64_t) (int64_t) pid, (uint64_t) usec};

#define MIX(p, len) \
	for (size_t i_ = 0; i_ < (len); i_++) \
		h = (h ^ ((const unsigned char *) (p))[i_]) * UINT64_C(1099511628211)
	MIX(host, host_len);
	MIX("", 1);
	MIX(tag, tag_len);
	MIX("", 1);
	/* the numbers' bytes lowest first, whatever the host's byte order */
	for (size_t k = 0; k < 2; k++)
		for (unsigned b = 0; b < 64; b += 8)
			h = (h ^ ((nums[k] >> b) & 0xff)) * UINT64_C(1099511628211);
	h = (h ^ (unsigned char) client->family) * UINT64_C(1099511628211);
	MIX(client->bytes, sizeof(client->bytes));
#undef MIX
	return h ? h : 1;
}

/* e's keys, after its ring of strike times. */
static uint64_t *seen_of(const struct policy_entry *e)
{
	const struct policy *p = e->owner;
	unsigned ring = ring_size(p);

	return (uint64_t *) (uintptr_t) (e->strikes + ring);
}

static bool seen_has(const struct policy_entry *e, uint64_t key)
{
	const uint64_t *seen = seen_of(e);

	for (unsigned i = 0; i < e->nseen; i++)
		if (seen[i] == key)
			return true;
	return false;
}

/* Keeps the last keys heard: a full list drops the oldest. */
static void seen_add(const struct policy *p, struct policy_entry *e, uint64_t key)
{
	uint64_t *seen = seen_of(e);
	unsigned max = policy_seen_max(p);

	if (key == 0 || seen_has(e, key))
		return;
	if (e->nseen < max) {
		seen[e->nseen++] = key;
		return;
	}
	seen[e->seen_next] = key;
	e->seen_next = (uint8_t) ((e->seen_next + 1u) % max);
}

unsigned policy_seen_keys(const struct policy_entry *e, uint64_t *ret)
{
	const uint64_t *seen = seen_of(e);

	for (unsigned i = 0; i < e->nseen; i++)
		ret[i] = seen[(e->seen_next + i) % e->nseen];
	return e->nseen;
}

int policy_strike(struct policy *p, const struct addr *client, enum reason reason, int64_t now_usec,
		  struct policy_decision *ret_decision)
{
	return policy_strike_seen(p, client, reason, now_usec, 0, ret_decision);
}

int policy_strike_seen(struct policy *p, const struct addr *client, enum reason reason, int64_t now_usec,
		       uint64_t key, struct policy_decision *ret_decision)
{
	const struct config *c = p->c;
	struct policy_decision d;
	struct policy_entry *e;
	int64_t end;

	memset(&d, 0, sizeof(d));
	policy_key(p, client, &d.net, &d.prefix);
	e = policy_find(p, &d.net);
	if (key != 0 && e != NULL && seen_has(e, key)) {
		p->counters.redelivered++;
		p->counters.redelivered_reason[(unsigned) reason < REASON_COUNT ? reason : 0]++;
		d.verdict = POLICY_REDELIVERED;
		d.strikes = policy_strikes_within(p, e, now_usec);
		*ret_decision = d;
		return 0;
	}
	p->counters.strikes++;
	if (config_ignored(c, client)) {
		p->counters.ignored++;
		d.verdict = POLICY_IGNORED;
		*ret_decision = d;
		return 0;
	}
	if (e == NULL) {
		if (!make_room(p, now_usec)) {
			p->counters.untracked++;
			d.verdict = POLICY_UNTRACKED;
			*ret_decision = d;
			return 0;
		}
		if ((e = entry_new(p, &d.net, d.prefix)) == NULL)
			return -ENOMEM;
	}
	if (now_usec > e->last_strike_usec)
		e->last_strike_usec = now_usec;
	e->last_reason = reason;
	seen_add(p, e, key);
	d.times_banned = e->times_banned;

	if (e->ban_until_usec > now_usec) {
		lru_touch(e->in_banned ? &p->banned : &p->counting, &e->lru);
		add_strike(p, e, now_usec);
		d.strikes = policy_strikes_within(p, e, now_usec);
		p->counters.already_banned++;
		d.verdict = POLICY_ALREADY_BANNED;
		d.until_usec = e->ban_until_usec;
		*ret_decision = d;
		return 0;
	}
	d.strikes = window(p, e, now_usec, &end);
	if (d.strikes >= c->maxretry) {
		double seconds = (double) c->bantime;

		for (unsigned i = 0; i < e->times_banned && seconds < (double) c->bantime_max; i++)
			seconds *= c->bantime_factor;
		if (seconds > (double) c->bantime_max)
			seconds = (double) c->bantime_max;
		e->times_banned++;
		e->last_ban_seconds = (int64_t) seconds;
		e->ban_until_usec = end + e->last_ban_seconds * 1000000;
		e->nstrikes = 0;
		file_entry(p, e, true);
		p->counters.bans++;
		d.verdict = POLICY_BAN;
		d.seconds = e->last_ban_seconds;
		d.times_banned = e->times_banned;
		d.until_usec = e->ban_until_usec;
	} else {
		add_strike(p, e, now_usec);
		file_entry(p, e, false);
		d.verdict = POLICY_COUNTED;
	}
	*ret_decision = d;
	return 0;
}

const struct policy_counters *policy_counters(const struct policy *p)
{
	return &p->counters;
}

/* Every entry: the counting list, then the banned list. */
struct policy_entry *policy_first(struct policy *p)
{
	struct policy_entry *e = entry_of(p->counting.oldest);

	return e ? e : entry_of(p->banned.oldest);
}

struct policy_entry *policy_next(struct policy_entry *e)
{
	struct policy_entry *n = entry_of(e->lru.newer);

	if (n || e->in_banned)
		return n;
	return entry_of(e->owner->banned.oldest);	/* the counting list is done */
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
	file_entry(p, e, e->ban_until_usec > 0);
	return 0;
}

int policy_restore_seen(struct policy *p, const struct addr *net, const uint64_t *keys, unsigned nkeys)
{
	struct policy_entry *e = policy_find(p, net);

	if (e == NULL)
		return -ENOENT;
	for (unsigned i = 0; i < nkeys; i++)
		seen_add(p, e, keys[i]);
	return 0;
}

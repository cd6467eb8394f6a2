/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	table 3
 * SUMMARY
 *	a bounded, seeded hash table of intrusive nodes
 * SYNOPSIS
 *	#include "table.h"
 *
 *	int	table_init(t, max_entries)
 *	void	table_fini(t)
 *
 *	uint64_t table_hash(t, p, n)
 *	void	table_hasher_init(t, h)
 *	void	table_hasher_add(h, p, n)
 *	uint64_t table_hasher_end(h)
 *
 *	void	table_insert(t, node, hash)
 *	void	table_remove(t, node)
 *	struct table_node *table_first(t, hash)
 *	struct table_node *table_next(node)
 * DESCRIPTION
 *	The one hash table of authfold: sessions, processes, origins and
 *	addresses each embed a struct table_node and keep their own key.
 *	The table never allocates per entry and never owns an entry; it
 *	only chains nodes in buckets. Lookups walk the nodes of one hash:
 *
 *		for (n = table_first(t, h); n; n = table_next(n))
 *			if (key_of(table_entry(n, struct x, node)) == key) ...
 *
 *	table_first() and table_next() return only nodes whose full 64-bit
 *	hash equals the one asked for, so a key comparison runs only on a
 *	real candidate.
 *
 *	table_init() sizes the bucket array once, for max_entries (a power
 *	of two at least that large): the callers bound their entries, so the
 *	table never grows or rehashes, and a lookup costs the same whatever
 *	the table holds. table_remove() is O(1) (the chain is doubly linked).
 *
 *	Keys are hashed with SipHash-2-4 under a secret drawn from
 *	getrandom(2) per table: table_hash() for one buffer, or a hasher fed
 *	piece by piece for a key in several parts (table_hasher_add() may be
 *	called any number of times; the result depends only on the bytes).
 *
 *	An embedding structure usually pairs the table with an lru(3) list
 *	for eviction and expiry.
 * DIAGNOSTICS
 *	table_init() returns 0 or -ENOMEM.
 * SECURITY
 *	The keys of every table come from the log (client addresses, host
 *	names, tags, pids) and so from whoever writes log lines. SipHash
 *	under a per-process random secret keeps an attacker from choosing
 *	keys that collide, so chains stay short and the cost per line stays
 *	constant whatever the tables are filled with. Without getrandom(2)
 *	the secret falls back to the clock and the pid (weaker, still not
 *	knowable from outside).
 */

#include "table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

int table_init(struct table *t, size_t max_entries)
{
	size_t n = 16;
	uint64_t key[2];

	while (n < max_entries && n < (SIZE_MAX >> 2))
		n <<= 1;
	memset(t, 0, sizeof(*t));
	if ((t->buckets = calloc(n, sizeof(*t->buckets))) == NULL)
		return -ENOMEM;
	t->mask = n - 1;
	if (getrandom(key, sizeof(key), GRND_NONBLOCK) != (ssize_t) sizeof(key)) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		key[0] = (uint64_t) ts.tv_nsec * 0x9e3779b97f4a7c15ull ^ (uint64_t) ts.tv_sec;
		key[1] = (uint64_t) getpid() * 0xc2b2ae3d27d4eb4full ^ (uint64_t) (uintptr_t) t;
	}
	t->k0 = key[0];
	t->k1 = key[1];
	return 0;
}

void table_fini(struct table *t)
{
	if (t == NULL)
		return;
	free(t->buckets);
	t->buckets = NULL;
	t->count = 0;
}

/* SipHash-2-4 (Aumasson and Bernstein, 2012). */
static inline uint64_t rotl(uint64_t x, unsigned b)
{
	return (x << b) | (x >> (64 - b));
}

static inline void sipround(struct table_hasher *h)
{
	h->v0 += h->v1;
	h->v1 = rotl(h->v1, 13);
	h->v1 ^= h->v0;
	h->v0 = rotl(h->v0, 32);
	h->v2 += h->v3;
	h->v3 = rotl(h->v3, 16);
	h->v3 ^= h->v2;
	h->v0 += h->v3;
	h->v3 = rotl(h->v3, 21);
	h->v3 ^= h->v0;
	h->v2 += h->v1;
	h->v1 = rotl(h->v1, 17);
	h->v1 ^= h->v2;
	h->v2 = rotl(h->v2, 32);
}

static inline void compress(struct table_hasher *h, uint64_t m)
{
	h->v3 ^= m;
	sipround(h);
	sipround(h);
	h->v0 ^= m;
}

void table_hasher_init(const struct table *t, struct table_hasher *h)
{
	h->v0 = t->k0 ^ 0x736f6d6570736575ull;
	h->v1 = t->k1 ^ 0x646f72616e646f6dull;
	h->v2 = t->k0 ^ 0x6c7967656e657261ull;
	h->v3 = t->k1 ^ 0x7465646279746573ull;
	h->tail = 0;
	h->len = 0;
}

void table_hasher_add(struct table_hasher *h, const void *p, size_t n)
{
	const unsigned char *b = p;

	/* Fill the pending word first, then whole little-endian words. */
	while (n > 0 && (h->len & 7) != 0) {
		h->tail |= (uint64_t) *b++ << (8 * (h->len & 7));
		h->len++;
		n--;
		if ((h->len & 7) == 0) {
			compress(h, h->tail);
			h->tail = 0;
		}
	}
	for (; n >= 8; n -= 8, b += 8, h->len += 8) {
		uint64_t m = 0;

		for (unsigned i = 0; i < 8; i++)
			m |= (uint64_t) b[i] << (8 * i);
		compress(h, m);
	}
	for (; n > 0; n--, h->len++)
		h->tail |= (uint64_t) *b++ << (8 * (h->len & 7));
}

uint64_t table_hasher_end(struct table_hasher *h)
{
	compress(h, h->tail | (uint64_t) h->len << 56);
	h->v2 ^= 0xff;
	for (int i = 0; i < 4; i++)
		sipround(h);
	return h->v0 ^ h->v1 ^ h->v2 ^ h->v3;
}

uint64_t table_hash(const struct table *t, const void *p, size_t n)
{
	struct table_hasher h;

	table_hasher_init(t, &h);
	table_hasher_add(&h, p, n);
	return table_hasher_end(&h);
}

void table_insert(struct table *t, struct table_node *n, uint64_t hash)
{
	struct table_node **head = &t->buckets[hash & t->mask];

	n->hash = hash;
	n->next = *head;
	n->pprev = head;
	if (*head)
		(*head)->pprev = &n->next;
	*head = n;
	t->count++;
}

void table_remove(struct table *t, struct table_node *n)
{
	if (n->pprev == NULL)
		return;		/* not in a table */
	*n->pprev = n->next;
	if (n->next)
		n->next->pprev = n->pprev;
	n->next = NULL;
	n->pprev = NULL;
	t->count--;
}

static struct table_node *same_hash(struct table_node *n, uint64_t hash)
{
	while (n && n->hash != hash)
		n = n->next;
	return n;
}

struct table_node *table_first(const struct table *t, uint64_t hash)
{
	return same_hash(t->buckets[hash & t->mask], hash);
}

struct table_node *table_next(const struct table_node *n)
{
	return same_hash(n->next, n->hash);
}

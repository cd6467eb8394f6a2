/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_TABLE_H
#define AUTHFOLD_TABLE_H

/* table - a bounded, seeded hash table of intrusive nodes; see table.c */

#include <stddef.h>
#include <stdint.h>

struct table_node {
	struct table_node *next, **pprev;	/* bucket chain */
	uint64_t hash;
};

struct table {
	struct table_node **buckets;
	size_t mask, count;
	uint64_t k0, k1;		/* the keyed hash's secret */
};

struct table_hasher {
	uint64_t v0, v1, v2, v3, tail;
	size_t len;
};

#define table_entry(node, type, member) \
	((type *) (void *) ((char *) (node) - offsetof(type, member)))

int table_init(struct table *t, size_t max_entries);
void table_fini(struct table *t);

void table_hasher_init(const struct table *t, struct table_hasher *h);
void table_hasher_add(struct table_hasher *h, const void *p, size_t n);
uint64_t table_hasher_end(struct table_hasher *h);
uint64_t table_hash(const struct table *t, const void *p, size_t n);

void table_insert(struct table *t, struct table_node *n, uint64_t hash);
void table_remove(struct table *t, struct table_node *n);
struct table_node *table_first(const struct table *t, uint64_t hash);
struct table_node *table_next(const struct table_node *n);

#endif

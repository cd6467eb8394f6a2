/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_LRU_H
#define AUTHFOLD_LRU_H

/*
 * lru - an intrusive list ordered by last activity, oldest first.
 * Embed a struct lru_node in the element; the list does not own it.
 */

#include <stddef.h>

struct lru_node {
	struct lru_node *older, *newer;
};

struct lru {
	struct lru_node *oldest, *newest;
};

#define lru_entry(node, type, member) \
	((type *) (void *) ((char *) (node) - offsetof(type, member)))

static inline void lru_unlink(struct lru *l, struct lru_node *n)
{
	if (n->older)
		n->older->newer = n->newer;
	else
		l->oldest = n->newer;
	if (n->newer)
		n->newer->older = n->older;
	else
		l->newest = n->older;
	n->older = n->newer = NULL;
}

static inline void lru_append(struct lru *l, struct lru_node *n)
{
	n->older = l->newest;
	n->newer = NULL;
	if (l->newest)
		l->newest->newer = n;
	else
		l->oldest = n;
	l->newest = n;
}

static inline void lru_touch(struct lru *l, struct lru_node *n)
{
	if (l->newest != n) {
		lru_unlink(l, n);
		lru_append(l, n);
	}
}

#endif

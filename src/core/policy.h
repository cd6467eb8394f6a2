/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_POLICY_H
#define AUTHFOLD_POLICY_H

/* policy - count strikes per address, decide bans; see policy.c */

#include "addr.h"
#include "config.h"
#include "lru.h"
#include "table.h"

#include <stdint.h>

#define POLICY_MAXRETRY_MAX	CONFIG_MAXRETRY_MAX

enum policy_verdict {
	POLICY_IGNORED,			/* ignoreip */
	POLICY_COUNTED,			/* below maxretry */
	POLICY_ALREADY_BANNED,		/* a ban is still running: counted only */
	POLICY_BAN,			/* ban now */
	POLICY_UNTRACKED,		/* table full of running bans: not counted */
	POLICY_REDELIVERED,		/* this strike was counted already: not again */
};

#define POLICY_SEEN_EXTRA	4	/* identities kept past the ring of strike times */

struct policy;

struct policy_entry {
	struct table_node node;		/* key: net */
	struct lru_node lru;		/* in the counting or the banned list */
	struct policy *owner;
	bool in_banned;			/* which list */
	struct addr net;		/* the key: address, IPv6 masked to ipv6_prefix */
	unsigned prefix;
	unsigned times_banned;
	int64_t ban_until_usec;		/* 0: never banned */
	int64_t last_ban_seconds;
	int64_t last_strike_usec;
	enum reason last_reason;
	uint8_t nseen, seen_next;	/* the identities kept after strikes[] (policy_seen_keys()) */
	unsigned nstrikes;		/* valid entries of strikes[] */
	int64_t strikes[];		/* ring of the last maxretry strike times */
};

struct policy_decision {
	enum policy_verdict verdict;
	struct addr net;
	unsigned prefix;
	unsigned strikes;		/* strikes within findtime, this one included */
	unsigned times_banned;		/* POLICY_BAN: including this ban */
	int64_t seconds;		/* POLICY_BAN: the ban's duration */
	int64_t until_usec;		/* POLICY_BAN / ALREADY_BANNED: its end */
};

struct policy_counters {
	uint64_t strikes, ignored, bans, already_banned, untracked, evicted;
	uint64_t redelivered;		/* strikes whose identity was counted already */
	uint64_t redelivered_reason[REASON_COUNT];
};

struct policy;

struct policy *policy_new(const struct config *c);
void policy_free(struct policy *p);
int policy_strike(struct policy *p, const struct addr *client, enum reason reason, int64_t now_usec,
		  struct policy_decision *ret_decision);
/* policy_strike() of a strike with an identity (key != 0): one seen before
   for this address is POLICY_REDELIVERED and changes nothing. */
int policy_strike_seen(struct policy *p, const struct addr *client, enum reason reason, int64_t now_usec,
		       uint64_t key, struct policy_decision *ret_decision);
/* A strike's identity: its time and its session's origin (host, tag,
   pid) and client address. Never 0. */
uint64_t policy_strike_key(const char *host, size_t host_len, const char *tag, size_t tag_len, long pid,
			   const struct addr *client, int64_t usec);
/* How many identities an entry keeps (the ring plus POLICY_SEEN_EXTRA). */
unsigned policy_seen_max(const struct policy *p);
/* e's identities into ret (room for policy_seen_max()), oldest first: how many. */
unsigned policy_seen_keys(const struct policy_entry *e, uint64_t *ret);
void policy_key(const struct policy *p, const struct addr *client, struct addr *ret_net, unsigned *ret_prefix);
struct policy_entry *policy_find(struct policy *p, const struct addr *net);
int policy_forget(struct policy *p, const struct addr *net);
const struct policy_counters *policy_counters(const struct policy *p);
/* Oldest first; NULL at the end. */
struct policy_entry *policy_first(struct policy *p);
struct policy_entry *policy_next(struct policy_entry *e);
/* Adds or replaces an entry from saved state. */
int policy_restore(struct policy *p, const struct policy_entry *saved, const int64_t *strikes, unsigned nstrikes);
/* Adds identities from saved state to net's entry (the latest that fit). */
int policy_restore_seen(struct policy *p, const struct addr *net, const uint64_t *keys, unsigned nkeys);
unsigned policy_strikes_within(const struct policy *p, const struct policy_entry *e, int64_t now_usec);

#endif

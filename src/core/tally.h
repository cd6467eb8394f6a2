/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_TALLY_H
#define AUTHFOLD_TALLY_H

/* tally - a run's hourly counts and top offenders, fed by the engine; see tally.c */

#include "addr.h"
#include "config.h"

#include <stdint.h>

#define TALLY_TOP_TRACK	1024
#define TALLY_TOP_SLOTS	(2 * TALLY_TOP_TRACK)	/* hash index, a power of two */

struct tally_top_entry {
	struct addr key;
	uint64_t strikes, bans;
};

struct tally_top {
	struct tally_top_entry v[TALLY_TOP_TRACK];
	int16_t slot[TALLY_TOP_SLOTS];	/* index into v, -1 empty */
	size_t n;
	uint64_t rounds;		/* decrement rounds: how short a count may be */
};

/* Read by report(3); written only through the functions below. */
struct tally {
	uint64_t sessions[24], strikes[24][REASON_COUNT], bans[24];
	int64_t hour_start, hour_end;	/* the cached hour: [start, end) */
	int hour;
	int64_t first_usec, last_usec;	/* -1: nothing counted yet */
	struct tally_top addrs, nets64;
};

struct tally *tally_new(void);
void tally_free(struct tally *t);
void tally_sessions(struct tally *t, int64_t usec, uint64_t n);
void tally_strike(struct tally *t, int64_t usec, enum reason reason, const struct addr *a);
void tally_ban(struct tally *t, int64_t usec, const struct addr *net, unsigned prefix);
void tally_top_sort(struct tally_top *tp);

#endif

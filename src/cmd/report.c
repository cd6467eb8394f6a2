/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	report 3
 * SUMMARY
 *	the human summary of a run
 * SYNOPSIS
 *	#include "report.h"
 *
 *	void	report_write(fp, e, c, dry_run, bytes, seconds)
 *
 *	struct report_tally *report_tally_new(void)
 *	void	report_tally_sessions(t, usec, n)
 *	void	report_tally_strike(t, usec, reason, addr)
 *	void	report_tally_ban(t, usec, net, prefix)
 *	void	report_tables(fp, t)
 *	void	report_tally_free(t)
 * DESCRIPTION
 *	report_write() prints what a run did, for a human, the way
 *	fail2ban-regex ends: lines read, lines folded away and kept,
 *	sessions, strikes by reason, and every address that was (or, in a
 *	dry run, would have been) banned, with the duration of its last ban.
 *	With site rules, their matches per rule and the matches that hit a
 *	limit (rules(3)).
 *
 *	A tally is what the engine (engine_options.tally) feeds as it goes:
 *	sessions opened, strikes by reason and bans, each at the hour of
 *	the local time of its line (the wall clock for a line without a
 *	time), and the strikes and bans per address and per IPv6 /64.
 *	report_tables() prints, in the spirit of pflogsumm, the hourly table
 *	(sessions, probing sessions: noauth strikes, password failures:
 *	saslfail strikes, other strikes of site rules, bans; its totals row
 *	is the sum of the hours and equals report_write()'s totals) and the
 *	REPORT_TOP_SHOWN addresses and /64s with the most strikes. NULL
 *	tallies are accepted by every function.
 * SECURITY
 *	The tables have a fixed size whatever the input: 24 hours, and
 *	REPORT_TOP_TRACK addresses and /64s each, found through a hash index
 *	and kept with the Misra-Gries algorithm: when the table is full, a
 *	newcomer takes one strike off every entry (and its own), and the
 *	entries at zero leave. That costs O(1) per strike amortized, also
 *	under a flood of distinct addresses, and an address with more than
 *	1/REPORT_TOP_TRACK of all strikes is never lost. The top lists are
 *	exact while there are at most that many distinct keys; otherwise
 *	the report says so and by how much each count may be short.
 */

#include "report.h"

#include "hold.h"
#include "rules.h"
#include "summary.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REPORT_TOP_TRACK	1024
#define REPORT_TOP_SHOWN	10

#define REPORT_TOP_SLOTS	(2 * REPORT_TOP_TRACK)	/* hash index, a power of two */

struct top_entry {
	struct addr key;
	uint64_t strikes, bans;
};

struct top {
	struct top_entry v[REPORT_TOP_TRACK];
	int16_t slot[REPORT_TOP_SLOTS];	/* index into v, -1 empty */
	size_t n;
	uint64_t rounds;		/* decrement rounds: how short a count may be */
};

struct report_tally {
	uint64_t sessions[24], strikes[24][REASON_COUNT], bans[24];
	int64_t hour_start, hour_end;	/* the cached hour: [start, end) */
	int hour;
	int64_t first_usec, last_usec;
	struct top addrs, nets64;
};

struct report_tally *report_tally_new(void)
{
	struct report_tally *t = calloc(1, sizeof(*t));

	if (t) {
		t->first_usec = t->last_usec = -1;
		memset(t->addrs.slot, 0xff, sizeof(t->addrs.slot));
		memset(t->nets64.slot, 0xff, sizeof(t->nets64.slot));
	}
	return t;
}

void report_tally_free(struct report_tally *t)
{
	free(t);
}

/* The local hour of usec; localtime_r only when the hour changes. */
static int hour_of(struct report_tally *t, int64_t usec)
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

void report_tally_sessions(struct report_tally *t, int64_t usec, uint64_t n)
{
	if (t && n)
		t->sessions[hour_of(t, usec)] += n;
}

/* The slot of a, or the empty slot where it would go. */
static size_t top_slot(const struct top *tp, const struct addr *a)
{
	size_t i = (size_t) addr_hash(a, 0x16) & (REPORT_TOP_SLOTS - 1);

	while (tp->slot[i] >= 0 && !addr_equal(&tp->v[tp->slot[i]].key, a))
		i = (i + 1) & (REPORT_TOP_SLOTS - 1);
	return i;
}

static struct top_entry *top_find(struct top *tp, const struct addr *a)
{
	size_t i = top_slot(tp, a);

	return tp->slot[i] >= 0 ? &tp->v[tp->slot[i]] : NULL;
}

static void top_reindex(struct top *tp)
{
	memset(tp->slot, 0xff, sizeof(tp->slot));
	for (size_t i = 0; i < tp->n; i++)
		tp->slot[top_slot(tp, &tp->v[i].key)] = (int16_t) i;
}

static void top_strike(struct top *tp, const struct addr *a)
{
	size_t i = top_slot(tp, a);

	if (tp->slot[i] >= 0) {
		tp->v[tp->slot[i]].strikes++;
		return;
	}
	if (tp->n < REPORT_TOP_TRACK) {
		tp->v[tp->n] = (struct top_entry) {*a, 1, 0};
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

void report_tally_strike(struct report_tally *t, int64_t usec, enum reason reason, const struct addr *a)
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

void report_tally_ban(struct report_tally *t, int64_t usec, const struct addr *net, unsigned prefix)
{
	struct top_entry *e;

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
	const struct top_entry *x = a, *y = b;

	return x->strikes != y->strikes ? (x->strikes < y->strikes ? 1 : -1) : memcmp(x->key.bytes, y->key.bytes, 16);
}

static void top_print(FILE *fp, struct top *tp, const char *what, unsigned prefix)
{
	char a[ADDR_STRLEN];

	if (tp->n == 0)
		return;
	qsort(tp->v, tp->n, sizeof(tp->v[0]), top_cmp);
	top_reindex(tp);
	fprintf(fp, "Top %s by strikes", what);
	if (tp->rounds)
		fprintf(fp, " (more than %d seen: each count may be short by up to %" PRIu64 ")", REPORT_TOP_TRACK,
			tp->rounds);
	fprintf(fp, ":\n  strikes  bans  %s\n", prefix ? "network" : "address");
	for (size_t i = 0; i < tp->n && i < REPORT_TOP_SHOWN; i++) {
		addr_format(&tp->v[i].key, a);
		fprintf(fp, "  %7" PRIu64 "  %4" PRIu64 "  %s", tp->v[i].strikes, tp->v[i].bans, a);
		if (prefix)
			fprintf(fp, "/%u", prefix);
		fputc('\n', fp);
	}
}

void report_tables(FILE *fp, struct report_tally *t)
{
	uint64_t tot_s = 0, tot_n = 0, tot_p = 0, tot_o = 0, tot_b = 0;
	char from[64], to[64];

	if (t == NULL)
		return;
	if (t->first_usec < 0) {
		fprintf(fp, "Per hour: nothing was counted\n");
		return;
	}
	fputc('\n', fp);
	format_rfc3339(t->first_usec, from, sizeof(from));
	format_rfc3339(t->last_usec, to, sizeof(to));
	fprintf(fp, "Per hour of the day (local time; lines from %s to %s):\n", from, to);
	fprintf(fp, "  hour   sessions  probing  pw-fail  other  bans\n");
	for (int h = 0; h < 24; h++) {
		uint64_t other = 0;

		for (int i = REASON_BADMECH; i < REASON_COUNT; i++)
			other += t->strikes[h][i];
		fprintf(fp, "  %02d-%02d  %8" PRIu64 "  %7" PRIu64 "  %7" PRIu64 "  %5" PRIu64 "  %4" PRIu64 "\n", h, h + 1,
			t->sessions[h], t->strikes[h][REASON_NOAUTH], t->strikes[h][REASON_SASLFAIL], other, t->bans[h]);
		tot_s += t->sessions[h];
		tot_n += t->strikes[h][REASON_NOAUTH];
		tot_p += t->strikes[h][REASON_SASLFAIL];
		tot_o += other;
		tot_b += t->bans[h];
	}
	fprintf(fp, "  total  %8" PRIu64 "  %7" PRIu64 "  %7" PRIu64 "  %5" PRIu64 "  %4" PRIu64 "\n", tot_s, tot_n, tot_p,
		tot_o, tot_b);
	top_print(fp, &t->addrs, "addresses", 0);
	top_print(fp, &t->nets64, "IPv6 /64 networks", 64);
}

void report_write(FILE *fp, struct engine *e, const struct config *c, bool dry_run, uint64_t bytes, double seconds)
{
	const struct fold_counters *f = fold_counters(engine_fold(e));
	const struct session_counters *s = session_counters(fold_sessions(engine_fold(e)));
	const struct policy_counters *p = policy_counters(engine_policy(e));
	const struct engine_counters *ec = engine_counters(e);
	char dur[64], ts[64], a[ADDR_STRLEN];
	unsigned nbans = 0;

	fprintf(fp, "\nResults\n=======\n\n");
	fprintf(fp, "Lines: %" PRIu64 " read (%" PRIu64 " bytes", f->lines, bytes);
	if (seconds > 0)
		fprintf(fp, " in %.3f s, %.0f lines/s", seconds, (double) f->lines / seconds);
	fprintf(fp, ")\n");
	fprintf(fp, "  smtpd lines: %" PRIu64 ", other programs: %" PRIu64 ", not syslog: %" PRIu64 "\n",
		f->smtpd, f->passed - f->other - f->untrusted, f->other);
	fprintf(fp, "  folded away: %" PRIu64 ", kept: %" PRIu64 ", passed through: %" PRIu64
		", synthetic added: %" PRIu64 "\n", f->dropped, f->kept, f->passed, f->synthetic);
	fprintf(fp, "Sessions: %" PRIu64 " seen (%" PRIu64 " before or without their connect), %" PRIu64
		" disconnected, %zu still open\n", s->opened + s->adopted, s->adopted, s->disconnected,
		session_count(fold_sessions(engine_fold(e))));
	fprintf(fp, "  without a disconnect before the next connect: %" PRIu64 ", idle expired: %" PRIu64
		", evicted (table full): %" PRIu64 "\n", s->replaced, s->expired, s->evicted);
	fprintf(fp, "  order: %" PRIu64 " lines older than one before them, %" PRIu64
		" sessions seen before their connect, %" PRIu64 " verdicts given after their line, %" PRIu64
		" still waiting, %" PRIu64 " clock steps\n", f->late, s->adopted, f->settled_late,
		(uint64_t) fold_pending(engine_fold(e)), s->clock_steps);
	/* the SASL strikes held during auth server trouble were never given */
	const uint64_t *held = engine_hold(e) ? hold_counters(engine_hold(e))->cancelled_reason : NULL;

	fprintf(fp, "Strikes: %" PRIu64 " noauth, %" PRIu64 " saslfail", f->strikes[REASON_NOAUTH],
		f->strikes[REASON_SASLFAIL] - (held ? held[REASON_SASLFAIL] : 0));
	/* the reasons this configuration's strike rules define */
	for (int i = REASON_BADMECH; i < REASON_COUNT; i++)
		if (c->reasons_defined & UINT32_C(1) << i)
			fprintf(fp, ", %" PRIu64 " %s", f->strikes[i] - (held ? held[i] : 0), reason_name(i));
	fprintf(fp, " (ignoreip: %" PRIu64 ", during a running ban: %" PRIu64 ", untracked: %" PRIu64 ")\n",
		p->ignored, p->already_banned, p->untracked);
	if (f->sasl_server || f->sasl_trouble) {
		const struct hold_counters *hc = engine_hold(e) ? hold_counters(engine_hold(e)) : NULL;

		fprintf(fp, "Auth server trouble: %" PRIu64 " SASL failures the server caused (never strike), %" PRIu64
			" warnings that its SASL backend is unreachable; %" PRIu64
			" SASL failures held during auth server trouble (not struck)\n", f->sasl_server, f->sasl_trouble,
			hc ? hc->cancelled : 0);
	}

	for (struct policy_entry *pe = policy_first(engine_policy(e)); pe; pe = policy_next(pe))
		nbans += pe->times_banned > 0;
	fprintf(fp, "%s: %" PRIu64 " bans of %u addresses (maxretry %u, findtime ", dry_run ? "Would ban" : "Banned",
		p->bans, nbans, c->maxretry);
	format_duration(c->findtime, dur, sizeof(dur));
	fprintf(fp, "%s, bantime ", dur);
	format_duration(c->bantime, dur, sizeof(dur));
	fprintf(fp, "%s)\n", dur);
	for (struct policy_entry *pe = policy_first(engine_policy(e)); pe; pe = policy_next(pe)) {
		if (pe->times_banned == 0)
			continue;
		addr_format(&pe->net, a);
		format_duration(pe->last_ban_seconds, dur, sizeof(dur));
		format_rfc3339(pe->ban_until_usec, ts, sizeof(ts));
		fprintf(fp, "  %s/%u  banned %u time%s, last for %s, until %s\n", a, pe->prefix, pe->times_banned,
			pe->times_banned == 1 ? "" : "s", dur, ts);
	}
	if (!dry_run)
		fprintf(fp, "  given to the kernel: %" PRIu64 ", already over: %" PRIu64 ", failed: %" PRIu64
			" (refusals); still waiting: %zu, given after a wait: %" PRIu64 ", dropped: %" PRIu64 "\n",
			ec->bans_applied, ec->bans_expired, ec->ban_errors, engine_pending_bans(e), ec->bans_retried,
			ec->pending_dropped);
	if (c->rules) {
		struct rules_counters *rc = rules_counters(c->rules);
		uint64_t hits;
		const char *name;

		fprintf(fp, "Site rules: %zu (%s), tried on %" PRIu64 " lines; %" PRIu64
			" matches over the match limits (taken as no match), %" PRIu64 " match errors, %" PRIu64
			" strike matches outside a session\n", rules_count(c->rules),
			rules_jit(c->rules) ? "JIT" : "interpreter", rc->lines, rc->limit, rc->errors,
			rc->strike_no_session);
		for (size_t i = 0; (name = rules_name(c->rules, i, &hits)) != NULL; i++)
			fprintf(fp, "  %s  %" PRIu64 " match%s\n", name, hits, hits == 1 ? "" : "es");
	}
	fprintf(fp, "Diagnostics: %" PRIu64 " overlong lines, %" PRIu64 " trace lines inside another client's session, %"
		PRIu64 " sessions adopted mid-way, %" PRIu64 " untrusted smtpd lines, %" PRIu64
		" host+tag pairs over the limit, %" PRIu64 " addresses evicted\n",
		ec->overlong, f->foreign_client, f->no_session, f->untrusted, s->origins_full, p->evicted);
}

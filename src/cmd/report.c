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
 *	void	report_tables(fp, t)
 * DESCRIPTION
 *	report_write() prints what a run did, for a human, the way
 *	fail2ban-regex ends: lines read, lines folded away and kept,
 *	sessions, strikes by reason, and every address that was (or, in a
 *	dry run, would have been) banned, with the duration of its last ban.
 *	With site rules, their matches per rule and the matches that hit a
 *	limit (rules(3)).
 *
 *	report_tables() prints a tally (tally(3)), in the spirit of
 *	pflogsumm: the hourly table (sessions, probing sessions: noauth strikes, password failures:
 *	saslfail strikes, other strikes of site rules, bans; its totals row
 *	is the sum of the hours and equals report_write()'s totals) and the
 *	REPORT_TOP_SHOWN addresses and /64s with the most strikes; the top
 *	lists say when they are not exact. A NULL tally prints nothing.
 * SECURITY
 *	report_tables() prints fixed-size tables: the tally's limits
 *	(tally(3)) are the report's.
 */

#include "report.h"

#include "hold.h"
#include "rules.h"
#include "summary.h"
#include "tally.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REPORT_TOP_SHOWN	10

static void top_print(FILE *fp, struct tally_top *tp, const char *what, unsigned prefix)
{
	char a[ADDR_STRLEN];

	if (tp->n == 0)
		return;
	tally_top_sort(tp);
	fprintf(fp, "Top %s by strikes", what);
	if (tp->rounds)
		fprintf(fp, " (more than %d seen: each count may be short by up to %" PRIu64 ")", TALLY_TOP_TRACK,
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

void report_tables(FILE *fp, struct tally *t)
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

/* What was read, and the sessions it made. */
static void report_input(FILE *fp, struct engine *e, uint64_t bytes, double seconds)
{
	const struct fold_counters *f = fold_counters(engine_fold(e));
	const struct session_counters *s = session_counters(fold_sessions(engine_fold(e)));

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
}

/* The strikes per reason, and the SASL failures that did not strike. */
static void report_strikes(FILE *fp, struct engine *e, const struct config *c)
{
	const struct fold_counters *f = fold_counters(engine_fold(e));
	const struct policy_counters *p = policy_counters(engine_policy(e));
	const struct hold_counters *hc = engine_hold(e) ? hold_counters(engine_hold(e)) : NULL;
	/* the SASL strikes held during auth server trouble were never given */
	const uint64_t *held = hc ? hc->cancelled_reason : NULL;
	/* and those of lines delivered again were counted once (policy(3)) */
	const uint64_t *again = p->redelivered_reason;

	fprintf(fp, "Strikes: %" PRIu64 " noauth, %" PRIu64 " saslfail", f->strikes[REASON_NOAUTH] - again[REASON_NOAUTH],
		f->strikes[REASON_SASLFAIL] - (held ? held[REASON_SASLFAIL] : 0) - again[REASON_SASLFAIL]);
	/* the reasons this configuration's strike rules define */
	for (int i = REASON_BADMECH; i < REASON_COUNT; i++)
		if (c->reasons_defined & UINT32_C(1) << i)
			fprintf(fp, ", %" PRIu64 " %s", f->strikes[i] - (held ? held[i] : 0) - again[i], reason_name(i));
	fprintf(fp, " (ignoreip: %" PRIu64 ", during a running ban: %" PRIu64 ", untracked: %" PRIu64 ")\n",
		p->ignored, p->already_banned, p->untracked);
	if (p->redelivered)
		fprintf(fp, "  delivered again after their session was forgotten, not counted again: %" PRIu64 "\n",
			p->redelivered);
	if (f->sasl_server || f->sasl_trouble)
		fprintf(fp, "Auth server trouble: %" PRIu64 " SASL failures the server caused (never strike), %" PRIu64
			" warnings that its SASL backend is unreachable; %" PRIu64
			" SASL failures held during auth server trouble (not struck)\n", f->sasl_server, f->sasl_trouble,
			hc ? hc->cancelled : 0);
}

/* The bans, each banned address, and what the kernel made of them. */
static void report_bans(FILE *fp, struct engine *e, const struct config *c, bool dry_run)
{
	const struct policy_counters *p = policy_counters(engine_policy(e));
	const struct engine_counters *ec = engine_counters(e);
	char dur[64], ts[64], a[ADDR_STRLEN];
	unsigned nbans = 0;

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
}

/* The site rules and their matches. */
static void report_rules(FILE *fp, const struct config *c)
{
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

void report_write(FILE *fp, struct engine *e, const struct config *c, bool dry_run, uint64_t bytes, double seconds)
{
	const struct fold_counters *f = fold_counters(engine_fold(e));
	const struct session_counters *s = session_counters(fold_sessions(engine_fold(e)));
	const struct policy_counters *p = policy_counters(engine_policy(e));
	const struct engine_counters *ec = engine_counters(e);

	fprintf(fp, "\nResults\n=======\n\n");
	report_input(fp, e, bytes, seconds);
	report_strikes(fp, e, c);
	report_bans(fp, e, c, dry_run);
	if (c->rules)
		report_rules(fp, c);
	fprintf(fp, "Diagnostics: %" PRIu64 " overlong lines, %" PRIu64 " trace lines inside another client's session, %"
		PRIu64 " sessions adopted mid-way, %" PRIu64 " untrusted smtpd lines, %" PRIu64
		" host+tag pairs over the limit, %" PRIu64 " addresses evicted\n",
		ec->overlong, f->foreign_client, f->no_session, f->untrusted, s->origins_full, p->evicted);
}

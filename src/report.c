/*
 * NAME
 *	report 3
 * SUMMARY
 *	the human summary of a run
 * SYNOPSIS
 *	#include "report.h"
 *
 *	void	report_write(fp, e, c, dry_run, bytes, seconds)
 * DESCRIPTION
 *	report_write() prints what a run did, for a human, the way
 *	fail2ban-regex ends: lines read, lines folded away and kept,
 *	sessions, strikes by reason, and every address that was (or, in a
 *	dry run, would have been) banned, with the duration of its last ban.
 *	With site rules, their matches per rule and the matches that hit a
 *	limit (rules(3)).
 */

#include "report.h"

#include "rules.h"
#include "summary.h"

#include <inttypes.h>

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
	fprintf(fp, "Strikes: %" PRIu64 " noauth, %" PRIu64 " saslfail", f->strikes[REASON_NOAUTH],
		f->strikes[REASON_SASLFAIL]);
	/* the reasons this configuration's strike rules define */
	for (int i = REASON_BUILTIN; i < REASON_COUNT; i++)
		if (c->reasons_defined & UINT32_C(1) << i)
			fprintf(fp, ", %" PRIu64 " %s", f->strikes[i], reason_name(i));
	fprintf(fp, " (ignoreip: %" PRIu64 ", during a running ban: %" PRIu64 ", untracked: %" PRIu64 ")\n",
		p->ignored, p->already_banned, p->untracked);

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

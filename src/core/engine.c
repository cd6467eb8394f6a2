/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	engine 3
 * SUMMARY
 *	one log pipeline: fold, policy, summary, events, bans
 * SYNOPSIS
 *	#include "engine.h"
 *
 *	struct engine *engine_new(c, o)
 *	int	engine_line(e, line, len, complete)
 *	int	engine_line_from(e, line, len, complete, may_decide, fold_chatter)
 *	int	engine_tail(e, p, n, last)
 *	int	engine_record(e, r)
 *	int	engine_flush(e)
 *	size_t	engine_retry_bans(e, force)
 *	void	engine_ban_state(e, ret)
 *	bool	engine_ban_news(e, seen, msg, msglen)
 *	int	engine_hold_flush(e)
 *	int	engine_hold_tick(e, ret_given)
 *	int	engine_hold_restore(e, r, rule, reason, addr, client, client_len)
 *	int64_t	engine_hold_clock(e)
 *	void	engine_hold_set_clock(e, usec)
 *	struct hold *engine_hold(e)
 *	void	engine_free(e)
 *	void	engine_set_quiet(e, quiet)
 *	int	engine_settle(e, traced)
 *	const char *engine_error(e)
 *	struct fold *engine_fold(e)
 *	struct policy *engine_policy(e)
 *	const struct engine_counters *engine_counters(e)
 *	struct output *engine_events(e)
 *	size_t	engine_pending_bans(e)
 *	const struct engine_ban *engine_pending_ban(e, i)
 *	void	engine_queue_ban(e, b)
 *	size_t	engine_unqueue_bans(e, net)
 *	void	engine_restore_ban_error(e, since_usec, error)
 * DESCRIPTION
 *	The engine is what every source (replay, omprog, journal) drives: a
 *	record goes through fold(3); kept lines and synthetic lines go to the
 *	summary output in order; a strike goes to the events log and to the
 *	policy(3); a ban decision goes to the events log and, unless this is
 *	a dry run, to the ban backend.
 *
 *	The policy's clock is the record's own time. A ban is given to the
 *	kernel for what is left of it on the wall clock, so a replay of old
 *	logs applies only the bans that would still be running, for their
 *	remaining time.
 *
 *	A ban the backend refused, or could not be given (the set is full,
 *	the kernel refuses, no permission), never fails a line or a flush:
 *	it waits in a queue of at most ENGINE_PENDING_MAX (the oldest goes
 *	first when it is full, counted in pending_dropped) and
 *	engine_retry_bans() gives it again. After a refusal the queue waits
 *	ENGINE_RETRY_MIN_USEC on the monotonic clock, twice as long after
 *	each further one, at most ENGINE_RETRY_MAX_USEC; a retry that works
 *	goes on with the next waiting bans at once (ENGINE_RETRY_BATCH per
 *	call). While bans wait, a new ban joins the queue without a kernel
 *	call of its own, so a refusing kernel costs one call per wait, not
 *	one per strike. A ban refused as invalid (-EINVAL) can never work
 *	and is dropped. engine_flush() writes out the outputs, then calls
 *	engine_retry_bans(): only an output it cannot write makes it fail,
 *	so a caller that acknowledges lines (omprog) acknowledges once the
 *	outputs are written, whatever the kernel does with the bans.
 *	engine_unqueue_bans() drops the waiting bans that overlap a network,
 *	so that an unban (bans(3)) is not undone by the next retry.
 *
 *	This module does not log. engine_ban_state() tells how many bans
 *	wait, since when and the last refusal; state(3) saves it for
 *	authfold status. engine_ban_news() gives a daemon one message per
 *	new cause (the backend's message, without the address) and one when
 *	the queue is empty again.
 *
 *	SASL strikes (saslfail, badmech) wait authserver_hold of log time
 *	in hold(3) before they go to the events log and the policy: a sign
 *	of auth server trouble at their origin (fold(3)'s sasl_trouble)
 *	within that time before or after them cancels them (counted), also
 *	when it arrives after them. Each line's time moves the log clock
 *	that releases them; engine_hold_tick() lets a daemon's idle time
 *	move it on (from the latest line, as the monotonic clock runs), and
 *	engine_hold_flush() gives them all (end of input). Strikes given
 *	later have their tally and events then. engine_hold_restore() puts
 *	back one that a state file held (state(3)), engine_hold_set_clock()
 *	the log clock it saved (engine_hold_clock()), so that a line journal
 *	fed back gives the held strikes where they were given.
 *
 *	engine_options.on_ban, when set, hears of every ban decided (not of
 *	restores, retries or quiet lines): the daemons publish it there.
 *
 *	With a WAL output, every line that changes the state (connect,
 *	disconnect, -v trace, SASL failure) is copied there once the summary
 *	and events holding its outputs are written (engine_flush()), so a
 *	program killed between two checkpoints can feed those lines back,
 *	quietly, and have the state it had; a line whose outputs may not be
 *	written is not fed back but sent again by rsyslog and judged again
 *	(at worst a line or a strike twice, never a synthetic line or a
 *	strike lost).
 *
 *	engine_line_from() is engine_line() for a line whose sender is
 *	known (sender(3)): with may_decide false the line is written to the
 *	summary as it is and decides nothing (record.trusted false): it
 *	opens, closes or changes no session and never strikes; with
 *	fold_chatter (root's lines: smtpd logs its -v start-up chatter before
 *	it drops privileges) a line of smtpd -v chatter is folded away all
 *	the same.
 *
 *	engine_line() reads the wall clock for every line with a traditional
 *	timestamp (CLOCK_REALTIME_COARSE: exact to milliseconds, ~10 ns), as
 *	the reference for its year (record(3)): a daemon that heard nothing
 *	for days still dates the next line right. The clock is a parameter
 *	(o->clock) so that tests set it. Lines longer than ENGINE_LINE_MAX are
 *	judged by their head; the tail is written only when the line is
 *	written, so nothing kept is ever cut.
 * DIAGNOSTICS
 *	Functions return 0 or a negative errno; engine_error() describes the
 *	last output failure (its path). Backend refusals are not errors of
 *	any function: see engine_ban_state().
 */

#include "engine.h"

#include "events.h"
#include "hold.h"
#include "tally.h"
#include "summary.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct engine {
	const struct config *c;
	struct engine_options o;
	struct fold *fold;
	struct policy *policy;
	struct hold *hold;		/* NULL: authserver_hold = 0 */
	int64_t hold_clock;		/* the latest log time seen */
	int64_t hold_clock_mono;	/* monotonic µs when it was seen */
	struct engine_counters counters;
	bool tail_written;		/* the current overlong line is being written */
	bool quiet;			/* state only: see engine_set_quiet() */
	char *walq;			/* lines for the WAL, written once the outputs are */
	size_t walq_len, walq_cap;
	/* bans waiting for the backend: a ring of ENGINE_PENDING_MAX */
	struct engine_ban *pending;
	size_t phead, npending;
	int64_t retry_at;		/* monotonic µs of the next retry */
	int64_t retry_delay;		/* the wait after the last refusal; 0: none */
	int64_t ban_since;		/* wall µs of the first refusal while bans wait; 0 */
	uint64_t cause_gen;
	char ban_cause[256];		/* the backend's message of the last refusal */
	char ban_error[512];		/* "cannot ban ADDR/PREFIX: cause" */
	char error[512];		/* the last output failure */
};

static int64_t wall_usec(const struct engine *e)
{
	struct timespec ts;

	if (e->o.clock)
		return e->o.clock();
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The reference for years (record(3)): the coarse wall clock is exact to a
   few milliseconds, plenty for a rule about days, and a third of the cost. */
static int64_t parse_usec(const struct engine *e)
{
	struct timespec ts;

	if (e->o.clock)
		return e->o.clock();
	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t mono_usec(const struct engine *e)
{
	struct timespec ts;

	if (e->o.monotonic)
		return e->o.monotonic();
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

struct engine *engine_new(const struct config *c, const struct engine_options *o)
{
	struct engine *e = calloc(1, sizeof(*e));

	if (e == NULL)
		return NULL;
	e->c = c;
	e->o = *o;
	e->fold = fold_new(c);
	e->policy = policy_new(c);
	e->pending = calloc(ENGINE_PENDING_MAX, sizeof(*e->pending));
	if (c->authserver_hold > 0 && (e->hold = hold_new(c->authserver_hold * 1000000)) == NULL) {
		engine_free(e);
		return NULL;
	}
	if (e->fold == NULL || e->policy == NULL || e->pending == NULL) {
		engine_free(e);
		return NULL;
	}
	return e;
}

void engine_free(struct engine *e)
{
	if (e == NULL)
		return;
	fold_free(e->fold);
	policy_free(e->policy);
	hold_free(e->hold);
	free(e->walq);
	free(e->pending);
	free(e);
}

const char *engine_error(const struct engine *e)
{
	return e->error;
}

struct hold *engine_hold(struct engine *e)
{
	return e->hold;
}

struct fold *engine_fold(struct engine *e)
{
	return e->fold;
}

struct policy *engine_policy(struct engine *e)
{
	return e->policy;
}

struct output *engine_events(struct engine *e)
{
	return e->quiet ? NULL : e->o.events;
}

const struct engine_counters *engine_counters(const struct engine *e)
{
	return &e->counters;
}

size_t engine_pending_bans(const struct engine *e)
{
	return e->npending;
}

static struct engine_ban *pending_at(const struct engine *e, size_t i)
{
	return &e->pending[(e->phead + i) % ENGINE_PENDING_MAX];
}

const struct engine_ban *engine_pending_ban(const struct engine *e, size_t i)
{
	return i < e->npending ? pending_at(e, i) : NULL;
}

static int output_failed(struct engine *e, struct output *o, int r)
{
	e->counters.write_errors++;
	snprintf(e->error, sizeof(e->error), "cannot write '%s': %s", output_path(o), strerror(-r));
	return r;
}

/* No ban waits any more: the run of refusals is over. */
static void bans_caught_up(struct engine *e)
{
	e->retry_delay = 0;
	e->ban_since = 0;
	e->ban_cause[0] = e->ban_error[0] = 0;
}

/* A refusal: remember its cause and wait longer before the next try. */
static void ban_refused(struct engine *e, const struct engine_ban *b, int r, const char *why)
{
	char a[ADDR_STRLEN];
	const char *cause = why[0] ? why : strerror(-r);

	e->counters.ban_errors++;
	if (e->ban_since == 0) {
		e->ban_since = wall_usec(e);
		e->ban_cause[0] = 0;
		e->cause_gen++;		/* a new run: its first cause is news */
	} else if (strncmp(e->ban_cause, cause, sizeof(e->ban_cause) - 1) != 0) {
		e->cause_gen++;
	}
	snprintf(e->ban_cause, sizeof(e->ban_cause), "%s", cause);
	addr_format(&b->net, a);
	snprintf(e->ban_error, sizeof(e->ban_error), "cannot ban %s/%u: %s", a, b->prefix, cause);
	e->retry_delay = e->retry_delay == 0 ? ENGINE_RETRY_MIN_USEC :
			 e->retry_delay >= ENGINE_RETRY_MAX_USEC / 2 ? ENGINE_RETRY_MAX_USEC : e->retry_delay * 2;
	e->retry_at = mono_usec(e) + e->retry_delay;
}

/* Gives one ban to the kernel: 1 given, 0 over already (not given), or
   the backend's <0 with its message in why. */
static int apply_ban(struct engine *e, const struct engine_ban *b, char *why, size_t whylen)
{
	int64_t left = (b->until_usec - wall_usec(e) + 999999) / 1000000;
	int r;

	why[0] = 0;
	if (left <= 0) {
		e->counters.bans_expired++;
		return 0;
	}
	if (left > IPSET_TIMEOUT_MAX)
		left = IPSET_TIMEOUT_MAX;
	r = e->o.backend->add(e->o.backend->data, &b->net, b->prefix, (unsigned) left, why, whylen);
	if (r < 0)
		return r;
	e->counters.bans_applied++;
	return 1;
}

void engine_queue_ban(struct engine *e, const struct engine_ban *b)
{
	if (e->npending == ENGINE_PENDING_MAX) {
		e->phead = (e->phead + 1) % ENGINE_PENDING_MAX;
		e->npending--;
		e->counters.pending_dropped++;
	}
	*pending_at(e, e->npending++) = *b;
}

size_t engine_unqueue_bans(struct engine *e, const struct cidr *net)
{
	size_t kept = 0, n = e->npending;

	for (size_t i = 0; i < n; i++) {
		const struct engine_ban b = *pending_at(e, i);

		if (!cidr_overlaps(net, &(struct cidr){b.net, b.prefix}))
			*pending_at(e, kept++) = b;
	}
	e->npending = kept;
	if (kept == 0)
		bans_caught_up(e);
	return n - kept;
}

size_t engine_retry_bans(struct engine *e, bool force)
{
	char why[256];
	size_t given = 0;

	if (e->npending == 0 || e->o.backend == NULL || (!force && mono_usec(e) < e->retry_at))
		return 0;
	for (unsigned tried = 0; e->npending > 0 && tried < ENGINE_RETRY_BATCH; tried++) {
		struct engine_ban *b = pending_at(e, 0);
		int r = apply_ban(e, b, why, sizeof(why));

		if (r < 0 && r != -EINVAL) {
			ban_refused(e, b, r, why);
			return given;
		}
		if (r == -EINVAL) {	/* can never work: drop it, counted */
			ban_refused(e, b, r, why);
			e->counters.pending_dropped++;
		} else if (r > 0) {
			e->counters.bans_retried++;
			given++;
		}
		e->phead = (e->phead + 1) % ENGINE_PENDING_MAX;
		e->npending--;
	}
	if (e->npending == 0)
		bans_caught_up(e);
	else
		e->retry_at = mono_usec(e);	/* the batch is done: go on at the next call */
	return given;
}

void engine_ban_state(const struct engine *e, struct engine_ban_state *ret)
{
	ret->waiting = e->npending;
	ret->since_usec = e->npending ? e->ban_since : 0;
	ret->error = e->npending ? e->ban_error : "";
	ret->cause_gen = e->cause_gen;
}

void engine_restore_ban_error(struct engine *e, int64_t since_usec, const char *error)
{
	const char *cause = strncmp(error, "cannot ban ", 11) == 0 ? strstr(error, ": ") : NULL;

	snprintf(e->ban_error, sizeof(e->ban_error), "%s", error);
	/* the cause without the address, so that the same refusal after a
	   restart is not news twice */
	snprintf(e->ban_cause, sizeof(e->ban_cause), "%s", cause ? cause + 2 : error);
	e->ban_since = since_usec > 0 ? since_usec : wall_usec(e);
	e->cause_gen++;
}

bool engine_ban_news(const struct engine *e, struct engine_ban_seen *seen, char *msg, size_t msglen)
{
	if (e->npending > 0 && seen->cause_gen != e->cause_gen && e->ban_error[0]) {
		seen->cause_gen = e->cause_gen;
		seen->waiting = true;
		snprintf(msg, msglen, "%zu ban%s waiting for the kernel, retried with backoff (up to %ds): %s",
			 e->npending, e->npending == 1 ? "" : "s", ENGINE_RETRY_MAX_USEC / 1000000, e->ban_error);
		return true;
	}
	if (e->npending == 0 && seen->waiting) {
		seen->waiting = false;
		seen->cause_gen = e->cause_gen;
		snprintf(msg, msglen, "no ban waits for the kernel any more (%" PRIu64 " given late, %" PRIu64
			 " dropped, %" PRIu64 " refusals in all)", e->counters.bans_retried, e->counters.pending_dropped,
			 e->counters.ban_errors);
		return true;
	}
	return false;
}

void engine_set_quiet(struct engine *e, bool quiet)
{
	e->quiet = quiet;
}

/*
 * A ban decision: to the kernel now, or to the queue when bans wait
 * already or the backend refuses; never an error. Returns the seconds
 * the kernel got (0: over already), or -1 (queued, or a dry run).
 */
static int64_t ban(struct engine *e, const struct policy_decision *d)
{
	struct engine_ban b = {d->net, d->prefix, d->until_usec};
	uint64_t before = e->counters.bans_applied;
	char why[256];
	int r;

	if (e->o.backend == NULL)
		return -1;
	if (e->npending > 0)
		(void) engine_retry_bans(e, false);	/* only when the backoff allows */
	if (e->npending > 0) {
		engine_queue_ban(e, &b);
		return -1;
	}
	if ((r = apply_ban(e, &b, why, sizeof(why))) < 0) {
		ban_refused(e, &b, r, why);
		if (r == -EINVAL) {
			e->counters.pending_dropped++;
			bans_caught_up(e);
		} else {
			engine_queue_ban(e, &b);
		}
		return -1;
	}
	return e->counters.bans_applied > before ? (d->until_usec - wall_usec(e) + 999999) / 1000000 : 0;
}

/* A strike: policy, then (unless the policy knew it: redelivered) its
   tally, events (unless events_ok is false: an output failed for this
   line already), ban. <0 only when an output or memory fails. */
static int strike(struct engine *e, const struct record *r, const struct fold_result *res, bool events_ok)
{
	struct policy_decision d;
	int ret;
	int64_t now = r->usec >= 0 ? r->usec : wall_usec(e);
	/* the session's identity: a line delivered again after its session
	   was forgotten gives the same strike again, counted once (policy(3)).
	   Only with sub-second timestamps: in one second one process serves
	   several sessions of one client, which only the order tells apart. */
	uint64_t key = r->usec >= 0 && r->usec % 1000000 != 0 ?
		policy_strike_key(r->host.p, r->host.len, r->tag.p, r->tag.len, r->pid, &res->addr, r->usec) : 0;

	if ((ret = policy_strike_seen(e->policy, &res->addr, res->reason, now, key, &d)) < 0)
		return ret;
	if (d.verdict == POLICY_REDELIVERED)
		return 0;
	if (e->o.tally)
		tally_strike(e->o.tally, now, res->reason, &res->addr);
	if (e->quiet) {
		if (d.verdict == POLICY_BAN)
			tally_ban(e->o.tally, now, &d.net, d.prefix);
		return 0;
	}

	int werr = 0;

	if (e->o.events && events_ok) {
		struct events_strike s = {r, res->reason, &res->addr, res->client, res->client_len, res->rule};

		if ((ret = events_strike(e->o.events, &s)) < 0)
			werr = output_failed(e, e->o.events, ret);
	}
	if (d.verdict != POLICY_BAN)
		return werr;
	tally_ban(e->o.tally, now, &d.net, d.prefix);

	int64_t applied = ban(e, &d);

	if (e->o.on_ban) {
		struct engine_decided ed = {d.net, d.prefix, d.until_usec, res->reason, now};

		e->o.on_ban(e->o.on_ban_data, &ed);
	}
	if (e->o.events && events_ok && werr == 0) {
		const char *set = e->o.backend ? (d.net.family == AF_INET ? e->o.backend->set4 : e->o.backend->set6) : NULL;
		struct events_ban eb = {r, &d.net, d.prefix, d.seconds, d.strikes, set, e->o.backend == NULL,
					applied > d.seconds ? d.seconds : applied};

		if ((ret = events_ban(e->o.events, &eb)) < 0)
			werr = output_failed(e, e->o.events, ret);
	}
	return werr;
}

/* A strike given now. */
static int strike_now(struct engine *e, const struct record *r, const struct fold_result *res, bool events_ok)
{
	return strike(e, r, res, events_ok);
}

/*
 * A held SASL strike whose wait is over: given unless its origin's auth
 * server was in trouble around it. As the engine is now: while a line
 * journal is fed back (quiet), the strikes given before the restart are
 * given again quietly; one still held then is given loudly once it is
 * over (at worst twice in the events log, as a strike whose line came
 * just before a kill).
 */
static int judge_held(struct engine *e, const struct hold_strike *s)
{
	struct hold_counters *hc = hold_counters(e->hold);
	struct fold_result res;

	if (hold_troubled(e->hold, s->r.host, s->r.tag, s->r.usec)) {
		hc->cancelled++;
		hc->cancelled_reason[s->reason]++;
		return 0;
	}
	res.strike = true;
	res.rule = s->rule;
	res.reason = s->reason;
	res.addr = s->addr;
	res.client_len = s->client_len;
	memcpy(res.client, s->client, s->client_len);
	return strike_now(e, &s->r, &res, true);
}

/* Held SASL strikes whose wait is over at log time now (INT64_MAX: all). */
static int hold_release(struct engine *e, int64_t now)
{
	const struct hold_strike *s;
	int ret, werr = 0;

	if (e->hold == NULL || hold_count(e->hold) == 0)	/* most lines: nothing held */
		return 0;
	while ((s = hold_due(e->hold, now)) != NULL) {
		if ((ret = judge_held(e, s)) < 0 && werr == 0)
			werr = ret;
		hold_pop(e->hold);
	}
	return werr;
}

/* A strike: SASL ones wait out the authserver_hold window (hold(3)). */
static int strike_or_hold(struct engine *e, const struct record *r, const struct fold_result *res, bool events_ok)
{
	int werr = 0;

	if (e->hold == NULL || r->usec < 0 || (res->reason != REASON_SASLFAIL && res->reason != REASON_BADMECH))
		return strike_now(e, r, res, events_ok);
	if (hold_count(e->hold) == HOLD_MAX) {	/* full: the oldest is judged now */
		hold_counters(e->hold)->early++;
		werr = judge_held(e, hold_due(e->hold, INT64_MAX));
		hold_pop(e->hold);
	}
	if (hold_put(e->hold, r, res->rule, res->reason, &res->addr, res->client, res->client_len) < 0)
		return strike_now(e, r, res, events_ok);
	return werr;
}

static void explain(struct engine *e, const struct fold_result *res)
{
	char buf[512];		/* site rules: rule names carry a file name */
	const char *what = res->action == FOLD_DROP ? "drop" : res->action == FOLD_KEEP ? "keep" : "pass";
	int n = snprintf(buf, sizeof(buf), "# %s %s%s%s%s: ", what, res->rule,
			 res->synthetic ? " +synthetic" : "", res->strike ? " +strike=" : "",
			 res->strike ? reason_name(res->reason) : "");

	if (n > 0)
		(void) output_write(e->o.summary, buf, (size_t) n < sizeof(buf) ? (size_t) n : sizeof(buf) - 1);
}

static int wal_queue(struct engine *e, const char *p, size_t n);

/*
 * Verdicts the fold gave after their line, written before the current
 * line. Like a line's own (see judge()), a verdict whose output fails is
 * still counted: the first failure is returned, nothing is judged twice.
 */
static int judge_late_all(struct engine *e)
{
	const struct fold_late *l;
	struct fold_result res;
	int ret, werr = 0;

	while ((l = fold_late_peek(e->fold)) != NULL) {
		if (!e->quiet && werr == 0 && l->synthetic &&
		    (ret = summary_synthetic(e->o.summary, &l->r, e->c->summary_format, l->client, l->client_len)) < 0)
			werr = output_failed(e, e->o.summary, ret);
		if (l->strike) {
			res.strike = true;
			res.rule = l->rule;
			res.reason = l->reason;
			res.addr = l->addr;
			res.client_len = l->client_len;
			memcpy(res.client, l->client, l->client_len);
			if ((ret = strike_or_hold(e, &l->r, &res, werr == 0)) < 0 && werr == 0)
				werr = ret;
		}
		fold_late_pop(e->fold);
	}
	return werr;
}

/* judge_late_all(), called only when there is a late result: most lines
   have none, and the call costs more than the look (issue 24). */
static int judge_late(struct engine *e)
{
	return fold_late_peek(e->fold) != NULL ? judge_late_all(e) : 0;
}

int engine_hold_flush(struct engine *e)
{
	return hold_release(e, INT64_MAX);
}

int64_t engine_hold_clock(const struct engine *e)
{
	return e->hold ? e->hold_clock : 0;
}

void engine_hold_set_clock(struct engine *e, int64_t usec)
{
	if (e->hold && usec > e->hold_clock) {
		e->hold_clock = usec;
		e->hold_clock_mono = mono_usec(e);
	}
}

int engine_hold_restore(struct engine *e, const struct record *r, const char *rule, enum reason reason,
			const struct addr *addr, const char *client, size_t client_len)
{
	if (e->hold == NULL) {	/* authserver_hold is 0 now: given at once */
		struct fold_result res;

		res.strike = true;
		res.rule = rule;
		res.reason = reason;
		res.addr = *addr;
		res.client_len = client_len < sizeof(res.client) ? client_len : sizeof(res.client);
		memcpy(res.client, client, res.client_len);
		return strike_now(e, r, &res, true);
	}
	if (r->usec > e->hold_clock) {
		e->hold_clock = r->usec;
		e->hold_clock_mono = mono_usec(e);
	}
	return hold_put(e->hold, r, rule, reason, addr, client, client_len);
}

int engine_hold_tick(struct engine *e, size_t *ret_given)
{
	size_t before;
	int64_t now;
	int r;

	if (e->hold == NULL || hold_count(e->hold) == 0) {
		*ret_given = 0;
		return 0;
	}
	/* No line may come for long: the log clock runs on, from the latest
	   log time, as the time since that line came. Not the wall clock: a
	   backlog of old lines is judged as replay(8) judges it. */
	now = e->hold_clock + (mono_usec(e) - e->hold_clock_mono);
	before = hold_count(e->hold);
	r = hold_release(e, now);
	*ret_given = before - hold_count(e->hold);
	return r;
}

int engine_settle(struct engine *e, bool traced)
{
	size_t left;
	int ret, werr = 0;

	do {
		left = fold_settle(e->fold, traced);
		if ((ret = judge_late(e)) < 0 && werr == 0)
			werr = ret;
	} while (left > 0);
	return werr;
}

/*
 * One record: fold, outputs, strike. When an output refuses a write (its
 * buffer is full, or memory ran out) the outputs of this line stop there,
 * but the fold and the strike are done all the same: the caller must not
 * judge the line again (omprog remembers it), or it would count twice.
 */
static int judge(struct engine *e, const struct record *r, bool complete)
{
	struct fold_result res;
	struct output *sum = e->o.summary;
	const struct session_counters *sc = session_counters(fold_sessions(e->fold));
	uint64_t opened = e->o.tally ? sc->opened + sc->adopted : 0;
	int ret, werr = 0;
	bool released = false;	/* this line's time gave held strikes */

	e->error[0] = 0;	/* engine_error() tells about this line */
	if ((ret = fold_line(e->fold, r, &res)) < 0)
		return ret;
	werr = judge_late(e);
	if (e->o.tally)
		tally_sessions(e->o.tally, r->usec >= 0 ? r->usec : wall_usec(e), sc->opened + sc->adopted - opened);
	if (e->hold && r->usec >= 0) {
		if (res.sasl_trouble)
			hold_trouble(e->hold, r->host, r->tag, r->usec);
		if (r->usec > e->hold_clock) {
			e->hold_clock = r->usec;
			e->hold_clock_mono = mono_usec(e);
		}
		size_t held = hold_count(e->hold);

		if ((ret = hold_release(e, e->hold_clock)) < 0 && werr == 0)
			werr = ret;
		released = hold_count(e->hold) != held;
	}
	e->tail_written = false;
	if (e->quiet)
		return res.strike ? strike_or_hold(e, r, &res, false) : 0;
	/* a line whose time gave held strikes goes too, whatever it is, so
	   that a line journal fed back gives them at the same place */
	if (e->o.wal && (released || (res.action != FOLD_PASS && (res.strike || res.sasl_trouble ||
	    (res.kind != SMTPD_CHATTER && res.kind != SMTPD_KEEP)))) &&
	    r->format != RECORD_JOURNAL && (ret = wal_queue(e, r->line.p, r->line.len)) < 0)
		werr = output_failed(e, e->o.wal, ret);
	if (werr == 0 && res.synthetic && res.synthetic_before &&
	    (ret = summary_synthetic(sum, r, e->c->summary_format, res.client, res.client_len)) < 0)
		werr = output_failed(e, sum, ret);
	if (werr == 0 && e->o.explain)
		explain(e, &res);
	if (werr == 0 && (res.action != FOLD_DROP || e->o.explain)) {
		if ((ret = summary_write(sum, r, e->c->summary_format, NULL, 0, complete)) < 0)
			werr = output_failed(e, sum, ret);
		else
			e->tail_written = true;
	}
	if (werr == 0 && res.synthetic && !res.synthetic_before &&
	    (ret = summary_synthetic(sum, r, e->c->summary_format, res.client, res.client_len)) < 0)
		werr = output_failed(e, sum, ret);
	if (res.strike && (ret = strike_or_hold(e, r, &res, werr == 0)) < 0 && werr == 0)
		werr = ret;
	return werr;
}

int engine_record(struct engine *e, const struct record *r)
{
	return judge(e, r, true);
}

int engine_line(struct engine *e, const char *line, size_t len, bool complete)
{
	return engine_line_from(e, line, len, complete, true, false);
}

int engine_line_from(struct engine *e, const char *line, size_t len, bool complete, bool may_decide, bool fold_chatter)
{
	struct record r;

	if (!complete)
		e->counters.overlong++;
	/* The reference picks the year of traditional timestamps: read for
	   every such line (a vDSO call, ~10 ns), never stale after days of
	   silence. Only they need it: they start with a month's capital
	   letter, RFC 3339 ones with a digit. */
	record_parse(line, len, len > 0 && line[0] >= 'A' && line[0] <= 'Z' ? parse_usec(e) : 0, &r);
	r.trusted = r.trusted && may_decide;
	r.fold_chatter = !r.trusted && fold_chatter;
	return judge(e, &r, complete);
}

int engine_tail(struct engine *e, const char *p, size_t n, bool last)
{
	int ret;

	if (!e->tail_written)
		return 0;
	if ((ret = output_write(e->o.summary, p, n)) < 0 || (last && (ret = output_write(e->o.summary, "\n", 1)) < 0))
		return output_failed(e, e->o.summary, ret);
	return 0;
}

/* The WAL gets a line only once its outputs are written (engine_flush()):
   a program killed in between feeds back fewer lines, and the resent line
   is judged again (a line or a strike twice at worst, never one lost). A
   queue past ENGINE_WAL_QUEUE_MAX goes to the WAL at once. */
static int wal_put(struct engine *e)
{
	int r = 0;

	if (e->walq_len > 0 && (r = output_write(e->o.wal, e->walq, e->walq_len)) == 0)
		e->walq_len = 0;
	return r;
}

static int wal_queue(struct engine *e, const char *p, size_t n)
{
	int r;

	if (e->walq_len + n + 1 > e->walq_cap) {
		size_t cap = e->walq_cap ? e->walq_cap : 4096;
		char *q;

		while (cap < e->walq_len + n + 1 && cap < ENGINE_WAL_QUEUE_MAX)
			cap *= 2;
		if (e->walq_len + n + 1 > cap) {	/* too much between two flushes */
			if ((r = wal_put(e)) < 0 || (r = output_write(e->o.wal, p, n)) < 0 ||
			    (r = output_write(e->o.wal, "\n", 1)) < 0)
				return r;
			return 0;
		}
		if ((q = realloc(e->walq, cap)) == NULL)
			return -ENOMEM;
		e->walq = q;
		e->walq_cap = cap;
	}
	memcpy(e->walq + e->walq_len, p, n);
	e->walq[e->walq_len + n] = '\n';
	e->walq_len += n + 1;
	return 0;
}

int engine_flush(struct engine *e)
{
	int r;

	if ((r = output_flush(e->o.summary)) < 0)
		return output_failed(e, e->o.summary, r);
	if (e->o.events && (r = output_flush(e->o.events)) < 0)
		return output_failed(e, e->o.events, r);
	if (e->o.wal && ((r = wal_put(e)) < 0 || (r = output_flush(e->o.wal)) < 0))
		return output_failed(e, e->o.wal, r);
	(void) engine_retry_bans(e, false);
	return 0;
}

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
 *	int	engine_tail(e, p, n, last)
 *	int	engine_record(e, r)
 *	int	engine_flush(e)
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
 *	A ban the backend refused is kept (at most ENGINE_PENDING_MAX) and
 *	retried by engine_flush(), which also writes out the outputs: a
 *	caller that acknowledges lines (omprog) acknowledges only after
 *	engine_flush() returned 0. engine_unqueue_bans() drops the waiting
 *	bans that overlap a network, so that an unban (bans(3)) is not
 *	undone by the next retry.
 *
 *	engine_options.on_ban, when set, hears of every ban decided (not of
 *	restores, retries or quiet lines): the daemons publish it there.
 *
 *	With a WAL output, every line that changes the state (connect,
 *	disconnect, -v trace, SASL failure) is copied there before the
 *	summary is flushed, so a program killed between two checkpoints can
 *	feed those lines back, quietly, and have the state it had.
 *
 *	engine_line() parses with the wall clock as the reference for
 *	timestamps without a year. Lines longer than ENGINE_LINE_MAX are
 *	judged by their head; the tail is written only when the line is
 *	written, so nothing kept is ever cut.
 * DIAGNOSTICS
 *	Functions return 0 or a negative errno; engine_error() describes the
 *	last failure (output path, backend message).
 */

#include "engine.h"

#include "events.h"
#include "summary.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct engine {
	const struct config *c;
	struct engine_options o;
	struct fold *fold;
	struct policy *policy;
	struct engine_counters counters;
	bool tail_written;		/* the current overlong line is being written */
	bool quiet;			/* state only: see engine_set_quiet() */
	int64_t parse_now;		/* wall clock for year inference, refreshed */
	unsigned parse_now_age;		/* lines since parse_now was read */
	struct engine_ban *pending;
	size_t npending;
	char error[512];
};

static int64_t wall_usec(const struct engine *e)
{
	struct timespec ts;

	if (e->o.clock)
		return e->o.clock();
	clock_gettime(CLOCK_REALTIME, &ts);
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
	free(e->pending);
	free(e);
}

const char *engine_error(const struct engine *e)
{
	return e->error;
}

struct fold *engine_fold(struct engine *e)
{
	return e->fold;
}

struct policy *engine_policy(struct engine *e)
{
	return e->policy;
}

const struct engine_counters *engine_counters(const struct engine *e)
{
	return &e->counters;
}

size_t engine_pending_bans(const struct engine *e)
{
	return e->npending;
}

const struct engine_ban *engine_pending_ban(const struct engine *e, size_t i)
{
	return i < e->npending ? &e->pending[i] : NULL;
}

static int output_failed(struct engine *e, struct output *o, int r)
{
	e->counters.write_errors++;
	snprintf(e->error, sizeof(e->error), "cannot write '%s': %s", output_path(o), strerror(-r));
	return r;
}

/* Gives one ban to the kernel; 0, or <0 with e->error set. */
static int apply_ban(struct engine *e, const struct engine_ban *b)
{
	char err[256] = "";
	int64_t left = (b->until_usec - wall_usec(e) + 999999) / 1000000;
	int r;

	if (left <= 0) {
		e->counters.bans_expired++;
		return 0;
	}
	if (left > IPSET_TIMEOUT_MAX)
		left = IPSET_TIMEOUT_MAX;
	r = e->o.backend->add(e->o.backend->data, &b->net, b->prefix, (unsigned) left, err, sizeof(err));
	if (r < 0) {
		char a[ADDR_STRLEN];

		addr_format(&b->net, a);
		e->counters.ban_errors++;
		snprintf(e->error, sizeof(e->error), "cannot ban %s/%u: %s", a, b->prefix, err[0] ? err : strerror(-r));
		return r;
	}
	e->counters.bans_applied++;
	return 0;
}

void engine_queue_ban(struct engine *e, const struct engine_ban *b)
{
	if (e->npending == ENGINE_PENDING_MAX) {
		memmove(e->pending, e->pending + 1, (ENGINE_PENDING_MAX - 1) * sizeof(*e->pending));
		e->npending--;
		e->counters.pending_dropped++;
	}
	e->pending[e->npending++] = *b;
}

size_t engine_unqueue_bans(struct engine *e, const struct cidr *net)
{
	size_t kept = 0, n = e->npending;

	for (size_t i = 0; i < n; i++) {
		const struct engine_ban *b = &e->pending[i];
		struct cidr c = {b->net, b->prefix};
		bool overlap = b->net.family == net->net.family &&
			       (b->prefix >= net->prefix ? cidr_contains(net, &b->net) : cidr_contains(&c, &net->net));

		if (!overlap)
			e->pending[kept++] = *b;
	}
	e->npending = kept;
	return n - kept;
}

void engine_set_quiet(struct engine *e, bool quiet)
{
	e->quiet = quiet;
}

static int strike(struct engine *e, const struct record *r, const struct fold_result *res)
{
	struct policy_decision d;
	int ret;
	int64_t now = r->usec >= 0 ? r->usec : wall_usec(e);

	if (e->quiet)
		return policy_strike(e->policy, &res->addr, res->reason, now, &d);

	if (e->o.events) {
		struct events_strike s = {r, res->reason, &res->addr, res->client, res->client_len};

		if ((ret = events_strike(e->o.events, &s)) < 0)
			return output_failed(e, e->o.events, ret);
	}
	if ((ret = policy_strike(e->policy, &res->addr, res->reason, now, &d)) < 0)
		return ret;
	if (d.verdict != POLICY_BAN)
		return 0;

	struct engine_ban b = {d.net, d.prefix, d.until_usec};
	int64_t applied = -1;
	int bret = 0;

	if (e->o.backend) {
		uint64_t before = e->counters.bans_applied;

		bret = apply_ban(e, &b);
		if (bret < 0)
			engine_queue_ban(e, &b);
		else if (e->counters.bans_applied > before)
			applied = (d.until_usec - wall_usec(e) + 999999) / 1000000;
		else
			applied = 0;
	}
	if (e->o.on_ban) {
		struct engine_decided ed = {d.net, d.prefix, d.until_usec, res->reason};

		e->o.on_ban(e->o.on_ban_data, &ed);
	}
	if (e->o.events) {
		const char *set = e->o.backend ? (d.net.family == AF_INET ? e->o.backend->set4 : e->o.backend->set6) : NULL;
		struct events_ban eb = {r, &d.net, d.prefix, d.seconds, d.strikes, set, e->o.backend == NULL,
					applied > d.seconds ? d.seconds : applied};

		if ((ret = events_ban(e->o.events, &eb)) < 0)
			return output_failed(e, e->o.events, ret);
	}
	return bret;
}

static void explain(struct engine *e, const struct fold_result *res)
{
	char buf[512];		/* site rules (issue 6): rule names carry a file name */
	const char *what = res->action == FOLD_DROP ? "drop" : res->action == FOLD_KEEP ? "keep" : "pass";
	int n = snprintf(buf, sizeof(buf), "# %s %s%s%s%s: ", what, res->rule,
			 res->synthetic ? " +synthetic" : "", res->strike ? " +strike=" : "",
			 res->strike ? reason_name(res->reason) : "");

	if (n > 0)
		(void) output_write(e->o.summary, buf, (size_t) n < sizeof(buf) ? (size_t) n : sizeof(buf) - 1);
}

static int judge(struct engine *e, const struct record *r, bool complete)
{
	struct fold_result res;
	struct output *sum = e->o.summary;
	int ret;

	if ((ret = fold_line(e->fold, r, &res)) < 0)
		return ret;
	if (e->quiet) {
		e->tail_written = false;
		return res.strike ? strike(e, r, &res) : 0;
	}
	if (e->o.wal && res.action != FOLD_PASS && (res.strike || (res.kind != SMTPD_CHATTER && res.kind != SMTPD_KEEP)) &&
	    r->format != RECORD_JOURNAL &&
	    ((ret = output_write(e->o.wal, r->line.p, r->line.len)) < 0 || (ret = output_write(e->o.wal, "\n", 1)) < 0))
		return output_failed(e, e->o.wal, ret);
	if (res.synthetic && res.synthetic_before &&
	    (ret = summary_synthetic(sum, r, e->c->summary_format, res.client, res.client_len)) < 0)
		return output_failed(e, sum, ret);
	if (e->o.explain)
		explain(e, &res);
	if (res.action == FOLD_DROP) {
		if (e->o.explain && (ret = summary_write(sum, r, e->c->summary_format, NULL, 0, complete)) < 0)
			return output_failed(e, sum, ret);
		e->tail_written = e->o.explain;
	} else {
		if ((ret = summary_write(sum, r, e->c->summary_format, NULL, 0, complete)) < 0)
			return output_failed(e, sum, ret);
		e->tail_written = true;
	}
	if (res.synthetic && !res.synthetic_before &&
	    (ret = summary_synthetic(sum, r, e->c->summary_format, res.client, res.client_len)) < 0)
		return output_failed(e, sum, ret);
	if (res.strike)
		return strike(e, r, &res);
	return 0;
}

int engine_record(struct engine *e, const struct record *r)
{
	return judge(e, r, true);
}

int engine_line(struct engine *e, const char *line, size_t len, bool complete)
{
	struct record r;

	if (!complete)
		e->counters.overlong++;
	/* The reference only picks the year of traditional timestamps: a
	   clock read per 4096 lines is exact enough and cheaper. */
	if (e->parse_now_age++ % 4096 == 0)
		e->parse_now = wall_usec(e);
	record_parse(line, len, e->parse_now, &r);
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

int engine_flush(struct engine *e)
{
	int r;

	if (e->o.wal && (r = output_flush(e->o.wal)) < 0)
		return output_failed(e, e->o.wal, r);
	if ((r = output_flush(e->o.summary)) < 0)
		return output_failed(e, e->o.summary, r);
	if (e->o.events && (r = output_flush(e->o.events)) < 0)
		return output_failed(e, e->o.events, r);
	while (e->npending > 0) {
		if ((r = apply_ban(e, &e->pending[0])) < 0)
			return r;
		memmove(e->pending, e->pending + 1, (e->npending - 1) * sizeof(*e->pending));
		e->npending--;
	}
	return 0;
}

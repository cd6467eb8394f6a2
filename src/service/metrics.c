/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	metrics 3
 * SUMMARY
 *	the Prometheus text file of a daemon (metrics_file)
 * SYNOPSIS
 *	#include "metrics.h"
 *
 *	int	metrics_format(e, c, m, now_usec, buf, len, ret_len)
 *	int	metrics_write(path, e, c, m, now_usec)
 *	int	metrics_tick(m, e, c, now_usec, force)
 * DESCRIPTION
 *	metrics_format() renders an engine's counters in the Prometheus text
 *	exposition format (version 0.0.4), for node_exporter's textfile
 *	collector: lines read, kept, folded away, passed through,
 *	synthetic; sessions opened and open; strikes by reason; bans,
 *	unbans, running bans per backend and set, bans waiting for the
 *	backend, backend errors; addresses tracked, evicted and strikes not
 *	tracked; lines by sender (sender(3), when the daemon counts them)
 *	and whether lines without credentials decide; the time of the last
 *	line read and of the last checkpoint
 *	(state save) and its age; with publish = syslog (the central host,
 *	m->publish) the decisions sent, resent, refused, pending and held and
 *	the resync rounds; on an MX whose state_dir holds enforce.status,
 *	when its authfold-enforce last heard the central host and its full
 *	set, and the short rounds (enforce(3)). Counters end in _total, times are in
 *	seconds since the epoch, every sample carries the label
 *	daemon="omprog" or daemon="journal".
 *
 *	metrics_write() writes the text to PATH.tmp (O_NOFOLLOW, mode
 *	0644) and renames it over path, so a reader sees the old file or
 *	the new one, never a part. node_exporter reads only *.prom files:
 *	the temporary name does not match.
 *
 *	metrics_tick() is what a daemon calls in its loop: it writes when
 *	metrics_interval seconds passed since the last write or force is set
 *	(the end), does nothing without metrics_file.
 * DIAGNOSTICS
 *	0 or -errno. metrics_tick() returns a failure only when the
 *	previous write did not fail the same way, so the caller logs a
 *	streak of failures once; m->error then names the file.
 * SECURITY
 *	Label values (set and reason names, from the configuration) are
 *	escaped. The text is built in a buffer of METRICS_BUF_MAX bytes:
 *	its size depends on the configuration only (at most REASON_COUNT
 *	reasons), not on the logs.
 */

#include "metrics.h"

#include "enforce.h"
#include "hold.h"
#include "replacefile.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define METRICS_BUF_MAX	(64 * 1024)

struct buf {
	char *p;
	size_t len, cap;
	bool full;
};

static void add(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t) n >= b->cap - b->len) {
		b->full = true;
		return;
	}
	b->len += (size_t) n;
}

/* A label value: backslash, quote and newline escaped, bounded. */
static void label(char *out, size_t len, const char *s)
{
	size_t n = 0;

	for (; *s && n + 3 < len; s++) {
		if (*s == '\\' || *s == '"')
			out[n++] = '\\', out[n++] = *s;
		else if (*s == '\n')
			out[n++] = '\\', out[n++] = 'n';
		else
			out[n++] = *s;
	}
	out[n] = 0;
}

static void head(struct buf *b, const char *name, const char *type, const char *help)
{
	add(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void counter(struct buf *b, const char *d, const char *name, const char *help, uint64_t v)
{
	head(b, name, "counter", help);
	add(b, "%s{daemon=\"%s\"} %" PRIu64 "\n", name, d, v);
}

static void gauge(struct buf *b, const char *d, const char *name, const char *help, double v)
{
	head(b, name, "gauge", help);
	add(b, "%s{daemon=\"%s\"} %.6f\n", name, d, v);
}

/* Lines read, by sender, and the sessions. */
static void lines_metrics(struct buf *b, const char *d, struct engine *e, const struct config *c,
			  const struct metrics_source *m)
{
	const struct fold_counters *f = fold_counters(engine_fold(e));
	struct session_table *st = fold_sessions(engine_fold(e));
	const struct session_counters *s = session_counters(st);
	const struct engine_counters *ec = engine_counters(e);

	counter(b, d, "authfold_lines_read_total", "Log lines (or journal entries) read.", f->lines);
	counter(b, d, "authfold_lines_kept_total", "smtpd lines written to the summary.", f->kept);
	counter(b, d, "authfold_lines_folded_total", "smtpd -v lines folded away.", f->dropped);
	counter(b, d, "authfold_lines_passed_total", "Lines of other programs written as they came.", f->passed);
	counter(b, d, "authfold_lines_synthetic_total", "Synthetic 'authentication not enabled' lines written.",
		f->synthetic);
	counter(b, d, "authfold_lines_overlong_total", "Lines longer than the line limit (judged by their head).",
		ec->overlong);
	if (m->senders) {
		head(b, "authfold_lines_sender_total", "counter",
		     "Lines by sender: postfix (a trusted_users uid), relayed (by the authenticated MX of its host), "
		     "other (kept, decided nothing), uncredited (no sender credentials).");
		add(b, "authfold_lines_sender_total{daemon=\"%s\",sender=\"postfix\"} %" PRIu64 "\n", d, m->senders->postfix);
		add(b, "authfold_lines_sender_total{daemon=\"%s\",sender=\"relayed\"} %" PRIu64 "\n", d, m->senders->relayed);
		add(b, "authfold_lines_sender_total{daemon=\"%s\",sender=\"other\"} %" PRIu64 "\n", d, m->senders->other);
		add(b, "authfold_lines_sender_total{daemon=\"%s\",sender=\"uncredited\"} %" PRIu64 "\n", d,
		    m->senders->uncredited);
		gauge(b, d, "authfold_lines_uncredited_decide",
		      "1 when lines without sender credentials decide (uncredited = decide) and some came: forgeable.",
		      m->senders->uncredited > 0 && c->uncredited == UNCREDITED_DECIDE ? 1.0 : 0.0);
	}
	counter(b, d, "authfold_sessions_opened_total", "SMTP sessions seen (from their connect or a later line).", s->opened + s->adopted);
	counter(b, d, "authfold_sessions_evicted_total", "Sessions dropped because the table was full.", s->evicted);
	head(b, "authfold_sessions_open", "gauge", "SMTP sessions open now.");
	add(b, "authfold_sessions_open{daemon=\"%s\"} %zu\n", d, session_count(st));
}

/* Strikes by reason and what became of them. */
static void strike_metrics(struct buf *b, const char *d, struct engine *e, const struct config *c,
			   const struct metrics_source *m)
{
	const struct fold_counters *f = fold_counters(engine_fold(e));
	const struct policy_counters *p = policy_counters(engine_policy(e));
	const struct engine_counters *ec = engine_counters(e);

	head(b, "authfold_strikes_total", "counter", "Strikes by reason.");
	for (int i = 0; i < REASON_COUNT; i++) {
		char r[64];

		if (i >= REASON_BUILTIN && !(c->reasons_defined & UINT32_C(1) << i))
			continue;
		label(r, sizeof(r), reason_name(i));
		add(b, "authfold_strikes_total{daemon=\"%s\",reason=\"%s\"} %" PRIu64 "\n", d, r,
		    f->strikes[i] - (engine_hold(e) ? hold_counters(engine_hold(e))->cancelled_reason[i] : 0) -
		    p->redelivered_reason[i]);
	}
	counter(b, d, "authfold_sasl_server_failures_total",
		"SASL failures the auth server caused (never strike).", f->sasl_server);
	counter(b, d, "authfold_sasl_trouble_lines_total",
		"Postfix's warnings that its SASL backend is unreachable.", f->sasl_trouble);
	counter(b, d, "authfold_sasl_held_total",
		"SASL failures not struck: auth server trouble around them (authserver_hold).",
		engine_hold(e) ? hold_counters(engine_hold(e))->cancelled : 0);
	counter(b, d, "authfold_strikes_ignored_total", "Strikes of ignoreip addresses.", p->ignored);
	counter(b, d, "authfold_strikes_untracked_total", "Strikes not counted: the address table was full of running bans.",
		p->untracked);
	counter(b, d, "authfold_strikes_redelivered_total",
		"Strikes of lines delivered again after their session was forgotten: counted once.", p->redelivered);
	counter(b, d, "authfold_bans_total", "Bans decided.", p->bans);
	counter(b, d, "authfold_unbans_total", "Unban requests taken (authfold unban).", m->unbans);
	counter(b, d, "authfold_backend_errors_total", "Bans the backend refused (retried).", ec->ban_errors);
	counter(b, d, "authfold_write_errors_total", "Failed writes of the summary or events log.", ec->write_errors);
	counter(b, d, "authfold_addresses_evicted_total", "Addresses forgotten because the table was full.", p->evicted);
}

/* Bans running, pending, and the addresses remembered. */
static void ban_metrics(struct buf *b, const char *d, struct engine *e, const struct config *c, int64_t now_usec)
{
	const char *backend = c->backend == BACKEND_IPSET ? "ipset" : "none";
	char set4[256], set6[256];
	uint64_t running4 = 0, running6 = 0, tracked = 0;

	for (struct policy_entry *pe = policy_first(engine_policy(e)); pe; pe = policy_next(pe)) {
		tracked++;
		if (pe->ban_until_usec > now_usec)
			*(pe->net.family == AF_INET ? &running4 : &running6) += 1;
	}
	label(set4, sizeof(set4), c->ipset4);
	label(set6, sizeof(set6), c->ipset6);
	head(b, "authfold_bans_running", "gauge", "Bans running now, per backend and set.");
	add(b, "authfold_bans_running{daemon=\"%s\",backend=\"%s\",family=\"ipv4\",set=\"%s\"} %" PRIu64 "\n", d,
	    backend, set4, running4);
	add(b, "authfold_bans_running{daemon=\"%s\",backend=\"%s\",family=\"ipv6\",set=\"%s\"} %" PRIu64 "\n", d,
	    backend, set6, running6);
	head(b, "authfold_bans_pending", "gauge", "Bans waiting for the backend to take them.");
	add(b, "authfold_bans_pending{daemon=\"%s\"} %zu\n", d, engine_pending_bans(e));
	head(b, "authfold_addresses_tracked", "gauge", "Addresses (IPv6: networks) with strikes or bans remembered.");
	add(b, "authfold_addresses_tracked{daemon=\"%s\"} %" PRIu64 "\n", d, tracked);
}

/* The central host's publisher: publish(3). */
static void publish_metrics(struct buf *b, const char *d, const struct metrics_source *m)
{
	const struct publish_counters *pc = publish_counters(m->publish);

	counter(b, d, "authfold_decisions_sent_total", "Decisions handed to the publish socket (first sends).",
		pc->sent);
	counter(b, d, "authfold_decisions_resent_total", "Decisions sent again by the resync.", pc->resent);
	counter(b, d, "authfold_decisions_dropped_total", "Decisions refused: the outbox was full.",
		pc->dropped);
	counter(b, d, "authfold_resync_rounds_total", "Resync rounds completed.", pc->rounds);
	gauge(b, d, "authfold_decisions_pending", "Decisions not handed to rsyslog yet (kept in state_dir).",
	      (double) publish_pending(m->publish));
	gauge(b, d, "authfold_decisions_held", "Decisions the resync sends again (running bans, recent unbans).",
	      (double) outbox_count(publish_outbox(m->publish)));
	if (pc->last_round > 0)
		gauge(b, d, "authfold_resync_last_round_timestamp_seconds", "When the last resync round ended.",
		      (double) pc->last_round);
}

/* An MX: what its authfold-enforce heard. */
static void central_metrics(struct buf *b, const char *d, const struct config *c)
{
	struct enforce_counters k;

	if (enforce_counters_read(c, &k) == 0) {
		if (k.last_arrival > 0)
			gauge(b, d, "authfold_central_last_arrival_timestamp_seconds",
			      "When the last central decision or keep-alive arrived (authfold-enforce).",
			      (double) k.last_arrival);
		if (k.last_full_set > 0)
			gauge(b, d, "authfold_central_last_full_set_timestamp_seconds",
			      "When a resync round of the central host ended with all its bans heard.",
			      (double) k.last_full_set);
		counter(b, d, "authfold_central_rounds_short_total",
			"Resync rounds that ended with fewer bans heard than the central host sent.", k.rounds_short);
	}
}

int metrics_format(struct engine *e, const struct config *c, const struct metrics_source *m, int64_t now_usec,
		   char *out, size_t len, size_t *ret_len)
{
	struct buf b = {out, 0, len, false};
	char d[64];

	label(d, sizeof(d), m->daemon);
	lines_metrics(&b, d, e, c, m);
	strike_metrics(&b, d, e, c, m);
	ban_metrics(&b, d, e, c, now_usec);
	if (m->last_line_usec > 0)
		gauge(&b, d, "authfold_last_line_timestamp_seconds", "When the last line was read (Unix time).",
		      (double) m->last_line_usec / 1e6);
	if (m->checkpoint_usec > 0) {
		gauge(&b, d, "authfold_checkpoint_timestamp_seconds", "When the state was last saved (Unix time).",
		      (double) m->checkpoint_usec / 1e6);
		gauge(&b, d, "authfold_checkpoint_age_seconds", "Seconds since the state was last saved.",
		      now_usec > m->checkpoint_usec ? (double) (now_usec - m->checkpoint_usec) / 1e6 : 0.0);
	}
	if (m->publish)
		publish_metrics(&b, d, m);
	central_metrics(&b, d, c);
	gauge(&b, d, "authfold_metrics_timestamp_seconds", "When this file was written (Unix time).",
	      (double) now_usec / 1e6);
	if (b.full)
		return -ENOBUFS;
	*ret_len = b.len;
	return 0;
}

int metrics_write(const char *path, struct engine *e, const struct config *c, const struct metrics_source *m,
		  int64_t now_usec)
{
	struct replacefile rf;
	char *buf = malloc(METRICS_BUF_MAX);
	size_t len = 0;
	int r;

	if (buf == NULL)
		return -ENOMEM;
	if ((r = metrics_format(e, c, m, now_usec, buf, METRICS_BUF_MAX, &len)) < 0 ||
	    (r = replacefile_open(&rf, path, 0644)) < 0) {
		free(buf);
		return r;
	}
	if (fwrite(buf, 1, len, rf.fp) != len) {
		r = errno ? -errno : -EIO;
		replacefile_abort(&rf);
	} else
		r = replacefile_commit(&rf, 0);
	free(buf);
	return r;
}

int metrics_tick(struct metrics_source *m, struct engine *e, const struct config *c, int64_t now_usec, bool force)
{
	int r, last;

	if (c->metrics_file == NULL || (!force && m->last_write_usec && now_usec - m->last_write_usec < c->metrics_interval * 1000000 &&
					now_usec >= m->last_write_usec))
		return 0;
	m->last_write_usec = now_usec;
	r = metrics_write(c->metrics_file, e, c, m, now_usec);
	last = m->last_error;
	m->last_error = r;
	if (r < 0) {
		snprintf(m->error, sizeof(m->error), "cannot write metrics_file '%s': %s", c->metrics_file, strerror(-r));
		return r == last ? 0 : r;
	}
	return 0;
}

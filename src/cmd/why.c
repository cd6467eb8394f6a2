/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	why 3
 * SUMMARY
 *	authfold why: the story of an address, from the logs and the state
 * SYNOPSIS
 *	#include "why.h"
 *
 *	int	why_main(argc, argv)
 *	int	why_run(o, out)
 *	int	why_report(o, fp)
 * DESCRIPTION
 *	why_run() tells, oldest first, every ban and every strike of the
 *	addresses inside o->target, and for each strike the lines of its
 *	session from the summary log:
 *
 *	1. The events logs (o->events and its rotations, oldest first:
 *	   PATH.N.gz ... PATH.2.gz, PATH.1, PATH; logfile(3)) are read line
 *	   by line (eventlog(3)); a strike whose "addr" lies in the target,
 *	   a ban or an unban whose network overlaps it are kept, at most
 *	   WHY_EVENTS_MAX (the newest; the number of older ones left out is
 *	   said).
 *	2. The summary logs (o->summary and its rotations, the same way) are
 *	   read once. A line belongs to a strike when its host, tag and pid
 *	   are the strike's and it lies in the session (from "connect from"
 *	   to "disconnect from" of that host, tag and pid) whose time span
 *	   holds the strike's time and its evidence (see session_end()). The
 *	   address is never looked for in the text: a forged address in
 *	   client text is not evidence.
 *	3. The state files (STATE_DIR/ *.state, read through a private copy,
 *	   never changed) say whether a ban still runs and what the policy
 *	   remembers.
 *
 *	Timestamps of whole seconds (the traditional format) can leave two
 *	sessions of one client and smtpd process with the same evidence in
 *	the strike's second: the strike then shows the first one, marked
 *	ambiguous.
 *
 *	A ban lists the strikes that made it: the last "strikes" strikes of
 *	its network before it. Its status is running, expired, dry run (no
 *	kernel was given it), or unbanned (an unban event after it, with
 *	who asked).
 *
 *	Every file read or not is listed with what went wrong (missing,
 *	permission, a cut .gz, lines that are not JSON), in the text and in
 *	the JSON ("sources", "notes").
 *
 *	why_report() (authfold why --summary) folds the summary log's lines
 *	of a period again, with its rotations, as a dry run of replay:
 *	without -v, the strikes come from Postfix's own lines (disconnect
 *	statistics, SASL failures), so the counts are those of the run that
 *	wrote the summary, except strikes of site rules whose lines were
 *	folded away. It prints replay's report with the hourly table and the
 *	top offenders (report(3)), and the files read or not.
 *
 *	why_main() is the command: options, then why_run() or why_report()
 *	to stdout.
 * DIAGNOSTICS
 *	why_run() returns 0 (unreadable files are notes, not failures) or
 *	-errno when the output cannot be written or memory runs out.
 *	why_main() returns the exit status: 0, 1 runtime failure, 2 usage.
 * SECURITY
 *	Memory is bounded whatever the logs hold: lines are read in a
 *	buffer of LOGFILE_LINE_MAX (logfile(3): longer lines are judged by
 *	their head), at most WHY_EVENTS_MAX events and WHY_STRIKES_MAX strikes
 *	with evidence are kept, a session keeps at most WHY_SESSION_LINES
 *	lines of at most WHY_SHOWN_LINE_MAX bytes each, and at most
 *	LOGFILE_ROTATED_MAX rotated files per log are read. Log text is written
 *	escaped in JSON and with control bytes shown as \xHH in text.
 */

#include "why.h"

#include "bans.h"
#include "engine.h"
#include "eventlog.h"
#include "events.h"
#include "fold.h"
#include "logfile.h"
#include "report.h"
#include "smtpd.h"
#include "summary.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define WHY_EVENTS_MAX		10000
#define WHY_STRIKES_MAX		4096	/* strikes whose sessions are looked for */
#define WHY_SESSION_LINES	200
#define WHY_SHOWN_LINE_MAX	2048
#define WHY_STATE_FILES_MAX	64
#define WHY_CLIENT_MAX		320	/* NAME[ADDR] of a connect line */

/* --- output helpers ----------------------------------------------------------- */

struct out {
	struct output *o;
	int err;			/* the first write error */
};

static void put(struct out *w, const char *p, size_t n)
{
	int r;

	if (w->err == 0 && (r = output_write(w->o, p, n)) < 0)
		w->err = r;
}

static void putf(struct out *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct out *w, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		put(w, buf, (size_t) n < sizeof(buf) ? (size_t) n : sizeof(buf) - 1);
}

static void putj(struct out *w, const char *p, size_t n)
{
	int r;

	if (w->err == 0 && (r = json_string(w->o, p, n)) < 0)
		w->err = r;
}

static void putjs(struct out *w, const char *s)
{
	if (s)
		putj(w, s, strlen(s));
	else
		put(w, "null", 4);
}

/* Log text for a terminal: printable bytes and UTF-8 as they are, other
   control bytes as \xHH. */
static void put_text(struct out *w, const char *p, size_t n)
{
	size_t run = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char) p[i];

		if (c >= 0x20 && c != 0x7f) {
			run++;
			continue;
		}
		put(w, p + i - run, run);
		run = 0;
		putf(w, "\\x%02x", c);
	}
	put(w, p + n - run, run);
}

static void put_time(struct out *w, int64_t usec, bool json)
{
	char buf[64];

	if (usec < 0 || usec == INT64_MAX) {
		put(w, json ? "null" : "-", json ? 4 : 1);
		return;
	}
	format_rfc3339(usec, buf, sizeof(buf));
	if (json)
		putjs(w, buf);
	else
		put(w, buf, strlen(buf));
}

/* --- events ------------------------------------------------------------------- */

enum ev_kind { EV_STRIKE, EV_BAN, EV_UNBAN };

struct session_lines {
	char *buf;			/* lines, each ending in \n */
	size_t len, cap;
	unsigned n;
	bool cut;			/* more lines than kept */
	bool partial;			/* its connect was not seen */
	bool open_end;			/* its disconnect was not seen */
	bool ambiguous;			/* another session fits the strike as well */
};

struct event {
	enum ev_kind kind;
	int64_t usec;
	char *ts;			/* as written */
	char *reason, *rule, *client, *host, *tag, *set, *by;
	struct cidr net;		/* strike: the address, /32 or /128 */
	long pid;			/* -1 none */
	int64_t seconds, applied_seconds;
	unsigned strikes;
	bool dry_run;
	uint64_t seq;			/* order read */
	struct session_lines *session;	/* strike: its lines, NULL not found */
};

struct source {
	char *path;
	const char *kind;		/* "events", "summary", "state" */
	int err;			/* -errno, 0 */
	const char *what;		/* a reading problem at the end, or NULL */
	char detail[1024];
	uint64_t lines, bad, overlong;
	bool read;
};

struct why {
	const struct why_options *o;
	struct event *ev;		/* ring of the newest WHY_EVENTS_MAX */
	size_t nev, head;
	uint64_t ev_dropped, seq;
	struct source *src;
	size_t nsrc, capsrc;
	char **notes;
	size_t nnotes;
	uint64_t strikes_without_search;
	/* state */
	struct state_row {
		struct cidr net;
		unsigned times_banned, strikes;
		int64_t until_usec, last_ban_seconds, last_strike_usec;
		char file[256];
	} *state;
	size_t nstate;
};

static void event_free(struct event *e)
{
	free(e->ts);
	free(e->reason);
	free(e->rule);
	free(e->client);
	free(e->host);
	free(e->tag);
	free(e->set);
	free(e->by);
	if (e->session)
		free(e->session->buf);
	free(e->session);
	memset(e, 0, sizeof(*e));
}

static void note(struct why *y, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct why *y, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	char **v;

	if (y->nnotes >= 256)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if ((v = realloc(y->notes, (y->nnotes + 1) * sizeof(*v))) == NULL)
		return;
	y->notes = v;
	if ((v[y->nnotes] = strdup(buf)) != NULL)
		y->nnotes++;
}

static struct source *add_source(struct why *y, const char *path, const char *kind)
{
	if (y->nsrc == y->capsrc) {
		size_t cap = y->capsrc ? y->capsrc * 2 : 16;
		struct source *v = realloc(y->src, cap * sizeof(*v));

		if (v == NULL)
			return NULL;
		y->src = v;
		y->capsrc = cap;
	}
	struct source *s = &y->src[y->nsrc];

	memset(s, 0, sizeof(*s));
	if ((s->path = strdup(path)) == NULL)
		return NULL;
	s->kind = kind;
	y->nsrc++;
	return s;
}

static bool overlaps(const struct cidr *t, const struct cidr *c)
{
	if (t->net.family != c->net.family)
		return false;
	return c->prefix >= t->prefix ? cidr_contains(t, &c->net) : cidr_contains(c, &t->net);
}

static char *dup_field(const struct eventlog_value *f)
{
	return f->present && f->is_string ? strdup(f->val) : NULL;
}

/* Keeps one event of the target; the oldest goes when the ring is full. */
static int keep_event(struct why *y, const struct eventlog_value *f, enum ev_kind kind, const struct cidr *net)
{
	struct event *e;

	if (y->nev == WHY_EVENTS_MAX) {
		e = &y->ev[y->head];
		event_free(e);
		y->head = (y->head + 1) % WHY_EVENTS_MAX;
		y->nev--;
		y->ev_dropped++;
	}
	e = &y->ev[(y->head + y->nev) % WHY_EVENTS_MAX];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->net = *net;
	e->seq = y->seq++;
	e->ts = dup_field(&f[EVF_TS]);
	e->usec = e->ts ? eventlog_time(e->ts) : -1;
	e->reason = dup_field(&f[EVF_REASON]);
	e->rule = dup_field(&f[EVF_RULE]);
	e->client = dup_field(&f[EVF_CLIENT]);
	e->host = dup_field(&f[EVF_HOST]);
	e->tag = dup_field(&f[EVF_TAG]);
	e->set = dup_field(&f[EVF_SET]);
	e->by = dup_field(&f[EVF_BY]);
	e->pid = f[EVF_PID].present && !f[EVF_PID].is_null && !f[EVF_PID].is_string ? (long) f[EVF_PID].num : -1;
	e->seconds = f[EVF_SECONDS].num;
	e->strikes = f[EVF_STRIKES].num > 0 && f[EVF_STRIKES].num < 1000000 ? (unsigned) f[EVF_STRIKES].num : 0;
	e->dry_run = f[EVF_DRY_RUN].num == 1;
	e->applied_seconds = f[EVF_APPLIED].present ? f[EVF_APPLIED].num : -1;
	y->nev++;
	if ((f[EVF_TS].present && e->ts == NULL) || (f[EVF_HOST].present && f[EVF_HOST].is_string && e->host == NULL))
		return -ENOMEM;
	return 0;
}

static int read_events_file(struct why *y, struct source *s)
{
	struct logfile l;
	struct eventlog_value *f = calloc(EVF_COUNT, sizeof(*f));
	const char *p;
	size_t n;
	int r;

	if (f == NULL)
		return -ENOMEM;
	if ((r = logfile_open(s->path, &l)) < 0) {
		s->err = r;
		free(f);
		return r == -ENOMEM ? r : 0;
	}
	s->read = true;
	while ((r = logfile_next(&l, &p, &n)) > 0) {
		enum ev_kind kind;
		struct cidr net;

		s->lines++;
		if (n == 0)
			continue;
		if (!eventlog_parse(p, n, f) || !f[EVF_EVENT].is_string || !f[EVF_ADDR].is_string) {
			s->bad++;
			continue;
		}
		if (strcmp(f[EVF_EVENT].val, "strike") == 0)
			kind = EV_STRIKE;
		else if (strcmp(f[EVF_EVENT].val, "ban") == 0)
			kind = EV_BAN;
		else if (strcmp(f[EVF_EVENT].val, "unban") == 0)
			kind = EV_UNBAN;
		else
			continue;	/* an event of a later version */
		if (addr_parse(f[EVF_ADDR].val, strlen(f[EVF_ADDR].val), &net.net) < 0) {
			s->bad++;
			continue;
		}
		net.prefix = addr_bits(&net.net);
		if (kind != EV_STRIKE && f[EVF_PREFIX].present) {
			if (f[EVF_PREFIX].num < 1 || f[EVF_PREFIX].num > (int64_t) net.prefix) {
				s->bad++;
				continue;
			}
			net.prefix = (unsigned) f[EVF_PREFIX].num;
			addr_mask(&net.net, net.prefix);
		}
		if (!overlaps(&y->o->target, &net) || (kind == EV_STRIKE && !cidr_contains(&y->o->target, &net.net)))
			continue;
		if ((r = keep_event(y, f, kind, &net)) < 0)
			break;
	}
	s->overlong = l.overlong;
	if (r == -EIO || (r == 0 && logfile_error(&l)[0])) {
		snprintf(s->detail, sizeof(s->detail), "%s", r == -EIO ? logfile_error(&l) : logfile_error(&l));
		s->what = s->detail;
		r = 0;
	}
	logfile_close(&l);
	free(f);
	return r;
}

/* --- the files of a log: PATH.N.gz ... PATH.1, PATH ---------------------------- */

static int add_log_files(struct why *y, const char *base, const char *kind)
{
	char **paths;
	size_t n;
	bool capped;
	int r = logfile_rotations(base, &paths, &n, &capped);

	if (r < 0)
		return r;
	if (capped)
		note(y, "%s: only the newest %d rotated files are read", base, LOGFILE_ROTATED_MAX);
	for (size_t i = 0; i < n && r == 0; i++)
		if (add_source(y, paths[i], kind) == NULL)
			r = -ENOMEM;
	logfile_rotations_free(paths, n);
	return r;
}

/* --- sessions from the summary ------------------------------------------------ */

/* The strikes looked for, by (host, tag, pid): open addressing on an array
   twice their number. */
struct key {
	struct event *strike;		/* the first strike of this key; others follow in chain */
	struct session_lines cur;	/* the session being read for this key */
	int64_t cur_start;
	bool open;
	size_t client_len;		/* NAME[ADDR] of its "connect from"; 0 none seen */
	char client[WHY_CLIENT_MAX];
	struct evidence {		/* the first evidence of a reason in the session */
		int64_t usec;		/* -1 none */
		size_t client_len;
		char client[WHY_CLIENT_MAX];
	} noauth, saslfail;
};

struct keys {
	struct key *v;
	size_t cap;
	struct event ***chain;		/* per key: its strikes */
	size_t *nchain, *capchain;
};

static uint64_t key_hash(const char *host, size_t hl, const char *tag, size_t tl, long pid)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < hl; i++)
		h = (h ^ (unsigned char) host[i]) * 1099511628211ULL;
	h = (h ^ 0xff) * 1099511628211ULL;
	for (size_t i = 0; i < tl; i++)
		h = (h ^ (unsigned char) tag[i]) * 1099511628211ULL;
	return (h ^ (uint64_t) pid) * 1099511628211ULL;
}

static bool key_is(const struct event *e, struct span host, struct span tag, long pid)
{
	return e->pid == pid && strlen(e->host) == host.len && memcmp(e->host, host.p, host.len) == 0 &&
	       strlen(e->tag) == tag.len && memcmp(e->tag, tag.p, tag.len) == 0;
}

static size_t key_find(const struct keys *k, struct span host, struct span tag, long pid)
{
	size_t i = key_hash(host.p, host.len, tag.p, tag.len, pid) & (k->cap - 1);

	while (k->v[i].strike && !key_is(k->v[i].strike, host, tag, pid))
		i = (i + 1) & (k->cap - 1);
	return i;
}

static void lines_add(struct session_lines *s, const char *p, size_t n)
{
	if (s->n >= WHY_SESSION_LINES) {
		s->cut = true;
		return;
	}
	if (n > WHY_SHOWN_LINE_MAX)
		n = WHY_SHOWN_LINE_MAX;
	if (s->len + n + 1 > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		char *b;

		while (cap < s->len + n + 1)
			cap *= 2;
		if ((b = realloc(s->buf, cap)) == NULL) {
			s->cut = true;
			return;
		}
		s->buf = b;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
	s->buf[s->len++] = '\n';
	s->n++;
}

static bool evidence_is(const struct evidence *v, const struct event *e)
{
	return v->usec == e->usec && e->client && strlen(e->client) == v->client_len &&
	       memcmp(e->client, v->client, v->client_len) == 0;
}

/*
 * A session of this key ended: it is the evidence of the first strike (in
 * the events' order) that has none yet, lies in its time span and, when
 * its "connect from" was seen, names the same client there. For the
 * built-in reasons the session must also hold the strike's evidence at
 * the strike's time, as fold(3) wrote it to the summary: the synthetic
 * "warning: CLIENT: authentication not enabled" (noauth) or Postfix's
 * "warning: CLIENT: SASL ... authentication failed" (saslfail, by
 * smtpd(3)'s rule), its client being the strike's. With the whole
 * seconds of traditional timestamps one smtpd process can serve several
 * sessions of one client in the strike's second: the evidence tells
 * them apart. A session gives at most one strike.
 */
static void session_end(struct key *k, struct event **chain, size_t n, int64_t end_usec, bool open_end)
{
	struct event *first = NULL;
	bool extra = false;

	for (size_t i = 0; i < n; i++) {
		struct event *e = chain[i];

		if (e->usec < k->cur_start || e->usec > end_usec)
			continue;
		if (k->client_len && (e->client == NULL || strlen(e->client) != k->client_len ||
				      memcmp(e->client, k->client, k->client_len) != 0))
			continue;
		if (e->reason && strcmp(e->reason, "noauth") == 0 && !evidence_is(&k->noauth, e))
			continue;
		if (e->reason && strcmp(e->reason, "saslfail") == 0 && !evidence_is(&k->saslfail, e))
			continue;
		if (e->session || first) {
			extra = true;
			if (e->session)
				e->session->ambiguous = true;
			continue;
		}
		first = e;
	}
	if (first && (first->session = malloc(sizeof(*first->session))) != NULL) {
		*first->session = k->cur;
		first->session->open_end = open_end;
		first->session->ambiguous = extra;
	} else {
		free(k->cur.buf);
	}
	memset(&k->cur, 0, sizeof(k->cur));
	k->open = false;
	k->client_len = 0;
	k->noauth.usec = k->saslfail.usec = -1;
}

static void evidence_set(struct evidence *v, int64_t usec, struct span client)
{
	if (v->usec >= 0 || client.len >= sizeof(v->client))
		return;
	v->usec = usec;
	v->client_len = client.len;
	memcpy(v->client, client.p, client.len);
}

/* Notes the evidence a line of an open session holds (see session_end()):
   the synthetic line is exactly "warning: NAME[ADDR]: authentication not
   enabled" (client text inside a longer line does not pass for it). */
static void session_evidence(struct key *k, const struct record *rec)
{
	struct span m = rec->msg, client;
	size_t sl = sizeof(SYNTHETIC_SUFFIX) - 1;
	struct smtpd_line l;
	struct addr a;

	if (!span_startswith(m, "warning: "))
		return;
	if (m.len > 9 + sl && memcmp(m.p + m.len - sl, SYNTHETIC_SUFFIX, sl) == 0 &&
	    smtpd_parse_client(m.p + 9, m.len - 9 - sl, &client, &a) > 0 && client.len == m.len - 9 - sl)
		evidence_set(&k->noauth, rec->usec, client);
	if ((smtpd_classify(m, &l), l.kind == SMTPD_SASL_FAIL) && l.sasl->cls == SASL_CLIENT)
		evidence_set(&k->saslfail, rec->usec, l.client);	/* not auth server trouble */
}

static int read_summary(struct why *y)
{
	struct keys k = {0};
	size_t nstrikes = 0;
	int r = 0;

	for (size_t i = 0; i < y->nev; i++)
		nstrikes += y->ev[(y->head + i) % WHY_EVENTS_MAX].kind == EV_STRIKE;
	if (nstrikes > WHY_STRIKES_MAX) {
		y->strikes_without_search = nstrikes - WHY_STRIKES_MAX;
		nstrikes = WHY_STRIKES_MAX;
	}
	for (k.cap = 16; k.cap < 2 * nstrikes; k.cap *= 2)
		;
	k.v = calloc(k.cap, sizeof(*k.v));
	k.chain = calloc(k.cap, sizeof(*k.chain));
	k.nchain = calloc(k.cap, sizeof(*k.nchain));
	k.capchain = calloc(k.cap, sizeof(*k.capchain));
	if (k.v == NULL || k.chain == NULL || k.nchain == NULL || k.capchain == NULL) {
		r = -ENOMEM;
		goto out;
	}
	/* the newest strikes are looked for */
	size_t skip = y->strikes_without_search, used = 0;

	for (size_t i = 0; i < y->nev; i++) {
		struct event *e = &y->ev[(y->head + i) % WHY_EVENTS_MAX];

		if (e->kind != EV_STRIKE)
			continue;
		if (skip) {
			skip--;
			continue;
		}
		if (e->host == NULL || e->tag == NULL || e->pid < 0 || e->usec < 0)
			continue;
		struct span h = {e->host, strlen(e->host)}, t = {e->tag, strlen(e->tag)};
		size_t j = key_find(&k, h, t, e->pid);

		if (k.v[j].strike == NULL) {
			k.v[j].strike = e;
			k.v[j].noauth.usec = k.v[j].saslfail.usec = -1;
			used++;
		}
		if (k.nchain[j] == k.capchain[j]) {
			size_t cap = k.capchain[j] ? k.capchain[j] * 2 : 2;
			struct event **c = realloc(k.chain[j], cap * sizeof(*c));

			if (c == NULL) {
				r = -ENOMEM;
				goto out;
			}
			k.chain[j] = c;
			k.capchain[j] = cap;
		}
		k.chain[j][k.nchain[j]++] = e;
	}
	if (used == 0)
		goto out;

	for (size_t si = 0; si < y->nsrc; si++) {
		struct source *s = &y->src[si];
		struct logfile l;
		struct stat st;
		const char *p;
		size_t n;

		if (strcmp(s->kind, "summary") != 0)
			continue;
		if ((r = logfile_open(s->path, &l)) < 0) {
			s->err = r;
			if (r == -ENOMEM)
				goto out;
			r = 0;
			continue;
		}
		s->read = true;
		/* traditional timestamps have no year: the file's time is near its end */
		int64_t ref = stat(s->path, &st) == 0 ? (int64_t) st.st_mtime * 1000000 : y->o->now_usec;

		while ((r = logfile_next(&l, &p, &n)) > 0) {
			struct record rec;

			s->lines++;
			record_parse(p, n, ref, &rec);
			if (rec.format == RECORD_OTHER || rec.pid < 0)
				continue;

			size_t j = key_find(&k, rec.host, rec.tag, rec.pid);
			struct key *kk = &k.v[j];

			if (kk->strike == NULL)
				continue;
			bool connect = span_startswith(rec.msg, "connect from ");
			bool disconnect = span_startswith(rec.msg, "disconnect from ");

			if (connect || !kk->open) {
				if (kk->open)
					session_end(kk, k.chain[j], k.nchain[j], rec.usec, true);
				kk->open = true;
				kk->cur_start = rec.usec;
				kk->cur.partial = !connect;
				/* "connect from NAME[ADDR]": the client, up to the end */
				if (connect && rec.msg.len - 13 < sizeof(kk->client)) {
					kk->client_len = rec.msg.len - 13;
					memcpy(kk->client, rec.msg.p + 13, kk->client_len);
				}
			}
			lines_add(&kk->cur, p, n);
			session_evidence(kk, &rec);
			if (disconnect)
				session_end(kk, k.chain[j], k.nchain[j], rec.usec, false);
		}
		s->overlong = l.overlong;
		if (r == -EIO || logfile_error(&l)[0]) {
			snprintf(s->detail, sizeof(s->detail), "%s", logfile_error(&l));
			s->what = s->detail;
		}
		r = 0;
		logfile_close(&l);
	}
	for (size_t j = 0; j < k.cap; j++)
		if (k.v[j].open)
			session_end(&k.v[j], k.chain[j], k.nchain[j], INT64_MAX, true);
out:
	if (k.v)
		for (size_t j = 0; j < k.cap; j++) {
			free(k.v[j].cur.buf);
			free(k.chain[j]);
		}
	free(k.v);
	free(k.chain);
	free(k.nchain);
	free(k.capchain);
	return r;
}

/* --- state files -------------------------------------------------------------- */

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

static int read_state(struct why *y, const struct config *c)
{
	char *names[WHY_STATE_FILES_MAX];
	size_t nn = 0;
	struct dirent *d;
	DIR *dp = opendir(c->state_dir);
	int r = 0;

	if (dp == NULL) {
		struct source *s = add_source(y, c->state_dir, "state");

		if (s == NULL)
			return -ENOMEM;
		s->err = -errno;
		return 0;
	}
	while ((d = readdir(dp)) != NULL) {
		size_t len = strlen(d->d_name);

		if (len < 7 || strcmp(d->d_name + len - 6, ".state") != 0 || d->d_name[0] == '.')
			continue;
		if (nn == WHY_STATE_FILES_MAX) {
			note(y, "%s: only %d state files are read", c->state_dir, WHY_STATE_FILES_MAX);
			break;
		}
		if ((names[nn] = strdup(d->d_name)) == NULL) {
			r = -ENOMEM;
			break;
		}
		nn++;
	}
	closedir(dp);
	qsort(names, nn, sizeof(names[0]), name_cmp);
	for (size_t i = 0; i < nn && r == 0; i++) {
		char path[4096], err[1024];
		struct bans_scratch bs;
		struct source *s;
		int lr;

		snprintf(path, sizeof(path), "%s/%s", c->state_dir, names[i]);
		if ((s = add_source(y, path, "state")) == NULL) {
			r = -ENOMEM;
			break;
		}
		if ((lr = bans_scratch_load(c, path, &bs, NULL, err, sizeof(err))) < 0) {
			bans_scratch_free(&bs);
			s->err = lr;
			snprintf(s->detail, sizeof(s->detail), "%s", err);
			s->what = s->detail;
			if (lr == -ENOMEM)
				r = lr;
			continue;
		}
		s->read = true;
		for (struct policy_entry *p = policy_first(engine_policy(bs.e)); p; p = policy_next(p)) {
			struct cidr net = {p->net, p->prefix};
			struct state_row *v;

			s->lines++;
			if (!overlaps(&y->o->target, &net))
				continue;
			if (y->nstate >= WHY_EVENTS_MAX)
				break;
			if ((v = realloc(y->state, (y->nstate + 1) * sizeof(*v))) == NULL) {
				r = -ENOMEM;
				break;
			}
			y->state = v;
			v += y->nstate++;
			v->net = net;
			v->times_banned = p->times_banned;
			v->strikes = policy_strikes_within(engine_policy(bs.e), p, y->o->now_usec);
			v->until_usec = p->ban_until_usec;
			v->last_ban_seconds = p->last_ban_seconds;
			v->last_strike_usec = p->last_strike_usec;
			snprintf(v->file, sizeof(v->file), "%s", names[i]);
		}
		bans_scratch_free(&bs);
	}
	for (size_t i = 0; i < nn; i++)
		free(names[i]);
	return r;
}

/* --- the story ---------------------------------------------------------------- */

static struct event *ev_at(struct why *y, size_t i)
{
	return &y->ev[(y->head + i) % WHY_EVENTS_MAX];
}

/* A state file that holds a running ban of this very network. */
static const struct state_row *state_ban(const struct why *y, const struct cidr *net)
{
	for (size_t i = 0; i < y->nstate; i++)
		if (y->state[i].until_usec > y->o->now_usec && y->state[i].net.prefix == net->prefix &&
		    addr_equal(&y->state[i].net.net, &net->net))
			return &y->state[i];
	return NULL;
}

static const char *ban_status(struct why *y, size_t bi, int64_t *ret_until, struct event **ret_unban)
{
	struct event *b = ev_at(y, bi);
	int64_t until = b->usec < 0 ? -1 : b->usec + b->seconds * 1000000;

	*ret_until = until;
	*ret_unban = NULL;
	if (b->dry_run)
		return "dry_run";
	for (size_t i = bi + 1; i < y->nev; i++) {
		struct event *u = ev_at(y, i);

		if (u->kind == EV_UNBAN && overlaps(&u->net, &b->net) && (until < 0 || u->usec < until)) {
			*ret_unban = u;
			return "unbanned";
		}
		if (u->kind == EV_BAN && overlaps(&u->net, &b->net))
			break;	/* a later ban takes over */
	}
	if (until < 0)
		return "unknown";
	return until > y->o->now_usec ? "running" : "expired";
}

/* The numbers (1-based, in story order) of the strikes that made ban bi. */
static size_t ban_strikes(struct why *y, size_t bi, const size_t *numbers, size_t *ret, size_t max)
{
	struct event *b = ev_at(y, bi);
	size_t n = 0, want = b->strikes;

	for (size_t i = bi; i-- > 0 && n < want && n < max;) {
		struct event *e = ev_at(y, i);

		if (e->kind == EV_STRIKE && cidr_contains(&b->net, &e->net.net) && e->usec <= b->usec)
			ret[n++] = numbers[i];
	}
	/* oldest first */
	for (size_t i = 0; i < n / 2; i++) {
		size_t t = ret[i];

		ret[i] = ret[n - 1 - i];
		ret[n - 1 - i] = t;
	}
	return n;
}

static const char *source_problem(const struct source *s, char *buf, size_t len)
{
	if (s->err)
		snprintf(buf, len, "%s%s%s", strerror(-s->err), s->what ? ": " : "", s->what ? s->what : "");
	else if (s->what)
		snprintf(buf, len, "%s", s->what);
	else
		buf[0] = 0;
	return buf;
}

static void write_text(struct why *y, struct out *w, const size_t *numbers)
{
	char tn[ADDR_STRLEN], a[ADDR_STRLEN], dur[64], buf[512];
	size_t nstrikes = 0, nbans = 0;

	addr_format(&y->o->target.net, tn);
	putf(w, "authfold why %s/%u\n\nRead:\n", tn, y->o->target.prefix);
	for (size_t i = 0; i < y->nsrc; i++) {
		struct source *s = &y->src[i];

		source_problem(s, buf, sizeof(buf));
		putf(w, "  %-7s %s: ", s->kind, s->path);
		if (!s->read)
			putf(w, "NOT READ (%s)\n", buf);
		else {
			putf(w, "%" PRIu64 " %s", s->lines, strcmp(s->kind, "state") == 0 ? "entries" : "lines");
			if (s->bad)
				putf(w, ", %" PRIu64 " not events (cut or corrupt lines)", s->bad);
			if (s->overlong)
				putf(w, ", %" PRIu64 " overlong", s->overlong);
			putf(w, "%s%s\n", buf[0] ? "; NOT READ TO THE END: " : "", buf);
		}
	}
	for (size_t i = 0; i < y->nnotes; i++)
		putf(w, "  note: %s\n", y->notes[i]);
	if (y->ev_dropped)
		putf(w, "  note: %" PRIu64 " older events of this address are not shown (at most %d)\n", y->ev_dropped,
		     WHY_EVENTS_MAX);
	if (y->strikes_without_search)
		putf(w, "  note: the sessions of the %" PRIu64 " oldest strikes were not looked for (at most %d)\n",
		     y->strikes_without_search, WHY_STRIKES_MAX);
	put(w, "\n", 1);
	for (size_t i = 0; i < y->nev; i++) {
		struct event *e = ev_at(y, i);

		if (e->kind == EV_STRIKE) {
			nstrikes++;
			addr_format(&e->net.net, a);
			put_time(w, e->usec, false);
			putf(w, "  strike #%zu  %s  %s", numbers[i], e->reason ? e->reason : "?", a);
			put(w, "  rule ", 7);
			put_text(w, e->rule ? e->rule : "-", strlen(e->rule ? e->rule : "-"));
			put(w, "  ", 2);
			put_text(w, e->host ? e->host : "?", strlen(e->host ? e->host : "?"));
			put(w, " ", 1);
			put_text(w, e->tag ? e->tag : "?", strlen(e->tag ? e->tag : "?"));
			putf(w, "[%ld]  client ", e->pid);
			put_text(w, e->client ? e->client : "?", strlen(e->client ? e->client : "?"));
			put(w, "\n", 1);
			if (e->session == NULL) {
				putf(w, "    (no session lines found in the summary log)\n");
				continue;
			}
			if (e->session->partial)
				putf(w, "    (its connect is not in the summary logs read)\n");
			for (const char *p = e->session->buf, *end = p + e->session->len; p < end;) {
				const char *nl = memchr(p, '\n', (size_t) (end - p));

				put(w, "    ", 4);
				put_text(w, p, (size_t) (nl - p));
				put(w, "\n", 1);
				p = nl + 1;
			}
			if (e->session->cut)
				putf(w, "    (more lines; %d shown)\n", WHY_SESSION_LINES);
			if (e->session->ambiguous)
				putf(w, "    (another session of this client in the same second fits as well: the "
				     "timestamps cannot tell which)\n");
			if (e->session->open_end)
				putf(w, "    (its disconnect is not in the summary logs read)\n");
		} else if (e->kind == EV_BAN) {
			size_t made[64], nm = ban_strikes(y, i, numbers, made, 64);
			struct event *u;
			int64_t until;
			const char *st = ban_status(y, i, &until, &u);

			nbans++;
			addr_format(&e->net.net, a);
			format_duration(e->seconds, dur, sizeof(dur));
			put_time(w, e->usec, false);
			putf(w, "  BAN %s/%u for %s (%u strikes:", a, e->net.prefix, dur, e->strikes);
			for (size_t k = 0; k < nm; k++)
				putf(w, " #%zu", made[k]);
			if (nm < e->strikes)
				putf(w, "%s%zu of other addresses of the network or not in the events read", nm ? "; " : " ",
				     (size_t) e->strikes - nm);
			put(w, ") until ", 8);
			put_time(w, until, false);
			putf(w, ": %s", strcmp(st, "dry_run") == 0 ? "dry run, not given to the kernel" : st);
			if (u) {
				put(w, " at ", 4);
				put_time(w, u->usec, false);
				put(w, " by ", 4);
				put_text(w, u->by ? u->by : "?", strlen(u->by ? u->by : "?"));
			}
			if (strcmp(st, "running") == 0)
				putf(w, "%s", state_ban(y, &e->net) ? " (a state file holds it)" :
				     " (no state file holds it: unbanned or forgotten without an event?)");
			if (e->set)
				putf(w, ", set %s", e->set);
			put(w, "\n", 1);
		} else {
			addr_format(&e->net.net, a);
			put_time(w, e->usec, false);
			putf(w, "  UNBAN %s/%u by ", a, e->net.prefix);
			put_text(w, e->by ? e->by : "?", strlen(e->by ? e->by : "?"));
			put(w, "\n", 1);
		}
	}
	if (nstrikes + nbans == 0)
		putf(w, "No strike and no ban of %s/%u in the events logs read.\n", tn, y->o->target.prefix);
	if (y->nstate) {
		putf(w, "\nState now:\n");
		for (size_t i = 0; i < y->nstate; i++) {
			struct state_row *r = &y->state[i];

			addr_format(&r->net.net, a);
			putf(w, "  %s/%u  %u strike%s within findtime, banned %u time%s", a, r->net.prefix, r->strikes,
			     r->strikes == 1 ? "" : "s", r->times_banned, r->times_banned == 1 ? "" : "s");
			if (r->until_usec > y->o->now_usec) {
				put(w, ", running until ", 16);
				put_time(w, r->until_usec, false);
			}
			putf(w, "  (%s)\n", r->file);
		}
	}
}

static void jkey(struct out *w, bool *first, const char *k)
{
	putf(w, "%s\"%s\":", *first ? "" : ",", k);
	*first = false;
}

static void write_json(struct why *y, struct out *w, const size_t *numbers)
{
	char a[ADDR_STRLEN], buf[512];
	bool first;

	addr_format(&y->o->target.net, a);
	put(w, "{\"target\":", 10);
	putf(w, "\"%s/%u\",\"now\":", a, y->o->target.prefix);
	put_time(w, y->o->now_usec, true);
	put(w, ",\"sources\":[", 12);
	for (size_t i = 0; i < y->nsrc; i++) {
		struct source *s = &y->src[i];

		putf(w, "%s{\"kind\":\"%s\",\"file\":", i ? "," : "", s->kind);
		putjs(w, s->path);
		putf(w, ",\"read\":%s,\"complete\":%s,\"lines\":%" PRIu64 ",\"bad_lines\":%" PRIu64
		     ",\"overlong_lines\":%" PRIu64 ",\"error\":", s->read ? "true" : "false",
		     s->read && !s->what && !s->err ? "true" : "false", s->lines, s->bad, s->overlong);
		source_problem(s, buf, sizeof(buf));
		putjs(w, buf[0] ? buf : NULL);
		put(w, "}", 1);
	}
	put(w, "],\"notes\":[", 11);
	for (size_t i = 0; i < y->nnotes; i++) {
		if (i)
			put(w, ",", 1);
		putjs(w, y->notes[i]);
	}
	putf(w, "],\"events_not_shown\":%" PRIu64 ",\"strikes_not_searched\":%" PRIu64 ",\"story\":[", y->ev_dropped,
	     y->strikes_without_search);
	for (size_t i = 0; i < y->nev; i++) {
		struct event *e = ev_at(y, i);

		first = true;
		put(w, i ? ",{" : "{", i ? 2 : 1);
		jkey(w, &first, "event");
		putjs(w, e->kind == EV_STRIKE ? "strike" : e->kind == EV_BAN ? "ban" : "unban");
		jkey(w, &first, "ts");
		putjs(w, e->ts);
		jkey(w, &first, "addr");
		addr_format(&e->net.net, a);
		putjs(w, a);
		if (e->kind == EV_STRIKE) {
			putf(w, ",\"number\":%zu", numbers[i]);
			jkey(w, &first, "reason");
			putjs(w, e->reason);
			jkey(w, &first, "rule");
			putjs(w, e->rule);
			jkey(w, &first, "client");
			putjs(w, e->client);
			jkey(w, &first, "host");
			putjs(w, e->host);
			jkey(w, &first, "tag");
			putjs(w, e->tag);
			if (e->pid >= 0)
				putf(w, ",\"pid\":%ld", e->pid);
			else
				put(w, ",\"pid\":null", 11);
			jkey(w, &first, "session");
			if (e->session == NULL) {
				put(w, "null", 4);
			} else {
				putf(w, "{\"connect_seen\":%s,\"disconnect_seen\":%s,\"cut\":%s,\"ambiguous\":%s,\"lines\":[",
				     e->session->partial ? "false" : "true", e->session->open_end ? "false" : "true",
				     e->session->cut ? "true" : "false", e->session->ambiguous ? "true" : "false");
				for (const char *p = e->session->buf, *end = p + e->session->len; p < end;) {
					const char *nl = memchr(p, '\n', (size_t) (end - p));

					if (p != e->session->buf)
						put(w, ",", 1);
					putj(w, p, (size_t) (nl - p));
					p = nl + 1;
				}
				put(w, "]}", 2);
			}
		} else if (e->kind == EV_BAN) {
			size_t made[64], nm = ban_strikes(y, i, numbers, made, 64);
			struct event *u;
			int64_t until;
			const char *st = ban_status(y, i, &until, &u);

			putf(w, ",\"prefix\":%u,\"seconds\":%" PRId64 ",\"strikes\":%u,\"strike_numbers\":[", e->net.prefix,
			     e->seconds, e->strikes);
			for (size_t k = 0; k < nm; k++)
				putf(w, "%s%zu", k ? "," : "", made[k]);
			put(w, "],\"until\":", 10);
			put_time(w, until, true);
			putf(w, ",\"status\":\"%s\",\"in_state\":%s,\"set\":", st, state_ban(y, &e->net) ? "true" : "false");
			putjs(w, e->set);
			put(w, ",\"unban\":", 9);
			if (u) {
				put(w, "{\"ts\":", 6);
				putjs(w, u->ts);
				put(w, ",\"by\":", 6);
				putjs(w, u->by);
				put(w, "}", 1);
			} else {
				put(w, "null", 4);
			}
		} else {
			putf(w, ",\"prefix\":%u,\"by\":", e->net.prefix);
			putjs(w, e->by);
		}
		put(w, "}", 1);
	}
	put(w, "],\"state\":[", 11);
	for (size_t i = 0; i < y->nstate; i++) {
		struct state_row *r = &y->state[i];

		addr_format(&r->net.net, a);
		putf(w, "%s{\"file\":", i ? "," : "");
		putjs(w, r->file);
		putf(w, ",\"addr\":\"%s\",\"prefix\":%u,\"strikes\":%u,\"times_banned\":%u,\"running\":%s,\"until\":", a,
		     r->net.prefix, r->strikes, r->times_banned, r->until_usec > y->o->now_usec ? "true" : "false");
		put_time(w, r->until_usec > 0 ? r->until_usec : -1, true);
		put(w, ",\"last_strike\":", 15);
		put_time(w, r->last_strike_usec > 0 ? r->last_strike_usec : -1, true);
		put(w, "}", 1);
	}
	put(w, "]}\n", 3);
}

/* What both commands gathered in y: the sources read and the notes. */
static void why_fini(struct why *y)
{
	for (size_t i = 0; i < y->nsrc; i++)
		free(y->src[i].path);
	free(y->src);
	for (size_t i = 0; i < y->nnotes; i++)
		free(y->notes[i]);
	free(y->notes);
}

int why_run(const struct why_options *o, struct output *out)
{
	struct why y = {.o = o};
	struct out w = {out, 0};
	size_t *numbers = NULL;
	int r = 0;

	if ((y.ev = calloc(WHY_EVENTS_MAX, sizeof(*y.ev))) == NULL)
		return -ENOMEM;
	if (o->events == NULL)
		note(&y, "no events log (events_log is not set): no strikes or bans can be told");
	else if ((r = add_log_files(&y, o->events, "events")) < 0)
		goto out;
	for (size_t i = 0; i < y.nsrc && r == 0; i++)
		r = read_events_file(&y, &y.src[i]);
	if (r < 0)
		goto out;
	if (o->summary == NULL || strcmp(o->summary, "-") == 0)
		note(&y, "no summary log: the strikes' sessions are not shown");
	else if ((r = add_log_files(&y, o->summary, "summary")) < 0 || (r = read_summary(&y)) < 0)
		goto out;
	if ((r = read_state(&y, o->config)) < 0)
		goto out;
	if ((numbers = calloc(y.nev ? y.nev : 1, sizeof(*numbers))) == NULL) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0, n = 0; i < y.nev; i++)
		numbers[i] = ev_at(&y, i)->kind == EV_STRIKE ? ++n : 0;
	if (o->json)
		write_json(&y, &w, numbers);
	else
		write_text(&y, &w, numbers);
	r = w.err;
	if (r == 0)
		r = output_flush(out);
out:
	free(numbers);
	for (size_t i = 0; i < WHY_EVENTS_MAX; i++)
		event_free(&y.ev[i]);
	free(y.ev);
	why_fini(&y);
	free(y.state);
	return r;
}

int why_report(const struct why_options *o, FILE *fp)
{
	struct why y = {.o = o};
	struct output *null = NULL;
	struct report_tally *tally = report_tally_new();
	struct engine *e = NULL;
	uint64_t bytes = 0;
	int r;

	if (tally == NULL)
		return -ENOMEM;
	if (o->summary == NULL || strcmp(o->summary, "-") == 0) {
		report_tally_free(tally);
		return -ENOENT;
	}
	if ((r = output_open("/dev/null", &null)) < 0)
		goto out;

	struct engine_options eo = {.summary = null, .tally = tally};

	if ((e = engine_new(o->config, &eo)) == NULL || (r = add_log_files(&y, o->summary, "summary")) < 0) {
		r = r < 0 ? r : -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < y.nsrc; i++) {
		struct source *s = &y.src[i];
		struct logfile l;
		struct stat st;
		const char *p;
		size_t n;

		if ((r = logfile_open(s->path, &l)) < 0) {
			s->err = r;
			if (r == -ENOMEM)
				goto out;
			continue;
		}
		s->read = true;
		int64_t ref = stat(s->path, &st) == 0 ? (int64_t) st.st_mtime * 1000000 : o->now_usec;

		while ((r = logfile_next(&l, &p, &n)) > 0) {
			struct record rec;

			s->lines++;
			record_parse(p, n, ref, &rec);
			if (rec.usec >= 0 && ((o->since_usec >= 0 && rec.usec < o->since_usec) ||
					      (o->until_usec >= 0 && rec.usec >= o->until_usec)))
				continue;
			bytes += n + 1;
			if ((r = engine_record(e, &rec)) < 0)
				break;
		}
		s->overlong = l.overlong;
		if (r < 0 || logfile_error(&l)[0]) {
			snprintf(s->detail, sizeof(s->detail), "%s", r < 0 ? strerror(-r) : logfile_error(&l));
			s->what = s->detail;
		}
		logfile_close(&l);
		if (r == -ENOMEM)
			goto out;
	}
	r = engine_hold_flush(e) == -ENOMEM ? -ENOMEM : 0;	/* the SASL strikes held to the end */
	if (r < 0)
		goto out;
	fprintf(fp, "authfold why --summary");
	if (o->since_usec >= 0 || o->until_usec >= 0) {
		char a[64] = "-", b[64] = "-";

		if (o->since_usec >= 0)
			format_rfc3339(o->since_usec, a, sizeof(a));
		if (o->until_usec >= 0)
			format_rfc3339(o->until_usec, b, sizeof(b));
		fprintf(fp, ": lines from %s until %s", a, b);
	}
	fprintf(fp, "\n\nRead:\n");
	for (size_t i = 0; i < y.nsrc; i++) {
		struct source *s = &y.src[i];
		char buf[1100];

		source_problem(s, buf, sizeof(buf));
		if (!s->read)
			fprintf(fp, "  %s: NOT READ (%s)\n", s->path, buf);
		else
			fprintf(fp, "  %s: %" PRIu64 " lines%s%s\n", s->path, s->lines, buf[0] ? "; NOT READ TO THE END: " : "",
				buf);
	}
	report_write(fp, e, o->config, true, bytes, 0);
	report_tables(fp, tally);
	if (fflush(fp) != 0 || ferror(fp))
		r = -EIO;
out:
	engine_free(e);
	output_free(null);
	report_tally_free(tally);
	why_fini(&y);
	return r;
}

/* --since/--until: a duration back from now ("1d"), an RFC 3339 time, or
   a date (local midnight); -1 when it is none of them. */
static int64_t parse_when(const char *s, int64_t now_usec)
{
	int64_t secs, usec;
	struct tm tm = {0};
	char end;

	if (parse_duration(s, &secs) == 0)
		return now_usec - secs * 1000000;
	if ((usec = eventlog_time(s)) >= 0)
		return usec;
	if (sscanf(s, "%4d-%2d-%2d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &end) == 3) {
		tm.tm_year -= 1900;
		tm.tm_mon -= 1;
		tm.tm_isdst = -1;
		time_t t = mktime(&tm);

		return t == (time_t) -1 ? -1 : (int64_t) t * 1000000;
	}
	return -1;
}

int why_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'}, {"events", required_argument, NULL, 'e'},
		{"summary-log", required_argument, NULL, 'l'}, {"json", no_argument, NULL, 'j'},
		{"summary", no_argument, NULL, 's'}, {"since", required_argument, NULL, 'S'},
		{"until", required_argument, NULL, 'U'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
	};
	struct why_options o = {.since_usec = -1, .until_usec = -1};
	const char *conf_path = NULL, *since = NULL, *until = NULL;
	bool report = false;
	struct output *out = NULL;
	struct timespec ts;
	char err[1024];
	int opt, r;

	while ((opt = getopt_long(argc, argv, "c:e:l:jsS:U:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': conf_path = optarg; break;
		case 'e': o.events = optarg; break;
		case 'l': o.summary = optarg; break;
		case 'j': o.json = true; break;
		case 's': report = true; break;
		case 'S': since = optarg; break;
		case 'U': until = optarg; break;
		case 'h': return 3;	/* the caller prints the usage */
		default:
			fprintf(stderr, "authfold: bad option for why\nTry 'authfold --help'.\n");
			return 2;
		}
	}
	if (report ? argc - optind != 0 || o.json : argc - optind != 1 || since || until) {
		fprintf(stderr, "authfold: %s\nTry 'authfold --help'.\n", report ?
			"why --summary takes no address and no --json" : "why takes one ADDR[/PREFIX] (--since and --until "
			"go with --summary)");
		return 2;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	o.now_usec = (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	if (report && since == NULL) {	/* today */
		time_t t = (time_t) (o.now_usec / 1000000);
		struct tm tm;

		localtime_r(&t, &tm);
		o.since_usec = (o.now_usec / 1000000 - tm.tm_hour * 3600 - tm.tm_min * 60 - tm.tm_sec) * 1000000;
	}
	if ((since && (o.since_usec = parse_when(since, o.now_usec)) < 0) ||
	    (until && (o.until_usec = parse_when(until, o.now_usec)) < 0)) {
		fprintf(stderr, "authfold: why: '%s' is not a time (a duration back from now like 1d, an RFC 3339 "
			"time, or YYYY-MM-DD)\nTry 'authfold --help'.\n", since && o.since_usec < 0 ? since : until);
		return 2;
	}

	struct config *c = config_read(conf_path, err, sizeof(err));

	if (c == NULL) {
		fprintf(stderr, "authfold: %s\n", err);
		return 2;
	}
	if (o.events == NULL)
		o.events = c->events_log;
	if (o.summary == NULL)
		o.summary = c->summary_log;
	if (report) {
		o.config = c;
		if ((r = why_report(&o, stdout)) < 0)
			fprintf(stderr, "authfold: why --summary: %s\n", r == -ENOENT ? "no summary log (summary_log is "
				"not set)" : strerror(-r));
		config_free(c);
		return r < 0 ? 1 : 0;
	}
	if (bans_parse_target(c, argv[optind], &o.target, err, sizeof(err)) < 0) {
		fprintf(stderr, "authfold: why: %s\nTry 'authfold --help'.\n", err);
		config_free(c);
		return 2;
	}
	o.config = c;
	if ((r = output_open("-", &out)) == 0)
		r = why_run(&o, out);
	if (r < 0)
		fprintf(stderr, "authfold: why: %s\n", strerror(-r));
	output_free(out);
	config_free(c);
	return r < 0 ? 1 : 0;
}

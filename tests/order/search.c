/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	order-search 1
 * SUMMARY
 *	search bounded reorderings of a recording for a fold that differs
 * SYNOPSIS
 *	tests/order/order-search [-s SECONDS] [-n TRIALS] [-S SEED] [-d LINES]
 *		[-m SECONDS] [-w LINES] [-o FILE] [-c KEY=VALUE]... LOG
 *	tests/order/order-search -a CAPTURE [-s SECONDS ...] [-o FILE] [-c KEY=VALUE]... LOG
 * DESCRIPTION
 *	Reads a real log (tests/data/verbose.*.log), replays it in order
 *	through engine(3) as `authfold replay` does, and then, trial after
 *	trial, replays a reordering of it chosen by a seeded generator and
 *	asserts that the outcome is the in-order one:
 *	  - the kept lines, as a multiset, byte for byte;
 *	  - the synthetic lines, one per probing session: as a multiset per
 *	    (host, tag, pid, client), each carrying the prefix of one of that
 *	    client's proving lines on that process (a 503 "authentication not
 *	    enabled" reply or a disconnect) in the input;
 *	  - the strikes, as a multiset of (reason, addr, client, host, tag, pid);
 *	  - the bans, as a multiset of (addr, prefix, seconds).
 *
 *	A trial's reordering is one to three of these, composed:
 *	  displace   every line moves by at most -d LINES positions (a
 *		     memory queue with several workers);
 *	  block      a run of lines moves, whole, to where the log is at most
 *		     -m SECONDS of log time later or earlier (a queue part that
 *		     is handed over before or after the other);
 *	  interleave two adjacent runs come out interleaved in chunks of
 *		     random sizes (a disk-assisted queue draining its disk and
 *		     memory parts at once, as tests/rsyslog/spill.sh saw).
 *	Lines of one process with the same timestamp keep their order: the
 *	fold cannot know another (authfold(8), ORDER).
 *
 *	With -w LINES, each trial then sends a window of up to LINES of its
 *	arrival order a second time, later (rsyslog RELP resending after a
 *	restart), and is held to the in-order replay of the same lines (each
 *	sent line next to its copy): the kept lines twice, every verdict
 *	once. Times must have microseconds (authfold(8), ORDER).
 *
 *	On the first difference the reordering is shrunk (delta debugging:
 *	lines are removed while the subset, replayed in the reordering's
 *	order, still differs from the subset in order), and the lines of the
 *	counterexample are printed in arrival order, with what differs; -o
 *	FILE writes them there too. The exit status is then 1.
 *
 *	It stops after -s SECONDS (default 20) or -n TRIALS, whichever comes
 *	first, prints the trials run and exits 0. -S SEED (default 1) is the
 *	first trial's seed; trial i uses SEED + i, so a seed printed with a
 *	counterexample reproduces it with -S SEED -n 1. -c sets a configuration
 *	key (backend is always none).
 *
 *	With -a CAPTURE, no search: CAPTURE holds LOG's lines in the order a
 *	real rsyslogd handed them to authfold-omprog (tests/rsyslog/burst.sh
 *	tees them); that order is replayed, held to LOG's order of the same
 *	lines, and shrunk the same way when it differs. Lines LOG does not
 *	hold (a test's sentinels) are left out. With -s as well, and when the
 *	capture holds every line of LOG, the search then goes on around the
 *	captured order: each trial reorders it further.
 */

#include "config.h"
#include "engine.h"
#include "output.h"
#include "record.h"
#include "smtpd.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum line_kind {
	LINE_FREE,			/* no client: -v chatter, kept lines, other programs */
	LINE_TRACE,			/* a -v command or reply other than AUTH and its 503 */
	LINE_TRACE_KEY,			/* AUTH, the 503 "not enabled" reply */
	LINE_SESSION,			/* connect, disconnect, SASL failure */
};

struct line {
	const char *p;
	size_t len;
	int64_t usec;
	uint64_t proc;			/* hash of host, tag, pid */
	size_t unit;			/* the session it is in (shrinking) */
	enum line_kind kind;
};

static struct line *lines;
static size_t nlines, nunits;
static struct config *conf;
static char summary_path[256], events_path[256];

static int64_t fixed_clock(void)
{
	return INT64_C(1795718795) * 1000000;	/* 2026-11-26T18:46:35Z */
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL) {
		fprintf(stderr, "order-search: out of memory\n");
		exit(2);
	}
	return p;
}

/* --- random numbers: splitmix64, seeded per trial ------------------------- */

static uint64_t rnd_state;

static uint64_t rnd(void)
{
	uint64_t z = (rnd_state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static size_t rnd_below(size_t n)
{
	return n ? (size_t) (rnd() % n) : 0;
}

/* --- outcome -------------------------------------------------------------- */

struct outcome {
	char *summary, *events;		/* owned file contents */
	char **kept, **synth, **strikes, **bans;
	size_t nkept, nsynth, nstrikes, nbans;
	size_t bad_synth;		/* synthetic lines with no proving line's prefix */
	char *bad_example;
};

static char **proving;			/* "PREFIX\tCLIENT" of every proving line of the input */
static size_t nproving;

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "rb");
	size_t cap = 1 << 16, n = 0, got;
	char *buf = xmalloc(cap + 1);

	if (fp == NULL) {
		buf[0] = 0;
		return buf;
	}
	while ((got = fread(buf + n, 1, cap - n, fp)) > 0) {
		n += got;
		if (n == cap) {
			char *nb = realloc(buf, cap * 2 + 1);

			if (nb == NULL) {
				fprintf(stderr, "order-search: out of memory\n");
				exit(2);
			}
			buf = nb;
			cap *= 2;
		}
	}
	fclose(fp);
	buf[n] = 0;
	return buf;
}

static void push(char ***v, size_t *n, char *s)
{
	if ((*n & (*n - 1)) == 0 || *n == 0) {
		char **nv = realloc(*v, sizeof(**v) * (*n ? *n * 2 : 8));

		if (nv == NULL) {
			fprintf(stderr, "order-search: out of memory\n");
			exit(2);
		}
		*v = nv;
	}
	(*v)[(*n)++] = s;
}

/* Removes "name":value (string or number) from the JSON object text s, in place. */
static void json_drop(char *s, const char *name)
{
	char key[64];
	char *k, *end;

	snprintf(key, sizeof(key), ",\"%s\":", name);
	if ((k = strstr(s, key)) == NULL) {
		snprintf(key, sizeof(key), "\"%s\":", name);
		if ((k = strstr(s, key)) == NULL)
			return;
	}
	end = k + strlen(key);
	if (*end == '"') {
		for (end++; *end && *end != '"'; end++)
			if (*end == '\\' && end[1])
				end++;
		if (*end)
			end++;
	} else {
		while (*end && *end != ',' && *end != '}')
			end++;
	}
	if (k[0] != ',' && *end == ',')
		end++;
	memmove(k, end, strlen(end) + 1);
}

static const char SYNTH[] = ": authentication not enabled";

/* "PREFIX\tCLIENT" for a proving line (503 not enabled, disconnect), else NULL. */
static char *proving_key(const char *p, size_t len)
{
	struct record r;
	const char *c, *e;
	size_t cl;
	char *k;

	record_parse(p, len, fixed_clock(), &r);
	if (r.format == RECORD_OTHER || r.msg.len == 0)
		return NULL;
	c = r.msg.p;
	e = r.msg.p + r.msg.len;
	if (span_startswith(r.msg, "> ") && r.msg.len > 2) {
		c += 2;
		const char *colon = memchr(c, ':', (size_t) (e - c));

		if (colon == NULL || (size_t) (e - colon) < 2 ||
		    memmem(colon, (size_t) (e - colon), "503 5.5.1 Error: authentication not enabled", 43) == NULL)
			return NULL;
		cl = (size_t) (colon - c);
		/* the client token is NAME[ADDR]: the colon after ']' */
		const char *rb = memchr(c, ']', (size_t) (e - c));

		if (rb == NULL)
			return NULL;
		cl = (size_t) (rb + 1 - c);
	} else if (span_startswith(r.msg, "disconnect from ")) {
		c += 16;
		const char *sp = memchr(c, ' ', (size_t) (e - c));

		cl = sp ? (size_t) (sp - c) : (size_t) (e - c);
	} else if (span_startswith(r.msg, "warning: ") && r.msg.len > 9 + sizeof(SYNTH) - 1 &&
		   memcmp(e - (sizeof(SYNTH) - 1), SYNTH, sizeof(SYNTH) - 1) == 0) {
		c += 9;
		cl = (size_t) (e - (sizeof(SYNTH) - 1) - c);
	} else {
		return NULL;
	}
	k = xmalloc(r.prefix_len + 1 + cl + 1);
	memcpy(k, p, r.prefix_len);
	k[r.prefix_len] = '\t';
	memcpy(k + r.prefix_len + 1, c, cl);
	k[r.prefix_len + 1 + cl] = 0;
	return k;
}

static bool is_synthetic(const char *s, size_t len)
{
	struct record r;

	record_parse(s, len, fixed_clock(), &r);
	return r.format != RECORD_OTHER && span_startswith(r.msg, "warning: ") && r.msg.len > sizeof(SYNTH) &&
	    memcmp(r.msg.p + r.msg.len - (sizeof(SYNTH) - 1), SYNTH, sizeof(SYNTH) - 1) == 0;
}

static void outcome_free(struct outcome *o)
{
	for (size_t i = 0; i < o->nsynth; i++)
		free(o->synth[i]);
	free(o->summary);
	free(o->events);
	free(o->kept);
	free(o->synth);
	free(o->strikes);
	free(o->bans);
	free(o->bad_example);
	memset(o, 0, sizeof(*o));
}

/* Replays the lines order[0..n) and reads what came out. */
static void replay(const size_t *order, size_t n, struct outcome *ret)
{
	struct output *sum, *ev;
	struct engine *e;

	memset(ret, 0, sizeof(*ret));
	unlink(summary_path);
	unlink(events_path);
	if (output_open(summary_path, &sum) < 0 || output_open(events_path, &ev) < 0) {
		fprintf(stderr, "order-search: cannot open %s or %s\n", summary_path, events_path);
		exit(2);
	}
	struct engine_options o = {.summary = sum, .events = ev, .clock = fixed_clock};

	if ((e = engine_new(conf, &o)) == NULL) {
		fprintf(stderr, "order-search: engine_new failed\n");
		exit(2);
	}
	for (size_t i = 0; i < n; i++)
		engine_line(e, lines[order[i]].p, lines[order[i]].len, true);
	engine_settle(e, true);
	if (engine_flush(e) < 0) {
		fprintf(stderr, "order-search: cannot write: %s\n", engine_error(e));
		exit(2);
	}
	engine_free(e);
	output_free(sum);
	output_free(ev);

	ret->summary = slurp(summary_path);
	ret->events = slurp(events_path);
	for (char *s = ret->summary, *nl; *s; s = nl + 1) {
		if ((nl = strchr(s, '\n')) == NULL)
			nl = s + strlen(s) - 1;
		nl[0] = 0;
		if (!is_synthetic(s, (size_t) (nl - s))) {
			push(&ret->kept, &ret->nkept, s);
			continue;
		}
		char *k = proving_key(s, (size_t) (nl - s));
		/* the key without its timestamp: host tag[pid] and client */
		struct record r;

		record_parse(s, (size_t) (nl - s), fixed_clock(), &r);
		if (k && !bsearch(&k, proving, nproving, sizeof(*proving), cmp_str)) {
			if (ret->bad_synth++ == 0)
				ret->bad_example = strdup(s);
		}
		free(k);
		size_t off = r.ts.len && r.ts.p == s ? r.ts.len : 0;
		push(&ret->synth, &ret->nsynth, strdup(s + off));
	}
	for (char *s = ret->events, *nl; *s; s = nl + 1) {
		if ((nl = strchr(s, '\n')) == NULL)
			nl = s + strlen(s) - 1;
		nl[0] = 0;
		json_drop(s, "ts");
		if (strstr(s, "\"event\":\"strike\"")) {
			json_drop(s, "rule");
			push(&ret->strikes, &ret->nstrikes, s);
		} else if (strstr(s, "\"event\":\"ban\"")) {
			json_drop(s, "strikes");
			push(&ret->bans, &ret->nbans, s);
		}
	}
	qsort(ret->kept, ret->nkept, sizeof(char *), cmp_str);
	qsort(ret->synth, ret->nsynth, sizeof(char *), cmp_str);
	qsort(ret->strikes, ret->nstrikes, sizeof(char *), cmp_str);
	qsort(ret->bans, ret->nbans, sizeof(char *), cmp_str);
}

/* Prints (when out) what differs between two sorted multisets; the count. */
static size_t diff(FILE *out, const char *what, char **a, size_t na, char **b, size_t nb)
{
	size_t i = 0, j = 0, n = 0;

	while (i < na || j < nb) {
		int c = i == na ? 1 : j == nb ? -1 : strcmp(a[i], b[j]);

		if (c == 0) {
			i++, j++;
			continue;
		}
		n++;
		if (out)
			fprintf(out, "  %s %s: %s\n", what, c < 0 ? "only in order" : "only reordered",
				c < 0 ? a[i] : b[j]);
		if (c < 0)
			i++;
		else
			j++;
	}
	return n;
}

static size_t outcome_diff(FILE *out, const struct outcome *a, const struct outcome *b)
{
	size_t n = diff(out, "kept line", a->kept, a->nkept, b->kept, b->nkept);

	n += diff(out, "synthetic line", a->synth, a->nsynth, b->synth, b->nsynth);
	n += diff(out, "strike", a->strikes, a->nstrikes, b->strikes, b->nstrikes);
	n += diff(out, "ban", a->bans, a->nbans, b->bans, b->nbans);
	if (b->bad_synth) {
		n += b->bad_synth;
		if (out)
			fprintf(out, "  %zu synthetic line(s) reordered with no proving line's prefix, as: %s\n",
				b->bad_synth, b->bad_example);
	}
	return n;
}

/* --- reorderings ---------------------------------------------------------- */

static size_t max_displace = 64;
static size_t dup_window;		/* -w: lines resent later; 0: none */
static int64_t max_block_usec = 300 * INT64_C(1000000);

static size_t *tmp_order;
static uint64_t *tmp_keys;
static size_t *base;			/* the order searched around (-a with -s); NULL: the log's */

static int cmp_key(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;

	return x < y ? -1 : x > y;
}

/* Every line moves by at most max_displace positions (keys i + U[0, d]). */
static void displace(size_t *v, size_t n)
{
	size_t d = 1 + rnd_below(max_displace);

	for (size_t i = 0; i < n; i++)
		tmp_keys[i] = ((uint64_t) (i + rnd_below(d + 1)) << 32) | i;
	qsort(tmp_keys, n, sizeof(*tmp_keys), cmp_key);
	for (size_t i = 0; i < n; i++)
		tmp_order[i] = v[tmp_keys[i] & 0xffffffffu];
	memcpy(v, tmp_order, n * sizeof(*v));
}

/* Moves v[a, b) to before v[c] (c outside [a, b]). */
static void move_block(size_t *v, size_t n, size_t a, size_t b, size_t c)
{
	size_t k = 0;

	(void) n;
	if (c > b) {
		for (size_t i = 0; i < a; i++)
			tmp_order[k++] = v[i];
		for (size_t i = b; i < c; i++)
			tmp_order[k++] = v[i];
		for (size_t i = a; i < b; i++)
			tmp_order[k++] = v[i];
		memcpy(v, tmp_order, k * sizeof(*v));
	} else if (c < a) {
		for (size_t i = 0; i < c; i++)
			tmp_order[k++] = v[i];
		for (size_t i = a; i < b; i++)
			tmp_order[k++] = v[i];
		for (size_t i = c; i < a; i++)
			tmp_order[k++] = v[i];
		memcpy(v, tmp_order, k * sizeof(*v));
	}
}

static int64_t usec_at(const size_t *v, size_t i)
{
	return lines[v[i]].usec;
}

/* A run of lines moves to where the log is at most max_block_usec away. */
static void block(size_t *v, size_t n)
{
	if (n < 3)
		return;
	size_t a = rnd_below(n - 1);
	size_t len = 1 + rnd_below(rnd() & 1 ? 8 : n / 4 + 1);
	size_t b = a + len > n ? n : a + len;
	int64_t t = usec_at(v, a), lim = (int64_t) (rnd() % (uint64_t) (max_block_usec + 1));
	size_t c;

	if (rnd() & 1) {	/* later: before the last line at most lim after t */
		size_t hi = b;

		while (hi < n && (usec_at(v, hi) < 0 || usec_at(v, hi) - t <= lim))
			hi++;
		if (hi == b)
			return;
		c = b + 1 + rnd_below(hi - b);
	} else {
		size_t lo = a;

		while (lo > 0 && (usec_at(v, lo - 1) < 0 || t - usec_at(v, lo - 1) <= lim))
			lo--;
		if (lo == a)
			return;
		c = lo + rnd_below(a - lo);
	}
	move_block(v, n, a, b, c);
}

/* Two adjacent runs come out interleaved in chunks. */
static void interleave(size_t *v, size_t n)
{
	if (n < 3)
		return;
	size_t a = rnd_below(n - 2);
	size_t span = 2 + rnd_below(rnd() & 1 ? 64 : n - a - 1);
	size_t c = a + span > n ? n : a + span;
	size_t b = a + 1 + rnd_below(c - a - 1);
	size_t chunk = 1 + rnd_below(rnd() & 1 ? 8 : (c - a) / 4 + 1);
	size_t i = a, j = b, k = 0;

	while (i < b || j < c) {
		bool old = j == c || (i < b && (rnd() & 1));
		size_t m = 1 + rnd_below(chunk);

		for (; m > 0 && (old ? i < b : j < c); m--)
			tmp_order[k++] = old ? v[i++] : v[j++];
	}
	memcpy(v + a, tmp_order, k * sizeof(*v));
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *) a, y = *(const size_t *) b;

	return x < y ? -1 : x > y;
}

struct tie {
	uint64_t proc;
	int64_t usec;
	size_t pos;
};

static int cmp_tie(const void *x, const void *y)
{
	const struct tie *a = x, *b = y;

	if (a->proc != b->proc)
		return a->proc < b->proc ? -1 : 1;
	if (a->usec != b->usec)
		return a->usec < b->usec ? -1 : 1;
	return a->pos < b->pos ? -1 : a->pos > b->pos;
}

/* Lines of one process with the same time keep their order: each such
   group's positions are given its lines in input order. */
static void keep_ties(size_t *v, size_t n)
{
	/* sort positions by (proc, usec, position); within a group, hand out
	   the group's lines sorted by index to its positions in order */
	struct tie *t = xmalloc(n * sizeof(*t));
	size_t *idx = xmalloc(n * sizeof(*idx));

	for (size_t i = 0; i < n; i++)
		t[i] = (struct tie) {lines[v[i]].proc, lines[v[i]].usec, i};
	qsort(t, n, sizeof(*t), cmp_tie);
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i; j < n && t[j].proc == t[i].proc && t[j].usec == t[i].usec; j++)
			idx[j - i] = v[t[j].pos];
		if (j - i < 2 || t[i].usec < 0)
			continue;
		qsort(idx, j - i, sizeof(*idx), cmp_size);
		for (size_t k = i; k < j; k++)
			v[t[k].pos] = idx[k - i];
	}
	free(t);
	free(idx);
}

static void reorder(uint64_t seed, size_t *v, size_t n)
{
	rnd_state = seed * UINT64_C(0x2545f4914f6cdd1d) + 1;
	for (size_t i = 0; i < n; i++)
		v[i] = base ? base[i] : i;
	for (int ops = 1 + (int) rnd_below(3); ops > 0; ops--) {
		switch (rnd_below(3)) {
		case 0:
			displace(v, n);
			break;
		case 1:
			block(v, n);
			break;
		default:
			interleave(v, n);
			break;
		}
	}
	keep_ties(v, n);
}

/* -w: a window of the arrival order v[0..n) sent again, later; the new
   length (v has room for n + dup_window). */
static size_t resend(size_t *v, size_t n)
{
	size_t k = 1 + rnd_below(dup_window < n ? dup_window : n);
	size_t a = rnd_below(n - k + 1), b = a + k + rnd_below(n - a - k + 1);
	size_t *w = xmalloc(k * sizeof(*w));

	memcpy(w, v + a, k * sizeof(*w));
	memmove(v + b + k, v + b, (n - b) * sizeof(*v));
	memcpy(v + b, w, k * sizeof(*w));
	free(w);
	return n + k;
}

/* --- shrinking ------------------------------------------------------------ */

/* Whether the lines sub[0..n) (arrival order) fold differently from in order. */
static bool fails(const size_t *sub, size_t n)
{
	size_t *sorted = xmalloc(n * sizeof(*sorted));
	struct outcome a, b;
	size_t d;

	memcpy(sorted, sub, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), cmp_size);
	replay(sorted, n, &a);
	replay(sub, n, &b);
	d = outcome_diff(NULL, &a, &b);
	outcome_free(&a);
	outcome_free(&b);
	free(sorted);
	return d > 0;
}

/*
 * A counterexample is shrunk so that it stays a log Postfix could write:
 * first whole sessions go (every line of a process from one connect to
 * the next), then lines that mean nothing to a session (-v chatter with
 * no client, kept lines, other programs), then -v commands and replies
 * other than AUTH and its 503, as long as a session that had a trace
 * keeps one. Each pass is delta debugging (ddmin) over what it may
 * remove, keeping the rest failing.
 */
enum pass { PASS_UNITS, PASS_FREE, PASS_TRACE };

static bool removable(size_t line, enum pass pass)
{
	const struct line *l = &lines[line];

	switch (pass) {
	case PASS_FREE:
		return l->kind == LINE_FREE;
	case PASS_TRACE:
		return l->kind == LINE_TRACE;
	default:
		return true;
	}
}

/* Every unit that had a trace line in v keeps one in cand. */
static bool traces_kept(const size_t *v, size_t n, const size_t *cand, size_t k)
{
	static unsigned char *had;
	static size_t nunits_seen;
	bool ok = true;

	if (had == NULL || nunits_seen < nunits) {
		free(had);
		had = xmalloc(nunits);
		nunits_seen = nunits;
	}
	memset(had, 0, nunits);
	for (size_t i = 0; i < n; i++)
		if (lines[v[i]].kind == LINE_TRACE || lines[v[i]].kind == LINE_TRACE_KEY)
			had[lines[v[i]].unit] = 1;
	for (size_t i = 0; i < k; i++)
		if (lines[cand[i]].kind == LINE_TRACE || lines[cand[i]].kind == LINE_TRACE_KEY)
			had[lines[cand[i]].unit] = 2;
	for (size_t u = 0; u < nunits; u++)
		ok = ok && had[u] != 1;
	return ok;
}

/* The groups pass may remove from v: units, or single removable lines. */
static size_t groups(const size_t *v, size_t n, enum pass pass, size_t *ret_ids)
{
	size_t ng = 0;

	if (pass == PASS_UNITS) {
		unsigned char *seen = xmalloc(nunits);

		memset(seen, 0, nunits);
		for (size_t i = 0; i < n; i++)
			if (!seen[lines[v[i]].unit]++)
				ret_ids[ng++] = lines[v[i]].unit;
		free(seen);
		return ng;
	}
	for (size_t i = 0; i < n; i++)
		if (removable(v[i], pass))
			ret_ids[ng++] = v[i];
	return ng;
}

static bool in_group(size_t line, enum pass pass, const size_t *ids, size_t from, size_t to)
{
	size_t key = pass == PASS_UNITS ? lines[line].unit : line;

	for (size_t i = from; i < to; i++)
		if (ids[i] == key)
			return true;
	return false;
}

static size_t shrink_pass(size_t *v, size_t n, enum pass pass)
{
	size_t *cand = xmalloc(n * sizeof(*cand)), *ids = xmalloc(n * sizeof(*ids));
	size_t parts = 2, ng;

	while ((ng = groups(v, n, pass, ids)) >= 1) {
		size_t chunk = (ng + parts - 1) / parts;
		bool removed = false;

		if (parts > ng)
			parts = ng, chunk = 1;
		for (size_t start = 0; start < ng; start += chunk) {
			size_t end = start + chunk > ng ? ng : start + chunk, k = 0;

			for (size_t i = 0; i < n; i++)
				if (!in_group(v[i], pass, ids, start, end))
					cand[k++] = v[i];
			if (k == 0 || (pass == PASS_TRACE && !traces_kept(v, n, cand, k)) || !fails(cand, k))
				continue;
			memcpy(v, cand, k * sizeof(*v));
			n = k;
			removed = true;
			parts = parts > 2 ? parts - 1 : 2;
			break;
		}
		if (!removed) {
			if (chunk == 1)
				break;
			parts *= 2;
		}
	}
	free(cand);
	free(ids);
	return n;
}

static size_t shrink(size_t *v, size_t n)
{
	n = shrink_pass(v, n, PASS_UNITS);
	n = shrink_pass(v, n, PASS_FREE);
	return shrink_pass(v, n, PASS_TRACE);
}

/* Shrinks the failing arrival order v[0..n), prints it and what differs,
   and writes its lines to out_path (unless NULL). */
static void counterexample(size_t *v, size_t n, const char *out_path)
{
	n = shrink(v, n);
	size_t *sorted = xmalloc(n * sizeof(*sorted));
	struct outcome a, b;

	memcpy(sorted, v, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), cmp_size);
	replay(sorted, n, &a);
	replay(v, n, &b);
	printf("shrunk to %zu lines; in arrival order (input line numbers):\n", n);
	for (size_t k = 0; k < n; k++)
		printf("%6zu %.*s\n", v[k] + 1, (int) lines[v[k]].len, lines[v[k]].p);
	printf("which differs from those lines in order by:\n");
	outcome_diff(stdout, &a, &b);
	if (out_path) {
		FILE *fp = fopen(out_path, "w");

		if (fp) {
			for (size_t k = 0; k < n; k++)
				fprintf(fp, "%.*s\n", (int) lines[v[k]].len, lines[v[k]].p);
			fclose(fp);
		}
	}
	outcome_free(&a);
	outcome_free(&b);
	free(sorted);
}

/* The lines of capture (an arrival order of the recording's lines, as
   tee saw them reach authfold-omprog) as indices into the recording, in
   v; their number. Lines the recording does not hold (the tests' own)
   are left out; a recording line counts once. */
static int cmp_line_idx(const void *a, const void *b)
{
	size_t x = *(const size_t *) a, y = *(const size_t *) b;
	size_t n = lines[x].len < lines[y].len ? lines[x].len : lines[y].len;
	int c = memcmp(lines[x].p, lines[y].p, n);

	if (c == 0 && lines[x].len != lines[y].len)
		c = lines[x].len < lines[y].len ? -1 : 1;
	return c ? c : x < y ? -1 : x > y;
}

static size_t arrival(const char *capture, size_t *v, size_t *ret_unknown)
{
	char *buf = slurp(capture);
	size_t *byline = xmalloc(nlines * sizeof(*byline)), n = 0;
	unsigned char *used = xmalloc(nlines);

	*ret_unknown = 0;
	for (size_t i = 0; i < nlines; i++)
		byline[i] = i;
	qsort(byline, nlines, sizeof(*byline), cmp_line_idx);
	memset(used, 0, nlines);
	for (char *s = buf, *nl; *s; s = nl + 1) {
		if ((nl = strchr(s, '\n')) == NULL)
			nl = s + strlen(s);
		size_t len = (size_t) (nl - s), lo = 0, hi = nlines;

		while (lo < hi) {	/* the first recording line >= s */
			size_t mid = (lo + hi) / 2, m = byline[mid];
			size_t k = lines[m].len < len ? lines[m].len : len;
			int c = memcmp(lines[m].p, s, k);

			if (c == 0)
				c = lines[m].len < len ? -1 : lines[m].len > len;
			if (c < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		while (lo < nlines && used[byline[lo]] && lines[byline[lo]].len == len &&
		       memcmp(lines[byline[lo]].p, s, len) == 0)
			lo++;
		if (lo < nlines && !used[byline[lo]] && lines[byline[lo]].len == len &&
		    memcmp(lines[byline[lo]].p, s, len) == 0) {
			used[byline[lo]] = 1;
			v[n++] = byline[lo];
		} else {
			(*ret_unknown)++;
		}
		if (*nl == 0)
			break;
	}
	free(buf);
	free(byline);
	free(used);
	return n;
}

/* --- main ----------------------------------------------------------------- */

/* The line's kind, and its unit: a process's lines from one connect to
   the next are one; a line of another program is one of its own. */
static void classify(struct line *l, const struct record *r)
{
	static struct {
		uint64_t proc;
		size_t unit;
	} cur[64];
	struct smtpd_line sl;
	size_t slot = (size_t) (l->proc % 64);

	l->kind = LINE_FREE;
	if (r->format == RECORD_OTHER || !span_startswith(r->tag, "postfix") ||
	    r->tag.len < 6 || memcmp(r->tag.p + r->tag.len - 6, "/smtpd", 6) != 0) {
		l->unit = nunits++;
		return;
	}
	smtpd_classify(r->msg, &sl);
	switch (sl.kind) {
	case SMTPD_CONNECT:
	case SMTPD_DISCONNECT:
	case SMTPD_SASL_FAIL:
		l->kind = LINE_SESSION;
		break;
	case SMTPD_COMMAND:
		l->kind = sl.auth_command ? LINE_TRACE_KEY : LINE_TRACE;
		break;
	case SMTPD_REPLY:
		l->kind = sl.noauth_reply ? LINE_TRACE_KEY : LINE_TRACE;
		break;
	default:
		break;
	}
	if (sl.kind == SMTPD_CONNECT || cur[slot].proc != l->proc || cur[slot].unit == 0) {
		cur[slot].proc = l->proc;
		cur[slot].unit = ++nunits;	/* unit 0 is never used */
		nunits++;
	}
	l->unit = cur[slot].unit;
}

static void load(const char *path)
{
	char *buf = slurp(path);
	size_t cap = 0;

	for (char *s = buf, *nl; *s; s = nl + 1) {
		if ((nl = strchr(s, '\n')) == NULL)
			nl = s + strlen(s);
		if (nlines == cap) {
			cap = cap ? cap * 2 : 1024;
			struct line *nv = realloc(lines, cap * sizeof(*lines));

			if (nv == NULL) {
				fprintf(stderr, "order-search: out of memory\n");
				exit(2);
			}
			lines = nv;
		}
		struct record r;
		struct line *l = &lines[nlines++];

		l->p = s;
		l->len = (size_t) (nl - s);
		record_parse(s, l->len, fixed_clock(), &r);
		l->usec = r.format == RECORD_OTHER ? -1 : r.usec;
		uint64_t h = UINT64_C(1469598103934665603);

		for (size_t i = 0; i < r.host.len; i++)
			h = (h ^ (uint8_t) r.host.p[i]) * UINT64_C(1099511628211);
		h = (h ^ '/') * UINT64_C(1099511628211);
		for (size_t i = 0; i < r.tag.len; i++)
			h = (h ^ (uint8_t) r.tag.p[i]) * UINT64_C(1099511628211);
		l->proc = h ^ (uint64_t) r.pid;
		classify(l, &r);
		char *k = proving_key(s, l->len);

		if (k)
			push(&proving, &nproving, k);
		if (*nl == 0)
			break;
		*nl = 0;
	}
	qsort(proving, nproving, sizeof(*proving), cmp_str);
}

static void usage(void)
{
	fprintf(stderr, "usage: order-search [-s SECONDS] [-n TRIALS] [-S SEED] [-d LINES] [-m SECONDS] "
		"[-w LINES] [-o FILE] [-c KEY=VALUE]... LOG\n       order-search -a CAPTURE [-s SECONDS ...] [-o FILE] [-c KEY=VALUE]... LOG\n");
	exit(2);
}

int main(int argc, char **argv)
{
	double seconds = 20;
	uint64_t trials = UINT64_MAX, seed = 1;
	const char *out_path = NULL, *capture = NULL;
	bool search_capture = false;
	char err[256];
	int opt;

	if ((conf = config_new()) == NULL)
		return 2;
	config_set(conf, "backend", "none", err, sizeof(err));
	while ((opt = getopt(argc, argv, "a:s:n:S:d:m:w:o:c:")) != -1) {
		switch (opt) {
		case 'a':
			capture = optarg;
			break;
		case 's':
			seconds = strtod(optarg, NULL);
			search_capture = true;
			break;
		case 'n':
			trials = strtoull(optarg, NULL, 10);
			break;
		case 'S':
			seed = strtoull(optarg, NULL, 10);
			break;
		case 'd':
			max_displace = strtoul(optarg, NULL, 10);
			if (max_displace == 0)
				max_displace = 1;
			break;
		case 'm':
			max_block_usec = (int64_t) (strtod(optarg, NULL) * 1e6);
			break;
		case 'w':
			dup_window = strtoul(optarg, NULL, 10);
			break;
		case 'o':
			out_path = optarg;
			break;
		case 'c': {
			char *eq = strchr(optarg, '=');

			if (eq == NULL)
				usage();
			*eq = 0;
			if (config_set(conf, optarg, eq + 1, err, sizeof(err)) < 0) {
				fprintf(stderr, "order-search: -c %s: %s\n", optarg, err);
				return 2;
			}
			break;
		}
		default:
			usage();
		}
	}
	if (optind + 1 != argc)
		usage();
	const char *dir = getenv("TMPDIR");

	snprintf(summary_path, sizeof(summary_path), "%s/order-search.%ld.summary", dir ? dir : "/tmp",
		 (long) getpid());
	snprintf(events_path, sizeof(events_path), "%s/order-search.%ld.events", dir ? dir : "/tmp", (long) getpid());
	load(argv[optind]);
	if (nlines == 0) {
		fprintf(stderr, "order-search: %s: no lines\n", argv[optind]);
		return 2;
	}
	tmp_order = xmalloc(nlines * sizeof(*tmp_order));
	tmp_keys = xmalloc(nlines * sizeof(*tmp_keys));

	size_t *all = xmalloc(nlines * sizeof(*all)), *v = xmalloc((nlines + dup_window) * sizeof(*v));
	struct outcome ref, got;

	if (capture) {
		size_t unknown, n = arrival(capture, v, &unknown), back = 0;
		size_t *sorted = xmalloc(n * sizeof(*sorted));

		for (size_t k = 1; k < n; k++)
			back += v[k] < v[k - 1];
		memcpy(sorted, v, n * sizeof(*sorted));
		qsort(sorted, n, sizeof(*sorted), cmp_size);
		replay(sorted, n, &ref);
		replay(v, n, &got);
		free(sorted);
		size_t d = outcome_diff(NULL, &ref, &got);

		printf("%s: %zu lines of %s (%zu not in it, %zu of the recording not in the capture), %zu "
		       "after a later one: ", capture, n, argv[optind], unknown, nlines - n, back);
		if (d == 0)
			printf("the in-order result\n");
		else {
			printf("%zu difference(s) from the in-order replay:\n", d);
			outcome_diff(stdout, &ref, &got);
			counterexample(v, n, out_path);
		}
		outcome_free(&got);
		if (d || !search_capture || n != nlines) {
			outcome_free(&ref);
			unlink(summary_path);
			unlink(events_path);
			return d ? 1 : 0;
		}
		/* -s too: search around the captured order */
		base = xmalloc(n * sizeof(*base));
		memcpy(base, v, n * sizeof(*base));
	} else {
		for (size_t i = 0; i < nlines; i++)
			all[i] = i;
		replay(all, nlines, &ref);
	}
	if (ref.bad_synth) {
		fprintf(stderr, "order-search: in order, a synthetic line with no proving line: %s\n", ref.bad_example);
		return 1;
	}
	struct timespec t0, t1;
	uint64_t i;
	int status = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < trials; i++) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if ((double) (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9 >= seconds)
			break;
		size_t n = nlines;
		struct outcome dref, *want = &ref;

		reorder(seed + i, v, nlines);
		if (dup_window) {
			/* held to the same lines in order, each next to its copy */
			size_t *sorted = xmalloc((nlines + dup_window) * sizeof(*sorted));

			n = resend(v, nlines);
			memcpy(sorted, v, n * sizeof(*sorted));
			qsort(sorted, n, sizeof(*sorted), cmp_size);
			replay(sorted, n, &dref);
			free(sorted);
			want = &dref;
		}
		replay(v, n, &got);
		size_t d = outcome_diff(NULL, want, &got);

		if (d == 0) {
			outcome_free(&got);
			if (dup_window)
				outcome_free(&dref);
			continue;
		}
		printf("%s: seed %" PRIu64 ": %zu difference(s) from the in-order replay:\n", argv[optind], seed + i, d);
		outcome_diff(stdout, want, &got);
		outcome_free(&got);
		if (dup_window)
			outcome_free(&dref);
		counterexample(v, n, out_path);
		status = 1;
		i++;
		break;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%s: %" PRIu64 " reorderings (seeds %" PRIu64 "..%" PRIu64 ") in %.1f s, %s\n", argv[optind], i, seed,
	       seed + (i ? i - 1 : 0), (double) (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9,
	       status ? "a counterexample" : "each the in-order result");
	outcome_free(&ref);
	unlink(summary_path);
	unlink(events_path);
	free(all);
	free(v);
	return status;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	why_session 3
 * SUMMARY
 *	authfold why: each strike's session from the summary logs, by time
 * SYNOPSIS
 *	#include "why_story.h"
 *
 *	int	why_sessions_find(y)
 *	void	why_session_free(s)
 * DESCRIPTION
 *	why_sessions_find() gives each strike of y (the newest
 *	WHY_STRIKES_MAX with a host, tag, pid and time) the lines of its
 *	session, whatever the order of the lines in the summary logs (a
 *	summary written from a reordered stream holds a session's
 *	disconnect before its connect). The address is never looked for in
 *	the text: a forged address in client text is not evidence.
 *
 *	1. The summary logs (y's "summary" sources, in order) are read once:
 *	   a line whose host, tag and pid are a strike's (a table(3) of the
 *	   strikes' processes) and whose time lies within WHY_SESSION_SPAN
 *	   of one of that process's strikes becomes a mark: its time, its
 *	   number in the logs, what it is (connect, disconnect, the evidence
 *	   of a strike, other) and a keyed hash of the client it names.
 *	2. The marks of each process are put in the order of their times
 *	   (for equal times of microseconds: a connect first, a disconnect
 *	   last; for whole seconds, the order read) and cut into sessions: a session
 *	   runs from a "connect from" to the next "disconnect from" (a
 *	   process serves one session at a time); a session without either
 *	   is partial or open.
 *	3. A session is the session of the first strike (by time) that has
 *	   none yet, lies in its time span, names the client of its connect
 *	   (when seen) and, for the built-in reasons, whose evidence it holds
 *	   at the strike's time, as fold(3) wrote it: the synthetic "warning:
 *	   CLIENT: authentication not enabled" (noauth) or Postfix's
 *	   "warning: CLIENT: SASL ... authentication failed" (saslfail, by
 *	   smtpd(3)'s rule). Whole-second timestamps can leave two sessions
 *	   of one client and process in one second with the same evidence:
 *	   the strike shows the first, marked ambiguous. A session gives at
 *	   most one strike.
 *	4. The lines of the chosen sessions are read again and copied, oldest
 *	   first: from a plain file with pread(2) at each line's offset, from
 *	   a .gz by reading it again up to its last line wanted.
 *	The same pass gives why_trouble(3) every smtpd SASL failure and
 *	every warning that the SASL backend is unreachable, whatever the
 *	process: the summary logs are read also when no strike is to be
 *	looked for. A failure whose line lies in a strike's session is told
 *	there.
 *
 *	why_session_free() frees a session; it accepts NULL.
 * DIAGNOSTICS
 *	0 or -ENOMEM; files that cannot be read are said in their source.
 * SECURITY
 *	At most WHY_LINES_MAX marks of 40 bytes (20 MiB) are kept, then a
 *	note says that sessions may be incomplete; at most WHY_SESSION_LINES
 *	lines of WHY_SHOWN_LINE_MAX bytes per session and WHY_TEXT_MAX
 *	bytes of lines in all. A .gz that expands to gigabytes costs time,
 *	never more memory.
 */

#include "why_story.h"

#include "logfile.h"
#include "record.h"
#include "smtpd.h"
#include "summary.h"
#include "table.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SEQ_SHIFT	44		/* offsets up to 16 TiB, 2^20 sources */

enum mark_kind { MARK_OTHER, MARK_CONNECT, MARK_DISCONNECT, MARK_NOAUTH, MARK_SASLFAIL };

struct mark {
	int64_t usec;
	uint64_t seq;			/* source index << SEQ_SHIFT | the line's offset */
	uint64_t client;		/* keyed hash of the client named; 0 none */
	uint32_t key;			/* index in sessions.keys */
	uint32_t owner;			/* 1 + index of the strike whose session holds it; 0 none */
	uint16_t slot;			/* its line in that session */
	uint8_t kind;
	uint8_t rank;			/* at equal times: 0 connect, 1 other, 2 disconnect */
};

struct key {				/* a strike's (host, tag, pid) */
	struct table_node node;
	const char *host, *tag;
	long pid;
	struct why_event **strike;	/* by time */
	uint64_t *client;		/* keyed hash of each strike's client */
	size_t n, cap;
};

struct sessions {
	struct why_story *y;
	uint64_t pids[1024];		/* bit pid % 65536: a pid of a strike; saves the hash of most lines */
	struct table t;
	struct key *keys;
	size_t nkeys;
	struct why_event **owner;	/* strikes given a session */
	size_t nowner;
	struct mark *m;
	size_t nm, capm;
	uint64_t dropped;		/* marks beyond WHY_LINES_MAX */
};

void why_session_free(struct why_session *s)
{
	if (s == NULL)
		return;
	for (unsigned i = 0; i < s->n; i++)
		free(s->line[i]);
	free(s->line);
	free(s);
}

static uint64_t key_hash(const struct table *t, struct span host, struct span tag, long pid)
{
	struct table_hasher h;

	table_hasher_init(t, &h);
	table_hasher_add(&h, host.p, host.len);
	table_hasher_add(&h, "", 1);
	table_hasher_add(&h, tag.p, tag.len);
	table_hasher_add(&h, &pid, sizeof(pid));
	return table_hasher_end(&h);
}

static bool str_is(const char *s, struct span sp)
{
	return strlen(s) == sp.len && memcmp(s, sp.p, sp.len) == 0;
}

static struct key *key_find(const struct sessions *ss, struct span host, struct span tag, long pid)
{
	uint64_t h = key_hash(&ss->t, host, tag, pid);

	for (struct table_node *n = table_first(&ss->t, h); n; n = table_next(n)) {
		struct key *k = table_entry(n, struct key, node);

		if (k->pid == pid && str_is(k->host, host) && str_is(k->tag, tag))
			return k;
	}
	return NULL;
}

static int key_add_strike(struct sessions *ss, struct why_event *e)
{
	struct span host = {e->host, strlen(e->host)}, tag = {e->tag, strlen(e->tag)};
	struct key *k = key_find(ss, host, tag, e->pid);

	if (k == NULL) {
		k = &ss->keys[ss->nkeys++];
		k->host = e->host;
		k->tag = e->tag;
		k->pid = e->pid;
		table_insert(&ss->t, &k->node, key_hash(&ss->t, host, tag, e->pid));
	}
	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 2;
		struct why_event **v = realloc(k->strike, cap * sizeof(*v));
		uint64_t *c = v ? realloc(k->client, cap * sizeof(*c)) : NULL;

		if (v)
			k->strike = v;
		if (c == NULL)
			return -ENOMEM;
		k->client = c;
		k->cap = cap;
	}
	ss->pids[(e->pid & 0xffff) / 64] |= UINT64_C(1) << (e->pid & 63);
	k->client[k->n] = e->client ? table_hash(&ss->t, e->client, strlen(e->client)) : 1;
	k->strike[k->n++] = e;	/* y->ev is in the order of time */
	return 0;
}

/* The processes of the newest WHY_STRIKES_MAX strikes that can be looked for. */
static int keys_build(struct sessions *ss)
{
	struct why_story *y = ss->y;
	size_t n = 0, skip;
	int r;

	for (size_t i = 0; i < y->nev; i++)
		n += y->ev[i].kind == WHY_STRIKE;
	skip = n > WHY_STRIKES_MAX ? n - WHY_STRIKES_MAX : 0;
	y->strikes_without_search = skip;
	if ((r = table_init(&ss->t, n - skip ? n - skip : 1)) < 0)
		return r;
	if ((ss->keys = calloc(n - skip + 1, sizeof(*ss->keys))) == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < y->nev; i++) {
		struct why_event *e = &y->ev[i];

		if (e->kind != WHY_STRIKE || (skip && skip--))
			continue;
		if (e->host && e->tag && e->pid >= 0 && e->usec >= 0 && (r = key_add_strike(ss, e)) < 0)
			return r;
	}
	return 0;
}

/* The first of k's strikes at or after t. */
static size_t strike_at(const struct key *k, int64_t t)
{
	size_t lo = 0, hi = k->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (k->strike[mid]->usec < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Whether t lies within WHY_SESSION_SPAN of one of k's strikes. */
static bool near_strike(const struct key *k, int64_t t)
{
	size_t lo = strike_at(k, t);

	return (lo < k->n && k->strike[lo]->usec - t <= WHY_SESSION_SPAN) ||
	       (lo > 0 && t - k->strike[lo - 1]->usec <= WHY_SESSION_SPAN);
}

/* What a line of a strike's process is, and the client it names. The
   synthetic line is exactly "warning: NAME[ADDR]: authentication not
   enabled" (client text inside a longer line does not pass for it). */
static enum mark_kind classify(const struct table *t, struct span m, uint64_t *ret_client)
{
	size_t sl = sizeof(SYNTHETIC_SUFFIX) - 1;
	struct span client;
	struct smtpd_line l;
	struct addr a;

	*ret_client = 0;
	if (span_startswith(m, "connect from ")) {
		/* the client token, NAME[ADDR] or NAME[ADDR]:PORT, up to the end */
		if (smtpd_parse_client(m.p + 13, m.len - 13, &client, &a) > 0 && client.len == m.len - 13)
			*ret_client = table_hash(t, client.p, client.len);
		return MARK_CONNECT;
	}
	if (span_startswith(m, "disconnect from "))
		return MARK_DISCONNECT;
	if (!span_startswith(m, "warning: "))
		return MARK_OTHER;
	if (m.len > 9 + sl && memcmp(m.p + m.len - sl, SYNTHETIC_SUFFIX, sl) == 0 &&
	    smtpd_parse_client(m.p + 9, m.len - 9 - sl, &client, &a) > 0 && client.len == m.len - 9 - sl) {
		*ret_client = table_hash(t, client.p, client.len);
		return MARK_NOAUTH;
	}
	if ((smtpd_classify(m, &l), l.kind == SMTPD_SASL_FAIL) && l.sasl->cls == SASL_CLIENT) {	/* not auth server trouble */
		*ret_client = table_hash(t, l.client.p, l.client.len);
		return MARK_SASLFAIL;
	}
	return MARK_OTHER;
}

/* A SASL failure or a sign of auth server trouble of an smtpd (why_trouble(3)). */
static void trouble_line(struct sessions *ss, const struct record *r, uint64_t seq)
{
	struct table_hasher h;
	struct smtpd_line l;
	struct key *k;
	bool struck = false;

	if ((!span_startswith(r->msg, "warning: ") && !span_startswith(r->msg, "fatal: ")) ||
	    !config_smtpd_tag(ss->y->o->config, r->tag.p, r->tag.len))
		return;
	smtpd_classify(r->msg, &l);
	if (l.kind != SMTPD_SASL_FAIL && !l.sasl_trouble)
		return;
	/* a strike of the events log at its process and time: it struck */
	if (l.kind == SMTPD_SASL_FAIL && r->pid >= 0 && (k = key_find(ss, r->host, r->tag, r->pid)) != NULL) {
		size_t i = strike_at(k, r->usec);

		struck = i < k->n && k->strike[i]->usec == r->usec;
	}
	table_hasher_init(&ss->t, &h);
	table_hasher_add(&h, r->host.p, r->host.len);
	table_hasher_add(&h, "", 1);
	table_hasher_add(&h, r->tag.p, r->tag.len);
	why_trouble_line(ss->y, r, &l, table_hasher_end(&h), struck, seq);
}

static void mark_line(struct sessions *ss, const char *p, size_t n, int64_t ref, uint64_t seq)
{
	struct record rec;
	struct key *k;

	record_parse(p, n, ref, &rec);
	if (rec.format != RECORD_OTHER && rec.usec >= 0 && rec.msg.len > 0 && (rec.msg.p[0] == 'w' || rec.msg.p[0] == 'f'))
		trouble_line(ss, &rec, seq);
	if (rec.format == RECORD_OTHER || rec.pid < 0 || rec.usec < 0 ||
	    !(ss->pids[(rec.pid & 0xffff) / 64] & UINT64_C(1) << (rec.pid & 63)) ||
	    (k = key_find(ss, rec.host, rec.tag, rec.pid)) == NULL || !near_strike(k, rec.usec))
		return;
	if (ss->nm == ss->capm) {
		size_t cap = ss->capm ? ss->capm * 2 : 1024;
		struct mark *v;

		if (cap > WHY_LINES_MAX)
			cap = WHY_LINES_MAX;
		if (ss->nm == cap || (v = realloc(ss->m, cap * sizeof(*v))) == NULL) {
			ss->dropped++;
			return;
		}
		ss->m = v;
		ss->capm = cap;
	}
	struct mark *m = &ss->m[ss->nm++];

	memset(m, 0, sizeof(*m));
	m->usec = rec.usec;
	m->seq = seq;
	m->key = (uint32_t) (k - ss->keys);
	m->kind = (uint8_t) classify(&ss->t, rec.msg, &m->client);
	/* Lines of one µs: a connect opens, a disconnect closes what the
	   process logged then. Whole seconds hold several sessions: there
	   the order read is the best there is. */
	m->rank = 1;
	if (rec.format == RECORD_RFC3339 && memchr(rec.ts.p, '.', rec.ts.len))
		m->rank = m->kind == MARK_CONNECT ? 0 : m->kind == MARK_DISCONNECT ? 2 : 1;
}

/* Pass 1: the marks of every summary log. */
static int read_marks(struct sessions *ss)
{
	struct why_story *y = ss->y;

	for (size_t si = 0; si < y->nsrc && si < (1u << (64 - SEQ_SHIFT)); si++) {
		struct why_source *s = &y->src[si];
		struct logfile l;
		const char *p;
		size_t n;
		int r;

		if (strcmp(s->kind, "summary") != 0)
			continue;
		if ((r = logfile_open(s->path, &l)) < 0) {
			s->err = r;
			if (r == -ENOMEM)
				return r;
			continue;
		}
		s->read = true;
		while (logfile_next(&l, &p, &n) > 0 && l.line_offset >> SEQ_SHIFT == 0) {
			s->lines++;
			mark_line(ss, p, n, l.mtime_usec, (uint64_t) si << SEQ_SHIFT | l.line_offset);
		}
		s->overlong = l.overlong;
		if (logfile_error(&l)[0])
			snprintf(s->detail, sizeof(s->detail), "%s", logfile_error(&l));
		logfile_close(&l);
	}
	if (ss->dropped)
		why_note(y, "more than %u summary lines lie near the strikes' processes: %" PRIu64 " later ones were "
			 "not looked at, and their sessions may be incomplete", WHY_LINES_MAX, ss->dropped);
	return 0;
}

static int mark_by_time(const void *a, const void *b)
{
	const struct mark *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	if (x->usec != y->usec)
		return x->usec < y->usec ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int mark_by_seq(const void *a, const void *b)
{
	const struct mark *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void sift_down(struct mark *m, size_t root, size_t n, int (*cmp)(const void *, const void *))
{
	for (size_t child; (child = 2 * root + 1) < n; root = child) {
		if (child + 1 < n && cmp(&m[child], &m[child + 1]) < 0)
			child++;
		if (cmp(&m[root], &m[child]) >= 0)
			return;
		struct mark t = m[root];

		m[root] = m[child];
		m[child] = t;
	}
}

/* In place (glibc's qsort() may allocate a copy: 20 MiB more at the bound). */
static void marks_sort(struct mark *m, size_t n, int (*cmp)(const void *, const void *))
{
	for (size_t i = n / 2; i-- > 0;)
		sift_down(m, i, n, cmp);
	for (size_t end = n; end > 1; end--) {
		struct mark t = m[0];

		m[0] = m[end - 1];
		m[end - 1] = t;
		sift_down(m, 0, end - 1, cmp);
	}
}

/* Whether session m[0..n) is the session of strike e, whose client's hash
   is client (see DESCRIPTION, 3); e lies in its time span. */
static bool fits(const struct mark *m, size_t n, const struct why_event *e, uint64_t client)
{
	enum mark_kind want = MARK_OTHER;

	if (m[0].kind == MARK_CONNECT && m[0].client != client)
		return false;
	if (e->reason && strcmp(e->reason, "noauth") == 0)
		want = MARK_NOAUTH;
	else if (e->reason && strcmp(e->reason, "saslfail") == 0)
		want = MARK_SASLFAIL;
	if (want == MARK_OTHER)
		return true;
	for (size_t i = 0; i < n; i++)	/* the first evidence of its kind */
		if (m[i].kind == want)
			return m[i].usec == e->usec && m[i].client == client;
	return false;
}

/* Gives session m[0..n) to the first strike of k it fits; its marks then
   name that strike. */
static int give(struct sessions *ss, struct key *k, struct mark *m, size_t n, int64_t end, bool open_end)
{
	struct why_event *first = NULL;
	struct why_session *s;
	bool extra = false;

	/* the strikes in the session's time span only: O(sessions x log strikes) */
	for (size_t i = strike_at(k, m[0].usec); i < k->n && k->strike[i]->usec <= end; i++) {
		struct why_event *e = k->strike[i];

		if (!fits(m, n, e, k->client[i]))
			continue;
		if (e->session || first) {
			extra = true;
			if (e->session)
				e->session->ambiguous = true;
			continue;
		}
		first = e;
	}
	if (first == NULL)
		return 0;
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->line = calloc(n < WHY_SESSION_LINES ? n : WHY_SESSION_LINES, sizeof(*s->line))) == NULL) {
		free(s);
		return -ENOMEM;
	}
	s->partial = m[0].kind != MARK_CONNECT;
	s->open_end = open_end;
	s->ambiguous = extra;
	s->cut = n > WHY_SESSION_LINES;
	s->n = (unsigned) (n < WHY_SESSION_LINES ? n : WHY_SESSION_LINES);
	first->session = s;
	ss->owner[ss->nowner++] = first;
	for (size_t i = 0; i < s->n; i++) {
		m[i].owner = (uint32_t) ss->nowner;
		m[i].slot = (uint16_t) i;
	}
	return 0;
}

/* Steps 2 and 3 (see DESCRIPTION) for the marks of one key, m[0..n) in the order of time. */
static int cut_sessions(struct sessions *ss, struct mark *m, size_t n)
{
	struct key *k = &ss->keys[m[0].key];
	size_t a = 0;
	int r = 0;

	while (a < n && r == 0) {
		size_t b = a + 1;

		/* a session ends at its disconnect or before the next connect */
		while (b < n && m[b - 1].kind != MARK_DISCONNECT && m[b].kind != MARK_CONNECT)
			b++;
		bool closed = m[b - 1].kind == MARK_DISCONNECT;
		int64_t end = closed ? m[b - 1].usec : b < n ? m[b].usec : INT64_MAX;

		r = give(ss, k, m + a, b - a, end, !closed);
		a = b;
	}
	return r;
}

static void copy_line(struct sessions *ss, const struct mark *m, const char *p, size_t n, int64_t ref)
{
	struct why_session *s = ss->owner[m->owner - 1]->session;
	struct why_story *y = ss->y;
	struct record rec;

	record_parse(p, n, ref, &rec);
	if (rec.usec != m->usec) {
		why_note(y, "a summary log changed while it was read: a session line is left out");
		return;
	}
	if (n > WHY_SHOWN_LINE_MAX)
		n = WHY_SHOWN_LINE_MAX;
	if (y->text_bytes + n + 1 > WHY_TEXT_MAX || (s->line[m->slot] = malloc(n + 1)) == NULL) {
		s->cut = true;
		return;
	}
	memcpy(s->line[m->slot], p, n);
	s->line[m->slot][n] = 0;
	y->text_bytes += n + 1;
}

/* A line of a plain file again, at its offset: at most WHY_SHOWN_LINE_MAX bytes. */
static void pread_line(struct sessions *ss, const struct mark *m, struct logfile *l, char *buf)
{
	uint64_t off = m->seq & ((UINT64_C(1) << SEQ_SHIFT) - 1);
	ssize_t n = pread(l->fd, buf, WHY_SHOWN_LINE_MAX, (off_t) off);
	char *nl = n > 0 ? memchr(buf, '\n', (size_t) n) : NULL;

	if (n > 0)
		copy_line(ss, m, buf, nl ? (size_t) (nl - buf) : (size_t) n, l->mtime_usec);
}

/* The lines of the marks m[0..n) of source si, in the order of the file. */
static void read_source_lines(struct sessions *ss, size_t si, const struct mark *m, size_t n)
{
	char buf[WHY_SHOWN_LINE_MAX];
	struct logfile l;
	const char *p;
	size_t len, mi = 0;

	if (logfile_open(ss->y->src[si].path, &l) < 0) {
		why_note(ss->y, "a summary log could not be read again: its session lines are left out");
		return;
	}
	if (!l.gzip)	/* straight to each line */
		for (; mi < n; mi++)
			pread_line(ss, &m[mi], &l, buf);
	while (mi < n && logfile_next(&l, &p, &len) > 0) {
		uint64_t at = (uint64_t) si << SEQ_SHIFT | l.line_offset;

		while (mi < n && m[mi].seq < at)
			mi++;	/* the file changed: no line starts there now */
		if (mi < n && m[mi].seq == at)
			copy_line(ss, &m[mi++], p, len, l.mtime_usec);
	}
	logfile_close(&l);
}

/* Pass 2: the lines of the marks m[0..n) (sorted by seq) copied into their
   sessions: a plain file by pread(2) at each line, a .gz streamed again up
   to its last line wanted. */
static void read_lines(struct sessions *ss, const struct mark *m, size_t n)
{
	for (size_t a = 0, b; a < n; a = b) {
		size_t si = (size_t) (m[a].seq >> SEQ_SHIFT);

		for (b = a + 1; b < n && m[b].seq >> SEQ_SHIFT == si;)
			b++;
		read_source_lines(ss, si, m + a, b - a);
	}
}

static void sessions_fini(struct sessions *ss)
{
	for (size_t i = 0; i < ss->nkeys; i++) {
		free(ss->keys[i].strike);
		free(ss->keys[i].client);
	}
	free(ss->keys);
	free(ss->owner);
	free(ss->m);
	table_fini(&ss->t);
}

int why_sessions_find(struct why_story *y)
{
	struct sessions ss = {.y = y};
	size_t kept = 0;
	int r;

	if ((r = keys_build(&ss)) < 0)
		goto out;
	ss.owner = calloc(WHY_STRIKES_MAX, sizeof(*ss.owner));
	if (ss.owner == NULL) {
		r = -ENOMEM;
		goto out;
	}
	if ((r = read_marks(&ss)) < 0)
		goto out;
	marks_sort(ss.m, ss.nm, mark_by_time);
	for (size_t a = 0, b; a < ss.nm && r == 0; a = b) {
		for (b = a + 1; b < ss.nm && ss.m[b].key == ss.m[a].key;)
			b++;
		r = cut_sessions(&ss, ss.m + a, b - a);
	}
	for (size_t i = 0; i < ss.nm; i++)
		if (ss.m[i].owner) {
			why_trouble_in_session(y, ss.m[i].seq);	/* told in the strike's session */
			ss.m[kept++] = ss.m[i];
		}
	if (r == 0)
		r = why_trouble_judge(y);
	marks_sort(ss.m, kept, mark_by_seq);
	if (r == 0)
		read_lines(&ss, ss.m, kept);
out:
	sessions_fini(&ss);
	return r;
}

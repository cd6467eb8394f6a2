/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	session 3
 * SUMMARY
 *	SMTP sessions per (host, tag, pid), placed by time
 * SYNOPSIS
 *	#include "session.h"
 *
 *	struct session_table *session_table_new(max_sessions, window_usec)
 *	void	session_table_free(t)
 *	void	session_table_on_drop(t, fn, data)
 *
 *	struct session_proc *session_proc_find(t, host, tag, pid)
 *	int	session_proc_get(t, host, tag, pid, ret_proc)
 *	void	session_proc_reset(t, p)
 *	void	session_traced(p)
 *	bool	session_origin_traced(p)
 *
 *	int	session_new(t, p, client, addr, usec, ret_session)
 *	void	session_seen(t, s, usec)
 *
 *	int	session_place(t, p, client, addr, usec, ret)
 *	int	session_place_connect(t, p, client, addr, usec, ret)
 *	int	session_place_disconnect(t, p, client, addr, usec, ret)
 *	struct session *session_find(p, usec, client, ret_foreign)
 *	bool	session_past(x, t, after)
 *
 *	void	session_mark_auth(s, usec)
 *	void	session_mark_reply(s, usec, ts, ts_len)
 *	void	session_mark_sasl(s, usec)
 *	bool	session_marks_split(from, to, t, after)
 *	const struct session_reply *session_reply_from(s, usec)
 *	void	session_marks_restore(s)
 *
 *	bool	session_clock(t, usec)
 *	void	session_expire(t, now_usec)
 *	void	session_proc_origin(p, ret_host, ret_tag)
 *	void	session_ended(t, s)
 *	void	session_reopened(t, s)
 *	bool	session_client_is(s, client)
 *	bool	session_is_open(s)
 *	int64_t	session_watermark(t)
 *	size_t	session_count(t)
 *	size_t	session_total(t)
 *	struct session_counters *session_counters(t)
 *	struct session *session_oldest(t)
 *	struct session *session_newer(s)
 * DESCRIPTION
 *	A session is one SMTP connection as one smtpd process logs it, from
 *	"connect from" to "disconnect from". One process serves its sessions
 *	one after the other, so the sessions of a process (host, tag, pid)
 *	are disjoint intervals of time. This module keeps them: per process
 *	a list ordered by time (earliest first), each session with what is
 *	known of its interval (connect and disconnect times, or -1 while not
 *	seen, and the earliest and latest of its lines seen).
 *
 *	This module alone decides which session of its process a line
 *	belongs to (placement); fold(3) judges what a session's evidence
 *	proves. A line belongs to the session of its process whose interval
 *	holds its time, whatever order lines arrive in. session_place() places
 *	a -v trace line or a SASL failure: in the session that holds its time
 *	for its client, or, when its time lies in no known session, in the
 *	nearest later one of the client that has not seen its connect yet,
 *	or in a new one ("adopted": its connect may come). A line inside an
 *	ended session of another client has no session ("foreign").
 *	session_place_connect() gives a connect to the nearest later session
 *	of the client that came without one, unless a disconnect of the
 *	client lies between (a process serves one session at a time); a
 *	connect inside an ended session of the same client says that session
 *	was two, whose middle bounds came late: the disconnect goes to the
 *	later part; inside another client's, the process's clock went back
 *	and it is reset. session_place_disconnect() ends the open session of
 *	the client that holds its time; inside an ended one of the client,
 *	that one was two. When two consecutive sessions of one client have
 *	looked like one, the result names the session to split and where
 *	(struct session_placed): the caller moves the evidence past that time
 *	and judges both parts again. session_find() finds without adopting
 *	(site rules strike only a session that exists).
 *
 *	A transport may deliver a line twice (rsyslog RELP resends a window
 *	after a restart). A connect of the client at the time of a remembered
 *	session's connect, or a disconnect at its disconnect time, is that
 *	session's line sent again: it goes to that session, which is never
 *	opened or ended twice, and the result says so (duplicate). With
 *	whole-second times (the traditional timestamp) a connect is taken so
 *	only when that session ended in a later second, and a disconnect only
 *	when no open session of the client holds it: one client's next session
 *	may begin and end in the second of its last one. Evidence sent twice
 *	finds its session as any late line does, and its marks keep each time
 *	once. The walk is the same bounded one as any placement's.
 *
 *	A session keeps its evidence for fold(3) to judge: the times of its
 *	AUTH commands, of its 503 "not enabled" replies (with their timestamp
 *	text, to rebuild a synthetic line's prefix) and of its SASL failures,
 *	SESSION_MARKS_MAX of each, sorted, each time once (a line sent twice
 *	is one piece of evidence); past that, the second earliest goes. They
 *	are allocated at a session's first evidence (most sessions have none),
 *	and the session_mark_*() functions and session_marks_restore() return
 *	0 or -ENOMEM.
 *	session_marks_split() moves the evidence past a time to another
 *	session, so that a session that was two parts exactly;
 *	session_reply_from() finds the earliest reply at or after a time.
 *	The earliest and latest of each kind are also kept in the session's
 *	auth_usec/auth_hi, reply_usec/reply_hi and sasl_lo/sasl_hi, which
 *	the state file saves; session_marks_restore() rebuilds the marks
 *	from them.
 *
 *	Ended sessions stay for a window of log time (window_usec, the
 *	session_idle setting) so that lines that arrive late still find
 *	their session. session_clock() keeps the stream's clock, the latest
 *	time seen; session_expire() drops the sessions whose latest line is
 *	more than the window behind it (an open one counts as expired, an
 *	ended one as forgotten). A time more than the window behind the
 *	clock is not a late line but a clock that stepped back (NTP, a
 *	resumed virtual machine): session_clock() then restarts the clock
 *	there and returns true.
 *
 *	Processes are found in O(1) by (host, tag, pid) through table(3);
 *	host and tag are interned once per distinct pair ("origin"), shared
 *	by the processes that use it and freed with the last of them. A
 *	process is freed with its last session. session_traced() marks a
 *	process and its origin as writing the -v trace;
 *	session_origin_traced() tells whether any process of the origin did
 *	while the origin was remembered (a Postfix service runs with or
 *	without -v as a whole).
 *
 *	session_new() inserts a session into its process's list by usec
 *	(after the sessions that start no later). When the table holds
 *	max_sessions sessions the least recently active one is dropped
 *	(evicted); when a process holds SESSION_PER_PROC_MAX, its earliest.
 *	Every drop calls the table's drop callback first, so the fold can
 *	settle what the session still owed.
 *
 *	Returned sessions and processes are owned by the table and valid
 *	until dropped; session_proc_get() and session_new() may drop others.
 * DIAGNOSTICS
 *	session_proc_get() and session_new() return 0, -ENOMEM, -ENOSPC (a
 *	host and tag longer than SESSION_ORIGIN_TEXT_MAX; counted) or
 *	-EINVAL (a client token longer than SESSION_CLIENT_MAX).
 * SECURITY
 *	Memory is bounded by max_sessions sessions (each at most
 *	sizeof(struct session) + SESSION_CLIENT_MAX + SESSION_PREFIX_MAX;
 *	plus, once it has evidence, its marks: SESSION_MARKS_MAX of each
 *	kind whatever a client repeats; 296 bytes each on x86-64),
 *	as many processes and origins at most, and one bucket array each.
 *	A flood of connects, of forged host names on a central log host, or
 *	of pids, evicts the least recently active sessions; it never grows
 *	the table, and origins are reclaimed with their processes, so no
 *	flood can keep new hosts out. Every lookup is one keyed hash
 *	(table(3)) and a walk of at most SESSION_PER_PROC_MAX sessions.
 */

#include "session.h"
#include "smtpd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct session_origin {
	struct table_node node;		/* key: host, tag */
	unsigned refs;			/* processes using it */
	bool traced;			/* a process of it wrote a -v trace line */
	uint16_t host_len, tag_len;
	char text[];			/* host then tag */
};

struct session_table {
	struct table origins, procs;
	size_t count, open, max;
	int64_t window_usec;
	int64_t watermark;		/* the stream's clock; INT64_MIN before any */
	struct lru lru;
	struct session_counters counters;
	session_drop_fn on_drop;
	void *on_drop_data;
	struct session_proc *last_proc;	/* one-entry cache: the last process asked for */
};

static struct session *lru_session(struct lru_node *n)
{
	return n ? lru_entry(n, struct session, lru) : NULL;
}

struct session_table *session_table_new(size_t max_sessions, int64_t window_usec)
{
	struct session_table *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->max = max_sessions ? max_sessions : 1;
	t->window_usec = window_usec;
	t->watermark = INT64_MIN;
	if (table_init(&t->origins, t->max) < 0 || table_init(&t->procs, t->max) < 0) {
		table_fini(&t->origins);
		free(t);
		return NULL;
	}
	return t;
}

void session_table_on_drop(struct session_table *t, session_drop_fn fn, void *data)
{
	t->on_drop = fn;
	t->on_drop_data = data;
}

static void session_free(struct session_table *t, struct session *s);

void session_table_free(struct session_table *t)
{
	if (t == NULL)
		return;
	t->on_drop = NULL;
	for (struct session *s; (s = lru_session(t->lru.oldest)) != NULL;)
		session_free(t, s);
	table_fini(&t->origins);
	table_fini(&t->procs);
	free(t);
}

/* --- origins and processes --- */

static uint64_t origin_hash(const struct session_table *t, struct span host, struct span tag)
{
	struct table_hasher h;
	uint16_t hl = (uint16_t) host.len;

	table_hasher_init(&t->origins, &h);
	table_hasher_add(&h, &hl, sizeof(hl));
	table_hasher_add(&h, host.p, host.len);
	table_hasher_add(&h, tag.p, tag.len);
	return table_hasher_end(&h);
}

static struct session_origin *origin_find(struct session_table *t, struct span host, struct span tag, uint64_t hash)
{
	for (struct table_node *n = table_first(&t->origins, hash); n; n = table_next(n)) {
		struct session_origin *o = table_entry(n, struct session_origin, node);

		if (o->host_len == host.len && o->tag_len == tag.len && memcmp(o->text, host.p, host.len) == 0 &&
		    memcmp(o->text + host.len, tag.p, tag.len) == 0)
			return o;
	}
	return NULL;
}

static uint64_t proc_hash(const struct session_table *t, const struct session_origin *o, long pid)
{
	struct {
		const void *origin;
		long pid;
	} key;

	memset(&key, 0, sizeof(key));
	key.origin = o;
	key.pid = pid;
	return table_hash(&t->procs, &key, sizeof(key));
}

static struct session_proc *proc_find(struct session_table *t, const struct session_origin *o, long pid)
{
	uint64_t hash = proc_hash(t, o, pid);

	for (struct table_node *n = table_first(&t->procs, hash); n; n = table_next(n)) {
		struct session_proc *p = table_entry(n, struct session_proc, node);

		if (p->origin == o && p->pid == pid)
			return p;
	}
	return NULL;
}

struct session_proc *session_proc_find(struct session_table *t, struct span host, struct span tag, long pid)
{
	if (host.len + tag.len > SESSION_ORIGIN_TEXT_MAX)
		return NULL;
	struct session_origin *o = origin_find(t, host, tag, origin_hash(t, host, tag));

	return o ? proc_find(t, o, pid) : NULL;
}

static bool proc_is(const struct session_proc *p, struct span host, struct span tag, long pid)
{
	const struct session_origin *o = p->origin;

	return p->pid == pid && o->host_len == host.len && o->tag_len == tag.len &&
	    memcmp(o->text, host.p, host.len) == 0 && memcmp(o->text + host.len, tag.p, tag.len) == 0;
}

int session_proc_get(struct session_table *t, struct span host, struct span tag, long pid,
		     struct session_proc **ret_proc)
{
	/* Lines of one process come in runs: most lookups are the last one. */
	if (t->last_proc && proc_is(t->last_proc, host, tag, pid)) {
		*ret_proc = t->last_proc;
		return 0;
	}
	if (host.len + tag.len > SESSION_ORIGIN_TEXT_MAX) {
		t->counters.origins_full++;
		return -ENOSPC;
	}
	uint64_t oh = origin_hash(t, host, tag);
	struct session_origin *o = origin_find(t, host, tag, oh);
	struct session_proc *p = o ? proc_find(t, o, pid) : NULL;

	if (p) {
		*ret_proc = t->last_proc = p;
		return 0;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return -ENOMEM;
	if (o == NULL) {
		if ((o = malloc(sizeof(*o) + host.len + tag.len)) == NULL) {
			free(p);
			return -ENOMEM;
		}
		o->refs = 0;
		o->traced = false;
		o->host_len = (uint16_t) host.len;
		o->tag_len = (uint16_t) tag.len;
		memcpy(o->text, host.p, host.len);
		memcpy(o->text + host.len, tag.p, tag.len);
		table_insert(&t->origins, &o->node, oh);
	}
	o->refs++;
	p->origin = o;
	p->pid = pid;
	table_insert(&t->procs, &p->node, proc_hash(t, o, pid));
	*ret_proc = t->last_proc = p;
	return 0;
}

static void proc_free(struct session_table *t, struct session_proc *p)
{
	struct session_origin *o = p->origin;

	if (t->last_proc == p)
		t->last_proc = NULL;
	table_remove(&t->procs, &p->node);
	if (--o->refs == 0) {
		table_remove(&t->origins, &o->node);
		free(o);
	}
	free(p);
}

void session_proc_origin(const struct session_proc *p, struct span *ret_host, struct span *ret_tag)
{
	const struct session_origin *o = p->origin;

	*ret_host = (struct span) {o->text, o->host_len};
	*ret_tag = (struct span) {o->text + o->host_len, o->tag_len};
}

void session_traced(struct session_proc *p)
{
	p->verbose = true;
	p->origin->traced = true;
}

bool session_origin_traced(const struct session_proc *p)
{
	return p->origin->traced;
}

/* --- sessions --- */

bool session_is_open(const struct session *s)
{
	return s->disconnect_usec < 0;
}

/*
 * The same token; or, when one of the two has no ":PORT"
 * (smtpd_client_port_logging), the same NAME[ADDR]. Two ports that differ
 * are two connections: back-to-back sessions of one client are told apart.
 */
bool session_client_is(const struct session *s, struct span client)
{
	struct span mine = {s->client, s->client_len};

	if (mine.len == client.len && memcmp(mine.p, client.p, client.len) == 0)
		return true;
	struct span a = smtpd_client_base(mine), b = smtpd_client_base(client);

	if (a.len != mine.len && b.len != client.len)
		return false;	/* both with a port, and not the same token */
	return a.len == b.len && memcmp(a.p, b.p, a.len) == 0;
}

/* Frees s; frees its process with its last session. */
static void session_free(struct session_table *t, struct session *s)
{
	struct session_proc *p = s->proc;

	if (t->on_drop)
		t->on_drop(t->on_drop_data, s);
	if (s->earlier)
		s->earlier->later = s->later;
	else
		p->earliest = s->later;
	if (s->later)
		s->later->earlier = s->earlier;
	else
		p->latest = s->earlier;
	p->nsessions--;
	lru_unlink(&t->lru, &s->lru);
	t->count--;
	if (session_is_open(s))
		t->open--;
	free(s->pending_prefix);
	free(s->marks);
	free(s);
	if (p->nsessions == 0)
		proc_free(t, p);
}

void session_proc_reset(struct session_table *t, struct session_proc *p)
{
	/* The process goes with its last session: keep it alive until the end. */
	unsigned n = p->nsessions;

	t->counters.clock_steps++;
	p->nsessions++;
	for (unsigned i = 0; i < n && p->earliest; i++)
		session_free(t, p->earliest);
	p->nsessions--;
	p->verbose = false;
	if (p->nsessions == 0)
		proc_free(t, p);
}

int session_new(struct session_table *t, struct session_proc *p, struct span client, const struct addr *addr,
		int64_t usec, struct session **ret_session)
{
	if (client.len > SESSION_CLIENT_MAX)
		return -EINVAL;

	struct session *s = calloc(1, sizeof(*s) + client.len);

	if (s == NULL) {
		if (p->nsessions == 0)
			proc_free(t, p);
		return -ENOMEM;
	}
	s->connect_usec = s->disconnect_usec = s->auth_usec = s->reply_usec = s->auth_hi = s->reply_hi = -1;
	s->sasl_lo = s->sasl_hi = s->struck_usec = s->synthetic_usec = -1;
	s->lo_usec = s->hi_usec = usec;
	s->addr = *addr;
	s->client_len = (uint16_t) client.len;
	memcpy(s->client, client.p, client.len);

	/* Room first; the process stays alive while its own sessions go. */
	p->nsessions++;
	while (p->nsessions > SESSION_PER_PROC_MAX && p->earliest) {
		t->counters.evicted++;
		session_free(t, p->earliest);
	}
	while (t->count >= t->max && t->lru.oldest) {
		t->counters.evicted++;
		session_free(t, lru_session(t->lru.oldest));
	}
	p->nsessions--;

	struct session *at = p->latest;	/* insert after the last that starts no later */

	while (at && at->lo_usec > usec)
		at = at->earlier;
	s->proc = p;
	s->earlier = at;
	s->later = at ? at->later : p->earliest;
	if (s->later)
		s->later->earlier = s;
	else
		p->latest = s;
	if (at)
		at->later = s;
	else
		p->earliest = s;
	p->nsessions++;
	lru_append(&t->lru, &s->lru);
	t->count++;
	t->open++;
	*ret_session = s;
	return 0;
}

void session_seen(struct session_table *t, struct session *s, int64_t usec)
{
	if (usec < s->lo_usec)
		s->lo_usec = usec;
	if (usec > s->hi_usec)
		s->hi_usec = usec;
	lru_touch(&t->lru, &s->lru);
}

/* Counts s as open again: its disconnect was another session's. */
void session_reopened(struct session_table *t, struct session *s)
{
	(void) s;
	t->open++;
	t->counters.disconnected--;
}

/* Counts s as ended: call once its disconnect time is set. */
void session_ended(struct session_table *t, struct session *s)
{
	(void) s;
	t->open--;
	t->counters.disconnected++;
}

/* --- the stream's clock and the window --- */

bool session_clock(struct session_table *t, int64_t usec)
{
	if (usec < 0)
		return false;
	if (t->watermark == INT64_MIN || usec > t->watermark) {
		t->watermark = usec;
		return false;
	}
	if (t->watermark - usec > t->window_usec) {
		t->watermark = usec;
		t->counters.clock_steps++;
		return true;
	}
	return false;
}

int64_t session_watermark(const struct session_table *t)
{
	return t->watermark;
}

void session_expire(struct session_table *t, int64_t now_usec)
{
	struct session *s;

	while ((s = lru_session(t->lru.oldest)) != NULL && now_usec - s->hi_usec > t->window_usec) {
		if (session_is_open(s) && s->later)
			t->counters.replaced++;
		else if (session_is_open(s))
			t->counters.expired++;
		else
			t->counters.forgotten++;
		session_free(t, s);
	}
}

size_t session_count(const struct session_table *t)
{
	return t->open;
}

size_t session_total(const struct session_table *t)
{
	return t->count;
}

struct session_counters *session_counters(struct session_table *t)
{
	return &t->counters;
}

struct session *session_oldest(struct session_table *t)
{
	return lru_session(t->lru.oldest);
}

struct session *session_newer(struct session *s)
{
	return lru_session(s->lru.newer);
}

/* --- placement: which session of its process a line belongs to --------- */

bool session_past(int64_t x, int64_t t, bool after)
{
	return x >= 0 && (after ? x > t : x >= t);
}

static bool holds_client(const struct session *s, const struct span *client)
{
	return client == NULL || session_client_is(s, *client);
}

struct session *session_find(struct session_proc *p, int64_t usec, const struct span *client, bool *ret_foreign)
{
	struct session *after = NULL;	/* the nearest session that starts after usec */

	*ret_foreign = false;
	for (struct session *s = p->latest; s; s = s->earlier) {
		if (s->lo_usec > usec) {
			after = s;
			continue;
		}
		if (s->disconnect_usec >= 0 && s->disconnect_usec < usec)
			break;	/* s ended before usec, and every earlier one too */
		if (holds_client(s, client))
			return s;
		if (s->lo_usec == usec)
			continue;	/* a tie: an earlier session may hold usec */
		if (s->disconnect_usec >= 0) {
			*ret_foreign = true;	/* inside another client's session */
			return NULL;
		}
		break;		/* s is open and another client's: it ended before usec */
	}
	if (after && after->connect_usec < 0 && holds_client(after, client))
		return after;
	return NULL;
}

/* From s to earlier ones: the ended session of client whose interval
   holds usec strictly (a session that was two, whose middle bounds came late). */
static struct session *ended_around(struct session *s, int64_t usec, struct span client)
{
	while (s && !(s->lo_usec < usec && s->disconnect_usec > usec && session_client_is(s, client)))
		s = s->earlier;
	return s;
}

/* The earliest evidence of s after usec: where a session split off after
   usec begins (its place in the process's list); s's latest line if none. */
static int64_t first_past(const struct session *s, int64_t usec)
{
	const int64_t x[] = {s->sasl_lo, s->sasl_hi, s->reply_usec, s->reply_hi, s->auth_usec, s->auth_hi};
	int64_t lo = s->hi_usec;

	for (size_t i = 0; i < sizeof(x) / sizeof(x[0]); i++)
		if (session_past(x[i], usec, true) && x[i] < lo)
			lo = x[i];
	return lo;
}

static bool evidence_past(const struct session *s, int64_t usec)
{
	return session_past(s->sasl_hi, usec, true) || session_past(s->reply_hi, usec, true) ||
	    session_past(s->auth_hi, usec, true);
}

/* A session first seen from a line that is not its connect. */
static int adopt(struct session_table *t, struct session_proc *p, struct span client, const struct addr *addr,
		 int64_t usec, struct session_placed *ret)
{
	int r = session_new(t, p, client, addr, usec, &ret->s);

	if (r < 0)
		return r == -ENOMEM ? r : 0;
	t->counters.adopted++;
	ret->adopted = true;
	return 0;
}

static void split_at(struct session_placed *ret, struct session *from, struct session *to, int64_t usec, bool after)
{
	ret->split_from = from;
	ret->split_to = to;
	ret->split_usec = usec;
	ret->split_after = after;
}

/* The disconnect of `from` is `to`'s: a session that was two. */
static void move_disconnect(struct session_table *t, struct session_placed *ret, struct session *from,
			    struct session *to)
{
	to->disconnect_usec = from->disconnect_usec;
	to->probe_stats = from->probe_stats;
	if (from->hi_usec > to->hi_usec)
		to->hi_usec = from->hi_usec;
	session_ended(t, to);
	from->disconnect_usec = -1;
	session_reopened(t, from);
	ret->ended_from = from;
	ret->ended_to = to;
}

/*
 * Whether usec has a part below the second: a clock that fine tells lines
 * apart, so the same time and client is the same line sent twice. With
 * whole seconds (the traditional syslog timestamp) one client's next
 * session may begin in the second its last one began and ended.
 */
static bool fine_time(int64_t usec)
{
	return usec % 1000000 != 0;
}

int session_place(struct session_table *t, struct session_proc *p, struct span client, const struct addr *addr,
		  int64_t usec, struct session_placed *ret)
{
	bool foreign;

	memset(ret, 0, sizeof(*ret));
	if ((ret->s = session_find(p, usec, &client, &foreign)) == NULL) {
		if (foreign) {
			ret->foreign = true;
			return 0;
		}
		int r = adopt(t, p, client, addr, usec, ret);

		if (r < 0 || ret->s == NULL)
			return r;
	}
	session_seen(t, ret->s, usec);
	return 0;
}

int session_place_connect(struct session_table *t, struct session_proc *p, struct span client,
			  const struct addr *addr, int64_t usec, struct session_placed *ret)
{
	struct session *nearest = NULL, *before = NULL, *s;
	int r;

	memset(ret, 0, sizeof(*ret));
	for (s = p->latest; s; s = s->earlier) {
		if (s->connect_usec == usec && session_client_is(s, client) &&
		    (fine_time(usec) || s->disconnect_usec > usec)) {
			/* a line sent twice (a transport that redelivers):
			   the session it opened, never a second one */
			session_seen(t, s, usec);
			ret->s = s;
			ret->duplicate = true;
			return 0;
		}
		if (s->lo_usec >= usec) {
			nearest = s;
			continue;
		}
		before = s;
		break;
	}
	/* The connect of a later session that came without one, unless a
	   disconnect of the client lies between: a process serves one
	   session at a time, so that session began after it. */
	if (nearest && nearest->connect_usec < 0 && session_client_is(nearest, client) &&
	    !(before && before->disconnect_usec > usec && session_client_is(before, client))) {
		nearest->connect_usec = usec;	/* counted when it was adopted */
		session_seen(t, nearest, usec);
		ret->s = nearest;
		return 0;
	}
	/* A connect inside an ended session of the same client: that session
	   was two, whose middle bounds came late. Inside another client's:
	   the process's clock went back. */
	if (before && before->disconnect_usec > usec && session_client_is(before, client) &&
	    session_new(t, p, client, addr, usec, &s) == 0) {
		struct session *first = ended_around(s->earlier, usec, client);	/* `before` may have gone */

		s->connect_usec = usec;
		t->counters.opened++;
		ret->s = s;
		if (first) {
			move_disconnect(t, ret, first, s);
			split_at(ret, first, s, usec, false);
		}
		return 0;
	}
	if (before && before->disconnect_usec > usec) {
		session_proc_reset(t, p);
		ret->reset = true;	/* p is gone: the caller looks the process up again */
		return 0;
	}
	if ((r = session_new(t, p, client, addr, usec, &s)) < 0)
		return r == -ENOMEM ? r : 0;
	s->connect_usec = usec;
	t->counters.opened++;
	ret->s = s;
	/* session_new() may have dropped `before`: look again */
	for (before = s->earlier; before && before->lo_usec >= usec; before = before->earlier)
		;
	if (before && session_is_open(before) && before->hi_usec >= usec && session_client_is(before, client))
		split_at(ret, before, s, usec, false);
	return 0;
}

int session_place_disconnect(struct session_table *t, struct session_proc *p, struct span client,
			     const struct addr *addr, int64_t usec, struct session_placed *ret)
{
	struct session *s, *found = NULL;
	int r;

	memset(ret, 0, sizeof(*ret));
	for (s = p->latest; s; s = s->earlier) {
		if (s->lo_usec > usec)
			continue;
		if (session_is_open(s) && session_client_is(s, client)) {
			found = s;
			break;
		}
		if (s->disconnect_usec == usec && session_client_is(s, client)) {
			/* a line sent twice: the session it ended */
			session_seen(t, s, usec);
			ret->s = s;
			ret->duplicate = true;
			return 0;
		}
		if (s->lo_usec == usec)
			continue;
		break;
	}
	if (found == NULL) {
		struct session *whole;

		/* inside an ended session of the same client: that session was two */
		whole = ended_around(p->latest, usec, client);
		if (whole && session_new(t, p, client, addr, whole->hi_usec, &found) == 0) {
			t->counters.adopted++;
			whole = ended_around(found->earlier, usec, client);	/* session_new() may have dropped it */
			if (whole) {
				move_disconnect(t, ret, whole, found);
				split_at(ret, whole, found, usec, true);
				found = whole;	/* this disconnect ends the first part */
			}
		} else {
			if ((r = adopt(t, p, client, addr, usec, ret)) < 0 || ret->s == NULL)
				return r;
			found = ret->s;
		}
	} else if (found->hi_usec > usec && !evidence_past(found, usec)) {
		/* lines after its end, none of them evidence (a later
		   session's connect took that over): nothing to move */
		found->hi_usec = usec;
	} else if (found->hi_usec > usec) {
		/* lines after its end: a later session of the same client's */
		struct session *later;

		if (session_new(t, p, client, addr, first_past(found, usec), &later) == 0) {
			t->counters.adopted++;
			/* session_new() may have dropped `found` */
			for (found = later->earlier; found && !(session_is_open(found) && found->lo_usec <= usec &&
								 session_client_is(found, client)); found = found->earlier)
				;
			if (found == NULL) {
				if (adopt(t, p, client, addr, usec, ret) < 0 || ret->s == NULL)
					return 0;
				found = ret->s;
			}
			split_at(ret, found, later, usec, true);
		}
	}
	found->disconnect_usec = usec;
	session_seen(t, found, usec);
	session_ended(t, found);
	ret->s = found;
	return 0;
}

/* --- evidence: what a split divides ---------------------------------------- */

/* The earliest and latest of each kind into the session's own fields. */
static void marks_sync(struct session *s)
{
	const struct session_marks *m = s->marks;

	if (m == NULL)
		return;

	s->auth_usec = m->nauth ? m->auth[0] : -1;
	s->auth_hi = m->nauth ? m->auth[m->nauth - 1] : -1;
	s->sasl_lo = m->nsasl ? m->sasl[0] : -1;
	s->sasl_hi = m->nsasl ? m->sasl[m->nsasl - 1] : -1;
	s->saslfail = m->nsasl > 0;
	s->reply_usec = m->nreply ? m->reply[0].usec : -1;
	s->reply_hi = m->nreply ? m->reply[m->nreply - 1].usec : -1;
	s->reply_ts_len = m->nreply ? m->reply[0].ts_len : 0;
	s->reply_hi_ts_len = m->nreply ? m->reply[m->nreply - 1].ts_len : 0;
	if (m->nreply) {
		memcpy(s->reply_ts, m->reply[0].ts, s->reply_ts_len);
		memcpy(s->reply_hi_ts, m->reply[m->nreply - 1].ts, s->reply_hi_ts_len);
	}
}

/* Where usec goes into the sorted v[0..n) of times: its index, or -1
   when it is there already. */
static int time_slot(const int64_t *v, size_t stride, size_t n, int64_t usec)
{
	size_t i = n;

	while (i > 0 && *(const int64_t *) ((const char *) v + (i - 1) * stride) > usec)
		i--;
	if (i > 0 && *(const int64_t *) ((const char *) v + (i - 1) * stride) == usec)
		return -1;
	return (int) i;
}

/* Inserts item (size bytes, its time first) into the sorted array v of
   *n items; the second earliest goes when it is full. */
static void insert(void *v, size_t size, uint8_t *n, const void *item, int64_t usec)
{
	int at = time_slot(v, size, *n, usec);
	char *base = v;

	if (at < 0)
		return;
	if (*n == SESSION_MARKS_MAX) {
		if (at == 1)
			return;		/* it would be the one to go */
		if (at == 0) {
			/* the new earliest: the old earliest becomes the second and goes */
			memcpy(base, item, size);
			return;
		}
		memmove(base + size, base + 2 * size, (size_t) (at - 2) * size);
		memcpy(base + (size_t) (at - 1) * size, item, size);
		return;
	}
	memmove(base + (size_t) (at + 1) * size, base + (size_t) at * size, (size_t) (*n - at) * size);
	memcpy(base + (size_t) at * size, item, size);
	(*n)++;
}

/* s's marks, made at its first evidence; NULL: no memory. */
static struct session_marks *marks_of(struct session *s)
{
	if (s->marks == NULL)
		s->marks = calloc(1, sizeof(*s->marks));
	return s->marks;
}

int session_mark_auth(struct session *s, int64_t usec)
{
	if (usec < 0)
		return 0;
	if (marks_of(s) == NULL)
		return -ENOMEM;
	insert(s->marks->auth, sizeof(int64_t), &s->marks->nauth, &usec, usec);
	marks_sync(s);
	return 0;
}

int session_mark_sasl(struct session *s, int64_t usec)
{
	if (usec < 0)
		return 0;
	if (marks_of(s) == NULL)
		return -ENOMEM;
	insert(s->marks->sasl, sizeof(int64_t), &s->marks->nsasl, &usec, usec);
	marks_sync(s);
	return 0;
}

int session_mark_reply(struct session *s, int64_t usec, const char *ts, uint8_t ts_len)
{
	struct session_reply r;

	if (usec < 0)
		return 0;
	if (marks_of(s) == NULL)
		return -ENOMEM;
	memset(&r, 0, sizeof(r));
	r.usec = usec;
	r.ts_len = ts_len < SESSION_TS_MAX ? ts_len : 0;
	memcpy(r.ts, ts, r.ts_len);
	insert(s->marks->reply, sizeof(r), &s->marks->nreply, &r, usec);
	marks_sync(s);
	return 0;
}

const struct session_reply *session_reply_from(const struct session *s, int64_t usec)
{
	for (size_t i = 0; s->marks && i < s->marks->nreply; i++)
		if (s->marks->reply[i].usec >= usec)
			return &s->marks->reply[i];
	return NULL;
}

/* Moves the items of from's v (size bytes each, time first) past t to to's. */
static bool split_kind(void *fv, uint8_t *fn, void *tv, uint8_t *tn, size_t size, int64_t t, bool after)
{
	char *base = fv;
	uint8_t keep = 0, n = *fn;
	bool moved = false;

	for (uint8_t i = 0; i < n; i++) {
		char *item = base + (size_t) i * size;
		int64_t usec;

		memcpy(&usec, item, sizeof(usec));
		if (session_past(usec, t, after)) {
			insert(tv, size, tn, item, usec);
			moved = true;
		} else {
			if (keep != i)
				memmove(base + (size_t) keep * size, item, size);
			keep++;
		}
	}
	*fn = keep;
	return moved;
}

bool session_marks_split(struct session *from, struct session *to, int64_t t, bool after)
{
	struct session_marks *f = from->marks, *m;

	/* each kind is sorted: whether any moves is whether its latest does */
	if (f == NULL || !((f->nauth && session_past(f->auth[f->nauth - 1], t, after)) ||
			   (f->nsasl && session_past(f->sasl[f->nsasl - 1], t, after)) ||
			   (f->nreply && session_past(f->reply[f->nreply - 1].usec, t, after))))
		return false;
	if ((m = marks_of(to)) == NULL)
		return false;	/* no memory: the evidence stays where it was */
	bool moved = split_kind(f->auth, &f->nauth, m->auth, &m->nauth, sizeof(int64_t), t, after);

	moved |= split_kind(f->sasl, &f->nsasl, m->sasl, &m->nsasl, sizeof(int64_t), t, after);
	moved |= split_kind(f->reply, &f->nreply, m->reply, &m->nreply, sizeof(struct session_reply), t, after);
	marks_sync(from);
	marks_sync(to);
	return moved;
}

int session_marks_restore(struct session *s)
{
	int64_t auth_lo = s->auth_usec, auth_hi = s->auth_hi, sasl_lo = s->sasl_lo, sasl_hi = s->sasl_hi;
	int64_t reply_lo = s->reply_usec, reply_hi = s->reply_hi;
	char lo_ts[SESSION_TS_MAX], hi_ts[SESSION_TS_MAX];
	uint8_t lo_len = s->reply_ts_len, hi_len = s->reply_hi_ts_len;
	bool saslfail = s->saslfail;

	if (auth_lo < 0 && sasl_lo < 0 && reply_lo < 0)
		return 0;
	if (marks_of(s) == NULL)
		return -ENOMEM;
	memcpy(lo_ts, s->reply_ts, lo_len);
	memcpy(hi_ts, s->reply_hi_ts, hi_len);
	memset(s->marks, 0, sizeof(*s->marks));
	session_mark_auth(s, auth_lo);
	session_mark_auth(s, auth_hi);
	session_mark_sasl(s, sasl_lo);
	session_mark_sasl(s, sasl_hi);
	session_mark_reply(s, reply_lo, lo_ts, lo_len);
	session_mark_reply(s, reply_hi, hi_ts, hi_len);
	marks_sync(s);
	s->saslfail = saslfail || s->marks->nsasl > 0;
	return 0;
}

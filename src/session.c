/*
 * NAME
 *	session 3
 * SUMMARY
 *	open SMTP sessions keyed by (host, tag, pid)
 * SYNOPSIS
 *	#include "session.h"
 *
 *	struct session_table *session_table_new(max_sessions, idle_usec)
 *	void	session_table_free(t)
 *	struct session *session_find(t, host, tag, pid)
 *	int	session_open(t, host, tag, pid, client, addr, now_usec, ret_session)
 *	void	session_touch(t, s, now_usec)
 *	void	session_close(t, s)
 *	void	session_expire(t, now_usec)
 * DESCRIPTION
 *	A session is one SMTP connection as one smtpd process logs it, from
 *	"connect from" to "disconnect from". Postfix reuses a process for
 *	many sessions, and a central log host sees many hosts whose pids
 *	collide, so the key is (host, tag, pid). Host and tag are interned
 *	once ("origins"); a session costs its struct and its client token.
 *
 *	session_open() opens a session; an open session on the same key
 *	is closed first (counted as replaced). When the table is full the
 *	least recently active session is closed (evicted).
 *	session_touch() records activity. session_expire() closes sessions
 *	idle for longer than idle_usec before now_usec.
 *
 *	Returned sessions are owned by the table and valid until they are
 *	closed, expired, evicted or replaced.
 * DIAGNOSTICS
 *	session_open() returns -ENOMEM, -ENOSPC when SESSION_ORIGIN_MAX
 *	origins are in use, or -EINVAL for a client token longer than
 *	SESSION_CLIENT_MAX.
 * SECURITY
 *	Memory is bounded by max_sessions * (sizeof(struct session) +
 *	SESSION_CLIENT_MAX) plus the origins; a flood of connects without
 *	disconnects evicts the oldest sessions, it never grows the table.
 *	The hash is seeded per process so that chains cannot be predicted.
 */

#include "session.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct origin {
	uint16_t host_len, tag_len;
	char text[];			/* host then tag */
};

struct session_table {
	struct session **buckets;
	size_t nbuckets, count, max;
	int64_t idle_usec;
	uint64_t seed;
	struct lru lru;
	struct origin *origins[SESSION_ORIGIN_MAX];
	uint32_t norigins, last_origin;
	struct session_counters counters;
};

static struct session *oldest(const struct session_table *t)
{
	return t->lru.oldest ? lru_entry(t->lru.oldest, struct session, lru) : NULL;
}

struct session_table *session_table_new(size_t max_sessions, int64_t idle_usec)
{
	struct session_table *t = calloc(1, sizeof(*t));
	struct timespec ts;

	if (t == NULL)
		return NULL;
	t->max = max_sessions ? max_sessions : 1;
	for (t->nbuckets = 64; t->nbuckets < t->max; t->nbuckets <<= 1)
		;
	t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
	if (t->buckets == NULL) {
		free(t);
		return NULL;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t->seed = 0xcbf29ce484222325ull ^ ((uint64_t) ts.tv_nsec << 20) ^ (uint64_t) getpid();
	t->idle_usec = idle_usec;
	return t;
}

void session_table_free(struct session_table *t)
{
	if (t == NULL)
		return;
	for (struct session *s; (s = oldest(t)) != NULL;) {
		lru_unlink(&t->lru, &s->lru);
		free(s);
	}
	for (uint32_t i = 0; i < t->norigins; i++)
		free(t->origins[i]);
	free(t->buckets);
	free(t);
}

/* The origin id of host+tag, interning it when intern is set; -1 when unknown or full. */
static bool origin_is(const struct origin *o, struct span host, struct span tag)
{
	return o->host_len == host.len && o->tag_len == tag.len &&
	    memcmp(o->text, host.p, host.len) == 0 && memcmp(o->text + host.len, tag.p, tag.len) == 0;
}

static int64_t origin_id(struct session_table *t, struct span host, struct span tag, bool intern)
{
	if (t->last_origin < t->norigins && origin_is(t->origins[t->last_origin], host, tag))
		return t->last_origin;
	for (uint32_t i = t->norigins; i-- > 0;) {
		if (origin_is(t->origins[i], host, tag)) {
			t->last_origin = i;
			return i;
		}
	}
	if (!intern)
		return -1;
	if (t->norigins >= SESSION_ORIGIN_MAX || host.len > UINT16_MAX || tag.len > UINT16_MAX) {
		t->counters.origins_full++;
		return -ENOSPC;
	}
	struct origin *o = malloc(sizeof(*o) + host.len + tag.len);

	if (o == NULL)
		return -ENOMEM;
	o->host_len = (uint16_t) host.len;
	o->tag_len = (uint16_t) tag.len;
	memcpy(o->text, host.p, host.len);
	memcpy(o->text + host.len, tag.p, tag.len);
	t->origins[t->norigins] = o;
	return t->norigins++;
}

int session_origin(const struct session_table *t, uint32_t origin, struct span *ret_host, struct span *ret_tag)
{
	if (origin >= t->norigins)
		return -ENOENT;
	const struct origin *o = t->origins[origin];

	*ret_host = (struct span) {o->text, o->host_len};
	*ret_tag = (struct span) {o->text + o->host_len, o->tag_len};
	return 0;
}

static size_t bucket_of(const struct session_table *t, uint32_t origin, long pid)
{
	uint64_t h = (t->seed ^ ((uint64_t) origin << 32) ^ (uint64_t) pid) * 0x9e3779b97f4a7c15ull;

	return (size_t) (h >> 29) & (t->nbuckets - 1);
}

struct session *session_find(struct session_table *t, struct span host, struct span tag, long pid)
{
	int64_t origin = origin_id(t, host, tag, false);

	if (origin < 0)
		return NULL;
	for (struct session *s = t->buckets[bucket_of(t, (uint32_t) origin, pid)]; s; s = s->hnext)
		if (s->origin == origin && s->pid == pid)
			return s;
	return NULL;
}

void session_close(struct session_table *t, struct session *s)
{
	struct session **pp = &t->buckets[bucket_of(t, s->origin, s->pid)];

	while (*pp && *pp != s)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = s->hnext;
	lru_unlink(&t->lru, &s->lru);
	t->count--;
	t->counters.closed++;
	free(s);
}

int session_open(struct session_table *t, struct span host, struct span tag, long pid,
		 struct span client, const struct addr *addr, int64_t now_usec, struct session **ret_session)
{
	if (client.len > SESSION_CLIENT_MAX)
		return -EINVAL;
	int64_t origin = origin_id(t, host, tag, true);

	if (origin < 0)
		return (int) origin;

	struct session *old = session_find(t, host, tag, pid);

	if (old) {
		session_close(t, old);
		t->counters.replaced++;
	}
	if (t->count >= t->max && oldest(t)) {
		session_close(t, oldest(t));
		t->counters.evicted++;
	}

	struct session *s = calloc(1, sizeof(*s) + client.len);

	if (s == NULL)
		return -ENOMEM;
	s->origin = (uint32_t) origin;
	s->pid = pid;
	s->last_usec = now_usec;
	s->addr = *addr;
	s->client_len = (uint16_t) client.len;
	memcpy(s->client, client.p, client.len);

	size_t b = bucket_of(t, s->origin, pid);

	s->hnext = t->buckets[b];
	t->buckets[b] = s;
	lru_append(&t->lru, &s->lru);
	t->count++;
	t->counters.opened++;
	*ret_session = s;
	return 0;
}

void session_touch(struct session_table *t, struct session *s, int64_t now_usec)
{
	if (now_usec > s->last_usec)
		s->last_usec = now_usec;
	lru_touch(&t->lru, &s->lru);
}

void session_expire(struct session_table *t, int64_t now_usec)
{
	struct session *s;

	while ((s = oldest(t)) != NULL && now_usec - s->last_usec > t->idle_usec) {
		session_close(t, s);
		t->counters.expired++;
	}
}

size_t session_count(const struct session_table *t)
{
	return t->count;
}

const struct session_counters *session_counters(const struct session_table *t)
{
	return &t->counters;
}

bool session_client_is(const struct session *s, struct span client)
{
	return s->client_len == client.len && memcmp(s->client, client.p, client.len) == 0;
}

struct session *session_oldest(struct session_table *t)
{
	return oldest(t);
}

struct session *session_newer(struct session *s)
{
	return s->lru.newer ? lru_entry(s->lru.newer, struct session, lru) : NULL;
}

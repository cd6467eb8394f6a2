#ifndef AUTHFOLD_SESSION_H
#define AUTHFOLD_SESSION_H

/* session - open SMTP sessions keyed by (host, tag, pid); see session.c */

#include "addr.h"
#include "lru.h"
#include "record.h"

#include <stdbool.h>
#include <stdint.h>

#define SESSION_CLIENT_MAX	300	/* NAME[ADDR]: host names are <= 255 */
#define SESSION_ORIGIN_MAX	4096	/* distinct host+tag pairs remembered */

struct session {
	struct session *hnext;		/* hash chain */
	struct lru_node lru;		/* activity list, oldest first */
	uint32_t origin;		/* interned host+tag */
	long pid;
	int64_t last_usec;
	struct addr addr;
	bool verbose;			/* a -v trace line was seen */
	bool last_command_auth;		/* the latest command was AUTH */
	bool noauth;			/* a synthetic line was written */
	bool saslfail;			/* a SASL failure was logged */
	bool struck;			/* the session gave its strike */
	uint16_t client_len;
	char client[];			/* NAME[ADDR], not NUL-terminated */
};

struct session_counters {
	uint64_t opened, closed, replaced, expired, evicted, origins_full;
};

struct session_table;

struct session_table *session_table_new(size_t max_sessions, int64_t idle_usec);
void session_table_free(struct session_table *t);
struct session *session_find(struct session_table *t, struct span host, struct span tag, long pid);
int session_open(struct session_table *t, struct span host, struct span tag, long pid,
		 struct span client, const struct addr *addr, int64_t now_usec, struct session **ret_session);
void session_touch(struct session_table *t, struct session *s, int64_t now_usec);
void session_close(struct session_table *t, struct session *s);
void session_expire(struct session_table *t, int64_t now_usec);
size_t session_count(const struct session_table *t);
const struct session_counters *session_counters(const struct session_table *t);
bool session_client_is(const struct session *s, struct span client);

/* Iteration and restore, for the state file. */
struct session *session_oldest(struct session_table *t);
struct session *session_newer(struct session *s);
int session_origin(const struct session_table *t, uint32_t origin, struct span *ret_host, struct span *ret_tag);

#endif

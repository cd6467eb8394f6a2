/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_SESSION_H
#define AUTHFOLD_SESSION_H

/* session - SMTP sessions per (host, tag, pid), placed by time; see session.c */

#include "addr.h"
#include "lru.h"
#include "record.h"
#include "table.h"

#include <stdbool.h>
#include <stdint.h>

#define SESSION_CLIENT_MAX	320	/* NAME[ADDR]:PORT: host names are <= 255 */
#define SESSION_ORIGIN_TEXT_MAX	512	/* host + tag of one origin */
#define SESSION_PER_PROC_MAX	32	/* sessions remembered per process */
#define SESSION_PREFIX_MAX	640	/* the kept prefix of a deferred verdict's line */
#define SESSION_TS_MAX		40	/* a kept timestamp text (RFC 3339 with µs: 32) */
#define SESSION_MARKS_MAX	4	/* AUTH commands, 503 replies, SASL failures kept, each */

/* A 503 "not enabled" reply: its time and timestamp text (0: cannot be rebuilt). */
struct session_reply {
	int64_t usec;
	uint8_t ts_len;
	char ts[SESSION_TS_MAX];
};

/* The evidence of a session, each kind sorted by time: what a split
   divides. The earliest and latest of each are also in the session's
   auth_usec/auth_hi, reply_usec/reply_hi (with their texts) and
   sasl_lo/sasl_hi (session_marks_sync()). */
struct session_marks {
	uint8_t nauth, nreply, nsasl;
	int64_t auth[SESSION_MARKS_MAX], sasl[SESSION_MARKS_MAX];
	struct session_reply reply[SESSION_MARKS_MAX];
};

enum session_pending {
	SESSION_PENDING_NONE,
	SESSION_PENDING_REPLY,		/* a 503 reply waits for its AUTH command */
	SESSION_PENDING_DISCONNECT,	/* the statistics verdict waits for its session */
};

struct session_proc;

struct session {
	struct lru_node lru;		/* every session, by last activity */
	struct session *earlier, *later;	/* the process's sessions, by time */
	struct session_proc *proc;
	int64_t connect_usec;		/* -1: not seen (yet) */
	int64_t disconnect_usec;	/* -1: not seen (yet) */
	int64_t lo_usec, hi_usec;	/* the earliest and latest of its lines seen */
	int64_t auth_usec;		/* the earliest AUTH command, -1: none */
	int64_t reply_usec;		/* the earliest 503 "not enabled" reply, -1: none */
	int64_t auth_hi, reply_hi;	/* the latest of each: what a split gives a later session */
	int64_t sasl_lo, sasl_hi;	/* the earliest and latest SASL failure, -1: none */
	int64_t struck_usec;		/* the time of the evidence that struck */
	int64_t synthetic_usec;		/* the time of the line its synthetic line carries */
	uint8_t reply_format;		/* enum record_format of the earliest reply */
	uint8_t reply_ts_len;		/* its timestamp text; 0: cannot be rebuilt */
	char reply_ts[SESSION_TS_MAX];
	uint8_t reply_hi_ts_len;	/* the latest reply's timestamp text, as reply_ts */
	char reply_hi_ts[SESSION_TS_MAX];
	struct addr addr;
	bool verbose;			/* a -v trace line of the session was seen */
	bool saslfail;			/* a SASL failure was logged (the client's fault) */
	bool sasl_other;		/* one that was the server's, or an unoffered mechanism */
	bool struck;			/* the session gave its strike */
	bool synthetic;			/* its synthetic line was written */
	bool probe_stats;		/* its disconnect statistics say "probe" */
	bool pending_traced;		/* its deferred verdict waits for a -v trace (fold(3)) */
	uint8_t pending;		/* enum session_pending */
	uint8_t pending_format;		/* enum record_format of the deferred line */
	uint16_t pending_ts_len;	/* the timestamp's bytes at the prefix's start */
	uint16_t pending_len;		/* bytes of pending_prefix */
	uint16_t client_len;		/* of client[] (here: a hole before pending_usec) */
	int64_t pending_usec;		/* time of the line that will prove it */
	char *pending_prefix;		/* owned; the line's bytes before its message */
	struct session *pnext, *pprev;	/* the fold's list of pending verdicts */
	struct session_marks *marks;	/* owned; NULL until its first evidence */
	char client[];			/* NAME[ADDR] or NAME[ADDR]:PORT as written, not NUL-terminated */
};

struct session_proc {
	struct table_node node;		/* key: origin, pid */
	struct session_origin *origin;
	long pid;
	struct session *earliest, *latest;
	unsigned nsessions;
	unsigned npending;		/* sessions with a deferred statistics verdict */
	bool verbose;			/* a -v trace line of the process was seen */
};

struct session_counters {
	uint64_t opened;		/* sessions first seen from their connect */
	uint64_t adopted;		/* sessions first seen from a later line (their connect may come) */
	uint64_t disconnected;		/* disconnect lines placed in a session */
	uint64_t replaced;		/* open when the process's next session began */
	uint64_t expired;		/* open sessions idle past session_idle */
	uint64_t forgotten;		/* ended sessions past the window */
	uint64_t evicted;		/* dropped because the table was full */
	uint64_t origins_full;		/* host+tag too long, or no room */
	uint64_t clock_steps;		/* a jump back past the window, or overlapping sessions */
};

/* Called before a session is freed (expired, evicted, forgotten, reset). */
typedef void (*session_drop_fn)(void *data, struct session *s);

struct session_table;

struct session_table *session_table_new(size_t max_sessions, int64_t window_usec);
void session_table_free(struct session_table *t);
void session_table_on_drop(struct session_table *t, session_drop_fn fn, void *data);

struct session_proc *session_proc_find(struct session_table *t, struct span host, struct span tag, long pid);
int session_proc_get(struct session_table *t, struct span host, struct span tag, long pid,
		     struct session_proc **ret_proc);
void session_proc_reset(struct session_table *t, struct session_proc *p);
void session_proc_origin(const struct session_proc *p, struct span *ret_host, struct span *ret_tag);
/* A -v trace line of p: p and its origin (host, tag) are traced. */
void session_traced(struct session_proc *p);
/* Whether a process of p's origin wrote a -v trace line while the origin was remembered. */
bool session_origin_traced(const struct session_proc *p);

int session_new(struct session_table *t, struct session_proc *p, struct span client, const struct addr *addr,
		int64_t usec, struct session **ret_session);
void session_seen(struct session_table *t, struct session *s, int64_t usec);
void session_ended(struct session_table *t, struct session *s);
void session_reopened(struct session_table *t, struct session *s);
bool session_client_is(const struct session *s, struct span client);
bool session_is_open(const struct session *s);

/*
 * Placement: the session of its process a line belongs to (session.c).
 * When the line shows that a session was two (its middle bounds came
 * late), the evidence of split_from at or after split_usec (after it when
 * split_after) is split_to's now, and when the disconnect of ended_from
 * moved to ended_to, a verdict waiting for it goes along: the caller
 * (fold(3)) moves both, then judges.
 */
struct session_placed {
	struct session *s;		/* the line's session; NULL: none */
	struct session *split_from, *split_to;
	int64_t split_usec;
	bool split_after;
	struct session *ended_from, *ended_to;
	bool adopted;			/* s was first seen from this line, not a connect */
	bool foreign;			/* inside another client's session: no session */
	bool reset;			/* the process's clock went back: it was reset (look it up again) */
	bool duplicate;			/* a connect or disconnect s already has (sent twice): it adds nothing */
};

/* A -v trace line or a SASL failure of client at usec. */
int session_place(struct session_table *t, struct session_proc *p, struct span client, const struct addr *addr,
		  int64_t usec, struct session_placed *ret);
int session_place_connect(struct session_table *t, struct session_proc *p, struct span client,
			  const struct addr *addr, int64_t usec, struct session_placed *ret);
int session_place_disconnect(struct session_table *t, struct session_proc *p, struct span client,
			     const struct addr *addr, int64_t usec, struct session_placed *ret);
/* The session of p that holds usec for client (NULL: any client), adopting none. */
struct session *session_find(struct session_proc *p, int64_t usec, const struct span *client, bool *ret_foreign);
/* Whether time x (-1: none) is at or after t, or after t when `after`. */
bool session_past(int64_t x, int64_t t, bool after);

/* Evidence: each kept once per time, sorted; when SESSION_MARKS_MAX are
   kept, the second earliest goes (the earliest and the latest stay). */
int session_mark_auth(struct session *s, int64_t usec);
int session_mark_reply(struct session *s, int64_t usec, const char *ts, uint8_t ts_len);
int session_mark_sasl(struct session *s, int64_t usec);
/* Moves the evidence of `from` at or after t (after t when `after`) to
   `to`; true when any moved. */
bool session_marks_split(struct session *from, struct session *to, int64_t t, bool after);
/* The earliest 503 reply at or after usec, NULL: none. */
const struct session_reply *session_reply_from(const struct session *s, int64_t usec);
/* The marks from the earliest and latest fields (a state file's session). */
int session_marks_restore(struct session *s);

/* The clock of the stream: the latest time seen; a jump back past the
   window restarts it. Returns true for such a step. */
bool session_clock(struct session_table *t, int64_t usec);
int64_t session_watermark(const struct session_table *t);
void session_expire(struct session_table *t, int64_t now_usec);

size_t session_count(const struct session_table *t);	/* open sessions */
size_t session_total(const struct session_table *t);	/* every session remembered */
struct session_counters *session_counters(struct session_table *t);

/* Every session, least recently active first (state file). */
struct session *session_oldest(struct session_table *t);
struct session *session_newer(struct session *s);

#endif

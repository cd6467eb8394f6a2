/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_WHY_STORY_H
#define AUTHFOLD_WHY_STORY_H

/* why_story - gathering the story of an address; see why_story.c */

#include "addr.h"
#include "config.h"
#include "record.h"
#include "smtpd.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WHY_EVENTS_MAX		10000	/* events of the target kept, the newest */
#define WHY_FIELD_MAX		320	/* bytes of a text field of an event (a client NAME[ADDR]) */
#define WHY_STRIKES_MAX		4096	/* strikes whose sessions are looked for */
#define WHY_SESSION_LINES	200	/* lines shown of a session */
#define WHY_SHOWN_LINE_MAX	2048	/* bytes shown of a line */
#define WHY_TEXT_MAX		(8u << 20)	/* bytes of session lines kept in all */
#define WHY_LINES_MAX		(512u * 1024)	/* summary lines near the strikes looked at */
#define WHY_SESSION_SPAN	(3600LL * 1000000)	/* µs a session's line may lie from its strike */
#define WHY_STATE_FILES_MAX	4096	/* state files read, by name */
#define WHY_NOTES_MAX		256
#define WHY_BAN_SECONDS_MAX	(100LL * 366 * 86400)	/* a longer ban's line is refused */
#define WHY_NOSTRIKE_MAX	1024	/* SASL failures without a strike kept, the newest */
#define WHY_TROUBLE_MAX		(128u * 1024)	/* signs of auth server trouble kept (16 bytes each) */

/* what why(3) was asked; gathered by why_story_gather() */
struct why_options {
	struct cidr target;
	const char *events;		/* events log; NULL none */
	const char *summary;		/* summary log; NULL or "-" none */
	const struct config *config;	/* state_dir, findtime */
	int64_t now_usec;
	bool json;
	/* why_report(): the period [since, until) of µs; -1 open */
	int64_t since_usec, until_usec;
};

enum why_kind { WHY_STRIKE, WHY_BAN, WHY_UNBAN };

struct why_session {
	char **line;			/* the session's lines, oldest first; NULL a line not re-read */
	unsigned n;
	bool cut;			/* more lines than kept */
	bool partial;			/* its connect was not seen */
	bool open_end;			/* its disconnect was not seen */
	bool ambiguous;			/* another session fits the strike as well */
};

struct why_event {
	enum why_kind kind;
	int64_t usec;			/* -1 none */
	char *ts;			/* as written */
	char *reason, *rule, *client, *host, *tag, *set, *by;
	struct cidr net;		/* strike: the address, /32 or /128 */
	long pid;			/* -1 none */
	int64_t seconds, applied_seconds;
	unsigned strikes;
	bool dry_run;
	uint64_t seq;			/* order read */
	size_t number;			/* strike: 1-based in the story; 0 others */
	struct why_session *session;	/* strike: its lines, NULL not found */
};

struct why_source {
	char *path;
	const char *kind;		/* "events", "summary", "state" */
	int err;			/* -errno, 0 */
	char detail[256];		/* a reading problem at the end, or "" */
	uint64_t lines, bad, overlong;
	bool read;
};

struct why_state_row {
	struct cidr net;
	unsigned times_banned, strikes;
	int64_t until_usec, last_ban_seconds, last_strike_usec;
	char file[256];
};

/* a sign of auth server trouble at an origin (keyed hash of host and tag) */
struct why_sign {
	int64_t usec;
	uint64_t origin;
};

/* a SASL failure of the target that gave no strike (why_trouble(3)) */
struct why_nostrike {
	char *line;			/* as written, at most WHY_SHOWN_LINE_MAX bytes */
	int64_t usec;
	int64_t trouble_usec;		/* held: the sign of trouble nearest; -1 */
	uint64_t seq, origin;
	struct addr addr;
	long pid;
	const char *reason;		/* static: "saslfail", "badmech"; NULL the server's */
	const char *rule;		/* static: smtpd(3)'s rule */
	uint32_t host, host_len, tag, tag_len, client, client_len, words;	/* in line */
	bool server;			/* the server's failure: auth server trouble */
	bool held;			/* the client's, held for trouble at its origin */
	bool in_session;		/* in a strike's session: told there */
};

struct why_story {
	const struct why_options *o;
	struct why_event *ev;		/* after why_story_gather(): oldest first */
	size_t nev, head;		/* while reading: a ring of the newest */
	uint64_t ev_dropped, seq;
	struct why_source *src;
	size_t nsrc, capsrc;
	char **notes;
	size_t nnotes;
	uint64_t strikes_without_search;
	struct why_state_row *state;
	size_t nstate;
	size_t text_bytes;		/* session text kept, at most WHY_TEXT_MAX */
	struct why_nostrike *ns;	/* while reading: a ring of the newest; then kept, by time */
	size_t nns, ns_head, ns_server, ns_held;
	uint64_t ns_dropped;
	struct why_sign *signs;
	size_t nsigns, capsigns;
	uint64_t signs_dropped;
};

int why_story_gather(const struct why_options *o, struct why_story *ret);
void why_story_fini(struct why_story *y);

void why_note(struct why_story *y, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
struct why_source *why_source_add(struct why_story *y, const char *path, const char *kind);
int why_sources_add_log(struct why_story *y, const char *base, const char *kind);
const char *why_source_problem(const struct why_source *s, char *buf, size_t len);

const char *why_ban_status(const struct why_story *y, size_t bi, int64_t *ret_until,
			   const struct why_event **ret_unban);
size_t why_ban_strikes(const struct why_story *y, size_t bi, size_t *ret, size_t max);
const struct why_state_row *why_state_ban(const struct why_story *y, const struct cidr *net);

/* why_session.c: each strike's session from the summary logs, by time */
int why_sessions_find(struct why_story *y);
void why_session_free(struct why_session *s);

/* why_trouble.c: SASL failures that gave no strike for auth server trouble */
void why_trouble_line(struct why_story *y, const struct record *r, const struct smtpd_line *l, uint64_t origin,
		      bool struck, uint64_t seq);
void why_trouble_in_session(struct why_story *y, uint64_t seq);
int why_trouble_judge(struct why_story *y);
/* "no strike: ..." in buf */
const char *why_trouble_verdict(const struct why_story *y, const struct why_nostrike *n, char *buf, size_t len);
void why_trouble_fini(struct why_story *y);

#endif

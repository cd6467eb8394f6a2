/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_JOURNAL_H
#define AUTHFOLD_JOURNAL_H

/* journal - the systemd journal as a source of records; see journal.c */

#include "record.h"
#include "sender.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JOURNAL_MESSAGE_MAX	(64 * 1024)	/* MESSAGE bytes kept, after escaping */
#define JOURNAL_NAME_MAX	255		/* _HOSTNAME, SYSLOG_IDENTIFIER, _COMM bytes kept */
#define JOURNAL_MATCH_MAX	64		/* terms of journal_match */

enum journal_start {
	JOURNAL_START_HEAD,			/* the oldest entry */
	JOURNAL_START_TAIL,			/* entries written from now on */
};

enum journal_position {
	JOURNAL_RESUMED,			/* right after the cursor's entry */
	JOURNAL_RESUMED_VACUUMED,		/* the cursor's entry is gone: at the next one */
	JOURNAL_AT_START,			/* no cursor: at the start asked for */
	JOURNAL_CURSOR_BAD,			/* unusable cursor: at the start asked for */
	JOURNAL_CURSOR_BEYOND,			/* nothing at or after the cursor: at the tail */
};

struct journal_counters {
	uint64_t entries;			/* records yielded */
	uint64_t untrusted;			/* of which may not decide (_UID, or the _COMM/_EXE filters) */
	struct sender_counters senders;		/* by _UID (sender(3)) */
	uint64_t truncated;			/* MESSAGE cut at JOURNAL_MESSAGE_MAX */
	uint64_t escaped;			/* MESSAGE with control bytes written as #ooo */
	uint64_t names_cut;			/* host, tag or _COMM cut or sanitized */
	uint64_t no_message;			/* entries without MESSAGE: skipped */
	uint64_t bad_pid;			/* SYSLOG_PID/_PID that is not a number */
};

struct journal;

/* Whose entries may decide (record.trusted): _UID judged by senders
   (sender(3)); then, when given, _COMM in comm and _EXE in exe. */
struct journal_trust {
	const struct sender_trust *senders;
	char *const *comm;			/* extra filter; n_comm 0: none */
	size_t n_comm;
	char *const *exe;			/* extra filter; n_exe 0: none */
	size_t n_exe;
};

/* Opens the local journal (directory NULL) or the journal files in
   directory. match: "FIELD=VALUE ..." terms, '+' between alternatives as
   in journalctl(1); NULL or "" matches everything. trust and what it
   points to are borrowed: they must outlive the journal. */
int journal_open(const char *directory, const char *match, const struct journal_trust *trust,
		 struct journal **ret_journal, char *err, size_t errlen);
void journal_free(struct journal *j);	/* accepts NULL */
/* Puts the reader right after cursor (NULL or "": none), or at start. */
int journal_seek(struct journal *j, const char *cursor, enum journal_start start,
		 enum journal_position *ret_position);
/* The next entry as a record whose spans are borrowed until the next call.
   1: a record; 0: no more entries for now; <0: -errno. */
int journal_next(struct journal *j, struct record *ret_record);
/* The cursor of the last entry journal_next() yielded (after a seek: of the
   handled entry the reader stands on), copied into buf; -ENODATA when there
   is none (a seek to the head), -ENOBUFS when buf is too short. */
int journal_cursor(struct journal *j, char *buf, size_t len);
/* For poll(2): the journal's fd, its events, and when to call
   journal_process() anyway: CLOCK_MONOTONIC µs, UINT64_MAX for never. */
int journal_poll_params(struct journal *j, int *ret_fd, short *ret_events, uint64_t *ret_timeout_usec);
/* After the fd woke or the timeout passed, and every ~1000 entries during a
   long catch-up. Returns sd_journal_process()'s value or -errno. */
int journal_process(struct journal *j);
const struct journal_counters *journal_counters(const struct journal *j);
/* Copies a MESSAGE value as the summary may hold it: one trailing run of
   newlines dropped, control bytes written as #ooo (as rsyslog does), cut at
   cap bytes. Returns the bytes written to out (cap bytes long); *ret_cut
   and *ret_escaped tell what happened. */
size_t journal_escape(const char *in, size_t n, char *out, size_t cap, bool *ret_cut, bool *ret_escaped);

/* The pure part of journal_next(): the fields of one entry to a record, no
   sd_journal involved (journal_next() uses it; so does tests/fuzz).
   The caller sets trust, localhost and counters (all
   borrowed, and kept alive while the struct is used); the rest is private.
   Per entry: journal_fields_start(), journal_fields_add() for each
   "NAME=value" field datum (value bytes arbitrary, not NUL-terminated;
   the first MESSAGE, SYSLOG_IDENTIFIER, SYSLOG_PID, _COMM, _PID, _UID,
   _EXE and _HOSTNAME count, other fields are ignored), then journal_fields_record()
   with the entry's __REALTIME_TIMESTAMP: 1 and a record whose spans point
   into f (valid until the next journal_fields_start()), or 0 when the entry
   had no MESSAGE (counted in no_message; *r is zeroed). Memory is fixed:
   the struct holds the buffers. */
struct journal_fields {
	const struct journal_trust *trust;	/* whose entries may decide */
	const char *localhost;			/* host of entries without _HOSTNAME */
	struct journal_counters *counters;	/* truncated, escaped, names_cut, no_message, bad_pid */
	/* private: the entry being read */
	bool have_msg, have_tag, have_host, have_comm, have_exe;
	long spid, pid;				/* -2: not seen; -1: not a number */
	struct sender_cred cred;		/* _UID */
	bool fold_chatter;			/* root's: its -v chatter folds away */
	size_t exe_len;				/* JOURNAL_NAME_MAX + 1: longer (matches no filter) */
	size_t msg_len;
	char host[JOURNAL_NAME_MAX + 1];
	char tag[JOURNAL_NAME_MAX + 1];
	char comm[JOURNAL_NAME_MAX + 1];
	char exe[JOURNAL_NAME_MAX + 1];
	char msg[JOURNAL_MESSAGE_MAX];
};

void journal_fields_start(struct journal_fields *f);
void journal_fields_add(struct journal_fields *f, const void *data, size_t n);
int journal_fields_record(struct journal_fields *f, uint64_t realtime_usec, struct record *r);

#endif

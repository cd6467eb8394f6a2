/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	journal 3
 * SUMMARY
 *	the systemd journal as a source of records
 * SYNOPSIS
 *	#include "journal.h"
 *
 *	int	journal_open(directory, match, trust, ret_journal, err, errlen)
 *	int	journal_seek(j, cursor, start, ret_position)
 *	int	journal_next(j, ret_record)
 *	int	journal_cursor(j, buf, len)
 *	int	journal_poll_params(j, ret_fd, ret_events, ret_timeout_usec)
 *	int	journal_process(j)
 *	size_t	journal_escape(in, n, out, cap, ret_cut, ret_escaped)
 *	void	journal_fields_start(f)
 *	void	journal_fields_add(f, data, n)
 *	int	journal_fields_record(f, realtime_usec, ret_record)
 *	void	journal_free(j)
 *	const struct journal_counters *journal_counters(j)
 * DESCRIPTION
 *	journal_open() opens the local journal (SD_JOURNAL_LOCAL_ONLY) or,
 *	for tests and offline runs, the journal files of a directory, and
 *	installs the match: "FIELD=VALUE" terms, several values of one field
 *	are alternatives, different fields must all hold, and a "+" term
 *	starts another alternative, exactly as journalctl(1) reads its
 *	arguments. It takes the journal's fd at once, as sd-journal wants
 *	before a seek to the tail.
 *
 *	journal_seek() resumes right after a saved cursor: seek_cursor(),
 *	next(), test_cursor(). When the cursor's entry is still there the
 *	reader stays on it and journal_next() steps past it; when it was
 *	vacuumed the reader is on the first entry after it, which
 *	journal_next() yields (JOURNAL_RESUMED_VACUUMED). When nothing is at
 *	or after the cursor (next() gives 0 or fails) the reader goes to the
 *	tail (JOURNAL_CURSOR_BEYOND). A cursor sd-journal cannot parse gives
 *	JOURNAL_CURSOR_BAD and the start asked for; so does no cursor
 *	(JOURNAL_AT_START). The tail is reached with seek_tail() + previous()
 *	(next() right after seek_tail() is wrong on libsystemd 252).
 *
 *	journal_next() turns the next entry into a RECORD_JOURNAL record:
 *	msg from MESSAGE, tag from SYSLOG_IDENTIFIER (else _COMM), pid from
 *	SYSLOG_PID (else _PID, else -1), host from _HOSTNAME (else this
 *	host's name), usec from __REALTIME_TIMESTAMP. trusted is true only
 *	when _UID, which journald takes from the kernel's credentials of
 *	the sender, is one of trusted_users (sender(3); an entry without
 *	_UID, which journald always writes for a local process, counts as
 *	without credentials: key uncredited), and then, when those filters
 *	are set, _COMM is one of journal_trusted_comm and _EXE one of
 *	journal_trusted_exe. _COMM alone proves nothing: a process names
 *	itself (prctl(PR_SET_NAME), a copy of logger named smtpd).
 *	Entries without MESSAGE are skipped and counted. The record's spans
 *	point into buffers of j: they are borrowed until the next call.
 *
 *	journal_cursor() copies the cursor of the last yielded entry, or
 *	after a seek, of the entry the reader stands on as handled (the
 *	cursor's own entry, or the last one at the tail). It is taken before
 *	journal_process() runs, so a journal file vacuumed under the reader
 *	does not lose it.
 *
 *	journal_fields_start(), journal_fields_add() and
 *	journal_fields_record() are journal_next()'s conversion of one
 *	entry's fields into a record, without sd-journal: the field data as
 *	sd_journal_enumerate_available_data() gives them, one by one, then the
 *	entry's realtime timestamp. journal_next() feeds them; so does the
 *	fuzz target tests/fuzz/fuzz_journal.c.
 *
 *	journal_escape() is the MESSAGE copy: trailing newlines dropped,
 *	every other byte below 0x20 and 0x7f written as '#' and three octal
 *	digits as rsyslog does on receive, the result cut at cap bytes.
 * DIAGNOSTICS
 *	Functions return 0 (or 1 for a record) or a negative errno from
 *	sd-journal. journal_open() describes a bad match term or a journal
 *	that cannot be opened in err. A cut, escaped or nameless entry is not
 *	an error: journal_counters() counts it.
 * SECURITY
 *	Every field without a leading '_' can be written by any local user
 *	(SYSLOG_IDENTIFIER=postfix/smtpd included), and _COMM is the
 *	process's own choice; _UID and _EXE are not, so _UID decides trust.
 *	Values are bounded by us, not by sd-journal's data threshold, which
 *	is only a hint: MESSAGE to JOURNAL_MESSAGE_MAX bytes after escaping,
 *	names to JOURNAL_NAME_MAX.
 *	Control bytes in MESSAGE are escaped and blanks or control bytes in
 *	host and tag become '_', so a forged entry cannot put a line of its
 *	own making into the summary. Memory is fixed per reader.
 */

#include "journal.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#define JOURNAL_CURSOR_MAX	4096

struct journal {
	sd_journal *j;
	struct journal_trust trust;	/* borrowed */
	bool have_current;		/* the reader is on an entry not yet yielded */
	bool yielded;			/* an entry was yielded */
	bool cursor_valid;		/* cursor[] is that of the last yielded entry */
	struct journal_counters counters;
	char cursor[JOURNAL_CURSOR_MAX];
	char localhost[JOURNAL_NAME_MAX + 1];
	struct journal_fields fields;	/* the current entry; its record's spans point here */
};

size_t journal_escape(const char *in, size_t n, char *out, size_t cap, bool *ret_cut, bool *ret_escaped)
{
	size_t o = 0;
	bool cut = false, escaped = false;

	while (n > 0 && (in[n - 1] == '\n'))
		n--;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char) in[i];

		if (c < 0x20 || c == 0x7f) {
			if (cap - o < 4) {
				cut = true;
				break;
			}
			out[o++] = '#';
			out[o++] = (char) ('0' + (c >> 6));
			out[o++] = (char) ('0' + ((c >> 3) & 7));
			out[o++] = (char) ('0' + (c & 7));
			escaped = true;
		} else {
			if (o == cap) {
				cut = true;
				break;
			}
			out[o++] = (char) c;
		}
	}
	*ret_cut = cut;
	*ret_escaped = escaped;
	return o;
}

/* Copies a name, at most JOURNAL_NAME_MAX bytes, blanks and control bytes
   as '_'. Returns true when the copy differs from the value. */
static bool copy_name(char *dst, const char *p, size_t n)
{
	bool changed = false;

	if (n > JOURNAL_NAME_MAX) {
		n = JOURNAL_NAME_MAX;
		changed = true;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char) p[i];

		if (c <= 0x20 || c == 0x7f) {
			c = '_';
			changed = true;
		}
		dst[i] = (char) c;
	}
	dst[n] = 0;
	return changed;
}

static int add_match(sd_journal *sj, const char *match, char *err, size_t errlen)
{
	char *copy, *save = NULL;
	int r = 0, terms = 0;

	if (match == NULL || *match == 0)
		return 0;
	if ((copy = strdup(match)) == NULL)
		return -ENOMEM;
	for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (++terms > JOURNAL_MATCH_MAX) {
			snprintf(err, errlen, "journal_match: more than %d terms", JOURNAL_MATCH_MAX);
			r = -EINVAL;
			break;
		}
		r = strcmp(w, "+") == 0 ? sd_journal_add_disjunction(sj) : sd_journal_add_match(sj, w, 0);
		if (r < 0) {
			snprintf(err, errlen, "journal_match: bad term '%s': %s", w, strerror(-r));
			break;
		}
	}
	free(copy);
	return r < 0 ? r : 0;
}

void journal_free(struct journal *j)
{
	if (j == NULL)
		return;
	sd_journal_close(j->j);
	free(j);
}

int journal_open(const char *directory, const char *match, const struct journal_trust *trust,
		 struct journal **ret_journal, char *err, size_t errlen)
{
	struct journal *j = calloc(1, sizeof(*j));
	int r;

	if (j == NULL)
		return -ENOMEM;
	j->trust = *trust;
	j->counters.senders.last_other_uid = -1;
	if (gethostname(j->localhost, sizeof(j->localhost) - 1) < 0 || j->localhost[0] == 0)
		strcpy(j->localhost, "localhost");
	copy_name(j->localhost, j->localhost, strlen(j->localhost));
	j->fields.trust = &j->trust;
	j->fields.localhost = j->localhost;
	j->fields.counters = &j->counters;

	r = directory ? sd_journal_open_directory(&j->j, directory, 0) : sd_journal_open(&j->j, SD_JOURNAL_LOCAL_ONLY);
	if (r < 0) {
		snprintf(err, errlen, "cannot open the journal%s%s%s: %s", directory ? " in '" : "",
			 directory ? directory : "", directory ? "'" : "", strerror(-r));
		j->j = NULL;
		journal_free(j);
		return r;
	}
	/* One byte over the cap shows that a value was longer. */
	(void) sd_journal_set_data_threshold(j->j, JOURNAL_MESSAGE_MAX + sizeof("MESSAGE=") + 1);
	if ((r = add_match(j->j, match, err, errlen)) < 0) {
		journal_free(j);
		return r;
	}
	if ((r = sd_journal_get_fd(j->j)) < 0) {
		snprintf(err, errlen, "cannot watch the journal: %s", strerror(-r));
		journal_free(j);
		return r;
	}
	*ret_journal = j;
	return 0;
}

static int seek_tail(struct journal *j)
{
	int r;

	if ((r = sd_journal_seek_tail(j->j)) < 0)
		return r;
	/* On the last entry (already written before we came): journal_next()
	   steps past it, and its cursor is where a restart resumes. An empty
	   journal leaves nothing to step past. */
	if ((r = sd_journal_previous(j->j)) < 0)
		return r;
	j->have_current = false;
	j->yielded = r > 0;
	/* No entry matches yet (a fresh journal, or no mail logged so far):
	   libsystemd 252 then stays at its tail location and its first next()
	   after new entries arrive skips some of them (tests/e2e saw Postfix's
	   first two lines after READY=1 lost). The head is the same place, and
	   reads them. */
	if (r == 0)
		return sd_journal_seek_head(j->j);
	return 0;
}

static int seek_start(struct journal *j, enum journal_start start)
{
	j->have_current = false;
	return start == JOURNAL_START_TAIL ? seek_tail(j) : sd_journal_seek_head(j->j);
}

int journal_seek(struct journal *j, const char *cursor, enum journal_start start, enum journal_position *ret_position)
{
	int r;

	j->yielded = j->cursor_valid = false;
	if (cursor == NULL || *cursor == 0) {
		if ((r = seek_start(j, start)) < 0)
			return r;
		*ret_position = JOURNAL_AT_START;
		return 0;
	}
	if (sd_journal_seek_cursor(j->j, cursor) < 0) {
		if ((r = seek_start(j, start)) < 0)
			return r;
		*ret_position = JOURNAL_CURSOR_BAD;
		return 0;
	}
	if (sd_journal_next(j->j) <= 0) {
		if ((r = seek_tail(j)) < 0)
			return r;
		*ret_position = JOURNAL_CURSOR_BEYOND;
		return 0;
	}
	r = sd_journal_test_cursor(j->j, cursor);
	if (r < 0)
		return r;
	if (r > 0) {
		/* This entry was handled: keep its cursor, step past it. */
		j->have_current = false;
		j->yielded = true;
		*ret_position = JOURNAL_RESUMED;
	} else {
		j->have_current = true;
		*ret_position = JOURNAL_RESUMED_VACUUMED;
	}
	return 0;
}

static bool listed(char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

/* _UID first (sender(3)); then the _COMM and _EXE filters, when set. */
static bool trusted(struct journal_fields *f, int64_t usec)
{
	const struct journal_trust *t = f->trust;
	enum sender_kind k = sender_judge(t->senders, NULL, &f->cred, "", 0);

	sender_count(&f->counters->senders, k, &f->cred, usec);
	f->fold_chatter = sender_folds_chatter(&f->cred, k);
	if (!sender_may_decide(t->senders, k))
		return false;
	if (t->n_comm > 0 && !(f->have_comm && listed(t->comm, t->n_comm, f->comm)))
		return false;
	if (t->n_exe > 0 && !(f->have_exe && f->exe_len <= JOURNAL_NAME_MAX && listed(t->exe, t->n_exe, f->exe)))
		return false;
	return true;
}

static long parse_pid(const char *p, size_t n)
{
	long v = 0;

	if (n == 0 || n > 10)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v <= 0x7fffffffL ? v : -1;
}

#define FIELD_IS(d, n, name) ((n) >= sizeof(name) && memcmp((d), name, sizeof(name) - 1) == 0)

void journal_fields_start(struct journal_fields *f)
{
	f->have_msg = f->have_tag = f->have_host = f->have_comm = f->have_exe = false;
	f->cred = (struct sender_cred) {.has_uid = false};
	f->spid = f->pid = -2;		/* -2: not seen; -1: not a number */
	f->msg_len = 0;
	f->comm[0] = 0;
}

void journal_fields_add(struct journal_fields *f, const void *data, size_t n)
{
	const char *d = data;

	if (n == 0)
		return;
	switch (d[0]) {
	case 'M':
		if (FIELD_IS(d, n, "MESSAGE=") && !f->have_msg) {
			bool cut, escaped;

			f->msg_len = journal_escape(d + 8, n - 8, f->msg, sizeof(f->msg), &cut, &escaped);
			f->counters->truncated += cut;
			f->counters->escaped += escaped;
			f->have_msg = true;
		}
		break;
	case 'S':
		if (FIELD_IS(d, n, "SYSLOG_IDENTIFIER=") && !f->have_tag) {
			f->counters->names_cut += copy_name(f->tag, d + 18, n - 18);
			f->have_tag = true;
		} else if (FIELD_IS(d, n, "SYSLOG_PID=") && f->spid == -2) {
			f->spid = parse_pid(d + 11, n - 11);
			f->counters->bad_pid += f->spid < 0;
		}
		break;
	case '_':
		if (FIELD_IS(d, n, "_COMM=") && !f->have_comm) {
			f->counters->names_cut += copy_name(f->comm, d + 6, n - 6);
			f->have_comm = true;
		} else if (FIELD_IS(d, n, "_UID=") && !f->cred.has_uid) {
			long uid = parse_pid(d + 5, n - 5);	/* digits, at most 2^31 - 1 */

			if (uid >= 0)
				f->cred = (struct sender_cred) {.has_uid = true, .uid = (uid_t) uid};
		} else if (FIELD_IS(d, n, "_EXE=") && !f->have_exe) {
			/* compared as it is: a longer or odd path matches no filter */
			f->exe_len = n - 5 > JOURNAL_NAME_MAX ? JOURNAL_NAME_MAX + 1 : n - 5;
			memcpy(f->exe, d + 5, f->exe_len <= JOURNAL_NAME_MAX ? f->exe_len : 0);
			f->exe[f->exe_len <= JOURNAL_NAME_MAX ? f->exe_len : 0] = 0;
			if (memchr(f->exe, 0, f->exe_len <= JOURNAL_NAME_MAX ? f->exe_len : 0) != NULL)
				f->exe_len = JOURNAL_NAME_MAX + 1;
			f->have_exe = true;
		} else if (FIELD_IS(d, n, "_PID=") && f->pid == -2) {
			f->pid = parse_pid(d + 5, n - 5);
		} else if (FIELD_IS(d, n, "_HOSTNAME=") && !f->have_host) {
			f->counters->names_cut += copy_name(f->host, d + 10, n - 10);
			f->have_host = true;
		}
		break;
	}
}

int journal_fields_record(struct journal_fields *f, uint64_t realtime_usec, struct record *r)
{
	memset(r, 0, sizeof(*r));
	if (!f->have_msg) {
		f->counters->no_message++;
		return 0;
	}
	/* SYSLOG_PID when it parses, else _PID, else none. */
	r->pid = f->spid >= 0 ? f->spid : f->pid >= 0 ? f->pid : -1;
	if (!f->have_tag) {
		strcpy(f->tag, f->comm);
		if (!f->have_comm)
			f->tag[0] = 0;
	}
	r->format = RECORD_JOURNAL;
	r->line.p = r->ts.p = "";
	r->host.p = f->have_host ? f->host : f->localhost;
	r->host.len = strlen(r->host.p);
	r->tag.p = f->tag;
	r->tag.len = strlen(f->tag);
	r->msg.p = f->msg;
	r->msg.len = f->msg_len;
	r->usec = realtime_usec > (uint64_t) INT64_MAX ? -1 : (int64_t) realtime_usec;
	r->trusted = trusted(f, r->usec);
	r->fold_chatter = !r->trusted && f->fold_chatter;
	return 1;
}

/* Fills r from the current entry. 1: done; 0: no MESSAGE (skip). */
static int build(struct journal *j, struct record *r)
{
	const void *data;
	size_t n;
	uint64_t usec = 0;
	int ret;

	journal_fields_start(&j->fields);
	sd_journal_restart_data(j->j);
	while ((ret = sd_journal_enumerate_available_data(j->j, &data, &n)) > 0)
		journal_fields_add(&j->fields, data, n);
	if (ret < 0) {
		memset(r, 0, sizeof(*r));
		return ret;
	}
	if (j->fields.have_msg && (ret = sd_journal_get_realtime_usec(j->j, &usec)) < 0) {
		memset(r, 0, sizeof(*r));
		return ret;
	}
	return journal_fields_record(&j->fields, usec, r);
}

int journal_next(struct journal *j, struct record *ret_record)
{
	int r;

	for (;;) {
		if (j->have_current) {
			j->have_current = false;
			r = 1;
		} else {
			r = sd_journal_next(j->j);
		}
		if (r <= 0)
			return r;
		j->yielded = true;
		j->cursor_valid = false;
		if ((r = build(j, ret_record)) < 0)
			return r;
		if (r > 0)
			break;
	}
	j->counters.entries++;
	j->counters.untrusted += !ret_record->trusted;
	return 1;
}

static int take_cursor(struct journal *j)
{
	char *c = NULL;
	int r;

	if (!j->yielded)
		return -ENODATA;
	if (j->cursor_valid)
		return 0;
	if ((r = sd_journal_get_cursor(j->j, &c)) < 0)
		return r;
	if (strlen(c) >= sizeof(j->cursor)) {
		free(c);
		return -ENOBUFS;
	}
	strcpy(j->cursor, c);
	free(c);
	j->cursor_valid = true;
	return 0;
}

int journal_cursor(struct journal *j, char *buf, size_t len)
{
	int r = take_cursor(j);

	if (r < 0)
		return r;
	if (strlen(j->cursor) >= len)
		return -ENOBUFS;
	strcpy(buf, j->cursor);
	return 0;
}

int journal_poll_params(struct journal *j, int *ret_fd, short *ret_events, uint64_t *ret_timeout_usec)
{
	int fd = sd_journal_get_fd(j->j), ev;
	uint64_t t = UINT64_MAX;
	int r;

	if (fd < 0)
		return fd;
	if ((ev = sd_journal_get_events(j->j)) < 0)
		return ev;
	if ((r = sd_journal_get_timeout(j->j, &t)) < 0)
		return r;
	*ret_fd = fd;
	*ret_events = (short) ev;
	*ret_timeout_usec = t;
	return 0;
}

int journal_process(struct journal *j)
{
	/* Keep the cursor of the last entry before files may go away. */
	if (j->yielded)
		(void) take_cursor(j);
	return sd_journal_process(j->j);
}

const struct journal_counters *journal_counters(const struct journal *j)
{
	return &j->counters;
}

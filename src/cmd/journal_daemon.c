/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	journal_daemon 3
 * SUMMARY
 *	authfold journal: fold the systemd journal's mail entries, over daemon(3)
 * SYNOPSIS
 *	#include "journal_daemon.h"
 *
 *	int journal_daemon_main(const struct config *c, const struct journal_daemon_options *o);
 * DESCRIPTION
 *	The source of `authfold journal` (authfold(8)): entries matching
 *	journal_match are read with journal(3) and given to engine(3) as
 *	records; daemon(3) does the rest (lock, state, unban requests,
 *	signals, sd_notify, metrics).
 *
 *	The cursor, the engine's state and the outputs' sizes (synced to
 *	disk first) are saved together in STATE_DIR/journal.state
 *	(journal-directory.state with a directory) at each checkpoint:
 *	after journal_checkpoint_entries entries or a second of reading, and
 *	at the end of the journal at most every JD_IDLE_CHECKPOINT_USEC. At
 *	start, the outputs are cut back to the saved sizes, since what
 *	followed is written again from the saved cursor.
 *
 *	Without a usable cursor it starts at the head with a directory or
 *	once, else at the tail. At the end of the journal, for now, the
 *	fold's deferred verdicts are settled (the journal is read in time
 *	order) and it waits on the journal's descriptor, looking on its own
 *	every journal_poll_ms (journald's inotify wake-ups are coalesced).
 * DIAGNOSTICS
 *	On stderr, prefixed "authfold: journal: "; the exit status 0 (the
 *	end with once, or SIGTERM), 1 on a runtime failure, 2 when the
 *	outputs collide with each other or with the state directory.
 */

#include "journal_daemon.h"

#include "daemon.h"
#include "journal.h"
#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define JD_CHECKPOINT_USEC	1000000	/* a checkpoint at least this often while reading */
#define JD_IDLE_CHECKPOINT_USEC	250000	/* at the end of the journal, at most this often */
#define JD_PROCESS_ENTRIES	1024	/* sd_journal_process() during a catch-up */

struct jd {
	const struct journal_daemon_options *o;
	const char *summary_path, *events_path;
	struct journal *j;
	uint64_t entries;
	struct sender_trust trust;	/* trusted_users: whose entries may decide */
	char senders_path[4096];	/* STATE_DIR/journal.senders, for authfold status; "" none */
};

/* Size of an output file after a flush, synced to disk, in *ret_size:
   -1 (unknown: a restart cuts nothing back) for stdout or when the path
   cannot be opened (renamed by logrotate before the SIGHUP). 0, or -errno
   when the data cannot be synced: then the size must not be saved. */
static int jd_synced_size(const char *path, int64_t *ret_size)
{
	struct stat st;
	int fd, r = 0;

	*ret_size = -1;
	if (path == NULL || strcmp(path, "-") == 0 || (fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		return 0;
	if (fdatasync(fd) < 0 || fstat(fd, &st) < 0)
		r = -errno;
	close(fd);
	if (r == 0)
		*ret_size = (int64_t) st.st_size;
	return r;
}

/* The checkpoint's part: the cursor and the outputs' sizes on disk. */
static int jd_extras(struct daemon *d, void *data, struct state_extra *x, char *err, size_t errlen)
{
	struct jd *s = data;
	int r;

	(void) d;
	r = journal_cursor(s->j, x->cursor, sizeof(x->cursor));
	if (r < 0 && r != -ENODATA) {
		snprintf(err, errlen, "cannot read the cursor: %s", strerror(-r));
		return r;
	}
	/* The sizes are what a restart cuts back to: only sizes on disk. */
	if ((r = jd_synced_size(s->summary_path, &x->summary_size)) < 0 ||
	    (r = jd_synced_size(s->events_path, &x->events_size)) < 0) {
		snprintf(err, errlen, "cannot sync the outputs to disk: %s", strerror(-r));
		return r;
	}
	return 0;
}

/* After a checkpoint: the entries by sender, for authfold status (a
   failure is said, never fatal). */
static int jd_saved(struct daemon *d, void *data, const struct state_extra *x, char *err, size_t errlen)
{
	struct jd *s = data;
	int r;

	(void) x;
	(void) err;
	(void) errlen;
	if (s->j && s->senders_path[0] &&
	    (r = sender_counters_save(s->senders_path, &journal_counters(s->j)->senders, &s->trust)) < 0)
		daemon_say(d, "cannot write '%s': %s", s->senders_path, strerror(-r));
	return 0;
}

static void jd_status(struct daemon *d, void *data, const char *what, char *buf, size_t len)
{
	struct jd *s = data;
	const struct journal_counters *jc = journal_counters(s->j);
	const struct fold_counters *f = fold_counters(engine_fold(d->e));
	const struct policy_counters *p = policy_counters(engine_policy(d->e));
	char waiting[64] = "";

	if (engine_pending_bans(d->e) > 0)
		snprintf(waiting, sizeof(waiting), " (%zu waiting for the kernel)", engine_pending_bans(d->e));
	snprintf(buf, len, "%s: %" PRIu64 " entries (%" PRIu64 " untrusted, %" PRIu64 " cut), %" PRIu64
		 " kept, %" PRIu64 " folded away, %" PRIu64 " strikes, %" PRIu64 " bans%s", what, jc->entries,
		 jc->untrusted, jc->truncated, f->kept, f->dropped, f->strikes[REASON_NOAUTH] + f->strikes[REASON_SASLFAIL] + f->strikes[REASON_BADMECH] - p->redelivered,
		 p->bans, waiting);
}

static int jd_read(struct daemon *d, void *data)
{
	struct jd *s = data;
	struct record rec;
	int r;

	r = journal_next(s->j, &rec);
	if (r < 0) {
		daemon_say(d, "cannot read the next entry: %s", strerror(-r));
		return r;
	}
	if (r == 0) {
		/* The end of the journal, for now. The journal is read in time
		   order: what the fold defers is settled (daemon(3)'s idle
		   duties; here at once with once). */
		if (!s->o->once)
			return DAEMON_IDLE;
		if (d->dirty && (r = engine_settle(d->e, true)) < 0) {
			daemon_say(d, "%s", engine_error(d->e));
			return r;
		}
		return DAEMON_END;
	}
	if ((r = engine_record(d->e, &rec)) < 0) {
		/* An output failed (a refused ban never fails a record):
		   stop, the last checkpoint stands. */
		daemon_say(d, "%s", engine_error(d->e)[0] ? engine_error(d->e) : strerror(-r));
		return r;
	}
	if (++s->entries % JD_PROCESS_ENTRIES == 0 && (r = journal_process(s->j)) < 0) {
		daemon_say(d, "%s", strerror(-r));
		return r;
	}
	return DAEMON_ITEM;
}

static int jd_wait(struct daemon *d, void *data, uint64_t until, bool *ret_woke)
{
	struct jd *s = data;
	struct pollfd p[2] = {{.fd = daemon_signal_fd(), .events = POLLIN}, {.fd = -1}};
	uint64_t timeout = UINT64_MAX, now = daemon_now();
	int r;

	*ret_woke = false;
	if ((r = journal_poll_params(s->j, &p[1].fd, &p[1].events, &timeout)) < 0) {
		daemon_say(d, "poll: %s", strerror(-r));
		return r;
	}
	/* journald tells readers of new entries through inotify only on a
	   coalescing timer (250 ms, fired up to 250 ms late): look on our own
	   this often, the entries are in the mapped files already. */
	if (d->c->journal_poll_ms && now + d->c->journal_poll_ms * UINT64_C(1000) < until)
		until = now + d->c->journal_poll_ms * UINT64_C(1000);
	if (timeout < until)
		until = timeout;
	r = poll(p, 2, until <= now ? 0 : (int) ((until - now + 999) / 1000));
	if (r < 0 && errno != EINTR) {
		r = -errno;
		daemon_say(d, "poll: %s", strerror(-r));
		return r;
	}
	*ret_woke = r > 0;
	if ((r = journal_process(s->j)) < 0) {
		daemon_say(d, "%s", strerror(-r));
		return r;
	}
	return 0;
}

static const struct daemon_ops jd_ops = {
	.name = "journal",
	.prefix = "authfold: journal: ",
	.save_usec = JD_CHECKPOINT_USEC,
	.idle_save_usec = JD_IDLE_CHECKPOINT_USEC,
	.settle_quiet_usec = 0,
	.notify = true,
	.read = jd_read,
	.wait = jd_wait,
	.extras = jd_extras,
	.saved = jd_saved,
	.status = jd_status,
};

/* Cut an output file back to its size at the last checkpoint. */
static int jd_cut_back(struct daemon *d, struct output *o, int64_t saved, const char *what)
{
	int64_t cut;

	/* through the descriptor output_open() checked, never by name again */
	if (o == NULL || saved < 0 || (cut = output_cut(o, saved)) == 0)
		return 0;
	if (cut < 0) {
		daemon_say(d, "cannot cut %s '%s' back to %" PRId64 " bytes: %s", what, output_path(o), saved,
			   strerror((int) -cut));
		return (int) cut;
	}
	daemon_say(d, "%s '%s': %" PRId64 " bytes after the last checkpoint removed; they are written again", what,
		   output_path(o), cut);
	return 0;
}

/* The summary and events outputs into d; 0, or the exit status after saying why. */
static int jd_outputs(struct daemon *d, const struct jd *s, const struct config *c)
{
	char err[1024];
	int r;

	if ((r = output_open(s->summary_path, &d->summary)) < 0) {
		fprintf(stderr, "authfold: cannot open summary '%s': %s\n", s->summary_path, output_strerror(r));
		return 1;
	}
	if (s->events_path && (r = output_open(s->events_path, &d->events)) < 0) {
		fprintf(stderr, "authfold: cannot open events log '%s': %s\n", s->events_path, output_strerror(r));
		return 1;
	}
	if (output_collisions(d->summary, d->events, c->state_dir, -1, err, sizeof(err)) < 0) {
		daemon_say(d, "%s", err);
		return 2;
	}
	return 0;
}

/* The users whose entries may decide (trusted_users) into s; 0, or 2 after saying why. */
static int jd_trust(struct daemon *d, struct jd *s, const struct config *c)
{
	char err[1024];
	int r;

	if ((r = sender_resolve(c->trusted_users, c->n_trusted_users, c->uncredited == UNCREDITED_DECIDE, &s->trust, err,
				sizeof(err))) < 0) {
		daemon_say(d, "key 'trusted_users': %s", err);
		return 2;
	}
	if (r > 0)
		daemon_say(d, "WARNING: key 'trusted_users': %s: no entry with a _UID can decide%s", err,
			   s->trust.n_uids ? " unless it comes from the other users listed" : "");
	if ((size_t) snprintf(s->senders_path, sizeof(s->senders_path), "%s/journal.senders", c->state_dir) >=
	    sizeof(s->senders_path))
		s->senders_path[0] = 0;
	return 0;
}

/* To the saved cursor, or where a start without one begins; 0 or -1 (said). */
static int jd_seek(struct daemon *d, struct journal *j, const struct journal_daemon_options *o)
{
	/* No usable cursor: a directory or a single pass reads everything; following
	   the system journal starts at its tail (the history is not ours to fold). */
	enum journal_start start = o->directory || o->once ? JOURNAL_START_HEAD : JOURNAL_START_TAIL;
	enum journal_position pos;
	int r;

	if ((r = journal_seek(j, d->x.cursor, start, &pos)) < 0) {
		daemon_say(d, "cannot seek: %s", strerror(-r));
		return -1;
	}
	if (pos == JOURNAL_CURSOR_BAD || pos == JOURNAL_CURSOR_BEYOND)
		d->x.cursor[0] = 0;	/* the start or the tail entry from now on */
	if (pos == JOURNAL_CURSOR_BAD)
		daemon_say(d, "warning: the cursor saved in '%s' is not usable; starting at the %s", d->state_path,
			   start == JOURNAL_START_HEAD ? "head" : "tail");
	else if (pos == JOURNAL_RESUMED_VACUUMED)
		daemon_say(d, "warning: the entry of the saved cursor was vacuumed; going on with the next one");
	else if (pos == JOURNAL_CURSOR_BEYOND)
		daemon_say(d, "warning: nothing at or after the saved cursor; starting at the tail");
	return 0;
}

int journal_daemon_main(const struct config *c, const struct journal_daemon_options *o)
{
	struct jd s = {.o = o};
	struct daemon d;
	char err[1024];
	int r, status = 1;

	s.summary_path = o->summary_path ? o->summary_path : c->summary_log;
	s.events_path = o->events_path ? o->events_path : c->events_log;
	/* SIGTERM/SIGINT end cleanly, SIGHUP reopens the outputs. */
	if ((r = daemon_init(&d, &jd_ops, &s, c)) < 0) {
		daemon_say(&d, "cannot set up signals: %s", strerror(-r));
		return 1;
	}
	if (daemon_open(&d, o->directory ? "journal-directory.state" : "journal.state") < 0)
		goto out;
	if ((status = jd_outputs(&d, &s, c)) != 0)
		goto out;
	status = 1;

	struct engine_options eo = {.summary = d.summary, .events = d.events, .backend = &d.backend.ops};

	if (daemon_load(&d, &eo) < 0)
		goto out;
	daemon_bans(&d, true);
	/* Lines written after the last checkpoint are written again below. */
	if (jd_cut_back(&d, d.summary, d.x.summary_size, "summary") < 0 ||
	    jd_cut_back(&d, d.events, d.x.events_size, "events log") < 0)
		goto out;

	if ((status = jd_trust(&d, &s, c)) != 0)
		goto out;
	status = 1;

	struct journal_trust jt = {.senders = &s.trust, .comm = c->journal_trusted_comm,
				   .n_comm = c->n_journal_trusted_comm, .exe = c->journal_trusted_exe,
				   .n_exe = c->n_journal_trusted_exe};

	if ((r = journal_open(o->directory, c->journal_match, &jt, &s.j, err, sizeof(err))) < 0) {
		fprintf(stderr, "authfold: %s\n", err);
		goto out;
	}
	d.m.senders = &journal_counters(s.j)->senders;

	if (jd_seek(&d, s.j, o) < 0)
		goto out;

	/* A first checkpoint, so that a kill before the next one finds the
	   outputs' sizes and the starting point (the tail entry, or none: the
	   head) and cuts back what it wrote. */
	if (daemon_checkpoint(&d) < 0)
		goto out;
	daemon_ready(&d);

	uint64_t t0 = daemon_now();

	status = daemon_run(&d) < 0 ? 1 : 0;
	status = daemon_finish(&d, status);
	if (o->once)
		report_write(stderr, d.e, c, false, 0, (double) (daemon_now() - t0) / 1e6);
	else
		daemon_say(&d, "%s after %" PRIu64 " entries", status ? "failed" : "stopped", s.entries);
out:
	journal_free(s.j);
	daemon_close(&d);
	output_free(d.summary);
	output_free(d.events);
	return status;
}

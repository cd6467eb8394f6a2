/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	daemon 3
 * SUMMARY
 *	the loop and the duties every authfold daemon shares
 * SYNOPSIS
 *	#include "daemon.h"
 *
 *	daemon_init(&d, &ops, data, config);
 *	daemon_open(&d, "x.state");		the lock, the backend, privileges
 *	daemon_load(&d, &engine_options);	engine and state file
 *	daemon_bans(&d, true); daemon_checkpoint(&d); daemon_ready(&d);
 *	status = daemon_finish(&d, daemon_run(&d) < 0);
 *	daemon_close(&d);
 *	int	daemon_flush(d, ret_why)
 *	void	daemon_ban_news(d)
 *	void	daemon_metrics(d, force)
 *	void	daemon_status(d, what)
 *	sig_atomic_t daemon_ticks()
 *	bool	daemon_stopping()
 *	int	daemon_signal_fd()
 *	void	daemon_say(d, fmt, ...)
 *	uint64_t daemon_now()
 *	int64_t	daemon_wall()
 * DESCRIPTION
 *	A daemon is a source (the journal reader of journal_daemon(3),
 *	rsyslog's omprog pipe of authfold-omprog(8), omprog(3)'s input)
 *	over one engine(3); or, with ops->own_state, a source that keeps its
 *	own durable store and lock (authfold-enforce(8): enforce(3)'s log)
 *	and uses only the loop, the signals, the backend and the privileges:
 *	no engine, state file or state_dir lock, and a checkpoint saves
 *	nothing.
 *	This module does what they all do: it owns the state directory's
 *	lock and the ban backend, publishes every ban decided when
 *	publish = syslog, loads the state file (a corrupt one is set aside as
 *	NAME.corrupt), and runs the loop:
 *
 *	ops->read handles one ready item at a time. After an item, once per
 *	tick (ops->tick_ms, SIGALRM) or once per DAEMON_CHECK_ITEMS items
 *	without one, the clock is read: a checkpoint is taken after
 *	ops->save_usec of activity or checkpoint_entries items, and the
 *	watchdog is fed. When read finds nothing ready, the idle duties run:
 *	the fold's deferred verdicts are settled after ops->settle_quiet_usec
 *	without an item (those that wait for a -v trace, fold(3), after
 *	DAEMON_TRACED_QUIET_USEC, or at once when ops->settle_quiet_usec is
 *	0), a dirty state is checkpointed when the last
 *	checkpoint is ops->idle_save_usec old (else the outputs are
 *	flushed), unban requests are taken every DAEMON_BANS_USEC (a
 *	checkpoint follows at once when one forgot something) (and, with
 *	publish = syslog, authfold unban's requests to publish, the decisions
 *	not published yet, the resync's share and the keep-alive, publish(3);
 *	its outbox is synced at each checkpoint and saved at the end),
 *	refused bans retried (engine(3)'s
 *	backoff) and their news logged once,
 *	metrics_file written (metrics(3)); then ops->wait, or with a tick
 *	the source's own blocking read, waits. After the wait, ops->idle (if
 *	any) does the source's own periodic duties at its own pace.
 *
 *	A checkpoint flushes the outputs, takes the unban requests, lets
 *	ops->extras add the source's fields (the journal cursor, omprog's
 *	line journal generation, the outputs' sizes) and saves the state
 *	(state(3)); ops->saved follows (omprog starts its line journal).
 *
 *	SIGTERM and SIGINT stop the loop (with ops->drains, once read says
 *	DAEMON_END); SIGHUP reopens the summary and events logs, between
 *	two checkpoints unless ops->keep_going. With ops->notify, systemd
 *	hears READY=1, STATUS= (ops->status), WATCHDOG=1 and STOPPING=1.
 * DIAGNOSTICS
 *	Unlike the library modules, this is a program's main loop: it writes
 *	its diagnostics to stderr, each prefixed with ops->prefix. With
 *	ops->keep_going a failing flush or save is logged once, and so is
 *	its recovery; otherwise it ends the loop with a failure.
 * SECURITY
 *	One daemon per state directory (statedir_lock()). The state directory is
 *	checked before use (state_dir_check()); with a kernel backend only
 *	CAP_NET_ADMIN is kept, else no new privileges can be gained. Signal
 *	handlers only set flags and write one byte to a non-blocking,
 *	close-on-exec pipe.
 * BUGS
 *	The signal flags are process-wide: one daemon per process.
 */

#include "daemon.h"

#include "bans.h"
#include "statedir.h"
#include "privs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t got_term, got_hup, ticks;
static int sig_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
	int saved = errno;

	if (sig == SIGALRM)
		ticks++;
	else if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term = 1;
	if (sig != SIGALRM && sig_pipe[1] >= 0)
		(void) !write(sig_pipe[1], "", 1);
	errno = saved;
}

sig_atomic_t daemon_ticks(void)
{
	return ticks;
}

bool daemon_stopping(void)
{
	return got_term != 0;
}

int daemon_signal_fd(void)
{
	return sig_pipe[0];
}

uint64_t daemon_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

int64_t daemon_wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void daemon_say(const struct daemon *d, const char *fmt, ...)
{
	va_list ap;

	fputs(d->ops->prefix, stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int daemon_init(struct daemon *d, const struct daemon_ops *ops, void *data, const struct config *c)
{
	struct sigaction sa;

	memset(d, 0, sizeof(*d));
	got_term = got_hup = 0;	/* until now those signals ended the program */
	d->ops = ops;
	d->data = data;
	d->c = c;
	d->lock_fd = -1;
	d->m.daemon = ops->name;
	d->x.summary_size = d->x.events_size = -1;
	d->status_items = UINT64_MAX;	/* the first wait says "following" */
	if (sig_pipe[0] < 0 && pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	/* With a tick, the source's read(2) must return EINTR. */
	sa.sa_flags = ops->tick_ms ? 0 : SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0 ||
	    sigaction(SIGHUP, &sa, NULL) < 0 || (ops->tick_ms && sigaction(SIGALRM, &sa, NULL) < 0))
		return -errno;
	sa.sa_handler = SIG_IGN;	/* a closed pipe is EPIPE, not death */
	sa.sa_flags = 0;
	if (sigaction(SIGPIPE, &sa, NULL) < 0)
		return -errno;
	return 0;
}

int daemon_open(struct daemon *d, const char *state_name)
{
	const struct config *c = d->c;
	char err[1024] = "";
	int r;

	if (state_name && asprintf(&d->state_path, "%s/%s", c->state_dir, state_name) < 0) {
		d->state_path = NULL;
		daemon_say(d, "out of memory");
		return -ENOMEM;
	}
	/* authfold-enforce (own_state) keeps its files in enforce_state_dir
	   when set: beside authfold journal, whose state_dir its DynamicUser
	   owns (0700), which root with only CAP_NET_ADMIN cannot enter */
	const char *dir = d->ops->own_state && c->enforce_state_dir ? c->enforce_state_dir : c->state_dir;

	if (mkdir(dir, 0750) == 0) {
		if (dir != c->state_dir)
			(void) chmod(dir, 0755);	/* the daemon reads its forget.d (bans(3)) */
	} else if (errno != EEXIST) {
		r = -errno;
		daemon_say(d, "cannot create state_dir '%s': %s", dir, strerror(errno));
		return r;
	}
	/* Bans: the kernel's ipsets or authfold's nft table, or (backend =
	   none) everything but the kernel call. With a kernel backend, keep
	   CAP_NET_ADMIN only, at once. */
	if ((r = backend_open(c, &d->backend, err, sizeof(err))) < 0) {
		daemon_say(d, "backend %s: %s", backend_kind_name(c->backend), err[0] ? err : strerror(-r));
		return r;
	}
	if (d->backend.warning[0])
		daemon_say(d, "%s", d->backend.warning);
	if (c->backend != BACKEND_NONE) {
		if ((r = privs_keep_net_admin(err, sizeof(err))) < 0) {
			daemon_say(d, "cannot drop privileges: %s", err[0] ? err : strerror(-r));
			return r;
		}
	} else if ((r = privs_no_new_privs()) < 0) {
		daemon_say(d, "cannot set no_new_privs: %s", strerror(-r));
		return r;
	}
	if ((r = state_dir_check(dir, true, err, sizeof(err))) < 0) {
		daemon_say(d, "%s", err);
		return r;
	}
	if (!d->ops->own_state && (r = statedir_lock(c->state_dir, &d->lock_fd)) < 0) {
		daemon_say(d, "state_dir '%s' is in use by another authfold (%s)", c->state_dir, strerror(-r));
		return r;
	}
	return 0;
}

int daemon_load(struct daemon *d, const struct engine_options *options)
{
	struct engine_options o = *options;
	const struct engine_options *eo = &o;
	struct state_fault fault;
	char err[1024], aside[4200];
	int r;

	if ((r = publish_new(d->c, &d->publish)) < 0) {
		daemon_say(d, "publish = syslog: %s",
			   r == -EINVAL ? "the host name is not usable as by=; set publish_host" : strerror(-r));
		return r;
	}
	if (d->publish) {	/* the outbox in state_dir: what was pending is sent again */
		if ((r = publish_store(d->publish, d->c->state_dir, daemon_wall() / 1000000, err, sizeof(err))) < 0) {
			daemon_say(d, "publish = syslog: %s", err);
			return r;
		}
		o.on_ban = publish_on_ban;
		o.on_ban_data = d->publish;
		d->m.publish = d->publish;
	}
	if ((d->e = engine_new(d->c, eo)) == NULL) {
		daemon_say(d, "out of memory");
		return -ENOMEM;
	}
	r = state_load(d->e, d->c, daemon_wall(), d->state_path, &d->x, &fault);
	state_describe(d->state_path, r, &fault, err, sizeof(err));
	if (r < 0 && r != -ENOENT && r != -EBADMSG) {
		daemon_say(d, "%s; refused", err);
		return r;
	}
	if (r == -EBADMSG) {
		if (state_set_aside(d->state_path, aside, sizeof(aside)) < 0) {
			r = -errno;
			daemon_say(d, "%s; cannot set it aside as '%s': %s", err, aside, strerror(errno));
			return r;
		}
		daemon_say(d, "%s; set aside as '%s', starting without state", err, aside);
		engine_free(d->e);	/* it holds part of the corrupt file */
		memset(&d->x, 0, sizeof(d->x));
		d->x.summary_size = d->x.events_size = -1;
		if ((d->e = engine_new(d->c, eo)) == NULL) {
			daemon_say(d, "out of memory");
			return -ENOMEM;
		}
	}
	if (d->publish)	/* resync rounds publish what the policy holds */
		publish_set_policy(d->publish, engine_policy(d->e));
	d->loaded = true;
	d->last_item = daemon_now();	/* a restart is no quiet time: late lines may follow */
	return r == 0 ? 0 : 1;
}

void daemon_bans(struct daemon *d, bool start)
{
	char msg[1024];
	int r;

	if (d->e == NULL)	/* ops->own_state */
		return;
	r = bans_daemon_step(d->e, &d->backend, d->c->state_dir, d->c->enforce_state_dir, &d->forget_since, start, msg,
			     sizeof(msg));
	if (r > 0) {
		d->dirty++;	/* saved at the next checkpoint */
		d->m.unbans += (unsigned) r;
	}
	if (msg[0])
		daemon_say(d, "%s", msg);
	if (d->publish == NULL)
		return;
	/* authfold unban's requests; decisions rsyslog could not take yet
	   (busy, restarting); the resync; the keep-alive */
	if (publish_take_requests(d->publish, d->c->state_dir, daemon_wall() / 1000000, msg, sizeof(msg)) != 0 &&
	    msg[0])
		daemon_say(d, "%s", msg);
	if (publish_tick(d->publish, daemon_wall() / 1000000, msg, sizeof(msg)) < 0) {
		if (!d->publish_failing)
			daemon_say(d, "%s; %zu decision%s waiting", msg, publish_pending(d->publish),
				   publish_pending(d->publish) == 1 ? "" : "s");
		d->publish_failing = true;
	} else if (d->publish_failing) {
		daemon_say(d, "decisions published again");
		d->publish_failing = false;
	}
}

void daemon_ban_news(struct daemon *d)
{
	char msg[900];

	if (d->e && engine_ban_news(d->e, &d->ban_seen, msg, sizeof(msg)))
		daemon_say(d, "%s", msg);
}

void daemon_metrics(struct daemon *d, bool force)
{
	if (d->e && metrics_tick(&d->m, d->e, d->c, daemon_wall(), force) < 0)
		daemon_say(d, "%s", d->m.error);
}

void daemon_status(struct daemon *d, const char *what)
{
	char buf[512];

	if (!d->ops->notify || d->ops->status == NULL)
		return;
	d->ops->status(d, d->data, what, buf, sizeof(buf));
	sd_notifyf(0, "STATUS=%s", buf);
}

int daemon_flush(struct daemon *d, const char **ret_why)
{
	size_t waiting;
	int r;

	if (ret_why)
		*ret_why = NULL;
	if (d->e == NULL)	/* ops->own_state: nothing buffered here */
		return 0;
	waiting = engine_pending_bans(d->e);
	r = engine_flush(d->e);
	if (engine_pending_bans(d->e) != waiting)
		d->dirty++;	/* the next checkpoint saves the queue */
	daemon_ban_news(d);
	if (r < 0) {
		const char *why = engine_error(d->e)[0] ? engine_error(d->e) : strerror(-r);

		if (!d->ops->keep_going)
			daemon_say(d, "%s", why);
		else if (!d->flush_failing)
			daemon_say(d, "%s; retrying", why);
		d->flush_failing = true;
		if (ret_why)
			*ret_why = why;
		return r;
	}
	if (d->flush_failing)
		daemon_say(d, "outputs written again");
	d->flush_failing = false;
	if (ret_why)
		*ret_why = NULL;
	return 0;
}

int daemon_checkpoint(struct daemon *d)
{
	char err[1024] = "";
	int r;

	d->last_checkpoint = d->last_bans = daemon_now();
	d->busy_tick = ticks;
	if (d->e == NULL) {	/* ops->own_state: the source saves its own */
		d->dirty = 0;
		return 0;
	}
	if ((r = daemon_flush(d, NULL)) < 0)
		return r;
	daemon_bans(d, false);
	if (d->publish && (r = publish_sync(d->publish, daemon_wall() / 1000000, err, sizeof(err))) < 0)
		daemon_say(d, "publish = syslog: %s", err);	/* the policy's bans are published again */
	if ((r = d->ops->extras(d, d->data, &d->x, err, sizeof(err))) < 0 ||
	    (r = state_save(d->e, d->state_path, &d->x, err, sizeof(err))) < 0 ||
	    (d->ops->saved && (r = d->ops->saved(d, d->data, &d->x, err, sizeof(err))) < 0)) {
		if (!d->ops->keep_going || !d->save_failing)
			daemon_say(d, "%s", err[0] ? err : strerror(-r));
		d->save_failing = true;
		return r;
	}
	if (d->save_failing)
		daemon_say(d, "state '%s' saved again", d->state_path);
	d->save_failing = false;
	d->dirty = 0;
	d->m.checkpoint_usec = daemon_wall();
	daemon_metrics(d, false);
	return 0;
}

static void daemon_watchdog(struct daemon *d, uint64_t now)
{
	if (d->wd_usec && now - d->last_watchdog >= d->wd_usec / 2) {
		sd_notify(0, "WATCHDOG=1");
		d->last_watchdog = now;
	}
}

void daemon_ready(struct daemon *d)
{
	if (!d->ops->notify)
		return;
	if (sd_watchdog_enabled(0, &d->wd_usec) <= 0)
		d->wd_usec = 0;
	d->last_watchdog = daemon_now();
	sd_notify(0, "READY=1");
	daemon_status(d, "reading");
}

/* SIGHUP (logrotate): everything up to here goes to the old files. */
static int daemon_reopen(struct daemon *d)
{
	int r, failed = 0;

	if (!d->ops->keep_going && (r = daemon_checkpoint(d)) < 0)
		return r;
	if (d->summary && (r = output_reopen(d->summary)) < 0) {
		daemon_say(d, "cannot reopen '%s': %s", output_path(d->summary), strerror(-r));
		failed = r;
	}
	if (d->events && (r = output_reopen(d->events)) < 0) {
		daemon_say(d, "cannot reopen '%s': %s", output_path(d->events), strerror(-r));
		failed = r;
	}
	if (d->ops->keep_going)
		return 0;
	if (failed < 0)
		return failed;
	return daemon_checkpoint(d);
}

/* After an item: is the clock worth reading? */
static bool daemon_check_due(struct daemon *d)
{
	if (d->ops->tick_ms)
		return ticks != d->busy_tick;
	return d->items % DAEMON_CHECK_ITEMS == 0 || (d->checkpoint_entries && d->dirty >= d->checkpoint_entries);
}

static int daemon_busy(struct daemon *d)
{
	uint64_t now = daemon_now();
	int r;

	d->busy_tick = ticks;
	d->m.last_line_usec = daemon_wall();
	d->last_item = now;
	daemon_watchdog(d, now);
	if ((d->checkpoint_entries && d->dirty >= d->checkpoint_entries) || now - d->last_checkpoint >= d->ops->save_usec) {
		if ((r = daemon_checkpoint(d)) < 0)
			return d->ops->keep_going ? 0 : r;
		daemon_status(d, "reading");
	}
	return 0;
}

/* A verdict that waits for its -v trace is given after a longer quiet:
   a source whose backlog drains (rsyslog's queue spilling) may pause. */
static bool traced_due(const struct daemon *d, uint64_t quiet)
{
	return quiet >= (d->ops->settle_quiet_usec ? DAEMON_TRACED_QUIET_USEC : 0);
}

static bool settle_due(const struct daemon *d, uint64_t quiet)
{
	const struct fold *f = engine_fold(d->e);

	return fold_pending(f) > (traced_due(d, quiet) ? 0 : fold_pending_traced(f));
}

static int daemon_idle(struct daemon *d)
{
	const struct daemon_ops *ops = d->ops;
	uint64_t now = daemon_now();
	bool woke = false;
	int r;

	if (d->items != d->items_seen) {	/* the last item's time, to a tick */
		d->items_seen = d->items;
		d->last_item = now;
		d->m.last_line_usec = daemon_wall();
	}
	if (d->e && now - d->last_item >= ops->settle_quiet_usec && settle_due(d, now - d->last_item)) {
		if ((r = engine_settle(d->e, traced_due(d, now - d->last_item))) < 0 && !ops->keep_going) {
			daemon_say(d, "%s", engine_error(d->e));
			return r;
		}	/* else an output error shows at the flush */
		d->dirty++;
	}
	if (d->e) {	/* SASL strikes whose authserver_hold is over (engine(3)) */
		size_t given;

		if ((r = engine_hold_tick(d->e, &given)) < 0 && !ops->keep_going) {
			daemon_say(d, "%s", engine_error(d->e));
			return r;
		}
		if (given)
			d->dirty++;
	}
	if (d->dirty) {
		if (now - d->last_checkpoint >= ops->idle_save_usec)
			r = daemon_checkpoint(d);
		else
			r = daemon_flush(d, NULL);
		if (r < 0 && !ops->keep_going)
			return r;
	}
	if (d->items != d->status_items) {	/* not every wait */
		daemon_status(d, "following");
		d->status_items = d->items;
	}
	if (ops->wait) {
		uint64_t until = now + DAEMON_WAIT_MAX_USEC;

		if (d->dirty && d->last_checkpoint + ops->idle_save_usec < until)
			until = d->last_checkpoint + ops->idle_save_usec;
		if (d->wd_usec && d->last_watchdog + d->wd_usec / 2 < until)
			until = d->last_watchdog + d->wd_usec / 2;
		if ((r = ops->wait(d, d->data, until, &woke)) < 0)
			return r;
		now = daemon_now();
	}
	daemon_watchdog(d, now);
	daemon_metrics(d, false);
	if (ops->idle && (r = ops->idle(d, d->data, now)) < 0)
		return r;
	if (woke)
		return 0;
	if (now - d->last_bans >= DAEMON_BANS_USEC) {	/* a quiet source still takes unban requests */
		uint64_t unbans = d->m.unbans;

		d->last_bans = now;
		daemon_bans(d, false);
		/* saved at once: the requests are gone, and a restart from the
		   last checkpoint would hold those bans again */
		if (d->m.unbans != unbans && (r = daemon_checkpoint(d)) < 0 && !ops->keep_going)
			return r;
	}
	if (d->e == NULL)
		return 0;

	size_t waiting = engine_pending_bans(d->e);

	(void) engine_retry_bans(d->e, false);
	if (engine_pending_bans(d->e) != waiting)
		d->dirty++;	/* saved at the next checkpoint */
	daemon_ban_news(d);
	return 0;
}

int daemon_run(struct daemon *d)
{
	const struct daemon_ops *ops = d->ops;
	struct itimerval tick = {{0, (long) ops->tick_ms * 1000}, {0, (long) ops->tick_ms * 1000}};
	char drain[64];
	int r = 0;

	if (ops->tick_ms && setitimer(ITIMER_REAL, &tick, NULL) < 0) {
		r = -errno;
		daemon_say(d, "cannot set a timer: %s", strerror(errno));
		return r;
	}
	for (;;) {
		if (got_term || got_hup)	/* the wake-up bytes of what is handled now */
			while (read(sig_pipe[0], drain, sizeof(drain)) > 0)
				;
		if (got_term) {
			d->stop = true;
			if (!ops->drains)
				break;
		}
		if (got_hup) {
			got_hup = 0;
			if ((r = daemon_reopen(d)) < 0)
				break;
		}
		r = ops->read(d, d->data);
		if (r < 0)
			break;
		if (r == DAEMON_END) {
			r = 0;
			break;
		}
		if (r == DAEMON_ITEM) {
			d->dirty++;
			d->items++;
			if (daemon_check_due(d) && (r = daemon_busy(d)) < 0)
				break;
		} else if (r == DAEMON_IDLE && (r = daemon_idle(d)) < 0) {
			break;
		}
		r = 0;
	}
	if (ops->tick_ms)	/* the tick ends with the loop */
		setitimer(ITIMER_REAL, &(struct itimerval) {{0, 0}, {0, 0}}, NULL);
	return r < 0 ? r : 0;
}

int daemon_finish(struct daemon *d, int status)
{
	if (d->stop && d->ops->notify)
		sd_notify(0, "STOPPING=1");
	if (!d->loaded)
		return status;
	/* Save what was done; after a failed write the last checkpoint stands. */
	if (status == 0 || d->ops->keep_going) {
		bool dirty = d->dirty > 0;

		/* the end of the input: the held SASL strikes are given now, as
		   replay gives them (a killed daemon finds them in its state) */
		if (d->e && engine_hold_flush(d->e) < 0 && !d->ops->keep_going)
			status = 1;


		if (daemon_flush(d, NULL) < 0) {
			if (d->ops->keep_going && dirty)
				daemon_say(d, "state not saved: the outputs could not be written");
			if (!d->ops->keep_going)
				status = 1;
		} else if (daemon_checkpoint(d) < 0 && !d->ops->keep_going) {
			status = 1;
		}
	}
	daemon_metrics(d, true);
	if (d->publish) {
		char err[1024];

		if (publish_save(d->publish, daemon_wall() / 1000000, err, sizeof(err)) < 0)
			daemon_say(d, "publish = syslog: %s", err);
		else if (publish_pending(d->publish))
			daemon_say(d, "%zu decision%s not published yet: kept in '%s/%s' for the next start",
				   publish_pending(d->publish), publish_pending(d->publish) == 1 ? "" : "s",
				   d->c->state_dir, OUTBOX_NAME);
	}
	return status;
}

void daemon_close(struct daemon *d)
{
	engine_free(d->e);
	d->e = NULL;
	publish_free(d->publish);
	d->publish = NULL;
	d->m.publish = NULL;
	backend_close(&d->backend);
	statedir_unlock(d->lock_fd);
	d->lock_fd = -1;
	free(d->state_path);
	d->state_path = NULL;
}

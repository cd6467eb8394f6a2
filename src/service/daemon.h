/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_DAEMON_H
#define AUTHFOLD_DAEMON_H

/* daemon - the loop and duties every authfold daemon shares; see daemon.c */

#include "backend.h"
#include "config.h"
#include "engine.h"
#include "metrics.h"
#include "publish.h"
#include "state.h"

#include <signal.h>

/* What daemon_ops.read reports. */
enum {
	DAEMON_IDLE = 0,	/* nothing ready now: the idle duties, then ops->wait */
	DAEMON_ITEM = 1,	/* an item (entry, line) changed the state */
	DAEMON_AGAIN = 2,	/* woken without an item (a signal, a piece): look again */
	DAEMON_END = 3,		/* the input ended (EOF, --once at the end, drained after SIGTERM) */
};

#define DAEMON_BANS_USEC	1000000	/* unban requests when idle, at most this often */
#define DAEMON_WAIT_MAX_USEC	1000000	/* ops->wait returns at least this often */
#define DAEMON_TRACED_QUIET_USEC 10000000	/* verdicts waiting for a -v trace: after this quiet */
#define DAEMON_CHECK_ITEMS	256	/* without a tick: the clock is read once per this many items */

struct daemon;

/* The source-specific part of a daemon. data is daemon.data. */
struct daemon_ops {
	const char *name;		/* metrics label and daemon name: "journal", "omprog" */
	const char *prefix;		/* of every diagnostic: "authfold: journal: " */
	unsigned tick_ms;		/* >0: SIGALRM this often interrupts read's blocking read (no SA_RESTART) */
	uint64_t save_usec;		/* checkpoint after this long of activity */
	uint64_t idle_save_usec;	/* idle and dirty: checkpoint when the last is this old */
	uint64_t settle_quiet_usec;	/* idle this long after the last item: settle the fold's deferred verdicts */
	bool notify;			/* sd_notify READY, STATUS, WATCHDOG, STOPPING */
	bool drains;			/* on SIGTERM read goes on until it returns DAEMON_END */
	bool keep_going;		/* a failed flush or checkpoint is logged once and retried, not fatal;
					   the state is saved at the end after a failure too */
	bool own_state;			/* no engine, no state file, no state_dir lock: the source keeps
					   and locks its own (the enforcer); daemon_load() is not called */
	/* Handles what is ready: DAEMON_*, or <0 (logged) to stop with a failure. */
	int (*read)(struct daemon *d, void *data);
	/* Idle: waits for input or a signal (daemon_signal_fd()), until the
	   CLOCK_MONOTONIC µs until at the latest; *ret_woke when input came.
	   NULL: read blocks on its own, to the next tick. */
	int (*wait)(struct daemon *d, void *data, uint64_t until, bool *ret_woke);
	/* Before each state save: fill the source's fields of x; the error in err. */
	int (*extras)(struct daemon *d, void *data, struct state_extra *x, char *err, size_t errlen);
	/* After a successful save (NULL: nothing); the error in err. */
	int (*saved)(struct daemon *d, void *data, const struct state_extra *x, char *err, size_t errlen);
	/* Each idle pass, after the wait: the source's own periodic duties
	   (the enforcer's ended decisions), now in CLOCK_MONOTONIC µs; it
	   keeps its own pace. NULL: none. <0 (logged by the source) ends the
	   loop with a failure. */
	int (*idle)(struct daemon *d, void *data, uint64_t now);
	/* sd_notify's STATUS text, what: "reading", "following". NULL: none. */
	void (*status)(struct daemon *d, void *data, const char *what, char *buf, size_t len);
};

/* Owned by the daemon module; fields are read by the source, written
   through the daemon_* functions unless said otherwise. */
struct daemon {
	const struct daemon_ops *ops;
	void *data;
	const struct config *c;		/* borrowed */
	struct output *summary, *events;	/* borrowed: opened and freed by the source */
	struct engine *e;		/* daemon_load() */
	struct backend backend;		/* daemon_open() */
	struct state_extra x;		/* as loaded, then as last saved */
	char *state_path;
	int lock_fd;			/* statedir_lock(): one daemon per state_dir */
	bool loaded;			/* daemon_load() succeeded: save at the end */
	uint64_t dirty;			/* items (and other changes) since the last checkpoint */
	uint64_t checkpoint_entries;	/* >0: checkpoint after this many dirty items too */
	uint64_t items;			/* items since start */
	uint64_t last_checkpoint, last_bans, last_watchdog, last_item, wd_usec;	/* CLOCK_MONOTONIC µs */
	uint64_t items_seen, status_items;
	sig_atomic_t busy_tick;
	bool stop;			/* SIGTERM or SIGINT came */
	bool flush_failing, save_failing;
	struct engine_ban_seen ban_seen;	/* refused bans: what was logged */
	struct metrics_source m;	/* metrics_file; the source sets m.last_line_usec if it knows better */
	struct publish *publish;	/* publish = syslog: every ban and unban decided; NULL: none */
	bool publish_failing;
	int64_t forget_since;		/* bans_daemon_step(): enforce_state_dir/forget.d read up to here */
};

/* Zeroes d and installs the signal handlers (TERM, INT, HUP; ALRM with a
   tick; SIGPIPE ignored). Until then those signals end the program. */
int daemon_init(struct daemon *d, const struct daemon_ops *ops, void *data, const struct config *c);
/* The state directory (created, checked, locked), the backend and the
   privileges (CAP_NET_ADMIN only with a kernel backend, else no new
   privileges). state_name: the file in state_dir (NULL with
   ops->own_state). Logs; 0 or -errno. */
int daemon_open(struct daemon *d, const char *state_name);
/* A new engine with eo (with publish = syslog, its bans are published),
   and the state file loaded into it and d->x;
   a corrupt file is set aside. 0 loaded, 1 started without state
   (none, or set aside), <0 failure (logged). */
int daemon_load(struct daemon *d, const struct engine_options *eo);
/* Unban requests, and with start the bans a reboot lost; the decisions
   not published yet, and the keep-alive. */
void daemon_bans(struct daemon *d, bool start);
/* Writes the outputs and retries waiting bans; <0 when an output fails
   (logged; *ret_why the reason, borrowed; NULL on success). */
int daemon_flush(struct daemon *d, const char **ret_why);
/* Flush, then save {engine state, ops->extras} in d->state_path. <0 logged. */
int daemon_checkpoint(struct daemon *d);
/* Refused bans: each new cause once, and the end of the wait. */
void daemon_ban_news(struct daemon *d);
void daemon_metrics(struct daemon *d, bool force);
void daemon_status(struct daemon *d, const char *what);
/* READY=1 and the watchdog: after the first checkpoint. */
void daemon_ready(struct daemon *d);
/* The loop: until read returns DAEMON_END (0), a signal stops it (0) or a
   failure (<0, logged). */
int daemon_run(struct daemon *d);
/* The last checkpoint and metrics; status 0 or 1 in, the exit status out. */
int daemon_finish(struct daemon *d, int status);
/* Frees the engine, the backend, the lock. Accepts a daemon never opened. */
void daemon_close(struct daemon *d);

/* For the source: the tick counter (SIGALRM), whether SIGTERM/SIGINT came,
   and a descriptor readable after any signal (for poll()). */
sig_atomic_t daemon_ticks(void);
bool daemon_stopping(void);
int daemon_signal_fd(void);
void daemon_say(const struct daemon *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
uint64_t daemon_now(void);	/* CLOCK_MONOTONIC µs */
int64_t daemon_wall(void);	/* CLOCK_REALTIME µs */

#endif

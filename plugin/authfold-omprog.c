/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	authfold-omprog 8
 * SUMMARY
 *	the program rsyslog's omprog action runs: fold and ban as lines arrive
 * SYNOPSIS
 *	authfold-omprog [-c CONF] [--confirm | --no-confirm]
 *	authfold-omprog --help | --version
 * DESCRIPTION
 *	See authfold-omprog(8). rsyslog starts this program (omprog,
 *	forceSingleInstance="on") and writes one log line per message to
 *	its stdin. Each line goes through engine(3): the summary and events
 *	logs are written out (engine_flush()) before the line is confirmed
 *	on stdout with "OK"; when they cannot be written the reply is
 *	"ERROR <why>" and rsyslog sends the same line again. That line has
 *	been folded already and its output waits in the output buffer, so
 *	its resend only retries the flush (omprog(3)'s resend memory). The
 *	same holds when an output refused the line's text itself: the line
 *	was folded and struck, and is never folded a second time.
 *
 *	Only the outputs decide the reply. A ban the kernel refuses (a full
 *	set, no permission) waits in the engine and is retried with backoff
 *	while lines go on being answered "OK" (engine(3)); each new cause is
 *	logged once, and so is the end of the wait. The waiting bans and the
 *	last refusal are in the state file, for authfold status.
 *
 *	With --no-confirm (confirmMessages="off" in rsyslog) nothing at all
 *	is written to stdout. Transaction marks (useTransactions="on") are
 *	answered "OK"; messages inside a transaction are flushed and
 *	answered "OK" one by one, never DEFER_COMMIT.
 *
 *	The sessions, strikes and ban history are kept in
 *	STATE_DIR/omprog.state (state(3)): loaded at start, saved after
 *	about every second of activity, after a second of idleness and at
 *	the end, and only right after a successful flush, so the state
 *	never describes lines that are not in the summary.
 *
 *	EOF on stdin: the outputs are flushed, the state saved, exit 0.
 *	SIGTERM and SIGINT: the current line is finished, and so are the
 *	lines already waiting in the pipe (with confirmMessages="off"
 *	rsyslog writes ahead, then signals) until stdin is quiet for
 *	DRAIN_LULL_MS or DRAIN_MAX_MS passed; then as at EOF. SIGHUP: the summary
 *	and events logs are reopened (logrotate).
 * DIAGNOSTICS
 *	On stderr, prefixed "authfold-omprog: ". Exit status 0 on a normal
 *	end, 1 on a runtime failure (rsyslog closed the reply pipe, out of
 *	memory, an output or the ban backend cannot be opened), 2 on bad
 *	usage or configuration.
 * SECURITY
 *	Input is rsyslog's rendering of untrusted syslog messages; lines
 *	longer than ENGINE_LINE_MAX are read in pieces (linereader(3)), so
 *	memory is bounded. Error replies are built from paths and
 *	strerror() only. All descriptors are close-on-exec. With the ipset or nft
 *	backend, only CAP_NET_ADMIN is kept once everything is open
 *	(privs(3)); otherwise no new privileges can be gained.
 */

#include "config.h"
#include "engine.h"
#include "backend.h"
#include "bans.h"
#include "linereader.h"
#include "metrics.h"
#include "omprog.h"
#include "privs.h"
#include "publish.h"
#include "state.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define EXIT_USAGE	2
#define SAVE_EVERY_MS	1000
#define STATE_NAME	"omprog.state"
#define WAL_NAME	"omprog.wal"	/* lines since the last save */
#define WAL_WINDOW	(1024 * 1024)	/* its mapping (output_open_mapped()); doubles when full */
#define DRAIN_LULL_MS	100	/* after SIGTERM: stop when stdin is quiet this long */
#define TICK_MS		250	/* SIGALRM interrupts a blocking read this often */
#define DRAIN_MAX_MS	2000	/* or after this; rsyslog's closeTimeout is 5 s */

static const char usage_text[] =
	"Usage: authfold-omprog [-c CONF] [--confirm | --no-confirm]\n"
	"\n"
	"The program rsyslog's omprog action runs: reads log lines on stdin, writes the\n"
	"folded summary and the events log, bans, and confirms each line on stdout.\n"
	"\n"
	"  -c, --config FILE   configuration (default " CONFIG_DEFAULT_PATH ";\n"
	"                      a missing default file means built-in defaults)\n"
	"      --confirm       answer OK / ERROR per line (confirmMessages=\"on\"; default)\n"
	"      --no-confirm    write nothing to stdout (confirmMessages=\"off\")\n"
	"  -h, --help          this text\n"
	"  -V, --version       the version\n"
	"\n"
	"See authfold-omprog(8).\n";

static volatile sig_atomic_t got_term, got_hup, ticks;

static void on_signal(int sig)
{
	if (sig == SIGALRM)
		ticks++;	/* the tick: see run() */
	else if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term = 1;
}

static void say(const char *fmt, ...)
{
	va_list ap;

	fputs("authfold-omprog: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int64_t wall_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct omprog {
	const struct config *c;
	struct engine *e;
	struct output *summary, *events;
	struct output *wal;		/* lines since the last save: see wal_reset() */
	struct backend *backend;
	struct publish *publish;	/* publish = syslog; NULL: none */
	bool publish_failing;
	int lock_fd;			/* bans_lock(): one daemon per state_dir */
	char *wal_path;
	int64_t wal_gen;
	struct omprog_resend *resend;
	char *state_path;
	bool confirm;
	bool dirty;			/* lines folded since the last save */
	int64_t last_save;		/* now_ms() */
	int64_t last_bans;		/* now_ms() of the last idle take_bans() */
	sig_atomic_t save_tick;		/* ticks at the last save */
	sig_atomic_t seen_tick;		/* ticks when the idle work was last looked at */
	uint64_t lines, lines_seen;	/* lines read; as the last tick saw them */
	int64_t last_line_ms;		/* now_ms() of the tick that saw the last line */
	bool save_failing, flush_failing;
	struct engine_ban_seen ban_seen;	/* refused bans: what was logged */
	bool loaded;			/* the state file was read (or there was none) */
	struct metrics_source m;	/* metrics_file */
	/* the message being read */
	bool skip;			/* its resend: only flush */
	int line_error;			/* engine_line/engine_tail failed */
};

static int64_t file_size(const struct output *o)
{
	struct stat st;

	return o && stat(output_path(o), &st) == 0 ? (int64_t) st.st_size : -1;
}

/* Starts a new line journal of generation gen: "authfold-wal GEN" and nothing else. */
static int wal_reset(struct omprog *op, int64_t gen)
{
	char head[64];
	int n = snprintf(head, sizeof(head), "authfold-wal %lld\n", (long long) gen);
	int r;

	if ((r = output_truncate(op->wal)) < 0 || (r = output_write(op->wal, head, (size_t) n)) < 0 ||
	    (r = output_flush(op->wal)) < 0)
		return r;
	op->wal_gen = gen;
	return 0;
}

/*
 * The line journal holds every line that changed the state since the last
 * save. Saving writes the state with the NEXT generation, then starts a
 * journal of that generation. After a kill, the state file names the
 * generation whose journal must be fed back: a journal of an older
 * generation is already in the state (killed between the two steps).
 */
static int wal_replay(struct omprog *op, int64_t gen)
{
	FILE *fp = fopen(op->wal_path, "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long long g = -1;
	unsigned lines = 0;
	int r = 0;

	if (fp == NULL)
		return errno == ENOENT ? 0 : -errno;
	if ((n = getline(&line, &cap, fp)) <= 0 || sscanf(line, "authfold-wal %lld", &g) != 1 || g != gen) {
		free(line);
		fclose(fp);
		return 0;
	}
	engine_set_quiet(op->e, true);
	while ((n = getline(&line, &cap, fp)) > 0) {
		if (line[n - 1] != '\n' || memchr(line, 0, (size_t) n) != NULL)
			break;		/* cut by the kill (the mapping's zeros follow): never acknowledged */
		if ((r = engine_line(op->e, line, (size_t) (n - 1) > ENGINE_LINE_MAX ? ENGINE_LINE_MAX : (size_t) n - 1, true)) < 0)
			break;
		lines++;
	}
	engine_set_quiet(op->e, false);
	free(line);
	fclose(fp);
	if (lines)
		say("fed %u lines of '%s' back into the state", lines, op->wal_path);
	return r;
}

/* Decisions that could not be published yet (rsyslog busy or restarting),
   and the keep-alive. */
static void publish_step(struct omprog *op)
{
	char err[512] = "";

	if (op->publish == NULL)
		return;
	if (publish_tick(op->publish, (int64_t) time(NULL), err, sizeof(err)) < 0) {
		if (!op->publish_failing)
			say("%s; %zu decision%s waiting", err, publish_pending(op->publish),
			    publish_pending(op->publish) == 1 ? "" : "s");
		op->publish_failing = true;
	} else if (op->publish_failing) {
		say("decisions published again");
		op->publish_failing = false;
	}
}

/* Unban requests (authfold unban), and at start the bans a reboot lost. */
static void take_bans(struct omprog *op, bool start)
{
	char msg[1024];
	int r = bans_daemon_step(op->e, op->backend, op->c->state_dir, start, msg, sizeof(msg));

	if (r > 0) {
		op->dirty = true;
		op->m.unbans += (unsigned) r;
	}
	if (msg[0])
		say("%s", msg);
	publish_step(op);
}

/* metrics_file: every METRICS_INTERVAL_USEC, and at the end (force). */
static void metrics(struct omprog *op, bool force)
{
	if (metrics_tick(&op->m, op->e, op->c, wall_usec(), force) < 0)
		say("%s", op->m.error);
}

static void save_state(struct omprog *op)
{
	take_bans(op, false);

	struct state_extra x = {"", file_size(op->summary), file_size(op->events), op->wal_gen + 1};
	char err[512] = "";
	int r = state_save(op->e, op->state_path, &x, err, sizeof(err));

	if (r == 0 && (r = wal_reset(op, op->wal_gen + 1)) < 0)
		snprintf(err, sizeof(err), "cannot reset '%s': %s", op->wal_path, strerror(-r));

	op->last_save = now_ms();
	op->save_tick = ticks;
	if (r < 0) {
		if (!op->save_failing)
			say("cannot save state '%s': %s", op->state_path, err[0] ? err : strerror(-r));
		op->save_failing = true;
		return;
	}
	if (op->save_failing)
		say("state '%s' saved again", op->state_path);
	op->m.checkpoint_usec = wall_usec();
	op->save_failing = false;
	op->dirty = false;
}

/* Refused bans: each new cause once, and the end of the wait. */
static void ban_news(struct omprog *op)
{
	char msg[900];

	if (engine_ban_news(op->e, &op->ban_seen, msg, sizeof(msg)))
		say("%s", msg);
}

/* 0, or -EPIPE and friends when rsyslog is gone. */
static int reply(struct omprog *op, const char *why)
{
	int r;

	if (!op->confirm)
		return 0;
	if ((r = omprog_reply(STDOUT_FILENO, why)) < 0)
		say("cannot write a reply to rsyslog: %s", strerror(-r));
	return r;
}

/* Writes the outputs (and retries waiting bans); <0 only when an output fails. */
static int flush(struct omprog *op, const char **ret_why)
{
	size_t waiting = engine_pending_bans(op->e);
	int r = engine_flush(op->e);

	if (engine_pending_bans(op->e) != waiting)
		op->dirty = true;
	ban_news(op);

	if (r < 0) {
		*ret_why = engine_error(op->e)[0] ? engine_error(op->e) : strerror(-r);
		if (!op->flush_failing)
			say("%s; retrying", *ret_why);
		op->flush_failing = true;
		return r;
	}
	if (op->flush_failing)
		say("outputs written again");
	op->flush_failing = false;
	*ret_why = NULL;
	return 0;
}

/* The end of a message (complete, or the last piece of an overlong one). */
static int message_done(struct omprog *op, const char *head, size_t head_len, bool overlong)
{
	const char *why;

	if (op->line_error < 0) {
		/* An output refused the line's text (or memory ran out): the line
		   was folded and struck all the same, so its resend only flushes. */
		why = engine_error(op->e)[0] ? engine_error(op->e) : strerror(-op->line_error);
		if (!op->flush_failing)
			say("%s; retrying", why);
		op->flush_failing = true;
		omprog_resend_set(op->resend, head, head_len, overlong);
		return reply(op, why);
	}
	if (flush(op, &why) < 0) {
		if (!op->skip)
			omprog_resend_set(op->resend, head, head_len, overlong);
		return reply(op, why);
	}
	omprog_resend_clear(op->resend);
	op->dirty = true;
	op->lines++;
	/* no clock read per line: the tick says when a second may have passed */
	if (ticks - op->save_tick >= SAVE_EVERY_MS / TICK_MS && now_ms() - op->last_save >= SAVE_EVERY_MS) {
		save_state(op);
		metrics(op, false);
	}
	return reply(op, NULL);
}

static int message_start(struct omprog *op, const char *p, size_t n, bool complete)
{
	op->line_error = 0;
	op->skip = omprog_resend_match(op->resend, p, n, !complete);
	if (!op->skip)
		op->line_error = engine_line(op->e, p, n, complete);
	return 0;
}

/* Overlong heads are kept here until the last piece, for the resend memory. */
struct head {
	char *p;
	size_t n;
};

static int run(struct omprog *op)
{
	struct linereader *lr = linereader_new(STDIN_FILENO, ENGINE_LINE_MAX);
	struct head head = {malloc(ENGINE_LINE_MAX), 0};
	bool in_long = false;
	int64_t term_at = 0;		/* now_ms() of SIGTERM/SIGINT */
	int r = 0;

	if (lr == NULL || head.p == NULL) {
		say("out of memory");
		r = -ENOMEM;
		goto out;
	}
	if (op->confirm && (r = reply(op, NULL)) < 0)
		goto out;
	/* The tick: stdin is read with a blocking read(2), which SIGALRM
	   interrupts every TICK_MS, so the idle work below runs without a
	   poll(2) before every read (rsyslog sends one line per reply: the
	   buffer is empty before nearly every read). */
	struct itimerval tick = {{0, TICK_MS * 1000}, {0, TICK_MS * 1000}};

	if (setitimer(ITIMER_REAL, &tick, NULL) < 0) {
		r = -errno;
		say("cannot set a timer: %s", strerror(errno));
		goto out;
	}
	linereader_set_interruptible(lr, true);
	for (;;) {
		if (got_hup) {
			got_hup = 0;
			if ((r = output_reopen(op->summary)) < 0)
				say("cannot reopen '%s': %s", output_path(op->summary), strerror(-r));
			if (op->events && (r = output_reopen(op->events)) < 0)
				say("cannot reopen '%s': %s", output_path(op->events), strerror(-r));
			r = 0;
		}
		if (got_term && term_at == 0)
			term_at = now_ms();
		if (!in_long && !linereader_buffered(lr) && term_at) {
			/* Drain what rsyslog wrote before it signalled
			   (confirmMessages="off"), then stop. */
			struct pollfd pfd = {STDIN_FILENO, POLLIN, 0};

			if (now_ms() - term_at >= DRAIN_MAX_MS)
				break;
			int pr = poll(&pfd, 1, DRAIN_LULL_MS);

			if (pr < 0 && errno == EINTR)
				continue;
			if (pr < 0) {
				r = -errno;
				say("cannot poll stdin: %s", strerror(errno));
				goto out;
			}
			if (pr == 0)
				break;
		} else if (!in_long && !linereader_buffered(lr) && ticks != op->seen_tick) {
			/* About to block, and a tick came since the last look:
			   the work that is due. Saved after SAVE_EVERY_MS of
			   activity or idleness; unban requests once a second
			   when idle. */
			int64_t t = now_ms();

			op->seen_tick = ticks;
			if (op->lines != op->lines_seen) {	/* the last line's time, to a tick */
				op->lines_seen = op->lines;
				op->last_line_ms = t;
				op->m.last_line_usec = wall_usec();
			}
			/* A quiet second: rsyslog's queue is empty, no late line is
			   on its way; what the fold defers is settled (fold(3)). */
			if (t - op->last_line_ms >= SAVE_EVERY_MS && fold_pending(engine_fold(op->e)) > 0) {
				(void) engine_settle(op->e);	/* an output error shows at the flush */
				op->dirty = true;
			}
			if (op->dirty && t - op->last_save >= SAVE_EVERY_MS) {
				if (engine_flush(op->e) == 0)
					save_state(op);
				else
					op->last_save = t;	/* try again in a second */
				continue;
			}
			if (!op->dirty && t - op->last_bans >= SAVE_EVERY_MS) {
				op->last_bans = t;
				take_bans(op, false);
			}
			metrics(op, false);
			size_t waiting = engine_pending_bans(op->e);

			(void) engine_retry_bans(op->e, false);
			if (engine_pending_bans(op->e) != waiting)
				op->dirty = true;	/* the next turn saves the queue */
			ban_news(op);
		}

		const char *p;
		size_t n;
		enum line_piece piece;

		r = linereader_next(lr, &p, &n, &piece);
		if (r == -EINTR)
			continue;	/* the tick or another signal: see above */
		if (r == 0)
			break;		/* EOF: rsyslog closed the pipe */
		if (r < 0) {
			say("cannot read stdin: %s", strerror(-r));
			goto out;
		}
		switch (piece) {
		case LINE_COMPLETE:
			switch (omprog_mark(p, n)) {
			case OMPROG_BEGIN:
				r = reply(op, NULL);
				break;
			case OMPROG_COMMIT: {
				const char *why;

				(void) flush(op, &why);
				r = reply(op, why);
				break;
			}
			case OMPROG_MESSAGE:
				message_start(op, p, n, true);
				r = message_done(op, p, n, false);
				break;
			}
			break;
		case LINE_HEAD:
			in_long = true;
			memcpy(head.p, p, n);
			head.n = n;
			message_start(op, p, n, false);
			break;
		case LINE_TAIL:
		case LINE_TAIL_LAST:
			if (!op->skip && op->line_error == 0)
				op->line_error = engine_tail(op->e, p, n, piece == LINE_TAIL_LAST);
			if (piece == LINE_TAIL_LAST) {
				in_long = false;
				r = message_done(op, head.p, head.n, true);
			}
			break;
		}
		if (r < 0)
			goto out;
	}
	r = 0;
out:
	setitimer(ITIMER_REAL, &(struct itimerval) {{0, 0}, {0, 0}}, NULL);	/* the tick ends with the loop */
	linereader_free(lr);
	free(head.p);
	return r;
}

/* Loads -c FILE, or the default file when it exists. */
static struct config *load_config(const char *path)
{
	char err[1024];
	struct config *c = config_read(path, err, sizeof(err));

	if (c == NULL)
		say("%s", err);
	return c;
}

static int setup_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: poll() returns EINTR */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0 ||
	    sigaction(SIGHUP, &sa, NULL) < 0 || sigaction(SIGALRM, &sa, NULL) < 0)
		return -errno;
	sa.sa_handler = SIG_IGN;	/* a closed reply pipe is EPIPE, not death */
	if (sigaction(SIGPIPE, &sa, NULL) < 0)
		return -errno;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'}, {"confirm", no_argument, NULL, 'C'},
		{"no-confirm", no_argument, NULL, 'N'}, {"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'}, {NULL, 0, NULL, 0},
	};
	struct omprog op = {.confirm = true, .lock_fd = -1, .m = {.daemon = "omprog"}};
	const char *conf_path = NULL;
	struct config *c = NULL;
	struct backend backend = {0};
	char err[1024] = "";
	int opt, r, status = 1;

	while ((opt = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': conf_path = optarg; break;
		case 'C': op.confirm = true; break;
		case 'N': op.confirm = false; break;
		case 'h': fputs(usage_text, stdout); return 0;
		case 'V': printf("authfold-omprog %s\n", PACKAGE_VERSION); return 0;
		default: fputs("Try 'authfold-omprog --help'.\n", stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		say("unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	/* The configuration first: reading it is bounded (a regular file of
	   at most CONFIG_FILE_MAX bytes), and until the handlers are in place
	   SIGTERM and SIGINT end the program at once. */
	if ((c = load_config(conf_path)) == NULL)
		return EXIT_USAGE;
	if ((r = setup_signals()) < 0) {
		say("cannot set up signals: %s", strerror(-r));
		config_free(c);
		return 1;
	}
	op.c = c;

	if ((r = output_open(c->summary_log, &op.summary)) < 0) {
		say("cannot open summary '%s': %s", c->summary_log, output_strerror(r));
		goto out;
	}
	if (c->events_log && (r = output_open(c->events_log, &op.events)) < 0) {
		say("cannot open events log '%s': %s", c->events_log, output_strerror(r));
		goto out;
	}
	if (mkdir(c->state_dir, 0750) < 0 && errno != EEXIST) {
		say("cannot create state directory '%s': %s", c->state_dir, strerror(errno));
		goto out;
	}
	/* With --confirm, stdout carries the replies: rsyslog kills a
	   program that writes anything else there. */
	if (output_collisions(op.summary, op.events, c->state_dir, op.confirm ? STDOUT_FILENO : -1, err,
			      sizeof(err)) < 0) {
		say("%s", err);
		status = EXIT_USAGE;
		goto out;
	}
	if (asprintf(&op.state_path, "%s/%s", c->state_dir, STATE_NAME) < 0 ||
	    asprintf(&op.wal_path, "%s/%s", c->state_dir, WAL_NAME) < 0) {
		op.state_path = NULL;
		say("out of memory");
		goto out;
	}
	if ((r = backend_open(c, &backend, err, sizeof(err))) < 0) {
		say("backend = %s: %s", backend_kind_name(c->backend), err[0] ? err : strerror(-r));
		goto out;
	}
	if (backend.warning[0])
		say("%s", backend.warning);
	if (c->backend != BACKEND_NONE) {
		if ((r = privs_keep_net_admin(err, sizeof(err))) < 0) {
			say("cannot drop privileges: %s", err[0] ? err : strerror(-r));
			goto out;
		}
	} else if ((r = privs_no_new_privs()) < 0) {
		say("cannot set no_new_privs: %s", strerror(-r));
		goto out;
	}

	op.backend = &backend;
	if ((r = state_dir_check(c->state_dir, true, err, sizeof(err))) < 0) {
		say("%s", err);
		goto out;
	}
	if ((r = bans_lock(c->state_dir, &op.lock_fd)) < 0) {
		say("state_dir '%s' is in use by another authfold (%s)", c->state_dir, strerror(-r));
		goto out;
	}
	if ((r = output_open_mapped(op.wal_path, WAL_WINDOW, &op.wal)) < 0) {
		say("cannot open '%s': %s", op.wal_path, output_strerror(r));
		goto out;
	}

	if ((r = publish_new(c, &op.publish)) < 0) {
		say("publish = syslog: %s", r == -EINVAL ? "the host name is not usable as by=; set publish_host" : strerror(-r));
		goto out;
	}

	struct engine_options eo = {.summary = op.summary, .events = op.events, .backend = &backend.ops, .wal = op.wal,
				    .on_ban = op.publish ? publish_on_ban : NULL, .on_ban_data = op.publish};

	if ((op.e = engine_new(c, &eo)) == NULL || (op.resend = omprog_resend_new(ENGINE_LINE_MAX)) == NULL) {
		say("out of memory");
		goto out;
	}
	err[0] = '\0';

	struct state_extra x = {.wal_gen = 0};

	struct state_fault fault;
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	r = state_load(op.e, c, (int64_t) now.tv_sec * 1000000 + now.tv_nsec / 1000, op.state_path, &x, &fault);
	state_describe(op.state_path, r, &fault, err, sizeof(err));
	if (r == -EBADMSG) {
		char aside[4200];

		if (state_set_aside(op.state_path, aside, sizeof(aside)) < 0) {
			say("%s; cannot set it aside as '%s': %s", err, aside, strerror(errno));
			goto out;
		}
		say("%s; set aside as '%s', starting with an empty state", err, aside);
		engine_free(op.e);	/* it holds part of the corrupt file */
		if ((op.e = engine_new(c, &eo)) == NULL) {
			say("out of memory");
			goto out;
		}
	} else if (r < 0 && r != -ENOENT) {
		say("%s; refused", err);
		goto out;
	}
	if (r == 0 && (r = wal_replay(&op, x.wal_gen)) < 0) {
		say("cannot feed '%s' back: %s", op.wal_path, engine_error(op.e)[0] ? engine_error(op.e) : strerror(-r));
		goto out;
	}
	op.wal_gen = r == 0 ? x.wal_gen : 0;
	op.last_line_ms = now_ms();	/* a restart is no quiet second: late lines may follow */
	op.loaded = true;
	take_bans(&op, true);
	save_state(&op);	/* the journal is in the state now: start a new one */
	if (op.save_failing)
		goto out;

	if (run(&op) < 0)
		goto out;
	status = 0;
out:
	if (op.loaded) {
		const char *why;

		if (flush(&op, &why) == 0)
			save_state(&op);
		else if (op.dirty)
			say("state not saved: the outputs could not be written");
		metrics(&op, true);
	}
	if (op.publish && publish_pending(op.publish))
		say("%zu decision%s not published", publish_pending(op.publish), publish_pending(op.publish) == 1 ? "" : "s");
	publish_free(op.publish);
	engine_free(op.e);
	backend_close(&backend);
	bans_unlock(op.lock_fd);
	output_free(op.summary);
	output_free(op.events);
	output_free(op.wal);
	free(op.wal_path);
	omprog_resend_free(op.resend);
	free(op.state_path);
	config_free(c);
	return status;
}

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
 *	Each line may start with the sender's credentials that the shipped
 *	template writes ("uid=N ", or "mx=NAME " on a central host): sender(3)
 *	judges and strips them. A line whose sender is not one of
 *	trusted_users (or, without credentials, with uncredited = pass) goes
 *	to the summary as it is and decides nothing. The lines are counted
 *	by sender in STATE_DIR/omprog.senders at each save (authfold status)
 *	and in the metrics; the first line of another sender and the first
 *	without credentials are said on stderr, and at start that the last
 *	run read lines without credentials.
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
 *	OMPROG_DRAIN_LULL_MS or OMPROG_DRAIN_MAX_MS passed (omprog(3)'s
 *	input); then as at EOF. SIGHUP: the summary
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
#include "daemon.h"
#include "engine.h"
#include "linereader.h"
#include "omprog.h"
#include "sender.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
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
#define SENDERS_NAME	"omprog.senders"	/* sender(3)'s counters, for authfold status */

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

struct omprog {
	struct output *wal;		/* lines since the last save: see wal_reset() */
	char *wal_path;
	int64_t wal_gen;
	struct omprog_resend *resend;
	bool confirm;
	struct omprog_input in;		/* stdin */
	/* the message being read */
	char *head;			/* an overlong head, kept for the resend memory */
	size_t head_len;
	bool skip;			/* its resend: only flush */
	int line_error;			/* engine_line/engine_tail failed */
	/* who wrote the lines (sender(3)) */
	struct sender_trust trust;
	struct sender_counters senders;
	struct sender_hosts *hosts;	/* relayed host names and their MX */
	char *senders_path;
	bool warned_other, warned_uncredited;
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
static int wal_replay(struct daemon *d, struct omprog *op, int64_t gen)
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
	engine_set_quiet(d->e, true);
	while ((n = getline(&line, &cap, fp)) > 0) {
		if (line[n - 1] != '\n' || memchr(line, 0, (size_t) n) != NULL)
			break;		/* cut by the kill (the mapping's zeros follow): never acknowledged */
		if ((r = engine_line(d->e, line, (size_t) (n - 1) > ENGINE_LINE_MAX ? ENGINE_LINE_MAX : (size_t) n - 1, true)) < 0)
			break;
		lines++;
	}
	engine_set_quiet(d->e, false);
	free(line);
	fclose(fp);
	if (lines)
		daemon_say(d, "fed %u lines of '%s' back into the state", lines, op->wal_path);
	return r;
}

/* The save's part: the outputs' sizes and the next line journal generation. */
static int om_extras(struct daemon *d, void *data, struct state_extra *x, char *err, size_t errlen)
{
	struct omprog *op = data;

	(void) err;
	(void) errlen;
	x->cursor[0] = '\0';
	x->summary_size = file_size(d->summary);
	x->events_size = file_size(d->events);
	x->wal_gen = op->wal_gen + 1;
	return 0;
}

/* The state holds the line journal now: start the next one. */
static int om_saved(struct daemon *d, void *data, const struct state_extra *x, char *err, size_t errlen)
{
	struct omprog *op = data;
	int r;

	if ((r = wal_reset(op, x->wal_gen)) < 0) {
		snprintf(err, errlen, "cannot reset '%s': %s", op->wal_path, strerror(-r));
		return r;
	}
	/* for authfold status only: a failure is said, never fatal */
	if ((r = sender_counters_save(op->senders_path, &op->senders, &op->trust)) < 0)
		daemon_say(d, "cannot write '%s': %s", op->senders_path, strerror(-r));
	return 0;
}

/* 0, or -EPIPE and friends when rsyslog is gone. */
static int reply(struct daemon *d, struct omprog *op, const char *why)
{
	int r;

	if (!op->confirm)
		return 0;
	if ((r = omprog_reply(STDOUT_FILENO, why)) < 0)
		daemon_say(d, "cannot write a reply to rsyslog: %s", strerror(-r));
	return r;
}

/* The end of a message (complete, or the last piece of an overlong one):
   DAEMON_ITEM once it is written out and confirmed. */
static int message_done(struct daemon *d, struct omprog *op, const char *head, size_t head_len, bool overlong)
{
	const char *why;
	int r;

	if (op->line_error < 0) {
		/* An output refused the line's text (or memory ran out): the line
		   was folded and struck all the same, so its resend only flushes. */
		why = engine_error(d->e)[0] ? engine_error(d->e) : strerror(-op->line_error);
		if (!d->flush_failing)
			daemon_say(d, "%s; retrying", why);
		d->flush_failing = true;
		omprog_resend_set(op->resend, head, head_len, overlong);
		return reply(d, op, why) < 0 ? -EPIPE : DAEMON_AGAIN;
	}
	if (daemon_flush(d, &why) < 0) {
		if (!op->skip)
			omprog_resend_set(op->resend, head, head_len, overlong);
		return reply(d, op, why) < 0 ? -EPIPE : DAEMON_AGAIN;
	}
	omprog_resend_clear(op->resend);
	if ((r = reply(d, op, NULL)) < 0)
		return r;
	return DAEMON_ITEM;	/* daemon(3) saves after a second of them, looking once per tick */
}

/* The sender's credentials before the line (sender(3)): counted, said
   once per run for each kind that may not be Postfix's. */
static bool judge_sender(struct daemon *d, struct omprog *op, const char *p, size_t n, size_t *ret_prefix,
			 bool *ret_fold_chatter)
{
	struct sender_cred cred = {.has_uid = false};
	size_t pre = sender_prefix(p, n, &cred);
	enum sender_kind k = sender_judge(&op->trust, op->hosts, &cred, p + pre, n - pre);
	bool decide = sender_may_decide(&op->trust, k);

	sender_count(&op->senders, k, &cred, daemon_wall());
	if (k == SENDER_OTHER && !op->warned_other) {
		if (cred.mx)
			daemon_say(d, "a line relayed by mx=%.*s for a host name that is not its own, or that another "
				   "MX's lines use already (give each MX a name of its own): kept as it is, decides "
				   "nothing (said once; authfold status counts them)", (int) cred.mx_len, cred.mx);
		else
			daemon_say(d, "a line from uid %lu, not one of trusted_users: it decides nothing and is kept as "
				   "it is (root's smtpd -v chatter is folded) (said once; authfold status counts them)",
				   (unsigned long) cred.uid);
		op->warned_other = true;
	} else if (k == SENDER_UNCREDITED && !op->warned_uncredited) {
		daemon_say(d, "WARNING: lines without sender credentials (%s): %s. Any local user can forge "
			   "such a line. Fix: in /etc/rsyslog.conf, module(load=\"imuxsock\" SysSock.Annotate=\"on\" "
			   "SysSock.ParseTrusted=\"on\"), and the template of rsyslog.d/authfold.conf (said once; "
			   "authfold status counts them)", pre ? "the template's uid= is empty" : "no uid= before the line",
			   decide ? "uncredited = decide: they decide as Postfix's would" : "uncredited = pass: they decide nothing");
		op->warned_uncredited = true;
	}
	*ret_prefix = pre;
	*ret_fold_chatter = sender_folds_chatter(&cred, k);
	return decide;
}

static void message_start(struct daemon *d, struct omprog *op, const char *p, size_t n, bool complete)
{
	op->line_error = 0;
	op->skip = omprog_resend_match(op->resend, p, n, !complete);
	if (!op->skip) {
		size_t pre;
		bool chatter, decide = judge_sender(d, op, p, n, &pre, &chatter);

		op->line_error = engine_line_from(d->e, p + pre, n - pre, complete, decide, chatter);
	}
}

/* One piece of stdin (omprog(3)'s input: the tick, the drain after SIGTERM). */
static int om_read(struct daemon *d, void *data)
{
	struct omprog *op = data;
	const char *p;
	size_t n;
	enum line_piece piece;
	char err[512];
	int r = omprog_input_next(&op->in, &p, &n, &piece, err, sizeof(err));

	if (r < 0)
		daemon_say(d, "%s", err);
	if (r != OMPROG_PIECE)
		return r;
	switch (piece) {
	case LINE_COMPLETE:
		switch (omprog_mark(p, n)) {
		case OMPROG_BEGIN:
			return reply(d, op, NULL) < 0 ? -EPIPE : DAEMON_AGAIN;
		case OMPROG_COMMIT: {
			const char *why;

			(void) daemon_flush(d, &why);
			return reply(d, op, why) < 0 ? -EPIPE : DAEMON_AGAIN;
		}
		case OMPROG_MESSAGE:
			message_start(d, op, p, n, true);
			return message_done(d, op, p, n, false);
		}
		break;
	case LINE_HEAD:
		memcpy(op->head, p, n);
		op->head_len = n;
		message_start(d, op, p, n, false);
		break;
	case LINE_TAIL:
	case LINE_TAIL_LAST:
		if (!op->skip && op->line_error == 0)
			op->line_error = engine_tail(d->e, p, n, piece == LINE_TAIL_LAST);
		if (piece == LINE_TAIL_LAST)
			return message_done(d, op, op->head, op->head_len, true);
		break;
	}
	return DAEMON_AGAIN;
}

static const struct daemon_ops om_ops = {
	.name = "omprog",
	.prefix = "authfold-omprog: ",
	.tick_ms = OMPROG_TICK_MS,
	.save_usec = SAVE_EVERY_MS * 1000,
	.idle_save_usec = SAVE_EVERY_MS * 1000,
	.settle_quiet_usec = SAVE_EVERY_MS * 1000,	/* a quiet second: no late line is on its way */
	.drains = true,
	.keep_going = true,
	.read = om_read,
	.extras = om_extras,
	.saved = om_saved,
};

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void say(const char *fmt, ...)
{
	va_list ap;

	fputs("authfold-omprog: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
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

/* The options into *ret_conf and op; -1 to go on, else the exit status (said). */
static int parse_args(int argc, char **argv, const char **ret_conf, struct omprog *op)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'}, {"confirm", no_argument, NULL, 'C'},
		{"no-confirm", no_argument, NULL, 'N'}, {"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'}, {NULL, 0, NULL, 0},
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': *ret_conf = optarg; break;
		case 'C': op->confirm = true; break;
		case 'N': op->confirm = false; break;
		case 'h': fputs(usage_text, stdout); return 0;
		case 'V': printf("authfold-omprog %s\n", PACKAGE_VERSION); return 0;
		default: fputs("Try 'authfold-omprog --help'.\n", stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		say("unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	return -1;
}

/* The summary and events outputs into d, and state_dir made; 0, or the exit status (said). */
static int open_outputs(struct daemon *d, const struct omprog *op, const struct config *c)
{
	char err[1024] = "";
	int r;

	if ((r = output_open(c->summary_log, &d->summary)) < 0) {
		say("cannot open summary '%s': %s", c->summary_log, output_strerror(r));
		return 1;
	}
	if (c->events_log && (r = output_open(c->events_log, &d->events)) < 0) {
		say("cannot open events log '%s': %s", c->events_log, output_strerror(r));
		return 1;
	}
	if (mkdir(c->state_dir, 0750) < 0 && errno != EEXIST) {
		say("cannot create state directory '%s': %s", c->state_dir, strerror(errno));
		return 1;
	}
	/* With --confirm, stdout carries the replies: rsyslog kills a
	   program that writes anything else there. */
	if (output_collisions(d->summary, d->events, c->state_dir, op->confirm ? STDOUT_FILENO : -1, err,
			      sizeof(err)) < 0) {
		say("%s", err);
		return EXIT_USAGE;
	}
	return 0;
}

/* The sender table and the paths of its file and of the write-ahead log in op; 0 or -1 (said). */
static int open_paths(struct omprog *op, const struct config *c)
{
	struct sender_counters last;
	bool last_decide;

	if ((op->hosts = sender_hosts_new()) == NULL ||
	    asprintf(&op->senders_path, "%s/%s", c->state_dir, SENDERS_NAME) < 0) {
		op->senders_path = NULL;
		say("out of memory");
		return -1;
	}
	/* Loud at start too: the last run's lines had no credentials
	   (counted afresh from here). */
	if (sender_counters_load(op->senders_path, &last, &last_decide) == 0 && last.uncredited > 0)
		say("WARNING: the last run read %" PRIu64 " lines without sender credentials (%s); any local "
		    "user can forge such a line. Fix: in /etc/rsyslog.conf, module(load=\"imuxsock\" "
		    "SysSock.Annotate=\"on\" SysSock.ParseTrusted=\"on\"), and the template of "
		    "rsyslog.d/authfold.conf", last.uncredited,
		    last_decide ? "uncredited = decide: they decided" : "uncredited = pass: they decided nothing");
	if (asprintf(&op->wal_path, "%s/%s", c->state_dir, WAL_NAME) < 0) {
		op->wal_path = NULL;
		say("out of memory");
		return -1;
	}
	return 0;
}

/* trusted_users into op->trust; 0, or -1 (said). */
static int resolve_trust(struct omprog *op, const struct config *c)
{
	char err[1024] = "";
	int r;

	if ((r = sender_resolve(c->trusted_users, c->n_trusted_users, c->uncredited == UNCREDITED_DECIDE, &op->trust,
				err, sizeof(err))) < 0) {
		say("key 'trusted_users': %s", err);
		return -1;
	}
	if (r > 0)
		say("WARNING: key 'trusted_users': %s: no line with sender credentials can decide%s", err,
		    op->trust.n_uids ? " unless it comes from the other users listed" : "");
	return 0;
}

int main(int argc, char **argv)
{
	struct omprog op = {.confirm = true};
	struct daemon d;
	const char *conf_path = NULL;
	struct config *c = NULL;
	int r, status;

	if ((status = parse_args(argc, argv, &conf_path, &op)) >= 0)
		return status;
	status = 1;
	/* The configuration first: reading it is bounded (a regular file of
	   at most CONFIG_FILE_MAX bytes), and until the handlers are in place
	   SIGTERM and SIGINT end the program at once. */
	if ((c = load_config(conf_path)) == NULL)
		return EXIT_USAGE;
	op.senders.last_other_uid = -1;
	if (resolve_trust(&op, c) < 0) {
		config_free(c);
		return EXIT_USAGE;
	}
	if ((r = daemon_init(&d, &om_ops, &op, c)) < 0) {
		say("cannot set up signals: %s", strerror(-r));
		config_free(c);
		return 1;
	}
	d.m.senders = &op.senders;

	if ((status = open_outputs(&d, &op, c)) != 0)
		goto out;
	status = 1;
	if (open_paths(&op, c) < 0)
		goto out;
	/* the lock, the backend, privileges */
	if (daemon_open(&d, STATE_NAME) < 0)
		goto out;
	if ((r = output_open_mapped(op.wal_path, WAL_WINDOW, &op.wal)) < 0) {
		say("cannot open '%s': %s", op.wal_path, output_strerror(r));
		goto out;
	}

	struct engine_options eo = {.summary = d.summary, .events = d.events, .backend = &d.backend.ops, .wal = op.wal};

	if ((op.resend = omprog_resend_new(ENGINE_LINE_MAX)) == NULL || (op.head = malloc(ENGINE_LINE_MAX)) == NULL ||
	    omprog_input_open(&op.in, STDIN_FILENO, ENGINE_LINE_MAX) < 0) {
		say("out of memory");
		goto out;
	}
	if ((r = daemon_load(&d, &eo)) < 0)
		goto out;
	int loaded = r;

	if (loaded == 0 && (r = wal_replay(&d, &op, d.x.wal_gen)) < 0) {
		say("cannot feed '%s' back: %s", op.wal_path, engine_error(d.e)[0] ? engine_error(d.e) : strerror(-r));
		d.loaded = false;	/* the state stays as it is */
		goto out;
	}
	op.wal_gen = loaded == 0 ? d.x.wal_gen : 0;
	daemon_bans(&d, true);
	if (daemon_checkpoint(&d) < 0)	/* the journal is in the state now: start a new one */
		goto out;
	if (op.confirm && reply(&d, &op, NULL) < 0)
		goto out;
	status = daemon_run(&d) < 0 ? 1 : 0;
out:
	status = daemon_finish(&d, status);
	daemon_close(&d);
	output_free(d.summary);
	output_free(d.events);
	output_free(op.wal);
	free(op.wal_path);
	free(op.senders_path);
	sender_hosts_free(op.hosts);
	omprog_resend_free(op.resend);
	omprog_input_close(&op.in);
	free(op.head);
	config_free(c);
	return status;
}

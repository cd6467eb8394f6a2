/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	authfold 8
 * SUMMARY
 *	fold Postfix smtpd -v logs and ban the clients that probe AUTH
 * SYNOPSIS
 *	authfold replay [-c CONF] [--summary FILE] [--events FILE] [--ban] [--explain] [FILE...]
 *	authfold journal [-c CONF] [--directory DIR] [--once] [--summary FILE] [--events FILE]
 *	authfold --help | --version
 * DESCRIPTION
 *	See authfold(8). This file holds the command line; the work is done
 *	by engine(3).
 * DIAGNOSTICS
 *	Exit status 0 on success, 1 on a runtime failure, 2 on bad usage or
 *	configuration. Every message names the file, line or option at fault.
 */

#include "backend.h"
#include "bans.h"
#include "config.h"
#include "enforce.h"
#include "engine.h"
#include "journal.h"
#include "linereader.h"
#include "metrics.h"
#include "privs.h"
#include "publish.h"
#include "report.h"
#include "state.h"
#include "status.h"
#include "why.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#define EXIT_USAGE 2

static const char usage_text[] =
	"Usage: authfold COMMAND [OPTIONS]\n"
	"\n"
	"Fold Postfix 'smtpd -v' logs into the log a Postfix without -v writes, plus one\n"
	"'warning: NAME[ADDR]: authentication not enabled' per session that tried AUTH\n"
	"while it was not offered, and ban the clients that probe or guess passwords.\n"
	"\n"
	"Commands:\n"
	"  replay [FILE...]     fold the given logs in order ('-' or none: stdin)\n"
	"  journal              fold the systemd journal's mail entries, following it from\n"
	"                       the saved cursor (the service's command)\n"
	"  status               the running bans, the addresses with strikes and the bans\n"
	"                       waiting for the kernel, from the state files and the sets\n"
	"  unban ADDR[/PREFIX]  remove a ban from the kernel and forget the address\n"
	"  why ADDR[/PREFIX]    the address's bans, strikes and their sessions, from the\n"
	"                       events and summary logs (rotated .N and .N.gz too) and\n"
	"                       the state files\n"
	"  why --summary        the report of the summary log's lines of a period\n"
	"  defaults             print a configuration file with every key commented out\n"
	"                       with its built-in default\n"
	"\n"
	"Options of replay:\n"
	"  -c, --config FILE    configuration (default " CONFIG_DEFAULT_PATH ";\n"
	"                       a missing default file means built-in defaults)\n"
	"  -s, --summary FILE   write the summary to FILE (default: stdout)\n"
	"  -e, --events FILE    append strike and ban events (JSON Lines) to FILE\n"
	"                       (default: events_log of the configuration)\n"
	"  -b, --ban            give the bans to the backend of the configuration;\n"
	"                       without it, a dry run: nothing reaches the kernel\n"
	"  -x, --explain        write '# ACTION RULE: ' before every line, and keep the\n"
	"                       folded lines, to see which rule decided what\n"
	"\n"
	"Options of journal:\n"
	"  -c, --config FILE    as for replay\n"
	"  -D, --directory DIR  read the journal files in DIR, not the system journal\n"
	"  -o, --once           stop at the end of the journal instead of following it\n"
	"  -s, --summary FILE   default: summary_log of the configuration\n"
	"  -e, --events FILE    default: events_log of the configuration\n"
	"  Entries matching journal_match are folded; bans go to the configured backend\n"
	"  (backend = none: everything but the kernel call). The cursor, the sessions and\n"
	"  strikes, and the output sizes are saved together in STATE_DIR/journal.state\n"
	"  (journal-directory.state with --directory). Without a usable cursor it starts\n"
	"  at the head with --directory or --once, else at the tail. SIGTERM ends it\n"
	"  cleanly, SIGHUP reopens the outputs.\n"
	"\n"
	"Options of status:\n"
	"  -c, --config FILE    as for replay\n"
	"  -j, --json           one JSON document instead of tables\n"
	"  Reads STATE_DIR/*.state (never changes them) and, with backend = ipset or nft\n"
	"  and CAP_NET_ADMIN, checks each ban in the kernel sets and lists their entries\n"
	"  that no state file knows; it never creates a set or table. Without it, a note\n"
	"  says so.\n"
	"  On an MX running authfold-enforce, the central bans follow (origin, last\n"
	"  arrival, counters; tables only).\n"
	"\n"
	"Options of unban:\n"
	"  -c, --config FILE    as for replay\n"
	"  -w, --wait SECONDS   wait this long for a running daemon to take the request\n"
	"                       (default 10)\n"
	"  A bare IPv4 address means /32, a bare IPv6 address its ipv6_prefix network;\n"
	"  every remembered entry inside or around ADDR/PREFIX is forgotten. With a\n"
	"  daemon running (it holds STATE_DIR/lock) the unban goes through it, as the\n"
	"  request STATE_DIR/unban.d/ADDR-PREFIX; see authfold(8). With publish = syslog\n"
	"  the unban is also published to every MX (authfold-enforce(8)).\n"
	"\n"
	"Options of why:\n"
	"  -c, --config FILE    as for replay\n"
	"  -e, --events FILE    the events log to read (default: events_log)\n"
	"  -l, --summary-log FILE  the summary log to read (default: summary_log)\n"
	"  -j, --json           one JSON document instead of text\n"
	"  Addresses as for unban. Sessions are found by host, tag, pid and time, never\n"
	"  by the address in the text; every file not read (to the end) is named.\n"
	"  -s, --summary        no address: replay's report (hourly table, top offenders)\n"
	"                       of the summary log's lines in a period, folded again\n"
	"  -S, --since WHEN     with --summary: from WHEN (default: today, local midnight)\n"
	"  -U, --until WHEN     with --summary: before WHEN; WHEN is a duration back from\n"
	"                       now (1d, 12h), an RFC 3339 time or YYYY-MM-DD\n"
	"\n"
	"  -h, --help           this text\n"
	"  -V, --version        the version\n"
	"\n"
	"At the end, replay prints a report to stderr: lines, sessions, lines folded away,\n"
	"strikes by reason, and what was (or would be) banned for how long; an hourly\n"
	"table and the top offending addresses and /64s.\n"
	"Exit status: 0 success, 1 runtime failure, 2 bad usage or configuration.\n"
	"See authfold(8) and authfold.conf(5).\n";

static int usage_error(const char *what, const char *arg)
{
	fprintf(stderr, "authfold: %s%s%s%s\nTry 'authfold --help'.\n", what, arg ? " '" : "", arg ? arg : "",
		arg ? "'" : "");
	return EXIT_USAGE;
}

static int64_t wall_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* Loads -c FILE, or the default file when it exists. */
static struct config *load_config(const char *path)
{
	char err[1024];
	struct config *c = config_read(path, err, sizeof(err));

	if (c == NULL)
		fprintf(stderr, "authfold: %s\n", err);
	return c;
}

static void progress(uint64_t lines, uint64_t bytes, uint64_t total, double t0)
{
	double dt = now_seconds() - t0;

	fprintf(stderr, "\rauthfold: %" PRIu64 " lines, %" PRIu64 " MiB", lines, bytes >> 20);
	if (total)
		fprintf(stderr, " of %" PRIu64 " MiB (%d%%)", total >> 20, (int) (100.0 * (double) bytes / (double) total));
	if (dt > 0)
		fprintf(stderr, ", %.0f lines/s ", (double) lines / dt);
}

static int replay_fd(struct engine *e, int fd, const char *name, uint64_t *bytes, bool show_progress,
		     uint64_t total, double t0)
{
	struct linereader *lr = linereader_new(fd, ENGINE_LINE_MAX);
	const char *p;
	size_t n;
	enum line_piece piece;
	int r;
	uint64_t lines = 0;

	if (lr == NULL) {
		fprintf(stderr, "authfold: out of memory\n");
		return -ENOMEM;
	}
	while ((r = linereader_next(lr, &p, &n, &piece)) > 0) {
		if (piece == LINE_COMPLETE || piece == LINE_HEAD) {
			r = engine_line(e, p, n, piece == LINE_COMPLETE);
			if (++lines % 1000000 == 0 && show_progress)
				progress(fold_counters(engine_fold(e))->lines, *bytes + linereader_bytes(lr), total, t0);
		} else {
			r = engine_tail(e, p, n, piece == LINE_TAIL_LAST);
		}
		if (r < 0) {
			fprintf(stderr, "authfold: %s: line %" PRIu64 ": %s\n", name, lines,
				engine_error(e)[0] ? engine_error(e) : strerror(-r));
			break;
		}
	}
	if (r < 0 && lines == 0 && !engine_error(e)[0])
		fprintf(stderr, "authfold: cannot read '%s': %s\n", name, strerror(-r));
	*bytes += linereader_bytes(lr);
	linereader_free(lr);
	return r < 0 ? r : 0;
}

static int cmd_replay(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'}, {"summary", required_argument, NULL, 's'},
		{"events", required_argument, NULL, 'e'}, {"ban", no_argument, NULL, 'b'},
		{"explain", no_argument, NULL, 'x'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
	};
	const char *conf_path = NULL, *summary_path = "-", *events_path = NULL;
	bool ban = false, explain = false;
	int opt, status = 0;

	while ((opt = getopt_long(argc, argv, "c:s:e:bxh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': conf_path = optarg; break;
		case 's': summary_path = optarg; break;
		case 'e': events_path = optarg; break;
		case 'b': ban = true; break;
		case 'x': explain = true; break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: return usage_error("bad option for replay", NULL);
		}
	}

	struct config *c = load_config(conf_path);

	if (c == NULL)
		return EXIT_USAGE;
	if (events_path == NULL)
		events_path = c->events_log;

	struct output *summary = NULL, *events = NULL;
	struct report_tally *tally = NULL;
	struct engine *e = NULL;
	struct backend backend = {0};
	char err[512];
	int r;

	if ((r = output_open(summary_path, &summary)) < 0) {
		fprintf(stderr, "authfold: cannot open summary '%s': %s\n", summary_path, output_strerror(r));
		status = 1;
		goto out;
	}
	if (events_path && (r = output_open(events_path, &events)) < 0) {
		fprintf(stderr, "authfold: cannot open events log '%s': %s\n", events_path, output_strerror(r));
		status = 1;
		goto out;
	}
	/* replay keeps no state: only the two outputs must differ */
	if (output_collisions(summary, events, NULL, -1, err, sizeof(err)) < 0) {
		fprintf(stderr, "authfold: replay: %s\n", err);
		status = EXIT_USAGE;
		goto out;
	}
	if (ban && (r = backend_open(c, &backend, err, sizeof(err))) < 0) {
		fprintf(stderr, "authfold: backend %s: %s\n", backend_kind_name(c->backend), err);
		status = 1;
		goto out;
	}
	if (backend.warning[0])
		fprintf(stderr, "authfold: %s\n", backend.warning);

	struct engine_options eo = {.summary = summary, .events = events, .backend = ban ? &backend.ops : NULL,
				    .explain = explain, .tally = tally = report_tally_new()};

	if (tally == NULL || (e = engine_new(c, &eo)) == NULL) {
		fprintf(stderr, "authfold: out of memory\n");
		status = 1;
		goto out;
	}

	uint64_t bytes = 0, total = 0;
	double t0 = now_seconds();
	bool tty = isatty(STDERR_FILENO);
	int nfiles = argc - optind;

	for (int i = optind; i < argc; i++) {
		struct stat st;

		if (strcmp(argv[i], "-") != 0 && stat(argv[i], &st) == 0)
			total += (uint64_t) st.st_size;
	}
	for (int i = 0; i < (nfiles ? nfiles : 1) && status == 0; i++) {
		const char *name = nfiles ? argv[optind + i] : "-";
		int fd = strcmp(name, "-") == 0 ? STDIN_FILENO : open(name, O_RDONLY | O_CLOEXEC);

		if (fd < 0) {
			fprintf(stderr, "authfold: cannot open '%s': %s\n", name, strerror(errno));
			status = 1;
			break;
		}
		if (replay_fd(e, fd, name, &bytes, tty, total, t0) < 0)
			status = 1;
		if (fd != STDIN_FILENO)
			close(fd);
	}
	if (tty && fold_counters(engine_fold(e))->lines >= 1000000)
		fputc('\n', stderr);
	if ((r = engine_settle(e)) < 0 || (r = engine_flush(e)) < 0) {
		fprintf(stderr, "authfold: %s\n", engine_error(e));
		status = 1;
	}
	/* A last try for the bans the backend refused, while it takes some. */
	while (engine_pending_bans(e) > 0 && engine_retry_bans(e, true) > 0)
		;
	if (engine_pending_bans(e) > 0) {
		struct engine_ban_state bs;

		engine_ban_state(e, &bs);
		fprintf(stderr, "authfold: %zu ban%s not given to the kernel: %s\n", bs.waiting,
			bs.waiting == 1 ? "" : "s", bs.error);
		status = 1;
	}
	report_write(stderr, e, c, !ban, bytes, now_seconds() - t0);
	report_tables(stderr, tally);
out:
	report_tally_free(tally);
	engine_free(e);
	backend_close(&backend);
	output_free(summary);
	output_free(events);
	config_free(c);
	return status;
}

/* --- authfold journal ------------------------------------------ */

#define JR_CHECKPOINT_USEC	1000000	/* and at most this long */
#define JR_IDLE_CHECKPOINT_USEC	250000	/* at the end of the journal, at most this often */
#define JR_PROCESS_ENTRIES	1024	/* sd_journal_process() during a catch-up */

struct jr {
	const struct config *c;
	const char *summary_path, *events_path;
	char state_path[4096];
	struct engine *e;
	struct journal *j;
	struct output *summary, *events;
	struct state_extra x;
	int sfd;			/* signalfd: TERM, INT, HUP */
	bool stop;
	uint64_t dirty;			/* entries since the last checkpoint */
	uint64_t last_checkpoint, wd_usec, last_watchdog;
	uint64_t last_bans;		/* jr_now() of the last idle jr_bans() */
	struct engine_ban_seen ban_seen;	/* refused bans: what was logged */
	struct backend *backend;
	int lock_fd;			/* bans_lock(): one daemon per state_dir */
	struct metrics_source m;	/* metrics_file */
	struct publish *publish;	/* publish = syslog; NULL: none */
	bool publish_failing;
};

static int64_t jr_wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void jr_metrics(struct jr *s, bool force)
{
	if (metrics_tick(&s->m, s->e, s->c, jr_wall(), force) < 0)
		fprintf(stderr, "authfold: journal: %s\n", s->m.error);
}

/* Unban requests (authfold unban), and at start the bans a reboot lost. */
static void jr_bans(struct jr *s, bool start)
{
	char msg[1024];

	int r = bans_daemon_step(s->e, s->backend, s->c->state_dir, start, msg, sizeof(msg));

	if (r > 0) {
		s->dirty++;	/* saved at the next checkpoint */
		s->m.unbans += (unsigned) r;
	}
	if (msg[0])
		fprintf(stderr, "authfold: journal: %s\n", msg);
	if (s->publish) {	/* decisions rsyslog could not take yet; the keep-alive */
		if (publish_tick(s->publish, (int64_t) time(NULL), msg, sizeof(msg)) < 0) {
			if (!s->publish_failing)
				fprintf(stderr, "authfold: journal: %s; %zu waiting\n", msg, publish_pending(s->publish));
			s->publish_failing = true;
		} else if (s->publish_failing) {
			fprintf(stderr, "authfold: journal: decisions published again\n");
			s->publish_failing = false;
		}
	}
}

static uint64_t jr_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

/* Size of an output file after a flush, synced to disk, in *ret_size:
   -1 (unknown: a restart cuts nothing back) for stdout or when the path
   cannot be opened (renamed by logrotate before the SIGHUP). 0, or -errno
   when the data cannot be synced: then the size must not be saved. */
static int jr_synced_size(const char *path, int64_t *ret_size)
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

static void jr_status(struct jr *s, const char *what)
{
	const struct journal_counters *jc = journal_counters(s->j);
	const struct fold_counters *f = fold_counters(engine_fold(s->e));
	const struct policy_counters *p = policy_counters(engine_policy(s->e));

	char waiting[64] = "";

	if (engine_pending_bans(s->e) > 0)
		snprintf(waiting, sizeof(waiting), " (%zu waiting for the kernel)", engine_pending_bans(s->e));
	sd_notifyf(0, "STATUS=%s: %" PRIu64 " entries (%" PRIu64 " untrusted, %" PRIu64 " cut), %" PRIu64
		   " kept, %" PRIu64 " folded away, %" PRIu64 " strikes, %" PRIu64 " bans%s", what, jc->entries,
		   jc->untrusted, jc->truncated, f->kept, f->dropped, f->strikes[REASON_NOAUTH] + f->strikes[REASON_SASLFAIL],
		   p->bans, waiting);
}

/* Refused bans: each new cause once, and the end of the wait. */
static void jr_ban_news(struct jr *s)
{
	char msg[900];

	if (engine_ban_news(s->e, &s->ban_seen, msg, sizeof(msg)))
		fprintf(stderr, "authfold: journal: %s\n", msg);
}

/* Writes the outputs and retries waiting bans; <0 when an output fails
   (a refused ban waits in the engine and never fails this). */
static int jr_flush(struct jr *s)
{
	int r;

	if ((r = engine_flush(s->e)) < 0) {
		fprintf(stderr, "authfold: journal: %s\n", engine_error(s->e));
		return r;
	}
	jr_ban_news(s);
	return 0;
}

/* Flush, then save {cursor, engine state, output sizes} in one file. */
static int jr_checkpoint(struct jr *s)
{
	char err[1024];
	int r;

	if ((r = jr_flush(s)) < 0)
		return r;
	r = journal_cursor(s->j, s->x.cursor, sizeof(s->x.cursor));
	if (r < 0 && r != -ENODATA) {
		fprintf(stderr, "authfold: journal: cannot read the cursor: %s\n", strerror(-r));
		return r;
	}
	jr_bans(s, false);
	/* The sizes are what a restart cuts back to: only sizes on disk. */
	if ((r = jr_synced_size(s->summary_path, &s->x.summary_size)) < 0 ||
	    (r = jr_synced_size(s->events_path, &s->x.events_size)) < 0) {
		fprintf(stderr, "authfold: journal: cannot sync the outputs to disk: %s\n", strerror(-r));
		return r;
	}
	if ((r = state_save(s->e, s->state_path, &s->x, err, sizeof(err))) < 0) {
		fprintf(stderr, "authfold: journal: %s\n", err);
		return r;
	}
	s->dirty = 0;
	s->last_checkpoint = jr_now();
	s->m.checkpoint_usec = jr_wall();
	jr_metrics(s, false);
	return 0;
}

/* Cut an output file back to its size at the last checkpoint. */
static int jr_cut_back(struct output *o, int64_t saved, const char *what)
{
	int64_t cut;

	/* through the descriptor output_open() checked, never by name again */
	if (o == NULL || saved < 0 || (cut = output_cut(o, saved)) == 0)
		return 0;
	if (cut < 0) {
		fprintf(stderr, "authfold: journal: cannot cut %s '%s' back to %" PRId64 " bytes: %s\n", what,
			output_path(o), saved, strerror((int) -cut));
		return (int) cut;
	}
	fprintf(stderr, "authfold: journal: %s '%s': %" PRId64 " bytes after the last checkpoint removed; "
		"they are written again\n", what, output_path(o), cut);
	return 0;
}

static void jr_watchdog(struct jr *s, uint64_t now)
{
	if (s->wd_usec && now - s->last_watchdog >= s->wd_usec / 2) {
		sd_notify(0, "WATCHDOG=1");
		s->last_watchdog = now;
	}
}

/* Reads pending signals; returns <0 on a fatal error. */
static int jr_signals(struct jr *s)
{
	struct signalfd_siginfo si;

	while (read(s->sfd, &si, sizeof(si)) == (ssize_t) sizeof(si)) {
		if (si.ssi_signo != SIGHUP) {
			s->stop = true;
			continue;
		}
		/* logrotate: everything up to here goes to the old files */
		int r = jr_checkpoint(s);

		if (r < 0)
			return r;
		if ((r = output_reopen(s->summary)) < 0 || (s->events && (r = output_reopen(s->events)) < 0)) {
			fprintf(stderr, "authfold: journal: cannot reopen the outputs: %s\n", strerror(-r));
			return r;
		}
		if ((r = jr_checkpoint(s)) < 0)
			return r;
	}
	return 0;
}

static int jr_wait(struct jr *s, bool *ret_woke)
{
	struct pollfd p[2] = {{.fd = s->sfd, .events = POLLIN}, {.fd = -1}};
	uint64_t timeout = UINT64_MAX, now = jr_now(), until = now + JR_CHECKPOINT_USEC;
	int r;

	if ((r = journal_poll_params(s->j, &p[1].fd, &p[1].events, &timeout)) < 0)
		return r;
	/* journald tells readers of new entries through inotify only on a
	   coalescing timer (250 ms, fired up to 250 ms late): look on our own
	   this often, the entries are in the mapped files already. */
	if (s->c->journal_poll_ms && now + s->c->journal_poll_ms * UINT64_C(1000) < until)
		until = now + s->c->journal_poll_ms * UINT64_C(1000);
	if (timeout < until)
		until = timeout;
	if (s->dirty && s->last_checkpoint + JR_IDLE_CHECKPOINT_USEC < until)
		until = s->last_checkpoint + JR_IDLE_CHECKPOINT_USEC;
	if (s->wd_usec && s->last_watchdog + s->wd_usec / 2 < until)
		until = s->last_watchdog + s->wd_usec / 2;
	r = poll(p, 2, until <= now ? 0 : (int) ((until - now + 999) / 1000));
	if (r < 0 && errno != EINTR)
		return -errno;
	*ret_woke = r > 0;
	return 0;
}

static int cmd_journal(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'}, {"directory", required_argument, NULL, 'D'},
		{"once", no_argument, NULL, 'o'}, {"summary", required_argument, NULL, 's'},
		{"events", required_argument, NULL, 'e'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
	};
	const char *conf_path = NULL, *directory = NULL;
	struct jr s = {.sfd = -1, .lock_fd = -1, .m = {.daemon = "journal"}};
	bool once = false;
	int opt, r, status = 1;

	s.summary_path = s.events_path = NULL;
	while ((opt = getopt_long(argc, argv, "c:D:os:e:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': conf_path = optarg; break;
		case 'D': directory = optarg; break;
		case 'o': once = true; break;
		case 's': s.summary_path = optarg; break;
		case 'e': s.events_path = optarg; break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: return usage_error("bad option for journal", NULL);
		}
	}
	if (optind < argc)
		return usage_error("journal takes no arguments, not", argv[optind]);

	struct config *c = load_config(conf_path);
	struct backend backend = {0};
	char err[1024];

	if (c == NULL)
		return EXIT_USAGE;
	s.c = c;
	if (s.summary_path == NULL)
		s.summary_path = c->summary_log;
	if (s.events_path == NULL)
		s.events_path = c->events_log;
	if (snprintf(s.state_path, sizeof(s.state_path), "%s/%s", c->state_dir,
		     directory ? "journal-directory.state" : "journal.state") >= (int) sizeof(s.state_path)) {
		fprintf(stderr, "authfold: state_dir '%s' is too long\n", c->state_dir);
		goto out;
	}

	/* Bans: the kernel's ipsets or authfold's nft table, or (backend =
	   none) everything but the kernel call. With a kernel backend, keep
	   CAP_NET_ADMIN only, at once. */
	if ((r = backend_open(c, &backend, err, sizeof(err))) < 0) {
		fprintf(stderr, "authfold: journal: backend %s: %s\n", backend_kind_name(c->backend), err);
		goto out;
	}
	if (backend.warning[0])
		fprintf(stderr, "authfold: journal: %s\n", backend.warning);
	if (c->backend != BACKEND_NONE && (r = privs_keep_net_admin(err, sizeof(err))) < 0) {
		fprintf(stderr, "authfold: journal: %s\n", err);
		goto out;
	}
	s.backend = &backend;
	if (mkdir(c->state_dir, 0750) < 0 && errno != EEXIST) {
		fprintf(stderr, "authfold: journal: cannot create state_dir '%s': %s\n", c->state_dir, strerror(errno));
		goto out;
	}
	if ((r = state_dir_check(c->state_dir, true, err, sizeof(err))) < 0) {
		fprintf(stderr, "authfold: journal: %s\n", err);
		goto out;
	}
	if ((r = bans_lock(c->state_dir, &s.lock_fd)) < 0) {
		fprintf(stderr, "authfold: journal: state_dir '%s' is in use by another authfold (%s)\n", c->state_dir,
			strerror(-r));
		goto out;
	}

	/* SIGTERM/SIGINT end cleanly, SIGHUP reopens the outputs. */
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0 || (s.sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) < 0) {
		fprintf(stderr, "authfold: journal: signalfd: %s\n", strerror(errno));
		goto out;
	}

	if ((r = output_open(s.summary_path, &s.summary)) < 0) {
		fprintf(stderr, "authfold: cannot open summary '%s': %s\n", s.summary_path, output_strerror(r));
		goto out;
	}
	if (s.events_path && (r = output_open(s.events_path, &s.events)) < 0) {
		fprintf(stderr, "authfold: cannot open events log '%s': %s\n", s.events_path, output_strerror(r));
		goto out;
	}
	if (output_collisions(s.summary, s.events, c->state_dir, -1, err, sizeof(err)) < 0) {
		fprintf(stderr, "authfold: journal: %s\n", err);
		status = EXIT_USAGE;
		goto out;
	}

	if ((r = publish_new(c, &s.publish)) < 0) {
		fprintf(stderr, "authfold: journal: publish = syslog: %s\n",
			r == -EINVAL ? "the host name is not usable as by=; set publish_host" : strerror(-r));
		goto out;
	}

	struct engine_options eo = {.summary = s.summary, .events = s.events, .backend = &backend.ops,
				    .on_ban = s.publish ? publish_on_ban : NULL, .on_ban_data = s.publish};

	if ((s.e = engine_new(c, &eo)) == NULL) {
		fprintf(stderr, "authfold: out of memory\n");
		goto out;
	}
	s.x.summary_size = s.x.events_size = -1;
	struct state_fault fault;

	r = state_load(s.e, c, wall_usec(), s.state_path, &s.x, &fault);
	state_describe(s.state_path, r, &fault, err, sizeof(err));
	if (r < 0 && r != -ENOENT && r != -EBADMSG) {
		fprintf(stderr, "authfold: journal: %s; refused\n", err);
		goto out;
	}
	if (r == -EBADMSG) {
		char aside[4200];

		if (state_set_aside(s.state_path, aside, sizeof(aside)) < 0) {
			fprintf(stderr, "authfold: journal: %s; cannot set it aside as '%s': %s\n", err, aside,
				strerror(errno));
			goto out;
		}
		fprintf(stderr, "authfold: journal: %s; set aside as '%s', starting without state\n", err, aside);
		engine_free(s.e);
		memset(&s.x, 0, sizeof(s.x));
		s.x.summary_size = s.x.events_size = -1;
		if ((s.e = engine_new(c, &eo)) == NULL) {
			fprintf(stderr, "authfold: out of memory\n");
			goto out;
		}
	}
	jr_bans(&s, true);
	/* Lines written after the last checkpoint are written again below. */
	if (jr_cut_back(s.summary, s.x.summary_size, "summary") < 0 ||
	    jr_cut_back(s.events, s.x.events_size, "events log") < 0)
		goto out;

	if ((r = journal_open(directory, c->journal_match, c->journal_trusted_comm, c->n_journal_trusted_comm, &s.j,
			      err, sizeof(err))) < 0) {
		fprintf(stderr, "authfold: %s\n", err);
		goto out;
	}

	/* No usable cursor: a directory or a single pass reads everything; following
	   the system journal starts at its tail (the history is not ours to fold). */
	enum journal_start start = directory || once ? JOURNAL_START_HEAD : JOURNAL_START_TAIL;
	enum journal_position pos;

	if ((r = journal_seek(s.j, s.x.cursor, start, &pos)) < 0) {
		fprintf(stderr, "authfold: journal: cannot seek: %s\n", strerror(-r));
		goto out;
	}
	if (pos == JOURNAL_CURSOR_BAD || pos == JOURNAL_CURSOR_BEYOND)
		s.x.cursor[0] = 0;	/* the start or the tail entry from now on */
	if (pos == JOURNAL_CURSOR_BAD)
		fprintf(stderr, "authfold: journal: warning: the cursor saved in '%s' is not usable; starting at the %s\n",
			s.state_path, start == JOURNAL_START_HEAD ? "head" : "tail");
	else if (pos == JOURNAL_RESUMED_VACUUMED)
		fprintf(stderr, "authfold: journal: warning: the entry of the saved cursor was vacuumed; "
			"going on with the next one\n");
	else if (pos == JOURNAL_CURSOR_BEYOND)
		fprintf(stderr, "authfold: journal: warning: nothing at or after the saved cursor; starting at the tail\n");

	if (sd_watchdog_enabled(0, &s.wd_usec) <= 0)
		s.wd_usec = 0;
	/* A first checkpoint, so that a kill before the next one finds the
	   outputs' sizes and the starting point (the tail entry, or none: the
	   head) and cuts back what it wrote. */
	if (jr_checkpoint(&s) < 0)
		goto out;
	s.last_watchdog = jr_now();
	sd_notify(0, "READY=1");
	jr_status(&s, "reading");

	double t0 = now_seconds();
	uint64_t n = 0, status_n = UINT64_MAX;

	while (!s.stop) {
		struct record rec;

		r = journal_next(s.j, &rec);
		if (r < 0) {
			fprintf(stderr, "authfold: journal: cannot read the next entry: %s\n", strerror(-r));
			break;
		}
		if (r > 0) {
			if ((r = engine_record(s.e, &rec)) < 0) {
				/* An output failed (a refused ban never fails a record):
				   stop, the last checkpoint stands. */
				fprintf(stderr, "authfold: journal: %s\n", engine_error(s.e)[0] ? engine_error(s.e) : strerror(-r));
				break;
			}
			s.dirty++;
			s.m.last_line_usec = jr_wall();
			bool due = s.dirty >= c->journal_checkpoint_entries;

			if (++n % 256 != 0 && !due)
				continue;
			uint64_t now = jr_now();

			jr_watchdog(&s, now);
			if (due || now - s.last_checkpoint >= JR_CHECKPOINT_USEC) {
				if (jr_checkpoint(&s) < 0)
					break;
				jr_status(&s, "reading");
			}
			if (n % JR_PROCESS_ENTRIES == 0 && (r = journal_process(s.j)) < 0) {
				fprintf(stderr, "authfold: journal: %s\n", strerror(-r));
				break;
			}
			if (jr_signals(&s) < 0)
				break;
			continue;
		}
		/* The end of the journal, for now: the outputs are written at once,
		   a checkpoint (fsyncs, state) taken at most every 250 ms. The
		   journal is read in time order: what the fold defers is settled. */
		if (s.dirty && engine_settle(s.e) < 0) {
			fprintf(stderr, "authfold: journal: %s\n", engine_error(s.e));
			break;
		}
		if (s.dirty && (jr_now() - s.last_checkpoint >= JR_IDLE_CHECKPOINT_USEC || once ?
				jr_checkpoint(&s) : jr_flush(&s)) < 0)
			break;
		if (once) {
			status = 0;
			break;
		}
		if (n != status_n) {	/* not every journal_poll_ms */
			jr_status(&s, "following");
			status_n = n;
		}
		bool woke = false;

		if ((r = jr_wait(&s, &woke)) < 0) {
			fprintf(stderr, "authfold: journal: poll: %s\n", strerror(-r));
			break;
		}
		uint64_t now = jr_now();

		jr_watchdog(&s, now);
		jr_metrics(&s, false);
		if (!woke && now - s.last_bans >= JR_CHECKPOINT_USEC) {
			size_t waiting = engine_pending_bans(s.e);

			jr_bans(&s, false);	/* a quiet journal still takes unban requests */
			(void) engine_retry_bans(s.e, false);	/* and retries refused bans */
			if (engine_pending_bans(s.e) != waiting)
				s.dirty++;	/* saved at the next checkpoint */
			jr_ban_news(&s);
			s.last_bans = now;
		}
		if (jr_signals(&s) < 0)
			break;
		if ((r = journal_process(s.j)) < 0) {
			fprintf(stderr, "authfold: journal: %s\n", strerror(-r));
			break;
		}
	}
	if (s.stop) {
		sd_notify(0, "STOPPING=1");
		status = 0;
	}
	/* Save what was done; after a failed write the last checkpoint stands. */
	if (status == 0 && jr_checkpoint(&s) < 0)
		status = 1;
	jr_metrics(&s, true);
	if (once)
		report_write(stderr, s.e, c, false, 0, now_seconds() - t0);
	else
		fprintf(stderr, "authfold: journal: %s after %" PRIu64 " entries\n", status ? "failed" : "stopped", n);
out:
	publish_free(s.publish);
	journal_free(s.j);
	engine_free(s.e);
	output_free(s.summary);
	output_free(s.events);
	backend_close(&backend);
	bans_unlock(s.lock_fd);
	if (s.sfd >= 0)
		close(s.sfd);
	config_free(c);
	return status;
}

/* --- end authfold journal ------------------------------------------------ */

/* --- authfold status and unban ---------------------------------- */

static int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'}, {"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
	};
	const char *conf_path = NULL;
	struct status_options so = {false, true, 0};
	struct timespec ts;
	int opt, r;

	while ((opt = getopt_long(argc, argv, "c:jh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': conf_path = optarg; break;
		case 'j': so.json = true; break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: return usage_error("bad option for status", NULL);
		}
	}
	if (optind < argc)
		return usage_error("status takes no arguments, not", argv[optind]);

	struct config *c = load_config(conf_path);

	if (c == NULL)
		return EXIT_USAGE;
	clock_gettime(CLOCK_REALTIME, &ts);
	so.now_usec = (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	if ((r = status_write(stdout, c, &so)) < 0)
		fprintf(stderr, "authfold: status: %s\n", strerror(-r));
	else if (!so.json && (r = enforce_status_write(stdout, c, so.now_usec / 1000000)) < 0)
		fprintf(stderr, "authfold: status: central decisions: %s\n", strerror(-r));
	config_free(c);
	return r < 0 ? 1 : 0;
}

static int cmd_unban(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'}, {"wait", required_argument, NULL, 'w'},
		{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
	};
	const char *conf_path = NULL;
	long wait_s = 10;
	char *end;
	int opt, r, status = 1, lock = -1;

	while ((opt = getopt_long(argc, argv, "c:w:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': conf_path = optarg; break;
		case 'w':
			errno = 0;
			wait_s = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || wait_s < 0 || wait_s > 3600)
				return usage_error("--wait takes 0 to 3600 seconds, not", optarg);
			break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: return usage_error("bad option for unban", NULL);
		}
	}
	if (argc - optind != 1)
		return usage_error("unban takes one ADDR[/PREFIX]", NULL);

	struct config *c = load_config(conf_path);
	struct backend backend = {0};
	struct cidr t;
	char err[1024], name[ADDR_STRLEN + 8], req[4200];
	unsigned forgotten = 0, files = 0;

	if (c == NULL)
		return EXIT_USAGE;
	if (bans_parse_target(c, argv[optind], &t, err, sizeof(err)) < 0) {
		config_free(c);
		return usage_error(err, NULL);
	}
	bans_target_name(&t, name);
	*strrchr(name, '-') = '/';	/* shown as ADDR/PREFIX */
	/* The kernel at once, whoever holds the history. */
	if ((r = backend_open(c, &backend, err, sizeof(err))) < 0) {
		fprintf(stderr, "authfold: unban: backend %s: %s\n", backend_kind_name(c->backend), err);
		goto out;
	}
	struct bans_swept sw;
	char kmsg[256];

	if ((r = bans_kernel_unban(&backend, &t, &sw, err, sizeof(err))) < 0) {
		fprintf(stderr, "authfold: unban %s: %s; %u kernel entr%s removed, %u not\n", name, err, sw.removed,
			sw.removed == 1 ? "y" : "ies", sw.failed);
		goto out;
	}
	if (c->backend != BACKEND_IPSET)
		snprintf(kmsg, sizeof(kmsg), "backend = none, no kernel set");
	else if (sw.unlisted)
		snprintf(kmsg, sizeof(kmsg), "the kernel set could not be listed: %s", sw.removed ?
			 "only the entry of that name was removed" : "no entry of that name was in it, others inside "
			 "the prefix may remain");
	else
		snprintf(kmsg, sizeof(kmsg), "%u kernel entr%s removed", sw.removed, sw.removed == 1 ? "y" : "ies");
	r = bans_trylock(c->state_dir, &lock);
	if (r == 0 || r == -ENOENT) {	/* no daemon runs: the unban event is ours to write */
		char by[160];

		bans_whoami(by, sizeof(by));
		if (bans_log_unban(c, &t, by, err, sizeof(err)) < 0)
			fprintf(stderr, "authfold: unban: %s\n", err);
	}
	if (r == -ENOENT) {		/* no state_dir: no history */
		fprintf(stderr, "authfold: unban %s: %s; no state_dir '%s'\n", name, kmsg, c->state_dir);
		status = 0;
	} else if (r == 0) {		/* no daemon runs: edit the state files ourselves */
		if ((r = bans_unban_all(c, &backend, &t, &forgotten, &files, err, sizeof(err))) < 0)
			fprintf(stderr, "authfold: unban: %s\n", err);
		else
			fprintf(stderr, "authfold: unban %s: %s; %u entr%s forgotten in %u state file%s\n",
				name, kmsg, forgotten, forgotten == 1 ? "y" : "ies", files, files == 1 ? "" : "s");
		status = r < 0 ? 1 : 0;
	} else if (r == -EWOULDBLOCK) {	/* a daemon runs: through it */
		if ((r = bans_request_unban(c->state_dir, &t, req, sizeof(req), err, sizeof(err))) < 0) {
			fprintf(stderr, "authfold: unban: %s\n", err);
			goto out;
		}
		for (long i = 0; i < wait_s * 100 && access(req, F_OK) == 0; i++)
			usleep(10000);
		if (access(req, F_OK) == 0)
			fprintf(stderr, "authfold: unban %s: the running daemon has not taken '%s' yet; it will at its "
				"next checkpoint or start (%s)\n", name, req, kmsg);
		else
			fprintf(stderr, "authfold: unban %s: %s; done by the running daemon\n", name, kmsg);
		status = 0;
	} else {
		fprintf(stderr, "authfold: unban: cannot lock '%s/%s': %s\n", c->state_dir, BANS_LOCK_FILE, strerror(-r));
	}
	if (status == 0 && c->publish != PUBLISH_NONE) {	/* every MX, through rsyslog */
		struct publish *p = NULL;

		snprintf(err, sizeof(err), "out of memory");
		if ((r = publish_new(c, &p)) < 0 || (r = publish_unban(p, &t, (int64_t) time(NULL), err, sizeof(err))) < 0) {
			fprintf(stderr, "authfold: unban %s: not published: %s\n", name,
				r == -EINVAL ? "the host name is not usable as by=; set publish_host" : err);
			status = 1;
		} else {
			fprintf(stderr, "authfold: unban %s: published: %s\n", name, publish_last(p));
		}
		publish_free(p);
	}
out:
	bans_unlock(lock);
	backend_close(&backend);
	config_free(c);
	return status;
}

/* --- end authfold status and unban --------------------------------------- */

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage_error("missing command", NULL);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("authfold %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "replay") == 0)
		return cmd_replay(argc - 1, argv + 1);
	if (strcmp(argv[1], "journal") == 0)
		return cmd_journal(argc - 1, argv + 1);
	if (strcmp(argv[1], "status") == 0)
		return cmd_status(argc - 1, argv + 1);
	if (strcmp(argv[1], "unban") == 0)
		return cmd_unban(argc - 1, argv + 1);
	if (strcmp(argv[1], "why") == 0) {
		int r = why_main(argc - 1, argv + 1);

		return r == 3 ? fputs(usage_text, stdout) < 0 : r;
	}
	if (strcmp(argv[1], "defaults") == 0) {
		if (argc > 2)
			return usage_error("defaults takes no arguments, not", argv[2]);
		config_print_defaults(stdout);
		return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
	}
	return usage_error("unknown command", argv[1]);
}

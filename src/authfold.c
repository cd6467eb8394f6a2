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
 *	See authfold(8). This file holds the command line and dispatches:
 *	replay to engine(3), journal to journal_daemon(3) over daemon(3),
 *	status to status(3), unban to bans(3), why to why(3).
 * DIAGNOSTICS
 *	Exit status 0 on success, 1 on a runtime failure, 2 on bad usage or
 *	configuration. Every message names the file, line or option at fault.
 */

#include "backend.h"
#include "bans.h"
#include "config.h"
#include "engine.h"
#include "journal_daemon.h"
#include "linereader.h"
#include "report.h"
#include "status.h"
#include "why.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
	"\n"
	"Options of unban:\n"
	"  -c, --config FILE    as for replay\n"
	"  -w, --wait SECONDS   wait this long for a running daemon to take the request\n"
	"                       (default 10)\n"
	"  A bare IPv4 address means /32, a bare IPv6 address its ipv6_prefix network;\n"
	"  every remembered entry inside or around ADDR/PREFIX is forgotten. With a\n"
	"  daemon running (it holds STATE_DIR/lock) the unban goes through it, as the\n"
	"  request STATE_DIR/unban.d/ADDR-PREFIX; see authfold(8).\n"
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

/* --- authfold journal: journal_daemon(3) ------------------------------ */

static int cmd_journal(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'}, {"directory", required_argument, NULL, 'D'},
		{"once", no_argument, NULL, 'o'}, {"summary", required_argument, NULL, 's'},
		{"events", required_argument, NULL, 'e'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
	};
	struct journal_daemon_options o = {0};
	const char *conf_path = NULL;
	int opt;

	while ((opt = getopt_long(argc, argv, "c:D:os:e:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': conf_path = optarg; break;
		case 'D': o.directory = optarg; break;
		case 'o': o.once = true; break;
		case 's': o.summary_path = optarg; break;
		case 'e': o.events_path = optarg; break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: return usage_error("bad option for journal", NULL);
		}
	}
	if (optind < argc)
		return usage_error("journal takes no arguments, not", argv[optind]);

	struct config *c = load_config(conf_path);

	if (c == NULL)
		return EXIT_USAGE;

	int status = journal_daemon_main(c, &o);

	config_free(c);
	return status;
}


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

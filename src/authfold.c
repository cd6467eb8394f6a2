/*
 * NAME
 *	authfold 8
 * SUMMARY
 *	fold Postfix smtpd -v logs and ban the clients that probe AUTH
 * SYNOPSIS
 *	authfold replay [-c CONF] [--summary FILE] [--events FILE] [--ban] [--explain] [FILE...]
 *	authfold --help | --version
 * DESCRIPTION
 *	See authfold(8). This file holds the command line; the work is done
 *	by engine(3).
 * DIAGNOSTICS
 *	Exit status 0 on success, 1 on a runtime failure, 2 on bad usage or
 *	configuration. Every message names the file, line or option at fault.
 */

#include "backend.h"
#include "config.h"
#include "engine.h"
#include "linereader.h"
#include "report.h"

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
	"  -h, --help           this text\n"
	"  -V, --version        the version\n"
	"\n"
	"At the end, replay prints a report to stderr: lines, sessions, lines folded away,\n"
	"strikes by reason, and what was (or would be) banned for how long.\n"
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
	struct config *c = config_new();
	char err[1024];
	int r;

	if (c == NULL) {
		fprintf(stderr, "authfold: out of memory\n");
		return NULL;
	}
	r = config_load(c, path ? path : CONFIG_DEFAULT_PATH, err, sizeof(err));
	if (r == -ENOENT && path == NULL)
		return c;
	if (r < 0) {
		fprintf(stderr, "authfold: %s\n", err);
		config_free(c);
		return NULL;
	}
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
	struct engine *e = NULL;
	struct backend backend = {0};
	char err[512];
	int r;

	if ((r = output_open(summary_path, &summary)) < 0) {
		fprintf(stderr, "authfold: cannot open summary '%s': %s\n", summary_path, strerror(-r));
		status = 1;
		goto out;
	}
	if (events_path && (r = output_open(events_path, &events)) < 0) {
		fprintf(stderr, "authfold: cannot open events log '%s': %s\n", events_path, strerror(-r));
		status = 1;
		goto out;
	}
	if (ban && (r = backend_open(c, &backend, err, sizeof(err))) < 0) {
		fprintf(stderr, "authfold: backend %s: %s\n", c->backend == BACKEND_IPSET ? "ipset" : "none", err);
		status = 1;
		goto out;
	}

	struct engine_options eo = {.summary = summary, .events = events, .backend = ban ? &backend.ops : NULL,
				    .explain = explain};

	if ((e = engine_new(c, &eo)) == NULL) {
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
	if ((r = engine_flush(e)) < 0) {
		fprintf(stderr, "authfold: %s\n", engine_error(e));
		status = 1;
	}
	report_write(stderr, e, c, !ban, bytes, now_seconds() - t0);
out:
	engine_free(e);
	backend_close(&backend);
	output_free(summary);
	output_free(events);
	config_free(c);
	return status;
}

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
	return usage_error("unknown command", argv[1]);
}

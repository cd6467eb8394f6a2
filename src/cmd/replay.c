/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	replay 3
 * SUMMARY
 *	authfold replay: fold the given logs in order, once
 * SYNOPSIS
 *	#include "replay.h"
 *
 *	int replay_main(const struct config *c, const struct replay_options *o, int nfiles, char **files);
 * DESCRIPTION
 *	The command `authfold replay` (authfold(8)): each file ("-" or none:
 *	stdin) is read with linereader(3) and folded by engine(3); at the
 *	end the fold's deferred verdicts are settled, the outputs written,
 *	the bans the backend refused tried once more, and the report
 *	(report(3)) written to stderr. Without o->ban, a dry run: nothing
 *	reaches the kernel. Replay keeps no state.
 *
 *	On a terminal, the progress (lines, MiB, lines/s) is shown every
 *	million lines.
 * DIAGNOSTICS
 *	On stderr, prefixed "authfold: ", naming the file and line at fault.
 *	Returns the exit status: 0, 1 on a runtime failure (a file that
 *	cannot be read, an output that cannot be written, a ban not given to
 *	the kernel), 2 when the outputs collide.
 * SECURITY
 *	Lines longer than ENGINE_LINE_MAX are read in pieces: memory is
 *	bounded whatever the input.
 */

#include "replay.h"

#include "backend.h"
#include "engine.h"
#include "linereader.h"
#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
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

/* The summary and events outputs (events_path NULL: none); 0, or the exit status after saying why. */
static int open_outputs(const char *summary_path, const char *events_path, struct output **ret_summary,
			struct output **ret_events)
{
	char err[512];
	int r;

	if ((r = output_open(summary_path, ret_summary)) < 0) {
		fprintf(stderr, "authfold: cannot open summary '%s': %s\n", summary_path, output_strerror(r));
		return 1;
	}
	if (events_path && (r = output_open(events_path, ret_events)) < 0) {
		fprintf(stderr, "authfold: cannot open events log '%s': %s\n", events_path, output_strerror(r));
		return 1;
	}
	/* replay keeps no state: only the two outputs must differ */
	if (output_collisions(*ret_summary, *ret_events, NULL, -1, err, sizeof(err)) < 0) {
		fprintf(stderr, "authfold: replay: %s\n", err);
		return 2;	/* bad usage */
	}
	return 0;
}

/* Every file in order ('-' or none: stdin); 0, or 1 after saying why. *bytes grows by what was read. */
static int replay_files(struct engine *e, int nfiles, char **files, uint64_t *bytes, double t0)
{
	uint64_t total = 0;
	bool tty = isatty(STDERR_FILENO);
	int status = 0;

	for (int i = 0; i < nfiles; i++) {
		struct stat st;

		if (strcmp(files[i], "-") != 0 && stat(files[i], &st) == 0)
			total += (uint64_t) st.st_size;
	}
	for (int i = 0; i < (nfiles ? nfiles : 1) && status == 0; i++) {
		const char *name = nfiles ? files[i] : "-";
		int fd = strcmp(name, "-") == 0 ? STDIN_FILENO : open(name, O_RDONLY | O_CLOEXEC);

		if (fd < 0) {
			fprintf(stderr, "authfold: cannot open '%s': %s\n", name, strerror(errno));
			status = 1;
			break;
		}
		if (replay_fd(e, fd, name, bytes, tty, total, t0) < 0)
			status = 1;
		if (fd != STDIN_FILENO)
			close(fd);
	}
	if (tty && fold_counters(engine_fold(e))->lines >= 1000000)
		fputc('\n', stderr);
	return status;
}

/* The end of the logs: held strikes judged, outputs flushed, a last try for refused bans; 0 or -1 (said). */
static int finish(struct engine *e)
{
	int r, status = 0;

	if ((r = engine_settle(e, true)) < 0 || (r = engine_hold_flush(e)) < 0 || (r = engine_flush(e)) < 0) {
		fprintf(stderr, "authfold: %s\n", engine_error(e));
		status = -1;
	}
	/* A last try for the bans the backend refused, while it takes some. */
	while (engine_pending_bans(e) > 0 && engine_retry_bans(e, true) > 0)
		;
	if (engine_pending_bans(e) > 0) {
		struct engine_ban_state bs;

		engine_ban_state(e, &bs);
		fprintf(stderr, "authfold: %zu ban%s not given to the kernel: %s\n", bs.waiting,
			bs.waiting == 1 ? "" : "s", bs.error);
		status = -1;
	}
	return status;
}

int replay_main(const struct config *c, const struct replay_options *o, int nfiles, char **files)
{
	int status = 0;
	const char *summary_path = o->summary_path ? o->summary_path : "-";
	const char *events_path = o->events_path ? o->events_path : c->events_log;
	struct output *summary = NULL, *events = NULL;
	struct tally *tally = NULL;
	struct engine *e = NULL;
	struct backend backend = {0};
	char err[512];
	int r;

	if ((status = open_outputs(summary_path, events_path, &summary, &events)) != 0)
		goto out;
	if (o->ban && (r = backend_open(c, &backend, err, sizeof(err))) < 0) {
		fprintf(stderr, "authfold: backend %s: %s\n", backend_kind_name(c->backend), err);
		status = 1;
		goto out;
	}
	if (backend.warning[0])
		fprintf(stderr, "authfold: %s\n", backend.warning);

	struct engine_options eo = {.summary = summary, .events = events, .backend = o->ban ? &backend.ops : NULL,
				    .explain = o->explain, .tally = tally = tally_new()};

	if (tally == NULL || (e = engine_new(c, &eo)) == NULL) {
		fprintf(stderr, "authfold: out of memory\n");
		status = 1;
		goto out;
	}

	uint64_t bytes = 0;
	double t0 = now_seconds();

	status = replay_files(e, nfiles, files, &bytes, t0);
	if (finish(e) < 0)
		status = 1;
	report_write(stderr, e, c, !o->ban, bytes, now_seconds() - t0);
	report_tables(stderr, tally);
out:
	tally_free(tally);
	engine_free(e);
	backend_close(&backend);
	output_free(summary);
	output_free(events);
	return status;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	why_period 3
 * SUMMARY
 *	authfold why --summary: the summary logs of a period folded again, as a dry run
 * SYNOPSIS
 *	#include "why.h"
 *
 *	int	why_report(o, fp)
 * DESCRIPTION
 *	why_report() folds the summary log's lines of the period
 *	[o->since_usec, o->until_usec), with its rotations (logfile(3)), as a
 *	dry run of replay: without -v, the strikes come from Postfix's own
 *	lines (disconnect statistics, SASL failures), so the counts are
 *	those of the run that wrote the summary, except strikes of site
 *	rules whose lines were folded away. It prints replay's report with
 *	the hourly table and the top offenders (report(3)), and the files
 *	read or not, with the notes of why_story(3) (gaps in the rotations).
 *	The summary the engine writes goes to an output_open_discard():
 *	nothing is opened for writing.
 * DIAGNOSTICS
 *	0, -ENOENT (no summary log), -ENOMEM, -EIO (fp could not be written).
 * SECURITY
 *	Memory is the engine's, bounded by the configuration, plus one
 *	logfile(3) buffer. File names are written through why_visible().
 */

#include "why.h"

#include "engine.h"
#include "logfile.h"
#include "report.h"
#include "summary.h"
#include "why_render.h"
#include "why_story.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

static bool in_period(const struct why_options *o, int64_t usec)
{
	return usec < 0 || ((o->since_usec < 0 || usec >= o->since_usec) && (o->until_usec < 0 || usec < o->until_usec));
}

/* One file of the summary log through the engine; -ENOMEM or 0. */
static int fold_file(const struct why_options *o, struct engine *e, struct why_source *s, uint64_t *bytes)
{
	struct logfile l;
	const char *p;
	size_t n;
	int r;

	if ((r = logfile_open(s->path, &l)) < 0) {
		s->err = r;
		return r == -ENOMEM ? r : 0;
	}
	s->read = true;
	while ((r = logfile_next(&l, &p, &n)) > 0) {
		struct record rec;

		s->lines++;
		record_parse(p, n, l.mtime_usec, &rec);
		if (!in_period(o, rec.usec))
			continue;
		*bytes += n + 1;
		if ((r = engine_record(e, &rec)) < 0)
			break;
	}
	s->overlong = l.overlong;
	if (r < 0 || logfile_error(&l)[0])
		snprintf(s->detail, sizeof(s->detail), "%s", r < 0 ? strerror(-r) : logfile_error(&l));
	logfile_close(&l);
	return r == -ENOMEM ? r : 0;
}

static void print_visible(FILE *fp, const char *s)
{
	char buf[4096];

	for (size_t n = strlen(s), piece; n; s += piece, n -= piece) {
		piece = n < 256 ? n : 256;
		while (piece < n && piece > 252 && ((unsigned char) s[piece] & 0xc0) == 0x80)
			piece--;	/* do not split a UTF-8 sequence */
		why_visible(s, piece, buf, sizeof(buf));
		fputs(buf, fp);
	}
}

static void print_head(const struct why_options *o, const struct why_story *y, FILE *fp)
{
	fprintf(fp, "authfold why --summary");
	if (o->since_usec >= 0 || o->until_usec >= 0) {
		char a[64] = "-", b[64] = "-";

		if (o->since_usec >= 0)
			format_rfc3339(o->since_usec, a, sizeof(a));
		if (o->until_usec >= 0)
			format_rfc3339(o->until_usec, b, sizeof(b));
		fprintf(fp, ": lines from %s until %s", a, b);
	}
	fprintf(fp, "\n\nRead:\n");
	for (size_t i = 0; i < y->nsrc; i++) {
		const struct why_source *s = &y->src[i];
		char buf[512];

		why_source_problem(s, buf, sizeof(buf));
		fputs("  ", fp);
		print_visible(fp, s->path);
		if (!s->read)
			fputs(": NOT READ (", fp), print_visible(fp, buf), fputs(")\n", fp);
		else
			fprintf(fp, ": %" PRIu64 " lines%s", s->lines, buf[0] ? "; NOT READ TO THE END: " : ""),
				print_visible(fp, buf), fputs("\n", fp);
	}
	for (size_t i = 0; i < y->nnotes; i++)
		fputs("  note: ", fp), print_visible(fp, y->notes[i]), fputs("\n", fp);
}

int why_report(const struct why_options *o, FILE *fp)
{
	struct why_story y = {.o = o};
	struct output *null = NULL;
	struct tally *tally = NULL;
	struct engine *e = NULL;
	uint64_t bytes = 0;
	int r;

	if (o->summary == NULL || strcmp(o->summary, "-") == 0)
		return -ENOENT;
	if ((tally = tally_new()) == NULL || (r = output_open_discard(&null)) < 0) {
		r = -ENOMEM;
		goto out;
	}
	struct engine_options eo = {.summary = null, .tally = tally};

	if ((e = engine_new(o->config, &eo)) == NULL || (r = why_sources_add_log(&y, o->summary, "summary")) < 0) {
		r = e ? r : -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < y.nsrc && r == 0; i++)
		r = fold_file(o, e, &y.src[i], &bytes);
	if (r == 0 && engine_hold_flush(e) == -ENOMEM)	/* the SASL strikes held to the end */
		r = -ENOMEM;
	if (r < 0)
		goto out;
	print_head(o, &y, fp);
	report_write(fp, e, o->config, true, bytes, 0);
	report_tables(fp, tally);
	if (fflush(fp) != 0 || ferror(fp))
		r = -EIO;
out:
	engine_free(e);
	output_free(null);
	tally_free(tally);
	why_story_fini(&y);
	return r;
}

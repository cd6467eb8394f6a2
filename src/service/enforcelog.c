/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	enforcelog 3
 * SUMMARY
 *	authfold-enforce's durable log: one line per decision that changed its table
 * SYNOPSIS
 *	#include "enforcelog.h"
 *
 *	void	enforcelog_init(l, path)
 *	void	enforcelog_fini(l)
 *	int	enforcelog_format(d, arrived, local, buf, len)
 *	int	enforcelog_parse(p, n, ret_arrived, ret_local, ret_d)
 *	int	enforcelog_replay(l, fn, data, ret_bad, err, errlen)
 *	int	enforcelog_open(l, err, errlen)
 *	int	enforcelog_append(l, line, n, err, errlen)
 *	int	enforcelog_write(l, line, n, err, errlen)
 *	int	enforcelog_sync(l, err, errlen)
 *	int	enforcelog_rewrite_begin(l, w, err, errlen)
 *	void	enforcelog_rewrite_line(w, line, n)
 *	int	enforcelog_rewrite_end(l, w, err, errlen)
 * DESCRIPTION
 *	The file enforce(3) keeps its table in, enforce.log: one line per
 *	decision, "ARRIVED DECISION" (a decision(3) line after its arrival
 *	in unix seconds) or "ARRIVED local DECISION" for an unban made on
 *	this MX. What the lines mean is enforce(3)'s; this module only
 *	writes, reads and repairs them.
 *
 *	enforcelog_append() is the write-ahead step: the line is written
 *	and fdatasync()ed, and only a 0 return lets the caller change its
 *	table or the kernel. A failed write or sync (a full disk) is cut off
 *	again (ftruncate to the last whole line); if even that fails the
 *	next append cuts it first, so the log never holds part of a line nor
 *	a line that was not confirmed. enforcelog_write() and
 *	enforcelog_sync() are that step for a batch: lines written one by
 *	one, then one fdatasync() for them all, and only a 0 return of the
 *	sync lets the caller change anything; a failed write or sync cuts
 *	off every line written since the last sync. enforcelog_open() cuts a last line
 *	torn by a crash. enforcelog_replay() hands each whole line that
 *	parses to the caller, in order. A rewrite (compaction) goes through
 *	PATH.tmp, fsync, rename and an fsync of the directory, so a crash
 *	leaves either the old log or the new one.
 * DIAGNOSTICS
 *	0 or -errno, with the file at fault in err. The module does not log.
 * SECURITY
 *	Lines are bounded (ENFORCELOG_LINE_MAX); a longer one, or one that
 *	decision_parse() refuses, is skipped and counted, never fatal. The
 *	file is created 0640, every descriptor close-on-exec.
 */

#include "enforcelog.h"

#include "errmsg.h"
#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOCAL_MARK	"local "	/* between arrival and decision: a local unban */

void enforcelog_init(struct enforcelog *l, char *path)
{
	memset(l, 0, sizeof(*l));
	l->path = path;
	l->fd = -1;
}

void enforcelog_fini(struct enforcelog *l)
{
	if (l->fd >= 0)
		close(l->fd);
	free(l->path);
	l->path = NULL;
	l->fd = -1;
}

int enforcelog_format(const struct decision *d, int64_t arrived, bool local, char *buf, size_t len)
{
	char line[DECISION_LINE_MAX + 1];
	int n = decision_format(d, line, sizeof(line));

	if (n < 0)
		return n;
	n = snprintf(buf, len, "%" PRId64 " %s%s\n", arrived, local ? LOCAL_MARK : "", line);
	return n < 0 || (size_t) n >= len ? -ENOSPC : n;
}

int enforcelog_parse(const char *p, size_t n, int64_t *ret_arrived, bool *ret_local, struct decision *ret_d)
{
	const char *sp = memchr(p, ' ', n);
	int64_t a = 0;
	bool local = false;

	if (sp == NULL || sp == p || sp - p > 12)
		return -EINVAL;
	for (const char *q = p; q < sp; q++) {
		if (*q < '0' || *q > '9')
			return -EINVAL;
		a = a * 10 + (*q - '0');
	}
	sp++;
	if ((size_t) (p + n - sp) > strlen(LOCAL_MARK) && memcmp(sp, LOCAL_MARK, strlen(LOCAL_MARK)) == 0) {
		local = true;
		sp += strlen(LOCAL_MARK);
	}
	if (decision_parse(sp, (size_t) (p + n - sp), ret_d, NULL) < 0 || (local && ret_d->op != DECISION_UNBAN))
		return -EINVAL;
	*ret_arrived = a;
	*ret_local = local;
	return 0;
}

int enforcelog_replay(struct enforcelog *l, enforcelog_fn *fn, void *data, uint64_t *ret_bad, char *err,
		      size_t errlen)
{
	FILE *fp = fopen(l->path, "re");
	char buf[ENFORCELOG_LINE_MAX + 2];
	uint64_t bad = 0;

	l->lines = 0;
	if (fp == NULL) {
		if (errno == ENOENT)
			return 0;
		set_err(err, errlen, "cannot read '%s': %s", l->path, strerror(errno));
		return -errno;
	}
	while (fgets(buf, sizeof(buf), fp)) {
		size_t n = strlen(buf);
		struct decision d;
		int64_t arrived;
		bool local;

		l->lines++;
		if (n == 0 || buf[n - 1] != '\n') {
			int ch;	/* too long, or cut by a crash: skip to the next line */

			while ((ch = fgetc(fp)) != EOF && ch != '\n')
				;
			bad++;
			continue;
		}
		if (enforcelog_parse(buf, n - 1, &arrived, &local, &d) < 0) {
			bad++;
			continue;
		}
		fn(data, &d, arrived, local);
	}
	int r = ferror(fp) ? -EIO : 0;

	fclose(fp);
	if (ret_bad)
		*ret_bad += bad;
	if (r < 0)
		set_err(err, errlen, "cannot read '%s': %s", l->path, strerror(-r));
	return r;
}

/* The size of the file up to and with its last newline. */
static int whole_lines_end(int fd, off_t size, off_t *ret_end)
{
	char buf[4096];
	off_t pos = size;

	while (pos > 0) {
		size_t n = pos < (off_t) sizeof(buf) ? (size_t) pos : sizeof(buf);
		ssize_t got = pread(fd, buf, n, pos - (off_t) n);

		if (got < 0 && errno == EINTR)
			continue;
		if (got != (ssize_t) n)
			return got < 0 ? -errno : -EIO;
		for (size_t k = n; k-- > 0;)
			if (buf[k] == '\n') {
				*ret_end = pos - (off_t) n + (off_t) k + 1;
				return 0;
			}
		pos -= (off_t) n;
	}
	*ret_end = 0;
	return 0;
}

int enforcelog_open(struct enforcelog *l, char *err, size_t errlen)
{
	struct stat st;
	off_t end;
	int r;

	if (l->fd >= 0)
		close(l->fd);
	l->fd = open(l->path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (l->fd < 0) {
		set_err(err, errlen, "cannot open '%s': %s", l->path, strerror(errno));
		return -errno;
	}
	if (fstat(l->fd, &st) < 0 || (r = whole_lines_end(l->fd, st.st_size, &end)) < 0 ||
	    (end < st.st_size && ftruncate(l->fd, end) < 0)) {
		r = -errno;
		set_err(err, errlen, "cannot repair '%s': %s", l->path, strerror(errno));
		close(l->fd);
		l->fd = -1;
		return r;
	}
	l->end = l->written = end;
	l->unsynced = 0;
	l->torn = false;
	return 0;
}

/* Cuts the log back to its last synced whole line (a failed write or
   sync); if even that fails the next write cuts it first. */
static void cut_back(struct enforcelog *l)
{
	l->torn = ftruncate(l->fd, l->end) < 0;
	l->written = l->end;
	l->unsynced = 0;
}

int enforcelog_write(struct enforcelog *l, const char *line, size_t n, char *err, size_t errlen)
{
	int r;

	if (l->fd < 0 && (r = enforcelog_open(l, err, errlen)) < 0)
		return r;
	if (l->torn) {
		if (ftruncate(l->fd, l->end) < 0) {
			r = -errno;
			set_err(err, errlen, "cannot cut a failed line off '%s': %s", l->path, strerror(errno));
			return r;
		}
		l->torn = false;
	}
	if ((r = output_write_fd(l->fd, line, n)) < 0) {
		set_err(err, errlen, "cannot write '%s': %s", l->path, strerror(-r));
		cut_back(l);
		return r;
	}
	l->written += (off_t) n;
	l->unsynced++;
	return 0;
}

int enforcelog_sync(struct enforcelog *l, char *err, size_t errlen)
{
	int r;

	if (l->unsynced == 0)
		return 0;
	if (fdatasync(l->fd) < 0) {
		r = -errno;
		set_err(err, errlen, "cannot write '%s': %s", l->path, strerror(-r));
		cut_back(l);
		return r;
	}
	l->end = l->written;
	l->lines += l->unsynced;
	l->unsynced = 0;
	return 0;
}

int enforcelog_append(struct enforcelog *l, const char *line, size_t n, char *err, size_t errlen)
{
	int r;

	if ((r = enforcelog_write(l, line, n, err, errlen)) < 0)
		return r;
	return enforcelog_sync(l, err, errlen);
}

int enforcelog_rewrite_begin(const struct enforcelog *l, struct enforcelog_rewrite *w, char *err, size_t errlen)
{
	w->r = 0;
	w->lines = 0;
	if ((size_t) snprintf(w->tmp, sizeof(w->tmp), "%s.tmp", l->path) >= sizeof(w->tmp)) {
		set_err(err, errlen, "'%s' is too long", l->path);
		return w->fd = -ENAMETOOLONG;
	}
	if ((w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640)) < 0) {
		set_err(err, errlen, "cannot create '%s': %s", w->tmp, strerror(errno));
		return -errno;
	}
	return 0;
}

void enforcelog_rewrite_line(struct enforcelog_rewrite *w, const char *line, size_t n)
{
	if (w->r == 0 && (w->r = output_write_fd(w->fd, line, n)) == 0)
		w->lines++;
}

int enforcelog_rewrite_end(struct enforcelog *l, struct enforcelog_rewrite *w, char *err, size_t errlen)
{
	int r = w->r;

	if (r == 0 && fsync(w->fd) < 0)
		r = -errno;
	if (close(w->fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(w->tmp, l->path) < 0)
		r = -errno;
	if (r < 0) {
		set_err(err, errlen, "cannot write '%s': %s", w->tmp, strerror(-r));
		unlink(w->tmp);
		return r;
	}
	/* the rename itself is durable once the directory is */
	char dir[4200];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", l->path);
	if ((slash = strrchr(dir, '/')) != NULL) {
		int dfd;

		*(slash == dir ? slash + 1 : slash) = '\0';
		if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
			(void) fsync(dfd);
			close(dfd);
		}
	}
	if ((r = enforcelog_open(l, err, errlen)) < 0)
		return r;
	l->lines = w->lines;
	return 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	logfile 3
 * SUMMARY
 *	a log and its rotations, line by line, plain or gzip
 * SYNOPSIS
 *	#include "logfile.h"
 *
 *	int	logfile_open(path, l)
 *	int	logfile_next(l, ret_p, ret_n)
 *	const char *logfile_error(l)
 *	const char *logfile_strerror(r)
 *	void	logfile_close(l)
 *	int	logfile_rotations(base, ret)
 *	void	logfile_rotations_free(r)
 * DESCRIPTION
 *	logfile_open() opens path for reading. A regular file only: a FIFO,
 *	a device or a socket is refused (LOGFILE_ENOTREG) without a read,
 *	and the open itself cannot hang (O_NONBLOCK), as the state files.
 *	A file that starts with the gzip magic is decompressed (every member
 *	of it, as gzip(1) does), any other file is read as it is.
 *	l->mtime_usec is its modification time.
 *
 *	logfile_next() gives the next line without its newline, valid until
 *	the next call; the last line needs no newline; l->line_offset is its
 *	offset in the file (decompressed: in the data of a gzip file), for a
 *	caller that reads it again with pread(2) on l->fd (a plain file, not
 *	l->gzip). A line longer than
 *	LOGFILE_LINE_MAX comes as its head (l->overlong counts them) and the
 *	rest of it is skipped, so the reader never loses the line breaks.
 *	Damage ends the file: a gzip file cut short, a bad checksum or
 *	length, corrupt data, trailing junk, a read error. Every complete
 *	line decompressed before the damage is given (zlib's output is used
 *	as it comes, never thrown away with the chunk it was in); the line
 *	the damage cut is not. logfile_error() then says what it was ("" when
 *	nothing), logfile_strerror() the text of an open's error.
 *
 *	logfile_rotations() lists the files of a log as logrotate leaves
 *	them, found by listing the log's directory: PATH-DATE[.gz] (dateext,
 *	DATE made of digits, '-' and '_', in the order of their names), then
 *	PATH.N[.gz] from the highest N down, then PATH (listed whether it
 *	exists or not, for the caller to report). Both PATH.N.gz and PATH.N
 *	are listed when both exist (logrotate was compressing). A gap in
 *	the numbers (PATH.1 missing while PATH.2.gz exists, as between
 *	logrotate's renames) is no end: every file found is listed, and
 *	ret->first_missing and ret->missing say the gap for a note. At most
 *	LOGFILE_ROTATED_MAX rotated files, the newest; ret->capped says when
 *	there were more.
 * DIAGNOSTICS
 *	logfile_open(): 0 or -errno of open(2), LOGFILE_ENOTREG, -ENOMEM.
 *	logfile_next(): 1 a line, 0 the end (see logfile_error()).
 *	logfile_rotations(): 0, -ENAMETOOLONG, -ENOMEM (a directory that
 *	cannot be listed lists the log alone).
 * SECURITY
 *	Memory is LOGFILE_LINE_MAX + LOGFILE_READ_CHUNK + LOGFILE_IN_CHUNK
 *	bytes per open file plus zlib's inflate state (about 40 KiB),
 *	whatever the file holds: a gzip bomb costs time, never memory. NUL
 *	and control bytes are data. Files are opened O_RDONLY|O_CLOEXEC|
 *	O_NOCTTY|O_NONBLOCK, never created or written. A rotation listing
 *	keeps at most LOGFILE_NAMES_MAX names.
 */

#include "logfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void set_error(struct logfile *l, const char *what)
{
	if (l->err[0] == 0)
		snprintf(l->err, sizeof(l->err), "%s", what);
	l->eof = true;
	l->damaged = true;
}

/* Reads the next bytes of the file into l->in; false at its end or an error. */
static bool read_in(struct logfile *l)
{
	ssize_t n;

	if (l->in_eof)
		return false;
	do
		n = read(l->fd, l->in, LOGFILE_IN_CHUNK);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		set_error(l, strerror(errno));
		l->in_eof = true;
		return false;
	}
	if (n == 0) {
		l->in_eof = true;
		return false;
	}
	l->z.next_in = l->in;
	l->z.avail_in = (uInt) n;
	return true;
}

int logfile_open(const char *path, struct logfile *l)
{
	struct stat st;

	memset(l, 0, sizeof(*l));
	if ((l->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0)
		return -errno;
	if (fstat(l->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		int r = fstat(l->fd, &st) < 0 ? -errno : S_ISDIR(st.st_mode) ? -EISDIR : LOGFILE_ENOTREG;

		logfile_close(l);
		return r;
	}
	l->mtime_usec = (int64_t) st.st_mtime * 1000000;
	l->buf = malloc(LOGFILE_LINE_MAX + LOGFILE_READ_CHUNK);
	l->in = malloc(LOGFILE_IN_CHUNK);
	if (l->buf == NULL || l->in == NULL) {
		logfile_close(l);
		return -ENOMEM;
	}
	if (read_in(l) && l->z.avail_in >= 2 && l->in[0] == 0x1f && l->in[1] == 0x8b) {
		l->gzip = true;
		if (inflateInit2(&l->z, 16 + MAX_WBITS) != Z_OK) {
			logfile_close(l);
			return -ENOMEM;
		}
		l->z_live = true;
	}
	return 0;
}

void logfile_close(struct logfile *l)
{
	if (l->z_live)
		inflateEnd(&l->z);
	if (l->fd >= 0)
		close(l->fd);
	free(l->buf);
	free(l->in);
	l->z_live = false;
	l->fd = -1;
	l->buf = NULL;
	l->in = NULL;
}

/* After a gzip member: another member follows, or the file ends. */
static void member_end(struct logfile *l)
{
	if (l->z.avail_in == 0 && !read_in(l)) {
		l->eof = true;
		return;
	}
	if (l->z.avail_in >= 2 && l->z.next_in[0] == 0x1f && l->z.next_in[1] == 0x8b) {
		inflateReset(&l->z);
		return;
	}
	set_error(l, "data after the end of the gzip data");
}

/* Appends up to space decompressed bytes at out; the number given. */
static size_t inflate_some(struct logfile *l, char *out, size_t space)
{
	l->z.next_out = (Bytef *) out;
	l->z.avail_out = (uInt) space;
	while (l->z.avail_out == space && !l->eof) {
		if (l->z.avail_in == 0 && !read_in(l)) {
			set_error(l, "unexpected end of file (the .gz is cut short)");
			break;
		}
		int z = inflate(&l->z, Z_NO_FLUSH);

		if (z == Z_STREAM_END)
			member_end(l);
		else if (z == Z_MEM_ERROR)
			set_error(l, "out of memory");
		else if (z != Z_OK && z != Z_BUF_ERROR)
			set_error(l, l->z.msg ? l->z.msg : "corrupt gzip data");
	}
	/* what inflate wrote before an error is data all the same */
	return space - l->z.avail_out;
}

static size_t copy_some(struct logfile *l, char *out, size_t space)
{
	if (l->z.avail_in == 0 && !read_in(l)) {
		l->eof = true;
		return 0;
	}
	size_t n = l->z.avail_in < space ? l->z.avail_in : space;

	memcpy(out, l->z.next_in, n);
	l->z.next_in += n;
	l->z.avail_in -= (uInt) n;
	return n;
}

/* Moves the unread bytes to the front and adds more; false at the end. */
static bool fill(struct logfile *l)
{
	if (l->eof)
		return false;
	memmove(l->buf, l->buf + l->pos, l->len - l->pos);
	l->len -= l->pos;
	l->base += l->pos;
	l->pos = 0;
	l->len += l->gzip ? inflate_some(l, l->buf + l->len, LOGFILE_READ_CHUNK) :
			    copy_some(l, l->buf + l->len, LOGFILE_READ_CHUNK);
	return true;
}

int logfile_next(struct logfile *l, const char **ret_p, size_t *ret_n)
{
	for (;;) {
		char *nl = memchr(l->buf + l->pos, '\n', l->len - l->pos);

		if (nl) {
			const char *p = l->buf + l->pos;
			size_t n = (size_t) (nl - p);

			l->pos += n + 1;
			if (l->skipping) {
				l->skipping = false;
				continue;
			}
			*ret_p = p;
			*ret_n = n;
			l->line_offset = l->base + (uint64_t) (p - l->buf);
			return 1;
		}
		if (l->skipping)
			l->pos = l->len;
		if (l->len - l->pos >= LOGFILE_LINE_MAX) {
			/* overlong: give the head, skip to its newline */
			*ret_p = l->buf + l->pos;
			*ret_n = LOGFILE_LINE_MAX;
			l->line_offset = l->base + l->pos;
			l->pos = l->len;
			l->skipping = true;
			l->overlong++;
			return 1;
		}
		if (!fill(l)) {
			/* the last line needs no newline, unless damage cut it */
			if (l->pos < l->len && !l->skipping && !l->damaged) {
				*ret_p = l->buf + l->pos;
				*ret_n = l->len - l->pos;
				l->line_offset = l->base + l->pos;
				l->pos = l->len;
				return 1;
			}
			return 0;
		}
	}
}

const char *logfile_error(const struct logfile *l)
{
	return l->err;
}

const char *logfile_strerror(int r)
{
	if (r == LOGFILE_ENOTREG)
		return "not a regular file (a FIFO, device or socket is never read)";
	return strerror(-r);
}

/* --- rotations ----------------------------------------------------------------- */

struct rot {
	char *name;
	long number;			/* PATH.N[.gz]; -1 a dateext name */
	bool gz;
};

/* The rotation a directory entry is, from what follows the log's name. */
static bool rotation_of(const char *rest, struct rot *ret)
{
	size_t n = strlen(rest), digits;
	bool gz = n > 3 && strcmp(rest + n - 3, ".gz") == 0;

	if (gz)
		n -= 3;
	if (n < 2 || n > 33 || (rest[0] != '.' && rest[0] != '-'))
		return false;
	if (rest[0] == '.') {
		digits = strspn(rest + 1, "0123456789");
		if (digits != n - 1 || digits > 9 || (rest[1] == '0' && digits > 1))
			return false;
		ret->number = strtol(rest + 1, NULL, 10);
	} else {
		if (rest[1] < '0' || rest[1] > '9' || strspn(rest + 1, "0123456789-_") < n - 1)
			return false;
		ret->number = -1;
	}
	ret->gz = gz;
	return true;
}

/* Oldest first: dateext names by name, then PATH.N by N down, .gz first. */
static int rot_cmp(const void *a, const void *b)
{
	const struct rot *x = a, *y = b;

	if ((x->number < 0) != (y->number < 0))
		return x->number < 0 ? -1 : 1;
	if (x->number < 0)
		return strcmp(x->name, y->name);
	if (x->number != y->number)
		return x->number > y->number ? -1 : 1;
	return (int) y->gz - (int) x->gz;
}

static int list_dir(const char *dir, const char *file, struct rot **ret_v, size_t *ret_n)
{
	size_t fl = strlen(file), n = 0, cap = 0;
	struct rot *v = NULL, r;
	struct dirent *d;
	DIR *dp = opendir(dir);

	if (dp == NULL)
		return 0;
	while ((d = readdir(dp)) != NULL && n < LOGFILE_NAMES_MAX) {
		if (strncmp(d->d_name, file, fl) != 0 || !rotation_of(d->d_name + fl, &r))
			continue;
		if (n == cap) {
			struct rot *nv = realloc(v, (cap = cap ? cap * 2 : 16) * sizeof(*v));

			if (nv == NULL)
				goto nomem;
			v = nv;
		}
		if ((r.name = strdup(d->d_name)) == NULL)
			goto nomem;
		v[n++] = r;
	}
	closedir(dp);
	*ret_v = v;
	*ret_n = n;
	return 0;
nomem:
	closedir(dp);
	while (n)
		free(v[--n].name);
	free(v);
	return -ENOMEM;
}

static void count_gaps(const struct rot *v, size_t n, struct logfile_rotations *ret)
{
	long expect = 0;

	/* v is oldest first: the numbers come from the highest down */
	for (size_t i = n; i-- > 0;) {
		if (v[i].number < 0) {
			ret->dated++;
			continue;
		}
		if (v[i].number > ret->max_number)
			ret->max_number = v[i].number;
		if (v[i].number > expect + 1) {
			if (ret->first_missing == 0)
				ret->first_missing = expect + 1;
			ret->missing += (size_t) (v[i].number - expect - 1);
		}
		if (v[i].number > expect)
			expect = v[i].number;
	}
}

int logfile_rotations(const char *base, struct logfile_rotations *ret)
{
	const char *slash = strrchr(base, '/');
	char dir[PATH_MAX];
	struct rot *v = NULL;
	size_t n = 0, skip;
	int r;

	memset(ret, 0, sizeof(*ret));
	if (strlen(base) + 40 >= sizeof(dir))
		return -ENAMETOOLONG;
	if (slash)
		snprintf(dir, sizeof(dir), "%.*s", slash == base ? 1 : (int) (slash - base), base);
	else
		snprintf(dir, sizeof(dir), ".");
	if ((r = list_dir(dir, slash ? slash + 1 : base, &v, &n)) < 0)
		return r;
	if (n)
		qsort(v, n, sizeof(*v), rot_cmp);
	count_gaps(v, n, ret);
	ret->found = n;
	ret->capped = n > LOGFILE_ROTATED_MAX || n == LOGFILE_NAMES_MAX;
	skip = n > LOGFILE_ROTATED_MAX ? n - LOGFILE_ROTATED_MAX : 0;
	if ((ret->paths = calloc(n - skip + 1, sizeof(*ret->paths))) == NULL)
		r = -ENOMEM;
	for (size_t i = skip; i <= n && r == 0; i++) {
		/* the directory part of base as written, then the name */
		size_t dl = slash ? (size_t) (slash - base) + 1 : 0;
		const char *name = i < n ? v[i].name : slash ? slash + 1 : base;
		char *p = malloc(dl + strlen(name) + 1);

		if (p == NULL) {
			r = -ENOMEM;
			break;
		}
		memcpy(p, base, dl);
		strcpy(p + dl, name);
		ret->paths[ret->n++] = p;
	}
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
	if (r < 0)
		logfile_rotations_free(ret);
	return r;
}

void logfile_rotations_free(struct logfile_rotations *r)
{
	if (r->paths)
		for (size_t i = 0; i < r->n; i++)
			free(r->paths[i]);
	free(r->paths);
	r->paths = NULL;
	r->n = 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	output 3
 * SUMMARY
 *	a buffered, append-only output file
 * SYNOPSIS
 *	#include "output.h"
 *
 *	int	output_open(path, ret_output)
 *	int	output_write(o, p, n)
 *	int	output_flush(o)
 *	int	output_reopen(o)
 *	size_t	output_pending(o)
 *	int	output_collisions(summary, events, state_dir, reply_fd, err, errlen)
 *	int	output_open_mapped(path, window, ret_output)
 *	int	output_open_discard(ret_output)
 *	void	output_free(o)
 *	int	output_truncate(o)
 *	const char *output_path(o)
 *	int64_t	output_cut(o, size)
 *	const char *output_strerror(r)
 *	int	output_write_fd(fd, p, n)
 * DESCRIPTION
 *	output_open() opens path for appending (O_APPEND|O_CLOEXEC, mode
 *	0640), or standard output for "-". A symbolic link is followed only
 *	when root or the effective user owns it (see SECURITY); a directory
 *	is refused.
 *
 *	output_write_fd() writes all n bytes of p to the file descriptor fd
 *	straight away (no buffer), again after EINTR and short writes: 0, or
 *	the first error as a negative errno.
 *
 *	output_write() appends to a memory buffer and writes it out when it
 *	passes 64 KiB. output_flush() writes everything buffered. Bytes
 *	that could not be written stay buffered, in order, so a later flush
 *	retries them: nothing is lost and nothing is written twice.
 *
 *	output_reopen() flushes what it can and opens the path again (after
 *	logrotate renamed it); standard output is left alone.
 *
 *	output_truncate() drops the buffer and empties the file (a journal
 *	whose content is now in a checkpoint).
 *
 *	output_open_mapped() opens a regular file as a shared mapping of at
 *	least window bytes (the file is extended with zeros to the
 *	mapping's size and its blocks are reserved with posix_fallocate(), so
 *	that a full disk is an error at open or growth, never a SIGBUS at a
 *	store; writes go after what it held, less a tail of zeros).
 *	output_write() then copies into the mapping: the bytes are in the
 *	page cache, and so survive the death of the process, without a
 *	write(2), and output_flush() has nothing to do. This is for a line
 *	journal written before every acknowledgement (authfold-omprog's
 *	WAL): a reader must stop at the first NUL byte. The mapping doubles
 *	when full, to OUTPUT_MAP_MAX (then -ENOBUFS); output_truncate()
 *	zeroes what was written (keeping the blocks), output_free() cuts the
 *	file to what was written. Like
 *	write(2) without fsync, it does not survive a crash of the system.
 *
 *	output_open_discard() gives an output that opens nothing and drops
 *	what is written to it (a dry run that needs an output): unlike
 *	"/dev/null" it can never create a file where /dev is empty.
 *
 *	output_cut() cuts a regular file back to size bytes through the
 *	descriptor it opened (never by name again), if it is longer, and
 *	returns the number of bytes removed.
 *
 *	output_collisions() checks, by device and inode of what was opened
 *	(so that another name or a link for the same file is caught), that
 *	summary and events (may be NULL) are different regular files (or not
 *	both standard output; two names of /dev/null are fine), that neither
 *	lies in state_dir (may be NULL), and that neither is reply_fd (>= 0:
 *	authfold-omprog's standard output, where only replies may go).
 * DIAGNOSTICS
 *	Functions return 0 or -errno of the failed call.
 * SECURITY
 *	The buffer holds at most 64 KiB plus one write; when the file
 *	cannot be written and the buffer passes 16 MiB, output_write()
 *	refuses more with -ENOBUFS, so a full disk bounds memory.
 *
 *	A root daemon appends to a path an admin named, often in a directory
 *	others can write (a mode 1777 /tmp, a log directory of group adm).
 *	A symbolic link planted there by another user would make it append
 *	to any file: the path is opened with O_NOFOLLOW, and a link is
 *	followed only when root or the effective user owns it (such a link
 *	cannot be replaced by another user in a sticky directory; logrotate
 *	and admins make those). Otherwise -ELOOP, nothing written.
 */

#include "output.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define OUTPUT_FLUSH_AT		(64 * 1024)
#define OUTPUT_MAX_PENDING	(16 * 1024 * 1024)
#define OUTPUT_MAP_MAX		(256 * 1024 * 1024)	/* a mapped output grows to this */

struct output {
	int fd;
	char *path;			/* NULL for stdout */
	char *buf;
	size_t len, cap;
	/* output_open_mapped(): the file is a shared mapping of map_cap bytes */
	char *map;
	size_t map_used, map_cap;
	bool discard;			/* output_open_discard(): drops everything */
};

static int open_flags(const char *path, int flags)
{
	struct stat st;
	int fd = open(path, flags | O_NOFOLLOW, 0640);

	if (fd < 0) {
		/* ELOOP: a link, followed only when root or this user made it.
		   (Some kernels refuse a link in a sticky directory first,
		   EACCES: say that it is a foreign link all the same.) */
		int e = errno;

		if (lstat(path, &st) < 0 || !S_ISLNK(st.st_mode))
			return -e;
		if (st.st_uid != 0 && st.st_uid != geteuid())
			return -ELOOP;
		if (e != ELOOP)
			return -e;
		fd = open(path, flags, 0640);
	}
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || S_ISDIR(st.st_mode)) {
		close(fd);
		return -EISDIR;
	}
	return fd;
}

static int open_path(const char *path)
{
	return open_flags(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY);
}

int output_open(const char *path, struct output **ret_output)
{
	struct output *o = calloc(1, sizeof(*o));

	if (o == NULL)
		return -ENOMEM;
	if (strcmp(path, "-") == 0) {
		o->fd = STDOUT_FILENO;
	} else {
		if ((o->path = strdup(path)) == NULL) {
			free(o);
			return -ENOMEM;
		}
		if ((o->fd = open_path(path)) < 0) {
			int r = o->fd;

			free(o->path);
			free(o);
			return r;
		}
	}
	*ret_output = o;
	return 0;
}

int output_open_discard(struct output **ret_output)
{
	struct output *o = calloc(1, sizeof(*o));

	if (o == NULL)
		return -ENOMEM;
	o->fd = -1;
	o->discard = true;
	*ret_output = o;
	return 0;
}

void output_free(struct output *o)
{
	if (o == NULL)
		return;
	if (o->map) {
		munmap(o->map, o->map_cap);
		o->map = NULL;
		(void) ftruncate(o->fd, (off_t) o->map_used);	/* no tail of zeros left */
	}
	output_flush(o);
	if (o->path && o->fd >= 0)
		close(o->fd);
	free(o->path);
	free(o->buf);
	free(o);
}

int output_flush(struct output *o)
{
	size_t done = 0;
	int r = 0;

	if (o->map || o->discard)
		return 0;	/* a copy into the mapping is in the file already */

	if (o->fd < 0 && o->path) {
		if ((o->fd = open_path(o->path)) < 0) {
			r = o->fd;
			o->fd = -1;
			return r;
		}
	}
	while (done < o->len) {
		ssize_t w = write(o->fd, o->buf + done, o->len - done);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		done += (size_t) w;
	}
	if (done > 0) {		/* o->buf is NULL until the first write */
		memmove(o->buf, o->buf + done, o->len - done);
		o->len -= done;
	}
	return r;
}

/* Makes the mapping of o at least need bytes long (doubling). */
static int map_grow(struct output *o, size_t need)
{
	size_t cap = o->map_cap;
	char *m;

	while (cap < need)
		cap *= 2;
	if (cap > OUTPUT_MAP_MAX)
		return -ENOBUFS;
	/* blocks reserved first: a store into a page the disk cannot hold
	   would be SIGBUS, not an error */
	if ((errno = posix_fallocate(o->fd, (off_t) o->map_cap, (off_t) (cap - o->map_cap))) != 0) {
		int r = -errno;

		(void) ftruncate(o->fd, (off_t) o->map_cap);
		return r;
	}
	if ((m = mremap(o->map, o->map_cap, cap, MREMAP_MAYMOVE)) == MAP_FAILED)
		return -errno;
	o->map = m;
	o->map_cap = cap;
	return 0;
}

int output_write(struct output *o, const void *p, size_t n)
{
	if (n == 0 || o->discard)
		return 0;	/* o->buf may still be NULL: no memcpy(NULL, p, 0) */
	if (o->map) {
		int r;

		if (o->map_used + n > o->map_cap && (r = map_grow(o, o->map_used + n)) < 0)
			return r;
		memcpy(o->map + o->map_used, p, n);
		o->map_used += n;
		return 0;
	}
	if (o->len + n > o->cap) {
		if (o->len + n > OUTPUT_MAX_PENDING)
			return -ENOBUFS;
		size_t cap = o->cap ? o->cap : OUTPUT_FLUSH_AT * 2;

		while (cap < o->len + n)
			cap *= 2;
		char *nb = realloc(o->buf, cap);

		if (nb == NULL)
			return -ENOMEM;
		o->buf = nb;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, p, n);
	o->len += n;
	if (o->len >= OUTPUT_FLUSH_AT)
		(void) output_flush(o);	/* a failure shows in the caller's next flush */
	return 0;
}

int output_reopen(struct output *o)
{
	int r = output_flush(o);

	if (o->map)
		return 0;	/* a mapping is never rotated */

	if (o->path == NULL)
		return r;
	if (o->fd >= 0)
		close(o->fd);
	o->fd = open_path(o->path);
	if (o->fd < 0) {
		r = o->fd;
		o->fd = -1;
		return r;
	}
	return output_flush(o);
}

int output_truncate(struct output *o)
{
	o->len = 0;
	if (o->fd < 0 || o->path == NULL)
		return -EBADF;
	if (o->map) {
		/* zeros from the start (a reader stops at the first), keeping
		   the blocks: no syscall, and never a page without a block */
		memset(o->map, 0, o->map_used);
		o->map_used = 0;
		return 0;
	}
	return ftruncate(o->fd, 0) < 0 ? -errno : 0;
}

/* Frees o without writing or reopening anything (a failed open). */
static void discard(struct output *o)
{
	if (o->fd >= 0)
		close(o->fd);
	free(o->path);
	free(o);
}

int output_open_mapped(const char *path, size_t window, struct output **ret_output)
{
	struct output *o;
	struct stat st;
	size_t cap = window ? window : 4096;
	int r;

	if (strcmp(path, "-") == 0)
		return -EINVAL;
	if ((o = calloc(1, sizeof(*o))) == NULL || (o->path = strdup(path)) == NULL) {
		free(o);
		return -ENOMEM;
	}
	/* read and write: a shared mapping needs both */
	if ((o->fd = open_flags(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY)) < 0) {
		r = o->fd;
		free(o->path);
		free(o);
		return r;
	}
	if (fstat(o->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		discard(o);
		return -EINVAL;
	}
	while (cap < (size_t) st.st_size)
		cap *= 2;
	if (cap > OUTPUT_MAP_MAX || (errno = posix_fallocate(o->fd, 0, (off_t) cap)) != 0 ||
	    (o->map = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_SHARED, o->fd, 0)) == MAP_FAILED) {
		r = cap > OUTPUT_MAP_MAX ? -EFBIG : -errno;
		o->map = NULL;
		(void) ftruncate(o->fd, st.st_size);
		discard(o);
		return r;
	}
	o->map_cap = cap;
	/* what the file held: up to its size, less a tail of zeros a killed
	   writer left */
	o->map_used = (size_t) st.st_size;
	while (o->map_used > 0 && o->map[o->map_used - 1] == 0)
		o->map_used--;
	*ret_output = o;
	return 0;
}

size_t output_pending(const struct output *o)
{
	return o->len;
}

const char *output_path(const struct output *o)
{
	return o->path ? o->path : "-";
}

/* 1 when a and b are the same file; regular_only: and it is a regular
   file (two outputs on /dev/null do not interleave anything). */
static int same_file(int a, int b, bool regular_only)
{
	struct stat sa, sb;

	if (a < 0 || b < 0 || fstat(a, &sa) < 0 || fstat(b, &sb) < 0)
		return 0;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino && (!regular_only || S_ISREG(sa.st_mode));
}

/* 1 when the file o opened lies directly in dir. */
static int in_dir(const struct output *o, const char *dir)
{
	char buf[4096];
	struct stat sp, sd;

	if (o->path == NULL || dir == NULL || (size_t) snprintf(buf, sizeof(buf), "%s", o->path) >= sizeof(buf))
		return 0;
	return stat(dirname(buf), &sp) == 0 && stat(dir, &sd) == 0 && sp.st_dev == sd.st_dev && sp.st_ino == sd.st_ino;
}

int output_collisions(const struct output *summary, const struct output *events, const char *state_dir,
		      int reply_fd, char *err, size_t errlen)
{
	const struct output *o[2] = {summary, events};
	static const char *const name[2] = {"summary", "events log"};

	if (summary && events && (summary->path == NULL) == (events->path == NULL) &&
	    same_file(summary->fd, events->fd, summary->path != NULL)) {
		snprintf(err, errlen, "the summary '%s' and the events log '%s' are the same file: their lines would "
			 "interleave", output_path(summary), output_path(events));
		return -EINVAL;
	}
	for (int i = 0; i < 2; i++) {
		if (o[i] == NULL)
			continue;
		if (reply_fd >= 0 && (o[i]->path == NULL || same_file(o[i]->fd, reply_fd, false))) {
			snprintf(err, errlen, "the %s '%s' is standard output, where only the replies to rsyslog may go",
				 name[i], output_path(o[i]));
			return -EINVAL;
		}
		if (in_dir(o[i], state_dir)) {
			snprintf(err, errlen, "the %s '%s' is in state_dir '%s', whose files are the daemon's own",
				 name[i], output_path(o[i]), state_dir);
			return -EINVAL;
		}
	}
	return 0;
}

const char *output_strerror(int r)
{
	if (r == -ELOOP)
		return "a symbolic link not owned by root or this user; refused";
	if (r == -EISDIR)
		return "a directory";
	return strerror(-r);
}

int64_t output_cut(struct output *o, int64_t size)
{
	struct stat st;

	if (o->path == NULL || o->map || o->fd < 0)
		return 0;	/* stdout, a mapping, or not open: nothing to cut */
	if (fstat(o->fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_size <= size)
		return 0;
	if (ftruncate(o->fd, size) < 0)
		return -errno;
	return (int64_t) st.st_size - size;
}

int output_write_fd(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		c += w;
		n -= (size_t) w;
	}
	return 0;
}

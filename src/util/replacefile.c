/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	replacefile 3
 * SUMMARY
 *	write a whole file anew under PATH.tmp, rename it over PATH
 * SYNOPSIS
 *	#include "replacefile.h"
 *
 *	int	replacefile_open(rf, path, mode)
 *	int	replacefile_commit(rf, flags)
 *	void	replacefile_abort(rf)
 * DESCRIPTION
 *	The status and metrics files, the sender counters and the outbox are
 *	written whole each time, so a reader sees the old file or the new
 *	one, never half of one.
 *
 *	replacefile_open() creates (or truncates) path.tmp with mode and
 *	gives it as rf->fp, a stdio stream for the caller to write; rf->fd
 *	is its descriptor. path must stay valid until the commit or abort.
 *
 *	replacefile_commit() flushes rf->fp, checks that no write failed,
 *	with flags REPLACEFILE_SYNC fsyncs it, closes it and renames it over
 *	path. On any failure the temporary file is removed and path is left
 *	as it was. The directory is not synced: a caller whose file must
 *	survive a crash syncs the directory itself.
 *
 *	replacefile_abort() closes and removes the temporary file; the
 *	caller's own failure while writing.
 * DIAGNOSTICS
 *	replacefile_open(): 0, -ENAMETOOLONG, or -errno of open(2) or
 *	fdopen(3). replacefile_commit(): 0, -EIO (a write failed), or -errno
 *	of fflush(3), fsync(2), fclose(3) or rename(2).
 * SECURITY
 *	path.tmp is opened O_NOFOLLOW|O_NOCTTY|O_CLOEXEC: a link planted
 *	there is refused, never followed. The caller chooses a directory
 *	only root can write.
 */

#include "replacefile.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

int replacefile_open(struct replacefile *rf, const char *path, mode_t mode)
{
	int r;

	rf->fp = NULL;
	rf->fd = -1;
	rf->path = path;
	if (strlen(path) > REPLACEFILE_PATH_MAX)
		return -ENAMETOOLONG;
	snprintf(rf->tmp, sizeof(rf->tmp), "%s.tmp", path);
	if ((rf->fd = open(rf->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, mode)) < 0)
		return -errno;
	if ((rf->fp = fdopen(rf->fd, "w")) == NULL) {
		r = -errno;
		close(rf->fd);
		(void) unlink(rf->tmp);
		rf->fd = -1;
		return r;
	}
	return 0;
}

int replacefile_commit(struct replacefile *rf, int flags)
{
	int r = 0;

	if (fflush(rf->fp) != 0)
		r = -errno;
	else if (ferror(rf->fp))
		r = -EIO;
	else if ((flags & REPLACEFILE_SYNC) && fsync(rf->fd) < 0)
		r = -errno;
	if (fclose(rf->fp) != 0 && r == 0)
		r = -errno;
	rf->fp = NULL;
	rf->fd = -1;
	if (r == 0 && rename(rf->tmp, rf->path) < 0)
		r = -errno;
	if (r < 0)
		(void) unlink(rf->tmp);
	return r;
}

void replacefile_abort(struct replacefile *rf)
{
	if (rf->fp != NULL)
		fclose(rf->fp);
	rf->fp = NULL;
	rf->fd = -1;
	(void) unlink(rf->tmp);
}

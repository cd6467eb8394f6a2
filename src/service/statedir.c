/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	statedir 3
 * SUMMARY
 *	the state directory's daemon lock, its state files, its owner
 * SYNOPSIS
 *	#include "statedir.h"
 *
 *	int	statedir_lock(state_dir, ret_fd)
 *	int	statedir_trylock(state_dir, ret_fd)
 *	void	statedir_unlock(fd)
 *	bool	statedir_is_state_name(name)
 *	int	statedir_own(state_dir, fd)
 *	int	statedir_own_path(state_dir, path, err, errlen)
 * DESCRIPTION
 *	One daemon per state directory. A daemon takes statedir_lock()
 *	before it reads its state and keeps the descriptor open until it has
 *	saved for the last time; authfold unban takes statedir_trylock() to
 *	learn whether a daemon runs (bans(3) tells the whole protocol). The
 *	lock is flock(2) LOCK_EX on state_dir/lock (STATEDIR_LOCK_FILE): the
 *	kernel drops it when the process dies, so there is never a stale
 *	lock. statedir_lock() waits up to STATEDIR_LOCK_WAIT_MS for it;
 *	statedir_unlock() closes the descriptor (-1 is allowed).
 *
 *	statedir_is_state_name() is the one filter of state file names
 *	(status, unban, why read every one): NAME.state with a NAME that
 *	does not begin with a dot (a file being written is a dot name).
 *
 *	statedir_own(), run by root, gives the file fd to state_dir's owner
 *	and group, so that a daemon that runs as that user (the unit's
 *	DynamicUser=) can still open the lock, its state and the requests
 *	root made. Not root: nothing to do. statedir_own_path() does the
 *	same to a path and says what failed in err.
 * DIAGNOSTICS
 *	0 or a negative errno: -EWOULDBLOCK the lock is held by another
 *	process; -EPERM a file statedir_own() will not give away.
 * SECURITY
 *	The lock file is opened with O_NOFOLLOW. statedir_own() gives away
 *	only a regular file with one link that root owns, never one planted
 *	as a hard link to another file, nor one someone else owns.
 */

#include "statedir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int statedir_own(const char *state_dir, int fd)
{
	struct stat dir, st;

	if (geteuid() != 0)
		return 0;
	if (stat(state_dir, &dir) < 0 || fstat(fd, &st) < 0)
		return -errno;
	if (st.st_uid == dir.st_uid && st.st_gid == dir.st_gid)
		return 0;
	/* Only a file root made here: never one planted as a hard link to
	   another file, nor one someone else owns. */
	if (!S_ISREG(st.st_mode) || st.st_nlink != 1 || st.st_uid != 0)
		return -EPERM;
	if (fchown(fd, dir.st_uid, dir.st_gid) < 0)
		return -errno;
	return 0;
}

int statedir_own_path(const char *state_dir, const char *path, char *err, size_t errlen)
{
	int fd, r;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY)) < 0)
		r = -errno;
	else {
		r = statedir_own(state_dir, fd);
		close(fd);
	}
	if (r < 0)
		snprintf(err, errlen, "cannot give '%s' to the owner of '%s': %s", path, state_dir, strerror(-r));
	return r;
}

static int lock_open(const char *state_dir, int *ret_fd)
{
	char path[4096];
	int fd, r;

	if ((size_t) snprintf(path, sizeof(path), "%s/%s", state_dir, STATEDIR_LOCK_FILE) >= sizeof(path))
		return -ENAMETOOLONG;
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600)) < 0)
		return -errno;
	if ((r = statedir_own(state_dir, fd)) < 0) {
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

int statedir_trylock(const char *state_dir, int *ret_fd)
{
	int fd, r;

	if ((r = lock_open(state_dir, &fd)) < 0)
		return r;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		r = errno == EWOULDBLOCK ? -EWOULDBLOCK : -errno;
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

int statedir_lock(const char *state_dir, int *ret_fd)
{
	struct timespec tick = {0, 10 * 1000000};
	int r;

	for (int waited = 0;; waited += 10) {
		if ((r = statedir_trylock(state_dir, ret_fd)) != -EWOULDBLOCK || waited >= STATEDIR_LOCK_WAIT_MS)
			return r;
		nanosleep(&tick, NULL);
	}
}

void statedir_unlock(int fd)
{
	if (fd >= 0)
		close(fd);	/* drops the flock */
}

bool statedir_is_state_name(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && n > 6 && strcmp(name + n - 6, ".state") == 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	bans_request 3
 * SUMMARY
 *	the unban-request spool: requests written atomically, read and taken
 * SYNOPSIS
 *	#include "bans_request.h"
 *
 *	int	bans_request_unban(state_dir, target, ret_path, pathlen, err, errlen)
 *	int	bans_request_to(state_dir, dirname, target, at, ret_path, pathlen, err, errlen)
 *	int	bans_request_forget(state_dir, shared_dir, target, at, err, errlen)
 *	int	bans_walk_requests(state_dir, dirname, take, fn, data, ret, err, errlen)
 *	int	bans_request_walk(state_dir, dirname, take, since, limit, fn, data, ret, err, errlen)
 *	void	bans_target_name(t, ret_buf)
 *	void	bans_whoami(ret_buf, len)
 *	int	bans_request_mkdir(state_dir, dir)
 * DESCRIPTION
 *	An unban that a running process must carry out travels as a file in
 *	a spool directory: authfold unban to the daemon (state_dir/unban.d,
 *	BANS_REQUEST_DIR), authfold unban to authfold-enforce
 *	(ENFORCE_REQUEST_DIR), authfold-enforce to the MX's daemon
 *	(unban.d, or forget.d of enforce_state_dir), the central host's
 *	unban to its publisher (publish(3)). bans(3) tells the protocol;
 *	this module only writes and reads the files.
 *
 *	A request is named ADDR-PREFIX (bans_target_name(): 192.0.2.10-32,
 *	2001:db8::-64), written under a dot name, fsynced and renamed into
 *	place, so a reader never sees half a request. It holds
 *	"ADDR/PREFIX", "by WHO" (bans_whoami(): the uid and its name, and
 *	SUDO_USER under sudo), "at UNIX" and, for authfold-enforce's
 *	central unbans, a line "kernel done" (BANS_KERNEL_DONE).
 *
 *	bans_request_unban() writes one into state_dir/unban.d, asked now;
 *	bans_request_to() into state_dir/DIRNAME, asked at at;
 *	bans_request_forget() one with "kernel done", into unban.d, or into
 *	shared_dir/forget.d (0755, the file 0644) when shared_dir is given.
 *
 *	bans_walk_requests() hands each waiting request (at most
 *	BANS_REQUESTS_MAX) to fn; take: what fn took, and what is refused,
 *	is deleted; !take: only read. bans_request_walk() does the same with
 *	a bound of its own, skipping (uncounted) the requests older than
 *	since (unix s; 0: none).
 *
 *	bans_request_mkdir() makes the spool directory dir (mode 0700) and
 *	gives it to state_dir's owner, whoever makes it; one that exists is
 *	left as it is.
 * DIAGNOSTICS
 *	0 (or the number taken) or a negative errno, with a message naming
 *	the file in err; a missing spool directory is no request.
 * SECURITY
 *	The spool directories are written only by root and the daemon's user
 *	(unban.d and enforce-unban.d mode 0700, owned like state_dir, made by
 *	whichever side comes first); still, a request is taken only when it
 *	is a regular file owned by root or this process's user and its name
 *	parses as ADDR-PREFIX with inet_pton(); anything else is deleted
 *	(take) and counted as rejected. At most 255 bytes of each are read,
 *	opened with O_NOFOLLOW; its "by" line is kept printable. A request
 *	root writes is given to state_dir's owner (statedir_own()).
 */

#include "bans_request.h"

#include "statedir.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void bans_target_name(const struct cidr *t, char ret_buf[ADDR_STRLEN + 8])
{
	char a[ADDR_STRLEN];

	addr_format(&t->net, a);
	snprintf(ret_buf, ADDR_STRLEN + 8, "%s-%u", a, t->prefix);
}

void bans_whoami(char *ret_buf, size_t len)
{
	uid_t uid = getuid();
	struct passwd *pw = getpwuid(uid);
	const char *sudo = uid == 0 ? getenv("SUDO_USER") : NULL;
	char name[64] = "";

	if (pw && pw->pw_name)
		snprintf(name, sizeof(name), " (%.40s)", pw->pw_name);
	snprintf(ret_buf, len, "uid %u%s%s%.40s", (unsigned) uid, name, sudo && *sudo ? ", sudo by " : "",
		 sudo && *sudo ? sudo : "");
}

/* What a request file says: its "by" line (printable bytes only) and its
   "at" line (unix seconds; the file's mtime when it has none, as requests
   of older versions). At most 255 bytes are read. */
static void request_read(int dfd, const char *name, const struct stat *st, char *ret_by, size_t len,
			 int64_t *ret_at, bool *ret_kernel_done)
{
	char buf[256];
	ssize_t n = -1;
	int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	char *p, *end;

	snprintf(ret_by, len, "uid %u (the request's owner)", (unsigned) st->st_uid);
	*ret_at = (int64_t) st->st_mtime;
	*ret_kernel_done = false;
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	if (n <= 0)
		return;
	buf[n] = 0;
	*ret_kernel_done = strstr(buf, "\n" BANS_KERNEL_DONE "\n") != NULL;
	if ((p = strstr(buf, "\nat ")) != NULL) {
		int64_t v = 0;
		int digits = 0;

		for (p += 4; *p >= '0' && *p <= '9' && digits < 12; p++, digits++)
			v = v * 10 + (*p - '0');
		if (digits > 0 && digits < 12 && (*p == '\n' || *p == '\0'))
			*ret_at = v;
	}
	if ((p = strstr(buf, "\nby ")) == NULL)
		return;
	p += 4;
	if ((end = strchr(p, '\n')) != NULL)
		*end = 0;
	for (char *q = p; *q; q++)
		if (!isprint((unsigned char) *q))
			*q = '?';
	snprintf(ret_by, len, "%s", p);
}

static int sync_dir(int dfd)
{
	return fsync(dfd) < 0 ? -errno : 0;
}

int bans_request_mkdir(const char *state_dir, const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0700) < 0)
		return errno == EEXIST ? 0 : -errno;
	if (stat(state_dir, &st) == 0 && chown(dir, st.st_uid, st.st_gid) < 0 && geteuid() == 0)
		return -errno;
	return 0;
}

/* forget.d: 0755 whatever the umask, when this call makes it */
static int shared_dir_make(const char *dir)
{
	if (mkdir(dir, 0755) < 0)
		return errno == EEXIST ? 0 : -errno;
	return chmod(dir, 0755) < 0 ? -errno : 0;
}

/* shared: a directory of root's that another user only reads (0755, the
   request 0644, owned by its writer), for bans_request_forget(). */
static int request_write(const char *state_dir, const char *dirname, const struct cidr *target, int64_t at,
			 bool kernel_done, bool shared, char *ret_path, size_t pathlen, char *err, size_t errlen)
{
	char dir[4096], name[ADDR_STRLEN + 8], tmp[ADDR_STRLEN + 32], a[ADDR_STRLEN], by[160];
	int dfd = -1, fd = -1, r = 0;

	bans_whoami(by, sizeof(by));

	bans_target_name(target, name);
	if ((size_t) snprintf(dir, sizeof(dir), "%s/%s", state_dir, dirname) >= sizeof(dir)) {
		snprintf(err, errlen, "state_dir '%s' is too long", state_dir);
		return -ENAMETOOLONG;
	}
	if ((r = shared ? shared_dir_make(dir) : bans_request_mkdir(state_dir, dir)) < 0) {
		snprintf(err, errlen, "cannot create '%s': %s", dir, strerror(-r));
		return r;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot open '%s': %s", dir, strerror(errno));
		return r;
	}
	snprintf(tmp, sizeof(tmp), ".%s.%ld", name, (long) getpid());
	addr_format(&target->net, a);
	if ((fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, shared ? 0644 : 0600)) >= 0 &&
	    (shared ? fchmod(fd, 0644) < 0 && (r = -errno) < 0 : (r = statedir_own(state_dir, fd)) < 0)) {
		/* the daemon's user must own it, as it owns everything in state_dir */
		close(fd);
		fd = -1;
		errno = -r;
	}
	if (fd < 0 || dprintf(fd, "%s/%u\nby %s\nat %lld\n%s", a, target->prefix, by, (long long) at,
			      kernel_done ? BANS_KERNEL_DONE "\n" : "") < 0 ||
	    fsync(fd) < 0 || close(fd) < 0 || renameat(dfd, tmp, dfd, name) < 0 || sync_dir(dfd) < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot write the request '%s/%s': %s", dir, name, strerror(errno));
		(void) unlinkat(dfd, tmp, 0);
		close(dfd);
		return r;
	}
	close(dfd);
	if (ret_path)
		snprintf(ret_path, pathlen, "%s/%s", dir, name);
	return 0;
}

int bans_request_to(const char *state_dir, const char *dirname, const struct cidr *target, int64_t at,
		    char *ret_path, size_t pathlen, char *err, size_t errlen)
{
	return request_write(state_dir, dirname, target, at, false, false, ret_path, pathlen, err, errlen);
}

int bans_request_forget(const char *state_dir, const char *shared_dir, const struct cidr *target, int64_t at,
			char *err, size_t errlen)
{
	if (shared_dir)
		return request_write(shared_dir, BANS_FORGET_DIR, target, at, true, true, NULL, 0, err, errlen);
	return request_write(state_dir, BANS_REQUEST_DIR, target, at, true, false, NULL, 0, err, errlen);
}

int bans_request_unban(const char *state_dir, const struct cidr *target, char *ret_path, size_t pathlen,
		       char *err, size_t errlen)
{
	return bans_request_to(state_dir, BANS_REQUEST_DIR, target, (int64_t) time(NULL), ret_path, pathlen, err,
			       errlen);
}

/* "ADDR-PREFIX" → target; -1 when it is not one. */
static int parse_request_name(const char *name, struct cidr *ret)
{
	char buf[ADDR_STRLEN + 8];
	char *dash;
	size_t len = strlen(name);

	if (len >= sizeof(buf))
		return -1;
	memcpy(buf, name, len + 1);
	if ((dash = strrchr(buf, '-')) == NULL)
		return -1;
	*dash = '/';
	if (cidr_parse(buf, len, ret) < 0 || ret->prefix == 0)
		return -1;
	return 0;
}

int bans_request_walk(const char *state_dir, const char *dirname, bool take, int64_t since, unsigned limit,
		bans_request_fn *fn, void *data, struct bans_requests *ret, char *err, size_t errlen)
{
	struct bans_requests n = {0, 0, 0};
	char dir[4096];
	struct dirent *d;
	DIR *dp;
	int dfd, first = 0;

	if ((size_t) snprintf(dir, sizeof(dir), "%s/%s", state_dir, dirname) >= sizeof(dir))
		return -ENAMETOOLONG;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		if (errno == ENOENT) {
			if (ret)
				*ret = n;
			return 0;
		}
		first = -errno;
		snprintf(err, errlen, "cannot read unban requests '%s': %s", dir, strerror(errno));
		return first;
	}
	if ((dp = fdopendir(dfd)) == NULL) {
		first = -errno;
		close(dfd);
		return first;
	}
	while ((d = readdir(dp)) != NULL && n.taken + n.rejected < limit) {
		struct stat st;
		struct cidr t;
		char by[200];
		int64_t at;
		bool kernel_done;
		int r;

		if (d->d_name[0] == '.')
			continue;	/* . .. and requests being written */
		if (fstatat(dfd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;	/* gone meanwhile */
		if (since > 0 && S_ISREG(st.st_mode) && (int64_t) st.st_mtime < since)
			continue;	/* read by an earlier call */
		if (!S_ISREG(st.st_mode) || (st.st_uid != geteuid() && st.st_uid != 0) ||
		    parse_request_name(d->d_name, &t) < 0) {
			if (take)
				(void) unlinkat(dfd, d->d_name, 0);
			n.rejected++;
			continue;
		}
		request_read(dfd, d->d_name, &st, by, sizeof(by), &at, &kernel_done);
		if ((r = fn(data, &t, by, at, kernel_done, err, errlen)) < 0) {
			if (first == 0)
				first = r;	/* the request stays and is tried again */
			continue;
		}
		n.forgotten += (unsigned) r;
		n.taken++;
		if (take)
			(void) unlinkat(dfd, d->d_name, 0);
	}
	closedir(dp);
	if (ret)
		*ret = n;
	return first < 0 ? first : (int) n.taken;
}

int bans_walk_requests(const char *state_dir, const char *dirname, bool take, bans_request_fn *fn, void *data,
		       struct bans_requests *ret, char *err, size_t errlen)
{
	return bans_request_walk(state_dir, dirname, take, 0, BANS_REQUESTS_MAX, fn, data, ret, err, errlen);
}

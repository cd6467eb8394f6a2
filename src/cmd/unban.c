/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	unban 3
 * SUMMARY
 *	authfold unban: remove a ban from the kernel and forget the address
 * SYNOPSIS
 *	#include "unban.h"
 *
 *	int unban_main(const struct config *c, const struct cidr *target, long wait_s);
 * DESCRIPTION
 *	The command `authfold unban` (authfold(8)). The kernel's entries
 *	inside or around target are removed at once (bans_kernel_unban()),
 *	whoever holds the history. Then, with no daemon holding
 *	STATE_DIR/lock, the unban event is logged and every state file is
 *	edited here (bans_unban_all()); with a daemon running, the request
 *	STATE_DIR/unban.d/ADDR-PREFIX is left for it (daemon(3) takes it
 *	within a second) and waited for up to wait_s seconds. On an MX that
 *	enforces central decisions (state_dir holds enforce.log or
 *	enforce.status), the request STATE_DIR/enforce-unban.d/ADDR-PREFIX
 *	asks authfold-enforce(8) to lift the central bans of target and
 *	inside it (enforce(3)): a running enforcer takes it at its next
 *	tick, about once a second (waited for up to wait_s seconds), a later
 *	one when it starts or at
 *	--restore. With publish = syslog the unban is published to every MX
 *	(publish(3)): with a daemon running, through the request
 *	STATE_DIR/publish-unban.d/ADDR-PREFIX that it takes within a second
 *	(waited for up to wait_s seconds), so that its resync stops sending
 *	the lifted bans; else from here, through the outbox in state_dir,
 *	which keeps the unban when rsyslog does not take it now. An unban
 *	wider than a decision may be (/8, /16 for IPv6) is refused with that
 *	reason.
 * DIAGNOSTICS
 *	On stderr, prefixed "authfold: unban"; returns the exit status, 0 or 1.
 */

#include "unban.h"

#include "backend.h"
#include "bans.h"
#include "statedir.h"
#include "enforce.h"
#include "publish.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Whether an authfold-enforce holds STATE_DIR/enforce.lock (a shared
   lock is refused while it holds its exclusive one). */
static bool enforcer_runs(const struct config *c)
{
	char path[4200];
	bool runs = false;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", enforce_dir(c), ENFORCE_LOCK_NAME);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK)) < 0)
		return false;
	if (flock(fd, LOCK_SH | LOCK_NB) < 0)
		runs = errno == EWOULDBLOCK;
	close(fd);	/* drops the shared lock at once */
	return runs;
}

/* On an MX that enforces central decisions: asks authfold-enforce to
   lift the central bans of t. 0, or 1 when the request cannot be made. */
static int unban_central(const struct config *c, const struct cidr *t, const char *name, long wait_s)
{
	char path[4200], req[4200], err[1024];
	struct stat st;
	int r;

	if (strlen(enforce_dir(c)) > 4096)
		return 0;	/* no enforcer can use it */
	snprintf(path, sizeof(path), "%s/%s", enforce_dir(c), ENFORCE_LOG_NAME);
	if (stat(path, &st) < 0) {
		snprintf(path, sizeof(path), "%s/%s", enforce_dir(c), ENFORCE_STATUS_NAME);
		if (stat(path, &st) < 0)
			return 0;	/* this host does not enforce central decisions */
	}
	if (t->prefix < (t->net.family == AF_INET ? 8u : 16u)) {
		fprintf(stderr, "authfold: unban %s: central bans are not lifted for a network wider than /%u: "
			"unban the narrower networks\n", name, t->net.family == AF_INET ? 8 : 16);
		return 1;
	}
	if ((r = bans_request_to(enforce_dir(c), ENFORCE_REQUEST_DIR, t, (int64_t) time(NULL), req, sizeof(req), err,
				 sizeof(err))) < 0) {
		fprintf(stderr, "authfold: unban %s: central bans not lifted: %s\n", name, err);
		return 1;
	}
	if (!enforcer_runs(c)) {
		fprintf(stderr, "authfold: unban %s: the central bans held here are lifted when authfold-enforce next "
			"starts (the next central decision, or --restore at boot): '%s' waits for it\n", name, req);
		return 0;
	}
	for (long i = 0; i < wait_s * 100 && access(req, F_OK) == 0; i++)
		usleep(10000);
	if (access(req, F_OK) == 0)
		fprintf(stderr, "authfold: unban %s: the running authfold-enforce has not taken '%s' yet; it will "
			"at its next tick or start\n", name, req);
	else
		fprintf(stderr, "authfold: unban %s: central bans held here lifted by the running authfold-enforce\n",
			name);
	return 0;
}

/* With publish = syslog: the unban goes into the outbox (publish(3)):
   the running daemon's, through a request, or (locked: no daemon runs)
   the one in state_dir, kept there if rsyslog does not take it now. */
static int unban_publish(const struct config *c, const struct cidr *t, const char *name, bool locked, long wait_s)
{
	char err[1024] = "out of memory", req[4200];
	struct publish *p = NULL;
	int64_t now = (int64_t) time(NULL);
	int r, status = 0;

	if (t->prefix < (t->net.family == AF_INET ? 8u : 16u)) {
		fprintf(stderr, "authfold: unban %s: not published: a decision is never wider than /%u (the MX would "
			"refuse it); unban the narrower networks\n", name, t->net.family == AF_INET ? 8 : 16);
		return 1;
	}
	if (!locked && access(c->state_dir, F_OK) == 0) {	/* a daemon runs: it publishes */
		if ((r = bans_request_to(c->state_dir, PUBLISH_REQUEST_DIR, t, now, req, sizeof(req), err,
					 sizeof(err))) < 0) {
			fprintf(stderr, "authfold: unban %s: not published: %s\n", name, err);
			return 1;
		}
		for (long i = 0; i < wait_s * 100 && access(req, F_OK) == 0; i++)
			usleep(10000);
		if (access(req, F_OK) == 0)
			fprintf(stderr, "authfold: unban %s: the running daemon has not published it yet; '%s' waits for "
				"it\n", name, req);
		else
			fprintf(stderr, "authfold: unban %s: published by the running daemon\n", name);
		return 0;
	}
	if ((r = publish_new(c, &p)) < 0) {
		fprintf(stderr, "authfold: unban %s: not published: %s\n", name,
			r == -EINVAL ? "the host name is not usable as by=; set publish_host" : strerror(-r));
		return 1;
	}
	if (locked && (r = publish_store(p, c->state_dir, now, err, sizeof(err))) < 0) {
		fprintf(stderr, "authfold: unban %s: %s; publishing it without keeping it\n", name, err);
		locked = false;
	}
	r = publish_unban(p, t, now, err, sizeof(err));
	if (r < 0 && publish_pending(p) == 0) {
		fprintf(stderr, "authfold: unban %s: not published: %s\n", name, err);
		status = 1;
	} else if (r < 0 && locked) {
		fprintf(stderr, "authfold: unban %s: not published yet (%s): kept in '%s/%s', published when authfold "
			"next runs\n", name, err, c->state_dir, OUTBOX_NAME);
	} else if (r < 0) {
		fprintf(stderr, "authfold: unban %s: not published: %s\n", name, err);
		status = 1;
	} else {
		fprintf(stderr, "authfold: unban %s: published: %s\n", name, publish_last(p));
	}
	if (locked && publish_save(p, now, err, sizeof(err)) < 0) {
		fprintf(stderr, "authfold: unban %s: %s\n", name, err);
		status = 1;
	}
	publish_free(p);
	return status;
}

int unban_main(const struct config *c, const struct cidr *target, long wait_s)
{
	struct backend backend = {0};
	const struct cidr t = *target;
	char err[1024], name[ADDR_STRLEN + 8], req[4200];
	unsigned forgotten = 0, files = 0;
	int r, status = 1, lock = -1;

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
	if (c->backend == BACKEND_NONE)
		snprintf(kmsg, sizeof(kmsg), "backend = none, no kernel set");
	else if (sw.unlisted)
		snprintf(kmsg, sizeof(kmsg), "the kernel set could not be listed: %s", sw.removed ?
			 "only the entry of that name was removed" : "no entry of that name was in it, others inside "
			 "the prefix may remain");
	else
		snprintf(kmsg, sizeof(kmsg), "%u kernel entr%s removed", sw.removed, sw.removed == 1 ? "y" : "ies");
	r = statedir_trylock(c->state_dir, &lock);
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
		fprintf(stderr, "authfold: unban: cannot lock '%s/%s': %s\n", c->state_dir, STATEDIR_LOCK_FILE, strerror(-r));
	}
	if (status == 0)
		status = unban_central(c, &t, name, wait_s);
	if (status == 0 && c->publish != PUBLISH_NONE)	/* every MX, through rsyslog */
		status = unban_publish(c, &t, name, lock >= 0, wait_s);
out:
	statedir_unlock(lock);
	backend_close(&backend);
	return status;
}

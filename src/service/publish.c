/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	publish 3
 * SUMMARY
 *	send ban and unban decisions to the local syslog socket
 * SYNOPSIS
 *	#include "publish.h"
 *
 *	int	publish_new(c, ret)
 *	int	publish_ban(p, net, now, until, reason, err, errlen)
 *	int	publish_unban(p, net, now, err, errlen)
 *	int	publish_flush(p, err, errlen)
 *	int	publish_tick(p, now, err, errlen)
 *	void	publish_on_ban(data, d)
 * DESCRIPTION
 *	With `publish = syslog`, the deciding authfold (authfold-omprog or
 *	authfold journal) gives every ban it decides, and `authfold unban`
 *	every unban, to the local syslog daemon as one decision(3) line:
 *
 *	  <PRI>Mmm dd hh:mm:ss TAG[PID]: authfold-decision v1 id=... op=ban ...
 *
 *	PRI is publish_facility with severity notice, TAG publish_tag, sent
 *	as one datagram to publish_socket (default /dev/log; the shipped
 *	rsyslog example gives authfold a socket of its own bound to the
 *	ruleset that forwards decisions over RELP). by= is publish_host or
 *	gethostname(2); id= is random per decision.
 *
 *	A decision that cannot be sent (no syslog daemon, a full socket
 *	buffer: the socket is non-blocking, so the deciding daemon never
 *	waits on rsyslog) is queued, in order, and publish_flush() sends it
 *	later; the daemons call it about once a second and before saving
 *	their state.
 *
 *	publish_tick(), called about once a second, also sends a keep-alive
 *	(op=alive, decision(3)) when nothing was published for publish_alive
 *	seconds: the MX see that the path from the central host works
 *	(authfold status: last central decision), and rsyslog finds a broken
 *	RELP session within that time rather than at the next ban.
 * DIAGNOSTICS
 *	0 or -errno; err holds the socket path and strerror(). The library
 *	does not log; counters say what was sent, what failed and what was
 *	dropped.
 * SECURITY
 *	Nothing external goes into a decision but an address the policy
 *	parsed with inet_pton(3) and a reason name the configuration
 *	checked; decision_format() refuses anything else. The pending queue
 *	is bounded (PUBLISH_PENDING_MAX lines of DECISION_LINE_MAX bytes,
 *	allocated once); when it is full the oldest decision is dropped and
 *	counted.
 * BUGS
 *	Decisions still waiting when the daemon ends are lost (the local
 *	ban is not; the MX keep banning on their own strikes).
 */

#include "publish.h"

#include "errmsg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

struct publish {
	const struct config *c;
	char by[DECISION_BY_MAX + 1];
	int fd;				/* -1: not connected */
	char (*queue)[DECISION_LINE_MAX + 1];
	size_t head, n;
	struct publish_counters counters;
	char last[DECISION_LINE_MAX + 1];
	int64_t last_published;		/* unix seconds of the last decision or keep-alive */
};

int publish_new(const struct config *c, struct publish **ret)
{
	struct publish *p;

	*ret = NULL;
	if (c->publish == PUBLISH_NONE)
		return 0;
	if ((p = calloc(1, sizeof(*p))) == NULL || (p->queue = calloc(PUBLISH_PENDING_MAX, sizeof(*p->queue))) == NULL) {
		free(p);
		return -ENOMEM;
	}
	p->c = c;
	p->fd = -1;
	if (c->publish_host)
		snprintf(p->by, sizeof(p->by), "%s", c->publish_host);
	else if (gethostname(p->by, sizeof(p->by) - 1) < 0 || !decision_by_ok(p->by, strlen(p->by))) {
		free(p->queue);
		free(p);
		return -EINVAL;
	}
	*ret = p;
	return 0;
}

void publish_free(struct publish *p)
{
	if (p == NULL)
		return;
	if (p->fd >= 0)
		close(p->fd);
	free(p->queue);
	free(p);
}

size_t publish_pending(const struct publish *p)
{
	return p->n;
}

const struct publish_counters *publish_counters(const struct publish *p)
{
	return &p->counters;
}

const char *publish_last(const struct publish *p)
{
	return p->last;
}

static int connect_socket(struct publish *p)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(p->c->publish_socket) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, p->c->publish_socket);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	p->fd = fd;
	return 0;
}

/* One datagram for line; 0 or -errno. */
static int send_line(struct publish *p, const char *line)
{
	char msg[DECISION_LINE_MAX + 128], stamp[32];
	time_t t = time(NULL);
	struct tm tm;
	int n, r;

	if (localtime_r(&t, &tm) == NULL || strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm) == 0)
		snprintf(stamp, sizeof(stamp), "Jan  1 00:00:00");
	n = snprintf(msg, sizeof(msg), "<%d>%s %s[%ld]: %s", p->c->publish_facility | LOG_NOTICE, stamp,
		     p->c->publish_tag, (long) getpid(), line);
	if (n < 0 || (size_t) n >= sizeof(msg))
		return -EMSGSIZE;
	for (int attempt = 0; attempt < 2; attempt++) {
		if (p->fd < 0 && (r = connect_socket(p)) < 0)
			return r;
		if (send(p->fd, msg, (size_t) n, MSG_NOSIGNAL) == n)
			return 0;
		r = -errno;
		if (r == -EAGAIN || r == -EINTR)
			return r;	/* full: keep the socket, try later */
		close(p->fd);		/* syslog restarted: reconnect once */
		p->fd = -1;
	}
	return r;
}

/* Queues line after the waiting ones (the oldest goes when full). */
static void enqueue(struct publish *p, const char *line)
{
	if (p->n == PUBLISH_PENDING_MAX) {
		p->head = (p->head + 1) % PUBLISH_PENDING_MAX;
		p->n--;
		p->counters.dropped++;
	}
	snprintf(p->queue[(p->head + p->n) % PUBLISH_PENDING_MAX], DECISION_LINE_MAX + 1, "%s", line);
	p->n++;
}

int publish_flush(struct publish *p, char *err, size_t errlen)
{
	while (p->n > 0) {
		int r = send_line(p, p->queue[p->head]);

		if (r < 0) {
			p->counters.failed_sends++;
			set_err(err, errlen, "cannot send a decision to '%s': %s", p->c->publish_socket, strerror(-r));
			return r;
		}
		p->counters.sent++;
		p->head = (p->head + 1) % PUBLISH_PENDING_MAX;
		p->n--;
	}
	return 0;
}

static int publish(struct publish *p, const struct decision *d, char *err, size_t errlen)
{
	char line[DECISION_LINE_MAX + 1];
	int r = decision_format(d, line, sizeof(line));

	if (r < 0) {
		set_err(err, errlen, "cannot format a decision: %s", strerror(-r));
		return r;
	}
	if (d->op != DECISION_ALIVE)
		snprintf(p->last, sizeof(p->last), "%s", line);
	p->last_published = d->at;
	enqueue(p, line);
	return publish_flush(p, err, errlen);
}

static int fill(struct publish *p, struct decision *d, const struct cidr *net, int64_t now)
{
	int r;

	memset(d, 0, sizeof(*d));
	if ((r = decision_new_id(d->id)) < 0)
		return r;
	d->net = *net;
	addr_mask(&d->net.net, d->net.prefix);
	d->at = now;
	snprintf(d->by, sizeof(d->by), "%s", p->by);
	return 0;
}

int publish_ban(struct publish *p, const struct cidr *net, int64_t now, int64_t until, const char *reason,
		char *err, size_t errlen)
{
	struct decision d;
	int r;

	if ((r = fill(p, &d, net, now)) < 0) {
		set_err(err, errlen, "cannot make a decision id: %s", strerror(-r));
		return r;
	}
	d.op = DECISION_BAN;
	d.until = until < now ? now : until;
	snprintf(d.reason, sizeof(d.reason), "%s", reason);
	return publish(p, &d, err, errlen);
}

int publish_unban(struct publish *p, const struct cidr *net, int64_t now, char *err, size_t errlen)
{
	struct decision d;
	int r;

	if ((r = fill(p, &d, net, now)) < 0) {
		set_err(err, errlen, "cannot make a decision id: %s", strerror(-r));
		return r;
	}
	d.op = DECISION_UNBAN;
	d.until = 0;
	snprintf(d.reason, sizeof(d.reason), "admin");
	return publish(p, &d, err, errlen);
}

int publish_tick(struct publish *p, int64_t now, char *err, size_t errlen)
{
	struct decision d;
	int r;

	if (p->c->publish_alive > 0 && now - p->last_published >= p->c->publish_alive && p->n == 0) {
		if ((r = fill(p, &d, &(struct cidr) {{0}, 0}, now)) < 0) {
			set_err(err, errlen, "cannot make a decision id: %s", strerror(-r));
			return r;
		}
		memset(&d.net, 0, sizeof(d.net));
		d.op = DECISION_ALIVE;
		return publish(p, &d, err, errlen);
	}
	return publish_flush(p, err, errlen);
}

void publish_on_ban(void *data, const struct engine_decided *d)
{
	struct publish *p = data;
	struct cidr net = {d->net, d->prefix};
	int64_t now = (int64_t) time(NULL), until = (d->until_usec + 999999) / 1000000;

	if (until <= now)
		return;		/* an old log replayed: nothing left to enforce */
	(void) publish_ban(p, &net, now, until, reason_name(d->reason), NULL, 0);
}

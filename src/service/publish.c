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
 *	int	publish_store(p, state_dir, now, err, errlen)
 *	void	publish_set_policy(p, policy)
 *	int	publish_ban(p, net, now, until, reason, err, errlen)
 *	int	publish_unban(p, net, now, err, errlen)
 *	int	publish_flush(p, err, errlen)
 *	int	publish_tick(p, now, err, errlen)
 *	int	publish_take_requests(p, state_dir, now, ret_msg, msglen)
 *	int	publish_sync(p, now, err, errlen)
 *	int	publish_save(p, now, err, errlen)
 *	void	publish_on_ban(data, d)
 *	void	publish_free(p)
 *	size_t	publish_pending(p)
 *	const struct publish_counters *publish_counters(p)
 *	const struct outbox *publish_outbox(p)
 *	const char *publish_last(p)
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
 *	Every decision goes into an outbox(3) first: pending until the
 *	socket took it (the socket is non-blocking, so the deciding daemon
 *	never waits on rsyslog), held afterwards while it matters (a ban
 *	until its end, an unban for bantime_max). With publish_store() the
 *	outbox lives in state_dir (publish.log): publish_sync() (the
 *	daemons' checkpoint) makes it durable, publish_save() (their end)
 *	rewrites it, and a restart sends what was still pending. Nothing is
 *	dropped for want of room but a ban past OUTBOX_ENTRIES_MAX.
 *
 *	Resync: every publish_resync seconds a round begins that sends every
 *	held decision again, same id, spread over the period (at most
 *	what the socket takes, the rest at the next tick), then a round
 *	marker: a keep-alive whose id is "00000000" followed by the number
 *	of bans the round sent, in 8 hex digits. An MX that lost its state,
 *	a new one, or one whose rsyslog action was disabled is back in step
 *	within two periods without a new strike; one in step finds only
 *	duplicates (authfold-enforce(8) keeps them as they are). With
 *	publish_set_policy(), a round begins by comparing the policy's
 *	running bans with the outbox: a ban the outbox does not cover (its
 *	decision was lost in a crash, or decided before publish was on) is
 *	taken as a new decision with the ban's own start as at=, so a
 *	repeat strike that counts as "already banned" never hides it.
 *
 *	A ban that began (its deciding strike's log time) no later than an
 *	unban the outbox holds for its network or a wider one is not
 *	published, neither by publish_on_ban() nor by the resync: it is one
 *	that unban lifted, come back because the lines that decided it were
 *	delivered again after a restart (RELP and omprog deliver at least
 *	once) or because the policy's forgetting was not saved yet. An
 *	unban `authfold unban` took is never undone by a restart.
 *
 *	publish_tick(), called about once a second, sends what waits, the
 *	resync's share (waiting for rsyslog to read from a full socket for
 *	at most PUBLISH_TICK_WAIT_USEC in all: the socket holds only
 *	net.unix.max_dgram_qlen datagrams), and a keep-alive (op=alive,
 *	decision(3)) when
 *	nothing was sent for publish_alive seconds: the MX see that the
 *	path from the central host works, and rsyslog finds a broken RELP
 *	session within that time rather than at the next ban.
 *
 *	publish_take_requests() takes `authfold unban` requests left in
 *	state_dir/PUBLISH_REQUEST_DIR (bans(3)) while a daemon runs: each
 *	is taken as an unban at the time it was asked and made durable
 *	before the request is deleted.
 * DIAGNOSTICS
 *	0 or -errno; err holds the socket or file and strerror(). The
 *	library does not log; counters say what was sent and resent, what
 *	failed and what was refused.
 * SECURITY
 *	Nothing external goes into a decision but an address the policy
 *	parsed with inet_pton(3) and a reason name the configuration
 *	checked; decision_format() refuses anything else. The outbox is
 *	bounded (outbox(3)). A resync sends at most its share of the held
 *	decisions per tick: the cost is spread evenly over the period.
 */

#include "publish.h"

#include "bans.h"
#include "errmsg.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
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
	struct outbox *o;
	struct policy *policy;		/* NULL: no reconciliation */
	struct publish_counters counters;
	char last[DECISION_LINE_MAX + 1];
	int64_t last_published;		/* unix seconds of the last line sent */
	/* the resync */
	int64_t round_next;		/* when the next round begins; 0: not set */
	int64_t round_start;		/* 0: no round running */
	size_t round_total;		/* held decisions when it began */
	size_t round_sent, round_bans;
	const struct decision *held;	/* walked but not sent yet (the socket was full) */
	int64_t deadline;		/* monotonic µs: a full socket is waited for until then */
};

int publish_new(const struct config *c, struct publish **ret)
{
	struct publish *p;
	char err[8];
	int r;

	*ret = NULL;
	if (c->publish == PUBLISH_NONE)
		return 0;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return -ENOMEM;
	if ((r = outbox_open(NULL, c->bantime_max, 0, &p->o, err, sizeof(err))) < 0) {
		free(p);
		return r;
	}
	p->c = c;
	p->fd = -1;
	if (c->publish_host)
		snprintf(p->by, sizeof(p->by), "%s", c->publish_host);
	else if (gethostname(p->by, sizeof(p->by) - 1) < 0 || !decision_by_ok(p->by, strlen(p->by))) {
		publish_free(p);
		return -EINVAL;
	}
	*ret = p;
	return 0;
}

int publish_store(struct publish *p, const char *state_dir, int64_t now, char *err, size_t errlen)
{
	struct outbox *o;
	int r;

	if ((r = outbox_open(state_dir, p->c->bantime_max, now, &o, err, errlen)) < 0)
		return r;
	outbox_free(p->o);	/* nothing was decided yet */
	p->o = o;
	p->held = NULL;
	p->round_start = 0;
	return 0;
}

void publish_set_policy(struct publish *p, struct policy *policy)
{
	p->policy = policy;
}

void publish_free(struct publish *p)
{
	if (p == NULL)
		return;
	if (p->fd >= 0)
		close(p->fd);
	outbox_free(p->o);
	free(p);
}

size_t publish_pending(const struct publish *p)
{
	return outbox_pending(p->o);
}

const struct publish_counters *publish_counters(const struct publish *p)
{
	return &p->counters;
}

const struct outbox *publish_outbox(const struct publish *p)
{
	return p->o;
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

static int64_t mono_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Within a tick's budget: waits until rsyslog has read from a full socket
   (its queue holds net.unix.max_dgram_qlen datagrams, 10 by default).
   true: there is room now. */
static bool wait_room(struct publish *p)
{
	int64_t left = p->deadline - mono_usec();
	struct pollfd pfd = {.fd = p->fd, .events = POLLOUT};

	if (left <= 0 || p->fd < 0)
		return false;
	return poll(&pfd, 1, (int) ((left + 999) / 1000)) > 0 && (pfd.revents & POLLOUT);
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
		if ((r == -EAGAIN || r == -EINTR) && wait_room(p)) {
			attempt--;	/* rsyslog read some: again */
			continue;
		}
		if (r == -EAGAIN || r == -EINTR)
			return r;	/* full: keep the socket, try later */
		close(p->fd);		/* syslog restarted: reconnect once */
		p->fd = -1;
	}
	return r;
}

/* Formats and sends d; 0 or -errno with err. */
static int send_decision(struct publish *p, const struct decision *d, int64_t now, char *err, size_t errlen)
{
	char line[DECISION_LINE_MAX + 1];
	int r = decision_format(d, line, sizeof(line));

	if (r < 0) {
		set_err(err, errlen, "cannot format a decision: %s", strerror(-r));
		return r;
	}
	if ((r = send_line(p, line)) < 0) {
		p->counters.failed_sends++;
		set_err(err, errlen, "cannot send a decision to '%s': %s", p->c->publish_socket, strerror(-r));
		return r;
	}
	if (d->op != DECISION_ALIVE)
		snprintf(p->last, sizeof(p->last), "%s", line);
	if (now > p->last_published)
		p->last_published = now;
	return 0;
}

static int flush_at(struct publish *p, int64_t now, char *err, size_t errlen)
{
	const struct decision *d;
	int r;

	while ((d = outbox_pending_first(p->o)) != NULL) {
		if ((r = send_decision(p, d, now, err, errlen)) < 0)
			return r;
		p->counters.sent++;
		outbox_sent(p->o);
	}
	return 0;
}

int publish_flush(struct publish *p, char *err, size_t errlen)
{
	return flush_at(p, 0, err, errlen);	/* the keep-alive's clock stays the callers' */
}

static int publish(struct publish *p, const struct decision *d, int64_t now, char *err, size_t errlen)
{
	int r = outbox_add(p->o, d, now, err, errlen);

	if (now > p->last_published)
		p->last_published = now;	/* sent now or soon: no keep-alive needed */
	if (r == -ENOSPC) {
		p->counters.dropped++;
		set_err(err, errlen, "cannot hold more than %u decisions: %s not published", OUTBOX_ENTRIES_MAX,
			d->op == DECISION_BAN ? "ban" : "unban");
		return r;
	}
	if (r < 0 && r != -ENOMEM) {
		/* taken in memory; the file failed: still sent, counted */
		p->counters.store_errors++;
	} else if (r < 0) {
		set_err(err, errlen, "out of memory");
		return r;
	}
	p->held = NULL;		/* the walk's pointer may be gone */
	{
		char e2[256];
		int f = flush_at(p, now, e2, sizeof(e2));

		if (r >= 0 && f < 0) {
			set_err(err, errlen, "%s", e2);
			r = f;
		}
	}
	return r < 0 ? r : 0;
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

static int ban_at(struct publish *p, const struct cidr *net, int64_t at, int64_t now, int64_t until,
		  const char *reason, char *err, size_t errlen)
{
	struct decision d;
	int r;

	if ((r = fill(p, &d, net, at)) < 0) {
		set_err(err, errlen, "cannot make a decision id: %s", strerror(-r));
		return r;
	}
	d.op = DECISION_BAN;
	d.until = until < at ? at : until;
	snprintf(d.reason, sizeof(d.reason), "%s", reason);
	return publish(p, &d, now, err, errlen);
}

int publish_ban(struct publish *p, const struct cidr *net, int64_t now, int64_t until, const char *reason,
		char *err, size_t errlen)
{
	return ban_at(p, net, now, now, until, reason, err, errlen);
}

int publish_unban(struct publish *p, const struct cidr *net, int64_t now, char *err, size_t errlen)
{
	struct decision d;
	int r;

	if (net->prefix < (net->net.family == AF_INET ? 8u : 16u)) {
		set_err(err, errlen, "a decision is never wider than /%u (the MX refuse it): unban the narrower "
			"networks", net->net.family == AF_INET ? 8 : 16);
		return -ERANGE;
	}
	if ((r = fill(p, &d, net, now)) < 0) {
		set_err(err, errlen, "cannot make a decision id: %s", strerror(-r));
		return r;
	}
	d.op = DECISION_UNBAN;
	d.until = 0;
	snprintf(d.reason, sizeof(d.reason), "admin");
	return publish(p, &d, now, err, errlen);
}

/* The policy's running bans the outbox does not cover become decisions. */
static void reconcile(struct publish *p, int64_t now)
{
	char err[256];

	for (struct policy_entry *x = policy_first(p->policy); x; x = policy_next(x)) {
		struct cidr net = {x->net, x->prefix};
		int64_t until = (x->ban_until_usec + 999999) / 1000000, at = until - x->last_ban_seconds;

		if (x->ban_until_usec == 0 || until <= now)
			continue;
		if (at < 1 || at > now)
			at = now;
		addr_mask(&net.net, net.prefix);
		if (outbox_covers(p->o, &net, at, until) || outbox_unbanned(p->o, &net, at))
			continue;
		(void) ban_at(p, &net, at, now, until, reason_name(x->last_reason), err, sizeof(err));
		if (outbox_covers(p->o, &net, at, until))
			p->counters.reconciled++;	/* taken (sent or pending) */
	}
}

/* The resync's share of this tick. 0, or -errno when the socket is full. */
static int resync(struct publish *p, int64_t now, char *err, size_t errlen)
{
	int64_t period = p->c->publish_resync;
	int r;

	if (period <= 0)
		return 0;
	if (p->round_next == 0)
		p->round_next = now + period;	/* the first round one period after start */
	if (p->round_start == 0) {
		if (now < p->round_next)
			return 0;
		if (p->policy)
			reconcile(p, now);
		p->round_start = now;
		p->round_next = now + period;
		p->round_total = outbox_count(p->o);
		p->round_sent = p->round_bans = 0;
		p->held = NULL;
	}
	/* the share due by now, evenly over the period */
	size_t due = (size_t) ((double) p->round_total * (double) (now - p->round_start + 1) / (double) period) + 1;

	while (p->round_sent < due) {
		const struct decision *d = p->held ? p->held : outbox_walk(p->o, now);

		if (d == NULL)
			break;
		p->held = d;
		if ((r = send_decision(p, d, now, err, errlen)) < 0)
			return r;
		p->held = NULL;
		p->round_sent++;
		p->counters.resent++;
		if (d->op == DECISION_BAN)
			p->round_bans++;
	}
	if (p->round_sent < due) {	/* the walk ended: the round's marker */
		struct decision m;

		if ((r = fill(p, &m, &(struct cidr) {{0}, 0}, now)) < 0) {
			set_err(err, errlen, "cannot make a decision id: %s", strerror(-r));
			return r;
		}
		memset(&m.net, 0, sizeof(m.net));
		m.op = DECISION_ALIVE;
		snprintf(m.id, sizeof(m.id), "00000000%08x", (unsigned) (p->round_bans & 0xffffffffu));
		if ((r = send_decision(p, &m, now, err, errlen)) < 0)
			return r;
		p->counters.rounds++;
		p->counters.last_round = now;
		p->round_start = 0;
	}
	return 0;
}

int publish_tick(struct publish *p, int64_t now, char *err, size_t errlen)
{
	struct decision d;
	int r;

	p->deadline = mono_usec() + PUBLISH_TICK_WAIT_USEC;
	r = flush_at(p, now, err, errlen);
	if (r == 0)
		r = resync(p, now, err, errlen);
	p->deadline = 0;	/* elsewhere the daemon never waits on rsyslog */
	if (r < 0)
		return r;
	if (p->c->publish_alive > 0 && now - p->last_published >= p->c->publish_alive) {
		if ((r = fill(p, &d, &(struct cidr) {{0}, 0}, now)) < 0) {
			set_err(err, errlen, "cannot make a decision id: %s", strerror(-r));
			return r;
		}
		memset(&d.net, 0, sizeof(d.net));
		d.op = DECISION_ALIVE;
		if ((r = send_decision(p, &d, now, err, errlen)) < 0)
			return r;
		p->counters.sent++;
	}
	return 0;
}

struct take {
	struct publish *p;
	int64_t now;
};

static int take_one(void *data, const struct cidr *t, const char *by, int64_t at, bool kernel_done, char *err,
		    size_t errlen)
{
	struct take *tk = data;
	int r;

	(void) by;
	(void) kernel_done;	/* the central host has no kernel part to leave alone */
	if (at > tk->now || at < 1)
		at = tk->now;
	r = publish_unban(tk->p, t, at, err, errlen);
	if (r == -ERANGE)
		return 0;	/* never publishable: the request goes (authfold unban said why) */
	if (r < 0 && publish_pending(tk->p) == 0)
		return r;
	/* durable before the request goes */
	return (r = outbox_sync(tk->p->o, tk->now, err, errlen)) < 0 ? r : 0;
}

int publish_take_requests(struct publish *p, const char *state_dir, int64_t now, char *ret_msg, size_t msglen)
{
	struct take tk = {p, now};
	struct bans_requests n;
	int r;

	ret_msg[0] = '\0';
	r = bans_walk_requests(state_dir, PUBLISH_REQUEST_DIR, true, take_one, &tk, &n, ret_msg, msglen);
	if (r > 0)
		snprintf(ret_msg, msglen, "%u unban%s published", n.taken, n.taken == 1 ? "" : "s");
	return r;
}

int publish_sync(struct publish *p, int64_t now, char *err, size_t errlen)
{
	p->held = NULL;	/* a compaction drops expired entries */
	return outbox_sync(p->o, now, err, errlen);
}

int publish_save(struct publish *p, int64_t now, char *err, size_t errlen)
{
	p->held = NULL;
	return outbox_save(p->o, now, err, errlen);
}

void publish_on_ban(void *data, const struct engine_decided *d)
{
	struct publish *p = data;
	struct cidr net = {d->net, d->prefix};
	int64_t now = (int64_t) time(NULL), until = (d->until_usec + 999999) / 1000000;

	if (until <= now)
		return;		/* an old log replayed: nothing left to enforce */
	/* Strikes older than an unban the outbox holds (lines delivered again
	   after a restart: RELP and omprog deliver at least once) decide a ban
	   the admin already lifted: published with at = now, it would replace
	   the unban on every MX. */
	if (outbox_unbanned(p->o, &net, d->at_usec / 1000000)) {
		p->counters.lifted++;
		return;
	}
	(void) publish_ban(p, &net, now, until, reason_name(d->reason), NULL, 0);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	outbox 3
 * SUMMARY
 *	the central host's durable set of decisions to publish
 * SYNOPSIS
 *	#include "outbox.h"
 *
 *	int	outbox_open(state_dir, keep_unban, now, ret, err, errlen)
 *	void	outbox_free(o)
 *	int	outbox_add(o, d, now, err, errlen)
 *	bool	outbox_covers(o, net, at, until)
 *	bool	outbox_unbanned(o, net, at)
 *	const struct decision *outbox_pending_first(o)
 *	void	outbox_sent(o)
 *	size_t	outbox_pending(o)
 *	size_t	outbox_count(o)
 *	size_t	outbox_bans(o)
 *	const struct decision *outbox_walk(o, now)
 *	int	outbox_sync(o, now, err, errlen)
 *	int	outbox_save(o, now, err, errlen)
 *	const struct outbox_counters *outbox_counters(o)
 * DESCRIPTION
 *	What publish(3) has decided and the MX must know: one entry per
 *	network, either a running ban (until its end) or an unban (for
 *	keep_unban seconds after it was decided: every ban it lifted has
 *	ended by then), each the decision(3) it was published as, same id.
 *
 *	- a ban replaces the decision held for its network unless that is
 *	  the same id, a ban ending no earlier, or an unban decided later;
 *	- an unban drops every held ban of its network and inside it decided
 *	  no later, and is held itself unless a later unban is.
 *
 *	A decision taken is pending until outbox_sent(): pending ones are
 *	handed out oldest first. outbox_walk() goes round every held
 *	decision, for the resync (publish(3) sends them again, same ids).
 *
 *	Durable: every decision taken is appended to state_dir/OUTBOX_NAME
 *	as "P DECISION" (pending); outbox_sync() makes the appended lines
 *	durable and outbox_save() rewrites the file from memory, sent ones
 *	as "S DECISION" (temporary file, fsync, rename). outbox_open()
 *	replays the file (a line cut by a crash is skipped and counted) and
 *	rewrites it. A decision sent before a crash but still marked P is
 *	sent again: a duplicate, which the MX take as a no-op.
 * DIAGNOSTICS
 *	0 or -errno, with the file at fault in err. The library does not log.
 * SECURITY
 *	Only what the central host decided goes in (decision_format() checks
 *	every field); the file is created 0640 in the caller's locked
 *	state_dir, its lines bounded and parsed by decision_parse(). The
 *	entries are bounded: OUTBOX_ENTRIES_MAX, past which a ban is refused
 *	and counted (the policy table holding the running bans is smaller);
 *	unbans, which only an admin makes, are still taken for
 *	OUTBOX_UNBANS_EXTRA more, so that no unban is dropped for a flood
 *	of bans. An unban scans every entry.
 */

#include "outbox.h"

#include "errmsg.h"
#include "output.h"
#include "replacefile.h"
#include "lru.h"
#include "table.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

struct entry {
	struct decision d;
	struct table_node node;		/* by network */
	struct lru_node all;		/* every entry, oldest first: the resync walk */
	struct lru_node pend;		/* pending ones, oldest first */
	bool pending;
};

struct outbox {
	struct table tab;
	struct lru all, pend;
	struct entry *cursor;		/* the walk's next entry; NULL: at the start */
	bool walking;
	size_t n, nbans, npending;
	int64_t keep_unban;
	char *path;			/* NULL: memory only */
	int fd;				/* the log, appending; -1 */
	size_t lines;			/* in the log */
	bool unsynced;
	struct outbox_counters k;
};

static uint64_t net_hash(const struct outbox *o, const struct cidr *net)
{
	struct cidr_key key;

	cidr_key(net, &key);
	return table_hash(&o->tab, &key, sizeof(key));
}

static struct entry *find(const struct outbox *o, const struct cidr *net)
{
	for (struct table_node *t = table_first(&o->tab, net_hash(o, net)); t; t = table_next(t)) {
		struct entry *x = table_entry(t, struct entry, node);

		if (cidr_equal(&x->d.net, net))
			return x;
	}
	return NULL;
}

static void set_pending(struct outbox *o, struct entry *x, bool pending)
{
	if (x->pending) {
		lru_unlink(&o->pend, &x->pend);
		o->npending--;
	}
	x->pending = pending;
	if (pending) {
		lru_append(&o->pend, &x->pend);
		o->npending++;
	}
}

static void erase(struct outbox *o, struct entry *x)
{
	if (o->cursor == x)
		o->cursor = x->all.newer ? lru_entry(x->all.newer, struct entry, all) : NULL;
	set_pending(o, x, false);
	table_remove(&o->tab, &x->node);
	lru_unlink(&o->all, &x->all);
	if (x->d.op == DECISION_BAN)
		o->nbans--;
	o->n--;
	free(x);
}

static bool expired(const struct outbox *o, const struct entry *x, int64_t now)
{
	return x->d.op == DECISION_BAN ? x->d.until <= now : x->d.at + o->keep_unban <= now;
}

/* The memory part of outbox_add(): 1 taken, 0 nothing new, -ENOSPC. */
static int take(struct outbox *o, const struct decision *d, int64_t now, bool pending)
{
	struct entry *x = find(o, &d->net);

	if (d->op == DECISION_BAN) {
		if (d->until <= now)
			return 0;
		if (x && (strcmp(x->d.id, d->id) == 0 || (x->d.op == DECISION_BAN && x->d.until >= d->until) ||
			  (x->d.op == DECISION_UNBAN && x->d.at >= d->at)))
			return 0;
	} else if (d->op == DECISION_UNBAN) {
		if (d->at + o->keep_unban <= now)
			return 0;
		if (x && x->d.op == DECISION_UNBAN && (x->d.at >= d->at || strcmp(x->d.id, d->id) == 0))
			return 0;
		for (struct lru_node *n = o->all.oldest, *next; n; n = next) {
			struct entry *y = lru_entry(n, struct entry, all);

			next = n->newer;
			if (y->d.op == DECISION_BAN && y->d.at <= d->at && cidr_inside(&d->net, &y->d.net))
				erase(o, y);
		}
		x = find(o, &d->net);	/* a later ban of that very network stays */
		if (x && x->d.op == DECISION_BAN)
			return 0;
	} else {
		return 0;
	}
	if (x == NULL) {
		size_t max = OUTBOX_ENTRIES_MAX + (d->op == DECISION_UNBAN ? OUTBOX_UNBANS_EXTRA : 0);

		if (o->n >= max) {
			o->k.full++;
			return -ENOSPC;
		}
		if ((x = calloc(1, sizeof(*x))) == NULL)
			return -ENOMEM;
		x->d.net = d->net;
		table_insert(&o->tab, &x->node, net_hash(o, &d->net));
		lru_append(&o->all, &x->all);
		o->n++;
	} else {
		if (x->d.op == DECISION_BAN)
			o->nbans--;
		/* a new decision for the network: the walk meets it again */
		if (o->cursor == x)
			o->cursor = x->all.newer ? lru_entry(x->all.newer, struct entry, all) : NULL;
		lru_unlink(&o->all, &x->all);
		lru_append(&o->all, &x->all);
	}
	x->d = *d;
	if (d->op == DECISION_BAN)
		o->nbans++;
	set_pending(o, x, pending);
	o->k.added++;
	return 1;
}

static int format_line(const struct entry *x, char *buf, size_t len)
{
	int n;

	buf[0] = x->pending ? 'P' : 'S';
	buf[1] = ' ';
	if ((n = decision_format(&x->d, buf + 2, len - 3)) < 0)
		return n;
	buf[n + 2] = '\n';
	return n + 3;
}

static int load(struct outbox *o, int64_t now, char *err, size_t errlen)
{
	FILE *fp = fopen(o->path, "re");
	char buf[DECISION_LINE_MAX + 8];

	if (fp == NULL) {
		if (errno == ENOENT)
			return 0;
		set_err(err, errlen, "cannot read '%s': %s", o->path, strerror(errno));
		return -errno;
	}
	while (fgets(buf, sizeof(buf), fp)) {
		size_t n = strlen(buf);
		struct decision d;

		if (n == 0 || buf[n - 1] != '\n') {
			int ch;	/* too long, or cut by a crash: skip to the next line */

			while ((ch = fgetc(fp)) != EOF && ch != '\n')
				;
			o->k.bad_lines++;
			continue;
		}
		if (n < 4 || (buf[0] != 'P' && buf[0] != 'S') || buf[1] != ' ' ||
		    decision_parse(buf + 2, n - 3, &d, NULL) < 0 || d.op == DECISION_ALIVE) {
			o->k.bad_lines++;
			continue;
		}
		(void) take(o, &d, now, buf[0] == 'P');
	}
	int r = ferror(fp) ? -EIO : 0;

	fclose(fp);
	if (r < 0)
		set_err(err, errlen, "cannot read '%s': %s", o->path, strerror(-r));
	return r;
}

static void drop_expired(struct outbox *o, int64_t now)
{
	for (struct lru_node *n = o->all.oldest, *next; n; n = next) {
		struct entry *x = lru_entry(n, struct entry, all);

		next = n->newer;
		if (expired(o, x, now)) {
			erase(o, x);
			o->k.expired++;
		}
	}
}

int outbox_save(struct outbox *o, int64_t now, char *err, size_t errlen)
{
	struct replacefile rf;
	char line[DECISION_LINE_MAX + 8];
	int r;

	if (o->path == NULL)
		return 0;
	drop_expired(o, now);
	if ((r = replacefile_open(&rf, o->path, 0640)) < 0) {
		set_err(err, errlen, "cannot create '%s.tmp': %s", o->path, strerror(-r));
		return r;
	}
	/* oldest first: replaying the file gives the same set */
	for (struct lru_node *n = o->all.oldest; n && r == 0; n = n->newer) {
		int len = format_line(lru_entry(n, struct entry, all), line, sizeof(line));

		if (len < 0 || fwrite(line, 1, (size_t) len, rf.fp) != (size_t) len)
			r = len < 0 ? len : -EIO;
	}
	if (r < 0)
		replacefile_abort(&rf);
	else
		r = replacefile_commit(&rf, REPLACEFILE_SYNC);
	if (r < 0) {
		set_err(err, errlen, "cannot write '%s': %s", o->path, strerror(-r));
		return r;
	}
	if (o->fd >= 0)
		close(o->fd);
	if ((o->fd = open(o->path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		r = -errno;
		set_err(err, errlen, "cannot open '%s': %s", o->path, strerror(-r));
		return r;
	}
	o->lines = o->n;
	o->unsynced = false;
	return 0;
}

int outbox_open(const char *state_dir, int64_t keep_unban, int64_t now, struct outbox **ret, char *err,
		size_t errlen)
{
	struct outbox *o = calloc(1, sizeof(*o));
	int r;

	*ret = NULL;
	if (o == NULL)
		return -ENOMEM;
	o->fd = -1;
	o->keep_unban = keep_unban;
	if (table_init(&o->tab, OUTBOX_ENTRIES_MAX) < 0) {
		free(o);
		return -ENOMEM;
	}
	if (state_dir && asprintf(&o->path, "%s/%s", state_dir, OUTBOX_NAME) < 0) {
		o->path = NULL;
		outbox_free(o);
		return -ENOMEM;
	}
	if (o->path && ((r = load(o, now, err, errlen)) < 0 || (r = outbox_save(o, now, err, errlen)) < 0)) {
		outbox_free(o);
		return r;
	}
	*ret = o;
	return 0;
}

void outbox_free(struct outbox *o)
{
	if (o == NULL)
		return;
	for (struct lru_node *n = o->all.oldest, *next; n; n = next) {
		next = n->newer;
		free(lru_entry(n, struct entry, all));
	}
	table_fini(&o->tab);
	if (o->fd >= 0)
		close(o->fd);
	free(o->path);
	free(o);
}

int outbox_add(struct outbox *o, const struct decision *d, int64_t now, char *err, size_t errlen)
{
	char line[DECISION_LINE_MAX + 8];
	struct entry *x;
	int r = take(o, d, now, true), len;

	if (r <= 0 || o->path == NULL)
		return r;
	x = find(o, &d->net);
	if ((len = format_line(x, line, sizeof(line))) < 0)
		return len;
	if (o->fd < 0 && (o->fd = open(o->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640)) < 0) {
		r = -errno;
		set_err(err, errlen, "cannot open '%s': %s", o->path, strerror(-r));
		return r;
	}
	if ((r = output_write_fd(o->fd, line, (size_t) len)) < 0) {
		set_err(err, errlen, "cannot write '%s': %s", o->path, strerror(-r));
		return r;
	}
	o->lines++;
	o->unsynced = true;
	return 1;
}

bool outbox_covers(const struct outbox *o, const struct cidr *net, int64_t at, int64_t until)
{
	const struct entry *x = find(o, net);

	if (x == NULL)
		return false;
	return x->d.op == DECISION_BAN ? x->d.until >= until : x->d.at >= at;
}

bool outbox_unbanned(const struct outbox *o, const struct cidr *net, int64_t at)
{
	unsigned widest = net->net.family == AF_INET ? 8u : 16u;

	for (unsigned prefix = net->prefix + 1; prefix-- > widest;) {
		struct cidr n = {net->net, prefix};
		const struct entry *x;

		addr_mask(&n.net, prefix);
		if ((x = find(o, &n)) && x->d.op == DECISION_UNBAN && x->d.at >= at)
			return true;
	}
	return false;
}

const struct decision *outbox_pending_first(const struct outbox *o)
{
	return o->pend.oldest ? &lru_entry(o->pend.oldest, struct entry, pend)->d : NULL;
}

void outbox_sent(struct outbox *o)
{
	if (o->pend.oldest)
		set_pending(o, lru_entry(o->pend.oldest, struct entry, pend), false);
}

size_t outbox_pending(const struct outbox *o)
{
	return o->npending;
}

size_t outbox_count(const struct outbox *o)
{
	return o->n;
}

size_t outbox_bans(const struct outbox *o)
{
	return o->nbans;
}

const struct decision *outbox_walk(struct outbox *o, int64_t now)
{
	if (!o->walking) {
		o->walking = true;
		o->cursor = o->all.oldest ? lru_entry(o->all.oldest, struct entry, all) : NULL;
	}
	while (o->cursor) {
		struct entry *x = o->cursor;

		o->cursor = x->all.newer ? lru_entry(x->all.newer, struct entry, all) : NULL;
		if (!expired(o, x, now))
			return &x->d;
		erase(o, x);
		o->k.expired++;
	}
	o->walking = false;
	return NULL;
}

int outbox_sync(struct outbox *o, int64_t now, char *err, size_t errlen)
{
	int r;

	if (o->path == NULL)
		return 0;
	if (o->lines > 2 * o->n + 1024)
		return outbox_save(o, now, err, errlen);
	if (o->unsynced && o->fd >= 0 && fdatasync(o->fd) < 0) {
		r = -errno;
		set_err(err, errlen, "cannot write '%s': %s", o->path, strerror(-r));
		return r;
	}
	o->unsynced = false;
	return 0;
}

const struct outbox_counters *outbox_counters(const struct outbox *o)
{
	return &o->k;
}

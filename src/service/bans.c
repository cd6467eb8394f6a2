/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	bans 3
 * SUMMARY
 *	bans after a restart, unban, and taking unban requests
 * SYNOPSIS
 *	#include "bans.h"
 *
 *	int	bans_restore(e, b, now_usec, ret, err, errlen)
 *	int	bans_parse_target(c, text, ret_target, err, errlen)
 *	int	bans_unban(e, b, target, err, errlen)
 *	int	bans_kernel_unban(b, target, ret, err, errlen)
 *	int	bans_take_requests(e, b, state_dir, ret, err, errlen)
 *	int	bans_scratch_load(c, path, ret, x, err, errlen)
 *	int	bans_unban_state(c, path, b, target, ret_forgotten, err, errlen)
 *	int	bans_unban_all(c, b, target, ret_forgotten, ret_files, err, errlen)
 *	int	bans_log_unban(c, target, by, err, errlen)
 *	int	bans_daemon_step(e, b, state_dir, shared_dir, shared_since, restore, ret_msg, msglen)
 *	void	bans_scratch_free(s)
 * DESCRIPTION
 *	The kernel's sets (ipsets, or authfold's nft table) do not survive a
 *	reboot; the state file does.
 *	bans_restore() is called by a daemon after state_load(): for every
 *	policy entry whose ban_until lies after now_usec it asks the kernel
 *	(backend_test()) whether the entry is there. A present entry is left alone
 *	(its kernel timeout already runs toward the same end); a missing one
 *	is added for what is left, rounded up to whole seconds and capped at
 *	ipset's limit. Testing first, rather than adding every ban with
 *	-exist, keeps a timeout an admin changed by hand and tells the
 *	caller how many bans came back. A refused add is queued in the
 *	engine (engine_queue_ban()) and retried by engine_flush(); bans that
 *	the state file held as pending are already queued by state_load().
 *	authfold replay --ban does not restore: it reads no state and applies
 *	only the decisions of the logs it is given.
 *
 *	A daemon (authfold-omprog, authfold journal) owns its state file in
 *	memory and rewrites it at every checkpoint, so an unban that edited
 *	the file behind its back would be lost. The protocol:
 *
 *	1. A daemon takes statedir_lock(state_dir) of statedir(3) before it reads its state and
 *	   keeps the descriptor open until it has saved for the last time.
 *	   The lock is flock(2) LOCK_EX on state_dir/lock: the kernel drops it
 *	   when the process dies, so there is never a stale lock.
 *	2. authfold unban takes statedir_trylock(). If it gets the lock, no daemon
 *	   runs: it edits every state file itself (bans_unban_state()) and
 *	   releases the lock; a daemon starting meanwhile waits in
 *	   statedir_lock() and reads the edited file.
 *	3. If the lock is held, unban writes a request with
 *	   bans_request_unban(): state_dir/unban.d/ADDR-PREFIX (e.g.
 *	   192.0.2.10-32, 2001:db8::-64), written under a dot name, fsynced
 *	   and renamed into place, so a reader never sees half a request
 *	   (the spool itself is bans_request(3)).
 *	4. The daemon calls bans_take_requests() after state_load() (before
 *	   bans_restore(), so that an unbanned address is not restored) and
 *	   at every checkpoint. Each request forgets the overlapping entries
 *	   (bans_unban()) and is then deleted; the daemon saves its state
 *	   when the call returned > 0. unban waits for the request to go.
 *
 *	authfold-enforce(8) tells the MX's own daemon of a central unban
 *	with bans_request_forget(): a request in unban.d with the unban's
 *	at= and a line "kernel done". The daemon forgets only its entries
 *	overlapping the target whose ban began no later than at (a ban it
 *	decided after the central unban stays), and touches no kernel
 *	entry: the enforcer removed, when it applied the unban, what the
 *	kernel held, and a later central ban it applied since must stay.
 *	Beside authfold journal (a DynamicUser's state_dir that root with
 *	only CAP_NET_ADMIN cannot enter) the enforcer has its own directory
 *	(enforce_state_dir, root's, 0755): such requests go into its
 *	forget.d (0755, files 0644), which bans_daemon_step() reads without
 *	deleting: all of them (at most BANS_FORGET_MAX) at start, then each
 *	second those written since its last read (the enforcer prunes them
 *	after bantime_max); forget_before() also keeps an entry struck
 *	after at, so a request read again forgets nothing new.
 *
 *	The same kind of request reaches authfold-enforce(8) on an MX:
 *	bans_request_to() writes it into another directory of state_dir
 *	(enforce(3)'s ENFORCE_REQUEST_DIR), with the time it was asked on
 *	its third line ("at UNIX"); bans_walk_requests() is the reader both
 *	use: it checks each request as SECURITY says and hands its target,
 *	its "by" and its "at" to a function of the caller, deleting what was
 *	taken or refused (take), or only reading (authfold status).
 *
 *	bans_unban() forgets every policy entry that overlaps target (the
 *	entry inside target, or the entry target lies in: "unban
 *	2001:db8::6" with ipv6_prefix 64 forgets 2001:db8::/64), drops the
 *	waiting bans that overlap it, and removes from the kernel each
 *	forgotten entry and, through bans_kernel_unban(), every other entry
 *	of the kernel set that overlaps target.
 *
 *	bans_kernel_unban() lists the kernel set of target's family and
 *	removes each entry inside target or containing it ("unban
 *	10.0.0.0/8" removes 10.0.0.1 and every other 10/8 address, whether a
 *	state file knows it or not), and says how many were removed and
 *	failed; when the set cannot be listed, it removes the entry target
 *	names, if it can be one (an IPv4 /32, an IPv6 prefix), and says so.
 *
 *	bans_daemon_step() is what a daemon calls: at start (restore true)
 *	the unban requests, then bans_restore(); about once a second after
 *	that the unban requests and backend_check(): when an admin's `nft
 *	flush ruleset` took authfold's nft table away, the table is made
 *	again and every running ban put back (bans_restore()), and ret_msg
 *	says so for the daemon's log.
 *
 *	Every unban leaves an "unban" event in the events log with who asked
 *	(bans_whoami(): the uid and its name, and SUDO_USER under sudo): the
 *	request file holds it on its second line ("by ..."), and the daemon
 *	writes the event when it takes the request (bans_take_requests());
 *	without a daemon, authfold unban writes it (bans_log_unban()).
 *
 *	bans_scratch_load() reads a state file for a reader (status, unban)
 *	with state_load(), which changes nothing: a corrupt file is reported
 *	but stays where it is for its daemon to set aside, and no copy is
 *	made (a killed reader leaves nothing behind).
 *
 *	bans_unban_all() refuses a state_dir that state_dir_check() refuses.
 * DIAGNOSTICS
 *	Functions return 0 (or a count) or a negative errno with a message
 *	naming the file or address in err: -EWOULDBLOCK the lock is held;
 *	-EBADMSG a corrupt state.
 * SECURITY
 *	Requests are names in a directory only root and the daemon's user
 *	write to (state_dir/unban.d or enforce-unban.d, mode 0700, owned like state_dir, made
 *	by whichever side comes first); still, a request is taken only when
 *	it is a regular file owned by root or the daemon's own user and its
 *	name parses as ADDR-PREFIX
 *	with inet_pton(); anything else is deleted and counted as rejected.
 *	At most BANS_REQUESTS_MAX requests are taken per call, and at most
 *	255 bytes of each are read (its "by" and "at" lines). The lock file
 *	is opened with O_NOFOLLOW.
 *
 *	The daemon need not be root: the shipped unit runs authfold journal
 *	as a dynamic user that owns state_dir and has no CAP_DAC_OVERRIDE.
 *	So every file root makes in state_dir (the lock when no daemon ran
 *	yet, a state file bans_unban_state() saved, unban.d and each request)
 *	is given to state_dir's owner and group, but only a regular file
 *	with one link that root owns (never a planted hard link); a failure
 *	to do so is an error, since the daemon could not start or would lose
 *	its history.
 * BUGS
 *	One daemon per state_dir: the lock is exclusive.
 */

#include "bans.h"

#include "events.h"
#include "statedir.h"
#include "output.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int bans_restore(struct engine *e, struct backend *b, int64_t now_usec, struct bans_restored *ret,
		 char *err, size_t errlen)
{
	struct bans_restored n = {0, 0, 0, 0};
	int first = 0;

	for (struct policy_entry *p = policy_first(engine_policy(e)); p; p = policy_next(p)) {
		char why[256] = "", a[ADDR_STRLEN];
		int64_t left;
		int r;

		if (p->ban_until_usec <= now_usec)
			continue;
		n.active++;
		if ((r = backend_test(b, &p->net, p->prefix, why, sizeof(why))) == 1) {
			n.present++;
			continue;
		}
		/* not there, or the test failed (a destroyed set): add, which
		   recreates the set */
		left = (p->ban_until_usec - now_usec + 999999) / 1000000;
		if (left > IPSET_TIMEOUT_MAX)
			left = IPSET_TIMEOUT_MAX;
		why[0] = 0;
		if ((r = b->ops.add(b->ops.data, &p->net, p->prefix, (unsigned) left, why, sizeof(why))) == 0) {
			n.restored++;
			continue;
		}
		struct engine_ban q = {p->net, p->prefix, p->ban_until_usec};

		engine_queue_ban(e, &q);
		n.failed++;
		if (first == 0) {
			first = r;
			addr_format(&p->net, a);
			snprintf(err, errlen, "cannot restore the ban of %s/%u: %s", a, p->prefix,
				 why[0] ? why : strerror(-r));
		}
	}
	if (ret)
		*ret = n;
	return first;
}

int bans_parse_target(const struct config *c, const char *text, struct cidr *ret_target, char *err, size_t errlen)
{
	struct cidr t;

	if (cidr_parse(text, strlen(text), &t) < 0) {
		snprintf(err, errlen, "'%s' is not an address or ADDR/PREFIX", text);
		return -EINVAL;
	}
	if (strchr(text, '/') == NULL) {
		t.prefix = t.net.family == AF_INET6 ? c->ipv6_prefix : 32;
		addr_mask(&t.net, t.prefix);
	}
	if (t.prefix == 0) {
		snprintf(err, errlen, "'%s': a prefix of 0 would unban everything", text);
		return -EINVAL;
	}
	*ret_target = t;
	return 0;
}

static int64_t wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int bans_log_unban(const struct config *c, const struct cidr *target, const char *by, char *err, size_t errlen)
{
	struct output *o = NULL;
	int r;

	if (c->events_log == NULL)
		return 0;
	if ((r = output_open(c->events_log, &o)) < 0 ||
	    (r = events_unban(o, wall_now(), &target->net, target->prefix, by)) < 0 || (r = output_flush(o)) < 0)
		snprintf(err, errlen, "cannot write the unban event to '%s': %s", c->events_log, strerror(-r));
	output_free(o);
	return r;
}

static bool kernel_entry(const struct cidr *t)
{
	return t->net.family == AF_INET ? t->prefix == 32 : t->prefix >= 1;
}

struct sweep {
	const struct cidr *target;
	struct cidr *v;
	size_t n, cap;
	bool nomem;
};

static void sweep_add(void *data, const struct cidr *entry, unsigned seconds)
{
	struct sweep *sw = data;

	(void) seconds;
	if (sw->nomem || !cidr_overlaps(sw->target, entry))
		return;
	if (sw->n == sw->cap) {
		size_t cap = sw->cap ? sw->cap * 2 : 64;
		struct cidr *v = realloc(sw->v, cap * sizeof(*v));

		if (v == NULL) {
			sw->nomem = true;
			return;
		}
		sw->v = v;
		sw->cap = cap;
	}
	sw->v[sw->n++] = *entry;
}

int bans_kernel_unban(struct backend *b, const struct cidr *target, struct bans_swept *ret, char *err, size_t errlen)
{
	struct bans_swept n = {0, 0, false};
	struct sweep sw = {target, NULL, 0, 0, false};
	char why[256], a[ADDR_STRLEN];
	int r = 0, first = 0;

	if (b == NULL || (b->ipset == NULL && b->nft == NULL)) {
		if (ret)
			*ret = n;
		return 0;
	}
	why[0] = 0;
	if ((r = backend_list(b, target->net.family, sweep_add, &sw, why, sizeof(why))) < 0 || sw.nomem) {
		/* not listed: at least the entry target names */
		n.unlisted = true;
		if (kernel_entry(target)) {
			why[0] = 0;
			if ((r = backend_del(b, &target->net, target->prefix, why, sizeof(why))) < 0) {
				first = r;
				addr_format(&target->net, a);
				snprintf(err, errlen, "cannot remove %s/%u from the kernel: %s", a, target->prefix,
					 why[0] ? why : strerror(-r));
			} else if (r == 1) {
				n.removed++;
			}
		}
	}
	for (size_t i = 0; i < sw.n; i++) {
		why[0] = 0;
		if ((r = backend_del(b, &sw.v[i].net, sw.v[i].prefix, why, sizeof(why))) >= 0) {
			n.removed++;
			continue;
		}
		n.failed++;
		if (first == 0) {
			first = r;
			addr_format(&sw.v[i].net, a);
			snprintf(err, errlen, "cannot remove %s/%u from the kernel: %s", a, sw.v[i].prefix,
				 why[0] ? why : strerror(-r));
		}
	}
	free(sw.v);
	if (ret)
		*ret = n;
	return first;
}

int bans_unban(struct engine *e, struct backend *b, const struct cidr *target, char *err, size_t errlen)
{
	struct policy *pol = engine_policy(e);
	struct policy_entry *p, *next;
	int forgotten = 0, first = 0;
	char why[256], a[ADDR_STRLEN];

	engine_unqueue_bans(e, target);
	for (p = policy_first(pol); p; p = next) {
		next = policy_next(p);
		if (!cidr_overlaps(target, &(struct cidr){p->net, p->prefix}))
			continue;
		struct addr net = p->net;
		unsigned prefix = p->prefix;
		int r;

		(void) policy_forget(pol, &net);
		forgotten++;
		if (b == NULL || (prefix == target->prefix && addr_equal(&net, &target->net)))
			continue;
		why[0] = 0;
		if ((r = backend_del(b, &net, prefix, why, sizeof(why))) < 0 && first == 0) {
			first = r;
			addr_format(&net, a);
			snprintf(err, errlen, "cannot remove %s/%u from the kernel: %s", a, prefix,
				 why[0] ? why : strerror(-r));
		}
	}
	if (b) {
		/* and whatever else of the kernel set overlaps target: entries
		   no state knows (replay --ban, by hand) */
		int r = bans_kernel_unban(b, target, NULL, first == 0 ? err : why, first == 0 ? errlen : sizeof(why));

		if (r < 0 && first == 0)
			first = r;
	}
	return first < 0 ? first : forgotten;
}

struct take_daemon {
	struct engine *e;
	struct backend *b;
};

/* A request of authfold-enforce (kernel_done): the entries overlapping t
   whose ban began no later than at are forgotten, and nothing else; the
   enforcer removed what the kernel held when it applied the unban, and a
   kernel entry added since (its own later ban, or this daemon's) stays. */
static int forget_before(struct engine *e, const struct cidr *t, int64_t at)
{
	struct policy *pol = engine_policy(e);
	struct policy_entry *p, *next;
	int forgotten = 0;

	for (p = policy_first(pol); p; p = next) {
		next = policy_next(p);
		if (!cidr_overlaps(t, &(struct cidr){p->net, p->prefix}))
			continue;
		if (p->ban_until_usec > 0 && p->ban_until_usec - p->last_ban_seconds * 1000000 > at * 1000000)
			continue;	/* banned anew after the unban was decided */
		if (p->last_strike_usec > at * 1000000)
			continue;	/* struck since: so a request read again forgets nothing new */
		struct addr net = p->net;

		(void) policy_forget(pol, &net);
		forgotten++;
	}
	return forgotten;
}

static int take_daemon(void *data, const struct cidr *t, const char *by, int64_t at, bool kernel_done, char *err,
		       size_t errlen)
{
	struct take_daemon *td = data;
	int r;

	if (kernel_done)
		r = forget_before(td->e, t, at);
	else if ((r = bans_unban(td->e, td->b, t, err, errlen)) < 0)
		return r;
	/* written out with the engine's next flush */
	if (engine_events(td->e))
		(void) events_unban(engine_events(td->e), wall_now(), &t->net, t->prefix, by);
	return r;
}

int bans_take_requests(struct engine *e, struct backend *b, const char *state_dir, struct bans_requests *ret,
		       char *err, size_t errlen)
{
	struct take_daemon td = {e, b};

	return bans_walk_requests(state_dir, BANS_REQUEST_DIR, true, take_daemon, &td, ret, err, errlen);
}

void bans_scratch_free(struct bans_scratch *s)
{
	engine_free(s->e);
	output_free(s->null);
	s->e = NULL;
	s->null = NULL;
}

int bans_scratch_load(const struct config *c, const char *path, struct bans_scratch *ret, struct state_extra *x,
		      char *err, size_t errlen)
{
	struct state_fault fault;
	struct timespec now;
	int r;

	memset(ret, 0, sizeof(*ret));
	if ((r = output_open_discard(&ret->null)) < 0) {
		snprintf(err, errlen, "out of memory");
		return r;
	}
	struct engine_options eo = {.summary = ret->null};

	if ((ret->e = engine_new(c, &eo)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	/* state_load() neither renames nor changes the file: no copy needed */
	clock_gettime(CLOCK_REALTIME, &now);
	r = state_load(ret->e, c, (int64_t) now.tv_sec * 1000000 + now.tv_nsec / 1000, path, x, &fault);
	if (r < 0)
		state_describe(path, r, &fault, err, errlen);
	return r;
}

int bans_unban_state(const struct config *c, const char *path, struct backend *b, const struct cidr *target,
		     unsigned *ret_forgotten, char *err, size_t errlen)
{
	struct bans_scratch s;
	struct state_extra x;
	size_t pending;
	int r;

	if ((r = bans_scratch_load(c, path, &s, &x, err, errlen)) < 0) {
		bans_scratch_free(&s);
		return r;
	}
	pending = engine_pending_bans(s.e);
	r = bans_unban(s.e, b, target, err, errlen);
	if (r >= 0 && ret_forgotten)
		*ret_forgotten = (unsigned) r;
	if (r != 0 || engine_pending_bans(s.e) != pending) {
		/* changed (or a kernel removal failed: the history is forgotten anyway) */
		int sr = state_save(s.e, path, &x, err, errlen);

		if (sr >= 0)	/* state_save() made a new file, root's: the daemon's again */
			sr = statedir_own_path(c->state_dir, path, err, errlen);
		if (sr < 0)
			r = sr;
	}
	bans_scratch_free(&s);
	return r < 0 ? r : 0;
}

static int is_state(const struct dirent *d)
{
	return statedir_is_state_name(d->d_name);
}

int bans_unban_all(const struct config *c, struct backend *b, const struct cidr *target,
		   unsigned *ret_forgotten, unsigned *ret_files, char *err, size_t errlen)
{
	struct dirent **list = NULL;
	unsigned forgotten = 0, files = 0;
	int n, first = 0;

	if ((first = state_dir_check(c->state_dir, false, err, errlen)) < 0 && first != -ENOENT)
		return first;
	first = 0;
	if ((n = scandir(c->state_dir, &list, is_state, alphasort)) < 0) {
		if (errno == ENOENT)
			n = 0;
		else {
			first = -errno;
			snprintf(err, errlen, "cannot read state_dir '%s': %s", c->state_dir, strerror(errno));
		}
	}
	for (int i = 0; i < n; i++) {
		char path[4096], why[1024];
		unsigned f = 0;
		int r;

		snprintf(path, sizeof(path), "%s/%s", c->state_dir, list[i]->d_name);
		free(list[i]);
		if ((r = bans_unban_state(c, path, b, target, &f, why, sizeof(why))) < 0) {
			if (first == 0) {
				first = r;
				snprintf(err, errlen, "%s", why);
			}
			continue;
		}
		forgotten += f;
		files++;
	}
	free(list);
	if (ret_forgotten)
		*ret_forgotten = forgotten;
	if (ret_files)
		*ret_files = files;
	return first;
}

int bans_daemon_step(struct engine *e, struct backend *b, const char *state_dir, const char *shared_dir,
		     int64_t *shared_since, bool restore, char *ret_msg, size_t msglen)
{
	struct bans_requests rq = {0, 0, 0}, shared = {0, 0, 0};
	struct bans_restored rs = {0, 0, 0, 0};
	struct timespec now;
	char dir[4096], err[512] = "";
	size_t used = 0;
	int r, rr = 0, cr = 0;

	ret_msg[0] = 0;
	/* At start, make unban.d ours, so that a daemon that is not root can read it. */
	if (restore && (size_t) snprintf(dir, sizeof(dir), "%s/%s", state_dir, BANS_REQUEST_DIR) < sizeof(dir))
		(void) bans_request_mkdir(state_dir, dir);
	if ((r = bans_take_requests(e, b, state_dir, &rq, err, sizeof(err))) < 0)
		used += (size_t) snprintf(ret_msg, msglen, "%s; ", err);
	/* authfold-enforce's central unbans in its own directory: read, not
	   deleted (it prunes them), idempotent (forget_before()) */
	if (shared_dir) {
		struct take_daemon td = {e, b};
		struct timespec t;

		/* all of them at start, then those written since the last read
		   (a margin of 2 s for the mtime's whole seconds) */
		clock_gettime(CLOCK_REALTIME, &t);
		if (bans_request_walk(shared_dir, BANS_FORGET_DIR, false, restore ? 0 : *shared_since, BANS_FORGET_MAX, take_daemon,
			 &td, &shared, err, sizeof(err)) >= 0)
			*shared_since = (int64_t) t.tv_sec - 2;
		if (shared.forgotten && used < msglen)
			used += (size_t) snprintf(ret_msg + used, msglen - used,
						  "%u entr%s forgotten after central unbans (%s/%s); ", shared.forgotten,
						  shared.forgotten == 1 ? "y" : "ies", shared_dir, BANS_FORGET_DIR);
	}
	/* nft: an admin's flush ruleset took authfold's table away */
	if (!restore && backend_kernel(b)) {
		/* <0 failed, >0 made again: err says which */
		if ((cr = backend_check(b, err, sizeof(err))) != 0 && used < msglen)
			used += (size_t) snprintf(ret_msg + used, msglen - used, "%s; ", err);
		restore = cr > 0;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	if (restore && backend_kernel(b) &&
	    (rr = bans_restore(e, b, (int64_t) now.tv_sec * 1000000 + now.tv_nsec / 1000, &rs, err, sizeof(err))) < 0 &&
	    used < msglen)
		used += (size_t) snprintf(ret_msg + used, msglen - used, "%s; ", err);
	if (rq.taken && used < msglen)
		used += (size_t) snprintf(ret_msg + used, msglen - used, "%u unban request%s taken, %u entr%s forgotten; ",
					  rq.taken, rq.taken == 1 ? "" : "s", rq.forgotten, rq.forgotten == 1 ? "y" : "ies");
	if ((rs.restored || rs.failed || cr > 0) && used < msglen)
		used += (size_t) snprintf(ret_msg + used, msglen - used, "%u running ban%s put back into the kernel, %u queued; ",
					  rs.restored, rs.restored == 1 ? "" : "s", rs.failed);
	if (used >= 2 && used < msglen)
		ret_msg[used - 2] = 0;	/* the last "; " */
	return r < 0 ? r : rr < 0 ? rr : (int) (rq.taken + shared.forgotten);
}

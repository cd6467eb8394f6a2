/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	enforce 3
 * SUMMARY
 *	an MX's table of central decisions, its log, the kernel
 * SYNOPSIS
 *	#include "enforce.h"
 *
 *	const char *enforce_dir(c)
 *	int	enforce_open(c, b, now, ret, err, errlen)
 *	int	enforce_restore(e, now, err, errlen)
 *	int	enforce_apply(e, d, now, ret_result, err, errlen)
 *	int	enforce_apply_batch(e, ds, n, now, ret_results, ret_done, err, errlen)
 *	void	enforce_refused(e)
 *	int	enforce_tick(e, now, err, errlen)
 *	int	enforce_take_requests(e, now, ret_msg, msglen)
 *	int	enforce_running(c, now, ret_bans, err, errlen)
 *	int	enforce_status_read(c, now, ret, err, errlen)
 *	size_t	enforce_next_ban(e, k, ret)
 *	size_t	enforce_next_lifted(e, k, ret)
 *	int	enforce_status_write(fp, c, now)
 *	int	enforce_counters_read(c, ret)
 *	void	enforce_free(e)
 *	const struct enforce_counters *enforce_counters(e)
 *	size_t	enforce_entries(e)
 *	const char *enforce_result_name(r)
 *	unsigned enforce_pending_requests(e)
 *	uint64_t enforce_bad_log_lines(e)
 *	const char *enforce_log_path(e)
 * DESCRIPTION
 *	What authfold-enforce(8) does with a decision(3) from the central
 *	host, apart from reading and answering rsyslog.
 *
 *	The table holds one entry per network: a ban (its end, id, reason,
 *	deciding host, when it arrived) or a remembered unban (its time).
 *	Applying is idempotent and tolerates any order of delivery:
 *
 *	- a ban whose id is held is a duplicate; a ban ending no later than
 *	  the one held is kept as it is; a later end replaces it (a central
 *	  decision only ever extends a ban);
 *	- a ban decided (at=) no later than a remembered unban of the same
 *	  network is stale: a late delivery does not undo the unban;
 *	- an unban removes the ban of that network and every held ban
 *	  inside it that was decided no later than it from the table,
 *	  sweeps every kernel entry inside the network or containing it
 *	  (bans_kernel_unban(), at once, so before any later decision),
 *	  asks the MX's own authfold daemon to forget what it banned no
 *	  later than the unban's at= and to leave the kernel alone
 *	  (bans_request_forget(); one that cannot be written waits, up to
 *	  ENFORCE_FORGET_MAX, for enforce_tick()), and is remembered for
 *	  IPSET_TIMEOUT_MAX seconds: every ban decided before it has ended
 *	  by then;
 *	- a keep-alive (op=alive) only notes its arrival; the central host's
 *	  resync (publish(3)) ends each round, in which it sends every held
 *	  decision again, with a keep-alive whose id is ENFORCE_ROUND_MARK
 *	  and the number of bans of the round in hex: when at least that
 *	  many bans arrived since the previous marker (the first marker
 *	  after a start only begins the count), the full set was heard
 *	  (last_full_set), else the round is counted short;
 *	- a ban whose end has passed, one that the MX's ignoreip overlaps,
 *	  one from a host that enforce_from does not list, an IPv4 ban
 *	  wider than /32 (the IPv4 set holds hosts), an IPv6 ban wider than
 *	  enforce_ipv6_prefix (0: ipv6_prefix), and one that covers an
 *	  address of this host (getifaddrs(3), every OWN_REFRESH seconds)
 *	  or of an enforce_from name (getaddrinfo(3) at enforce_open(): the
 *	  central host) decide nothing (ignored, unsupported);
 *	- a ban ends at most bantime_max after its at=; decisions are
 *	  ordered by at= with its microseconds (decision_at_usec()).
 *
 *	An admin on the MX lifts a central ban there with `authfold unban`:
 *	it leaves a bans(3) request in state_dir/ENFORCE_REQUEST_DIR with the
 *	time it was asked, and enforce_take_requests() (the enforcer, about
 *	once a second and at start, before the restore) takes it as a local
 *	unban at that time: every held ban of the network and inside it
 *	decided no later is lifted, out of the kernel when this process put
 *	it there (authfold unban removed the kernel entry already); the
 *	lifted ban stays in the table, not held, so that status shows it
 *	until it would have ended, and the local unban is remembered like a
 *	central one: a central ban decided (at=) no later, or the lifted one
 *	delivered again, is stale or a duplicate; one decided later bans
 *	again. A central unban decided after the local one forgets the
 *	lifted ban. The local unban is logged before the request is deleted,
 *	as "ARRIVED local DECISION" (op=unban, reason=admin, by= this host),
 *	so a restart replays it; enforce_from does not apply to it.
 *	enforce_status_read() reads the requests not taken yet into its
 *	private table too, and says how many (enforce_pending_requests()).
 *
 *	The kernel only ever gets a longer ban: the decision is added with
 *	what is left of it (at most IPSET_TIMEOUT_MAX), and backend(3) leaves
 *	an entry that holds at least that much (the MX's own authfold banned
 *	it for longer) as it is; the MX's own bans never shorten a central
 *	one either. A kernel failure is counted and retried by enforce_tick().
 *
 *	Write-ahead: a decision that would change the table (found by a
 *	dry run of the same rules) is first appended, with its arrival
 *	time, to enforce.log in enforce_dir() (enforce_state_dir, or
 *	state_dir) and fdatasync()ed (enforcelog(3), which also cuts off a
 *	failed append and a torn last line), and only then applied to the
 *	table and the kernel: when the log cannot be written nothing
 *	changed, the caller answers ERROR, and rsyslog's retry does the
 *	work. enforce_apply_batch() takes the decisions read together: a
 *	run of bans of different networks (the resync's flood to a rebuilt
 *	MX) has its lines written, then one fdatasync() for the run, then
 *	the table and the kernel; any other decision goes alone. Bans of
 *	different networks do not change each other's dry run, so the lines
 *	are those enforce_apply() would write one by one. enforce_open()
 *	replays that log (expired entries drop out) and rewrites it
 *	compacted (ENFORCE_LOG_NAME.tmp, fsync, rename; on a full disk the
 *	log is kept as it is and err says so); it is compacted again when
 *	it holds more than twice the live entries. A held ban whose kernel
 *	entry ends before it (at most IPSET_TIMEOUT_MAX a time) is renewed
 *	by enforce_tick() RENEW_BEFORE seconds before that entry ends.
 *	enforce_restore() then puts the running bans back into the kernel
 *	(after a reboot the sets are empty): each set is listed once
 *	(backend_list()) and only the bans it lacks or holds for less time
 *	are added, so a restart holding 20,000 bans stays far within
 *	rsyslog's confirmTimeout. The counters and the arrival
 *	time of the last central decision are kept in state_dir/enforce.status,
 *	written by enforce_tick().
 *
 *	enforce_status_read() is authfold status' part: it replays the log
 *	into a private table (no lock, no change, no kernel) and reads the
 *	counters; enforce_next_ban() walks its bans (status(3) writes them
 *	as JSON) and enforce_status_write() prints each held ban with its
 *	origin, the last arrival and the counters. enforce_running() counts
 *	the running bans the same way: with none, authfold-enforce --restore
 *	has nothing to do and touches nothing (no state_dir, no set).
 * DIAGNOSTICS
 *	0 or -errno, with the file or network at fault in err. The library
 *	does not log.
 * SECURITY
 *	Decisions come from the network, authenticated by rsyslog (RELP with
 *	mutual TLS, a ruleset of their own); they are parsed strictly by
 *	decision(3) before they reach this module. The table is bounded
 *	(ENFORCE_ENTRIES_MAX entries, allocated CHUNK at a time as needed,
 *	found through table(3)'s keyed hash: constant time per ban; an
 *	unban scans the table); past the bound a decision is refused and
 *	counted. Log lines are bounded (ENFORCE_LOG_LINE_MAX); a bad line in
 *	the log is skipped and counted, never fatal. The files are created
 *	0640, every descriptor close-on-exec. Local unban requests are
 *	bans(3)'s: a directory of mode 0700, regular files owned by root or
 *	this user with a name that parses as ADDR-PREFIX, at most
 *	BANS_REQUESTS_MAX per call and 255 bytes each; a time asked in the
 *	future counts as now. Only an unban can come that way, never a ban.
 * BUGS
 *	A running enforcer that takes a local unban removes the kernel entry
 *	of each ban it lifted that it had put there; if the MX's own authfold
 *	banned the address anew in the second between the unban and the
 *	take, that kernel entry goes too (its state still holds the ban).
 *	The at= of a local unban is this host's clock, compared with the
 *	central host's. A central unban sweeps the kernel entries inside its
 *	network when it arrives, also one the MX's own authfold added after
 *	the unban was decided (a late delivery); that daemon keeps its ban.
 *	The enforce_from names are resolved at enforce_open(): a resolver
 *	that does not answer delays the start. In a batch, a ban that finds
 *	the table full (ENFORCE_ENTRIES_MAX) after the run's earlier bans
 *	took the last free entries is logged all the same and refused
 *	(full); a restart that finds room then applies it.
 */

#include "enforce.h"

#include "bans.h"
#include "enforcelog.h"
#include "replacefile.h"
#include "table.h"
#include "errmsg.h"
#include "strlit.h"
#include "timefmt.h"

#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CHUNK		256		/* entries allocated together */
#define TOMB_KEEP	((int64_t) IPSET_TIMEOUT_MAX)
#define RENEW_BEFORE	INT64_C(86400)	/* a kernel entry ending sooner than its ban is renewed this early */
#define OWN_REFRESH	60		/* seconds between looks at the host's own addresses */

struct entry {
	struct decision d;		/* op ban: held (or lifted) ban; op unban: remembered unban */
	int64_t arrived;
	int64_t unban_at;		/* a ban after an unban, or a lifted ban: the unban's at= (0: none) */
	int32_t unban_usec;		/* and its microseconds */
	int64_t kernel_until;		/* held, in_kernel: when the kernel entry ends (unix s) */
	char unban_id[DECISION_ID_LEN + 1];
	struct table_node node;		/* in enforce.tab by network */
	int32_t self;			/* its index */
	int32_t next_free;		/* the free list */
	bool used, in_kernel;
	bool lifted;			/* op ban: lifted by a local unban at unban_at; not held */
	bool unban_local;		/* the remembered unban (op unban, or unban_at) is a local one */
};

struct enforce {
	const struct config *c;
	struct backend *b;		/* NULL: no kernel */
	struct entry *chunk[ENFORCE_ENTRIES_MAX / CHUNK];	/* entries never move: tab links them */
	struct table tab;
	int32_t free_head;
	size_t n, next_unused;
	int lock_fd;
	struct enforcelog log;		/* enforce.log (enforcelog(3)) */
	char *status_path;
	uint64_t bad_log_lines;
	struct enforce_counters k;
	bool counters_dirty, kernel_pending;
	unsigned pending_requests;	/* enforce_status_read(): requests not taken yet */
	uint64_t round_heard;		/* bans arrived since the last round marker */
	bool round_begun;		/* a marker arrived since the start */
	char local_by[DECISION_BY_MAX + 1];	/* by= of a local unban: this host */
	struct addr own[ENFORCE_OWN_MAX];	/* never banned here: this host's addresses, the central host's */
	size_t n_own, n_central;	/* own[0..n_central): the enforce_from hosts' */
	int64_t own_at;			/* when own was last read (0: never) */
	struct {
		struct cidr net;
		int64_t at;
	} forget[ENFORCE_FORGET_MAX];	/* central unbans the daemon has not been told of yet */
	size_t n_forget;
};

static const char *result_names[ENFORCE_RESULTS] = {
	"banned", "unbanned", "duplicate", "kept", "stale", "expired", "ignored", "not_from", "unsupported", "full",
	"alive",
};

const char *enforce_result_name(enum enforce_result r)
{
	return (unsigned) r < ENFORCE_RESULTS ? result_names[r] : "?";
}

const struct enforce_counters *enforce_counters(const struct enforce *e)
{
	return &e->k;
}

size_t enforce_entries(const struct enforce *e)
{
	return e->n;
}

/* --- the table ------------------------------------------------------- */

static struct entry *entry_at(const struct enforce *e, int32_t i)
{
	return &e->chunk[i / CHUNK][i % CHUNK];
}

static uint64_t net_hash(const struct enforce *e, const struct cidr *net)
{
	struct cidr_key key;

	cidr_key(net, &key);
	return table_hash(&e->tab, &key, sizeof(key));
}

static int32_t find(const struct enforce *e, const struct cidr *net)
{
	for (struct table_node *n = table_first(&e->tab, net_hash(e, net)); n; n = table_next(n)) {
		struct entry *x = table_entry(n, struct entry, node);

		if (cidr_equal(&x->d.net, net))
			return x->self;
	}
	return -1;
}

static int32_t insert(struct enforce *e, const struct cidr *net)
{
	struct entry *x;
	int32_t i;

	if (e->free_head >= 0) {
		i = e->free_head;
		e->free_head = entry_at(e, i)->next_free;
	} else {
		if (e->next_unused == ENFORCE_ENTRIES_MAX)
			return -1;
		if (e->next_unused % CHUNK == 0 &&
		    (e->chunk[e->next_unused / CHUNK] = malloc(CHUNK * sizeof(struct entry))) == NULL)
			return -1;
		i = (int32_t) e->next_unused++;
	}
	x = entry_at(e, i);
	memset(x, 0, sizeof(*x));
	x->self = i;
	x->d.net = *net;
	x->used = true;
	table_insert(&e->tab, &x->node, net_hash(e, net));
	e->n++;
	return i;
}

static void erase(struct enforce *e, int32_t i)
{
	struct entry *x = entry_at(e, i);

	table_remove(&e->tab, &x->node);
	x->used = false;
	x->next_free = e->free_head;
	e->free_head = i;
	e->n--;
}

const char *enforce_dir(const struct config *c)
{
	return c->enforce_state_dir ? c->enforce_state_dir : c->state_dir;
}

static struct enforce *enforce_new(const struct config *c, struct backend *b)
{
	struct enforce *e = calloc(1, sizeof(*e));

	if (e == NULL)
		return NULL;
	e->c = c;
	e->b = b;
	e->lock_fd = -1;
	enforcelog_init(&e->log, NULL);
	e->free_head = -1;
	if (table_init(&e->tab, ENFORCE_ENTRIES_MAX) < 0 ||
	    asprintf(&e->log.path, "%s/%s", enforce_dir(c), ENFORCE_LOG_NAME) < 0 ||
	    asprintf(&e->status_path, "%s/%s", enforce_dir(c), ENFORCE_STATUS_NAME) < 0) {
		e->log.path = e->status_path = NULL;
		enforce_free(e);
		return NULL;
	}
	char host[256] = "";

	if (gethostname(host, sizeof(host) - 1) < 0 || !decision_by_ok(host, strlen(host)))
		snprintf(host, sizeof(host), "localhost");
	snprintf(e->local_by, sizeof(e->local_by), "%s", host);
	return e;
}

/* enforce_new() for a state_dir whose paths fit the buffers of 4200 bytes
   that enforce_open() builds them in; the reason in err. */
static int enforce_make(const struct config *c, struct backend *b, struct enforce **ret, char *err, size_t errlen)
{
	if (strlen(enforce_dir(c)) > 4096) {
		set_err(err, errlen, "state_dir is longer than 4096 bytes");
		return -ENAMETOOLONG;
	}
	if ((*ret = enforce_new(c, b)) == NULL) {
		set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

void enforce_free(struct enforce *e)
{
	if (e == NULL)
		return;
	enforcelog_fini(&e->log);
	if (e->lock_fd >= 0)
		close(e->lock_fd);	/* releases the flock */
	for (size_t k = 0; k * CHUNK < e->next_unused; k++)
		free(e->chunk[k]);
	table_fini(&e->tab);
	free(e->status_path);
	free(e);
}

static bool held(const struct entry *x)
{
	return x->d.op == DECISION_BAN && !x->lifted;
}

/* The at= of the unban x remembers (a tombstone, a lifted ban, a ban
   after an unban), in microseconds; 0 when none. */
static int64_t unbanned_us(const struct entry *x)
{
	return x->d.op == DECISION_UNBAN ? decision_at_usec(&x->d) : x->unban_at * 1000000 + x->unban_usec;
}

static int64_t at_us(const struct decision *d)
{
	return decision_at_usec(d);
}

/* The unban decision an entry remembers with unban_at: a local one (this
   host's unban, reason admin) or a central one (by= of the ban). */
static struct decision remembered_unban(const struct enforce *e, const struct entry *x)
{
	struct decision u = x->d;

	memcpy(u.id, x->unban_id, sizeof(u.id));
	u.op = DECISION_UNBAN;
	u.at = x->unban_at;
	u.at_usec = x->unban_usec;
	u.until = 0;
	snprintf(u.reason, sizeof(u.reason), "admin");
	if (x->unban_local)
		snprintf(u.by, sizeof(u.by), "%s", e->local_by);
	return u;
}

/* A ban that ended (held or lifted): forgotten, or back to the unban it
   followed while that must still be remembered. */
static void ended(struct enforce *e, int32_t i, int64_t now)
{
	struct entry *x = entry_at(e, i);

	if (x->d.op == DECISION_BAN && x->unban_at > 0 && x->unban_at + TOMB_KEEP > now) {
		x->d = remembered_unban(e, x);
		x->unban_at = 0;
		x->unban_usec = 0;
		x->lifted = false;
		x->in_kernel = true;
		return;
	}
	erase(e, i);
}

/* --- the kernel -------------------------------------------------------- */

static int kernel_ban(struct enforce *e, struct entry *x, int64_t now, char *err, size_t errlen)
{
	int64_t left = x->d.until - now;
	int r;

	if (e->b == NULL || left <= 0) {
		x->in_kernel = true;
		x->kernel_until = x->d.until;
		return 0;
	}
	if (left > IPSET_TIMEOUT_MAX)
		left = IPSET_TIMEOUT_MAX;
	/* backend(3): an entry with more time left is left alone */
	if ((r = e->b->ops.add(e->b->ops.data, &x->d.net.net, x->d.net.prefix, (unsigned) left, err, errlen)) == 0) {
		x->in_kernel = true;
		x->kernel_until = now + left;
		return 0;
	}
	x->in_kernel = false;
	e->kernel_pending = true;
	e->k.kernel_errors++;
	e->counters_dirty = true;
	return r;
}

static int kernel_del(struct enforce *e, const struct cidr *net, char *err, size_t errlen)
{
	int r = 0;

	if (e->b == NULL)
		return 0;
	/* The kernel holds hosts in the IPv4 set: a wider IPv4 net has no element of its own. */
	if ((net->net.family == AF_INET6 || net->prefix == 32) &&
	    (r = backend_del(e->b, &net->net, net->prefix, err, errlen)) < 0) {
		e->k.kernel_errors++;
		e->counters_dirty = true;
	}
	return r < 0 ? r : 0;
}

/* Tells the MX's own authfold daemon to forget its bans of net that
   began no later than at (bans_request_forget()); one that cannot be
   written waits in e->forget for enforce_tick(). */
static int tell_daemon(struct enforce *e, const struct cidr *net, int64_t at, char *err, size_t errlen)
{
	char why[512] = "";
	int r = bans_request_forget(e->c->state_dir, e->c->enforce_state_dir, net, at, why, sizeof(why));

	if (r == 0 || r == -EEXIST)
		return 0;
	set_err(err, errlen, "%s", why[0] ? why : strerror(-r));
	for (size_t k = 0; k < e->n_forget; k++)
		if (cidr_equal(&e->forget[k].net, net)) {
			if (at > e->forget[k].at)
				e->forget[k].at = at;
			return r;
		}
	if (e->n_forget < ENFORCE_FORGET_MAX) {
		e->forget[e->n_forget].net = *net;
		e->forget[e->n_forget++].at = at;
	} else {
		set_err(err, errlen, "%s; %d unbans wait already: the MX's own authfold is not told of this one",
			why[0] ? why : strerror(-r), ENFORCE_FORGET_MAX);
	}
	return r;
}

/* A central unban of net decided at at: every kernel entry inside net
   or containing it goes (bans(3)'s sweep, at this moment, before any
   later decision is applied), and the MX's own daemon is told. */
static int kernel_unban(struct enforce *e, const struct cidr *net, int64_t at, char *err, size_t errlen)
{
	struct bans_swept sw;
	int r, q;

	if (e->b == NULL)
		return 0;
	if ((r = bans_kernel_unban(e->b, net, &sw, err, errlen)) < 0) {
		e->k.kernel_errors++;
		e->counters_dirty = true;
	}
	q = tell_daemon(e, net, at, r < 0 ? NULL : err, r < 0 ? 0 : errlen);
	return r < 0 ? r : q;
}

/* --- decisions ----------------------------------------------------------- */

static bool from_ok(const struct config *c, const char *by)
{
	if (c->n_enforce_from == 0)
		return true;
	for (size_t i = 0; i < c->n_enforce_from; i++)
		if (strcmp(c->enforce_from[i], by) == 0)
			return true;
	return false;
}

/* A remembered unban (central or local) of a network wider than d's,
   decided after it. At most 24 (IPv4) or 112 (IPv6) lookups. */
static bool unbanned_wider(const struct enforce *e, const struct decision *d)
{
	unsigned min = d->net.net.family == AF_INET ? 8 : 16;

	for (unsigned p = d->net.prefix; p-- > min;) {
		struct cidr w = {d->net.net, p};
		int32_t i;

		addr_mask(&w.net, p);
		if ((i = find(e, &w)) >= 0 && unbanned_us(entry_at(e, i)) >= at_us(d))
			return true;
	}
	return false;
}

/* The shortest IPv6 prefix a central ban may have here. */
static unsigned ipv6_min(const struct config *c)
{
	return c->enforce_ipv6_prefix ? c->enforce_ipv6_prefix : c->ipv6_prefix;
}

/* A ban that would cover one of this host's own addresses or the
   central host's (enforce_own()). */
static bool covers_own(const struct enforce *e, const struct cidr *net)
{
	for (size_t k = 0; k < e->n_own; k++)
		if (e->own[k].family == net->net.family && cidr_contains(net, &e->own[k]))
			return true;
	return false;
}

/* decide() of a ban that passed its gates; d->until may be cut to bantime_max. */
static enum enforce_result decide_ban(struct enforce *e, struct decision *d, int64_t now, int64_t arrived, bool live,
				      bool dry, bool *ret_changed, char *err, size_t errlen)
{
	int32_t i;

	if (d->net.net.family == AF_INET && d->net.prefix != 32)
		return ENFORCE_UNSUPPORTED;
	if (d->net.net.family == AF_INET6 && d->net.prefix < ipv6_min(e->c))
		return ENFORCE_UNSUPPORTED;
	if (covers_own(e, &d->net))
		return ENFORCE_IGNORED;
	/* no longer than this MX would ban itself */
	if (d->until - d->at > e->c->bantime_max)
		d->until = d->at + e->c->bantime_max;
	if (d->until <= now)
		return ENFORCE_EXPIRED;
	if ((i = find(e, &d->net)) >= 0 && entry_at(e, i)->d.op == DECISION_BAN && strcmp(entry_at(e, i)->d.id, d->id) == 0) {
		struct entry *x = entry_at(e, i);	/* held, or lifted here */

		if (live && held(x) && !x->in_kernel)
			(void) kernel_ban(e, x, now, err, errlen);
		return ENFORCE_DUPLICATE;
	}
	if (unbanned_wider(e, d))
		return ENFORCE_STALE;
	if (i >= 0) {
		struct entry *x = entry_at(e, i);

		/* decided before the unban remembered here (central or local) */
		if (at_us(d) <= unbanned_us(x))
			return ENFORCE_STALE;
		if (held(x) && d->until <= x->d.until)
			return ENFORCE_KEPT;
		if (dry) {
			*ret_changed = true;
			return ENFORCE_BANNED;
		}
		if (x->d.op == DECISION_UNBAN) {	/* banned again: the unban stays known */
			x->unban_at = x->d.at;
			x->unban_usec = x->d.at_usec;
			memcpy(x->unban_id, x->d.id, sizeof(x->unban_id));
		}
		/* a lifted ban: decided anew after the local unban, which stays known */
	} else if (dry) {
		if (e->free_head < 0 && e->next_unused == ENFORCE_ENTRIES_MAX)
			return ENFORCE_FULL;
		*ret_changed = true;
		return ENFORCE_BANNED;
	} else if ((i = insert(e, &d->net)) < 0) {
		return ENFORCE_FULL;
	}
	entry_at(e, i)->d = *d;
	entry_at(e, i)->arrived = arrived;
	entry_at(e, i)->in_kernel = false;
	entry_at(e, i)->lifted = false;
	*ret_changed = true;
	if (live)
		(void) kernel_ban(e, entry_at(e, i), now, err, errlen);
	return ENFORCE_BANNED;
}

/* decide() of an unban. */
static enum enforce_result decide_unban(struct enforce *e, const struct decision *d, int64_t now, int64_t arrived,
					bool live, bool dry, bool *ret_changed, char *err, size_t errlen)
{
	int32_t i;

	if ((i = find(e, &d->net)) >= 0) {
		struct entry *x = entry_at(e, i);

		if (x->d.op == DECISION_UNBAN && (at_us(d) <= at_us(&x->d) || strcmp(x->d.id, d->id) == 0))
			return ENFORCE_DUPLICATE;
		if (x->lifted && at_us(d) <= unbanned_us(x))
			return ENFORCE_DUPLICATE;	/* lifted here by a later local unban */
		if (held(x) && at_us(&x->d) > at_us(d))
			return ENFORCE_STALE;	/* banned again after this unban was decided */
	}
	if (d->at + TOMB_KEEP <= now)
		return ENFORCE_EXPIRED;
	if (dry) {
		*ret_changed = true;
		return ENFORCE_UNBANNED;
	}
	/* Held bans inside the network, decided no later than the unban; and
	   bans lifted here: forgotten when the local unban was no later,
	   else only the local unban is remembered. */
	for (size_t k = 0; k < e->next_unused; k++) {
		struct entry *x = entry_at(e, k);

		if (!x->used || x->d.op != DECISION_BAN || at_us(&x->d) > at_us(d) || !cidr_inside(&d->net, &x->d.net))
			continue;
		if (x->lifted && unbanned_us(x) > at_us(d)) {
			x->d = remembered_unban(e, x);
			x->unban_at = 0;
			x->unban_usec = 0;
			x->lifted = false;
			x->in_kernel = true;
			continue;
		}
		erase(e, (int32_t) k);	/* out of the kernel: kernel_unban()'s sweep of d->net */
	}
	if ((i = find(e, &d->net)) < 0 && (i = insert(e, &d->net)) < 0) {
		*ret_changed = true;	/* what was removed must stay removed */
		if (live)
			(void) kernel_unban(e, &d->net, d->at, err, errlen);
		return ENFORCE_UNBANNED;
	}
	entry_at(e, i)->d = *d;
	entry_at(e, i)->arrived = arrived;
	entry_at(e, i)->in_kernel = true;
	entry_at(e, i)->unban_at = 0;
	entry_at(e, i)->unban_usec = 0;
	entry_at(e, i)->unban_local = false;
	*ret_changed = true;
	if (live)
		(void) kernel_unban(e, &d->net, d->at, err, errlen);
	return ENFORCE_UNBANNED;
}

/* The table part of a decision. live: also the kernel (err set on failure,
   still a result). dry: nothing changes at all, the result and
   *ret_changed say what would (enforce_apply() logs before it applies).
   ret_changed: the log must record it. */
static enum enforce_result decide(struct enforce *e, const struct decision *din, int64_t now, int64_t arrived,
				  bool live, bool dry, bool *ret_changed, char *err, size_t errlen)
{
	struct decision dc = *din;
	const struct decision *d = &dc;

	*ret_changed = false;
	if (dry)
		live = false;
	if (!from_ok(e->c, d->by))
		return ENFORCE_NOT_FROM;
	if (d->op == DECISION_ALIVE)
		return ENFORCE_ALIVE;
	for (size_t k = 0; k < e->c->n_ignoreip; k++)
		if (d->op == DECISION_BAN && cidr_overlaps(&e->c->ignoreip[k], &d->net))
			return ENFORCE_IGNORED;
	if (d->op == DECISION_BAN)
		return decide_ban(e, &dc, now, arrived, live, dry, ret_changed, err, errlen);
	return decide_unban(e, d, now, arrived, live, dry, ret_changed, err, errlen);
}

/* A local unban (authfold unban on this MX) of target, asked at at:
   every held ban of target and inside it decided no later is lifted
   (kept, with the local unban, so that status can show it; out of the
   kernel when this process put it there), and the unban is remembered
   like a central one: a ban decided no later is stale. ret_lifted: how
   many bans it lifted. ENFORCE_UNBANNED, or DUPLICATE (an unban as late
   is remembered), STALE (banned again by a later central decision),
   EXPIRED. */
static enum enforce_result decide_local(struct enforce *e, const struct cidr *target, int64_t at, const char *id,
					int64_t now, bool live, unsigned *ret_lifted, char *err, size_t errlen)
{
	int64_t at_u = at * 1000000;
	int32_t i;
	unsigned lifted = 0;

	*ret_lifted = 0;
	if (at + TOMB_KEEP <= now)
		return ENFORCE_EXPIRED;
	if ((i = find(e, target)) >= 0) {
		struct entry *x = entry_at(e, i);

		if (x->d.op == DECISION_UNBAN && at_u <= at_us(&x->d))
			return ENFORCE_DUPLICATE;
		if (x->lifted && at_u <= unbanned_us(x))
			return ENFORCE_DUPLICATE;
		if (held(x) && at_us(&x->d) > at_u)
			return ENFORCE_STALE;
	}
	for (size_t k = 0; k < e->next_unused; k++) {
		struct entry *x = entry_at(e, k);

		if (!x->used || x->d.op != DECISION_BAN || at_us(&x->d) > at_u || !cidr_inside(target, &x->d.net))
			continue;
		if (x->lifted && unbanned_us(x) >= at_u)
			continue;
		if (!x->lifted) {
			if (live && x->in_kernel)
				(void) kernel_del(e, &x->d.net, err, errlen);
			x->lifted = true;
			x->in_kernel = false;
			lifted++;
		}
		x->unban_at = at;
		x->unban_usec = 0;
		snprintf(x->unban_id, sizeof(x->unban_id), "%s", id);
		x->unban_local = true;
	}
	*ret_lifted = lifted;
	if ((i = find(e, target)) >= 0 && entry_at(e, i)->lifted)
		return ENFORCE_UNBANNED;	/* target's own ban, lifted above */
	if (i < 0 && (i = insert(e, target)) < 0)
		return ENFORCE_UNBANNED;	/* full: what was lifted stays lifted */
	struct entry *x = entry_at(e, i);

	memset(&x->d, 0, sizeof(x->d));
	x->d.op = DECISION_UNBAN;
	x->d.net = *target;
	x->d.at = at;
	snprintf(x->d.id, sizeof(x->d.id), "%s", id);
	snprintf(x->d.reason, sizeof(x->d.reason), "admin");
	snprintf(x->d.by, sizeof(x->d.by), "%s", e->local_by);
	x->arrived = at;
	x->in_kernel = true;
	x->unban_at = 0;
	x->unban_usec = 0;
	x->unban_local = true;
	x->lifted = false;
	return ENFORCE_UNBANNED;
}

/* --- files ----------------------------------------------------------------- */

static int format_entry(const struct entry *x, char *buf, size_t len)
{
	return enforcelog_format(&x->d, x->arrived, x->d.op == DECISION_UNBAN && x->unban_local, buf, len);
}

struct replay {
	struct enforce *e;
	int64_t now;
};

/* enforcelog_replay()'s function: one line of the log into the table (no kernel). */
static void replay_line(void *data, const struct decision *d, int64_t arrived, bool local)
{
	struct replay *rp = data;
	bool changed;
	unsigned lifted;

	if (local)	/* this MX's own: enforce_from does not apply */
		(void) decide_local(rp->e, &d->net, d->at, d->id, rp->now, false, &lifted, NULL, 0);
	else
		(void) decide(rp->e, d, rp->now, arrived, false, false, &changed, NULL, 0);
}

/* Replays the log into the table (no kernel). A missing file is no state. */
static int load_log(struct enforce *e, int64_t now, char *err, size_t errlen)
{
	struct replay rp = {e, now};

	return enforcelog_replay(&e->log, replay_line, &rp, &e->bad_log_lines, err, errlen);
}

/* Rewrites the log with the live entries only. */
static int compact(struct enforce *e, char *err, size_t errlen)
{
	struct enforcelog_rewrite w;
	char line[ENFORCE_LOG_LINE_MAX + 2];
	int r;

	if ((r = enforcelog_rewrite_begin(&e->log, &w, err, errlen)) < 0)
		return r;
	/* The lifted bans first, so that no remembered unban replayed before
	   them makes them stale; their local unbans follow in the second pass. */
	for (size_t k = 0; k < e->next_unused; k++) {
		int n;

		if (!entry_at(e, k)->used || !entry_at(e, k)->lifted || (n = format_entry(entry_at(e, k), line, sizeof(line))) < 0)
			continue;
		enforcelog_rewrite_line(&w, line, (size_t) n);
	}
	for (size_t k = 0; k < e->next_unused; k++) {
		const struct entry *x = entry_at(e, k);
		int n;

		if (!x->used)
			continue;
		if (x->d.op == DECISION_BAN && x->unban_at > 0) {
			struct decision u = remembered_unban(e, x);

			if ((n = enforcelog_format(&u, x->lifted ? x->unban_at : x->arrived, x->unban_local, line,
						   sizeof(line))) >= 0)
				enforcelog_rewrite_line(&w, line, (size_t) n);
		}
		if (x->lifted || (n = format_entry(x, line, sizeof(line))) < 0)
			continue;
		enforcelog_rewrite_line(&w, line, (size_t) n);
	}
	return enforcelog_rewrite_end(&e->log, &w, err, errlen);
}

static void read_counters(const char *path, struct enforce_counters *k);

static void load_status(struct enforce *e)
{
	read_counters(e->status_path, &e->k);
}

int enforce_counters_read(const struct config *c, struct enforce_counters *ret)
{
	char path[4200];
	struct enforce_counters k;

	if ((size_t) snprintf(path, sizeof(path), "%s/%s", enforce_dir(c), ENFORCE_STATUS_NAME) >= sizeof(path))
		return -ENAMETOOLONG;
	if (access(path, F_OK) < 0)
		return -errno;
	memset(&k, 0, sizeof(k));
	read_counters(path, &k);
	*ret = k;
	return 0;
}

static void read_counters(const char *path, struct enforce_counters *k)
{
	FILE *fp = fopen(path, "re");
	char buf[512], name[64], value[DECISION_BY_MAX + 1];

	if (fp == NULL)
		return;
	while (fgets(buf, sizeof(buf), fp)) {
		unsigned long long v;

		if (sscanf(buf, "%63s %253s", name, value) != 2)
			continue;
		if (strcmp(name, "last_by") == 0) {
			if (decision_by_ok(value, strlen(value)))
				snprintf(k->last_by, sizeof(k->last_by), "%s", value);
			continue;
		}
		if (sscanf(value, "%llu", &v) != 1)
			continue;
		if (strcmp(name, "last_arrival") == 0)
			k->last_arrival = (int64_t) v;
		else if (strcmp(name, "last_full_set") == 0)
			k->last_full_set = (int64_t) v;
		else if (strcmp(name, "full_set_bans") == 0)
			k->full_set_bans = v;
		else if (strcmp(name, "rounds_short") == 0)
			k->rounds_short = v;
		else if (strcmp(name, "malformed") == 0)
			k->malformed = v;
		else if (strcmp(name, "kernel_errors") == 0)
			k->kernel_errors = v;
		else
			for (int r = 0; r < ENFORCE_RESULTS; r++)
				if (strcmp(name, result_names[r]) == 0)
					k->results[r] = v;
	}
	fclose(fp);
}

static int save_status(struct enforce *e, char *err, size_t errlen)
{
	struct replacefile rf;
	int r = replacefile_open(&rf, e->status_path, 0640);

	if (r < 0) {
		set_err(err, errlen, "cannot write '%s.tmp': %s", e->status_path, strerror(-r));
		return r;
	}
	fprintf(rf.fp, "authfold-enforce-status 1\nlast_arrival %" PRId64 "\nlast_by %s\nmalformed %" PRIu64
		"\nkernel_errors %" PRIu64 "\n", e->k.last_arrival, e->k.last_by[0] ? e->k.last_by : "-",
		e->k.malformed, e->k.kernel_errors);
	for (int k = 0; k < ENFORCE_RESULTS; k++)
		fprintf(rf.fp, "%s %" PRIu64 "\n", result_names[k], e->k.results[k]);
	fprintf(rf.fp, "last_full_set %" PRId64 "\nfull_set_bans %" PRIu64 "\nrounds_short %" PRIu64 "\n",
		e->k.last_full_set, e->k.full_set_bans, e->k.rounds_short);
	if ((r = replacefile_commit(&rf, 0)) < 0) {
		set_err(err, errlen, "cannot write '%s': %s", e->status_path, strerror(-r));
		return r;
	}
	e->counters_dirty = false;
	return 0;
}

/* --- addresses never banned here ------------------------------------------ */

static void own_add(struct enforce *e, int family, const void *bytes)
{
	struct addr a;

	memset(&a, 0, sizeof(a));
	a.family = family;
	memcpy(a.bytes, bytes, family == AF_INET ? 4 : 16);
	for (size_t k = 0; k < e->n_own; k++)
		if (addr_equal(&e->own[k], &a))
			return;
	if (e->n_own < ENFORCE_OWN_MAX)
		e->own[e->n_own++] = a;
}

/* This host's addresses (getifaddrs(3)) and the addresses of the
   enforce_from names (getaddrinfo(3), numeric ones or names the
   resolver knows; looked up at start only). */
static void own_read(struct enforce *e, int64_t now, bool names)
{
	struct ifaddrs *ifa, *p;
	size_t keep = 0;

	/* the central host's first (kept across refreshes), then the interfaces */
	if (names) {
		e->n_own = 0;
		for (size_t i = 0; i < e->c->n_enforce_from; i++) {
			struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res, *r;

			if (getaddrinfo(e->c->enforce_from[i], NULL, &hints, &res) != 0)
				continue;
			for (r = res; r; r = r->ai_next)
				if (r->ai_family == AF_INET)
					own_add(e, AF_INET, &((struct sockaddr_in *) (void *) r->ai_addr)->sin_addr);
				else if (r->ai_family == AF_INET6)
					own_add(e, AF_INET6, &((struct sockaddr_in6 *) (void *) r->ai_addr)->sin6_addr);
			freeaddrinfo(res);
		}
		e->n_central = e->n_own;
	}
	keep = e->n_central;
	e->n_own = keep;
	if (getifaddrs(&ifa) == 0) {
		for (p = ifa; p; p = p->ifa_next)
			if (p->ifa_addr && p->ifa_addr->sa_family == AF_INET)
				own_add(e, AF_INET, &((struct sockaddr_in *) (void *) p->ifa_addr)->sin_addr);
			else if (p->ifa_addr && p->ifa_addr->sa_family == AF_INET6)
				own_add(e, AF_INET6, &((struct sockaddr_in6 *) (void *) p->ifa_addr)->sin6_addr);
		freeifaddrs(ifa);
	}
	e->own_at = now;
}

/* bans(3)'s request function over enforce_state_dir/forget.d: a central
   unban the MX's daemon need not read any more (every ban it began before
   at has ended) is deleted (0), the others stay (-EAGAIN). */
static int prune_one(void *data, const struct cidr *target, const char *by, int64_t at, bool kernel_done, char *err,
		     size_t errlen)
{
	const int64_t *cut = data;

	(void) target, (void) by, (void) kernel_done, (void) err, (void) errlen;
	return at < *cut ? 0 : -EAGAIN;
}

static void prune_forget(struct enforce *e, int64_t now)
{
	int64_t cut = now - e->c->bantime_max - 60;
	char why[256];

	if (e->c->enforce_state_dir && e->b)
		(void) bans_walk_requests(e->c->enforce_state_dir, BANS_FORGET_DIR, true, prune_one, &cut, NULL, why,
					  sizeof(why));
}

/* --- the interface --------------------------------------------------------- */

int enforce_open(const struct config *c, struct backend *b, int64_t now, struct enforce **ret, char *err,
		 size_t errlen)
{
	struct enforce *e;
	char lock[4200];
	int r;

	if ((r = enforce_make(c, b, &e, err, errlen)) < 0)
		return r;
	snprintf(lock, sizeof(lock), "%s/%s", enforce_dir(c), ENFORCE_LOCK_NAME);
	if ((e->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0640)) < 0) {
		r = -errno;
		set_err(err, errlen, "cannot open '%s': %s", lock, strerror(errno));
		goto fail;
	}
	if (flock(e->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		r = -errno;
		set_err(err, errlen, "'%s' is held by another authfold-enforce", lock);
		goto fail;
	}
	load_status(e);
	own_read(e, now, true);
	if ((r = load_log(e, now, err, errlen)) < 0)
		goto fail;
	/* A full disk: the log as it is (a torn last line cut off), compacted
	   by a later enforce_tick(); err says why. */
	if (compact(e, err, errlen) < 0 && (r = enforcelog_open(&e->log, NULL, 0)) < 0)
		goto fail;
	*ret = e;
	return 0;
fail:
	enforce_free(e);
	return r;
}

struct listed {
	struct enforce *e;
	int64_t now;
	unsigned present;
};

/* backend_list()'s function: a held ban the kernel already holds for at
   least what is left of it (or without a timeout) needs no add. */
static void restore_listed(void *data, const struct cidr *entry, unsigned seconds)
{
	struct listed *l = data;
	int32_t i = find(l->e, entry);
	struct entry *x;

	if (i < 0 || !held(x = entry_at(l->e, i)))
		return;
	int64_t want = x->d.until - l->now;

	if (want > IPSET_TIMEOUT_MAX)
		want = IPSET_TIMEOUT_MAX;
	if (seconds == 0 || (int64_t) seconds + 1 >= want) {
		x->in_kernel = true;
		x->kernel_until = seconds == 0 ? x->d.until : l->now + seconds;
		l->present++;
	}
}

int enforce_restore(struct enforce *e, int64_t now, char *err, size_t errlen)
{
	struct listed l = {e, now, 0};
	int added = 0, first = 0;

	/* One listing of each set first: a restart with the bans still in
	   the kernel tests nothing one by one (each test of the time left
	   lists the set: 20,000 bans took minutes). A set that cannot be
	   listed: every ban goes through the add, which tests. */
	for (size_t k = 0; k < e->next_unused; k++)
		if (entry_at(e, k)->used && held(entry_at(e, k)))
			entry_at(e, k)->in_kernel = false;
	if (e->b && backend_kernel(e->b)) {
		char why[256];

		(void) backend_list(e->b, AF_INET, restore_listed, &l, why, sizeof(why));
		(void) backend_list(e->b, AF_INET6, restore_listed, &l, why, sizeof(why));
	}
	for (size_t k = 0; k < e->next_unused; k++) {
		struct entry *x = entry_at(e, k);

		if (!x->used || !held(x) || x->in_kernel)
			continue;
		int r = kernel_ban(e, x, now, first ? NULL : err, first ? 0 : errlen);

		if (r < 0 && first == 0)
			first = r;
		else if (r == 0)
			added++;
	}
	return first < 0 ? first : added;
}

/* The resync's round: bans heard, and at its marker whether all were. */
static void round_note(struct enforce *e, const struct decision *d, enum enforce_result res, int64_t now)
{
	unsigned long long n = 0;

	if (res == ENFORCE_NOT_FROM)
		return;
	if (d->op == DECISION_BAN) {
		e->round_heard++;
		return;
	}
	if (res != ENFORCE_ALIVE || memcmp(d->id, ENFORCE_ROUND_MARK, strlen(ENFORCE_ROUND_MARK)) != 0)
		return;
	for (const char *p = d->id + strlen(ENFORCE_ROUND_MARK); *p; p++)
		n = n * 16 + (unsigned) (*p <= '9' ? *p - '0' : *p - 'a' + 10);
	if (e->round_begun && e->round_heard >= n) {
		e->k.last_full_set = now;
		e->k.full_set_bans = n;
	} else if (e->round_begun) {
		e->k.rounds_short++;
	}
	e->round_begun = true;
	e->round_heard = 0;
}

/* The write-ahead line of d into buf: its length, or <0 (err). */
static int log_line(const struct enforce *e, const struct decision *d, int64_t now, char *buf, size_t len, char *err,
		    size_t errlen)
{
	struct entry tmp = {.d = *d, .arrived = now};
	int n = format_entry(&tmp, buf, len);

	if (n < 0)
		set_err(err, errlen, "cannot format the decision for '%s'", e->log.path);
	return n;
}

/* What follows the log: the decision applied (when logged: it changes
   the table), the counters, the resync's round. res: the dry run's. */
static void apply_logged(struct enforce *e, const struct decision *d, int64_t now, bool logged,
			 enum enforce_result res, enum enforce_result *ret_result, char *err, size_t errlen)
{
	bool changed = false;

	if (logged)
		res = decide(e, d, now, now, true, false, &changed, err, errlen);
	if (res != ENFORCE_NOT_FROM) {
		e->k.last_arrival = now;
		snprintf(e->k.last_by, sizeof(e->k.last_by), "%s", d->by);
	}
	e->k.results[res]++;
	e->counters_dirty = true;
	*ret_result = res;
	round_note(e, d, res, now);
	if (!changed && res == ENFORCE_DUPLICATE)
		(void) decide(e, d, now, now, true, false, &changed, err, errlen);	/* a kernel entry missing */
}

int enforce_apply(struct enforce *e, const struct decision *d, int64_t now, enum enforce_result *ret_result,
		  char *err, size_t errlen)
{
	char line[ENFORCE_LOG_LINE_MAX + 2];
	bool changed;
	/* Write-ahead: what the decision would change is logged first; when
	   the log cannot be written nothing has changed, and rsyslog's retry
	   does the work. */
	enum enforce_result res = decide(e, d, now, now, false, true, &changed, NULL, 0);
	int n, r;

	if (changed) {
		if ((n = log_line(e, d, now, line, sizeof(line), err, errlen)) < 0)
			return n;
		if ((r = enforcelog_append(&e->log, line, (size_t) n, err, errlen)) < 0)
			return r;
	}
	apply_logged(e, d, now, changed, res, ret_result, err, errlen);
	return 0;
}

/* The end of the run of bans from ds[k] whose networks differ: each one's
   dry run is then that of the table it will be applied to. */
static size_t ban_run(const struct decision *ds, size_t k, size_t n)
{
	size_t end = k;

	while (end < n && ds[end].op == DECISION_BAN) {
		for (size_t i = k; i < end; i++)
			if (ds[i].net.prefix == ds[end].net.prefix && addr_equal(&ds[i].net.net, &ds[end].net.net))
				return end;
		end++;
	}
	return end;
}

int enforce_apply_batch(struct enforce *e, const struct decision *ds, size_t n, int64_t now,
			enum enforce_result *ret_results, size_t *ret_done, char *err, size_t errlen)
{
	char line[ENFORCE_LOG_LINE_MAX + 2];
	bool changed[ENFORCE_BATCH_MAX];
	enum enforce_result dry[ENFORCE_BATCH_MAX];
	size_t k = 0;
	int r;

	*ret_done = 0;
	if (n > ENFORCE_BATCH_MAX)
		return -EINVAL;
	while (k < n) {
		size_t end = ban_run(ds, k, n);

		if (end <= k + 1) {	/* an unban, a keep-alive, a lone ban: as ever */
			if ((r = enforce_apply(e, &ds[k], now, &ret_results[k], err, errlen)) < 0)
				return r;
			*ret_done = ++k;
			continue;
		}
		/* Write-ahead for the run: every line that changes the table
		   written, one sync, and only then the table and the kernel. */
		for (size_t i = k; i < end; i++) {
			int len;

			dry[i] = decide(e, &ds[i], now, now, false, true, &changed[i], NULL, 0);
			if (!changed[i])
				continue;
			if ((len = log_line(e, &ds[i], now, line, sizeof(line), err, errlen)) < 0)
				return len;
			if ((r = enforcelog_write(&e->log, line, (size_t) len, err, errlen)) < 0)
				return r;
		}
		if ((r = enforcelog_sync(&e->log, err, errlen)) < 0)
			return r;
		for (size_t i = k; i < end; i++)
			apply_logged(e, &ds[i], now, changed[i], dry[i], &ret_results[i], err, errlen);
		*ret_done = k = end;
	}
	return 0;
}

/* --- authfold unban on this MX -------------------------------------------- */

struct take {
	struct enforce *e;
	int64_t now;
	bool live;		/* the enforcer: log, kernel; else status' private table */
	char *msg;
	size_t msglen, used;
};

static void say(struct take *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct take *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->msg == NULL || t->used + 2 >= t->msglen)
		return;
	if (t->used > 0) {
		memcpy(t->msg + t->used, "; ", STRLIT_LEN("; ") + 1);
		t->used += STRLIT_LEN("; ");
	}
	va_start(ap, fmt);
	n = vsnprintf(t->msg + t->used, t->msglen - t->used, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->used = t->used + (size_t) n < t->msglen ? t->used + (size_t) n : t->msglen - 1;
}

/* bans(3)'s request function: one local unban. */
static int take_one(void *data, const struct cidr *target, const char *by, int64_t at, bool kernel_done, char *err,
		    size_t errlen)
{
	struct take *t = data;
	struct enforce *e = t->e;
	char line[ENFORCE_LOG_LINE_MAX + 2], net[ADDR_STRLEN];

	(void) kernel_done;	/* authfold unban removed the kernel entries itself */
	struct decision d = {.op = DECISION_UNBAN, .net = *target};
	enum enforce_result res;
	unsigned lifted;
	int n, r;

	addr_format(&target->net, net);
	/* asked in the future: the clock went back meanwhile */
	d.at = at < 1 || at > t->now ? t->now : at;
	snprintf(d.reason, sizeof(d.reason), "admin");
	snprintf(d.by, sizeof(d.by), "%s", e->local_by);
	if ((r = decision_new_id(d.id)) < 0) {
		set_err(err, errlen, "cannot make an id for the local unban of %s/%u: %s", net, target->prefix,
			strerror(-r));
		return r;
	}
	if ((n = enforcelog_format(&d, t->now, true, line, sizeof(line))) < 0) {
		/* no decision can name it (wider than /8 or /16): taken, not applied */
		say(t, "local unban of %s/%u (%s) not applied: wider than a decision's /8 (IPv4) or /16 (IPv6)", net,
		    target->prefix, by);
		return 0;
	}
	/* logged before the request goes: a crash replays it */
	if (t->live && (r = enforcelog_append(&e->log, line, (size_t) n, err, errlen)) < 0)
		return r;
	res = decide_local(e, target, d.at, d.id, t->now, t->live, &lifted, NULL, 0);
	if (t->live)
		say(t, "local unban of %s/%u (%s): %s", net, target->prefix, by,
		    res == ENFORCE_STALE ? "not applied: the central host banned it again after it was asked"
		    : res == ENFORCE_EXPIRED ? "not applied: asked too long ago"
		    : lifted == 0 ? "no central ban held" : lifted == 1 ? "1 central ban lifted" : "central bans lifted");
	return (int) lifted;
}

int enforce_take_requests(struct enforce *e, int64_t now, char *ret_msg, size_t msglen)
{
	struct take t = {e, now, true, ret_msg, msglen, 0};
	struct bans_requests rq;
	char err[512] = "";
	int r;

	if (msglen > 0)
		ret_msg[0] = '\0';
	r = bans_walk_requests(enforce_dir(e->c), ENFORCE_REQUEST_DIR, true, take_one, &t, &rq, err, sizeof(err));
	if (rq.rejected > 0)
		say(&t, "%u bad request%s in '%s/%s' deleted", rq.rejected, rq.rejected == 1 ? "" : "s",
		    enforce_dir(e->c), ENFORCE_REQUEST_DIR);
	if (r < 0)
		say(&t, "%s", err[0] ? err : strerror(-r));
	return r;
}

void enforce_refused(struct enforce *e)
{
	e->k.malformed++;
	e->counters_dirty = true;
}

int enforce_tick(struct enforce *e, int64_t now, char *err, size_t errlen)
{
	int first = 0, r;

	if (now - e->own_at >= OWN_REFRESH) {
		own_read(e, now, false);
		prune_forget(e, now);
	}
	for (size_t k = 0; k < e->next_unused; k++) {
		struct entry *x = entry_at(e, k);

		if (!x->used)
			continue;
		if (x->d.op == DECISION_BAN ? x->d.until <= now : x->d.at + TOMB_KEEP <= now) {
			ended(e, (int32_t) k, now);
			if (!x->used || x->d.op == DECISION_UNBAN)
				continue;
		}
		/* a ban longer than the kernel's longest timeout: renewed a day
		   before the kernel entry ends */
		if (held(x) && x->in_kernel && e->b && x->kernel_until < x->d.until &&
		    x->kernel_until - now <= RENEW_BEFORE) {
			x->in_kernel = false;
			e->kernel_pending = true;
		}
		if (e->kernel_pending && held(x) && !x->in_kernel &&
		    (r = kernel_ban(e, x, now, first ? NULL : err, first ? 0 : errlen)) < 0 && first == 0)
			first = r;
	}
	if (first == 0)
		e->kernel_pending = false;
	/* central unbans the MX's own daemon has not been told of */
	for (size_t k = 0; k < e->n_forget;) {
		struct cidr net = e->forget[k].net;
		int64_t at = e->forget[k].at;
		char why[512] = "";

		if ((r = bans_request_forget(e->c->state_dir, e->c->enforce_state_dir, &net, at, why, sizeof(why))) < 0 &&
		    r != -EEXIST) {
			if (first == 0) {
				first = r;
				set_err(err, errlen, "%s", why);
			}
			break;
		}
		e->forget[k] = e->forget[--e->n_forget];
	}
	if (e->log.lines > 2 * e->n + 4096 && (r = compact(e, first ? NULL : err, first ? 0 : errlen)) < 0 && first == 0)
		first = r;
	if (e->counters_dirty && (r = save_status(e, first ? NULL : err, first ? 0 : errlen)) < 0 && first == 0)
		first = r;
	return first;
}

/* --- authfold status ------------------------------------------------------- */

int enforce_status_read(const struct config *c, int64_t now, struct enforce **ret, char *err, size_t errlen)
{
	struct enforce *e;
	struct stat st;

	*ret = NULL;
	if (strlen(enforce_dir(c)) > 4096)
		return 0;	/* no enforcer can use it (enforce_open()) */
	if ((e = enforce_new(c, NULL)) == NULL)
		return -ENOMEM;
	if (stat(e->log.path, &st) < 0 && stat(e->status_path, &st) < 0) {
		enforce_free(e);	/* not an MX that enforces */
		return 0;
	}
	load_status(e);
	(void) load_log(e, now, err, errlen);
	/* local unbans no enforcer has taken yet: as it will take them */
	struct take t = {e, now, false, NULL, 0, 0};
	struct bans_requests rq;
	char why[256];

	if (bans_walk_requests(enforce_dir(c), ENFORCE_REQUEST_DIR, false, take_one, &t, &rq, why, sizeof(why)) > 0)
		e->pending_requests = rq.taken;
	*ret = e;
	return 0;
}

int enforce_running(const struct config *c, int64_t now, size_t *ret_bans, char *err, size_t errlen)
{
	struct enforce *e;
	struct enforce_ban b;
	size_t n = 0;
	int r;

	if ((r = enforce_make(c, NULL, &e, err, errlen)) < 0)
		return r;
	if ((r = load_log(e, now, err, errlen)) < 0) {
		enforce_free(e);
		return r;
	}
	for (size_t k = 0; (k = enforce_next_ban(e, k, &b)) > 0;)
		n++;
	enforce_free(e);
	*ret_bans = n;
	return 0;
}

static size_t next_of(const struct enforce *e, size_t k, bool lifted, struct enforce_ban *ret)
{
	for (; k < e->next_unused; k++) {
		const struct entry *x = entry_at(e, k);

		if (!x->used || x->d.op != DECISION_BAN || x->lifted != lifted)
			continue;
		ret->net = x->d.net;
		ret->until = x->d.until;
		ret->arrived = x->arrived;
		ret->lifted = lifted ? x->unban_at : 0;
		ret->reason = x->d.reason;
		ret->by = x->d.by;
		ret->id = x->d.id;
		return k + 1;
	}
	return 0;
}

size_t enforce_next_ban(const struct enforce *e, size_t k, struct enforce_ban *ret)
{
	return next_of(e, k, false, ret);
}

size_t enforce_next_lifted(const struct enforce *e, size_t k, struct enforce_ban *ret)
{
	return next_of(e, k, true, ret);
}

unsigned enforce_pending_requests(const struct enforce *e)
{
	return e->pending_requests;
}

uint64_t enforce_bad_log_lines(const struct enforce *e)
{
	return e->bad_log_lines;
}

const char *enforce_log_path(const struct enforce *e)
{
	return e->log.path;
}

int enforce_status_write(FILE *fp, const struct config *c, int64_t now)
{
	struct enforce *e;
	struct enforce_ban b;
	char err[512] = "", a[32], u[32];
	unsigned bans = 0;
	int r;

	if ((r = enforce_status_read(c, now, &e, err, sizeof(err))) < 0)
		return r;
	if (e == NULL)
		return 0;	/* not an MX that enforces: say nothing */
	fprintf(fp, "\nCentral decisions (authfold-enforce, %s):\n", e->log.path);
	if (err[0])
		fprintf(fp, "  note: %s\n", err);
	for (size_t k = 0; (k = enforce_next_ban(e, k, &b)) > 0;) {
		char net[ADDR_STRLEN], nt[64];

		if (bans++ == 0)
			fprintf(fp, "  %-24s %10s  %-20s  %-8s  %-10s  %s\n", "NET", "REMAINING", "UNTIL", "REASON", "ORIGIN",
				"ID / ARRIVED");
		addr_format(&b.net.net, net);
		snprintf(nt, sizeof(nt), "%s/%u", net, b.net.prefix);
		timefmt_utc(b.until, u, sizeof(u));
		timefmt_utc(b.arrived, a, sizeof(a));
		fprintf(fp, "  %-24s %9" PRId64 "s  %-20s  %-8s  central:%s  %s / %s\n", nt, b.until - now, u,
			b.reason, b.by, b.id, a);
	}
	if (bans == 0)
		fprintf(fp, "  no running ban from the central host\n");
	bans = 0;
	for (size_t k = 0; (k = enforce_next_lifted(e, k, &b)) > 0;) {
		char net[ADDR_STRLEN], nt[64], l[32];

		if (bans++ == 0)
			fprintf(fp, "  lifted here (authfold unban on this host; not in the kernel, not restored):\n"
				"  %-24s %10s  %-20s  %-8s  %-10s  %s\n", "NET", "WOULD RUN", "UNTIL", "REASON", "ORIGIN",
				"ID / LIFTED");
		addr_format(&b.net.net, net);
		snprintf(nt, sizeof(nt), "%s/%u", net, b.net.prefix);
		timefmt_utc(b.until, u, sizeof(u));
		timefmt_utc(b.lifted, l, sizeof(l));
		fprintf(fp, "  %-24s %9" PRId64 "s  %-20s  %-8s  central:%s  %s / lifted %s\n", nt, b.until - now, u,
			b.reason, b.by, b.id, l);
	}
	if (e->pending_requests)
		fprintf(fp, "  note: %u local unban%s in '%s/%s' wait%s for authfold-enforce, which takes them when it "
			"next runs (shown as lifted)\n", e->pending_requests, e->pending_requests == 1 ? "" : "s",
			enforce_dir(c), ENFORCE_REQUEST_DIR, e->pending_requests == 1 ? "s" : "");
	if (e->k.last_arrival > 0) {
		timefmt_utc(e->k.last_arrival, a, sizeof(a));
		fprintf(fp, "  last central decision arrived %s (%" PRId64 "s ago) from %s\n", a, now - e->k.last_arrival,
			e->k.last_by[0] ? e->k.last_by : "?");
	} else {
		fprintf(fp, "  no central decision has arrived yet\n");
	}
	if (e->k.last_full_set > 0) {
		timefmt_utc(e->k.last_full_set, a, sizeof(a));
		fprintf(fp, "  last full set of central decisions heard %s (%" PRId64 "s ago): %" PRIu64 " ban%s; "
			"%" PRIu64 " short round%s\n", a, now - e->k.last_full_set, e->k.full_set_bans,
			e->k.full_set_bans == 1 ? "" : "s", e->k.rounds_short, e->k.rounds_short == 1 ? "" : "s");
	} else if (e->k.last_arrival > 0) {
		fprintf(fp, "  no full set of central decisions heard yet (the central host's resync, publish_resync); "
			"%" PRIu64 " short round%s\n", e->k.rounds_short, e->k.rounds_short == 1 ? "" : "s");
	}
	fprintf(fp, "  decisions: ");
	for (int k = 0; k < ENFORCE_RESULTS; k++)
		fprintf(fp, "%s %" PRIu64 ", ", result_names[k], e->k.results[k]);
	fprintf(fp, "malformed %" PRIu64 ", kernel errors %" PRIu64 "\n", e->k.malformed, e->k.kernel_errors);
	if (e->bad_log_lines)
		fprintf(fp, "  note: %" PRIu64 " unreadable line%s in the log skipped\n", e->bad_log_lines,
			e->bad_log_lines == 1 ? "" : "s");
	enforce_free(e);
	return ferror(fp) ? -EIO : 0;
}

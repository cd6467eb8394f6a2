/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	status 3
 * SUMMARY
 *	the bans and strikes authfold status prints
 * SYNOPSIS
 *	#include "status.h"
 *
 *	int	status_write(fp, c, o)
 * DESCRIPTION
 *	status_write() reads every STATE_DIR/ *.state file (at most
 *	STATUS_STATE_FILES_MAX, in name order) through bans_scratch_load(),
 *	which never changes them and reads only regular files, opened
 *	without following links and without blocking, of a bounded size (a
 *	FIFO, a device or a link is a note, see state(3)); no copy is made.
 *	It writes to fp:
 *
 *	- the running bans: address or prefix, remaining time, end, times
 *	  banned, the last ban's length, the last reason and strike, the state
 *	  file, and with o->kernel and backend = ipset or nft whether the kernel set
 *	  holds the entry and the kernel's own remaining timeout;
 *	- with o->kernel, the entries of the kernel sets that no running ban
 *	  of a state file accounts for (made by replay --ban, by hand, or by
 *	  a daemon with another state_dir);
 *	- the addresses with strikes within findtime and no running ban (at
 *	  most maxretry - 1 of them, or they would be banned);
 *	- per state file whose daemon has bans the backend refused, waiting
 *	  for a retry: "bans waiting for the kernel: N (FILE), last error:
 *	  TEXT, since TIME" (engine_ban_state(), saved by state(3));
 *	- a note per daemon with the lines it read by sender (STATE_DIR/
 *	  omprog.senders, journal.senders: sender(3)), and a warning when
 *	  some carried no sender credentials.
 *
 *	The kernel is read by one listing of each set (ipset: a save
 *	listing; nft: a dump of the set's elements), attached to without
 *	creating a missing set or table (backend_attach()); at most
 *	STATUS_KERNEL_ENTRIES_MAX entries, or a note says the sets were not
 *	read.
 *
 *	Tables for people, or with o->json one JSON document:
 *
 *	  {"now":"…","state_dir":"…","maxretry":2,"findtime":86400,
 *	   "states":[{"file":"omprog.state","ok":true}],
 *	   "kernel":{"checked":true,"backend":"ipset","set4":"authfold4","set6":"authfold6"},
 *	   "bans":[{"addr":"192.0.2.10","prefix":32,"remaining":86213,
 *	     "until":"2026-11-27T19:27:50Z","times_banned":1,"last_ban_seconds":86400,
 *	     "last_reason":"noauth","last_strike":"2026-11-26T19:27:50Z",
 *	     "state":"omprog.state","in_kernel":true,"kernel_timeout":86212}],
 *	   "strikes":[{"addr":"…","prefix":32,"strikes":1,"last_reason":"noauth",
 *	     "last_strike":"…","state":"…"}],
 *	   "kernel_only":[{"addr":"198.51.100.7","prefix":32,"set":"authfold4",
 *	     "kernel_timeout":3000}],
 *	   "waiting":[{"state":"omprog.state","bans":3,"since":"…",
 *	     "last_error":"cannot ban 192.0.2.9/32: …"}],
 *	   "central":{"log":"/var/lib/authfold/enforce.log",
 *	     "bans":[{"addr":"192.0.2.7","prefix":32,"remaining":3428,
 *	       "until":"…","reason":"noauth","by":"central.example.org",
 *	       "id":"3f29c1d07a8e44b1","arrived":"…"}],
 *	     "lifted":[{"addr":"192.0.2.9",…,"arrived":"…","lifted":"…"}],
 *	     "last_arrival":"…","last_arrival_ago":172,"last_by":"central.example.org",
 *	     "last_full_set":"…","last_full_set_ago":12,"full_set_bans":40,"rounds_short":0,
 *	     "counters":{"banned":1,…,"alive":0,"malformed":0,"kernel_errors":0},
 *	     "notes":[]},
 *	   "notes":["…"]}
 *
 *	"central" holds the decisions authfold-enforce(8) keeps in state_dir
 *	(enforce(3), read without its lock, no kernel); it is null on a host
 *	that has neither enforce.log nor enforce.status. The counters are
 *	enforce(3)'s result names, malformed and kernel_errors. "lifted"
 *	holds the central bans that authfold unban lifted on this host and
 *	that would still run, with the keys of "bans" and the time of the
 *	local unban; a local unban no enforcer has taken yet counts as
 *	lifted, and a note says that it waits.
 *
 *	With backend = nft, "kernel" also has "table" (nft_table, family
 *	inet) and the sets are banned4 and banned6.
 *
 *	in_kernel is null and kernel_timeout absent when the kernel was not
 *	asked. Problems (no state_dir, a corrupt state file, no permission
 *	for the kernel) are notes in the output, not failures: the state part
 *	works without root.
 * DIAGNOSTICS
 *	0, or a negative errno when fp cannot be written or memory runs out.
 */

#include "status.h"

#include "bans.h"
#include "enforce.h"
#include "sender.h"
#include "json.h"
#include "statedir.h"
#include "timefmt.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct row {
	struct addr net;
	unsigned prefix, times_banned, strikes;
	int64_t until_usec, last_ban_seconds, last_strike_usec;
	enum reason reason;
	int state;			/* index into the file names */
	int in_kernel;			/* -1 not asked, 0, 1 */
	int64_t kernel_timeout;		/* -1 unknown */
};

struct rows {
	struct row *v;
	size_t n, cap;
};

/* An entry of a kernel set: a ban's, or one no state file knows. */
struct kentry {
	struct cidr c;
	unsigned seconds;		/* remaining timeout, 0: none */
	bool matched;			/* a running ban of a state file */
};

struct kentries {
	struct kentry *v;
	size_t n, cap;
	bool full;			/* more than STATUS_KERNEL_ENTRIES_MAX */
	bool nomem;
};

/* Bans a daemon's backend refused, waiting in its state file. */
struct wait {
	int state;			/* index into the file names */
	size_t bans;
	int64_t since_usec;
	char *error;
};

struct waits {
	struct wait v[STATUS_STATE_FILES_MAX];
	size_t n;
};

struct notes {
	char *v[STATUS_STATE_FILES_MAX + 8];
	size_t n;
};

__attribute__((format(printf, 2, 3)))
static void note(struct notes *ns, const char *fmt, ...)
{
	char buf[1200];
	va_list ap;

	if (ns->n >= sizeof(ns->v) / sizeof(ns->v[0]))
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if ((ns->v[ns->n] = strdup(buf)) != NULL)
		ns->n++;
}

static int push(struct rows *r, const struct row *x)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct row *v = realloc(r->v, cap * sizeof(*v));

		if (v == NULL)
			return -ENOMEM;
		r->v = v;
		r->cap = cap;
	}
	r->v[r->n++] = *x;
	return 0;
}

static int is_state(const struct dirent *d)
{
	return statedir_is_state_name(d->d_name);
}

/* Reads one state file into rows; a problem becomes a note. */
static int collect(const struct config *c, const char *dir, const char *name, int idx, int64_t now,
		   struct rows *bans, struct rows *strikes, struct waits *ws, struct notes *ns)
{
	char path[4096], err[1024];
	struct bans_scratch s;
	struct engine_ban_state bs;
	int r;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((r = bans_scratch_load(c, path, &s, NULL, err, sizeof(err))) < 0) {
		bans_scratch_free(&s);
		note(ns, "%s%s", err, r == -EBADMSG ? "; its daemon sets it aside when it next starts" : "");
		return r == -ENOMEM ? r : 1;
	}
	engine_ban_state(s.e, &bs);
	if (bs.waiting > 0 && ws->n < STATUS_STATE_FILES_MAX) {
		struct wait *w = &ws->v[ws->n];

		if ((w->error = strdup(bs.error[0] ? bs.error : "unknown")) == NULL) {
			bans_scratch_free(&s);
			return -ENOMEM;
		}
		w->state = idx;
		w->bans = bs.waiting;
		w->since_usec = bs.since_usec;
		ws->n++;
	}
	for (struct policy_entry *p = policy_first(engine_policy(s.e)); p; p = policy_next(p)) {
		struct row x = {p->net, p->prefix, p->times_banned, policy_strikes_within(engine_policy(s.e), p, now),
				p->ban_until_usec, p->last_ban_seconds, p->last_strike_usec, p->last_reason, idx, -1, -1};

		if (p->ban_until_usec > now)
			r = push(bans, &x);
		else if (x.strikes > 0)
			r = push(strikes, &x);
		if (r < 0)
			break;
	}
	bans_scratch_free(&s);
	return r < 0 ? r : 0;
}

static void kentry_add(void *data, const struct cidr *c, unsigned seconds)
{
	struct kentries *k = data;

	if (k->n == STATUS_KERNEL_ENTRIES_MAX) {
		k->full = true;
		return;
	}
	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 256;
		struct kentry *v = realloc(k->v, cap * sizeof(*v));

		if (v == NULL) {
			k->nomem = true;
			return;
		}
		k->v = v;
		k->cap = cap;
	}
	k->v[k->n++] = (struct kentry) {*c, seconds, false};
}

static int cidr_cmp(const struct cidr *a, const struct cidr *b)
{
	if (a->net.family != b->net.family)
		return a->net.family < b->net.family ? -1 : 1;
	int r = memcmp(a->net.bytes, b->net.bytes, a->net.family == AF_INET ? 4 : 16);

	return r ? r : a->prefix < b->prefix ? -1 : a->prefix > b->prefix;
}

static int kentry_cmp(const void *a, const void *b)
{
	return cidr_cmp(&((const struct kentry *) a)->c, &((const struct kentry *) b)->c);
}

/*
 * Lists both kernel sets once (backend_list()) and looks every ban
 * up in it: in_kernel and the kernel's remaining timeout. The entries no
 * running ban accounts for are left unmatched in *k, in address order.
 * Attaches to the sets only: a missing set is a note, never created.
 */
static void kernel_lookup(const struct config *c, struct rows *bans, struct kentries *k, struct notes *ns,
			  bool *ret_checked)
{
	struct backend b;
	char err[512];
	int r;

	*ret_checked = false;
	if ((r = backend_attach(c, &b, err, sizeof(err))) < 0) {
		note(ns, "kernel sets not read: %s", err);
		return;
	}
	if ((r = backend_list(&b, AF_INET, kentry_add, k, err, sizeof(err))) < 0 ||
	    (r = backend_list(&b, AF_INET6, kentry_add, k, err, sizeof(err))) < 0) {
		note(ns, "kernel sets not read: %s", err);
		backend_close(&b);
		k->n = 0;
		return;
	}
	backend_close(&b);
	if (k->nomem || k->full) {
		note(ns, "kernel sets not read: %s", k->nomem ? "out of memory" :
		     "more than " STATUS_KERNEL_ENTRIES_MAX_TEXT " entries");
		k->n = 0;
		return;
	}
	*ret_checked = true;
	if (k->n > 0)	/* empty sets: k->v is NULL, which qsort and bsearch must not get */
		qsort(k->v, k->n, sizeof(*k->v), kentry_cmp);
	for (size_t i = 0; i < bans->n; i++) {
		struct row *x = &bans->v[i];
		struct kentry key = {.c = {x->net, x->prefix}};
		struct kentry *e = k->n ? bsearch(&key, k->v, k->n, sizeof(*k->v), kentry_cmp) : NULL;

		x->in_kernel = e != NULL;
		if (e != NULL) {
			x->kernel_timeout = e->seconds;
			e->matched = true;
		}
	}
}

static size_t unmatched(const struct kentries *k)
{
	size_t n = 0;

	for (size_t i = 0; i < k->n; i++)
		n += !k->v[i].matched;
	return n;
}

static void print_waits(FILE *fp, char **files, const struct waits *ws)
{
	char since[40];

	for (size_t i = 0; i < ws->n; i++) {
		const struct wait *w = &ws->v[i];

		timefmt_utc_usec(w->since_usec, since, sizeof(since));
		fprintf(fp, "bans waiting for the kernel: %zu (%s), last error: %s, since %s\n", w->bans,
			files[w->state], w->error, since);
	}
}

static void print_table(FILE *fp, const struct config *c, char **files, const struct rows *bans,
			const struct rows *strikes, const struct kentries *k, int64_t now, bool checked)
{
	char a[ADDR_STRLEN + 8], until[40], last[40], left[40], len[40], kern[48];

	if (bans->n == 0) {
		fprintf(fp, "No running bans.\n");
	} else {
		fprintf(fp, "%-28s %-12s %-20s %5s %-10s %-8s %-20s %-12s %s\n", "BANNED", "REMAINING", "UNTIL",
			"TIMES", "LAST BAN", "REASON", "LAST STRIKE", "KERNEL", "STATE");
		for (size_t i = 0; i < bans->n; i++) {
			const struct row *x = &bans->v[i];
			char t[ADDR_STRLEN];

			addr_format(&x->net, t);
			snprintf(a, sizeof(a), "%s/%u", t, x->prefix);
			format_duration((x->until_usec - now + 999999) / 1000000, left, sizeof(left));
			format_duration(x->last_ban_seconds, len, sizeof(len));
			timefmt_utc_usec(x->until_usec, until, sizeof(until));
			timefmt_utc_usec(x->last_strike_usec, last, sizeof(last));
			if (!checked || x->in_kernel < 0)
				snprintf(kern, sizeof(kern), "?");
			else if (x->in_kernel == 0)
				snprintf(kern, sizeof(kern), "MISSING");
			else if (x->kernel_timeout >= 0)
				snprintf(kern, sizeof(kern), "yes %" PRId64 "s", x->kernel_timeout);
			else
				snprintf(kern, sizeof(kern), "yes");
			fprintf(fp, "%-28s %-12s %-20s %5u %-10s %-8s %-20s %-12s %s\n", a, left, until, x->times_banned,
				len, reason_name(x->reason), last, kern, files[x->state]);
		}
	}
	if (unmatched(k) > 0) {
		fprintf(fp, "\nIn the kernel sets, in no state file (replay --ban, by hand, or another state_dir):\n");
		fprintf(fp, "%-28s %-12s %s\n", "ENTRY", "KERNEL", "SET");
		for (size_t i = 0; i < k->n; i++) {
			const struct kentry *e = &k->v[i];
			char t[ADDR_STRLEN], kt[32];

			if (e->matched)
				continue;
			addr_format(&e->c.net, t);
			snprintf(a, sizeof(a), "%s/%u", t, e->c.prefix);
			snprintf(kt, sizeof(kt), e->seconds ? "%us" : "no timeout", e->seconds);
			fprintf(fp, "%-28s %-12s %s\n", a, kt, backend_set_name(c, e->c.net.family));
		}
	}
	format_duration(c->findtime, len, sizeof(len));
	if (strikes->n == 0) {
		fprintf(fp, "No addresses with strikes within findtime (%s).\n", len);
		return;
	}
	fprintf(fp, "\nStrikes within findtime (%s), below maxretry (%u):\n", len, c->maxretry);
	fprintf(fp, "%-28s %7s %-8s %-20s %5s %s\n", "ADDRESS", "STRIKES", "REASON", "LAST STRIKE", "TIMES", "STATE");
	for (size_t i = 0; i < strikes->n; i++) {
		const struct row *x = &strikes->v[i];
		char t[ADDR_STRLEN];

		addr_format(&x->net, t);
		snprintf(a, sizeof(a), "%s/%u", t, x->prefix);
		timefmt_utc_usec(x->last_strike_usec, last, sizeof(last));
		fprintf(fp, "%-28s %7u %-8s %-20s %5u %s\n", a, x->strikes, reason_name(x->reason), last, x->times_banned,
			files[x->state]);
	}
}

/* One central ban as a JSON object; a lifted one (authfold unban on this
   host) with the time it was lifted. */
static void central_ban_json(FILE *fp, const struct enforce_ban *b, int64_t now, bool first, bool lifted)
{
	char t[ADDR_STRLEN], buf[40];

	addr_format(&b->net.net, t);
	fprintf(fp, "%s{\"addr\":\"%s\",\"prefix\":%u,\"remaining\":%" PRId64 ",\"until\":", first ? "" : ",", t,
		b->net.prefix, b->until - now);
	timefmt_utc_usec(b->until * 1000000, buf, sizeof(buf));
	json_fputs(fp, buf);
	fputs(",\"reason\":", fp);
	json_fputs(fp, b->reason);
	fputs(",\"by\":", fp);
	json_fputs(fp, b->by);
	fputs(",\"id\":", fp);
	json_fputs(fp, b->id);
	fputs(",\"arrived\":", fp);
	timefmt_utc_usec(b->arrived * 1000000, buf, sizeof(buf));
	json_fputs(fp, buf);
	if (lifted) {
		fputs(",\"lifted\":", fp);
		timefmt_utc_usec(b->lifted * 1000000, buf, sizeof(buf));
		json_fputs(fp, buf);
	}
	putc('}', fp);
}

/* The central decisions authfold-enforce holds in state_dir (enforce(3)),
   or null when this host does not enforce them. */
static void print_central_json(FILE *fp, const struct config *c, int64_t now_usec)
{
	int64_t now = now_usec / 1000000;
	struct enforce *e = NULL;
	struct enforce_ban b;
	char err[512] = "", buf[40];
	bool first = true;
	int r = enforce_status_read(c, now, &e, err, sizeof(err));

	if (r < 0 || e == NULL) {
		fputs("null", fp);
		return;
	}
	const struct enforce_counters *k = enforce_counters(e);

	fputs("{\"log\":", fp);
	json_fputs(fp, enforce_log_path(e));
	fputs(",\"bans\":[", fp);
	for (size_t i = 0; (i = enforce_next_ban(e, i, &b)) > 0; first = false)
		central_ban_json(fp, &b, now, first, false);
	fputs("],\"lifted\":[", fp);
	first = true;
	for (size_t i = 0; (i = enforce_next_lifted(e, i, &b)) > 0; first = false)
		central_ban_json(fp, &b, now, first, true);
	fputs("],\"last_arrival\":", fp);
	if (k->last_arrival > 0) {
		timefmt_utc_usec(k->last_arrival * 1000000, buf, sizeof(buf));
		json_fputs(fp, buf);
		fprintf(fp, ",\"last_arrival_ago\":%" PRId64 ",\"last_by\":", now - k->last_arrival);
		if (k->last_by[0])
			json_fputs(fp, k->last_by);
		else
			fputs("null", fp);
	} else {
		fputs("null,\"last_arrival_ago\":null,\"last_by\":null", fp);
	}
	fputs(",\"last_full_set\":", fp);
	if (k->last_full_set > 0) {
		timefmt_utc_usec(k->last_full_set * 1000000, buf, sizeof(buf));
		json_fputs(fp, buf);
		fprintf(fp, ",\"last_full_set_ago\":%" PRId64 ",\"full_set_bans\":%" PRIu64, now - k->last_full_set,
			k->full_set_bans);
	} else {
		fputs("null,\"last_full_set_ago\":null,\"full_set_bans\":null", fp);
	}
	fprintf(fp, ",\"rounds_short\":%" PRIu64, k->rounds_short);
	fputs(",\"counters\":{", fp);
	for (int i = 0; i < ENFORCE_RESULTS; i++)
		fprintf(fp, "\"%s\":%" PRIu64 ",", enforce_result_name((enum enforce_result) i), k->results[i]);
	fprintf(fp, "\"malformed\":%" PRIu64 ",\"kernel_errors\":%" PRIu64 "},\"notes\":[", k->malformed,
		k->kernel_errors);
	if (err[0])
		json_fputs(fp, err);
	if (enforce_bad_log_lines(e) > 0) {
		uint64_t bad = enforce_bad_log_lines(e);

		if (err[0])
			putc(',', fp);
		snprintf(err, sizeof(err), "%" PRIu64 " unreadable line%s in the log skipped", bad, bad == 1 ? "" : "s");
		json_fputs(fp, err);
	}
	if (enforce_pending_requests(e) > 0) {
		unsigned n = enforce_pending_requests(e);

		if (err[0])
			putc(',', fp);
		snprintf(err, sizeof(err), "%u local unban%s in '%s/%s' wait%s for authfold-enforce (shown as lifted)", n,
			 n == 1 ? "" : "s", c->state_dir, ENFORCE_REQUEST_DIR, n == 1 ? "s" : "");
		json_fputs(fp, err);
	}
	fputs("]}", fp);
	enforce_free(e);
}

/* {"now":…,"state_dir":…,"maxretry":…,"findtime":…,"states":[…],"kernel":{…} without the closing brace */
static void json_head(FILE *fp, const struct config *c, char **files, const int *file_ok, int nfiles, int64_t now,
		      bool checked)
{
	char buf[40];

	timefmt_utc_usec(now, buf, sizeof(buf));
	fputs("{\"now\":", fp);
	json_fputs(fp, buf);
	fputs(",\"state_dir\":", fp);
	json_fputs(fp, c->state_dir);
	fprintf(fp, ",\"maxretry\":%u,\"findtime\":%" PRId64 ",\"states\":[", c->maxretry, c->findtime);
	for (int i = 0; i < nfiles; i++) {
		fputs(i ? ",{\"file\":" : "{\"file\":", fp);
		json_fputs(fp, files[i]);
		fprintf(fp, ",\"ok\":%s}", file_ok[i] ? "true" : "false");
	}
	fprintf(fp, "],\"kernel\":{\"checked\":%s", checked ? "true" : "false");
	if (c->backend != BACKEND_NONE) {
		fprintf(fp, ",\"backend\":\"%s\"", backend_kind_name(c->backend));
		if (c->backend == BACKEND_NFT) {
			fputs(",\"table\":", fp);
			json_fputs(fp, c->nft_table);
		}
		fputs(",\"set4\":", fp);
		json_fputs(fp, backend_set_name(c, AF_INET));
		fputs(",\"set6\":", fp);
		json_fputs(fp, backend_set_name(c, AF_INET6));
	}
}

static void json_bans(FILE *fp, char **files, const struct rows *bans, int64_t now, bool checked)
{
	char t[ADDR_STRLEN], buf[40];

	for (size_t i = 0; i < bans->n; i++) {
		const struct row *x = &bans->v[i];

		addr_format(&x->net, t);
		fprintf(fp, "%s{\"addr\":\"%s\",\"prefix\":%u,\"remaining\":%" PRId64 ",\"until\":", i ? "," : "", t,
			x->prefix, (x->until_usec - now + 999999) / 1000000);
		timefmt_utc_usec(x->until_usec, buf, sizeof(buf));
		json_fputs(fp, buf);
		fprintf(fp, ",\"times_banned\":%u,\"last_ban_seconds\":%" PRId64 ",\"last_reason\":\"%s\",\"last_strike\":",
			x->times_banned, x->last_ban_seconds, reason_name(x->reason));
		timefmt_utc_usec(x->last_strike_usec, buf, sizeof(buf));
		json_fputs(fp, buf);
		fputs(",\"state\":", fp);
		json_fputs(fp, files[x->state]);
		fprintf(fp, ",\"in_kernel\":%s", !checked || x->in_kernel < 0 ? "null" : x->in_kernel ? "true" : "false");
		if (x->kernel_timeout >= 0)
			fprintf(fp, ",\"kernel_timeout\":%" PRId64, x->kernel_timeout);
		putc('}', fp);
	}
}

static void json_strikes(FILE *fp, char **files, const struct rows *strikes)
{
	char t[ADDR_STRLEN], buf[40];

	for (size_t i = 0; i < strikes->n; i++) {
		const struct row *x = &strikes->v[i];

		addr_format(&x->net, t);
		fprintf(fp, "%s{\"addr\":\"%s\",\"prefix\":%u,\"strikes\":%u,\"times_banned\":%u,\"last_reason\":\"%s\","
			"\"last_strike\":", i ? "," : "", t, x->prefix, x->strikes, x->times_banned, reason_name(x->reason));
		timefmt_utc_usec(x->last_strike_usec, buf, sizeof(buf));
		json_fputs(fp, buf);
		fputs(",\"state\":", fp);
		json_fputs(fp, files[x->state]);
		putc('}', fp);
	}
}

static void json_kernel_only(FILE *fp, const struct config *c, const struct kentries *k)
{
	char t[ADDR_STRLEN];

	for (size_t i = 0, first = 1; i < k->n; i++) {
		const struct kentry *e = &k->v[i];

		if (e->matched)
			continue;
		addr_format(&e->c.net, t);
		fprintf(fp, "%s{\"addr\":\"%s\",\"prefix\":%u,\"set\":", first ? "" : ",", t, e->c.prefix);
		json_fputs(fp, backend_set_name(c, e->c.net.family));
		fprintf(fp, ",\"kernel_timeout\":%u}", e->seconds);
		first = 0;
	}
}

static void json_waiting(FILE *fp, char **files, const struct waits *ws)
{
	char buf[40];

	for (size_t i = 0; i < ws->n; i++) {
		const struct wait *w = &ws->v[i];

		fputs(i ? ",{\"state\":" : "{\"state\":", fp);
		json_fputs(fp, files[w->state]);
		fprintf(fp, ",\"bans\":%zu,\"since\":", w->bans);
		timefmt_utc_usec(w->since_usec, buf, sizeof(buf));
		json_fputs(fp, buf);
		fputs(",\"last_error\":", fp);
		json_fputs(fp, w->error);
		putc('}', fp);
	}
}

static void print_json(FILE *fp, const struct config *c, char **files, const int *file_ok, int nfiles,
		       const struct rows *bans, const struct rows *strikes, const struct kentries *k,
		       const struct waits *ws, const struct notes *ns, int64_t now, bool checked)
{
	json_head(fp, c, files, file_ok, nfiles, now, checked);
	fputs("},\"bans\":[", fp);
	json_bans(fp, files, bans, now, checked);
	fputs("],\"strikes\":[", fp);
	json_strikes(fp, files, strikes);
	fputs("],\"kernel_only\":[", fp);
	json_kernel_only(fp, c, k);
	fputs("],\"waiting\":[", fp);
	json_waiting(fp, files, ws);
	fputs("],\"central\":", fp);
	print_central_json(fp, c, now);
	fputs(",\"notes\":[", fp);
	for (size_t i = 0; i < ns->n; i++) {
		if (i)
			putc(',', fp);
		json_fputs(fp, ns->v[i]);
	}
	fputs("]}\n", fp);
}

/* Who wrote the lines each daemon read (sender(3)'s counters file): a
   note each, and a warning when lines without credentials decided. */
static void sender_notes(const struct config *c, struct notes *ns)
{
	static const char *const daemons[] = {"omprog", "journal"};

	for (size_t i = 0; i < sizeof(daemons) / sizeof(daemons[0]); i++) {
		struct sender_counters sc;
		char path[4096], when[64];
		bool decide;

		if ((size_t) snprintf(path, sizeof(path), "%s/%s.senders", c->state_dir, daemons[i]) >= sizeof(path) ||
		    sender_counters_load(path, &sc, &decide) < 0)
			continue;
		if (sc.other > 0)
			note(ns, "%s: lines by sender: %" PRIu64 " from trusted_users, %" PRIu64 " relayed by their MX, %" PRIu64
			     " from other senders (kept as they are, decided nothing; the last from uid %" PRId64 "), %" PRIu64
			     " without credentials", daemons[i], sc.postfix, sc.relayed, sc.other, sc.last_other_uid,
			     sc.uncredited);
		else
			note(ns, "%s: lines by sender: %" PRIu64 " from trusted_users, %" PRIu64 " relayed by their MX, "
			     "0 from other senders, %" PRIu64 " without credentials", daemons[i], sc.postfix, sc.relayed,
			     sc.uncredited);
		if (sc.uncredited > 0) {
			timefmt_utc_usec(sc.last_uncredited_usec, when, sizeof(when));
			note(ns, "WARNING: %s: %" PRIu64 " lines carried no sender credentials (the last at %s) and %s; "
			     "any local user can forge such a line. Fix: in /etc/rsyslog.conf, module(load=\"imuxsock\" "
			     "SysSock.Annotate=\"on\" SysSock.ParseTrusted=\"on\"), with the template of "
			     "rsyslog.d/authfold.conf (authfold(8), SECURITY)", daemons[i], sc.uncredited, when,
			     decide ? "decided as Postfix's (uncredited = decide)" : "decided nothing (uncredited = pass)");
		}
	}
}

int status_write(FILE *fp, const struct config *c, const struct status_options *o)
{
	struct dirent **list = NULL;
	struct rows bans = {0}, strikes = {0};
	struct notes ns = {.n = 0};
	struct kentries k = {0};
	struct waits ws = {.n = 0};
	char *files[STATUS_STATE_FILES_MAX];
	int file_ok[STATUS_STATE_FILES_MAX];
	int n, nfiles = 0, r = 0;
	bool checked = false;

	char why[1024];
	int dr;

	/* Each file is checked as it is read (a regular file, no link, not
	   writable by others, bounded); a doubtful state_dir is only a note. */
	if ((dr = state_dir_check(c->state_dir, false, why, sizeof(why))) < 0 && dr != -ENOENT)
		note(&ns, "%s", why);
	n = scandir(c->state_dir, &list, is_state, alphasort);
	if (n < 0)
		note(&ns, "no state read from '%s': %s", c->state_dir, strerror(errno));
	for (int i = 0; i < n; i++) {
		if (nfiles < STATUS_STATE_FILES_MAX && r >= 0) {
			files[nfiles] = list[i]->d_name;
			r = collect(c, c->state_dir, list[i]->d_name, nfiles, o->now_usec, &bans, &strikes, &ws, &ns);
			file_ok[nfiles] = r == 0;
			nfiles++;
		} else if (r >= 0) {
			note(&ns, "'%s' not read: more than %d state files", list[i]->d_name, STATUS_STATE_FILES_MAX);
		}
	}
	if (n == 0)
		note(&ns, "no *.state file in '%s'", c->state_dir);
	if (r >= 0 && o->kernel && c->backend != BACKEND_NONE)
		kernel_lookup(c, &bans, &k, &ns, &checked);
	else if (r >= 0 && c->backend == BACKEND_NONE)
		note(&ns, "backend = none: no kernel sets");
	sender_notes(c, &ns);
	if (r >= 0) {
		if (o->json) {
			print_json(fp, c, files, file_ok, nfiles, &bans, &strikes, &k, &ws, &ns, o->now_usec, checked);
		} else {
			print_table(fp, c, files, &bans, &strikes, &k, o->now_usec, checked);
			print_waits(fp, files, &ws);
			for (size_t i = 0; i < ns.n; i++)
				fprintf(fp, "note: %s\n", ns.v[i]);
		}
		if (fflush(fp) != 0 || ferror(fp))
			r = -EIO;
	}
	for (int i = 0; i < n; i++)
		free(list[i]);
	free(list);
	for (size_t i = 0; i < ns.n; i++)
		free(ns.v[i]);
	for (size_t i = 0; i < ws.n; i++)
		free(ws.v[i].error);
	free(bans.v);
	free(strikes.v);
	free(k.v);
	return r < 0 ? r : 0;
}

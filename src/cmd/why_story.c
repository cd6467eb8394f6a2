/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	why_story 3
 * SUMMARY
 *	authfold why: gathering the story of an address from the logs and the state
 * SYNOPSIS
 *	#include "why_story.h"
 *
 *	int	why_story_gather(o, ret)
 *	void	why_story_fini(y)
 *
 *	void	why_note(y, fmt, ...)
 *	struct why_source *why_source_add(y, path, kind)
 *	int	why_sources_add_log(y, base, kind)
 *	const char *why_source_problem(s, buf, len)
 *
 *	const char *why_ban_status(y, bi, ret_until, ret_unban)
 *	size_t	why_ban_strikes(y, bi, ret, max)
 *	const struct why_state_row *why_state_ban(y, net)
 *	int	why_sessions_find(y)
 *	void	why_session_free(s)
 *
 *	void	why_trouble_line(y, r, l, origin, struck, seq)
 *	void	why_trouble_in_session(y, seq)
 *	int	why_trouble_judge(y)
 *	const char *why_trouble_verdict(y, ns, buf, len)
 *	void	why_trouble_fini(y)
 * DESCRIPTION
 *	why_story_gather() gathers every ban and every strike of the
 *	addresses inside o->target, and for each strike the lines of its
 *	session:
 *
 *	1. The events logs (o->events and its rotations, oldest first,
 *	   logfile(3)) are read line by line (eventlog(3)); a strike whose
 *	   "addr" lies in the target, a ban or an unban whose network
 *	   overlaps it are kept, at most WHY_EVENTS_MAX (the newest; the
 *	   number of older ones left out is said). Then they are put in the
 *	   order of their times (for equal times, strikes before bans before
 *	   unbans, then the order read), whatever
 *	   the order of the file, and the strikes numbered 1, 2, ...
 *	2. The summary logs give each strike its session (why_session(3)),
 *	   and the SASL failures of the target that gave no strike because
 *	   of auth server trouble (why_trouble(3)).
 *	3. The state files (every STATE_DIR/NAME.state, by name, at most
 *	   WHY_STATE_FILES_MAX, read through a scratch engine, never
 *	   changed) say whether a ban still runs and what the policy
 *	   remembers.
 *	Every file read or not is a source with what went wrong; what the
 *	reader should know besides is a note (why_note(), at most
 *	WHY_NOTES_MAX). why_story_fini() frees it all.
 *
 *	why_sources_add_log() adds a log and its rotations as sources and
 *	notes a gap in the rotations, dateext names and a cap.
 *	why_source_problem() writes what went wrong with a source into buf.
 *
 *	why_ban_status() says what became of ban bi: "running", "expired",
 *	"dry_run", "unbanned" (*ret_unban the unban) or "unknown".
 *	why_ban_strikes() gives the numbers of the strikes that made ban bi:
 *	the last "strikes" strikes of its network at or before its time.
 *	why_state_ban() gives the state row of a running ban of net or NULL.
 * DIAGNOSTICS
 *	why_story_gather() returns 0 (unreadable files are sources that say
 *	so) or -ENOMEM.
 * SECURITY
 *	An event line's text fields longer than WHY_FIELD_MAX bytes, a ban
 *	of more than WHY_BAN_SECONDS_MAX and an impossible time are refused
 *	as bad lines, so the events kept cost at most WHY_EVENTS_MAX x
 *	(8 x WHY_FIELD_MAX + about 200) bytes, about 27 MB. The state rows
 *	are bounded by WHY_EVENTS_MAX; see why_session(3) for the sessions.
 *	Memory in all stays under 64 MiB whatever the files hold.
 */

#include "why_story.h"

#include "bans.h"
#include "engine.h"
#include "eventlog.h"
#include "events.h"
#include "statedir.h"
#include "logfile.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- sources and notes ------------------------------------------------------------ */

void why_note(struct why_story *y, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	char **v;

	if (y->nnotes >= WHY_NOTES_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if ((v = realloc(y->notes, (y->nnotes + 1) * sizeof(*v))) == NULL)
		return;
	y->notes = v;
	if ((v[y->nnotes] = strdup(buf)) != NULL)
		y->nnotes++;
}

struct why_source *why_source_add(struct why_story *y, const char *path, const char *kind)
{
	if (y->nsrc == y->capsrc) {
		size_t cap = y->capsrc ? y->capsrc * 2 : 16;
		struct why_source *v = realloc(y->src, cap * sizeof(*v));

		if (v == NULL)
			return NULL;
		y->src = v;
		y->capsrc = cap;
	}
	struct why_source *s = &y->src[y->nsrc];

	memset(s, 0, sizeof(*s));
	if ((s->path = strdup(path)) == NULL)
		return NULL;
	s->kind = kind;
	y->nsrc++;
	return s;
}

int why_sources_add_log(struct why_story *y, const char *base, const char *kind)
{
	struct logfile_rotations rot;
	int r = logfile_rotations(base, &rot);

	if (r < 0)
		return r;
	if (rot.capped)
		why_note(y, "%s: %zu rotated files found, only the newest %d are read", base, rot.found,
			 LOGFILE_ROTATED_MAX);
	if (rot.missing)
		why_note(y, "%s: %zu of the rotations %s.1 to %s.%ld are missing (the first: %s.%ld; logrotate "
			 "renaming?): the files found are read all the same", base, rot.missing, base, base,
			 rot.max_number, base, rot.first_missing);
	if (rot.dated)
		why_note(y, "%s: %zu rotations with dateext names (%s-DATE) are read, oldest name first%s", base,
			 rot.dated, base, rot.max_number ? ", before the numbered ones" : "");
	for (size_t i = 0; i < rot.n && r == 0; i++)
		if (why_source_add(y, rot.paths[i], kind) == NULL)
			r = -ENOMEM;
	logfile_rotations_free(&rot);
	return r;
}

const char *why_source_problem(const struct why_source *s, char *buf, size_t len)
{
	if (s->err)
		snprintf(buf, len, "%s%s%s", logfile_strerror(s->err), s->detail[0] ? ": " : "", s->detail);
	else
		snprintf(buf, len, "%s", s->detail);
	return buf;
}

/* --- events ------------------------------------------------------------------------ */

static void event_free(struct why_event *e)
{
	free(e->ts);
	free(e->reason);
	free(e->rule);
	free(e->client);
	free(e->host);
	free(e->tag);
	free(e->set);
	free(e->by);
	why_session_free(e->session);
	memset(e, 0, sizeof(*e));
}

static char *dup_field(const struct eventlog_value *f, bool *nomem)
{
	char *s = f->present && f->is_string ? strdup(f->val) : NULL;

	if (f->present && f->is_string && s == NULL)
		*nomem = true;
	return s;
}

/* A line authfold could have written: short fields, a real time, a sane ban. */
static bool event_sane(const struct eventlog_value *f)
{
	static const enum eventlog_field text[] = {EVF_TS, EVF_REASON, EVF_RULE, EVF_CLIENT, EVF_HOST, EVF_TAG,
						   EVF_SET, EVF_BY};

	for (size_t i = 0; i < sizeof(text) / sizeof(text[0]); i++)
		if (f[text[i]].present && f[text[i]].is_string && strlen(f[text[i]].val) > WHY_FIELD_MAX)
			return false;
	if (f[EVF_TS].present && !f[EVF_TS].is_string)
		return false;
	if (f[EVF_SECONDS].present && (f[EVF_SECONDS].num < 0 || f[EVF_SECONDS].num > WHY_BAN_SECONDS_MAX))
		return false;
	return !f[EVF_APPLIED].present || (f[EVF_APPLIED].num >= -1 && f[EVF_APPLIED].num <= WHY_BAN_SECONDS_MAX);
}

/* Keeps one event of the target; the oldest read goes when the ring is full. */
static int keep_event(struct why_story *y, const struct eventlog_value *f, enum why_kind kind, const struct cidr *net)
{
	struct why_event *e;
	bool nomem = false;

	if (y->nev == WHY_EVENTS_MAX) {
		event_free(&y->ev[y->head]);
		y->head = (y->head + 1) % WHY_EVENTS_MAX;
		y->nev--;
		y->ev_dropped++;
	}
	e = &y->ev[(y->head + y->nev++) % WHY_EVENTS_MAX];
	e->kind = kind;
	e->net = *net;
	e->seq = y->seq++;
	e->ts = dup_field(&f[EVF_TS], &nomem);
	e->usec = e->ts ? eventlog_time(e->ts) : -1;
	e->reason = dup_field(&f[EVF_REASON], &nomem);
	e->rule = dup_field(&f[EVF_RULE], &nomem);
	e->client = dup_field(&f[EVF_CLIENT], &nomem);
	e->host = dup_field(&f[EVF_HOST], &nomem);
	e->tag = dup_field(&f[EVF_TAG], &nomem);
	e->set = dup_field(&f[EVF_SET], &nomem);
	e->by = dup_field(&f[EVF_BY], &nomem);
	e->pid = f[EVF_PID].present && !f[EVF_PID].is_null && !f[EVF_PID].is_string &&
		 f[EVF_PID].num >= 0 && f[EVF_PID].num <= INT32_MAX ? (long) f[EVF_PID].num : -1;
	e->seconds = f[EVF_SECONDS].num;
	e->strikes = f[EVF_STRIKES].num > 0 && f[EVF_STRIKES].num < 1000000 ? (unsigned) f[EVF_STRIKES].num : 0;
	e->dry_run = f[EVF_DRY_RUN].num == 1;
	e->applied_seconds = f[EVF_APPLIED].present ? f[EVF_APPLIED].num : -1;
	return nomem ? -ENOMEM : 0;
}

/* The kind and network of an event line; false when it is not one for y. */
static bool event_of(const struct why_story *y, const struct eventlog_value *f, enum why_kind *ret_kind,
		     struct cidr *ret_net, bool *ret_bad)
{
	static const char *const kinds[] = {"strike", "ban", "unban"};
	size_t k = 0;

	while (k < 3 && strcmp(f[EVF_EVENT].val, kinds[k]) != 0)
		k++;
	if (k == 3)
		return false;	/* an event of a later version */
	if (!event_sane(f) || addr_parse(f[EVF_ADDR].val, strlen(f[EVF_ADDR].val), &ret_net->net) < 0) {
		*ret_bad = true;
		return false;
	}
	ret_net->prefix = addr_bits(&ret_net->net);
	if (k != WHY_STRIKE && f[EVF_PREFIX].present) {
		if (f[EVF_PREFIX].num < 1 || f[EVF_PREFIX].num > (int64_t) ret_net->prefix) {
			*ret_bad = true;
			return false;
		}
		ret_net->prefix = (unsigned) f[EVF_PREFIX].num;
		addr_mask(&ret_net->net, ret_net->prefix);
	}
	*ret_kind = (enum why_kind) k;
	if (!cidr_overlaps(&y->o->target, ret_net) || (k == WHY_STRIKE && !cidr_contains(&y->o->target, &ret_net->net)))
		return false;
	/* a time that does not exist (checked for the target's events only: sscanf is slow) */
	if (f[EVF_TS].present && eventlog_time(f[EVF_TS].val) < 0) {
		*ret_bad = true;
		return false;
	}
	return true;
}

static void source_end(struct why_source *s, const struct logfile *l)
{
	s->overlong = l->overlong;
	if (logfile_error(l)[0])
		snprintf(s->detail, sizeof(s->detail), "%s", logfile_error(l));
}

static int read_events_file(struct why_story *y, struct why_source *s, struct eventlog_value *f)
{
	struct logfile l;
	const char *p;
	size_t n;
	int r;

	if ((r = logfile_open(s->path, &l)) < 0) {
		s->err = r;
		return r == -ENOMEM ? r : 0;
	}
	s->read = true;
	while ((r = logfile_next(&l, &p, &n)) > 0) {
		enum why_kind kind;
		struct cidr net;
		bool bad = false;

		s->lines++;
		if (n == 0)
			continue;
		if (!eventlog_parse(p, n, f) || !f[EVF_EVENT].is_string || !f[EVF_ADDR].is_string) {
			s->bad++;
			continue;
		}
		if (event_of(y, f, &kind, &net, &bad) && (r = keep_event(y, f, kind, &net)) < 0)
			break;
		s->bad += bad;
	}
	source_end(s, &l);
	logfile_close(&l);
	return r;
}

static int ev_cmp(const void *a, const void *b)
{
	const struct why_event *x = a, *y = b;

	if (x->usec != y->usec)
		return x->usec < y->usec ? -1 : 1;
	if (x->kind != y->kind)	/* a ban has its last strike's time: after it */
		return x->kind < y->kind ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The ring, read in file order, becomes an array in the order of time. */
static int events_by_time(struct why_story *y)
{
	size_t strikes = 0;

	if (y->head) {
		struct why_event *tmp = malloc(y->nev * sizeof(*tmp));

		if (tmp == NULL)
			return -ENOMEM;
		for (size_t i = 0; i < y->nev; i++)
			tmp[i] = y->ev[(y->head + i) % WHY_EVENTS_MAX];
		memcpy(y->ev, tmp, y->nev * sizeof(*tmp));
		free(tmp);
		y->head = 0;
	}
	qsort(y->ev, y->nev, sizeof(*y->ev), ev_cmp);
	for (size_t i = 0; i < y->nev; i++)
		y->ev[i].number = y->ev[i].kind == WHY_STRIKE ? ++strikes : 0;
	return 0;
}

static int read_events(struct why_story *y)
{
	struct eventlog_value *f = calloc(EVF_COUNT, sizeof(*f));
	size_t first = y->nsrc;
	int r;

	if (f == NULL)
		return -ENOMEM;
	if ((r = why_sources_add_log(y, y->o->events, "events")) == 0)
		for (size_t i = first; i < y->nsrc && r == 0; i++)
			r = read_events_file(y, &y->src[i], f);
	free(f);
	return r;
}

/* --- state files --------------------------------------------------------------------- */

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The names of STATE_DIR's NAME.state files, sorted; at most WHY_STATE_FILES_MAX. */
static int state_names(struct why_story *y, const char *dir, DIR *dp, char ***ret_v, size_t *ret_n)
{
	char **v = NULL;
	size_t n = 0, cap = 0, more = 0;
	struct dirent *d;

	while ((d = readdir(dp)) != NULL) {
		if (!statedir_is_state_name(d->d_name))
			continue;
		if (n == WHY_STATE_FILES_MAX) {
			more++;
			continue;
		}
		if (n == cap) {
			char **nv = realloc(v, (cap = cap ? cap * 2 : 16) * sizeof(*v));

			if (nv == NULL)
				break;
			v = nv;
		}
		if ((v[n] = strdup(d->d_name)) == NULL)
			break;
		n++;
	}
	if (d != NULL) {
		while (n)
			free(v[--n]);
		free(v);
		return -ENOMEM;
	}
	if (more)
		why_note(y, "%s: %zu more state files than the %d read (by name)", dir, more, WHY_STATE_FILES_MAX);
	if (n)
		qsort(v, n, sizeof(*v), name_cmp);
	*ret_v = v;
	*ret_n = n;
	return 0;
}

static int add_state_row(struct why_story *y, const struct policy *pol, const struct policy_entry *p,
			 const char *file)
{
	struct cidr net = {p->net, p->prefix};
	struct why_state_row *v;

	if (!cidr_overlaps(&y->o->target, &net) || y->nstate >= WHY_EVENTS_MAX)
		return 0;
	if ((v = realloc(y->state, (y->nstate + 1) * sizeof(*v))) == NULL)
		return -ENOMEM;
	y->state = v;
	v += y->nstate++;
	v->net = net;
	v->times_banned = p->times_banned;
	v->strikes = policy_strikes_within(pol, p, y->o->now_usec);
	v->until_usec = p->ban_until_usec;
	v->last_ban_seconds = p->last_ban_seconds;
	v->last_strike_usec = p->last_strike_usec;
	snprintf(v->file, sizeof(v->file), "%s", file);
	return 0;
}

static int read_state_file(struct why_story *y, const char *dir, const char *name)
{
	char path[4096], err[256];
	struct bans_scratch bs;
	struct why_source *s;
	int r = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((s = why_source_add(y, path, "state")) == NULL)
		return -ENOMEM;
	if ((r = bans_scratch_load(y->o->config, path, &bs, NULL, err, sizeof(err))) < 0) {
		bans_scratch_free(&bs);
		s->err = r;
		snprintf(s->detail, sizeof(s->detail), "%s", err);
		return r == -ENOMEM ? r : 0;
	}
	s->read = true;
	for (struct policy_entry *p = policy_first(engine_policy(bs.e)); p && r == 0; p = policy_next(p)) {
		s->lines++;
		r = add_state_row(y, engine_policy(bs.e), p, name);
	}
	bans_scratch_free(&bs);
	return r;
}

static int read_state(struct why_story *y)
{
	const char *dir = y->o->config->state_dir;
	DIR *dp = opendir(dir);
	char **names = NULL;
	size_t n = 0;
	int r;

	if (dp == NULL) {
		struct why_source *s = why_source_add(y, dir, "state");

		if (s == NULL)
			return -ENOMEM;
		s->err = -errno;
		return 0;
	}
	r = state_names(y, dir, dp, &names, &n);
	closedir(dp);
	for (size_t i = 0; i < n && r == 0; i++)
		r = read_state_file(y, dir, names[i]);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return r;
}

/* --- the story ------------------------------------------------------------------------ */

int why_story_gather(const struct why_options *o, struct why_story *y)
{
	int r = 0;

	memset(y, 0, sizeof(*y));
	y->o = o;
	if ((y->ev = calloc(WHY_EVENTS_MAX, sizeof(*y->ev))) == NULL)
		return -ENOMEM;
	if (o->events == NULL)
		why_note(y, "no events log (events_log is not set): no strikes or bans can be told");
	else if ((r = read_events(y)) < 0 || (r = events_by_time(y)) < 0)
		return r;
	if (o->summary == NULL || strcmp(o->summary, "-") == 0)
		why_note(y, "no summary log: the strikes' sessions, and the SASL failures that gave no strike because of "
			 "auth server trouble, are not shown");
	else if ((r = why_sources_add_log(y, o->summary, "summary")) < 0 || (r = why_sessions_find(y)) < 0)
		return r;
	return read_state(y);
}

void why_story_fini(struct why_story *y)
{
	if (y->ev)
		for (size_t i = 0; i < WHY_EVENTS_MAX; i++)
			event_free(&y->ev[i]);
	free(y->ev);
	for (size_t i = 0; i < y->nsrc; i++)
		free(y->src[i].path);
	free(y->src);
	for (size_t i = 0; i < y->nnotes; i++)
		free(y->notes[i]);
	free(y->notes);
	free(y->state);
	why_trouble_fini(y);
	memset(y, 0, sizeof(*y));
}

const struct why_state_row *why_state_ban(const struct why_story *y, const struct cidr *net)
{
	for (size_t i = 0; i < y->nstate; i++)
		if (y->state[i].until_usec > y->o->now_usec && y->state[i].net.prefix == net->prefix &&
		    addr_equal(&y->state[i].net.net, &net->net))
			return &y->state[i];
	return NULL;
}

const char *why_ban_status(const struct why_story *y, size_t bi, int64_t *ret_until,
			   const struct why_event **ret_unban)
{
	const struct why_event *b = &y->ev[bi];
	int64_t until = b->usec < 0 ? -1 : b->usec + b->seconds * 1000000;

	*ret_until = until;
	*ret_unban = NULL;
	if (b->dry_run)
		return "dry_run";
	for (size_t i = bi + 1; i < y->nev; i++) {
		const struct why_event *u = &y->ev[i];

		if (u->kind == WHY_UNBAN && cidr_overlaps(&u->net, &b->net) && (until < 0 || u->usec < until)) {
			*ret_unban = u;
			return "unbanned";
		}
		if (u->kind == WHY_BAN && cidr_overlaps(&u->net, &b->net))
			break;	/* a later ban takes over */
	}
	if (until < 0)
		return "unknown";
	return until > y->o->now_usec ? "running" : "expired";
}

size_t why_ban_strikes(const struct why_story *y, size_t bi, size_t *ret, size_t max)
{
	const struct why_event *b = &y->ev[bi];
	size_t n = 0, want = b->strikes;

	for (size_t i = bi; i-- > 0 && n < want && n < max;) {
		const struct why_event *e = &y->ev[i];

		if (e->kind == WHY_STRIKE && cidr_contains(&b->net, &e->net.net))
			ret[n++] = e->number;
	}
	for (size_t i = 0; i < n / 2; i++) {	/* oldest first */
		size_t t = ret[i];

		ret[i] = ret[n - 1 - i];
		ret[n - 1 - i] = t;
	}
	return n;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	sender 3
 * SUMMARY
 *	who wrote a line: the sender's credentials, and whether they are Postfix's
 * SYNOPSIS
 *	#include "sender.h"
 *
 *	int	sender_resolve(names, n, uncredited_decide, ret_trust, err, errlen)
 *	size_t	sender_prefix(line, len, ret_cred)
 *	struct sender_hosts *sender_hosts_new()
 *	void	sender_hosts_free(h)
 *	enum sender_kind sender_judge(t, h, cred, rest, rest_len)
 *	bool	sender_may_decide(t, k)
 *	bool	sender_folds_chatter(cred, k)
 *	void	sender_count(c, k, cred, now_usec)
 *	int	sender_counters_save(path, c, t)
 *	int	sender_counters_load(path, ret_c, ret_decide)
 *	const char *sender_kind_name(k)
 * DESCRIPTION
 *	Only what Postfix itself wrote is evidence. The kernel tells a
 *	syslog daemon the uid of a local sender (SCM_CREDENTIALS); rsyslog's
 *	imuxsock passes it on as $!uid when the input has annotate="on"
 *	parseTrusted="on", and journald records it as _UID. A process
 *	cannot choose its uid, but it chooses its name (_COMM, $!appname,
 *	the syslog tag): only the uid counts here.
 *
 *	sender_resolve() turns the trusted_users list (user names, looked
 *	up with getpwnam(3), or numeric uids) into the trust: the uids whose
 *	lines may decide (Postfix's mail_owner, user postfix on Debian), and
 *	what to do with lines that carry no credentials at all
 *	(uncredited_decide).
 *
 *	sender_prefix() reads the credentials authfold's omprog template
 *	puts before the line: "uid=N " (N decimal, at most 4294967294), or
 *	"uid= " when rsyslog had no $!uid for the message (an input without
 *	annotation, a line from the network). On a central host the
 *	template of the MX's input writes "mx=NAME " instead: the line came
 *	through the RELP input whose certificate check names NAME, and that
 *	MX's rsyslog forwarded only its Postfix's lines. It returns the
 *	prefix's length (strip it: the rest is the line as rsyslog's file
 *	template writes it), or 0 when the line has no valid prefix (an
 *	older template, a file). The line's own text can never make a
 *	prefix: the template writes it before the timestamp.
 *
 *	sender_judge() classifies: a trusted uid is SENDER_POSTFIX, any other
 *	uid SENDER_OTHER, no credentials SENDER_UNCREDITED. A relayed line
 *	is SENDER_RELAYED when its host field (record(3)) is NAME or NAME's
 *	first label (an MX logs as "mx1", its certificate says
 *	"mx1.example.org") and no other MX's lines used that host name
 *	before (h, from sender_hosts_new(): the first MX to use a name keeps
 *	it while the program runs). Otherwise it is SENDER_OTHER: an MX
 *	cannot speak for another host, and two MX with the same short name
 *	never merge their sessions (sessions are keyed by host, tag and pid):
 *	the second one's lines are kept and decide nothing until it logs
 *	under a name of its own (its full name). h NULL: no binding.
 *
 *	sender_may_decide() is true for SENDER_POSTFIX and SENDER_RELAYED,
 *	and for SENDER_UNCREDITED with uncredited = decide. A line that may
 *	not decide is written to the summary as it is and never opens,
 *	closes or changes a session, strikes or bans (record.trusted false;
 *	fold(3)).
 *
 *	sender_folds_chatter() is true for root's lines (uid 0) that may not
 *	decide: Postfix's master starts smtpd as root, and smtpd -v logs its
 *	start-up chatter (name_mask, dict_open, match_string...) before it
 *	drops privileges to mail_owner; such a line is folded away when it is
 *	chatter, and otherwise kept as it is (record.fold_chatter). It never
 *	decides: root can send any credentials, and a root process that is
 *	not Postfix names no client.
 *
 *	sender_count() counts a line by kind; sender_counters_save() writes
 *	the counters (and the trust) to a small text file for authfold
 *	status, atomically (PATH.tmp, not following a link, rename);
 *	sender_counters_load() reads it back: a regular file of at most 4 KiB,
 *	opened without following a link or blocking.
 * DIAGNOSTICS
 *	sender_resolve() returns how many names name no user on this host
 *	(err names the first; the trust holds the others), or -EINVAL for a
 *	name that is neither a user name nor a uid (err says which).
 *	The file functions return 0 or -errno (-EBADMSG: not such a file).
 * SECURITY
 *	The host table holds at most SENDER_HOSTS_MAX names (each a name a
 *	certificate allows, so an MX can add at most two); a name past that
 *	is refused (SENDER_OTHER), never an old one dropped.
 *	The prefix is parsed with a fixed bound (SENDER_PREFIX_MAX); a
 *	malformed one is no prefix, and the line, which then starts with no
 *	timestamp, passes through and decides nothing.
 */

#include "sender.h"
#include "replacefile.h"
#include "strlit.h"

#include "record.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SENDER_MAGIC	"authfold-senders 1"

struct sender_host {
	char host[SENDER_MX_MAX + 1];
	char mx[SENDER_MX_MAX + 1];
};

struct sender_hosts {
	struct sender_host *v;
	size_t n, cap;
};

struct sender_hosts *sender_hosts_new(void)
{
	return calloc(1, sizeof(struct sender_hosts));
}

void sender_hosts_free(struct sender_hosts *h)
{
	if (h == NULL)
		return;
	free(h->v);
	free(h);
}

/* host (as long as an MX name at most) is bound to mx, or now becomes it. */
static bool host_bound(struct sender_hosts *h, const char *host, size_t hlen, const char *mx, size_t mlen)
{
	struct sender_host *e;

	if (h == NULL)
		return true;
	for (size_t i = 0; i < h->n; i++) {
		e = &h->v[i];
		if (strlen(e->host) == hlen && memcmp(e->host, host, hlen) == 0)
			return strlen(e->mx) == mlen && memcmp(e->mx, mx, mlen) == 0;
	}
	if (h->n == SENDER_HOSTS_MAX)
		return false;
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 8;
		struct sender_host *v = realloc(h->v, cap * sizeof(*v));

		if (v == NULL)
			return false;
		h->v = v;
		h->cap = cap;
	}
	e = &h->v[h->n++];
	memcpy(e->host, host, hlen);
	e->host[hlen] = 0;
	memcpy(e->mx, mx, mlen);
	e->mx[mlen] = 0;
	return true;
}

static bool parse_uid(const char *p, size_t n, uid_t *ret)
{
	uint64_t v = 0;

	if (n == 0 || n > 10)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (uint64_t) (p[i] - '0');
	}
	if (v >= UINT32_MAX)		/* (uid_t) -1 is no uid */
		return false;
	*ret = (uid_t) v;
	return true;
}

int sender_resolve(char *const *names, size_t n, bool uncredited_decide, struct sender_trust *ret_trust,
		   char *err, size_t errlen)
{
	struct sender_trust t = {.n_uids = 0, .uncredited_decide = uncredited_decide};
	int missing = 0;

	if (n > SENDER_UIDS_MAX) {
		snprintf(err, errlen, "more than %d trusted users", SENDER_UIDS_MAX);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		const char *w = names[i];
		uid_t uid;

		if (parse_uid(w, strlen(w), &uid)) {
			t.uids[t.n_uids++] = uid;
			continue;
		}
		if (w[0] >= '0' && w[0] <= '9') {
			snprintf(err, errlen, "'%s' is not a uid", w);
			return -EINVAL;
		}
		errno = 0;
		struct passwd *pw = getpwnam(w);

		if (pw == NULL) {
			if (missing++ == 0)
				snprintf(err, errlen, "no user '%s' on this host", w);
			continue;
		}
		t.uids[t.n_uids++] = pw->pw_uid;
	}
	*ret_trust = t;
	return missing;
}

/* "mx=NAME ": NAME of letters, digits, '.', '-' (a DNS name). */
static size_t mx_prefix(const char *line, size_t len, struct sender_cred *ret)
{
	size_t i;

	for (i = 3; i < len && i < 3 + SENDER_MX_MAX + 1; i++) {
		char ch = line[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' ||
		      ch == '-'))
			break;
	}
	if (i == 3 || i >= len || line[i] != ' ' || i - 3 > SENDER_MX_MAX)
		return 0;
	ret->has_uid = false;
	ret->mx = line + 3;
	ret->mx_len = i - 3;
	return i + 1;
}

size_t sender_prefix(const char *line, size_t len, struct sender_cred *ret_cred)
{
	size_t i;
	uid_t uid;

	if (len > STRLIT_LEN("mx=") && STRLIT_PREFIX(line, len, "mx="))
		return mx_prefix(line, len, ret_cred);
	if (len <= STRLIT_LEN("uid=") || !STRLIT_PREFIX(line, len, "uid="))
		return 0;
	for (i = STRLIT_LEN("uid="); i < len && i < SENDER_PREFIX_MAX && line[i] >= '0' && line[i] <= '9'; i++)
		;
	if (i >= len || line[i] != ' ')
		return 0;
	if (i == 4) {
		*ret_cred = (struct sender_cred) {.has_uid = false};
		return 5;
	}
	if (!parse_uid(line + 4, i - 4, &uid))
		return 0;
	*ret_cred = (struct sender_cred) {.has_uid = true, .uid = uid};
	return i + 1;
}

enum sender_kind sender_judge(const struct sender_trust *t, struct sender_hosts *h, const struct sender_cred *cred,
			      const char *rest, size_t rest_len)
{
	if (cred->mx) {
		struct record r;
		const char *dot = memchr(cred->mx, '.', cred->mx_len);
		size_t label = dot ? (size_t) (dot - cred->mx) : cred->mx_len;

		/* the host field only: no year needed */
		record_parse(rest, rest_len, 0, &r);
		if (r.format == RECORD_OTHER || !(r.host.len == cred->mx_len || r.host.len == label) ||
		    memcmp(r.host.p, cred->mx, r.host.len) != 0)
			return SENDER_OTHER;
		return host_bound(h, r.host.p, r.host.len, cred->mx, cred->mx_len) ? SENDER_RELAYED : SENDER_OTHER;
	}
	if (!cred->has_uid)
		return SENDER_UNCREDITED;
	for (size_t i = 0; i < t->n_uids; i++)
		if (t->uids[i] == cred->uid)
			return SENDER_POSTFIX;
	return SENDER_OTHER;
}

bool sender_may_decide(const struct sender_trust *t, enum sender_kind k)
{
	return k == SENDER_POSTFIX || k == SENDER_RELAYED || (k == SENDER_UNCREDITED && t->uncredited_decide);
}

bool sender_folds_chatter(const struct sender_cred *cred, enum sender_kind k)
{
	return k == SENDER_OTHER && cred->has_uid && cred->uid == 0;
}

void sender_count(struct sender_counters *c, enum sender_kind k, const struct sender_cred *cred, int64_t now_usec)
{
	switch (k) {
	case SENDER_POSTFIX:
		c->postfix++;
		break;
	case SENDER_RELAYED:
		c->relayed++;
		break;
	case SENDER_OTHER:
		c->other++;
		c->last_other_uid = cred->has_uid ? (int64_t) cred->uid : -1;
		break;
	case SENDER_UNCREDITED:
		c->uncredited++;
		c->last_uncredited_usec = now_usec;
		break;
	}
}

const char *sender_kind_name(enum sender_kind k)
{
	return k == SENDER_POSTFIX ? "postfix" : k == SENDER_RELAYED ? "relayed" : k == SENDER_OTHER ? "other" : "uncredited";
}

int sender_counters_save(const char *path, const struct sender_counters *c, const struct sender_trust *t)
{
	struct replacefile rf;
	int r = replacefile_open(&rf, path, 0644);

	if (r < 0)
		return r;
	fprintf(rf.fp, "%s\npostfix %" PRIu64 "\nrelayed %" PRIu64 "\nother %" PRIu64 "\nuncredited %" PRIu64 "\nlast_other_uid %" PRId64
		"\nlast_uncredited %" PRId64 "\nuncredited_decide %d\ntrusted_uids",
		SENDER_MAGIC, c->postfix, c->relayed, c->other, c->uncredited, c->last_other_uid, c->last_uncredited_usec,
		t->uncredited_decide ? 1 : 0);
	for (size_t i = 0; i < t->n_uids; i++)
		fprintf(rf.fp, " %lu", (unsigned long) t->uids[i]);
	fputc('\n', rf.fp);
	return replacefile_commit(&rf, 0);
}

int sender_counters_load(const char *path, struct sender_counters *ret_c, bool *ret_decide)
{
	struct sender_counters c = {.last_other_uid = -1};
	char line[256];
	int decide = 1, seen = 0;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	FILE *fp;

	/* read by root (authfold status): a regular file, no link, never a FIFO */
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > 4096) {
		close(fd);
		return -EBADMSG;
	}
	if ((fp = fdopen(fd, "r")) == NULL) {
		close(fd);
		return -ENOMEM;
	}
	if (fgets(line, sizeof(line), fp) == NULL || strcmp(line, SENDER_MAGIC "\n") != 0) {
		fclose(fp);
		return -EBADMSG;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		seen += sscanf(line, "postfix %" SCNu64, &c.postfix) == 1;
		(void) sscanf(line, "relayed %" SCNu64, &c.relayed);
		seen += sscanf(line, "other %" SCNu64, &c.other) == 1;
		seen += sscanf(line, "uncredited %" SCNu64, &c.uncredited) == 1;
		(void) sscanf(line, "last_other_uid %" SCNd64, &c.last_other_uid);
		(void) sscanf(line, "last_uncredited %" SCNd64, &c.last_uncredited_usec);
		(void) sscanf(line, "uncredited_decide %d", &decide);
	}
	fclose(fp);
	if (seen != 3)
		return -EBADMSG;
	*ret_c = c;
	*ret_decide = decide != 0;
	return 0;
}

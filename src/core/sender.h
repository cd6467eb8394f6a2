/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_SENDER_H
#define AUTHFOLD_SENDER_H

/* sender - who wrote a line: the sender's credentials, and whether they are Postfix's; see sender.c */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SENDER_UIDS_MAX		256	/* trusted uids (CONFIG_MAX_LIST) */
#define SENDER_PREFIX_MAX	16	/* "uid=4294967294 " */
#define SENDER_MX_MAX		253	/* "mx=NAME ": a DNS name */
#define SENDER_HOSTS_MAX	1024	/* host names bound to an MX (sender_hosts) */

enum sender_kind {
	SENDER_POSTFIX,			/* credentials of a trusted uid: may decide */
	SENDER_RELAYED,			/* from the authenticated MX its host names: may decide */
	SENDER_OTHER,			/* another uid, or an MX speaking for another host: decides nothing */
	SENDER_UNCREDITED,		/* no credentials at all: uncredited = decide | pass says */
};

/* What the template put before the line; spans borrowed from it. */
struct sender_cred {
	bool has_uid;			/* "uid=N " */
	uid_t uid;
	const char *mx;			/* "mx=NAME ": NAME; NULL: none */
	size_t mx_len;
};

/* The uids whose lines are evidence (trusted_users), resolved at start. */
struct sender_trust {
	uid_t uids[SENDER_UIDS_MAX];
	size_t n_uids;
	bool uncredited_decide;		/* uncredited = decide */
};

/* Lines (entries) by sender, for status and metrics. */
struct sender_counters {
	uint64_t postfix, relayed, other, uncredited;
	int64_t last_other_uid;		/* -1: none yet */
	int64_t last_uncredited_usec;	/* wall clock; 0: none yet */
};

/* Which MX each relayed host name belongs to: the first MX whose lines
   use it; at most SENDER_HOSTS_MAX names. */
struct sender_hosts;

struct sender_hosts *sender_hosts_new(void);
void sender_hosts_free(struct sender_hosts *h);	/* accepts NULL */
int sender_resolve(char *const *names, size_t n, bool uncredited_decide, struct sender_trust *ret_trust,
		   char *err, size_t errlen);
size_t sender_prefix(const char *line, size_t len, struct sender_cred *ret_cred);
enum sender_kind sender_judge(const struct sender_trust *t, struct sender_hosts *h, const struct sender_cred *cred,
			      const char *rest, size_t rest_len);
bool sender_may_decide(const struct sender_trust *t, enum sender_kind k);
bool sender_folds_chatter(const struct sender_cred *cred, enum sender_kind k);
void sender_count(struct sender_counters *c, enum sender_kind k, const struct sender_cred *cred, int64_t now_usec);
int sender_counters_save(const char *path, const struct sender_counters *c, const struct sender_trust *t);
int sender_counters_load(const char *path, struct sender_counters *ret_c, bool *ret_decide);
const char *sender_kind_name(enum sender_kind k);

#endif

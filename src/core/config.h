/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_CONFIG_H
#define AUTHFOLD_CONFIG_H

/* config - authfold.conf; see config.c and authfold.conf(5) */

#include "addr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CONFIG_DEFAULT_PATH	SYSCONFDIR "/authfold/authfold.conf"
#define CONFIG_MAX_LIST		256	/* entries of a list value */
#define CONFIG_FILE_MAX		(1024 * 1024)	/* bytes of a configuration file */
#define CONFIG_LINE_MAX		4096	/* bytes of one line */
#define CONFIG_KEYS_MAX		64	/* rows of the key table */
#define IPSET_TIMEOUT_MAX	2147483	/* seconds; the kernel's limit */
#define CONFIG_MAXRETRY_MAX	64	/* maxretry's bound: the strike times policy(3) keeps */

enum summary_format { SUMMARY_AS_INPUT, SUMMARY_RFC3339, SUMMARY_TRADITIONAL };
enum backend_kind { BACKEND_IPSET, BACKEND_NONE, BACKEND_NFT };
enum publish_kind { PUBLISH_NONE, PUBLISH_SYSLOG };
enum uncredited_mode { UNCREDITED_DECIDE, UNCREDITED_PASS };
#define CONFIG_NAME_MAX		253	/* publish_host, enforce_from entries */

/* Reasons are NOAUTH, SASLFAIL, BADMECH (off by default) and the names
   strike rules define, numbered in order of first use in the process;
   REASON_COUNT bounds them all (arrays indexed by reason). --- */
enum reason { REASON_NOAUTH, REASON_SASLFAIL, REASON_BADMECH, REASON_BUILTIN, REASON_COUNT = 32 };
#define REASON_NAME_MAX		31	/* [a-z][a-z0-9_-]* */

struct rules;

struct config {
	char *summary_log;
	enum summary_format summary_format;
	char *events_log;		/* NULL: none */
	char *metrics_file;		/* Prometheus text file; NULL: none */
	int64_t metrics_interval;	/* seconds between its writes */
	char *state_dir;
	enum backend_kind backend;
	char *ipset4, *ipset6;
	char *nft_table;		/* authfold's nftables table, family inet */
	int32_t nft_priority;		/* of its input hook chain */
	uint16_t nft_ports[CONFIG_MAX_LIST];	/* TCP ports dropped */
	size_t n_nft_ports;		/* 0: all ports */
	unsigned maxretry;
	int64_t findtime, bantime, bantime_max;	/* seconds */
	double bantime_factor;
	struct cidr ignoreip[CONFIG_MAX_LIST];
	size_t n_ignoreip;
	unsigned ipv6_prefix;
	bool reasons[REASON_COUNT];
	int64_t authserver_hold;	/* seconds around auth server trouble without SASL strikes; 0: off */
	int64_t session_idle;		/* seconds */
	size_t max_sessions;
	size_t max_addresses;
	char *smtpd_tags[CONFIG_MAX_LIST];
	size_t n_smtpd_tags;
	/* who may decide: sender(3) */
	char *trusted_users[CONFIG_MAX_LIST];	/* user names or uids: Postfix's mail_owner */
	size_t n_trusted_users;
	int uncredited;			/* enum uncredited_mode: lines without credentials */
	/* journal source */
	char *journal_match;		/* journalctl-style terms; "" everything */
	char *journal_trusted_comm[CONFIG_MAX_LIST];	/* an extra filter on _COMM; none: no filter */
	size_t n_journal_trusted_comm;
	char *journal_trusted_exe[CONFIG_MAX_LIST];	/* an extra filter on _EXE; none: no filter */
	size_t n_journal_trusted_exe;
	unsigned journal_checkpoint_entries;	/* entries between checkpoints while busy */
	unsigned journal_poll_ms;	/* look for new entries this often (0: journald's notices only) */
	/* site rules */
	struct rules *rules;		/* fold/keep/strike lines in order; NULL: none */
	uint32_t reasons_defined;	/* bit per reason this configuration can give */
	bool reasons_given;		/* the `reasons` key was set */
	/* decisions: publishing (central) and enforcing (MX), decision(3) */
	enum publish_kind publish;
	char *publish_socket;		/* the local syslog socket */
	char *publish_tag;
	int publish_facility;		/* LOG_AUTHPRIV and friends */
	char *publish_host;		/* by= of published decisions; NULL: gethostname() */
	int64_t publish_alive;		/* seconds of silence before a keep-alive; 0: never */
	int64_t publish_resync;		/* seconds per resync round; 0: never */
	char *enforce_from[CONFIG_MAX_LIST];	/* by= accepted by authfold-enforce; none: any */
	size_t n_enforce_from;
	unsigned enforce_ipv6_prefix;	/* the widest IPv6 central ban (shortest prefix); 0: ipv6_prefix */
	char *enforce_state_dir;	/* authfold-enforce's own files; NULL: state_dir */
	/* --- end decisions --- */
	const char *load_file;		/* while config_load() runs: names site rules */
	unsigned load_line;
	unsigned key_line[CONFIG_KEYS_MAX];	/* line that set each key; UINT_MAX by config_set(), 0 default */
};

struct config *config_new(void);	/* built-in defaults */
void config_free(struct config *c);
/* Reads path over the defaults. A missing file is -ENOENT (the caller
   decides whether that is fine); a bad line fills err with "FILE:LINE: why". */
int config_load(struct config *c, const char *path, char *err, size_t errlen);
/* -c FILE, or the default file when it exists (built-in defaults when it
   does not). NULL with the reason in err. */
struct config *config_read(const char *path, char *err, size_t errlen);
/* What involves two keys: ipset4 != ipset6, summary_log != events_log,
   neither inside state_dir. config_load() and config_read() call it;
   call it again after changing keys by hand. -EINVAL with the reason. */
int config_check(const struct config *c, char *err, size_t errlen);
/* A configuration file with every key commented out with its default. */
void config_print_defaults(FILE *fp);
int config_set(struct config *c, const char *key, const char *value, char *err, size_t errlen);
int parse_duration(const char *text, int64_t *ret_seconds);
const char *backend_kind_name(enum backend_kind k);	/* "ipset", "nft", "none" */
void format_duration(int64_t seconds, char *buf, size_t len);
const char *reason_name(enum reason r);
/* site rules */
int reason_lookup(const char *name);	/* the reason's number, or -ENOENT */
int reason_intern(const char *name);	/* the number, a new one if need be; -EINVAL, -ENOSPC */
bool config_ignored(const struct config *c, const struct addr *a);
bool config_smtpd_tag(const struct config *c, const char *tag, size_t len);

#endif

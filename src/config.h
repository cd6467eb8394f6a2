#ifndef AUTHFOLD_CONFIG_H
#define AUTHFOLD_CONFIG_H

/* config - authfold.conf; see config.c and authfold.conf(5) */

#include "addr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIG_DEFAULT_PATH	SYSCONFDIR "/authfold/authfold.conf"
#define CONFIG_MAX_LIST		256	/* entries of a list value */
#define IPSET_TIMEOUT_MAX	2147483	/* seconds; the kernel's limit */

enum summary_format { SUMMARY_AS_INPUT, SUMMARY_RFC3339, SUMMARY_TRADITIONAL };
enum backend_kind { BACKEND_IPSET, BACKEND_NONE };

enum reason { REASON_NOAUTH, REASON_SASLFAIL, REASON_COUNT };

struct config {
	char *summary_log;
	enum summary_format summary_format;
	char *events_log;		/* NULL: none */
	char *state_dir;
	enum backend_kind backend;
	char *ipset4, *ipset6;
	unsigned maxretry;
	int64_t findtime, bantime, bantime_max;	/* seconds */
	double bantime_factor;
	struct cidr ignoreip[CONFIG_MAX_LIST];
	size_t n_ignoreip;
	unsigned ipv6_prefix;
	bool reasons[REASON_COUNT];
	int64_t session_idle;		/* seconds */
	size_t max_sessions;
	size_t max_addresses;
	char *smtpd_tags[CONFIG_MAX_LIST];
	size_t n_smtpd_tags;
};

struct config *config_new(void);	/* built-in defaults */
void config_free(struct config *c);
/* Reads path over the defaults. A missing file is -ENOENT (the caller
   decides whether that is fine); a bad line fills err with "FILE:LINE: why". */
int config_load(struct config *c, const char *path, char *err, size_t errlen);
int config_set(struct config *c, const char *key, const char *value, char *err, size_t errlen);
int parse_duration(const char *text, int64_t *ret_seconds);
void format_duration(int64_t seconds, char *buf, size_t len);
const char *reason_name(enum reason r);
bool config_ignored(const struct config *c, const struct addr *a);
bool config_smtpd_tag(const struct config *c, const char *tag, size_t len);

#endif

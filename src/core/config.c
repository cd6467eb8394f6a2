/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	config 3
 * SUMMARY
 *	the authfold.conf file
 * SYNOPSIS
 *	#include "config.h"
 *
 *	struct config *config_new(void)
 *	int	config_load(c, path, err, errlen)
 *	int	config_set(c, key, value, err, errlen)
 *	int	config_check(c, err, errlen)
 *	void	config_print_defaults(fp)
 *	int	parse_duration(text, ret_seconds)
 *	void	config_free(c)
 *	struct config *config_read(path, err, errlen)
 *	const char *backend_kind_name(k)
 *	void	format_duration(seconds, buf, len)
 *	const char *reason_name(r)
 *	int	reason_lookup(name)
 *	int	reason_intern(name)
 *	bool	config_ignored(c, a)
 *	bool	config_smtpd_tag(c, tag, len)
 * DESCRIPTION
 *	Every key is a row of one table (keys[] below): its name, type,
 *	range, where it lives in struct config, its default as text and its
 *	documentation. Parsing, range errors, the built-in defaults and the
 *	default configuration file all come from that table: to add a key,
 *	add a field to struct config and a row to keys[] (and a paragraph
 *	to authfold.conf(5); tests/harden/defaults.sh fails until then).
 *
 *	config_new() returns the built-in defaults: each row's default text
 *	goes through the same parser as a line of the file, so the defaults
 *	and what config_print_defaults() prints cannot differ.
 *	config_free() releases a configuration and accepts NULL.
 *
 *	config_read() is what the programs call: config_new(), then
 *	config_load() of -c FILE, or of the default file if there is one.
 *
 *	config_load() reads "key = value" lines; blank lines and lines whose
 *	first non-blank character is '#' are ignored. Keys are fail2ban's
 *	where they mean the same thing. Each value is validated at once; the
 *	first bad line stops the load. At the end config_check() checks what
 *	involves two keys (ipset4 and ipset6 differ; summary_log, events_log
 *	and state_dir do not collide), naming the later line.
 *
 *	config_print_defaults() writes a configuration file in which every
 *	key is commented out with its default (authfold defaults).
 *
 *	parse_duration() reads "90", "90s", "10m", "12h", "1d", "2w", and
 *	sums such as "1d12h".
 * DIAGNOSTICS
 *	config_load() returns 0, -ENOENT for a missing file, -errno when the
 *	file cannot be read, or -EINVAL with "FILE:LINE: message" (or
 *	"FILE: message" about the file as a whole) in err.
 *	config_set() returns -EINVAL with "key 'K': message" in err.
 * SECURITY
 *	The file is trusted (root-owned) but still parsed defensively: it
 *	must be a regular file of at most CONFIG_FILE_MAX bytes (a device
 *	such as /dev/zero, a FIFO or a directory is refused before a byte is
 *	read, and opening does not block; /dev/null reads as an empty file), a NUL byte is an error naming its
 *	line, lines longer than 4096 bytes and lists longer than
 *	CONFIG_MAX_LIST entries are errors, not truncations.
 */

#include "config.h"

#include "names.h"
#include "rules.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <syslog.h>
#include <unistd.h>

/* --- reason names ---------------------------------------------------------
   Reason names live in one table per process, not per configuration, so
   that a reason's number means the same thing in every configuration,
   state file and event of the process and reason_name() needs none. The
   table only grows, to REASON_COUNT names; "reasons" and the strike rules
   of each configuration say which of them it gives. */
static char reason_names[REASON_COUNT][REASON_NAME_MAX + 1] = {"noauth", "saslfail", "badmech"};
static int n_reason_names = REASON_BUILTIN;

const char *reason_name(enum reason r)
{
	return (int) r >= 0 && (int) r < n_reason_names ? reason_names[r] : "?";
}

int reason_lookup(const char *name)
{
	for (int i = 0; i < n_reason_names; i++)
		if (strcmp(reason_names[i], name) == 0)
			return i;
	return -ENOENT;
}

int reason_intern(const char *name)
{
	size_t len = strlen(name);
	int r = reason_lookup(name);

	if (r >= 0)
		return r;
	if (len == 0 || len > REASON_NAME_MAX || *name < 'a' || *name > 'z' ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_-") != len)
		return -EINVAL;
	if (n_reason_names == REASON_COUNT)
		return -ENOSPC;
	memcpy(reason_names[n_reason_names], name, len + 1);
	return n_reason_names++;
}


static int set_string(char **slot, const char *value)
{
	char *copy = strdup(value);

	if (copy == NULL)
		return -ENOMEM;
	free(*slot);
	*slot = copy;
	return 0;
}

int parse_duration(const char *text, int64_t *ret_seconds)
{
	int64_t total = 0;
	const char *p = text;

	if (*p == 0)
		return -EINVAL;
	while (*p) {
		int64_t v = 0;
		const char *d0 = p;

		while (*p >= '0' && *p <= '9') {
			if (v > INT64_C(1000000000000))
				return -ERANGE;
			v = v * 10 + (*p++ - '0');
		}
		if (p == d0)
			return -EINVAL;
		int64_t unit = 1;

		switch (*p) {
		case 's': unit = 1; p++; break;
		case 'm': unit = 60; p++; break;
		case 'h': unit = 3600; p++; break;
		case 'd': unit = 86400; p++; break;
		case 'w': unit = 604800; p++; break;
		case 0: if (d0 != text) return -EINVAL; break;
		default: return -EINVAL;
		}
		total += v * unit;
		if (total > INT64_C(1000000000000))
			return -ERANGE;
	}
	*ret_seconds = total;
	return 0;
}

void format_duration(int64_t seconds, char *buf, size_t len)
{
	static const struct { int64_t n; char u; } units[] = {
		{604800, 'w'}, {86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'},
	};
	size_t used = 0;

	if (seconds <= 0) {
		snprintf(buf, len, "0s");
		return;
	}
	buf[0] = 0;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]) && used < len; i++) {
		if (seconds >= units[i].n) {
			int w = snprintf(buf + used, len - used, "%lld%c",
					 (long long) (seconds / units[i].n), units[i].u);

			if (w < 0)
				return;
			used += (size_t) w;
			seconds %= units[i].n;
		}
	}
}

static int parse_uint(const char *v, unsigned long long max, unsigned long long *ret)
{
	char *end;
	unsigned long long n;

	if (*v < '0' || *v > '9')
		return -EINVAL;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || *end || n > max)
		return -EINVAL;
	*ret = n;
	return 0;
}

/* Splits a list on blanks and commas into words; calls fn per word. */
static int each_word(const char *value, int (*fn)(struct config *, const char *, char *, size_t),
		     struct config *c, char *err, size_t errlen)
{
	char *copy = strdup(value), *save = NULL;
	int r = 0;

	if (copy == NULL)
		return -ENOMEM;
	for (char *w = strtok_r(copy, " \t,", &save); w; w = strtok_r(NULL, " \t,", &save))
		if ((r = fn(c, w, err, errlen)) < 0)
			break;
	free(copy);
	return r;
}

static int add_ignoreip(struct config *c, const char *w, char *err, size_t errlen)
{
	if (c->n_ignoreip >= CONFIG_MAX_LIST) {
		snprintf(err, errlen, "more than %d entries", CONFIG_MAX_LIST);
		return -EINVAL;
	}
	if (cidr_parse(w, strlen(w), &c->ignoreip[c->n_ignoreip]) < 0) {
		snprintf(err, errlen, "'%s' is not an address or CIDR prefix", w);
		return -EINVAL;
	}
	c->n_ignoreip++;
	return 0;
}

static int add_reason(struct config *c, const char *w, char *err, size_t errlen)
{
	int r = reason_lookup(w);
	size_t used;

	/* the built-in reasons and those of this configuration's strike rules */
	if (r >= 0 && (c->reasons_defined & UINT32_C(1) << r)) {
		c->reasons[r] = true;
		return 0;
	}
	used = (size_t) snprintf(err, errlen, "unknown reason '%s' (known:", w);
	for (int i = 0; i < REASON_COUNT && used < errlen; i++)
		if (c->reasons_defined & UINT32_C(1) << i)
			used += (size_t) snprintf(err + used, errlen - used, " %s", reason_name(i));
	if (used < errlen)
		snprintf(err + used, errlen - used, "%s)", c->rules ? "" : "; a strike rule before 'reasons' defines one");
	return -EINVAL;
}

/* One word more in a list of at most CONFIG_MAX_LIST owned strings. */
static int list_add(char **v, size_t *n, const char *w, char *err, size_t errlen)
{
	if (*n >= CONFIG_MAX_LIST) {
		snprintf(err, errlen, "more than %d entries", CONFIG_MAX_LIST);
		return -EINVAL;
	}
	if ((v[*n] = strdup(w)) == NULL)
		return -ENOMEM;
	(*n)++;
	return 0;
}

static void list_clear(char **v, size_t *n)
{
	for (size_t i = 0; i < *n; i++)
		free(v[i]);
	*n = 0;
}

static int add_tag(struct config *c, const char *w, char *err, size_t errlen)
{
	return list_add(c->smtpd_tags, &c->n_smtpd_tags, w, err, errlen);
}

static void clear_tags(struct config *c)
{
	list_clear(c->smtpd_tags, &c->n_smtpd_tags);
}

static int add_journal_comm(struct config *c, const char *w, char *err, size_t errlen)
{
	if (c->n_journal_trusted_comm < CONFIG_MAX_LIST && strlen(w) > 15) {
		snprintf(err, errlen, "'%s' is longer than _COMM can be (15 bytes)", w);
		return -EINVAL;
	}
	return list_add(c->journal_trusted_comm, &c->n_journal_trusted_comm, w, err, errlen);
}

static void clear_journal_comm(struct config *c)
{
	list_clear(c->journal_trusted_comm, &c->n_journal_trusted_comm);
}

static int add_user(struct config *c, const char *w, char *err, size_t errlen)
{
	size_t len = strlen(w);

	if (c->n_trusted_users < CONFIG_MAX_LIST &&
	    (len == 0 || len > 32 || strspn(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.$") != len)) {
		snprintf(err, errlen, "'%s' is not a user name or uid", w);
		return -EINVAL;
	}
	return list_add(c->trusted_users, &c->n_trusted_users, w, err, errlen);
}

static void clear_users(struct config *c)
{
	list_clear(c->trusted_users, &c->n_trusted_users);
}

static int add_journal_exe(struct config *c, const char *w, char *err, size_t errlen)
{
	if (c->n_journal_trusted_exe < CONFIG_MAX_LIST && (w[0] != '/' || strlen(w) > 255)) {
		snprintf(err, errlen, "'%s' is not an absolute path of at most 255 bytes", w);
		return -EINVAL;
	}
	return list_add(c->journal_trusted_exe, &c->n_journal_trusted_exe, w, err, errlen);
}

static void clear_journal_exe(struct config *c)
{
	list_clear(c->journal_trusted_exe, &c->n_journal_trusted_exe);
}

static int bad(char *err, size_t errlen, const char *key, const char *why, const char *value)
{
	snprintf(err, errlen, "key '%s': %s '%s'", key, why, value);
	return -EINVAL;
}

/* --- the key table --------------------------------------------------------- */

enum key_type {
	KT_PATH,	/* a file name; flags say absolute, "none" */
	KT_NAME,	/* a kernel set name: 1..31 of A-Z a-z 0-9 _ - . */
	KT_ENUM,	/* one of names[] */
	KT_UINT,	/* unsigned, min..max */
	KT_SIZE,	/* size_t, min..max */
	KT_DURATION,	/* int64_t seconds, min..max */
	KT_DOUBLE,	/* double, min..max */
	KT_CUSTOM,	/* set() does it all */
};

enum {
	KF_ABSOLUTE = 1,	/* KT_PATH: must start with '/' */
	KF_NONE = 2,		/* KT_PATH: "none" or "" stores NULL */
	KF_REPEAT = 4,		/* each line adds (site rules): no default, never replaced */
};

struct key_enum {
	const char *name;
	int value;
};

struct config_key {
	const char *name;
	enum key_type type;
	unsigned flags;
	long long min, max;
	size_t offset;
	const char *def;	/* the default, as it would be written in the file */
	const struct key_enum *names;	/* KT_ENUM, ending with {NULL, 0} */
	int (*set)(struct config *c, const struct config_key *k, const char *value, char *err, size_t errlen);
	const char *doc;	/* one sentence for the default file */
};

static int set_list(struct config *c, const char *key, const char *value, void (*clear)(struct config *),
		    int (*add)(struct config *, const char *, char *, size_t), char *err, size_t errlen)
{
	char why[256];
	int r;

	if (clear)
		clear(c);
	if ((r = each_word(value, add, c, why, sizeof(why))) < 0 && r != -ENOMEM)
		snprintf(err, errlen, "key '%s': %s", key, why);
	return r;
}

static void clear_ignoreip(struct config *c)
{
	c->n_ignoreip = 0;
}

static int set_ignoreip(struct config *c, const struct config_key *k, const char *value, char *err, size_t errlen)
{
	return set_list(c, k->name, value, clear_ignoreip, add_ignoreip, err, errlen);
}

static int set_tags(struct config *c, const struct config_key *k, const char *value, char *err, size_t errlen)
{
	int r = set_list(c, k->name, value, clear_tags, add_tag, err, errlen);

	if (r == 0 && c->n_smtpd_tags == 0)
		return bad(err, errlen, k->name, "needs at least one tag:", value);
	return r;
}

static int set_reasons(struct config *c, const struct config_key *k, const char *value, char *err, size_t errlen)
{
	c->reasons_given = true;
	for (int i = 0; i < REASON_COUNT; i++)
		c->reasons[i] = false;
	return set_list(c, k->name, value, NULL, add_reason, err, errlen);
}

static int set_journal_comm(struct config *c, const struct config_key *k, const char *value, char *err,
			    size_t errlen)
{
	if (strcmp(value, "none") == 0) {
		clear_journal_comm(c);
		return 0;
	}
	return set_list(c, k->name, value, clear_journal_comm, add_journal_comm, err, errlen);
}

static int set_journal_exe(struct config *c, const struct config_key *k, const char *value, char *err,
			   size_t errlen)
{
	if (strcmp(value, "none") == 0) {
		clear_journal_exe(c);
		return 0;
	}
	return set_list(c, k->name, value, clear_journal_exe, add_journal_exe, err, errlen);
}

static int set_users(struct config *c, const struct config_key *k, const char *value, char *err, size_t errlen)
{
	if (strcmp(value, "none") == 0) {
		clear_users(c);
		return 0;
	}
	return set_list(c, k->name, value, clear_users, add_user, err, errlen);
}

#define JOURNAL_MATCH_TERMS_MAX	64	/* as JOURNAL_MATCH_MAX in journal.h */

/* journal_match: "+" or FIELD=VALUE, FIELD of A-Z 0-9 _ not starting with
   a digit, as sd_journal_add_match() accepts. */
static int set_journal_match(struct config *c, const struct config_key *k, const char *value, char *err,
			     size_t errlen)
{
	char *copy = strdup(value), *save = NULL;
	int n = 0, r = 0;

	if (copy == NULL)
		return -ENOMEM;
	for (char *w = strtok_r(copy, " \t", &save); w && r == 0; w = strtok_r(NULL, " \t", &save)) {
		char *eq = strchr(w, '=');

		if (++n > JOURNAL_MATCH_TERMS_MAX)
			r = bad(err, errlen, k->name, "more than 64 terms in", value);
		else if (strcmp(w, "+") == 0)
			continue;
		else if (eq == NULL || eq == w || (*w >= '0' && *w <= '9') ||
			 strspn(w, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != (size_t) (eq - w) || eq - w > 64)
			r = bad(err, errlen, k->name, "expected FIELD=VALUE or '+', not", w);
	}
	free(copy);
	return r < 0 ? r : set_string(&c->journal_match, value);
}

/* fold = [TAG] /REGEX/[i], keep = ..., strike = REASON [TAG] /REGEX/[i] [keep|fold]:
   each line adds a rule (see rules(3)); its name is site:FILE:LINE. A
   strike rule defines its reason; one first defined after `reasons` was
   set could never strike, which is taken as a mistake in the file. */
static int set_rule(struct config *c, const struct config_key *k, const char *value, char *err, size_t errlen)
{
	const char *key = k->name;
	enum rules_kind kind = key[0] == 'f' ? RULES_FOLD : key[0] == 'k' ? RULES_KEEP : RULES_STRIKE;
	char name[RULES_NAME_MAX], word[REASON_NAME_MAX + 2], why[384];
	int reason = -1, r;
	bool is_new = false;

	if (kind == RULES_STRIKE) {
		size_t n = strcspn(value, " \t");

		if (n == 0 || n >= sizeof(word) || value[n] == 0)
			return bad(err, errlen, key, "expected REASON [TAG] /REGEX/, not", value);
		memcpy(word, value, n);
		word[n] = 0;
		if ((reason = reason_intern(word)) == -EINVAL)
			return bad(err, errlen, key, "a reason is 1..31 of a-z 0-9 _ - starting with a letter, not", word);
		if (reason == -ENOSPC) {
			snprintf(err, errlen, "key '%s': more than %d reasons", key, REASON_COUNT);
			return -EINVAL;
		}
		if (!(c->reasons_defined & UINT32_C(1) << reason)) {
			if (c->reasons_given)
				return bad(err, errlen, key, "define strike rules before 'reasons'; new reason", word);
			is_new = true;
		}
		value += n;
	}
	if (c->rules == NULL && (c->rules = rules_new()) == NULL)
		return -ENOMEM;
	if (c->load_file)
		snprintf(name, sizeof(name), "site:%s:%u", c->load_file, c->load_line);
	else
		snprintf(name, sizeof(name), "site:-:%zu", rules_count(c->rules) + 1);
	if ((r = rules_add(c->rules, kind, reason, value, name, why, sizeof(why))) < 0) {
		if (r == -ENOMEM)
			return r;
		snprintf(err, errlen, "key '%s': %s", key, why);
		return -EINVAL;
	}
	if (is_new) {
		c->reasons_defined |= UINT32_C(1) << reason;
		c->reasons[reason] = true;
	}
	return 0;
}

/* --- decisions: publishing (central) and enforcing (MX), decision(3) --- */
static const struct key_enum publishers[] = {
	{"none", PUBLISH_NONE}, {"syslog", PUBLISH_SYSLOG}, {NULL, 0},
};
static const struct key_enum facilities[] = {
	{"kern", LOG_KERN}, {"user", LOG_USER}, {"mail", LOG_MAIL}, {"daemon", LOG_DAEMON},
	{"auth", LOG_AUTH}, {"syslog", LOG_SYSLOG}, {"authpriv", LOG_AUTHPRIV}, {"local0", LOG_LOCAL0},
	{"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2}, {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4},
	{"local5", LOG_LOCAL5}, {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7}, {NULL, 0},
};

static int set_publish_socket(struct config *c, const struct config_key *k, const char *value, char *err,
			      size_t errlen)
{
	if (value[0] != '/' || strlen(value) > 107)
		return bad(err, errlen, k->name, "not an absolute path of at most 107 bytes:", value);
	return set_string(&c->publish_socket, value);
}

static int set_publish_tag(struct config *c, const struct config_key *k, const char *value, char *err,
			   size_t errlen)
{
	size_t len = strlen(value);

	if (len == 0 || len > 32 ||
	    strspn(value, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") != len)
		return bad(err, errlen, k->name, "not a tag (1..32 of A-Z a-z 0-9 _ - .):", value);
	return set_string(&c->publish_tag, value);
}

static int set_publish_alive(struct config *c, const struct config_key *k, const char *value, char *err,
			     size_t errlen)
{
	int64_t t;

	if (strcmp(value, "0") == 0) {
		c->publish_alive = 0;
		return 0;
	}
	if (parse_duration(value, &t) < 0 || t < 1 || t > 86400)
		return bad(err, errlen, k->name, "expected 0 or a duration from 1s to 1d, not", value);
	c->publish_alive = t;
	return 0;
}

static int set_publish_resync(struct config *c, const struct config_key *k, const char *value, char *err,
			      size_t errlen)
{
	int64_t t;

	if (strcmp(value, "0") == 0) {
		c->publish_resync = 0;
		return 0;
	}
	if (parse_duration(value, &t) < 0 || t < 1 || t > 86400)
		return bad(err, errlen, k->name, "expected 0 or a duration from 1s to 1d, not", value);
	c->publish_resync = t;
	return 0;
}

/* publish_host: none (the host name) or a host name */
static int set_publish_host(struct config *c, const struct config_key *k, const char *value, char *err,
			    size_t errlen)
{
	if (strcmp(value, "none") == 0) {
		free(c->publish_host);
		c->publish_host = NULL;
		return 0;
	}
	if (!names_host_ok(value, strlen(value)))
		return bad(err, errlen, k->name, "not a host name (1..253 of A-Z a-z 0-9 . _ -):", value);
	return set_string(&c->publish_host, value);
}

static int add_from(struct config *c, const char *w, char *err, size_t errlen)
{
	if (c->n_enforce_from >= CONFIG_MAX_LIST) {
		snprintf(err, errlen, "more than %d hosts", CONFIG_MAX_LIST);
		return -EINVAL;
	}
	if (!names_host_ok(w, strlen(w))) {
		snprintf(err, errlen, "not a host name (1..253 of A-Z a-z 0-9 . _ -): '%s'", w);
		return -EINVAL;
	}
	if ((c->enforce_from[c->n_enforce_from] = strdup(w)) == NULL)
		return -ENOMEM;
	c->n_enforce_from++;
	return 0;
}

/* enforce_from: none (any central host) or a list of host names */
static int set_enforce_from(struct config *c, const struct config_key *k, const char *value, char *err,
			    size_t errlen)
{
	char why[256];
	int r;

	for (size_t i = 0; i < c->n_enforce_from; i++)
		free(c->enforce_from[i]);
	c->n_enforce_from = 0;
	if (strcmp(value, "none") == 0 || *value == 0)
		return 0;
	if ((r = each_word(value, add_from, c, why, sizeof(why))) < 0 && r != -ENOMEM)
		snprintf(err, errlen, "key '%s': %s", k->name, why);
	return r;
}

static const struct key_enum summary_formats[] = {
	{"input", SUMMARY_AS_INPUT}, {"as-input", SUMMARY_AS_INPUT},
	{"rfc3339", SUMMARY_RFC3339}, {"traditional", SUMMARY_TRADITIONAL}, {NULL, 0},
};
static const struct key_enum uncredited_modes[] = {
	{"decide", UNCREDITED_DECIDE}, {"pass", UNCREDITED_PASS}, {NULL, 0},
};

static const struct key_enum backends[] = {
	{"ipset", BACKEND_IPSET}, {"nft", BACKEND_NFT}, {"none", BACKEND_NONE}, {NULL, 0},
};

const char *backend_kind_name(enum backend_kind k)
{
	return k == BACKEND_IPSET ? "ipset" : k == BACKEND_NFT ? "nft" : "none";
}

static int set_nft_table(struct config *c, const struct config_key *k, const char *value, char *err, size_t errlen)
{
	char *copy;

	if (!names_nft_ok(value))
		return bad(err, errlen, k->name, "not a table name (a letter, then up to 63 of A-Z a-z 0-9 _ .):", value);
	if ((copy = strdup(value)) == NULL)
		return -ENOMEM;
	free(c->nft_table);
	c->nft_table = copy;
	return 0;
}

static int set_nft_priority(struct config *c, const struct config_key *k, const char *value, char *err,
			    size_t errlen)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(value, &end, 10);
	if (errno || end == value || *end || v < -1000 || v > 1000)
		return bad(err, errlen, k->name, "expected a number from -1000 to 1000, not", value);
	c->nft_priority = (int32_t) v;
	return 0;
}

static int add_port(struct config *c, const char *w, char *err, size_t errlen)
{
	unsigned long long n;

	if (parse_uint(w, 65535, &n) < 0 || n == 0) {
		snprintf(err, errlen, "'%.64s' is not a port from 1 to 65535", w);
		return -EINVAL;
	}
	for (size_t i = 0; i < c->n_nft_ports; i++)
		if (c->nft_ports[i] == n) {
			snprintf(err, errlen, "port %llu given twice", n);
			return -EINVAL;
		}
	if (c->n_nft_ports == CONFIG_MAX_LIST) {
		snprintf(err, errlen, "more than %d entries", CONFIG_MAX_LIST);
		return -EINVAL;
	}
	c->nft_ports[c->n_nft_ports++] = (uint16_t) n;
	return 0;
}

static int set_nft_ports(struct config *c, const struct config_key *k, const char *value, char *err, size_t errlen)
{
	uint16_t old[CONFIG_MAX_LIST];
	size_t n_old = c->n_nft_ports;
	char why[256];
	int r;

	memcpy(old, c->nft_ports, sizeof(old));
	c->n_nft_ports = 0;	/* 0: all ports */
	if (strcmp(value, "all") == 0)
		return 0;
	if ((r = each_word(value, add_port, c, why, sizeof(why))) < 0 && r != -ENOMEM)
		snprintf(err, errlen, "key '%s': %s", k->name, why);
	else if (r == 0 && c->n_nft_ports == 0)
		r = bad(err, errlen, k->name, "expected TCP ports or all, not", value);
	if (r < 0) {	/* a bad value leaves the key as it was */
		memcpy(c->nft_ports, old, sizeof(old));
		c->n_nft_ports = n_old;
	}
	return r;
}

_Static_assert(sizeof(enum summary_format) == sizeof(int) && sizeof(enum backend_kind) == sizeof(int) &&
	       sizeof(enum publish_kind) == sizeof(int),
	       "KT_ENUM stores an int");

#define F(field)	offsetof(struct config, field)

static const struct config_key keys[] = {
	{"summary_log", KT_PATH, 0, 0, 0, F(summary_log), "/var/log/mail.summary.log", NULL, NULL,
	 "Where authfold-omprog and authfold journal write the summary log (not in state_dir, not events_log)."},
	{"summary_format", KT_ENUM, 0, 0, 0, F(summary_format), "input", summary_formats, NULL,
	 "authfold journal only: input (rfc3339), rfc3339 or traditional."},
	{"events_log", KT_PATH, KF_NONE, 0, 0, F(events_log), "none", NULL, NULL,
	 "The JSON Lines events log (strikes and bans), or none."},
	{"metrics_file", KT_PATH, KF_ABSOLUTE | KF_NONE, 0, 0, F(metrics_file), "none", NULL, NULL,
	 "The daemons' Prometheus text file (node_exporter's textfile collector), or none."},
	{"metrics_interval", KT_DURATION, 0, 1, 3600, F(metrics_interval), "5s", NULL, NULL,
	 "How often the daemons write metrics_file."},
	{"state_dir", KT_PATH, KF_ABSOLUTE, 0, 0, F(state_dir), LOCALSTATEDIR "/lib/authfold", NULL, NULL,
	 "The daemons' state: owned by the daemon's user, not writable by group or others."},
	{"backend", KT_ENUM, 0, 0, 0, F(backend), "ipset", backends, NULL,
	 "Where bans go: ipset, nft (authfold's own nftables table) or none (decide and log only)."},
	{"ipset4", KT_NAME, 0, 0, 0, F(ipset4), "authfold4", NULL, NULL,
	 "The ipset for IPv4 bans (hash:ip with timeouts; made when missing)."},
	{"ipset6", KT_NAME, 0, 0, 0, F(ipset6), "authfold6", NULL, NULL,
	 "The ipset for IPv6 bans (hash:net with timeouts); must differ from ipset4."},
	{"nft_table", KT_CUSTOM, 0, 0, 0, 0, "authfold", NULL, set_nft_table,
	 "backend = nft: authfold's own table (family inet)."},
	{"nft_priority", KT_CUSTOM, 0, 0, 0, 0, "-10", NULL, set_nft_priority,
	 "backend = nft: the priority of its input hook chain (-1000 to 1000)."},
	{"nft_ports", KT_CUSTOM, 0, 0, 0, 0, "25 465 587", NULL, set_nft_ports,
	 "backend = nft: the TCP ports dropped for banned clients (a list), or all."},
	{"publish", KT_ENUM, 0, 0, 0, F(publish), "none", publishers, NULL,
	 "Publish every ban and unban as a decision message for the MX hosts: none or syslog."},
	{"publish_socket", KT_CUSTOM, 0, 0, 0, 0, "/dev/log", NULL, set_publish_socket,
	 "publish = syslog: the local syslog socket decisions go to."},
	{"publish_tag", KT_CUSTOM, 0, 0, 0, 0, "authfold", NULL, set_publish_tag,
	 "publish = syslog: the syslog tag of decision messages."},
	{"publish_facility", KT_ENUM, 0, 0, 0, F(publish_facility), "authpriv", facilities, NULL,
	 "publish = syslog: the syslog facility of decision messages."},
	{"publish_alive", KT_CUSTOM, 0, 0, 0, 0, "60s", NULL, set_publish_alive,
	 "publish = syslog: a keep-alive after this much silence (0: never)."},
	{"publish_resync", KT_CUSTOM, 0, 0, 0, 0, "30s", NULL, set_publish_resync,
	 "publish = syslog: every running ban is published again once per this period (0: never)."},
	{"publish_host", KT_CUSTOM, 0, 0, 0, 0, "none", NULL, set_publish_host,
	 "publish = syslog: the by= of published decisions (none: the host name)."},
	{"enforce_from", KT_CUSTOM, 0, 0, 0, 0, "none", NULL, set_enforce_from,
	 "authfold-enforce: the deciding hosts whose decisions count (none: any)."},
	{"enforce_ipv6_prefix", KT_UINT, 0, 0, 128, F(enforce_ipv6_prefix), "0", NULL, NULL,
	 "authfold-enforce: the shortest IPv6 prefix a central ban may have here (0: ipv6_prefix)."},
	{"enforce_state_dir", KT_PATH, KF_ABSOLUTE | KF_NONE, 0, 0, F(enforce_state_dir), "none", NULL, NULL,
	 "authfold-enforce: the directory of its log, lock and counters (none: state_dir)."},
	{"maxretry", KT_UINT, 0, 1, CONFIG_MAXRETRY_MAX, F(maxretry), "2", NULL, NULL,
	 "Strikes within findtime that ban an address."},
	{"findtime", KT_DURATION, 0, 1, INT64_C(1000000000000), F(findtime), "1d", NULL, NULL,
	 "How long a strike counts."},
	{"bantime", KT_DURATION, 0, 1, INT64_C(1000000000000), F(bantime), "1d", NULL, NULL,
	 "The first ban's length."},
	{"bantime_factor", KT_DOUBLE, 0, 1, 1000, F(bantime_factor), "2", NULL, NULL,
	 "Each new ban of the same address lasts this many times the last one."},
	{"bantime_max", KT_DURATION, 0, 1, IPSET_TIMEOUT_MAX, F(bantime_max), "24d", NULL, NULL,
	 "The longest ban (ipset's limit is 2147483s)."},
	{"ignoreip", KT_CUSTOM, 0, 0, 0, 0, "127.0.0.0/8 ::1", NULL, set_ignoreip,
	 "Addresses and prefixes never struck or banned (a list)."},
	{"ipv6_prefix", KT_UINT, 0, 16, 128, F(ipv6_prefix), "64", NULL, NULL,
	 "IPv6 strikes and bans count per prefix of this length."},
	{"reasons", KT_CUSTOM, 0, 0, 0, 0, "noauth saslfail", NULL, set_reasons,
	 "The reasons that strike: noauth, saslfail, badmech (a list; strike rules above it define more)."},
	{"authserver_hold", KT_DURATION, 0, 0, 86400, F(authserver_hold), "60s", NULL, NULL,
	 "SASL failures within this much log time of auth server trouble at their origin do not strike (0: off)."},
	{"session_idle", KT_DURATION, 0, 1, INT64_C(1000000000000), F(session_idle), "1h", NULL, NULL,
	 "A session without a line for this long is closed; an ended one is remembered this long for late lines."},
	{"max_sessions", KT_SIZE, 0, 16, 16777216, F(max_sessions), "65536", NULL, NULL,
	 "Sessions kept at most, open or ended (the least recently active goes)."},
	{"max_addresses", KT_SIZE, 0, 16, 16777216, F(max_addresses), "65536", NULL, NULL,
	 "Addresses with strikes or bans tracked at most."},
	{"smtpd_tags", KT_CUSTOM, 0, 0, 0, 0, "postfix/smtpd postfix/*/smtpd postfix-*/smtpd", NULL, set_tags,
	 "Syslog tags of Postfix's smtpd (fnmatch patterns, a list)."},
	{"journal_match", KT_CUSTOM, 0, 0, 0, 0, "SYSLOG_FACILITY=2", NULL, set_journal_match,
	 "authfold journal: which entries are read (journalctl match terms)."},
	{"trusted_users", KT_CUSTOM, 0, 0, 0, 0, "postfix", NULL, set_users,
	 "Whose lines are evidence: user names or uids (Postfix's mail_owner), checked against the sender's uid."},
	{"uncredited", KT_ENUM, 0, 0, 0, F(uncredited), "decide", uncredited_modes, NULL,
	 "Lines that carry no sender credentials: decide (as if Postfix's) or pass (kept, decide nothing)."},
	{"journal_trusted_comm", KT_CUSTOM, 0, 0, 0, 0, "none", NULL, set_journal_comm,
	 "authfold journal: an extra filter, the _COMM values whose entries may decide (none: any; no proof)."},
	{"journal_trusted_exe", KT_CUSTOM, 0, 0, 0, 0, "none", NULL, set_journal_exe,
	 "authfold journal: an extra filter, the _EXE paths whose entries may decide (none: any)."},
	{"journal_checkpoint_entries", KT_UINT, 0, 1, 10000000, F(journal_checkpoint_entries), "10000", NULL, NULL,
	 "authfold journal: entries between checkpoints while busy."},
	{"journal_poll_ms", KT_UINT, 0, 0, 1000, F(journal_poll_ms), "50", NULL, NULL,
	 "authfold journal: look for new entries this often (milliseconds)."},
	{"fold", KT_CUSTOM, KF_REPEAT, 0, 0, 0, "[TAG] /REGEX/[i]", NULL, set_rule,
	 "Site rule: fold away the lines it matches."},
	{"keep", KT_CUSTOM, KF_REPEAT, 0, 0, 0, "[TAG] /REGEX/[i]", NULL, set_rule,
	 "Site rule: keep the lines it matches."},
	{"strike", KT_CUSTOM, KF_REPEAT, 0, 0, 0, "REASON [TAG] /REGEX/[i] [keep|fold]", NULL, set_rule,
	 "Site rule: a line it matches strikes its client for REASON."},
};

_Static_assert(sizeof(keys) / sizeof(keys[0]) <= CONFIG_KEYS_MAX, "raise CONFIG_KEYS_MAX");

#define N_KEYS	(sizeof(keys) / sizeof(keys[0]))

static const struct config_key *key_find(const char *name)
{
	for (size_t i = 0; i < N_KEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static int set_path(void *slot, const struct config_key *k, const char *value, char *err, size_t errlen)
{
	if ((k->flags & KF_NONE) && (*value == 0 || strcmp(value, "none") == 0)) {
		free(*(char **) slot);
		*(char **) slot = NULL;
		return 0;
	}
	if (*value == 0)
		return bad(err, errlen, k->name, "empty:", value);
	if ((k->flags & KF_ABSOLUTE) && *value != '/')
		return bad(err, errlen, k->name, "not an absolute path:", value);
	return set_string(slot, value);
}

static int set_name(void *slot, const struct config_key *k, const char *value, char *err, size_t errlen)
{
	size_t len = strlen(value);

	if (len == 0 || len > 31 ||
	    strspn(value, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") != len)
		return bad(err, errlen, k->name, "not a set name (1..31 of A-Z a-z 0-9 _ - .):", value);
	return set_string(slot, value);
}

static int set_enum(void *slot, const struct config_key *k, const char *value, char *err, size_t errlen)
{
	char expect[128];
	size_t used = (size_t) snprintf(expect, sizeof(expect), "expected");

	for (const struct key_enum *e = k->names; e->name; e++) {
		if (strcmp(e->name, value) == 0) {
			*(int *) slot = e->value;
			return 0;
		}
		if (used < sizeof(expect))
			used += (size_t) snprintf(expect + used, sizeof(expect) - used, "%s%s",
						  e == k->names ? " " : e[1].name ? ", " : " or ", e->name);
	}
	if (used < sizeof(expect))
		snprintf(expect + used, sizeof(expect) - used, ", not");
	return bad(err, errlen, k->name, expect, value);
}

/* KT_UINT and KT_SIZE */
static int set_number(void *slot, const struct config_key *k, const char *value, char *err, size_t errlen)
{
	char why[64];
	unsigned long long n;

	if (parse_uint(value, (unsigned long long) k->max, &n) < 0 || n < (unsigned long long) k->min) {
		snprintf(why, sizeof(why), "expected a number from %lld to %lld, not", k->min, k->max);
		return bad(err, errlen, k->name, why, value);
	}
	if (k->type == KT_UINT)
		*(unsigned *) slot = (unsigned) n;
	else
		*(size_t *) slot = (size_t) n;
	return 0;
}

static int set_duration(void *slot, const struct config_key *k, const char *value, char *err, size_t errlen)
{
	char why[64];
	int64_t s;

	if (parse_duration(value, &s) < 0)
		return bad(err, errlen, k->name, "not a duration (like 90s 10m 12h 1d 2w):", value);
	if (s < k->min)
		return bad(err, errlen, k->name, "too short:", value);
	if (s > k->max) {
		char max[32];

		format_duration(k->max, max, sizeof(max));
		snprintf(why, sizeof(why), "longer than the limit of %llds (%s):", k->max, max);
		return bad(err, errlen, k->name, why, value);
	}
	*(int64_t *) slot = s;
	return 0;
}

static int set_double(void *slot, const struct config_key *k, const char *value, char *err, size_t errlen)
{
	char why[64], *end;
	double f;

	errno = 0;
	f = strtod(value, &end);
	if (errno || end == value || *end || !(f >= (double) k->min && f <= (double) k->max)) {
		snprintf(why, sizeof(why), "expected a number from %lld to %lld, not", k->min, k->max);
		return bad(err, errlen, k->name, why, value);
	}
	*(double *) slot = f;
	return 0;
}

static int set_typed(struct config *c, const struct config_key *k, const char *value, char *err, size_t errlen)
{
	void *slot = (char *) c + k->offset;

	switch (k->type) {
	case KT_PATH:
		return set_path(slot, k, value, err, errlen);
	case KT_NAME:
		return set_name(slot, k, value, err, errlen);
	case KT_ENUM:
		return set_enum(slot, k, value, err, errlen);
	case KT_UINT:
	case KT_SIZE:
		return set_number(slot, k, value, err, errlen);
	case KT_DURATION:
		return set_duration(slot, k, value, err, errlen);
	case KT_DOUBLE:
		return set_double(slot, k, value, err, errlen);
	case KT_CUSTOM:
		break;
	}
	return k->set(c, k, value, err, errlen);
}

int config_set(struct config *c, const char *key, const char *value, char *err, size_t errlen)
{
	const struct config_key *k = key_find(key);
	int r;

	if (k == NULL) {
		snprintf(err, errlen, "unknown key '%s'", key);
		return -EINVAL;
	}
	if ((r = set_typed(c, k, value, err, errlen)) == 0)
		c->key_line[k - keys] = c->load_line ? c->load_line : UINT_MAX;
	else if (r == -ENOMEM)
		snprintf(err, errlen, "key '%s': out of memory", key);
	return r;
}

struct config *config_new(void)
{
	struct config *c = calloc(1, sizeof(*c));
	char err[256];

	if (c == NULL)
		return NULL;
	c->reasons_defined = UINT32_C(1) << REASON_NOAUTH | UINT32_C(1) << REASON_SASLFAIL | UINT32_C(1) << REASON_BADMECH;
	for (size_t i = 0; i < N_KEYS; i++)
		if (!(keys[i].flags & KF_REPEAT) && set_typed(c, &keys[i], keys[i].def, err, sizeof(err)) < 0)
			goto fail;
	c->reasons_given = false;
	return c;
fail:
	config_free(c);
	return NULL;
}

void config_free(struct config *c)
{
	if (c == NULL)
		return;
	free(c->summary_log);
	free(c->events_log);
	free(c->state_dir);
	free(c->enforce_state_dir);
	free(c->ipset4);
	free(c->ipset6);
	free(c->metrics_file);
	free(c->nft_table);
	free(c->publish_socket);
	free(c->publish_tag);
	free(c->publish_host);
	for (size_t i = 0; i < c->n_enforce_from; i++)
		free(c->enforce_from[i]);
	clear_tags(c);
	rules_free(c->rules);
	free(c->journal_match);
	clear_journal_comm(c);
	clear_journal_exe(c);
	clear_users(c);
	free(c);
}

void config_print_defaults(FILE *fp)
{
	fprintf(fp, "# authfold.conf: every key with its built-in default (authfold %s).\n"
		"# Uncomment a line to change it; see authfold.conf(5).\n", PACKAGE_VERSION);
	for (size_t i = 0; i < N_KEYS; i++) {
		const struct config_key *k = &keys[i];

		fprintf(fp, "\n# %s\n", k->doc);
		if (k->flags & KF_REPEAT)
			fprintf(fp, "# %s = %s  (repeatable, none by default)\n", k->name, k->def);
		else
			fprintf(fp, "#%s = %s\n", k->name, k->def);
	}
}

/* --- checks that involve two keys ---------------------------------------- */

static unsigned line_of(const struct config *c, const char *name)
{
	const struct config_key *k = key_find(name);

	return k ? c->key_line[k - keys] : 0;
}

/* "FILE:LINE: " of the later of two keys, or "" for built-in defaults. */
static void where(const struct config *c, const char *path, const char *k1, const char *k2, char *buf,
		  size_t len)
{
	unsigned l1 = line_of(c, k1), l2 = k2 ? line_of(c, k2) : 0;
	unsigned l = l1 > l2 ? l1 : l2;

	if (path && l && l != UINT_MAX)
		snprintf(buf, len, "%s:%u: ", path, l);
	else
		buf[0] = 0;
}

/* true when path names a file directly inside dir (lexically). */
static bool inside(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	return strncmp(path, dir, n) == 0 && path[n] == '/';
}

static int check(const struct config *c, const char *path, char *err, size_t errlen)
{
	char at[4200];

	if (strcmp(c->ipset4, c->ipset6) == 0) {
		where(c, path, "ipset4", "ipset6", at, sizeof(at));
		snprintf(err, errlen, "%sipset4 and ipset6 are both '%s': IPv4 and IPv6 need a set each", at, c->ipset4);
		return -EINVAL;
	}
	if (c->events_log && strcmp(c->summary_log, c->events_log) == 0) {
		where(c, path, "summary_log", "events_log", at, sizeof(at));
		snprintf(err, errlen, "%ssummary_log and events_log are both '%s': their lines would interleave", at,
			 c->events_log);
		return -EINVAL;
	}
	if (inside(c->summary_log, c->state_dir) || (c->events_log && inside(c->events_log, c->state_dir))) {
		bool s = inside(c->summary_log, c->state_dir);

		where(c, path, s ? "summary_log" : "events_log", "state_dir", at, sizeof(at));
		snprintf(err, errlen, "%s%s '%s' is inside state_dir '%s', whose files are the daemons' own", at,
			 s ? "summary_log" : "events_log", s ? c->summary_log : c->events_log, c->state_dir);
		return -EINVAL;
	}
	return 0;
}

int config_check(const struct config *c, char *err, size_t errlen)
{
	return check(c, NULL, err, errlen);
}

/* Reads a regular file of at most CONFIG_FILE_MAX bytes into a NUL-terminated buffer. */
static int slurp(const char *path, char **ret_buf, size_t *ret_len, char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int fd, r = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return r;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	} else if (S_ISDIR(st.st_mode)) {
		r = -EISDIR;
		snprintf(err, errlen, "%s: is a directory, not a configuration file", path);
	} else if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3)) {
		st.st_size = 0;		/* /dev/null: the built-in defaults, as an empty file */
	} else if (!S_ISREG(st.st_mode)) {
		r = -EINVAL;
		snprintf(err, errlen, "%s: not a regular file (a device, FIFO or socket is never a configuration)", path);
	} else if (st.st_size > CONFIG_FILE_MAX) {
		r = -EFBIG;
		snprintf(err, errlen, "%s: larger than %d bytes", path, CONFIG_FILE_MAX);
	}
	if (r == 0 && (buf = malloc(CONFIG_FILE_MAX + 2)) == NULL) {
		r = -ENOMEM;
		snprintf(err, errlen, "%s: out of memory", path);
	}
	while (r == 0 && S_ISREG(st.st_mode)) {
		ssize_t n = read(fd, buf + len, CONFIG_FILE_MAX + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
		} else if (n == 0) {
			break;
		} else if ((len += (size_t) n) > CONFIG_FILE_MAX) {
			r = -EFBIG;	/* it grew since fstat() */
			snprintf(err, errlen, "%s: larger than %d bytes", path, CONFIG_FILE_MAX);
		}
	}
	close(fd);
	if (r < 0) {
		free(buf);
		return r;
	}
	buf[len] = 0;
	*ret_buf = buf;
	*ret_len = len;
	return 0;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = 0;
	return s;
}

int config_load(struct config *c, const char *path, char *err, size_t errlen)
{
	char *buf = NULL, why[512];
	size_t len = 0, off = 0;
	unsigned lineno = 0;
	int r;

	if ((r = slurp(path, &buf, &len, err, errlen)) < 0)
		return r;
	while (r == 0 && off < len) {
		char *line = buf + off, *nl = memchr(line, '\n', len - off);
		size_t n = nl ? (size_t) (nl - line) : len - off;

		lineno++;
		off += n + (nl != NULL);
		if (memchr(line, 0, n) != NULL) {
			snprintf(err, errlen, "%s:%u: NUL byte in the line", path, lineno);
			r = -EINVAL;
			break;
		}
		if (n > CONFIG_LINE_MAX) {
			snprintf(err, errlen, "%s:%u: line longer than %d bytes", path, lineno, CONFIG_LINE_MAX);
			r = -EINVAL;
			break;
		}
		line[n] = 0;
		line = trim(line);
		if (*line == 0 || *line == '#')
			continue;
		char *eq = strchr(line, '=');

		if (eq == NULL) {
			snprintf(err, errlen, "%s:%u: expected 'key = value'", path, lineno);
			r = -EINVAL;
			break;
		}
		*eq = 0;
		char *key = trim(line), *value = trim(eq + 1);

		c->load_file = path;	/* site rules are named site:FILE:LINE */
		c->load_line = lineno;
		r = config_set(c, key, value, why, sizeof(why));
		c->load_file = NULL;
		c->load_line = 0;
		if (r < 0)
			snprintf(err, errlen, "%s:%u: %s", path, lineno, why);
	}
	free(buf);
	if (r == 0)
		r = check(c, path, err, errlen);
	return r;
}

struct config *config_read(const char *path, char *err, size_t errlen)
{
	struct config *c = config_new();
	int r;

	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r = config_load(c, path ? path : CONFIG_DEFAULT_PATH, err, errlen);
	if (r == -ENOENT && path == NULL)
		r = check(c, NULL, err, errlen);
	if (r == 0)
		return c;
	config_free(c);
	return NULL;
}

bool config_ignored(const struct config *c, const struct addr *a)
{
	for (size_t i = 0; i < c->n_ignoreip; i++)
		if (cidr_contains(&c->ignoreip[i], a))
			return true;
	return false;
}

bool config_smtpd_tag(const struct config *c, const char *tag, size_t len)
{
	char buf[128];

	if (len >= sizeof(buf))
		return false;
	memcpy(buf, tag, len);
	buf[len] = 0;
	for (size_t i = 0; i < c->n_smtpd_tags; i++)
		if (fnmatch(c->smtpd_tags[i], buf, FNM_PATHNAME) == 0)
			return true;
	return false;
}

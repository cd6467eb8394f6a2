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
 *	int	parse_duration(text, ret_seconds)
 * DESCRIPTION
 *	config_new() returns the built-in defaults (see authfold.conf(5));
 *	config_free() releases a configuration and accepts NULL.
 *
 *	config_read() is what the programs call: config_new(), then
 *	config_load() of -c FILE, or of the default file if there is one.
 *
 *	config_load() reads "key = value" lines; blank lines and lines whose
 *	first non-blank character is '#' are ignored. Keys are fail2ban's
 *	where they mean the same thing. Each value is validated at once; the
 *	first bad line stops the load.
 *
 *	parse_duration() reads "90", "90s", "10m", "12h", "1d", "2w", and
 *	sums such as "1d12h".
 * DIAGNOSTICS
 *	config_load() returns 0, -ENOENT for a missing file, -errno when the
 *	file cannot be read, or -EINVAL with "FILE:LINE: message" in err.
 *	config_set() returns -EINVAL with "key 'K': message" in err.
 * SECURITY
 *	The file is trusted (root-owned) but still parsed defensively:
 *	lines longer than 4096 bytes and lists longer than CONFIG_MAX_LIST
 *	entries are errors, not truncations.
 */

#include "config.h"

#include "decision.h"
#include "rules.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

/* --- site rules (issue 6) ----------------------------------------------
   Reason names live in one table per process, not per configuration, so
   that a reason's number means the same thing in every configuration,
   state file and event of the process and reason_name() needs none. The
   table only grows, to REASON_COUNT names; "reasons" and the strike rules
   of each configuration say which of them it gives. */
static char reason_names[REASON_COUNT][REASON_NAME_MAX + 1] = {"noauth", "saslfail"};
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
/* --- end site rules --- */

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

	/* site rules (issue 6): the reasons of this configuration's strike rules too */
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

static int add_tag(struct config *c, const char *w, char *err, size_t errlen)
{
	if (c->n_smtpd_tags >= CONFIG_MAX_LIST) {
		snprintf(err, errlen, "more than %d entries", CONFIG_MAX_LIST);
		return -EINVAL;
	}
	if ((c->smtpd_tags[c->n_smtpd_tags] = strdup(w)) == NULL)
		return -ENOMEM;
	c->n_smtpd_tags++;
	return 0;
}

static void clear_tags(struct config *c)
{
	for (size_t i = 0; i < c->n_smtpd_tags; i++)
		free(c->smtpd_tags[i]);
	c->n_smtpd_tags = 0;
}

struct config *config_new(void)
{
	struct config *c = calloc(1, sizeof(*c));
	char err[128];

	if (c == NULL)
		return NULL;
	if (set_string(&c->summary_log, "/var/log/mail.summary.log") < 0 ||
	    set_string(&c->state_dir, LOCALSTATEDIR "/lib/authfold") < 0 ||
	    set_string(&c->ipset4, "authfold4") < 0 || set_string(&c->ipset6, "authfold6") < 0)
		goto fail;
	c->summary_format = SUMMARY_AS_INPUT;
	c->backend = BACKEND_IPSET;
	c->maxretry = 2;
	c->findtime = 86400;
	c->bantime = 86400;
	c->bantime_factor = 2;
	c->bantime_max = 24 * 86400;
	c->ipv6_prefix = 64;
	c->reasons[REASON_NOAUTH] = c->reasons[REASON_SASLFAIL] = true;
	c->reasons_defined = UINT32_C(1) << REASON_NOAUTH | UINT32_C(1) << REASON_SASLFAIL;	/* issue 6 */
	c->session_idle = 3600;
	c->max_sessions = 65536;
	c->max_addresses = 65536;
	/* --- journal source (issue 5) --- */
	if (set_string(&c->journal_match, "SYSLOG_FACILITY=2") < 0 ||
	    (c->journal_trusted_comm[0] = strdup("smtpd")) == NULL)
		goto fail;
	c->n_journal_trusted_comm = 1;
	c->journal_checkpoint_entries = 10000;
	c->journal_poll_ms = 50;
	/* --- end journal source --- */
	if (set_string(&c->publish_socket, "/dev/log") < 0 || set_string(&c->publish_tag, "authfold") < 0)
		goto fail;
	c->publish_facility = LOG_AUTHPRIV;
	c->publish_alive = 60;
	if (each_word("127.0.0.0/8 ::1", add_ignoreip, c, err, sizeof(err)) < 0 ||
	    each_word("postfix/smtpd postfix/*/smtpd postfix-*/smtpd", add_tag, c, err, sizeof(err)) < 0)
		goto fail;
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
	free(c->ipset4);
	free(c->ipset6);
	clear_tags(c);
	rules_free(c->rules);	/* site rules (issue 6) */
	/* --- journal source (issue 5) --- */
	free(c->journal_match);
	for (size_t i = 0; i < c->n_journal_trusted_comm; i++)
		free(c->journal_trusted_comm[i]);
	/* --- end journal source --- */
	free(c->publish_socket);
	free(c->publish_tag);
	free(c->publish_host);
	for (size_t i = 0; i < c->n_enforce_from; i++)
		free(c->enforce_from[i]);
	free(c);
}

static int bad(char *err, size_t errlen, const char *key, const char *why, const char *value)
{
	snprintf(err, errlen, "key '%s': %s '%s'", key, why, value);
	return -EINVAL;
}

/* --- journal source (issue 5) ------------------------------------------- */
#define JOURNAL_MATCH_TERMS_MAX	64	/* as JOURNAL_MATCH_MAX in journal.h */

/* journal_match: "+" or FIELD=VALUE, FIELD of A-Z 0-9 _ not starting with
   a digit, as sd_journal_add_match() accepts. */
static int check_journal_match(const char *value, char *err, size_t errlen)
{
	char *copy = strdup(value), *save = NULL;
	int n = 0, r = 0;

	if (copy == NULL)
		return -ENOMEM;
	for (char *w = strtok_r(copy, " \t", &save); w && r == 0; w = strtok_r(NULL, " \t", &save)) {
		char *eq = strchr(w, '=');

		if (++n > JOURNAL_MATCH_TERMS_MAX)
			r = bad(err, errlen, "journal_match", "more than 64 terms in", value);
		else if (strcmp(w, "+") == 0)
			continue;
		else if (eq == NULL || eq == w || (*w >= '0' && *w <= '9') ||
			 strspn(w, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != (size_t) (eq - w) || eq - w > 64)
			r = bad(err, errlen, "journal_match", "expected FIELD=VALUE or '+', not", w);
	}
	free(copy);
	return r;
}

static int add_journal_comm(struct config *c, const char *w, char *err, size_t errlen)
{
	if (c->n_journal_trusted_comm >= CONFIG_MAX_LIST) {
		snprintf(err, errlen, "more than %d entries", CONFIG_MAX_LIST);
		return -EINVAL;
	}
	if (strlen(w) > 15) {
		snprintf(err, errlen, "'%s' is longer than _COMM can be (15 bytes)", w);
		return -EINVAL;
	}
	if ((c->journal_trusted_comm[c->n_journal_trusted_comm] = strdup(w)) == NULL)
		return -ENOMEM;
	c->n_journal_trusted_comm++;
	return 0;
}

static int set_journal(struct config *c, const char *key, const char *value, char *err, size_t errlen)
{
	char why[256];
	int r;

	if (strcmp(key, "journal_checkpoint_entries") == 0) {
		unsigned long long n;

		if (parse_uint(value, 10000000, &n) < 0 || n < 1)
			return bad(err, errlen, key, "expected a number from 1 to 10000000, not", value);
		c->journal_checkpoint_entries = (unsigned) n;
		return 0;
	}
	if (strcmp(key, "journal_poll_ms") == 0) {
		unsigned long long n;

		if (parse_uint(value, 1000, &n) < 0)
			return bad(err, errlen, key, "expected milliseconds from 0 to 1000, not", value);
		c->journal_poll_ms = (unsigned) n;
		return 0;
	}
	if (strcmp(key, "journal_match") == 0) {
		if ((r = check_journal_match(value, err, errlen)) < 0)
			return r;
		return set_string(&c->journal_match, value);
	}
	/* journal_trusted_comm */
	for (size_t i = 0; i < c->n_journal_trusted_comm; i++)
		free(c->journal_trusted_comm[i]);
	c->n_journal_trusted_comm = 0;
	if ((r = each_word(value, add_journal_comm, c, why, sizeof(why))) < 0)
		snprintf(err, errlen, "key '%s': %s", key, why);
	return r;
}
/* --- end journal source ---------------------------------------------------- */

/* --- site rules (issue 6) ------------------------------------------------
   fold = [TAG] /REGEX/[i], keep = ..., strike = REASON [TAG] /REGEX/[i] [keep|fold]:
   each line adds a rule (see rules(3)); its name is site:FILE:LINE. A
   strike rule defines its reason; one first defined after `reasons` was
   set could never strike, which is taken as a mistake in the file. */
static int set_rule(struct config *c, const char *key, const char *value, char *err, size_t errlen)
{
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
/* --- end site rules ------------------------------------------------------ */

static int set_duration(int64_t *slot, const char *key, const char *value, int64_t min, char *err, size_t errlen)
{
	int64_t s;

	if (parse_duration(value, &s) < 0)
		return bad(err, errlen, key, "not a duration (like 90s 10m 12h 1d 2w):", value);
	if (s < min)
		return bad(err, errlen, key, "too short:", value);
	*slot = s;
	return 0;
}

/* --- decisions ------------------------------------------------------- */
static const struct {
	const char *name;
	int facility;
} facilities[] = {
	{"kern", LOG_KERN}, {"user", LOG_USER}, {"mail", LOG_MAIL}, {"daemon", LOG_DAEMON},
	{"auth", LOG_AUTH}, {"syslog", LOG_SYSLOG}, {"authpriv", LOG_AUTHPRIV}, {"local0", LOG_LOCAL0},
	{"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2}, {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4},
	{"local5", LOG_LOCAL5}, {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7},
};

static int add_from(struct config *c, const char *w, char *err, size_t errlen)
{
	if (c->n_enforce_from >= CONFIG_MAX_LIST) {
		snprintf(err, errlen, "more than %d hosts", CONFIG_MAX_LIST);
		return -EINVAL;
	}
	if (!decision_by_ok(w, strlen(w))) {
		snprintf(err, errlen, "not a host name (1..253 of A-Z a-z 0-9 . _ -): '%s'", w);
		return -EINVAL;
	}
	if ((c->enforce_from[c->n_enforce_from] = strdup(w)) == NULL)
		return -ENOMEM;
	c->n_enforce_from++;
	return 0;
}

static int set_decisions(struct config *c, const char *key, const char *value, char *err, size_t errlen)
{
	char why[256];
	size_t len = strlen(value);
	int r;

	if (strcmp(key, "publish") == 0) {
		if (strcmp(value, "none") == 0)
			c->publish = PUBLISH_NONE;
		else if (strcmp(value, "syslog") == 0)
			c->publish = PUBLISH_SYSLOG;
		else
			return bad(err, errlen, key, "expected none or syslog, not", value);
		return 0;
	}
	if (strcmp(key, "publish_socket") == 0) {
		if (value[0] != '/' || len > 107)
			return bad(err, errlen, key, "not an absolute path of at most 107 bytes:", value);
		return set_string(&c->publish_socket, value);
	}
	if (strcmp(key, "publish_tag") == 0) {
		if (len == 0 || len > 32 || strspn(value, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") != len)
			return bad(err, errlen, key, "not a tag (1..32 of A-Z a-z 0-9 _ - .):", value);
		return set_string(&c->publish_tag, value);
	}
	if (strcmp(key, "publish_facility") == 0) {
		for (size_t i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
			if (strcmp(value, facilities[i].name) == 0) {
				c->publish_facility = facilities[i].facility;
				return 0;
			}
		return bad(err, errlen, key, "not a syslog facility (auth, authpriv, daemon, mail, local0..local7, ...):", value);
	}
	if (strcmp(key, "publish_alive") == 0) {
		int64_t t;

		if (strcmp(value, "0") == 0) {
			c->publish_alive = 0;
			return 0;
		}
		if (parse_duration(value, &t) < 0 || t < 1 || t > 86400)
			return bad(err, errlen, key, "expected 0 or a duration from 1s to 1d, not", value);
		c->publish_alive = t;
		return 0;
	}
	if (strcmp(key, "publish_host") == 0) {
		if (!decision_by_ok(value, len))
			return bad(err, errlen, key, "not a host name (1..253 of A-Z a-z 0-9 . _ -):", value);
		return set_string(&c->publish_host, value);
	}
	/* enforce_from */
	for (size_t i = 0; i < c->n_enforce_from; i++)
		free(c->enforce_from[i]);
	c->n_enforce_from = 0;
	if ((r = each_word(value, add_from, c, why, sizeof(why))) < 0)
		snprintf(err, errlen, "key '%s': %s", key, why);
	return r;
}
/* --- end decisions --- */

int config_set(struct config *c, const char *key, const char *value, char *err, size_t errlen)
{
	unsigned long long n;
	char why[256];
	int r;

	if (strcmp(key, "summary_log") == 0)
		return *value ? set_string(&c->summary_log, value) : bad(err, errlen, key, "empty:", value);
	if (strcmp(key, "events_log") == 0) {
		if (strcmp(value, "none") == 0 || *value == 0) {
			free(c->events_log);
			c->events_log = NULL;
			return 0;
		}
		return set_string(&c->events_log, value);
	}
	if (strcmp(key, "state_dir") == 0)
		return *value == '/' ? set_string(&c->state_dir, value) : bad(err, errlen, key, "not an absolute path:", value);
	if (strcmp(key, "summary_format") == 0) {
		if (strcmp(value, "input") == 0 || strcmp(value, "as-input") == 0)
			c->summary_format = SUMMARY_AS_INPUT;
		else if (strcmp(value, "rfc3339") == 0)
			c->summary_format = SUMMARY_RFC3339;
		else if (strcmp(value, "traditional") == 0)
			c->summary_format = SUMMARY_TRADITIONAL;
		else
			return bad(err, errlen, key, "expected input, rfc3339 or traditional, not", value);
		return 0;
	}
	if (strcmp(key, "backend") == 0) {
		if (strcmp(value, "ipset") == 0)
			c->backend = BACKEND_IPSET;
		else if (strcmp(value, "none") == 0)
			c->backend = BACKEND_NONE;
		else
			return bad(err, errlen, key, "expected ipset or none, not", value);
		return 0;
	}
	if (strcmp(key, "ipset4") == 0 || strcmp(key, "ipset6") == 0) {
		size_t len = strlen(value);

		if (len == 0 || len > 31 || strspn(value, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") != len)
			return bad(err, errlen, key, "not a set name (1..31 of A-Z a-z 0-9 _ - .):", value);
		return set_string(key[5] == '4' ? &c->ipset4 : &c->ipset6, value);
	}
	if (strcmp(key, "maxretry") == 0) {
		if (parse_uint(value, 64, &n) < 0 || n < 1)
			return bad(err, errlen, key, "expected a number from 1 to 64, not", value);
		c->maxretry = (unsigned) n;
		return 0;
	}
	if (strcmp(key, "findtime") == 0)
		return set_duration(&c->findtime, key, value, 1, err, errlen);
	if (strcmp(key, "bantime") == 0)
		return set_duration(&c->bantime, key, value, 1, err, errlen);
	if (strcmp(key, "bantime_max") == 0) {
		if ((r = set_duration(&c->bantime_max, key, value, 1, err, errlen)) < 0)
			return r;
		if (c->bantime_max > IPSET_TIMEOUT_MAX)
			return bad(err, errlen, key, "longer than ipset's limit of 2147483s (24d20h31m23s):", value);
		return 0;
	}
	if (strcmp(key, "bantime_factor") == 0) {
		char *end;
		double f;

		errno = 0;
		f = strtod(value, &end);
		if (errno || end == value || *end || !(f >= 1 && f <= 1000))
			return bad(err, errlen, key, "expected a number from 1 to 1000, not", value);
		c->bantime_factor = f;
		return 0;
	}
	if (strcmp(key, "ignoreip") == 0) {
		c->n_ignoreip = 0;
		if ((r = each_word(value, add_ignoreip, c, why, sizeof(why))) < 0)
			snprintf(err, errlen, "key '%s': %s", key, why);
		return r;
	}
	if (strcmp(key, "ipv6_prefix") == 0) {
		if (parse_uint(value, 128, &n) < 0 || n < 16)
			return bad(err, errlen, key, "expected a prefix length from 16 to 128, not", value);
		c->ipv6_prefix = (unsigned) n;
		return 0;
	}
	if (strcmp(key, "reasons") == 0) {
		c->reasons_given = true;	/* site rules (issue 6) */
		for (int i = 0; i < REASON_COUNT; i++)
			c->reasons[i] = false;
		if ((r = each_word(value, add_reason, c, why, sizeof(why))) < 0)
			snprintf(err, errlen, "key '%s': %s", key, why);
		return r;
	}
	if (strcmp(key, "session_idle") == 0)
		return set_duration(&c->session_idle, key, value, 1, err, errlen);
	if (strcmp(key, "max_sessions") == 0 || strcmp(key, "max_addresses") == 0) {
		if (parse_uint(value, 16777216, &n) < 0 || n < 16)
			return bad(err, errlen, key, "expected a number from 16 to 16777216, not", value);
		*(key[4] == 's' ? &c->max_sessions : &c->max_addresses) = (size_t) n;
		return 0;
	}
	if (strcmp(key, "smtpd_tags") == 0) {
		clear_tags(c);
		if ((r = each_word(value, add_tag, c, why, sizeof(why))) < 0)
			snprintf(err, errlen, "key '%s': %s", key, why);
		if (r == 0 && c->n_smtpd_tags == 0)
			return bad(err, errlen, key, "needs at least one tag:", value);
		return r;
	}
	/* --- site rules (issue 6) --- */
	if (strcmp(key, "fold") == 0 || strcmp(key, "keep") == 0 || strcmp(key, "strike") == 0)
		return set_rule(c, key, value, err, errlen);
	/* --- journal source (issue 5) --- */
	if (strncmp(key, "journal_", 8) == 0 && (strcmp(key + 8, "match") == 0 || strcmp(key + 8, "trusted_comm") == 0 ||
						  strcmp(key + 8, "checkpoint_entries") == 0 || strcmp(key + 8, "poll_ms") == 0))
		return set_journal(c, key, value, err, errlen);
	/* --- end journal source --- */
	if (strcmp(key, "publish") == 0 || strcmp(key, "publish_socket") == 0 || strcmp(key, "publish_tag") == 0 ||
	    strcmp(key, "publish_facility") == 0 || strcmp(key, "publish_host") == 0 || strcmp(key, "enforce_from") == 0 ||
	    strcmp(key, "publish_alive") == 0)
		return set_decisions(c, key, value, err, errlen);
	snprintf(err, errlen, "unknown key '%s'", key);
	return -EINVAL;
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
	FILE *fp = fopen(path, "re");
	char buf[4098], why[512];
	unsigned lineno = 0;
	int r = 0;

	if (fp == NULL) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return r;
	}
	while (fgets(buf, sizeof(buf), fp)) {
		lineno++;
		if (strlen(buf) == sizeof(buf) - 1 && buf[sizeof(buf) - 2] != '\n') {
			snprintf(err, errlen, "%s:%u: line longer than 4096 bytes", path, lineno);
			r = -EINVAL;
			break;
		}
		char *line = trim(buf);

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

		c->load_file = path;	/* site rules (issue 6): site:FILE:LINE */
		c->load_line = lineno;
		r = config_set(c, key, value, why, sizeof(why));
		c->load_file = NULL;
		if (r < 0) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno, why);
			break;
		}
	}
	if (r == 0 && ferror(fp)) {
		r = -EIO;
		snprintf(err, errlen, "%s: read error", path);
	}
	fclose(fp);
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
	if (r == 0 || (r == -ENOENT && path == NULL))
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

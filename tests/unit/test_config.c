/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_config - config_set(), config_load(), parse_duration().
 *
 * Tables: every key with values it must take and values it must refuse;
 * a refusal names the key. config_load() errors name FILE:LINE.
 */

#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

static void test_defaults(void **state)
{
	(void) state;
	struct config *c = config_new();
	struct addr a;

	assert_non_null(c);
	assert_string_equal(c->summary_log, "/var/log/mail.summary.log");
	assert_null(c->events_log);
	assert_int_equal(c->summary_format, SUMMARY_AS_INPUT);
	assert_int_equal(c->backend, BACKEND_IPSET);
	assert_string_equal(c->ipset4, "authfold4");
	assert_string_equal(c->ipset6, "authfold6");
	assert_string_equal(c->nft_table, "authfold");
	assert_int_equal(c->nft_priority, -10);
	assert_int_equal(c->n_nft_ports, 3);
	assert_int_equal(c->nft_ports[0], 25);
	assert_int_equal(c->nft_ports[1], 465);
	assert_int_equal(c->nft_ports[2], 587);
	assert_int_equal(c->maxretry, 2);
	assert_int_equal(c->findtime, 86400);
	assert_int_equal(c->bantime, 86400);
	assert_true(c->bantime_factor == 2.0);
	assert_int_equal(c->bantime_max, 24 * 86400);
	assert_int_equal(c->ipv6_prefix, 64);
	assert_int_equal(c->journal_poll_ms, 50);
	assert_null(c->metrics_file);
	assert_int_equal(c->metrics_interval, 5);
	assert_true(c->reasons[REASON_NOAUTH] && c->reasons[REASON_SASLFAIL]);
	assert_int_equal(c->session_idle, 3600);
	assert_int_equal(c->max_sessions, 65536);
	assert_int_equal(c->n_ignoreip, 2);
	addr_parse("127.1.2.3", 9, &a);
	assert_true(config_ignored(c, &a));
	addr_parse("::1", 3, &a);
	assert_true(config_ignored(c, &a));
	addr_parse("192.0.2.1", 9, &a);
	assert_false(config_ignored(c, &a));
	assert_true(config_smtpd_tag(c, "postfix/smtpd", 13));
	assert_true(config_smtpd_tag(c, "postfix/submission/smtpd", 24));
	assert_true(config_smtpd_tag(c, "postfix-out/smtpd", 17));
	assert_false(config_smtpd_tag(c, "postfix/smtp", 12));
	assert_false(config_smtpd_tag(c, "postfix/a/b/smtpd", 17));
	assert_false(config_smtpd_tag(c, "postfix/smtpd ", 14));
	assert_false(config_smtpd_tag(c, "postfix/smtpdx", 14));
	config_free(c);
	config_free(NULL);
}

static void test_duration(void **state)
{
	(void) state;
	static const struct {
		const char *text;
		int ret;
		int64_t seconds;
	} rows[] = {
		{"90", 0, 90}, {"90s", 0, 90}, {"10m", 0, 600}, {"12h", 0, 43200}, {"1d", 0, 86400},
		{"2w", 0, 1209600}, {"1d12h", 0, 129600}, {"1h30m15s", 0, 5415}, {"0", 0, 0}, {"0s", 0, 0},
		{"", -EINVAL, 0}, {"s", -EINVAL, 0}, {"1x", -EINVAL, 0}, {"1 d", -EINVAL, 0}, {" 1d", -EINVAL, 0},
		{"1d ", -EINVAL, 0}, {"-1", -EINVAL, 0}, {"1.5h", -EINVAL, 0}, {"1d12", -EINVAL, 0},
		{"1D", -EINVAL, 0}, {"1dd", -EINVAL, 0},
		{"99999999999999999999", -ERANGE, 0}, {"999999999999w", -ERANGE, 0},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int64_t s = -42;
		int r = parse_duration(rows[i].text, &s);

		print_message("duration '%s'\n", rows[i].text);
		assert_int_equal(r, rows[i].ret);
		assert_true(s == (r == 0 ? rows[i].seconds : -42));	/* written only on success */
	}

	static const struct {
		int64_t seconds;
		const char *text;
	} fmt[] = {
		{0, "0s"}, {-5, "0s"}, {59, "59s"}, {60, "1m"}, {86400, "1d"}, {90061, "1d1h1m1s"},
		{1209600, "2w"}, {2147483, "3w3d20h31m23s"},
	};

	for (size_t i = 0; i < sizeof(fmt) / sizeof(fmt[0]); i++) {
		char buf[64];

		format_duration(fmt[i].seconds, buf, sizeof(buf));
		assert_string_equal(buf, fmt[i].text);
	}
	char tiny[4];

	format_duration(90061, tiny, sizeof(tiny));	/* truncated, still terminated */
	assert_true(memchr(tiny, 0, sizeof(tiny)) != NULL);
}

struct kv {
	const char *key, *value;
};

static void test_valid(void **state)
{
	(void) state;
	static const struct kv rows[] = {
		{"summary_log", "/tmp/x.log"}, {"summary_format", "input"}, {"summary_format", "as-input"},
		{"summary_format", "rfc3339"}, {"summary_format", "traditional"},
		{"events_log", "/var/log/authfold.events"}, {"events_log", "none"}, {"events_log", ""},
		{"state_dir", "/var/lib/x"}, {"backend", "ipset"}, {"backend", "none"}, {"backend", "nft"},
		{"nft_table", "authfold"}, {"nft_table", "mail_bans.v2"}, {"nft_table", "A"},
		{"nft_table", "a234567890123456789012345678901234567890123456789012345678901234"},
		{"nft_priority", "-10"}, {"nft_priority", "0"}, {"nft_priority", "-1000"}, {"nft_priority", "1000"},
		{"nft_ports", "25"}, {"nft_ports", "25 465 587"}, {"nft_ports", "25,2525"}, {"nft_ports", "1 65535"},
		{"nft_ports", "all"},
		{"ipset4", "a"}, {"ipset4", "Set_4-x.y"}, {"ipset6", "abcdefghijklmnopqrstuvwxyz01234"},
		{"maxretry", "1"}, {"maxretry", "64"}, {"findtime", "1s"}, {"findtime", "2w"},
		{"bantime", "90s"}, {"bantime_max", "2147483s"}, {"bantime_max", "24d"},
		{"bantime_factor", "1"}, {"bantime_factor", "1.5"}, {"bantime_factor", "1000"},
		{"ignoreip", ""}, {"ignoreip", "192.0.2.0/24"}, {"ignoreip", "192.0.2.1,2001:db8::/32 ::1"},
		{"ipv6_prefix", "16"}, {"ipv6_prefix", "64"}, {"ipv6_prefix", "128"},
		{"reasons", "noauth"}, {"reasons", "saslfail"}, {"reasons", "noauth saslfail"},
		{"reasons", "noauth,saslfail"}, {"reasons", ""},
		{"session_idle", "1h"}, {"max_sessions", "16"}, {"max_sessions", "16777216"},
		{"max_addresses", "16"}, {"smtpd_tags", "postfix/smtpd"},
		{"smtpd_tags", "postfix/smtpd postfix-*/smtpd"},
		{"journal_poll_ms", "0"}, {"journal_poll_ms", "50"}, {"journal_poll_ms", "1000"},
		{"metrics_file", "/var/lib/prometheus/node-exporter/authfold.prom"}, {"metrics_file", "none"},
		{"metrics_file", ""}, {"metrics_interval", "1s"}, {"metrics_interval", "5"}, {"metrics_interval", "1h"},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct config *c = config_new();
		char err[256] = "";

		print_message("%s = '%s'\n", rows[i].key, rows[i].value);
		if (config_set(c, rows[i].key, rows[i].value, err, sizeof(err)) != 0)
			fail_msg("%s = '%s': %s", rows[i].key, rows[i].value, err);
		config_free(c);
	}

	/* values land where they belong */
	struct config *c = config_new();
	char err[256];

	assert_int_equal(config_set(c, "maxretry", "5", err, sizeof(err)), 0);
	assert_int_equal(c->maxretry, 5);
	assert_int_equal(config_set(c, "findtime", "1d12h", err, sizeof(err)), 0);
	assert_int_equal(c->findtime, 129600);
	assert_int_equal(config_set(c, "max_sessions", "100", err, sizeof(err)), 0);
	assert_int_equal(config_set(c, "max_addresses", "200", err, sizeof(err)), 0);
	assert_int_equal(c->max_sessions, 100);
	assert_int_equal(c->max_addresses, 200);
	assert_int_equal(config_set(c, "ipset6", "six", err, sizeof(err)), 0);
	assert_string_equal(c->ipset6, "six");
	assert_string_equal(c->ipset4, "authfold4");
	assert_int_equal(config_set(c, "reasons", "saslfail", err, sizeof(err)), 0);
	assert_false(c->reasons[REASON_NOAUTH]);
	assert_true(c->reasons[REASON_SASLFAIL]);
	assert_int_equal(config_set(c, "ignoreip", "10.0.0.0/8", err, sizeof(err)), 0);
	assert_int_equal(c->n_ignoreip, 1);	/* replaces, does not append */
	assert_int_equal(config_set(c, "smtpd_tags", "a b c", err, sizeof(err)), 0);
	assert_int_equal(c->n_smtpd_tags, 3);
	assert_int_equal(config_set(c, "events_log", "/x", err, sizeof(err)), 0);
	assert_int_equal(config_set(c, "events_log", "none", err, sizeof(err)), 0);
	assert_null(c->events_log);
	assert_int_equal(config_set(c, "backend", "nft", err, sizeof(err)), 0);
	assert_int_equal(c->backend, BACKEND_NFT);
	assert_int_equal(config_set(c, "nft_ports", "2525, 25", err, sizeof(err)), 0);
	assert_int_equal(c->n_nft_ports, 2);
	assert_int_equal(c->nft_ports[0], 2525);
	assert_int_equal(c->nft_ports[1], 25);
	assert_int_equal(config_set(c, "nft_ports", "25 bogus", err, sizeof(err)), -EINVAL);
	assert_int_equal(c->n_nft_ports, 2);	/* a bad value leaves the key as it was */
	assert_int_equal(config_set(c, "nft_ports", "all", err, sizeof(err)), 0);
	assert_int_equal(c->n_nft_ports, 0);
	assert_int_equal(config_set(c, "nft_priority", "-150", err, sizeof(err)), 0);
	assert_int_equal(c->nft_priority, -150);
	assert_int_equal(config_set(c, "nft_table", "mail", err, sizeof(err)), 0);
	assert_string_equal(c->nft_table, "mail");
	config_free(c);
}

static void test_invalid(void **state)
{
	(void) state;
	static const struct kv rows[] = {
		{"summary_log", ""}, {"summary_format", "json"}, {"summary_format", ""},
		{"state_dir", "relative/dir"}, {"state_dir", ""},
		{"backend", "iptables"}, {"backend", ""}, {"backend", "IPSET"}, {"backend", "nftables"},
		{"nft_table", ""}, {"nft_table", "1abc"}, {"nft_table", "a b"}, {"nft_table", "a-b"}, {"nft_table", "a;b"},
		{"nft_table", "a2345678901234567890123456789012345678901234567890123456789012345"},
		{"nft_priority", ""}, {"nft_priority", "filter"}, {"nft_priority", "-1001"}, {"nft_priority", "1001"},
		{"nft_priority", "1x"}, {"nft_priority", "99999999999999999999"},
		{"nft_ports", ""}, {"nft_ports", "0"}, {"nft_ports", "65536"}, {"nft_ports", "smtp"},
		{"nft_ports", "25 25"}, {"nft_ports", "25 all"}, {"nft_ports", "-25"}, {"nft_ports", " , "},
		{"ipset4", ""}, {"ipset4", "abcdefghijklmnopqrstuvwxyz012345"}, {"ipset4", "a b"}, {"ipset6", "a;b"},
		{"maxretry", "0"}, {"maxretry", "65"}, {"maxretry", "-1"}, {"maxretry", "2x"}, {"maxretry", ""},
		{"maxretry", " 2"}, {"maxretry", "99999999999999999999999"},
		{"findtime", "0"}, {"findtime", "1y"}, {"findtime", ""}, {"bantime", "0s"}, {"bantime", "soon"},
		{"bantime_max", "25d"}, {"bantime_max", "2147484s"}, {"bantime_max", "0"},
		{"bantime_factor", "0.5"}, {"bantime_factor", "1001"}, {"bantime_factor", "x"}, {"bantime_factor", ""},
		{"bantime_factor", "nan"}, {"bantime_factor", "inf"}, {"bantime_factor", "2x"},
		{"ignoreip", "192.0.2.0/33"}, {"ignoreip", "example.org"}, {"ignoreip", "192.0.2.1 bogus"},
		{"ignoreip", "2001:db8::/129"}, {"ignoreip", "192.0.2.0/"}, {"ignoreip", "192.0.2.0/-1"},
		{"ipv6_prefix", "15"}, {"ipv6_prefix", "129"}, {"ipv6_prefix", "x"},
		{"reasons", "bruteforce"}, {"reasons", "noauth bogus"},
		{"session_idle", "0"}, {"session_idle", "x"},
		{"max_sessions", "15"}, {"max_sessions", "16777217"}, {"max_sessions", "x"},
		{"max_addresses", "0"},
		{"journal_poll_ms", "1001"}, {"journal_poll_ms", "-1"}, {"journal_poll_ms", "50ms"}, {"journal_poll_ms", ""},
		{"metrics_file", "authfold.prom"}, {"metrics_interval", "0"}, {"metrics_interval", "61m"},
		{"metrics_interval", "x"}, {"metrics_interval", ""},
		{"smtpd_tags", ""}, {"smtpd_tags", " , "},
		{"no_such_key", "1"}, {"", "1"}, {"MaxRetry", "2"},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct config *c = config_new();
		char err[256] = "";

		print_message("%s = '%s'\n", rows[i].key, rows[i].value);
		assert_int_equal(config_set(c, rows[i].key, rows[i].value, err, sizeof(err)), -EINVAL);
		/* the message names the key */
		char want[128];

		snprintf(want, sizeof(want), "'%s'", rows[i].key);
		if (strstr(err, want) == NULL)
			fail_msg("%s = '%s': message '%s' does not name the key", rows[i].key, rows[i].value, err);
		config_free(c);
	}
}

/* Writes text to a temp file; returns its path (static buffer). */
static const char *temp_file(const char *text)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/test_config.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
	close(fd);
	return path;
}

static void test_load(void **state)
{
	(void) state;
	static const struct {
		const char *text;
		int ret;
		const char *err;	/* after "PATH:" */
	} rows[] = {
		{"", 0, NULL},
		{"# comment\n\n   # indented comment\nmaxretry = 3\n", 0, NULL},
		{"maxretry=3\r\nfindtime\t=\t1h  \n", 0, NULL},
		{"maxretry = 3", 0, NULL},	/* no final newline */
		{"maxretry = 3\nbogus = 1\n", -EINVAL, "2: unknown key 'bogus'"},
		{"\n\n\nmaxretry = 0\n", -EINVAL, "4: key 'maxretry'"},
		{"maxretry 3\n", -EINVAL, "1: expected 'key = value'"},
		{"# ok\nbantime = forever\n", -EINVAL, "2: key 'bantime'"},
		{"ignoreip = 192.0.2.1 nonsense\n", -EINVAL, "1: key 'ignoreip'"},
		{"reasons = noauth, typo\n", -EINVAL, "1: key 'reasons'"},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *path = temp_file(rows[i].text);
		struct config *c = config_new();
		char err[512] = "", want[600];
		int r = config_load(c, path, err, sizeof(err));

		print_message("file %zu: ret %d err '%s'\n", i, r, err);
		assert_int_equal(r, rows[i].ret);
		if (rows[i].err) {
			snprintf(want, sizeof(want), "%s:%s", path, rows[i].err);
			if (strncmp(err, want, strlen(want)) != 0)
				fail_msg("got '%s', want '%s...'", err, want);
		} else {
			assert_int_equal(c->maxretry, strlen(rows[i].text) ? 3 : 2);
		}
		unlink(path);
		config_free(c);
	}

	/* a line over 4096 bytes is an error, not a truncation */
	size_t n = 5000;
	char *big = malloc(n + 32);

	strcpy(big, "summary_log = /");
	memset(big + strlen(big), 'a', n);
	big[n] = 0;
	strcat(big, "\n");
	const char *path = temp_file(big);
	struct config *c = config_new();
	char err[512];
	char want[600];

	assert_int_equal(config_load(c, path, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:1: line longer than 4096 bytes", path);
	assert_string_equal(err, want);
	unlink(path);
	free(big);
	config_free(c);

	/* a missing file */
	c = config_new();
	assert_int_equal(config_load(c, "/nonexistent/authfold.conf", err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/authfold.conf"));
	config_free(c);
}

/* Writes n bytes to a temp file; returns its path (static buffer). */
static const char *temp_bytes(const void *p, size_t n)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/test_config.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, n), (ssize_t) n);
	close(fd);
	return path;
}

#define BYTES(s)	s, sizeof(s) - 1

/* What a careless admin can point -c at: refused with the reason, at once. */
static void test_hostile_files(void **state)
{
	(void) state;
	static const struct {
		const char *text;
		size_t len;
		const char *err;	/* after "PATH" */
	} rows[] = {
		{BYTES("maxretry = 3\0junk\n"), ":1: NUL byte in the line"},
		{BYTES("# ok\n\0"), ":2: NUL byte in the line"},
		{BYTES("ipset4 = same\nmaxretry = 3\nipset6 = same\n"), ":3: ipset4 and ipset6 are both 'same'"},
		{BYTES("ipset6 = authfold4\n"), ":1: ipset4 and ipset6 are both 'authfold4'"},
		{BYTES("events_log = /tmp/x.log\nsummary_log = /tmp/x.log\n"), ":2: summary_log and events_log are both"},
		{BYTES("state_dir = /tmp/st\nsummary_log = /tmp/st/omprog.state\n"), ":2: summary_log '/tmp/st/omprog.state' is inside state_dir"},
		{BYTES("events_log = /tmp/st/x\nstate_dir = /tmp/st/\n"), ":2: events_log '/tmp/st/x' is inside state_dir"},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *path = temp_bytes(rows[i].text, rows[i].len);
		struct config *c = config_new();
		char err[512] = "", want[600];

		assert_int_equal(config_load(c, path, err, sizeof(err)), -EINVAL);
		snprintf(want, sizeof(want), "%s%s", path, rows[i].err);
		if (strncmp(err, want, strlen(want)) != 0)
			fail_msg("row %zu: got '%s', want '%s...'", i, err, want);
		unlink(path);
		config_free(c);
	}

	/* NUL then padding past the old 4096-byte buffer: not a new line */
	char big[8200];
	size_t n = (size_t) snprintf(big, sizeof(big), "maxretry = 3");

	memset(big + n, 0, 1);
	memset(big + n + 1, ' ', 4200);
	memcpy(big + n + 4201, "bogus\n", 6);
	const char *path = temp_bytes(big, n + 4207);
	struct config *c = config_new();
	char err[512];

	assert_int_equal(config_load(c, path, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, ":1: "));
	unlink(path);

	/* not regular files: refused before reading, without blocking */
	static const struct {
		const char *path;
		int ret;
		const char *why;
	} odd[] = {
		{"/dev/zero", -EINVAL, "not a regular file"},
		{"/dev/urandom", -EINVAL, "not a regular file"},
		{"/tmp", -EISDIR, "is a directory"},
	};

	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		assert_int_equal(config_load(c, odd[i].path, err, sizeof(err)), odd[i].ret);
		if (strstr(err, odd[i].why) == NULL || strncmp(err, odd[i].path, strlen(odd[i].path)) != 0)
			fail_msg("%s: '%s'", odd[i].path, err);
	}
	/* /dev/null: an empty configuration, the built-in defaults */
	assert_int_equal(config_load(c, "/dev/null", err, sizeof(err)), 0);
	char fifo[64];

	snprintf(fifo, sizeof(fifo), "/tmp/test_config.fifo.%ld", (long) getpid());
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(config_load(c, fifo, err, sizeof(err)), -EINVAL);	/* no writer: would block */
	assert_non_null(strstr(err, "not a regular file"));
	unlink(fifo);

	/* larger than CONFIG_FILE_MAX: refused, even of valid comment lines */
	char *huge = malloc(CONFIG_FILE_MAX + 2);

	memset(huge, '#', CONFIG_FILE_MAX + 1);
	for (size_t j = 80; j < CONFIG_FILE_MAX + 1; j += 80)
		huge[j] = '\n';
	path = temp_bytes(huge, CONFIG_FILE_MAX + 1);
	assert_int_equal(config_load(c, path, err, sizeof(err)), -EFBIG);
	assert_non_null(strstr(err, "larger than"));
	unlink(path);
	path = temp_bytes(huge, CONFIG_FILE_MAX);	/* exactly the limit: fine */
	assert_int_equal(config_load(c, path, err, sizeof(err)), 0);
	unlink(path);
	free(huge);
	config_free(c);
}

/* The default file: every key, and each line read back gives the default. */
static void test_print_defaults(void **state)
{
	(void) state;
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);
	struct config *c = config_new();
	char err[512];
	unsigned keys = 0;

	config_print_defaults(fp);
	fclose(fp);
	/* uncommenting every "#key = value" line gives the built-in defaults */
	for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *eq = strstr(l, " = ");

		if (l[0] != '#' || l[1] == ' ' || eq == NULL)
			continue;
		*eq = 0;
		keys++;
		if (config_set(c, l + 1, eq + 3, err, sizeof(err)) < 0)
			fail_msg("default line '%s = %s': %s", l + 1, eq + 3, err);
	}
	assert_true(keys >= 23);
	struct config *d = config_new();

	assert_string_equal(c->summary_log, d->summary_log);
	assert_string_equal(c->state_dir, d->state_dir);
	assert_null(c->events_log);
	assert_int_equal(c->maxretry, d->maxretry);
	assert_int_equal(c->bantime_max, d->bantime_max);
	assert_int_equal(c->n_ignoreip, d->n_ignoreip);
	assert_int_equal(c->n_smtpd_tags, d->n_smtpd_tags);
	assert_int_equal(c->max_addresses, d->max_addresses);
	assert_int_equal(c->journal_poll_ms, d->journal_poll_ms);
	assert_int_equal(config_check(c, err, sizeof(err)), 0);
	free(text);
	config_free(c);
	config_free(d);
}

/* List lengths are bounded: more than CONFIG_MAX_LIST entries is an error. */
static void test_list_limits(void **state)
{
	(void) state;
	char *v = malloc(CONFIG_MAX_LIST * 20 + 64);
	size_t n = 0;
	struct config *c = config_new();
	char err[256];

	v[0] = 0;
	for (int i = 0; i <= CONFIG_MAX_LIST; i++)
		n += (size_t) sprintf(v + n, "10.%d.%d.0/24 ", i / 256, i % 256);
	assert_int_equal(config_set(c, "ignoreip", v, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "'ignoreip'"));

	n = 0;
	for (int i = 0; i <= CONFIG_MAX_LIST; i++)
		n += (size_t) sprintf(v + n, "t%d ", i);
	assert_int_equal(config_set(c, "smtpd_tags", v, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "'smtpd_tags'"));

	n = 0;
	for (int i = 0; i <= CONFIG_MAX_LIST; i++)
		n += (size_t) sprintf(v + n, "%d ", 1000 + i);
	assert_int_equal(config_set(c, "nft_ports", v, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "'nft_ports'"));
	assert_int_equal(c->n_nft_ports, 3);
	free(v);
	config_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_list_limits),
		cmocka_unit_test(test_hostile_files),
		cmocka_unit_test(test_print_defaults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_events - json_string(), events_strike(), events_ban(), events_unban().
 *
 * Tables: bytes in, the JSON text out. Then random bytes: whatever a
 * client put in the log, each result must be valid JSON, checked by a
 * strict validator here and, when python3 is installed, by json.loads.
 */

#include "events.h"
#include "json.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

static char path[64];

/* Runs fn on a fresh output, returns what it wrote (malloc'ed, NUL-terminated). */
static char *capture(int (*fn)(struct output *, const void *), const void *arg, size_t *ret_len)
{
	struct output *o;
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "/tmp/test_events.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(output_open(path, &o), 0);
	assert_int_equal(fn(o, arg), 0);
	assert_int_equal(output_flush(o), 0);
	output_free(o);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	char *buf = malloc((size_t) st.st_size + 1);

	assert_int_equal(read(fd, buf, (size_t) st.st_size), st.st_size);
	buf[st.st_size] = 0;
	close(fd);
	unlink(path);
	if (ret_len)
		*ret_len = (size_t) st.st_size;
	return buf;
}

struct bytes {
	const char *p;
	size_t n;
};

static int write_string(struct output *o, const void *arg)
{
	const struct bytes *b = arg;

	return json_string(o, b->p, b->n);
}

/* Strict RFC 8259 string: returns the length of the string at p, or 0. */
static size_t json_string_valid(const unsigned char *p, size_t n)
{
	size_t i = 1;

	if (n < 2 || p[0] != '"')
		return 0;
	while (i < n) {
		unsigned char c = p[i];

		if (c == '"')
			return i + 1;
		if (c < 0x20)
			return 0;
		if (c == '\\') {
			if (i + 1 >= n)
				return 0;
			c = p[i + 1];
			if (strchr("\"\\/bfnrt", c) && c) {
				i += 2;
				continue;
			}
			if (c != 'u' || i + 6 > n)
				return 0;
			for (int k = 2; k < 6; k++)
				if (!strchr("0123456789abcdefABCDEF", p[i + k]) || !p[i + k])
					return 0;
			i += 6;
			continue;
		}
		if (c < 0x80) {
			i++;
			continue;
		}
		/* UTF-8: shortest form, no surrogates, <= U+10FFFF */
		size_t len;
		unsigned cp;

		if (c >= 0xc2 && c <= 0xdf)
			len = 2, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			len = 3, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			len = 4, cp = c & 0x07;
		else
			return 0;
		if (i + len > n)
			return 0;
		for (size_t k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
			return 0;
		i += len;
	}
	return 0;
}

static void test_escapes(void **state)
{
	(void) state;
	static const struct {
		const char *in;
		size_t n;
		const char *out;
	} rows[] = {
#define R(in, out) {in, sizeof(in) - 1, out}
		R("", "\"\""),
		R("unknown[192.0.2.7]", "\"unknown[192.0.2.7]\""),
		R("a\"b", "\"a\\\"b\""),
		R("a\\b", "\"a\\\\b\""),
		R("\"connect from unknown[192.0.2.99]\"@x", "\"\\\"connect from unknown[192.0.2.99]\\\"@x\""),
		R("tab\there", "\"tab\\u0009here\""),
		R("nl\ncr\r", "\"nl\\u000acr\\u000d\""),
		R("nul\0x", "\"nul\\u0000x\""),
		R("\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\""),
		R("/", "\"/\""),
		/* valid UTF-8 is kept */
		R("caf\xc3\xa9", "\"caf\xc3\xa9\""),
		R("\xe2\x82\xac", "\"\xe2\x82\xac\""),
		R("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\""),
		R("\xef\xbf\xbf", "\"\xef\xbf\xbf\""),
		/* invalid UTF-8: each byte escaped */
		R("\xff", "\"\\u00ff\""),
		R("\xc3", "\"\\u00c3\""),				/* truncated at the end */
		R("\xc3(", "\"\\u00c3(\""),
		R("\xc0\xaf", "\"\\u00c0\\u00af\""),			/* overlong '/' */
		R("\xe0\x80\xaf", "\"\\u00e0\\u0080\\u00af\""),	/* overlong */
		R("\xed\xa0\x80", "\"\\u00ed\\u00a0\\u0080\""),	/* surrogate */
		R("\xf4\x90\x80\x80", "\"\\u00f4\\u0090\\u0080\\u0080\""),	/* > U+10FFFF */
		R("\xf5\x80\x80\x80", "\"\\u00f5\\u0080\\u0080\\u0080\""),
		R("\x80", "\"\\u0080\""),
		R("a\xe2\x82", "\"a\\u00e2\\u0082\""),		/* truncated 3-byte */
		R("\xe2\x82\"", "\"\\u00e2\\u0082\\\"\""),
#undef R
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct bytes b = {rows[i].in, rows[i].n};
		size_t len;
		char *out = capture(write_string, &b, &len);

		print_message("row %zu: %s\n", i, out);
		assert_int_equal(len, strlen(rows[i].out));
		assert_memory_equal(out, rows[i].out, len);
		assert_int_equal(json_string_valid((unsigned char *) out, len), len);
		free(out);
	}
}

/* Lines for python3's json.loads, when it is there. */
static FILE *py;

static void py_open(void)
{
	if (access("/usr/bin/python3", X_OK) != 0)
		return;
	py = popen("/usr/bin/python3 -c '"
		   "import json, sys\n"
		   "n = 0\n"
		   "for line in sys.stdin.buffer:\n"
		   "    json.loads(line.rstrip(b\"\\n\").decode(\"utf-8\", \"strict\"))\n"
		   "    n += 1\n"
		   "print(\"python3 json.loads:\", n, \"lines ok\")\n"
		   "'", "w");
}

static void py_line(const char *p, size_t n)
{
	if (py) {
		fwrite(p, 1, n, py);
		if (n == 0 || p[n - 1] != '\n')
			fputc('\n', py);
	}
}

static void py_close(void)
{
	if (py) {
		int status = pclose(py);

		py = NULL;
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
}

static void test_random_bytes(void **state)
{
	(void) state;
	uint64_t seed = 0x2545f4914f6cdd1dull;
	unsigned char in[64];

	py_open();
	for (int k = 0; k < 2000; k++) {
		size_t n = (size_t) (seed % sizeof(in));

		for (size_t i = 0; i < n; i++) {
			seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
			/* bias to interesting bytes */
			unsigned v = (unsigned) (seed >> 32);
			static const unsigned char special[] = "\"\\\xc3\xe2\xf0\xed\xf4";

			switch (v & 3) {
			case 0: in[i] = (unsigned char) (0x80 + (v >> 8) % 0x80); break;
			case 1: in[i] = (unsigned char) ((v >> 8) % 0x20); break;
			case 2: in[i] = special[(v >> 8) % 7]; break;
			default: in[i] = (unsigned char) (v >> 8); break;
			}
		}
		seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
		struct bytes b = {(const char *) in, n};
		size_t len;
		char *out = capture(write_string, &b, &len);

		assert_int_equal(json_string_valid((unsigned char *) out, len), len);
		py_line(out, len);
		free(out);
	}
	py_close();
}

struct strike_arg {
	const char *line;
	const char *client;
	enum reason reason;
	const char *rule;
};

static int write_strike(struct output *o, const void *arg)
{
	const struct strike_arg *a = arg;
	struct record r;
	struct addr ad;
	const char *open = strchr(a->client, '['), *close = strchr(a->client, ']');

	record_parse(a->line, strlen(a->line), INT64_C(1795718795) * 1000000, &r);
	addr_parse(open + 1, (size_t) (close - open - 1), &ad);
	struct events_strike s = {&r, a->reason, &ad, a->client, strlen(a->client), a->rule};

	return events_strike(o, &s);
}

static void test_strike(void **state)
{
	(void) state;
	static const struct {
		struct strike_arg in;
		const char *out;
	} rows[] = {
		{{"2026-11-26T18:46:35.318738+00:00 mx1 postfix/smtpd[32591]: > unknown[192.0.2.7]: 503 5.5.1 Error: authentication not enabled",
		  "unknown[192.0.2.7]", REASON_NOAUTH, "trace-reply"},
		 "{\"ts\":\"2026-11-26T18:46:35.318738+00:00\",\"event\":\"strike\",\"reason\":\"noauth\",\"addr\":\"192.0.2.7\","
		 "\"client\":\"unknown[192.0.2.7]\",\"host\":\"mx1\",\"tag\":\"postfix/smtpd\",\"pid\":32591,\"rule\":\"trace-reply\"}\n"},
		{{"2026-11-26T18:46:35Z m\"x\\1 postfix/submission/smtpd[7]: warning: h.example[2001:db8::7]: SASL PLAIN authentication failed",
		  "h.example[2001:db8::7]", REASON_SASLFAIL, "site:/etc/a\"b.conf:3"},
		 "{\"ts\":\"2026-11-26T18:46:35Z\",\"event\":\"strike\",\"reason\":\"saslfail\",\"addr\":\"2001:db8::7\","
		 "\"client\":\"h.example[2001:db8::7]\",\"host\":\"m\\\"x\\\\1\",\"tag\":\"postfix/submission/smtpd\",\"pid\":7,"
		 "\"rule\":\"site:/etc/a\\\"b.conf:3\"}\n"},
		/* a traditional timestamp is given as RFC 3339 (TZ=UTC here) */
		{{"Nov 26 18:46:35 mx1 postfix/smtpd: x", "unknown[192.0.2.7]", REASON_NOAUTH, NULL},
		 "{\"ts\":\"2026-11-26T18:46:35.000000+00:00\",\"event\":\"strike\",\"reason\":\"noauth\",\"addr\":\"192.0.2.7\","
		 "\"client\":\"unknown[192.0.2.7]\",\"host\":\"mx1\",\"tag\":\"postfix/smtpd\",\"pid\":null}\n"},
		/* host with invalid UTF-8 */
		{{"2026-11-26T18:46:35Z \xff\xfe postfix/smtpd[1]: x", "unknown[192.0.2.7]", REASON_NOAUTH, NULL},
		 "{\"ts\":\"2026-11-26T18:46:35Z\",\"event\":\"strike\",\"reason\":\"noauth\",\"addr\":\"192.0.2.7\","
		 "\"client\":\"unknown[192.0.2.7]\",\"host\":\"\\u00ff\\u00fe\",\"tag\":\"postfix/smtpd\",\"pid\":1}\n"},
	};

	py_open();
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		size_t len;
		char *out = capture(write_strike, &rows[i].in, &len);

		print_message("%s", out);
		assert_string_equal(out, rows[i].out);
		assert_int_equal(out[len - 1], '\n');
		assert_null(memchr(out, '\n', len - 1));	/* one line */
		py_line(out, len);
		free(out);
	}
	py_close();
}

struct ban_arg {
	const char *net;
	unsigned prefix;
	int64_t seconds;
	const char *set;
	bool dry_run;
	int64_t applied;
};

static int write_ban(struct output *o, const void *arg)
{
	const struct ban_arg *a = arg;
	static const char line[] = "2026-11-26T18:46:35Z mx1 postfix/smtpd[1]: x";
	struct record r;
	struct addr net;

	record_parse(line, strlen(line), 0, &r);
	addr_parse(a->net, strlen(a->net), &net);
	struct events_ban b = {&r, &net, a->prefix, a->seconds, 2, a->set, a->dry_run, a->applied};

	return events_ban(o, &b);
}

static void test_ban(void **state)
{
	(void) state;
	static const struct {
		struct ban_arg in;
		const char *out;
	} rows[] = {
		{{"192.0.2.7", 32, 86400, "authfold4", false, 86400},
		 "{\"ts\":\"2026-11-26T18:46:35Z\",\"event\":\"ban\",\"addr\":\"192.0.2.7\",\"prefix\":32,\"seconds\":86400,"
		 "\"strikes\":2,\"set\":\"authfold4\"}\n"},
		{{"2001:db8::", 64, 172800, NULL, true, -1},
		 "{\"ts\":\"2026-11-26T18:46:35Z\",\"event\":\"ban\",\"addr\":\"2001:db8::\",\"prefix\":64,\"seconds\":172800,"
		 "\"strikes\":2,\"dry_run\":true}\n"},
		{{"192.0.2.7", 32, 86400, "authfold4", false, 3600},
		 "{\"ts\":\"2026-11-26T18:46:35Z\",\"event\":\"ban\",\"addr\":\"192.0.2.7\",\"prefix\":32,\"seconds\":86400,"
		 "\"strikes\":2,\"set\":\"authfold4\",\"applied_seconds\":3600}\n"},
		{{"192.0.2.7", 32, 86400, "authfold4", false, 0},
		 "{\"ts\":\"2026-11-26T18:46:35Z\",\"event\":\"ban\",\"addr\":\"192.0.2.7\",\"prefix\":32,\"seconds\":86400,"
		 "\"strikes\":2,\"set\":\"authfold4\",\"applied_seconds\":0}\n"},
	};

	py_open();
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		size_t len;
		char *out = capture(write_ban, &rows[i].in, &len);

		assert_string_equal(out, rows[i].out);
		py_line(out, len);
		free(out);
	}
	py_close();
}

struct unban_arg {
	const char *net;
	unsigned prefix;
	const char *by;
};

static int write_unban(struct output *o, const void *arg)
{
	const struct unban_arg *a = arg;
	struct addr net;

	addr_parse(a->net, strlen(a->net), &net);
	return events_unban(o, INT64_C(1795718795) * 1000000 + 42, &net, a->prefix, a->by);
}

static void test_unban(void **state)
{
	(void) state;
	static const struct {
		struct unban_arg in;
		const char *out;
	} rows[] = {
		{{"192.0.2.7", 32, "uid 0 (root), sudo by alice"},
		 "{\"ts\":\"2026-11-26T18:46:35.000042+00:00\",\"event\":\"unban\",\"addr\":\"192.0.2.7\",\"prefix\":32,"
		 "\"by\":\"uid 0 (root), sudo by alice\"}\n"},
		/* a user name is not ours to trust: escaped like any string */
		{{"2001:db8::", 64, "uid 1000 (\"x\n\xff)"},
		 "{\"ts\":\"2026-11-26T18:46:35.000042+00:00\",\"event\":\"unban\",\"addr\":\"2001:db8::\",\"prefix\":64,"
		 "\"by\":\"uid 1000 (\\\"x\\u000a\\u00ff)\"}\n"},
	};

	py_open();
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		size_t len;
		char *out = capture(write_unban, &rows[i].in, &len);

		assert_string_equal(out, rows[i].out);
		py_line(out, len);
		free(out);
	}
	py_close();
}

static int write_nothing(struct output *o, const void *arg)
{
	(void) arg;
	/* a flush before any write: the buffer is still NULL (clang's UBSan
	   flagged memmove(NULL, NULL + 0, 0) here; found by fuzz_line) */
	return output_flush(o);
}

static void test_empty_flush(void **state)
{
	(void) state;
	size_t len;
	char *out = capture(write_nothing, NULL, &len);

	assert_int_equal(len, 0);
	free(out);
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_random_bytes),
		cmocka_unit_test(test_strike),
		cmocka_unit_test(test_ban),
		cmocka_unit_test(test_unban),
		cmocka_unit_test(test_empty_flush),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

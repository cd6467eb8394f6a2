/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_why - why_visible(): log text as a terminal may see it;
 * logfile_rotations(): the files of a log found by listing its directory;
 * and why_trouble(3): the SASL failures that gave no strike because of
 * auth server trouble, told by `authfold why` from the summary, next to
 * the strikes of the events log.
 */
#include "bans.h"
#include "logfile.h"
#include "why.h"
#include "why_render.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static void test_visible(void **state)
{
	(void) state;
	static const struct {
		const char *in, *out;
	} rows[] = {
		{"plain text [192.0.2.1]: ok", "plain text [192.0.2.1]: ok"},
		{"tab\there", "tab\\x09here"},
		{"\x1b[2J\x1b]0;title\x07", "\\x1b[2J\\x1b]0;title\\x07"},
		{"del\x7f", "del\\x7f"},
		{"raw C1 \x9b" "31m", "raw C1 \\x9b31m"},
		{"UTF-8 C1 \xc2\x9b" "31m", "UTF-8 C1 \\u{009b}31m"},
		{"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"},
		{"bidi \xe2\x80\xae" "evil", "bidi \\u{202e}evil"},
		{"isolate \xe2\x81\xa6", "isolate \\u{2066}"},
		{"line sep \xe2\x80\xa8", "line sep \\u{2028}"},
		{"invalid \xff\xfe", "invalid \\xff\\xfe"},
		{"overlong \xc0\xaf", "overlong \\xc0\\xaf"},
		{"surrogate \xed\xa0\x80", "surrogate \\xed\\xa0\\x80"},
		{"cut \xe2\x82", "cut \\xe2\\x82"},
		{"too high \xf4\x90\x80\x80", "too high \\xf4\\x90\\x80\\x80"},
		{"nbsp \xc2\xa0 ok", "nbsp \xc2\xa0 ok"},
	};
	char buf[256];

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		size_t n = why_visible(rows[i].in, strlen(rows[i].in), buf, sizeof(buf));

		print_message("%s\n", rows[i].out);
		assert_string_equal(buf, rows[i].out);
		assert_int_equal(n, strlen(rows[i].out));
	}
	/* a NUL byte inside, and a buffer too small: cut, terminated */
	assert_int_equal(why_visible("a\0b", 3, buf, sizeof(buf)), 6);
	assert_string_equal(buf, "a\\x00b");
	why_visible("\x1b\x1b\x1b\x1b", 4, buf, 16);
	assert_true(strlen(buf) < 16);
}

static void test_rotations(void **state)
{
	(void) state;
	static const struct {
		const char *files;	/* names made, space-separated */
		const char *want;	/* names listed, oldest first */
		long first_missing;
		size_t missing, dated;
	} rows[] = {
		{"", "e.log", 0, 0, 0},
		{"e.log e.log.1 e.log.2.gz", "e.log.2.gz e.log.1 e.log", 0, 0, 0},
		{"e.log e.log.2.gz e.log.3.gz", "e.log.3.gz e.log.2.gz e.log", 1, 1, 0},
		{"e.log.1 e.log.1.gz e.log.4", "e.log.4 e.log.1.gz e.log.1 e.log", 2, 2, 0},
		{"e.log-20261126 e.log-20261125.gz e.log.1", "e.log-20261125.gz e.log-20261126 e.log.1 e.log", 0, 0, 2},
		{"e.log.bak e.log.01 e.log.1x e.log- e.logger.1 e.log.gz", "e.log", 0, 0, 0},
	};
	char dir[] = "/tmp/test_why.XXXXXX";

	assert_non_null(mkdtemp(dir));
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char path[256], got[1024] = "", names[256], *save, *name;
		struct logfile_rotations r;

		snprintf(names, sizeof(names), "%s", rows[i].files);
		for (name = strtok_r(names, " ", &save); name; name = strtok_r(NULL, " ", &save)) {
			snprintf(path, sizeof(path), "%s/%s", dir, name);
			fclose(fopen(path, "w"));
		}
		snprintf(path, sizeof(path), "%s/e.log", dir);
		assert_int_equal(logfile_rotations(path, &r), 0);
		for (size_t k = 0; k < r.n; k++) {
			assert_true(strncmp(r.paths[k], dir, strlen(dir)) == 0);
			snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", k ? " " : "",
				 r.paths[k] + strlen(dir) + 1);
		}
		print_message("%s\n", got);
		assert_string_equal(got, rows[i].want);
		assert_int_equal(r.first_missing, rows[i].first_missing);
		assert_int_equal(r.missing, rows[i].missing);
		assert_int_equal(r.dated, rows[i].dated);
		assert_false(r.capped);
		logfile_rotations_free(&r);
		snprintf(names, sizeof(names), "%s", rows[i].files);
		for (name = strtok_r(names, " ", &save); name; name = strtok_r(NULL, " ", &save)) {
			snprintf(path, sizeof(path), "%s/%s", dir, name);
			unlink(path);
		}
	}
	rmdir(dir);
}

/* --- why_trouble(3) ------------------------------------------------------------------ */

#define TS(s) "2026-02-03T08:" s "+00:00 "
#define MX(ts, pid) TS(ts) "mail postfix/smtpd[" #pid "]: "
#define LOST "SASL LOGIN authentication failed: Connection lost to authentication server"
#define WRONG "SASL LOGIN authentication failed: authentication failure"
#define STRIKE(ts, addr, pid) "{\"ts\":\"2026-02-03T08:" ts "+00:00\",\"event\":\"strike\",\"reason\":" \
	"\"saslfail\",\"addr\":\"" addr "\",\"client\":\"unknown[" addr "]\",\"host\":\"mail\",\"tag\":" \
	"\"postfix/smtpd\",\"pid\":" #pid ",\"rule\":\"sasl-failed\"}\n"

/* `authfold why TARGET` (text, or JSON) on a summary and an events log; the
   output, to be freed. */
static char *why_out(const char *dir, const char *conf, const char *summary, const char *events, const char *target,
		     bool json)
{
	char path[4][512], err[256];
	const char *text[3] = {conf, summary, events};
	struct why_options o = {.since_usec = -1, .until_usec = -1, .json = json, .now_usec = INT64_C(1796000000000000)};
	struct output *out;
	struct config *c;
	char *buf = calloc(1, 1 << 16);
	FILE *f;

	for (int i = 0; i < 4; i++)
		snprintf(path[i], sizeof(path[i]), "%s/%s", dir, (const char *[]) {"c.conf", "summary.log", "events.log",
										      "out"}[i]);
	for (int i = 0; i < 3; i++) {
		assert_non_null(f = fopen(path[i], "w"));
		if (i == 0)
			fprintf(f, "backend = none\nstate_dir = %s\n", dir);
		fputs(text[i], f);
		fclose(f);
	}
	assert_non_null(c = config_read(path[0], err, sizeof(err)));
	assert_int_equal(bans_parse_target(c, target, &o.target, err, sizeof(err)), 0);
	o.config = c;
	o.events = path[2];
	o.summary = path[1];
	unlink(path[3]);	/* output(3) appends */
	assert_int_equal(output_open(path[3], &out), 0);
	assert_int_equal(why_run(&o, out), 0);
	output_free(out);
	config_free(c);
	assert_non_null(f = fopen(path[3], "r"));
	assert_true(fread(buf, 1, (1 << 16) - 1, f) > 0);
	fclose(f);
	return buf;
}

static void test_trouble(void **state)
{
	(void) state;
	static const char *const held = "no strike: held, mail postfix/smtpd logged auth server trouble at "
		"2026-02-03T08:29:28.100000+00:00 (authserver_hold 1m)";
	static const char *const server = "no strike: auth server trouble (" LOST ", sasl_username=alice)";
	/* an outage at mail: a wrong password 8 s before "Connection lost"; the
	   guesser's wrong password the next minute, far from it, is a strike */
	static const char *const outage =
		MX("29:20.000000", 20) "connect from unknown[192.0.2.21]\n"
		MX("29:20.100000", 20) "warning: unknown[192.0.2.21]: " WRONG ", sasl_username=bob\n"
		MX("29:20.200000", 20) "disconnect from unknown[192.0.2.21] ehlo=1 auth=0/1 commands=1/2\n"
		MX("29:28.000000", 22) "connect from unknown[192.0.2.20]\n"
		MX("29:28.100000", 22) "warning: unknown[192.0.2.20]: " LOST ", sasl_username=alice\n"
		MX("29:28.200000", 22) "disconnect from unknown[192.0.2.20] ehlo=1 auth=0/1 commands=1/2\n"
		MX("31:00.000000", 23) "connect from unknown[192.0.2.21]\n"
		MX("31:00.100000", 23) "warning: unknown[192.0.2.21]: " WRONG ", sasl_username=root\n"
		MX("31:00.200000", 23) "disconnect from unknown[192.0.2.21] ehlo=1 auth=0/1 commands=1/2\n"
		/* client text that names 192.0.2.99, and another program */
		MX("31:10.000000", 24) "warning: non-SMTP command from unknown[203.0.113.30]: warning: unknown[192.0.2.99]: "
		LOST "\n"
		TS("31:11.000000") "mail postfix/cleanup[25]: warning: unknown[192.0.2.99]: " LOST "\n";
	static const char *const struck = STRIKE("31:00.100000", "192.0.2.21", 23);
	static const struct {
		const char *conf, *summary, *events, *target;
		const char *want[4], *not[3];
	} rows[] = {
		/* the server's failure; the held one, with the sign nearest; the real strike beside it */
		{"", outage, struck, "192.0.2.20", {"  no strike  -  192.0.2.20  rule sasl-server  mail postfix/smtpd[22]",
		 server, "Verdict: 1 SASL failure of 192.0.2.20/32 gave no strike because of auth server trouble: 1 failed "
		 "by the auth server itself.", "No strike and no ban of 192.0.2.20/32"}, {"held", "strike #"}},
		{"", outage, struck, "192.0.2.21", {"08:29:20.100000+00:00  no strike  saslfail  192.0.2.21  rule sasl-failed"
		 "  mail postfix/smtpd[20]  client unknown[192.0.2.21]\n    ", held,
		 "2026-02-03T08:31:00.100000+00:00  strike #1  saslfail  192.0.2.21  rule sasl-failed  mail postfix/smtpd[23]",
		 "Verdict: 1 SASL failure of 192.0.2.21/32 gave no strike because of auth server trouble: 1 held (the host "
		 "logged auth server trouble within authserver_hold 1m)."}, {"auth server trouble (", "No strike and no ban"}},
		{"", outage, struck, "192.0.2.0/24", {held, server, "1 failed by the auth server itself, 1 held", "strike #1"}, {NULL}},
		/* an address only in client text, or in another program's line: nothing */
		{"", outage, struck, "192.0.2.99", {"No strike and no ban of 192.0.2.99/32"}, {"no strike", "Verdict"}},
		/* a wrong password 61 s from the trouble: not held (had it no strike, it is not told) */
		{"authserver_hold = 7s\n", outage, struck, "192.0.2.21", {"strike #1"}, {"no strike", "Verdict"}},
		/* no hold: only the server's own failures are told */
		{"authserver_hold = 0\n", outage, struck, "192.0.2.0/24", {server, "1 failed by the auth server itself."},
		 {"held"}},
		/* saslfail not a reason: the wrong password would not strike anyway */
		{"reasons = noauth\n", outage, "", "192.0.2.21", {"No strike and no ban"}, {"no strike", "Verdict"}},
		/* trouble at another host does not hold mail's failures */
		{"", MX("29:20.100000", 20) "warning: unknown[192.0.2.21]: " WRONG "\n"
		 TS("29:28.100000") "mx2 postfix/smtpd[22]: warning: SASL: Connect to private/auth failed: No such file or "
		 "directory\n", "", "192.0.2.21", {"No strike and no ban"}, {"no strike", "Verdict"}},
		/* Postfix's own warning is a sign, and a later failure in a strike's session is told there */
		{"", MX("29:28.100000", 30) "warning: SASL: Connect to private/auth failed: No such file or directory\n"
		 MX("30:00.000000", 31) "connect from unknown[192.0.2.31]\n"
		 MX("30:00.100000", 31) "warning: unknown[192.0.2.31]: " WRONG "\n"
		 MX("32:00.000000", 32) "connect from unknown[192.0.2.32]\n"
		 MX("32:00.100000", 32) "warning: unknown[192.0.2.32]: " WRONG "\n"
		 MX("32:00.200000", 32) "warning: unknown[192.0.2.32]: " LOST "\n"
		 MX("32:00.300000", 32) "disconnect from unknown[192.0.2.32] ehlo=1 auth=0/2 commands=1/3\n",
		 STRIKE("32:00.100000", "192.0.2.32", 32), "192.0.2.0/24",
		 {"no strike: held, mail postfix/smtpd logged auth server trouble at 2026-02-03T08:29:28.100000+00:00",
		  "strike #1  saslfail  192.0.2.32", "    " MX("32:00.200000", 32) "warning: unknown[192.0.2.32]: " LOST,
		  "gave no strike because of auth server trouble: 1 held"}, {"auth server trouble ("}},
	};
	char dir[] = "/tmp/test_why_trouble.XXXXXX";

	assert_non_null(mkdtemp(dir));
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *out = why_out(dir, rows[i].conf, rows[i].summary, rows[i].events, rows[i].target, false);

		print_message("row %zu: why %s\n%s", i, rows[i].target, out);
		for (size_t k = 0; k < 4 && rows[i].want[k]; k++)
			assert_non_null(strstr(out, rows[i].want[k]));
		for (size_t k = 0; k < 3 && rows[i].not[k]; k++)
			assert_null(strstr(out, rows[i].not[k]));
		free(out);
	}
	/* --json: an event no_strike with its verdict, and the counts */
	char *out = why_out(dir, "", outage, struck, "192.0.2.0/24", true);

	print_message("%s", out);
	assert_non_null(strstr(out, "{\"event\":\"no_strike\",\"ts\":\"2026-02-03T08:29:20.100000+00:00\",\"addr\":"
				    "\"192.0.2.21\",\"because\":\"held\",\"verdict\":\"no strike: held, mail"));
	assert_non_null(strstr(out, "\"trouble_ts\":\"2026-02-03T08:29:28.100000+00:00\",\"authserver_hold\":60}"));
	assert_non_null(strstr(out, "\"because\":\"auth_server_trouble\",\"verdict\":\"no strike: auth server "
				    "trouble (SASL LOGIN"));
	assert_non_null(strstr(out, "\"no_strikes\":{\"auth_server_trouble\":1,\"held\":1,\"not_shown\":0}"));
	assert_non_null(strstr(out, "{\"event\":\"strike\",\"ts\":\"2026-02-03T08:31:00.100000+00:00\""));
	free(out);
	for (const char *const *n = (const char *const[]) {"c.conf", "summary.log", "events.log", "out", NULL}; *n; n++) {
		char path[512];

		snprintf(path, sizeof(path), "%s/%s", dir, *n);
		unlink(path);
	}
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_visible),
		cmocka_unit_test(test_rotations),
		cmocka_unit_test(test_trouble),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_why - why_visible(): log text as a terminal may see it; and
 * logfile_rotations(): the files of a log found by listing its directory.
 */
#include "logfile.h"
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_visible),
		cmocka_unit_test(test_rotations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

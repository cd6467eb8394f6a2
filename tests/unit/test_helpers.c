/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_helpers - the one-per-idea helpers as tables: cidr_overlaps(),
 * cidr_inside(), cidr_equal() of addr(3); timefmt_utc() and
 * timefmt_utc_usec() of timefmt(3); json_fputs() of json(3) against
 * json_string(); statedir_is_state_name() of statedir(3); STRLIT_* of
 * strlit.h.
 */

#include "addr.h"
#include "json.h"
#include "output.h"
#include "statedir.h"
#include "strlit.h"
#include "timefmt.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static struct cidr net(const char *text)
{
	struct cidr c;

	assert_int_equal(cidr_parse(text, strlen(text), &c), 0);
	return c;
}

static void test_cidr(void **state)
{
	static const struct {
		const char *a, *b;
		bool overlaps, a_inside_b, equal;
	} rows[] = {
		{"192.0.2.7", "192.0.2.7/32", true, true, true},
		{"192.0.2.7", "192.0.2.0/24", true, true, false},
		{"192.0.2.0/24", "192.0.2.7", true, false, false},
		{"192.0.2.0/24", "198.51.100.0/24", false, false, false},
		{"192.0.2.0/25", "192.0.2.128/25", false, false, false},
		{"0.0.0.0/0", "203.0.113.9", true, false, false},
		{"2001:db8::/64", "2001:db8::6", true, false, false},
		{"2001:db8::6/128", "2001:db8::/32", true, true, false},
		{"2001:db8:1::/48", "2001:db8:2::/48", false, false, false},
		{"::/0", "192.0.2.1", false, false, false},	/* families never overlap */
		{"192.0.2.1", "::ffff:192.0.2.1", true, true, true},	/* mapped: stored as IPv4 */
	};

	(void) state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct cidr a = net(rows[i].a), b = net(rows[i].b);

		if (cidr_overlaps(&a, &b) != rows[i].overlaps || cidr_overlaps(&b, &a) != rows[i].overlaps ||
		    cidr_inside(&b, &a) != rows[i].a_inside_b || cidr_equal(&a, &b) != rows[i].equal)
			fail_msg("row %zu: %s %s: overlaps %d/%d inside %d equal %d", i, rows[i].a, rows[i].b,
				 cidr_overlaps(&a, &b), cidr_overlaps(&b, &a), cidr_inside(&b, &a), cidr_equal(&a, &b));
	}
}

static void test_timefmt(void **state)
{
	char buf[TIMEFMT_UTC_LEN], small[8];

	(void) state;
	timefmt_utc(1764470000, buf, sizeof(buf));
	assert_string_equal(buf, "2025-11-30T02:33:20Z");
	timefmt_utc(0, buf, sizeof(buf));
	assert_string_equal(buf, "1970-01-01T00:00:00Z");
	timefmt_utc(1764470000, small, sizeof(small));
	assert_string_equal(small, "?");
	timefmt_utc_usec(1764470000 * INT64_C(1000000) + 999999, buf, sizeof(buf));
	assert_string_equal(buf, "2025-11-30T02:33:20Z");
	timefmt_utc_usec(0, buf, sizeof(buf));
	assert_string_equal(buf, "-");
	timefmt_utc_usec(-5, buf, sizeof(buf));
	assert_string_equal(buf, "-");
	timefmt_utc_usec(1764470000 * INT64_C(1000000), small, sizeof(small));
	assert_string_equal(small, "-");
}

/* json_fputs() writes what json_string() writes */
static void test_json(void **state)
{
	static const char *const rows[][2] = {
		{"plain", "\"plain\""},
		{"q\"b\\", "\"q\\\"b\\\\\""},
		{"tab\tnl\n\x7f", "\"tab\\u0009nl\\u000a\\u007f\""},
		{"caf\xc3\xa9", "\"caf\xc3\xa9\""},
		{"bad\xc3(\xff", "\"bad\\u00c3(\\u00ff\""},
		{"\xed\xa0\x80", "\"\\u00ed\\u00a0\\u0080\""},	/* a surrogate is no UTF-8 */
		{"", "\"\""},
	};
	char path[] = "/tmp/test_helpers.XXXXXX";
	int fd = mkstemp(path);

	(void) state;
	assert_true(fd >= 0);
	close(fd);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char a[256] = "", b[256] = "";
		struct output *o;
		FILE *fp = fmemopen(a, sizeof(a) - 1, "w");

		assert_non_null(fp);
		json_fputs(fp, rows[i][0]);
		fclose(fp);
		assert_int_equal(truncate(path, 0), 0);
		assert_int_equal(output_open(path, &o), 0);
		assert_int_equal(json_string(o, rows[i][0], strlen(rows[i][0])), 0);
		output_free(o);
		fp = fopen(path, "r");
		assert_non_null(fp);
		b[fread(b, 1, sizeof(b) - 1, fp)] = 0;
		fclose(fp);
		if (strcmp(a, rows[i][1]) != 0 || strcmp(b, rows[i][1]) != 0)
			fail_msg("row %zu: json_fputs '%s', json_string '%s', want '%s'", i, a, b, rows[i][1]);
	}
	unlink(path);
}

static void test_state_names(void **state)
{
	(void) state;
	assert_true(statedir_is_state_name("omprog.state"));
	assert_true(statedir_is_state_name("x.state"));
	assert_false(statedir_is_state_name(".state"));
	assert_false(statedir_is_state_name(".omprog.state"));	/* being written */
	assert_false(statedir_is_state_name("omprog.state.tmp"));
	assert_false(statedir_is_state_name("state"));
	assert_false(statedir_is_state_name("lock"));
}

static void test_strlit(void **state)
{
	(void) state;
	assert_int_equal(STRLIT_LEN("warning: "), 9);
	assert_int_equal(STRLIT_LEN(""), 0);
	assert_true(STRLIT_EQ("unban", 5, "unban"));
	assert_false(STRLIT_EQ("unbanned", 8, "unban"));
	assert_true(STRLIT_PREFIX("unbanned", 8, "unban"));
	assert_false(STRLIT_PREFIX("unb", 3, "unban"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cidr),
		cmocka_unit_test(test_timefmt),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_state_names),
		cmocka_unit_test(test_strlit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_eventlog - eventlog_parse() and eventlog_time(): lines of the events
 * log, cut, mangled or hostile, and the fields they give.
 */
#include "eventlog.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void test_time(void **state)
{
	(void) state;
	static const struct {
		const char *in;
		int64_t out;
	} rows[] = {
		{"2026-11-26T18:46:35.318738+00:00", INT64_C(1795718795318738)},
		{"2026-11-26T18:46:35Z", INT64_C(1795718795000000)},
		{"2026-11-26T19:46:35.5+01:00", INT64_C(1795718795500000)},
		{"2026-11-26T17:46:35.000001-01:00", INT64_C(1795718795000001)},
		{"2026-11-26T18:46:35.1234567890Z", INT64_C(1795718795123456)},
		{"2026-11-26T18:46:35", -1},
		{"2026-11-26T18:46:35+0000", -1},
		{"2026-11-26T18:46:35+ab:cd", -1},
		{"2026-11-26T18:46:35Zjunk", -1},
		{"Nov 26 18:46:35", -1},
		{"", -1},
		/* times that do not exist are not normalised into others */
		{"2026-02-30T10:00:00Z", -1},
		{"2026-02-29T10:00:00Z", -1},
		{"2028-02-29T10:00:00Z", INT64_C(1835431200000000)},
		{"2026-13-01T10:00:00Z", -1},
		{"2026-11-00T10:00:00Z", -1},
		{"2026-11-26T24:00:00Z", -1},
		{"2026-11-26T18:60:00Z", -1},
		{"2026-11-26T18:46:61Z", -1},
		{"2026-11-26T18:46:35+99:99", -1},
		{"2026-11-26T18:46:35+24:00", -1},
		{"2026-11-26T18:46:35+05:60", -1},
		{"2026-11-26T18:46:35-23:59", INT64_C(1795805135000000)},
		{"+026-11-26T18:46:35Z", -1},
		{"2026-11-2 T18:46:35Z", -1},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		print_message("%s\n", rows[i].in);
		assert_int_equal(eventlog_time(rows[i].in), rows[i].out);
	}
}

static void test_parse(void **state)
{
	(void) state;
	static const struct {
		const char *in;
		bool ok;
		const char *event, *addr, *host;
		int64_t pid, prefix;
		bool pid_null, dry_run;
	} rows[] = {
		{"{\"ts\":\"2026-11-26T18:46:35Z\",\"event\":\"strike\",\"reason\":\"noauth\",\"addr\":\"192.0.2.7\","
		 "\"client\":\"unknown[192.0.2.7]\",\"host\":\"mx1\",\"tag\":\"postfix/smtpd\",\"pid\":32591,\"rule\":\"trace-reply\"}",
		 true, "strike", "192.0.2.7", "mx1", 32591, 0, false, false},
		{"{\"ts\":\"x\",\"event\":\"ban\",\"addr\":\"2001:db8::\",\"prefix\":64,\"seconds\":86400,\"strikes\":2,\"dry_run\":true}",
		 true, "ban", "2001:db8::", "", 0, 64, false, true},
		/* pid null, spaces, an unknown key with a nested-free value */
		{" { \"event\" : \"strike\" , \"addr\":\"192.0.2.8\", \"pid\" : null, \"new\":[1] } ", false, "", "", "", 0, 0, false, false},
		{"{\"event\":\"strike\",\"addr\":\"192.0.2.8\",\"pid\":null,\"new\":-5}", true, "strike", "192.0.2.8", "", 0, 0, true, false},
		/* escapes: \u00ff is the raw byte events.c wrote; \u00e9 too; \n */
		{"{\"event\":\"strike\",\"addr\":\"a\",\"host\":\"m\\\"x\\\\\\u00ff\\n\"}", true, "strike", "a", "m\"x\\\xff\n", 0, 0, false, false},
		/* cut by a crash, trailing junk, two objects, not an object */
		{"{\"event\":\"strike\",\"addr\":\"192.0.2.7\",\"ho", false, "", "", "", 0, 0, false, false},
		{"{\"event\":\"strike\"}x", false, "", "", "", 0, 0, false, false},
		{"{\"event\":\"strike\"}{\"event\":\"ban\"}", false, "", "", "", 0, 0, false, false},
		{"[1,2]", false, "", "", "", 0, 0, false, false},
		{"", false, "", "", "", 0, 0, false, false},
		{"{\"event\":\"strike\",\"addr\":\"\x01\"}", false, "", "", "", 0, 0, false, false},
		{"{\"event\":\"strike\",\"addr\":\"\\u00\"}", false, "", "", "", 0, 0, false, false},
		{"{\"event\":\"strike\",\"pid\":-}", false, "", "", "", 0, 0, false, false},
		{"{\"event\":\"strike\",\"pid\":99999999999999999999999}", true, "strike", "", "", INT64_MAX, 0, false, false},
	};
	struct eventlog_value f[EVF_COUNT];

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		print_message("%s\n", rows[i].in);
		assert_int_equal(eventlog_parse(rows[i].in, strlen(rows[i].in), f), rows[i].ok);
		if (!rows[i].ok)
			continue;
		assert_string_equal(f[EVF_EVENT].val, rows[i].event);
		assert_string_equal(f[EVF_ADDR].val, rows[i].addr);
		assert_string_equal(f[EVF_HOST].val, rows[i].host);
		if (rows[i].pid)
			assert_int_equal(f[EVF_PID].num, rows[i].pid);
		assert_int_equal(f[EVF_PID].is_null, rows[i].pid_null);
		if (rows[i].prefix)
			assert_int_equal(f[EVF_PREFIX].num, rows[i].prefix);
		assert_int_equal(f[EVF_DRY_RUN].num == 1, rows[i].dry_run);
	}
}

static void test_long_string(void **state)
{
	(void) state;
	size_t n = 100000;
	char *line = malloc(n + 64);
	struct eventlog_value f[EVF_COUNT];

	assert_non_null(line);
	strcpy(line, "{\"event\":\"strike\",\"host\":\"");
	size_t k = strlen(line);

	memset(line + k, 'h', n);
	strcpy(line + k + n, "\"}");
	assert_true(eventlog_parse(line, strlen(line), f));
	assert_int_equal(strlen(f[EVF_HOST].val), EVENTLOG_FIELD_MAX - 1);	/* cut, not overflowed */
	free(line);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_long_string),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_policy - policy_strike(): strikes at explicit times and the verdicts.
 *
 * Each table is a sequence of strikes (address, seconds since a fixed
 * epoch) with the verdict, the strikes counted within findtime and, for a
 * ban, its duration. No clock is read.
 */

#include "policy.h"

#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#define SEC INT64_C(1000000)
#define EPOCH (INT64_C(1795718795) * SEC)	/* 2026-11-26T18:46:35Z */
#define MIN 60
#define HOUR 3600
#define DAY 86400

struct row {
	const char *addr;
	int64_t at;			/* seconds after EPOCH */
	enum policy_verdict verdict;
	unsigned strikes;		/* within findtime, this one included */
	int64_t seconds;		/* POLICY_BAN: duration */
	const char *net;		/* the key, NULL: the address itself */
};

static const char *verdict_name(enum policy_verdict v)
{
	static const char *const names[] = {
		[POLICY_IGNORED] = "ignored", [POLICY_COUNTED] = "counted",
		[POLICY_ALREADY_BANNED] = "already-banned", [POLICY_BAN] = "ban",
		[POLICY_UNTRACKED] = "untracked", [POLICY_REDELIVERED] = "redelivered",
	};
	return names[v];
}

static struct addr A(const char *text)
{
	struct addr a;

	if (addr_parse(text, strlen(text), &a) < 0)
		fail_msg("bad address '%s'", text);
	return a;
}

static struct config *conf(const char *const *kv)
{
	struct config *c = config_new();
	char err[256];

	assert_non_null(c);
	for (; kv && kv[0]; kv += 2)
		if (config_set(c, kv[0], kv[1], err, sizeof(err)) < 0)
			fail_msg("config: %s", err);
	return c;
}

static void run(const char *const *kv, const struct row *rows, size_t n)
{
	struct config *c = conf(kv);
	struct policy *p = policy_new(c);

	assert_non_null(p);
	for (size_t i = 0; i < n; i++) {
		const struct row *t = &rows[i];
		struct addr a = A(t->addr);
		struct policy_decision d;
		char net[ADDR_STRLEN];

		assert_int_equal(policy_strike(p, &a, REASON_NOAUTH, EPOCH + t->at * SEC, &d), 0);
		print_message("row %zu: %s at +%llds: %s strikes=%u seconds=%lld\n", i + 1, t->addr,
			      (long long) t->at, verdict_name(d.verdict), d.strikes, (long long) d.seconds);
		assert_string_equal(verdict_name(d.verdict), verdict_name(t->verdict));
		if (t->verdict == POLICY_IGNORED || t->verdict == POLICY_UNTRACKED)
			continue;
		assert_int_equal(d.strikes, t->strikes);
		if (t->verdict == POLICY_BAN) {
			assert_int_equal(d.seconds, t->seconds);
			assert_true(d.until_usec == EPOCH + (t->at + t->seconds) * SEC);
		}
		addr_format(&d.net, net);
		assert_string_equal(net, t->net ? t->net : t->addr);
	}
	policy_free(p);
	config_free(c);
}
#define RUN(kv, rows) run((kv), (rows), sizeof(rows) / sizeof((rows)[0]))

/* Defaults: maxretry 2, findtime 1d, bantime 1d, factor 2, max 24d. */
static void test_window(void **state)
{
	(void) state;
	static const struct row rows[] = {
		{"192.0.2.1", 0, POLICY_COUNTED, 1, 0, NULL},
		/* more than findtime later: the first strike no longer counts */
		{"192.0.2.1", DAY + 1, POLICY_COUNTED, 1, 0, NULL},
		/* exactly findtime after the previous one: both count */
		{"192.0.2.1", 2 * DAY + 1, POLICY_BAN, 2, DAY, NULL},
		/* another address is counted on its own */
		{"192.0.2.2", 10, POLICY_COUNTED, 1, 0, NULL},
		{"192.0.2.3", 10, POLICY_COUNTED, 1, 0, NULL},
		{"192.0.2.2", 20, POLICY_BAN, 2, DAY, NULL},
	};

	RUN(NULL, rows);
}

static void test_maxretry(void **state)
{
	(void) state;
	static const char *const kv[] = {"maxretry", "3", "findtime", "10m", "bantime", "1h", NULL};
	static const struct row rows[] = {
		{"192.0.2.1", 0, POLICY_COUNTED, 1, 0, NULL},
		{"192.0.2.1", 5 * MIN, POLICY_COUNTED, 2, 0, NULL},
		/* 0 falls out of the window: 2 within 10m */
		{"192.0.2.1", 10 * MIN + 1, POLICY_COUNTED, 2, 0, NULL},
		{"192.0.2.1", 11 * MIN, POLICY_BAN, 3, HOUR, NULL},
		/* maxretry 1 is "ban at the first strike" */
	};
	static const char *const one[] = {"maxretry", "1", "bantime", "90s", NULL};
	static const struct row rows1[] = {
		{"192.0.2.9", 0, POLICY_BAN, 1, 90, NULL},
	};

	RUN(kv, rows);
	RUN(one, rows1);
}

/* Each new ban lasts bantime * factor^n, capped at bantime_max; strikes
   during a running ban give ALREADY_BANNED and no growth. */
static void test_growth(void **state)
{
	(void) state;
	static const char *const kv[] = {"maxretry", "2", "findtime", "1h", "bantime", "10m", "bantime_factor", "3",
					 "bantime_max", "2h", NULL};
	static const struct row rows[] = {
		{"192.0.2.7", 0, POLICY_COUNTED, 1, 0, NULL},
		{"192.0.2.7", 1, POLICY_BAN, 2, 10 * MIN, NULL},
		/* banned until +601: these are counted, nothing grows */
		{"192.0.2.7", 100, POLICY_ALREADY_BANNED, 1, 0, NULL},
		{"192.0.2.7", 200, POLICY_ALREADY_BANNED, 2, 0, NULL},
		/* the ring keeps the last maxretry strikes */
		{"192.0.2.7", 600, POLICY_ALREADY_BANNED, 2, 0, NULL},
		/* the ban is over: the strikes within findtime decide, 30m */
		{"192.0.2.7", 700, POLICY_BAN, 2, 30 * MIN, NULL},
		{"192.0.2.7", 700 + 30 * MIN + 1, POLICY_COUNTED, 1, 0, NULL},
		{"192.0.2.7", 700 + 30 * MIN + 2, POLICY_BAN, 2, 90 * MIN, NULL},
		/* 270m is capped at 2h */
		{"192.0.2.7", 3 * HOUR, POLICY_COUNTED, 1, 0, NULL},
		{"192.0.2.7", 3 * HOUR + 1, POLICY_BAN, 2, 2 * HOUR, NULL},
		{"192.0.2.7", 6 * HOUR, POLICY_COUNTED, 1, 0, NULL},
		{"192.0.2.7", 6 * HOUR + 1, POLICY_BAN, 2, 2 * HOUR, NULL},
	};

	RUN(kv, rows);
}

/* bantime_max at ipset's limit and a large factor do not overflow. */
static void test_growth_cap(void **state)
{
	(void) state;
	static const char *const kv[] = {"maxretry", "1", "bantime", "2w", "bantime_factor", "1000",
					 "bantime_max", "2147483s", NULL};
	struct config *c = conf(kv);
	struct policy *p = policy_new(c);
	struct addr a = A("192.0.2.7");
	struct policy_decision d;
	int64_t t = EPOCH;

	for (int i = 0; i < 100; i++) {
		assert_int_equal(policy_strike(p, &a, REASON_SASLFAIL, t, &d), 0);
		assert_int_equal(d.verdict, POLICY_BAN);
		assert_true(d.seconds > 0 && d.seconds <= 2147483);
		assert_int_equal(d.times_banned, i + 1);
		t = d.until_usec + SEC;
	}
	assert_int_equal(d.seconds, 2147483);
	policy_free(p);
	config_free(c);
}

static void test_ignoreip(void **state)
{
	(void) state;
	static const char *const kv[] = {"maxretry", "1", "ignoreip", "127.0.0.0/8 ::1 192.0.2.0/24, 2001:db8:1::/48",
					 NULL};
	static const struct row rows[] = {
		{"127.0.0.1", 0, POLICY_IGNORED, 0, 0, NULL},
		{"::1", 0, POLICY_IGNORED, 0, 0, NULL},
		{"192.0.2.200", 0, POLICY_IGNORED, 0, 0, NULL},
		{"::ffff:192.0.2.200", 0, POLICY_IGNORED, 0, 0, NULL},
		{"2001:db8:1:ffff::1", 0, POLICY_IGNORED, 0, 0, NULL},
		{"192.0.3.1", 0, POLICY_BAN, 1, DAY, NULL},
		{"2001:db8:2::1", 0, POLICY_BAN, 1, DAY, "2001:db8:2::"},
	};

	RUN(kv, rows);
}

/* IPv6 clients count per ipv6_prefix network. */
static void test_ipv6_prefix(void **state)
{
	(void) state;
	static const struct row rows64[] = {
		{"2001:db8:0:1::a", 0, POLICY_COUNTED, 1, 0, "2001:db8:0:1::"},
		{"2001:db8:0:1:ffff:ffff:ffff:ffff", 1, POLICY_BAN, 2, DAY, "2001:db8:0:1::"},
		{"2001:db8:0:2::a", 2, POLICY_COUNTED, 1, 0, "2001:db8:0:2::"},
		/* IPv4 is per address */
		{"192.0.2.1", 3, POLICY_COUNTED, 1, 0, NULL},
		{"192.0.2.2", 4, POLICY_COUNTED, 1, 0, NULL},
	};
	static const char *const kv48[] = {"ipv6_prefix", "48", NULL};
	static const struct row rows48[] = {
		{"2001:db8:0:1::a", 0, POLICY_COUNTED, 1, 0, "2001:db8::"},
		{"2001:db8:0:2::a", 1, POLICY_BAN, 2, DAY, "2001:db8::"},
	};
	static const char *const kv128[] = {"ipv6_prefix", "128", NULL};
	static const struct row rows128[] = {
		{"2001:db8::a", 0, POLICY_COUNTED, 1, 0, NULL},
		{"2001:db8::b", 1, POLICY_COUNTED, 1, 0, NULL},
	};

	RUN(NULL, rows64);
	RUN(kv48, rows48);
	RUN(kv128, rows128);

	struct config *c = conf(NULL);
	struct policy *p = policy_new(c);
	struct addr a = A("2001:db8:0:1:2:3:4:5"), net;
	unsigned prefix;
	char buf[ADDR_STRLEN];

	policy_key(p, &a, &net, &prefix);
	addr_format(&net, buf);
	assert_string_equal(buf, "2001:db8:0:1::");
	assert_int_equal(prefix, 64);
	policy_free(p);
	config_free(c);
}

/* A full table evicts, but never a running ban. */
static void test_table_full(void **state)
{
	(void) state;
	static const char *const kv[] = {"max_addresses", "16", "maxretry", "2", "findtime", "1h", "bantime", "1d",
					 NULL};
	struct config *c = conf(kv);
	struct policy *p = policy_new(c);
	struct policy_decision d;
	char text[64];
	struct addr a;

	/* 8 running bans */
	for (int i = 0; i < 8; i++) {
		snprintf(text, sizeof(text), "198.51.100.%d", i);
		a = A(text);
		policy_strike(p, &a, REASON_NOAUTH, EPOCH, &d);
		policy_strike(p, &a, REASON_NOAUTH, EPOCH, &d);
		assert_int_equal(d.verdict, POLICY_BAN);
	}
	/* a flood of distinct addresses, one strike each */
	for (int i = 0; i < 1000; i++) {
		snprintf(text, sizeof(text), "203.0.%d.%d", i / 256, i % 256);
		a = A(text);
		assert_int_equal(policy_strike(p, &a, REASON_NOAUTH, EPOCH + (i + 1) * SEC, &d), 0);
		assert_int_equal(d.verdict, POLICY_COUNTED);
	}
	/* the bans are still there */
	for (int i = 0; i < 8; i++) {
		struct addr net;
		unsigned prefix;
		struct policy_entry *e;

		snprintf(text, sizeof(text), "198.51.100.%d", i);
		a = A(text);
		policy_key(p, &a, &net, &prefix);
		assert_non_null(e = policy_find(p, &net));
		assert_int_equal(e->times_banned, 1);
		policy_strike(p, &a, REASON_NOAUTH, EPOCH + 2000 * SEC, &d);
		assert_int_equal(d.verdict, POLICY_ALREADY_BANNED);
	}
	unsigned n = 0;

	for (struct policy_entry *e = policy_first(p); e; e = policy_next(e))
		n++;
	assert_int_equal(n, 16);
	assert_true(policy_counters(p)->evicted >= 1000 - 8);

	/* the most recent partial count survived */
	a = A("203.0.3.231");	/* i = 999 */
	policy_strike(p, &a, REASON_NOAUTH, EPOCH + 2001 * SEC, &d);
	assert_int_equal(d.verdict, POLICY_BAN);

	/* a table of running bans only: a new address is untracked */
	for (int i = 0; i < 16; i++) {
		snprintf(text, sizeof(text), "192.0.2.%d", i);
		a = A(text);
		policy_strike(p, &a, REASON_NOAUTH, EPOCH + 3000 * SEC, &d);
		policy_strike(p, &a, REASON_NOAUTH, EPOCH + 3000 * SEC, &d);
	}
	a = A("192.0.2.200");
	assert_int_equal(policy_strike(p, &a, REASON_NOAUTH, EPOCH + 3001 * SEC, &d), 0);
	assert_int_equal(d.verdict, POLICY_UNTRACKED);
	assert_true(policy_counters(p)->untracked >= 1);
	policy_free(p);
	config_free(c);
}

/* Entries that no longer matter go first when the table is full. */
static void test_table_full_stale_first(void **state)
{
	(void) state;
	static const char *const kv[] = {"max_addresses", "16", "maxretry", "2", "findtime", "1h", NULL};
	struct config *c = conf(kv);
	struct policy *p = policy_new(c);
	struct policy_decision d;
	char text[64];
	struct addr a;

	for (int i = 0; i < 16; i++) {
		snprintf(text, sizeof(text), "203.0.113.%d", i);
		a = A(text);
		/* 0..7 struck long ago, 8..15 recently */
		policy_strike(p, &a, REASON_NOAUTH, EPOCH + (i < 8 ? 0 : 10 * HOUR) * SEC, &d);
	}
	a = A("192.0.2.1");
	policy_strike(p, &a, REASON_NOAUTH, EPOCH + 10 * HOUR * SEC, &d);
	assert_int_equal(d.verdict, POLICY_COUNTED);
	for (int i = 8; i < 16; i++) {
		snprintf(text, sizeof(text), "203.0.113.%d", i);
		a = A(text);
		policy_strike(p, &a, REASON_NOAUTH, EPOCH + 10 * HOUR * SEC + 1, &d);
		assert_int_equal(d.verdict, POLICY_BAN);
	}
	policy_free(p);
	config_free(c);
}

/* Time is the caller's: 200000 strikes of distinct addresses, the last
   134464 of them on a full table, stay cheap (make_room must not scan the
   whole table per strike). The cost of a strike on the full table is
   compared with that of a strike while it fills (no eviction), measured in
   the same run, so the check holds on a slow machine or under a sanitizer;
   a scan of the table per strike is thousands of times slower. */
static double cpu_seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double) t.tv_sec + (double) t.tv_nsec / 1e9;
}

static void test_flood_speed(void **state)
{
	(void) state;
	static const char *const kv[] = {"max_addresses", "65536", NULL};
	struct config *c = conf(kv);
	struct policy *p = policy_new(c);
	struct policy_decision d;
	struct addr a;
	const uint32_t fill = 65536, total = 200000;
	double t0, t1, t2;

	memset(&a, 0, sizeof(a));
	a.family = AF_INET;
	t0 = cpu_seconds();
	t1 = t0;
	for (uint32_t i = 0; i < total; i++) {
		uint32_t v = 0x0a000000u + i;	/* 10.0.0.0 + i */

		if (i == fill)
			t1 = cpu_seconds();
		a.bytes[0] = (uint8_t) (v >> 24);
		a.bytes[1] = (uint8_t) (v >> 16);
		a.bytes[2] = (uint8_t) (v >> 8);
		a.bytes[3] = (uint8_t) v;
		assert_int_equal(policy_strike(p, &a, REASON_NOAUTH, EPOCH + (int64_t) i * 1000, &d), 0);
	}
	t2 = cpu_seconds();

	double per_fill = (t1 - t0) / fill, per_full = (t2 - t1) / (total - fill);
	unsigned n = 0;

	print_message("%u strikes while the table fills: %.0f ns each; %u on the full table: %.0f ns each\n", fill,
		      per_fill * 1e9, total - fill, per_full * 1e9);
	for (struct policy_entry *e = policy_first(p); e; e = policy_next(e))
		n++;
	assert_int_equal(n, 65536);
	assert_true(policy_counters(p)->evicted == total - fill);
	/* constant cost: a full table costs a strike at most 20 times a strike
	   on a filling one (plus 2 µs for timer noise) */
	assert_true(per_full < 20 * per_fill + 2e-6);
	policy_free(p);
	config_free(c);
}

static void test_forget_restore(void **state)
{
	(void) state;
	struct config *c = conf(NULL);
	struct policy *p = policy_new(c);
	struct policy_decision d;
	struct addr a = A("192.0.2.5");
	struct policy_entry saved;
	int64_t strikes[] = {EPOCH};

	policy_strike(p, &a, REASON_NOAUTH, EPOCH, &d);
	assert_int_equal(policy_forget(p, &d.net), 0);
	assert_int_equal(policy_forget(p, &d.net), -ENOENT);
	assert_null(policy_find(p, &d.net));

	memset(&saved, 0, sizeof(saved));
	saved.net = a;
	saved.prefix = 32;
	saved.times_banned = 1;
	saved.last_ban_seconds = DAY;
	saved.ban_until_usec = EPOCH;	/* over */
	saved.last_strike_usec = EPOCH;
	assert_int_equal(policy_restore(p, &saved, strikes, 1), 0);
	policy_strike(p, &a, REASON_NOAUTH, EPOCH + 10 * SEC, &d);
	assert_int_equal(d.verdict, POLICY_BAN);
	assert_int_equal(d.seconds, 2 * DAY);	/* the second ban grows */
	policy_free(p);
	config_free(c);
}

/* A strike given again with its identity (a line delivered again after its
   session was forgotten) counts once: before the ban, the strikes a ban
   cleared, while the ban runs, after it ended and after a restore; the
   last policy_seen_max() identities heard are kept. Columns: address, time,
   key (0: none), the verdict. */
static void test_redelivered(void **state)
{
	static const struct {
		const char *addr;
		int64_t at;
		uint64_t key;
		enum policy_verdict verdict;
	} rows[] = {
		{"192.0.2.7", 0, 11, POLICY_COUNTED},
		{"192.0.2.7", 0, 11, POLICY_REDELIVERED},	/* resent: no second strike */
		{"192.0.2.7", 0, 12, POLICY_BAN},		/* same time, another session */
		{"192.0.2.7", 0, 11, POLICY_REDELIVERED},	/* the ban's strikes are known */
		{"192.0.2.7", 0, 12, POLICY_REDELIVERED},
		{"192.0.2.8", 0, 11, POLICY_COUNTED},		/* the key is per address */
		/* after the ban (bantime 1h, findtime 1d): the old ones do not ban anew */
		{"192.0.2.7", 2 * HOUR, 21, POLICY_COUNTED},
		{"192.0.2.7", 0, 11, POLICY_REDELIVERED},
		{"192.0.2.7", 0, 12, POLICY_REDELIVERED},
		{"192.0.2.7", 2 * HOUR, 21, POLICY_REDELIVERED},
		{"192.0.2.7", 2 * HOUR + 1, 22, POLICY_BAN},
		{"192.0.2.7", 2 * HOUR + 5, 13, POLICY_ALREADY_BANNED},
		{"192.0.2.7", 2 * HOUR + 5, 13, POLICY_REDELIVERED},
		{"192.0.2.7", 2 * HOUR + 5, 0, POLICY_ALREADY_BANNED},	/* no identity: counted */
	};
	static const char *const kv[] = {"bantime", "1h", NULL};
	struct config *c = conf(kv);
	struct policy *p = policy_new(c);
	struct policy_decision d;

	(void) state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct addr a = A(rows[i].addr);

		assert_int_equal(policy_strike_seen(p, &a, REASON_NOAUTH, EPOCH + rows[i].at * SEC, rows[i].key, &d), 0);
		if (d.verdict != rows[i].verdict)
			fail_msg("row %zu: %s at %" PRId64 " key %" PRIu64 ": %s, want %s", i, rows[i].addr, rows[i].at,
				 rows[i].key, verdict_name(d.verdict), verdict_name(rows[i].verdict));
	}
	assert_int_equal(policy_counters(p)->redelivered, 7);
	assert_int_equal(policy_counters(p)->redelivered_reason[REASON_NOAUTH], 7);
	assert_int_equal(policy_counters(p)->bans, 2);

	/* only the latest policy_seen_max() identities stay */
	struct addr a = A("198.51.100.9");
	unsigned max = policy_seen_max(p);

	assert_int_equal(max, 2 + POLICY_SEEN_EXTRA);
	for (unsigned i = 0; i <= max; i++)
		policy_strike_seen(p, &a, REASON_NOAUTH, EPOCH + (int64_t) i * DAY * 2 * SEC, 100 + i, &d);
	policy_strike_seen(p, &a, REASON_NOAUTH, EPOCH + (int64_t) max * DAY * 2 * SEC, 100 + max, &d);
	assert_int_equal(d.verdict, POLICY_REDELIVERED);
	policy_strike_seen(p, &a, REASON_NOAUTH, EPOCH + DAY * 2 * SEC, 101, &d);
	assert_int_equal(d.verdict, POLICY_REDELIVERED);
	policy_strike_seen(p, &a, REASON_NOAUTH, EPOCH, 100, &d);	/* the first heard went */
	assert_int_equal(d.verdict, POLICY_COUNTED);

	/* what a state file gives back */
	struct policy *q = policy_new(c);
	struct policy_entry *e = policy_find(p, &a), saved = *e;
	int64_t strikes[POLICY_MAXRETRY_MAX];

	uint64_t keys[POLICY_MAXRETRY_MAX + POLICY_SEEN_EXTRA], keys2[POLICY_MAXRETRY_MAX + POLICY_SEEN_EXTRA];
	unsigned nkeys = policy_seen_keys(e, keys);

	assert_int_equal(nkeys, max);
	assert_int_equal(keys[nkeys - 1], 100);	/* oldest first: the last heard last */
	assert_int_equal(keys[0], 102);
	memcpy(strikes, e->strikes, e->nstrikes * sizeof(strikes[0]));
	assert_int_equal(policy_restore_seen(q, &a, keys, nkeys), -ENOENT);
	assert_int_equal(policy_restore(q, &saved, strikes, e->nstrikes), 0);
	assert_int_equal(policy_restore_seen(q, &a, keys, nkeys), 0);
	assert_int_equal(policy_seen_keys(policy_find(q, &a), keys2), max);
	assert_memory_equal(keys, keys2, max * sizeof(keys[0]));
	policy_strike_seen(q, &a, REASON_NOAUTH, EPOCH + DAY * 4 * SEC, 102, &d);
	assert_int_equal(d.verdict, POLICY_REDELIVERED);
	policy_strike_seen(q, &a, REASON_NOAUTH, EPOCH + DAY * 2 * SEC, 101, &d);	/* 100 pushed it out */
	assert_int_equal(d.verdict, POLICY_COUNTED);
	policy_free(q);
	policy_free(p);
	config_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_maxretry),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_growth_cap),
		cmocka_unit_test(test_ignoreip),
		cmocka_unit_test(test_ipv6_prefix),
		cmocka_unit_test(test_table_full),
		cmocka_unit_test(test_table_full_stale_first),
		cmocka_unit_test(test_flood_speed),
		cmocka_unit_test(test_forget_restore),
		cmocka_unit_test(test_redelivered),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_decision - decision(3): the format and its strict parser;
 * enforce(3): what a stream of decisions does to an MX's table and log.
 *
 * Tables: a line, whether it is accepted, and the field at fault. Then
 * every accepted line formats back to itself, every one-byte change of
 * a valid line is either refused or yields a line that formats back to
 * itself, and enforce(3) runs without a kernel (b = NULL) in a
 * temporary state_dir: duplicates, extension, unban, late and stale
 * deliveries, ignoreip, enforce_from, expiry, and a restart that reads
 * the log back; local unbans (authfold unban on the MX, bans(3)
 * requests in state_dir/enforce-unban.d): what they lift, what a late,
 * duplicate or newer central decision does after them, status' view,
 * compaction and replay, hostile requests.
 */

#include "bans.h"
#include "decision.h"
#include "enforce.h"
#include "publish.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>

#define V "authfold-decision v1 "
#define ID "id=0123456789abcdef "

static const struct {
	const char *line;
	enum decision_error want;
} table[] = {
	{V ID "op=ban net=192.0.2.7/32 at=1764470000 until=1764556400 reason=noauth by=central", DECISION_OK},
	{V ID "op=ban net=2001:db8:1:2::/64 at=1764470000 until=1764556400 reason=saslfail by=c.example.org", DECISION_OK},
	{V ID "op=unban net=192.0.2.0/24 at=1764470000 until=0 reason=admin by=central", DECISION_OK},
	{V ID "op=ban net=192.0.2.7/32 at=1764470000 until=1764470000 reason=my-rule_2 by=c", DECISION_OK},
	{V ID "op=alive at=1764470000 by=central.example.org", DECISION_OK},
	/* at= with microseconds: exactly six digits, not all zero */
	{V ID "op=ban net=192.0.2.7/32 at=1764470000.250000 until=1764556400 reason=noauth by=central", DECISION_OK},
	{V ID "op=unban net=192.0.2.7/32 at=1764470000.000001 until=0 reason=admin by=central", DECISION_OK},
	{V ID "op=alive at=1764470000.999999 by=central", DECISION_OK},
	{V ID "op=ban net=192.0.2.7/32 at=1764470000.25 until=1764556400 reason=noauth by=central", DECISION_E_AT},
	{V ID "op=ban net=192.0.2.7/32 at=1764470000.000000 until=1764556400 reason=noauth by=central", DECISION_E_AT},
	{V ID "op=ban net=192.0.2.7/32 at=1764470000.1234567 until=1764556400 reason=noauth by=central", DECISION_E_AT},
	{V ID "op=ban net=192.0.2.7/32 at=1764470000. until=1764556400 reason=noauth by=central", DECISION_E_AT},
	{V ID "op=ban net=192.0.2.7/32 at=.250000 until=1764556400 reason=noauth by=central", DECISION_E_AT},
	{V ID "op=ban net=192.0.2.7/32 at=1764470000.2x0000 until=1764556400 reason=noauth by=central", DECISION_E_AT},
	{V ID "op=ban net=192.0.2.7/32 at=1764470000.250000.1 until=1764556400 reason=noauth by=central", DECISION_E_AT},
	{V ID "op=alive at=5 until=6 by=c", DECISION_E_SYNTAX},
	{V ID "op=alive net=192.0.2.7/32 at=5 by=c", DECISION_E_SYNTAX},
	{V ID "op=alive at=0 by=c", DECISION_E_AT},
	{V ID "op=alive at=5 by=c x", DECISION_E_SYNTAX},
	{V ID "op=alive at=5 by=-c", DECISION_E_BY},
	/* versions and magic */
	{"authfold-decision v2 " ID "op=ban net=192.0.2.7/32 at=1 until=2 reason=noauth by=c", DECISION_E_VERSION},
	{"authfold-decision v10 x", DECISION_E_VERSION},
	{"authfold-decision v01 " ID "op=ban net=192.0.2.7/32 at=1 until=2 reason=noauth by=c", DECISION_E_SYNTAX},
	{"authfold-decision V1 " ID "op=ban net=192.0.2.7/32 at=1 until=2 reason=noauth by=c", DECISION_E_SYNTAX},
	{"authfold-decision v1", DECISION_E_SYNTAX},
	{"authfold-decision v1 ", DECISION_E_SYNTAX},
	{"authfold-decisio v1 " ID, DECISION_E_MAGIC},
	{"", DECISION_E_MAGIC},
	{" " V ID "op=ban net=192.0.2.7/32 at=1 until=2 reason=noauth by=c", DECISION_E_MAGIC},
	/* each field */
	{V "id=0123456789abcde op=ban net=192.0.2.7/32 at=1 until=2 reason=noauth by=c", DECISION_E_ID},
	{V "id=0123456789ABCDEF op=ban net=192.0.2.7/32 at=1 until=2 reason=noauth by=c", DECISION_E_ID},
	{V ID "op=bann net=192.0.2.7/32 at=1 until=2 reason=noauth by=c", DECISION_E_OP},
	{V ID "op=ban net=192.0.2.7 at=1 until=2 reason=noauth by=c", DECISION_E_NET},
	{V ID "op=ban net=192.0.2.7/24 at=1 until=2 reason=noauth by=c", DECISION_E_NET},	/* host bits */
	{V ID "op=ban net=0.0.0.0/0 at=1 until=2 reason=noauth by=c", DECISION_E_NET},
	{V ID "op=ban net=10.0.0.0/7 at=1 until=2 reason=noauth by=c", DECISION_E_NET},
	{V ID "op=ban net=2001:DB8::/64 at=1 until=2 reason=noauth by=c", DECISION_E_NET},	/* not canonical */
	{V ID "op=ban net=::ffff:192.0.2.7/128 at=1 until=2 reason=noauth by=c", DECISION_E_NET},
	{V ID "op=ban net=2001:db8::/8 at=1 until=2 reason=noauth by=c", DECISION_E_NET},
	{V ID "op=ban net=192.0.2.7/032 at=1 until=2 reason=noauth by=c", DECISION_E_NET},
	{V ID "op=ban net=192.0.2.7/32 at=0 until=2 reason=noauth by=c", DECISION_E_AT},
	{V ID "op=ban net=192.0.2.7/32 at=01 until=2 reason=noauth by=c", DECISION_E_AT},
	{V ID "op=ban net=192.0.2.7/32 at=-1 until=2 reason=noauth by=c", DECISION_E_AT},
	{V ID "op=ban net=192.0.2.7/32 at=99999999999999999999 until=2 reason=noauth by=c", DECISION_E_AT},
	{V ID "op=ban net=192.0.2.7/32 at=253402300800 until=2 reason=noauth by=c", DECISION_E_AT},
	{V ID "op=ban net=192.0.2.7/32 at=5 until=4 reason=noauth by=c", DECISION_E_UNTIL},
	{V ID "op=ban net=192.0.2.7/32 at=5 until=0 reason=noauth by=c", DECISION_E_UNTIL},
	{V ID "op=unban net=192.0.2.7/32 at=5 until=6 reason=admin by=c", DECISION_E_UNTIL},
	{V ID "op=ban net=192.0.2.7/32 at=5 until=6 reason=NoAuth by=c", DECISION_E_REASON},
	{V ID "op=ban net=192.0.2.7/32 at=5 until=6 reason= by=c", DECISION_E_REASON},
	{V ID "op=ban net=192.0.2.7/32 at=5 until=6 reason=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa by=c", DECISION_E_REASON},
	{V ID "op=ban net=192.0.2.7/32 at=5 until=6 reason=noauth by=-c", DECISION_E_BY},
	{V ID "op=ban net=192.0.2.7/32 at=5 until=6 reason=noauth by=c/d", DECISION_E_BY},
	{V ID "op=ban net=192.0.2.7/32 at=5 until=6 reason=noauth by=", DECISION_E_BY},
	/* order, spacing, extra fields */
	{V "op=ban " ID "net=192.0.2.7/32 at=5 until=6 reason=noauth by=c", DECISION_E_SYNTAX},
	{V ID "op=ban net=192.0.2.7/32  at=5 until=6 reason=noauth by=c", DECISION_E_SYNTAX},
	{V ID "op=ban net=192.0.2.7/32 at=5 until=6 reason=noauth by=c ", DECISION_E_SYNTAX},
	{V ID "op=ban net=192.0.2.7/32 at=5 until=6 reason=noauth by=c x=1", DECISION_E_SYNTAX},
	{V ID "op=ban net=192.0.2.7/32 at=5 until=6 by=c", DECISION_E_SYNTAX},
	{V ID "op=ban net=192.0.2.7/32\tat=5 until=6 reason=noauth by=c", DECISION_E_NET},
};

static void test_table(void **state)
{
	(void) state;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		struct decision d;
		enum decision_error e = DECISION_OK;
		int r = decision_parse(table[i].line, strlen(table[i].line), &d, &e);

		if (e != table[i].want)
			fail_msg("line %zu '%s': got '%s', want '%s'", i, table[i].line, decision_strerror(e),
				 decision_strerror(table[i].want));
		assert_int_equal(r, table[i].want == DECISION_OK ? 0 : -EINVAL);
		if (r == 0) {
			char buf[DECISION_LINE_MAX + 1];
			int n = decision_format(&d, buf, sizeof(buf));

			assert_int_equal(n, (int) strlen(table[i].line));
			assert_string_equal(buf, table[i].line);
		}
	}
}

static void test_long(void **state)
{
	char line[DECISION_LINE_MAX + 2];
	char by[DECISION_BY_MAX + 2];
	struct decision d;
	enum decision_error e;

	(void) state;
	memset(by, 'b', sizeof(by) - 1);
	by[DECISION_BY_MAX] = '\0';	/* 253: the longest host */
	int n = snprintf(line, sizeof(line), V ID "op=ban net=192.0.2.7/32 at=5 until=6 reason=noauth by=%s", by);

	assert_true(n <= DECISION_LINE_MAX);
	assert_int_equal(decision_parse(line, (size_t) n, &d, &e), 0);
	by[DECISION_BY_MAX] = 'b';	/* 254 */
	by[DECISION_BY_MAX + 1] = '\0';
	n = snprintf(line, sizeof(line), V ID "op=ban net=192.0.2.7/32 at=5 until=6 reason=noauth by=%s", by);
	assert_int_equal(decision_parse(line, (size_t) n, &d, &e), -EINVAL);
	assert_int_equal(e, DECISION_E_BY);
	/* longer than the limit: refused unread */
	char big[2048];

	memset(big, 'a', sizeof(big));
	memcpy(big, V, strlen(V));
	assert_int_equal(decision_parse(big, sizeof(big), &d, &e), -EINVAL);
	assert_int_equal(e, DECISION_E_LONG);
}

/* Every single-byte change of a valid line: refused, or a line that is
   its own canonical form. */
static void test_mutations(void **state)
{
	const char *base = table[1].line;
	size_t n = strlen(base);
	static const char bytes[] = " =/:.0129afz-_\t\nAv";

	(void) state;
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < sizeof(bytes) - 1; k++) {
			char line[DECISION_LINE_MAX + 1], back[DECISION_LINE_MAX + 1];
			struct decision d;

			memcpy(line, base, n);
			line[i] = bytes[k];
			if (decision_parse(line, n, &d, NULL) < 0)
				continue;
			assert_int_equal(decision_format(&d, back, sizeof(back)), (int) n);
			assert_memory_equal(back, line, n);
		}
}

static void test_format_refuses(void **state)
{
	struct decision d = {.op = DECISION_BAN, .at = 5, .until = 6, .reason = "noauth", .by = "c"};
	char buf[DECISION_LINE_MAX + 1];

	(void) state;
	assert_int_equal(decision_new_id(d.id), 0);
	assert_int_equal(strlen(d.id), DECISION_ID_LEN);
	assert_int_equal(cidr_parse("192.0.2.7/32", 12, &d.net), 0);
	assert_true(decision_format(&d, buf, sizeof(buf)) > 0);
	assert_int_equal(decision_format(&d, buf, 20), -ENOSPC);
	d.until = 4;
	assert_int_equal(decision_format(&d, buf, sizeof(buf)), -EINVAL);
	d.until = 6;
	strcpy(d.reason, "Bad");
	assert_int_equal(decision_format(&d, buf, sizeof(buf)), -EINVAL);
	strcpy(d.reason, "noauth");
	strcpy(d.by, "a b");
	assert_int_equal(decision_format(&d, buf, sizeof(buf)), -EINVAL);
}

/* --- enforce(3) without a kernel ----------------------------------------- */

static char dir[64];

static struct decision dec(const char *id, enum decision_op op, const char *net, int64_t at, int64_t until)
{
	struct decision d = {.op = op, .at = at, .until = until, .by = "central"};

	snprintf(d.id, sizeof(d.id), "%s", id);
	snprintf(d.reason, sizeof(d.reason), "%s", op == DECISION_BAN ? "noauth" : "admin");
	assert_int_equal(cidr_parse(net, strlen(net), &d.net), 0);
	return d;
}

static enum enforce_result apply(struct enforce *e, struct decision d, int64_t now)
{
	enum enforce_result r;
	char err[256];

	assert_int_equal(enforce_apply(e, &d, now, &r, err, sizeof(err)), 0);
	return r;
}

static void test_enforce(void **state)
{
	struct config *c = config_new();
	struct enforce *e;
	char err[512], cmd[128];
	const int64_t T = 1764470000;

	(void) state;
	snprintf(dir, sizeof(dir), "/tmp/test_decision.XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_int_equal(config_set(c, "state_dir", dir, err, sizeof(err)), 0);
	assert_int_equal(config_set(c, "ignoreip", "127.0.0.0/8 198.51.100.0/24", err, sizeof(err)), 0);
	assert_int_equal(enforce_open(c, NULL, T, &e, err, sizeof(err)), 0);
	/* a second enforcer on the same state_dir is refused */
	struct enforce *e2;

	assert_int_equal(enforce_open(c, NULL, T, &e2, err, sizeof(err)), -EWOULDBLOCK);

	assert_int_equal(apply(e, dec("00000000000000a1", DECISION_BAN, "192.0.2.7/32", T, T + 100), T), ENFORCE_BANNED);
	assert_int_equal(apply(e, dec("00000000000000a1", DECISION_BAN, "192.0.2.7/32", T, T + 100), T), ENFORCE_DUPLICATE);
	assert_int_equal(apply(e, dec("00000000000000a2", DECISION_BAN, "192.0.2.7/32", T + 1, T + 50), T + 1), ENFORCE_KEPT);
	assert_int_equal(apply(e, dec("00000000000000a3", DECISION_BAN, "192.0.2.7/32", T + 2, T + 200), T + 2), ENFORCE_BANNED);
	assert_int_equal(apply(e, dec("00000000000000a4", DECISION_BAN, "192.0.2.8/32", T - 300, T - 1), T + 2), ENFORCE_EXPIRED);
	assert_int_equal(apply(e, dec("00000000000000a5", DECISION_BAN, "198.51.100.9/32", T, T + 100), T + 2), ENFORCE_IGNORED);
	assert_int_equal(apply(e, dec("00000000000000a6", DECISION_BAN, "192.0.2.0/24", T, T + 100), T + 2), ENFORCE_UNSUPPORTED);
	assert_int_equal(apply(e, dec("00000000000000a7", DECISION_BAN, "2001:db8:1::/64", T, T + 100), T + 2), ENFORCE_BANNED);
	assert_int_equal(apply(e, dec("00000000000000a8", DECISION_BAN, "203.0.113.5/32", T, T + 100), T + 2), ENFORCE_BANNED);
	assert_int_equal(enforce_entries(e), 3);
	/* unban 192.0.2.0/24 at T+3: removes 192.0.2.7, remembered */
	assert_int_equal(apply(e, dec("00000000000000b1", DECISION_UNBAN, "192.0.2.0/24", T + 3, 0), T + 3), ENFORCE_UNBANNED);
	assert_int_equal(apply(e, dec("00000000000000b1", DECISION_UNBAN, "192.0.2.0/24", T + 3, 0), T + 3), ENFORCE_DUPLICATE);
	assert_int_equal(enforce_entries(e), 3);	/* 2001:db8:1::/64, 203.0.113.5, the unban */
	/* unban 203.0.113.5 decided before its ban: stale */
	assert_int_equal(apply(e, dec("00000000000000b2", DECISION_UNBAN, "203.0.113.5/32", T - 1, 0), T + 3), ENFORCE_STALE);
	/* a late ban of 203.0.113.5, then its unban, then the ban again late */
	assert_int_equal(apply(e, dec("00000000000000b3", DECISION_UNBAN, "203.0.113.5/32", T + 4, 0), T + 4), ENFORCE_UNBANNED);
	assert_int_equal(apply(e, dec("00000000000000a8", DECISION_BAN, "203.0.113.5/32", T, T + 100), T + 5), ENFORCE_STALE);
	/* decided after the unban: a ban again */
	assert_int_equal(apply(e, dec("00000000000000a9", DECISION_BAN, "203.0.113.5/32", T + 6, T + 100), T + 6), ENFORCE_BANNED);
	/* a keep-alive: only its arrival */
	{
		struct decision a = {.id = "00000000000000ff", .op = DECISION_ALIVE, .at = T + 5, .by = "central"};

		assert_int_equal(apply(e, a, T + 6), ENFORCE_ALIVE);
		assert_int_equal(enforce_counters(e)->last_arrival, T + 6);
		assert_int_equal(enforce_counters(e)->results[ENFORCE_ALIVE], 1);
	}
	/* enforce_from */
	assert_int_equal(config_set(c, "enforce_from", "central.example", err, sizeof(err)), 0);
	assert_int_equal(apply(e, dec("00000000000000c1", DECISION_BAN, "192.0.2.99/32", T, T + 100), T + 6), ENFORCE_NOT_FROM);
	assert_int_equal(config_set(c, "enforce_from", "central", err, sizeof(err)), 0);
	enforce_refused(e);
	assert_int_equal(enforce_counters(e)->malformed, 1);
	assert_int_equal(enforce_counters(e)->results[ENFORCE_BANNED], 5);
	assert_int_equal(enforce_tick(e, T + 6, err, sizeof(err)), 0);
	enforce_free(e);

	/* --restore's count and status(3)'s walk read the log without the lock */
	{
		size_t running = 99, k = 0;
		struct enforce *s = NULL;
		struct enforce_ban b;
		char net[ADDR_STRLEN];
		struct config *none = config_new();

		assert_int_equal(enforce_running(c, T + 7, &running, err, sizeof(err)), 0);
		assert_int_equal(running, 2);	/* 2001:db8:1::/64, 203.0.113.5 */
		assert_int_equal(enforce_running(c, T + 100, &running, err, sizeof(err)), 0);
		assert_int_equal(running, 0);	/* both ended */
		assert_int_equal(enforce_status_read(c, T + 7, &s, err, sizeof(err)), 0);
		assert_non_null(s);
		assert_int_not_equal(k = enforce_next_ban(s, k, &b), 0);
		addr_format(&b.net.net, net);
		assert_string_equal(net, "2001:db8:1::");
		assert_int_equal(b.net.prefix, 64);
		assert_string_equal(b.id, "00000000000000a7");
		assert_int_equal(b.until, T + 100);
		assert_int_equal(b.arrived, T + 2);
		assert_string_equal(b.by, "central");
		assert_string_equal(b.reason, "noauth");
		assert_int_not_equal(k = enforce_next_ban(s, k, &b), 0);
		assert_string_equal(b.id, "00000000000000a9");
		assert_int_equal(enforce_next_ban(s, k, &b), 0);
		assert_int_equal(enforce_bad_log_lines(s), 0);
		enforce_free(s);
		/* no state_dir: nothing to restore, no enforcer to show */
		assert_int_equal(config_set(none, "state_dir", "/nonexistent/authfold-test", err, sizeof(err)), 0);
		assert_int_equal(enforce_running(none, T, &running, err, sizeof(err)), 0);
		assert_int_equal(running, 0);
		assert_int_equal(enforce_status_read(none, T, &s, err, sizeof(err)), 0);
		assert_null(s);
		config_free(none);
	}

	/* a restart reads the log back: same table */
	assert_int_equal(enforce_open(c, NULL, T + 7, &e, err, sizeof(err)), 0);
	assert_int_equal(enforce_entries(e), 3);	/* /64, 203.0.113.5 (banned after its unban), 192.0.2.0/24's unban */
	assert_int_equal(enforce_counters(e)->malformed, 1);
	assert_int_equal(enforce_counters(e)->last_arrival, T + 6);
	assert_int_equal(apply(e, dec("00000000000000a9", DECISION_BAN, "203.0.113.5/32", T + 6, T + 100), T + 7), ENFORCE_DUPLICATE);
	assert_int_equal(apply(e, dec("00000000000000a1", DECISION_BAN, "192.0.2.7/32", T, T + 100), T + 7), ENFORCE_STALE);
	/* the ends pass: everything but the remembered unbans goes */
	assert_int_equal(enforce_tick(e, T + 101, err, sizeof(err)), 0);
	assert_int_equal(enforce_entries(e), 2);
	/* a ban decided before 203.0.113.5's unban, ending later, delivered late */
	assert_int_equal(apply(e, dec("00000000000000aa", DECISION_BAN, "203.0.113.5/32", T + 3, T + 900), T + 102), ENFORCE_STALE);
	enforce_free(e);
	assert_int_equal(enforce_open(c, NULL, T + 102, &e, err, sizeof(err)), 0);
	assert_int_equal(enforce_entries(e), 2);
	assert_int_equal(apply(e, dec("00000000000000aa", DECISION_BAN, "203.0.113.5/32", T + 3, T + 900), T + 102), ENFORCE_STALE);
	enforce_free(e);
	/* status reads it without the lock */
	FILE *fp = tmpfile();

	assert_int_equal(enforce_status_write(fp, c, T + 101), 0);
	assert_true(ftell(fp) > 0);
	fclose(fp);
	config_free(c);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* The table's bound: the last entries are refused, counted, nothing grows. */
static void test_enforce_full(void **state)
{
	struct config *c = config_new();
	struct enforce *e;
	char err[512], cmd[128];
	const int64_t T = 1764470000;
	unsigned full = 0;

	(void) state;
	snprintf(dir, sizeof(dir), "/tmp/test_decision.XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_int_equal(config_set(c, "state_dir", dir, err, sizeof(err)), 0);
	assert_int_equal(enforce_open(c, NULL, T, &e, err, sizeof(err)), 0);
	for (unsigned i = 0; i < ENFORCE_ENTRIES_MAX + 10; i++) {
		struct decision d = dec("00000000000000a1", DECISION_BAN, "2001:db8::/64", T, T + 100);

		d.net.net.bytes[4] = (uint8_t) (i >> 8);
		d.net.net.bytes[5] = (uint8_t) i;
		d.net.net.bytes[6] = (uint8_t) (i >> 16);
		if (apply(e, d, T) == ENFORCE_FULL)
			full++;
	}
	assert_int_equal(full, 10);
	assert_int_equal(enforce_entries(e), ENFORCE_ENTRIES_MAX);
	enforce_free(e);
	config_free(c);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* --- write-ahead, limits, sub-second order ---------------------------------- */

static off_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : -1;
}

static bool ends_with_newline(const char *path)
{
	char ch = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	off_t n = fd >= 0 ? lseek(fd, -1, SEEK_END) : -1;
	bool ok = n >= 0 && read(fd, &ch, 1) == 1 && ch == '\n';

	if (fd >= 0)
		close(fd);
	return ok;
}

/* A full disk, by RLIMIT_FSIZE (a write past it fails with EFBIG, the
   part below it is written): the decision is refused with the table and
   the log unchanged (no part of a line left), and the retry after the
   space comes back does the work (banned, not a duplicate); a restart
   finds it. */
static void test_write_ahead(void **state)
{
	struct config *c = config_new();
	struct enforce *e;
	enum enforce_result r;
	char err[512], cmd[128], path[128];
	const int64_t T = 1764470000;
	struct rlimit old, lim;
	struct sigaction sa = {.sa_handler = SIG_IGN}, old_sa;

	(void) state;
	snprintf(dir, sizeof(dir), "/tmp/test_decision.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, ENFORCE_LOG_NAME);
	assert_int_equal(config_set(c, "state_dir", dir, err, sizeof(err)), 0);
	assert_int_equal(enforce_open(c, NULL, T, &e, err, sizeof(err)), 0);
	assert_int_equal(apply(e, dec("00000000000000a1", DECISION_BAN, "192.0.2.7/32", T, T + 100), T), ENFORCE_BANNED);
	off_t size = file_size(path);

	assert_true(size > 0);
	assert_int_equal(sigaction(SIGXFSZ, &sa, &old_sa), 0);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	for (int part = 0; part < 2; part++) {
		struct decision b = dec("00000000000000a2", DECISION_BAN, "192.0.2.8/32", T, T + 100);
		struct decision u = dec("00000000000000b1", DECISION_UNBAN, "192.0.2.7/32", T + 1, 0);

		/* no byte fits, then 20 bytes of the line do */
		lim = old;
		lim.rlim_cur = (rlim_t) size + (part ? 20 : 0);
		assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
		err[0] = 0;
		assert_true(enforce_apply(e, &b, T + 1, &r, err, sizeof(err)) < 0);
		assert_non_null(strstr(err, "cannot write"));
		assert_true(enforce_apply(e, &u, T + 1, &r, err, sizeof(err)) < 0);
		assert_int_equal(enforce_entries(e), 1);	/* 192.0.2.7 still held, 192.0.2.8 not */
		assert_int_equal(enforce_counters(e)->results[ENFORCE_BANNED], 1);
		assert_int_equal(file_size(path), size);	/* nothing of the line left */
	}
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	/* the retries do the work */
	assert_int_equal(apply(e, dec("00000000000000a2", DECISION_BAN, "192.0.2.8/32", T, T + 100), T + 2), ENFORCE_BANNED);
	assert_int_equal(apply(e, dec("00000000000000b1", DECISION_UNBAN, "192.0.2.7/32", T + 1, 0), T + 2), ENFORCE_UNBANNED);
	assert_true(ends_with_newline(path));
	enforce_free(e);
	/* a torn last line (a crash in the middle of a write) is cut at start */
	{
		FILE *fp = fopen(path, "ae");

		assert_non_null(fp);
		fputs("1764470003 authfold-decision v1 id=00000000000000a3 op=ban net=192.0", fp);
		fclose(fp);
	}
	assert_int_equal(enforce_open(c, NULL, T + 3, &e, err, sizeof(err)), 0);
	assert_true(ends_with_newline(path));
	assert_int_equal(apply(e, dec("00000000000000a4", DECISION_BAN, "192.0.2.9/32", T + 3, T + 100), T + 3), ENFORCE_BANNED);
	enforce_free(e);
	/* the restart: 192.0.2.8 and .9 held, 192.0.2.7 unbanned (remembered) */
	{
		size_t running = 0;

		assert_int_equal(enforce_running(c, T + 4, &running, err, sizeof(err)), 0);
		assert_int_equal(running, 2);
	}
	assert_int_equal(sigaction(SIGXFSZ, &old_sa, NULL), 0);
	config_free(c);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* The file's bytes after each line's arrival field: what a batch logs
   must be what the same decisions log one by one. */
static char *log_body(const char *path)
{
	FILE *fp = fopen(path, "re");
	char line[1024], *out = calloc(1, 1 << 16);
	size_t len = 0;

	assert_non_null(fp);
	assert_non_null(out);
	while (fgets(line, sizeof(line), fp)) {
		const char *sp = strchr(line, ' ');

		assert_non_null(sp);
		assert_true(len + strlen(sp) < (1 << 16));
		memcpy(out + len, sp, strlen(sp));
		len += strlen(sp);
	}
	fclose(fp);
	return out;
}

/* enforce_apply_batch(): the results and the log of enforce_apply() one
   by one (runs of bans split at an unban, a keep-alive and a second ban
   of one network); a batch whose log cannot be written changes nothing,
   says how many were done, and its retry does the work. */
static void test_batch(void **state)
{
	const int64_t T = 1764470000;
	struct decision ds[8];
	enum enforce_result one[8], many[8];
	char *body[2];
	char err[512], cmd[160], path[128];
	size_t n = 0, done;

	(void) state;
	ds[n++] = dec("00000000000000c1", DECISION_BAN, "198.51.100.11/32", T, T + 100);
	ds[n++] = dec("00000000000000c2", DECISION_BAN, "198.51.100.12/32", T, T + 100);
	ds[n++] = dec("00000000000000c3", DECISION_BAN, "2001:db8:5::/64", T, T + 100);
	ds[n++] = dec("00000000000000c4", DECISION_BAN, "198.51.100.11/32", T, T + 200);	/* extends c1 */
	ds[n++] = dec("00000000000000c1", DECISION_BAN, "198.51.100.11/32", T, T + 100);	/* resent: kept */
	ds[n++] = dec("00000000000000d1", DECISION_UNBAN, "198.51.100.12/32", T + 1, 0);
	ds[n++] = dec("00000000000000c5", DECISION_BAN, "198.51.100.12/32", T, T + 100);	/* stale */
	ds[n++] = dec("00000000000000c6", DECISION_BAN, "198.51.100.19/32", T + 2, T + 100);
	for (int pass = 0; pass < 2; pass++) {
		struct config *c = config_new();
		struct enforce *e;

		snprintf(dir, sizeof(dir), "/tmp/test_decision.XXXXXX");
		assert_non_null(mkdtemp(dir));
		snprintf(path, sizeof(path), "%s/%s", dir, ENFORCE_LOG_NAME);
		assert_int_equal(config_set(c, "state_dir", dir, err, sizeof(err)), 0);
		assert_int_equal(enforce_open(c, NULL, T, &e, err, sizeof(err)), 0);
		if (pass == 0) {
			for (size_t i = 0; i < n; i++)
				one[i] = apply(e, ds[i], T + 3);
		} else {
			assert_int_equal(enforce_apply_batch(e, ds, n, T + 3, many, &done, err, sizeof(err)), 0);
			assert_int_equal(done, n);
		}
		body[pass] = log_body(path);
		assert_int_equal(enforce_entries(e), 4);
		enforce_free(e);
		config_free(c);
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		assert_int_equal(system(cmd), 0);
	}
	for (size_t i = 0; i < n; i++)
		assert_int_equal(many[i], one[i]);
	assert_int_equal(one[3], ENFORCE_BANNED);
	assert_int_equal(one[4], ENFORCE_KEPT);
	assert_int_equal(one[6], ENFORCE_STALE);
	assert_int_equal(one[7], ENFORCE_BANNED);
	assert_string_equal(body[1], body[0]);
	free(body[0]);
	free(body[1]);

	/* a full disk: nothing of the run is logged or applied, then the retry */
	struct config *c = config_new();
	struct enforce *e;
	struct rlimit old, lim;
	struct sigaction sa = {.sa_handler = SIG_IGN}, old_sa;

	snprintf(dir, sizeof(dir), "/tmp/test_decision.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, ENFORCE_LOG_NAME);
	assert_int_equal(config_set(c, "state_dir", dir, err, sizeof(err)), 0);
	assert_int_equal(enforce_open(c, NULL, T, &e, err, sizeof(err)), 0);
	assert_int_equal(apply(e, dec("00000000000000e0", DECISION_BAN, "198.51.100.1/32", T, T + 100), T), ENFORCE_BANNED);
	off_t size = file_size(path);

	assert_int_equal(sigaction(SIGXFSZ, &sa, &old_sa), 0);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = (rlim_t) size * 2 + 10;	/* the first line and part of the second fit */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	err[0] = 0;
	assert_true(enforce_apply_batch(e, ds, 3, T + 3, many, &done, err, sizeof(err)) < 0);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	assert_int_equal(sigaction(SIGXFSZ, &old_sa, NULL), 0);
	assert_non_null(strstr(err, "cannot write"));
	assert_int_equal(done, 0);
	assert_int_equal(enforce_entries(e), 1);
	assert_int_equal(file_size(path), size);
	assert_true(ends_with_newline(path));
	assert_int_equal(enforce_apply_batch(e, ds, 3, T + 3, many, &done, err, sizeof(err)), 0);
	assert_int_equal(done, 3);
	assert_int_equal(many[0], ENFORCE_BANNED);
	assert_int_equal(enforce_entries(e), 4);
	assert_int_equal(enforce_apply_batch(e, ds, ENFORCE_BATCH_MAX + 1, T + 3, many, &done, err, sizeof(err)),
			 -EINVAL);
	enforce_free(e);
	/* the restart reads the batch back */
	{
		size_t running = 0;

		assert_int_equal(enforce_running(c, T + 4, &running, err, sizeof(err)), 0);
		assert_int_equal(running, 4);
	}
	config_free(c);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

struct fake_kernel {
	unsigned adds;
	unsigned last_seconds;
};

static int fake_add(void *data, const struct addr *net, unsigned prefix, unsigned seconds, char *err, size_t errlen)
{
	struct fake_kernel *k = data;

	(void) net, (void) prefix, (void) err, (void) errlen;
	k->adds++;
	k->last_seconds = seconds;
	return 0;
}

/* until at most bantime_max past at; IPv6 no wider than ipv6_prefix (or
   enforce_ipv6_prefix); the central host's addresses never banned; a
   ban longer than the kernel's longest timeout renewed before it ends;
   a ban and an unban of the same second ordered by their microseconds. */
static void test_limits(void **state)
{
	struct config *c = config_new();
	struct enforce *e;
	struct enforce_ban b;
	struct fake_kernel k = {0, 0};
	struct backend be;
	char err[512], cmd[128];
	const int64_t T = 1764470000;
	size_t i;

	(void) state;
	memset(&be, 0, sizeof(be));
	be.kind = BACKEND_NONE;
	be.ops.add = fake_add;
	be.ops.data = &k;
	snprintf(dir, sizeof(dir), "/tmp/test_decision.XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_int_equal(config_set(c, "state_dir", dir, err, sizeof(err)), 0);
	assert_int_equal(config_set(c, "bantime_max", "1d", err, sizeof(err)), 0);
	assert_int_equal(config_set(c, "enforce_from", "central 203.0.113.250", err, sizeof(err)), 0);
	assert_int_equal(enforce_open(c, &be, T, &e, err, sizeof(err)), 0);
	/* until: year 9999 becomes at + 1d, in the table and the kernel */
	assert_int_equal(apply(e, dec("00000000000000a1", DECISION_BAN, "192.0.2.7/32", T, INT64_C(253402300799)), T),
			 ENFORCE_BANNED);
	assert_int_not_equal(i = enforce_next_ban(e, 0, &b), 0);
	assert_int_equal(b.until, T + 86400);
	assert_int_equal(k.last_seconds, 86400);
	/* the central host's resync republishes it with the same id: a no-op, even with a later until */
	assert_int_equal(apply(e, dec("00000000000000a1", DECISION_BAN, "192.0.2.7/32", T, T + 5 * 86400), T + 60),
			 ENFORCE_DUPLICATE);
	assert_int_not_equal(enforce_next_ban(e, 0, &b), 0);
	assert_int_equal(b.until, T + 86400);
	assert_int_equal(k.adds, 1);
	/* IPv6: /64 (ipv6_prefix) yes, /48 no, unless enforce_ipv6_prefix says so */
	assert_int_equal(apply(e, dec("00000000000000a2", DECISION_BAN, "2001:db8:1::/64", T, T + 100), T), ENFORCE_BANNED);
	assert_int_equal(apply(e, dec("00000000000000a3", DECISION_BAN, "2001:db8:2::/48", T, T + 100), T), ENFORCE_UNSUPPORTED);
	assert_int_equal(apply(e, dec("00000000000000a4", DECISION_BAN, "2001:db8::/16", T, T + 100), T), ENFORCE_UNSUPPORTED);
	assert_int_equal(config_set(c, "enforce_ipv6_prefix", "48", err, sizeof(err)), 0);
	assert_int_equal(apply(e, dec("00000000000000a3", DECISION_BAN, "2001:db8:2::/48", T, T + 100), T), ENFORCE_BANNED);
	assert_int_equal(apply(e, dec("00000000000000a5", DECISION_BAN, "2001:db8:3::/47", T, T + 100), T), ENFORCE_UNSUPPORTED);
	/* the central host (an enforce_from name that is an address) and this host (loopback: ignoreip's
	   default is cleared) */
	assert_int_equal(apply(e, dec("00000000000000a6", DECISION_BAN, "203.0.113.250/32", T, T + 100), T), ENFORCE_IGNORED);
	assert_int_equal(config_set(c, "ignoreip", "192.0.2.250", err, sizeof(err)), 0);
	assert_int_equal(apply(e, dec("00000000000000a7", DECISION_BAN, "127.0.0.1/32", T, T + 100), T), ENFORCE_IGNORED);
	assert_int_equal(apply(e, dec("00000000000000a8", DECISION_BAN, "::1/128", T, T + 100), T), ENFORCE_IGNORED);
	/* same second: the unban at .2 does not make the ban at .5 stale; the ban at .1 is */
	{
		struct decision u = dec("00000000000000b1", DECISION_UNBAN, "198.51.100.7/32", T + 10, 0);
		struct decision late = dec("00000000000000a9", DECISION_BAN, "198.51.100.7/32", T + 10, T + 100);
		struct decision early = dec("00000000000000aa", DECISION_BAN, "198.51.100.8/32", T + 10, T + 100);
		struct decision u2 = dec("00000000000000b2", DECISION_UNBAN, "198.51.100.8/32", T + 10, 0);

		u.at_usec = 200000;
		late.at_usec = 500000;
		assert_int_equal(apply(e, u, T + 10), ENFORCE_UNBANNED);
		assert_int_equal(apply(e, late, T + 10), ENFORCE_BANNED);
		u2.at_usec = 200000;
		early.at_usec = 100000;
		assert_int_equal(apply(e, u2, T + 10), ENFORCE_UNBANNED);
		assert_int_equal(apply(e, early, T + 10), ENFORCE_STALE);
	}
	enforce_free(e);
	/* replayed: the same table, the microseconds kept */
	assert_int_equal(enforce_open(c, &be, T + 11, &e, err, sizeof(err)), 0);
	{
		unsigned n = 0;
		bool late = false;

		for (i = 0; (i = enforce_next_ban(e, i, &b)) > 0; n++)
			if (strcmp(b.id, "00000000000000a9") == 0)
				late = true;
		assert_int_equal(n, 4);	/* 192.0.2.7, 2001:db8:1::/64, 2001:db8:2::/48, 198.51.100.7 */
		assert_true(late);
	}
	enforce_free(e);

	/* renewal: a decision whose at= lies ahead of this clock (the central
	   host's clock runs ahead) outlasts the kernel's longest timeout */
	assert_int_equal(config_set(c, "bantime_max", "24d", err, sizeof(err)), 0);
	assert_int_equal(enforce_open(c, &be, T, &e, err, sizeof(err)), 0);
	k.adds = 0;
	assert_int_equal(apply(e, dec("00000000000000c1", DECISION_BAN, "192.0.2.77/32", T + 3 * 86400,
				       T + 3 * 86400 + 2073600), T), ENFORCE_BANNED);
	assert_int_equal(k.adds, 1);
	assert_int_equal(k.last_seconds, 2147483);
	assert_int_equal(enforce_tick(e, T + 3600, err, sizeof(err)), 0);
	assert_int_equal(k.adds, 1);	/* not yet */
	assert_int_equal(enforce_tick(e, T + 2147483 - 86400 + 1, err, sizeof(err)), 0);
	assert_int_equal(k.adds, 2);	/* a day before the kernel entry ends */
	assert_int_equal(k.last_seconds, 3 * 86400 + 2073600 - (2147483 - 86400 + 1));
	assert_int_equal(enforce_tick(e, T + 2147483 - 86400 + 2, err, sizeof(err)), 0);
	assert_int_equal(k.adds, 2);	/* it now runs to the ban's end */
	enforce_free(e);
	config_free(c);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* --- local unbans ----------------------------------------------------------- */

static void request(const struct config *c, const char *net, int64_t at)
{
	struct cidr t;
	char err[512];

	assert_int_equal(cidr_parse(net, strlen(net), &t), 0);
	assert_int_equal(bans_request_to(c->state_dir, ENFORCE_REQUEST_DIR, &t, at, NULL, 0, err, sizeof(err)), 0);
}

/* "ADDR/PREFIX@LIFTED" of every held (lifted false) or lifted ban,
   sorted, comma-separated: the table in one comparable string. */
static const char *bans_of(const struct enforce *e, bool lifted, int64_t T)
{
	static char out[1024];
	char items[16][80], a[ADDR_STRLEN], tmp[80];
	struct enforce_ban b;
	size_t n = 0, k = 0;

	while ((k = lifted ? enforce_next_lifted(e, k, &b) : enforce_next_ban(e, k, &b)) > 0 && n < 16) {
		addr_format(&b.net.net, a);
		if (lifted)
			snprintf(items[n++], sizeof(items[0]), "%s/%u@%lld", a, b.net.prefix, (long long) (b.lifted - T));
		else
			snprintf(items[n++], sizeof(items[0]), "%s/%u", a, b.net.prefix);
	}
	for (size_t i = 0; i < n; i++)	/* sort */
		for (size_t j = i + 1; j < n; j++)
			if (strcmp(items[i], items[j]) > 0) {
				memcpy(tmp, items[i], sizeof(tmp));
				memcpy(items[i], items[j], sizeof(tmp));
				memcpy(items[j], tmp, sizeof(tmp));
			}
	/* Appended by hand: gcc 14's -Wformat-truncation flags an snprintf
	   to out + strlen(out), whose room it cannot bound. */
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		size_t m = strlen(items[i]);

		assert_true(len + 1 + m < sizeof(out));
		if (i > 0)
			out[len++] = ',';
		memcpy(out + len, items[i], m);
		len += m;
	}
	out[len] = 0;
	return out;
}

static unsigned files_in(const char *path)
{
	char cmd[256], buf[32] = "";
	FILE *p;

	snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", path);
	assert_non_null(p = popen(cmd, "r"));
	assert_non_null(fgets(buf, sizeof(buf), p));
	pclose(p);
	return (unsigned) atoi(buf);
}

static void test_local_unban(void **state)
{
	struct config *c = config_new();
	struct enforce *e, *s;
	char err[512], cmd[256], msg[1024], reqdir[128], path[160];
	/* a past second: the requests' "at" must not lie after now */
	const int64_t T = 1764470000;
	size_t running;

	(void) state;
	snprintf(dir, sizeof(dir), "/tmp/test_decision.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(reqdir, sizeof(reqdir), "%s/%s", dir, ENFORCE_REQUEST_DIR);
	assert_int_equal(config_set(c, "state_dir", dir, err, sizeof(err)), 0);
	assert_int_equal(config_set(c, "enforce_from", "central", err, sizeof(err)), 0);
	assert_int_equal(enforce_open(c, NULL, T, &e, err, sizeof(err)), 0);
	/* nothing asked: nothing done, nothing said */
	assert_int_equal(enforce_take_requests(e, T, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "");

	assert_int_equal(apply(e, dec("00000000000000a1", DECISION_BAN, "192.0.2.7/32", T, T + 1000), T), ENFORCE_BANNED);
	assert_int_equal(apply(e, dec("00000000000000a2", DECISION_BAN, "2001:db8:1::/64", T, T + 2000), T), ENFORCE_BANNED);
	assert_int_equal(apply(e, dec("00000000000000a3", DECISION_BAN, "192.0.2.9/32", T + 20, T + 1000), T + 20), ENFORCE_BANNED);
	assert_int_equal(apply(e, dec("00000000000000a4", DECISION_BAN, "203.0.113.5/32", T, T + 1000), T + 20), ENFORCE_BANNED);
	assert_int_equal(apply(e, dec("00000000000000a5", DECISION_BAN, "2001:db8:5::/64", T, T + 2000), T + 20), ENFORCE_BANNED);

	/* asked at T+10: 192.0.2.7 itself; 2001:db8::/32 holds a held /64;
	   192.0.2.9 was banned at T+20, after the admin asked; nothing of
	   198.51.100.1 is held; 2001:db8:5::/64 itself */
	request(c, "192.0.2.7/32", T + 10);
	request(c, "2001:db8::/32", T + 10);
	request(c, "192.0.2.9/32", T + 10);
	request(c, "198.51.100.1/32", T + 10);
	request(c, "2001:db8:5::/64", T + 10);
	/* status before any enforcer took them: shown as lifted, counted, left in place */
	assert_int_equal(enforce_status_read(c, T + 21, &s, err, sizeof(err)), 0);
	assert_non_null(s);
	assert_int_equal(enforce_pending_requests(s), 5);
	assert_string_equal(bans_of(s, true, T), "192.0.2.7/32@10,2001:db8:1::/64@10,2001:db8:5::/64@10");
	assert_string_equal(bans_of(s, false, T), "192.0.2.9/32,203.0.113.5/32");
	enforce_free(s);
	assert_int_equal(files_in(reqdir), 5);

	assert_int_equal(enforce_take_requests(e, T + 21, msg, sizeof(msg)), 5);
	assert_non_null(strstr(msg, "local unban of 192.0.2.7/32 (uid "));
	assert_non_null(strstr(msg, "): 1 central ban lifted"));
	assert_non_null(strstr(msg, "local unban of 192.0.2.9/32 (uid "));
	assert_non_null(strstr(msg, "the central host banned it again after it was asked"));
	assert_non_null(strstr(msg, "no central ban held"));
	assert_int_equal(files_in(reqdir), 0);	/* taken: deleted */
	assert_string_equal(bans_of(e, true, T), "192.0.2.7/32@10,2001:db8:1::/64@10,2001:db8:5::/64@10");
	assert_string_equal(bans_of(e, false, T), "192.0.2.9/32,203.0.113.5/32");
	/* the counters are the central decisions': a local unban is none */
	assert_int_equal(enforce_counters(e)->results[ENFORCE_UNBANNED], 0);
	assert_int_equal(enforce_counters(e)->last_arrival, T + 20);

	/* a wider local unban later: the lifted /64s remember the later one */
	request(c, "2001:db8::/32", T + 15);
	assert_int_equal(enforce_take_requests(e, T + 22, msg, sizeof(msg)), 1);
	assert_string_equal(bans_of(e, true, T), "192.0.2.7/32@10,2001:db8:1::/64@15,2001:db8:5::/64@15");
	/* the same again: nothing changes */
	request(c, "2001:db8::/32", T + 15);
	assert_int_equal(enforce_take_requests(e, T + 22, msg, sizeof(msg)), 1);
	assert_string_equal(bans_of(e, true, T), "192.0.2.7/32@10,2001:db8:1::/64@15,2001:db8:5::/64@15");

	/* late and duplicate central decisions: nothing */
	assert_int_equal(apply(e, dec("00000000000000a1", DECISION_BAN, "192.0.2.7/32", T, T + 1000), T + 23), ENFORCE_DUPLICATE);
	assert_int_equal(apply(e, dec("00000000000000b1", DECISION_BAN, "192.0.2.7/32", T + 10, T + 5000), T + 23), ENFORCE_STALE);
	assert_int_equal(apply(e, dec("00000000000000b2", DECISION_BAN, "2001:db8:7::/64", T + 14, T + 900), T + 23), ENFORCE_STALE);
	assert_int_equal(apply(e, dec("00000000000000b3", DECISION_BAN, "198.51.100.1/32", T + 9, T + 900), T + 23), ENFORCE_STALE);
	assert_int_equal(apply(e, dec("00000000000000b4", DECISION_UNBAN, "192.0.2.7/32", T + 5, 0), T + 23), ENFORCE_DUPLICATE);
	assert_string_equal(bans_of(e, false, T), "192.0.2.9/32,203.0.113.5/32");
	/* decided after the local unban: banned again */
	assert_int_equal(apply(e, dec("00000000000000b5", DECISION_BAN, "192.0.2.7/32", T + 11, T + 900), T + 23), ENFORCE_BANNED);
	assert_int_equal(apply(e, dec("00000000000000b6", DECISION_BAN, "2001:db8:7::/64", T + 16, T + 900), T + 23), ENFORCE_BANNED);
	assert_string_equal(bans_of(e, false, T), "192.0.2.7/32,192.0.2.9/32,2001:db8:7::/64,203.0.113.5/32");
	assert_string_equal(bans_of(e, true, T), "2001:db8:1::/64@15,2001:db8:5::/64@15");
	/* still older than the local unban, though later than the ban held now: stale */
	assert_int_equal(apply(e, dec("00000000000000b7", DECISION_BAN, "192.0.2.7/32", T + 10, T + 9000), T + 23), ENFORCE_STALE);
	assert_int_equal(enforce_tick(e, T + 23, err, sizeof(err)), 0);
	enforce_free(e);

	/* the log replays into the same table, and so does its compacted
	   form (enforce_open() rewrites it): twice */
	for (int round = 0; round < 2; round++) {
		assert_int_equal(enforce_open(c, NULL, T + 24, &e, err, sizeof(err)), 0);
		assert_string_equal(bans_of(e, true, T), "2001:db8:1::/64@15,2001:db8:5::/64@15");
		assert_string_equal(bans_of(e, false, T), "192.0.2.7/32,192.0.2.9/32,2001:db8:7::/64,203.0.113.5/32");
		assert_int_equal(apply(e, dec("00000000000000a2", DECISION_BAN, "2001:db8:1::/64", T, T + 2000), T + 24),
				 ENFORCE_DUPLICATE);
		assert_int_equal(apply(e, dec("00000000000000b8", DECISION_BAN, "2001:db8:1::/64", T + 15, T + 3000), T + 24),
				 ENFORCE_STALE);
		assert_int_equal(apply(e, dec("00000000000000b1", DECISION_BAN, "192.0.2.7/32", T + 10, T + 5000), T + 24),
				 ENFORCE_STALE);
		assert_int_equal(enforce_bad_log_lines(e), 0);
		enforce_free(e);
	}
	/* a local line in the log names itself, and enforce_from does not refuse it */
	{
		FILE *fp;
		char line[1024];
		unsigned local = 0;

		snprintf(path, sizeof(path), "%s/%s", dir, ENFORCE_LOG_NAME);
		assert_non_null(fp = fopen(path, "r"));
		while (fgets(line, sizeof(line), fp))
			if (strstr(line, " local authfold-decision v1 ") && strstr(line, " op=unban ") &&
			    strstr(line, " reason=admin "))
				local++;
		fclose(fp);
		assert_true(local >= 3);	/* 192.0.2.7's, the /32, 198.51.100.1's */
	}
	/* --restore's count: the held ones only */
	assert_int_equal(enforce_running(c, T + 24, &running, err, sizeof(err)), 0);
	assert_int_equal(running, 4);

	/* a central unban decided after the local one forgets the lifted ban */
	assert_int_equal(enforce_open(c, NULL, T + 25, &e, err, sizeof(err)), 0);
	assert_int_equal(apply(e, dec("00000000000000c1", DECISION_UNBAN, "2001:db8:1::/64", T + 12, 0), T + 25), ENFORCE_DUPLICATE);
	assert_int_equal(apply(e, dec("00000000000000c2", DECISION_UNBAN, "2001:db8:1::/64", T + 20, 0), T + 25), ENFORCE_UNBANNED);
	assert_string_equal(bans_of(e, true, T), "2001:db8:5::/64@15");
	/* a central unban wider than a lifted ban, decided between its ban
	   and the local unban: the local unban stays remembered */
	assert_int_equal(apply(e, dec("00000000000000c3", DECISION_UNBAN, "2001:db8:5::/48", T + 12, 0), T + 25), ENFORCE_UNBANNED);
	assert_string_equal(bans_of(e, true, T), "");
	assert_int_equal(apply(e, dec("00000000000000c4", DECISION_BAN, "2001:db8:5::/64", T + 14, T + 900), T + 25), ENFORCE_STALE);
	assert_int_equal(apply(e, dec("00000000000000c5", DECISION_BAN, "2001:db8:5::/64", T + 16, T + 900), T + 25), ENFORCE_BANNED);

	/* hostile requests: a symlink, a directory, a bad name, a FIFO: deleted,
	   none taken; a network too wide for a decision: taken, not applied */
	assert_int_equal(mkdir(reqdir, 0700) == 0 || errno == EEXIST, 1);
	snprintf(path, sizeof(path), "%s/203.0.113.5-32", reqdir);
	assert_int_equal(symlink("/etc/passwd", path), 0);
	snprintf(path, sizeof(path), "%s/203.0.113.6-32", reqdir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/not-an-address", reqdir);
	assert_int_equal(close(creat(path, 0600)), 0);
	snprintf(path, sizeof(path), "%s/203.0.113.7-32", reqdir);
	assert_int_equal(mkfifo(path, 0600), 0);
	request(c, "192.0.0.0/7", T + 20);
	assert_int_equal(enforce_take_requests(e, T + 26, msg, sizeof(msg)), 1);
	assert_non_null(strstr(msg, "4 bad requests"));
	assert_non_null(strstr(msg, "192.0.0.0/7"));
	assert_non_null(strstr(msg, "not applied"));
	assert_string_equal(bans_of(e, false, T), "192.0.2.7/32,192.0.2.9/32,2001:db8:5::/64,2001:db8:7::/64,203.0.113.5/32");
	/* the directory we made stays: rmdir needs it empty */
	snprintf(path, sizeof(path), "%s/203.0.113.6-32", reqdir);
	rmdir(path);
	assert_int_equal(files_in(reqdir), 0);

	/* asked "in the future" (the clock went back): counts as now */
	request(c, "203.0.113.5/32", T + 500);
	assert_int_equal(enforce_take_requests(e, T + 27, msg, sizeof(msg)), 1);
	assert_string_equal(bans_of(e, true, T), "203.0.113.5/32@27");
	assert_int_equal(apply(e, dec("00000000000000d1", DECISION_BAN, "203.0.113.5/32", T + 28, T + 900), T + 28), ENFORCE_BANNED);

	/* a lifted ban that ends: only its local unban is remembered */
	request(c, "192.0.2.9/32", T + 28);
	assert_int_equal(enforce_take_requests(e, T + 28, msg, sizeof(msg)), 1);
	assert_string_equal(bans_of(e, true, T), "192.0.2.9/32@28");
	assert_int_equal(enforce_tick(e, T + 1000, err, sizeof(err)), 0);
	assert_string_equal(bans_of(e, true, T), "");
	assert_int_equal(apply(e, dec("00000000000000a3", DECISION_BAN, "192.0.2.9/32", T + 20, T + 2000), T + 1000), ENFORCE_STALE);
	enforce_free(e);
	assert_int_equal(enforce_open(c, NULL, T + 1001, &e, err, sizeof(err)), 0);
	assert_int_equal(apply(e, dec("00000000000000a3", DECISION_BAN, "192.0.2.9/32", T + 20, T + 2000), T + 1001), ENFORCE_STALE);
	enforce_free(e);

	config_free(c);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* publish(3) into a datagram socket of our own, as into rsyslog's. */
static void test_publish(void **state)
{
	struct config *c = config_new();
	struct publish *p;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char err[512], buf[1024], sock[96];
	struct decision d;
	int fd;
	ssize_t n;

	(void) state;
	snprintf(dir, sizeof(dir), "/tmp/test_decision.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/publish.sock", dir);
	assert_int_equal(config_set(c, "publish", "syslog", err, sizeof(err)), 0);
	assert_int_equal(config_set(c, "publish_socket", sock, err, sizeof(err)), 0);
	assert_int_equal(config_set(c, "publish_host", "central.example.org", err, sizeof(err)), 0);
	assert_int_equal(config_set(c, "publish_facility", "local3", err, sizeof(err)), 0);
	assert_int_equal(config_set(c, "publish_alive", "10s", err, sizeof(err)), 0);
	assert_int_equal(config_set(c, "publish_facility", "nosuch", err, sizeof(err)), -EINVAL);
	assert_int_equal(config_set(c, "publish_host", "bad host", err, sizeof(err)), -EINVAL);
	assert_int_equal(config_set(c, "publish_socket", "relative", err, sizeof(err)), -EINVAL);
	assert_int_equal(publish_new(c, &p), 0);
	assert_non_null(p);

	/* no socket yet: the decision waits, in order */
	struct cidr net;

	assert_int_equal(cidr_parse("192.0.2.7/32", 12, &net), 0);
	assert_true(publish_ban(p, &net, 1764470000, 1764473600, "noauth", err, sizeof(err)) < 0);
	assert_int_equal(publish_pending(p), 1);
	assert_int_equal(cidr_parse("2001:db8:1:2::/64", 17, &net), 0);
	assert_true(publish_unban(p, &net, 1764470001, err, sizeof(err)) < 0);
	assert_int_equal(publish_pending(p), 2);

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	strcpy(sa.sun_path, sock);
	assert_int_equal(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
	assert_int_equal(publish_flush(p, err, sizeof(err)), 0);
	assert_int_equal(publish_pending(p), 0);
	static const char *const want[] = {"op=ban net=192.0.2.7/32 at=1764470000 until=1764473600 reason=noauth",
					   "op=unban net=2001:db8:1:2::/64 at=1764470001 until=0 reason=admin"};

	for (int i = 0; i < 2; i++) {
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		assert_true(n > 0);
		buf[n] = 0;
		/* <PRI>, local3.notice = 19 * 8 + 5 */
		assert_memory_equal(buf, "<157>", 5);
		char *m = strstr(buf, "]: authfold-decision ");

		assert_non_null(m);
		m += 3;
		assert_int_equal(decision_parse(m, strlen(m), &d, NULL), 0);
		assert_non_null(strstr(m, want[i]));
		assert_string_equal(d.by, "central.example.org");
	}
	/* the keep-alive: after 10 s of silence, not before */
	assert_int_equal(publish_tick(p, 1764470005, err, sizeof(err)), 0);
	assert_int_equal(publish_tick(p, 1764470011, err, sizeof(err)), 0);
	n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	assert_true(n > 0);
	buf[n] = 0;
	assert_non_null(strstr(buf, " op=alive at=1764470011 by=central.example.org"));
	assert_true(recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT) < 0);
	assert_int_equal(publish_counters(p)->sent, 3);
	publish_free(p);
	close(fd);
	unlink(sock);
	rmdir(dir);
	/* publish = none: nothing */
	assert_int_equal(config_set(c, "publish", "none", err, sizeof(err)), 0);
	assert_int_equal(publish_new(c, &p), 0);
	assert_null(p);
	config_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_long),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_format_refuses),
		cmocka_unit_test(test_enforce),
		cmocka_unit_test(test_enforce_full),
		cmocka_unit_test(test_write_ahead),
		cmocka_unit_test(test_batch),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_local_unban),
		cmocka_unit_test(test_publish),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

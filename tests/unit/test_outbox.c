/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_outbox - the central host's outbox (outbox(3)) and publish(3)'s
 * use of it: nothing decided is lost (pending decisions survive a stop
 * and a crash, no cap drops unbans), the resync sends every held
 * decision again with its id and ends each round with a marker, and a
 * running ban of the policy that was never published is published; an
 * MX (enforce(3)) tells a round heard in full from a short one.
 * Clock values are explicit; the syslog socket is a datagram socket of
 * the test's own.
 */

#include "decision.h"
#include "enforce.h"
#include "outbox.h"
#include "policy.h"
#include "publish.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#define T0 INT64_C(1764470000)

static char dir[64];

static struct decision dec(const char *id, enum decision_op op, const char *net, int64_t at, int64_t until)
{
	struct decision d;

	memset(&d, 0, sizeof(d));
	snprintf(d.id, sizeof(d.id), "%s", id);
	d.op = op;
	assert_int_equal(cidr_parse(net, strlen(net), &d.net), 0);
	d.at = at;
	d.until = until;
	snprintf(d.reason, sizeof(d.reason), "%s", op == DECISION_UNBAN ? "admin" : "noauth");
	snprintf(d.by, sizeof(d.by), "central.example.org");
	return d;
}

static void clean(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", dir, OUTBOX_NAME);
	unlink(path);
	snprintf(path, sizeof(path), "%s/publish.sock", dir);
	unlink(path);
}

/* The table: what each decision does to the held set. */
static void test_rules(void **state)
{
	struct outbox *o;
	char err[256];
	struct decision d;

	(void) state;
	assert_int_equal(outbox_open(NULL, 86400, T0, &o, err, sizeof(err)), 0);
	d = dec("a000000000000001", DECISION_BAN, "192.0.2.7/32", T0, T0 + 3600);
	assert_int_equal(outbox_add(o, &d, T0, err, sizeof(err)), 1);		/* new */
	assert_int_equal(outbox_add(o, &d, T0, err, sizeof(err)), 0);		/* same id */
	d = dec("a000000000000002", DECISION_BAN, "192.0.2.7/32", T0, T0 + 60);
	assert_int_equal(outbox_add(o, &d, T0, err, sizeof(err)), 0);		/* ends earlier */
	d = dec("a000000000000003", DECISION_BAN, "192.0.2.7/32", T0 + 5, T0 + 7200);
	assert_int_equal(outbox_add(o, &d, T0 + 5, err, sizeof(err)), 1);	/* longer: replaces */
	assert_int_equal(outbox_count(o), 1);
	assert_int_equal(outbox_pending(o), 1);	/* the replaced one never needs sending */
	assert_string_equal(outbox_pending_first(o)->id, "a000000000000003");
	d = dec("a000000000000004", DECISION_BAN, "2001:db8:1:2::/64", T0 + 6, T0 + 3600);
	assert_int_equal(outbox_add(o, &d, T0 + 6, err, sizeof(err)), 1);
	d = dec("a000000000000005", DECISION_BAN, "192.0.2.8/32", T0 + 20, T0 + 3600);
	assert_int_equal(outbox_add(o, &d, T0 + 20, err, sizeof(err)), 1);
	assert_int_equal(outbox_bans(o), 3);
	/* an unban of 192.0.2.0/24 at +10: the ban of .7 (decided +5) goes,
	   the one of .8 (decided +20, later) stays */
	d = dec("b000000000000001", DECISION_UNBAN, "192.0.2.0/24", T0 + 10, 0);
	assert_int_equal(outbox_add(o, &d, T0 + 21, err, sizeof(err)), 1);
	assert_int_equal(outbox_bans(o), 2);
	assert_int_equal(outbox_count(o), 3);
	struct cidr c7, c24;

	assert_int_equal(cidr_parse("192.0.2.7/32", 12, &c7), 0);
	assert_int_equal(cidr_parse("192.0.2.0/24", 12, &c24), 0);
	assert_false(outbox_covers(o, &c7, T0 + 5, T0 + 7200));
	assert_true(outbox_covers(o, &c24, T0 + 10, 0));
	/* a ban decided before the unban of its network is stale */
	d = dec("a000000000000006", DECISION_BAN, "192.0.2.0/24", T0 + 9, T0 + 3600);
	assert_int_equal(outbox_add(o, &d, T0 + 21, err, sizeof(err)), 0);
	/* an older unban of the same network, or the same again: nothing */
	d = dec("b000000000000002", DECISION_UNBAN, "192.0.2.0/24", T0 + 9, 0);
	assert_int_equal(outbox_add(o, &d, T0 + 21, err, sizeof(err)), 0);
	/* pending: oldest first, the replaced one once */
	static const char *const order[] = {"a000000000000004", "a000000000000005", "b000000000000001"};

	for (size_t i = 0; i < 3; i++) {
		assert_non_null(outbox_pending_first(o));
		assert_string_equal(outbox_pending_first(o)->id, order[i]);
		outbox_sent(o);
	}
	assert_null(outbox_pending_first(o));
	/* the walk: every held one, then NULL, then again; expired ones go */
	size_t n = 0;

	while (outbox_walk(o, T0 + 30))
		n++;
	assert_int_equal(n, 3);
	n = 0;
	while (outbox_walk(o, T0 + 3600))	/* the bans ended; the unban is kept for a day */
		n++;
	assert_int_equal(n, 1);
	assert_int_equal(outbox_count(o), 1);
	assert_int_equal(outbox_counters(o)->expired, 2);
	outbox_free(o);
}

/* A stop, a crash, a cut line: what was pending is pending again. */
static void test_durable(void **state)
{
	struct outbox *o;
	char err[256], path[128];
	struct decision d;
	FILE *fp;

	(void) state;
	clean();
	assert_int_equal(outbox_open(dir, 86400, T0, &o, err, sizeof(err)), 0);
	d = dec("c000000000000001", DECISION_BAN, "192.0.2.7/32", T0, T0 + 3600);
	assert_int_equal(outbox_add(o, &d, T0, err, sizeof(err)), 1);
	d = dec("c000000000000002", DECISION_UNBAN, "198.51.100.0/24", T0 + 1, 0);
	assert_int_equal(outbox_add(o, &d, T0 + 1, err, sizeof(err)), 1);
	outbox_sent(o);			/* the ban went out */
	assert_int_equal(outbox_save(o, T0 + 2, err, sizeof(err)), 0);	/* a clean stop */
	outbox_free(o);
	assert_int_equal(outbox_open(dir, 86400, T0 + 3, &o, err, sizeof(err)), 0);
	assert_int_equal(outbox_count(o), 2);
	assert_int_equal(outbox_pending(o), 1);
	assert_string_equal(outbox_pending_first(o)->id, "c000000000000002");
	/* a crash: appended, synced, never saved; then half a line */
	d = dec("c000000000000003", DECISION_BAN, "192.0.2.9/32", T0 + 4, T0 + 3600);
	assert_int_equal(outbox_add(o, &d, T0 + 4, err, sizeof(err)), 1);
	assert_int_equal(outbox_sync(o, T0 + 4, err, sizeof(err)), 0);
	outbox_free(o);
	snprintf(path, sizeof(path), "%s/%s", dir, OUTBOX_NAME);
	assert_non_null(fp = fopen(path, "a"));
	fputs("P authfold-decision v1 id=c000000000000004 op=ban net=192.0.2.10/32 at=", fp);
	fclose(fp);
	assert_int_equal(outbox_open(dir, 86400, T0 + 5, &o, err, sizeof(err)), 0);
	assert_int_equal(outbox_count(o), 3);
	assert_int_equal(outbox_pending(o), 2);
	assert_int_equal(outbox_counters(o)->bad_lines, 1);
	assert_string_equal(outbox_pending_first(o)->id, "c000000000000002");
	outbox_free(o);
	/* the rewritten file holds no cut line any more */
	assert_int_equal(outbox_open(dir, 86400, T0 + 6, &o, err, sizeof(err)), 0);
	assert_int_equal(outbox_counters(o)->bad_lines, 0);
	outbox_free(o);
	clean();
}

static int listen_at(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
	/* room for the many-unbans test */
	int size = 4 << 20;

	(void) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	return fd;
}

/* The next decision on fd, or -1 when none waits. */
static int next_decision(int fd, struct decision *ret)
{
	char buf[1024];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	char *m;

	if (n <= 0)
		return -1;
	buf[n] = 0;
	assert_non_null(m = strstr(buf, "]: authfold-decision "));
	m += 3;
	assert_int_equal(decision_parse(m, strlen(m), ret, NULL), 0);
	return 0;
}

static struct config *central(const char *sock)
{
	struct config *c = config_new();
	char err[256];

	assert_int_equal(config_set(c, "publish", "syslog", err, sizeof(err)), 0);
	assert_int_equal(config_set(c, "publish_socket", sock, err, sizeof(err)), 0);
	assert_int_equal(config_set(c, "publish_host", "central.example.org", err, sizeof(err)), 0);
	assert_int_equal(config_set(c, "publish_alive", "0", err, sizeof(err)), 0);
	assert_int_equal(config_set(c, "publish_resync", "10s", err, sizeof(err)), 0);
	assert_int_equal(config_set(c, "maxretry", "2", err, sizeof(err)), 0);
	return c;
}

/* Stopped with the socket gone: kept, sent by the next start; no cap. */
static void test_restart(void **state)
{
	char err[256], sock[96];
	struct config *c;
	struct publish *p;
	struct decision d;
	struct cidr net;
	int64_t now = (int64_t) time(NULL);
	int fd;

	(void) state;
	clean();
	snprintf(sock, sizeof(sock), "%s/publish.sock", dir);
	c = central(sock);
	assert_int_equal(publish_new(c, &p), 0);
	assert_int_equal(publish_store(p, dir, now, err, sizeof(err)), 0);
	assert_int_equal(cidr_parse("192.0.2.7/32", 12, &net), 0);
	assert_true(publish_ban(p, &net, now, now + 3600, "noauth", err, sizeof(err)) < 0);
	/* 2,000 unbans wait (the old queue dropped past 1,024, unbans too) */
	for (unsigned i = 0; i < 2000; i++) {
		char text[64];

		snprintf(text, sizeof(text), "2001:db8:%x::/48", i);
		assert_int_equal(cidr_parse(text, strlen(text), &net), 0);
		assert_true(publish_unban(p, &net, now, err, sizeof(err)) < 0);
	}
	assert_int_equal(publish_pending(p), 2001);
	assert_int_equal(publish_counters(p)->dropped, 0);
	/* never publishable: the real cause */
	assert_int_equal(cidr_parse("0.0.0.0/0", 9, &net), 0);
	assert_int_equal(publish_unban(p, &net, now, err, sizeof(err)), -ERANGE);
	assert_non_null(strstr(err, "never wider than /8"));
	assert_int_equal(publish_save(p, now, err, sizeof(err)), 0);
	publish_free(p);

	/* the next start, with rsyslog back */
	fd = listen_at(sock);
	assert_int_equal(publish_new(c, &p), 0);
	assert_int_equal(publish_store(p, dir, now + 1, err, sizeof(err)), 0);
	assert_int_equal(publish_pending(p), 2001);
	/* in order; as much per tick as the socket takes */
	unsigned bans = 0, unbans = 0;

	for (int tick = 0; tick < 5000 && bans + unbans < 2001; tick++) {
		int r = publish_flush(p, err, sizeof(err));	/* never waits for the reader */

		assert_true(r == 0 || r == -EAGAIN);
		while (next_decision(fd, &d) == 0) {
			if (d.op == DECISION_BAN) {
				assert_int_equal(unbans, 0);
				assert_int_equal(d.at, now);
				bans++;
			} else {
				assert_int_equal(d.op, DECISION_UNBAN);
				unbans++;
			}
		}
	}
	assert_int_equal(bans, 1);
	assert_int_equal(unbans, 2000);
	assert_int_equal(publish_pending(p), 0);
	publish_free(p);
	close(fd);
	config_free(c);
	clean();
}

/* Rounds: every held decision again, same id, spread over the period,
   then the marker; the policy's unpublished ban joins at a round's start. */
static void test_resync(void **state)
{
	char err[256], sock[96], ids[3][DECISION_ID_LEN + 1];
	struct config *c;
	struct publish *p;
	struct policy *pol;
	struct policy_decision pd;
	struct decision d;
	struct cidr net;
	struct addr a;
	int64_t now = (int64_t) time(NULL);
	int fd;

	(void) state;
	clean();
	snprintf(sock, sizeof(sock), "%s/publish.sock", dir);
	c = central(sock);
	fd = listen_at(sock);
	assert_int_equal(publish_new(c, &p), 0);
	assert_int_equal(publish_store(p, dir, now, err, sizeof(err)), 0);
	for (int i = 0; i < 3; i++) {
		char text[32];

		snprintf(text, sizeof(text), "192.0.2.%d/32", 10 + i);
		assert_int_equal(cidr_parse(text, strlen(text), &net), 0);
		assert_int_equal(publish_ban(p, &net, now, now + 3600, "noauth", err, sizeof(err)), 0);
		assert_int_equal(next_decision(fd, &d), 0);
		memcpy(ids[i], d.id, sizeof(ids[i]));
	}
	/* a policy that banned 198.51.100.5 while nothing was published */
	assert_non_null(pol = policy_new(c));
	assert_int_equal(addr_parse("198.51.100.5", 12, &a), 0);
	assert_int_equal(policy_strike(pol, &a, REASON_SASLFAIL, (now - 100) * 1000000, &pd), 0);
	assert_int_equal(policy_strike(pol, &a, REASON_SASLFAIL, (now - 90) * 1000000, &pd), 0);
	assert_int_equal(pd.verdict, POLICY_BAN);
	publish_set_policy(p, pol);

	/* no round before a period has passed */
	assert_int_equal(publish_tick(p, now, err, sizeof(err)), 0);
	assert_int_equal(publish_tick(p, now + 9, err, sizeof(err)), 0);
	assert_int_equal(next_decision(fd, &d), -1);
	/* the round begins: the policy's ban is published at once (pending) */
	assert_int_equal(publish_tick(p, now + 10, err, sizeof(err)), 0);
	assert_int_equal(next_decision(fd, &d), 0);
	assert_int_equal(d.op, DECISION_BAN);
	assert_int_equal(d.net.net.bytes[0], 198);
	assert_int_equal(d.at, now - 90);	/* the ban's own start */
	assert_string_equal(d.reason, "saslfail");
	assert_int_equal(publish_counters(p)->reconciled, 1);
	/* ...and its share of the 4 held ones: 4 * 1/10 + 1 = 1 */
	int got = 0, marker = 0;
	bool seen[3] = {false};

	for (int64_t t = now + 10; t <= now + 21 && !marker; t++) {
		if (t > now + 10)
			assert_int_equal(publish_tick(p, t, err, sizeof(err)), 0);
		int per_tick = 0;

		while (next_decision(fd, &d) == 0) {
			if (d.op == DECISION_ALIVE) {
				assert_memory_equal(d.id, "00000000", 8);
				assert_string_equal(d.id + 8, "00000004");	/* 4 bans in the round */
				marker = 1;
				continue;
			}
			per_tick++;
			got++;
			for (int i = 0; i < 3; i++)
				if (strcmp(d.id, ids[i]) == 0)
					seen[i] = true;
		}
		assert_true(per_tick <= 2);	/* spread, not all at once */
	}
	assert_true(marker);
	assert_int_equal(got, 4);
	assert_true(seen[0] && seen[1] && seen[2]);
	assert_int_equal(publish_counters(p)->rounds, 1);
	/* the next round again finds nothing new in the policy */
	for (int64_t t = now + 22; t <= now + 42; t++)
		assert_int_equal(publish_tick(p, t, err, sizeof(err)), 0);
	assert_int_equal(publish_counters(p)->reconciled, 1);
	assert_int_equal(publish_counters(p)->rounds, 3);	/* begun at +10, +20, +30 */
	publish_free(p);
	policy_free(pol);
	close(fd);
	config_free(c);
	clean();
}

/* The MX's side: what the markers say, kept in enforce.status. */
static void test_marker(void **state)
{
	struct config *c = config_new();
	struct enforce *e;
	enum enforce_result res;
	struct decision d;
	char err[256], sub[96], cmd[128];
	int64_t now = (int64_t) time(NULL);

	(void) state;
	snprintf(sub, sizeof(sub), "%s/mx", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(config_set(c, "state_dir", sub, err, sizeof(err)), 0);
	assert_int_equal(enforce_open(c, NULL, now, &e, err, sizeof(err)), 0);
	struct decision mark = dec("0000000000000002", DECISION_ALIVE, "192.0.2.0/24", now, 0);

	memset(&mark.net, 0, sizeof(mark.net));
	/* the first marker after a start only begins the count */
	assert_int_equal(enforce_apply(e, &mark, now, &res, err, sizeof(err)), 0);
	assert_int_equal(res, ENFORCE_ALIVE);
	assert_int_equal(enforce_counters(e)->last_full_set, 0);
	/* a round of two bans, one heard: short */
	d = dec("d000000000000001", DECISION_BAN, "192.0.2.7/32", now, now + 3600);
	assert_int_equal(enforce_apply(e, &d, now, &res, err, sizeof(err)), 0);
	assert_int_equal(enforce_apply(e, &mark, now + 1, &res, err, sizeof(err)), 0);
	assert_int_equal(enforce_counters(e)->last_full_set, 0);
	assert_int_equal(enforce_counters(e)->rounds_short, 1);
	/* both heard (one a duplicate, the other new): full */
	assert_int_equal(enforce_apply(e, &d, now + 2, &res, err, sizeof(err)), 0);
	assert_int_equal(res, ENFORCE_DUPLICATE);
	d = dec("d000000000000002", DECISION_BAN, "192.0.2.8/32", now, now + 3600);
	assert_int_equal(enforce_apply(e, &d, now + 2, &res, err, sizeof(err)), 0);
	assert_int_equal(res, ENFORCE_BANNED);
	assert_int_equal(enforce_apply(e, &mark, now + 3, &res, err, sizeof(err)), 0);
	assert_int_equal(enforce_counters(e)->last_full_set, now + 3);
	assert_int_equal(enforce_counters(e)->full_set_bans, 2);
	/* an ordinary keep-alive is no marker */
	mark.id[0] = '1';
	assert_int_equal(enforce_apply(e, &mark, now + 4, &res, err, sizeof(err)), 0);
	assert_int_equal(enforce_counters(e)->last_full_set, now + 3);
	assert_int_equal(enforce_tick(e, now + 4, err, sizeof(err)), 0);
	enforce_free(e);
	/* kept across a restart, and shown by status */
	assert_int_equal(enforce_open(c, NULL, now + 5, &e, err, sizeof(err)), 0);
	assert_int_equal(enforce_counters(e)->last_full_set, now + 3);
	assert_int_equal(enforce_counters(e)->rounds_short, 1);
	enforce_free(e);
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);

	assert_int_equal(enforce_status_write(fp, c, now + 5), 0);
	fclose(fp);
	assert_non_null(strstr(text, "last full set of central decisions heard"));
	assert_non_null(strstr(text, "2 bans; 1 short round"));
	free(text);
	config_free(c);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", sub);
	assert_int_equal(system(cmd), 0);
}

/* An unban the central host took stays: after a restart, the same strikes
   delivered again (RELP, omprog: at least once) decide the ban again, and
   the policy may still hold it; neither is published over the unban. */
static void test_unban_stays(void **state)
{
	char err[256], sock[96];
	struct config *c;
	struct publish *p;
	struct policy *pol;
	struct policy_decision pd;
	struct decision d;
	struct cidr net, wide, other;
	struct addr a;
	int64_t now = (int64_t) time(NULL), began = now - 20;
	int fd;

	(void) state;
	clean();
	snprintf(sock, sizeof(sock), "%s/publish.sock", dir);
	c = central(sock);
	fd = listen_at(sock);
	assert_int_equal(cidr_parse("192.0.2.66/32", 13, &net), 0);
	assert_int_equal(cidr_parse("192.0.2.0/24", 12, &wide), 0);
	assert_int_equal(cidr_parse("198.51.100.7/32", 15, &other), 0);
	assert_int_equal(publish_new(c, &p), 0);
	assert_int_equal(publish_store(p, dir, now, err, sizeof(err)), 0);
	/* the engine bans (strike at began), the admin unbans */
	struct engine_decided ed = {net.net, 32, (began + 3600) * 1000000, REASON_NOAUTH, began * 1000000};

	assert_int_equal(publish_ban(p, &net, now - 10, began + 3600, "noauth", err, sizeof(err)), 0);
	assert_int_equal(next_decision(fd, &d), 0);
	assert_int_equal(d.op, DECISION_BAN);
	assert_int_equal(publish_unban(p, &net, now - 5, err, sizeof(err)), 0);
	assert_int_equal(next_decision(fd, &d), 0);
	assert_int_equal(d.op, DECISION_UNBAN);
	assert_int_equal(publish_sync(p, now, err, sizeof(err)), 0);
	publish_free(p);

	/* restarted: the lines come again and the engine decides the same ban */
	assert_int_equal(publish_new(c, &p), 0);
	assert_int_equal(publish_store(p, dir, now + 1, err, sizeof(err)), 0);
	publish_on_ban(p, &ed);
	assert_int_equal(next_decision(fd, &d), -1);
	assert_int_equal(publish_counters(p)->lifted, 1);
	assert_true(outbox_unbanned(publish_outbox(p), &net, began));
	/* the policy still holds it (its forgetting not saved): the resync's
	   "never published" step leaves it out too */
	assert_non_null(pol = policy_new(c));
	assert_int_equal(addr_parse("192.0.2.66", 10, &a), 0);
	assert_int_equal(policy_strike(pol, &a, REASON_NOAUTH, (began - 1) * 1000000, &pd), 0);
	assert_int_equal(policy_strike(pol, &a, REASON_NOAUTH, began * 1000000, &pd), 0);
	assert_int_equal(pd.verdict, POLICY_BAN);
	publish_set_policy(p, pol);
	assert_int_equal(publish_tick(p, now + 1, err, sizeof(err)), 0);
	assert_int_equal(publish_tick(p, now + 11, err, sizeof(err)), 0);
	assert_int_equal(publish_counters(p)->reconciled, 0);
	while (next_decision(fd, &d) == 0)
		assert_false(d.op == DECISION_BAN);	/* the unban resent, the marker */
	/* a strike after the unban is a new ban: published */
	ed.at_usec = (now + 1) * 1000000;
	publish_on_ban(p, &ed);
	assert_int_equal(next_decision(fd, &d), 0);
	assert_int_equal(d.op, DECISION_BAN);
	/* a wider unban lifts the bans inside it that began by then */
	assert_int_equal(publish_unban(p, &wide, now + 3, err, sizeof(err)), 0);
	assert_int_equal(next_decision(fd, &d), 0);
	assert_int_equal(d.op, DECISION_UNBAN);
	ed.at_usec = (now + 2) * 1000000;
	publish_on_ban(p, &ed);
	assert_int_equal(next_decision(fd, &d), -1);
	assert_int_equal(publish_counters(p)->lifted, 2);
	/* another network is not held back */
	struct engine_decided eo = {other.net, 32, (began + 3600) * 1000000, REASON_NOAUTH, began * 1000000};

	publish_on_ban(p, &eo);
	assert_int_equal(next_decision(fd, &d), 0);
	assert_int_equal(d.op, DECISION_BAN);
	assert_int_equal(publish_counters(p)->lifted, 2);
	publish_free(p);
	policy_free(pol);
	config_free(c);
	close(fd);
	clean();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_durable),
		cmocka_unit_test(test_restart),
		cmocka_unit_test(test_resync),
		cmocka_unit_test(test_marker),
		cmocka_unit_test(test_unban_stays),
	};
	int r;

	snprintf(dir, sizeof(dir), "/tmp/test_outbox.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 1;
	r = cmocka_run_group_tests(tests, NULL, NULL);
	clean();
	rmdir(dir);
	return r;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_sender - sender(3): the credentials before a line, and who may decide.
 *
 * Tables: a line as authfold's omprog templates write it, the prefix
 * length, the credentials it carries and the verdict under a trust of
 * uid 102 (Postfix's mail_owner here), with uncredited = decide and pass.
 */

#include "sender.h"

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

#define L "2026-11-26T18:46:35.318738+00:00 mx1 postfix/smtpd[4242]: connect from unknown[192.0.2.7]"
#define T "Nov 26 18:46:35 mx1 postfix/smtpd[4242]: connect from unknown[192.0.2.7]"

static const struct {
	const char *line;
	size_t prefix;			/* bytes to strip */
	enum sender_kind kind;
	bool decide, decide_pass;	/* uncredited = decide, = pass */
} rows[] = {
	/* Postfix's uid: evidence */
	{"uid=102 " L, 8, SENDER_POSTFIX, true, true},
	{"uid=102 " T, 8, SENDER_POSTFIX, true, true},
	/* root, nobody, any other uid: kept, never evidence */
	{"uid=0 " L, 6, SENDER_OTHER, false, false},
	{"uid=65534 " L, 10, SENDER_OTHER, false, false},
	{"uid=1020 " L, 9, SENDER_OTHER, false, false},
	{"uid=4294967294 " L, 15, SENDER_OTHER, false, false},
	/* the template asked, the input had no credentials */
	{"uid= " L, 5, SENDER_UNCREDITED, true, false},
	/* no prefix at all: an older template, a file */
	{L, 0, SENDER_UNCREDITED, true, false},
	{T, 0, SENDER_UNCREDITED, true, false},
	/* malformed prefixes are no prefix (and the line then has no timestamp) */
	{"uid=4294967295 " L, 0, SENDER_UNCREDITED, true, false},
	{"uid=99999999999 " L, 0, SENDER_UNCREDITED, true, false},
	{"uid=102" L, 0, SENDER_UNCREDITED, true, false},
	{"uid=1a2 " L, 0, SENDER_UNCREDITED, true, false},
	{"uid=-1 " L, 0, SENDER_UNCREDITED, true, false},
	{"uid=", 0, SENDER_UNCREDITED, true, false},
	{"uid=102", 0, SENDER_UNCREDITED, true, false},
	{"UID=102 " L, 0, SENDER_UNCREDITED, true, false},
	{" uid=102 " L, 0, SENDER_UNCREDITED, true, false},
	/* relayed by an authenticated MX: only for its own host name */
	{"mx=mx1 " L, 7, SENDER_RELAYED, true, true},
	{"mx=mx1 " T, 7, SENDER_RELAYED, true, true},
	{"mx=mx2 " L, 7, SENDER_OTHER, false, false},
	{"mx=mx1.example.org " L, 19, SENDER_RELAYED, true, true},	/* its first label */
	{"mx=mx1.example.org " T, 19, SENDER_RELAYED, true, true},
	{"mx=mx1.example.org 2026-11-26T18:46:35Z mx1.example.org postfix/smtpd[1]: x", 19, SENDER_RELAYED, true, true},
	{"mx=mx1.example.org 2026-11-26T18:46:35Z mx1.example postfix/smtpd[1]: x", 19, SENDER_OTHER, false, false},
	{"mx=mx2.example.org " L, 19, SENDER_OTHER, false, false},
	{"mx=mx " L, 6, SENDER_OTHER, false, false},
	{"mx=mx11 " L, 8, SENDER_OTHER, false, false},
	{"mx=mx1 not a syslog line", 7, SENDER_OTHER, false, false},
	{"mx= " L, 0, SENDER_UNCREDITED, true, false},
	{"mx=m_1 " L, 0, SENDER_UNCREDITED, true, false},
	{"mx=mx1", 0, SENDER_UNCREDITED, true, false},
};

static void test_table(void **state)
{
	struct sender_trust decide = {.uids = {102}, .n_uids = 1, .uncredited_decide = true};
	struct sender_trust pass = {.uids = {102}, .n_uids = 1, .uncredited_decide = false};

	(void) state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct sender_cred cred = {.has_uid = false};
		size_t len = strlen(rows[i].line);
		size_t pre = sender_prefix(rows[i].line, len, &cred);

		if (pre != rows[i].prefix)
			fail_msg("row %zu '%s': prefix %zu, want %zu", i, rows[i].line, pre, rows[i].prefix);
		if (pre == 0)
			cred = (struct sender_cred) {.has_uid = false};
		enum sender_kind k = sender_judge(&decide, NULL, &cred, rows[i].line + pre, len - pre);

		if (k != rows[i].kind)
			fail_msg("row %zu '%s': %s, want %s", i, rows[i].line, sender_kind_name(k),
				 sender_kind_name(rows[i].kind));
		assert_int_equal(sender_may_decide(&decide, k), rows[i].decide);
		assert_int_equal(sender_may_decide(&pass, k), rows[i].decide_pass);
		assert_int_equal(sender_judge(&pass, NULL, &cred, rows[i].line + pre, len - pre), k);
	}
}

/* Only root's lines that may not decide fold their -v chatter away. */
static void test_chatter(void **state)
{
	struct sender_cred root = {.has_uid = true, .uid = 0}, nobody = {.has_uid = true, .uid = 65534},
			   none = {.has_uid = false}, pf = {.has_uid = true, .uid = 102};
	struct sender_trust t = {.uids = {102}, .n_uids = 1, .uncredited_decide = false};

	(void) state;
	assert_true(sender_folds_chatter(&root, sender_judge(&t, NULL, &root, "", 0)));
	assert_false(sender_may_decide(&t, sender_judge(&t, NULL, &root, "", 0)));
	assert_false(sender_folds_chatter(&nobody, sender_judge(&t, NULL, &nobody, "", 0)));
	assert_false(sender_folds_chatter(&none, sender_judge(&t, NULL, &none, "", 0)));
	assert_false(sender_folds_chatter(&pf, sender_judge(&t, NULL, &pf, "", 0)));	/* it decides */
	t.uids[0] = 0;	/* root trusted: it decides, nothing special */
	assert_false(sender_folds_chatter(&root, sender_judge(&t, NULL, &root, "", 0)));
}

/* The prefix is read within its bound, whatever follows. */
static void test_cut(void **state)
{
	const char *full = "uid=102 " L;
	struct sender_cred cred;

	(void) state;
	for (size_t n = 0; n < 8; n++)
		assert_int_equal(sender_prefix(full, n, &cred), 0);
	assert_int_equal(sender_prefix(full, 8, &cred), 8);	/* an empty line after it */
	assert_int_equal(sender_prefix(full, 9, &cred), 8);
	assert_true(cred.has_uid);
	assert_int_equal(cred.uid, 102);
}

/* An MX speaks for its own host name only, and the first MX to use a
   short name keeps it: two MX both called "mail" never share sessions. */
static void test_hosts(void **state)
{
	static const struct {
		const char *line;
		enum sender_kind kind;
	} seq[] = {
		{"mx=mail.a.example 2026-11-26T18:46:35Z mail postfix/smtpd[7]: connect from x[192.0.2.1]", SENDER_RELAYED},
		{"mx=mail.b.example 2026-11-26T18:46:36Z mail postfix/smtpd[7]: disconnect from x[192.0.2.1]", SENDER_OTHER},
		{"mx=mail.a.example 2026-11-26T18:46:37Z mail postfix/smtpd[7]: disconnect from x[192.0.2.1]", SENDER_RELAYED},
		/* mail.b under its full name is its own host */
		{"mx=mail.b.example 2026-11-26T18:46:38Z mail.b.example postfix/smtpd[7]: connect from x[192.0.2.1]", SENDER_RELAYED},
		{"mx=mail.a.example 2026-11-26T18:46:39Z mail.b.example postfix/smtpd[7]: connect from x[192.0.2.1]", SENDER_OTHER},
		{"mx=mail.a.example 2026-11-26T18:46:40Z mail.a.example postfix/smtpd[7]: x", SENDER_RELAYED},
	};
	struct sender_trust t = {.n_uids = 0, .uncredited_decide = false};
	struct sender_hosts *h = sender_hosts_new();

	(void) state;
	assert_non_null(h);
	for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		struct sender_cred cred;
		size_t len = strlen(seq[i].line), pre = sender_prefix(seq[i].line, len, &cred);
		enum sender_kind k;

		assert_true(pre > 0);
		k = sender_judge(&t, h, &cred, seq[i].line + pre, len - pre);
		if (k != seq[i].kind)
			fail_msg("step %zu '%s': %s, want %s", i, seq[i].line, sender_kind_name(k), sender_kind_name(seq[i].kind));
	}
	/* bounded: names past SENDER_HOSTS_MAX are refused, the bound ones stay */
	for (int i = 0; i < SENDER_HOSTS_MAX + 10; i++) {
		char line[160];
		struct sender_cred cred;
		int n = snprintf(line, sizeof(line), "mx=h%d 2026-11-26T18:46:35Z h%d postfix/smtpd[7]: x", i, i);
		size_t pre = sender_prefix(line, (size_t) n, &cred);
		enum sender_kind k = sender_judge(&t, h, &cred, line + pre, (size_t) n - pre);

		assert_int_equal(k, i < SENDER_HOSTS_MAX - 3 ? SENDER_RELAYED : SENDER_OTHER);
	}
	{
		const char *l = seq[0].line;
		struct sender_cred cred;
		size_t pre = sender_prefix(l, strlen(l), &cred);

		assert_int_equal(sender_judge(&t, h, &cred, l + pre, strlen(l) - pre), SENDER_RELAYED);
	}
	sender_hosts_free(h);
	sender_hosts_free(NULL);
}

static void test_resolve(void **state)
{
	char *names[] = {"root", "102", "no-such-user-authfold", "nobody"};
	char *bad[] = {"12x"};
	struct sender_trust t;
	char err[256] = "";

	(void) state;
	assert_int_equal(sender_resolve(names, 4, false, &t, err, sizeof(err)), 1);
	assert_non_null(strstr(err, "no-such-user-authfold"));
	assert_int_equal(t.n_uids, 3);
	assert_int_equal(t.uids[0], 0);
	assert_int_equal(t.uids[1], 102);
	assert_false(t.uncredited_decide);
	assert_int_equal(sender_resolve(bad, 1, true, &t, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "12x"));
	assert_int_equal(sender_resolve(NULL, 0, true, &t, err, sizeof(err)), 0);
	assert_int_equal(t.n_uids, 0);
	assert_true(t.uncredited_decide);
}

static void test_counters_file(void **state)
{
	char dir[] = "/tmp/test_sender.XXXXXX", path[64];
	struct sender_trust t = {.uids = {102, 7}, .n_uids = 2, .uncredited_decide = false};
	struct sender_counters c = {.last_other_uid = -1}, back;
	struct sender_cred uid0 = {.has_uid = true, .uid = 0}, none = {.has_uid = false};
	bool decide = true;
	FILE *fp;

	(void) state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/omprog.senders", dir);
	sender_count(&c, SENDER_POSTFIX, &none, 1);
	sender_count(&c, SENDER_POSTFIX, &none, 2);
	sender_count(&c, SENDER_OTHER, &uid0, 3);
	sender_count(&c, SENDER_UNCREDITED, &none, 4);
	sender_count(&c, SENDER_RELAYED, &none, 5);
	assert_int_equal(sender_counters_save(path, &c, &t), 0);
	assert_int_equal(sender_counters_load(path, &back, &decide), 0);
	assert_int_equal(back.postfix, 2);
	assert_int_equal(back.relayed, 1);
	assert_int_equal(back.other, 1);
	assert_int_equal(back.last_other_uid, 0);
	assert_int_equal(back.uncredited, 1);
	assert_int_equal(back.last_uncredited_usec, 4);
	assert_false(decide);
	/* not such a file */
	assert_non_null(fp = fopen(path, "w"));
	fputs("authfold-senders 2\npostfix 1\n", fp);
	fclose(fp);
	assert_int_equal(sender_counters_load(path, &back, &decide), -EBADMSG);
	unlink(path);
	assert_int_equal(sender_counters_load(path, &back, &decide), -ENOENT);
	/* authfold status runs as root: a FIFO or a link planted there never blocks it or is followed */
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(sender_counters_load(path, &back, &decide), -EBADMSG);
	unlink(path);
	assert_int_equal(symlink("/etc/passwd", path), 0);
	assert_int_equal(sender_counters_load(path, &back, &decide), -ELOOP);
	assert_int_equal(sender_counters_save(path, &c, &t), 0);	/* renamed over the link, not through it */
	assert_int_equal(sender_counters_load(path, &back, &decide), 0);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_cut),
		cmocka_unit_test(test_hosts),
		cmocka_unit_test(test_chatter),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_counters_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

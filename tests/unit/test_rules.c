/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_rules - site rules (fold, keep, strike): the configuration they come
 * from, what they decide in fold_line(), and their limits.
 *
 * Each table is either configuration text with the error it must give, or
 * a configuration and a log excerpt with, beside every line, the verdict
 * the fold must give, written as
 *
 *	ACTION RULE [+strike=REASON:ADDR]
 *
 * RULE is the deciding rule; site rules are written site:F:LINE (F the
 * configuration file). The log lines are HAND-WRITTEN, in the shapes of
 * Postfix 3.7 (smtpd.c, smtpd_check.c, postscreen_early.c) and of the
 * recording tests/data/verbose.rfc3339.log; they are not recordings.
 */

#include "fold.h"
#include "rules.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#define T0 "2026-11-26T18:46:35Z "
#define MX1(pid) T0 "mx1 postfix/smtpd[" #pid "]: "
#define PSCR(pid) T0 "mx1 postfix/postscreen[" #pid "]: "

/* Writes text to a temporary file and loads it; returns config_load's value. */
static int load(const char *text, struct config **ret_c, char *path, size_t pathlen, char *err, size_t errlen)
{
	int fd;

	snprintf(path, pathlen, "/tmp/test_rules.XXXXXX");
	assert_true((fd = mkstemp(path)) >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
	close(fd);
	*ret_c = config_new();
	assert_non_null(*ret_c);
	int r = config_load(*ret_c, path, err, errlen);

	unlink(path);
	return r;
}

/* ---- configuration ---------------------------------------------------- */

struct conf_row {
	const char *text;
	int ret;
	const char *err;		/* substring of the message, after "FILE:" */
};

static void test_config(void **state)
{
	(void) state;
	static const struct conf_row rows[] = {
		/* each kind; tags; flags; repeatable keys */
		{"fold = /^milter/\n", 0, NULL},
		{"keep = /x/i\n", 0, NULL},
		{"fold = postfix/postscreen /^PASS OLD /\n", 0, NULL},
		{"fold = /a/\nfold = /b/\nkeep = /c/\n", 0, NULL},
		{"strike = autherr /^too many errors after AUTH from /\n", 0, NULL},
		{"strike = autherr /x/ fold\nstrike = autherr /y/ keep\n", 0, NULL},
		{"strike = relay postfix/*/smtpd /Relay access denied/i fold\n", 0, NULL},
		{"strike = noauth /x/\n", 0, NULL},		/* a built-in reason */
		{"strike = pregreet /x/\nreasons = noauth pregreet\n", 0, NULL},
		/* a pattern may hold slashes: the last one closes it */
		{"fold = /^a/b/\n", 0, NULL},
		/* bad patterns: PCRE2's message and offset, with file and line */
		{"\nfold = /(a/\n", -EINVAL, "2: key 'fold': bad pattern at offset 2: missing closing parenthesis"},
		{"keep = /a{2,1}/\n", -EINVAL, "1: key 'keep': bad pattern at offset"},
		{"keep = /(*UTF)a/\n", -EINVAL, "1: key 'keep': bad pattern"},
		/* syntax */
		{"fold = x\n", -EINVAL, "1: key 'fold': expected [TAG] /REGEX/"},
		{"fold = /abc\n", -EINVAL, "expected [TAG] /REGEX/"},
		{"fold = //\n", -EINVAL, "empty pattern"},
		{"fold = /a/ fold\n", -EINVAL, "unexpected text after the pattern"},
		{"fold = /a/x\n", -EINVAL, "unexpected text after the pattern"},
		{"strike = r /a/ drop\n", -EINVAL, "expected 'keep' or 'fold'"},
		{"strike = /a/\n", -EINVAL, "expected REASON [TAG] /REGEX/"},
		{"strike = /a/ /b/\n", -EINVAL, "a reason is"},
		{"strike = Bad /a/\n", -EINVAL, "a reason is"},
		{"strike = r\n", -EINVAL, "expected REASON [TAG] /REGEX/"},
		/* reasons: a site reason must be defined before `reasons` names it */
		{"reasons = noauth later\nstrike = later /a/\n", -EINVAL, "1: key 'reasons': unknown reason 'later'"},
		{"reasons = noauth\nstrike = late /a/\n", -EINVAL, "2: key 'strike': define strike rules before 'reasons'"},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct config *c;
		char path[64], err[512] = "";
		int r = load(rows[i].text, &c, path, sizeof(path), err, sizeof(err));

		print_message("%s", rows[i].text);
		if (r != rows[i].ret)
			fail_msg("row %zu: got %d (%s), expected %d", i, r, err, rows[i].ret);
		if (rows[i].err && (strncmp(err, path, strlen(path)) != 0 || strstr(err, rows[i].err) == NULL))
			fail_msg("row %zu: message '%s' lacks '%s'", i, err, rows[i].err);
		config_free(c);
	}
}

/* A site reason is enabled by default, and filtered by `reasons`. */
static void test_reasons(void **state)
{
	(void) state;
	struct config *c;
	char path[64], err[512];

	assert_int_equal(load("strike = autherr /a/\nstrike = relay /b/\n", &c, path, sizeof(path), err, sizeof(err)), 0);
	int a = reason_lookup("autherr"), b = reason_lookup("relay");

	assert_true(a >= REASON_BUILTIN && b >= REASON_BUILTIN && a != b);
	assert_string_equal(reason_name(a), "autherr");
	assert_true(c->reasons[a] && c->reasons[b] && c->reasons[REASON_NOAUTH]);
	config_free(c);
	assert_int_equal(load("strike = autherr /a/\nstrike = relay /b/\nreasons = relay\n", &c, path, sizeof(path),
			      err, sizeof(err)), 0);
	assert_false(c->reasons[a]);
	assert_true(c->reasons[b]);
	assert_false(c->reasons[REASON_NOAUTH]);
	/* the number of a name is the process's: the same in a second configuration */
	assert_int_equal(reason_lookup("autherr"), a);
	config_free(c);
}

/* ---- what the rules decide -------------------------------------------- */

struct row {
	const char *line;
	const char *expect;
};

static void verdict(const struct fold_result *res, const char *path, char *buf, size_t len)
{
	static const char *const actions[] = {[FOLD_PASS] = "pass", [FOLD_KEEP] = "keep", [FOLD_DROP] = "drop"};
	char prefix[128];
	size_t n;

	snprintf(prefix, sizeof(prefix), "site:%s:", path);
	if (strncmp(res->rule, prefix, strlen(prefix)) == 0)
		n = (size_t) snprintf(buf, len, "%s site:F:%s", actions[res->action], res->rule + strlen(prefix));
	else
		n = (size_t) snprintf(buf, len, "%s %s", actions[res->action], res->rule);
	if (res->synthetic)
		n += (size_t) snprintf(buf + n, len - n, " +synthetic");
	if (res->strike) {
		char a[ADDR_STRLEN];

		addr_format(&res->addr, a);
		snprintf(buf + n, len - n, " +strike=%s:%s", reason_name(res->reason), a);
	}
}

struct fixture {
	struct config *c;
	struct fold *f;
	char path[64];
};

static struct fixture *setup(const char *text)
{
	struct fixture *x = calloc(1, sizeof(*x));
	char err[512];

	assert_non_null(x);
	if (load(text, &x->c, x->path, sizeof(x->path), err, sizeof(err)) < 0)
		fail_msg("config: %s", err);
	assert_non_null(x->f = fold_new(x->c));
	return x;
}

static void teardown(struct fixture *x)
{
	fold_free(x->f);
	config_free(x->c);
	free(x);
}

static void run(struct fixture *x, const struct row *rows, size_t nrows)
{
	for (size_t i = 0; i < nrows; i++) {
		struct record r;
		struct fold_result res;
		char got[512];

		record_parse(rows[i].line, strlen(rows[i].line), 0, &r);
		assert_int_equal(fold_line(x->f, &r, &res), 0);
		verdict(&res, x->path, got, sizeof(got));
		if (strcmp(got, rows[i].expect) != 0)
			fail_msg("line %zu: %s\n  expected: %s\n  got:      %s", i + 1, rows[i].line, rows[i].expect, got);
	}
}
#define RUN(x, rows) run((x), (rows), sizeof(rows) / sizeof((rows)[0]))

/* fold and keep override the built-in keep/chatter verdict; first match wins. */
static void test_fold_keep(void **state)
{
	(void) state;
	static const char conf[] =
		"keep = /^milter8_.*DATA/\n"				/* 1: kept though -v chatter */
		"fold = /^milter8_/\n"					/* 2: folded (it is anyway) */
		"fold = /^warning: .*: milter-chatter/\n"		/* 3: a kept line folded */
		"keep = /^warning: /\n"					/* 4: never reached for 3's lines */
		"fold = /^warning: .*: milter-chatter/\n";		/* 5: shadowed by 3 and 4 */
	static const struct row rows[] = {
		{MX1(10) "connect from unknown[192.0.2.10]", "keep connect"},
		{MX1(10) "milter8_message: DATA for unknown[192.0.2.10]", "keep site:F:1"},
		{MX1(10) "milter8_conversation: milter example", "drop site:F:2"},
		{MX1(10) "warning: milter inet:127.0.0.1:8891: milter-chatter x", "drop site:F:3"},
		{MX1(10) "warning: unknown[192.0.2.10]: something else", "keep site:F:4"},
		{MX1(10) "lost connection after DATA from unknown[192.0.2.10]", "keep lost-connection"},
		{MX1(10) "match_list_match: unknown: no match", "drop not-written-without-v"},
		{MX1(10) "disconnect from unknown[192.0.2.10] ehlo=1 quit=1 commands=2", "keep disconnect"},
	};
	struct fixture *x = setup(conf);

	RUN(x, rows);
	uint64_t hits;

	assert_non_null(rules_name(x->c->rules, 4, &hits));
	assert_int_equal(hits, 0);	/* rule 5 is shadowed */
	teardown(x);
}

/* connect, disconnect, the -v trace and SASL failures keep their built-in meaning. */
static void test_structural(void **state)
{
	(void) state;
	static const char conf[] = "fold = /./\n" "strike = other /./\n";
	static const struct row rows[] = {
		{MX1(20) "connect from unknown[192.0.2.20]", "keep connect"},
		{MX1(20) "< unknown[192.0.2.20]: AUTH LOGIN", "drop trace-command"},
		{MX1(20) "> unknown[192.0.2.20]: 503 5.5.1 Error: authentication not enabled",
		 "drop trace-reply +synthetic +strike=noauth:192.0.2.20"},
		{MX1(20) "disconnect from unknown[192.0.2.20] ehlo=1 auth=0/1 commands=1/2", "keep disconnect"},
		{MX1(21) "connect from unknown[192.0.2.21]", "keep connect"},
		{MX1(21) "warning: unknown[192.0.2.21]: SASL LOGIN authentication failed: UGFzc3dvcmQ6",
		 "keep sasl-failed +strike=saslfail:192.0.2.21"},
		{MX1(21) "disconnect from unknown[192.0.2.21] ehlo=1 auth=0/1 commands=1/2", "keep disconnect"},
	};
	struct fixture *x = setup(conf);

	RUN(x, rows);
	teardown(x);
}

/* A strike rule strikes the session's client, whatever the line names. */
static void test_strike(void **state)
{
	(void) state;
	static const char conf[] =
		"strike = autherr /^too many errors after AUTH from /\n"		/* 1 */
		"strike = relay /helo=<\\[198\\.51\\.100\\.99\\]>/ fold\n"		/* 2 */
		"strike = named /203\\.0\\.113\\.5/\n"					/* 3 */
		"strike = disabled /^improper command pipelining/\n"			/* 4 */
		"reasons = noauth saslfail autherr relay named\n";
	static const struct row rows[] = {
		/* the shape of the recording's session 21433 */
		{MX1(30) "connect from unknown[192.0.2.30]", "keep connect"},
		{MX1(30) "too many errors after AUTH from unknown[192.0.2.30]", "keep site:F:1 +strike=autherr:192.0.2.30"},
		/* the synthetic line of the statistics rule still comes, the strike does not */
		{MX1(30) "disconnect from unknown[192.0.2.30] ehlo=1 auth=0/10 commands=1/11", "keep disconnect +synthetic"},
		/* the client's own HELO names another address: the session's client is struck */
		{MX1(31) "connect from unknown[192.0.2.31]", "keep connect"},
		{MX1(31) "NOQUEUE: reject: RCPT from unknown[192.0.2.31]: 554 5.7.1 <x@example.org>: Relay access "
			 "denied; from=<a@example.net> to=<x@example.org> proto=ESMTP helo=<[198.51.100.99]>",
		 "drop site:F:2 +strike=relay:192.0.2.31"},
		/* at most one strike per session */
		{MX1(31) "too many errors after AUTH from unknown[192.0.2.31]", "keep site:F:1"},
		{MX1(31) "disconnect from unknown[192.0.2.31] ehlo=1 rcpt=0/1 commands=1/2", "keep disconnect"},
		/* a line naming a third party in Postfix's position still strikes only the session */
		{MX1(32) "connect from unknown[192.0.2.32]", "keep connect"},
		{MX1(32) "lost connection after EHLO from unknown[203.0.113.5]", "keep site:F:3 +strike=named:192.0.2.32"},
		{MX1(32) "disconnect from unknown[192.0.2.32] ehlo=1 commands=1", "keep disconnect"},
		/* outside any session: nothing struck, counted */
		{MX1(33) "too many errors after AUTH from unknown[192.0.2.33]", "keep site:F:1"},
		/* a reason left out of `reasons`: the rule decides the line, no strike */
		{MX1(34) "connect from unknown[192.0.2.34]", "keep connect"},
		{MX1(34) "improper command pipelining after EHLO from unknown[192.0.2.34]: QUIT", "keep site:F:4"},
		{MX1(34) "disconnect from unknown[192.0.2.34] ehlo=1 commands=1", "keep disconnect"},
		/* smtpd_client_port_logging = yes: the session's client is NAME[ADDR]:PORT */
		{MX1(35) "connect from unknown[192.0.2.35]:40001", "keep connect"},
		{MX1(35) "too many errors after AUTH from unknown[192.0.2.35]:40001",
		 "keep site:F:1 +strike=autherr:192.0.2.35"},
		{MX1(35) "disconnect from unknown[192.0.2.35]:40001 ehlo=1 auth=0/10 commands=1/11",
		 "keep disconnect +synthetic"},
	};
	struct fixture *x = setup(conf);

	RUN(x, rows);
	assert_int_equal(rules_counters(x->c->rules)->strike_no_session, 1);
	assert_int_equal(fold_counters(x->f)->strikes[reason_lookup("autherr")], 2);
	assert_int_equal(fold_counters(x->f)->strikes[reason_lookup("relay")], 1);
	assert_int_equal(fold_counters(x->f)->evidence_ignored, 1);
	teardown(x);
}

/* Rules with a tag see other programs' lines; rules without one do not. */
static void test_tags(void **state)
{
	(void) state;
	static const char conf[] =
		"keep = postfix/postscreen /^PREGREET /\n"			/* 1 */
		"strike = pregreet postfix/postscreen /^PREGREET /\n"		/* 2: shadowed */
		"fold = postfix/postscreen /./\n"				/* 3 */
		"fold = /^PASS OLD /\n"						/* 4: smtpd only */
		"fold = opendkim /: no signing table match for /\n"		/* 5 */
		"keep = postfix/*/smtpd /^x-tagged/\n";				/* 6 */
	static const struct row rows[] = {
		{PSCR(40) "CONNECT from [192.0.2.40]:50000 to [198.51.100.1]:25", "drop site:F:3"},
		{PSCR(40) "PREGREET 11 after 0.08 from [192.0.2.40]:50000: EHLO User\\r\\n", "pass site:F:1"},
		{PSCR(40) "DISCONNECT [192.0.2.40]:50000", "drop site:F:3"},
		{T0 "mx1 postfix/anvil[9]: PASS OLD [192.0.2.40]:50000", "pass not-smtpd"},
		{T0 "mx1 opendkim[77]: 16E4FA726C4: no signing table match for 'a@example.net'", "drop site:F:5"},
		{T0 "mx1 opendkim[77]: 16E4FA726C4: DKIM-Signature field added (s=mail, d=example.org)", "pass not-smtpd"},
		{T0 "mx1 postfix/submission/smtpd[41]: x-tagged line", "keep site:F:6"},
		{T0 "mx1 postfix/smtpd[41]: x-tagged line", "drop not-written-without-v"},
	};
	struct fixture *x = setup(conf);

	RUN(x, rows);
	assert_int_equal(rules_counters(x->c->rules)->strike_no_session, 0);
	teardown(x);
}

/* Untrusted lines (journal: _COMM not trusted) never reach the rules. */
static void test_untrusted(void **state)
{
	(void) state;
	static const char line[] = MX1(50) "too many errors after AUTH from unknown[192.0.2.50]";
	struct fixture *x = setup("fold = /./\nfold = postfix/postscreen /./\n");
	struct record r;
	struct fold_result res;

	record_parse(line, strlen(line), 0, &r);
	r.trusted = false;
	assert_int_equal(fold_line(x->f, &r, &res), 0);
	assert_int_equal(res.action, FOLD_PASS);
	assert_string_equal(res.rule, "untrusted");
	assert_int_equal(rules_counters(x->c->rules)->lines, 0);
	teardown(x);
}

/* ---- limits ------------------------------------------------------------ */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

struct patho {
	const char *pattern;
	const char *unit;		/* the message: unit repeated to fill */
	size_t len;
	const char *tail;
	uint64_t limit;			/* expected matches over the limit */
};

/* Pathological pattern/line pairs run within the budget: no match, counted. */
static void test_pathological(void **state)
{
	(void) state;
	static const struct patho rows[] = {
		/* exponential at the first start position: stops there */
		{"(a+)+$", "a", 50000, "b", 1},
		{"(a|aa)+$", "a", 50000, "b", 1},
		{"(.*a){12}$", "a", 20000, "b", 1},
		{"(x+x+)+y", "x", 60000, "z y", 1},
		{"(a+)+$", "aaaaaaaaaaaaaaaab ", 65000, "", 1},
		/* below the per-start limit at every start position: the budget
		   (length + 1) x RULES_MATCH_BUDGET / (length + 1) is the bound */
		{"(a+)+$", "aaaaab ", 65000, "b", 0},
		{"(a+)+$", "aaab ", 65000, "b", 0},
		{"(\\w+\\s*)+:$", "abcd ", 65000, ": x", 1},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char conf[256];
		size_t ul = strlen(rows[i].unit), pl = strlen(MX1(60));
		char *line = malloc(pl + rows[i].len + 8);
		struct record r;
		struct fold_result res;

		snprintf(conf, sizeof(conf), "fold = /%s/\n", rows[i].pattern);
		struct fixture *x = setup(conf);

		memcpy(line, MX1(60), pl);
		for (size_t j = 0; j < rows[i].len; j++)
			line[pl + j] = rows[i].unit[j % ul];
		strcpy(line + pl + rows[i].len, rows[i].tail);
		record_parse(line, strlen(line), 0, &r);
		double t = now();

		assert_int_equal(fold_line(x->f, &r, &res), 0);
		t = now() - t;
		print_message("%-14s on %-6.6s x %zu: %.1f ms, %s\n", rows[i].pattern, rows[i].unit, rows[i].len, t * 1e3, res.rule);
		/* no match: the built-in verdict stands */
		assert_string_equal(res.rule, "not-written-without-v");
		assert_int_equal(res.action, FOLD_DROP);
		assert_int_equal(rules_counters(x->c->rules)->limit, rows[i].limit);
		/* RULES_MATCH_BUDGET steps are ~30 ms JIT, ~300 ms interpreted, on a
		   2020s core; 5 s only catches a missing bound on a loaded machine */
		assert_true(t < 5.0);
		teardown(x);
		free(line);
	}
}

/* An anchored pattern has one start position and gets the whole budget:
   ".*" may backtrack across a long line. */
static void test_anchored_budget(void **state)
{
	(void) state;
	static const struct {
		const char *conf;
		const char *expect;
		uint64_t limit;
	} rows[] = {
		{"keep = /^x.*y/\n", "keep", 0},
		{"keep = /^x(?:a|b)*y/\n", "keep", 0},
	};
	size_t pl = strlen(MX1(70)), n = 60000;
	char *line = malloc(pl + n + 1);

	memcpy(line, MX1(70), pl);
	memset(line + pl, 'a', n);
	line[pl] = 'x';
	line[pl + 1000] = 'y';		/* ".*" backtracks 59000 bytes to find it */
	line[pl + n] = 0;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct fixture *x = setup(rows[i].conf);
		struct record r;
		struct fold_result res;
		char got[512];

		record_parse(line, strlen(line), 0, &r);
		assert_int_equal(fold_line(x->f, &r, &res), 0);
		verdict(&res, x->path, got, sizeof(got));
		print_message("%s -> %s\n", rows[i].conf, got);
		assert_int_equal(strncmp(got, rows[i].expect, 4), 0);
		assert_int_equal(rules_counters(x->c->rules)->limit, rows[i].limit);
		teardown(x);
	}
	free(line);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_fold_keep),
		cmocka_unit_test(test_structural),
		cmocka_unit_test(test_strike),
		cmocka_unit_test(test_tags),
		cmocka_unit_test(test_untrusted),
		cmocka_unit_test(test_pathological),
		cmocka_unit_test(test_anchored_budget),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	rules 3
 * SUMMARY
 *	site rules: fold, keep and strike lines by PCRE2 pattern
 * SYNOPSIS
 *	#include "rules.h"
 *
 *	struct rules *rules_new(void)
 *	int	rules_add(rs, kind, reason, value, name, err, errlen)
 *	bool	rules_match(rs, tag, smtpd, msg, ret_hit)
 *	void	rules_free(rs)
 *	size_t	rules_count(rs)
 *	bool	rules_tagged(rs)
 *	bool	rules_jit(rs)
 *	struct rules_counters *rules_counters(rs)
 *	const char *rules_name(rs, i, ret_hits)
 *	const char *rules_kind_name(kind)
 * DESCRIPTION
 *	A rule set is the `fold`, `keep` and `strike` lines of authfold.conf
 *	in order of appearance. rules_add() parses one value,
 *
 *		[TAG] /REGEX/[i] [keep|fold]
 *
 *	compiles REGEX with PCRE2 (bytes, no UTF; "i" makes it caseless) and
 *	JIT-compiles it when the JIT is available, else the interpreter runs
 *	it. TAG is an fnmatch(3) pattern for the syslog tag ("postfix/
 *	postscreen", "opendkim"); without TAG the rule applies to the lines
 *	of smtpd_tags. The trailing keep|fold is for strike rules only
 *	(default keep). name ("site:FILE:LINE") is copied.
 *
 *	rules_match() tries the rules that apply to a line's tag, in order,
 *	on the line's message (the text after "tag[pid]: "), and returns the
 *	first that matches. What a hit means (drop, keep, strike) is up to
 *	the caller, fold(3), which also decides which lines the rules see.
 * DIAGNOSTICS
 *	rules_add() returns 0, -ENOMEM, -ENOSPC (more than RULES_MAX rules or
 *	RULES_TAGS_MAX tag patterns) or -EINVAL with the reason in err; for a
 *	bad pattern that is PCRE2's message and the offset in the pattern.
 *	A match that reaches a limit counts as no match and is counted.
 * SECURITY
 *	The patterns are the administrator's, the lines are partly the
 *	clients' (EHLO names, addresses, commands): a pattern can backtrack
 *	exponentially on a line made for it. Every match runs under limits:
 *	PCRE2 counts its match limit per start position, so a pattern that
 *	can start anywhere gets RULES_MATCH_BUDGET / (length + 1) per start,
 *	and an anchored one ("^...", one start) all of it: the backtracking
 *	steps of one rule on one line are at most RULES_MATCH_BUDGET (plus
 *	one per start position) whatever the length;
 *	the backtracking depth and heap (interpreter) and the JIT stack are
 *	bounded too. One line costs at most rules x RULES_MATCH_BUDGET steps.
 *	A rule never yields text from the line: a hit names the rule, never
 *	an address (fold(3) strikes the session's own client).
 *
 *	The rule set owns one match context and match data, used by every
 *	call: one thread.
 */

#include "rules.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rule {
	pcre2_code *code;
	enum rules_kind kind;
	bool drop;
	int reason;
	int tag;			/* index into tags[], -1: smtpd_tags */
	bool anchored;			/* one start position: the whole budget for it */
	uint64_t hits;
	char *name;
};

struct rules {
	struct rule *v;
	size_t n, cap;
	char *tags[RULES_TAGS_MAX];
	size_t ntags;
	bool all_jit;
	pcre2_match_context *mc;
	pcre2_match_data *md;
	pcre2_jit_stack *jit_stack;
	struct rules_counters counters;
	/* the last line's tag and which tag patterns it matched */
	char last_tag[128];
	size_t last_tag_len;
	bool last_tag_valid;
	bool tag_match[RULES_TAGS_MAX];
};

const char *rules_kind_name(enum rules_kind kind)
{
	return kind == RULES_FOLD ? "fold" : kind == RULES_KEEP ? "keep" : "strike";
}

struct rules *rules_new(void)
{
	struct rules *rs = calloc(1, sizeof(*rs));

	if (rs == NULL)
		return NULL;
	rs->all_jit = true;
	rs->mc = pcre2_match_context_create(NULL);
	rs->md = pcre2_match_data_create(1, NULL);
	if (rs->mc == NULL || rs->md == NULL) {
		rules_free(rs);
		return NULL;
	}
	pcre2_set_depth_limit(rs->mc, RULES_DEPTH_LIMIT);
	pcre2_set_heap_limit(rs->mc, RULES_HEAP_LIMIT_KIB);
	/* NULL when the library has no JIT: the interpreter needs none. */
	rs->jit_stack = pcre2_jit_stack_create(RULES_JIT_STACK_MIN, RULES_JIT_STACK_MAX, NULL);
	if (rs->jit_stack)
		pcre2_jit_stack_assign(rs->mc, NULL, rs->jit_stack);
	return rs;
}

void rules_free(struct rules *rs)
{
	if (rs == NULL)
		return;
	for (size_t i = 0; i < rs->n; i++) {
		pcre2_code_free(rs->v[i].code);
		free(rs->v[i].name);
	}
	free(rs->v);
	for (size_t i = 0; i < rs->ntags; i++)
		free(rs->tags[i]);
	pcre2_match_data_free(rs->md);
	pcre2_match_context_free(rs->mc);
	pcre2_jit_stack_free(rs->jit_stack);
	free(rs);
}

size_t rules_count(const struct rules *rs)
{
	return rs ? rs->n : 0;
}

bool rules_tagged(const struct rules *rs)
{
	return rs && rs->ntags > 0;
}

bool rules_jit(const struct rules *rs)
{
	return rs->all_jit;
}

struct rules_counters *rules_counters(struct rules *rs)
{
	return &rs->counters;
}

const char *rules_name(const struct rules *rs, size_t i, uint64_t *ret_hits)
{
	if (i >= rs->n)
		return NULL;
	*ret_hits = rs->v[i].hits;
	return rs->v[i].name;
}

/* In rules_add(): describe the fault in err, return -EINVAL. */
#define FAIL(...) (snprintf(err, errlen, __VA_ARGS__), -EINVAL)

/* Index of the tag pattern p (len n), added if new. */
static int tag_index(struct rules *rs, const char *p, size_t n, char *err, size_t errlen)
{
	for (size_t i = 0; i < rs->ntags; i++)
		if (strlen(rs->tags[i]) == n && memcmp(rs->tags[i], p, n) == 0)
			return (int) i;
	if (rs->ntags == RULES_TAGS_MAX) {
		snprintf(err, errlen, "more than %d distinct tag patterns", RULES_TAGS_MAX);
		return -ENOSPC;
	}
	if ((rs->tags[rs->ntags] = strndup(p, n)) == NULL)
		return -ENOMEM;
	rs->last_tag_valid = false;
	return (int) rs->ntags++;
}

/* A rule's value, "[TAG] /REGEX/[i] [keep|fold]", taken apart (pointers into it). */
struct spec {
	const char *tag;		/* NULL: any tag */
	size_t tlen;
	const char *re;			/* the pattern, up to close */
	const char *close;
	uint32_t options;
	bool drop;
};

static int parse_value(const struct rules *rs, enum rules_kind kind, const char *value, struct spec *ret,
		       char *err, size_t errlen)
{
	const char *p = value, *q;
	struct spec sp = {NULL, 0, NULL, NULL, PCRE2_NEVER_UTF, kind == RULES_FOLD};

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '/') {
		sp.tag = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		sp.tlen = (size_t) (p - sp.tag);
		while (*p == ' ' || *p == '\t')
			p++;
		if (sp.tlen >= sizeof(rs->last_tag))
			return FAIL("tag pattern longer than 127 bytes: '%s'", value);
	}
	if (*p != '/' || (sp.close = strrchr(p, '/')) == p)
		return FAIL("expected [TAG] /REGEX/, not '%s'", value);
	sp.re = p + 1;
	if (sp.close == sp.re)
		return FAIL("empty pattern in '%s'", value);
	for (q = sp.close + 1; *q == 'i'; q++)
		sp.options |= PCRE2_CASELESS;
	while (*q == ' ' || *q == '\t')
		q++;
	if (*q) {
		if (kind == RULES_STRIKE && strcmp(q, "keep") == 0)
			sp.drop = false;
		else if (kind == RULES_STRIKE && strcmp(q, "fold") == 0)
			sp.drop = true;
		else
			return kind == RULES_STRIKE
			    ? FAIL("expected 'keep' or 'fold' after the pattern, not '%s'", q)
			    : FAIL("unexpected text after the pattern: '%s'", q);
	}
	*ret = sp;
	return 0;
}

/* The compiled pattern of sp (JIT when it can; rs->all_jit false when not). */
static int compile(struct rules *rs, const struct spec *sp, pcre2_code **ret_code, char *err, size_t errlen)
{
	int errcode;
	PCRE2_SIZE erroff;
	pcre2_code *code = pcre2_compile((PCRE2_SPTR) sp->re, (size_t) (sp->close - sp->re), sp->options, &errcode,
					 &erroff, NULL);

	if (code == NULL) {
		PCRE2_UCHAR msg[256];

		if (pcre2_get_error_message(errcode, msg, sizeof(msg)) < 0)
			snprintf((char *) msg, sizeof(msg), "error %d", errcode);
		snprintf(err, errlen, "bad pattern at offset %zu: %s", (size_t) erroff, (const char *) msg);
		return -EINVAL;
	}
	if (pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) != 0)
		rs->all_jit = false;	/* no JIT here, or not for this pattern: the interpreter runs it */
	*ret_code = code;
	return 0;
}

int rules_add(struct rules *rs, enum rules_kind kind, int reason, const char *value, const char *name,
	      char *err, size_t errlen)
{
	struct spec sp;
	pcre2_code *code;
	uint32_t all = 0;
	struct rule *r;
	int tag = -1, ret;

	if (rs->n == RULES_MAX) {
		snprintf(err, errlen, "more than %d site rules", RULES_MAX);
		return -ENOSPC;
	}
	if ((ret = parse_value(rs, kind, value, &sp, err, errlen)) < 0 || (ret = compile(rs, &sp, &code, err, errlen)) < 0)
		return ret;
	(void) pcre2_pattern_info(code, PCRE2_INFO_ALLOPTIONS, &all);
	if (sp.tag && (tag = tag_index(rs, sp.tag, sp.tlen, err, errlen)) < 0) {
		pcre2_code_free(code);
		return tag;
	}
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 8;
		struct rule *v = realloc(rs->v, cap * sizeof(*v));

		if (v == NULL) {
			pcre2_code_free(code);
			return -ENOMEM;
		}
		rs->v = v;
		rs->cap = cap;
	}
	r = &rs->v[rs->n];
	*r = (struct rule) {code, kind, sp.drop, reason, tag, (all & PCRE2_ANCHORED) != 0, 0,
			    strndup(name, RULES_NAME_MAX)};
	if (r->name == NULL) {
		pcre2_code_free(code);
		return -ENOMEM;
	}
	rs->n++;
	return 0;
}

/* Which tag patterns the line's tag matches; cached for runs of one tag. */
static void match_tags(struct rules *rs, struct span tag)
{
	if (rs->last_tag_valid && tag.len == rs->last_tag_len && memcmp(tag.p, rs->last_tag, tag.len) == 0)
		return;
	if (tag.len >= sizeof(rs->last_tag)) {
		memset(rs->tag_match, 0, sizeof(rs->tag_match));
		rs->last_tag_valid = false;
		return;
	}
	memcpy(rs->last_tag, tag.p, tag.len);
	rs->last_tag[tag.len] = 0;
	rs->last_tag_len = tag.len;
	rs->last_tag_valid = true;
	for (size_t i = 0; i < rs->ntags; i++)
		rs->tag_match[i] = fnmatch(rs->tags[i], rs->last_tag, FNM_PATHNAME) == 0;
}

bool rules_match(struct rules *rs, struct span tag, bool smtpd, struct span msg, struct rules_hit *ret_hit)
{
	PCRE2_SPTR subject = (PCRE2_SPTR) (msg.len ? msg.p : "");
	bool tags_known = false;

	if (rs == NULL || rs->n == 0)
		return false;
	rs->counters.lines++;
	/* The budget is per line; PCRE2 counts per start position, of which
	   an anchored pattern ("^...") has one, another up to length + 1. */
	size_t split = RULES_MATCH_BUDGET / (msg.len + 1);
	uint32_t limit = split > 0 ? (uint32_t) split : 1, set = 0;

	for (size_t i = 0; i < rs->n; i++) {
		struct rule *r = &rs->v[i];

		if (r->tag < 0) {
			if (!smtpd)
				continue;
		} else {
			if (!tags_known) {
				match_tags(rs, tag);
				tags_known = true;
			}
			if (!rs->tag_match[r->tag])
				continue;
		}
		uint32_t want = r->anchored ? RULES_MATCH_BUDGET : limit;

		if (want != set)
			pcre2_set_match_limit(rs->mc, set = want);
		int rc = pcre2_match(r->code, subject, msg.len, 0, 0, rs->md, rs->mc);

		if (rc == PCRE2_ERROR_NOMATCH)
			continue;
		if (rc < 0) {
			if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
			    rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT)
				rs->counters.limit++;
			else
				rs->counters.errors++;
			continue;
		}
		r->hits++;
		*ret_hit = (struct rules_hit) {r->kind, r->drop, r->reason, r->name, i};
		return true;
	}
	return false;
}

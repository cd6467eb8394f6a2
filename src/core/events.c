/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	events 3
 * SUMMARY
 *	the JSON Lines events log
 * SYNOPSIS
 *	#include "events.h"
 *
 *	int	events_strike(o, s)
 *	int	events_ban(o, b)
 *	int	events_unban(o, usec, net, prefix, by)
 * DESCRIPTION
 *	One JSON object per line, append-only, as DESIGN.md specifies:
 *
 *	{"ts":"...","event":"strike","reason":"noauth","addr":"192.0.2.7",
 *	 "client":"unknown[192.0.2.7]","host":"mx1","tag":"postfix/smtpd","pid":32591,
 *	 "rule":"trace-reply"}
 *	{"ts":"...","event":"ban","addr":"192.0.2.7","prefix":32,"seconds":86400,
 *	 "strikes":2,"set":"authfold4"}
 *
 *	An unban (authfold unban, written by the daemon that took the
 *	request, or by the command itself when no daemon runs):
 *
 *	{"ts":"...","event":"unban","addr":"192.0.2.7","prefix":32,
 *	 "by":"uid 0 (root), sudo by alice"}
 *
 *	A strike's rule is the fold rule that found the evidence: a built-in
 *	rule's name (trace-reply, disconnect, sasl-failed) or a site rule's
 *	site:FILE:LINE (rules(3)).
 *
 *	ts is the record's RFC 3339 timestamp as written, or one formatted
 *	from its time. A ban in a dry run adds "dry_run":true and no "set";
 *	a ban applied later than it was decided (replay of old logs) adds
 *	"applied_seconds", the time the kernel was given.
 *
 *	Strings are written with json_string() of json(3).
 * DIAGNOSTICS
 *	Returns 0 or the -errno of output_write().
 */

#include "events.h"

#include "json.h"
#include "strlit.h"
#include "summary.h"

#include <stdio.h>
#include <string.h>

static int write_ts(struct output *o, const struct record *r)
{
	char buf[64];
	size_t n;

	if (r->format == RECORD_RFC3339)
		return json_string(o, r->ts.p, r->ts.len);
	if (r->usec < 0)
		return output_write(o, "null", STRLIT_LEN("null"));
	n = format_rfc3339(r->usec, buf, sizeof(buf));
	return json_string(o, buf, n);
}

static int write_lit(struct output *o, const char *s)
{
	return output_write(o, s, strlen(s));
}

int events_strike(struct output *o, const struct events_strike *s)
{
	char a[ADDR_STRLEN], pid[32];
	int r;

	addr_format(s->addr, a);
	snprintf(pid, sizeof(pid), "%ld", s->r->pid);
	if ((r = write_lit(o, "{\"ts\":")) < 0 || (r = write_ts(o, s->r)) < 0 ||
	    (r = write_lit(o, ",\"event\":\"strike\",\"reason\":\"")) < 0 ||
	    (r = write_lit(o, reason_name(s->reason))) < 0 || (r = write_lit(o, "\",\"addr\":\"")) < 0 ||
	    (r = write_lit(o, a)) < 0 || (r = write_lit(o, "\",\"client\":")) < 0 ||
	    (r = json_string(o, s->client, s->client_len)) < 0 || (r = write_lit(o, ",\"host\":")) < 0 ||
	    (r = json_string(o, s->r->host.p, s->r->host.len)) < 0 || (r = write_lit(o, ",\"tag\":")) < 0 ||
	    (r = json_string(o, s->r->tag.p, s->r->tag.len)) < 0 || (r = write_lit(o, ",\"pid\":")) < 0 ||
	    (r = write_lit(o, s->r->pid >= 0 ? pid : "null")) < 0)
		return r;
	if (s->rule && ((r = write_lit(o, ",\"rule\":")) < 0 || (r = json_string(o, s->rule, strlen(s->rule))) < 0))
		return r;
	return write_lit(o, "}\n");
}

int events_unban(struct output *o, int64_t usec, const struct addr *net, unsigned prefix, const char *by)
{
	char a[ADDR_STRLEN], ts[64], nums[64];
	int r;

	addr_format(net, a);
	format_rfc3339(usec, ts, sizeof(ts));
	snprintf(nums, sizeof(nums), "\",\"prefix\":%u,\"by\":", prefix);
	if ((r = write_lit(o, "{\"ts\":\"")) < 0 || (r = write_lit(o, ts)) < 0 ||
	    (r = write_lit(o, "\",\"event\":\"unban\",\"addr\":\"")) < 0 || (r = write_lit(o, a)) < 0 ||
	    (r = write_lit(o, nums)) < 0 || (r = json_string(o, by, strlen(by))) < 0)
		return r;
	return write_lit(o, "}\n");
}

int events_ban(struct output *o, const struct events_ban *b)
{
	char a[ADDR_STRLEN], nums[128];
	int r;

	addr_format(b->net, a);
	snprintf(nums, sizeof(nums), "\",\"prefix\":%u,\"seconds\":%lld,\"strikes\":%u", b->prefix,
		 (long long) b->seconds, b->strikes);
	if ((r = write_lit(o, "{\"ts\":")) < 0 || (r = write_ts(o, b->r)) < 0 ||
	    (r = write_lit(o, ",\"event\":\"ban\",\"addr\":\"")) < 0 || (r = write_lit(o, a)) < 0 ||
	    (r = write_lit(o, nums)) < 0)
		return r;
	if (b->set && (r = write_lit(o, ",\"set\":")) == 0)
		r = json_string(o, b->set, strlen(b->set));
	if (r == 0 && b->dry_run)
		r = write_lit(o, ",\"dry_run\":true");
	if (r == 0 && b->applied_seconds >= 0 && b->applied_seconds != b->seconds) {
		snprintf(nums, sizeof(nums), ",\"applied_seconds\":%lld", (long long) b->applied_seconds);
		r = write_lit(o, nums);
	}
	return r < 0 ? r : write_lit(o, "}\n");
}

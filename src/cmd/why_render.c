/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	why_render 3
 * SUMMARY
 *	authfold why: the story as text for a terminal, or as JSON
 * SYNOPSIS
 *	#include "why_render.h"
 *
 *	int	why_render_text(y, out)
 *	int	why_render_json(y, out)
 *	size_t	why_visible(p, n, buf, len)
 * DESCRIPTION
 *	why_render_text() writes the story gathered in y (why_story(3)) for
 *	a reader: the files read or not and why, the notes, then every
 *	strike with its session and every ban and unban, oldest first, then
 *	the state. why_render_json() writes the same as one JSON object
 *	(tests/why/why.schema.json).
 *
 *	why_visible() writes into buf (NUL-terminated, cut to len) text that
 *	is safe for a terminal: printable ASCII and valid UTF-8 as they are;
 *	every C0 control byte, ESC, DEL and every byte of invalid UTF-8 as
 *	\xHH; the C1 controls (U+0080 to U+009F), the line and paragraph
 *	separators and the bidirectional controls as \u{HHHH}. It returns
 *	the length written.
 * DIAGNOSTICS
 *	The render functions return 0 or the first -errno of output(3).
 * SECURITY
 *	Every byte that came from a file (log lines, event fields, file
 *	names found in a directory, notes naming them) goes through
 *	why_visible() in text and through json_string() in JSON.
 */

#include "why_render.h"

#include "config.h"
#include "events.h"
#include "json.h"
#include "policy.h"
#include "summary.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct out {
	struct output *o;
	int err;			/* the first write error */
};

static void put(struct out *w, const char *p, size_t n)
{
	int r;

	if (w->err == 0 && (r = output_write(w->o, p, n)) < 0)
		w->err = r;
}

static void puts_(struct out *w, const char *s)
{
	put(w, s, strlen(s));
}

static void putf(struct out *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct out *w, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		put(w, buf, (size_t) n < sizeof(buf) ? (size_t) n : sizeof(buf) - 1);
}

/* --- text for a terminal ------------------------------------------------------------ */

/* The length of the valid UTF-8 sequence at p (>= 2), its code point in
   *ret_cp; 0 when invalid (overlong, a surrogate, above U+10FFFF, cut). */
static size_t utf8_seq(const unsigned char *p, size_t n, uint32_t *ret_cp)
{
	unsigned char c = p[0];
	size_t len = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
	unsigned char lo = 0x80, hi = 0xbf;
	uint32_t cp;

	if (len == 0 || n < len)
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	cp = c & (len == 2 ? 0x1f : len == 3 ? 0x0f : 0x07);
	for (size_t i = 1; i < len; i++) {
		if (i > 1 && (p[i] < 0x80 || p[i] > 0xbf))
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	*ret_cp = cp;
	return len;
}

/* Code points that move the cursor or reorder text: shown escaped. */
static bool unsafe_cp(uint32_t cp)
{
	return cp <= 0x9f || cp == 0x061c || cp == 0x200e || cp == 0x200f || (cp >= 0x2028 && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069);
}

size_t why_visible(const char *text, size_t n, char *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *) text;
	size_t o = 0;

	for (size_t i = 0; i < n && o + 11 < len;) {
		uint32_t cp;
		size_t sl;

		if (p[i] >= 0x20 && p[i] < 0x7f) {
			buf[o++] = (char) p[i++];
		} else if (p[i] < 0x80 || (sl = utf8_seq(p + i, n - i, &cp)) == 0) {
			o += (size_t) snprintf(buf + o, len - o, "\\x%02x", p[i++]);
		} else if (unsafe_cp(cp)) {
			o += (size_t) snprintf(buf + o, len - o, "\\u{%04" PRIx32 "}", cp);
			i += sl;
		} else {
			memcpy(buf + o, p + i, sl);
			o += sl;
			i += sl;
		}
	}
	if (len)
		buf[o < len ? o : len - 1] = 0;
	return o;
}

/* Log text for a terminal, escaped by why_visible() piece by piece. */
static void put_text(struct out *w, const char *p, size_t n)
{
	char buf[1024];

	while (n) {
		/* 64 bytes in become at most 64 x 10 bytes out: no cut */
		size_t piece = n < 64 ? n : 64;

		while (piece < n && piece > 60 && ((unsigned char) p[piece] & 0xc0) == 0x80)
			piece--;	/* do not split a UTF-8 sequence */
		put(w, buf, why_visible(p, piece, buf, sizeof(buf)));
		p += piece;
		n -= piece;
	}
}

static void put_texts(struct out *w, const char *s)
{
	s = s ? s : "?";
	put_text(w, s, strlen(s));
}

static void put_time(struct out *w, int64_t usec, bool json)
{
	char buf[64];

	if (usec < 0 || usec == INT64_MAX) {
		puts_(w, json ? "null" : "-");
		return;
	}
	format_rfc3339(usec, buf, sizeof(buf));
	if (json)
		putf(w, "\"%s\"", buf);
	else
		puts_(w, buf);
}

static void text_sources(const struct why_story *y, struct out *w)
{
	char buf[512];

	for (size_t i = 0; i < y->nsrc; i++) {
		const struct why_source *s = &y->src[i];

		why_source_problem(s, buf, sizeof(buf));
		putf(w, "  %-7s ", s->kind);
		put_texts(w, s->path);
		puts_(w, ": ");
		if (!s->read) {
			puts_(w, "NOT READ (");
			put_texts(w, buf[0] ? buf : "never opened");
			puts_(w, ")\n");
			continue;
		}
		putf(w, "%" PRIu64 " %s", s->lines, strcmp(s->kind, "state") == 0 ? "entries" : "lines");
		if (s->bad)
			putf(w, ", %" PRIu64 " not events (cut, corrupt or impossible lines)", s->bad);
		if (s->overlong)
			putf(w, ", %" PRIu64 " overlong", s->overlong);
		if (buf[0]) {
			puts_(w, "; NOT READ TO THE END: ");
			put_texts(w, buf);
		}
		puts_(w, "\n");
	}
}

static void text_notes(const struct why_story *y, struct out *w)
{
	for (size_t i = 0; i < y->nnotes; i++) {
		puts_(w, "  note: ");
		put_texts(w, y->notes[i]);
		puts_(w, "\n");
	}
	if (y->ev_dropped)
		putf(w, "  note: %" PRIu64 " older events of this address are not shown (at most %d)\n", y->ev_dropped,
		     WHY_EVENTS_MAX);
	if (y->strikes_without_search)
		putf(w, "  note: the sessions of the %" PRIu64 " oldest strikes were not looked for (at most %d)\n",
		     y->strikes_without_search, WHY_STRIKES_MAX);
	if (y->ns_dropped)
		putf(w, "  note: %" PRIu64 " older SASL failures of this address without a strike are not told (at most "
		     "%d)\n", y->ns_dropped, WHY_NOSTRIKE_MAX);
}

static void text_session(struct out *w, const struct why_session *s)
{
	if (s == NULL) {
		puts_(w, "    (no session lines found in the summary log)\n");
		return;
	}
	if (s->partial)
		puts_(w, "    (its connect is not in the summary logs read)\n");
	for (unsigned i = 0; i < s->n; i++)
		if (s->line[i]) {
			puts_(w, "    ");
			put_texts(w, s->line[i]);
			puts_(w, "\n");
		}
	if (s->cut)
		putf(w, "    (more lines; at most %d shown)\n", WHY_SESSION_LINES);
	if (s->ambiguous)
		puts_(w, "    (another session of this client in the same second fits as well: the timestamps "
		      "cannot tell which)\n");
	if (s->open_end)
		puts_(w, "    (its disconnect is not in the summary logs read)\n");
}

static void text_strike(struct out *w, const struct why_event *e)
{
	char a[ADDR_STRLEN];

	addr_format(&e->net.net, a);
	put_time(w, e->usec, false);
	putf(w, "  strike #%zu  ", e->number);
	put_texts(w, e->reason);
	putf(w, "  %s  rule ", a);
	put_texts(w, e->rule ? e->rule : "-");
	puts_(w, "  ");
	put_texts(w, e->host);
	puts_(w, " ");
	put_texts(w, e->tag);
	putf(w, "[%ld]  client ", e->pid);
	put_texts(w, e->client);
	puts_(w, "\n");
	text_session(w, e->session);
}

/* A SASL failure without a strike: its verdict and its line. */
static void text_nostrike(const struct why_story *y, struct out *w, const struct why_nostrike *n)
{
	char a[ADDR_STRLEN], v[WHY_SHOWN_LINE_MAX + 256];

	addr_format(&n->addr, a);
	put_time(w, n->usec, false);
	puts_(w, "  no strike  ");
	puts_(w, n->reason ? n->reason : "-");
	putf(w, "  %s  rule %s  ", a, n->rule);
	put_text(w, n->line + n->host, n->host_len);
	puts_(w, " ");
	put_text(w, n->line + n->tag, n->tag_len);
	putf(w, "[%ld]  client ", n->pid);
	put_text(w, n->line + n->client, n->client_len);
	puts_(w, "\n    ");
	put_texts(w, why_trouble_verdict(y, n, v, sizeof(v)));
	puts_(w, "\n    ");
	put_texts(w, n->line);
	puts_(w, "\n");
}

static void text_ban(const struct why_story *y, struct out *w, size_t bi)
{
	const struct why_event *e = &y->ev[bi], *u;
	size_t made[POLICY_MAXRETRY_MAX], nm = why_ban_strikes(y, bi, made, POLICY_MAXRETRY_MAX);
	char a[ADDR_STRLEN], dur[64];
	const char *st;
	int64_t until;

	st = why_ban_status(y, bi, &until, &u);
	addr_format(&e->net.net, a);
	format_duration(e->seconds, dur, sizeof(dur));
	put_time(w, e->usec, false);
	putf(w, "  BAN %s/%u for %s (%u strike%s:", a, e->net.prefix, dur, e->strikes, e->strikes == 1 ? "" : "s");
	for (size_t k = 0; k < nm; k++)
		putf(w, " #%zu", made[k]);
	if (nm < e->strikes)
		putf(w, "%s%zu not in the events read or of other addresses of the network", nm ? "; " : " ",
		     (size_t) e->strikes - nm);
	puts_(w, ") until ");
	put_time(w, until, false);
	putf(w, ": %s", strcmp(st, "dry_run") == 0 ? "dry run, not given to the kernel" : st);
	if (u) {
		puts_(w, " at ");
		put_time(w, u->usec, false);
		puts_(w, " by ");
		put_texts(w, u->by);
	}
	if (strcmp(st, "running") == 0)
		puts_(w, why_state_ban(y, &e->net) ? " (a state file holds it)" :
		      " (no state file holds it: unbanned or forgotten without an event?)");
	if (e->set) {
		puts_(w, ", set ");
		put_texts(w, e->set);
	}
	puts_(w, "\n");
}

static void text_state(const struct why_story *y, struct out *w)
{
	char a[ADDR_STRLEN];

	if (y->nstate)
		puts_(w, "\nState now:\n");
	for (size_t i = 0; i < y->nstate; i++) {
		const struct why_state_row *r = &y->state[i];

		addr_format(&r->net.net, a);
		putf(w, "  %s/%u  %u strike%s within findtime, banned %u time%s", a, r->net.prefix, r->strikes,
		     r->strikes == 1 ? "" : "s", r->times_banned, r->times_banned == 1 ? "" : "s");
		if (r->until_usec > y->o->now_usec) {
			puts_(w, ", running until ");
			put_time(w, r->until_usec, false);
		}
		puts_(w, "  (");
		put_texts(w, r->file);
		puts_(w, ")\n");
	}
}

int why_render_text(const struct why_story *y, struct output *out)
{
	struct out w = {out, 0};
	char tn[ADDR_STRLEN], a[ADDR_STRLEN];
	size_t shown = 0;

	addr_format(&y->o->target.net, tn);
	putf(&w, "authfold why %s/%u\n\nRead:\n", tn, y->o->target.prefix);
	text_sources(y, &w);
	text_notes(y, &w);
	puts_(&w, "\n");
	for (size_t i = 0, j = 0; i < y->nev || j < y->nns;) {
		/* the SASL failures without a strike in the order of time, among the events */
		if (j < y->nns && (i == y->nev || (y->ev[i].usec >= 0 && y->ns[j].usec < y->ev[i].usec))) {
			text_nostrike(y, &w, &y->ns[j++]);
			continue;
		}
		size_t bi = i++;
		const struct why_event *e = &y->ev[bi];

		shown++;
		if (e->kind == WHY_STRIKE) {
			text_strike(&w, e);
		} else if (e->kind == WHY_BAN) {
			text_ban(y, &w, bi);
		} else {
			addr_format(&e->net.net, a);
			put_time(&w, e->usec, false);
			putf(&w, "  UNBAN %s/%u by ", a, e->net.prefix);
			put_texts(&w, e->by);
			puts_(&w, "\n");
		}
	}
	if (shown == 0)
		putf(&w, "No strike and no ban of %s/%u in the events logs read.\n", tn, y->o->target.prefix);
	if (y->nns) {
		char hold[64];

		format_duration(y->o->config->authserver_hold, hold, sizeof(hold));
		putf(&w, "Verdict: %zu SASL failure%s of %s/%u gave no strike because of auth server trouble:", y->nns,
		     y->nns == 1 ? "" : "s", tn, y->o->target.prefix);
		if (y->ns_server)
			putf(&w, " %zu failed by the auth server itself%s", y->ns_server, y->ns_held ? "," : "");
		if (y->ns_held)
			putf(&w, " %zu held (the host logged auth server trouble within authserver_hold %s)", y->ns_held,
			     hold);
		puts_(&w, ".\n");
	}
	text_state(y, &w);
	return w.err;
}

/* --- JSON ------------------------------------------------------------------------------ */

static void putj(struct out *w, const char *s)
{
	int r;

	if (s == NULL)
		puts_(w, "null");
	else if (w->err == 0 && (r = json_string(w->o, s, strlen(s))) < 0)
		w->err = r;
}

/* ,"key": then a JSON string or null */
static void jstr(struct out *w, const char *key, const char *s)
{
	putf(w, ",\"%s\":", key);
	putj(w, s);
}

static void json_sources(const struct why_story *y, struct out *w)
{
	char buf[512];

	puts_(w, ",\"sources\":[");
	for (size_t i = 0; i < y->nsrc; i++) {
		const struct why_source *s = &y->src[i];

		putf(w, "%s{\"kind\":\"%s\"", i ? "," : "", s->kind);
		jstr(w, "file", s->path);
		putf(w, ",\"read\":%s,\"complete\":%s,\"lines\":%" PRIu64 ",\"bad_lines\":%" PRIu64
		     ",\"overlong_lines\":%" PRIu64, s->read ? "true" : "false",
		     s->read && !s->detail[0] && !s->err ? "true" : "false", s->lines, s->bad, s->overlong);
		why_source_problem(s, buf, sizeof(buf));
		jstr(w, "error", buf[0] ? buf : NULL);
		puts_(w, "}");
	}
	puts_(w, "],\"notes\":[");
	for (size_t i = 0; i < y->nnotes; i++) {
		puts_(w, i ? "," : "");
		putj(w, y->notes[i]);
	}
	putf(w, "],\"events_not_shown\":%" PRIu64 ",\"strikes_not_searched\":%" PRIu64, y->ev_dropped,
	     y->strikes_without_search);
}

static void json_session(struct out *w, const struct why_session *s)
{
	bool first = true;

	if (s == NULL) {
		puts_(w, ",\"session\":null");
		return;
	}
	putf(w, ",\"session\":{\"connect_seen\":%s,\"disconnect_seen\":%s,\"cut\":%s,\"ambiguous\":%s,\"lines\":[",
	     s->partial ? "false" : "true", s->open_end ? "false" : "true", s->cut ? "true" : "false",
	     s->ambiguous ? "true" : "false");
	for (unsigned i = 0; i < s->n; i++)
		if (s->line[i]) {
			puts_(w, first ? "" : ",");
			putj(w, s->line[i]);
			first = false;
		}
	puts_(w, "]}");
}

static void json_strike(struct out *w, const struct why_event *e)
{
	putf(w, ",\"number\":%zu", e->number);
	jstr(w, "reason", e->reason);
	jstr(w, "rule", e->rule);
	jstr(w, "client", e->client);
	jstr(w, "host", e->host);
	jstr(w, "tag", e->tag);
	if (e->pid >= 0)
		putf(w, ",\"pid\":%ld", e->pid);
	else
		puts_(w, ",\"pid\":null");
	json_session(w, e->session);
}

static void json_nostrike(const struct why_story *y, struct out *w, const struct why_nostrike *n)
{
	char a[ADDR_STRLEN], v[WHY_SHOWN_LINE_MAX + 256], buf[WHY_SHOWN_LINE_MAX + 1];

	addr_format(&n->addr, a);
	puts_(w, "{\"event\":\"no_strike\",\"ts\":");
	put_time(w, n->usec, true);
	putf(w, ",\"addr\":\"%s\",\"because\":\"%s\"", a, n->server ? "auth_server_trouble" : "held");
	jstr(w, "verdict", why_trouble_verdict(y, n, v, sizeof(v)));
	jstr(w, "reason", n->reason);
	jstr(w, "rule", n->rule);
	snprintf(buf, sizeof(buf), "%.*s", (int) n->client_len, n->line + n->client);
	jstr(w, "client", buf);
	snprintf(buf, sizeof(buf), "%.*s", (int) n->host_len, n->line + n->host);
	jstr(w, "host", buf);
	snprintf(buf, sizeof(buf), "%.*s", (int) n->tag_len, n->line + n->tag);
	jstr(w, "tag", buf);
	putf(w, ",\"pid\":%ld", n->pid);
	jstr(w, "line", n->line);
	puts_(w, ",\"trouble_ts\":");
	put_time(w, n->held ? n->trouble_usec : -1, true);
	if (n->held)
		putf(w, ",\"authserver_hold\":%" PRId64 "}", y->o->config->authserver_hold);
	else
		puts_(w, ",\"authserver_hold\":null}");
}

static void json_ban(const struct why_story *y, struct out *w, size_t bi)
{
	const struct why_event *e = &y->ev[bi], *u;
	size_t made[POLICY_MAXRETRY_MAX], nm = why_ban_strikes(y, bi, made, POLICY_MAXRETRY_MAX);
	const char *st;
	int64_t until;

	st = why_ban_status(y, bi, &until, &u);
	putf(w, ",\"prefix\":%u,\"seconds\":%" PRId64 ",\"strikes\":%u,\"strike_numbers\":[", e->net.prefix,
	     e->seconds, e->strikes);
	for (size_t k = 0; k < nm; k++)
		putf(w, "%s%zu", k ? "," : "", made[k]);
	puts_(w, "],\"until\":");
	put_time(w, until, true);
	putf(w, ",\"status\":\"%s\",\"in_state\":%s", st, why_state_ban(y, &e->net) ? "true" : "false");
	jstr(w, "set", e->set);
	if (u) {
		puts_(w, ",\"unban\":{\"ts\":");
		putj(w, u->ts);
		jstr(w, "by", u->by);
		puts_(w, "}");
	} else {
		puts_(w, ",\"unban\":null");
	}
}

static void json_state(const struct why_story *y, struct out *w)
{
	char a[ADDR_STRLEN];

	puts_(w, ",\"state\":[");
	for (size_t i = 0; i < y->nstate; i++) {
		const struct why_state_row *r = &y->state[i];

		addr_format(&r->net.net, a);
		puts_(w, i ? ",{\"file\":" : "{\"file\":");
		putj(w, r->file);
		putf(w, ",\"addr\":\"%s\",\"prefix\":%u,\"strikes\":%u,\"times_banned\":%u,\"running\":%s,\"until\":", a,
		     r->net.prefix, r->strikes, r->times_banned, r->until_usec > y->o->now_usec ? "true" : "false");
		put_time(w, r->until_usec > 0 ? r->until_usec : -1, true);
		puts_(w, ",\"last_strike\":");
		put_time(w, r->last_strike_usec > 0 ? r->last_strike_usec : -1, true);
		puts_(w, "}");
	}
	puts_(w, "]");
}

int why_render_json(const struct why_story *y, struct output *out)
{
	static const char *const kinds[] = {"strike", "ban", "unban"};
	struct out w = {out, 0};
	char a[ADDR_STRLEN];

	addr_format(&y->o->target.net, a);
	putf(&w, "{\"target\":\"%s/%u\",\"now\":", a, y->o->target.prefix);
	put_time(&w, y->o->now_usec, true);
	json_sources(y, &w);
	puts_(&w, ",\"story\":[");
	for (size_t i = 0, j = 0; i < y->nev || j < y->nns;) {
		if (j < y->nns && (i == y->nev || (y->ev[i].usec >= 0 && y->ns[j].usec < y->ev[i].usec))) {
			puts_(&w, i + j ? "," : "");
			json_nostrike(y, &w, &y->ns[j++]);
			continue;
		}
		size_t bi = i++;
		const struct why_event *e = &y->ev[bi];

		putf(&w, "%s{\"event\":\"%s\"", bi + j ? "," : "", kinds[e->kind]);
		jstr(&w, "ts", e->ts);
		addr_format(&e->net.net, a);
		jstr(&w, "addr", a);
		if (e->kind == WHY_STRIKE)
			json_strike(&w, e);
		else if (e->kind == WHY_BAN)
			json_ban(y, &w, bi);
		else {
			putf(&w, ",\"prefix\":%u", e->net.prefix);
			jstr(&w, "by", e->by);
		}
		puts_(&w, "}");
	}
	putf(&w, "],\"no_strikes\":{\"auth_server_trouble\":%zu,\"held\":%zu,\"not_shown\":%" PRIu64 "}",
	     y->ns_server, y->ns_held, y->ns_dropped);
	json_state(y, &w);
	puts_(&w, "}\n");
	return w.err;
}

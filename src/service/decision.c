/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	decision 3
 * SUMMARY
 *	the one-line ban/unban decision a central authfold publishes
 * SYNOPSIS
 *	#include "decision.h"
 *
 *	int	decision_new_id(ret_id)
 *	int	decision_format(d, buf, len)
 *	int	decision_parse(line, len, ret_d, ret_error)
 *	int64_t	decision_at_usec(d)
 *	const char *decision_strerror(e)
 *	bool	decision_reason_ok(s, len)
 *	bool	decision_by_ok(s, len)
 * DESCRIPTION
 *	A decision is one line of text, version 1:
 *
 *	  authfold-decision v1 id=ID op=OP net=NET at=AT until=UNTIL reason=WHY by=HOST
 *
 *	ID	16 lower-case hex digits, random (getrandom(2)): the same
 *		decision delivered twice carries the same id.
 *	OP	ban or unban.
 *	NET	ADDR/PREFIX in canonical text (inet_ntop) with the host bits
 *		cleared; PREFIX is explicit, 8..32 for IPv4, 16..128 for IPv6.
 *	AT	when it was decided, unix seconds (1..DECISION_TIME_MAX),
 *		optionally followed by "." and exactly six digits of
 *		microseconds (written only when they are not all zero, so a
 *		line of an older publisher, whole seconds, still parses and
 *		one without microseconds formats as before). A ban and an
 *		unban of the same second are ordered by them.
 *	UNTIL	ban: the absolute end, unix seconds, not before AT;
 *		unban: 0.
 *	WHY	[a-z][a-z0-9_-]{0,30}: the reason of the last strike
 *		(noauth, saslfail, a site rule's) or, for unban, "admin".
 *	HOST	the deciding host, 1..253 of [A-Za-z0-9._-], starting with
 *		a letter or digit.
 *
 *	A keep-alive, which the central host sends when it has published
 *	nothing for publish_alive seconds, carries no decision:
 *
 *	  authfold-decision v1 id=ID op=alive at=AT by=HOST
 *
 *	Fields are separated by exactly one space, in exactly this order;
 *	nothing follows the last one. Later versions will change the
 *	"v1" token: this parser refuses any other version, so an old
 *	enforcer never half-understands a new decision.
 *
 *	decision_format() writes the line from a struct decision and checks
 *	every field with the same rules (it never writes what decision_parse()
 *	would refuse). decision_parse() takes exactly one line (no newline)
 *	and fills *ret_d only on success.
 * DIAGNOSTICS
 *	decision_parse() returns 0 or -EINVAL with the field at fault in
 *	*ret_error; decision_strerror() names it. decision_format() returns
 *	the length written, -ENOSPC (buf too small) or -EINVAL.
 * SECURITY
 *	The line comes from the network (RELP), so from whoever holds the
 *	central host's certificate, or from a bug: a line longer than
 *	DECISION_LINE_MAX is refused before it is looked at, every field is
 *	bounded and checked by character class, numbers are parsed digit by
 *	digit with an upper bound (no strtol), and the network is parsed
 *	with inet_pton(3) and must format back to the same text. A short
 *	prefix (a /0 would drop everyone) is refused here; the enforcer
 *	also refuses what the MX's ignoreip overlaps.
 */

#include "decision.h"
#include "strlit.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

int decision_new_id(char ret_id[DECISION_ID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t b[DECISION_ID_LEN / 2];
	size_t got = 0;

	while (got < sizeof(b)) {
		ssize_t n = getrandom(b + got, sizeof(b) - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		got += (size_t) n;
	}
	for (size_t i = 0; i < sizeof(b); i++) {
		ret_id[2 * i] = hex[b[i] >> 4];
		ret_id[2 * i + 1] = hex[b[i] & 15];
	}
	ret_id[DECISION_ID_LEN] = '\0';
	return 0;
}

static bool id_ok(const char *s, size_t len)
{
	if (len != DECISION_ID_LEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

bool decision_reason_ok(const char *s, size_t len)
{
	if (len == 0 || len > DECISION_REASON_MAX || s[0] < 'a' || s[0] > 'z')
		return false;
	for (size_t i = 1; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

/* by=: a host name, as names(3) accepts them (config(3) checks publish_host the same way) */
bool decision_by_ok(const char *s, size_t len)
{
	return names_host_ok(s, len);
}

static bool prefix_ok(const struct cidr *c)
{
	return c->net.family == AF_INET ? c->prefix >= 8 && c->prefix <= 32 : c->prefix >= 16 && c->prefix <= 128;
}

/* The canonical text of c into buf (ADDR_STRLEN + 4). */
static void net_text(const struct cidr *c, char *buf, size_t len)
{
	char a[ADDR_STRLEN];

	addr_format(&c->net, a);
	snprintf(buf, len, "%s/%u", a, c->prefix);
}

static bool times_ok(const struct decision *d)
{
	if (d->at < 1 || d->at > DECISION_TIME_MAX || d->at_usec < 0 || d->at_usec > 999999)
		return false;
	if (d->op == DECISION_UNBAN)
		return d->until == 0;
	return d->until >= d->at && d->until <= DECISION_TIME_MAX;
}

int64_t decision_at_usec(const struct decision *d)
{
	return d->at * 1000000 + d->at_usec;
}

/* at= as text: seconds, and ".UUUUUU" when the microseconds are not 0. */
static void at_text(const struct decision *d, char buf[32])
{
	if (d->at_usec == 0)
		snprintf(buf, 32, "%lld", (long long) d->at);
	else
		snprintf(buf, 32, "%lld.%06d", (long long) d->at, (int) d->at_usec);
}

int decision_format(const struct decision *d, char *buf, size_t len)
{
	char net[ADDR_STRLEN + 8], at[32];
	struct cidr canon = d->net;
	int n;

	if (d->at_usec < 0 || d->at_usec > 999999)
		return -EINVAL;
	at_text(d, at);
	if (d->op == DECISION_ALIVE) {
		if (!id_ok(d->id, strlen(d->id)) || d->at < 1 || d->at > DECISION_TIME_MAX ||
		    !decision_by_ok(d->by, strlen(d->by)))
			return -EINVAL;
		n = snprintf(buf, len, DECISION_MAGIC " v%d id=%s op=alive at=%s by=%s", DECISION_VERSION, d->id,
			     at, d->by);
		if (n < 0)
			return -EINVAL;
		return (size_t) n >= len || n > DECISION_LINE_MAX ? -ENOSPC : n;
	}
	addr_mask(&canon.net, canon.prefix);
	if (!id_ok(d->id, strlen(d->id)) || (d->op != DECISION_BAN && d->op != DECISION_UNBAN) ||
	    (d->net.net.family != AF_INET && d->net.net.family != AF_INET6) || !prefix_ok(&d->net) ||
	    !addr_equal(&canon.net, &d->net.net) || !times_ok(d) ||
	    !decision_reason_ok(d->reason, strlen(d->reason)) || !decision_by_ok(d->by, strlen(d->by)))
		return -EINVAL;
	net_text(&d->net, net, sizeof(net));
	n = snprintf(buf, len, DECISION_MAGIC " v%d id=%s op=%s net=%s at=%s until=%lld reason=%s by=%s",
		     DECISION_VERSION, d->id, d->op == DECISION_BAN ? "ban" : "unban", net, at,
		     (long long) d->until, d->reason, d->by);
	if (n < 0)
		return -EINVAL;
	if ((size_t) n >= len || n > DECISION_LINE_MAX)
		return -ENOSPC;
	return n;
}

/* The next field "name=value" at *p (before end): its value. */
static bool field(const char **p, const char *end, const char *name, const char **ret_v, size_t *ret_n)
{
	size_t nl = strlen(name);
	const char *s = *p, *sp;

	if ((size_t) (end - s) < nl + 1 || memcmp(s, name, nl) != 0 || s[nl] != '=')
		return false;
	s += nl + 1;
	sp = memchr(s, ' ', (size_t) (end - s));
	*ret_v = s;
	*ret_n = sp ? (size_t) (sp - s) : (size_t) (end - s);
	*p = sp ? sp + 1 : end;
	/* a separator must be followed by something */
	return !(sp && sp + 1 == end);
}

static bool number(const char *s, size_t n, int64_t max, int64_t *ret)
{
	int64_t v = 0;

	if (n == 0 || n > 19 || (n > 1 && s[0] == '0'))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
		if (v > max)
			return false;
	}
	*ret = v;
	return true;
}

/* at=SECONDS or at=SECONDS.UUUUUU (six digits, not all zero: the
   canonical form decision_format() writes). */
static bool at_value(const char *s, size_t n, struct decision *d)
{
	const char *dot = memchr(s, '.', n);
	int64_t us = 0;

	if (dot == NULL)
		return number(s, n, DECISION_TIME_MAX, &d->at) && d->at >= 1;
	if (!number(s, (size_t) (dot - s), DECISION_TIME_MAX, &d->at) || d->at < 1 ||
	    (size_t) (s + n - dot - 1) != 6)
		return false;
	for (const char *q = dot + 1; q < s + n; q++) {
		if (*q < '0' || *q > '9')
			return false;
		us = us * 10 + (*q - '0');
	}
	d->at_usec = (int32_t) us;
	return us != 0;
}

static int refuse(enum decision_error why, enum decision_error *ret_error)
{
	if (ret_error)
		*ret_error = why;
	return -EINVAL;
}

/* "authfold-decision vN id=… op=…": the magic, the version, the id and
   the op into d; *pp is left after the op. */
static enum decision_error parse_head(const char **pp, const char *end, struct decision *d)
{
	static const char magic[] = DECISION_MAGIC " ";
	const char *p = *pp, *v, *sp;
	size_t n, vn;
	int64_t ver;

	if ((size_t) (end - p) < sizeof(magic) - 1 || memcmp(p, magic, sizeof(magic) - 1) != 0)
		return DECISION_E_MAGIC;
	p += sizeof(magic) - 1;
	/* the version first: a later one is refused as such, not as garbage */
	sp = memchr(p, ' ', (size_t) (end - p));
	vn = sp ? (size_t) (sp - p) : (size_t) (end - p);
	if (vn < 2 || p[0] != 'v' || !number(p + 1, vn - 1, 1000000, &ver))
		return DECISION_E_SYNTAX;
	if (ver != DECISION_VERSION)
		return DECISION_E_VERSION;
	if (sp == NULL || sp + 1 == end)
		return DECISION_E_SYNTAX;
	p = sp + 1;
	if (!field(&p, end, "id", &v, &n))
		return DECISION_E_SYNTAX;
	if (!id_ok(v, n))
		return DECISION_E_ID;
	memcpy(d->id, v, n);
	if (!field(&p, end, "op", &v, &n))
		return DECISION_E_SYNTAX;
	if (STRLIT_EQ(v, n, "ban"))
		d->op = DECISION_BAN;
	else if (STRLIT_EQ(v, n, "unban"))
		d->op = DECISION_UNBAN;
	else if (STRLIT_EQ(v, n, "alive"))
		d->op = DECISION_ALIVE;
	else
		return DECISION_E_OP;
	*pp = p;
	return DECISION_OK;
}

/* The rest of an alive line: at= and by= only. */
static enum decision_error parse_alive(const char *p, const char *end, struct decision *d)
{
	const char *v;
	size_t n;

	if (!field(&p, end, "at", &v, &n))
		return DECISION_E_SYNTAX;
	if (!at_value(v, n, d))
		return DECISION_E_AT;
	if (!field(&p, end, "by", &v, &n) || p != end)
		return DECISION_E_SYNTAX;
	if (!decision_by_ok(v, n))
		return DECISION_E_BY;
	memcpy(d->by, v, n);
	return DECISION_OK;
}

/* The rest of a ban or unban line: net= (canonical), at=, until=, reason=, by=. */
static enum decision_error parse_change(const char *p, const char *end, struct decision *d)
{
	char canon[ADDR_STRLEN + 8];
	const char *v;
	size_t n;

	if (!field(&p, end, "net", &v, &n))
		return DECISION_E_SYNTAX;
	if (memchr(v, '/', n) == NULL || cidr_parse(v, n, &d->net) < 0 || !prefix_ok(&d->net))
		return DECISION_E_NET;
	net_text(&d->net, canon, sizeof(canon));
	if (strlen(canon) != n || memcmp(canon, v, n) != 0)
		return DECISION_E_NET;
	if (!field(&p, end, "at", &v, &n))
		return DECISION_E_SYNTAX;
	if (!at_value(v, n, d))
		return DECISION_E_AT;
	if (!field(&p, end, "until", &v, &n))
		return DECISION_E_SYNTAX;
	if (!number(v, n, DECISION_TIME_MAX, &d->until) || !times_ok(d))
		return DECISION_E_UNTIL;
	if (!field(&p, end, "reason", &v, &n))
		return DECISION_E_SYNTAX;
	if (!decision_reason_ok(v, n))
		return DECISION_E_REASON;
	memcpy(d->reason, v, n);
	if (!field(&p, end, "by", &v, &n))
		return DECISION_E_SYNTAX;
	if (p != end)
		return DECISION_E_SYNTAX;	/* a field after by= */
	if (!decision_by_ok(v, n))
		return DECISION_E_BY;
	memcpy(d->by, v, n);
	return DECISION_OK;
}

int decision_parse(const char *line, size_t len, struct decision *ret_d, enum decision_error *ret_error)
{
	const char *p = line, *end = line + len;
	enum decision_error why;
	struct decision d;

	memset(&d, 0, sizeof(d));
	if (len > DECISION_LINE_MAX)
		return refuse(DECISION_E_LONG, ret_error);
	if ((why = parse_head(&p, end, &d)) == DECISION_OK)
		why = d.op == DECISION_ALIVE ? parse_alive(p, end, &d) : parse_change(p, end, &d);
	if (why != DECISION_OK)
		return refuse(why, ret_error);
	*ret_d = d;
	if (ret_error)
		*ret_error = DECISION_OK;
	return 0;
}

_Static_assert(DECISION_LINE_MAX == 512, "decision_strerror() names the limit");

const char *decision_strerror(enum decision_error e)
{
	switch (e) {
	case DECISION_OK: return "ok";
	case DECISION_E_LONG: return "longer than 512 bytes";
	case DECISION_E_MAGIC: return "not an authfold decision";
	case DECISION_E_VERSION: return "unknown version";
	case DECISION_E_SYNTAX: return "fields missing, out of order or extra";
	case DECISION_E_ID: return "bad id";
	case DECISION_E_OP: return "bad op";
	case DECISION_E_NET: return "bad net";
	case DECISION_E_AT: return "bad at";
	case DECISION_E_UNTIL: return "bad until";
	case DECISION_E_REASON: return "bad reason";
	case DECISION_E_BY: return "bad by";
	}
	return "?";
}

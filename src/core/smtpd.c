/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	smtpd 3
 * SUMMARY
 *	tell the lines of a non-verbose Postfix smtpd from -v chatter
 * SYNOPSIS
 *	#include "smtpd.h"
 *
 *	void	smtpd_classify(msg, ret_line)
 *	int	smtpd_parse_client(p, len, ret_client, ret_addr)
 *
 *	struct span smtpd_client_base(client)
 *	const char *smtpd_kind_name(kind)
 * DESCRIPTION
 *	smtpd_classify() decides what one message of a Postfix smtpd process
 *	is. The decision is made from what a Postfix smtpd WITHOUT -v can
 *	write, an allowlist of message shapes taken from the smtpd, tls and
 *	xsasl sources of Postfix 3.7: connect/disconnect, lost connection,
 *	timeout, too many errors, improper pipelining, NOQUEUE and queue-id
 *	lines (Postfix 3.10 writes lost connection, timeout and too many
 *	errors after NOQUEUE: or the queue id), warning/error/fatal/panic,
 *	the TLS lines of smtpd_tls_loglevel
 *	1..4, discarded EHLO keywords, backwards-compatibility notices and
 *	table-change restarts. Every other message is chatter: the -v
 *	vocabulary is open-ended, and a line is dropped only because a
 *	non-verbose smtpd never writes it, not because it was seen before.
 *
 *	The -v protocol trace ("< client: command", "> client: reply") is
 *	chatter too, but is returned as COMMAND/REPLY so that the fold can
 *	see AUTH commands and their replies.
 *
 *	smtpd_parse_client() parses a "NAME[ADDR]" or "NAME[ADDR]:PORT"
 *	token at p: NAME is a host name as Postfix validated it (letters,
 *	digits, '.', '-', '_') or "unknown"; ADDR must pass inet_pton(3);
 *	PORT, which Postfix writes with smtpd_client_port_logging = yes, is
 *	1 to 5 digits up to 65535. A ':' after ']' that does not start a
 *	valid port is not part of the token. It returns the token's length
 *	(the port included), or -EINVAL; ret_client is the token as written.
 *
 *	smtpd_client_base() returns the "NAME[ADDR]" part of a token that
 *	smtpd_parse_client() accepted: the token without its ":PORT". A
 *	session's client is compared by it when one of the two tokens has
 *	no port (session(3)).
 *
 *	A SASL failure carries the saslreason(3) row of its REASON (the
 *	class: the client's fault, the server's, or an unoffered
 *	mechanism); its rule is sasl-failed, sasl-server or sasl-badmech.
 *	"warning: NAME[ADDR]: SASL M authentication aborted" (the whole
 *	message: the client answered a challenge with "*") is a SASL failure
 *	too, of the client's fault (saslreason_aborted()), rule sasl-aborted.
 *	Postfix's own warnings that the SASL backend is unreachable (no
 *	client named) are kept with rule sasl-trouble and sasl_trouble set.
 * DIAGNOSTICS
 *	smtpd_classify() always classifies: every message is some kind.
 * SECURITY
 *	Clients control text in many smtpd lines (EHLO names, addresses,
 *	AUTH arguments, unknown commands). Only tokens at positions that
 *	Postfix itself fills are interpreted: the message must START with
 *	the fixed text ("connect from ", "warning: NAME[ADDR]: SASL ") and
 *	the client token must be complete and valid. Text after it is never
 *	parsed for addresses. A client command that looks like a reply
 *	("< x: > y: 503 ...") is a command of its own session.
 */

#include "smtpd.h"

#include "saslreason.h"
#include "strlit.h"

#include <errno.h>
#include <string.h>

const char *smtpd_kind_name(enum smtpd_kind kind)
{
	static const char *const names[] = {
		[SMTPD_CHATTER] = "chatter", [SMTPD_KEEP] = "keep",
		[SMTPD_CONNECT] = "connect", [SMTPD_DISCONNECT] = "disconnect",
		[SMTPD_SASL_FAIL] = "saslfail", [SMTPD_COMMAND] = "command",
		[SMTPD_REPLY] = "reply",
	};
	return names[kind];
}

/* Character classes: 1 host name, 2 hex digit (upper case), 4 other queue-id letter. */
#define CC_NAME 1
#define CC_HEX 2
#define CC_QID 4
static const unsigned char cclass[256] = {
	['-'] = CC_NAME, ['.'] = CC_NAME, ['_'] = CC_NAME,
	['0'] = 3, ['1'] = 3, ['2'] = 3, ['3'] = 3, ['4'] = 3, ['5'] = 3, ['6'] = 3, ['7'] = 3, ['8'] = 3, ['9'] = 3,
	['A'] = 3, ['B'] = 3, ['C'] = 3, ['D'] = 3, ['E'] = 3, ['F'] = 3,
	['G'] = 5, ['H'] = 5, ['I'] = 5, ['J'] = 5, ['K'] = 5, ['L'] = 5, ['M'] = 5, ['N'] = 5, ['O'] = 5,
	['P'] = 5, ['Q'] = 5, ['R'] = 5, ['S'] = 5, ['T'] = 5, ['U'] = 5, ['V'] = 5, ['W'] = 5, ['X'] = 5,
	['Y'] = 5, ['Z'] = 5,
	['a'] = 5, ['b'] = 5, ['c'] = 5, ['d'] = 5, ['e'] = 5, ['f'] = 5, ['g'] = 5, ['h'] = 5, ['i'] = 5,
	['j'] = 5, ['k'] = 5, ['l'] = 5, ['m'] = 5, ['n'] = 5, ['o'] = 5, ['p'] = 5, ['q'] = 5, ['r'] = 5,
	['s'] = 5, ['t'] = 5, ['u'] = 5, ['v'] = 5, ['w'] = 5, ['x'] = 5, ['y'] = 5, ['z'] = 5,
};

static bool name_char(char c)
{
	return cclass[(unsigned char) c] & CC_NAME;
}

/* The leading run of host-name bytes of p (smtpd_parse_client()'s NAME). */
static size_t name_run(const char *p, size_t len)
{
	size_t i = 0;

	while (i < len && name_char(p[i]))
		i++;
	return i;
}

/*
 * addr_parse() of the last ADDR text, kept: a session's trace lines name
 * the same client line after line.  The same bytes give the same address,
 * so the kept result is returned only for text equal to the kept text.
 */
static int parse_addr_kept(const char *text, size_t len, struct addr *ret_addr)
{
	static char kept[ADDR_STRLEN];
	static size_t kept_len;			/* 0: nothing kept */
	static struct addr kept_addr;

	if (len == kept_len && len > 0 && memcmp(text, kept, len) == 0) {
		*ret_addr = kept_addr;
		return 0;
	}
	if (addr_parse(text, len, ret_addr) < 0)
		return -EINVAL;
	if (len < sizeof(kept)) {
		memcpy(kept, text, len);
		kept_len = len;
		kept_addr = *ret_addr;
	}
	return 0;
}

/* smtpd_parse_client() once NAME's end i is known (name_run()). */
static int parse_client_from(const char *p, size_t len, size_t i, struct span *ret_client, struct addr *ret_addr)
{
	if (i == 0 || i >= len || p[i] != '[')
		return -EINVAL;
	size_t a0 = ++i;

	while (i < len && p[i] != ']' && i - a0 < ADDR_STRLEN)
		i++;
	if (i >= len || p[i] != ']')
		return -EINVAL;
	if (parse_addr_kept(p + a0, i - a0, ret_addr) < 0)
		return -EINVAL;
	i++;
	/* ":PORT" (smtpd_client_port_logging = yes) */
	if (i + 1 < len && p[i] == ':' && p[i + 1] >= '0' && p[i + 1] <= '9') {
		size_t d = i + 1;
		long port = 0;

		while (d < len && d - i <= 5 && p[d] >= '0' && p[d] <= '9')
			port = port * 10 + (p[d++] - '0');
		if (port <= 65535 && (d == len || p[d] < '0' || p[d] > '9'))
			i = d;
	}
	*ret_client = (struct span) {p, i};
	return (int) i;
}

int smtpd_parse_client(const char *p, size_t len, struct span *ret_client, struct addr *ret_addr)
{
	return parse_client_from(p, len, name_run(p, len), ret_client, ret_addr);
}

struct span smtpd_client_base(struct span client)
{
	size_t n = client.len;

	while (n > 0 && client.p[n - 1] >= '0' && client.p[n - 1] <= '9')
		n--;
	if (n < client.len && n >= 2 && client.p[n - 1] == ':' && client.p[n - 2] == ']')
		client.len = n - 1;
	return client;
}

static bool starts(struct span s, const char *lit, size_t n)
{
	return s.len >= n && memcmp(s.p, lit, n) == 0;
}
#define STARTS(s, lit) starts((s), (lit), STRLIT_LEN(lit))
#define SASL_FAILED " authentication failed"
#define SASL_ABORTED " authentication aborted"

static struct span after(struct span s, size_t n)
{
	return (struct span) {s.p + n, s.len - n};
}

/* "NAME[ADDR]" that ends s exactly, or is followed by a space when tail_ok. */
static bool client_at(struct span s, bool tail_ok, struct smtpd_line *l, size_t *ret_len)
{
	int n = smtpd_parse_client(s.p, s.len, &l->client, &l->addr);

	if (n < 0)
		return false;
	if ((size_t) n != s.len && !(tail_ok && s.p[n] == ' '))
		return false;
	*ret_len = (size_t) n;
	return true;
}

/* Disconnect statistics: "ehlo=1 auth=0/1 quit=1 commands=2/3", tolerant of new fields. */
static void parse_stats(struct span s, struct smtpd_line *l)
{
	size_t i = 0;

	while (i < s.len) {
		while (i < s.len && s.p[i] == ' ')
			i++;
		size_t t0 = i;

		while (i < s.len && s.p[i] != ' ')
			i++;
		struct span tok = {s.p + t0, i - t0};

		if (STARTS(tok, "starttls="))
			l->starttls = true;
		else if (STARTS(tok, "ehlo=") || STARTS(tok, "helo="))
			l->helo = true;
		else if (STARTS(tok, "auth=")) {
			long ok = 0, total = 0;
			size_t j = 5;
			bool slash = false;

			for (; j < tok.len && tok.p[j] >= '0' && tok.p[j] <= '9' && ok < 1000000; j++)
				ok = ok * 10 + (tok.p[j] - '0');
			if (j < tok.len && tok.p[j] == '/') {
				slash = true;
				for (j++; j < tok.len && tok.p[j] >= '0' && tok.p[j] <= '9' && total < 1000000; j++)
					total = total * 10 + (tok.p[j] - '0');
			}
			if (slash && j == tok.len && total > ok)
				l->auth_failed = (int) (total - ok);
		}
	}
}

/*
 * Queue ids: short (hex, >= 6) or long (base-52 digits, >= 10, with
 * 'z').  Their bytes are host-name bytes and ':' is not, so a queue id
 * followed by ':' is exactly a message's leading run of host-name bytes
 * (name_run()): one scan serves the queue-id and the tls-client rule.
 */
static bool queue_id(struct span s, size_t run, size_t *ret_len)
{
	bool hex = true;

	if (run > 24 || run >= s.len || s.p[run] != ':')
		return false;
	for (size_t i = 0; i < run; i++) {
		unsigned char c = cclass[(unsigned char) s.p[i]];

		if (!(c & (CC_HEX | CC_QID)))
			return false;
		if (!(c & CC_HEX))
			hex = false;
	}
	*ret_len = run;
	return hex ? run >= 6 : run >= 10;
}

/* What follows "QUEUEID: " or "NOQUEUE: " in a non-verbose smtpd line.
   Postfix 3.10 prefixes the "lost connection", "timeout" and "too many
   errors" lines with the queue id or NOQUEUE; 3.11's
   smtpd_reject_filter_maps logs "reply filter in: " and "reply filter out: ". */
static const char *const queue_actions[] = {
	"client=", "reject: ", "reject_warning: ", "milter-reject: ", "milter-discard: ",
	"milter-hold: ", "milter-redirect: ", "milter-header-", "milter-body-", "filter: ",
	"hold: ", "discard: ", "redirect: ", "prepend: ", "replace: ", "warning: ",
	"info: ", "proxy-accept: ", "proxy-reject: ", "lost connection", "enabling",
	"uid=", "sasl_", "bcc: ", "dunno", "permit: ", "ignore: ", "defer: ", "defer_if_",
	"abort: ", "trace: ", "timeout after ", "too many errors after ", "reply filter in: ",
	"reply filter out: ",
};

static bool queue_line(struct span s, size_t run)
{
	size_t n;

	if (STARTS(s, "NOQUEUE: "))
		n = 7;
	else if (!queue_id(s, run, &n))
		return false;
	if (n + 2 > s.len || s.p[n + 1] != ' ')
		return false;
	struct span rest = after(s, n + 2);

	for (size_t i = 0; i < sizeof(queue_actions) / sizeof(queue_actions[0]); i++)
		if (starts(rest, queue_actions[i], strlen(queue_actions[i])))
			return true;
	return false;
}

/* Messages that a non-verbose smtpd writes, by their fixed beginning. */
#define P(text, rule) {text, sizeof(text) - 1, rule}
static const struct {
	const char *prefix;
	size_t len;
	const char *rule;
} keep_prefixes[] = {
	P("warning: ", "warning"), P("error: ", "error"), P("fatal: ", "fatal"),
	P("panic: ", "panic"), P("lost connection after ", "lost-connection"),
	P("timeout after ", "timeout"), P("too many errors after ", "too-many-errors"),
	P("improper command pipelining after ", "improper-pipelining"),
	P("Anonymous TLS connection established from ", "tls-established"),
	P("Untrusted TLS connection established from ", "tls-established"),
	P("Trusted TLS connection established from ", "tls-established"),
	P("Verified TLS connection established from ", "tls-established"),
	P("setting up TLS connection from ", "tls-loglevel"),
	P("SSL_accept error from ", "tls-error"),
	P("SSL_accept:", "tls-loglevel"),
	P("TLS_accept:", "tls-loglevel"),
	P("discarding EHLO keywords: ", "discard-ehlo"),
	P("using backwards-compatible default setting ", "compat"),
	P("table ", "table-changed"),
};
#undef P
_Static_assert(sizeof(keep_prefixes) / sizeof(keep_prefixes[0]) <= 32, "by_first holds 32 prefixes");

#define NKEEP (sizeof(keep_prefixes) / sizeof(keep_prefixes[0]))

static bool keep_message(struct span s, struct smtpd_line *l)
{
	/* By first byte, the prefixes that can match: most chatter has none. */
	static uint32_t by_first[256];
	static bool indexed;

	if (!indexed) {
		for (size_t i = 0; i < NKEEP; i++)
			by_first[(unsigned char) keep_prefixes[i].prefix[0]] |= UINT32_C(1) << i;
		indexed = true;
	}
	if (s.len == 0)
		return false;
	for (uint32_t set = by_first[(unsigned char) s.p[0]]; set; set &= set - 1) {
		size_t i = (size_t) __builtin_ctz(set);

		if (!starts(s, keep_prefixes[i].prefix, keep_prefixes[i].len))
			continue;
		if (strcmp(keep_prefixes[i].rule, "table-changed") == 0) {
			static const char tail[] = " has changed -- restarting";
			size_t n = sizeof(tail) - 1;

			if (s.len < n || memcmp(s.p + s.len - n, tail, n) != 0)
				return false;
		}
		l->rule = keep_prefixes[i].rule;
		return true;
	}
	size_t run = name_run(s.p, s.len);

	if (queue_line(s, run)) {
		l->rule = "queue-id";
		return true;
	}
	/* smtpd_tls_loglevel >= 2: "NAME[ADDR]: TLS cipher list ...", "...: Issuing session ticket" */
	struct span c;
	struct addr a;
	int n = parse_client_from(s.p, s.len, run, &c, &a);

	if (n > 0 && (size_t) n + 2 <= s.len && s.p[n] == ':' && s.p[n + 1] == ' ') {
		l->rule = "tls-client";
		return true;
	}
	return false;
}

void smtpd_classify(struct span msg, struct smtpd_line *ret_line)
{
	struct smtpd_line *l = ret_line;	/* written in place: no copy per line */
	size_t n;

	memset(l, 0, sizeof(*l));
	l->kind = SMTPD_CHATTER;
	l->rule = "not-written-without-v";

	if (msg.len >= 2 && (msg.p[0] == '<' || msg.p[0] == '>') && msg.p[1] == ' ') {
		bool command = msg.p[0] == '<';
		struct span s = after(msg, 2);
		int c = smtpd_parse_client(s.p, s.len, &l->client, &l->addr);

		if (c > 0 && (size_t) c + 2 <= s.len && s.p[c] == ':' && s.p[c + 1] == ' ') {
			struct span text = after(s, (size_t) c + 2);

			if (command) {
				l->kind = SMTPD_COMMAND;
				l->rule = "trace-command";
				l->auth_command = text.len >= 4 && strncasecmp(text.p, "AUTH", 4) == 0 &&
				    (text.len == 4 || text.p[4] == ' ');
			} else {
				static const char noauth[] = "503 5.5.1 Error: authentication not enabled";

				l->kind = SMTPD_REPLY;
				l->rule = "trace-reply";
				l->noauth_reply = text.len == sizeof(noauth) - 1 &&
				    memcmp(text.p, noauth, text.len) == 0;
			}
		} else {
			l->rule = "trace";
		}
	} else if (msg.len > 0 && msg.p[0] == 'c' && STARTS(msg, "connect from ")) {
		if (client_at(after(msg, STRLIT_LEN("connect from ")), false, l, &n)) {
			l->kind = SMTPD_CONNECT;
			l->rule = "connect";
		} else {
			l->kind = SMTPD_KEEP;
			l->rule = "connect-unparsed";
		}
	} else if (msg.len > 0 && msg.p[0] == 'd' && STARTS(msg, "disconnect from ")) {
		struct span s = after(msg, STRLIT_LEN("disconnect from "));

		if (client_at(s, true, l, &n)) {
			l->kind = SMTPD_DISCONNECT;
			l->rule = "disconnect";
			parse_stats(after(s, n), l);
		} else {
			l->kind = SMTPD_KEEP;
			l->rule = "disconnect-unparsed";
		}
	} else if (msg.len > 0 && msg.p[0] == 'w' && STARTS(msg, "warning: ") &&
	    smtpd_parse_client(msg.p + STRLIT_LEN("warning: "), msg.len - STRLIT_LEN("warning: "), &l->client, &l->addr) > 0) {
		struct span s = after(msg, STRLIT_LEN("warning: ") + l->client.len);

		l->kind = SMTPD_KEEP;
		l->rule = "warning";
		/* The mechanism is the client's word (even "x]: y"), but the line
		   starts with Postfix's own "warning: CLIENT: SASL ": only
		   smtpd_sasl_glue writes that, for a failed AUTH. */
		const char *f;

		if (STARTS(s, ": SASL ") &&
		    (f = memmem(s.p + STRLIT_LEN(": SASL "), s.len - STRLIT_LEN(": SASL "), SASL_FAILED, STRLIT_LEN(SASL_FAILED))) != NULL) {
			/* Postfix splits the AUTH command at spaces: the mechanism
			   has none, and the first match is Postfix's own text */
			f += STRLIT_LEN(SASL_FAILED);
			l->kind = SMTPD_SASL_FAIL;
			l->sasl = saslreason_classify(f, (size_t) (s.p + s.len - f));
			l->rule = l->sasl->cls == SASL_SERVER ? "sasl-server" :
			    l->sasl->cls == SASL_BADMECH ? "sasl-badmech" : "sasl-failed";
		} else if (STARTS(s, ": SASL ") && s.len > STRLIT_LEN(": SASL ") + STRLIT_LEN(SASL_ABORTED) &&
			   memcmp(s.p + s.len - STRLIT_LEN(SASL_ABORTED), SASL_ABORTED, STRLIT_LEN(SASL_ABORTED)) == 0) {
			/* the client answered a challenge with "*": its own doing */
			l->kind = SMTPD_SASL_FAIL;
			l->sasl = saslreason_aborted();
			l->rule = "sasl-aborted";
		}
	} else if (keep_message(msg, l)) {
		l->kind = SMTPD_KEEP;
		if ((msg.p[0] == 'w' || msg.p[0] == 'f') && saslreason_is_trouble(msg.p, msg.len)) {
			l->sasl_trouble = true;
			l->rule = "sasl-trouble";
		}
	}
	if (l->kind == SMTPD_KEEP || l->kind == SMTPD_CHATTER)
		l->client = (struct span) {NULL, 0};
}

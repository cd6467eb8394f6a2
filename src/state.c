/*
 * NAME
 *	state 3
 * SUMMARY
 *	save and restore an engine's sessions, strikes and ban history
 * SYNOPSIS
 *	#include "state.h"
 *
 *	int	state_save(e, path, x, err, errlen)
 *	int	state_load(e, path, x, err, errlen)
 * DESCRIPTION
 *	The state file lets a restarted authfold go on where it stopped: a
 *	session cut in half by a restart still folds and strikes, strikes
 *	keep counting toward maxretry, and bantime_factor remembers earlier
 *	bans. It is a text file, one record per line, fields separated by
 *	single spaces, bytes outside '!'..'~' and '%' written as %XX:
 *
 *	  authfold-state 1
 *	  extra cursor CURSOR | extra summary_size N | extra events_size N | extra wal_gen N
 *	  session HOST TAG PID CONNECT DISCONNECT LO HI AUTH REPLY SASL_LO SASL_HI STRUCK_AT SYNTHETIC_AT
 *		  FLAGS REPLY_FORMAT REPLY_TS CLIENT [PENDING FORMAT USEC TS_LEN PREFIX]
 *	  addr NET PREFIX TIMES_BANNED BAN_UNTIL_USEC LAST_BAN_SECONDS LAST_STRIKE_USEC REASON N T1..TN
 *	  pending NET PREFIX UNTIL_USEC
 *	  banerror SINCE_USEC TEXT
 *	  end COUNT
 *
 *	A pending record is a ban the backend refused, waiting for a retry;
 *	banerror, written only while some wait, is the last refusal and the
 *	wall clock of the first one (engine_ban_state()), for authfold status.
 *	REASON is 0 (noauth) or 1 (saslfail), or the name of a reason a
 *	strike rule defines (site rules).
 *	A session's times are µs since the epoch, -1 for not seen (session(3));
 *	REPLY_FORMAT and REPLY_TS are the record format and timestamp text of
 *	its earliest 503 reply (fold(3) rebuilds that line's prefix from them).
 *	FLAGS is a bit set: 1 verbose, 2 its process verbose, 4 synthetic
 *	written, 8 SASL failure, 16 struck, 32 statistics say probe. A
 *	session whose verdict waits (fold(3)) carries it: PENDING 1 (a reply
 *	waiting for its AUTH) or 2 (a statistics verdict), the proving line's
 *	record format, time, timestamp length and prefix. COUNT is the number
 *	of lines before "end": a file without a matching end line is corrupt.
 *	Sessions are written least recently active first.
 *
 *	state_save() writes PATH.tmp, fsyncs it, renames it over path and
 *	fsyncs the directory: a crash leaves the old or the new file.
 *	state_load() adds what it reads to e, which should be new. After
 *	-EBADMSG e holds whatever came before the fault: discard it and
 *	start a new engine.
 * DIAGNOSTICS
 *	Both return 0 or -errno with a message naming the file in err.
 *	state_load() returns -ENOENT when there is no file, and -EBADMSG for
 *	a corrupt one, which it renames to PATH.corrupt.
 * SECURITY
 *	The file is written by authfold (mode 0600) and still parsed
 *	defensively: every field is checked, a line is at most 8 KiB, and the
 *	counts are bounded by the engine's own limits.
 */

#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STATE_MAGIC	"authfold-state 1"
#define STATE_LINE_MAX	8192

enum {
	F_VERBOSE = 1, F_PROC_VERBOSE = 2, F_SYNTHETIC = 4, F_SASLFAIL = 8, F_STRUCK = 16, F_PROBE_STATS = 32,
};

static void put_escaped(FILE *fp, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char) p[i];

		if (c > ' ' && c <= '~' && c != '%')
			putc(c, fp);
		else
			fprintf(fp, "%%%02X", c);
	}
	if (n == 0)
		fputs("%", fp);		/* an empty field is a lone % */
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decodes an escaped field in place; returns its length or -1. */
static ssize_t unescape(char *s)
{
	size_t o = 0;

	if (strcmp(s, "%") == 0) {
		*s = 0;
		return 0;
	}
	for (size_t i = 0; s[i]; i++) {
		if (s[i] == '%') {
			int h = hexval(s[i + 1]), l = h < 0 ? -1 : hexval(s[i + 2]);

			if (h < 0 || l < 0)
				return -1;
			s[o++] = (char) (h * 16 + l);
			i += 2;
		} else {
			s[o++] = s[i];
		}
	}
	s[o] = 0;
	return (ssize_t) o;
}

static void put_addr(FILE *fp, const struct addr *a)
{
	char buf[ADDR_STRLEN];

	addr_format(a, buf);
	fputs(buf, fp);
}

static void save_session(FILE *fp, const struct session *s)
{
	struct span host, tag;

	session_proc_origin(s->proc, &host, &tag);
	fputs("session ", fp);
	put_escaped(fp, host.p, host.len);
	putc(' ', fp);
	put_escaped(fp, tag.p, tag.len);
	fprintf(fp, " %ld %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64
		" %" PRId64 " %" PRId64 " %d %d ", s->proc->pid, s->connect_usec, s->disconnect_usec, s->lo_usec,
		s->hi_usec, s->auth_usec, s->reply_usec, s->sasl_lo, s->sasl_hi, s->struck_usec, s->synthetic_usec,
		(s->verbose ? F_VERBOSE : 0) | (s->proc->verbose ? F_PROC_VERBOSE : 0) | (s->synthetic ? F_SYNTHETIC : 0) |
		(s->saslfail ? F_SASLFAIL : 0) | (s->struck ? F_STRUCK : 0) | (s->probe_stats ? F_PROBE_STATS : 0),
		s->reply_format);
	put_escaped(fp, s->reply_ts, s->reply_ts_len);
	putc(' ', fp);
	put_escaped(fp, s->client, s->client_len);
	if (s->pending != SESSION_PENDING_NONE) {
		fprintf(fp, " %d %d %" PRId64 " %u ", s->pending, s->pending_format, s->pending_usec, s->pending_ts_len);
		put_escaped(fp, s->pending_prefix, s->pending_len);
	}
	putc('\n', fp);
}

int state_save(struct engine *e, const char *path, const struct state_extra *x, char *err, size_t errlen)
{
	struct session_table *t = fold_sessions(engine_fold(e));
	char tmp[4096];
	unsigned lines = 1;
	int fd, r = 0;
	FILE *fp;

	if ((size_t) snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
		snprintf(err, errlen, "state file name too long: '%s'", path);
		return -ENAMETOOLONG;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0 ||
	    (fp = fdopen(fd, "w")) == NULL) {
		r = -errno;
		if (fd >= 0)
			close(fd);
		snprintf(err, errlen, "cannot write state '%s': %s", tmp, strerror(-r));
		return r;
	}
	fprintf(fp, "%s\n", STATE_MAGIC);
	if (x) {
		fputs("extra cursor ", fp);
		put_escaped(fp, x->cursor, strnlen(x->cursor, sizeof(x->cursor)));
		fprintf(fp, "\nextra summary_size %" PRId64 "\nextra events_size %" PRId64 "\nextra wal_gen %" PRId64 "\n",
			x->summary_size, x->events_size, x->wal_gen);
		lines += 4;
	}
	for (struct session *s = session_oldest(t); s; s = session_newer(s)) {
		save_session(fp, s);
		lines++;
	}
	for (struct policy_entry *p = policy_first(engine_policy(e)); p; p = policy_next(p)) {
		fputs("addr ", fp);
		put_addr(fp, &p->net);
		fprintf(fp, " %u %u %" PRId64 " %" PRId64 " %" PRId64 " ", p->prefix, p->times_banned,
			p->ban_until_usec, p->last_ban_seconds, p->last_strike_usec);
		/* site rules (issue 6): a rule-defined reason by name, its number is the process's */
		if (p->last_reason < REASON_BUILTIN)
			fprintf(fp, "%d", (int) p->last_reason);
		else
			fputs(reason_name(p->last_reason), fp);
		fprintf(fp, " %u", p->nstrikes);
		for (unsigned i = 0; i < p->nstrikes; i++)
			fprintf(fp, " %" PRId64, p->strikes[i]);
		putc('\n', fp);
		lines++;
	}
	for (size_t i = 0; i < engine_pending_bans(e); i++) {
		const struct engine_ban *b = engine_pending_ban(e, i);

		fputs("pending ", fp);
		put_addr(fp, &b->net);
		fprintf(fp, " %u %" PRId64 "\n", b->prefix, b->until_usec);
		lines++;
	}
	struct engine_ban_state bs;

	engine_ban_state(e, &bs);
	if (bs.waiting > 0 && bs.error[0]) {
		fprintf(fp, "banerror %" PRId64 " ", bs.since_usec);
		put_escaped(fp, bs.error, strlen(bs.error));
		putc('\n', fp);
		lines++;
	}
	fprintf(fp, "end %u\n", lines);
	if (fflush(fp) != 0 || fsync(fd) != 0)
		r = -errno;
	if (fclose(fp) != 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) != 0)
		r = -errno;
	if (r < 0) {
		snprintf(err, errlen, "cannot write state '%s': %s", path, strerror(-r));
		unlink(tmp);
		return r;
	}
	char dir[4096];

	snprintf(dir, sizeof(dir), "%s", path);
	int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd < 0 || (fsync(dfd) < 0 && errno != EINVAL)) {	/* EINVAL: no sync for directories here */
		r = -errno;	/* the new file is in place, its name maybe not on disk */
		if (dfd >= 0)
			close(dfd);
		snprintf(err, errlen, "cannot sync the directory of state '%s': %s", path, strerror(-r));
		return r;
	}
	close(dfd);
	return 0;
}

/* Splits s on single spaces into at most max fields. */
static int split(char *s, char **f, int max)
{
	int n = 0;

	while (*s && n < max) {
		f[n++] = s;
		char *sp = strchr(s, ' ');

		if (sp == NULL)
			break;
		*sp = 0;
		s = sp + 1;
	}
	return n;
}

static int parse_i64(const char *s, int64_t *ret)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end)
		return -1;
	*ret = v;
	return 0;
}

/* A time of a session: -1 (not seen) or a time since the epoch. */
static bool usec_ok(int64_t v)
{
	return v >= -1;
}

static int load_session(struct engine *e, char **f, int n, const char **why)
{
	struct fold *fold = engine_fold(e);
	struct session_table *t = fold_sessions(fold);
	ssize_t hl = unescape(f[1]), tl = unescape(f[2]), rl = unescape(f[16]), cl = unescape(f[17]);
	int64_t v[14];
	struct span client;
	struct addr a;
	struct session_proc *p;
	struct session *s;

	for (int i = 0; i < 13; i++)
		if (parse_i64(f[3 + i], &v[i]) < 0)
			return *why = "bad session", -1;
	/* v: pid connect disconnect lo hi auth reply sasl_lo sasl_hi struck_at synthetic_at flags reply_format */
	for (int i = 1; i <= 10; i++)
		if (!usec_ok(v[i]))
			return *why = "bad session time", -1;
	if (hl <= 0 || tl <= 0 || cl <= 0 || rl < 0 || rl >= SESSION_TS_MAX || v[0] < -1 || v[0] > INT32_MAX ||
	    v[3] < 0 || v[4] < v[3] || v[11] < 0 || v[11] > 63 || (v[1] >= 0 && v[2] >= 0 && v[2] < v[1]) ||
	    (v[12] != RECORD_RFC3339 && v[12] != RECORD_TRADITIONAL && v[12] != RECORD_JOURNAL && v[12] != 0) ||
	    smtpd_parse_client(f[17], (size_t) cl, &client, &a) != cl)
		return *why = "bad session", -1;
	if (session_proc_get(t, (struct span) {f[1], (size_t) hl}, (struct span) {f[2], (size_t) tl}, (long) v[0], &p) < 0 ||
	    session_new(t, p, client, &a, v[3], &s) < 0)
		return *why = "session table refused a session", -1;
	s->connect_usec = v[1];
	s->disconnect_usec = v[2];
	s->lo_usec = v[3];
	s->hi_usec = v[4];
	s->auth_usec = v[5];
	s->reply_usec = v[6];
	s->sasl_lo = v[7];
	s->sasl_hi = v[8];
	s->struck_usec = v[9];
	s->synthetic_usec = v[10];
	s->verbose = v[11] & F_VERBOSE;
	p->verbose |= (v[11] & F_PROC_VERBOSE) != 0;
	s->synthetic = v[11] & F_SYNTHETIC;
	s->saslfail = v[11] & F_SASLFAIL;
	s->struck = v[11] & F_STRUCK;
	s->probe_stats = v[11] & F_PROBE_STATS;
	s->reply_format = (uint8_t) v[12];
	if (rl > 0)
		memcpy(s->reply_ts, f[16], (size_t) rl);
	s->reply_ts_len = (uint8_t) rl;
	if (s->disconnect_usec >= 0)
		session_ended(t, s);
	if (n == 18)
		return 0;

	ssize_t pl = unescape(f[22]);

	if (parse_i64(f[18], &v[0]) < 0 || parse_i64(f[19], &v[1]) < 0 || parse_i64(f[20], &v[2]) < 0 ||
	    parse_i64(f[21], &v[3]) < 0 || (v[0] != SESSION_PENDING_REPLY && v[0] != SESSION_PENDING_DISCONNECT) ||
	    (v[1] != RECORD_RFC3339 && v[1] != RECORD_TRADITIONAL && v[1] != RECORD_JOURNAL) || v[2] < 0 ||
	    pl < 0 || pl > SESSION_PREFIX_MAX || v[3] < 0 || v[3] > pl ||
	    (v[0] == SESSION_PENDING_DISCONNECT && s->disconnect_usec < 0))
		return *why = "bad pending verdict", -1;
	if (pl > 0 && (s->pending_prefix = malloc((size_t) pl)) == NULL)
		return *why = "out of memory", -1;
	if (pl > 0)
		memcpy(s->pending_prefix, f[22], (size_t) pl);
	s->pending_len = (uint16_t) pl;
	s->pending = (uint8_t) v[0];
	s->pending_format = (uint8_t) v[1];
	s->pending_usec = v[2];
	s->pending_ts_len = (uint16_t) v[3];
	fold_pend(fold, s);
	return 0;
}

static int load_line(struct engine *e, char *line, struct state_extra *x, const char **why)
{
	char *f[4 + 10 + POLICY_MAXRETRY_MAX];
	int n = split(line, f, (int) (sizeof(f) / sizeof(f[0])));
	int64_t v[8];

	if (n == 3 && strcmp(f[0], "extra") == 0) {
		if (strcmp(f[1], "cursor") == 0) {
			ssize_t len = unescape(f[2]);

			if (len < 0 || (size_t) len >= STATE_CURSOR_MAX)
				return *why = "bad cursor", -1;
			if (x)
				memcpy(x->cursor, f[2], (size_t) len + 1);
			return 0;
		}
		if (parse_i64(f[2], &v[0]) < 0)
			return *why = "bad number", -1;
		if (x && strcmp(f[1], "summary_size") == 0)
			x->summary_size = v[0];
		else if (x && strcmp(f[1], "events_size") == 0)
			x->events_size = v[0];
		else if (x && strcmp(f[1], "wal_gen") == 0)
			x->wal_gen = v[0];
		return 0;
	}
	if ((n == 18 || n == 23) && strcmp(f[0], "session") == 0)
		return load_session(e, f, n, why);
	if (n >= 9 && strcmp(f[0], "addr") == 0) {
		struct policy_entry pe;
		int64_t strikes[POLICY_MAXRETRY_MAX];

		memset(&pe, 0, sizeof(pe));
		if (addr_parse(f[1], strlen(f[1]), &pe.net) < 0)
			return *why = "bad address", -1;
		bool named = *f[7] >= 'a' && *f[7] <= 'z';

		for (int i = 0; i < 7; i++) {
			/* site rules (issue 6): REASON is a built-in's number or a name */
			if (i == 5 && named) {
				int rn = reason_intern(f[7]);

				if (rn == -EINVAL)
					return *why = "bad reason", -1;
				v[5] = rn >= 0 ? rn : REASON_NOAUTH;	/* table full: the name is lost */
				continue;
			}
			if (parse_i64(f[2 + i], &v[i]) < 0)
				return *why = "bad number", -1;
		}
		if (v[0] < 0 || v[0] > addr_bits(&pe.net) || v[1] < 0 || v[6] < 0 || v[6] > POLICY_MAXRETRY_MAX ||
		    n != 9 + v[6] || v[5] < 0 || v[5] >= (named ? REASON_COUNT : REASON_BUILTIN))
			return *why = "bad addr record", -1;
		pe.prefix = (unsigned) v[0];
		pe.times_banned = (unsigned) v[1];
		pe.ban_until_usec = v[2];
		pe.last_ban_seconds = v[3];
		pe.last_strike_usec = v[4];
		pe.last_reason = (enum reason) v[5];
		for (int i = 0; i < v[6]; i++)
			if (parse_i64(f[9 + i], &strikes[i]) < 0)
				return *why = "bad strike time", -1;
		if (policy_restore(engine_policy(e), &pe, strikes, (unsigned) v[6]) < 0)
			return *why = "address table refused an entry", -1;
		return 0;
	}
	if (n == 4 && strcmp(f[0], "pending") == 0) {
		struct engine_ban b;

		if (addr_parse(f[1], strlen(f[1]), &b.net) < 0 || parse_i64(f[2], &v[0]) < 0 ||
		    parse_i64(f[3], &b.until_usec) < 0 || v[0] < 0 || v[0] > addr_bits(&b.net))
			return *why = "bad pending ban", -1;
		b.prefix = (unsigned) v[0];
		engine_queue_ban(e, &b);
		return 0;
	}
	if (n == 3 && strcmp(f[0], "banerror") == 0) {
		ssize_t len = unescape(f[2]);

		if (len < 0 || memchr(f[2], 0, (size_t) len) || parse_i64(f[1], &v[0]) < 0)
			return *why = "bad banerror record", -1;
		engine_restore_ban_error(e, v[0], f[2]);
		return 0;
	}
	return *why = "unknown record", -1;
}

int state_load(struct engine *e, const char *path, struct state_extra *x, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "re");
	char *line = NULL;
	unsigned lineno = 0;
	bool ended = false;
	const char *why = NULL;
	int r = 0;

	if (fp == NULL) {
		r = -errno;
		snprintf(err, errlen, "cannot read state '%s': %s", path, strerror(errno));
		return r;
	}
	if (x) {
		memset(x, 0, sizeof(*x));
		x->summary_size = x->events_size = -1;
	}
	if ((line = malloc(STATE_LINE_MAX + 2)) == NULL) {
		fclose(fp);
		return -ENOMEM;
	}
	while (fgets(line, STATE_LINE_MAX + 2, fp)) {
		size_t len = strlen(line);

		lineno++;
		if (len == 0 || line[len - 1] != '\n') {
			why = "line too long or unterminated";
			break;
		}
		line[len - 1] = 0;
		if (ended) {
			why = "data after the end line";
			break;
		}
		if (lineno == 1) {
			if (strcmp(line, STATE_MAGIC) != 0) {
				why = "not an authfold state file of version 1";
				break;
			}
			continue;
		}
		if (strncmp(line, "end ", 4) == 0) {
			int64_t count;

			if (parse_i64(line + 4, &count) < 0 || count != lineno - 1) {
				why = "the end line does not count the lines";
				break;
			}
			ended = true;
			continue;
		}
		if (load_line(e, line, x, &why) < 0)
			break;
	}
	free(line);
	fclose(fp);
	if (why == NULL && !ended)
		why = lineno == 0 ? "empty file" : "no end line (cut short)";
	if (why) {
		char aside[4200];

		snprintf(aside, sizeof(aside), "%s.corrupt", path);
		(void) rename(path, aside);
		snprintf(err, errlen, "state '%s' line %u: %s; set aside as '%s', starting with an empty state",
			 path, lineno, why, aside);
		return -EBADMSG;
	}
	return 0;
}

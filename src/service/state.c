/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	state 3
 * SUMMARY
 *	save and restore an engine's sessions, strikes and ban history
 * SYNOPSIS
 *	#include "state.h"
 *
 *	int	state_save(e, path, x, err, errlen)
 *	int	state_load(e, c, now_usec, path, x, ret_fault)
 *	void	state_describe(path, r, fault, buf, len)
 *	int	state_set_aside(path, ret_aside, len)
 *	int	state_dir_check(dir, daemon, err, errlen)
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
 *		  FLAGS REPLY_FORMAT REPLY_TS CLIENT AUTH_HI REPLY_HI REPLY_HI_TS
 *		  [PENDING FORMAT USEC TS_LEN PREFIX]
 *	  addr NET PREFIX TIMES_BANNED BAN_UNTIL_USEC LAST_BAN_SECONDS LAST_STRIKE_USEC REASON N T1..TN
 *		  [M KEY1..KEYM]
 *	  pending NET PREFIX UNTIL_USEC
 *	  held USEC PID REASON ADDR FORMAT TS HOST TAG CLIENT RULE
 *	  trouble HOST TAG LO_USEC HI_USEC
 *	  holdclock USEC
 *	  banerror SINCE_USEC TEXT
 *	  end COUNT
 *
 *	A session's times are µs since the epoch, -1 for not seen (session(3));
 *	REPLY_FORMAT and REPLY_TS are the record format and timestamp text of
 *	its earliest 503 reply (fold(3) rebuilds that line's prefix from them);
 *	AUTH_HI, REPLY_HI and REPLY_HI_TS the latest AUTH and 503 reply (what a
 *	split gives a later session of the same client). A session line
 *	without those three (18 or 23 fields, as written before them) takes
 *	the earliest for the latest.
 *	FLAGS is a bit set: 1 verbose, 2 its process verbose, 4 synthetic
 *	written, 8 SASL failure, 16 struck, 32 statistics say probe. A
 *	session whose verdict waits (fold(3)) carries it: PENDING 1 (a reply
 *	waiting for its AUTH) or 2 (a statistics verdict), the proving line's
 *	record format, time, timestamp length and prefix. Sessions are
 *	written least recently active first.
 *	An addr record's M KEY fields are the identities of the last strikes
 *	it heard, oldest first (policy(3): a line delivered again is not
 *	counted again), each 16 hex digits, not 0; a record without them
 *	(as written before them) has none.
 *	A pending record is a ban the backend refused, waiting for a retry;
 *	banerror, written only while some wait, is the last refusal and the
 *	wall clock of the first one (engine_ban_state()), for authfold status.
 *	REASON is 0 (noauth), 1 (saslfail) or 2 (badmech), or the name of a
 *	reason a strike rule defines (site rules). FLAGS 64: a SASL failure
 *	that was not the client's (the server's, or badmech).
 *	A held record is a SASL strike that waits out authserver_hold, a
 *	trouble record an interval of auth server trouble of an origin
 *	(hold(3)): the strike's time, pid, reason, address, record format,
 *	timestamp text, host, tag, client token and rule name; holdclock the
 *	latest log time the engine saw (what gives held strikes). COUNT is the number of lines
 *	before "end": a file without a matching end line is corrupt.
 *
 *	state_save() writes PATH.tmp (a new file: whatever had that name is
 *	removed first), checks that every write and the flush succeeded,
 *	fsyncs it, renames it over path and fsyncs the directory (a failure
 *	of that is reported: the new file may not survive a crash): a crash or
 *	a failed write (a full disk, RLIMIT_FSIZE) leaves the old file. Run
 *	as root in a directory another user owns, it gives the file to the
 *	directory's owner, so that the daemon can still read it.
 *
 *	state_load() adds what it reads to e, which should be new; c and
 *	now_usec give the bounds that every field is checked against (see
 *	SECURITY). One parser per record type (load_extra(), load_session(),
 *	load_addr(), load_pending()) checks its fields. A fault is returned
 *	as data in ret_fault: the line (0 for the file as a whole) and a
 *	static reason. state_describe() makes the diagnostic of a failed
 *	state_load(); state_set_aside() renames a corrupt file to
 *	PATH.corrupt, which is what a daemon does, while a reader (status,
 *	unban) leaves it for its daemon. After -EBADMSG e holds whatever came
 *	before the fault: discard it and start a new engine.
 *
 *	state_dir_check() is called by every program before it uses a
 *	state_dir: the directory must be owned by root or the effective user
 *	(daemon true; a reader run as root, status or unban, also accepts
 *	another owner, such as a DynamicUser's), each entry by root, the
 *	effective user or the directory's owner; none may be writable by
 *	group or others, and no entry may be a symbolic link or anything but
 *	a regular file or a directory.
 * DIAGNOSTICS
 *	state_save() returns 0 or -errno with a message naming the file in
 *	err. state_load() returns 0; -ENOENT when there is no file; -EBADMSG
 *	for a corrupt one; -ELOOP (a symbolic link), -EINVAL (not a regular
 *	file), -EPERM (a foreign owner, writable by group or others), -EFBIG
 *	(over STATE_FILE_MAX) for a file that must not be read at all; or
 *	another -errno. state_dir_check() returns 0 or -EPERM, -ELOOP,
 *	-ENOTDIR or -errno with "PATH: reason" in err.
 * SECURITY
 *	A state file decides what goes into kernel sets, so it is read as
 *	hostile: opened without following a symbolic link and without
 *	blocking (a FIFO is refused, not waited on), a regular file only, of
 *	at most STATE_FILE_MAX bytes, owned by root or the reader, not
 *	writable by group or others. Every field is checked against what
 *	authfold itself writes: an IPv4 entry is a /32, an IPv6 entry a
 *	prefix of 16 to 128 bits (ipv6_prefix's range) with no bits set past
 *	it, times are not negative, ban ends are clamped to now + bantime_max
 *	and strike and session times to now + 1 day, a ban's length to
 *	bantime_max; a line is at most 8 KiB. Anything else makes the file
 *	corrupt. The file's size bounds the time a load takes, the engine's
 *	tables (max_sessions, max_addresses: the oldest entries give way) the
 *	memory, so a configuration with smaller tables still loads a state
 *	saved with larger ones.
 */

#include "state.h"

#include "hold.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATE_MAGIC	"authfold-state 1"
#define STATE_LINE_MAX	8192
#define DAY_USEC	(INT64_C(86400) * 1000000)
#define TIMES_BANNED_MAX	1000000

enum {
	F_VERBOSE = 1, F_PROC_VERBOSE = 2, F_SYNTHETIC = 4, F_SASLFAIL = 8, F_STRUCK = 16, F_PROBE_STATS = 32,
	F_SASL_OTHER = 64, F_ALL = 127,
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
		(s->saslfail ? F_SASLFAIL : 0) | (s->struck ? F_STRUCK : 0) | (s->probe_stats ? F_PROBE_STATS : 0) |
		(s->sasl_other ? F_SASL_OTHER : 0),
		s->reply_format);
	put_escaped(fp, s->reply_ts, s->reply_ts_len);
	putc(' ', fp);
	put_escaped(fp, s->client, s->client_len);
	fprintf(fp, " %" PRId64 " %" PRId64 " ", s->auth_hi, s->reply_hi);
	put_escaped(fp, s->reply_hi_ts, s->reply_hi_ts_len);
	if (s->pending != SESSION_PENDING_NONE) {
		fprintf(fp, " %d %d %" PRId64 " %u ", s->pending, s->pending_format, s->pending_usec, s->pending_ts_len);
		put_escaped(fp, s->pending_prefix, s->pending_len);
	}
	putc('\n', fp);
}

static void put_records(FILE *fp, struct engine *e, const struct state_extra *x, unsigned *lines)
{
	struct session_table *t = fold_sessions(engine_fold(e));

	fprintf(fp, "%s\n", STATE_MAGIC);
	if (x) {
		fputs("extra cursor ", fp);
		put_escaped(fp, x->cursor, strnlen(x->cursor, sizeof(x->cursor)));
		fprintf(fp, "\nextra summary_size %" PRId64 "\nextra events_size %" PRId64 "\nextra wal_gen %" PRId64 "\n",
			x->summary_size, x->events_size, x->wal_gen);
		*lines += 4;
	}
	for (struct session *s = session_oldest(t); s; s = session_newer(s)) {
		save_session(fp, s);
		(*lines)++;
	}
	for (struct policy_entry *p = policy_first(engine_policy(e)); p; p = policy_next(p)) {
		fputs("addr ", fp);
		put_addr(fp, &p->net);
		fprintf(fp, " %u %u %" PRId64 " %" PRId64 " %" PRId64 " ", p->prefix, p->times_banned,
			p->ban_until_usec, p->last_ban_seconds, p->last_strike_usec);
		/* a rule-defined reason by name: its number is the process's */
		if (p->last_reason < REASON_BUILTIN)
			fprintf(fp, "%d", (int) p->last_reason);
		else
			fputs(reason_name(p->last_reason), fp);
		fprintf(fp, " %u", p->nstrikes);
		for (unsigned i = 0; i < p->nstrikes; i++)
			fprintf(fp, " %" PRId64, p->strikes[i]);
		uint64_t keys[POLICY_MAXRETRY_MAX + POLICY_SEEN_EXTRA];
		unsigned nkeys = policy_seen_keys(p, keys);

		fprintf(fp, " %u", nkeys);
		for (unsigned i = 0; i < nkeys; i++)
			fprintf(fp, " %016" PRIx64, keys[i]);
		putc('\n', fp);
		(*lines)++;
	}
	for (size_t i = 0; i < engine_pending_bans(e); i++) {
		const struct engine_ban *b = engine_pending_ban(e, i);

		fputs("pending ", fp);
		put_addr(fp, &b->net);
		fprintf(fp, " %u %" PRId64 "\n", b->prefix, b->until_usec);
		(*lines)++;
	}
	const struct hold_strike *hs;
	struct span host, tag;
	int64_t lo, hi;

	for (size_t i = 0; engine_hold(e) && (hs = hold_at(engine_hold(e), i)) != NULL; i++) {
		fprintf(fp, "held %" PRId64 " %ld %d ", hs->r.usec, hs->r.pid, (int) hs->reason);
		put_addr(fp, &hs->addr);
		fprintf(fp, " %d ", (int) hs->r.format);
		put_escaped(fp, hs->r.ts.p, hs->r.ts.len);
		putc(' ', fp);
		put_escaped(fp, hs->r.host.p, hs->r.host.len);
		putc(' ', fp);
		put_escaped(fp, hs->r.tag.p, hs->r.tag.len);
		putc(' ', fp);
		put_escaped(fp, hs->client, hs->client_len);
		fprintf(fp, " %s\n", hs->rule);
		(*lines)++;
	}
	if (engine_hold_clock(e) > 0) {
		fprintf(fp, "holdclock %" PRId64 "\n", engine_hold_clock(e));
		(*lines)++;
	}
	for (size_t i = 0; engine_hold(e) && hold_trouble_at(engine_hold(e), i, &host, &tag, &lo, &hi); i++) {
		fputs("trouble ", fp);
		put_escaped(fp, host.p, host.len);
		putc(' ', fp);
		put_escaped(fp, tag.p, tag.len);
		fprintf(fp, " %" PRId64 " %" PRId64 "\n", lo, hi);
		(*lines)++;
	}

	struct engine_ban_state bs;

	engine_ban_state(e, &bs);
	if (bs.waiting > 0 && bs.error[0]) {
		fprintf(fp, "banerror %" PRId64 " ", bs.since_usec);
		put_escaped(fp, bs.error, strlen(bs.error));
		putc('\n', fp);
		(*lines)++;
	}
	fprintf(fp, "end %u\n", *lines);
}

/* Run as root in a directory owned by another user (authfold unban on a
   daemon's state_dir): the file goes to the directory's owner. */
static int give_to_dir_owner(int fd, const char *path)
{
	char dir[4096];
	struct stat st;

	if (geteuid() != 0)
		return 0;
	snprintf(dir, sizeof(dir), "%s", path);
	if (stat(dirname(dir), &st) < 0)
		return -errno;
	if (st.st_uid != 0 && fchown(fd, st.st_uid, st.st_gid) < 0)
		return -errno;
	return 0;
}

int state_save(struct engine *e, const char *path, const struct state_extra *x, char *err, size_t errlen)
{
	char tmp[4096], dir[4096];
	unsigned lines = 1;
	int fd, dfd, r = 0;
	FILE *fp;

	if ((size_t) snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
		snprintf(err, errlen, "state file name too long: '%s'", path);
		return -ENAMETOOLONG;
	}
	/* A new file: never write through whatever had the name (a link). */
	if (unlink(tmp) < 0 && errno != ENOENT) {
		r = -errno;
		snprintf(err, errlen, "cannot remove '%s': %s", tmp, strerror(-r));
		return r;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600)) < 0 ||
	    (fp = fdopen(fd, "w")) == NULL) {
		r = -errno;
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		snprintf(err, errlen, "cannot write state '%s': %s", tmp, strerror(-r));
		return r;
	}
	put_records(fp, e, x, &lines);
	/* Every fprintf() above may have failed (ENOSPC, EFBIG): the stream's
	   error flag keeps it. A file with a failed write is never renamed. */
	errno = 0;
	if (fflush(fp) != 0 || ferror(fp))
		r = errno ? -errno : -EIO;
	else if (fsync(fd) != 0 || give_to_dir_owner(fd, path) < 0)
		r = -errno;
	if (fclose(fp) != 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) != 0)
		r = -errno;
	if (r < 0) {
		snprintf(err, errlen, "cannot write state '%s': %s; the last saved state stays", path, strerror(-r));
		unlink(tmp);
		return r;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
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

/* --- reading ------------------------------------------------------------- */

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

	if (!((*s >= '0' && *s <= '9') || (*s == '-' && s[1] >= '0' && s[1] <= '9')))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end)
		return -1;
	*ret = v;
	return 0;
}

/* A time field: not negative, at most max (clamped to it). */
static int parse_time(const char *s, int64_t max, int64_t *ret)
{
	int64_t v;

	if (parse_i64(s, &v) < 0 || v < 0)
		return -1;
	*ret = v > max ? max : v;
	return 0;
}

struct loader {
	struct engine *e;
	const struct config *c;
	int64_t now_usec;
	struct state_extra *x;
	const char *why;
};

/* NET PREFIX as authfold writes them: an IPv4 /32, an IPv6 prefix in
   ipv6_prefix's range, no host bits set. */
static int parse_net(const char *net, const char *prefix, struct addr *ret_net, unsigned *ret_prefix)
{
	struct addr a, m;
	int64_t p;

	if (addr_parse(net, strlen(net), &a) < 0 || parse_i64(prefix, &p) < 0)
		return -1;
	if (a.family == AF_INET ? p != 32 : p < 16 || p > 128)
		return -1;
	m = a;
	addr_mask(&m, (unsigned) p);
	if (!addr_equal(&m, &a))
		return -1;
	*ret_net = a;
	*ret_prefix = (unsigned) p;
	return 0;
}

static int load_extra(struct loader *l, char **f, int n)
{
	int64_t v;

	if (n != 3)
		return l->why = "bad extra record", -1;
	if (strcmp(f[1], "cursor") == 0) {
		ssize_t len = unescape(f[2]);

		if (len < 0 || (size_t) len >= STATE_CURSOR_MAX)
			return l->why = "bad cursor", -1;
		if (l->x)
			memcpy(l->x->cursor, f[2], (size_t) len + 1);
		return 0;
	}
	if (parse_i64(f[2], &v) < 0 || v < -1)
		return l->why = "bad number", -1;
	if (strcmp(f[1], "summary_size") == 0) {
		if (l->x)
			l->x->summary_size = v;
	} else if (strcmp(f[1], "events_size") == 0) {
		if (l->x)
			l->x->events_size = v;
	} else if (strcmp(f[1], "wal_gen") == 0) {
		if (v < 0)
			return l->why = "bad wal_gen", -1;
		if (l->x)
			l->x->wal_gen = v;
	} else {
		return l->why = "unknown extra record", -1;
	}
	return 0;
}

/* A session time: -1 (not seen) or a time, clamped to max. */
static int parse_session_time(const char *s, int64_t max, int64_t *ret)
{
	int64_t v;

	if (parse_i64(s, &v) < 0 || v < -1)
		return -1;
	*ret = v > max ? max : v;
	return 0;
}

static int load_session(struct loader *l, char **f, int n)
{
	struct fold *fold = engine_fold(l->e);
	struct session_table *t = fold_sessions(fold);
	int64_t v[13], hi[2], max = l->now_usec + DAY_USEC;
	ssize_t hl, tl, rl, cl, hrl = -1;
	bool his = n == 21 || n == 26;	/* with AUTH_HI REPLY_HI REPLY_HI_TS */
	int pf = his ? 21 : 18;		/* the first field of the pending verdict */
	struct span client;
	struct addr a;
	struct session_proc *p;
	struct session *s;

	if (n != 18 && n != 23 && n != 21 && n != 26)
		return l->why = "bad session", -1;
	hl = unescape(f[1]);
	tl = unescape(f[2]);
	rl = unescape(f[16]);
	cl = unescape(f[17]);
	/* v: pid connect disconnect lo hi auth reply sasl_lo sasl_hi struck_at synthetic_at flags reply_format */
	if (parse_i64(f[3], &v[0]) < 0 || v[0] < 0 || v[0] > INT_MAX)
		return l->why = "bad session", -1;
	for (int i = 1; i <= 10; i++)
		if (parse_session_time(f[3 + i], max, &v[i]) < 0)
			return l->why = "bad session time", -1;
	if (hl <= 0 || tl <= 0 || cl <= 0 || rl < 0 || rl >= SESSION_TS_MAX || v[3] < 0 || v[4] < v[3] ||
	    (v[1] >= 0 && v[2] >= 0 && v[2] < v[1]) || parse_i64(f[14], &v[11]) < 0 || v[11] < 0 || v[11] > F_ALL ||
	    parse_i64(f[15], &v[12]) < 0 ||
	    (v[12] != 0 && v[12] != RECORD_RFC3339 && v[12] != RECORD_TRADITIONAL && v[12] != RECORD_JOURNAL) ||
	    smtpd_parse_client(f[17], (size_t) cl, &client, &a) != cl)
		return l->why = "bad session", -1;
	if (session_proc_get(t, (struct span) {f[1], (size_t) hl}, (struct span) {f[2], (size_t) tl}, (long) v[0], &p) < 0 ||
	    session_new(t, p, client, &a, v[3], &s) < 0)
		return l->why = "session table refused a session", -1;
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
	if (v[11] & F_PROC_VERBOSE)
		session_traced(p);
	s->synthetic = v[11] & F_SYNTHETIC;
	s->saslfail = v[11] & F_SASLFAIL;
	s->struck = v[11] & F_STRUCK;
	s->probe_stats = v[11] & F_PROBE_STATS;
	s->sasl_other = v[11] & F_SASL_OTHER;
	s->reply_format = (uint8_t) v[12];
	if (rl > 0)
		memcpy(s->reply_ts, f[16], (size_t) rl);
	s->reply_ts_len = (uint8_t) rl;
	if (his && ((hrl = unescape(f[20])) < 0 || hrl >= SESSION_TS_MAX || parse_session_time(f[18], max, &hi[0]) < 0 ||
		    parse_session_time(f[19], max, &hi[1]) < 0 || (hi[0] >= 0) != (v[5] >= 0) || hi[0] < v[5] ||
		    (hi[1] >= 0) != (v[6] >= 0) || hi[1] < v[6]))
		return l->why = "bad session", -1;
	s->auth_hi = his ? hi[0] : s->auth_usec;
	s->reply_hi = his ? hi[1] : s->reply_usec;
	if (his && hrl > 0)
		memcpy(s->reply_hi_ts, f[20], (size_t) hrl);
	else if (!his)
		memcpy(s->reply_hi_ts, s->reply_ts, s->reply_ts_len);
	s->reply_hi_ts_len = (uint8_t) (his ? hrl : rl);
	if (session_marks_restore(s) < 0)	/* the evidence a split divides, from its ends */
		return l->why = "out of memory", -1;
	if (s->disconnect_usec >= 0)
		session_ended(t, s);
	if (n == pf)
		return 0;

	ssize_t pl = unescape(f[pf + 4]);

	if (parse_i64(f[pf], &v[0]) < 0 || parse_i64(f[pf + 1], &v[1]) < 0 || parse_time(f[pf + 2], max, &v[2]) < 0 ||
	    parse_i64(f[pf + 3], &v[3]) < 0 || (v[0] != SESSION_PENDING_REPLY && v[0] != SESSION_PENDING_DISCONNECT) ||
	    (v[1] != RECORD_RFC3339 && v[1] != RECORD_TRADITIONAL && v[1] != RECORD_JOURNAL) ||
	    pl < 0 || pl > SESSION_PREFIX_MAX || v[3] < 0 || v[3] > pl ||
	    (v[0] == SESSION_PENDING_DISCONNECT && s->disconnect_usec < 0))
		return l->why = "bad pending verdict", -1;
	if (pl > 0 && (s->pending_prefix = malloc((size_t) pl)) == NULL)
		return l->why = "out of memory", -1;
	if (pl > 0)
		memcpy(s->pending_prefix, f[pf + 4], (size_t) pl);
	s->pending_len = (uint16_t) pl;
	s->pending = (uint8_t) v[0];
	s->pending_format = (uint8_t) v[1];
	s->pending_usec = v[2];
	s->pending_ts_len = (uint16_t) v[3];
	fold_pend(fold, s);
	return 0;
}

/* REASON: a built-in's number, or the name of a rule-defined reason. */
static int parse_reason(const char *s, enum reason *ret)
{
	int64_t v;

	if (*s >= 'a' && *s <= 'z') {
		int rn = reason_intern(s);

		if (rn == -EINVAL)
			return -1;
		*ret = rn >= 0 ? (enum reason) rn : REASON_NOAUTH;	/* table full: the name is lost */
		return 0;
	}
	if (parse_i64(s, &v) < 0 || v < 0 || v >= REASON_BUILTIN)
		return -1;
	*ret = (enum reason) v;
	return 0;
}

/* A strike's key, as policy(3) gives them: 16 lowercase hex digits, not 0. */
static int parse_key(const char *s, uint64_t *ret)
{
	uint64_t key = 0;

	if (strlen(s) != 16)
		return -1;
	for (const char *p = s; *p; p++) {
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return -1;
		key = key << 4 | (uint64_t) (*p <= '9' ? *p - '0' : *p - 'a' + 10);
	}
	if (key == 0)
		return -1;
	*ret = key;
	return 0;
}

static int load_addr(struct loader *l, char **f, int n)
{
	const int64_t ban_max = l->now_usec + l->c->bantime_max * INT64_C(1000000);
	const int64_t strike_max = l->now_usec + DAY_USEC;
	struct policy_entry pe;
	int64_t strikes[POLICY_MAXRETRY_MAX], times, nstrikes, nseen = 0;
	uint64_t keys[POLICY_MAXRETRY_MAX + POLICY_SEEN_EXTRA];

	memset(&pe, 0, sizeof(pe));
	if (n < 9)
		return l->why = "bad addr record", -1;
	if (parse_net(f[1], f[2], &pe.net, &pe.prefix) < 0)
		return l->why = "bad address or prefix (IPv4 /32, IPv6 /16 to /128)", -1;
	if (parse_i64(f[3], &times) < 0 || times < 0 || times > TIMES_BANNED_MAX ||
	    parse_time(f[4], ban_max, &pe.ban_until_usec) < 0 ||
	    parse_time(f[5], l->c->bantime_max, &pe.last_ban_seconds) < 0 ||
	    parse_time(f[6], strike_max, &pe.last_strike_usec) < 0)
		return l->why = "bad number in addr record", -1;
	if (parse_reason(f[7], &pe.last_reason) < 0)
		return l->why = "bad reason", -1;
	if (parse_i64(f[8], &nstrikes) < 0 || nstrikes < 0 || nstrikes > POLICY_MAXRETRY_MAX || n < 9 + nstrikes)
		return l->why = "bad strike count", -1;
	/* the identities of the latest strikes (policy(3)); none before them */
	if (n > 9 + nstrikes && (parse_i64(f[9 + nstrikes], &nseen) < 0 || nseen < 0 ||
	    nseen > POLICY_MAXRETRY_MAX + POLICY_SEEN_EXTRA || n != 10 + nstrikes + nseen))
		return l->why = "bad strike count", -1;
	pe.times_banned = (unsigned) times;
	for (int i = 0; i < nstrikes; i++)
		if (parse_time(f[9 + i], strike_max, &strikes[i]) < 0)
			return l->why = "bad strike time", -1;
	for (int i = 0; i < nseen; i++)
		if (parse_key(f[10 + nstrikes + i], &keys[i]) < 0)
			return l->why = "bad strike identity", -1;
	if (policy_restore(engine_policy(l->e), &pe, strikes, (unsigned) nstrikes) < 0 ||
	    policy_restore_seen(engine_policy(l->e), &pe.net, keys, (unsigned) nseen) < 0)
		return l->why = "address table refused an entry", -1;
	return 0;
}

static int load_pending(struct loader *l, char **f, int n)
{
	struct engine_ban b;

	if (n != 4 || parse_net(f[1], f[2], &b.net, &b.prefix) < 0 ||
	    parse_time(f[3], l->now_usec + l->c->bantime_max * INT64_C(1000000), &b.until_usec) < 0)
		return l->why = "bad pending ban", -1;
	engine_queue_ban(l->e, &b);
	return 0;
}

static int load_banerror(struct loader *l, char **f, int n)
{
	int64_t since;
	ssize_t len;

	if (n != 3 || (len = unescape(f[2])) < 0 || memchr(f[2], 0, (size_t) len) ||
	    parse_time(f[1], l->now_usec + DAY_USEC, &since) < 0)
		return l->why = "bad banerror record", -1;
	engine_restore_ban_error(l->e, since, f[2]);
	return 0;
}

/* held USEC PID REASON ADDR FORMAT TS HOST TAG CLIENT RULE */
static int load_held(struct loader *l, char **f, int n)
{
	static const char *const rules[] = {"sasl-failed", "sasl-aborted", "sasl-badmech"};
	struct record r;
	struct addr a;
	enum reason reason;
	int64_t pid, format;
	ssize_t ts, host, tag, client;
	const char *rule = NULL;

	memset(&r, 0, sizeof(r));
	if (n != 11 || parse_time(f[1], l->now_usec + DAY_USEC, &r.usec) < 0 || parse_i64(f[2], &pid) < 0 ||
	    pid < -1 || pid > INT32_MAX || parse_reason(f[3], &reason) < 0 ||
	    (reason != REASON_SASLFAIL && reason != REASON_BADMECH) || addr_parse(f[4], strlen(f[4]), &a) < 0 ||
	    parse_i64(f[5], &format) < 0 || format < RECORD_RFC3339 || format > RECORD_JOURNAL ||
	    (ts = unescape(f[6])) < 0 || ts > SESSION_TS_MAX || (host = unescape(f[7])) < 0 ||
	    (tag = unescape(f[8])) < 0 || host + tag > SESSION_ORIGIN_TEXT_MAX || (client = unescape(f[9])) < 0 ||
	    client > SESSION_CLIENT_MAX)
		return l->why = "bad held record", -1;
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (strcmp(f[10], rules[i]) == 0)
			rule = rules[i];
	if (rule == NULL)
		return l->why = "bad rule in held record", -1;
	r.format = (enum record_format) format;
	r.ts = (struct span) {f[6], (size_t) ts};
	r.host = (struct span) {f[7], (size_t) host};
	r.tag = (struct span) {f[8], (size_t) tag};
	r.line = r.msg = (struct span) {f[6], 0};
	r.pid = (long) pid;
	r.trusted = true;
	if (engine_hold_restore(l->e, &r, rule, reason, &a, f[9], (size_t) client) < 0)
		return l->why = "held strikes over the limit", -1;
	return 0;
}

/* trouble HOST TAG LO_USEC HI_USEC */
static int load_trouble(struct loader *l, char **f, int n)
{
	int64_t lo, hi;
	ssize_t host, tag;

	if (n != 5 || (host = unescape(f[1])) < 0 || (tag = unescape(f[2])) < 0 ||
	    host + tag > SESSION_ORIGIN_TEXT_MAX || parse_time(f[3], l->now_usec + DAY_USEC, &lo) < 0 ||
	    parse_time(f[4], l->now_usec + DAY_USEC, &hi) < 0 || hi < lo)
		return l->why = "bad trouble record", -1;
	if (engine_hold(l->e))
		hold_trouble_span(engine_hold(l->e), (struct span) {f[1], (size_t) host},
				  (struct span) {f[2], (size_t) tag}, lo, hi);
	return 0;
}

/* holdclock USEC */
static int load_holdclock(struct loader *l, char **f, int n)
{
	int64_t usec;

	if (n != 2 || parse_time(f[1], l->now_usec + DAY_USEC, &usec) < 0)
		return l->why = "bad holdclock record", -1;
	engine_hold_set_clock(l->e, usec);
	return 0;
}

static const struct {
	const char *name;
	int (*load)(struct loader *l, char **f, int n);
} records[] = {
	{"extra", load_extra}, {"session", load_session}, {"addr", load_addr}, {"pending", load_pending},
	{"banerror", load_banerror}, {"held", load_held}, {"trouble", load_trouble}, {"holdclock", load_holdclock},
};

static int load_line(struct loader *l, char *line)
{
	char *f[23 + 10 + 2 * POLICY_MAXRETRY_MAX + POLICY_SEEN_EXTRA + 1];
	int n = split(line, f, (int) (sizeof(f) / sizeof(f[0])));

	for (size_t i = 0; n > 0 && i < sizeof(records) / sizeof(records[0]); i++)
		if (strcmp(f[0], records[i].name) == 0)
			return records[i].load(l, f, n);
	return l->why = "unknown record", -1;
}

/* Opens path for reading as a state file may be: see SECURITY. */
static int open_state(const char *path, const char **ret_why)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY), r = 0;

	if (fd < 0) {
		r = -errno;
		*ret_why = errno == ELOOP ? "a symbolic link, not followed" : NULL;
		return r;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		*ret_why = NULL;
	} else if (!S_ISREG(st.st_mode)) {
		r = -EINVAL;
		*ret_why = "not a regular file";
	} else if (st.st_uid != 0 && st.st_uid != geteuid() && geteuid() != 0) {
		r = -EPERM;
		*ret_why = "owned by another user";
	} else if (st.st_mode & 022) {
		r = -EPERM;
		*ret_why = "writable by group or others";
	} else if (st.st_size > STATE_FILE_MAX) {
		r = -EFBIG;
		*ret_why = "larger than " STATE_FILE_MAX_TEXT;
	}
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

int state_load(struct engine *e, const struct config *c, int64_t now_usec, const char *path, struct state_extra *x,
	       struct state_fault *ret_fault)
{
	struct loader l = {e, c, now_usec, x, NULL};
	struct state_fault fault = {0, NULL};
	char *line = NULL;
	unsigned lineno = 0;
	bool ended = false;
	FILE *fp;
	int fd;

	if (x) {
		memset(x, 0, sizeof(*x));
		x->summary_size = x->events_size = -1;
	}
	if ((fd = open_state(path, &fault.why)) < 0) {
		if (ret_fault)
			*ret_fault = fault;
		return fd;
	}
	if ((fp = fdopen(fd, "r")) == NULL || (line = malloc(STATE_LINE_MAX + 2)) == NULL) {
		if (fp)
			fclose(fp);
		else
			close(fd);
		if (ret_fault)
			*ret_fault = fault;
		return -ENOMEM;
	}
	while (fgets(line, STATE_LINE_MAX + 2, fp)) {
		size_t len = strlen(line);

		lineno++;
		if (len == 0 || line[len - 1] != '\n' || memchr(line, 0, len) != NULL) {
			l.why = "line too long, unterminated or with a NUL byte";
			break;
		}
		line[len - 1] = 0;
		if (ended) {
			l.why = "data after the end line";
			break;
		}
		if (lineno == 1) {
			if (strcmp(line, STATE_MAGIC) != 0) {
				l.why = "not an authfold state file of version 1";
				break;
			}
			continue;
		}
		if (strncmp(line, "end ", 4) == 0) {
			int64_t count;

			if (parse_i64(line + 4, &count) < 0 || count != lineno - 1) {
				l.why = "the end line does not count the lines";
				break;
			}
			ended = true;
			continue;
		}
		if (load_line(&l, line) < 0)
			break;
	}
	if (l.why == NULL && ferror(fp))
		l.why = "read error";
	free(line);
	fclose(fp);
	if (l.why == NULL && !ended)
		l.why = lineno == 0 ? "empty file" : "no end line (cut short)";
	fault.line = lineno;
	fault.why = l.why;
	if (ret_fault)
		*ret_fault = fault;
	return l.why ? -EBADMSG : 0;
}

void state_describe(const char *path, int r, const struct state_fault *f, char *buf, size_t len)
{
	if (r == -EBADMSG)
		snprintf(buf, len, "state '%s' is corrupt (line %u: %s)", path, f->line, f->why ? f->why : "?");
	else
		snprintf(buf, len, "cannot read state '%s': %s", path, f->why ? f->why : strerror(-r));
}

int state_set_aside(const char *path, char *ret_aside, size_t len)
{
	if ((size_t) snprintf(ret_aside, len, "%s.corrupt", path) >= len)
		return -ENAMETOOLONG;
	return rename(path, ret_aside) < 0 ? -errno : 0;
}

/* --- the directory --------------------------------------------------------- */

static const char *entry_problem(const struct stat *st, uid_t dir_owner)
{
	uid_t me = geteuid();

	if (S_ISLNK(st->st_mode))
		return "a symbolic link";
	if (!S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode))
		return "neither a regular file nor a directory";
	if (st->st_uid != 0 && st->st_uid != me && st->st_uid != dir_owner)
		return "owned by another user";
	if (st->st_mode & 022)
		return "writable by group or others";
	return NULL;
}

int state_dir_check(const char *dir, bool daemon, char *err, size_t errlen)
{
	uid_t me = geteuid();
	struct stat st;
	struct dirent *d;
	DIR *dp;
	int dfd, r = 0;

	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		r = -errno;
		if (errno == ELOOP || errno == ENOTDIR) {
			/* a symbolic link: only one that root or we made is followed */
			if (lstat(dir, &st) == 0 && S_ISLNK(st.st_mode) && st.st_uid != 0 && st.st_uid != me) {
				snprintf(err, errlen, "state_dir '%s': a symbolic link owned by uid %u, refused", dir,
					 (unsigned) st.st_uid);
				return -ELOOP;
			}
			if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0)
				r = 0;
			else
				r = -errno;
		}
		if (r < 0) {
			snprintf(err, errlen, "state_dir '%s': %s", dir, strerror(-r));
			return r;
		}
	}
	if (fstat(dfd, &st) < 0) {
		r = -errno;
		snprintf(err, errlen, "state_dir '%s': %s", dir, strerror(-r));
		close(dfd);
		return r;
	}
	if (st.st_uid != me && st.st_uid != 0 && (daemon || me != 0)) {
		snprintf(err, errlen, "state_dir '%s' is owned by uid %u, not by this user (uid %u) or root; refused",
			 dir, (unsigned) st.st_uid, (unsigned) me);
		close(dfd);
		return -EPERM;
	}
	if (st.st_mode & 022) {
		snprintf(err, errlen, "state_dir '%s' is writable by group or others (mode %04o); refused", dir,
			 (unsigned) (st.st_mode & 07777));
		close(dfd);
		return -EPERM;
	}
	uid_t dir_owner = st.st_uid;

	if ((dp = fdopendir(dfd)) == NULL) {
		r = -errno;
		close(dfd);
		snprintf(err, errlen, "state_dir '%s': %s", dir, strerror(-r));
		return r;
	}
	while ((d = readdir(dp)) != NULL) {
		const char *why;

		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd(dp), d->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;	/* gone meanwhile */
		if ((why = entry_problem(&st, dir_owner)) != NULL) {
			snprintf(err, errlen, "'%s/%s' in state_dir is %s; refused (remove it)", dir, d->d_name, why);
			r = S_ISLNK(st.st_mode) ? -ELOOP : -EPERM;
			break;
		}
	}
	closedir(dp);
	return r;
}

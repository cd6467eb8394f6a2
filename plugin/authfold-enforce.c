/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	authfold-enforce 8
 * SUMMARY
 *	the program rsyslog's omprog runs on an MX: apply the central host's decisions
 * SYNOPSIS
 *	authfold-enforce [-c CONF] [--confirm | --no-confirm]
 *	authfold-enforce [-c CONF] --restore
 *	authfold-enforce --help | --version
 * DESCRIPTION
 *	See authfold-enforce(8). rsyslog starts this program from the
 *	ruleset bound to the imrelp input that only the central host's
 *	certificate can reach, and writes one message per line: a
 *	decision(3) line, after any leading blanks (rsyslog's %msg% starts
 *	with the blank after the tag's colon).
 *
 *	Each valid decision goes through enforce(3): table, log (written
 *	and fdatasync()ed) and kernel set; then "OK" is answered. A ban
 *	with more lines already in the input buffer behind it starts a
 *	batch: the bans that follow it there (at most ENFORCE_BATCH_MAX) go
 *	to enforce_apply_batch() together, which logs a run of new bans
 *	with one fdatasync(), and are then answered in order. With
 *	confirmMessages="on" rsyslog writes the next line only after the
 *	reply, so every batch is one line; a backlog read at once
 *	(confirmMessages="off", a pipe) gets the batches. With
 *	useTransactions="on" each decision between BEGIN TRANSACTION and
 *	COMMIT TRANSACTION is answered DEFER_COMMIT and kept; at the COMMIT
 *	they go to enforce_apply_batch() together (at ENFORCE_BATCH_MAX
 *	already on the way), and the COMMIT is answered OK, or ERROR when a
 *	part could not be logged: rsyslog then sends every decision of the
 *	transaction again (rsyslog 8.2302, tests/enforce/transaction.sh);
 *	what was applied comes back as a duplicate. A line refused inside a
 *	transaction is answered DEFER_COMMIT too (an OK would end it). When
 *	the input ends inside a transaction, what it held is applied. A line
 *	that is not a valid decision is counted, logged on stderr and
 *	answered "OK" too (there is no "drop" reply in omprog, and sending
 *	it again would not make it valid). Only a failure to write the log
 *	is answered "ERROR ...", so rsyslog sends the decision again; the
 *	log is written before the table or the kernel change (enforce(3)),
 *	so that retry does the work.
 *
 *	The program runs on daemon(3)'s loop (ops->own_state: enforce(3)'s
 *	log is the durable store, locked by enforce.lock, so the MX's own
 *	authfold-omprog or authfold journal keeps its state_dir lock) and
 *	reads stdin through omprog(3)'s input: a blocking read that a tick
 *	(OMPROG_TICK_MS) interrupts. About once a second (daemon(3)'s idle
 *	hook, and after a decision when a second has passed): the local
 *	unban requests of `authfold unban` on this MX are taken
 *	(enforce_take_requests()), ended bans are forgotten, kernel failures
 *	retried, the counters saved (enforce.status). At start the log is
 *	replayed, the waiting local unban requests taken, and the running
 *	bans put back into the kernel (after a reboot). EOF: counters saved,
 *	exit 0. SIGTERM, SIGINT: the decisions already in the pipe are
 *	applied (until it is quiet for OMPROG_DRAIN_LULL_MS or
 *	OMPROG_DRAIN_MAX_MS passed), then as at EOF. SIGHUP: nothing to
 *	reopen.
 *
 *	--restore does only the start: the log is read and compacted, the
 *	local unban requests taken, the running bans put back into the
 *	kernel, and the program ends (exit 1
 *	when a ban could not be restored). rsyslog starts the program only
 *	when a message arrives; systemd/authfold-enforce-restore.service
 *	runs this at boot, after the firewall and before rsyslog. With no
 *	running ban in the log (none, or no log, or no state_dir) it ends
 *	at once with exit 0 and touches nothing: the backend is not opened
 *	(no set or table created), no file or directory is made.
 * DIAGNOSTICS
 *	On stderr, prefixed "authfold-enforce: " (rsyslog's omprog output=
 *	file): each refused or not applied decision with the reason (at
 *	most LOG_BURST per minute together, then a count, also at the end),
 *	each kernel failure. Exit 0 on
 *	a normal end, 1 on a runtime failure, 2 on bad usage or
 *	configuration.
 * SECURITY
 *	The lines come from the network. Lines longer than
 *	DECISION_LINE_MAX are refused by their first bytes, the rest skipped
 *	(linereader(3)); nothing of a refused line is echoed but at most 80
 *	bytes with control bytes replaced. With a kernel backend only
 *	CAP_NET_ADMIN is kept (privs(3), daemon_open()); otherwise no new
 *	privileges.
 */

#include "config.h"
#include "daemon.h"
#include "decision.h"
#include "enforce.h"
#include "linereader.h"
#include "omprog.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define EXIT_USAGE	2
#define TICK_USEC	1000000	/* enforce_tick() this often */
#define LOG_BURST	20	/* refusals logged one by one per minute */

static const char usage_text[] =
	"Usage: authfold-enforce [-c CONF] [--confirm | --no-confirm]\n"
	"       authfold-enforce [-c CONF] --restore\n"
	"\n"
	"The program rsyslog's omprog action runs on an MX: reads ban and unban\n"
	"decisions of the central authfold on stdin (one per line), applies them to\n"
	"the kernel set, keeps them in STATE_DIR/enforce.log (enforce_state_dir when\n"
	"set), and confirms each line.\n"
	"\n"
	"  -c, --config FILE   configuration (default " CONFIG_DEFAULT_PATH ";\n"
	"                      a missing default file means built-in defaults)\n"
	"      --confirm       answer OK / ERROR per line (confirmMessages=\"on\"; default)\n"
	"      --no-confirm    write nothing to stdout (confirmMessages=\"off\")\n"
	"      --restore       put the running bans back into the kernel and exit\n"
	"                      (at boot: authfold-enforce-restore.service); with no\n"
	"                      running ban it changes nothing\n"
	"  -h, --help          this text\n"
	"  -V, --version       the version\n"
	"\n"
	"See authfold-enforce(8).\n";

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	fputs("authfold-enforce: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

struct enforcer {
	struct enforce *e;
	bool confirm;
	struct omprog_input in;		/* stdin */
	uint64_t last_tick;		/* daemon_now() */
	uint64_t burst_start;		/* daemon_now() of this minute of refusals */
	unsigned burst, suppressed;
	bool tick_failing;
	/* a batch of bans read together (batch()): the decisions, and the
	   head of each line for what refused() shows */
	size_t nbatch;
	bool in_tx;			/* between BEGIN and COMMIT TRANSACTION */
	bool tx_failed;			/* part of it could not be logged: COMMIT answers ERROR */
	char tx_err[256];
	struct decision batch[ENFORCE_BATCH_MAX];
	char shown[ENFORCE_BATCH_MAX][81];
	size_t shown_len[ENFORCE_BATCH_MAX];
};

/* A refused or not applied line, logged with at most 80 of its bytes,
   made printable, at most LOG_BURST a minute (then a count); counted as
   malformed when it is not a valid decision (a valid one that enforce(3)
   refused is counted there, under its result). */
static void refused(struct enforcer *en, bool malformed, const char *what, const char *why, const char *p, size_t n)
{
	char shown[81];
	size_t k;

	if (malformed)
		enforce_refused(en->e);
	if (daemon_now() - en->burst_start >= 60000000) {
		if (en->suppressed)
			say("%u more refused or not applied lines not shown", en->suppressed);
		en->burst_start = daemon_now();
		en->burst = en->suppressed = 0;
	}
	if (en->burst++ >= LOG_BURST) {
		en->suppressed++;
		return;
	}
	for (k = 0; k < n && k < sizeof(shown) - 1; k++)
		shown[k] = (unsigned char) p[k] < 0x20 || (unsigned char) p[k] >= 0x7f ? '?' : p[k];
	shown[k] = '\0';
	say("%s (%s): '%s%s'", what, why, shown, n > k ? "..." : "");
}

/* authfold unban on this MX: its requests (enforce(3)); what was done
   is logged, a failure retried at the next call. */
static void take_requests(struct enforcer *en)
{
	char msg[1024];

	if (enforce_take_requests(en->e, (int64_t) time(NULL), msg, sizeof(msg)) != 0 || msg[0])
		say("%s", msg[0] ? msg : "cannot take the local unban requests");
}

static void tick(struct enforcer *en)
{
	char err[512] = "";
	int r;

	take_requests(en);
	r = enforce_tick(en->e, (int64_t) time(NULL), err, sizeof(err));

	if (r < 0 && !en->tick_failing)
		say("%s", err[0] ? err : strerror(-r));
	else if (r == 0 && en->tick_failing)
		say("kernel and files in order again");
	en->tick_failing = r < 0;
	en->last_tick = daemon_now();
}

/* daemon(3)'s idle hook: the once-a-second duties. A failure is logged
   once (tick()) and retried, never the end. */
static int en_idle(struct daemon *d, void *data, uint64_t now)
{
	struct enforcer *en = data;

	(void) d;
	if (now - en->last_tick >= TICK_USEC)
		tick(en);
	return 0;
}

static int reply(struct enforcer *en, const char *why)
{
	int r;

	if (!en->confirm)
		return 0;
	if ((r = omprog_reply(STDOUT_FILENO, why)) < 0)
		say("cannot write a reply to rsyslog: %s", strerror(-r));
	return r;
}

/* Inside a transaction: DEFER_COMMIT (an OK there would tell rsyslog that
   the messages deferred before it are done). */
static int deferred(struct enforcer *en)
{
	int r;

	if (!en->confirm)
		return 0;
	if ((r = omprog_reply_deferred(STDOUT_FILENO)) < 0)
		say("cannot write a reply to rsyslog: %s", strerror(-r));
	return r;
}

/* The reply to a line that is done for good (refused): OK, or DEFER_COMMIT
   inside a transaction. */
static int done_reply(struct enforcer *en)
{
	return en->in_tx ? deferred(en) : reply(en, NULL);
}

/* What a valid decision's result says on stderr (p, n: its line). */
static void result_said(struct enforcer *en, enum enforce_result res, const char *p, size_t n)
{
	switch (res) {
	case ENFORCE_NOT_FROM:
		refused(en, false, "refused", "by= is not in enforce_from", p, n);
		break;
	case ENFORCE_IGNORED:
	case ENFORCE_UNSUPPORTED:
	case ENFORCE_FULL:
		refused(en, false, "not applied", enforce_result_name(res), p, n);
		break;
	default:
		break;
	}
}

/* The batch: applied (enforce_apply_batch(): one sync for a run of new
   bans), then each line's reply in order; those it could not log are
   answered ERROR, so rsyslog sends them again. */
/* Applies the batch (enforce_apply_batch()); each applied one's result
   said. *ret_done: how many from the first were applied; <0 with the
   cause in err (also said) when the rest could not be logged. */
static int batch_apply(struct enforcer *en, size_t *ret_done, char *err, size_t errlen)
{
	enum enforce_result res[ENFORCE_BATCH_MAX];
	size_t n = en->nbatch;
	int r;

	err[0] = '\0';
	r = enforce_apply_batch(en->e, en->batch, n, (int64_t) time(NULL), res, ret_done, err, errlen);
	en->nbatch = 0;
	if (r < 0) {
		if (!err[0])
			snprintf(err, errlen, "%s", strerror(-r));
		say("%s", err);
	} else if (err[0]) {
		say("%s (retried every second)", err);
	}
	for (size_t i = 0; i < *ret_done; i++)
		result_said(en, res[i], en->shown[i], en->shown_len[i]);
	return r;
}

static int batch_flush(struct enforcer *en)
{
	char err[512];
	size_t done = 0, n = en->nbatch;
	int r = batch_apply(en, &done, err, sizeof(err));

	for (size_t i = 0; i < n; i++)
		if (reply(en, i < done ? NULL : err) < 0)
			return -EPIPE;
	return r < 0 ? DAEMON_AGAIN : DAEMON_ITEM;
}

/* Keeps d (its line p, n for what refused() shows) in the batch. */
static void batch_add(struct enforcer *en, const struct decision *d, const char *p, size_t n)
{
	en->batch[en->nbatch] = *d;
	en->shown_len[en->nbatch] = n < sizeof(en->shown[0]) ? n : sizeof(en->shown[0]);
	memcpy(en->shown[en->nbatch], p, en->shown_len[en->nbatch]);
	en->nbatch++;
}

/* A decision inside a transaction: kept for its COMMIT (applied at once
   when the batch is full), answered DEFER_COMMIT. After a part of the
   transaction could not be logged nothing more is done: the COMMIT is
   answered ERROR and rsyslog sends the whole transaction again (what was
   applied then is a duplicate). */
static int tx_message(struct enforcer *en, const struct decision *d, const char *p, size_t n)
{
	if (!en->tx_failed) {
		batch_add(en, d, p, n);
		if (en->nbatch == ENFORCE_BATCH_MAX) {
			size_t done;

			if (batch_apply(en, &done, en->tx_err, sizeof(en->tx_err)) < 0)
				en->tx_failed = true;
		}
	}
	return deferred(en) < 0 ? -EPIPE : DAEMON_AGAIN;
}

/* COMMIT TRANSACTION: the transaction's decisions are logged (one sync
   for each run of new bans) and applied, then OK; ERROR when a part of
   them could not be logged. */
static int tx_commit(struct enforcer *en)
{
	size_t done;

	en->in_tx = false;
	if (!en->tx_failed && en->nbatch > 0 && batch_apply(en, &done, en->tx_err, sizeof(en->tx_err)) < 0)
		en->tx_failed = true;
	en->nbatch = 0;
	return reply(en, en->tx_failed ? en->tx_err : NULL) < 0 ? -EPIPE : DAEMON_ITEM;
}

static int piece(struct enforcer *en, const char *p, size_t n, enum line_piece kind);

/* A ban with more lines already read behind it (a backlog, the resync's
   flood): it and the bans that follow it in the buffer go as one batch;
   the first other line read is handled after the batch. */
static int batch(struct enforcer *en, const struct decision *d, const char *p, size_t n)
{
	struct decision next;
	const char *q;
	size_t m;
	enum line_piece kind;
	char err[512];
	int r;

	for (;;) {
		batch_add(en, d, p, n);
		if (en->nbatch == ENFORCE_BATCH_MAX || !linereader_buffered(en->in.lr))
			return batch_flush(en);
		/* a complete line is buffered: this does not block */
		if ((r = omprog_input_next(&en->in, &q, &m, &kind, err, sizeof(err))) != OMPROG_PIECE) {
			int f = batch_flush(en);

			if (r < 0)
				say("%s", err);
			return f < 0 ? f : r;
		}
		while (kind == LINE_COMPLETE && m > 0 && (*q == ' ' || *q == '\t')) {
			q++;
			m--;
		}
		if (kind != LINE_COMPLETE || omprog_mark(q, m) != OMPROG_MESSAGE || decision_parse(q, m, &next, NULL) < 0 ||
		    next.op != DECISION_BAN) {
			/* the piece stays valid: nothing is read before it is handled */
			if ((r = batch_flush(en)) < 0)
				return r;
			return piece(en, q, m, kind);
		}
		d = &next;
		p = q;
		n = m;
	}
}

/* One complete message line and its reply: DAEMON_ITEM when applied (or
   refused for good), DAEMON_AGAIN when rsyslog is asked to send it again,
   <0 when the reply cannot be written. */
static int message(struct enforcer *en, const char *p, size_t n)
{
	struct decision d;
	enum decision_error de;
	enum enforce_result res;
	char err[512] = "";
	int r;

	while (n > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		n--;
	}
	if (decision_parse(p, n, &d, &de) < 0) {
		refused(en, true, "refused", decision_strerror(de), p, n);
		return done_reply(en) < 0 ? -EPIPE : DAEMON_ITEM;
	}
	if (en->in_tx)
		return tx_message(en, &d, p, n);
	if (d.op == DECISION_BAN && linereader_buffered(en->in.lr))
		return batch(en, &d, p, n);
	if ((r = enforce_apply(en->e, &d, (int64_t) time(NULL), &res, err, sizeof(err))) < 0) {
		say("%s", err[0] ? err : strerror(-r));
		return reply(en, err[0] ? err : strerror(-r)) < 0 ? -EPIPE : DAEMON_AGAIN;
	}
	if (err[0])
		say("%s (retried every second)", err);
	result_said(en, res, p, n);
	return reply(en, NULL) < 0 ? -EPIPE : DAEMON_ITEM;
}

/* One piece of stdin: a mark, a message, or part of an overlong line. */
static int piece(struct enforcer *en, const char *p, size_t n, enum line_piece kind)
{
	switch (kind) {
	case LINE_COMPLETE:
		switch (omprog_mark(p, n)) {
		case OMPROG_BEGIN:
			en->in_tx = true;
			en->tx_failed = false;
			en->nbatch = 0;
			return reply(en, NULL) < 0 ? -EPIPE : DAEMON_AGAIN;
		case OMPROG_COMMIT:
			if (en->in_tx)
				return tx_commit(en);
			return reply(en, NULL) < 0 ? -EPIPE : DAEMON_AGAIN;
		case OMPROG_MESSAGE:
			break;
		}
		return message(en, p, n);
	case LINE_HEAD:
		refused(en, true, "refused", decision_strerror(DECISION_E_LONG), p, n);
		return DAEMON_AGAIN;
	case LINE_TAIL:
		return DAEMON_AGAIN;
	case LINE_TAIL_LAST:
		return done_reply(en) < 0 ? -EPIPE : DAEMON_ITEM;
	}
	return DAEMON_AGAIN;
}

/* daemon(3)'s read: one piece of stdin (omprog(3)'s input), or a batch. */
static int en_read(struct daemon *d, void *data)
{
	struct enforcer *en = data;
	const char *p;
	size_t n;
	enum line_piece kind;
	char err[512];
	int r = omprog_input_next(&en->in, &p, &n, &kind, err, sizeof(err));

	if (r < 0)
		say("%s", err);
	if (r != OMPROG_PIECE)
		return r;
	r = piece(en, p, n, kind);
	/* a steady stream leaves no idle pass: the second's duties here too */
	if (r >= 0)
		(void) en_idle(d, en, daemon_now());
	return r;
}

static const struct daemon_ops en_ops = {
	.name = "enforce",
	.prefix = "authfold-enforce: ",
	.tick_ms = OMPROG_TICK_MS,
	.save_usec = TICK_USEC,
	.idle_save_usec = TICK_USEC,
	.settle_quiet_usec = TICK_USEC,
	.drains = true,
	.keep_going = true,
	.own_state = true,
	.read = en_read,
	.idle = en_idle,
};

/* The options into *ret_conf, en and *ret_restore_only; -1 to go on, else the exit status (said). */
static int parse_args(int argc, char **argv, const char **ret_conf, struct enforcer *en, bool *ret_restore_only)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'}, {"confirm", no_argument, NULL, 'C'},
		{"no-confirm", no_argument, NULL, 'N'}, {"restore", no_argument, NULL, 'R'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'}, {NULL, 0, NULL, 0},
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': *ret_conf = optarg; break;
		case 'C': en->confirm = true; break;
		case 'N': en->confirm = false; break;
		case 'R': *ret_restore_only = true; break;
		case 'h': fputs(usage_text, stdout); return 0;
		case 'V': printf("authfold-enforce %s\n", PACKAGE_VERSION); return 0;
		default: fputs("Try 'authfold-enforce --help'.\n", stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		say("unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	return -1;
}

/* At boot on every host the unit is enabled on: with no running central
   ban there is nothing to restore, and nothing is touched (no state_dir
   made, no set created, no file written). -1 to go on, else the exit
   status (said). */
static int nothing_to_restore(const struct config *c)
{
	char err[1024] = "";
	size_t running = 0;
	int r;

	if ((r = enforce_running(c, (int64_t) time(NULL), &running, err, sizeof(err))) < 0) {
		say("%s", err[0] ? err : strerror(-r));
		return 1;
	}
	if (running == 0) {
		say("nothing to restore: no running central ban in '%s/%s'", enforce_dir(c), ENFORCE_LOG_NAME);
		return 0;
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct enforcer en = {.confirm = true};
	struct daemon d;
	const char *conf_path = NULL;
	struct config *c = NULL;
	char err[1024] = "";
	int r, status;
	bool restore_only = false;

	if ((status = parse_args(argc, argv, &conf_path, &en, &restore_only)) >= 0)
		return status;
	status = 1;
	/* The configuration first: reading it is bounded, and until the
	   handlers are in place SIGTERM and SIGINT end the program at once. */
	if ((c = config_read(conf_path, err, sizeof(err))) == NULL) {
		say("%s", err);
		return EXIT_USAGE;
	}
	if (restore_only && (status = nothing_to_restore(c)) >= 0) {
		config_free(c);
		return status;
	}
	status = 1;
	if ((r = daemon_init(&d, &en_ops, &en, c)) < 0) {
		say("cannot set up signals: %s", strerror(-r));
		config_free(c);
		return 1;
	}
	/* state_dir, the backend, privileges; enforce_open() takes enforce.lock */
	if (daemon_open(&d, NULL) < 0)
		goto out;
	int64_t now = (int64_t) time(NULL);

	if ((r = enforce_open(c, &d.backend, now, &en.e, err, sizeof(err))) < 0) {
		say("%s", err[0] ? err : strerror(-r));
		goto out;
	}
	if (err[0])	/* the log could not be compacted (a full disk): used as it is */
		say("%s; the log is used as it is", err);
	err[0] = '\0';
	/* authfold unban asked on this MX while no enforcer ran: before the
	   restore, so that a lifted ban is not put back */
	take_requests(&en);
	if ((r = enforce_restore(en.e, now, err, sizeof(err))) < 0)
		say("cannot restore every ban: %s (retried every second)", err[0] ? err : strerror(-r));
	else if (r > 0)
		say("%d running ban%s from '%s/%s' in the kernel", r, r == 1 ? "" : "s", enforce_dir(c), ENFORCE_LOG_NAME);
	if (restore_only) {
		status = r < 0 ? 1 : 0;
		goto out;
	}
	if (omprog_input_open(&en.in, STDIN_FILENO, DECISION_LINE_MAX + 64) < 0) {
		say("out of memory");
		goto out;
	}
	en.last_tick = en.burst_start = daemon_now();
	if (reply(&en, NULL) < 0)
		goto out;
	status = daemon_run(&d) < 0 ? 1 : 0;
	if (en.nbatch > 0 && !en.tx_failed) {
		/* the input ended inside a transaction: what it held is
		   applied (rsyslog may send it again: duplicates) */
		size_t done;

		(void) batch_apply(&en, &done, err, sizeof(err));
	}
out:
	status = daemon_finish(&d, status);
	if (en.suppressed)
		say("%u more refused or not applied lines not shown", en.suppressed);
	if (en.e)
		tick(&en);	/* the counters */
	enforce_free(en.e);
	omprog_input_close(&en.in);
	daemon_close(&d);
	config_free(c);
	return status;
}

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
 *	and fdatasync()ed) and kernel set; then "OK" is answered. A line
 *	that is not a valid decision is counted, logged on stderr and
 *	answered "OK" too (there is no "drop" reply in omprog, and sending
 *	it again would not make it valid). Only a failure to write the log
 *	is answered "ERROR ...", so rsyslog sends the decision again.
 *
 *	About once a second: ended bans are forgotten, kernel failures
 *	retried, the counters saved (enforce.status). At start the log is
 *	replayed and the running bans put back into the kernel (after a
 *	reboot). EOF, SIGTERM, SIGINT: counters saved, exit 0.
 *
 *	--restore does only the start: the log is read and compacted, the
 *	running bans put back into the kernel, and the program ends (exit 1
 *	when a ban could not be restored). rsyslog starts the program only
 *	when a message arrives; run this at boot, after the firewall.
 * DIAGNOSTICS
 *	On stderr, prefixed "authfold-enforce: " (rsyslog's omprog output=
 *	file): each refused decision with the reason (at most
 *	LOG_BURST per minute, then a count), each kernel failure. Exit 0 on
 *	a normal end, 1 on a runtime failure, 2 on bad usage or
 *	configuration.
 * SECURITY
 *	The lines come from the network. Lines longer than
 *	DECISION_LINE_MAX are refused by their first bytes, the rest skipped
 *	(linereader(3)); nothing of a refused line is echoed but at most 80
 *	bytes with control bytes replaced. With the ipset backend only
 *	CAP_NET_ADMIN is kept (privs(3)); otherwise no new privileges.
 */

#include "backend.h"
#include "config.h"
#include "decision.h"
#include "enforce.h"
#include "linereader.h"
#include "omprog.h"
#include "privs.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define EXIT_USAGE	2
#define TICK_MS		1000
#define LOG_BURST	20	/* refusals logged one by one per minute */

static const char usage_text[] =
	"Usage: authfold-enforce [-c CONF] [--confirm | --no-confirm]\n"
	"       authfold-enforce [-c CONF] --restore\n"
	"\n"
	"The program rsyslog's omprog action runs on an MX: reads ban and unban\n"
	"decisions of the central authfold on stdin (one per line), applies them to\n"
	"the kernel set, keeps them in STATE_DIR/enforce.log, and confirms each line.\n"
	"\n"
	"  -c, --config FILE   configuration (default " CONFIG_DEFAULT_PATH ";\n"
	"                      a missing default file means built-in defaults)\n"
	"      --confirm       answer OK / ERROR per line (confirmMessages=\"on\"; default)\n"
	"      --no-confirm    write nothing to stdout (confirmMessages=\"off\")\n"
	"      --restore       put the running bans back into the kernel and exit\n"
	"                      (at boot: rsyslog starts the program only for a message)\n"
	"  -h, --help          this text\n"
	"  -V, --version       the version\n"
	"\n"
	"See authfold-enforce(8).\n";

static volatile sig_atomic_t got_term;

static void on_signal(int sig)
{
	(void) sig;
	got_term = 1;
}

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

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct enforcer {
	struct enforce *e;
	bool confirm;
	int64_t last_tick;		/* mono_ms() */
	int64_t burst_start;		/* mono_ms() of this minute of refusals */
	unsigned burst, suppressed;
	bool tick_failing;
};

/* A refused line, logged with at most 80 of its bytes, made printable. */
static void refused(struct enforcer *en, const char *why, const char *p, size_t n)
{
	char shown[81];
	size_t k;

	enforce_refused(en->e);
	if (mono_ms() - en->burst_start >= 60000) {
		if (en->suppressed)
			say("%u more refused lines not shown", en->suppressed);
		en->burst_start = mono_ms();
		en->burst = en->suppressed = 0;
	}
	if (en->burst++ >= LOG_BURST) {
		en->suppressed++;
		return;
	}
	for (k = 0; k < n && k < sizeof(shown) - 1; k++)
		shown[k] = (unsigned char) p[k] < 0x20 || (unsigned char) p[k] >= 0x7f ? '?' : p[k];
	shown[k] = '\0';
	say("refused (%s): '%s%s'", why, shown, n > k ? "..." : "");
}

static void tick(struct enforcer *en)
{
	char err[512] = "";
	int r = enforce_tick(en->e, (int64_t) time(NULL), err, sizeof(err));

	if (r < 0 && !en->tick_failing)
		say("%s", err[0] ? err : strerror(-r));
	else if (r == 0 && en->tick_failing)
		say("kernel and files in order again");
	en->tick_failing = r < 0;
	en->last_tick = mono_ms();
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

/* One complete message line; the reply. */
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
		refused(en, decision_strerror(de), p, n);
		return reply(en, NULL);
	}
	if ((r = enforce_apply(en->e, &d, (int64_t) time(NULL), &res, err, sizeof(err))) < 0) {
		say("%s", err[0] ? err : strerror(-r));
		return reply(en, err[0] ? err : strerror(-r));
	}
	if (err[0])
		say("%s (retried every second)", err);
	switch (res) {
	case ENFORCE_NOT_FROM:
		refused(en, "by= is not in enforce_from", p, n);
		break;
	case ENFORCE_IGNORED:
	case ENFORCE_UNSUPPORTED:
	case ENFORCE_FULL:
		say("not applied (%s): %.*s", enforce_result_name(res), (int) n, p);
		break;
	default:
		break;
	}
	return reply(en, NULL);
}

static int run(struct enforcer *en)
{
	struct linereader *lr = linereader_new(STDIN_FILENO, DECISION_LINE_MAX + 64);
	bool in_long = false;
	int r = 0;

	if (lr == NULL) {
		say("out of memory");
		return -ENOMEM;
	}
	if ((r = reply(en, NULL)) < 0)
		goto out;
	while (!got_term) {
		if (mono_ms() - en->last_tick >= TICK_MS)
			tick(en);
		if (!in_long && !linereader_buffered(lr)) {
			struct pollfd pfd = {STDIN_FILENO, POLLIN, 0};
			int64_t left = TICK_MS - (mono_ms() - en->last_tick);
			int pr = poll(&pfd, 1, left < 0 ? 0 : (int) left);

			if (pr < 0 && errno == EINTR)
				continue;
			if (pr < 0) {
				r = -errno;
				say("cannot poll stdin: %s", strerror(errno));
				goto out;
			}
			if (pr == 0)
				continue;
		}

		const char *p;
		size_t n;
		enum line_piece piece;

		if ((r = linereader_next(lr, &p, &n, &piece)) == 0)
			break;
		if (r < 0) {
			say("cannot read stdin: %s", strerror(-r));
			goto out;
		}
		r = 0;
		switch (piece) {
		case LINE_COMPLETE:
			if (omprog_mark(p, n) != OMPROG_MESSAGE)
				r = reply(en, NULL);
			else
				r = message(en, p, n);
			break;
		case LINE_HEAD:
			in_long = true;
			refused(en, decision_strerror(DECISION_E_LONG), p, n);
			break;
		case LINE_TAIL:
			break;
		case LINE_TAIL_LAST:
			in_long = false;
			r = reply(en, NULL);
			break;
		}
		if (r < 0)
			goto out;
	}
	r = 0;
out:
	linereader_free(lr);
	return r;
}

static int setup_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: poll() returns EINTR */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0)
		return -errno;
	sa.sa_handler = SIG_IGN;	/* a closed reply pipe is EPIPE; HUP: nothing to reopen */
	if (sigaction(SIGPIPE, &sa, NULL) < 0 || sigaction(SIGHUP, &sa, NULL) < 0)
		return -errno;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'}, {"confirm", no_argument, NULL, 'C'},
		{"no-confirm", no_argument, NULL, 'N'}, {"restore", no_argument, NULL, 'R'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'}, {NULL, 0, NULL, 0},
	};
	struct enforcer en = {.confirm = true};
	const char *conf_path = NULL;
	struct config *c = NULL;
	struct backend backend = {0};
	char err[1024] = "";
	int opt, r, status = 1;
	bool restore_only = false;

	while ((opt = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': conf_path = optarg; break;
		case 'C': en.confirm = true; break;
		case 'N': en.confirm = false; break;
		case 'R': restore_only = true; break;
		case 'h': fputs(usage_text, stdout); return 0;
		case 'V': printf("authfold-enforce %s\n", PACKAGE_VERSION); return 0;
		default: fputs("Try 'authfold-enforce --help'.\n", stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		say("unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	if ((r = setup_signals()) < 0) {
		say("cannot set up signals: %s", strerror(-r));
		return 1;
	}
	if ((c = config_read(conf_path, err, sizeof(err))) == NULL) {
		say("%s", err);
		return EXIT_USAGE;
	}
	if (mkdir(c->state_dir, 0750) < 0 && errno != EEXIST) {
		say("cannot create state directory '%s': %s", c->state_dir, strerror(errno));
		goto out;
	}
	if ((r = backend_open(c, &backend, err, sizeof(err))) < 0) {
		say("backend = ipset: %s", err[0] ? err : strerror(-r));
		goto out;
	}
	if (c->backend == BACKEND_IPSET) {
		if ((r = privs_keep_net_admin(err, sizeof(err))) < 0) {
			say("cannot drop privileges: %s", err[0] ? err : strerror(-r));
			goto out;
		}
	} else if ((r = privs_no_new_privs()) < 0) {
		say("cannot set no_new_privs: %s", strerror(-r));
		goto out;
	}
	int64_t now = (int64_t) time(NULL);

	if ((r = enforce_open(c, &backend, now, &en.e, err, sizeof(err))) < 0) {
		say("%s", err[0] ? err : strerror(-r));
		goto out;
	}
	err[0] = '\0';
	if ((r = enforce_restore(en.e, now, err, sizeof(err))) < 0)
		say("cannot restore every ban: %s (retried every second)", err[0] ? err : strerror(-r));
	else if (r > 0)
		say("%d running ban%s from '%s/%s' in the kernel", r, r == 1 ? "" : "s", c->state_dir, ENFORCE_LOG_NAME);
	if (restore_only) {
		status = r < 0 ? 1 : 0;
		goto out;
	}
	en.last_tick = mono_ms();
	en.burst_start = mono_ms();
	if (run(&en) < 0)
		goto out;
	status = 0;
out:
	if (en.e)
		tick(&en);	/* the counters */
	enforce_free(en.e);
	backend_close(&backend);
	config_free(c);
	return status;
}

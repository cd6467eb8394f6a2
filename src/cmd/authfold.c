/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	authfold 8
 * SUMMARY
 *	fold Postfix smtpd -v logs and ban the clients that probe AUTH
 * SYNOPSIS
 *	authfold replay [-c CONF] [--summary FILE] [--events FILE] [--ban] [--explain] [FILE...]
 *	authfold journal [-c CONF] [--directory DIR] [--once] [--summary FILE] [--events FILE]
 *	authfold status [-c CONF] [--json]
 *	authfold unban [-c CONF] [--wait SECONDS] ADDR[/PREFIX]
 *	authfold why [-c CONF] [--events FILE] [--summary-log FILE] [--json] ADDR[/PREFIX]
 *	authfold why --summary [-c CONF] [--summary-log FILE] [--since WHEN] [--until WHEN]
 *	authfold defaults
 *	authfold --help | --version
 * DESCRIPTION
 *	See authfold(8). This file holds the command line and dispatches:
 *	replay to engine(3), journal to journal_daemon(3) over daemon(3),
 *	status to status(3), unban to bans(3), why to why(3).
 * DIAGNOSTICS
 *	Exit status 0 on success, 1 on a runtime failure, 2 on bad usage or
 *	configuration. Every message names the file, line or option at fault.
 */

#include "bans.h"
#include "config.h"
#include "enforce.h"
#include "journal_daemon.h"
#include "replay.h"
#include "unban.h"
#include "status.h"
#include "why.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EXIT_USAGE 2

static const char usage_text[] =
	"Usage: authfold COMMAND [OPTIONS]\n"
	"\n"
	"Fold Postfix 'smtpd -v' logs into the log a Postfix without -v writes, plus one\n"
	"'warning: NAME[ADDR]: authentication not enabled' per session that tried AUTH\n"
	"while it was not offered, and ban the clients that probe or guess passwords.\n"
	"\n"
	"Commands:\n"
	"  replay [FILE...]     fold the given logs in order ('-' or none: stdin)\n"
	"  journal              fold the systemd journal's mail entries, following it from\n"
	"                       the saved cursor (the service's command)\n"
	"  status               the running bans, the addresses with strikes and the bans\n"
	"                       waiting for the kernel, from the state files and the sets\n"
	"  unban ADDR[/PREFIX]  remove a ban from the kernel and forget the address\n"
	"  why ADDR[/PREFIX]    the address's bans, strikes and their sessions, from the\n"
	"                       events and summary logs (rotated .N and .N.gz too) and\n"
	"                       the state files; its SASL failures that gave no strike\n"
	"                       because of auth server trouble\n"
	"  why --summary        the report of the summary log's lines of a period\n"
	"  defaults             print a configuration file with every key commented out\n"
	"                       with its built-in default\n"
	"\n"
	"Options of replay:\n"
	"  -c, --config FILE    configuration (default " CONFIG_DEFAULT_PATH ";\n"
	"                       a missing default file means built-in defaults)\n"
	"  -s, --summary FILE   write the summary to FILE (default: stdout)\n"
	"  -e, --events FILE    append strike and ban events (JSON Lines) to FILE\n"
	"                       (default: events_log of the configuration)\n"
	"  -b, --ban            give the bans to the backend of the configuration;\n"
	"                       without it, a dry run: nothing reaches the kernel\n"
	"  -x, --explain        write '# ACTION RULE: ' before every line, and keep the\n"
	"                       folded lines, to see which rule decided what\n"
	"\n"
	"Options of journal:\n"
	"  -c, --config FILE    as for replay\n"
	"  -D, --directory DIR  read the journal files in DIR, not the system journal\n"
	"  -o, --once           stop at the end of the journal instead of following it\n"
	"  -s, --summary FILE   default: summary_log of the configuration\n"
	"  -e, --events FILE    default: events_log of the configuration\n"
	"  Entries matching journal_match are folded; bans go to the configured backend\n"
	"  (backend = none: everything but the kernel call). The cursor, the sessions and\n"
	"  strikes, and the output sizes are saved together in STATE_DIR/journal.state\n"
	"  (journal-directory.state with --directory). Without a usable cursor it starts\n"
	"  at the head with --directory or --once, else at the tail. SIGTERM ends it\n"
	"  cleanly, SIGHUP reopens the outputs.\n"
	"\n"
	"Options of status:\n"
	"  -c, --config FILE    as for replay\n"
	"  -j, --json           one JSON document instead of tables\n"
	"  Reads STATE_DIR/*.state (never changes them) and, with backend = ipset or nft\n"
	"  and CAP_NET_ADMIN, checks each ban in the kernel sets and lists their entries\n"
	"  that no state file knows; it never creates a set or table. Without it, a note\n"
	"  says so.\n"
	"  On an MX running authfold-enforce, the central bans follow (origin, last\n"
	"  arrival, counters; \"central\" in --json), and those unban lifted there.\n"
	"\n"
	"Options of unban:\n"
	"  -c, --config FILE    as for replay\n"
	"  -w, --wait SECONDS   wait this long for a running daemon to take the request\n"
	"                       (default 10)\n"
	"  A bare IPv4 address means /32, a bare IPv6 address its ipv6_prefix network;\n"
	"  every remembered entry inside or around ADDR/PREFIX is forgotten. With a\n"
	"  daemon running (it holds STATE_DIR/lock) the unban goes through it, as the\n"
	"  request STATE_DIR/unban.d/ADDR-PREFIX; see authfold(8). With publish = syslog\n"
	"  the unban is also published to every MX (authfold-enforce(8)). On an MX that\n"
	"  enforces central decisions, the central bans of ADDR/PREFIX held there are\n"
	"  lifted too: authfold-enforce takes STATE_DIR/enforce-unban.d/ADDR-PREFIX\n"
	"  at its next tick (about a second), or when it next starts.\n"
	"\n"
	"Options of why:\n"
	"  -c, --config FILE    as for replay\n"
	"  -e, --events FILE    the events log to read (default: events_log)\n"
	"  -l, --summary-log FILE  the summary log to read (default: summary_log)\n"
	"  -j, --json           one JSON document instead of text\n"
	"  Addresses as for unban. Sessions are found by host, tag, pid and time, never\n"
	"  by the address in the text; every file not read (to the end) is named.\n"
	"  The story is told in the order of time, whatever the order of the files.\n"
	"  -s, --summary        no address: replay's report (hourly table, top offenders)\n"
	"                       of the summary log's lines in a period, folded again\n"
	"  -S, --since WHEN     with --summary: from WHEN (default: today, local midnight)\n"
	"  -U, --until WHEN     with --summary: before WHEN; WHEN is a duration back from\n"
	"                       now (1d, 12h), an RFC 3339 time or YYYY-MM-DD\n"
	"\n"
	"  -h, --help           this text\n"
	"  -V, --version        the version\n"
	"\n"
	"At the end, replay prints a report to stderr: lines, sessions, lines folded away,\n"
	"strikes by reason, and what was (or would be) banned for how long; an hourly\n"
	"table and the top offending addresses and /64s.\n"
	"Exit status: 0 success, 1 runtime failure, 2 bad usage or configuration.\n"
	"See authfold(8) and authfold.conf(5).\n";

static int usage_error(const char *what, const char *arg)
{
	fprintf(stderr, "authfold: %s%s%s%s\nTry 'authfold --help'.\n", what, arg ? " '" : "", arg ? arg : "",
		arg ? "'" : "");
	return EXIT_USAGE;
}

/* Loads -c FILE, or the default file when it exists. */
static struct config *load_config(const char *path)
{
	char err[1024];
	struct config *c = config_read(path, err, sizeof(err));

	if (c == NULL)
		fprintf(stderr, "authfold: %s\n", err);
	return c;
}

/* --- authfold replay: replay(3) ----------------------------------------- */

static int cmd_replay(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'}, {"summary", required_argument, NULL, 's'},
		{"events", required_argument, NULL, 'e'}, {"ban", no_argument, NULL, 'b'},
		{"explain", no_argument, NULL, 'x'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
	};
	struct replay_options o = {0};
	const char *conf_path = NULL;
	int opt;

	while ((opt = getopt_long(argc, argv, "c:s:e:bxh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': conf_path = optarg; break;
		case 's': o.summary_path = optarg; break;
		case 'e': o.events_path = optarg; break;
		case 'b': o.ban = true; break;
		case 'x': o.explain = true; break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: return usage_error("bad option for replay", NULL);
		}
	}

	struct config *c = load_config(conf_path);

	if (c == NULL)
		return EXIT_USAGE;

	int status = replay_main(c, &o, argc - optind, argv + optind);

	config_free(c);
	return status;
}

/* --- authfold journal: journal_daemon(3) ------------------------------ */

static int cmd_journal(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'}, {"directory", required_argument, NULL, 'D'},
		{"once", no_argument, NULL, 'o'}, {"summary", required_argument, NULL, 's'},
		{"events", required_argument, NULL, 'e'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
	};
	struct journal_daemon_options o = {0};
	const char *conf_path = NULL;
	int opt;

	while ((opt = getopt_long(argc, argv, "c:D:os:e:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': conf_path = optarg; break;
		case 'D': o.directory = optarg; break;
		case 'o': o.once = true; break;
		case 's': o.summary_path = optarg; break;
		case 'e': o.events_path = optarg; break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: return usage_error("bad option for journal", NULL);
		}
	}
	if (optind < argc)
		return usage_error("journal takes no arguments, not", argv[optind]);

	struct config *c = load_config(conf_path);

	if (c == NULL)
		return EXIT_USAGE;

	int status = journal_daemon_main(c, &o);

	config_free(c);
	return status;
}


/* --- authfold status: status(3); unban: unban(3) ---------------------------------- */

static int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'}, {"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
	};
	const char *conf_path = NULL;
	struct status_options so = {false, true, 0};
	struct timespec ts;
	int opt, r;

	while ((opt = getopt_long(argc, argv, "c:jh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': conf_path = optarg; break;
		case 'j': so.json = true; break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: return usage_error("bad option for status", NULL);
		}
	}
	if (optind < argc)
		return usage_error("status takes no arguments, not", argv[optind]);

	struct config *c = load_config(conf_path);

	if (c == NULL)
		return EXIT_USAGE;
	clock_gettime(CLOCK_REALTIME, &ts);
	so.now_usec = (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	if ((r = status_write(stdout, c, &so)) < 0)
		fprintf(stderr, "authfold: status: %s\n", strerror(-r));
	else if (!so.json && (r = enforce_status_write(stdout, c, so.now_usec / 1000000)) < 0)
		fprintf(stderr, "authfold: status: central decisions: %s\n", strerror(-r));
	config_free(c);
	return r < 0 ? 1 : 0;
}

static int cmd_unban(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'}, {"wait", required_argument, NULL, 'w'},
		{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
	};
	const char *conf_path = NULL;
	long wait_s = 10;
	char *end;
	int opt;

	while ((opt = getopt_long(argc, argv, "c:w:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': conf_path = optarg; break;
		case 'w':
			errno = 0;
			wait_s = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || wait_s < 0 || wait_s > 3600)
				return usage_error("--wait takes 0 to 3600 seconds, not", optarg);
			break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: return usage_error("bad option for unban", NULL);
		}
	}
	if (argc - optind != 1)
		return usage_error("unban takes one ADDR[/PREFIX]", NULL);

	struct config *c = load_config(conf_path);
	struct cidr t;
	char err[1024];

	if (c == NULL)
		return EXIT_USAGE;
	if (bans_parse_target(c, argv[optind], &t, err, sizeof(err)) < 0) {
		config_free(c);
		return usage_error(err, NULL);
	}

	int status = unban_main(c, &t, wait_s);

	config_free(c);
	return status;
}

/* --- end authfold status and unban --------------------------------------- */

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage_error("missing command", NULL);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("authfold %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "replay") == 0)
		return cmd_replay(argc - 1, argv + 1);
	if (strcmp(argv[1], "journal") == 0)
		return cmd_journal(argc - 1, argv + 1);
	if (strcmp(argv[1], "status") == 0)
		return cmd_status(argc - 1, argv + 1);
	if (strcmp(argv[1], "unban") == 0)
		return cmd_unban(argc - 1, argv + 1);
	if (strcmp(argv[1], "why") == 0) {
		int r = why_main(argc - 1, argv + 1);

		return r == 3 ? fputs(usage_text, stdout) < 0 : r;
	}
	if (strcmp(argv[1], "defaults") == 0) {
		if (argc > 2)
			return usage_error("defaults takes no arguments, not", argv[2]);
		config_print_defaults(stdout);
		return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
	}
	return usage_error("unknown command", argv[1]);
}

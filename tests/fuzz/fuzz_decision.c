/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_decision - libFuzzer target over decision(3) and enforce(3):
 * what authfold-enforce does with the lines that reach it.
 *
 * The input is cut at newlines; each piece goes to decision_parse().
 * Checked (abort() on failure): a refused piece has a reason other than
 * DECISION_OK; an accepted one formats back (decision_format()) to
 * exactly its own bytes, is at most DECISION_LINE_MAX bytes, and its
 * fields keep their rules (prefix bounds, host bits clear, at <= until
 * for a ban, until 0 for an unban). Every accepted decision then goes
 * to one enforce(3) table without a kernel (state_dir in a private
 * directory under /dev/shm or /tmp), whose size must stay within
 * ENFORCE_ENTRIES_MAX; enforce_tick() runs after each input (expiry,
 * compaction of the log).
 *
 * Build and run: tests/fuzz/run.sh (see tests/fuzz/README.md).
 */

#include "decision.h"
#include "enforce.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct config *conf;
static struct enforce *table;
static char dir[64];

/* The private state_dir goes at exit. */
static void cleanup(void)
{
	static const char *const names[] = {ENFORCE_LOG_NAME, ENFORCE_LOG_NAME ".tmp", ENFORCE_STATUS_NAME,
					    ENFORCE_STATUS_NAME ".tmp", ENFORCE_LOCK_NAME};
	char path[128];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

static void init(void)
{
	char err[512];

	snprintf(dir, sizeof(dir), "/dev/shm/fuzz_decision.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		snprintf(dir, sizeof(dir), "/tmp/fuzz_decision.XXXXXX");
		if (mkdtemp(dir) == NULL)
			abort();
	}
	if ((conf = config_new()) == NULL || config_set(conf, "state_dir", dir, err, sizeof(err)) < 0 ||
	    config_set(conf, "ignoreip", "127.0.0.0/8 ::1 198.51.100.0/24", err, sizeof(err)) < 0 ||
	    enforce_open(conf, NULL, 1764470000, &table, err, sizeof(err)) < 0) {
		fprintf(stderr, "fuzz_decision: %s\n", err);
		abort();
	}
	atexit(cleanup);
}

static void check(const char *p, size_t n)
{
	struct decision d;
	enum decision_error e = DECISION_OK;
	char back[DECISION_LINE_MAX + 1], err[512];
	enum enforce_result res;

	if (decision_parse(p, n, &d, &e) < 0) {
		if (e == DECISION_OK)
			abort();
		enforce_refused(table);
		return;
	}
	if (n > DECISION_LINE_MAX || decision_format(&d, back, sizeof(back)) != (int) n || memcmp(back, p, n) != 0)
		abort();
	struct cidr m = d.net;

	addr_mask(&m.net, m.prefix);
	if (!addr_equal(&m.net, &d.net.net) || d.net.prefix > addr_bits(&d.net.net) ||
	    (d.op == DECISION_BAN ? d.until < d.at : d.until != 0))
		abort();
	/* at= microseconds in range (the round trip above holds their text) */
	if (d.at_usec < 0 || d.at_usec > 999999 || decision_at_usec(&d) != d.at * 1000000 + d.at_usec)
		abort();
	/* the clock near the decision's own time, so that it is not always expired */
	if (enforce_apply(table, &d, d.at + (int64_t) (n % 7), &res, err, sizeof(err)) < 0 || res >= ENFORCE_RESULTS)
		abort();
	if (enforce_entries(table) > ENFORCE_ENTRIES_MAX)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *) data, *end = p + size;
	char err[512];

	if (table == NULL)
		init();
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t) (end - p));
		size_t n = nl ? (size_t) (nl - p) : (size_t) (end - p);

		check(p, n);
		p += n + 1;
	}
	(void) enforce_tick(table, 1764470000, err, sizeof(err));
	return 0;
}

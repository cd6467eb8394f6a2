/*
 * fuzz_line - libFuzzer target over the line path of authfold.
 *
 * The input is a log: it is split on newlines and fed through
 * engine_line()/engine_tail() the way `authfold replay` feeds a file,
 * with the summary and the events log going to /dev/null, a fixed wall
 * clock, and a ban backend that only records (and refuses one ban in
 * three, so that the pending-ban queue is exercised too).
 *
 * The first byte of the input picks a configuration (table sizes,
 * maxretry, which reasons, a small line limit that makes ordinary lines
 * "overlong"), so one corpus covers the eviction and overlong paths.
 *
 * Build and run: tests/fuzz/run.sh (see tests/fuzz/README.md).
 */

#include "config.h"
#include "engine.h"
#include "output.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int64_t fixed_clock(void)
{
	return INT64_C(1795718795) * 1000000;	/* 2026-11-26T18:46:35Z */
}

static unsigned nadds;

static int record_add(void *data, const struct addr *net, unsigned prefix, unsigned seconds, char *err, size_t errlen)
{
	(void) data, (void) net, (void) prefix;
	if (seconds == 0 || seconds > IPSET_TIMEOUT_MAX)
		abort();	/* the engine must clamp */
	if (++nadds % 3 == 0) {
		snprintf(err, errlen, "refused by the fuzzer");
		return -1;
	}
	return 0;
}

static struct config *configs[4];
static struct output *sink, *events;

static void init(void)
{
	static const char *const kv[4][12] = {
		{NULL},
		{"max_sessions", "16", "max_addresses", "16", "maxretry", "1", "session_idle", "10s", NULL},
		{"reasons", "saslfail", "ipv6_prefix", "128", "bantime_factor", "1000", "bantime_max", "2147483s", NULL},
		{"max_sessions", "16", "max_addresses", "16", "reasons", "noauth", "findtime", "1s", NULL},
	};
	char err[256];

	for (int i = 0; i < 4; i++) {
		if ((configs[i] = config_new()) == NULL)
			abort();
		config_set(configs[i], "backend", "none", err, sizeof(err));
		for (int k = 0; kv[i][k]; k += 2)
			if (config_set(configs[i], kv[i][k], kv[i][k + 1], err, sizeof(err)) < 0) {
				fprintf(stderr, "fuzz_line: %s\n", err);
				abort();
			}
	}
	if (output_open("/dev/null", &sink) < 0 || output_open("/dev/null", &events) < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;

	if (!ready) {
		init();
		ready = 1;
	}
	unsigned mode = size > 0 ? data[0] : 0;
	const struct config *c = configs[mode & 3];
	size_t limit = (mode & 4) ? 48 : ENGINE_LINE_MAX;	/* small: exercise head + tail */
	struct ban_backend backend = {.add = record_add, .set4 = "authfold4", .set6 = "authfold6"};
	struct engine_options o = {
		.summary = sink,
		.events = (mode & 8) ? NULL : events,
		.backend = (mode & 16) ? NULL : &backend,
		.clock = fixed_clock,
		.explain = (mode & 32) != 0,
	};
	struct engine *e = engine_new(c, &o);

	if (e == NULL)
		abort();
	const char *p = (const char *) data + (size > 0), *end = (const char *) data + size;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t) (end - p));
		size_t len = nl ? (size_t) (nl - p) : (size_t) (end - p);

		if (len <= limit) {
			engine_line(e, p, len, true);
		} else {
			/* as linereader delivers it: head, tails of at most limit, last tail */
			engine_line(e, p, limit, false);
			size_t off = limit;

			do {
				size_t n = len - off > limit ? limit : len - off;

				off += n;
				engine_tail(e, p + off - n, n, off == len);
			} while (off < len);
		}
		p += len + 1;
	}
	engine_flush(e);
	engine_free(e);
	return 0;
}

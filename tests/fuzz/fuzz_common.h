/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_common.h - what the three libFuzzer targets share: a fixed wall
 * clock, a ban backend that only records (and refuses one ban in three, so
 * that the pending-ban queue is exercised too), the four configurations
 * that byte 0 of an input picks among (table sizes, maxretry, reasons,
 * prefix and bantime limits), and the summary and events outputs on
 * /dev/null. Included once by each target (static definitions).
 */
#ifndef AUTHFOLD_FUZZ_COMMON_H
#define AUTHFOLD_FUZZ_COMMON_H

#include "config.h"
#include "engine.h"
#include "output.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

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

/* The configurations and outputs; target names the target in a diagnostic. */
static void fuzz_common_init(const char *target)
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
				fprintf(stderr, "%s: %s\n", target, err);
				abort();
			}
	}
	if (output_open("/dev/null", &sink) < 0 || output_open("/dev/null", &events) < 0)
		abort();
}

#endif

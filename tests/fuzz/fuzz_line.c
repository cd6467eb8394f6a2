/* SPDX-License-Identifier: GPL-2.0-or-later */
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

#include "fuzz_common.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;

	if (!ready) {
		fuzz_common_init("fuzz_line");
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

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_journal - libFuzzer target over the journal source's record path.
 *
 * The input (after its first byte) is read as the journal export format
 * (what tests/journal/log2export.py writes and systemd-journal-remote
 * reads): entries separated by an empty line, each field either
 * "NAME=value\n" or, for values with newlines or binary bytes,
 * "NAME\n" + a 64-bit little-endian length + the value + "\n". A length
 * past the end of the input is cut to what is there.
 *
 * Each entry goes through journal_fields_start()/journal_fields_add()/
 * journal_fields_record() exactly as journal_next() feeds them from
 * sd-journal (fields whose name starts with "__" are the export format's
 * address fields, which sd-journal does not enumerate: only
 * __REALTIME_TIMESTAMP is used, as the entry's timestamp), and each record
 * to engine_record() of an engine with backend = none, a recording ban
 * backend, the summary and events on /dev/null and a fixed wall clock.
 *
 * The first byte picks a configuration (as fuzz_line's), whether events
 * and the ban backend are on, which _COMM values and which _UIDs are trusted.
 *
 * Invariants checked (abort() on failure): the record's host and tag are
 * non-empty-safe names (no byte <= 0x20 or 0x7f) of at most
 * JOURNAL_NAME_MAX bytes, the message holds no control byte and at most
 * JOURNAL_MESSAGE_MAX bytes, pid is -1 or 0..2^31-1.
 *
 * Build and run: tests/fuzz/run.sh (see tests/fuzz/README.md).
 */

#include "fuzz_common.h"
#include "journal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct journal_fields fields;	/* 64 KiB of message: not on the stack */
static struct journal_counters counters;

static void check_name(struct span s)
{
	if (s.len > JOURNAL_NAME_MAX)
		abort();
	for (size_t i = 0; i < s.len; i++)
		if ((unsigned char) s.p[i] <= 0x20 || s.p[i] == 0x7f)
			abort();
}

static void check_record(const struct record *r)
{
	if (r->format != RECORD_JOURNAL || r->line.len != 0)
		abort();
	check_name(r->host);
	check_name(r->tag);
	if (r->msg.len > JOURNAL_MESSAGE_MAX)
		abort();
	for (size_t i = 0; i < r->msg.len; i++)
		if ((unsigned char) r->msg.p[i] < 0x20 || r->msg.p[i] == 0x7f)
			abort();
	if (r->pid < -1 || r->pid > 0x7fffffffL)
		abort();
}

/* "__REALTIME_TIMESTAMP=" digits; anything else keeps the default. */
static uint64_t parse_usec(const char *p, size_t n, uint64_t dflt)
{
	uint64_t v = 0;

	if (n == 0 || n > 20)
		return dflt;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return dflt;
		v = v * 10 + (uint64_t) (p[i] - '0');
	}
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	static char *const trust_sets[4][3] = {
		{"smtpd", NULL}, {"smtpd", "postscreen", NULL}, {NULL}, {"", "smtpd", NULL},
	};
	static const size_t n_trust[4] = {1, 2, 0, 2};
	static const struct sender_trust senders[2] = {
		{.uids = {102}, .n_uids = 1, .uncredited_decide = true},
		{.uids = {0, 102}, .n_uids = 2, .uncredited_decide = false},
	};
	static struct journal_trust jt;

	if (!ready) {
		fuzz_common_init("fuzz_journal");
		ready = 1;
	}
	unsigned mode = size > 0 ? data[0] : 0;
	const struct config *c = configs[mode & 3];
	struct ban_backend backend = {.add = record_add, .set4 = "authfold4", .set6 = "authfold6"};
	struct engine_options o = {
		.summary = sink,
		.events = (mode & 4) ? NULL : events,
		.backend = (mode & 8) ? NULL : &backend,
		.clock = fixed_clock,
		.explain = (mode & 16) != 0,
	};
	struct engine *e = engine_new(c, &o);

	if (e == NULL)
		abort();
	jt = (struct journal_trust) {.senders = &senders[(mode >> 7) & 1], .comm = trust_sets[(mode >> 5) & 3],
				     .n_comm = n_trust[(mode >> 5) & 3]};
	fields.trust = &jt;
	fields.localhost = "fuzzhost";
	fields.counters = &counters;

	const char *p = (const char *) data + (size > 0), *end = (const char *) data + size;
	const uint64_t dflt_usec = (uint64_t) fixed_clock() - 60000000;
	uint64_t usec = dflt_usec;
	bool open = false;	/* fields were added since the last entry */

	journal_fields_start(&fields);
	for (;;) {
		bool at_end = p >= end;
		const char *nl = at_end ? NULL : memchr(p, '\n', (size_t) (end - p));
		size_t len = at_end ? 0 : nl ? (size_t) (nl - p) : (size_t) (end - p);

		if (len == 0) {
			/* an empty line (or the end): the entry is complete */
			if (open) {
				struct record r;

				if (journal_fields_record(&fields, usec, &r) > 0) {
					check_record(&r);
					engine_record(e, &r);
				} else if (r.msg.len != 0 || r.host.len != 0) {
					abort();	/* a skipped entry leaves a zeroed record */
				}
				journal_fields_start(&fields);
				usec = dflt_usec;
				open = false;
			}
			if (at_end)
				break;
			p++;
			continue;
		}
		const char *eq = memchr(p, '=', len);
		const char *val;
		size_t name_len, val_len, next;

		if (eq) {
			name_len = (size_t) (eq - p);
			val = eq + 1;
			val_len = len - name_len - 1;
			next = len + 1;
		} else {
			/* binary: NAME \n le64 value \n */
			name_len = len;
			const char *q = p + len + 1;
			uint64_t n = 0;

			if (q > end || end - q < 8) {
				p = end;	/* a cut length: the entry ends here */
				continue;
			}
			for (int i = 7; i >= 0; i--)
				n = n << 8 | (unsigned char) q[i];
			q += 8;
			val = q;
			val_len = n > (uint64_t) (end - q) ? (size_t) (end - q) : (size_t) n;
			next = (size_t) (q + val_len - p) + 1;	/* the '\n' after the value */
		}
		if (name_len == sizeof("__REALTIME_TIMESTAMP") - 1 &&
		    memcmp(p, "__REALTIME_TIMESTAMP", name_len) == 0) {
			usec = parse_usec(val, val_len, dflt_usec);
		} else if (!(name_len >= 2 && p[0] == '_' && p[1] == '_')) {
			/* sd-journal gives the datum "NAME=value" in one piece; an
			   allocation of its exact size lets ASan see any overread */
			size_t n = name_len + 1 + val_len;
			char *datum = malloc(n);

			if (datum == NULL)
				abort();
			memcpy(datum, p, name_len);
			datum[name_len] = '=';
			memcpy(datum + name_len + 1, val, val_len);
			journal_fields_add(&fields, datum, n);
			free(datum);
		}
		open = true;
		p = next > (size_t) (end - p) ? end : p + next;
	}
	engine_flush(e);
	engine_free(e);
	return 0;
}

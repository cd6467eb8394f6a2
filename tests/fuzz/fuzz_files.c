/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_files - libFuzzer target over the two files authfold reads that an
 * admin or an attacker may have written: the configuration (config_load())
 * and the state file (state_load()).
 *
 * Byte 0: bit 0 picks the reader (0 configuration, 1 state file), bits
 * 1-2 the configuration the state is checked against (fuzz_common.h's
 * four). The rest is written to a private temporary file, which the
 * reader opens by name as the programs do.
 *
 * Checked (abort() on failure):
 * - configuration: a load that succeeds leaves a configuration that
 *   config_check() accepts; a failure has a message naming the file.
 * - state: a load that succeeds is saved with state_save() and the saved
 *   file loads again (what authfold writes, it accepts), with the same
 *   number of addresses and pending bans; every loaded IPv4 entry is a
 *   /32, every IPv6 entry a /16 to /128, and no ban ends after now +
 *   bantime_max. A failure fills the fault: -EBADMSG with a reason.
 *
 * Build and run: tests/fuzz/run.sh (see tests/fuzz/README.md).
 */

#include "fuzz_common.h"
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static char in_path[64], out_path[80];

static void remove_files(void)
{
	unlink(in_path);
	unlink(out_path);
	strcat(out_path, ".tmp");
	unlink(out_path);
}

static void write_input(const uint8_t *data, size_t size)
{
	int fd = open(in_path, O_WRONLY | O_TRUNC | O_CLOEXEC);

	if (fd < 0 || (size && write(fd, data, size) != (ssize_t) size) || close(fd) < 0)
		abort();
}

static void fuzz_config(void)
{
	struct config *c = config_new();
	char err[1024] = "", why[1024];

	if (c == NULL)
		abort();
	if (config_load(c, in_path, err, sizeof(err)) == 0) {
		if (config_check(c, why, sizeof(why)) < 0) {
			fprintf(stderr, "fuzz_files: a loaded configuration fails config_check(): %s\n", why);
			abort();
		}
	} else if (strncmp(err, in_path, strlen(in_path)) != 0) {
		fprintf(stderr, "fuzz_files: a configuration error does not name the file: %s\n", err);
		abort();
	}
	config_free(c);
}

static void count(struct engine *e, const struct config *c, size_t *ret_addrs)
{
	size_t n = 0;

	for (struct policy_entry *p = policy_first(engine_policy(e)); p; p = policy_next(p)) {
		if (p->net.family == AF_INET ? p->prefix != 32 : p->prefix < 16 || p->prefix > 128) {
			fprintf(stderr, "fuzz_files: an entry of prefix %u was loaded\n", p->prefix);
			abort();
		}
		if (p->ban_until_usec > fixed_clock() + c->bantime_max * INT64_C(1000000)) {
			fprintf(stderr, "fuzz_files: a ban beyond now + bantime_max was loaded\n");
			abort();
		}
		n++;
	}
	*ret_addrs = n;
}

static void fuzz_state(const struct config *c)
{
	struct engine_options eo = {.summary = sink, .clock = fixed_clock};
	struct engine *e = engine_new(c, &eo), *e2;
	struct state_extra x, x2;
	struct state_fault f = {0, NULL};
	char err[1024];
	size_t a1, a2;
	int r;

	if (e == NULL)
		abort();
	r = state_load(e, c, fixed_clock(), in_path, &x, &f);
	if (r == -EBADMSG && f.why == NULL) {
		fprintf(stderr, "fuzz_files: a corrupt state without a reason\n");
		abort();
	}
	if (r == 0) {
		count(e, c, &a1);
		if (state_save(e, out_path, &x, err, sizeof(err)) < 0) {
			fprintf(stderr, "fuzz_files: %s\n", err);
			abort();
		}
		if ((e2 = engine_new(c, &eo)) == NULL)
			abort();
		if ((r = state_load(e2, c, fixed_clock(), out_path, &x2, &f)) < 0) {
			fprintf(stderr, "fuzz_files: a state file authfold wrote does not load: line %u: %s\n", f.line,
				f.why ? f.why : strerror(-r));
			abort();
		}
		count(e2, c, &a2);
		if (a1 != a2 || engine_pending_bans(e) != engine_pending_bans(e2) ||
		    strcmp(x.cursor, x2.cursor) != 0 || x.wal_gen != x2.wal_gen) {
			fprintf(stderr, "fuzz_files: saved and loaded again, the state differs\n");
			abort();
		}
		engine_free(e2);
	}
	engine_free(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;

	if (!ready) {
		const char *dir = getenv("TMPDIR");
		int fd;

		fuzz_common_init("fuzz_files");
		snprintf(in_path, sizeof(in_path), "%.30s/fuzz_files.XXXXXX", dir && *dir ? dir : "/tmp");
		if ((fd = mkstemp(in_path)) < 0)
			abort();
		close(fd);
		snprintf(out_path, sizeof(out_path), "%s.state", in_path);
		atexit(remove_files);
		ready = 1;
	}
	if (size < 1)
		return 0;
	write_input(data + 1, size - 1);
	if (data[0] & 1)
		fuzz_state(configs[(data[0] >> 1) & 3]);
	else
		fuzz_config();
	return 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_omprog - libFuzzer target over authfold-omprog's stdin protocol.
 *
 * The input (after its first five bytes) is what rsyslog's omprog writes
 * on the program's stdin: messages, "BEGIN TRANSACTION" / "COMMIT
 * TRANSACTION" marks, overlong lines, a last line without newline. It is
 * put in a memfd and read with linereader(3), and every piece is handled
 * as plugin/authfold-omprog.c's run(), message_start() and message_done()
 * handle it: omprog_mark(), engine_line()/engine_tail(), the resend
 * memory (omprog_resend_*) around a flush that fails, and omprog_reply()
 * written to a second memfd. Saving the state and the line journal (WAL)
 * are left out: they are the state tests' business.
 *
 * Byte 0 picks the configuration (as fuzz_line's), a small line limit (48
 * bytes: ordinary lines become overlong), whether replies are written
 * (--confirm / --no-confirm), events and the ban backend (which refuses
 * one ban in three), a resend memory shorter than the line limit, and a
 * summary on /dev/full (every flush really fails). Bytes 1-4 are a mask:
 * flush number i fails (as a full disk would) when bit i % 32 is set, so
 * the resend of a failed message and its match are exercised.
 *
 * Checked (abort() on failure): every reply is "OK\n" or "ERROR <text>\n",
 * one line of fewer than 4095 bytes without control bytes, and there are
 * exactly as many replies as the program would write; the resend memory
 * matches exactly when a model of it (the last message whose flush
 * failed or whose line failed in the engine, unless a later one was
 * written) says so. A refused ban never makes an ERROR reply.
 *
 * KEEP IN STEP with plugin/authfold-omprog.c: this is a copy of its
 * per-line logic, not a call into it.
 *
 * Build and run: tests/fuzz/run.sh (see tests/fuzz/README.md).
 */

#include "fuzz_common.h"
#include "linereader.h"
#include "omprog.h"
#include "sender.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int in_fd, reply_fd;

static void init(void)
{
	fuzz_common_init("fuzz_omprog");
	if ((in_fd = memfd_create("fuzz_omprog.in", MFD_CLOEXEC)) < 0 ||
	    (reply_fd = memfd_create("fuzz_omprog.replies", MFD_CLOEXEC)) < 0)
		abort();
}

/* The program's struct omprog, the part that the per-line logic uses. */
struct op {
	struct engine *e;
	struct omprog_resend *resend;
	bool confirm;
	bool skip;
	int line_error;
	uint32_t fail_mask;
	unsigned flushes;
	unsigned replies;	/* written */
	/* a model of the resend memory: the message whose flush failed */
	size_t resend_max;
	char *model;
	size_t model_len;
	bool model_valid, model_overlong;
};

static int reply(struct op *op, const char *why)
{
	if (why != NULL && strstr(why, "cannot ban") != NULL)
		abort();	/* only the outputs make an ERROR */
	if (!op->confirm)
		return 0;
	op->replies++;
	return omprog_reply(reply_fd, why);
}

static int flush(struct op *op, const char **ret_why)
{
	int r;

	if (op->fail_mask >> (op->flushes++ % 32) & 1) {
		*ret_why = "cannot write '/var/log/authfold/summary.log': No space left on device";
		return -ENOSPC;
	}
	r = engine_flush(op->e);
	if (r < 0) {
		*ret_why = engine_error(op->e)[0] ? engine_error(op->e) : strerror(-r);
		return r;
	}
	*ret_why = NULL;
	return 0;
}

static int message_done(struct op *op, const char *head, size_t head_len, bool overlong)
{
	const char *why;

	if (op->line_error < 0 || flush(op, &why) < 0) {
		if (op->line_error < 0)	/* folded all the same: remembered too */
			why = engine_error(op->e)[0] ? engine_error(op->e) : strerror(-op->line_error);
		if (!op->skip) {
			omprog_resend_set(op->resend, head, head_len, overlong);
			/* a head longer than the memory can never match */
			op->model_valid = head_len <= op->resend_max;
			memcpy(op->model, head, head_len);
			op->model_len = head_len;
			op->model_overlong = overlong;
		}
		return reply(op, why);
	}
	omprog_resend_clear(op->resend);
	op->model_valid = false;
	return reply(op, NULL);
}

static void message_start(struct op *op, const char *p, size_t n, bool complete)
{
	op->line_error = 0;
	op->skip = omprog_resend_match(op->resend, p, n, !complete);
	if (op->skip != (op->model_valid && op->model_overlong == !complete && op->model_len == n &&
			 memcmp(op->model, p, n) == 0))
		abort();	/* the resend memory disagrees with the model */
	if (!op->skip) {
		/* the sender's credentials before the line (sender(3)), trusting uid 102 */
		static const struct sender_trust trust = {.uids = {102}, .n_uids = 1, .uncredited_decide = true};
		struct sender_cred cred = {.has_uid = false};
		size_t pre = sender_prefix(p, n, &cred);
		enum sender_kind k = sender_judge(&trust, NULL, &cred, p + pre, n - pre);

		if (pre > n)
			abort();
		op->line_error = engine_line_from(op->e, p + pre, n - pre, complete, sender_may_decide(&trust, k),
						  sender_folds_chatter(&cred, k));
	}
}

/* The replies: one line each, "OK" or "ERROR " and printable text. */
static void check_replies(unsigned expected)
{
	off_t len = lseek(reply_fd, 0, SEEK_END);
	unsigned lines = 0;

	if (len < 0)
		abort();
	char *buf = malloc((size_t) len + 1);

	if (buf == NULL || pread(reply_fd, buf, (size_t) len, 0) != len)
		abort();
	for (char *p = buf, *end = buf + len; p < end; lines++) {
		char *nl = memchr(p, '\n', (size_t) (end - p));

		if (nl == NULL || nl - p >= 4094)
			abort();
		if (!(nl - p == 2 && memcmp(p, "OK", 2) == 0)) {
			if (nl - p < 7 || memcmp(p, "ERROR ", 6) != 0)
				abort();
			for (char *q = p; q < nl; q++)
				if ((unsigned char) *q < 0x20 || *q == 0x7f)
					abort();
		}
		p = nl + 1;
	}
	if (lines != expected)
		abort();
	free(buf);
	if (ftruncate(reply_fd, 0) < 0 || lseek(reply_fd, 0, SEEK_SET) < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;

	if (!ready) {
		init();
		ready = 1;
	}
	if (size < 5)
		return 0;
	unsigned mode = data[0];
	const struct config *c = configs[mode & 3];
	size_t limit = (mode & 4) ? 48 : ENGINE_LINE_MAX;
	struct output *full = NULL;	/* per input: its unwritten bytes pile up */

	if ((mode & 128) && output_open("/dev/full", &full) < 0)
		full = NULL;	/* no /dev/full: that mode writes to /dev/null */
	struct ban_backend backend = {.add = record_add, .set4 = "authfold4", .set6 = "authfold6"};
	struct engine_options o = {
		.summary = full ? full : sink,
		.events = (mode & 16) ? NULL : events,
		.backend = (mode & 32) ? NULL : &backend,
		.clock = fixed_clock,
	};
	struct op op = {
		.e = engine_new(c, &o),
		/* the program: ENGINE_LINE_MAX, the line limit; shorter: heads are cut */
		.resend_max = (mode & 64) ? limit / 2 : limit,
		.model = malloc(limit),
		.confirm = (mode & 8) == 0,
		.fail_mask = (uint32_t) data[1] | (uint32_t) data[2] << 8 | (uint32_t) data[3] << 16 |
			     (uint32_t) data[4] << 24,
	};
	struct linereader *lr = NULL;

	op.resend = omprog_resend_new(op.resend_max);
	char *head = malloc(limit);
	size_t head_n = 0;

	if (op.e == NULL || op.resend == NULL || op.model == NULL || head == NULL)
		abort();
	data += 5, size -= 5;
	if (ftruncate(in_fd, 0) < 0 || (size > 0 && pwrite(in_fd, data, size, 0) != (ssize_t) size) ||
	    lseek(in_fd, 0, SEEK_SET) < 0 || (lr = linereader_new(in_fd, limit)) == NULL)
		abort();

	int r = 0;

	if (op.confirm)
		r = reply(&op, NULL);	/* the greeting */
	while (r >= 0) {
		const char *p;
		size_t n;
		enum line_piece piece;

		r = linereader_next(lr, &p, &n, &piece);
		if (r <= 0)
			break;
		if (n > limit)
			abort();
		switch (piece) {
		case LINE_COMPLETE:
			switch (omprog_mark(p, n)) {
			case OMPROG_BEGIN:
				r = reply(&op, NULL);
				break;
			case OMPROG_COMMIT: {
				const char *why;

				(void) flush(&op, &why);
				r = reply(&op, why);
				break;
			}
			case OMPROG_MESSAGE:
				message_start(&op, p, n, true);
				r = message_done(&op, p, n, false);
				break;
			}
			break;
		case LINE_HEAD:
			memcpy(head, p, n);
			head_n = n;
			message_start(&op, p, n, false);
			break;
		case LINE_TAIL:
		case LINE_TAIL_LAST:
			if (!op.skip && op.line_error == 0)
				op.line_error = engine_tail(op.e, p, n, piece == LINE_TAIL_LAST);
			if (piece == LINE_TAIL_LAST)
				r = message_done(&op, head, head_n, true);
			break;
		}
	}
	if (r < 0)
		abort();	/* a memfd read or reply write failed */
	/* EOF: the program's last flush */
	engine_flush(op.e);
	check_replies(op.replies);
	linereader_free(lr);
	free(head);
	free(op.model);
	omprog_resend_free(op.resend);
	engine_free(op.e);
	output_free(full);
	return 0;
}

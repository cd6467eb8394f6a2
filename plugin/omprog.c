/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	omprog 3
 * SUMMARY
 *	rsyslog omprog's side of the protocol: replies, marks, resends
 * SYNOPSIS
 *	#include "omprog.h"
 *
 *	enum omprog_mark omprog_mark(line, len)
 *	int	omprog_reply(fd, why)
 *	int	omprog_reply_deferred(fd)
 *	struct omprog_resend *omprog_resend_new(max)
 *	void	omprog_resend_set(rs, p, n, overlong)
 *	bool	omprog_resend_match(rs, p, n, overlong)
 *
 *	int	omprog_input_open(&in, STDIN_FILENO, max)
 *	int	omprog_input_next(&in, &p, &n, &piece, err, errlen)
 *	void	omprog_input_close(&in)
 * DESCRIPTION
 *	omprog_mark() recognises rsyslog's default transaction marks,
 *	"BEGIN TRANSACTION" and "COMMIT TRANSACTION" (useTransactions="on"),
 *	exactly; every other line is a message.
 *
 *	omprog_reply() writes one reply line: "OK", which rsyslog compares
 *	with strcmp() (no trailing space or CR), or "ERROR <why>", which
 *	rsyslog takes as a recoverable error and answers by sending the same
 *	message again. The reply goes out in a single write(2) on the
 *	unbuffered fd, so nothing waits in a stdio buffer.
 *	omprog_reply_deferred() writes "DEFER_COMMIT": inside a transaction,
 *	the message is taken, and done once its COMMIT TRANSACTION is
 *	answered OK (measured with rsyslog 8.2302: such messages come in one
 *	transaction, and an ERROR answer to the COMMIT makes rsyslog send
 *	every one of them again).
 *
 *	An omprog_resend remembers the message whose flush failed. rsyslog
 *	sends that message again; the caller has folded it already (its
 *	output waits in the output buffer) and must only retry the flush:
 *	omprog_resend_match() tells it so. For a line longer than the
 *	engine's limit, the head is compared. A head longer than the memory
 *	(max bytes; authfold-omprog gives the line limit, so never) is not
 *	remembered: its resend is folded again, doubled rather than lost.
 *
 *	An omprog_input is rsyslog's pipe as the source of a daemon(3) loop
 *	with a tick (OMPROG_TICK_MS): the daemon's read calls
 *	omprog_input_next() and returns what it says, or handles the piece
 *	(linereader(3): a complete line, or the head, tail pieces and last
 *	piece of a line longer than max). The pipe is read with a blocking
 *	read(2) that the tick interrupts, so the idle duties run without a
 *	poll(2) before every read (rsyslog sends one line per reply: the
 *	buffer is empty before nearly every read); DAEMON_IDLE is returned
 *	at most once per tick, only between lines. After SIGTERM or SIGINT
 *	the lines already in the pipe are still read (with
 *	confirmMessages="off" rsyslog writes ahead, then signals) until it
 *	is quiet for OMPROG_DRAIN_LULL_MS or OMPROG_DRAIN_MAX_MS passed.
 * DIAGNOSTICS
 *	omprog_reply() returns 0 or -errno of write(2); omprog_input_next()
 *	-errno of poll(2) or read(2), with "cannot poll stdin: ..." or
 *	"cannot read stdin: ..." in err.
 * SECURITY
 *	The error text is built from paths and strerror(), never from the
 *	message; it is still cut to OMPROG_REPLY_MAX and control bytes are
 *	replaced, because a reply of several lines or of 4095 bytes makes
 *	rsyslog kill the program. The resend buffer is allocated once
 *	(max bytes).
 * BUGS
 *	A message that is byte for byte the same as the one that just failed
 *	is taken for its resend. With RSYSLOG_FileFormat (microsecond
 *	timestamps) two such distinct messages do not occur in practice.
 */

#include "omprog.h"

#include "daemon.h"
#include "strlit.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct omprog_resend {
	char *buf;
	size_t max, len;
	bool valid, overlong;
};

enum omprog_mark omprog_mark(const char *line, size_t len)
{
	static const char begin[] = "BEGIN TRANSACTION", commit[] = "COMMIT TRANSACTION";

	if (len == sizeof(begin) - 1 && memcmp(line, begin, len) == 0)
		return OMPROG_BEGIN;
	if (len == sizeof(commit) - 1 && memcmp(line, commit, len) == 0)
		return OMPROG_COMMIT;
	return OMPROG_MESSAGE;
}

/* n bytes of buf in write(2)s, EINTR retried. */
static int write_all(int fd, const char *buf, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t w = write(fd, buf + done, n - done);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		done += (size_t) w;
	}
	return 0;
}

int omprog_reply_deferred(int fd)
{
	return write_all(fd, "DEFER_COMMIT\n", STRLIT_LEN("DEFER_COMMIT\n"));
}

int omprog_reply(int fd, const char *why)
{
	char buf[OMPROG_REPLY_MAX + 8];
	size_t n;

	if (why == NULL) {
		memcpy(buf, "OK\n", STRLIT_LEN("OK\n"));
		n = STRLIT_LEN("OK\n");
	} else {
		memcpy(buf, "ERROR ", STRLIT_LEN("ERROR "));
		n = STRLIT_LEN("ERROR ");
		for (const char *p = why[0] ? why : "unknown failure"; *p && n < OMPROG_REPLY_MAX; p++)
			buf[n++] = (unsigned char) *p < 0x20 || *p == 0x7f ? '?' : *p;
		buf[n++] = '\n';
	}
	return write_all(fd, buf, n);
}

struct omprog_resend *omprog_resend_new(size_t max)
{
	struct omprog_resend *rs = calloc(1, sizeof(*rs));

	if (rs == NULL)
		return NULL;
	if ((rs->buf = malloc(max ? max : 1)) == NULL) {
		free(rs);
		return NULL;
	}
	rs->max = max;
	return rs;
}

void omprog_resend_free(struct omprog_resend *rs)
{
	if (rs == NULL)
		return;
	free(rs->buf);
	free(rs);
}

void omprog_resend_set(struct omprog_resend *rs, const char *p, size_t n, bool overlong)
{
	if (n > rs->max) {
		/* A cut copy would match another message equal to the cut
		   (never folded): remember nothing, the resend is folded again. */
		rs->valid = false;
		return;
	}
	memcpy(rs->buf, p, n);
	rs->len = n;
	rs->overlong = overlong;
	rs->valid = true;
}

void omprog_resend_clear(struct omprog_resend *rs)
{
	rs->valid = false;
}

bool omprog_resend_match(const struct omprog_resend *rs, const char *p, size_t n, bool overlong)
{
	return rs->valid && rs->overlong == overlong && rs->len == n && memcmp(rs->buf, p, n) == 0;
}

int omprog_input_open(struct omprog_input *in, int fd, size_t max)
{
	memset(in, 0, sizeof(*in));
	in->fd = fd;
	if ((in->lr = linereader_new(fd, max)) == NULL)
		return -ENOMEM;
	linereader_set_interruptible(in->lr, true);	/* the tick's EINTR */
	in->seen_tick = daemon_ticks();
	return 0;
}

void omprog_input_close(struct omprog_input *in)
{
	linereader_free(in->lr);
	in->lr = NULL;
}

static int64_t input_ms(void)
{
	return (int64_t) (daemon_now() / 1000);
}

int omprog_input_next(struct omprog_input *in, const char **ret_p, size_t *ret_n, enum line_piece *ret_piece,
		      char *err, size_t errlen)
{
	bool between = !in->in_long && !linereader_buffered(in->lr);
	int r;

	if (daemon_stopping() && in->term_at == 0)
		in->term_at = input_ms();
	if (between && in->term_at) {
		/* Drain what rsyslog wrote before it signalled, then stop. */
		struct pollfd pfd = {in->fd, POLLIN, 0};

		if (input_ms() - in->term_at >= OMPROG_DRAIN_MAX_MS)
			return DAEMON_END;
		int pr = poll(&pfd, 1, OMPROG_DRAIN_LULL_MS);

		if (pr < 0 && errno == EINTR)
			return DAEMON_AGAIN;
		if (pr < 0) {
			r = -errno;
			snprintf(err, errlen, "cannot poll stdin: %s", strerror(errno));
			return r;
		}
		if (pr == 0)
			return DAEMON_END;
	} else if (between && daemon_ticks() != in->seen_tick) {
		/* About to block, and a tick came since the last look. */
		in->seen_tick = daemon_ticks();
		return DAEMON_IDLE;
	}
	r = linereader_next(in->lr, ret_p, ret_n, ret_piece);
	if (r == -EINTR)
		return DAEMON_AGAIN;	/* the tick or another signal */
	if (r == 0)
		return DAEMON_END;	/* EOF: rsyslog closed the pipe */
	if (r < 0) {
		snprintf(err, errlen, "cannot read stdin: %s", strerror(-r));
		return r;
	}
	if (*ret_piece == LINE_HEAD)
		in->in_long = true;
	else if (*ret_piece == LINE_TAIL_LAST)
		in->in_long = false;
	return OMPROG_PIECE;
}

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
 *	struct omprog_resend *omprog_resend_new(max)
 *	void	omprog_resend_set(rs, p, n, overlong)
 *	bool	omprog_resend_match(rs, p, n, overlong)
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
 *
 *	An omprog_resend remembers the message whose flush failed. rsyslog
 *	sends that message again; the caller has folded it already (its
 *	output waits in the output buffer) and must only retry the flush:
 *	omprog_resend_match() tells it so. For a line longer than the
 *	engine's limit, the head is compared. A head longer than the memory
 *	(max bytes; authfold-omprog gives the line limit, so never) is not
 *	remembered: its resend is folded again, doubled rather than lost.
 * DIAGNOSTICS
 *	omprog_reply() returns 0 or -errno of write(2).
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

#include <errno.h>
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

int omprog_reply(int fd, const char *why)
{
	char buf[OMPROG_REPLY_MAX + 8];
	size_t n, done = 0;

	if (why == NULL) {
		memcpy(buf, "OK\n", 3);
		n = 3;
	} else {
		memcpy(buf, "ERROR ", 6);
		n = 6;
		for (const char *p = why[0] ? why : "unknown failure"; *p && n < OMPROG_REPLY_MAX; p++)
			buf[n++] = (unsigned char) *p < 0x20 || *p == 0x7f ? '?' : *p;
		buf[n++] = '\n';
	}
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

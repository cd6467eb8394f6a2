/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * okprog - the do-nothing omprog program bench/omprog/run.sh measures
 * authfold-omprog against: it answers "OK" once at start and then once
 * per line rsyslog writes, and does nothing else. With confirmMessages
 * "on" rsyslog waits for each reply, so this is the fastest any program
 * that confirms can go under the same rsyslogd, queue and input.
 *
 * It reads stdin in 64 KiB blocks and writes one reply per complete line
 * (with confirmMessages on there is one line per read), so its cost per
 * line is one read(2) and one write(2), as small as the protocol allows.
 * Built by run.sh with cc -O2; not installed.
 *
 *	okprog DIR N
 *
 * For run.sh to know when it is done (it writes no file): it creates
 * DIR/warm when it reads the warm-up sentinel, then counts the lines
 * after it (not useTransactions' marks) and creates DIR/done at the N-th
 * (whatever their order).
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void touch(const char *dir, const char *name)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	close(open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
}

static int reply(size_t n)
{
	static const char ok[] = "OK\nOK\nOK\nOK\nOK\nOK\nOK\nOK\n";
	while (n > 0) {
		size_t k = n > 8 ? 8 : n;
		ssize_t w = write(STDOUT_FILENO, ok, 3 * k);

		if (w < 0 && errno == EINTR)
			continue;
		if (w != (ssize_t) (3 * k))
			return -1;
		n -= k;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static char buf[65536];
	unsigned long long want = argc > 2 ? strtoull(argv[2], NULL, 10) : 0, seen = 0;
	int warm = 0;
	ssize_t n;

	if (reply(1) < 0)
		return 1;
	while ((n = read(STDIN_FILENO, buf, sizeof(buf))) != 0) {
		size_t lines = 0;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		size_t marks = 0;

		for (char *p = buf, *end = buf + n, *nl; (nl = memchr(p, '\n', (size_t) (end - p))) != NULL; p = nl + 1) {
			lines++;
			if (*p == 'B' || *p == 'C')	/* useTransactions marks are not messages */
				marks += (nl - p == 17 && memcmp(p, "BEGIN TRANSACTION", 17) == 0) ||
					 (nl - p == 18 && memcmp(p, "COMMIT TRANSACTION", 18) == 0);
		}
		if (reply(lines) < 0)
			return 1;
		lines -= marks;
		if (argc > 2 && !warm && memmem(buf, (size_t) n, "warm-up", 7)) {
			warm = 1;
			touch(argv[1], "warm");
		} else if (warm && seen < want && (seen += lines) >= want) {
			touch(argv[1], "done");
		}
	}
	return 0;
}

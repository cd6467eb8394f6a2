/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pingpong - rsyslog omprog's protocol on a bare pipe, for
 * bench/omprog/pipe.sh: starts PROG ARGS with pipes on its stdin and
 * stdout, waits for its first "OK", then writes the lines of stdin (read
 * into memory first) REPS times (environment, default 10), one at a time,
 * each after the reply to the one before, as rsyslog does with
 * confirmMessages on. Prints "LINES SECONDS LINES_PER_SECOND".
 *
 *	pingpong PROG [ARGS...] <LOG
 */

#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Reads one reply line (byte by byte, as rsyslog's omprog does). */
static int reply(int fd)
{
	char b[4096];
	size_t got = 0;

	for (;;) {
		ssize_t n = read(fd, b + got, 1);

		if (n <= 0)
			return -1;
		if (b[got] == '\n')
			return strncmp(b, "OK\n", 3) == 0 ? 0 : -1;
		if (++got >= sizeof(b))
			return -1;
	}
}

int main(int argc, char **argv)
{
	int in[2], out[2], reps = getenv("REPS") ? atoi(getenv("REPS")) : 10;
	char *line = NULL, **all = NULL;
	size_t cap = 0, *len = NULL, na = 0, ca = 0;
	struct timespec t0, t1;
	ssize_t n;
	long lines = 0;
	pid_t pid;

	if (argc < 2 || pipe(in) < 0 || pipe(out) < 0) {
		fputs("usage: pingpong PROG [ARGS...] <LOG\n", stderr);
		return 2;
	}
	while ((n = getline(&line, &cap, stdin)) > 0) {
		if (na == ca) {
			ca = ca ? ca * 2 : 1024;
			if ((all = realloc(all, ca * sizeof(*all))) == NULL || (len = realloc(len, ca * sizeof(*len))) == NULL)
				return 1;
		}
		if ((all[na] = malloc((size_t) n)) == NULL)
			return 1;
		memcpy(all[na], line, (size_t) n);
		len[na++] = (size_t) n;
	}
	if ((pid = fork()) == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		execv(argv[1], argv + 1);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	if (reply(out[0]) < 0) {
		fprintf(stderr, "pingpong: %s did not start with OK\n", argv[1]);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int r = 0; r < reps; r++)
		for (size_t i = 0; i < na; i++, lines++)
			if (write(in[1], all[i], len[i]) != (ssize_t) len[i] || reply(out[0]) < 0) {
				fprintf(stderr, "pingpong: no OK for line %zu\n", i);
				return 1;
			}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	close(in[1]);
	waitpid(pid, NULL, 0);
	double s = (double) (t1.tv_sec - t0.tv_sec) + (double) (t1.tv_nsec - t0.tv_nsec) / 1e9;

	printf("%ld %.3f %.0f\n", lines, s, (double) lines / s);
	return 0;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_linereader - linereader_next() over a pipe.
 *
 * Tables: the bytes a writer sends (in the chunks it sends them) and the
 * pieces the reader must return, written as KIND:TEXT joined by '|'
 * (C complete, H head, T tail, L last tail).
 */

#include "linereader.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

static const char kinds[] = {[LINE_COMPLETE] = 'C', [LINE_HEAD] = 'H', [LINE_TAIL] = 'T', [LINE_TAIL_LAST] = 'L'};

/* A child writes the chunks (NULL-terminated list) into a pipe, one write each. */
static int writer(const char *const *chunks, const size_t *lens, pid_t *ret_pid)
{
	int fds[2];

	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		for (size_t i = 0; chunks[i]; i++) {
			size_t n = lens ? lens[i] : strlen(chunks[i]), done = 0;

			while (done < n) {
				ssize_t w = write(fds[1], chunks[i] + done, n - done);

				if (w < 0)
					_exit(1);
				done += (size_t) w;
			}
			usleep(2000);	/* let the reader see the chunk alone */
		}
		_exit(0);
	}
	close(fds[1]);
	*ret_pid = pid;
	return fds[0];
}

static void reap(pid_t pid)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Reads everything; returns the pieces as "K:text|K:text". */
static char *pieces(int fd, size_t max_line)
{
	struct linereader *lr = linereader_new(fd, max_line);
	size_t cap = 4096, len = 0;
	char *out = malloc(cap);
	const char *p;
	size_t n;
	enum line_piece piece;
	int r;

	assert_non_null(lr);
	out[0] = 0;
	while ((r = linereader_next(lr, &p, &n, &piece)) > 0) {
		assert_true(n <= max_line);
		while (len + n + 4 > cap)
			out = realloc(out, cap *= 2);
		if (len)
			out[len++] = '|';
		out[len++] = kinds[piece];
		out[len++] = ':';
		memcpy(out + len, p, n);
		len += n;
		out[len] = 0;
	}
	assert_int_equal(r, 0);
	assert_int_equal(linereader_next(lr, &p, &n, &piece), 0);	/* EOF stays EOF */
	linereader_free(lr);
	close(fd);
	return out;
}

static void test_table(void **state)
{
	(void) state;
	static const struct {
		size_t max_line;
		const char *chunks[8];
		const char *want;
	} rows[] = {
		{16, {NULL}, ""},
		{16, {"a\n", NULL}, "C:a"},
		{16, {"a\nb\n", NULL}, "C:a|C:b"},
		{16, {"\n\n", NULL}, "C:|C:"},
		{16, {"last line without newline", NULL}, "H:last line withou|L:t newline"},
		{16, {"no newline", NULL}, "C:no newline"},
		{16, {"a\nno newline", NULL}, "C:a|C:no newline"},
		{16, {"spl", "it ", "line\n", NULL}, "C:split line"},
		/* exactly max_line: complete */
		{4, {"abcd\nef\n", NULL}, "C:abcd|C:ef"},
		/* max_line + 1 */
		{4, {"abcde\nef\n", NULL}, "H:abcd|L:e|C:ef"},
		/* a multiple of max_line */
		{4, {"abcdefgh\nx\n", NULL}, "H:abcd|L:efgh|C:x"},
		{4, {"abcdefghij\nx\n", NULL}, "H:abcd|T:efgh|L:ij|C:x"},
		/* the overlong line arrives in pieces */
		{4, {"ab", "cdef", "ghi", "j\n", "x\n", NULL}, "H:abcd|T:efgh|L:ij|C:x"},
		/* an overlong last line without newline */
		{4, {"abcdefghij", NULL}, "H:abcd|T:efgh|L:ij"},
		{4, {"abcdefgh", NULL}, "H:abcd|T:efgh|L:"},
		{4, {"abcde", NULL}, "H:abcd|L:e"},
		/* two overlong lines in a row stay in sync */
		{3, {"aaaaaaa\nbbbbb\nc\n", NULL}, "H:aaa|T:aaa|L:a|H:bbb|L:bb|C:c"},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		pid_t pid;
		int fd = writer(rows[i].chunks, NULL, &pid);
		char *got = pieces(fd, rows[i].max_line);

		reap(pid);
		print_message("row %zu: %s\n", i, got);
		assert_string_equal(got, rows[i].want);
		free(got);
	}
}

/* NUL and other bytes are data. */
static void test_binary(void **state)
{
	(void) state;
	static const char data[] = "a\0b\n\xff\xfe\r\n\0\n";
	const char *chunks[] = {data, NULL};
	size_t lens[] = {sizeof(data) - 1};
	pid_t pid;
	int fd = writer(chunks, lens, &pid);
	struct linereader *lr = linereader_new(fd, 64);
	const char *p;
	size_t n;
	enum line_piece piece;

	assert_int_equal(linereader_next(lr, &p, &n, &piece), 1);
	assert_int_equal(n, 3);
	assert_memory_equal(p, "a\0b", 3);
	assert_int_equal(linereader_next(lr, &p, &n, &piece), 1);
	assert_int_equal(n, 3);
	assert_memory_equal(p, "\xff\xfe\r", 3);
	assert_int_equal(linereader_next(lr, &p, &n, &piece), 1);
	assert_int_equal(n, 1);
	assert_int_equal(p[0], 0);
	assert_int_equal(piece, LINE_COMPLETE);
	assert_int_equal(linereader_next(lr, &p, &n, &piece), 0);
	assert_int_equal(linereader_bytes(lr), sizeof(data) - 1);
	linereader_free(lr);
	linereader_free(NULL);
	close(fd);
	reap(pid);
}

/* Big overlong lines between normal ones: pieces add up, sync is kept. */
static void test_overlong_sync(void **state)
{
	(void) state;
	const size_t max_line = 1000;
	const size_t sizes[] = {0, 1, 999, 1000, 1001, 1999, 2000, 2001, 65536, 65537, 300000, 1 << 20};
	const size_t nsizes = sizeof(sizes) / sizeof(sizes[0]);
	size_t total = 0;

	for (size_t i = 0; i < nsizes; i++)
		total += sizes[i] + 1 + 8;
	char *data = malloc(total + 1);	/* + the NUL of the last sprintf */
	size_t len = 0;

	for (size_t i = 0; i < nsizes; i++) {
		for (size_t k = 0; k < sizes[i]; k++)
			data[len++] = (char) ('a' + (i + k) % 26);
		data[len++] = '\n';
		len += (size_t) sprintf(data + len, "sync%03zu\n", i);
	}
	const char *chunks[] = {data, NULL};
	size_t lens[] = {len};
	pid_t pid;
	int fd = writer(chunks, lens, &pid);
	struct linereader *lr = linereader_new(fd, max_line);
	const char *p;
	size_t n;
	enum line_piece piece;

	for (size_t i = 0; i < nsizes; i++) {
		size_t got = 0;

		assert_int_equal(linereader_next(lr, &p, &n, &piece), 1);
		if (sizes[i] <= max_line) {
			assert_int_equal(piece, LINE_COMPLETE);
			assert_int_equal(n, sizes[i]);
		} else {
			assert_int_equal(piece, LINE_HEAD);
			assert_int_equal(n, max_line);
			got = n;
			do {
				assert_int_equal(linereader_next(lr, &p, &n, &piece), 1);
				assert_true(piece == LINE_TAIL || piece == LINE_TAIL_LAST);
				assert_true(n <= max_line);
				for (size_t k = 0; k < n; k++)
					assert_int_equal(p[k], (char) ('a' + (i + got + k) % 26));
				got += n;
			} while (piece == LINE_TAIL);
			assert_int_equal(got, sizes[i]);
		}
		char want[16];

		snprintf(want, sizeof(want), "sync%03zu", i);
		assert_int_equal(linereader_next(lr, &p, &n, &piece), 1);
		assert_int_equal(piece, LINE_COMPLETE);
		assert_int_equal(n, 7);
		assert_memory_equal(p, want, 7);
	}
	assert_int_equal(linereader_next(lr, &p, &n, &piece), 0);
	assert_int_equal(linereader_bytes(lr), len);
	linereader_free(lr);
	close(fd);
	reap(pid);
	free(data);
}

static void on_alarm(int sig)
{
	(void) sig;
	static const char msg[] = "linereader blocked with a complete line buffered\n";

	(void) !write(2, msg, sizeof(msg) - 1);
	_exit(1);
}

/* A complete line is returned as soon as its newline arrives (omprog). */
static void test_no_wait(void **state)
{
	(void) state;
	int data[2], ack[2];

	assert_int_equal(pipe(data), 0);
	assert_int_equal(pipe(ack), 0);
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		char c;

		close(data[0]);
		close(ack[1]);
		if (write(data[1], "one\ntwo\n", 8) != 8 || read(ack[0], &c, 1) != 1 ||
		    write(data[1], "three\n", 6) != 6)
			_exit(1);
		_exit(0);
	}
	close(data[1]);
	close(ack[0]);
	signal(SIGALRM, on_alarm);
	alarm(10);

	struct linereader *lr = linereader_new(data[0], 64);
	const char *p;
	size_t n;
	enum line_piece piece;

	assert_int_equal(linereader_next(lr, &p, &n, &piece), 1);
	assert_memory_equal(p, "one", 3);
	assert_true(linereader_buffered(lr));
	assert_int_equal(linereader_next(lr, &p, &n, &piece), 1);
	assert_memory_equal(p, "two", 3);
	assert_false(linereader_buffered(lr));
	assert_int_equal(write(ack[1], "x", 1), 1);
	assert_int_equal(linereader_next(lr, &p, &n, &piece), 1);
	assert_int_equal(n, 5);
	assert_memory_equal(p, "three", 5);
	assert_int_equal(linereader_next(lr, &p, &n, &piece), 0);
	alarm(0);
	linereader_free(lr);
	close(data[0]);
	close(ack[1]);
	reap(pid);
}

static void test_read_error(void **state)
{
	(void) state;
	struct linereader *lr = linereader_new(-1, 16);
	const char *p;
	size_t n;
	enum line_piece piece;

	assert_int_equal(linereader_next(lr, &p, &n, &piece), -EBADF);
	linereader_free(lr);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_binary),
		cmocka_unit_test(test_overlong_sync),
		cmocka_unit_test(test_no_wait),
		cmocka_unit_test(test_read_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

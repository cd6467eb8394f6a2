/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_output - output(3): the mapped journal (output_open_mapped()) and
 * the refusal of a symbolic link another user owns.
 */

#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

static char dir[64];

static int setup(void **state)
{
	(void) state;
	snprintf(dir, sizeof(dir), "/tmp/test_output.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void) state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static size_t file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return (size_t) st.st_size;
}

/* The bytes of path up to its first NUL (what a journal reader sees). */
static char *contents(const char *path)
{
	FILE *fp = fopen(path, "re");
	char *buf = calloc(1, 1 << 20);
	size_t n;

	assert_non_null(fp);
	n = fread(buf, 1, (1 << 20) - 1, fp);
	buf[n] = 0;
	fclose(fp);
	return buf;
}

static void test_mapped(void **state)
{
	(void) state;
	char path[128], *text;
	struct output *o;

	snprintf(path, sizeof(path), "%s/wal", dir);
	assert_int_equal(output_open_mapped(path, 4096, &o), 0);
	assert_int_equal(file_size(path), 4096);	/* the window, zeros */
	assert_int_equal(output_write(o, "head\n", 5), 0);
	assert_int_equal(output_flush(o), 0);
	assert_int_equal(output_pending(o), 0);
	/* in the file at once, without a flush: a reader sees it */
	text = contents(path);
	assert_string_equal(text, "head\n");
	free(text);
	/* past the window: the mapping doubles */
	char big[6000];

	memset(big, 'x', sizeof(big));
	assert_int_equal(output_write(o, big, sizeof(big)), 0);
	assert_int_equal(file_size(path), 8192);
	assert_int_equal(strlen(text = contents(path)), 5 + sizeof(big));
	free(text);
	/* truncate: zeros from the start */
	assert_int_equal(output_truncate(o), 0);
	text = contents(path);
	assert_string_equal(text, "");
	free(text);
	assert_int_equal(output_write(o, "gen 2\nline\n", 11), 0);
	output_free(o);
	/* closed: cut to what was written */
	assert_int_equal(file_size(path), 11);
	/* opened again: writes go after what it held (less a tail of zeros) */
	assert_int_equal(output_open_mapped(path, 4096, &o), 0);
	assert_int_equal(output_write(o, "more\n", 5), 0);
	output_free(o);
	text = contents(path);
	assert_string_equal(text, "gen 2\nline\nmore\n");
	free(text);
	/* a killed writer's tail of zeros is not taken for data */
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	assert_int_equal(ftruncate(fd, 8192), 0);
	close(fd);
	assert_int_equal(output_open_mapped(path, 4096, &o), 0);
	assert_int_equal(output_write(o, "end\n", 4), 0);
	output_free(o);
	text = contents(path);
	assert_string_equal(text, "gen 2\nline\nmore\nend\n");
	free(text);
	assert_int_equal(output_open_mapped("-", 4096, &o), -EINVAL);
}

static void test_links(void **state)
{
	(void) state;
	char target[128], link[128];
	struct output *o;

	snprintf(target, sizeof(target), "%s/target", dir);
	snprintf(link, sizeof(link), "%s/link", dir);
	assert_int_equal(symlink(target, link), 0);
	/* a link of this user: followed */
	assert_int_equal(output_open(link, &o), 0);
	assert_int_equal(output_write(o, "x\n", 2), 0);
	output_free(o);
	assert_int_equal(file_size(target), 2);
	if (geteuid() == 0) {
		/* a link of another user: refused, the target untouched */
		assert_int_equal(lchown(link, 65534, 65534), 0);
		assert_int_equal(output_open(link, &o), -ELOOP);
		assert_int_equal(output_open_mapped(link, 4096, &o), -ELOOP);
		assert_int_equal(file_size(target), 2);
		assert_non_null(strstr(output_strerror(-ELOOP), "symbolic link"));
	}
	assert_int_equal(output_open(dir, &o), -EISDIR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mapped),
		cmocka_unit_test(test_links),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	ipset_check 1
 * SUMMARY
 *	exercise the ipset backend and the privilege drop against the kernel
 * SYNOPSIS
 *	ipset_check suite
 *	ipset_check quiet
 *	ipset_check open
 *	ipset_check add ADDR PREFIX SECONDS
 *	ipset_check del ADDR PREFIX
 *	ipset_check test ADDR PREFIX
 *	ipset_check timeout ADDR PREFIX
 *	ipset_check privs [expect-ok | expect-eperm]
 * DESCRIPTION
 *	Every mode refuses to run in the host's network namespace (the one
 *	of pid 1): the suite destroys and recreates sets. Run it under
 *	"unshare -n" (tests/ipset/run.sh and drop.sh do).
 *
 *	suite runs the whole table of checks and prints TAP on stdout; the
 *	kernel's state is cross-checked with the ipset(8) program.
 *
 *	quiet exercises every call, the failing ones included, and prints
 *	nothing on success: run.sh checks that its stdout stays empty
 *	(libipset must never write there).
 *
 *	open, add, del, test and timeout run one backend call on the sets
 *	named by $AUTHFOLD_SET4 and $AUTHFOLD_SET6 (default authfold4 and
 *	authfold6). test exits 0 for a member, 1 for none; timeout prints
 *	the remaining seconds.
 *
 *	privs drops privileges with privs_keep_net_admin(), prints the
 *	result as TAP and then bans an address to show that CAP_NET_ADMIN
 *	alone is enough. expect-eperm inverts the expectation (non-root
 *	without CAP_NET_ADMIN).
 * DIAGNOSTICS
 *	Exit status 0 when all checks pass, 1 otherwise, 2 on bad usage,
 *	77 (skip) in the host's network namespace.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>
#include <linux/netlink.h>

#include "addr.h"
#include "ipset.h"
#include "privs.h"

static const char *set4 = "authfold4";
static const char *set6 = "authfold6";
static unsigned tap_n, tap_failed;

static void __attribute__((format(printf, 2, 3)))
ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %u - ", cond ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!cond)
		tap_failed++;
}

static struct addr A(const char *text)
{
	struct addr a;

	if (addr_parse(text, strlen(text), &a) < 0) {
		fprintf(stderr, "ipset_check: bad address '%s'\n", text);
		exit(2);
	}
	return a;
}

/*
 * Are we in a network namespace other than pid 1's? A non-root caller
 * cannot stat /proc/1/ns/net; run.sh then passes the host's netns
 * inode in $AUTHFOLD_HOST_NETNS. Without either, refuse.
 */
static bool in_private_netns(void)
{
	struct stat self, init;
	const char *host = getenv("AUTHFOLD_HOST_NETNS");

	if (stat("/proc/self/ns/net", &self) < 0)
		return false;
	if (stat("/proc/1/ns/net", &init) == 0)
		return self.st_ino != init.st_ino || self.st_dev != init.st_dev;
	if (host == NULL || *host == 0)
		return false;
	return strtoull(host, NULL, 10) != (unsigned long long) self.st_ino;
}

/* Run a shell command, capture up to outlen-1 bytes of its output. */
static int sh(const char *cmd, char *out, size_t outlen)
{
	FILE *f = popen(cmd, "r");
	size_t n = 0;
	int st;

	if (f == NULL)
		return -1;
	if (out != NULL && outlen > 0) {
		n = fread(out, 1, outlen - 1, f);
		out[n] = 0;
	} else {
		char sink[256];

		while (fread(sink, 1, sizeof(sink), f) > 0)
			;
	}
	st = pclose(f);
	return st;
}

static void __attribute__((format(printf, 1, 2)))
shf(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	(void) sh(cmd, NULL, 0);
}

/* What `ipset list SET` says: -2 no such set, -1 no such member, else its timeout. */
static long cli_timeout(const char *set, const char *elem)
{
	char cmd[256], out[65536], *line, *save = NULL;
	size_t elen = strlen(elem);

	snprintf(cmd, sizeof(cmd), "ipset list %s 2>/dev/null", set);
	if (sh(cmd, out, sizeof(out)) != 0)
		return -2;
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, elem, elen) == 0 && strncmp(line + elen, " timeout ", 9) == 0)
			return strtol(line + elen + 9, NULL, 10);
	}
	return -1;
}

static bool cli_has(const char *set, const char *needle)
{
	char cmd[256], out[65536];

	snprintf(cmd, sizeof(cmd), "ipset list -t %s 2>/dev/null", set);
	if (sh(cmd, out, sizeof(out)) != 0)
		return false;
	return strstr(out, needle) != NULL;
}

static long cli_entries(const char *set)
{
	char cmd[256], out[4096], *p;

	snprintf(cmd, sizeof(cmd), "ipset list -t %s 2>/dev/null", set);
	if (sh(cmd, out, sizeof(out)) != 0 || (p = strstr(out, "Number of entries: ")) == NULL)
		return -1;
	return strtol(p + 19, NULL, 10);
}

/* Every netlink socket of ours must be close-on-exec; returns how many there are. */
static int netlink_fds(bool *ret_all_cloexec)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	*ret_all_cloexec = true;
	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		int fd = atoi(de->d_name), v;
		socklen_t len = sizeof(v);
		struct stat st;

		if (de->d_name[0] == '.' || fd == dirfd(d))
			continue;
		if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode))
			continue;
		if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &len) < 0 || v != AF_NETLINK)
			continue;
		n++;
		if (!(fcntl(fd, F_GETFD) & FD_CLOEXEC))
			*ret_all_cloexec = false;
	}
	closedir(d);
	return n;
}

static bool within(long v, long lo, long hi)
{
	return v >= lo && v <= hi;
}

struct listed {
	unsigned n;
	struct cidr c[4];
	unsigned secs[4];
};

static void listed_add(void *data, const struct cidr *c, unsigned seconds)
{
	struct listed *l = data;

	if (l->n < 4) {
		l->c[l->n] = *c;
		l->secs[l->n] = seconds;
	}
	l->n++;
}

static int suite(void)
{
	struct ipset_backend *b = NULL, *b2 = NULL;
	char err[512];
	unsigned secs = 0;
	long t;
	int r;
	bool cloexec;

	shf("ipset destroy %s 2>/dev/null; ipset destroy %s 2>/dev/null", set4, set6);

	/* open creates both sets with the right types */
	err[0] = 0;
	r = ipset_backend_open(set4, set6, 0, &b, err, sizeof(err));
	ok(r == 0 && b != NULL, "open creates the sets (r=%d %s)", r, err);
	if (r < 0) {
		printf("Bail out! cannot open the backend\n");
		return 1;
	}
	ok(cli_has(set4, "Type: hash:ip\n") && cli_has(set4, "family inet ") &&
	   cli_has(set4, " timeout 0"), "%s is hash:ip family inet timeout 0", set4);
	ok(cli_has(set6, "Type: hash:net\n") && cli_has(set6, "family inet6 ") &&
	   cli_has(set6, " timeout 0"), "%s is hash:net family inet6 timeout 0", set6);
	r = netlink_fds(&cloexec);
	ok(r >= 1 && cloexec, "libipset's netlink socket is close-on-exec (%d sockets)", r);

	r = ipset_backend_open(set4, set6, 0, &b2, err, sizeof(err));
	ok(r == 0, "open again accepts the existing sets (r=%d %s)", r, err);
	ipset_backend_free(b2);
	b2 = NULL;
	ipset_backend_free(NULL);
	ok(true, "free(NULL) is a no-op");

	/* add IPv4, timeout, idempotent re-add */
	struct addr v4 = A("192.0.2.50"), v4b = A("192.0.2.51");

	r = ipset_backend_add(b, &v4, 32, 300, err, sizeof(err));
	ok(r == 0, "add 192.0.2.50/32 300 s (r=%d %s)", r, err);
	t = cli_timeout(set4, "192.0.2.50");
	ok(within(t, 290, 300), "ipset list shows 192.0.2.50 timeout ~300 (%ld)", t);
	r = ipset_backend_add(b, &v4, 32, 600, err, sizeof(err));
	ok(r == 0, "add again with 600 s is not an error (r=%d %s)", r, err);
	t = cli_timeout(set4, "192.0.2.50");
	ok(within(t, 590, 600), "the re-add reset the timeout to ~600 (%ld)", t);
	ok(cli_entries(set4) == 1, "still one entry in %s (%ld)", set4, cli_entries(set4));
	r = ipset_backend_timeout(b, &v4, 32, &secs, err, sizeof(err));
	ok(r == 0 && within(secs, 590, 600), "timeout() reads ~600 (r=%d secs=%u %s)", r, secs, err);
	ok(ipset_backend_test(b, &v4, 32, err, sizeof(err)) == 1, "test 192.0.2.50 -> member");
	ok(ipset_backend_test(b, &v4b, 32, err, sizeof(err)) == 0, "test 192.0.2.51 -> not a member");
	secs = 12345;
	r = ipset_backend_timeout(b, &v4b, 32, &secs, err, sizeof(err));
	ok(r == -ENOENT && secs == 12345, "timeout() of an absent entry is -ENOENT, out param untouched (r=%d)", r);

	/* IPv6 /64 into the v6 set, never the v4 one */
	struct addr v6 = A("2001:db8:1:2::"), v6host = A("2001:db8:1:2::99"), v6other = A("2001:db8:1:3::");

	r = ipset_backend_add(b, &v6, 64, 300, err, sizeof(err));
	ok(r == 0, "add 2001:db8:1:2::/64 300 s (r=%d %s)", r, err);
	t = cli_timeout(set6, "2001:db8:1:2::/64");
	ok(within(t, 290, 300), "ipset list %s shows 2001:db8:1:2::/64 timeout ~300 (%ld)", set6, t);
	ok(cli_entries(set4) == 1, "the IPv6 add did not touch %s (%ld entries)", set4, cli_entries(set4));
	r = ipset_backend_add(b, &v6host, 64, 400, err, sizeof(err));
	ok(r == 0 && cli_entries(set6) == 1, "host bits are cleared: ::99/64 is the same entry (r=%d, %ld entries)",
	   r, cli_entries(set6));
	ok(ipset_backend_test(b, &v6, 64, err, sizeof(err)) == 1, "test 2001:db8:1:2::/64 -> member");
	ok(ipset_backend_test(b, &v6other, 64, err, sizeof(err)) == 0, "test 2001:db8:1:3::/64 -> not a member");
	r = ipset_backend_timeout(b, &v6, 64, &secs, err, sizeof(err));
	ok(r == 0 && within(secs, 390, 400), "timeout() of the /64 reads ~400 (r=%d secs=%u %s)", r, secs, err);

	/* list: every entry of one set, with its timeout */
	struct listed l4 = {0}, l6 = {0};

	r = ipset_backend_list(b, AF_INET, listed_add, &l4, err, sizeof(err));
	ok(r == 0 && l4.n == 1 && l4.c[0].prefix == 32 && addr_equal(&l4.c[0].net, &v4) &&
	   within(l4.secs[0], 580, 600), "list(AF_INET): 192.0.2.50/32 ~600 s only (r=%d n=%u %s)", r, l4.n, err);
	r = ipset_backend_list(b, AF_INET6, listed_add, &l6, err, sizeof(err));
	ok(r == 0 && l6.n == 1 && l6.c[0].prefix == 64 && addr_equal(&l6.c[0].net, &v6) &&
	   within(l6.secs[0], 380, 400), "list(AF_INET6): 2001:db8:1:2::/64 ~400 s only (r=%d n=%u %s)", r, l6.n, err);
	ok(ipset_backend_list(b, AF_UNSPEC, listed_add, &l6, err, sizeof(err)) == -EINVAL,
	   "list(AF_UNSPEC) is -EINVAL");

	/* attach: existing sets only, never a create */
	r = ipset_backend_attach(set4, set6, &b2, err, sizeof(err));
	ok(r == 0, "attach to the existing sets (r=%d %s)", r, err);
	ipset_backend_free(b2);
	b2 = NULL;
	err[0] = 0;
	r = ipset_backend_attach("authfold_nope4", set6, &b2, err, sizeof(err));
	ok(r < 0 && b2 == NULL && strstr(err, "authfold_nope4") != NULL && cli_entries("authfold_nope4") == -1,
	   "attach to a missing set fails, names it, creates nothing (r=%d %s)", r, err);

	/* del */
	r = ipset_backend_del(b, &v4, 32, err, sizeof(err));
	ok(r == 0 && cli_timeout(set4, "192.0.2.50") == -1, "del 192.0.2.50 removes it (r=%d %s)", r, err);
	ok(ipset_backend_test(b, &v4, 32, err, sizeof(err)) == 0, "test after del -> not a member");
	r = ipset_backend_del(b, &v4, 32, err, sizeof(err));
	ok(r == 0, "del of a missing entry is not an error (r=%d %s)", r, err);
	r = ipset_backend_del(b, &v6, 64, err, sizeof(err));
	ok(r == 0 && cli_entries(set6) == 0, "del 2001:db8:1:2::/64 (r=%d %s)", r, err);

	/* the admin destroys a set: add recreates it */
	shf("ipset destroy %s", set4);
	ok(cli_entries(set4) == -1, "%s destroyed from outside", set4);
	r = ipset_backend_add(b, &v4, 32, 300, err, sizeof(err));
	ok(r == 0, "add after the destroy succeeds (r=%d %s)", r, err);
	ok(cli_has(set4, "Type: hash:ip\n") && cli_has(set4, " timeout 0") &&
	   within(cli_timeout(set4, "192.0.2.50"), 290, 300), "%s recreated as hash:ip timeout 0 with the entry", set4);
	shf("ipset destroy %s", set6);
	r = ipset_backend_add(b, &v6, 64, 300, err, sizeof(err));
	ok(r == 0 && within(cli_timeout(set6, "2001:db8:1:2::/64"), 290, 300),
	   "same for %s (r=%d %s)", set6, r, err);

	/* test/del/timeout on a destroyed set: libipset's message */
	shf("ipset destroy %s", set6);
	err[0] = 0;
	r = ipset_backend_test(b, &v6, 64, err, sizeof(err));
	ok(r == -EIO && strstr(err, set6) && strstr(err, "does not exist"),
	   "test on a destroyed set reports libipset's message (r=%d '%s')", r, err);
	err[0] = 0;
	r = ipset_backend_timeout(b, &v6, 64, &secs, err, sizeof(err));
	ok(r == -EIO && strstr(err, "does not exist"), "timeout() on a destroyed set fails (r=%d '%s')", r, err);

	/* libipset 7.17 desynchronizes a session after a failed LIST: later calls must still work */
	r = ipset_backend_test(b, &v4, 32, err, sizeof(err));
	ok(r == 1, "after those failures the backend still works (test r=%d %s)", r, err);
	r = ipset_backend_add(b, &v6, 64, 300, err, sizeof(err));
	ok(r == 0 && within(cli_timeout(set6, "2001:db8:1:2::/64"), 290, 300),
	   "and add recreates %s (r=%d %s)", set6, r, err);
	r = netlink_fds(&cloexec);
	ok(r == 1 && cloexec, "the new session's socket is close-on-exec too, the old one closed (%d)", r);

	/* the admin recreates a set with the wrong family while we run */
	shf("ipset destroy %s", set4);
	shf("ipset create %s hash:net family inet6 timeout 0", set4);
	err[0] = 0;
	r = ipset_backend_add(b, &v4, 32, 300, err, sizeof(err));
	ok(r == -EEXIST && strstr(err, set4) && strstr(err, "inet6"),
	   "add refuses a set recreated with another family (r=%d '%s')", r, err);
	ok(cli_entries(set4) == 0, "and put nothing into it (%ld entries)", cli_entries(set4));
	shf("ipset destroy %s", set4);
	shf("ipset create %s hash:ip family inet", set4);
	err[0] = 0;
	r = ipset_backend_add(b, &v4, 32, 300, err, sizeof(err));
	ok(r == -EEXIST && strstr(err, "without timeout support") && strstr(err, "Timeout cannot be used"),
	   "add refuses a set recreated without timeout support, with both messages (r=%d '%s')", r, err);
	shf("ipset destroy %s", set4);

	/* clamp */
	struct addr v4c = A("192.0.2.60");

	r = ipset_backend_add(b, &v4c, 32, 3000000, err, sizeof(err));
	t = cli_timeout(set4, "192.0.2.60");
	ok(r == 0 && within(t, 2147470, 2147483), "timeout 3000000 is clamped to 2147483 (r=%d list=%ld %s)", r, t, err);
	r = ipset_backend_timeout(b, &v4c, 32, &secs, err, sizeof(err));
	ok(r == 0 && within(secs, 2147470, 2147483), "timeout() reads the clamped value (%u)", secs);
	r = ipset_backend_add(b, &v4c, 32, 2147483, err, sizeof(err));
	ok(r == 0, "timeout 2147483 exactly is accepted (r=%d %s)", r, err);

	/* bad arguments */
	struct addr unspec;

	memset(&unspec, 0, sizeof(unspec));
	ok(ipset_backend_add(b, &v4, 32, 0, err, sizeof(err)) == -EINVAL, "timeout 0 is -EINVAL (%s)", err);
	ok(ipset_backend_add(b, &v4, 24, 60, err, sizeof(err)) == -EINVAL, "IPv4 prefix 24 is -EINVAL (%s)", err);
	ok(ipset_backend_add(b, &v6, 0, 60, err, sizeof(err)) == -EINVAL, "IPv6 prefix 0 is -EINVAL");
	ok(ipset_backend_add(b, &v6, 129, 60, err, sizeof(err)) == -EINVAL, "IPv6 prefix 129 is -EINVAL");
	ok(ipset_backend_test(b, &unspec, 32, err, sizeof(err)) == -EINVAL, "AF_UNSPEC is -EINVAL");
	ok(ipset_backend_del(b, &v4, 33, err, sizeof(err)) == -EINVAL, "del with prefix 33 is -EINVAL");
	r = ipset_backend_add(b, &v4, 32, 60, err, 8);
	ok(r == 0, "a tiny error buffer is fine on success");
	r = ipset_backend_add(b, &v4, 24, 60, err, 8);
	ok(r == -EINVAL && strlen(err) == 7, "and is truncated, NUL-terminated, on failure ('%s')", err);
	ipset_backend_free(b);
	b = NULL;

	/* open refuses pre-existing sets of the wrong type, family or without timeout */
	shf("ipset destroy %s 2>/dev/null; ipset destroy %s 2>/dev/null", set4, set6);
	shf("ipset create %s hash:ip family inet6 timeout 0", set6);
	err[0] = 0;
	r = ipset_backend_open(set4, set6, 0, &b, err, sizeof(err));
	ok(r == -EEXIST && b == NULL && strstr(err, set6) && strstr(err, "hash:ip") && strstr(err, "hash:net"),
	   "open refuses %s of type hash:ip (r=%d '%s')", set6, r, err);
	shf("ipset destroy %s 2>/dev/null; ipset destroy %s 2>/dev/null", set4, set6);
	shf("ipset create %s hash:ip family inet6 timeout 0", set4);
	err[0] = 0;
	r = ipset_backend_open(set4, set6, 0, &b, err, sizeof(err));
	ok(r == -EEXIST && strstr(err, set4) && strstr(err, "family inet6"),
	   "open refuses %s of family inet6 (r=%d '%s')", set4, r, err);
	shf("ipset destroy %s 2>/dev/null; ipset destroy %s 2>/dev/null", set4, set6);
	shf("ipset create %s hash:ip family inet", set4);
	err[0] = 0;
	r = ipset_backend_open(set4, set6, 0, &b, err, sizeof(err));
	ok(r == -EEXIST && strstr(err, set4) && strstr(err, "timeout"),
	   "open refuses %s without timeout support (r=%d '%s')", set4, r, err);
	shf("ipset destroy %s 2>/dev/null; ipset destroy %s 2>/dev/null", set4, set6);
	shf("ipset create %s hash:ip family inet timeout 0 hashsize 4096 maxelem 1000", set4);
	r = ipset_backend_open(set4, set6, 0, &b, err, sizeof(err));
	ok(r == 0, "open accepts %s of the right type with other sizes (r=%d %s)", set4, r, err);
	ipset_backend_free(b);
	b = NULL;

	/* bad names */
	r = ipset_backend_open("", set6, 0, &b, err, sizeof(err));
	ok(r == -EINVAL && b == NULL, "empty set name is -EINVAL (%s)", err);
	r = ipset_backend_open("a-name-that-is-much-too-long-for-ipset", set6, 0, &b, err, sizeof(err));
	ok(r == -EINVAL, "32-character set name is -EINVAL (%s)", err);
	r = ipset_backend_open(set4, set4, 0, &b, err, sizeof(err));
	ok(r == -EINVAL, "the same name twice is -EINVAL (%s)", err);

	shf("ipset destroy %s 2>/dev/null; ipset destroy %s 2>/dev/null", set4, set6);
	printf("1..%u\n", tap_n);
	return tap_failed ? 1 : 0;
}

/* Every call, failures included; must print nothing at all. */
static int quiet(void)
{
	struct ipset_backend *b = NULL;
	struct addr v4 = A("192.0.2.7"), v6 = A("2001:db8::");
	char err[512];
	unsigned secs;
	int bad = 0;

	if (ipset_backend_open(set4, set6, 0, &b, err, sizeof(err)) < 0) {
		fprintf(stderr, "quiet: open: %s\n", err);
		return 1;
	}
	bad |= ipset_backend_add(b, &v4, 32, 60, err, sizeof(err)) != 0;
	bad |= ipset_backend_add(b, &v6, 64, 60, err, sizeof(err)) != 0;
	bad |= ipset_backend_test(b, &v4, 32, err, sizeof(err)) != 1;
	bad |= ipset_backend_timeout(b, &v6, 64, &secs, err, sizeof(err)) != 0;
	bad |= ipset_backend_del(b, &v4, 32, err, sizeof(err)) != 0;
	bad |= ipset_backend_test(b, &v4, 32, err, sizeof(err)) != 0;
	bad |= ipset_backend_del(b, &v4, 32, err, sizeof(err)) != 0;
	bad |= ipset_backend_timeout(b, &v4, 32, &secs, err, sizeof(err)) != -ENOENT;
	shf("ipset destroy %s", set6);
	bad |= ipset_backend_test(b, &v6, 64, err, sizeof(err)) != -EIO;
	bad |= ipset_backend_del(b, &v6, 64, err, sizeof(err)) != -EIO;
	bad |= ipset_backend_add(b, &v6, 64, 60, err, sizeof(err)) != 0;
	ipset_backend_free(b);
	if (bad)
		fprintf(stderr, "quiet: unexpected results\n");
	return bad;
}

static int one(int argc, char **argv)
{
	struct ipset_backend *b = NULL;
	char err[512];
	struct addr a;
	unsigned prefix = 0, secs = 0;
	int r;

	if (argc >= 3) {
		a = A(argv[2]);
		if (argc < 4) {
			fprintf(stderr, "usage: ipset_check %s ADDR PREFIX ...\n", argv[1]);
			return 2;
		}
		prefix = (unsigned) strtoul(argv[3], NULL, 10);
	}
	if (strcmp(argv[1], "add") == 0) {
		if (argc != 5)
			return 2;
		secs = (unsigned) strtoul(argv[4], NULL, 10);
	}
	r = ipset_backend_open(set4, set6, 0, &b, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "ipset_check: %s\n", err);
		return 1;
	}
	if (strcmp(argv[1], "open") == 0)
		r = 0;
	else if (argc < 4)
		r = -EINVAL, snprintf(err, sizeof(err), "missing ADDR PREFIX");
	else if (strcmp(argv[1], "add") == 0)
		r = ipset_backend_add(b, &a, prefix, secs, err, sizeof(err));
	else if (strcmp(argv[1], "del") == 0)
		r = ipset_backend_del(b, &a, prefix, err, sizeof(err));
	else if (strcmp(argv[1], "test") == 0)
		r = ipset_backend_test(b, &a, prefix, err, sizeof(err));
	else if (strcmp(argv[1], "timeout") == 0) {
		r = ipset_backend_timeout(b, &a, prefix, &secs, err, sizeof(err));
		if (r == 0)
			printf("%u\n", secs);
	} else
		r = -EINVAL, snprintf(err, sizeof(err), "unknown mode '%s'", argv[1]);
	ipset_backend_free(b);
	if (r < 0) {
		fprintf(stderr, "ipset_check: %s\n", err);
		return 1;
	}
	if (strcmp(argv[1], "test") == 0)
		return r == 1 ? 0 : 1;
	return 0;
}

static bool status_field(const char *name, char *ret, size_t len)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	size_t n = strlen(name);
	bool found = false;

	if (f == NULL)
		return false;
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, name, n) == 0 && line[n] == ':') {
			const char *v = line + n + 1;

			v += strspn(v, " \t");
			snprintf(ret, len, "%.*s", (int) strcspn(v, "\n"), v);
			found = true;
		}
	}
	fclose(f);
	return found;
}

static int privs(const char *expect)
{
	char err[512] = "", v[64];
	int r = privs_keep_net_admin(err, sizeof(err));

	if (strcmp(expect, "expect-eperm") == 0) {
		ok(r == -EPERM && strstr(err, "CAP_NET_ADMIN"), "privs_keep_net_admin() is -EPERM (r=%d '%s')", r, err);
		printf("1..%u\n", tap_n);
		return tap_failed ? 1 : 0;
	}
	ok(r == 0, "privs_keep_net_admin() (r=%d %s)", r, err);
	if (geteuid() == 0) {
		ok(status_field("CapEff", v, sizeof(v)) && strcmp(v, "0000000000001000") == 0, "CapEff %s", v);
		ok(status_field("CapPrm", v, sizeof(v)) && strcmp(v, "0000000000001000") == 0, "CapPrm %s", v);
		ok(status_field("CapInh", v, sizeof(v)) && strcmp(v, "0000000000000000") == 0, "CapInh %s", v);
		ok(status_field("CapBnd", v, sizeof(v)) && strcmp(v, "0000000000001000") == 0, "CapBnd %s", v);
		ok(status_field("CapAmb", v, sizeof(v)) && strcmp(v, "0000000000000000") == 0, "CapAmb %s", v);
		ok(status_field("NoNewPrivs", v, sizeof(v)) && strcmp(v, "1") == 0, "NoNewPrivs %s", v);
		ok(privs_no_new_privs() == 0, "privs_no_new_privs() again is fine");
	}

	struct ipset_backend *b = NULL;
	struct addr a = A("192.0.2.77");

	r = ipset_backend_open(set4, set6, 0, &b, err, sizeof(err));
	ok(r == 0, "with CAP_NET_ADMIN only, open works (r=%d %s)", r, err);
	if (r == 0) {
		r = ipset_backend_add(b, &a, 32, 60, err, sizeof(err));
		ok(r == 0 && ipset_backend_test(b, &a, 32, err, sizeof(err)) == 1,
		   "and add/test work (r=%d %s)", r, err);
		r = ipset_backend_del(b, &a, 32, err, sizeof(err));
		ok(r == 0, "and del works (r=%d %s)", r, err);
	}
	ipset_backend_free(b);
	printf("1..%u\n", tap_n);
	return tap_failed ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *e;

	if ((e = getenv("AUTHFOLD_SET4")) != NULL && *e)
		set4 = e;
	if ((e = getenv("AUTHFOLD_SET6")) != NULL && *e)
		set6 = e;
	if (argc < 2) {
		fprintf(stderr, "usage: ipset_check suite|quiet|open|add|del|test|timeout|privs ...\n");
		return 2;
	}
	if (!in_private_netns()) {
		fprintf(stderr, "ipset_check: refusing to run in the host's network namespace; use unshare -n\n");
		return 77;
	}
	if (strcmp(argv[1], "suite") == 0)
		return suite();
	if (strcmp(argv[1], "quiet") == 0)
		return quiet();
	if (strcmp(argv[1], "privs") == 0)
		return privs(argc > 2 ? argv[2] : "expect-ok");
	return one(argc, argv);
}

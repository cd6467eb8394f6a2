/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	nft_check 1
 * SUMMARY
 *	one call of the nft backend against the kernel, for the tests
 * SYNOPSIS
 *	nft_check open | attach | check | list
 *	nft_check add ADDR PREFIX SECONDS
 *	nft_check del ADDR PREFIX
 *	nft_check test ADDR PREFIX
 *	nft_check timeout ADDR PREFIX
 *	nft_check privs ADDR SECONDS
 * DESCRIPTION
 *	Refuses to run in the host's network namespace (the one of pid 1):
 *	run it under "unshare -n" (the tests/nft scripts do). The backend's options
 *	come from the environment: AUTHFOLD_NFT_TABLE (authfold),
 *	AUTHFOLD_NFT_PORTS ("25 465 587"; "all"), AUTHFOLD_NFT_PRIORITY (-10),
 *	AUTHFOLD_NFT_PREFIX (64).
 *
 *	open and attach run nft_backend_open() or nft_backend_attach() only.
 *	check prints what nft_backend_check() returned (0 or 1). list prints
 *	"ADDR/PREFIX SECONDS" for every element of both sets. test exits 0
 *	for a member, 1 for none; timeout prints the remaining seconds. privs
 *	keeps CAP_NET_ADMIN only (privs(3)) after opening, then adds ADDR/32
 *	or ADDR/64: CAP_NET_ADMIN alone is enough.
 *
 *	AUTHFOLD_NFT_BETWEEN, when set, is a shell command run with
 *	system(3) after the backend is open and before the call, e.g.
 *	"nft flush ruleset" to see what the call does about it.
 *
 *	Errors go to stderr as "nft_check: MESSAGE"; stdout carries only
 *	the results above.
 * DIAGNOSTICS
 *	0 on success, 1 on failure (test: not a member), 2 on bad usage,
 *	77 in the host's network namespace.
 */

#include "addr.h"
#include "nft.h"
#include "privs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void show(void *data, const struct cidr *c, unsigned seconds)
{
	char a[ADDR_STRLEN];

	(void) data;
	addr_format(&c->net, a);
	printf("%s/%u %u\n", a, c->prefix, seconds);
}

static int host_netns(void)
{
	struct stat self, init;

	if (stat("/proc/self/ns/net", &self) < 0 || stat("/proc/1/ns/net", &init) < 0)
		return 0;	/* cannot tell: /proc/1 hidden means not the host's view */
	return self.st_ino == init.st_ino && self.st_dev == init.st_dev;
}

static const char *env(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v && *v ? v : def;
}

int main(int argc, char **argv)
{
	struct nft_backend_options o;
	struct nft_backend *b = NULL;
	struct addr a;
	uint16_t ports[64];
	size_t np = 0;
	char err[1024] = "", *copy, *save = NULL;
	const char *cmd = argc > 1 ? argv[1] : "";
	int r;

	if (argc < 2)
		goto usage;
	if (host_netns()) {
		fprintf(stderr, "nft_check: refusing to run in the host's network namespace (use unshare -n)\n");
		return 77;
	}
	copy = strdup(env("AUTHFOLD_NFT_PORTS", "25 465 587"));
	if (copy == NULL)
		return 1;
	if (strcmp(copy, "all") != 0)
		for (char *w = strtok_r(copy, " ", &save); w && np < 64; w = strtok_r(NULL, " ", &save))
			ports[np++] = (uint16_t) atoi(w);
	free(copy);
	o.table = env("AUTHFOLD_NFT_TABLE", "authfold");
	o.priority = atoi(env("AUTHFOLD_NFT_PRIORITY", "-10"));
	o.ports = ports;
	o.n_ports = np;
	o.ipv6_prefix = (unsigned) atoi(env("AUTHFOLD_NFT_PREFIX", "64"));

	r = strcmp(cmd, "attach") == 0 ? nft_backend_attach(&o, &b, err, sizeof(err))
				       : nft_backend_open(&o, &b, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "nft_check: %s\n", err);
		return 1;
	}
	if (getenv("AUTHFOLD_NFT_BETWEEN") && system(getenv("AUTHFOLD_NFT_BETWEEN")) != 0) {
		fprintf(stderr, "nft_check: '%s' failed\n", getenv("AUTHFOLD_NFT_BETWEEN"));
		nft_backend_free(b);
		return 1;
	}
	if (strcmp(cmd, "open") == 0 || strcmp(cmd, "attach") == 0) {
		r = 0;
	} else if (strcmp(cmd, "check") == 0) {
		if ((r = nft_backend_check(b, err, sizeof(err))) >= 0)
			printf("%d\n", r);
	} else if (strcmp(cmd, "list") == 0) {
		if ((r = nft_backend_list(b, AF_INET, show, NULL, err, sizeof(err))) == 0)
			r = nft_backend_list(b, AF_INET6, show, NULL, err, sizeof(err));
	} else if (argc >= 4 && addr_parse(argv[2], strlen(argv[2]), &a) == 0) {
		unsigned prefix = (unsigned) atoi(argv[3]), secs;

		if (strcmp(cmd, "add") == 0 && argc == 5) {
			r = nft_backend_add(b, &a, prefix, (unsigned) strtoul(argv[4], NULL, 10), err, sizeof(err));
		} else if (strcmp(cmd, "del") == 0 && argc == 4) {
			r = nft_backend_del(b, &a, prefix, err, sizeof(err));
		} else if (strcmp(cmd, "test") == 0 && argc == 4) {
			r = nft_backend_test(b, &a, prefix, err, sizeof(err));
			if (r >= 0) {
				nft_backend_free(b);
				return r == 1 ? 0 : 1;
			}
		} else if (strcmp(cmd, "timeout") == 0 && argc == 4) {
			if ((r = nft_backend_timeout(b, &a, prefix, &secs, err, sizeof(err))) == 0)
				printf("%u\n", secs);
		} else if (strcmp(cmd, "privs") == 0 && argc == 4) {
			if ((r = privs_keep_net_admin(err, sizeof(err))) == 0)
				r = nft_backend_add(b, &a, a.family == AF_INET ? 32 : o.ipv6_prefix,
						    (unsigned) strtoul(argv[3], NULL, 10), err, sizeof(err));
		} else {
			nft_backend_free(b);
			goto usage;
		}
	} else {
		nft_backend_free(b);
		goto usage;
	}
	nft_backend_free(b);
	if (r < 0) {
		fprintf(stderr, "nft_check: %s\n", err[0] ? err : strerror(-r));
		return 1;
	}
	return 0;
usage:
	fprintf(stderr, "usage: see the comment at the top of tests/nft/nft_check.c\n");
	return 2;
}

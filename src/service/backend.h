/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_BACKEND_H
#define AUTHFOLD_BACKEND_H

/* backend - the configured ban backend behind struct ban_backend; see backend.c */

#include "config.h"
#include "engine.h"
#include "nft.h"

struct ipset_backend;
struct nft_backend;

struct backend {
	struct ban_backend ops;		/* what the engine calls */
	enum backend_kind kind;
	struct ipset_backend *ipset;	/* backend = ipset */
	struct nft_backend *nft;	/* backend = nft */
	uint64_t adds;			/* calls that succeeded (backend = none counts too) */
	char warning[512];		/* after backend_open(): what the caller should say; "" */
};

/* backend_list(): called for each kernel entry */
typedef void backend_entry_fn(void *data, const struct cidr *entry, unsigned seconds);

int backend_open(const struct config *c, struct backend *ret_backend, char *err, size_t errlen);
/* For readers (status): like backend_open() but never creates a set or table. */
int backend_attach(const struct config *c, struct backend *ret_backend, char *err, size_t errlen);
/* true for ipset and nft: bans reach a kernel */
bool backend_kernel(const struct backend *b);
/* bans(3): remove net/prefix (absent is not an error); 1 present / 0 absent.
   backend = none: 0 for both. */
int backend_del(struct backend *b, const struct addr *net, unsigned prefix, char *err, size_t errlen);
int backend_test(struct backend *b, const struct addr *net, unsigned prefix, char *err, size_t errlen);
/* Every kernel entry of family with its remaining seconds (status). */
int backend_list(struct backend *b, int family, backend_entry_fn *each, void *data, char *err, size_t errlen);
/* nft: 1 when authfold's table had gone and was rebuilt without its bans
   (they must be put back), 0 when it is whole; ipset and none: 0. */
int backend_check(struct backend *b, char *err, size_t errlen);
/* The name of the kernel set of family as status and events show it. */
const char *backend_set_name(const struct config *c, int family);
/* The entry's remaining seconds (0: no timeout); -ENOENT when absent.
   backend = none: -ENOENT. */
int backend_timeout(struct backend *b, const struct addr *net, unsigned prefix, unsigned *ret_seconds,
		    char *err, size_t errlen);
void backend_close(struct backend *b);	/* accepts a zeroed or closed backend */

#endif

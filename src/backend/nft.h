/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_NFT_H
#define AUTHFOLD_NFT_H

/* nft - ban backend on authfold's own nftables table through libnftnl and libmnl; see nft.c */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "names.h"

#define NFT_BACKEND_TIMEOUT_MAX	2147483u	/* seconds; kept equal to ipset's for bantime_max */
#define NFT_BACKEND_NAME_MAX	NAMES_NFT_MAX	/* a table name, without the NUL (names(3)) */
#define NFT_BACKEND_SET4	"banned4"
#define NFT_BACKEND_SET6	"banned6"
#define NFT_BACKEND_PORTS	"ports"
#define NFT_BACKEND_CHAIN	"input"

struct nft_backend;

struct nft_backend_options {
	const char *table;		/* in family inet */
	int32_t priority;		/* of the input hook base chain */
	const uint16_t *ports;		/* TCP ports dropped; n_ports 0: every packet */
	size_t n_ports;
	unsigned ipv6_prefix;		/* 1..128: the IPv6 rule's mask, the IPv6 elements' prefix */
};

/* nft_backend_list(): called for each element of a set */
typedef void nft_entry_fn(void *data, const struct cidr *entry, unsigned seconds);

int nft_backend_open(const struct nft_backend_options *o, struct nft_backend **ret, char *err, size_t errlen);
int nft_backend_attach(const struct nft_backend_options *o, struct nft_backend **ret, char *err, size_t errlen);
int nft_backend_add(struct nft_backend *b, const struct addr *net, unsigned prefix, unsigned seconds,
		    char *err, size_t errlen);
int nft_backend_del(struct nft_backend *b, const struct addr *net, unsigned prefix, char *err, size_t errlen);
int nft_backend_test(struct nft_backend *b, const struct addr *net, unsigned prefix, char *err, size_t errlen);
int nft_backend_timeout(struct nft_backend *b, const struct addr *net, unsigned prefix, unsigned *ret_seconds,
			char *err, size_t errlen);
int nft_backend_list(struct nft_backend *b, int family, nft_entry_fn *each, void *data, char *err, size_t errlen);
/* 1: the table was missing or incomplete (now or at an add since the last
   call) and has been rebuilt, empty of bans; 0: whole. */
int nft_backend_check(struct nft_backend *b, char *err, size_t errlen);
void nft_backend_free(struct nft_backend *b);

#endif

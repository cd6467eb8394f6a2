/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_NAMES_H
#define AUTHFOLD_NAMES_H

/* names - the host and nftables names authfold accepts; see names.c */

#include <stdbool.h>
#include <stddef.h>

#define NAMES_HOST_MAX	253	/* a DNS name */
#define NAMES_NFT_MAX	64	/* an nftables table name, without the NUL */

bool names_host_ok(const char *s, size_t len);
bool names_nft_ok(const char *name);

#endif

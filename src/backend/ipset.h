/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_IPSET_H
#define AUTHFOLD_IPSET_H

/* ipset - ban backend on kernel ipsets through libipset 7, see ipset.c */

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define IPSET_BACKEND_TIMEOUT_MAX 2147483u	/* the kernel's limit, seconds */

struct ipset_backend;

/* ipset_backend_list(): called for each entry of a set */
typedef void ipset_entry_fn(void *data, const struct cidr *entry, unsigned seconds);

int ipset_backend_open(const char *set4, const char *set6, uint32_t maxelem,
		       struct ipset_backend **ret, char *err, size_t errlen);
int ipset_backend_attach(const char *set4, const char *set6,
			 struct ipset_backend **ret, char *err, size_t errlen);
int ipset_backend_add(struct ipset_backend *b, const struct addr *net,
		      unsigned prefix, unsigned seconds, char *err, size_t errlen);
int ipset_backend_del(struct ipset_backend *b, const struct addr *net,
		      unsigned prefix, char *err, size_t errlen);
int ipset_backend_test(struct ipset_backend *b, const struct addr *net,
		       unsigned prefix, char *err, size_t errlen);
int ipset_backend_timeout(struct ipset_backend *b, const struct addr *net,
			  unsigned prefix, unsigned *ret_seconds,
			  char *err, size_t errlen);
int ipset_backend_list(struct ipset_backend *b, int family,
		       ipset_entry_fn *each, void *data, char *err, size_t errlen);
/* maxelem of the set of family in the kernel (0: unknown) */
uint32_t ipset_backend_maxelem(const struct ipset_backend *b, int family);
void ipset_backend_free(struct ipset_backend *b);

#endif

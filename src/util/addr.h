/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_ADDR_H
#define AUTHFOLD_ADDR_H

/* addr - IPv4/IPv6 addresses and CIDR prefixes, see addr.c */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#define ADDR_STRLEN INET6_ADDRSTRLEN	/* includes the NUL */

struct addr {
	int family;			/* AF_INET or AF_INET6 */
	uint8_t bytes[16];		/* network order; IPv4 uses the first 4 */
};

struct cidr {
	struct addr net;		/* host bits cleared */
	unsigned prefix;		/* 0..32 or 0..128 */
};

int addr_parse(const char *text, size_t len, struct addr *ret_addr);
void addr_format(const struct addr *a, char ret_buf[ADDR_STRLEN]);
unsigned addr_bits(const struct addr *a);
void addr_mask(struct addr *a, unsigned prefix);
bool addr_equal(const struct addr *a, const struct addr *b);
uint64_t addr_hash(const struct addr *a, uint64_t seed);

int cidr_parse(const char *text, size_t len, struct cidr *ret_cidr);
bool cidr_contains(const struct cidr *c, const struct addr *a);
bool cidr_overlaps(const struct cidr *a, const struct cidr *b);
bool cidr_inside(const struct cidr *outer, const struct cidr *n);
bool cidr_equal(const struct cidr *a, const struct cidr *b);
/* The bytes that name a network, for hashing: no padding, unused bytes zero. */
struct cidr_key {
	uint8_t bytes[16];
	uint32_t family, prefix;
};
void cidr_key(const struct cidr *net, struct cidr_key *ret_key);

#endif

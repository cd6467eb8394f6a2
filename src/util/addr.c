/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	addr 3
 * SUMMARY
 *	IPv4/IPv6 addresses and CIDR prefixes
 * SYNOPSIS
 *	#include "addr.h"
 *
 *	int	addr_parse(text, len, ret_addr)
 *	void	addr_format(a, ret_buf)
 *	unsigned addr_bits(a)
 *	void	addr_mask(a, prefix)
 *	bool	addr_equal(a, b)
 *	uint64_t addr_hash(a, seed)
 *
 *	int	cidr_parse(text, len, ret_cidr)
 *	bool	cidr_contains(c, a)
 *	bool	cidr_overlaps(a, b)
 *	bool	cidr_inside(outer, n)
 *	bool	cidr_equal(a, b)
 *	void	cidr_key(net, ret_key)
 * DESCRIPTION
 *	addr_parse() converts a numeric address of exactly len bytes
 *	(not necessarily NUL-terminated) with inet_pton(3). An IPv4-mapped
 *	IPv6 address (::ffff:192.0.2.1) is stored as IPv4, which is how
 *	Postfix itself reports such clients.
 *
 *	addr_format() writes the canonical text form into a caller buffer
 *	of ADDR_STRLEN bytes.
 *
 *	addr_mask() clears every bit after the first prefix bits.
 *
 *	cidr_parse() accepts "ADDR" or "ADDR/PREFIX"; host bits are cleared.
 *
 *	cidr_contains() tells whether address a lies in c.
 *
 *	cidr_overlaps() tells whether a and b share at least one address,
 *	that is whether the shorter prefix contains the other network.
 *	Networks of different families never overlap.
 *
 *	cidr_inside() tells whether n lies wholly inside outer (or is it).
 *
 *	cidr_equal() tells whether a and b are the same network and prefix.
 *
 *	cidr_key() fills the bytes that name net (address, family, prefix;
 *	every other byte zero), so equal networks hash alike.
 * DIAGNOSTICS
 *	addr_parse() and cidr_parse() return 0, or -EINVAL for text that is
 *	not an address (empty, too long, a bad prefix); ret_* is written only
 *	on success.
 * SECURITY
 *	Input comes from log lines; nothing is trusted. The text is copied
 *	into a bounded stack buffer before inet_pton(3); longer text is
 *	refused without being read past len.
 */

#include "addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

int addr_parse(const char *text, size_t len, struct addr *ret_addr)
{
	char buf[ADDR_STRLEN];
	struct addr a;

	/* a NUL would end the text for inet_pton(3) early: "192.0.2.1\0junk" */
	if (len == 0 || len >= sizeof(buf) || memchr(text, 0, len))
		return -EINVAL;
	memcpy(buf, text, len);
	buf[len] = 0;
	memset(&a, 0, sizeof(a));
	if (memchr(buf, ':', len) == NULL) {
		if (inet_pton(AF_INET, buf, a.bytes) != 1)
			return -EINVAL;
		a.family = AF_INET;
	} else {
		if (inet_pton(AF_INET6, buf, a.bytes) != 1)
			return -EINVAL;
		a.family = AF_INET6;
		static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
		if (memcmp(a.bytes, mapped, sizeof(mapped)) == 0) {
			memmove(a.bytes, a.bytes + 12, 4);
			memset(a.bytes + 4, 0, 12);
			a.family = AF_INET;
		}
	}
	*ret_addr = a;
	return 0;
}

void addr_format(const struct addr *a, char ret_buf[ADDR_STRLEN])
{
	if (inet_ntop(a->family, a->bytes, ret_buf, ADDR_STRLEN) == NULL)
		strcpy(ret_buf, "?");
}

unsigned addr_bits(const struct addr *a)
{
	return a->family == AF_INET ? 32 : 128;
}

void addr_mask(struct addr *a, unsigned prefix)
{
	unsigned bits = addr_bits(a);

	if (prefix >= bits)
		return;
	a->bytes[prefix / 8] &= (uint8_t) (0xff00u >> (prefix % 8));
	for (unsigned i = prefix / 8 + 1; i < 16; i++)
		a->bytes[i] = 0;
}

bool addr_equal(const struct addr *a, const struct addr *b)
{
	return a->family == b->family && memcmp(a->bytes, b->bytes, 16) == 0;
}

uint64_t addr_hash(const struct addr *a, uint64_t seed)
{
	uint64_t h = seed ^ 0x9e3779b97f4a7c15ull ^ (uint64_t) a->family;

	for (unsigned i = 0; i < 16; i++) {
		h ^= a->bytes[i];
		h *= 0x100000001b3ull;
	}
	return h ^ (h >> 29);
}

int cidr_parse(const char *text, size_t len, struct cidr *ret_cidr)
{
	const char *slash = memchr(text, '/', len);
	size_t alen = slash ? (size_t) (slash - text) : len;
	struct cidr c;

	if (addr_parse(text, alen, &c.net) < 0)
		return -EINVAL;
	c.prefix = addr_bits(&c.net);
	if (slash) {
		const char *p = slash + 1, *end = text + len;
		unsigned v = 0;

		if (p == end || end - p > 3)
			return -EINVAL;
		for (; p < end; p++) {
			if (*p < '0' || *p > '9')
				return -EINVAL;
			v = v * 10 + (unsigned) (*p - '0');
		}
		if (v > addr_bits(&c.net))
			return -EINVAL;
		c.prefix = v;
	}
	addr_mask(&c.net, c.prefix);
	*ret_cidr = c;
	return 0;
}

bool cidr_contains(const struct cidr *c, const struct addr *a)
{
	struct addr m = *a;

	if (a->family != c->net.family)
		return false;
	addr_mask(&m, c->prefix);
	return addr_equal(&m, &c->net);
}

bool cidr_overlaps(const struct cidr *a, const struct cidr *b)
{
	if (a->net.family != b->net.family)
		return false;
	return a->prefix <= b->prefix ? cidr_contains(a, &b->net) : cidr_contains(b, &a->net);
}

bool cidr_inside(const struct cidr *outer, const struct cidr *n)
{
	return n->net.family == outer->net.family && n->prefix >= outer->prefix && cidr_contains(outer, &n->net);
}

bool cidr_equal(const struct cidr *a, const struct cidr *b)
{
	return a->prefix == b->prefix && addr_equal(&a->net, &b->net);
}

void cidr_key(const struct cidr *net, struct cidr_key *ret_key)
{
	memset(ret_key, 0, sizeof(*ret_key));
	memcpy(ret_key->bytes, net->net.bytes, net->net.family == AF_INET ? 4 : 16);
	ret_key->family = (uint32_t) net->net.family;
	ret_key->prefix = net->prefix;
}

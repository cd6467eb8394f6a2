/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	backend 3
 * SUMMARY
 *	the configured ban backend
 * SYNOPSIS
 *	#include "backend.h"
 *
 *	int	backend_open(c, ret_backend, err, errlen)
 *	int	backend_attach(c, ret_backend, err, errlen)
 *	bool	backend_kernel(b)
 *	int	backend_del(b, net, prefix, err, errlen)
 *	int	backend_test(b, net, prefix, err, errlen)
 *	int	backend_list(b, family, each, data, err, errlen)
 *	int	backend_check(b, err, errlen)
 *	const char *backend_set_name(c, family)
 *	int	backend_timeout(b, net, prefix, ret_seconds, err, errlen)
 *	void	backend_close(b)
 * DESCRIPTION
 *	backend_open() sets up what `backend` in the configuration names and
 *	fills ret_backend->ops for the engine:
 *
 *	ipset	opens libipset (ipset(3) of this project), creating the sets
 *		ipset4 and ipset6 when they are missing, with a maxelem of
 *		max_addresses (at least the kernel's default, 65536); every
 *		ban is an add with a kernel timeout. An existing set with a
 *		smaller maxelem is used as it is (ipset cannot resize a set),
 *		and ret_backend->warning says so: bans past its size are
 *		refused ("set is full") and wait in the engine.
 *	nft	opens a netlink socket to nf_tables (nft(3) of this project)
 *		and makes authfold's table nft_table whole: two timeout sets,
 *		the ports set and the input chain that drops their members;
 *		every ban is an element with a kernel timeout.
 *	none	runs everything but the kernel call: a ban "succeeds" and is
 *		counted, as SSHGuard's null backend does, so that the decision
 *		logic runs without privileges.
 *
 *	backend_attach() is the same for readers: it creates nothing and
 *	fails when the sets are missing. backend_del(), backend_test() and
 *	backend_list() (for bans(3) and status(3): restore after a reboot,
 *	unban, the KERNEL column) go to the backend's own functions; for
 *	none, a removal succeeds, a test says "not there", a list is empty.
 *
 *	backend_check() is for daemons, about once a second: with nft it
 *	rebuilds authfold's table when an admin's `nft flush ruleset` or
 *	`nft delete table` removed it (also noticed by the next ban) and
 *	returns 1 once, so that the caller puts the running bans back.
 *	backend_timeout() is ipset_backend_timeout() (one listing of the
 *	set) or nft_backend_timeout() (one element); for none, -ENOENT.
 *
 *	A ban (ops.add) never shortens an entry the kernel holds: the MX's
 *	own daemon, authfold-enforce(8) with the central host's decisions
 *	and an admin share the sets, and a kernel add restarts an entry's
 *	timeout. An entry that is there with at least the ban's seconds left,
 *	or without a timeout, is left as it is and the add succeeds. The
 *	check costs one request with nft; with ipset a test, and when the
 *	entry is there a listing of the set (ipset has no request for one
 *	entry), so only a ban of an address that is already banned pays it.
 * DIAGNOSTICS
 *	Functions return 0 (or as said above), or -errno with the backend's
 *	message in err (no CAP_NET_ADMIN, a set of another type under the
 *	same name).
 */

#include "backend.h"

#include "ipset.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define IPSET_DEFAULT_MAXELEM	65536u	/* the kernel's, for a set created without one */

static int none_add(void *data, const struct addr *net, unsigned prefix, unsigned seconds, char *err, size_t errlen)
{
	struct backend *b = data;

	(void) net, (void) prefix, (void) seconds, (void) err, (void) errlen;
	b->adds++;
	return 0;
}

/*
 * A ban never shortens one the kernel holds: the MX's own daemon, the
 * enforcer of central decisions and an admin share the sets, and an add
 * restarts an entry's timeout. So an entry that is there with at least
 * seconds left (or none: a permanent entry) is left alone. A failed test
 * (a set or table that is gone) goes on to the add, which makes it again.
 */
static bool held_longer(struct backend *b, const struct addr *net, unsigned prefix, unsigned seconds)
{
	char why[256];
	unsigned held;

	if (b->ipset && backend_test(b, net, prefix, why, sizeof(why)) != 1)
		return false;	/* one request; the time left needs a listing of the set */
	if (backend_timeout(b, net, prefix, &held, why, sizeof(why)) < 0)
		return false;
	return held == 0 || held >= seconds;
}

/* ops.add of ipset and nft: to the backend's own add, as backend_del() does. */
static int kernel_add(void *data, const struct addr *net, unsigned prefix, unsigned seconds, char *err, size_t errlen)
{
	struct backend *b = data;
	int r = held_longer(b, net, prefix, seconds) ? 0
		: b->nft ? nft_backend_add(b->nft, net, prefix, seconds, err, errlen)
			 : ipset_backend_add(b->ipset, net, prefix, seconds, err, errlen);

	if (r == 0)
		b->adds++;
	return r;
}

static void nft_options(const struct config *c, struct nft_backend_options *o)
{
	o->table = c->nft_table;
	o->priority = c->nft_priority;
	o->ports = c->nft_ports;
	o->n_ports = c->n_nft_ports;
	o->ipv6_prefix = c->ipv6_prefix;
}

/* An existing set too small for max_addresses: said, not changed. */
static void maxelem_warning(const struct config *c, uint32_t want, struct backend *b)
{
	uint32_t have4 = ipset_backend_maxelem(b->ipset, AF_INET);
	uint32_t have6 = ipset_backend_maxelem(b->ipset, AF_INET6);
	bool small4 = have4 > 0 && have4 < c->max_addresses, small6 = have6 > 0 && have6 < c->max_addresses;

	if (small4 || small6)
		snprintf(b->warning, sizeof(b->warning),
			 "warning: ipset '%s' holds at most %u entries (maxelem), fewer than max_addresses %zu: "
			 "bans past that are refused (\"set is full\") and wait; destroy the set so that authfold "
			 "creates it with maxelem %u, or lower max_addresses", small4 ? c->ipset4 : c->ipset6,
			 small4 ? have4 : have6, c->max_addresses, want);
	if (small4 && small6) {
		size_t n = strlen(b->warning);

		snprintf(b->warning + n, sizeof(b->warning) - n, " (the same for '%s': %u)", c->ipset6, have6);
	}
}

static int open_kind(const struct config *c, bool create, struct backend *ret_backend, char *err, size_t errlen)
{
	struct nft_backend_options no;
	uint32_t want = c->max_addresses > IPSET_DEFAULT_MAXELEM ? (uint32_t) c->max_addresses : IPSET_DEFAULT_MAXELEM;
	int r;

	memset(ret_backend, 0, sizeof(*ret_backend));
	ret_backend->ops.data = ret_backend;
	ret_backend->kind = c->backend;
	switch (c->backend) {
	case BACKEND_NONE:
		ret_backend->ops.add = none_add;
		return 0;
	case BACKEND_IPSET:
		r = create ? ipset_backend_open(c->ipset4, c->ipset6, want, &ret_backend->ipset, err, errlen)
			   : ipset_backend_attach(c->ipset4, c->ipset6, &ret_backend->ipset, err, errlen);
		if (r < 0)
			return r;
		if (create)
			maxelem_warning(c, want, ret_backend);
		ret_backend->ops.add = kernel_add;
		break;
	case BACKEND_NFT:
		nft_options(c, &no);
		r = create ? nft_backend_open(&no, &ret_backend->nft, err, errlen)
			   : nft_backend_attach(&no, &ret_backend->nft, err, errlen);
		if (r < 0)
			return r;
		ret_backend->ops.add = kernel_add;
		break;
	}
	ret_backend->ops.set4 = backend_set_name(c, AF_INET);
	ret_backend->ops.set6 = backend_set_name(c, AF_INET6);
	return 0;
}

int backend_open(const struct config *c, struct backend *ret_backend, char *err, size_t errlen)
{
	return open_kind(c, true, ret_backend, err, errlen);
}

int backend_attach(const struct config *c, struct backend *ret_backend, char *err, size_t errlen)
{
	return open_kind(c, false, ret_backend, err, errlen);
}

bool backend_kernel(const struct backend *b)
{
	return b->ipset != NULL || b->nft != NULL;
}

const char *backend_set_name(const struct config *c, int family)
{
	if (c->backend == BACKEND_NFT)
		return family == AF_INET ? NFT_BACKEND_SET4 : NFT_BACKEND_SET6;
	return family == AF_INET ? c->ipset4 : c->ipset6;
}

int backend_del(struct backend *b, const struct addr *net, unsigned prefix, char *err, size_t errlen)
{
	if (b->nft)
		return nft_backend_del(b->nft, net, prefix, err, errlen);
	return b->ipset ? ipset_backend_del(b->ipset, net, prefix, err, errlen) : 0;
}

int backend_test(struct backend *b, const struct addr *net, unsigned prefix, char *err, size_t errlen)
{
	if (b->nft)
		return nft_backend_test(b->nft, net, prefix, err, errlen);
	return b->ipset ? ipset_backend_test(b->ipset, net, prefix, err, errlen) : 0;
}

int backend_list(struct backend *b, int family, backend_entry_fn *each, void *data, char *err, size_t errlen)
{
	if (b->nft)
		return nft_backend_list(b->nft, family, each, data, err, errlen);
	return b->ipset ? ipset_backend_list(b->ipset, family, each, data, err, errlen) : 0;
}

int backend_check(struct backend *b, char *err, size_t errlen)
{
	return b->nft ? nft_backend_check(b->nft, err, errlen) : 0;
}

int backend_timeout(struct backend *b, const struct addr *net, unsigned prefix, unsigned *ret_seconds,
		    char *err, size_t errlen)
{
	if (b->nft)
		return nft_backend_timeout(b->nft, net, prefix, ret_seconds, err, errlen);
	return b->ipset ? ipset_backend_timeout(b->ipset, net, prefix, ret_seconds, err, errlen) : -ENOENT;
}

void backend_close(struct backend *b)
{
	ipset_backend_free(b->ipset);
	nft_backend_free(b->nft);
	b->ipset = NULL;
	b->nft = NULL;
}

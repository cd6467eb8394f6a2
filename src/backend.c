/*
 * NAME
 *	backend 3
 * SUMMARY
 *	the configured ban backend
 * SYNOPSIS
 *	#include "backend.h"
 *
 *	int	backend_open(c, ret_backend, err, errlen)
 *	int	backend_del(b, net, prefix, err, errlen)
 *	int	backend_test(b, net, prefix, err, errlen)
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
 *	none	runs everything but the kernel call: a ban "succeeds" and is
 *		counted, as SSHGuard's null backend does, so that the decision
 *		logic runs without privileges.
 *
 *	backend_del() and backend_test() (for bans(3): restore after a
 *	reboot, unban) are ipset_backend_del() and ipset_backend_test() for
 *	ipset; for none, a removal succeeds and a test says "not there".
 * DIAGNOSTICS
 *	backend_open() returns 0, or -errno with libipset's message in err
 *	(no CAP_NET_ADMIN, a set of another type under the same name).
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

static int ipset_add(void *data, const struct addr *net, unsigned prefix, unsigned seconds, char *err, size_t errlen)
{
	struct backend *b = data;
	int r = ipset_backend_add(b->ipset, net, prefix, seconds, err, errlen);

	if (r == 0)
		b->adds++;
	return r;
}

int backend_open(const struct config *c, struct backend *ret_backend, char *err, size_t errlen)
{
	memset(ret_backend, 0, sizeof(*ret_backend));
	ret_backend->ops.data = ret_backend;
	if (c->backend == BACKEND_NONE) {
		ret_backend->ops.add = none_add;
		return 0;
	}
	uint32_t want = c->max_addresses > IPSET_DEFAULT_MAXELEM ? (uint32_t) c->max_addresses : IPSET_DEFAULT_MAXELEM;
	int r = ipset_backend_open(c->ipset4, c->ipset6, want, &ret_backend->ipset, err, errlen);

	if (r < 0)
		return r;
	/* An existing set too small for max_addresses: said, not changed. */
	uint32_t have4 = ipset_backend_maxelem(ret_backend->ipset, AF_INET);
	uint32_t have6 = ipset_backend_maxelem(ret_backend->ipset, AF_INET6);
	bool small4 = have4 > 0 && have4 < c->max_addresses, small6 = have6 > 0 && have6 < c->max_addresses;

	if (small4 || small6)
		snprintf(ret_backend->warning, sizeof(ret_backend->warning),
			 "warning: ipset '%s' holds at most %u entries (maxelem), fewer than max_addresses %zu: "
			 "bans past that are refused (\"set is full\") and wait; destroy the set so that authfold "
			 "creates it with maxelem %u, or lower max_addresses", small4 ? c->ipset4 : c->ipset6,
			 small4 ? have4 : have6, c->max_addresses, want);
	if (small4 && small6) {
		size_t n = strlen(ret_backend->warning);

		snprintf(ret_backend->warning + n, sizeof(ret_backend->warning) - n, " (the same for '%s': %u)",
			 c->ipset6, have6);
	}
	ret_backend->ops.add = ipset_add;
	ret_backend->ops.set4 = c->ipset4;
	ret_backend->ops.set6 = c->ipset6;
	return 0;
}

int backend_del(struct backend *b, const struct addr *net, unsigned prefix, char *err, size_t errlen)
{
	return b->ipset ? ipset_backend_del(b->ipset, net, prefix, err, errlen) : 0;
}

int backend_test(struct backend *b, const struct addr *net, unsigned prefix, char *err, size_t errlen)
{
	return b->ipset ? ipset_backend_test(b->ipset, net, prefix, err, errlen) : 0;
}

void backend_close(struct backend *b)
{
	ipset_backend_free(b->ipset);
	b->ipset = NULL;
}

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
 *	int	backend_timeout(b, net, prefix, ret_seconds, err, errlen)
 *	void	backend_close(b)
 * DESCRIPTION
 *	backend_open() sets up what `backend` in the configuration names and
 *	fills ret_backend->ops for the engine:
 *
 *	ipset	opens libipset (ipset(3) of this project), creating the sets
 *		ipset4 and ipset6 when they are missing; every ban is an add
 *		with a kernel timeout.
 *	none	runs everything but the kernel call: a ban "succeeds" and is
 *		counted, as SSHGuard's null backend does, so that the decision
 *		logic runs without privileges.
 *
 *	backend_del() and backend_test() (for bans(3): restore after a
 *	reboot, unban) are ipset_backend_del() and ipset_backend_test() for
 *	ipset; for none, a removal succeeds and a test says "not there".
 *	backend_timeout() (authfold-enforce: extend, never shorten) is
 *	ipset_backend_timeout(); for none, -ENOENT.
 * DIAGNOSTICS
 *	backend_open() returns 0, or -errno with libipset's message in err
 *	(no CAP_NET_ADMIN, a set of another type under the same name).
 */

#include "backend.h"

#include "ipset.h"

#include <errno.h>
#include <string.h>

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
	int r = ipset_backend_open(c->ipset4, c->ipset6, &ret_backend->ipset, err, errlen);

	if (r < 0)
		return r;
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

int backend_timeout(struct backend *b, const struct addr *net, unsigned prefix, unsigned *ret_seconds,
		    char *err, size_t errlen)
{
	return b->ipset ? ipset_backend_timeout(b->ipset, net, prefix, ret_seconds, err, errlen) : -ENOENT;
}

void backend_close(struct backend *b)
{
	ipset_backend_free(b->ipset);
	b->ipset = NULL;
}

#ifndef AUTHFOLD_BACKEND_H
#define AUTHFOLD_BACKEND_H

/* backend - the configured ban backend behind struct ban_backend; see backend.c */

#include "config.h"
#include "engine.h"

struct ipset_backend;

struct backend {
	struct ban_backend ops;		/* what the engine calls */
	struct ipset_backend *ipset;	/* backend = ipset */
	uint64_t adds;			/* calls that succeeded (backend = none counts too) */
};

int backend_open(const struct config *c, struct backend *ret_backend, char *err, size_t errlen);
/* bans(3): remove net/prefix (absent is not an error); 1 present / 0 absent.
   backend = none: 0 for both. */
int backend_del(struct backend *b, const struct addr *net, unsigned prefix, char *err, size_t errlen);
int backend_test(struct backend *b, const struct addr *net, unsigned prefix, char *err, size_t errlen);
/* The entry's remaining seconds (0: no timeout); -ENOENT when absent.
   backend = none: -ENOENT. */
int backend_timeout(struct backend *b, const struct addr *net, unsigned prefix, unsigned *ret_seconds,
		    char *err, size_t errlen);
void backend_close(struct backend *b);	/* accepts a zeroed or closed backend */

#endif

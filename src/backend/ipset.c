/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	ipset 3
 * SUMMARY
 *	ban backend on kernel ipsets through libipset 7
 * SYNOPSIS
 *	#include "ipset.h"
 *
 *	int	ipset_backend_open(set4, set6, maxelem, ret, err, errlen)
 *	int	ipset_backend_attach(set4, set6, ret, err, errlen)
 *	int	ipset_backend_add(b, net, prefix, seconds, err, errlen)
 *	int	ipset_backend_del(b, net, prefix, err, errlen)
 *	int	ipset_backend_test(b, net, prefix, err, errlen)
 *	int	ipset_backend_timeout(b, net, prefix, ret_seconds, err, errlen)
 *	int	ipset_backend_list(b, family, each, data, err, errlen)
 *	uint32_t ipset_backend_maxelem(b, family)
 *	void	ipset_backend_free(b)
 * DESCRIPTION
 *	The backend talks to the kernel with libipset's session API only
 *	(never the ipset program, never ipset_parse_line()). Two sets are
 *	used: set4, "hash:ip family inet timeout 0", for IPv4 hosts, and
 *	set6, "hash:net family inet6 timeout 0", for IPv6 prefixes. The set
 *	is chosen by net->family; an address is never handed to a set of
 *	the other family (libipset would silently truncate it).
 *
 *	ipset_backend_open() loads libipset's set types (once per process),
 *	opens a netlink session and makes sure both sets exist: a missing
 *	set is created, an existing one must have the right type, family
 *	and timeout support. A set is created with maxelem entries at most
 *	(0: the kernel's default, 65536). ipset_backend_maxelem() tells the
 *	maxelem of the set of family (AF_INET or AF_INET6) as the kernel's
 *	header said (existing set) or as created, so the caller can say
 *	when an existing set is too small: it is never changed (ipset cannot
 *	resize a set). On success *ret owns the session; release it
 *	with ipset_backend_free(), which accepts NULL. ipset_backend_attach()
 *	is the same for readers (authfold status): it never creates a set,
 *	and fails with libipset's message when one is missing.
 *
 *	ipset_backend_add() adds net/prefix with a timeout of seconds
 *	(1 or more; larger than 2147483 is clamped to 2147483, the kernel's
 *	limit). The add uses -exist: adding an entry that is already there
 *	succeeds and restarts its timeout. When the add fails, the set is
 *	inspected; if it is gone (an admin destroyed it) it is created again
 *	and the add is retried once.
 *
 *	ipset_backend_del() removes net/prefix; an entry that is not in the
 *	set is not an error. ipset_backend_test() tells whether net/prefix is
 *	an entry of the set.
 *
 *	ipset_backend_timeout() reads the remaining timeout of an entry. The
 *	kernel has no "get one element" request, so the set is LISTed in
 *	libipset's "save" format through our own output function, which
 *	reassembles the output into lines (libipset flushes its 8 KiB buffer
 *	at arbitrary points) and parses "add SET ELEM ... timeout N ..."
 *	lines; ELEM is parsed with cidr_parse() and compared with net/prefix.
 *	The cost is one pass over the whole set. An entry without a timeout
 *	(added by hand without one) reads as 0.
 *
 *	ipset_backend_list() LISTs the set of family (AF_INET or AF_INET6)
 *	the same way and calls each(data, entry, seconds) for every entry,
 *	in the kernel's order; seconds is its remaining timeout (0: none).
 *
 *	prefix must be 32 for IPv4 (set4 holds hosts) and 1..128 for IPv6;
 *	host bits of net are cleared before use.
 *
 *	Every libipset request first drops libipset's cached idea of the set
 *	(ipset_cache_del()) so that type and family always come from the
 *	kernel's HEADER reply and are checked before an address is stored.
 * DIAGNOSTICS
 *	All functions return 0 (ipset_backend_test(): 1 member, 0 not a
 *	member) or a negative errno, with a message in err (up to errlen
 *	bytes, always NUL-terminated when errlen > 0) that names the set:
 *	-EINVAL bad argument (family, prefix, zero timeout, set name);
 *	-EEXIST a set of that name exists with another type, family or
 *	without timeout support; -ENOENT (timeout only) no such entry;
 *	-ENOMEM; -EIO any error libipset reports, with libipset's own
 *	message (ipset_session_report_msg()), e.g. "Kernel error received:
 *	Operation not permitted" without CAP_NET_ADMIN. ret_* out parameters
 *	are written only on success.
 * SECURITY
 *	Needs CAP_NET_ADMIN in the current network namespace. Addresses come
 *	as struct addr, never as text, so nothing from a log line reaches
 *	libipset's parsers. libipset's output goes only to our own function
 *	(stdout may be a protocol pipe) and the session API never calls
 *	exit(). The output parser keeps at most one line of bounded size;
 *	longer lines are skipped. The netlink socket libipset opens without
 *	close-on-exec is marked FD_CLOEXEC here.
 * BUGS
 *	Not thread-safe: libipset keeps global state (type list, set cache).
 *	Use one backend per process from one thread.
 *
 *	libipset 7.17: after a LIST (a netlink dump) of a missing set fails,
 *	the session stays one reply behind and every later request fails,
 *	without a message. So a LIST is only sent after a HEADER request
 *	found the set, and after any libipset failure the session is closed
 *	and a new one opened by the next request.
 *
 *	libipset 7.22 (Debian 13) copies a name given to ipset_data_set()
 *	(set name, type name) with a fixed length of IPSET_MAXNAMELEN bytes,
 *	reading past a shorter string (ASan: global-buffer-overflow on a
 *	"hash:ip" literal). Every name handed to libipset is therefore a
 *	zero-filled buffer of IPSET_MAXNAMELEN bytes.
 */

#include "ipset.h"

#include "errmsg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/netlink.h>

#include <libipset/data.h>
#include <libipset/session.h>
#include <libipset/types.h>

#define SCAN_LINE_MAX 512

enum scan_mode {
	SCAN_NONE,		/* output not expected: discard */
	SCAN_HEADER,		/* plain header listing: look for timeout */
	SCAN_ALL,		/* save listing: every entry to a callback */
};

struct scan {
	enum scan_mode mode;
	char line[SCAN_LINE_MAX];
	size_t len;
	bool overlong;		/* skipping the rest of a long line */
	const char *setname;
	/* SCAN_HEADER */
	bool header_seen;
	bool header_timeout;
	uint32_t header_maxelem;	/* 0: not in the header */
	/* SCAN_ALL */
	ipset_entry_fn *each;
	void *each_data;
};

struct set_spec {
	/* Both names are handed to libipset, which copies IPSET_MAXNAMELEN
	   bytes whatever their length (BUGS): whole, zero-filled buffers. */
	char name[IPSET_MAXNAMELEN];
	char type[IPSET_MAXNAMELEN];	/* "hash:ip" or "hash:net" */
	uint8_t nfproto;	/* NFPROTO_IPV4 or NFPROTO_IPV6 */
	const char *family;	/* "inet" or "inet6" */
	uint32_t maxelem_create;	/* for a set we create; 0: the kernel's default */
	uint32_t maxelem;		/* of the set in the kernel; 0: unknown */
};

struct ipset_backend {
	struct ipset_session *session;
	struct set_spec set[2];	/* [0] IPv4, [1] IPv6 */
	struct scan scan;
};

static bool types_loaded;

/* Error messages. */

/* Report libipset's message about set, without its trailing newline. */
static int lib_err(struct ipset_backend *b, const char *setname,
		   const char *what, char *err, size_t errlen)
{
	const char *msg = ipset_session_report_msg(b->session);
	size_t n = strlen(msg);

	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		n--;
	if (n == 0)
		set_err(err, errlen, "ipset '%s': %s failed (libipset gave no reason)",
			setname, what);
	else
		set_err(err, errlen, "ipset '%s': %s: %.*s", setname, what,
			(int) n, msg);
	/* A failed request can leave the netlink conversation out of step
	 * (see BUGS): start a new session before the next request. */
	ipset_session_fini(b->session);
	b->session = NULL;
	return -EIO;
}

/* Output of LIST requests: reassemble lines, parse them. */

static unsigned scan_tokens(char *line, char **tok, unsigned max)
{
	unsigned n = 0;
	char *save = NULL;

	for (char *t = strtok_r(line, " \t", &save); t != NULL && n < max;
	     t = strtok_r(NULL, " \t", &save))
		tok[n++] = t;
	return n;
}

static bool parse_seconds(const char *s, unsigned *ret_seconds)
{
	unsigned long v = 0;

	if (*s == 0 || strlen(s) > 10)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (unsigned long) (*s - '0');
	}
	if (v > 0xffffffffUL)
		return false;
	*ret_seconds = (unsigned) v;
	return true;
}

static void scan_line(struct scan *sc, char *line)
{
	char *tok[64];
	unsigned n;
	struct cidr c;
	unsigned seconds;

	switch (sc->mode) {
	case SCAN_HEADER:
		if (strncmp(line, "Header:", 7) != 0)
			return;
		sc->header_seen = true;
		n = scan_tokens(line + 7, tok, 64);
		for (unsigned i = 0; i < n; i++) {
			if (strcmp(tok[i], "timeout") == 0)
				sc->header_timeout = true;
			if (strcmp(tok[i], "maxelem") == 0 && i + 1 < n && parse_seconds(tok[i + 1], &seconds))
				sc->header_maxelem = seconds;	/* a 32-bit count, parsed alike */
		}
		return;
	case SCAN_ALL:
		n = scan_tokens(line, tok, 64);
		if (n < 3 || strcmp(tok[0], "add") != 0 || strcmp(tok[1], sc->setname) != 0)
			return;
		if (cidr_parse(tok[2], strlen(tok[2]), &c) < 0)
			return;
		seconds = 0;
		for (unsigned i = 3; i + 1 < n; i++)
			if (strcmp(tok[i], "timeout") == 0 && parse_seconds(tok[i + 1], &seconds))
				break;
		sc->each(sc->each_data, &c, seconds);
		return;
	case SCAN_NONE:
		return;
	}
}

static void scan_feed(struct scan *sc, const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char ch = text[i];

		if (ch == '\n') {
			if (!sc->overlong) {
				sc->line[sc->len] = 0;
				scan_line(sc, sc->line);
			}
			sc->len = 0;
			sc->overlong = false;
		} else if (sc->overlong) {
			continue;
		} else if (sc->len + 1 >= sizeof(sc->line)) {
			sc->overlong = true;
			sc->len = 0;
		} else {
			sc->line[sc->len++] = ch;
		}
	}
}

static void scan_begin(struct scan *sc, enum scan_mode mode, const char *setname)
{
	memset(sc, 0, sizeof(*sc));
	sc->mode = mode;
	sc->setname = setname;
}

/* libipset's output function: never stdout, only our parser. */
static int __attribute__((format(printf, 3, 4)))
backend_outfn(struct ipset_session *session, void *p, const char *fmt, ...)
{
	struct ipset_backend *b = p;
	va_list ap, ap2;
	char small[1024], *buf = small;
	int n;

	(void) session;
	va_start(ap, fmt);
	va_copy(ap2, ap);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		va_end(ap2);
		return -1;
	}
	if ((size_t) n >= sizeof(small)) {
		buf = malloc((size_t) n + 1);
		if (buf == NULL) {
			va_end(ap2);
			return -1;
		}
		vsnprintf(buf, (size_t) n + 1, fmt, ap2);
	}
	va_end(ap2);
	if (b != NULL && b->scan.mode != SCAN_NONE)
		scan_feed(&b->scan, buf, (size_t) n);
	if (buf != small)
		free(buf);
	return n;
}

/*
 * libipset opens its netlink socket with mnl_socket_open(), without
 * SOCK_CLOEXEC, on the first request. Find it (the lowest free fd at
 * that moment; we are single-threaded), check that it is a netfilter
 * netlink socket and mark it close-on-exec.
 */
static int lowest_free_fd(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (fd >= 0)
		close(fd);
	return fd;
}

static void cloexec_netlink(int fd)
{
	struct stat st;
	int v;
	socklen_t len = sizeof(v);

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode))
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &len) < 0 || v != AF_NETLINK)
		return;
	len = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &v, &len) < 0 || v != NETLINK_NETFILTER)
		return;
	v = fcntl(fd, F_GETFD);
	if (v >= 0 && !(v & FD_CLOEXEC))
		(void) fcntl(fd, F_SETFD, v | FD_CLOEXEC);
}

/* Open a libipset session and its netlink socket, check the protocol. */
static int session_open(struct ipset_backend *b, char *err, size_t errlen)
{
	int fd;

	if (b->session != NULL)
		return 0;
	b->session = ipset_session_init(backend_outfn, b);
	if (b->session == NULL) {
		set_err(err, errlen, "ipset: cannot initialize a libipset session");
		return -ENOMEM;
	}
	fd = lowest_free_fd();
	if (ipset_cmd(b->session, IPSET_CMD_NONE, 0) < 0)
		return lib_err(b, b->set[0].name, "opening a session to the kernel", err, errlen);
	cloexec_netlink(fd);
	ipset_session_report_reset(b->session);
	return 0;
}

/* Sets. */

static int spec_index(const struct addr *a)
{
	return a->family == AF_INET ? 0 : a->family == AF_INET6 ? 1 : -1;
}

/*
 * Ask the kernel (HEADER) for the type and family of the set and check
 * them. On success the session data holds setname, type and family,
 * ready for ADD/DEL/TEST. Returns -EIO when libipset fails (e.g. no such
 * set), -EEXIST on a mismatch.
 */
static int set_header(struct ipset_backend *b, const struct set_spec *sp,
		      enum ipset_cmd cmd, char *err, size_t errlen)
{
	struct ipset_session *s;
	const struct ipset_type *type;
	uint8_t family;
	int r = session_open(b, err, errlen);

	if (r < 0)
		return r;
	s = b->session;
	ipset_session_report_reset(s);
	ipset_data_reset(ipset_session_data(s));
	(void) ipset_cache_del(sp->name);
	if (ipset_session_data_set(s, IPSET_SETNAME, sp->name) < 0)
		return lib_err(b, sp->name, "set name", err, errlen);
	type = ipset_type_get(s, cmd);
	if (type == NULL)
		return lib_err(b, sp->name, "reading the set header", err, errlen);
	family = ipset_data_family(ipset_session_data(s));
	if (strcmp(type->name, sp->type) != 0 || family != sp->nfproto) {
		set_err(err, errlen,
			"ipset '%s' exists as %s family %s; authfold needs %s family %s timeout 0 "
			"(destroy it or configure another set name)",
			sp->name, type->name,
			family == NFPROTO_IPV4 ? "inet" : family == NFPROTO_IPV6 ? "inet6" : "unspec",
			sp->type, sp->family);
		ipset_data_reset(ipset_session_data(s));
		return -EEXIST;
	}
	return 0;
}

/* A LIST of one set, its output read by the scanner in mode. */
static int list_begin(struct ipset_backend *b, const struct set_spec *sp, enum ipset_output_mode output,
		      enum scan_mode mode, char *err, size_t errlen)
{
	struct ipset_session *s = b->session;

	ipset_session_report_reset(s);
	ipset_data_reset(ipset_session_data(s));
	if (ipset_session_data_set(s, IPSET_SETNAME, sp->name) < 0)
		return lib_err(b, sp->name, "set name", err, errlen);
	ipset_session_output(s, output);
	scan_begin(&b->scan, mode, sp->name);
	return 0;
}

/* Does the existing set support per-entry timeouts? LIST its header,
   which also gives its maxelem (sp->maxelem). */
static int set_has_timeout(struct ipset_backend *b, struct set_spec *sp,
			   char *err, size_t errlen)
{
	struct ipset_session *s;
	int r = session_open(b, err, errlen);

	if (r < 0)
		return r;
	if ((r = list_begin(b, sp, IPSET_LIST_PLAIN, SCAN_HEADER, err, errlen)) < 0)
		return r;
	s = b->session;
	ipset_envopt_set(s, IPSET_ENV_LIST_HEADER);
	r = ipset_cmd(s, IPSET_CMD_LIST, 0);
	scan_feed(&b->scan, "\n", 1);
	b->scan.mode = SCAN_NONE;
	ipset_envopt_unset(s, IPSET_ENV_LIST_HEADER);
	if (r < 0)
		return lib_err(b, sp->name, "listing the set header", err, errlen);
	if (!b->scan.header_seen) {
		set_err(err, errlen, "ipset '%s': no header in libipset's listing", sp->name);
		return -EIO;
	}
	sp->maxelem = b->scan.header_maxelem;
	if (!b->scan.header_timeout) {
		set_err(err, errlen,
			"ipset '%s' exists without timeout support; authfold needs %s family %s timeout 0 "
			"(destroy it or configure another set name)",
			sp->name, sp->type, sp->family);
		return -EEXIST;
	}
	return 0;
}

static int set_create(struct ipset_backend *b, struct set_spec *sp,
		      char *err, size_t errlen)
{
	struct ipset_session *s;
	uint8_t family = sp->nfproto;
	uint32_t timeout = 0;
	int r = session_open(b, err, errlen);

	if (r < 0)
		return r;
	s = b->session;
	ipset_session_report_reset(s);
	ipset_data_reset(ipset_session_data(s));
	if (ipset_session_data_set(s, IPSET_SETNAME, sp->name) < 0 ||
	    ipset_session_data_set(s, IPSET_OPT_TYPENAME, sp->type) < 0 ||
	    ipset_session_data_set(s, IPSET_OPT_FAMILY, &family) < 0)
		return lib_err(b, sp->name, "create", err, errlen);
	if (ipset_type_get(s, IPSET_CMD_CREATE) == NULL)
		return lib_err(b, sp->name, "create", err, errlen);
	if (ipset_session_data_set(s, IPSET_OPT_TIMEOUT, &timeout) < 0 ||
	    (sp->maxelem_create > 0 && ipset_session_data_set(s, IPSET_OPT_MAXELEM, &sp->maxelem_create) < 0))
		return lib_err(b, sp->name, "create", err, errlen);
	/* -exist: succeeds if an identical set appeared meanwhile */
	ipset_envopt_set(s, IPSET_ENV_EXIST);
	r = ipset_cmd(s, IPSET_CMD_CREATE, 0);
	ipset_envopt_unset(s, IPSET_ENV_EXIST);
	if (r < 0)
		return lib_err(b, sp->name, "create", err, errlen);
	ipset_session_report_reset(s);
	/* -exist may have found an identical set that another process made
	   meanwhile: ask the kernel rather than assume */
	return set_has_timeout(b, sp, err, errlen);
}

/*
 * Make sure the set exists with the right type: *ret_created tells
 * whether it had to be created. Without string-matching libipset's
 * messages we cannot tell "no such set" from other failures, so any
 * failure to read the header leads to a create attempt; if that fails
 * too, its message is the one reported.
 */
static int set_ensure(struct ipset_backend *b, struct set_spec *sp,
		      bool *ret_created, char *err, size_t errlen)
{
	char probe[512];
	int r = set_header(b, sp, IPSET_CMD_ADD, probe, sizeof(probe));

	if (r == 0) {
		ipset_data_reset(ipset_session_data(b->session));
		r = set_has_timeout(b, sp, err, errlen);
		if (r < 0)
			return r;
		*ret_created = false;
		return 0;
	}
	if (r != -EIO) {
		set_err(err, errlen, "%s", probe);
		return r;
	}
	r = set_create(b, sp, err, errlen);
	if (r < 0)
		return r;
	*ret_created = true;
	return 0;
}

/* Add, delete or test one entry. */

static int entry_check(const struct ipset_backend *b, const struct addr *net,
		       unsigned prefix, struct cidr *ret_c, char *err, size_t errlen)
{
	int i = spec_index(net);
	struct cidr c;

	if (i < 0) {
		set_err(err, errlen, "ipset: address family %d is neither IPv4 nor IPv6",
			net->family);
		return -EINVAL;
	}
	if ((i == 0 && prefix != 32) || (i == 1 && (prefix == 0 || prefix > 128))) {
		set_err(err, errlen, "ipset '%s': bad prefix length %u for %s (want %s)",
			b->set[i].name, prefix, i == 0 ? "IPv4" : "IPv6",
			i == 0 ? "32" : "1..128");
		return -EINVAL;
	}
	c.net = *net;
	c.prefix = prefix;
	addr_mask(&c.net, prefix);
	*ret_c = c;
	return 0;
}

static int entry_cmd(struct ipset_backend *b, enum ipset_cmd cmd, const struct cidr *c,
		     uint32_t timeout, char *err, size_t errlen)
{
	const struct set_spec *sp = &b->set[spec_index(&c->net)];
	struct ipset_session *s;
	union nf_inet_addr ip;
	uint8_t cidr = (uint8_t) c->prefix;
	const char *what = cmd == IPSET_CMD_ADD ? "add" : cmd == IPSET_CMD_DEL ? "del" : "test";
	int r;

	r = set_header(b, sp, cmd, err, errlen);
	if (r < 0)
		return r;
	s = b->session;
	/* set_header() checked the family: the address fits the set. */
	memset(&ip, 0, sizeof(ip));
	memcpy(&ip, c->net.bytes, c->net.family == AF_INET ? 4 : 16);
	if (ipset_session_data_set(s, IPSET_OPT_IP, &ip) < 0 ||
	    (sp->nfproto == NFPROTO_IPV6 && ipset_session_data_set(s, IPSET_OPT_CIDR, &cidr) < 0) ||
	    (cmd == IPSET_CMD_ADD && ipset_session_data_set(s, IPSET_OPT_TIMEOUT, &timeout) < 0))
		return lib_err(b, sp->name, what, err, errlen);
	if (cmd != IPSET_CMD_TEST)
		ipset_envopt_set(s, IPSET_ENV_EXIST);
	r = ipset_cmd(s, cmd, 0);
	ipset_envopt_unset(s, IPSET_ENV_EXIST);
	if (cmd == IPSET_CMD_TEST) {
		/* libipset: member = success with a warning, not a member = a notice */
		enum ipset_err_type t = ipset_session_report_type(s);

		if (r == 0) {
			ipset_session_report_reset(s);
			return 1;
		}
		if (t == IPSET_NOTICE) {
			ipset_session_report_reset(s);
			return 0;
		}
	}
	if (r < 0)
		return lib_err(b, sp->name, what, err, errlen);
	ipset_session_report_reset(s);
	return 0;
}

int ipset_backend_add(struct ipset_backend *b, const struct addr *net, unsigned prefix,
		      unsigned seconds, char *err, size_t errlen)
{
	struct cidr c;
	bool created = false;
	char ensure_err[512];
	size_t n;
	int r, e;

	r = entry_check(b, net, prefix, &c, err, errlen);
	if (r < 0)
		return r;
	if (seconds == 0) {
		set_err(err, errlen, "ipset '%s': a ban needs a timeout of at least 1 second",
			b->set[spec_index(net)].name);
		return -EINVAL;
	}
	if (seconds > IPSET_BACKEND_TIMEOUT_MAX)
		seconds = IPSET_BACKEND_TIMEOUT_MAX;
	r = entry_cmd(b, IPSET_CMD_ADD, &c, seconds, err, errlen);
	if (r != -EIO)
		return r;
	/* Did an admin destroy the set? Recreate it and retry once. */
	e = set_ensure(b, &b->set[spec_index(net)], &created, ensure_err, sizeof(ensure_err));
	if (e < 0) {
		n = err != NULL ? strnlen(err, errlen) : 0;
		if (n + 1 < errlen)
			set_err(err + n, errlen - n, "; %s", ensure_err);
		return e == -EEXIST ? e : r;	/* -EEXIST: a set of the wrong kind */
	}
	if (!created)
		return r;	/* the set is there and right: the add's own error stands */
	return entry_cmd(b, IPSET_CMD_ADD, &c, seconds, err, errlen);
}

int ipset_backend_del(struct ipset_backend *b, const struct addr *net, unsigned prefix,
		      char *err, size_t errlen)
{
	struct cidr c;
	int r = entry_check(b, net, prefix, &c, err, errlen);

	return r < 0 ? r : entry_cmd(b, IPSET_CMD_DEL, &c, 0, err, errlen);
}

int ipset_backend_test(struct ipset_backend *b, const struct addr *net, unsigned prefix,
		       char *err, size_t errlen)
{
	struct cidr c;
	int r = entry_check(b, net, prefix, &c, err, errlen);

	return r < 0 ? r : entry_cmd(b, IPSET_CMD_TEST, &c, 0, err, errlen);
}

/* Every entry of set sp to each(data, entry, seconds): one save listing. */
static int list_entries(struct ipset_backend *b, const struct set_spec *sp, ipset_entry_fn *each, void *data,
			char *err, size_t errlen)
{
	int r;

	/* HEADER first: a failing LIST desynchronizes the session (BUGS). */
	if ((r = set_header(b, sp, IPSET_CMD_ADD, err, errlen)) < 0)
		return r;
	if ((r = list_begin(b, sp, IPSET_LIST_SAVE, SCAN_ALL, err, errlen)) < 0)
		return r;
	b->scan.each = each;
	b->scan.each_data = data;
	r = ipset_cmd(b->session, IPSET_CMD_LIST, 0);
	scan_feed(&b->scan, "\n", 1);
	b->scan.mode = SCAN_NONE;
	if (r < 0)
		return lib_err(b, sp->name, "list", err, errlen);
	ipset_session_report_reset(b->session);
	return 0;
}

/* ipset_backend_timeout(): the first entry equal to want. */
struct wanted {
	struct cidr want;
	bool found;
	unsigned seconds;
};

static void wanted_entry(void *data, const struct cidr *c, unsigned seconds)
{
	struct wanted *w = data;

	if (!w->found && c->prefix == w->want.prefix && addr_equal(&c->net, &w->want.net)) {
		w->found = true;
		w->seconds = seconds;
	}
}

int ipset_backend_timeout(struct ipset_backend *b, const struct addr *net, unsigned prefix,
			  unsigned *ret_seconds, char *err, size_t errlen)
{
	const struct set_spec *sp;
	struct wanted w = {.found = false};
	int r;

	r = entry_check(b, net, prefix, &w.want, err, errlen);
	if (r < 0)
		return r;
	sp = &b->set[spec_index(net)];
	if ((r = list_entries(b, sp, wanted_entry, &w, err, errlen)) < 0)
		return r;
	if (!w.found) {
		char text[ADDR_STRLEN];

		addr_format(&w.want.net, text);
		set_err(err, errlen, "ipset '%s': %s/%u is not in the set", sp->name, text, prefix);
		return -ENOENT;
	}
	*ret_seconds = w.seconds;
	return 0;
}

int ipset_backend_list(struct ipset_backend *b, int family, ipset_entry_fn *each, void *data,
		       char *err, size_t errlen)
{
	if (family != AF_INET && family != AF_INET6) {
		set_err(err, errlen, "ipset: address family %d is neither IPv4 nor IPv6", family);
		return -EINVAL;
	}
	return list_entries(b, &b->set[family == AF_INET ? 0 : 1], each, data, err, errlen);
}

/* Open and free. */

static int spec_init(struct set_spec *sp, const char *name, int i, char *err, size_t errlen)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n >= sizeof(sp->name)) {
		set_err(err, errlen, "ipset: bad %s set name '%s' (1..%d characters)",
			i == 0 ? "IPv4" : "IPv6", name ? name : "", IPSET_MAXNAMELEN - 1);
		return -EINVAL;
	}
	memset(sp->name, 0, sizeof(sp->name));
	memcpy(sp->name, name, n);
	memset(sp->type, 0, sizeof(sp->type));
	strcpy(sp->type, i == 0 ? "hash:ip" : "hash:net");
	sp->nfproto = i == 0 ? NFPROTO_IPV4 : NFPROTO_IPV6;
	sp->family = i == 0 ? "inet" : "inet6";
	return 0;
}

/* Both sets: made when missing (create), or required to exist. */
static int open_sets(const char *set4, const char *set6, uint32_t maxelem, bool create,
		     struct ipset_backend **ret, char *err, size_t errlen)
{
	struct ipset_backend *b;
	bool created;
	int r;

	b = calloc(1, sizeof(*b));
	if (b == NULL) {
		set_err(err, errlen, "ipset: out of memory");
		return -ENOMEM;
	}
	if ((r = spec_init(&b->set[0], set4, 0, err, errlen)) < 0 ||
	    (r = spec_init(&b->set[1], set6, 1, err, errlen)) < 0)
		goto fail;
	b->set[0].maxelem_create = b->set[1].maxelem_create = maxelem;
	if (strcmp(b->set[0].name, b->set[1].name) == 0) {
		set_err(err, errlen, "ipset: the IPv4 and IPv6 sets must differ (both '%s')",
			b->set[0].name);
		r = -EINVAL;
		goto fail;
	}
	if (!types_loaded) {
		ipset_load_types();
		types_loaded = true;
	}
	if ((r = session_open(b, err, errlen)) < 0)
		goto fail;
	for (int i = 0; i < 2; i++) {
		if (create)
			r = set_ensure(b, &b->set[i], &created, err, errlen);
		else if ((r = set_header(b, &b->set[i], IPSET_CMD_ADD, err, errlen)) == 0)
			r = set_has_timeout(b, &b->set[i], err, errlen);
		if (r < 0)
			goto fail;
	}
	*ret = b;
	return 0;
fail:
	ipset_backend_free(b);
	return r;
}

int ipset_backend_open(const char *set4, const char *set6, uint32_t maxelem, struct ipset_backend **ret,
		       char *err, size_t errlen)
{
	return open_sets(set4, set6, maxelem, true, ret, err, errlen);
}

int ipset_backend_attach(const char *set4, const char *set6, struct ipset_backend **ret,
			 char *err, size_t errlen)
{
	return open_sets(set4, set6, 0, false, ret, err, errlen);
}

uint32_t ipset_backend_maxelem(const struct ipset_backend *b, int family)
{
	return family == AF_INET ? b->set[0].maxelem : family == AF_INET6 ? b->set[1].maxelem : 0;
}

void ipset_backend_free(struct ipset_backend *b)
{
	if (b == NULL)
		return;
	if (b->session != NULL)
		ipset_session_fini(b->session);
	free(b);
}

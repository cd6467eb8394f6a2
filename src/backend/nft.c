/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	nft 3
 * SUMMARY
 *	ban backend on authfold's own nftables table (libnftnl, libmnl)
 * SYNOPSIS
 *	#include "nft.h"
 *
 *	int	nft_backend_open(o, ret, err, errlen)
 *	int	nft_backend_attach(o, ret, err, errlen)
 *	int	nft_backend_add(b, net, prefix, seconds, err, errlen)
 *	int	nft_backend_del(b, net, prefix, err, errlen)
 *	int	nft_backend_test(b, net, prefix, err, errlen)
 *	int	nft_backend_timeout(b, net, prefix, ret_seconds, err, errlen)
 *	int	nft_backend_list(b, family, each, data, err, errlen)
 *	int	nft_backend_check(b, err, errlen)
 *	void	nft_backend_free(b)
 * DESCRIPTION
 *	The backend owns one table of family inet, o->table, and touches
 *	nothing else in the ruleset. The table holds, as `nft list table`
 *	shows it:
 *
 *	  set banned4 { type ipv4_addr; flags timeout; }
 *	  set banned6 { type ipv6_addr; flags timeout; }
 *	  set ports { type inet_service; }	(only when o->n_ports > 0)
 *	  chain input { type filter hook input priority P; policy accept;
 *	    ip saddr @banned4 tcp dport @ports counter drop
 *	    ip6 saddr & MASK @banned6 tcp dport @ports counter drop }
 *
 *	MASK is the o->ipv6_prefix netmask; IPv6 elements are the masked
 *	networks, so one element bans a whole prefix without an interval set
 *	(interval sets refuse addresses inside an existing prefix and make
 *	libnftables slow). With no ports the rules drop every packet of a
 *	member. A drop in a base chain is final, whatever the admin's own
 *	tables accept at the same hook.
 *
 *	Everything goes through one NETLINK_NETFILTER socket (libmnl) with
 *	messages built by libnftnl; changes are nfnetlink batches, which the
 *	kernel applies atomically. The cost of a ban does not depend on what
 *	other tables hold: the kernel is never asked for the whole ruleset.
 *
 *	nft_backend_open() makes the table whole, in one batch: it creates
 *	what is missing, leaves both ban sets and their elements alone,
 *	refills the ports set, and rewrites the chain's rules (so a changed
 *	port list, mask or priority takes effect; a chain of another hook or
 *	priority is deleted and made again). nft_backend_attach() is the same
 *	for readers (authfold status): it creates nothing and fails with
 *	-ENOENT when the table or a ban set is missing.
 *
 *	nft_backend_add() gives net/prefix a timeout of seconds (1 or more,
 *	larger values clamped to NFT_BACKEND_TIMEOUT_MAX) in one batch of
 *	three messages: add (no-op when present), delete, add with the
 *	timeout. Kernels before 6.12 do not update the timeout of an element
 *	that is added again; the delete makes it new, and the first add makes
 *	sure the delete finds it. When the batch fails with ENOENT (an admin
 *	ran `nft flush ruleset` or deleted the table), the table is rebuilt
 *	and the add retried once; nft_backend_check() then returns 1 once, so
 *	that the caller puts the other running bans back.
 *
 *	nft_backend_check() looks at the chain's rules (one dump of the chain);
 *	when the table, the chain or a rule is missing it rebuilds the table
 *	as nft_backend_open() does and returns 1. A daemon calls it about
 *	once a second.
 *
 *	nft_backend_del() removes net/prefix; an element (or set) that is not
 *	there is not an error. nft_backend_test() asks the kernel for that one
 *	element: 1 member, 0 not. nft_backend_timeout() reads its remaining
 *	time, rounded up to whole seconds. nft_backend_list() dumps the set of
 *	family (AF_INET or AF_INET6) and calls each(data, entry, seconds) for
 *	every element; IPv6 entries carry o->ipv6_prefix.
 *
 *	prefix must be 32 for IPv4 and o->ipv6_prefix for IPv6 (the set holds
 *	networks of that one length); host bits of net are cleared. del and
 *	test of another IPv6 prefix answer "not there". add of another IPv6
 *	prefix (a ban from before ipv6_prefix was changed) bans the
 *	o->ipv6_prefix network that holds net: wider than asked for a longer
 *	prefix, narrower for a shorter one. Refusing it would leave the ban
 *	queued and failing for good (engine(3)).
 *
 *	A table name is what names_nft_ok() accepts (names(3)).
 * DIAGNOSTICS
 *	Functions return 0 (test: 1 or 0; check: 1 or 0) or a negative errno
 *	with a message in err that names the table, e.g. -EPERM "nft table
 *	'inet authfold': create: Operation not permitted" without
 *	CAP_NET_ADMIN; -EEXIST when an object of the table exists with
 *	another type (a set banned4 that is not ipv4_addr with timeouts);
 *	-EINVAL a bad argument; -ENOENT (timeout, attach) not there; -ENOMEM;
 *	-EIO the kernel gave no answer. ret_* are written only on success.
 * SECURITY
 *	Needs CAP_NET_ADMIN in the current network namespace, nothing else.
 *	Addresses arrive as struct addr, never as text. Kernel replies are
 *	read into a fixed buffer whose size bounds every message (libmnl
 *	refuses a truncated one); a dump of a set is handed out element by
 *	element, the caller bounds what it keeps. The socket is
 *	close-on-exec. Nothing is printed.
 * BUGS
 *	Not thread-safe: one backend per thread. An admin who flushes only the
 *	elements of a ban set (`nft flush set`) is not noticed: the bans
 *	come back at the next daemon start. Rules an admin adds to authfold's
 *	chain are removed at the next rebuild. Every nft_backend_open()
 *	(daemon start, replay --ban, unban) rewrites the rules, which resets
 *	their counters. With no ports, a ports set left from an earlier
 *	configuration stays in the table, unused.
 */

#include "nft.h"

#include "errmsg.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

#define BATCH_LIMIT	(32 * 1024)	/* a batch; the buffer is twice that */
#define BATCH_MSGS	16		/* messages in one batch at most */
#define RECV_SIZE	(64 * 1024)	/* one read of kernel replies */
#define RULES		2		/* the chain's rules: IPv4, IPv6 */

/* nftables' data types (nftables' datatype.h), shown by `nft list` */
#define TYPE_IPADDR		7
#define TYPE_IP6ADDR		8
#define TYPE_INET_SERVICE	13

struct nft_backend {
	struct mnl_socket *nl;
	uint32_t portid, seq;
	char table[NFT_BACKEND_NAME_MAX + 1];
	int32_t priority;
	uint16_t *ports;		/* network order */
	size_t n_ports;
	unsigned v6prefix;
	bool rebuilt;			/* rebuilt since the last nft_backend_check() */
	bool unsynced;			/* replies of an earlier request may still come */
	char *batch;			/* 2 * BATCH_LIMIT, zeroed: no uninitialized padding goes to the kernel */
	char *rbuf;			/* RECV_SIZE */
};

/* Messages. */

static int fail(struct nft_backend *b, int r, const char *what, char *err, size_t errlen)
{
	const char *why = r == -EPERM ? "Operation not permitted (needs CAP_NET_ADMIN)" : strerror(-r);

	set_err(err, errlen, "nft table 'inet %s': %s: %s", b->table, what, why);
	return r;
}

/* After a request that ended early, read away what the kernel still had to say. */
static void drain(struct nft_backend *b)
{
	if (!b->unsynced)
		return;
	while (recv(mnl_socket_get_fd(b->nl), b->rbuf, RECV_SIZE, MSG_DONTWAIT) > 0 || errno == EINTR)
		;
	b->unsynced = false;
}

/* Queries: one request, replies until the ACK or the end of a dump. */

static int query(struct nft_backend *b, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	uint32_t seq = nlh->nlmsg_seq;
	ssize_t n;
	int r;

	drain(b);
	if (mnl_socket_sendto(b->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		n = mnl_socket_recvfrom(b->nl, b->rbuf, RECV_SIZE);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			b->unsynced = true;
			return -errno;
		}
		errno = 0;
		r = mnl_cb_run(b->rbuf, (size_t) n, seq, b->portid, cb, data);
		if (r < 0) {
			r = errno ? -errno : -EIO;
			/* a kernel error ends the request; anything else may leave replies behind */
			b->unsynced = r != -ENOENT && r != -EPERM && r != -EEXIST;
			return r;
		}
		if (r == MNL_CB_STOP)
			return 0;
	}
}

static struct nlmsghdr *query_hdr(struct nft_backend *b, uint16_t type, uint16_t flags)
{
	return nftnl_nlmsg_build_hdr(b->batch, type, NFPROTO_INET, flags, ++b->seq);
}

/* Does the table exist? 1, 0, or <0. */
static int table_exists(struct nft_backend *b)
{
	struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *nlh;
	int r;

	if (t == NULL)
		return -ENOMEM;
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, b->table);
	nlh = query_hdr(b, NFT_MSG_GETTABLE, NLM_F_ACK);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	r = query(b, nlh, NULL, NULL);
	return r == 0 ? 1 : r == -ENOENT ? 0 : r;
}

struct chain_info {
	bool seen;
	uint32_t hook;
	int32_t prio;
	unsigned rules;
};

static int chain_cb(const struct nlmsghdr *nlh, void *data)
{
	struct chain_info *ci = data;
	struct nftnl_chain *c = nftnl_chain_alloc();

	if (c == NULL)
		return MNL_CB_ERROR;
	if (nftnl_chain_nlmsg_parse(nlh, c) == 0) {
		ci->seen = true;
		ci->hook = nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM) ? nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM)
								      : UINT32_MAX;
		ci->prio = nftnl_chain_is_set(c, NFTNL_CHAIN_PRIO) ? (int32_t) nftnl_chain_get_u32(c, NFTNL_CHAIN_PRIO) : 0;
	}
	nftnl_chain_free(c);
	return MNL_CB_OK;
}

static int rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct chain_info *ci = data;

	(void) nlh;
	ci->rules++;
	return MNL_CB_OK;
}

/* The chain's hook, priority and number of rules; ci->seen false when it is missing. */
static int chain_read(struct nft_backend *b, struct chain_info *ci)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct nftnl_rule *ru;
	struct nlmsghdr *nlh;
	int r;

	memset(ci, 0, sizeof(*ci));
	if (c == NULL)
		return -ENOMEM;
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, b->table);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, NFT_BACKEND_CHAIN);
	nlh = query_hdr(b, NFT_MSG_GETCHAIN, NLM_F_ACK);
	nftnl_chain_nlmsg_build_payload(nlh, c);
	nftnl_chain_free(c);
	r = query(b, nlh, chain_cb, ci);
	if (r == -ENOENT) {
		ci->seen = false;
		return 0;
	}
	if (r < 0)
		return r;
	if ((ru = nftnl_rule_alloc()) == NULL)
		return -ENOMEM;
	nftnl_rule_set_str(ru, NFTNL_RULE_TABLE, b->table);
	nftnl_rule_set_str(ru, NFTNL_RULE_CHAIN, NFT_BACKEND_CHAIN);
	nlh = query_hdr(b, NFT_MSG_GETRULE, NLM_F_DUMP);
	nftnl_rule_nlmsg_build_payload(nlh, ru);
	nftnl_rule_free(ru);
	r = query(b, nlh, rule_cb, ci);
	return r == -ENOENT ? 0 : r;
}

/* Batches. */

struct batch {
	struct mnl_nlmsg_batch *mb;
	uint32_t first, last;		/* sequence numbers of the messages */
	unsigned n;
	const char *what[BATCH_MSGS];
	bool overflow, nomem;
};

static void batch_start(struct nft_backend *b, struct batch *bt)
{
	memset(bt, 0, sizeof(*bt));
	bt->mb = mnl_nlmsg_batch_start(b->batch, BATCH_LIMIT);
	nftnl_batch_begin(mnl_nlmsg_batch_current(bt->mb), ++b->seq);
	mnl_nlmsg_batch_next(bt->mb);
	bt->first = b->seq + 1;
}

/* A message header in the batch, acknowledged; NULL when the batch is full. */
static struct nlmsghdr *batch_msg(struct nft_backend *b, struct batch *bt, uint16_t type, uint16_t flags,
				  const char *what)
{
	if (bt->n == BATCH_MSGS || bt->overflow) {
		bt->overflow = true;
		return NULL;
	}
	bt->what[bt->n++] = what;
	bt->last = ++b->seq;
	return nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(bt->mb), type, NFPROTO_INET, flags | NLM_F_ACK, b->seq);
}

static void batch_next(struct batch *bt)
{
	if (!mnl_nlmsg_batch_next(bt->mb))
		bt->overflow = true;	/* the last message went past BATCH_LIMIT */
}

/*
 * Sends the batch and reads one acknowledgement per message. The kernel
 * handles a batch while we send it, so the answers are queued when
 * sendto() returns; a short wait covers the unexpected. Returns 0 or the
 * first error, with *ret_what naming the message that failed.
 */
static int batch_send(struct nft_backend *b, struct batch *bt, const char **ret_what)
{
	unsigned acks = 0;
	int first = 0;

	drain(b);
	*ret_what = "batch";
	if (bt->nomem)
		return -ENOMEM;
	if (bt->overflow)
		return -E2BIG;
	nftnl_batch_end(mnl_nlmsg_batch_current(bt->mb), ++b->seq);
	mnl_nlmsg_batch_next(bt->mb);
	if (mnl_socket_sendto(b->nl, mnl_nlmsg_batch_head(bt->mb), mnl_nlmsg_batch_size(bt->mb)) < 0) {
		int r = -errno;

		mnl_nlmsg_batch_stop(bt->mb);
		return r;
	}
	mnl_nlmsg_batch_stop(bt->mb);
	while (acks < bt->n) {
		struct pollfd pfd = {mnl_socket_get_fd(b->nl), POLLIN, 0};
		int pr = poll(&pfd, 1, 1000);
		ssize_t n;

		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0) {
			b->unsynced = true;
			return first ? first : pr < 0 ? -errno : -EIO;
		}
		n = recv(pfd.fd, b->rbuf, RECV_SIZE, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			b->unsynced = true;
			return first ? first : -errno;
		}
		int len = (int) n;

		for (struct nlmsghdr *h = (struct nlmsghdr *) b->rbuf; mnl_nlmsg_ok(h, len); h = mnl_nlmsg_next(h, &len)) {
			const struct nlmsgerr *e;

			if (h->nlmsg_type != NLMSG_ERROR || h->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
				continue;
			e = mnl_nlmsg_get_payload(h);
			if (h->nlmsg_seq - bt->first >= bt->n) {
				/* not one of the messages: the batch as a whole was
				   refused (no permission, a failed commit) */
				if (e->error < 0 && h->nlmsg_seq == bt->first - 1) {
					b->unsynced = true;
					return e->error;
				}
				continue;
			}
			acks++;
			if (e->error < 0 && first == 0) {
				first = e->error;
				*ret_what = bt->what[h->nlmsg_seq - bt->first];
			}
		}
	}
	return first;
}

/* Expressions of a rule. */

static void expr(struct nftnl_rule *r, struct batch *bt, struct nftnl_expr *e)
{
	if (e == NULL)
		bt->nomem = true;
	else
		nftnl_rule_add_expr(r, e);
}

static struct nftnl_expr *e_meta(uint32_t key)
{
	struct nftnl_expr *e = nftnl_expr_alloc("meta");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
	}
	return e;
}

static struct nftnl_expr *e_cmp_eq(const void *data, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("cmp");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
		nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	}
	return e;
}

static struct nftnl_expr *e_payload(uint32_t base, uint32_t offset, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("payload");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	}
	return e;
}

static struct nftnl_expr *e_mask(const uint8_t *mask, uint32_t len)
{
	static const uint8_t zero[16];
	struct nftnl_expr *e = nftnl_expr_alloc("bitwise");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len);
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, zero, len);
	}
	return e;
}

static struct nftnl_expr *e_lookup(const char *set, uint32_t set_id)
{
	struct nftnl_expr *e = nftnl_expr_alloc("lookup");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
		nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, set_id);
	}
	return e;
}

static struct nftnl_expr *e_drop(void)
{
	struct nftnl_expr *e = nftnl_expr_alloc("immediate");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, NF_DROP);
	}
	return e;
}

enum { SET4_ID = 1, SET6_ID, PORTS_ID };

/* NEWRULE: [ip|ip6] saddr [& MASK] @set [tcp dport @ports] counter drop */
static void add_rule(struct nft_backend *b, struct batch *bt, int family)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nlmsghdr *nlh;
	uint8_t nfproto = family == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6, tcp = IPPROTO_TCP;

	if (r == NULL) {
		bt->nomem = true;
		return;
	}
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, b->table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, NFT_BACKEND_CHAIN);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	expr(r, bt, e_meta(NFT_META_NFPROTO));
	expr(r, bt, e_cmp_eq(&nfproto, 1));
	if (family == AF_INET) {
		expr(r, bt, e_payload(NFT_PAYLOAD_NETWORK_HEADER, 12, 4));
		expr(r, bt, e_lookup(NFT_BACKEND_SET4, SET4_ID));
	} else {
		struct addr mask = {AF_INET6, {0}};

		memset(mask.bytes, 0xff, 16);
		addr_mask(&mask, b->v6prefix);
		expr(r, bt, e_payload(NFT_PAYLOAD_NETWORK_HEADER, 8, 16));
		if (b->v6prefix < 128)
			expr(r, bt, e_mask(mask.bytes, 16));
		expr(r, bt, e_lookup(NFT_BACKEND_SET6, SET6_ID));
	}
	if (b->n_ports > 0) {
		expr(r, bt, e_meta(NFT_META_L4PROTO));
		expr(r, bt, e_cmp_eq(&tcp, 1));
		expr(r, bt, e_payload(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2));
		expr(r, bt, e_lookup(NFT_BACKEND_PORTS, PORTS_ID));
	}
	expr(r, bt, nftnl_expr_alloc("counter"));
	expr(r, bt, e_drop());
	if ((nlh = batch_msg(b, bt, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND,
			     family == AF_INET ? "IPv4 rule" : "IPv6 rule")) != NULL) {
		nftnl_rule_nlmsg_build_payload(nlh, r);
		batch_next(bt);
	}
	nftnl_rule_free(r);
}

static struct nftnl_set *set_new(struct nft_backend *b, const char *name)
{
	struct nftnl_set *s = nftnl_set_alloc();

	if (s) {
		nftnl_set_set_str(s, NFTNL_SET_TABLE, b->table);
		nftnl_set_set_str(s, NFTNL_SET_NAME, name);
		nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	}
	return s;
}

/* NEWSET: no NLM_F_EXCL, so an existing set of the same kind is kept with its elements. */
static void add_set(struct nft_backend *b, struct batch *bt, const char *name, uint32_t id, uint32_t type,
		    uint32_t len, uint32_t flags, const char *what)
{
	struct nftnl_set *s = set_new(b, name);
	struct nlmsghdr *nlh;

	if (s == NULL) {
		bt->nomem = true;
		return;
	}
	nftnl_set_set_u32(s, NFTNL_SET_ID, id);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, type);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, len);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, flags);
	if ((nlh = batch_msg(b, bt, NFT_MSG_NEWSET, NLM_F_CREATE, what)) != NULL) {
		nftnl_set_nlmsg_build_payload(nlh, s);
		batch_next(bt);
	}
	nftnl_set_free(s);
}

/* The ports set: emptied, then filled. */
static void fill_ports(struct nft_backend *b, struct batch *bt)
{
	struct nftnl_set *s = set_new(b, NFT_BACKEND_PORTS);
	struct nlmsghdr *nlh;

	if (s == NULL) {
		bt->nomem = true;
		return;
	}
	if ((nlh = batch_msg(b, bt, NFT_MSG_DELSETELEM, 0, "ports set flush")) != NULL) {
		nftnl_set_elems_nlmsg_build_payload(nlh, s);
		batch_next(bt);
	}
	for (size_t i = 0; i < b->n_ports; i++) {
		struct nftnl_set_elem *e = nftnl_set_elem_alloc();

		if (e == NULL) {
			bt->nomem = true;
			break;
		}
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, &b->ports[i], 2);
		nftnl_set_elem_add(s, e);
	}
	if ((nlh = batch_msg(b, bt, NFT_MSG_NEWSETELEM, NLM_F_CREATE, "ports")) != NULL) {
		nftnl_set_elems_nlmsg_build_payload(nlh, s);
		batch_next(bt);
	}
	nftnl_set_free(s);
}

static void chain_msg(struct nft_backend *b, struct batch *bt, uint16_t type, uint16_t flags, bool base,
		      const char *what)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct nlmsghdr *nlh;

	if (c == NULL) {
		bt->nomem = true;
		return;
	}
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, b->table);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, NFT_BACKEND_CHAIN);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
	if (base) {
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, NF_INET_LOCAL_IN);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, b->priority);
		nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter");
		nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	}
	if ((nlh = batch_msg(b, bt, type, flags, what)) != NULL) {
		nftnl_chain_nlmsg_build_payload(nlh, c);
		batch_next(bt);
	}
	nftnl_chain_free(c);
}

/* DELRULE without a handle: every rule of the chain. */
static void flush_chain(struct nft_backend *b, struct batch *bt)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nlmsghdr *nlh;

	if (r == NULL) {
		bt->nomem = true;
		return;
	}
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, b->table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, NFT_BACKEND_CHAIN);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	if ((nlh = batch_msg(b, bt, NFT_MSG_DELRULE, 0, "chain flush")) != NULL) {
		nftnl_rule_nlmsg_build_payload(nlh, r);
		batch_next(bt);
	}
	nftnl_rule_free(r);
}

/*
 * Makes the table whole. always: rewrite the chain even when it looks
 * right (open). *ret_rebuilt: the table, the chain or a rule was missing.
 */
static int ensure(struct nft_backend *b, bool always, bool *ret_rebuilt, char *err, size_t errlen)
{
	struct chain_info ci;
	struct batch bt;
	const char *what;
	int t, r;

	if ((t = table_exists(b)) < 0)
		return fail(b, t, "reading the table", err, errlen);
	if (t == 1 && (r = chain_read(b, &ci)) < 0)
		return fail(b, r, "reading the chain", err, errlen);
	bool whole = t == 1 && ci.seen && ci.rules == RULES && ci.hook == NF_INET_LOCAL_IN;

	*ret_rebuilt = !whole;
	if (whole && !always)
		return 0;

	struct nftnl_table *tb = nftnl_table_alloc();
	struct nlmsghdr *nlh;

	if (tb == NULL)
		return fail(b, -ENOMEM, "create", err, errlen);
	batch_start(b, &bt);
	nftnl_table_set_str(tb, NFTNL_TABLE_NAME, b->table);
	nftnl_table_set_u32(tb, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	if ((nlh = batch_msg(b, &bt, NFT_MSG_NEWTABLE, NLM_F_CREATE, "table")) != NULL) {
		nftnl_table_nlmsg_build_payload(nlh, tb);
		batch_next(&bt);
	}
	nftnl_table_free(tb);
	add_set(b, &bt, NFT_BACKEND_SET4, SET4_ID, TYPE_IPADDR, 4, NFT_SET_TIMEOUT, "set " NFT_BACKEND_SET4);
	add_set(b, &bt, NFT_BACKEND_SET6, SET6_ID, TYPE_IP6ADDR, 16, NFT_SET_TIMEOUT, "set " NFT_BACKEND_SET6);
	if (b->n_ports > 0) {
		add_set(b, &bt, NFT_BACKEND_PORTS, PORTS_ID, TYPE_INET_SERVICE, 2, 0, "set " NFT_BACKEND_PORTS);
		fill_ports(b, &bt);
	}
	if (t == 1 && ci.seen) {
		flush_chain(b, &bt);
		if (ci.hook != NF_INET_LOCAL_IN || ci.prio != b->priority)
			chain_msg(b, &bt, NFT_MSG_DELCHAIN, 0, false, "old chain");
	}
	chain_msg(b, &bt, NFT_MSG_NEWCHAIN, NLM_F_CREATE, true, "chain " NFT_BACKEND_CHAIN);
	add_rule(b, &bt, AF_INET);
	add_rule(b, &bt, AF_INET6);
	if ((r = batch_send(b, &bt, &what)) < 0) {
		char w[64];

		snprintf(w, sizeof(w), "create (%s)", what);
		if (r == -EEXIST) {
			set_err(err, errlen, "nft table 'inet %s': create (%s): it exists with another type or flags "
				"(delete the table, or configure another nft_table)", b->table, what);
			return r;
		}
		return fail(b, r, w, err, errlen);
	}
	return 0;
}

/* Elements. */

static int elem_check(struct nft_backend *b, const struct addr *net, unsigned prefix, struct cidr *ret,
		      char *err, size_t errlen)
{
	if (net->family != AF_INET && net->family != AF_INET6) {
		set_err(err, errlen, "nft: address family %d is neither IPv4 nor IPv6", net->family);
		return -EINVAL;
	}
	if ((net->family == AF_INET && prefix != 32) || (net->family == AF_INET6 && prefix != b->v6prefix)) {
		set_err(err, errlen, "nft table 'inet %s': bad prefix length %u for %s (the set holds /%u)", b->table,
			prefix, net->family == AF_INET ? "IPv4" : "IPv6", net->family == AF_INET ? 32 : b->v6prefix);
		return -EINVAL;
	}
	ret->net = *net;
	ret->prefix = prefix;
	addr_mask(&ret->net, prefix);
	return 0;
}

/* A set holding one element (key c, timeout ms unless 0); NULL on no memory. */
static struct nftnl_set *one_elem(struct nft_backend *b, const struct cidr *c, uint64_t timeout_ms)
{
	struct nftnl_set *s = set_new(b, c->net.family == AF_INET ? NFT_BACKEND_SET4 : NFT_BACKEND_SET6);
	struct nftnl_set_elem *e = nftnl_set_elem_alloc();

	if (s == NULL || e == NULL) {
		nftnl_set_free(s);
		nftnl_set_elem_free(e);
		return NULL;
	}
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, c->net.bytes, c->net.family == AF_INET ? 4 : 16);
	if (timeout_ms)
		nftnl_set_elem_set_u64(e, NFTNL_SET_ELEM_TIMEOUT, timeout_ms);
	nftnl_set_elem_add(s, e);
	return s;
}

static void elem_msg(struct nft_backend *b, struct batch *bt, uint16_t type, uint16_t flags,
		     const struct nftnl_set *s, const char *what)
{
	struct nlmsghdr *nlh = batch_msg(b, bt, type, flags, what);

	if (nlh != NULL) {
		nftnl_set_elems_nlmsg_build_payload(nlh, (struct nftnl_set *) s);
		batch_next(bt);
	}
}

/* add (no-op when there), delete, add with the timeout: one batch */
static int add_once(struct nft_backend *b, const struct cidr *c, unsigned seconds, const char **ret_what)
{
	struct nftnl_set *s = one_elem(b, c, (uint64_t) seconds * 1000);
	struct batch bt;
	int r;

	*ret_what = "add";
	if (s == NULL)
		return -ENOMEM;
	batch_start(b, &bt);
	elem_msg(b, &bt, NFT_MSG_NEWSETELEM, NLM_F_CREATE, s, "add");
	elem_msg(b, &bt, NFT_MSG_DELSETELEM, 0, s, "add (delete for the new timeout)");
	elem_msg(b, &bt, NFT_MSG_NEWSETELEM, NLM_F_CREATE, s, "add");
	r = batch_send(b, &bt, ret_what);
	nftnl_set_free(s);
	return r;
}

int nft_backend_add(struct nft_backend *b, const struct addr *net, unsigned prefix, unsigned seconds,
		    char *err, size_t errlen)
{
	struct cidr c;
	const char *what;
	bool rebuilt = false;
	int r;

	if (net->family == AF_INET6 && prefix >= 1 && prefix <= 128)
		prefix = b->v6prefix;	/* see DESCRIPTION */
	if ((r = elem_check(b, net, prefix, &c, err, errlen)) < 0)
		return r;
	if (seconds == 0) {
		set_err(err, errlen, "nft table 'inet %s': a ban needs a timeout of at least 1 second", b->table);
		return -EINVAL;
	}
	if (seconds > NFT_BACKEND_TIMEOUT_MAX)
		seconds = NFT_BACKEND_TIMEOUT_MAX;
	r = add_once(b, &c, seconds, &what);
	if (r != -ENOENT)
		return r < 0 ? fail(b, r, what, err, errlen) : 0;
	/* flush ruleset, delete table: build it again, retry once */
	if ((r = ensure(b, false, &rebuilt, err, errlen)) < 0)
		return r;
	b->rebuilt |= rebuilt;
	r = add_once(b, &c, seconds, &what);
	return r < 0 ? fail(b, r, what, err, errlen) : 0;
}

int nft_backend_del(struct nft_backend *b, const struct addr *net, unsigned prefix, char *err, size_t errlen)
{
	struct nftnl_set *s;
	struct batch bt;
	struct cidr c;
	const char *what;
	int r;

	if (net->family == AF_INET6 && prefix != b->v6prefix && prefix >= 1 && prefix <= 128)
		return 0;	/* no such element can exist */
	if ((r = elem_check(b, net, prefix, &c, err, errlen)) < 0)
		return r;
	if ((s = one_elem(b, &c, 0)) == NULL)
		return fail(b, -ENOMEM, "del", err, errlen);
	batch_start(b, &bt);
	elem_msg(b, &bt, NFT_MSG_DELSETELEM, 0, s, "del");
	r = batch_send(b, &bt, &what);
	nftnl_set_free(s);
	if (r == -ENOENT)
		return 0;
	return r < 0 ? fail(b, r, what, err, errlen) : 0;
}

/* Dumps and gets of elements: each element to a callback. */

struct elems {
	int family;
	unsigned prefix;
	nft_entry_fn *each;
	void *data;
	bool nomem;
};

static int elems_cb(const struct nlmsghdr *nlh, void *data)
{
	struct elems *el = data;
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_set_elems_iter *it;
	size_t want = el->family == AF_INET ? 4 : 16;

	if (s == NULL) {
		el->nomem = true;
		return MNL_CB_ERROR;
	}
	if (nftnl_set_elems_nlmsg_parse(nlh, s) < 0 || (it = nftnl_set_elems_iter_create(s)) == NULL) {
		nftnl_set_free(s);
		return MNL_CB_OK;
	}
	for (struct nftnl_set_elem *e = nftnl_set_elems_iter_next(it); e; e = nftnl_set_elems_iter_next(it)) {
		uint32_t len = 0;
		const void *key = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len);
		struct cidr c = {{el->family, {0}}, el->prefix};
		/* an element added without a timeout has no expiration, and
		   libnftnl's get_u64 of a missing attribute reads through NULL */
		uint64_t ms = nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_EXPIRATION)
			      ? nftnl_set_elem_get_u64(e, NFTNL_SET_ELEM_EXPIRATION) : 0;

		if (key == NULL || len != want)
			continue;
		memcpy(c.net.bytes, key, want);
		el->each(el->data, &c, ms ? (unsigned) ((ms + 999) / 1000) : 0);
	}
	nftnl_set_elems_iter_destroy(it);
	nftnl_set_free(s);
	return MNL_CB_OK;
}

struct wanted {
	bool found;
	unsigned seconds;
};

static void wanted_entry(void *data, const struct cidr *c, unsigned seconds)
{
	struct wanted *w = data;

	(void) c;
	w->found = true;
	w->seconds = seconds;
}

/* GETSETELEM of one element: 1 there (its time in *w), 0 not. */
static int elem_get(struct nft_backend *b, const struct cidr *c, struct wanted *w)
{
	struct nftnl_set *s = one_elem(b, c, 0);
	struct elems el = {c->net.family, c->prefix, wanted_entry, w, false};
	struct nlmsghdr *nlh;
	int r;

	if (s == NULL)
		return -ENOMEM;
	nlh = query_hdr(b, NFT_MSG_GETSETELEM, NLM_F_ACK);
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	r = query(b, nlh, elems_cb, &el);
	if (el.nomem)
		return -ENOMEM;
	if (r == -ENOENT)
		return 0;
	return r < 0 ? r : w->found;
}

int nft_backend_test(struct nft_backend *b, const struct addr *net, unsigned prefix, char *err, size_t errlen)
{
	struct wanted w = {false, 0};
	struct cidr c;
	int r;

	if (net->family == AF_INET6 && prefix != b->v6prefix && prefix >= 1 && prefix <= 128)
		return 0;
	if ((r = elem_check(b, net, prefix, &c, err, errlen)) < 0)
		return r;
	r = elem_get(b, &c, &w);
	return r < 0 ? fail(b, r, "test", err, errlen) : r;
}

int nft_backend_timeout(struct nft_backend *b, const struct addr *net, unsigned prefix, unsigned *ret_seconds,
			char *err, size_t errlen)
{
	struct wanted w = {false, 0};
	struct cidr c;
	int r;

	if ((r = elem_check(b, net, prefix, &c, err, errlen)) < 0)
		return r;
	if ((r = elem_get(b, &c, &w)) < 0)
		return fail(b, r, "get", err, errlen);
	if (r == 0) {
		char a[ADDR_STRLEN];

		addr_format(&c.net, a);
		set_err(err, errlen, "nft table 'inet %s': %s/%u is not in the set", b->table, a, prefix);
		return -ENOENT;
	}
	*ret_seconds = w.seconds;
	return 0;
}

int nft_backend_list(struct nft_backend *b, int family, nft_entry_fn *each, void *data, char *err, size_t errlen)
{
	struct elems el = {family, family == AF_INET ? 32 : b->v6prefix, each, data, false};
	struct nftnl_set *s;
	struct nlmsghdr *nlh;
	int r;

	if (family != AF_INET && family != AF_INET6) {
		set_err(err, errlen, "nft: address family %d is neither IPv4 nor IPv6", family);
		return -EINVAL;
	}
	if ((s = set_new(b, family == AF_INET ? NFT_BACKEND_SET4 : NFT_BACKEND_SET6)) == NULL)
		return fail(b, -ENOMEM, "list", err, errlen);
	nlh = query_hdr(b, NFT_MSG_GETSETELEM, NLM_F_DUMP);
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	r = query(b, nlh, elems_cb, &el);
	if (el.nomem)
		r = -ENOMEM;
	return r < 0 ? fail(b, r, family == AF_INET ? "list " NFT_BACKEND_SET4 : "list " NFT_BACKEND_SET6, err, errlen)
		     : 0;
}

int nft_backend_check(struct nft_backend *b, char *err, size_t errlen)
{
	bool rebuilt = false;
	int r = ensure(b, false, &rebuilt, err, errlen);

	if (r < 0)
		return r;
	rebuilt |= b->rebuilt;
	b->rebuilt = false;
	if (rebuilt)
		set_err(err, errlen, "nft table 'inet %s' was gone or incomplete (nft flush ruleset, "
			"nft delete table?): made again", b->table);
	return rebuilt ? 1 : 0;
}

/* Open and free. */

static int set_exists(struct nft_backend *b, const char *name)
{
	struct nftnl_set *s = set_new(b, name);
	struct nlmsghdr *nlh;

	if (s == NULL)
		return -ENOMEM;
	nlh = query_hdr(b, NFT_MSG_GETSET, NLM_F_ACK);
	nftnl_set_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	return query(b, nlh, NULL, NULL);
}

static int backend_new(const struct nft_backend_options *o, struct nft_backend **ret, char *err, size_t errlen)
{
	struct nft_backend *b;

	if (!names_nft_ok(o->table)) {
		set_err(err, errlen, "nft: bad table name '%s' (a letter, then letters, digits, '_' or '.'; "
			"at most %d characters)", o->table ? o->table : "", NFT_BACKEND_NAME_MAX);
		return -EINVAL;
	}
	if (o->ipv6_prefix < 1 || o->ipv6_prefix > 128) {
		set_err(err, errlen, "nft: bad IPv6 prefix length %u", o->ipv6_prefix);
		return -EINVAL;
	}
	if ((b = calloc(1, sizeof(*b))) == NULL || (b->batch = calloc(2, BATCH_LIMIT)) == NULL ||
	    (b->rbuf = malloc(RECV_SIZE)) == NULL ||
	    (o->n_ports && (b->ports = calloc(o->n_ports, sizeof(*b->ports))) == NULL)) {
		nft_backend_free(b);
		set_err(err, errlen, "nft: out of memory");
		return -ENOMEM;
	}
	strcpy(b->table, o->table);
	b->priority = o->priority;
	b->v6prefix = o->ipv6_prefix;
	b->n_ports = o->n_ports;
	for (size_t i = 0; i < o->n_ports; i++)
		b->ports[i] = htons(o->ports[i]);
	b->seq = (uint32_t) time(NULL);
	if ((b->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC)) == NULL ||
	    mnl_socket_bind(b->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int r = -errno;

		set_err(err, errlen, "nft: cannot open a netfilter netlink socket: %s", strerror(errno));
		nft_backend_free(b);
		return r;
	}
	b->portid = mnl_socket_get_portid(b->nl);
	*ret = b;
	return 0;
}

int nft_backend_open(const struct nft_backend_options *o, struct nft_backend **ret, char *err, size_t errlen)
{
	struct nft_backend *b;
	bool rebuilt;
	int r;

	if ((r = backend_new(o, &b, err, errlen)) < 0)
		return r;
	if ((r = ensure(b, true, &rebuilt, err, errlen)) < 0) {
		nft_backend_free(b);
		return r;
	}
	*ret = b;
	return 0;
}

int nft_backend_attach(const struct nft_backend_options *o, struct nft_backend **ret, char *err, size_t errlen)
{
	struct nft_backend *b;
	int r;

	if ((r = backend_new(o, &b, err, errlen)) < 0)
		return r;
	if ((r = set_exists(b, NFT_BACKEND_SET4)) < 0 || (r = set_exists(b, NFT_BACKEND_SET6)) < 0) {
		fail(b, r, "reading the sets", err, errlen);
		nft_backend_free(b);
		return r;
	}
	*ret = b;
	return 0;
}

void nft_backend_free(struct nft_backend *b)
{
	if (b == NULL)
		return;
	if (b->nl)
		mnl_socket_close(b->nl);
	free(b->ports);
	free(b->batch);
	free(b->rbuf);
	free(b);
}

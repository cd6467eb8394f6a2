/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NAME
 *	privs 3
 * SUMMARY
 *	keep only CAP_NET_ADMIN, forbid new privileges
 * SYNOPSIS
 *	#include "privs.h"
 *
 *	int	privs_keep_net_admin(err, errlen)
 *	int	privs_no_new_privs()
 * DESCRIPTION
 *	privs_keep_net_admin() is called once, early, by programs that ban
 *	through the ipset or nft backend.
 *
 *	Running as root (effective uid 0), it uses libcap-ng to keep
 *	CAP_NET_ADMIN in the effective and permitted sets only, clears the
 *	inheritable and ambient sets, and empties the bounding set except
 *	for CAP_NET_ADMIN (so that nothing exec'd later, not even as root,
 *	can regain another capability; a bounding set that is CAP_NET_ADMIN
 *	alone already, as systemd's CapabilityBoundingSet= leaves it, is not
 *	touched, since changing it would need CAP_SETPCAP). We do not change
 *	users, so nothing
 *	has to be kept across setuid(). Then it sets PR_SET_NO_NEW_PRIVS.
 *	Finally it reads the result back from the kernel (capget(2),
 *	PR_CAPBSET_READ, PR_CAP_AMBIENT_IS_SET, PR_GET_NO_NEW_PRIVS) and
 *	fails unless exactly that state is in force.
 *
 *	Not running as root, there is nothing to drop: it returns 0 when
 *	CAP_NET_ADMIN is already effective (e.g. systemd's
 *	AmbientCapabilities=CAP_NET_ADMIN), else -EPERM. It changes nothing
 *	in that case (NoNewPrivileges= belongs to the unit there).
 *
 *	privs_no_new_privs() sets PR_SET_NO_NEW_PRIVS alone.
 * DIAGNOSTICS
 *	privs_keep_net_admin() returns 0 or a negative errno with a message
 *	in err; the caller must treat every failure as fatal. -EPERM: not
 *	root and CAP_NET_ADMIN not effective, or the kernel refused a change
 *	(e.g. dropping the bounding set without CAP_SETPCAP). -EIO: libcap-ng
 *	failed, or the state read back is not the one asked for.
 *	privs_no_new_privs() returns 0 or a negative errno.
 * SECURITY
 *	A failed drop is never a warning. After a successful call as root,
 *	the process is uid 0 with CAP_NET_ADMIN only: without
 *	CAP_DAC_OVERRIDE it can write only files its uid owns or may write
 *	by mode; state and log files must be prepared accordingly.
 */

#include "privs.h"

#include "errmsg.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>

#include <cap-ng.h>

int privs_no_new_privs(void)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	return 0;
}

/* Read the capability sets from the kernel. */
static int caps_read(uint64_t *ret_eff, uint64_t *ret_prm, uint64_t *ret_inh)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	/* Zeroed: valgrind's model of capget writes only data[0]. */
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {{0}};

	if (syscall(SYS_capget, &hdr, data) < 0)
		return -errno;
	*ret_eff = (uint64_t) data[1].effective << 32 | data[0].effective;
	*ret_prm = (uint64_t) data[1].permitted << 32 | data[0].permitted;
	*ret_inh = (uint64_t) data[1].inheritable << 32 | data[0].inheritable;
	return 0;
}

/* 1 when the kernel's bounding set is CAP_NET_ADMIN alone already (as
 * systemd's CapabilityBoundingSet=CAP_NET_ADMIN leaves it), else 0. */
static int bounding_is_net_admin_only(void)
{
	for (unsigned c = 0; c < 64; c++) {
		int b = prctl(PR_CAPBSET_READ, c, 0, 0, 0);

		if (b < 0)		/* EINVAL: past the kernel's last capability */
			break;
		if ((b == 1) != (c == CAP_NET_ADMIN))
			return 0;
	}
	return 1;
}

/* Check that exactly CAP_NET_ADMIN is left, everywhere it matters. */
static int verify(char *err, size_t errlen)
{
	const uint64_t want = UINT64_C(1) << CAP_NET_ADMIN;
	uint64_t eff = 0, prm = 0, inh = 0;
	int r = caps_read(&eff, &prm, &inh);

	if (r < 0) {
		set_err(err, errlen, "privileges: capget: %s", strerror(-r));
		return r;
	}
	if (eff != want || prm != want || inh != 0) {
		set_err(err, errlen,
			"privileges: after the drop the capabilities are effective %#llx, "
			"permitted %#llx, inheritable %#llx; want %#llx, %#llx, 0",
			(unsigned long long) eff, (unsigned long long) prm,
			(unsigned long long) inh, (unsigned long long) want,
			(unsigned long long) want);
		return -EIO;
	}
	for (unsigned c = 0; c < 64; c++) {
		int b = prctl(PR_CAPBSET_READ, c, 0, 0, 0);
		int a = prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, c, 0, 0);

		if (b < 0)		/* EINVAL: past the kernel's last capability */
			break;
		if ((b == 1) != (c == CAP_NET_ADMIN)) {
			set_err(err, errlen,
				"privileges: capability %u is %s the bounding set after the drop",
				c, b == 1 ? "still in" : "missing from");
			return -EIO;
		}
		if (a == 1) {
			set_err(err, errlen,
				"privileges: capability %u is still ambient after the drop", c);
			return -EIO;
		}
	}
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) {
		set_err(err, errlen, "privileges: no_new_privs is not set after the drop");
		return -EIO;
	}
	return 0;
}

int privs_keep_net_admin(char *err, size_t errlen)
{
	int r;

	if (geteuid() != 0) {
		if (capng_get_caps_process() < 0) {
			set_err(err, errlen, "privileges: cannot read this process's capabilities");
			return -EIO;
		}
		if (capng_have_capability(CAPNG_EFFECTIVE, CAP_NET_ADMIN))
			return 0;
		set_err(err, errlen,
			"privileges: not running as root and CAP_NET_ADMIN is not effective; "
			"run as root or grant CAP_NET_ADMIN (systemd: AmbientCapabilities=CAP_NET_ADMIN)");
		return -EPERM;
	}

	capng_clear(CAPNG_SELECT_ALL);
	if (capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_BOUNDING_SET,
			 CAP_NET_ADMIN) < 0) {
		set_err(err, errlen, "privileges: capng_update(CAP_NET_ADMIN) failed");
		return -EIO;
	}
	/*
	 * Dropping from the bounding set needs CAP_SETPCAP, which a process
	 * started with the bounding set CAP_NET_ADMIN alone no longer has:
	 * libcap-ng 0.8.5 (Debian 13) then fails with -4, 0.8.3 (Debian 12)
	 * skipped the drop. When the bounding set is already the one wanted,
	 * apply the other sets only; verify() reads all of them back.
	 */
	errno = 0;
	r = capng_apply(bounding_is_net_admin_only() ?
			(capng_select_t) (CAPNG_SELECT_CAPS | CAPNG_SELECT_AMBIENT) : CAPNG_SELECT_ALL);
	if (r < 0) {
		/* libcap-ng returns its own codes; errno tells the kernel's reason */
		int e = errno ? errno : EPERM;

		set_err(err, errlen, "privileges: capng_apply failed (%d): %s", r, strerror(e));
		return -e;
	}
	r = privs_no_new_privs();
	if (r < 0) {
		set_err(err, errlen, "privileges: prctl(PR_SET_NO_NEW_PRIVS): %s", strerror(-r));
		return r;
	}
	return verify(err, errlen);
}

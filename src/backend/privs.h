/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_PRIVS_H
#define AUTHFOLD_PRIVS_H

/* privs - keep only CAP_NET_ADMIN, no new privileges; see privs.c */

#include <stddef.h>

int privs_keep_net_admin(char *err, size_t errlen);
int privs_no_new_privs(void);

#endif

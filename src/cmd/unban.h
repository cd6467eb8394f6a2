/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_UNBAN_H
#define AUTHFOLD_UNBAN_H

/* unban - authfold unban: through the running daemon or the state files; see unban.c */

#include "addr.h"
#include "config.h"

/* target as bans_parse_target() gives it; the exit status. */
int unban_main(const struct config *c, const struct cidr *target, long wait_s);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_STATEDIR_H
#define AUTHFOLD_STATEDIR_H

/* statedir - the state directory's daemon lock, its state files, its owner; see statedir.c */

#include <stdbool.h>
#include <stddef.h>

#define STATEDIR_LOCK_FILE	"lock"		/* in state_dir */
#define STATEDIR_LOCK_WAIT_MS	5000		/* statedir_lock() waits this long */

/* The daemon lock, state_dir/lock (flock LOCK_EX). statedir_lock() waits up to
   STATEDIR_LOCK_WAIT_MS; both return -EWOULDBLOCK while another process holds it. */
int statedir_lock(const char *state_dir, int *ret_fd);
int statedir_trylock(const char *state_dir, int *ret_fd);
void statedir_unlock(int fd);			/* accepts -1 */

/* NAME.state, NAME not beginning with a dot: a state file to read. */
bool statedir_is_state_name(const char *name);

/* Run by root: give fd (or path) to state_dir's owner and group; 0 when not root. */
int statedir_own(const char *state_dir, int fd);
int statedir_own_path(const char *state_dir, const char *path, char *err, size_t errlen);

#endif

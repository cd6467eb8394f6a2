/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_REPORT_H
#define AUTHFOLD_REPORT_H

/* report - the human summary of a run, like fail2ban-regex's; see report.c */

#include "engine.h"

#include <stdio.h>

void report_write(FILE *fp, struct engine *e, const struct config *c, bool dry_run, uint64_t bytes, double seconds);

/* The hourly table and the top offenders; fed by the engine (engine_options.tally). */
struct report_tally *report_tally_new(void);
void report_tally_free(struct report_tally *t);
void report_tally_sessions(struct report_tally *t, int64_t usec, uint64_t n);
void report_tally_strike(struct report_tally *t, int64_t usec, enum reason reason, const struct addr *a);
void report_tally_ban(struct report_tally *t, int64_t usec, const struct addr *net, unsigned prefix);
void report_tables(FILE *fp, struct report_tally *t);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_REPORT_H
#define AUTHFOLD_REPORT_H

/* report - the human summary of a run, like fail2ban-regex's; see report.c */

#include "engine.h"
#include "tally.h"

#include <stdio.h>

void report_write(FILE *fp, struct engine *e, const struct config *c, bool dry_run, uint64_t bytes, double seconds);

/* The hourly table and the top offenders of a tally (tally(3)). */
void report_tables(FILE *fp, struct tally *t);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_WHY_H
#define AUTHFOLD_WHY_H

/* why - the story of an address: bans, strikes, their sessions; see why.c */

#include "addr.h"
#include "config.h"
#include "output.h"
#include "why_story.h"	/* struct why_options */

#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>

int why_run(const struct why_options *o, struct output *out);
/* The replay report (report(3), with its hourly table and top offenders) of
   the summary log's lines in the period, folded again as a dry run. */
int why_report(const struct why_options *o, FILE *out);
/* The command; 3 means --help (the caller prints its usage). */
int why_main(int argc, char **argv);

#endif

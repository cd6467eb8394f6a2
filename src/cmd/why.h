/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_WHY_H
#define AUTHFOLD_WHY_H

/* why - the story of an address: bans, strikes, their sessions; see why.c */

#include "addr.h"
#include "config.h"
#include "output.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>

struct why_options {
	struct cidr target;
	const char *events;		/* events log; NULL none */
	const char *summary;		/* summary log; NULL or "-" none */
	const struct config *config;	/* state_dir, findtime */
	int64_t now_usec;
	bool json;
	/* why_report(): the period [since, until) of µs; -1 open */
	int64_t since_usec, until_usec;
};

int why_run(const struct why_options *o, struct output *out);
/* The replay report (report(3), with its hourly table and top offenders) of
   the summary log's lines in the period, folded again as a dry run. */
int why_report(const struct why_options *o, FILE *out);
/* The command; 3 means --help (the caller prints its usage). */
int why_main(int argc, char **argv);

#endif

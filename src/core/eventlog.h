/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef AUTHFOLD_EVENTLOG_H
#define AUTHFOLD_EVENTLOG_H

/* eventlog - read one line of the events log; see eventlog.c */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EVENTLOG_FIELD_MAX	512	/* a string field is cut to this, NUL included */

enum eventlog_field { EVF_TS, EVF_EVENT, EVF_REASON, EVF_RULE, EVF_ADDR, EVF_CLIENT, EVF_HOST, EVF_TAG, EVF_PID, EVF_PREFIX, EVF_SECONDS, EVF_STRIKES,
       EVF_SET, EVF_DRY_RUN, EVF_APPLIED, EVF_BY, EVF_COUNT };

struct eventlog_value {
	bool present, is_string, is_null;
	int64_t num;
	char val[EVENTLOG_FIELD_MAX];
};

bool eventlog_parse(const char *p, size_t len, struct eventlog_value *ret);	/* ret[EVF_COUNT] */
int64_t eventlog_time(const char *rfc3339);

#endif

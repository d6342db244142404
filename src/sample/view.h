/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * What an output shows of a sample: processes or groups of them (--group-by),
 * filtered (--pid, --comm, --cgroup) and cut to --top, with everything left
 * out summed into "others", so that rows + others + idle still add up to the
 * host's energy. Shared by top, json and prometheus.
 */
#ifndef __VIEW_H
#define __VIEW_H

#include <regex.h>
#include <stdbool.h>
#include "sample/rows.h"
#include "sample/sample.h"

#define VIEW_MAX_PIDS 64

struct view_opts {
	enum group_by by;
	unsigned top;			/* rows to show, 0: all */
	__u32 pids[VIEW_MAX_PIDS];	/* --pid, repeatable */
	int nr_pids;
	regex_t comm_re;		/* --comm */
	bool have_comm_re;
	const char *cgroup_prefix;	/* --cgroup */
	/*
	 * Steady rows, for counters that add up (prometheus, see series.h): the
	 * top rows by energy over about the last minute rather than this
	 * interval's, each with counters of its own that start at 0, and rows
	 * that left kept for a while. Otherwise rows are this interval's top.
	 */
	bool steady;
	double rate_window_s;		/* steady: the longest window of rate() on the counters */
};

int view__init(struct view *v);
void view__free(struct view *v);
/* Build the rows of the current sample. 0 or -ENOMEM. */
int view__build(struct view *v, const struct sample *s, const struct view_opts *o);

const char *group_by_name(enum group_by by);
int group_by_parse(const char *name, enum group_by *by);

#endif /* __VIEW_H */

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
#include "sampler.h"

enum group_by { GROUP_PID, GROUP_COMM, GROUP_EXE, GROUP_CGROUP, GROUP_CONTAINER, GROUP_UNIT,
		GROUP_POD, GROUP_NAMESPACE };

#define VIEW_MAX_PIDS 64
#define VIEW_KEY_LEN 256

struct view_opts {
	enum group_by by;
	unsigned top;			/* rows to show, 0: all */
	__u32 pids[VIEW_MAX_PIDS];	/* --pid, repeatable */
	int nr_pids;
	regex_t comm_re;		/* --comm */
	bool have_comm_re;
	const char *cgroup_prefix;	/* --cgroup */
};

struct view_row {
	char key[VIEW_KEY_LEN];		/* group key; the comm when grouping by pid */
	const struct proc *p;		/* the process when grouping by pid */
	const struct ctr_names *names;	/* by container or pod: its names (a member's) */
	__u32 members;
	bool exited;			/* by pid: the process exited */
	bool uj_missing;		/* some member's energy could not be measured */
	__u64 ns, uj;			/* this interval */
	__u64 sock_ns[WP_MAX_SOCKETS];
	__u64 sock_uj[WP_MAX_SOCKETS];
	__u64 total_ns, total_uj;	/* cumulative, for counters */
};

struct group_total;

struct view {
	struct view_row *rows;
	__u32 nr, cap;
	struct view_row others;		/* members: processes folded in */
	__u32 *index;			/* group key -> row, while building */
	__u32 nr_index;
	/* cumulative totals per group key, bounded */
	struct group_total *totals;
	__u32 nr_totals;
};

int view__init(struct view *v);
void view__free(struct view *v);
/* Build the rows of the current sample. 0 or -ENOMEM. */
int view__build(struct view *v, const struct sample *s, const struct view_opts *o);

const char *group_by_name(enum group_by by);
int group_by_parse(const char *name, enum group_by *by);

#endif /* __VIEW_H */

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
#include "sample/sampler.h"

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
	/*
	 * Steady rows, for counters that add up (prometheus, see series.h): the
	 * top rows by energy over about the last minute rather than this
	 * interval's, each with counters of its own that start at 0, and rows
	 * that left kept for a while. Otherwise rows are this interval's top.
	 */
	bool steady;
	double rate_window_s;		/* steady: the longest window of rate() on the counters */
};

/* What a row's counters (total_ns, total_uj) do; always ROW_LIVE unless steady. */
enum row_state {
	ROW_LIVE,		/* they count the row's energy and time */
	ROW_PENDING,		/* new: shown at 0 until a scrape has seen the 0 (its energy
				 * still goes to others) */
	ROW_HELD,		/* left the top or exited: frozen, shown until scrapes saw
				 * their last value; no usage of this interval */
};

struct view_row {
	char key[VIEW_KEY_LEN];		/* group key; the comm when grouping by pid */
	const struct proc *p;		/* the process when grouping by pid; NULL in steady
					 * views for a row that did not run this interval */
	const struct ctr_names *names;	/* by container or pod: its names (a member's) */
	__u32 pid;			/* by pid: the process, also when p is NULL */
	__u64 start_ns;
	enum row_state state;
	__u32 members;
	bool exited;			/* by pid: the process exited */
	bool uj_missing;		/* some member's energy could not be measured */
	__u64 ns, uj;			/* this interval */
	__u64 sock_ns[WP_MAX_SOCKETS];
	__u64 sock_uj[WP_MAX_SOCKETS];
	__u64 total_ns, total_uj;	/* steady views: the row's counters (see state);
					 * others: since the process started (by pid) */
};

struct series_set;

struct view {
	struct view_row *rows;
	__u32 nr, cap;
	/* members: processes folded in. Steady views: total_ns and total_uj are
	 * the counters of everything no row counts, so that rows + others + idle
	 * add up to the host at every interval */
	struct view_row others;
	__u32 *index;			/* group key -> row, while building */
	__u32 nr_index;
	struct series_set *series;	/* steady views: rows across intervals */
};

int view__init(struct view *v);
void view__free(struct view *v);
/* Build the rows of the current sample. 0 or -ENOMEM. */
int view__build(struct view *v, const struct sample *s, const struct view_opts *o);

/* Add this interval's usage of r (members, time, energy) to into. */
void view__fold(struct view_row *into, const struct view_row *r);

const char *group_by_name(enum group_by by);
int group_by_parse(const char *name, enum group_by *by);

#endif /* __VIEW_H */

/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The rows an output shows: a process or a group of processes with its
 * figures, and the view that holds them with "others". Data only: views are
 * built by sample/view.c, and the rows of steady views chosen by
 * sample/series.c. Pure: no I/O.
 */
#ifndef __ROWS_H
#define __ROWS_H

#include <linux/types.h>
#include <stdbool.h>
#include "procs/figures.h"

struct proc;
struct ctr_names;
struct vm_id;

/*
 * The levels of --group-by. A new level is a value here (before GROUP_NR), its
 * name in sample/view.c's table of levels and its case in group_key() there.
 */
enum group_by { GROUP_PID, GROUP_COMM, GROUP_EXE, GROUP_CGROUP, GROUP_CONTAINER, GROUP_UNIT,
		GROUP_POD, GROUP_NAMESPACE, GROUP_VM, GROUP_NR };

#define VIEW_KEY_LEN 256

/* What a row's counters (total_ns, total_uj) do; always ROW_LIVE unless steady. */
enum row_state {
	ROW_LIVE,		/* they count the row's energy and time */
	ROW_PENDING,		/* new: shown at 0 until a scrape has seen the 0 (its energy
				 * still goes to others) */
	ROW_HELD,		/* left the top or exited: frozen, shown until scrapes saw
				 * their last value; no usage of this interval */
};

struct view_row {
	const char *key;		/* group key; the comm when grouping by pid (at most
					 * VIEW_KEY_LEN - 1 bytes; the view's, its series' or
					 * its process's, until the view is built again) */
	const struct proc *p;		/* the process when grouping by pid; NULL in steady
					 * views for a row that did not run this interval */
	const struct ctr_names *names;	/* by container or pod: its names (a member's) */
	const struct vm_id *vm;		/* by vm: the guest (sample.guests); NULL: (host) */
	__u32 pid;			/* by pid: the process, also when p is NULL */
	enum row_state state;
	__u64 start_ns;
	__u32 members;
	bool exited;			/* by pid: the process exited */
	struct figures iv;		/* this interval: its members' (figures__fold) */
	__u64 total_ns, total_uj;	/* steady views: the row's counters (see state);
					 * others: since the process started (by pid), since
					 * the group first had a row (grouped: totals.h) */
	struct timespec created;	/* steady views: when its counters were 0 (CLOCK_REALTIME) */
	__u64 total_gpu_uj;		/* the same of its GPU energy */
	__u64 total_rest_uj;		/* and of its share of the platform's remainder */
};

struct series_set;
struct totals;
struct view_strs;

struct view {
	enum group_by by;		/* its level: what a row is */
	struct view_row *rows;
	__u32 nr, cap;
	/* members: processes folded in. Steady views: total_ns and total_uj are
	 * the counters of everything no row counts, so that rows + others + idle
	 * add up to the host at every interval */
	struct view_row others;
	__u32 *index;			/* group key -> row, while building */
	struct view_strs *strs;		/* the rows' keys and per-socket figures (view.c) */
	int nr_sockets;			/* of each row's per-socket figures, this build */
	__u32 nr_index;
	struct series_set *series;	/* steady views: rows across intervals */
	struct totals *totals;		/* other grouped views: groups' totals */
};

/* Add this interval's usage of r (members, time, energy) to into. */
static inline void view_row__fold(struct view_row *into, const struct view_row *r)
{
	into->members += r->members;
	figures__fold(&into->iv, &r->iv);
}

#endif /* __ROWS_H */

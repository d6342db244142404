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
#include "procs/proc.h"

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

/*
 * By pid (unless steady), a row is a process: the view keeps where it is in the process
 * table, not a copy of its figures (10,000 processes that ran in one interval were 1.7 MiB
 * of struct view_row), and view__row() makes its struct view_row when it is read.
 */
struct view_proc {
	const struct proc *p;		/* its live entry; a part when only parts ran */
	struct view_proc_more *more;	/* NULL: the row is p alone, known by p->comm */
};

/*
 * What a process's row has beyond its entry, for the few that need it (in the view's
 * blocks): parts of it under an older identity with the same name (a cgroup move, an exec
 * of a program of the same name), folded in; or a name the kernel did not terminate.
 */
struct view_proc_more {
	const char *key;		/* NULL: p->comm */
	__u32 members;
	struct figures iv;		/* the entries' figures, folded */
};

struct series_set;
struct totals;
struct view_strs;

struct view {
	enum group_by by;		/* its level: what a row is */
	struct view_row *rows;		/* its rows (read them with view__row()) */
	__u32 nr, cap;
	bool of_procs;			/* by pid: its rows are procs[0..nr), not rows */
	struct view_proc *procs;
	__u32 cap_procs;
	/* members: processes folded in. Steady views: total_ns and total_uj are
	 * the counters of everything no row counts, so that rows + others + idle
	 * add up to the host at every interval */
	struct view_row others;
	__u32 *index;			/* group key -> row, while building */
	bool indexed;			/* all rows are in index (by pid: from a part on) */
	struct view_strs *strs;		/* the rows' keys and per-socket figures (view.c) */
	int nr_sockets;			/* of each row's per-socket figures, this build */
	__u32 nr_index;
	struct series_set *series;	/* steady views: rows across intervals */
	struct totals *totals;		/* other grouped views: groups' totals */
};

/*
 * Row i of v: rows[i], or made in *tmp from procs[i] (valid while tmp is, and its process
 * and keys until the view is built again).
 */
static inline const struct view_row *view__row(const struct view *v, __u32 i,
					       struct view_row *tmp)
{
	const struct view_proc *r;
	const struct proc *p;

	if (!v->of_procs)
		return &v->rows[i];
	r = &v->procs[i];
	p = r->p;
	*tmp = (struct view_row){
		.key = r->more && r->more->key ? r->more->key : p->comm,
		.p = p,
		.pid = p->tgid,
		.start_ns = p->start_ns,
		.members = r->more ? r->more->members : 1,
		.exited = p->exited,
		.iv = r->more ? r->more->iv : p->iv,
		.total_ns = p->total_ns,
		.total_uj = p->total_uj,
		.total_gpu_uj = p->total_gpu_uj,
		.total_rest_uj = p->total_rest_uj,
	};
	return tmp;
}

/* Add this interval's usage of r (members, time, energy) to into. */
static inline void view_row__fold(struct view_row *into, const struct view_row *r)
{
	into->members += r->members;
	figures__fold(&into->iv, &r->iv);
}

#endif /* __ROWS_H */

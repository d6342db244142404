/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The agent's table of processes, keyed by (tgid, start time). Pure: no I/O. */
#ifndef __PROCTABLE_H
#define __PROCTABLE_H

#include <linux/types.h>
#include <stdbool.h>
#include "procs/proc.h"

struct proctable {
	struct proc *pool;
	__u64 *socks;		/* each entry's per-socket figures (figures.h), beside the pool */
	int nr_sockets;		/* of each entry */
	__u32 cap, nr;
	__u32 *free;		/* free entries below top, a stack: not in the entries, so that
				 * proctable__trim can give their pages back */
	__u32 nr_free, freed;	/* ... and how many were freed since the last trim */
	__u32 top;		/* entries ever handed out: the pool above is untouched */
	__u32 *buckets;
	__u32 nbuckets;
	__u64 seq;		/* current interval number, starts at 1 */
	__u32 *active;		/* processes charged (or exited) this interval */
	__u32 nr_active;
	struct cpu_charge *charges;
	__u32 nr_charges, cap_charges;
	__u64 full;		/* charges that found the table full, cumulative */
	__u32 unrecorded;	/* index of the pseudo process, PT_NONE until needed */
	__u32 sweep_cursor;	/* where the idle sweep goes on next interval */
	__u32 check_cursor;	/* where the liveness check goes on next interval */
};

/* What proctable__end() does besides starting the next interval. */
struct pt_hooks {
	/* a process leaves the table: exited and reported, idle too long, or gone */
	void (*removed)(void *ctx, const struct proc *p);
	/* true if the process no longer exists (its exit record was lost) */
	bool (*gone)(void *ctx, const struct proc *p);
	void *ctx;
	__u64 idle_intervals;	/* drop processes without time for longer; 0: never */
	__u64 check_after;	/* ask gone() of processes without time for this long */
	__u32 checks;		/* at most this many gone() calls per interval */
};

/* Room for max_procs processes, each with per-socket figures for nr_sockets (at least 1;
 * charges on a socket above are counted in its time, not per socket). */
int proctable__init(struct proctable *t, __u32 max_procs, int nr_sockets);
void proctable__free(struct proctable *t);
struct proc *proctable__find(struct proctable *t, __u32 tgid, __u64 start_ns);
/* Find or create; a full table returns the "unrecorded" pseudo process. */
struct proc *proctable__get(struct proctable *t, __u32 tgid, __u64 start_ns);
/* The "unrecorded" pseudo process (made if needed: it always has room), without
 * counting a charge that found the table full. */
struct proc *proctable__unrecorded(struct proctable *t);
/* Charge ns on a CPU of a socket (socket -1: unknown) in the current interval. */
void proctable__charge(struct proctable *t, struct proc *p, int cpu, int socket, __u64 ns);
/* Put a process on this interval's active list without charging it. */
void proctable__touch(struct proctable *t, struct proc *p);
/*
 * Where time of the live entry p goes under identity id: p itself if that is its
 * identity (or p has none yet: it takes id), else a part of p with that identity,
 * made if needed. A full table gives the unrecorded pseudo process.
 */
struct proc *proctable__part(struct proctable *t, struct proc *p, const struct pt_id *id);
/*
 * The live entry p's identity becomes id (change number n): what p ran in this
 * interval stays under the old identity, as a part, and the live entry goes on
 * under the new one (taking over a part with that identity, if there is one).
 * Returns the live entry, which may not be p. p->before keeps the old identity.
 */
struct proc *proctable__change(struct proctable *t, struct proc *p, const struct pt_id *id,
			       __u64 n);
bool pt_id_eq(const struct pt_id *a, const struct pt_id *b);
void proc__id(const struct proc *p, struct pt_id *id);
void proctable__remove(struct proctable *t, struct proc *p);
/* End the interval: drop the processes that exited in it (reported now), the
 * parts of processes, and processes idle for more than idle_intervals, then
 * start interval seq + 1. */
void proctable__next(struct proctable *t, __u64 idle_intervals);
/* The same, with hooks: every removal is told, and processes idle for
 * h->check_after intervals are checked, a few each interval, with h->gone(). */
void proctable__end(struct proctable *t, const struct pt_hooks *h);
/*
 * Between intervals, once PT_TRIM_MIN entries were freed since the last time: give the
 * pages of the pool that hold only free entries back to the kernel (a flood of processes
 * that have gone; one that lives on keeps only its page), and hand out the lowest free
 * entries first from then on; free the charges' array when it grew past PT_TRIM_CHARGES.
 * Memory then follows the processes there are, not the most there ever were.
 */
#define PT_TRIM_MIN	64
#define PT_TRIM_CHARGES	4096
/* true when it looked for pages to give back */
bool proctable__trim(struct proctable *t);
/* Sort this interval's charges by (process, CPU) and merge duplicates. */
void proctable__merge_charges(struct proctable *t);
/*
 * Take ns off this interval's (merged) charges on cpu, the largest first, and say for
 * each process how much through cut(): what a CPU can not have run in an interval
 * (a running slice credited a tick late in the interval before) waits for the next.
 */
void proctable__uncharge_cpu(struct proctable *t, int cpu, int socket, __u64 ns,
			     void (*cut)(void *ctx, const struct proc *p, int cpu, __u64 ns),
			     void *ctx);


static inline __u32 proctable__index(const struct proctable *t, const struct proc *p)
{
	return (__u32)(p - t->pool);
}

#endif /* __PROCTABLE_H */

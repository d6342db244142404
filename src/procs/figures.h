/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * What a row counts over one interval: on-CPU time and energy, in all and per
 * socket, its GPU energy and its share of the platform's remainder. One struct
 * for a process (struct proc), a row of a view (a process or a group) and a
 * series, with one fold: a new per-process figure is a field here,
 * a line in figures__fold() and the outputs that show it (docs/HACKING.md).
 * Pure: no I/O.
 */
#ifndef __FIGURES_H
#define __FIGURES_H

#include <linux/types.h>
#include <stdbool.h>
#include "kernel/topology.h"	/* WP_MAX_SOCKETS */

/* (the flags last: one for every process, row and copy, padding counts) */
struct figures {
	__u64 ns;			/* on-CPU time */
	__u64 uj;			/* energy attributed */
	__u64 sock_ns[WP_MAX_SOCKETS];	/* the same, per socket index */
	__u64 sock_uj[WP_MAX_SOCKETS];
	__u64 gpu_uj;			/* GPU energy attributed, by SM utilisation */
	__u64 rest_uj;			/* the platform's remainder, by CPU time */
	bool uj_missing;		/* ran where energy could not be measured: uj is short */
	bool gpu_missing;		/* used a GPU whose energy could not be measured */
	bool rest_missing;		/* a platform meter, but no remainder this interval */
};

/* The row's energy on the whole machine: CPUs, GPUs, the platform's remainder (to rank rows). */
static inline __u64 figures__all_uj(const struct figures *f)
{
	return f->uj + f->gpu_uj + f->rest_uj;
}

/* Add f to into: a group's figures are the sum of its members'. */
static inline void figures__fold(struct figures *into, const struct figures *f)
{
	into->ns += f->ns;
	into->uj += f->uj;
	into->uj_missing |= f->uj_missing;
	for (int i = 0; i < WP_MAX_SOCKETS; i++) {
		into->sock_ns[i] += f->sock_ns[i];
		into->sock_uj[i] += f->sock_uj[i];
	}
	into->gpu_uj += f->gpu_uj;
	into->gpu_missing |= f->gpu_missing;
	into->rest_uj += f->rest_uj;
	into->rest_missing |= f->rest_missing;
}

#endif /* __FIGURES_H */

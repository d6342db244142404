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
#include <stddef.h>
#include <string.h>
#include "kernel/topology.h"	/* WP_MAX_SOCKETS */

/*
 * Per socket, a row keeps its time and energy in storage of its owner's, sized to the
 * machine's sockets (nr_sockets of each; not WP_MAX_SOCKETS, which were 256 bytes of
 * every process and row): the process table's, beside its entries; a view's, beside its
 * rows. A copy of the struct shares them (a series' row, read only); figures without
 * storage (NULL, nr_sockets 0) keep no per-socket figures and fold none.
 * (the flags last: one for every process, row and copy, padding counts)
 */
struct figures {
	__u64 ns;			/* on-CPU time */
	__u64 uj;			/* energy attributed */
	__u64 *sock_ns;			/* the same, per socket index (nr_sockets of them) */
	__u64 *sock_uj;
	__u64 gpu_uj;			/* GPU energy attributed, by SM utilisation */
	__u64 rest_uj;			/* the platform's remainder, by CPU time */
	__u8 nr_sockets;		/* of sock_ns and sock_uj */
	bool uj_missing;		/* ran where energy could not be measured: uj is short */
	bool gpu_missing;		/* used a GPU whose energy could not be measured */
	bool rest_missing;		/* a platform meter, but no remainder this interval */
};

/* Bytes of per-socket storage that figures__attach() takes for n sockets. */
static inline size_t figures__sock_bytes(int n)
{
	return 2 * (size_t)n * sizeof(__u64);
}

/* Zero f and give it per-socket storage (figures__sock_bytes(n), zeroed too; NULL: none). */
static inline void figures__attach(struct figures *f, __u64 *store, int n)
{
	memset(f, 0, sizeof(*f));
	if (!store || n <= 0)
		return;
	memset(store, 0, figures__sock_bytes(n));
	f->sock_ns = store;
	f->sock_uj = store + n;
	f->nr_sockets = (__u8)n;
}

/* Zero f and what its storage holds, keeping the storage (a new interval). */
static inline void figures__clear(struct figures *f)
{
	figures__attach(f, f->sock_ns, f->nr_sockets);
}

/* Its time on socket index k; 0 on a socket it keeps no figures of. */
static inline __u64 figures__sock_ns(const struct figures *f, int k)
{
	return k >= 0 && k < f->nr_sockets ? f->sock_ns[k] : 0;
}

/* Its energy on socket index k; 0 on a socket it keeps no figures of. */
static inline __u64 figures__sock_uj(const struct figures *f, int k)
{
	return k >= 0 && k < f->nr_sockets ? f->sock_uj[k] : 0;
}

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
	for (int i = 0; i < into->nr_sockets && i < f->nr_sockets; i++) {
		into->sock_ns[i] += f->sock_ns[i];
		into->sock_uj[i] += f->sock_uj[i];
	}
	into->gpu_uj += f->gpu_uj;
	into->gpu_missing |= f->gpu_missing;
	into->rest_uj += f->rest_uj;
	into->rest_missing |= f->rest_missing;
}

#endif /* __FIGURES_H */

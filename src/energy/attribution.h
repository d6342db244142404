/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Splitting a socket's energy over processes. Pure: no I/O.
 *
 * Per socket and interval: the package energy minus its idle baseline, and
 * the DRAM energy minus its own, are the dynamic part; it goes to processes
 * in proportion to their on-CPU time on that socket. The baselines go to
 * "idle" (or, with spread_idle, to processes as well). With no busy time on
 * the socket everything goes to idle. Shares are integer microjoules rounded
 * cumulatively, so processes plus idle add up to the measured energy exactly.
 */
#ifndef __ATTRIBUTION_H
#define __ATTRIBUTION_H

#include <linux/types.h>
#include <stdbool.h>
#include "procs/proctable.h"

struct attr_socket {
	/* in */
	bool have_pkg;		/* package energy measured (or modelled) this interval */
	__u64 pkg_uj;
	bool have_dram;
	__u64 dram_uj;
	__u64 idle_base_uj;	/* baseline energy of the interval, capped at pkg_uj */
	__u64 dram_base_uj;	/* DRAM's baseline energy, capped at dram_uj */
	/* out */
	__u64 busy_ns;		/* sum of the processes' time on this socket */
	__u64 idle_uj;		/* energy reported as idle */
	__u64 idle_pkg_uj;	/* of which the package's */
	__u64 idle_dram_uj;	/* and DRAM's */
	__u64 procs_uj;		/* energy attributed to processes */
};

/* Fill iv.sock_uj / iv.uj / iv.uj_missing of procs from their iv.sock_ns. */
void attribute(struct attr_socket *socks, int nr_sockets, struct proc **procs, __u32 nr_procs,
	       bool spread_idle);

/* Share of total for a part of the whole, cumulative rounding: returns
 * floor(total * (before + part) / whole) - floor(total * before / whole). */
__u64 share_uj(__u64 total, __u64 before, __u64 part, __u64 whole);

#endif /* __ATTRIBUTION_H */

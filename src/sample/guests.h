/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The guests of this host (KVM virtual machines) across intervals, and each
 * one's share of what the host measured: the energy attributed to its
 * processes (its dynamic share, by their on-CPU time) plus a share of the
 * idle baselines by its vCPUs. That sum is what --vm-export hands the guest
 * (docs/vms.md says why idle goes by vCPUs). A guest lives while a process of
 * it does, idle or not, so its share of idle goes on while it sleeps. Pure:
 * no I/O; the sampler says which process runs which guest.
 */
#ifndef __GUESTS_H
#define __GUESTS_H

#include <linux/types.h>
#include "procs/hypervisor.h"
#include "sample/sample.h"

struct guest_member;

struct guests {
	struct sample_guest **list;	/* each allocated once: pointers stay valid */
	__u32 nr, cap;
	struct guest_member *members;	/* the processes that keep a guest alive */
	__u32 nr_members, cap_members;
};

void guests__init(struct guests *g);
void guests__free(struct guests *g);

/* An interval begins: the guests of no live process go, the others' figures are zeroed. */
void guests__begin(struct guests *g);
/*
 * p, a process of this interval, runs the guest id: its figures count to the guest and
 * p->vm is set to the guest's id. A process that exited counts this interval, then no
 * longer keeps the guest alive. 0 or -ENOMEM.
 */
int guests__add(struct guests *g, struct proc *p, const struct vm_id *id);
/* The process (tgid, start_ns) left the process table: it no longer keeps its guest. */
void guests__forget(struct guests *g, __u32 tgid, __u64 start_ns);
/* The interval's shares of every guest from the sample's energy (sockets, idle, psys), and
 * the sample's list of guests. */
void guests__end(struct guests *g, struct sample *s);

#endif /* __GUESTS_H */

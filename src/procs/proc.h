/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * A process as the agent knows it: its identity, what it ran this interval and
 * since it was first seen, and what outputs show of it. The table that holds
 * them is procs/proctable.h; a sample (sample/sample.h) points at them.
 */
#ifndef __PROC_H
#define __PROC_H

#include <linux/types.h>
#include <stdbool.h>
#include "meta/container.h"	/* struct cg_info, struct ctr_names */
#include "procs/figures.h"
#include "wattprobe.h"

struct vm_id;

#define PROCINFO_CMDLINE_MAX 4096	/* bytes read from /proc/PID/cmdline, and of proc.cmdline */

#define PT_NONE 0xffffffffu
/* The pseudo process that collects time of processes the table had no room for, and
 * time the BPF side could give to no process (a full ring buffer: ACCT_LOST_TGID). */
#define PT_UNRECORDED_TGID 0xffffffffu
/* The pseudo process that collects time of switches the tracepoint did not show,
 * which the scheduler's counters could not give to a process (wattprobe.bpf.c). */
#define PT_UNTRACED_TGID WP_UNTRACED_TGID

/* What a process is known by: its name, cgroup and program. */
struct pt_id {
	char comm[WP_COMM_LEN];
	__u64 cgroup_id;	/* 0: unknown */
	__u32 exec_id;		/* its group leader's self_exec_id: which program */
};

/*
 * A process: the live entry, found by (tgid, start_ns), under its identity now
 * (comm, cgroup_id, exec_id). When its identity changes within an interval,
 * the time it ran before goes to a part: an entry of the same process under
 * the old identity, reported as a row of its own in that interval (so
 * grouping by comm, exe or cgroup splits it where the change happened), then
 * dropped. A part is not in the hash; its live entry links it (parts).
 */
struct proc {
	__u32 tgid;
	__u32 exec_id;
	__u64 start_ns;
	__u64 cgroup_id;
	char comm[WP_COMM_LEN];
	bool id_known;		/* comm, cgroup_id and exec_id are set */
	bool part;		/* a part of the live entry, under an older identity */
	bool exited;		/* its last thread exited */
	bool reread_info;	/* exec'd: its cmdline and exe are to be read again */
	__u32 parts;		/* live entry: its first part this interval, or PT_NONE */
	__u32 next_part;	/* part: the next one of the same live entry */
	__u32 owner;		/* part: its live entry, whose totals its time adds to */
	struct pt_id before;	/* live entry: its identity before its last change */
	const char *before_exe;	/* and its executable then */
	__u64 change;		/* and that change's number (0: none) */
	const char *exe_path;	/* its executable, from BPF (interned: see strpool.h) */
	bool exe_asked;		/* BPF was asked for it (it may have none: a kernel thread) */
	bool total_uj_partial;	/* some interval's energy was missing (of total_uj below) */
	bool used;		/* (the pool's) */
	__u32 next;		/* hash chain, or free list */
	__u64 exit_seq;		/* interval in which the exit was seen: its last */
	__u64 last_seq;		/* last interval with time charged */

	__u64 total_ns;		/* since the agent first saw it, under any identity */
	__u64 total_uj;
	__u64 total_gpu_uj;	/* its GPU energy, and its share of the platform's remainder */
	__u64 total_rest_uj;

	__u64 seq;		/* interval iv belongs to */
	struct figures iv;	/* this interval's */

	/* What outputs show of it, resolved by the sampler before they run and
	 * valid until the next sample. NULL: unknown (or not asked for). */
	const char *cgroup;		/* cgroup v2 path below the mount */
	const struct cg_info *cg;	/* container, pod and unit of that path */
	const struct ctr_names *names;	/* names of its container and pod (ctrnames.h) */
	const char *exe;		/* executable (sampler_opts.need_exe) */
	const char *cmdline;		/* command line (sampler__resolve_rows) */
	const struct vm_id *vm;		/* the guest it runs (procs/hypervisor.h) */
	__u32 cpu_first, nr_cpu;	/* its per-CPU charges: sample.charges[cpu_first..] */
};

/* (process, CPU, ns) of one interval, for per-CPU reporting. */
struct cpu_charge {
	__u32 proc;
	__u32 cpu;
	__u64 ns;
};

/* A row that is no process: [unrecorded] or [untraced]. */
static inline bool proc__pseudo(const struct proc *p)
{
	return p->tgid >= PT_UNTRACED_TGID;
}

#endif /* __PROC_H */

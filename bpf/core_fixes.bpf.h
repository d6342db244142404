/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Shims for kernel drift, kept in one place. */
#ifndef __CORE_FIXES_BPF_H
#define __CORE_FIXES_BPF_H

#include <vmlinux.h>
#include <bpf/bpf_core_read.h>

/*
 * True when the exiting task is the last live thread of its process.
 * do_exit() decrements signal->live before it fires sched_process_exit on
 * every kernel we support; since v6.16 ("sched: Add group_dead to
 * sched_process_exit", the tracepoint also passes group_dead, which we do not
 * rely on so that one object serves older kernels as well.
 */
static __always_inline bool wp_group_dead(struct task_struct *task)
{
	return BPF_CORE_READ(task, signal, live.counter) == 0;
}

/*
 * How many times the task arrived on a CPU (sched_info.pcount), or ~0 where
 * the kernel keeps no sched_info (CONFIG_SCHED_INFO off: then no arrival count
 * ever matches and untraced slices go to [untraced]). sched_info_arrive()
 * counts an arrival after the sched_switch tracepoint of that switch.
 */
static __always_inline __u64 wp_pcount(struct task_struct *task)
{
	if (!bpf_core_field_exists(task->sched_info))
		return ~0ULL;
	return BPF_CORE_READ(task, sched_info.pcount);
}

/*
 * The task is in an exec (bprm_execve sets in_execve, v2.6.30 and later).
 * Where the field is gone, a rename during an exec counts as a rename: the
 * name changes alike, only its new self_exec_id is not foreseen.
 */
static __always_inline bool wp_in_execve(struct task_struct *task)
{
	if (!bpf_core_field_exists(task->in_execve))
		return false;
	return BPF_CORE_READ_BITFIELD_PROBED(task, in_execve);
}

#endif /* __CORE_FIXES_BPF_H */

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

#endif /* __CORE_FIXES_BPF_H */

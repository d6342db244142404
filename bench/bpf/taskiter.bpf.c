// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * A cost prototype for bench/scale.c, not a replacement of the agent: a
 * design with no program on sched_switch at all. Each interval user space
 * reads this task iterator, which walks every task and writes out the
 * scheduler's own sum_exec_runtime of those whose sum moved since the last
 * walk (kept in task storage), with its growth. Per-process totals are then
 * exact to a tick,
 * as with the agent's snapshot; what it lacks is the split by CPU (needed
 * only with more than one socket) and the last slice of tasks that exit
 * between two walks (an exit hook would give it).
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct last_sum {
	__u64 sum;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct last_sum);
} last SEC(".maps");

struct task_rec {
	__u32 tgid;
	__u32 pid;
	__u64 start_ns;	/* group leader's start_time */
	__u64 delta;	/* growth of se.sum_exec_runtime since the last walk */
};

SEC("iter/task")
int wp_task_iter(struct bpf_iter__task *ctx)
{
	struct task_struct *t = ctx->task;
	struct task_rec r;
	struct last_sum *l;
	__u64 sum;

	if (!t || !t->pid)
		return 0;
	sum = t->se.sum_exec_runtime;
	l = bpf_task_storage_get(&last, t, NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!l || l->sum == sum)
		return 0;
	r.delta = sum - l->sum;
	l->sum = sum;
	r.tgid = t->tgid;
	r.pid = t->pid;
	r.start_ns = t->group_leader->start_time;
	bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}

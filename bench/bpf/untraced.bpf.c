// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * untraced: which tasks the sched_switch tracepoint shows coming in but never
 * going out (see bench/untraced.c and docs/counting.md, "Untraced switches").
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct task_struct *bpf_task_from_pid(s32 pid) __ksym;
void bpf_task_release(struct task_struct *p) __ksym;

struct counts {
	__u64 as_next;		/* switches that brought one of its tasks in */
	__u64 as_prev;		/* switches that took one of its tasks out */
	__u64 unseen_after;	/* the next switch on that CPU had another prev */
	__u32 pid;		/* one of its tasks, for task_lookup */
	__u32 _pad;
	char comm[16];
};

struct last {
	__u64 task;
	__u32 tgid;
	__u32 _pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct counts);
} by_tgid SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct last);
} last_in SEC(".maps");

static struct counts *counts_of(struct task_struct *t)
{
	__u32 tgid = t->tgid;
	struct counts *c = bpf_map_lookup_elem(&by_tgid, &tgid), zero = {};

	if (c)
		return c;
	bpf_probe_read_kernel_str(zero.comm, sizeof(zero.comm), t->group_leader->comm);
	bpf_map_update_elem(&by_tgid, &tgid, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&by_tgid, &tgid);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(untraced_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u32 zero = 0;
	struct last *l = bpf_map_lookup_elem(&last_in, &zero);
	struct counts *c;

	if (!l)
		return 0;
	if (l->task && l->task != (__u64)prev && l->tgid) {
		c = bpf_map_lookup_elem(&by_tgid, &l->tgid);
		if (c)
			c->unseen_after++;
	}
	if (prev->pid && (c = counts_of(prev)))
		c->as_prev++;
	if (next->pid && (c = counts_of(next))) {
		c->as_next++;
		c->pid = next->pid;
	}
	l->task = (__u64)next;
	l->tgid = next->tgid;
	return 0;
}

/* Run from user space (BPF_PROG_RUN): can BPF find the task of this pid? (6.2+) */
struct wp_lookup_args {
	__s32 pid;
	__s32 found;
};

SEC("syscall")
int task_lookup(struct wp_lookup_args *args)
{
	struct task_struct *t = bpf_task_from_pid(args->pid);

	args->found = !!t;
	if (t)
		bpf_task_release(t);
	return 0;
}

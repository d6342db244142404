// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * wattprobe: on-CPU nanoseconds per process per CPU, from sched_switch.
 * The data layout and the reasoning behind it are in include/wattprobe.h.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "wattprobe.h"
#include "core_fixes.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/*
 * Each CPU's state, indexed by CPU number: a plain ARRAY rather than a
 * PERCPU_ARRAY, so that the rare events (exec, rename, cgroup move) can reach
 * the state of the other CPUs too, and so that a switch costs less (bench/,
 * "state in ARRAY by CPU"). Sized to the possible CPUs by the loader; each
 * element is a multiple of 64 bytes, so no two CPUs share a cache line.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);			/* possible CPUs: set by the loader */
	__type(key, __u32);
	__type(value, struct wp_cpu);
} cpus SEC(".maps");

static __always_inline struct wp_cpu *this_cpu(void)
{
	__u32 cpu = bpf_get_smp_processor_id();

	return bpf_map_lookup_elem(&cpus, &cpu);
}

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, WP_RINGBUF_DEFAULT);	/* resized by the loader */
} events SEC(".maps");

/* Wake the agent's drain thread only once this much waits in the ring buffer:
 * it drains on its own every WP_DRAIN_MS otherwise, so a busy host does not
 * cost a wake-up per record. Set by the loader (a quarter of the buffer). */
const volatile __u64 wake_bytes = WP_RINGBUF_DEFAULT / 4;

static __always_inline __u64 wake_flag(void)
{
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wake_bytes ?
	       BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

#define barrier() asm volatile("" ::: "memory")

/*
 * Field reads from a task. tp_btf hands us trusted BTF pointers, which can be
 * read with plain loads; raw_tp hands us raw pointers, which need
 * bpf_probe_read_kernel(). Both variants inline the same handler with `btf`
 * a constant, so each keeps only its own kind of read.
 */
#define TASK_READ(btf, task, field, ...) \
	((btf) ? (task)->field __VA_OPT__(->) __VA_ARGS__ : BPF_CORE_READ(task, field, ##__VA_ARGS__))

static __always_inline void emit(struct wp_cpu *c, __u32 type, __u32 cpu, __u32 idx,
				 const struct wp_slot *s)
{
	struct wp_event *e;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		c->hdr.dropped++;
		return;
	}
	e->type = type;
	e->cpu = cpu;
	e->slot = idx;
	e->gen = s->gen;
	e->tgid = s->tgid;
	e->_pad = 0;
	e->start_ns = s->start_ns;
	e->ns = s->ns;
	e->cgroup_id = s->cgroup_id;
	__builtin_memcpy(e->comm, s->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, wake_flag());
}

/*
 * Cold path: the slot belongs to another process (or to none). task is the
 * one being charged: its name and cgroup go with the slot (it is not always
 * current: see unseen_switch).
 */
static __noinline void take_slot(struct wp_cpu *c, __u32 tgid, __u64 start_ns,
				 struct task_struct *task, __u64 delta)
{
	__u32 idx = tgid & WP_SLOT_MASK, gen;
	struct wp_slot *s;

	s = &c->slots[idx];
	if (s->gen)
		emit(c, WP_EV_EVICT, bpf_get_smp_processor_id(), idx, s);

	gen = s->gen + 1;
	if (!gen)
		gen = 1;
	s->gen = gen;
	barrier();
	s->tgid = tgid;
	s->start_ns = start_ns;
	s->ns = delta;
	s->cgroup_id = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
	bpf_probe_read_kernel_str(s->comm, sizeof(s->comm), BPF_CORE_READ(task, group_leader, comm));
	barrier();
	s->gen_end = gen;
}

/* Add delta to the slot of process (tgid, start_ns) on this CPU. */
static __always_inline void charge(struct wp_cpu *c, __u32 tgid, __u64 start_ns,
				   struct task_struct *task, __u64 delta)
{
	__u32 idx = tgid & WP_SLOT_MASK;
	struct wp_slot *s = &c->slots[idx];

	if (s->tgid == tgid && s->start_ns == start_ns && s->gen)
		s->ns += delta;
	else
		take_slot(c, tgid, start_ns, task, delta);
}

/*
 * prev is not the task this CPU's last switch brought in: switches went by
 * without the tracepoint (this happens on some kernels, for some threads).
 * The time since the last switch we saw belongs to the task we had as
 * running (cur), then to tasks we did not see, then to prev. cur's part is
 * known exactly when cur was not picked again since we saw it come in (its
 * se.prev_sum_exec_runtime still equals the sum we stored) and is not
 * running: its sum has grown by exactly its slice here. The rest goes to
 * prev under its own key (or to nobody when prev is the idle task): CPU time
 * is never lost, though a slice of an unseen task may land on prev. Every read checks the key, so a recycled
 * task_struct is not charged.
 */
static __noinline void unseen_switch(struct wp_cpu *c, struct task_struct *prev, bool prev_idle,
				     __u64 delta)
{
	struct task_struct *cur = (struct task_struct *)c->hdr.cur_task;
	__u64 slice;

	c->hdr.unseen++;
	if (c->hdr.cur_tgid && BPF_CORE_READ(cur, tgid) == c->hdr.cur_tgid &&
	    BPF_CORE_READ(cur, group_leader, start_boottime) == c->hdr.cur_start_ns &&
	    !BPF_CORE_READ(cur, on_cpu) &&
	    BPF_CORE_READ(cur, se.prev_sum_exec_runtime) == c->hdr.cur_start_sum) {
		slice = BPF_CORE_READ(cur, se.sum_exec_runtime) - c->hdr.cur_start_sum;
		if (slice <= delta) {
			charge(c, c->hdr.cur_tgid, c->hdr.cur_start_ns, cur, slice);
			delta -= slice;
		}
	}
	if (delta && !prev_idle)
		charge(c, BPF_CORE_READ(prev, tgid), BPF_CORE_READ(prev, group_leader, start_boottime),
		       prev, delta);
}

static __always_inline int on_switch(bool btf, struct task_struct *prev, struct task_struct *next)
{
	struct wp_cpu *c;
	__u64 now, delta;
	__u32 tgid;
	bool prev_idle, seen;

	c = this_cpu();
	if (!c)
		return 0;
	/*
	 * "now" on the scheduler's task clock, read from what it just wrote:
	 * update_curr() set prev's exec_start, and the pick set next's. The
	 * idle task keeps no such time, so use next's when prev is idle.
	 */
	seen = c->hdr.cur_task == (__u64)prev;
	prev_idle = seen ? !c->hdr.cur_tgid : !TASK_READ(btf, prev, pid);
	now = prev_idle ? TASK_READ(btf, next, se.exec_start) : TASK_READ(btf, prev, se.exec_start);

	c->hdr.seq++;
	barrier();
	/* Close prev's slice, whatever its state; the first switch seen on a
	 * CPU only opens one. The idle task is not charged. */
	if (c->hdr.last_clock && now > c->hdr.last_clock) {
		delta = now - c->hdr.last_clock;
		if (!seen)
			unseen_switch(c, prev, prev_idle, delta);
		else if (!prev_idle)
			charge(c, c->hdr.cur_tgid, c->hdr.cur_start_ns, prev, delta);
	}

	/* Open next's slice. */
	c->hdr.cur_task = (__u64)next;
	c->hdr.last_clock = now;
	tgid = TASK_READ(btf, next, tgid);	/* 0: the idle task */
	c->hdr.cur_tgid = tgid;
	if (tgid) {
		c->hdr.cur_start_ns = TASK_READ(btf, next, group_leader, start_boottime);
		c->hdr.cur_start_sum = TASK_READ(btf, next, se.sum_exec_runtime);
	}
	barrier();
	c->hdr.seq_end = c->hdr.seq;
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(wp_switch_btf, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return on_switch(true, prev, next);
}

SEC("raw_tp/sched_switch")
int BPF_PROG(wp_switch_raw, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return on_switch(false, prev, next);
}

/* A record about a process (exit, exec, cgroup move): its key and what is given. */
static __always_inline int emit_process(__u32 type, struct task_struct *task, __u64 cgroup_id,
					bool comm)
{
	struct wp_slot s = {};
	struct wp_cpu *c;

	c = this_cpu();
	if (!c)
		return 0;
	s.tgid = BPF_CORE_READ(task, tgid);
	s.start_ns = BPF_CORE_READ(task, group_leader, start_boottime);
	s.cgroup_id = cgroup_id;
	if (comm)
		bpf_get_current_comm(s.comm, sizeof(s.comm));
	emit(c, type, bpf_get_smp_processor_id(), 0, &s);
	return 0;
}

static __always_inline int on_exit(struct task_struct *task)
{
	if (!wp_group_dead(task))
		return 0;
	return emit_process(WP_EV_EXIT, task, 0, false);
}

static __always_inline int on_exec(struct task_struct *task)
{
	return emit_process(WP_EV_EXEC, task, bpf_get_current_cgroup_id(), true);
}

/*
 * Not attached: the agent runs it on every CPU (BPF_PROG_TEST_RUN with
 * BPF_F_TEST_RUN_ON_CPU, in an IPI on that CPU) before each read, to record
 * how long the running task has run in its current slice. The scheduler
 * moves exec_start forward at every tick, so this lags by a tick at most;
 * the rest is charged when the slice closes.
 */
SEC("raw_tp/sched_switch")
int wp_snap(void *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct wp_cpu *c;
	__u64 now;

	c = this_cpu();
	if (!c)
		return 0;
	c->hdr.snap_run = 0;
	if (c->hdr.cur_tgid && c->hdr.cur_task == (__u64)task) {
		now = BPF_CORE_READ(task, se.exec_start);
		if (now > c->hdr.last_clock)
			c->hdr.snap_run = now - c->hdr.last_clock;
	}
	c->hdr.snap_seq = c->hdr.seq;
	return 0;
}

/*
 * A task moved to another cgroup (systemd and container runtimes move
 * processes right after fork). Only the v2 hierarchy (hierarchy_id 0) counts.
 */
static __always_inline int on_attach(struct cgroup *dst, struct task_struct *task)
{
	if (BPF_CORE_READ(dst, root, hierarchy_id) != 0)
		return 0;
	return emit_process(WP_EV_CGROUP, task, BPF_CORE_READ(dst, kn, id), false);
}

SEC("tp_btf/cgroup_attach_task")
int BPF_PROG(wp_attach_btf, struct cgroup *dst, const char *path, struct task_struct *task)
{
	return on_attach(dst, task);
}

SEC("raw_tp/cgroup_attach_task")
int BPF_PROG(wp_attach_raw, struct cgroup *dst, const char *path, struct task_struct *task)
{
	return on_attach(dst, task);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(wp_exit_btf, struct task_struct *task)
{
	return on_exit(task);
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(wp_exit_raw, struct task_struct *task)
{
	return on_exit(task);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(wp_exec_btf, struct task_struct *task)
{
	return on_exec(task);
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(wp_exec_raw, struct task_struct *task)
{
	return on_exec(task);
}

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

/* A record of a slot: its final total (EVICT). False if the ring buffer is full. */
static __always_inline bool emit(struct wp_cpu *c, __u32 type, __u32 cpu, __u32 idx,
				 const struct wp_slot *s)
{
	struct wp_event *e;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		c->hdr.dropped++;
		return false;
	}
	e->type = type;
	e->cpu = cpu;
	e->slot = idx;
	e->gen = s->gen;
	e->tgid = s->tgid;
	e->exec_id = s->exec_id;
	e->start_ns = s->start_ns & ~WP_CLOSED;
	e->ns = s->ns;
	e->cgroup_id = s->cgroup_id;
	__builtin_memcpy(e->comm, s->comm, sizeof(e->comm));
	e->change = 0;
	e->seq = 0;
	bpf_ringbuf_submit(e, wake_flag());
	return true;
}

/*
 * No room in the ring buffer for the evict record of a slot's owner: the owner keeps the
 * slot, whose time the agent goes on reading, and delta, of the process that wanted it,
 * goes to lost_ns, which the agent reports as [unrecorded]. If delta closes the running
 * slice and wp_snap saw that slice, the agent may have credited part of it to the process
 * already (kernel/accounting.c, debts): the slice is named, for the agent to take that
 * part out of [unrecorded]'s rather than count it twice.
 */
static __always_inline void lose(struct wp_cpu *c, __u32 tgid, __u64 start_ns, __u64 delta)
{
	__u64 slice = c->hdr.seq - 1;	/* the running slice's: the switch bumped seq */

	c->hdr.lost_ns += delta;
	if (tgid == c->hdr.cur_tgid && start_ns == c->hdr.cur_start_ns &&
	    c->hdr.snap_seq == slice && c->hdr.lost_slice[(c->hdr.lost_slices - 1) & 1] != slice)
		c->hdr.lost_slice[c->hdr.lost_slices++ & 1] = slice;
}

/*
 * Cold path: the slot belongs to another process (or to none), or its owner's
 * name, program or cgroup changed (closed: WP_CLOSED added to start_ns, so the
 * key no longer matches). task is the one being charged: its name, program
 * and cgroup go with the slot (it is not always
 * current: see unseen_switch); NULL for the [untraced] pseudo process, which
 * the agent names. The old owner's record is reserved before anything changes:
 * with no room for it, the old owner stays (lose()), unless it is the same
 * process, whose slot a change closed: it goes on there, under the old identity.
 */
static __noinline void take_slot(struct wp_cpu *c, __u32 tgid, __u64 start_ns,
				 struct task_struct *task, __u64 delta)
{
	__u32 idx = tgid & WP_SLOT_MASK, gen;
	struct wp_slot *s;

	s = &c->slots[idx];
	if (s->gen && !emit(c, WP_EV_EVICT, bpf_get_smp_processor_id(), idx, s)) {
		if (s->tgid == tgid && s->start_ns == (start_ns | WP_CLOSED))
			s->ns += delta;	/* its own slot, closed by a change: under the old identity */
		else
			lose(c, tgid, start_ns, delta);
		return;
	}

	gen = s->gen + 1;
	if (!gen)
		gen = 1;
	s->gen = gen;
	barrier();
	s->tgid = tgid;
	s->start_ns = start_ns;
	s->ns = delta;
	if (task) {
		s->cgroup_id = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
		bpf_probe_read_kernel_str(s->comm, sizeof(s->comm),
					  BPF_CORE_READ(task, group_leader, comm));
		s->exec_id = BPF_CORE_READ(task, group_leader, self_exec_id);
	} else {
		s->cgroup_id = 0;
		__builtin_memset(s->comm, 0, sizeof(s->comm));
		s->exec_id = 0;
	}
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

/* Possible CPUs: elements of cpus. Set by the loader. */
const volatile __u32 nr_cpus = 1;

/*
 * Where cur (which came in on this CPU with the sum start_sum, its arrival
 * count then pcount0) was picked next, if another CPU still shows it running
 * since exactly that arrival: its sum at that pick, or 0.
 */
static __always_inline __u64 sum_at_next_pick(struct wp_cpu *c, __u64 cur, __u64 pcount0)
{
	for (__u32 i = 0; i < WP_LOOP_CPUS && i < nr_cpus; i++) {
		struct wp_cpu *o = bpf_map_lookup_elem(&cpus, &i);
		__u64 seq, sum;

		if (!o || o == c)
			continue;
		seq = o->hdr.seq;
		barrier();
		if ((o->hdr.cur_task & ~WP_SPLIT) != cur || o->hdr.cur_pcount != pcount0 + 1)
			continue;
		sum = o->hdr.cur_pick_sum;
		barrier();
		if (o->hdr.seq_end == seq && o->hdr.seq == seq)
			return sum;
	}
	return 0;
}

/* The kernel has bpf_loop (5.17): set by the loader. Without it, the first
 * WP_LOOP_CPUS_OLD CPUs only are reached (a bounded loop the verifier walks). */
const volatile bool have_bpf_loop = false;

/*
 * What [untraced] may take: the hidden process's own runtime. The time of
 * untraced switches is charged to [untraced] only as far as the runtime of the
 * process whose tasks the tracepoint hides (cur's, at an untraced switch: on
 * this VM, PID 1) grew beyond what was charged to it, so that [untraced] never
 * holds time no task ran (the scheduler's clock moving while no task ran) nor
 * that of tasks it is not (a real-time task its switch-in picked: prev, not
 * provable, gave [untraced] 85 ms PID 1 never ran in 25 s here). As a slice is
 * capped by its task's sum_exec_runtime, [untraced] is capped by the hidden
 * process's: its threads' sums plus what its dead threads ran
 * (signal->sum_sched_runtime). Shared by all CPUs with atomic adds only:
 * hidden_seen may overshoot when two CPUs look at once, which only defers the
 * budget it adds (the total added is the runtime seen last).
 */
__u32 hidden_tgid;		/* the hidden process */
__u64 hidden_start;
__u64 hidden_seen;		/* its runtime when last looked at */
__s64 untraced_budget;		/* of its runtime since, what no charge took */

struct group_ctx {
	__u64 head;		/* &signal->thread_head */
	__u64 pos;		/* the list node last visited */
	__u64 sum;
};

/* One thread of the group: its sum. 1 at the end of the list. */
static long group_thread(__u32 i, struct group_ctx *g)
{
	struct list_head *pos = (struct list_head *)g->pos;
	__u64 next = (__u64)BPF_CORE_READ(pos, next);
	struct task_struct *t;

	if (!next || next == g->head)
		return 1;
	t = (struct task_struct *)(next - bpf_core_field_offset(struct task_struct, thread_node));
	g->sum += BPF_CORE_READ(t, se.sum_exec_runtime);
	g->pos = next;
	return 0;
}

/*
 * The runtime of task's whole process: what its dead threads ran and its live
 * ones' sums (the first 256); the task's own sum where the kernel has no
 * signal->thread_head (v6.7) or no bpf_loop: a stricter bound.
 */
static __always_inline __u64 group_runtime(struct task_struct *task)
{
	struct signal_struct *sig = BPF_CORE_READ(task, signal);
	struct group_ctx g = {};

	if (!sig || !have_bpf_loop || !bpf_core_field_exists(sig->thread_head) ||
	    !bpf_core_field_exists(task->thread_node))
		return BPF_CORE_READ(task, se.sum_exec_runtime);
	g.head = (__u64)sig + bpf_core_field_offset(struct signal_struct, thread_head);
	g.pos = g.head;
	g.sum = BPF_CORE_READ(sig, sum_sched_runtime);
	bpf_loop(256, group_thread, &g, 0);
	return g.sum;
}

/* cur (tgid, start_ns) is a task the tracepoint hides: its process's runtime
 * growth since last looked at goes to the budget. A new hidden process starts
 * afresh (nothing of it is known to be owed yet). */
static __always_inline void hidden_look(struct task_struct *cur, __u32 tgid, __u64 start_ns)
{
	__u64 now = group_runtime(cur), seen;

	if (hidden_tgid != tgid || hidden_start != start_ns) {
		hidden_tgid = tgid;
		hidden_start = start_ns;
		hidden_seen = now;
		untraced_budget = 0;
		return;
	}
	seen = hidden_seen;
	if (now > seen) {
		__sync_fetch_and_add(&hidden_seen, now - seen);
		__sync_fetch_and_add(&untraced_budget, (__s64)(now - seen));
	}
}

/* Take up to want of the budget; what was taken. */
static __always_inline __u64 budget_take(__u64 want)
{
	__s64 have = untraced_budget;
	__u64 take;

	if (have <= 0 || !want)
		return 0;
	take = (__u64)have < want ? (__u64)have : want;
	__sync_fetch_and_add(&untraced_budget, -(__s64)take);
	return take;
}

/*
 * ns, but never more than the runqueue's clock moved since prev last arrived on
 * this CPU (sched_info.last_arrival, stamped with that clock at each arrival;
 * it moves at least as fast as the task clock of sum_exec_runtime). The pick
 * that set prev_sum_exec_runtime may be older than that arrival.
 */
static __always_inline __u64 since_arrival(struct task_struct *prev, __u64 ns)
{
	__u64 clock, arrived;

	if (!bpf_core_field_exists(prev->sched_info) || !bpf_core_field_exists(prev->se.cfs_rq))
		return ns;
	clock = BPF_CORE_READ(prev, se.cfs_rq, rq, clock);
	arrived = BPF_CORE_READ(prev, sched_info.last_arrival);
	if (!clock || !arrived)
		return ns;
	if (clock <= arrived)
		return 0;
	return clock - arrived < ns ? clock - arrived : ns;
}

/*
 * prev is not the task this CPU's last switch brought in (cur): switches went
 * by without the tracepoint. On the kernel these tests run on, a vendor patch
 * hides PID 1's tasks from BPF: the tracepoint fires with one of them as next
 * but never as prev (docs/counting.md, "Untraced switches"). The time since the last
 * switch we saw, delta, belongs to cur, then to tasks we did not see, then to
 * prev. Only what the scheduler's own per-task counters prove is charged to a
 * process, so that no process is ever charged more than it ran:
 *  - cur: the switch-in we saw counted as arrival pcount0 + 1
 *    (sched_info.pcount). If cur has not arrived anywhere since and is not
 *    running, its sum has grown by exactly its slice here. If it arrived once
 *    more and the CPU it arrived on still shows it, its sum at that pick
 *    closes its slice here.
 *  - prev, in the fair class: its sum since its own pick (sum_exec_runtime -
 *    prev_sum_exec_runtime, which the pick set; it is never less, measured on
 *    this kernel, only sometimes more when something re-set it mid-slice).
 *  - the rest: time of tasks we did not see, under the [untraced] pseudo
 *    process as far as the hidden process's runtime allows (hidden_look());
 *    beyond that, or when prev is the idle task, idle time (with what may be
 *    left of hidden tasks there: it cannot be told apart from idle).
 * Every read of cur checks its key, so a recycled task_struct is not charged.
 */
static __noinline void unseen_switch(struct wp_cpu *c, struct task_struct *prev, bool prev_idle,
				     __u64 delta)
{
	struct task_struct *cur = (struct task_struct *)(c->hdr.cur_task & ~WP_SPLIT);
	__u64 cur_ns = 0, prev_ns = 0, rest, sum, pcount, at;

	c->hdr.unseen++;
	if (c->hdr.cur_tgid && BPF_CORE_READ(cur, tgid) == c->hdr.cur_tgid &&
	    BPF_CORE_READ(cur, group_leader, start_boottime) == c->hdr.cur_start_ns) {
		hidden_look(cur, c->hdr.cur_tgid, c->hdr.cur_start_ns);
		sum = BPF_CORE_READ(cur, se.sum_exec_runtime);
		pcount = wp_pcount(cur);
		if (pcount == c->hdr.cur_pcount + 1 && !BPF_CORE_READ(cur, on_cpu)) {
			cur_ns = sum - c->hdr.cur_start_sum;
		} else if (pcount == c->hdr.cur_pcount + 2) {
			at = sum_at_next_pick(c, (__u64)cur, c->hdr.cur_pcount + 1);
			if (at > c->hdr.cur_start_sum)
				cur_ns = at - c->hdr.cur_start_sum;
		}
		if (cur_ns > delta)
			cur_ns = 0;	/* not what we think it is */
	}
	if (!prev_idle && BPF_CORE_READ(prev, prio) >= WP_MAX_RT_PRIO) {
		prev_ns = BPF_CORE_READ(prev, se.sum_exec_runtime) -
			  BPF_CORE_READ(prev, se.prev_sum_exec_runtime);
		prev_ns = since_arrival(prev, prev_ns);
		if (prev_ns > delta - cur_ns)
			prev_ns = 0;
	}
	rest = delta - cur_ns - prev_ns;
	if (cur_ns) {
		charge(c, c->hdr.cur_tgid, c->hdr.cur_start_ns, cur, cur_ns);
		if (c->hdr.cur_tgid == hidden_tgid && c->hdr.cur_start_ns == hidden_start)
			__sync_fetch_and_add(&untraced_budget, -(__s64)cur_ns);
	}
	if (prev_ns)
		charge(c, BPF_CORE_READ(prev, tgid), BPF_CORE_READ(prev, group_leader, start_boottime),
		       prev, prev_ns);
	if (rest && !prev_idle) {
		rest = budget_take(rest);
		if (rest) {
			charge(c, WP_UNTRACED_TGID, 0, NULL, rest);
			c->hdr.untraced_ns += rest;
		}
	}
}

/*
 * An identity change (see retire()) asked to split the slice of the task
 * running here at its sum then, split_sum: the part before goes out as a
 * SPLIT record, to be charged under the identity before the change, and the
 * slice goes on from there (last_clock and cur_start_sum move past it). Runs
 * on this CPU only (a switch, or wp_snap), so nothing races with it here;
 * both have bumped seq already (the slice's debts in the agent are of seq - 1).
 */
static __noinline void apply_split(struct wp_cpu *c, __u64 now)
{
	__u64 task = c->hdr.cur_task & ~WP_SPLIT, pre = 0;
	struct wp_event *e;

	if (c->hdr.split_task == task && c->hdr.split_sum > c->hdr.cur_start_sum) {
		pre = c->hdr.split_sum - c->hdr.cur_start_sum;
		if (now < c->hdr.last_clock + pre)
			pre = now > c->hdr.last_clock ? now - c->hdr.last_clock : 0;
	}
	if (pre) {
		e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
		if (e) {
			__builtin_memset(e, 0, sizeof(*e));
			e->type = WP_EV_SPLIT;
			e->cpu = bpf_get_smp_processor_id();
			e->tgid = c->hdr.cur_tgid;
			e->start_ns = c->hdr.cur_start_ns;
			e->ns = pre;
			e->change = c->hdr.split_change;
			e->cgroup_id = c->hdr.split_cgroup;	/* 0: the cgroup did not change */
			e->seq = c->hdr.seq - 1;	/* the slice's: both callers bumped seq */
			bpf_ringbuf_submit(e, wake_flag());
			c->hdr.last_clock += pre;
			c->hdr.cur_start_sum += pre;
		} else {
			c->hdr.dropped++;	/* the whole slice goes after the change */
		}
	}
	c->hdr.cur_task = task;
}

/*
 * What a task that ran a slice here since last_clock, with the sum start_sum then,
 * is charged for it at the scheduler's stamp now: the span on the scheduler's
 * clock, but never more than its own sum_exec_runtime grew. The two differ where
 * the clock moved while no task ran: sched_balance_newidle() drops the runqueue
 * lock, and a task woken or pulled meanwhile is enqueued with the clock brought up
 * to date, so its pick stamps it later than the stamp of the task that went out
 * (up to tens of microseconds here, docs/counting.md, "CPU time"). That time is no
 * task's; charged by span, it went to the task that came in. It is idle time now.
 */
static __always_inline __u64 own_slice(__u64 span, __u64 sum, __u64 start_sum)
{
	__u64 ran = sum - start_sum;

	return ran < span ? ran : span;
}

/* Cold path of a switch whose prev is not the task we had as running: a split to
 * apply first (the task is the same, WP_SPLIT marks it), or an untraced switch. */
static __noinline void other_switch(struct wp_cpu *c, struct task_struct *prev, bool prev_idle,
				    __u64 now)
{
	if (c->hdr.cur_task & WP_SPLIT) {
		apply_split(c, now);
		if (c->hdr.cur_task == (__u64)prev) {
			__u64 ns = 0;

			if (now > c->hdr.last_clock)
				ns = own_slice(now - c->hdr.last_clock,
					       BPF_CORE_READ(prev, se.sum_exec_runtime),
					       c->hdr.cur_start_sum);
			if (ns)
				charge(c, c->hdr.cur_tgid, c->hdr.cur_start_ns, prev, ns);
			return;
		}
	}
	if (now > c->hdr.last_clock)
		unseen_switch(c, prev, prev_idle, now - c->hdr.last_clock);
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
		if (!seen) {
			other_switch(c, prev, prev_idle, now);
		} else if (!prev_idle) {
			delta = own_slice(now - c->hdr.last_clock,
					  TASK_READ(btf, prev, se.sum_exec_runtime),
					  c->hdr.cur_start_sum);
			if (delta)
				charge(c, c->hdr.cur_tgid, c->hdr.cur_start_ns, prev, delta);
		}
	}

	/* Open next's slice. */
	c->hdr.cur_task = (__u64)next;
	c->hdr.last_clock = now;
	tgid = TASK_READ(btf, next, tgid);	/* 0: the idle task */
	c->hdr.cur_tgid = tgid;
	if (tgid) {
		c->hdr.cur_start_ns = TASK_READ(btf, next, group_leader, start_boottime);
		c->hdr.cur_start_sum = TASK_READ(btf, next, se.sum_exec_runtime);
		c->hdr.cur_pick_sum = c->hdr.cur_start_sum;
		c->hdr.cur_cset = (__u64)TASK_READ(btf, next, cgroups);
		if (bpf_core_field_exists(next->sched_info))
			c->hdr.cur_pcount = TASK_READ(btf, next, sched_info.pcount);
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

/* The last thread of a process exited. */
static __always_inline int on_exit(struct task_struct *task)
{
	struct wp_cpu *c;
	struct wp_exit *e;

	if (!wp_group_dead(task))
		return 0;
	c = this_cpu();
	if (!c)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		c->hdr.dropped++;
		return 0;
	}
	e->type = WP_EV_EXIT;
	e->tgid = BPF_CORE_READ(task, tgid);
	e->start_ns = BPF_CORE_READ(task, group_leader, start_boottime);
	bpf_ringbuf_submit(e, wake_flag());
	return 0;
}

/* Identity changes, numbered in the order they happen. */
__u64 changes;

/*
 * The process (tgid, start_ns) changes its name, program or cgroup: from now
 * on its time goes under the new identity (ch says both), and what it ran
 * before under the old one, to within a tick:
 *  - its slots, on every CPU, are closed: WP_CLOSED is added to their
 *    start_ns, so the next switch of the process there misses, evicts them
 *    (with what they hold, all of it from before) and takes a new one;
 *  - its running slices, on every CPU that runs one of its tasks, are split
 *    at that task's sum_exec_runtime now (the scheduler brings it up to date
 *    at every tick, and so does the kernel's cgroup accounting): that CPU
 *    does it at its next switch or wp_snap (apply_split), since only it may
 *    change its header's slice.
 * Another CPU's state is written only with an atomic add (XADD, in every BPF
 * ISA), after a check: a slot or task that changed meanwhile gets a flag it
 * does not need, which costs one more eviction, never a wrong key.
 */
struct retire_ctx {
	__u32 tgid;
	__u64 start_ns;
	__u64 change;
	__u64 old_cgroup;	/* found on the way: the cgroup a running task had */
};

/* retire() on CPU i. */
static long retire_cpu(__u32 i, struct retire_ctx *x)
{
	__u32 idx = x->tgid & WP_SLOT_MASK;
	struct wp_cpu *o = bpf_map_lookup_elem(&cpus, &i);
	struct task_struct *t;
	__u64 task;

	if (!o)
		return 1;
	if (o->slots[idx].gen && o->slots[idx].tgid == x->tgid &&
	    o->slots[idx].start_ns == x->start_ns)
		__sync_fetch_and_add(&o->slots[idx].start_ns, WP_CLOSED);
	task = o->hdr.cur_task;
	if ((task & WP_SPLIT) || o->hdr.cur_tgid != x->tgid || o->hdr.cur_start_ns != x->start_ns)
		return 0;
	t = (struct task_struct *)task;
	o->hdr.split_sum = BPF_CORE_READ(t, se.sum_exec_runtime);
	o->hdr.split_change = x->change;
	/* the cgroup it ran in, if it moved: the css_set it had at its switch-in (freed
	 * after an RCU grace period, not yet: the move was just now) */
	o->hdr.split_cgroup = 0;
	if (o->hdr.cur_cset && o->hdr.cur_cset != (__u64)BPF_CORE_READ(t, cgroups)) {
		struct css_set *old = (struct css_set *)o->hdr.cur_cset;

		o->hdr.split_cgroup = BPF_CORE_READ(old, dfl_cgrp, kn, id);
		if (!x->old_cgroup)
			x->old_cgroup = o->hdr.split_cgroup;
	}
	o->hdr.split_task = task;
	barrier();
	if (o->hdr.cur_task == task)
		__sync_fetch_and_add(&o->hdr.cur_task, WP_SPLIT);
	return 0;
}


static __noinline void retire(struct wp_change *ch)
{
	struct retire_ctx x = { .tgid = ch->tgid, .start_ns = ch->start_ns, .change = ch->change };

	if (have_bpf_loop) {
		bpf_loop(nr_cpus, retire_cpu, &x, 0);
	} else {
		for (__u32 i = 0; i < WP_LOOP_CPUS_OLD && i < nr_cpus; i++)
			if (retire_cpu(i, &x))
				break;
	}
	if (!ch->old_cgroup_id && ch->what == WP_CH_CGROUP)
		ch->old_cgroup_id = x.old_cgroup;
}

/* Start a change record of task's process: key, number, old identity as task has it. */
static __always_inline struct wp_change *begin_change(struct wp_cpu *c, struct task_struct *task,
						      __u32 what)
{
	struct task_struct *leader = BPF_CORE_READ(task, group_leader);
	struct wp_change *ch;

	ch = bpf_ringbuf_reserve(&events, sizeof(*ch), 0);
	if (!ch) {
		c->hdr.dropped++;
		return NULL;
	}
	ch->type = WP_EV_CHANGE;
	ch->what = what;
	ch->tgid = BPF_CORE_READ(task, tgid);
	ch->start_ns = BPF_CORE_READ(leader, start_boottime);
	ch->change = __sync_fetch_and_add(&changes, 1) + 1;
	bpf_probe_read_kernel_str(ch->old_comm, sizeof(ch->old_comm), BPF_CORE_READ(leader, comm));
	ch->old_exec_id = BPF_CORE_READ(leader, self_exec_id);
	ch->old_cgroup_id = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
	__builtin_memcpy(ch->comm, ch->old_comm, sizeof(ch->comm));
	ch->exec_id = ch->old_exec_id;
	ch->cgroup_id = ch->old_cgroup_id;
	return ch;
}

static __always_inline void end_change(struct wp_change *ch)
{
	retire(ch);
	bpf_ringbuf_submit(ch, wake_flag());
}

/*
 * A task's name changes (prctl PR_SET_NAME, pthread_setname_np, a write to
 * /proc/PID/comm, exec). Only the group leader's name is the process's name.
 * The tracepoint fires before the copy: task->comm is the old name, comm the
 * new one. During an exec (in_execve) this is the exec's change: the program
 * changes too (self_exec_id, which the exec increments right after).
 */
static __always_inline int on_rename(struct task_struct *task, const char *comm)
{
	struct wp_change *ch;
	struct wp_cpu *c;
	bool exec;

	if (BPF_CORE_READ(task, group_leader) != task)
		return 0;
	c = this_cpu();
	if (!c)
		return 0;
	exec = wp_in_execve(task);
	ch = begin_change(c, task, exec ? WP_CH_EXEC : WP_CH_RENAME);
	if (!ch)
		return 0;
	bpf_probe_read_kernel_str(ch->comm, sizeof(ch->comm), comm);
	if (exec)
		ch->exec_id = ch->old_exec_id + 1;
	end_change(ch);
	return 0;
}

/*
 * A task moved to another cgroup (systemd and container runtimes move
 * processes right after fork). Only the v2 hierarchy (hierarchy_id 0) counts.
 * The tracepoint fires after the move: the old cgroup is the one the slot of
 * the process on this CPU holds, if it has one (0: unknown; the agent knows).
 */
static __always_inline int on_attach(struct cgroup *dst, struct task_struct *task)
{
	struct wp_change *ch;
	struct wp_cpu *c;
	__u32 idx;

	if (BPF_CORE_READ(dst, root, hierarchy_id) != 0)
		return 0;
	c = this_cpu();
	if (!c)
		return 0;
	ch = begin_change(c, task, WP_CH_CGROUP);
	if (!ch)
		return 0;
	ch->cgroup_id = BPF_CORE_READ(dst, kn, id);
	ch->old_cgroup_id = 0;
	idx = ch->tgid & WP_SLOT_MASK;
	if (c->slots[idx].tgid == ch->tgid && c->slots[idx].start_ns == ch->start_ns)
		ch->old_cgroup_id = c->slots[idx].cgroup_id;
	end_change(ch);
	return 0;
}

/*
 * wp_snap found task running, not cur: a switch the tracepoint hid brought it in
 * (unseen_switch), and task's own switch-out may be an interval or more away.
 * Until then its slice would be credited in no read: a CPU-bound process had
 * 120-240 ms of a 500 ms interval missing, charged only at its switch-out, when a
 * saturated CPU has no room for it (it is held back, interval after interval).
 * So do here what that switch would have done, at the scheduler's last stamp of
 * task: close what ran since the last switch seen, task's part included (its sum
 * since its pick), and open task's slice from now, so that its switch-out is a
 * switch seen and every read credits it. The agent's first read, before any
 * switch was seen here (cur_task 0), opens the running task's slice alike, so
 * that the first interval has it (else it came only from its first switch: a
 * CPU-bound process missed 156 ms of the first 500 ms interval); from its last
 * stamp, up to a tick before the read, which the first interval holds back like
 * the tick of any read (within_capacity).
 */
static __noinline void snap_switch(struct wp_cpu *c, struct task_struct *task, __u64 now)
{
	c->hdr.seq++;
	barrier();
	if (c->hdr.last_clock && now > c->hdr.last_clock)
		other_switch(c, task, false, now);
	c->hdr.cur_task = (__u64)task;
	c->hdr.last_clock = now;
	c->hdr.cur_tgid = BPF_CORE_READ(task, tgid);
	c->hdr.cur_start_ns = BPF_CORE_READ(task, group_leader, start_boottime);
	c->hdr.cur_start_sum = BPF_CORE_READ(task, se.sum_exec_runtime);
	c->hdr.cur_pick_sum = 0;	/* its sum at its pick: not known, nothing to prove */
	c->hdr.cur_cset = (__u64)BPF_CORE_READ(task, cgroups);
	c->hdr.cur_pcount = wp_pcount(task) - 1;	/* its arrival here counted already */
	barrier();
	c->hdr.seq_end = c->hdr.seq;
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
	now = BPF_CORE_READ(task, se.exec_start);
	if ((c->hdr.cur_task & ~WP_SPLIT) != (__u64)task && BPF_CORE_READ(task, pid)) {
		/* a switch the tracepoint hid, or none seen yet; the idle task (pid 0) is not */
		snap_switch(c, task, now);
	} else if (c->hdr.cur_task == ((__u64)task | WP_SPLIT)) {
		/* the slice goes on after the change as a new one, for the credit below */
		c->hdr.seq++;
		barrier();
		apply_split(c, now);
		barrier();
		c->hdr.seq_end = c->hdr.seq;
	}
	c->hdr.snap_run = 0;
	if (c->hdr.cur_tgid && c->hdr.cur_task == (__u64)task) {
		/* as its switch-out will charge it, never more (own_slice) */
		if (now > c->hdr.last_clock)
			c->hdr.snap_run = own_slice(now - c->hdr.last_clock,
						    BPF_CORE_READ(task, se.sum_exec_runtime),
						    c->hdr.cur_start_sum);
		/* the identity the running slice goes under */
		bpf_probe_read_kernel_str(c->hdr.snap_comm, sizeof(c->hdr.snap_comm),
					  BPF_CORE_READ(task, group_leader, comm));
		c->hdr.snap_cgroup = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
		c->hdr.snap_exec_id = BPF_CORE_READ(task, group_leader, self_exec_id);
	}
	c->hdr.snap_seq = c->hdr.seq;
	return 0;
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

SEC("tp_btf/task_rename")
int BPF_PROG(wp_rename_btf, struct task_struct *task, const char *comm)
{
	return on_rename(task, comm);
}

SEC("raw_tp/task_rename")
int BPF_PROG(wp_rename_raw, struct task_struct *task, const char *comm)
{
	return on_rename(task, comm);
}

/* --- executables (--group-by exe) ------------------------------------------------- */

/* Set by the loader when the agent shows executables: exe records at fork and exec. */
const volatile bool want_exe = false;

struct wp_path_scratch {
	char buf[2 * WP_EXE_LEN];	/* twice: a name is read at any offset below WP_EXE_LEN */
	__u64 names[WP_PATH_DEPTH];
	struct wp_exe rec;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct wp_path_scratch);
} scratch SEC(".maps");

/* Processes whose executable the agent asks for: tgid -> start_ns (see wp_exe_iter). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, WP_EXE_ASK);
	__type(key, __u32);
	__type(value, __u64);
} exe_want SEC(".maps");

struct walk_ctx {
	__u64 d, vm, m;		/* dentry, vfsmount, mount: where the walk is */
	__u32 n;		/* names collected */
	__u32 off;		/* bytes written */
	struct wp_path_scratch *ps;
};

/* One step up: a name, or over a mount point. 1 stops the walk. */
static long walk_up(__u32 i, struct walk_ctx *w)
{
	struct dentry *d = (struct dentry *)w->d, *parent = BPF_CORE_READ(d, d_parent);
	struct vfsmount *vm = (struct vfsmount *)w->vm;
	struct mount *m = (struct mount *)w->m, *mp;

	if (w->n >= WP_PATH_DEPTH)
		return 1;
	if (d == BPF_CORE_READ(vm, mnt_root) || d == parent) {
		mp = BPF_CORE_READ(m, mnt_parent);
		if (mp == m)
			return 1;	/* the root of everything */
		w->d = (__u64)BPF_CORE_READ(m, mnt_mountpoint);
		w->m = (__u64)mp;
		w->vm = (__u64)mp + bpf_core_field_offset(struct mount, mnt);
		return 0;
	}
	w->ps->names[w->n & (WP_PATH_DEPTH - 1)] = (__u64)BPF_CORE_READ(d, d_name.name);
	w->n++;
	w->d = (__u64)parent;
	return 0;
}

/* One name down, from the root: "/name". 1 stops. */
static long write_down(__u32 i, struct walk_ctx *w)
{
	__u32 j = w->n - 1 - i, at;
	long len;

	if (i >= w->n || w->off >= WP_EXE_LEN - 2)
		return 1;
	at = w->off;
	asm volatile("" : "+r"(at));	/* keep the masks: the verifier needs them */
	w->ps->buf[at & (WP_EXE_LEN - 1)] = '/';
	at = w->off + 1;
	asm volatile("" : "+r"(at));
	len = bpf_probe_read_kernel_str(&w->ps->buf[at & (WP_EXE_LEN - 1)], WP_EXE_LEN,
					(const void *)w->ps->names[j & (WP_PATH_DEPTH - 1)]);
	w->off++;
	if (len > 1)
		w->off += len - 1;
	return 0;
}

/*
 * The path of a file, from its dentry up to the root of the mount namespace it was
 * opened in, crossing mount points (as /proc/PID/exe shows it, for a file not
 * deleted). At most WP_PATH_DEPTH names, WP_EXE_LEN - 1 bytes: longer paths are cut.
 * Into ps->rec.path; returns its length (0: no file, or no bpf_loop in this kernel:
 * the agent reads /proc then).
 */
static __noinline __u32 file_path(struct wp_path_scratch *ps, struct file *f)
{
	struct walk_ctx w = { .ps = ps };
	__u32 off;

	if (!f || !have_bpf_loop)
		return 0;
	w.d = (__u64)BPF_CORE_READ(f, f_path.dentry);
	w.vm = (__u64)BPF_CORE_READ(f, f_path.mnt);
	w.m = w.vm - bpf_core_field_offset(struct mount, mnt);
	bpf_loop(2 * WP_PATH_DEPTH, walk_up, &w, 0);
	/* a file that is its own root (a memfd, an anonymous file): its name */
	if (!w.n && BPF_CORE_READ(f, f_path.dentry, d_name.len) > 1) {
		ps->names[0] = (__u64)BPF_CORE_READ(f, f_path.dentry, d_name.name);
		w.n = 1;
	}
	bpf_loop(WP_PATH_DEPTH, write_down, &w, 0);
	off = w.off;
	if (!off) {
		ps->buf[0] = '/';
		off = 1;
	}
	if (off > WP_EXE_LEN - 1)
		off = WP_EXE_LEN - 1;
	__builtin_memcpy(ps->rec.path, ps->buf, WP_EXE_LEN);
	asm volatile("" : "+r"(off));	/* keep the mask below for the verifier */
	ps->rec.path[off & (WP_EXE_LEN - 1)] = '\0';
	return off;
}

/* Fill ps->rec with the executable of task's process; false if it has none (kernel thread). */
static __always_inline bool exe_of(struct wp_path_scratch *ps, struct task_struct *task,
				   struct file *file)
{
	struct task_struct *leader = BPF_CORE_READ(task, group_leader);

	if (!file)
		file = BPF_CORE_READ(task, mm, exe_file);
	ps->rec.len = file_path(ps, file);
	if (!ps->rec.len)
		return false;
	ps->rec.type = WP_EV_EXE;
	ps->rec.tgid = BPF_CORE_READ(task, tgid);
	ps->rec.start_ns = BPF_CORE_READ(leader, start_boottime);
	ps->rec.exec_id = BPF_CORE_READ(leader, self_exec_id);
	return true;
}

static __always_inline void emit_exe(struct task_struct *task, struct file *file)
{
	struct wp_path_scratch *ps;
	struct wp_exe *e;
	struct wp_cpu *c;
	__u32 zero = 0;

	ps = bpf_map_lookup_elem(&scratch, &zero);
	c = this_cpu();
	if (!ps || !c || !exe_of(ps, task, file))
		return;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		c->hdr.dropped++;
		return;
	}
	__builtin_memcpy(e, &ps->rec, sizeof(*e));
	bpf_ringbuf_submit(e, wake_flag());
}

/* exec: the new program's file. */
static __always_inline int on_exec(struct task_struct *task, struct linux_binprm *bprm)
{
	if (want_exe)
		emit_exe(task, BPF_CORE_READ(bprm, file));
	return 0;
}

/* fork: the child runs its parent's program (threads are not processes). */
static __always_inline int on_fork(struct task_struct *child)
{
	if (want_exe && BPF_CORE_READ(child, pid) == BPF_CORE_READ(child, tgid))
		emit_exe(child, NULL);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(wp_exec_btf, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	return on_exec(task, bprm);
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(wp_exec_raw, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	return on_exec(task, bprm);
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(wp_fork_btf, struct task_struct *parent, struct task_struct *child)
{
	return on_fork(child);
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(wp_fork_raw, struct task_struct *parent, struct task_struct *child)
{
	return on_fork(child);
}

/*
 * Run by the agent (a task iterator it reads) for processes it first sees without
 * knowing their executable (they started before it, or their record was lost): one
 * wp_exe per process asked for in exe_want that is still there.
 */
SEC("iter/task")
int wp_exe_iter(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct wp_path_scratch *ps;
	__u32 zero = 0, tgid;
	__u64 *start;

	if (!task || task->pid != task->tgid)
		return 0;
	tgid = task->tgid;
	start = bpf_map_lookup_elem(&exe_want, &tgid);
	if (!start || *start != BPF_CORE_READ(task, group_leader, start_boottime))
		return 0;
	ps = bpf_map_lookup_elem(&scratch, &zero);
	if (!ps || !exe_of(ps, task, NULL))
		return 0;
	bpf_seq_write(ctx->meta->seq, &ps->rec, sizeof(ps->rec));
	return 0;
}

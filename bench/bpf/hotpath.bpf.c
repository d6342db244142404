// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Hot-path candidates for bench/hotpath.c: each program is a complete
 * sched_switch handler of one design, attached alone, so that the kernel's
 * run_time_ns / run_cnt compares them on the same workload. The agent's own
 * handler (wp_switch_btf in build/wattprobe.bpf.o) is loaded from that object,
 * not copied here.
 *
 * Built by bench/run.sh (clang -target bpf), not by the Makefile: the
 * Makefile builds every bench/NAME.c as a user-space program.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "wattprobe.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define NSLOTS		256
#define SLOT_MASK	(NSLOTS - 1)

struct u64_cell {
	__u64 v;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct u64_cell);
} cell SEC(".maps");

/* --- floor and single costs ------------------------------------------------ */

/* The floor: what attaching anything to sched_switch costs. */
SEC("tp_btf/sched_switch")
int BPF_PROG(hp_empty, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return 0;
}

/* One per-CPU array lookup and an add: the cheapest per-CPU state. */
SEC("tp_btf/sched_switch")
int BPF_PROG(hp_pcpu_add, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u32 zero = 0;
	struct u64_cell *c = bpf_map_lookup_elem(&cell, &zero);

	if (c)
		c->v++;
	return 0;
}

/* The same and one clock read: what a design that timestamps each switch pays. */
SEC("tp_btf/sched_switch")
int BPF_PROG(hp_clock, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u32 zero = 0;
	struct u64_cell *c = bpf_map_lookup_elem(&cell, &zero);

	if (c)
		c->v = bpf_ktime_get_ns();
	return 0;
}

/* --- classic: per-CPU hash keyed by tgid, clock per switch ------------------ */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u64);
} by_tgid SEC(".maps");

SEC("tp_btf/sched_switch")
int BPF_PROG(hp_hash_clock, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u32 zero = 0, tgid = prev->tgid;
	struct u64_cell *start = bpf_map_lookup_elem(&cell, &zero);
	__u64 now = bpf_ktime_get_ns(), delta, *ns;

	if (!start)
		return 0;
	delta = start->v ? now - start->v : 0;
	start->v = now;
	if (!prev->pid)
		return 0;
	ns = bpf_map_lookup_elem(&by_tgid, &tgid);
	if (ns)
		*ns += delta;
	else
		bpf_map_update_elem(&by_tgid, &tgid, &delta, BPF_NOEXIST);
	return 0;
}

/* --- task local storage: per-thread, from the scheduler's own sum ----------- */

struct tls_val {
	__u64 last;	/* se.sum_exec_runtime when last accounted */
	__u64 ns;	/* on-CPU ns accounted so far */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct tls_val);
} tls SEC(".maps");

/* Only prev is read: the slice is the growth of its sum since it was last
 * accounted, which stays exact whatever switches were missed. Totals are per
 * thread: reading them needs a task iterator in user space. */
SEC("tp_btf/sched_switch")
int BPF_PROG(hp_task_stor, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	struct tls_val *v;
	__u64 sum;

	if (!prev->pid)
		return 0;
	v = bpf_task_storage_get(&tls, prev, NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!v)
		return 0;
	sum = prev->se.sum_exec_runtime;
	if (v->last)
		v->ns += sum - v->last;
	v->last = sum;
	return 0;
}

/* --- where the state lives ------------------------------------------------ */

/*
 * A per-CPU array's values come from the per-CPU allocator's vmalloc'd
 * chunks (4 KiB pages); a plain array's from kmalloc when the whole map is at
 * most 32 KiB, else from vmalloc; a hash map without preallocation allocates
 * each element with kmalloc, in the kernel's direct map (2 MiB or 1 GiB
 * pages). The next three differ only in that.
 */
struct cell64 {
	__u64 v;
	__u64 pad[7];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);		/* set to the number of CPUs by the loader */
	__type(key, __u32);
	__type(value, struct cell64);
} array_bycpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1);		/* set to the number of CPUs by the loader, */
	__type(key, __u32);		/* which also creates one element per CPU */
	__type(value, struct cell64);
} hash_bycpu SEC(".maps");

SEC("tp_btf/sched_switch")
int BPF_PROG(hp_array_add, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct cell64 *c = bpf_map_lookup_elem(&array_bycpu, &cpu);

	if (c)
		c->v++;
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(hp_hash_add, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct cell64 *c = bpf_map_lookup_elem(&hash_bycpu, &cpu);

	if (c)
		c->v++;
	return 0;
}

/* --- decomposition: pages and task fields ---------------------------------- */

struct big {
	__u64 v[2048];	/* 16 KiB: four pages */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct big);
} bigcell SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct u64_cell);
} cell2 SEC(".maps");

/* two adds 1 KiB apart in one per-CPU value: one page */
SEC("tp_btf/sched_switch")
int BPF_PROG(hp_pcpu_near, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u32 zero = 0;
	struct big *b = bpf_map_lookup_elem(&bigcell, &zero);

	if (b) {
		b->v[0]++;
		b->v[128]++;
	}
	return 0;
}

/* two adds 12 KiB apart in one per-CPU value: two pages */
SEC("tp_btf/sched_switch")
int BPF_PROG(hp_pcpu_far, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u32 zero = 0;
	struct big *b = bpf_map_lookup_elem(&bigcell, &zero);

	if (b) {
		b->v[0]++;
		b->v[1536]++;
	}
	return 0;
}

/* the task fields the agent's handler reads, into one per-CPU cell */
SEC("tp_btf/sched_switch")
int BPF_PROG(hp_task_reads, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u32 zero = 0;
	struct u64_cell *c = bpf_map_lookup_elem(&cell, &zero);

	if (c)
		c->v += prev->se.sum_exec_runtime + next->se.sum_exec_runtime + next->tgid +
			next->pid + next->group_leader->start_time;
	return 0;
}

/* One small plain ARRAY per CPU (kmalloc'd: at most 32 KiB each, whatever
 * the number of CPUs), reached through an ARRAY_OF_MAPS indexed by CPU; the
 * loader creates the inner maps. */
struct inner_cell {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cell64);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);		/* set to the number of CPUs by the loader */
	__type(key, __u32);
	__array(values, struct inner_cell);
} aom_bycpu SEC(".maps");

SEC("tp_btf/sched_switch")
int BPF_PROG(hp_aom_add, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u32 cpu = bpf_get_smp_processor_id(), zero = 0;
	struct cell64 *c;
	void *inner = bpf_map_lookup_elem(&aom_bycpu, &cpu);

	if (!inner)
		return 0;
	c = bpf_map_lookup_elem(inner, &zero);
	if (c)
		c->v++;
	return 0;
}

/* --- the agent's hot path, piece by piece ------------------------------------- */

/*
 * Replicas of what wp_switch_btf does on its hot path (prev is the task the CPU
 * had as running, a fair task whose slot it owns), on the agent's own state
 * (struct wp_cpu from include/wattprobe.h, an ARRAY by CPU as the agent sizes it),
 * each adding one piece to the one before: the header's bookkeeping, the charge
 * to prev's slot, the cap of the slice by prev's sum_exec_runtime, the reads of
 * next's fields. Their differences say what each piece costs per call; the last
 * should cost what the agent's handler does.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);		/* set to the number of CPUs by the loader */
	__type(key, __u32);
	__type(value, struct wp_cpu);
} stage_bycpu SEC(".maps");

enum { ST_HDR, ST_CHARGE, ST_CAP, ST_NEXT };

static __always_inline int stage(int upto, struct task_struct *prev, struct task_struct *next)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct wp_cpu *c = bpf_map_lookup_elem(&stage_bycpu, &cpu);
	struct wp_slot *s;
	__u64 now, delta;
	bool seen;

	if (!c)
		return 0;
	seen = c->hdr.cur_task == (__u64)prev;
	now = prev->se.exec_start;
	c->hdr.seq++;
	if (upto >= ST_CHARGE && seen && c->hdr.last_clock && now > c->hdr.last_clock) {
		delta = now - c->hdr.last_clock;
		if (upto >= ST_CAP && prev->se.sum_exec_runtime - c->hdr.cur_start_sum < delta)
			delta = prev->se.sum_exec_runtime - c->hdr.cur_start_sum;
		s = &c->slots[c->hdr.cur_tgid & WP_SLOT_MASK];
		if (s->tgid == c->hdr.cur_tgid && s->start_ns == c->hdr.cur_start_ns) {
			s->ns += delta;
		} else {
			s->tgid = c->hdr.cur_tgid;
			s->start_ns = c->hdr.cur_start_ns;
			s->ns = delta;
		}
	}
	c->hdr.cur_task = (__u64)next;
	c->hdr.last_clock = now;
	c->hdr.cur_tgid = next->tgid;
	if (upto >= ST_CAP)
		c->hdr.cur_start_sum = next->se.sum_exec_runtime;
	if (upto >= ST_NEXT) {
		c->hdr.cur_start_ns = next->group_leader->start_boottime;
		c->hdr.cur_pick_sum = c->hdr.cur_start_sum;
		c->hdr.cur_cset = (__u64)next->cgroups;
		c->hdr.cur_pcount = next->sched_info.pcount;
	}
	c->hdr.seq_end = c->hdr.seq;
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(hp_wp_hdr, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return stage(ST_HDR, prev, next);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(hp_wp_charge, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return stage(ST_CHARGE, prev, next);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(hp_wp_cap, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return stage(ST_CAP, prev, next);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(hp_wp_next, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return stage(ST_NEXT, prev, next);
}

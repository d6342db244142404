/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Turns snapshots of the BPF per-CPU state and ring buffer records into
 * per-interval on-CPU nanoseconds per process and CPU. Pure: no I/O.
 *
 * Call order for one sample: acct__cpu() for every CPU of one map snapshot
 * (taken after wp_snap ran on every CPU; slots are copied before the header,
 * see wattprobe.h), then acct__event() for every ring buffer record drained
 * after that snapshot.
 *
 * Four sources of time, none counted twice:
 *  - slots: the growth of a slot since last seen, for the same generation;
 *  - evict records: a slot's final total, minus what was already seen of it;
 *  - the running slice: credited as far as wp_snap saw it and remembered per
 *    CPU as a debt, which the closed time of the same process on the same
 *    CPU pays back before it is charged again;
 *  - split records: the part of a running slice before an identity change,
 *    which pays back the debt of that slice first.
 * Each charge says under which identity (name, cgroup, program) it ran.
 * And time the BPF side could put in no slot (lost_ns: the ring buffer was full
 * for an evict record) is charged to no process (ACCT_LOST_TGID), less what of
 * it was credited already as a running slice.
 *
 * Idle time is not charged here: it is what is left of each CPU's interval.
 */
#ifndef __ACCOUNTING_H
#define __ACCOUNTING_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include "wattprobe.h"

#define ACCT_MAX_DEBTS 4
/* The tgid of charges of time that is no known process's (lost_ns, wattprobe.h) */
#define ACCT_LOST_TGID 0xffffffffu

/* Who the time is of: the process's name, cgroup and program when it ran. */
struct acct_id {
	char comm[WP_COMM_LEN];	/* its group leader's name */
	__u64 cgroup_id;	/* 0: unknown */
	__u32 exec_id;		/* its group leader's self_exec_id */
};

/* One charge: ns of on-CPU time for a process on a CPU. */
struct acct_charge {
	__u32 tgid;
	__u64 start_ns;
	const struct acct_id *id;	/* NULL: not known ([untraced], ACCT_LOST_TGID) */
	__u64 before;		/* not 0: id is the one before this change (a SPLIT) */
	__u64 before_cgroup;	/* and its cgroup then, if BPF knew it (0: not known) */
	int cpu;
	__u64 ns;
	bool exited;		/* the owner exited and acct__forget() was called for it */
};

struct acct_ops {
	void (*charge)(void *ctx, const struct acct_charge *c);
	void (*exited)(void *ctx, __u32 tgid, __u64 start_ns);
	/* the process's identity changed; time from before comes as SPLIT charges */
	void (*change)(void *ctx, const struct wp_change *ch);
	/* the executable of a process (len checked, path NUL-terminated) */
	void (*exe)(void *ctx, const struct wp_exe *e);
};

struct acct_debt {
	__u32 tgid;
	__u64 start_ns;
	__u64 slice;		/* header seq of the slice that was credited */
	__u64 credited;		/* credited of that slice so far */
	__u64 outstanding;	/* not yet paid back by closed time */
};

/* What a slot holds: the generation seen last, its owner and how much of it was seen. */
struct acct_gen {
	__u32 gen;		/* 0: none */
	__u32 tgid;
	__u64 start_ns;
	__u64 seen_ns;
	bool gone;		/* the owner exited and left the table: more time of it is late */
};

struct acct_slot {
	struct acct_gen cur;
	/* the generation seen before cur, whose evict record is still to come */
	struct acct_gen prev;
};

struct acct_cpu {
	struct acct_slot slots[WP_SLOTS];
	__u64 dropped_seen;
	__u64 unseen_seen;
	__u64 lost_seen;
	int ndebts;
	struct acct_debt debts[ACCT_MAX_DEBTS];
};

struct acct {
	int nr_cpus;
	struct acct_cpu *cpus;
	const struct acct_ops *ops;
	void *ctx;
	/* health counters, cumulative */
	__u64 dropped;		/* BPF records lost to a full ring buffer */
	__u64 unseen;		/* switches the tracepoint did not show (see wattprobe.bpf.c) */
	__u64 torn_slots;	/* slots skipped because a takeover was in progress */
	__u64 torn_headers;	/* headers skipped because a switch was in progress */
	__u64 uncredited;	/* running slices not credited for lack of debt room */
	__u64 lost_ns;		/* time of no slot (a full ring buffer), charged as ACCT_LOST_TGID */
};

int acct__init(struct acct *a, int nr_cpus, const struct acct_ops *ops, void *ctx);
void acct__free(struct acct *a);
/* One CPU's state from a map snapshot. */
void acct__cpu(struct acct *a, int cpu, const struct wp_cpu *c);
void acct__event(struct acct *a, const struct wp_event *e);
/* A ring buffer record of any type, size bytes: checked, then handed on. */
void acct__record(struct acct *a, const void *data, size_t size);
/*
 * The process (tgid, start_ns) exited and is about to leave the sink's table: time of it
 * that slots still hold (its last slice, a slot evicted later) is charged with .exited
 * set, so that the sink does not take it for a live process.
 */
void acct__forget(struct acct *a, __u32 tgid, __u64 start_ns);

#endif /* __ACCOUNTING_H */

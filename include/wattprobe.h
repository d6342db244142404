/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The one header shared by bpf/wattprobe.bpf.c and the agent: fixed-width
 * types and sizes only.
 *
 * Accounting design (see docs/counting.md):
 *
 * A process is keyed by (tgid, start_ns), start_ns being its group leader's
 * start_boottime: the same clock as the starttime of /proc/PID/stat (in
 * clock ticks there), so that the agent can tell, when it reads /proc/PID,
 * that the PID still belongs to the process it means.
 *
 * Time comes from the scheduler's own clock, not from a clock read: at a
 * switch, the scheduler has just stamped the outgoing task's se.exec_start
 * (update_curr) or, when the idle task goes out, the incoming one's (the
 * pick) with its per-CPU task clock, the clock it adds to sum_exec_runtime.
 * The stamp of the previous switch is kept in this CPU's header; the
 * difference is the slice that just ended, in the same nanoseconds as
 * /proc/PID/schedstat.
 *
 * Each CPU owns one struct wp_cpu in an array indexed by CPU: a small direct-mapped
 * cache of processes (slots, indexed by tgid) with the on-CPU nanoseconds each
 * has run on this CPU since it took the slot, and a header describing the task
 * running now. A switch adds the closing slice to the outgoing process's slot:
 * one array lookup, loads of what the scheduler just wrote (the stamp, and the
 * task's sum_exec_runtime: a slice is never charged more than the sum grew), a
 * compare and an add. Only when the slot belongs to another process (a miss)
 * is the old owner's total sent to user space through a ring buffer (an
 * "evict" record) and the slot taken over. If the ring buffer is full, the old
 * owner keeps the slot (its time is still read from it) and the slice goes to
 * the header's lost_ns, which the agent reports as [unrecorded]: no time is lost.
 *
 * User space reads the whole per-CPU array each interval (a fixed cost) and
 * drains the ring buffer (a cost that grows with evictions, i.e. with what
 * ran) continuously, every WP_DRAIN_MS or when a quarter of it is full, in a
 * thread of its own, whatever the interval; it turns both into per-interval
 * deltas, keyed by slot generation so that nothing is counted twice. Just
 * before, it runs wp_snap on every CPU, which records how long the running
 * task has run so far, so that a task that is never switched out is still
 * charged in each interval.
 */
#ifndef __WATTPROBE_H
#define __WATTPROBE_H

#define WP_COMM_LEN	16
#define WP_LOOP_CPUS	1024		/* bound of the loops over CPUs in rare events */
#define WP_LOOP_CPUS_OLD 64		/* the same where the kernel has no bpf_loop */
#define WP_MAX_RT_PRIO	100		/* a task with a lower prio is not in the fair class */
#define WP_UNTRACED_TGID 0xfffffffeu	/* pseudo process: time of untraced switches */
#define WP_SPLIT	1ULL		/* cur_task bit: split the running slice (wattprobe.bpf.c) */
#define WP_CLOSED	(1ULL << 63)	/* start_ns bit of a slot closed by an identity change */
#define WP_SLOTS	256		/* per-CPU process cache, power of two */
#define WP_SLOT_MASK	(WP_SLOTS - 1)
#define WP_RINGBUF_DEFAULT (256 * 1024)	/* drained continuously: see probe.h */
#define WP_DRAIN_MS	50		/* the drain thread's period when not woken */
#define WP_EXE_LEN	256		/* executable paths, NUL included; longer ones are cut */
#define WP_PATH_DEPTH	32		/* names of a path walked up, at most (power of two) */
#define WP_EXE_ASK	1024		/* processes asked about at once (exe_want) */

/*
 * One process's time on one CPU. gen and gen_end bracket the owner fields:
 * the BPF side writes gen first and gen_end last when the slot changes owner,
 * and the kernel copies map values forward, so a reader that sees
 * gen != gen_end has caught a takeover half-way and skips the slot.
 *
 * A slot holds the time of one identity of its owner: (comm, cgroup_id,
 * exec_id) when it took the slot. When the process's name, program or cgroup
 * changes, its slots are closed (WP_CLOSED added to start_ns): the next time
 * it is charged there it takes a new generation under the new identity.
 */
struct wp_slot {
	__u32 gen;		/* bumped at each takeover; 0: never used */
	__u32 tgid;
	__u64 start_ns;		/* group leader's start_boottime: (tgid, start_ns) is the key */
	__u64 ns;		/* on-CPU ns of this owner on this CPU since takeover */
	__u64 cgroup_id;	/* cgroup v2 id of the owner when it took the slot */
	char comm[WP_COMM_LEN];	/* its group leader's name then */
	__u32 exec_id;		/* its group leader's self_exec_id then: which program */
	__u32 gen_end;
};

/* The running task and per-CPU totals. seq and seq_end bracket every switch
 * in the same way as gen/gen_end; the header sits after the slots so that a
 * reader copies it last. */
struct wp_cpu_hdr {
	__u64 seq;		/* switches (and splits) on this CPU */
	__u64 cur_task;		/* task_struct of the running task, as a number; | WP_SPLIT */
	__u64 last_clock;	/* scheduler task clock at the start of the running slice */
	__u64 cur_start_sum;	/* the running task's se.sum_exec_runtime then */
	__u64 cur_pick_sum;	/* its sum at the switch, kept for the other CPUs */
	__u64 cur_pcount;	/* its sched_info.pcount then (not yet counting this arrival) */
	__u64 cur_cset;		/* its css_set then, as a number: its cgroup before a move */
	__u64 cur_start_ns;	/* its process key: (cur_tgid, cur_start_ns) */
	__u32 cur_tgid;		/* 0: the idle task */
	__u32 snap_exec_id;	/* the running task's identity when wp_snap ran: */
	__u64 snap_cgroup;	/*   (snap_comm, snap_cgroup, snap_exec_id) */
	char snap_comm[WP_COMM_LEN];
	/* set by another CPU with WP_SPLIT: split the running slice at split_sum */
	__u64 split_task;
	__u64 split_sum;
	__u64 split_change;	/* the change that asked */
	__u64 split_cgroup;	/* the cgroup before, if it was a move (0: not known) */
	__u64 snap_seq;		/* seq when wp_snap last ran on this CPU */
	__u64 snap_run;		/* how long the running task had run by then */
	__u64 dropped;		/* records lost because the ring buffer was full */
	__u64 unseen;		/* switches whose prev was not the task last switched in */
	__u64 untraced_ns;	/* of their time, what went to the [untraced] pseudo process */
	/* time no slot could take: the slot's owner had to be evicted and the ring buffer had
	 * no room for its record, so it kept the slot (the agent's [unrecorded]) */
	__u64 lost_ns;
	__u64 lost_slice[2];	/* the last two slices wp_snap saw that went there, by seq */
	__u64 lost_slices;	/* how many such: the next goes to lost_slice[lost_slices & 1] */
	__u64 seq_end;
};

struct wp_cpu {
	struct wp_slot slots[WP_SLOTS];
	struct wp_cpu_hdr hdr;
} __attribute__((aligned(64)));

enum wp_event_type {
	WP_EV_EVICT = 1,	/* a slot changed owner: final total of the old owner (wp_event) */
	WP_EV_EXIT = 2,		/* the last thread of a process exited (wp_exit) */
	WP_EV_CHANGE = 3,	/* a process's identity changed (wp_change) */
	WP_EV_SPLIT = 4,	/* the part of a running slice before a change (wp_event) */
	WP_EV_EXE = 5,		/* a process's executable: at fork and exec, or asked (wp_exe) */
};

/* What changed: the identity (comm, cgroup_id, exec_id) of a process. */
enum wp_change_what {
	WP_CH_EXEC = 1,		/* a new program: comm and exec_id */
	WP_CH_RENAME = 2,	/* the group leader's name: comm */
	WP_CH_CGROUP = 3,	/* moved to another cgroup (v2): cgroup_id */
};

struct wp_event {
	__u32 type;
	__u32 cpu;
	__u32 slot;
	__u32 gen;
	__u32 tgid;
	__u32 exec_id;		/* EVICT: identity of the slot, with comm and cgroup_id */
	__u64 start_ns;
	__u64 ns;		/* EVICT: the slot's final total; SPLIT: the part before */
	__u64 cgroup_id;	/* SPLIT: the cgroup before, if a move (0: unknown) */
	char comm[WP_COMM_LEN];
	__u64 change;		/* SPLIT: the change that asked */
	__u64 seq;		/* SPLIT: the slice it splits (the header's seq then) */
};

/* WP_EV_EXIT: the last thread of (tgid, start_ns) exited. A flood of processes is a
 * flood of these: 24 bytes in the ring buffer rather than a wp_event's 88. */
struct wp_exit {
	__u32 type;
	__u32 tgid;
	__u64 start_ns;
};

/* WP_EV_CHANGE: the process (tgid, start_ns) goes from the old identity to the new. */
struct wp_change {
	__u32 type;
	__u32 what;		/* enum wp_change_what */
	__u32 tgid;
	__u32 exec_id;
	__u64 start_ns;
	__u64 change;		/* numbered from 1, in the order changes happen */
	__u64 cgroup_id;
	__u64 old_cgroup_id;	/* 0: unknown */
	char comm[WP_COMM_LEN];
	char old_comm[WP_COMM_LEN];
	__u32 old_exec_id;
	__u32 _pad;
};

/* WP_EV_EXE: the executable of (tgid, start_ns) while it runs program exec_id. */
struct wp_exe {
	__u32 type;
	__u32 tgid;
	__u64 start_ns;
	__u32 exec_id;
	__u32 len;		/* of path, without the NUL */
	char path[WP_EXE_LEN];
};

#endif /* __WATTPROBE_H */

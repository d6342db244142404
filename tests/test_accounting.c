// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * acct__cpu / acct__event driven with hand-built snapshots of the BPF
 * per-CPU state and hand-built ring buffer records. The sink sums every
 * charge per (tgid, start_ns, cpu); expected values are worked out by hand
 * in the comments.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include "kernel/accounting.h"
#include "helpers.h"

#define NR_CPUS 2
#define MAX_KEYS 64

struct key_sum {
	__u32 tgid;
	__u64 start_ns;
	int cpu;
	__u64 ns;
	__u64 cgroup_id;	/* last non-zero cgroup seen in a charge */
	char comm[WP_COMM_LEN];	/* last comm seen in a charge */
	__u64 exited_ns;	/* of ns, charged as time of an exited process */
	__u64 before_ns;	/* of ns, charged under the identity before a change */
};

static struct {
	struct key_sum keys[MAX_KEYS];
	int nr_keys;
	int calls;		/* charge() calls */
	__u64 total;		/* ns over all charges */
	int zero_charges;	/* charges of 0 ns: never wanted */
	int exits, execs;
	__u32 exit_tgid, exec_tgid;
	__u64 exit_start, exec_start, exec_cgroup, exec_change;
	char exec_comm[WP_COMM_LEN];
} rec;

static void rec_charge(void *ctx, const struct acct_charge *c)
{
	struct key_sum *k = NULL;

	cr_assert_eq(ctx, &rec, "the ctx given to acct__init reaches the ops");
	rec.calls++;
	rec.total += c->ns;
	if (!c->ns)
		rec.zero_charges++;
	for (int i = 0; i < rec.nr_keys; i++)
		if (rec.keys[i].tgid == c->tgid && rec.keys[i].start_ns == c->start_ns &&
		    rec.keys[i].cpu == c->cpu)
			k = &rec.keys[i];
	if (!k) {
		cr_assert_lt(rec.nr_keys, MAX_KEYS);
		k = &rec.keys[rec.nr_keys++];
		k->tgid = c->tgid;
		k->start_ns = c->start_ns;
		k->cpu = c->cpu;
	}
	k->ns += c->ns;
	if (c->exited)
		k->exited_ns += c->ns;
	if (c->id && c->id->cgroup_id)
		k->cgroup_id = c->id->cgroup_id;
	if (c->id)
		memcpy(k->comm, c->id->comm, WP_COMM_LEN);
	if (c->before)
		k->before_ns += c->ns;
}

static void rec_exited(void *ctx, __u32 tgid, __u64 start_ns)
{
	rec.exits++;
	rec.exit_tgid = tgid;
	rec.exit_start = start_ns;
}

static void rec_change(void *ctx, const struct wp_change *ch)
{
	rec.execs++;
	rec.exec_tgid = ch->tgid;
	rec.exec_start = ch->start_ns;
	rec.exec_cgroup = ch->cgroup_id;
	rec.exec_change = ch->change;
	memcpy(rec.exec_comm, ch->comm, WP_COMM_LEN);
}

static struct {
	int n;
	char path[WP_EXE_LEN];
} exes;

static void rec_exe(void *ctx, const struct wp_exe *e)
{
	exes.n++;
	memcpy(exes.path, e->path, e->len + 1);
}

static const struct acct_ops rec_ops = {
	.charge = rec_charge,
	.exited = rec_exited,
	.change = rec_change,
	.exe = rec_exe,
};

static struct acct a;
static struct wp_cpu *snap;	/* one CPU's snapshot, reused and edited between reads */

static void setup(void)
{
	memset(&rec, 0, sizeof(rec));
	cr_assert_eq(acct__init(&a, NR_CPUS, &rec_ops, &rec), 0);
	snap = calloc(1, sizeof(*snap));
	cr_assert_not_null(snap);
}

static void teardown(void)
{
	acct__free(&a);
	free(snap);
}

static __u64 got(__u32 tgid, __u64 start_ns, int cpu)
{
	for (int i = 0; i < rec.nr_keys; i++)
		if (rec.keys[i].tgid == tgid && rec.keys[i].start_ns == start_ns &&
		    rec.keys[i].cpu == cpu)
			return rec.keys[i].ns;
	return 0;
}

static const struct key_sum *key_of(__u32 tgid, __u64 start_ns, int cpu)
{
	for (int i = 0; i < rec.nr_keys; i++)
		if (rec.keys[i].tgid == tgid && rec.keys[i].start_ns == start_ns &&
		    rec.keys[i].cpu == cpu)
			return &rec.keys[i];
	return NULL;
}

/* A consistent slot at the index the BPF side uses for tgid. */
static void put_slot(struct wp_cpu *c, __u32 gen, __u32 tgid, __u64 start_ns, __u64 ns)
{
	struct wp_slot *s = &c->slots[tgid & WP_SLOT_MASK];

	memset(s, 0, sizeof(*s));
	s->gen = gen;
	s->gen_end = gen;
	s->tgid = tgid;
	s->start_ns = start_ns;
	s->ns = ns;
	s->cgroup_id = 1000 + tgid;
	snprintf(s->comm, sizeof(s->comm), "p%u", tgid);
}

/* A consistent header: switch number seq, cur_tgid running (0: the idle task);
 * wp_snap ran at switch snap_seq and saw the running task at snap_run ns. */
static void put_hdr(struct wp_cpu *c, __u64 seq, __u32 cur_tgid, __u64 cur_start,
		    __u64 snap_seq, __u64 snap_run, __u64 dropped)
{
	c->hdr.seq = seq;
	c->hdr.seq_end = seq;
	c->hdr.cur_task = 0xffff888000000000ULL + cur_tgid;
	c->hdr.cur_tgid = cur_tgid;
	c->hdr.cur_start_ns = cur_start;
	c->hdr.snap_seq = snap_seq;
	c->hdr.snap_run = snap_run;
	c->hdr.dropped = dropped;
}

/* The usual case: wp_snap ran after the last switch. */
static void put_run(struct wp_cpu *c, __u64 seq, __u32 cur_tgid, __u64 cur_start,
		    __u64 snap_run)
{
	put_hdr(c, seq, cur_tgid, cur_start, seq, snap_run, 0);
}

static struct wp_event evict(__u32 cpu, __u32 gen, __u32 tgid, __u64 start_ns, __u64 ns)
{
	struct wp_event e = {
		.type = WP_EV_EVICT, .cpu = cpu, .slot = tgid & WP_SLOT_MASK, .gen = gen,
		.tgid = tgid, .start_ns = start_ns, .ns = ns, .cgroup_id = 1000 + tgid,
	};

	snprintf(e.comm, sizeof(e.comm), "p%u", tgid);
	return e;
}

TestSuite(accounting, .init = setup, .fini = teardown);

Test(accounting, slot_growth_charged_once)
{
	const struct key_sum *k;

	/* first sight of a generation: its whole 1000 ns */
	put_slot(snap, 1, 100, 55, 1000);
	acct__cpu(&a, 0, snap);
	cr_assert_eq(got(100, 55, 0), 1000);
	k = key_of(100, 55, 0);
	cr_assert_not_null(k);
	cr_assert_eq(k->cgroup_id, 1100, "cgroup of the slot is passed on");
	cr_assert_str_eq(k->comm, "p100");

	/* grew to 1600: only the growth, 1600 - 1000 = 600, total 1600 */
	put_slot(snap, 1, 100, 55, 1600);
	acct__cpu(&a, 0, snap);
	cr_assert_eq(got(100, 55, 0), 1600);
	cr_assert_eq(rec.calls, 2);

	/* unchanged: no charge at all, not even a 0 ns one */
	acct__cpu(&a, 0, snap);
	cr_assert_eq(got(100, 55, 0), 1600);
	cr_assert_eq(rec.calls, 2);
	cr_assert_eq(rec.zero_charges, 0);
}

Test(accounting, cpus_are_separate)
{
	struct wp_cpu *other = calloc(1, sizeof(*other));

	cr_assert_not_null(other);
	/* the same process and slot generation on two CPUs: two independent slots */
	put_slot(snap, 1, 100, 55, 1000);
	put_slot(other, 1, 100, 55, 300);
	acct__cpu(&a, 0, snap);
	acct__cpu(&a, 1, other);
	cr_assert_eq(got(100, 55, 0), 1000);
	cr_assert_eq(got(100, 55, 1), 300);

	/* cpu1 grows by 50 (300 -> 350); cpu0 unchanged */
	put_slot(other, 1, 100, 55, 350);
	acct__cpu(&a, 0, snap);
	acct__cpu(&a, 1, other);
	cr_assert_eq(got(100, 55, 0), 1000);
	cr_assert_eq(got(100, 55, 1), 350);
	free(other);
}

Test(accounting, same_tgid_new_start_is_another_process)
{
	/* tgid reused by a new process (different start_ns): a takeover, two keys */
	put_slot(snap, 1, 100, 55, 1000);
	acct__cpu(&a, 0, snap);
	put_slot(snap, 2, 100, 77, 40);
	acct__cpu(&a, 0, snap);
	cr_assert_eq(got(100, 55, 0), 1000);
	cr_assert_eq(got(100, 77, 0), 40);
}

Test(accounting, takeover_evict_after_the_slot_shows_the_new_generation)
{
	struct wp_event e;

	/* read 1: pid 100 gen 1 at 1000 ns */
	put_slot(snap, 1, 100, 55, 1000);
	acct__cpu(&a, 0, snap);
	/* then on the CPU: 100 ran 400 more (final 1400), pid 356 (356 & 255 = 100,
	 * same slot) took the slot as gen 2 and has run 300. The evict record for
	 * gen 1 is drained after the snapshot that already shows gen 2 (the
	 * sampler's order: snapshot, then ring buffer). */
	put_slot(snap, 2, 356, 66, 300);
	acct__cpu(&a, 0, snap);
	e = evict(0, 1, 100, 55, 1400);
	acct__event(&a, &e);
	/* 100: 1000 seen + (1400 - 1000) from the record = 1400, not 1000 + 1400 */
	cr_assert_eq(got(100, 55, 0), 1400);
	/* 356: its full 300, once */
	cr_assert_eq(got(356, 66, 0), 300);

	/* read 3, slot unchanged: nothing more for anyone */
	acct__cpu(&a, 0, snap);
	cr_assert_eq(got(356, 66, 0), 300);
	/* read 4, 356 grew 300 -> 450: only 150 */
	put_slot(snap, 2, 356, 66, 450);
	acct__cpu(&a, 0, snap);
	cr_assert_eq(got(356, 66, 0), 450);
	/* everything ever run: 1400 + 450 */
	cr_assert_eq(rec.total, 1850);
}

Test(accounting, takeover_evict_before_the_next_read)
{
	struct wp_event e;

	put_slot(snap, 1, 100, 55, 1000);
	acct__cpu(&a, 0, snap);
	/* the takeover happened after this snapshot: the record (final 1400) is
	 * drained in the same sample; the slot still showed gen 1 */
	e = evict(0, 1, 100, 55, 1400);
	acct__event(&a, &e);
	cr_assert_eq(got(100, 55, 0), 1400);	/* 1000 + (1400 - 1000) */
	/* next read: gen 2 owner with 300, never seen -> its full 300 */
	put_slot(snap, 2, 356, 66, 300);
	acct__cpu(&a, 0, snap);
	cr_assert_eq(got(356, 66, 0), 300);
	cr_assert_eq(got(100, 55, 0), 1400);
	cr_assert_eq(rec.total, 1700);
}

Test(accounting, evict_of_a_generation_never_seen)
{
	struct wp_event e;

	/* taken and evicted between two reads: the record's full 777 */
	e = evict(1, 4, 42, 9, 777);
	acct__event(&a, &e);
	cr_assert_eq(got(42, 9, 1), 777);
	cr_assert_eq(got(42, 9, 0), 0, "charged to the record's CPU");
}

Test(accounting, evict_of_an_unseen_generation_keeps_the_current_one)
{
	struct wp_event e;

	/* gen 3 of slot 100 seen at 500 */
	put_slot(snap, 3, 100, 55, 500);
	acct__cpu(&a, 0, snap);
	/* a stray record for an older generation 2 never seen: its full 90 */
	e = evict(0, 2, 612, 8, 90);	/* 612 & 255 = 100 */
	acct__event(&a, &e);
	cr_assert_eq(got(612, 8, 0), 90);
	/* gen 3 is still known: growth 500 -> 520 is 20, not 520 */
	put_slot(snap, 3, 100, 55, 520);
	acct__cpu(&a, 0, snap);
	cr_assert_eq(got(100, 55, 0), 520);
}

Test(accounting, two_takeovers_between_reads)
{
	struct wp_event e;

	put_slot(snap, 1, 100, 55, 1000);
	acct__cpu(&a, 0, snap);
	/* between the reads: gen 1 ended at 1500, gen 2 (pid 356) ran 200 and was
	 * evicted, gen 3 (pid 612) has 50 */
	put_slot(snap, 3, 612, 77, 50);
	acct__cpu(&a, 0, snap);
	e = evict(0, 1, 100, 55, 1500);
	acct__event(&a, &e);
	e = evict(0, 2, 356, 66, 200);
	acct__event(&a, &e);
	cr_assert_eq(got(100, 55, 0), 1500);	/* 1000 + 500 */
	cr_assert_eq(got(356, 66, 0), 200);	/* never seen: full */
	cr_assert_eq(got(612, 77, 0), 50);
	cr_assert_eq(rec.total, 1750);
	/* gen 3 grows 50 -> 80: 30 */
	put_slot(snap, 3, 612, 77, 80);
	acct__cpu(&a, 0, snap);
	cr_assert_eq(got(612, 77, 0), 80);
}

Test(accounting, torn_slot_skipped_then_read)
{
	struct wp_slot *s = &snap->slots[100];
	struct wp_event e;

	put_slot(snap, 1, 100, 55, 1000);
	acct__cpu(&a, 0, snap);
	/* caught mid-takeover: gen 2 written, owner fields half new, gen_end still 1 */
	s->gen = 2;
	s->tgid = 356;
	s->ns = 999999;
	acct__cpu(&a, 0, snap);
	cr_assert_eq(a.torn_slots, 1);
	cr_assert_eq(got(356, 55, 0), 0);
	cr_assert_eq(got(100, 55, 0), 1000);
	cr_assert_eq(rec.calls, 1);
	/* the record of gen 1 (final 1200) and the next clean read finish the job */
	e = evict(0, 1, 100, 55, 1200);
	acct__event(&a, &e);
	put_slot(snap, 2, 356, 66, 400);
	acct__cpu(&a, 0, snap);
	cr_assert_eq(got(100, 55, 0), 1200);	/* 1000 + 200 */
	cr_assert_eq(got(356, 66, 0), 400);
	cr_assert_eq(a.torn_slots, 1);
}

Test(accounting, torn_fresh_slot_charged_in_full_next_read)
{
	struct wp_slot *s = &snap->slots[7];

	/* first takeover of a never used slot, caught half-way: gen 1, gen_end 0 */
	put_slot(snap, 1, 7, 70, 500);
	s->gen_end = 0;
	acct__cpu(&a, 0, snap);
	cr_assert_eq(a.torn_slots, 1);
	cr_assert_eq(rec.calls, 0);
	/* done by the next read, 500 -> 800 meanwhile: all 800 */
	put_slot(snap, 1, 7, 70, 800);
	acct__cpu(&a, 0, snap);
	cr_assert_eq(got(7, 70, 0), 800);
}

Test(accounting, torn_header_skips_running_credit)
{
	/* a slot (read regardless of the header), 7 running 500 ns into its
	 * slice, 3 records dropped; but seq != seq_end */
	put_slot(snap, 1, 100, 55, 250);
	put_hdr(snap, 5, 7, 70, 5, 500, 3);
	snap->hdr.seq_end = 4;
	acct__cpu(&a, 0, snap);
	cr_assert_eq(a.torn_headers, 1);
	cr_assert_eq(got(100, 55, 0), 250);
	cr_assert_eq(got(7, 70, 0), 0, "no running credit from a torn header");
	cr_assert_eq(a.dropped, 0, "no dropped count from a torn header");

	/* a clean header next: the same slice at 600 is credited 600 */
	put_hdr(snap, 5, 7, 70, 5, 600, 3);
	acct__cpu(&a, 0, snap);
	cr_assert_eq(a.torn_headers, 1);
	cr_assert_eq(got(7, 70, 0), 600);
	cr_assert_eq(got(100, 55, 0), 250);
	cr_assert_eq(a.dropped, 3);
}

Test(accounting, idle_task_never_charged)
{
	/* the idle task runs (cur_tgid 0); even a snap_run that BPF would have
	 * zeroed must not be credited to anyone: idle is what is left over */
	put_hdr(snap, 3, 0, 0, 3, 700, 0);
	acct__cpu(&a, 0, snap);
	acct__cpu(&a, 1, snap);
	cr_assert_eq(rec.calls, 0);
	cr_assert_eq(got(0, 0, 0), 0);
}

Test(accounting, stale_snapshot_not_credited)
{
	/* wp_snap ran at switch 3 but the CPU switched since (seq 4): its 900 ns
	 * belong to the slice that closed, which its slot will show */
	put_hdr(snap, 4, 7, 70, 3, 900, 0);
	acct__cpu(&a, 0, snap);
	cr_assert_eq(rec.calls, 0);
	cr_assert_eq(a.uncredited, 0);
}

Test(accounting, running_slice_credited_then_paid_back)
{
	const struct key_sum *k;

	/* pid 7 (start 70) switched in at switch 10; wp_snap saw it 500 ns in */
	put_run(snap, 10, 7, 70, 500);
	acct__cpu(&a, 0, snap);
	cr_assert_eq(got(7, 70, 0), 500);
	k = key_of(7, 70, 0);
	cr_assert_eq(k->cgroup_id, 0, "an in-progress credit has no cgroup");
	/* same slice, 800 ns in: 800 - 500 = 300 more */
	put_run(snap, 10, 7, 70, 800);
	acct__cpu(&a, 0, snap);
	cr_assert_eq(got(7, 70, 0), 800);
	/* same slice, no tick since: nothing */
	acct__cpu(&a, 0, snap);
	cr_assert_eq(rec.calls, 2);
	/* the slice closed after 1000 ns (switch 11, the idle task in): 7's slot
	 * shows 1000, of which 800 were credited -> only 200 charged */
	put_slot(snap, 1, 7, 70, 1000);
	put_run(snap, 11, 0, 0, 0);
	acct__cpu(&a, 0, snap);
	cr_assert_eq(got(7, 70, 0), 1000, "500 + 300 + 200 = the slice's true 1000");
	cr_assert_eq(rec.calls, 3);
	cr_assert_eq(rec.total, 1000);

	/* 7 again from switch 13, 400 ns in: the old debt is paid, a new one of 400 */
	put_run(snap, 13, 7, 70, 400);
	acct__cpu(&a, 0, snap);
	cr_assert_eq(got(7, 70, 0), 1400);
	/* it closes after 600 (slot 1000 -> 1600): 400 paid back, 200 charged;
	 * pid 8 in since switch 14, 50 ns in */
	put_slot(snap, 1, 7, 70, 1600);
	put_run(snap, 14, 8, 80, 50);
	acct__cpu(&a, 0, snap);
	cr_assert_eq(got(7, 70, 0), 1600, "1000 + 600: exactly its on-CPU time");
	cr_assert_eq(got(8, 80, 0), 50);
	cr_assert_eq(a.uncredited, 0);
}

Test(accounting, a_new_slice_of_the_same_process_is_credited_anew)
{
	/* 7 credited 300 in slice 20; it switched out and back in (slice 22)
	 * before the next read, the closed 1000 ns not yet in the slot copy;
	 * wp_snap saw 100 ns of the new slice: that 100 is new time, not covered
	 * by the 300 credited of the old slice */
	put_run(snap, 20, 7, 70, 300);
	acct__cpu(&a, 0, snap);
	put_run(snap, 22, 7, 70, 100);
	acct__cpu(&a, 0, snap);
	cr_assert_eq(got(7, 70, 0), 400);
	/* the slot shows both closed slices: 1000 + 250 = 1250; credited 400 ->
	 * 850 charged, total 1250 */
	put_slot(snap, 1, 7, 70, 1250);
	put_run(snap, 23, 0, 0, 0);
	acct__cpu(&a, 0, snap);
	cr_assert_eq(got(7, 70, 0), 1250);
}

Test(accounting, credit_paid_back_by_an_evict_record)
{
	struct wp_event e;

	/* 7 seen at 100 in its slot, then running 300 ns into a new slice */
	put_slot(snap, 1, 7, 70, 100);
	put_run(snap, 1, 7, 70, 300);
	acct__cpu(&a, 0, snap);
	cr_assert_eq(got(7, 70, 0), 400);	/* 100 + 300 */
	/* after the snapshot the slice closed after 500 (slot 100 + 500 = 600)
	 * and pid 263 (263 & 255 = 7) took the slot: the record pays back the
	 * 300 and charges 200 */
	e = evict(0, 1, 7, 70, 600);
	acct__event(&a, &e);
	cr_assert_eq(got(7, 70, 0), 600);
}

Test(accounting, debt_not_paid_by_another_process)
{
	/* 7 credited 500 */
	put_run(snap, 1, 7, 70, 500);
	acct__cpu(&a, 0, snap);
	/* 8 shows 300 of closed time: not 7's, charged in full */
	put_slot(snap, 1, 8, 80, 300);
	acct__cpu(&a, 0, snap);
	cr_assert_eq(got(8, 80, 0), 300);
	/* 7 with another start_ns (a reused tgid) neither */
	put_slot(snap, 1, 7, 71, 200);
	acct__cpu(&a, 0, snap);
	cr_assert_eq(got(7, 71, 0), 200);
	cr_assert_eq(got(7, 70, 0), 500);
	/* and 7's debt is cpu0's only: 40 ns of 7 closed on cpu1 (which never
	 * credited 7) are charged in full, and cpu0's debt is left whole: 260
	 * more closed there are all paid back (500 - 260 = 240 still owed) */
	{
		struct wp_cpu *other = calloc(1, sizeof(*other));

		cr_assert_not_null(other);
		put_slot(other, 1, 7, 70, 40);
		acct__cpu(&a, 1, other);
		free(other);
	}
	cr_assert_eq(got(7, 70, 1), 40);
	put_slot(snap, 2, 7, 70, 260);
	acct__cpu(&a, 0, snap);
	cr_assert_eq(got(7, 70, 0), 500);
}

Test(accounting, debts_beyond_room_are_counted_and_stay_exact)
{
	/* ACCT_MAX_DEBTS (4) processes credited 100 each, in slices 2, 4, 6, 8
	 * that closed without their slot showing it yet: 4 outstanding debts */
	for (__u32 p = 1; p <= ACCT_MAX_DEBTS; p++) {
		put_run(snap, 2 * p, p, p * 10, 100);
		acct__cpu(&a, 0, snap);
	}
	cr_assert_eq(rec.total, ACCT_MAX_DEBTS * 100);
	cr_assert_eq(a.uncredited, 0);
	/* a fifth running process finds no room: not credited, counted */
	put_run(snap, 10, 9, 90, 100);
	acct__cpu(&a, 0, snap);
	cr_assert_eq(a.uncredited, 1);
	cr_assert_eq(got(9, 90, 0), 0);
	/* the slots catch up: each of 1..4 ran 700; 100 was credited -> 600 each;
	 * 9's slice closed at 700, never credited -> 700 in full. Pid 11 runs
	 * since switch 12, 250 ns in: the four debts were paid by this very read,
	 * so there is room to credit its 250 */
	for (__u32 p = 1; p <= ACCT_MAX_DEBTS; p++)
		put_slot(snap, 1, p, p * 10, 700);
	put_slot(snap, 1, 9, 90, 700);
	put_run(snap, 12, 11, 110, 250);
	acct__cpu(&a, 0, snap);
	for (__u32 p = 1; p <= ACCT_MAX_DEBTS; p++)
		cr_assert_eq(got(p, p * 10, 0), 700);
	cr_assert_eq(got(9, 90, 0), 700);
	cr_assert_eq(got(11, 110, 0), 250);
	cr_assert_eq(a.uncredited, 1);
	cr_assert_eq(rec.total, 5 * 700 + 250);
}

/*
 * A full ring buffer: the slot's owner could not be evicted, so the time of the process
 * that wanted the slot went to the header's lost_ns, charged to no process
 * (ACCT_LOST_TGID), less what of it was credited already as the running slice.
 */
Test(accounting, time_of_a_full_ring_pays_the_credit_of_its_slice)
{
	/* pid 7 (start 70) runs in slice 10; wp_snap saw it 500 ns in: credited 500 */
	put_run(snap, 10, 7, 70, 500);
	acct__cpu(&a, 0, snap);
	cr_assert_eq(got(7, 70, 0), 500);
	/* it closed after 1000 ns, but pid 263 held its slot and the ring buffer was full:
	 * 1000 to lost_ns, slice 10 named; the idle task in since switch 11 */
	put_run(snap, 11, 0, 0, 0);
	snap->hdr.lost_ns = 1000;
	snap->hdr.lost_slice[0] = 10;
	snap->hdr.lost_slices = 1;
	acct__cpu(&a, 0, snap);
	cr_assert_eq(got(7, 70, 0), 500, "its credit stands");
	cr_assert_eq(got(ACCT_LOST_TGID, 0, 0), 500, "1000 - the 500 credited");
	cr_assert_eq(a.lost_ns, 1000);
	/* read again: nothing more */
	acct__cpu(&a, 0, snap);
	cr_assert_eq(rec.total, 1000);
	/* 7 again in slice 13, 400 ns in; it closes after 600 in a slot of its own: that
	 * pays the 400 of slice 13 only, the debt of slice 10 being paid */
	put_run(snap, 13, 7, 70, 400);
	acct__cpu(&a, 0, snap);
	put_slot(snap, 1, 7, 70, 600);
	put_run(snap, 14, 0, 0, 0);
	acct__cpu(&a, 0, snap);
	cr_assert_eq(got(7, 70, 0), 1100, "500 of slice 10, 600 of slice 13");
	cr_assert_eq(rec.total, 1600, "1000 + 600: all that ran, once");
	/* more lost time of a slice never credited (slice 14's, not named): all of it */
	put_run(snap, 16, 0, 0, 0);
	snap->hdr.lost_ns = 1300;
	acct__cpu(&a, 0, snap);
	cr_assert_eq(got(ACCT_LOST_TGID, 0, 0), 800);
	cr_assert_eq(got(7, 70, 0), 1100);
	cr_assert_eq(rec.total, 1900);
}

Test(accounting, dropped_summed_across_cpus)
{
	struct wp_cpu *other = calloc(1, sizeof(*other));

	cr_assert_not_null(other);
	put_hdr(snap, 1, 0, 0, 1, 0, 3);
	put_hdr(other, 1, 0, 0, 1, 0, 5);
	acct__cpu(&a, 0, snap);
	acct__cpu(&a, 1, other);
	cr_assert_eq(a.dropped, 8);		/* 3 + 5 */
	/* cpu0 3 -> 7 (+4), cpu1 unchanged */
	put_hdr(snap, 2, 0, 0, 2, 0, 7);
	acct__cpu(&a, 0, snap);
	acct__cpu(&a, 1, other);
	cr_assert_eq(a.dropped, 12);		/* 8 + 4 */
	free(other);
}

Test(accounting, cpu_out_of_range_ignored)
{
	struct wp_event e;

	put_slot(snap, 1, 100, 55, 1000);
	put_hdr(snap, 1, 7, 70, 1, 500, 9);
	acct__cpu(&a, NR_CPUS, snap);
	acct__cpu(&a, -1, snap);
	acct__cpu(&a, 1000000, snap);
	e = evict(NR_CPUS, 1, 100, 55, 1000);
	acct__event(&a, &e);
	e = evict(0, 1, 100, 55, 1000);
	e.slot = WP_SLOTS;
	acct__event(&a, &e);
	cr_assert_eq(rec.calls, 0);
	cr_assert_eq(a.dropped, 0);
	cr_assert_eq(a.torn_slots + a.torn_headers, 0);
}

Test(accounting, exit_and_change_reach_the_ops)
{
	struct wp_exit e = { .type = WP_EV_EXIT, .tgid = 4242, .start_ns = 99 };
	struct wp_change ch = { .type = WP_EV_CHANGE, .what = WP_CH_EXEC, .tgid = 4343,
				.start_ns = 123, .cgroup_id = 777, .change = 5 };

	acct__record(&a, &e, sizeof(e));
	cr_assert_eq(rec.exits, 1);
	cr_assert_eq(rec.exit_tgid, 4242);
	cr_assert_eq(rec.exit_start, 99);

	strcpy(ch.comm, "bash");
	acct__record(&a, &ch, sizeof(ch));
	cr_assert_eq(rec.execs, 1);
	cr_assert_eq(rec.exec_tgid, 4343);
	cr_assert_eq(rec.exec_start, 123);
	cr_assert_eq(rec.exec_cgroup, 777);
	cr_assert_eq(rec.exec_change, 5);
	cr_assert_str_eq(rec.exec_comm, "bash");
	cr_assert_eq(rec.calls, 0, "neither is a charge");

	/* a truncated record, an unknown type: nothing */
	acct__record(&a, &ch, sizeof(ch) - 1);
	acct__record(&a, &e, sizeof(e) - 1);
	e.type = 99;
	acct__record(&a, &e, sizeof(e));
	cr_assert_eq(rec.execs + rec.exits + rec.calls, 2);
}

/* An executable's record as BPF sends it (sized for the longest path) and as the queue
 * keeps it (its path's bytes only); one cut inside its path is nothing. */
Test(accounting, exe_records_whole_and_kept_short)
{
	static struct wp_exe e = { .type = WP_EV_EXE, .tgid = 7, .start_ns = 8, .len = 13 };
	size_t head = offsetof(struct wp_exe, path);

	memset(&exes, 0, sizeof(exes));
	strcpy(e.path, "/usr/bin/true");
	acct__record(&a, &e, sizeof(e));
	cr_assert_eq(exes.n, 1);
	cr_assert_str_eq(exes.path, "/usr/bin/true");
	acct__record(&a, &e, head + 14);
	cr_assert_eq(exes.n, 2, "the path and its NUL are the record");
	acct__record(&a, &e, head + 13);
	acct__record(&a, &e, head - 1);
	cr_assert_eq(exes.n, 2, "without its NUL, or its length: nothing");
}

Test(accounting, ops_without_exit_and_change)
{
	static const struct acct_ops only_charge = { .charge = rec_charge };
	struct acct b;
	struct wp_exit e = { .type = WP_EV_EXIT, .tgid = 1 };
	struct wp_change ch = { .type = WP_EV_CHANGE, .tgid = 1 };

	cr_assert_eq(acct__init(&b, 1, &only_charge, &rec), 0);
	acct__record(&b, &e, sizeof(e));
	acct__record(&b, &ch, sizeof(ch));
	cr_assert_eq(rec.exits + rec.execs, 0);
	acct__free(&b);
	cr_assert_null(b.cpus);
}

/*
 * Issue 12, point 4. A running slice credited 300 ns at one read, then split at 700 ns by
 * a change (SPLIT record of that slice): 400 more go under the identity before the
 * change, the credited 300 are not charged again. A closed slot (WP_CLOSED in its
 * start_ns) is still its owner's: its growth is charged to the same key. A split of
 * another slice pays nothing of this one's debt.
 */
Test(accounting, split_pays_its_slice_then_goes_under_the_old_identity)
{
	struct wp_event e = { .type = WP_EV_SPLIT, .cpu = 0, .tgid = 100, .start_ns = 55,
			      .ns = 700, .change = 3, .seq = 7 };
	const struct key_sum *k;

	put_slot(snap, 1, 100, 55, 1000);
	put_run(snap, 7, 100, 55, 300);		/* slice 7 running, 300 ns so far */
	acct__cpu(&a, 0, snap);
	cr_assert_eq(got(100, 55, 0), 1300);
	acct__event(&a, &e);
	k = key_of(100, 55, 0);
	cr_assert_eq(k->ns, 1700);
	cr_assert_eq(k->before_ns, 400);
	/* the slot was closed by the change and grew by 50 before it */
	put_slot(snap, 1, 100, 55 | WP_CLOSED, 1050);
	put_run(snap, 8, 100, 55, 0);
	acct__cpu(&a, 0, snap);
	cr_assert_eq(got(100, 55, 0), 1750);
	cr_assert_eq(rec.nr_keys, 1, "the closed slot is the same process");
	/* a split of slice 8 (nothing credited of it) charges all of it */
	e.seq = 8;
	e.ns = 20;
	acct__event(&a, &e);
	cr_assert_eq(got(100, 55, 0), 1770);
	cr_assert_eq(key_of(100, 55, 0)->before_ns, 420);
}

/* Each charge carries the identity it ran under: the slot's, the running slice's as
 * wp_snap saw it, none for the [untraced] pseudo process. */
Test(accounting, charges_carry_their_identity)
{
	put_slot(snap, 1, 100, 55, 1000);
	snap->slots[100].exec_id = 9;
	put_run(snap, 3, 100, 55, 200);
	strcpy(snap->hdr.snap_comm, "after");
	snap->hdr.snap_cgroup = 4242;
	snap->hdr.snap_exec_id = 10;
	acct__cpu(&a, 0, snap);
	cr_assert_eq(got(100, 55, 0), 1200);
	cr_assert_str_eq(key_of(100, 55, 0)->comm, "after", "the credit came last");
	cr_assert_eq(key_of(100, 55, 0)->cgroup_id, 4242);
	put_slot(snap, 1, WP_UNTRACED_TGID, 0, 70);
	acct__cpu(&a, 0, snap);
	cr_assert_eq(got(WP_UNTRACED_TGID, 0, 0), 70);
	cr_assert_str_eq(key_of(WP_UNTRACED_TGID, 0, 0)->comm, "", "no identity");
}

/*
 * Issue 12, point 1. Once the sink has dropped an exited process (acct__forget), the time
 * its slots still hold comes marked exited: its last slice growing a slot, an evict
 * record of the generation seen last, and of the one seen before it. The next owner of
 * the slot is alive again, and another process of the same tgid is not touched.
 */
Test(accounting, late_time_of_a_forgotten_process_is_marked_exited)
{
	struct wp_cpu *other = calloc(1, sizeof(*other));
	struct wp_event e;
	const struct key_sum *k;

	cr_assert_not_null(other);
	/* 100 on cpu 0 (gen 1) and cpu 1 (gen 4); 612 (612 & 255 = 100) had cpu 1's slot before */
	put_slot(snap, 1, 100, 55, 1000);
	acct__cpu(&a, 0, snap);
	put_slot(other, 3, 612, 9, 70);
	acct__cpu(&a, 1, other);
	put_slot(other, 4, 100, 55, 200);
	acct__cpu(&a, 1, other);
	cr_assert_eq(got(100, 55, 0) + got(100, 55, 1), 1200);
	cr_assert_eq(key_of(100, 55, 0)->exited_ns, 0);

	/* 100 exited and left the table; 612 of another start is not it */
	acct__forget(&a, 100, 55);
	acct__forget(&a, 612, 55);
	/* its last slice grows cpu 0's slot by 30 */
	put_slot(snap, 1, 100, 55, 1030);
	acct__cpu(&a, 0, snap);
	k = key_of(100, 55, 0);
	cr_assert_eq(k->ns, 1030);
	cr_assert_eq(k->exited_ns, 30);
	/* cpu 1's slot evicted with 250 (50 unseen); 612's old generation with 80 (10) */
	e = evict(1, 3, 612, 9, 80);
	acct__event(&a, &e);
	e = evict(1, 4, 100, 55, 250);
	acct__event(&a, &e);
	cr_assert_eq(key_of(100, 55, 1)->exited_ns, 50);
	cr_assert_eq(key_of(612, 9, 1)->exited_ns, 0, "612 never exited");
	cr_assert_eq(got(612, 9, 1), 80);
	/* a new owner of cpu 0's slot is alive */
	put_slot(snap, 2, 356, 60, 10);
	acct__cpu(&a, 0, snap);
	cr_assert_eq(key_of(356, 60, 0)->exited_ns, 0);
	/* the evict of 100's generation on cpu 0, seen before the new one: still exited */
	e = evict(0, 1, 100, 55, 1031);
	acct__event(&a, &e);
	cr_assert_eq(key_of(100, 55, 0)->exited_ns, 31);
	cr_assert_eq(rec.total, 1031 + 250 + 80 + 10);
	free(other);
}

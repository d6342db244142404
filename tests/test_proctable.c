// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The process table: lookup, charging, the active list, a full table, removal. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "procs/proctable.h"
#include "helpers.h"

static struct proctable t;

static void pt_teardown(void)
{
	proctable__free(&t);
}

TestSuite(proctable, .fini = pt_teardown);

/* What the sampler does when an exit record arrives. */
static void mark_exited(struct proc *p)
{
	p->exited = true;
	p->exit_seq = t.seq;
	proctable__touch(&t, p);
}

Test(proctable, init_rejects_tiny_tables)
{
	cr_assert_eq(proctable__init(&t, 1, 2), -EINVAL);
	cr_assert_eq(proctable__init(&t, 0, 2), -EINVAL);
	cr_assert_eq(proctable__init(&t, 8, 0), -EINVAL);
	cr_assert_eq(proctable__init(&t, 8, WP_MAX_SOCKETS + 1), -EINVAL);
}

Test(proctable, get_and_find)
{
	struct proc *p, *q;

	cr_assert_eq(proctable__init(&t, 8, 2), 0);
	cr_assert_eq(t.seq, 1);
	cr_assert_null(proctable__find(&t, 100, 5));
	p = proctable__get(&t, 100, 5);
	cr_assert_not_null(p);
	cr_assert_eq(p->tgid, 100);
	cr_assert_eq(p->start_ns, 5);
	cr_assert(p->used);
	cr_assert_eq(t.nr, 1);
	cr_assert_eq(proctable__find(&t, 100, 5), p);
	q = proctable__get(&t, 100, 5);
	cr_assert_eq(q, p, "get of a known key finds it");
	cr_assert_eq(t.nr, 1);
	cr_assert_null(proctable__find(&t, 101, 5));
	cr_assert_eq(t.full, 0);
}

Test(proctable, same_tgid_other_start_is_another_process)
{
	struct proc *a, *b;

	cr_assert_eq(proctable__init(&t, 8, 2), 0);
	a = proctable__get(&t, 100, 5);
	b = proctable__get(&t, 100, 6);
	cr_assert_neq(a, b);
	cr_assert_eq(t.nr, 2);
	cr_assert_eq(proctable__find(&t, 100, 5), a);
	cr_assert_eq(proctable__find(&t, 100, 6), b);
	proctable__charge(&t, a, 0, 0, 30);
	proctable__charge(&t, b, 0, 0, 70);
	cr_assert_eq(a->iv.ns, 30);
	cr_assert_eq(b->iv.ns, 70);
}

Test(proctable, many_entries_all_found)
{
	/* 500 keys (colliding tgids, varying starts) in a table of 500 */
	cr_assert_eq(proctable__init(&t, 500, 2), 0);
	for (__u32 i = 0; i < 500; i++) {
		struct proc *p = proctable__get(&t, i % 50, i / 50);

		cr_assert_eq(p->tgid, i % 50);
		cr_assert_eq(p->start_ns, i / 50);
	}
	cr_assert_eq(t.nr, 500);
	cr_assert_eq(t.full, 0);
	for (__u32 i = 0; i < 500; i++) {
		struct proc *p = proctable__find(&t, i % 50, i / 50);

		cr_assert_not_null(p, "key %u", i);
		cr_assert_eq(p->tgid, i % 50);
		cr_assert_eq(p->start_ns, i / 50);
	}
}

Test(proctable, charge_totals_and_sockets)
{
	struct proc *p, *q;

	cr_assert_eq(proctable__init(&t, 8, 2), 0);
	p = proctable__get(&t, 100, 5);
	q = proctable__get(&t, 101, 5);
	proctable__charge(&t, p, 0, 0, 100);
	proctable__charge(&t, p, 3, 1, 50);
	proctable__charge(&t, p, 1, 0, 25);
	proctable__charge(&t, p, 5, -1, 10);			/* unknown socket */
	proctable__charge(&t, p, 6, 2, 5);			/* beyond the table's 2 */
	/* 100 + 50 + 25 + 10 + 5 = 190; socket 0: 100 + 25 = 125; socket 1: 50 */
	cr_assert_eq(p->iv.ns, 190);
	cr_assert_eq(p->total_ns, 190);
	cr_assert_eq(p->iv.sock_ns[0], 125);
	cr_assert_eq(p->iv.sock_ns[1], 50);
	cr_assert_eq(p->iv.nr_sockets, 2);
	/* the next entry's figures, beside them, untouched */
	cr_assert_eq(q->iv.sock_ns[0] + q->iv.sock_ns[1] + q->iv.ns, 0);
	cr_assert_eq(p->last_seq, 1);
	cr_assert_eq(t.nr_charges, 5);
	cr_assert_eq(t.charges[1].cpu, 3);
	cr_assert_eq(t.charges[1].ns, 50);
	cr_assert_eq(t.charges[1].proc, proctable__index(&t, p));

	/* next interval: iv_ restart, the total goes on: 190 + 40 = 230 */
	proctable__next(&t, 0);
	cr_assert_eq(t.nr_charges, 0);
	proctable__charge(&t, p, 2, 1, 40);
	cr_assert_eq(p->iv.ns, 40);
	cr_assert_eq(p->total_ns, 230);
	cr_assert_eq(p->iv.sock_ns[0], 0);
	cr_assert_eq(p->iv.sock_ns[1], 40);
	cr_assert_eq(p->last_seq, 2);
	cr_assert_eq(p->seq, 2);
}

Test(proctable, many_charges_grow_the_list)
{
	struct proc *p;
	__u64 sum = 0;

	cr_assert_eq(proctable__init(&t, 8, 2), 0);
	p = proctable__get(&t, 100, 5);
	/* 3000 charges of i ns: sum 0..2999 = 2999 * 3000 / 2 = 4498500 */
	for (__u32 i = 0; i < 3000; i++)
		proctable__charge(&t, p, i % 4, 0, i);
	cr_assert_eq(t.nr_charges, 3000);
	for (__u32 i = 0; i < t.nr_charges; i++)
		sum += t.charges[i].ns;
	cr_assert_eq(sum, 4498500);
	cr_assert_eq(p->iv.ns, 4498500);
}

Test(proctable, touch_adds_to_the_active_list_once)
{
	struct proc *a, *b;

	cr_assert_eq(proctable__init(&t, 8, 2), 0);
	a = proctable__get(&t, 100, 5);
	b = proctable__get(&t, 200, 5);
	cr_assert_eq(t.nr_active, 0, "get alone does not make a process active");
	proctable__touch(&t, a);
	proctable__touch(&t, a);
	proctable__charge(&t, a, 0, 0, 10);
	proctable__charge(&t, b, 0, 0, 10);
	proctable__charge(&t, b, 1, 0, 10);
	cr_assert_eq(t.nr_active, 2);
	cr_assert_eq(t.active[0], proctable__index(&t, a));
	cr_assert_eq(t.active[1], proctable__index(&t, b));
	/* a touch without charge keeps iv_ values of the interval */
	cr_assert_eq(a->iv.ns, 10);

	proctable__next(&t, 0);
	cr_assert_eq(t.nr_active, 0);
	proctable__touch(&t, b);
	cr_assert_eq(t.nr_active, 1);
	cr_assert_eq(t.active[0], proctable__index(&t, b));
	cr_assert_eq(b->iv.ns, 0, "touch in a new interval resets the interval's values");
	cr_assert_eq(b->total_ns, 20);
}

Test(proctable, full_table_goes_to_unrecorded)
{
	struct proc *a, *b, *u, *u2;

	/* room for 2 processes (+1 internal for the pseudo process) */
	cr_assert_eq(proctable__init(&t, 2, 2), 0);
	a = proctable__get(&t, 100, 1);
	b = proctable__get(&t, 200, 1);
	cr_assert_neq(a->tgid, PT_UNRECORDED_TGID);
	cr_assert_neq(b->tgid, PT_UNRECORDED_TGID);
	cr_assert_eq(t.full, 0);

	u = proctable__get(&t, 300, 1);
	cr_assert_eq(u->tgid, PT_UNRECORDED_TGID);
	cr_assert_str_eq(u->comm, "[unrecorded]");
	cr_assert_eq(t.full, 1);
	cr_assert_null(proctable__find(&t, 300, 1));
	u2 = proctable__get(&t, 400, 1);
	cr_assert_eq(u2, u);
	cr_assert_eq(t.full, 2);
	/* known processes are still found, and do not count as full */
	cr_assert_eq(proctable__get(&t, 100, 1), a);
	cr_assert_eq(t.full, 2);

	/* the time of both lost processes lands on the pseudo process: 7 + 8 */
	proctable__charge(&t, u, 0, 0, 7);
	proctable__charge(&t, u2, 1, 0, 8);
	cr_assert_eq(u->iv.ns, 15);

	/* a leaves: its entry is free for a real process again */
	mark_exited(a);
	proctable__next(&t, 0);
	cr_assert_null(proctable__find(&t, 100, 1));
	b = proctable__get(&t, 500, 1);
	cr_assert_eq(b->tgid, 500);
	cr_assert_eq(t.full, 2);
	cr_assert_eq(proctable__find(&t, 500, 1), b);
}

static const struct proc *removed[8];
static int nr_removed;

static void on_removed(void *ctx, const struct proc *p)
{
	cr_assert_eq(ctx, &t);
	cr_assert_lt(nr_removed, 8);
	removed[nr_removed++] = p;
}

Test(proctable, exited_removed_at_the_end_of_its_interval)
{
	struct pt_hooks h = { .removed = on_removed, .ctx = &t };
	struct proc *p, *q;
	__u32 nr;

	nr_removed = 0;
	cr_assert_eq(proctable__init(&t, 8, 2), 0);
	p = proctable__get(&t, 100, 5);
	q = proctable__get(&t, 200, 5);
	proctable__charge(&t, p, 0, 0, 10);
	proctable__charge(&t, q, 0, 0, 10);
	mark_exited(p);
	nr = t.nr;
	/* charged after its exit record, in the same interval: still its own */
	proctable__charge(&t, p, 1, 0, 5);
	cr_assert_eq(p->iv.ns, 15);
	/* end of the exit's interval: reported, then gone, and the hook says so */
	proctable__end(&t, &h);
	cr_assert_null(proctable__find(&t, 100, 5));
	cr_assert_eq(t.nr, nr - 1);
	cr_assert_eq(nr_removed, 1);
	cr_assert_eq(removed[0], p);
	cr_assert_eq(proctable__find(&t, 200, 5), q, "the others stay");
	proctable__end(&t, &h);
	cr_assert_eq(nr_removed, 1);
}

static __u32 gone_tgid;
static int asked;

static bool is_gone(void *ctx, const struct proc *p)
{
	asked++;
	return p->tgid == gone_tgid;
}

/* A process without time for check_after intervals is asked about; one found gone is
 * dropped (its exit record was lost), the others stay, and no more than checks are
 * asked per interval. */
Test(proctable, idle_processes_checked_for_life)
{
	struct pt_hooks h = { .removed = on_removed, .gone = is_gone, .ctx = &t,
			      .check_after = 3, .checks = 2 };
	struct proc *p[5];

	nr_removed = asked = 0;
	gone_tgid = 102;
	cr_assert_eq(proctable__init(&t, 16, 2), 0);
	for (int i = 0; i < 5; i++) {
		p[i] = proctable__get(&t, 100 + i, 1);
		proctable__charge(&t, p[i], 0, 0, 1);
	}
	mark_exited(p[4]);
	/* intervals 1 and 2: too recent to ask about */
	proctable__end(&t, &h);
	proctable__end(&t, &h);
	cr_assert_eq(asked, 0);
	/* p[0] keeps running */
	for (int i = 0; i < 6; i++) {
		proctable__charge(&t, p[0], 0, 0, 1);
		proctable__end(&t, &h);
		cr_assert_leq(asked, 2 * (i + 1));
	}
	cr_assert_null(proctable__find(&t, 102, 1), "the gone process stays");
	cr_assert_eq(proctable__find(&t, 100, 1), p[0]);
	cr_assert_eq(proctable__find(&t, 101, 1), p[1]);
	cr_assert_eq(proctable__find(&t, 103, 1), p[3]);
	/* removed: p[4] (exited), then p[2] (gone) */
	cr_assert_eq(nr_removed, 2);
	cr_assert_eq(removed[1]->tgid, 102);
}

Test(proctable, exit_cleanup_spares_a_reused_entry)
{
	struct proc *p, *n;

	cr_assert_eq(proctable__init(&t, 8, 2), 0);
	/* p created in interval 1, never charged: last_seq 1 */
	p = proctable__get(&t, 100, 5);
	proctable__next(&t, 0);
	proctable__next(&t, 0);
	proctable__next(&t, 0);
	/* interval 4: its exit record; 4 > 1 + 2, so the idle sweep of the same
	 * proctable__next drops it right away */
	mark_exited(p);
	proctable__next(&t, 2);
	cr_assert_null(proctable__find(&t, 100, 5));
	/* interval 5: a new process takes the freed entry */
	n = proctable__get(&t, 200, 9);
	proctable__charge(&t, n, 0, 0, 10);
	/* the end of interval 5 must drop the exited process, not its successor */
	proctable__next(&t, 2);
	cr_assert_eq(proctable__find(&t, 200, 9), n);
	cr_assert(n->used);
	cr_assert_eq(n->total_ns, 10);
}

Test(proctable, idle_sweep_removes_long_idle)
{
	struct proc *idle, *busy, *u;

	cr_assert_eq(proctable__init(&t, 2, 2), 0);
	idle = proctable__get(&t, 100, 5);	/* last_seq 1 */
	busy = proctable__get(&t, 200, 5);
	u = proctable__get(&t, 300, 5);		/* table full: the pseudo process */
	cr_assert_eq(u->tgid, PT_UNRECORDED_TGID);
	/* idle for more than 2 intervals is gone when seq > last_seq + 2, i.e.
	 * at the end of interval 4 */
	for (__u64 seq = 1; seq <= 3; seq++) {
		proctable__charge(&t, busy, 0, 0, 1);
		proctable__next(&t, 2);
		cr_assert_eq(proctable__find(&t, 100, 5), idle, "still there after %llu",
			     (unsigned long long)seq);
	}
	proctable__charge(&t, busy, 0, 0, 1);
	proctable__next(&t, 2);
	cr_assert_null(proctable__find(&t, 100, 5));
	cr_assert_eq(proctable__find(&t, 200, 5), busy);
	/* the pseudo process is never swept */
	for (int i = 0; i < 10; i++)
		proctable__next(&t, 2);
	cr_assert_eq(t.unrecorded, proctable__index(&t, u));
	cr_assert(u->used);
	cr_assert_null(proctable__find(&t, 200, 5), "busy went idle too");
	/* no sweep with idle_intervals 0 */
	idle = proctable__get(&t, 400, 5);
	for (int i = 0; i < 10; i++)
		proctable__next(&t, 0);
	cr_assert_eq(proctable__find(&t, 400, 5), idle);
}

Test(proctable, remove_frees_the_entry)
{
	struct proc *a, *b, *c;

	cr_assert_eq(proctable__init(&t, 4, 2), 0);
	a = proctable__get(&t, 1, 1);
	b = proctable__get(&t, 2, 1);
	c = proctable__get(&t, 3, 1);
	proctable__remove(&t, b);
	cr_assert_eq(t.nr, 2);
	cr_assert_null(proctable__find(&t, 2, 1));
	cr_assert_eq(proctable__find(&t, 1, 1), a);
	cr_assert_eq(proctable__find(&t, 3, 1), c);
}

Test(proctable, merge_charges)
{
	struct proc *a, *b;
	__u32 ia, ib;

	cr_assert_eq(proctable__init(&t, 8, 2), 0);
	a = proctable__get(&t, 100, 5);
	b = proctable__get(&t, 200, 5);
	ia = proctable__index(&t, a);
	ib = proctable__index(&t, b);
	cr_assert_lt(ia, ib);
	proctable__charge(&t, b, 0, 0, 5);
	proctable__charge(&t, a, 1, 0, 10);
	proctable__charge(&t, a, 0, 0, 7);
	proctable__charge(&t, b, 0, 0, 1);
	proctable__charge(&t, a, 1, 0, 3);
	proctable__charge(&t, b, 2, 0, 4);
	proctable__merge_charges(&t);
	/* by (process, cpu): (a,0) 7; (a,1) 10 + 3 = 13; (b,0) 5 + 1 = 6; (b,2) 4 */
	cr_assert_eq(t.nr_charges, 4);
	cr_assert_eq(t.charges[0].proc, ia);
	cr_assert_eq(t.charges[0].cpu, 0);
	cr_assert_eq(t.charges[0].ns, 7);
	cr_assert_eq(t.charges[1].proc, ia);
	cr_assert_eq(t.charges[1].cpu, 1);
	cr_assert_eq(t.charges[1].ns, 13);
	cr_assert_eq(t.charges[2].proc, ib);
	cr_assert_eq(t.charges[2].cpu, 0);
	cr_assert_eq(t.charges[2].ns, 6);
	cr_assert_eq(t.charges[3].proc, ib);
	cr_assert_eq(t.charges[3].cpu, 2);
	cr_assert_eq(t.charges[3].ns, 4);
	/* merging again changes nothing; an empty list stays empty */
	proctable__merge_charges(&t);
	cr_assert_eq(t.nr_charges, 4);
	proctable__next(&t, 0);
	proctable__merge_charges(&t);
	cr_assert_eq(t.nr_charges, 0);
}

static struct pt_id id_of(const char *comm, __u64 cgroup_id, __u32 exec_id)
{
	struct pt_id id = { .cgroup_id = cgroup_id, .exec_id = exec_id };

	snprintf(id.comm, sizeof(id.comm), "%s", comm);
	return id;
}

/*
 * Issue 12, points 3 and 4. A process that ran as "sh", then exec'd "burn": the time from
 * before stays under "sh" in a part, the live entry (found by its key) goes on as
 * "burn"; time of the old identity that comes after the change record (a slot read
 * later) still goes to the part; at the end of the interval the part is gone and the
 * live entry keeps the process's totals.
 */
Test(proctable, change_keeps_the_time_before_under_the_old_identity)
{
	struct pt_id sh = id_of("sh", 7, 1), burn = id_of("burn", 7, 2);
	struct proc *p, *live, *part;

	cr_assert_eq(proctable__init(&t, 8, 2), 0);
	p = proctable__part(&t, proctable__get(&t, 100, 5), &sh);
	cr_assert_str_eq(p->comm, "sh", "the first identity is taken");
	proctable__charge(&t, p, 0, 0, 1500);
	live = proctable__change(&t, p, &burn, 1);
	cr_assert_eq(proctable__find(&t, 100, 5), live);
	cr_assert_neq(live, p);
	cr_assert_str_eq(live->comm, "burn");
	cr_assert_eq(live->exec_id, 2);
	cr_assert(p->part);
	cr_assert_str_eq(p->comm, "sh");
	cr_assert_eq(p->iv.ns, 1500);
	cr_assert_str_eq(live->before.comm, "sh");
	cr_assert_eq(live->change, 1);
	/* time under the new identity, then late time under the old one */
	proctable__charge(&t, proctable__part(&t, live, &burn), 0, 0, 1400);
	part = proctable__part(&t, live, &sh);
	cr_assert_eq(part, p);
	proctable__charge(&t, part, 1, 0, 100);
	cr_assert_eq(live->iv.ns, 1400);
	cr_assert_eq(p->iv.ns, 1600);
	cr_assert_eq(t.nr_active, 2);
	proctable__next(&t, 0);
	cr_assert_eq(t.nr, 1, "the part is let go");
	cr_assert_eq(proctable__find(&t, 100, 5), live);
	cr_assert_eq(live->total_ns, 3000);
	cr_assert_eq(live->parts, PT_NONE);
}

/* Time of the new identity that comes before the change record (its slot was read
 * first) makes a part, which becomes the live entry when the record comes; a change
 * when nothing ran under the old identity changes the entry in place. */
Test(proctable, change_takes_over_a_part_of_the_new_identity)
{
	struct pt_id a = id_of("innocent", 7, 1), b = id_of("cryptominer", 7, 1);
	struct proc *p, *early, *live;

	cr_assert_eq(proctable__init(&t, 8, 2), 0);
	p = proctable__part(&t, proctable__get(&t, 100, 5), &a);
	proctable__charge(&t, p, 0, 0, 10);
	early = proctable__part(&t, p, &b);
	cr_assert_neq(early, p);
	proctable__charge(&t, early, 0, 0, 20);
	live = proctable__change(&t, p, &b, 2);
	cr_assert_eq(live, early);
	cr_assert(!live->part);
	cr_assert(p->part);
	cr_assert_eq(proctable__find(&t, 100, 5), live);
	cr_assert_eq(live->iv.ns, 20);
	cr_assert_eq(p->iv.ns, 10);
	proctable__next(&t, 0);
	/* next interval: a rename before any time changes it in place */
	live = proctable__change(&t, proctable__find(&t, 100, 5), &a, 3);
	cr_assert_eq(proctable__find(&t, 100, 5), live);
	cr_assert_str_eq(live->comm, "innocent");
	cr_assert_eq(t.nr, 1);
}

/* A cgroup move keeps name and program; a cgroup of 0 (unknown) matches any. */
Test(proctable, cgroup_is_part_of_the_identity)
{
	struct pt_id a = id_of("nginx", 10, 1), b = id_of("nginx", 20, 1), u = id_of("nginx", 0, 1);
	struct proc *p, *live;

	cr_assert_eq(proctable__init(&t, 8, 2), 0);
	p = proctable__part(&t, proctable__get(&t, 100, 5), &a);
	proctable__charge(&t, p, 0, 0, 300);
	live = proctable__change(&t, p, &b, 1);
	cr_assert_eq(live->cgroup_id, 20);
	cr_assert_eq(p->cgroup_id, 10);
	cr_assert_eq(proctable__part(&t, live, &u), live, "unknown cgroup: the live one");
	cr_assert_eq(proctable__part(&t, live, &a), p);
}

/* Pages of an array of the pool's entries the kernel holds for us (mincore), from entry 0
 * to entry n. */
static size_t resident_in(void *array, size_t size, __u32 n)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), len = (size_t)n * size;
	size_t pages = (len + page - 1) / page, count = 0;
	unsigned char *vec = malloc(pages);

	cr_assert_not_null(vec);
	cr_assert_eq(mincore(array, len, vec), 0);
	for (size_t i = 0; i < pages; i++)
		count += vec[i] & 1;
	free(vec);
	return count;
}

#define resident_pages(n) resident_in(t.pool, sizeof(*t.pool), n)
#define SOCK_BYTES (2 * 2 * sizeof(__u64))	/* an entry's per-socket figures, 2 sockets */

/*
 * Issue 23: 10,000 processes came and went while the agent ran (one lives on, its entry
 * high in the pool); the pool's pages stayed with the agent (22.5-25.5 MiB for the rest
 * of a soak). After proctable__trim only the pages of the entries in use are left, and
 * the lowest free entries are handed out first.
 */
Test(proctable, trim_gives_back_the_pages_of_gone_processes)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), before, after;
	struct proc *p;

	cr_assert_eq(proctable__init(&t, 20000, 2), 0);
	for (__u32 i = 0; i < 10000; i++)
		cr_assert_not_null(proctable__get(&t, i + 1, i));
	before = resident_pages(t.top);
	cr_assert_geq(before, 10000 * sizeof(*t.pool) / page, "%zu pages", before);
	for (__u32 i = 100; i < 10000; i++)
		if (i != 9000)
			proctable__remove(&t, proctable__find(&t, i + 1, i));
	proctable__trim(&t);
	after = resident_pages(10000);
	cr_log_info("pool pages resident: %zu before the trim, %zu after", before, after);
	/* entries 0..99, and entry 9000 with the page it starts or ends in */
	cr_assert_leq(after, (100 * sizeof(*t.pool) + page - 1) / page + 2,
		      "%zu of %zu pages kept", after, before);
	/* and of their per-socket figures: entries 0..99, and 9000's page */
	after = resident_in(t.socks, SOCK_BYTES, 10000);
	cr_assert_leq(after, (100 * SOCK_BYTES + page - 1) / page + 1, "%zu socket pages kept",
		      after);
	cr_assert_eq(t.top, 9001, "top %u", t.top);
	cr_assert_eq(t.nr, 101);
	/* what is left is found as it was; new entries take the lowest free slots */
	for (__u32 i = 0; i < 100; i++)
		cr_assert_not_null(proctable__find(&t, i + 1, i));
	p = proctable__find(&t, 9001, 9000);
	cr_assert_not_null(p);
	cr_assert_eq(proctable__index(&t, p), 9000);
	for (__u32 i = 0; i < 50; i++) {
		p = proctable__get(&t, 50000 + i, 1);
		cr_assert_eq(proctable__index(&t, p), 100 + i, "entry %u", proctable__index(&t, p));
	}
	cr_assert_null(proctable__find(&t, 5001, 5000), "a gone process is not found");
}

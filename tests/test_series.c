// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Steady views for Prometheus (series.c through view__build): counters that
 * add up to the host at every interval, that never go down, that start at 0
 * and are shown for a scrape interval before they move, that stay frozen for
 * two after a process left; members chosen by energy over the last minute.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include "fixture.h"
#include "sample/view.h"

#define SEC 1000000000ULL

static struct fixture F;

/* The row of (pid, start, comm) in the view, or NULL. */
static const struct view_row *find(const struct view *v, __u32 pid, __u64 start, const char *comm)
{
	for (__u32 i = 0; i < v->nr; i++)
		if (v->rows[i].pid == pid && v->rows[i].start_ns == start &&
		    !strcmp(v->rows[i].key, comm))
			return &v->rows[i];
	return NULL;
}

/*
 * Counters + others + idle = host, for energy and CPU time, as Prometheus
 * adds increases up: a series that went off the page keeps its last value in
 * the sum (its increases were counted while it was there).
 */
static struct ledger {
	__u32 pid;
	__u64 start;
	char key[VIEW_KEY_LEN];
	__u64 uj, ns, seq;
} *L;
static __u32 nr_L;
static __u64 gone_uj, gone_ns;

static void ledger_reset(void)
{
	free(L);
	L = calloc(100000, sizeof(*L));
	nr_L = 0;
	gone_uj = gone_ns = 0;
}

static void assert_adds_up(const struct view *v)
{
	__u64 uj = v->others.total_uj, ns = v->others.total_ns;

	for (__u32 i = 0; i < v->nr; i++) {
		const struct view_row *r = &v->rows[i];
		__u32 k;

		for (k = 0; k < nr_L; k++)
			if (L[k].pid == r->pid && L[k].start == r->start_ns && !strcmp(L[k].key, r->key))
				break;
		if (k == nr_L) {
			cr_assert_lt(nr_L, 100000);
			L[k].pid = r->pid;
			L[k].start = r->start_ns;
			snprintf(L[k].key, sizeof(L[k].key), "%s", r->key);
			nr_L++;
		}
		L[k].uj = r->total_uj;
		L[k].ns = r->total_ns;
		L[k].seq = F.s.seq;
		uj += r->total_uj;
		ns += r->total_ns;
	}
	/* series of the last page that are not on this one: their last values stay */
	for (__u32 k = 0; k < nr_L; k++) {
		if (L[k].seq + 1 == F.s.seq) {
			gone_uj += L[k].uj;
			gone_ns += L[k].ns;
			L[k].seq = 0;
		}
	}
	uj += gone_uj;
	ns += gone_ns;
	cr_assert_eq(uj + F.s.idle_total_uj, F.s.energy_total_uj, "interval %llu: %llu + %llu != %llu",
		     (unsigned long long)F.s.seq, (unsigned long long)uj,
		     (unsigned long long)F.s.idle_total_uj, (unsigned long long)F.s.energy_total_uj);
	cr_assert_eq(ns, F.s.busy_total_ns, "interval %llu: cpu", (unsigned long long)F.s.seq);
}

static void build(struct view *v, const struct view_opts *o)
{
	fx_end(&F);
	cr_assert_eq(view__build(v, &F.s, o), 0);
	assert_adds_up(v);
}

/* A first interval with another process: the members of the agent's first
 * page count at once (as the host's counters start there too), the tests
 * are about those that come later. */
static void prelude(struct view *v, const struct view_opts *o)
{
	fx_begin(&F, SEC, 1000);
	fx_proc(&F, 99999, 1, "prelude", 1000, 1000, 1);
	build(v, o);
	if (!v->nr)
		return;	/* filtered out */
	cr_assert_eq(v->rows[0].state, ROW_LIVE, "a member of the first page counts at once");
	cr_assert_eq(v->rows[0].total_uj, 1000);
}

/* One process, top 1, scrape interval 3 s, 1 s intervals: pending 3, live, held 6, gone. */
Test(series, pending_live_held_gone)
{
	struct view_opts o = { .by = GROUP_PID, .top = 1, .steady = true, .rate_window_s = 3 };
	const struct view_row *r;
	struct view v;

	memset(&F, 0, sizeof(F));
	ledger_reset();
	view__init(&v);
	prelude(&v, &o);
	/* intervals 1..3: pending, shown at 0, its energy in others */
	for (int i = 1; i <= 3; i++) {
		fx_begin(&F, SEC, 5000000);
		fx_proc(&F, 42, 1000, "burn", SEC / 2, 2000000, 0);
		build(&v, &o);
		r = find(&v, 42, 1000, "burn");
		cr_assert_not_null(r, "interval %d", i);
		cr_assert_eq(r->state, ROW_PENDING, "interval %d", i);
		cr_assert_eq(r->total_uj, 0);
		cr_assert_eq(r->iv.uj, 2000000, "its watts are shown at once");
		cr_assert_eq(v.others.total_uj, 2000000ULL * i);
		cr_assert_eq(v.others.iv.uj, 0, "others' gauge leaves out a member");
	}
	/* interval 4: 3 s after it appeared, it counts */
	for (int i = 4; i <= 6; i++) {
		fx_begin(&F, SEC, 5000000);
		fx_proc(&F, 42, 1000, "burn", SEC / 2, 2000000, 0);
		if (i == 6)
			F.procs[0].exited = true;
		build(&v, &o);
		r = find(&v, 42, 1000, "burn");
		cr_assert_eq(r->state, ROW_LIVE, "interval %d", i);
		cr_assert_eq(r->total_uj, 2000000ULL * (i - 3));
		cr_assert_eq(r->total_ns, SEC / 2 * (i - 3));
		cr_assert_eq(v.others.total_uj, 6000000);
	}
	/* interval 7: the tail of an exited process still counts */
	fx_begin(&F, SEC, 5000000);
	fx_proc(&F, 42, 1000, "burn", 1000, 1000, 0)->exited = true;
	build(&v, &o);
	r = find(&v, 42, 1000, "burn");
	cr_assert_eq(r->state, ROW_LIVE);
	cr_assert_eq(r->total_uj, 6001000);
	/* intervals 8..13: held, frozen, for 2 x 3 s; then gone */
	for (int i = 8; i <= 14; i++) {
		fx_begin(&F, SEC, 5000000);
		build(&v, &o);
		r = find(&v, 42, 1000, "burn");
		if (i <= 13) {
			cr_assert_not_null(r, "interval %d", i);
			cr_assert_eq(r->state, ROW_HELD);
			cr_assert_eq(r->total_uj, 6001000);
		} else {
			cr_assert_null(r, "held for 6 s, then gone");
		}
	}
	view__free(&v);
}

/* Top 1: a member keeps its place against a short burst, and gives it up to
 * a process that draws more for long enough (2x its score over ~a minute). */
Test(series, members_change_on_steady_energy_not_one_interval)
{
	struct view_opts o = { .by = GROUP_PID, .top = 1, .steady = true, .rate_window_s = 1 };
	int took = 0;
	struct view v;

	memset(&F, 0, sizeof(F));
	ledger_reset();
	view__init(&v);
	prelude(&v, &o);
	for (int i = 1; i <= 300; i++) {
		fx_begin(&F, SEC, 5000000);
		fx_proc(&F, 1, 10, "steady", SEC / 10, 1000000, 0);		/* 1 W */
		if (i == 100)
			fx_proc(&F, 2, 20, "burst", SEC, 10000000, 1);		/* 10 W, once */
		if (i > 150)
			fx_proc(&F, 3, 30, "heavy", SEC / 3, 3000000, 1);	/* 3 W */
		build(&v, &o);
		cr_assert_null(find(&v, 2, 20, "burst"), "a burst of one interval makes no series");
		if (!took && find(&v, 3, 30, "heavy") && find(&v, 3, 30, "heavy")->state != ROW_HELD)
			took = i;
	}
	/* steady ~ 1 W x 60 s = 60 J; heavy passes 120 J after 60 ln 3 = 66 s */
	cr_assert(took >= 150 + 60 && took <= 150 + 72, "heavy took the place at %d", took);
	cr_assert_eq(find(&v, 1, 10, "steady"), NULL, "the old member was held, then went");
	view__free(&v);
}

/* An exec to a new name is a new series; a reused PID another one. */
Test(series, exec_and_pid_reuse_make_new_series)
{
	struct view_opts o = { .by = GROUP_PID, .top = 10, .steady = true, .rate_window_s = 1 };
	const struct view_row *old, *new;
	struct view v;

	memset(&F, 0, sizeof(F));
	ledger_reset();
	view__init(&v);
	prelude(&v, &o);
	for (int i = 0; i < 3; i++) {
		fx_begin(&F, SEC, 1000);
		fx_proc(&F, 7, 70, "sh", SEC / 4, 500000, 0);
		build(&v, &o);
	}
	cr_assert_eq(find(&v, 7, 70, "sh")->state, ROW_LIVE);
	fx_begin(&F, SEC, 1000);
	fx_proc(&F, 7, 70, "make", SEC / 4, 500000, 0);
	build(&v, &o);
	old = find(&v, 7, 70, "sh");
	new = find(&v, 7, 70, "make");
	cr_assert(old && old->state == ROW_HELD, "the old name's series is held");
	cr_assert(new && new->state == ROW_PENDING, "the new name starts a series at 0");

	/* pid 9 exits; a new pid 9 runs in the same interval, with the same name */
	for (int i = 0; i < 2; i++) {
		fx_begin(&F, SEC, 1000);
		fx_proc(&F, 9, 90, "job", SEC / 4, 400000, 0);
		build(&v, &o);
	}
	fx_begin(&F, SEC, 1000);
	fx_proc(&F, 9, 90, "job", SEC / 4, 400000, 0)->exited = true;
	fx_proc(&F, 9, 91, "job", SEC / 4, 300000, 1);
	build(&v, &o);
	cr_assert_eq(find(&v, 9, 90, "job")->state, ROW_LIVE);
	cr_assert_eq(find(&v, 9, 91, "job")->state, ROW_PENDING);
	view__free(&v);
}

/* Groups and filters: the same rules, others holding the filtered-out too. */
Test(series, groups_and_filters_add_up)
{
	struct view_opts o = { .by = GROUP_COMM, .top = 2, .steady = true, .rate_window_s = 2,
			       .pids = { 1, 2, 3 }, .nr_pids = 3 };
	struct view v;

	memset(&F, 0, sizeof(F));
	ledger_reset();
	view__init(&v);
	prelude(&v, &o);
	for (int i = 0; i < 20; i++) {
		fx_begin(&F, SEC, 3000000);
		fx_proc(&F, 1, 1, "a", SEC / 10, 100000, 0);
		fx_proc(&F, 2, 2, "a", SEC / 10, 200000, 0);
		fx_proc(&F, 3, 3, "b", SEC / 10, 300000 + i, 0);
		fx_proc(&F, 4, 4, "c", SEC / 10, 900000, 1);	/* filtered out */
		build(&v, &o);
	}
	cr_assert_eq(v.nr, 2);
	cr_assert_str_eq(v.rows[1].key, "a");
	cr_assert_eq(v.rows[1].members, 2);
	cr_assert_eq(v.rows[1].total_uj, 300000ULL * 18, "live from the third interval");
	cr_assert_eq(v.others.iv.uj, 900000);
	view__free(&v);
}

/* Random churn: processes come, run, exit, reuse PIDs and names; at every
 * interval the counters add up, no series goes down while shown, and no two
 * rows share an identity. */
Test(series, random_churn_adds_up_and_never_goes_down)
{
	struct view_opts o = { .by = GROUP_PID, .top = 8, .steady = true, .rate_window_s = 4 };
	struct { __u32 pid; __u64 start; char comm[16]; bool alive; } pop[64] = {};
	struct seen { __u32 pid; __u64 start; char comm[16]; __u64 uj; __u64 seq; } *seen;
	__u32 nr_seen = 0;
	struct view v;

	seen = calloc(100000, sizeof(*seen));
	memset(&F, 0, sizeof(F));
	ledger_reset();
	srand(14);
	view__init(&v);
	prelude(&v, &o);
	for (int i = 0; i < 64; i++) {
		pop[i].pid = 100 + rand() % 20;	/* few PIDs: reuse */
		pop[i].start = i;
		snprintf(pop[i].comm, sizeof(pop[i].comm), "p%d", rand() % 5);
		pop[i].alive = true;
	}
	for (int it = 0; it < 600; it++) {
		fx_begin(&F, SEC / 2 + rand() % 1000, 1000000 + rand() % 1000);
		F.s.have_energy = rand() % 20 != 0;	/* now and then energy is missing */
		for (int i = 0; i < 64; i++) {
			if (!pop[i].alive && rand() % 8 == 0) {	/* a new process in its slot */
				pop[i].pid = 100 + rand() % 20;
				pop[i].start = 1000 + it * 64 + i;
				snprintf(pop[i].comm, sizeof(pop[i].comm), "p%d", rand() % 5);
				pop[i].alive = true;
			}
			if (!pop[i].alive || rand() % 3)
				continue;
			struct proc *p = fx_proc(&F, pop[i].pid, pop[i].start, pop[i].comm,
						 rand() % (SEC / 4), rand() % 3000000, rand() % 2);

			if (rand() % 10 == 0) {
				p->exited = true;
				pop[i].alive = false;
			} else if (rand() % 30 == 0) {
				snprintf(p->comm, sizeof(p->comm), "exec%d", rand() % 3);	/* exec */
				snprintf(pop[i].comm, sizeof(pop[i].comm), "%s", p->comm);
			}
		}
		build(&v, &o);
		for (__u32 a = 0; a < v.nr; a++) {
			const struct view_row *r = &v.rows[a];
			__u32 k;

			for (__u32 b = a + 1; b < v.nr; b++)
				cr_assert(r->pid != v.rows[b].pid || r->start_ns != v.rows[b].start_ns ||
					  strcmp(r->key, v.rows[b].key), "a duplicate row");
			for (k = 0; k < nr_seen; k++)
				if (seen[k].pid == r->pid && seen[k].start == r->start_ns &&
				    !strcmp(seen[k].comm, r->key))
					break;
			if (k == nr_seen) {
				cr_assert(r->total_uj == 0 || r->pid == 99999, "a new series starts at 0");
				cr_assert_lt(nr_seen, 100000);
				seen[nr_seen].pid = r->pid;
				seen[nr_seen].start = r->start_ns;
				snprintf(seen[nr_seen].comm, 16, "%.15s", r->key);
				nr_seen++;
			} else if (seen[k].seq + 1 == F.s.seq) {
				cr_assert_geq(r->total_uj, seen[k].uj, "a counter went down");
			} else {
				cr_assert_eq(r->total_uj, 0, "a series that went comes back at 0");
			}
			seen[k].uj = r->total_uj;
			seen[k].seq = F.s.seq;
		}
		cr_assert_leq(v.nr, 8 * 4, "members and held rows stay bounded (%u)", v.nr);
	}
	cr_assert_gt(nr_seen, 20, "the test saw churn");
	view__free(&v);
	free(seen);
}

/* A member pushed out and back: back while held it goes on counting; back
 * after its series went, it starts again at 0 (Prometheus sees a new series). */
Test(series, back_while_held_goes_on_after_starts_at_zero)
{
	struct view_opts o = { .by = GROUP_PID, .top = 1, .steady = true, .rate_window_s = 2 };
	const struct view_row *a;
	__u64 held_at = 0;
	struct view v;
	int i;

	memset(&F, 0, sizeof(F));
	ledger_reset();
	view__init(&v);
	prelude(&v, &o);
	for (i = 1; i <= 10; i++) {	/* a: member, live from interval 3 */
		fx_begin(&F, SEC, 1000);
		fx_proc(&F, 1, 1, "a", SEC / 10, 1000000, 0);
		build(&v, &o);
	}
	cr_assert_eq(find(&v, 1, 1, "a")->total_uj, 8000000);
	/* b draws 100 W for one interval: a is held, b pending */
	fx_begin(&F, SEC, 1000);
	fx_proc(&F, 1, 1, "a", SEC / 10, 1000000, 0);
	fx_proc(&F, 2, 2, "b", SEC, 100000000, 1);
	build(&v, &o);
	a = find(&v, 1, 1, "a");
	cr_assert_eq(a->state, ROW_HELD);
	held_at = a->total_uj;
	cr_assert_eq(held_at, 8000000, "its energy of this interval went to others");
	/* b exits; a comes back while held: goes on from its frozen value */
	fx_begin(&F, SEC, 1000);
	fx_proc(&F, 2, 2, "b", 1000, 1000, 1)->exited = true;
	fx_proc(&F, 1, 1, "a", SEC / 10, 1000000, 0);
	build(&v, &o);
	fx_begin(&F, SEC, 1000);
	fx_proc(&F, 1, 1, "a", SEC / 10, 1000000, 0);
	build(&v, &o);
	cr_assert_eq(find(&v, 1, 1, "a")->state, ROW_HELD, "b is a member until its exit is done");
	fx_begin(&F, SEC, 1000);
	fx_proc(&F, 1, 1, "a", SEC / 10, 1000000, 0);
	build(&v, &o);
	a = find(&v, 1, 1, "a");
	cr_assert_eq(a->state, ROW_LIVE);
	cr_assert_eq(a->total_uj, held_at + 1000000);

	/* again, but b stays long enough for a's series to go */
	fx_begin(&F, SEC, 1000);
	fx_proc(&F, 1, 1, "a", SEC / 10, 1000000, 0);
	fx_proc(&F, 2, 3, "b", SEC, 100000000, 1);
	build(&v, &o);
	for (i = 0; i < 6; i++) {
		fx_begin(&F, SEC, 1000);
		fx_proc(&F, 2, 3, "b", SEC, 3000000, 1);
		build(&v, &o);
	}
	cr_assert_null(find(&v, 1, 1, "a"), "held for 4 s, then gone");
	fx_begin(&F, SEC, 1000);
	fx_proc(&F, 2, 3, "b", 1000, 1000, 1)->exited = true;
	build(&v, &o);
	for (i = 0; i < 2; i++) {
		fx_begin(&F, SEC, 1000);
		fx_proc(&F, 1, 1, "a", SEC / 10, 1000000, 0);
		build(&v, &o);
	}
	a = find(&v, 1, 1, "a");
	cr_assert(a && a->state == ROW_PENDING, "a new series");
	cr_assert_eq(a->total_uj, 0);
	view__free(&v);
}

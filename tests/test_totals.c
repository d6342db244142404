// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Groups' totals since they first had a row (top's JOULES when grouped): hand-built
 * views, sums worked out by hand.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sample/totals.h"

static struct view_row rows[4];
static struct view V = { .rows = rows };

/* The view of one interval: rows named by keys, with these microjoules (ns = uj * 10). */
static void view_of(int n, const char *const *keys, const __u64 *uj)
{
	memset(rows, 0, sizeof(rows));
	for (int i = 0; i < n; i++) {
		rows[i].key = keys[i];	/* literals */
		rows[i].iv.uj = uj[i];
		rows[i].iv.ns = uj[i] * 10;
	}
	V.nr = n;
}

Test(totals, a_group_adds_up_across_intervals_from_its_first_row)
{
	struct totals *t = totals__new();

	view_of(2, (const char *[]){ "cc1", "sh" }, (__u64[]){ 300, 50 });
	cr_assert_eq(totals__add(t, &V, GROUP_COMM), 0);
	cr_assert_eq(rows[0].total_uj, 300);
	cr_assert_eq(rows[1].total_uj, 50);
	/* the next interval: sh first, cc1 gone, make new */
	view_of(2, (const char *[]){ "sh", "make" }, (__u64[]){ 70, 20 });
	totals__add(t, &V, GROUP_COMM);
	cr_assert_eq(rows[0].total_uj, 120, "sh: 50 + 70");
	cr_assert_eq(rows[0].total_ns, 1200);
	cr_assert_eq(rows[1].total_uj, 20, "make: from its first row");
	/* cc1 comes back: it was kept */
	view_of(1, (const char *[]){ "cc1" }, (__u64[]){ 1 });
	totals__add(t, &V, GROUP_COMM);
	cr_assert_eq(rows[0].total_uj, 301);
	totals__free(t);
}

Test(totals, another_grouping_starts_again)
{
	struct totals *t = totals__new();

	view_of(1, (const char *[]){ "/usr/bin/make" }, (__u64[]){ 500 });
	totals__add(t, &V, GROUP_EXE);
	view_of(1, (const char *[]){ "make" }, (__u64[]){ 40 });
	totals__add(t, &V, GROUP_COMM);
	cr_assert_eq(rows[0].total_uj, 40);
	view_of(1, (const char *[]){ "/usr/bin/make" }, (__u64[]){ 5 });
	totals__add(t, &V, GROUP_EXE);
	cr_assert_eq(rows[0].total_uj, 5, "back to exe: from 0, not 505");
	totals__free(t);
}

Test(totals, full_it_forgets_the_groups_without_a_row)
{
	struct totals *t = totals__new();
	struct view big = { 0 };

	/* TOTALS_MAX groups, each 1 uJ */
	char (*names)[16] = calloc(TOTALS_MAX, sizeof(*names));

	big.rows = calloc(TOTALS_MAX, sizeof(*big.rows));
	cr_assert(big.rows && names);
	for (int i = 0; i < TOTALS_MAX; i++) {
		snprintf(names[i], sizeof(names[i]), "g%d", i);
		big.rows[i].key = names[i];
		big.rows[i].iv.uj = 1;
	}
	big.nr = TOTALS_MAX;
	cr_assert_eq(totals__add(t, &big, GROUP_CGROUP), 0);
	/* a view of an old group and a new one: the new one makes room by forgetting the
	 * groups without a row in it, the old one keeps its total */
	view_of(2, (const char *[]){ "new", "g7" }, (__u64[]){ 10, 10 });
	cr_assert_eq(totals__add(t, &V, GROUP_CGROUP), 0);
	cr_assert_eq(rows[0].total_uj, 10);
	cr_assert_eq(rows[1].total_uj, 11, "g7: 1 + 10, kept");
	view_of(1, (const char *[]){ "g8" }, (__u64[]){ 3 });
	totals__add(t, &V, GROUP_CGROUP);
	cr_assert_eq(rows[0].total_uj, 3, "g8 was forgotten: from its new row");
	free(big.rows);
	free(names);
	totals__free(t);
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * A GPU's energy over processes (gpusplit.c) and the platform's remainder
 * (platform.c). Every expected value is worked out by hand in a comment, or
 * (for the random cases) checked for conservation and against the exact
 * rational share, never by calling the code under test.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include "energy/gpusplit.h"
#include "energy/platform.h"

/* --- collecting NVML's samples ----------------------------------------------------- */

Test(gpusplit, collect_groups_by_pid_and_keeps_newer_than_last_seen)
{
	struct gpu_sample s[] = {
		{ 10, 1000, 90 },	/* at or before last_seen (1000): dropped */
		{ 10, 1100, 60 },
		{ 20, 1150, 20 },
		{ 10, 1300, 40 },	/* pid 10: mean of 60 and 40 = 50% */
		{ 20, 1250, 150 },	/* above 100%: 100; pid 20: (20 + 100) / 2 = 60% */
	};
	struct gpu_pid_util u[4];
	__u64 last = 1000;
	int n = gpusplit_collect(s, 5, &last, u, 4);

	cr_assert_eq(n, 2);
	cr_assert_eq(u[0].pid, 10);
	cr_assert_eq(u[0].samples, 2);
	cr_assert_float_eq(u[0].sm, 0.50, 1e-12);
	cr_assert_eq(u[1].pid, 20);
	cr_assert_float_eq(u[1].sm, 0.60, 1e-12);
	cr_assert_eq(last, 1300, "the newest timestamp is the next lastSeenTimeStamp");
}

Test(gpusplit, collect_nothing_new_keeps_last_seen)
{
	struct gpu_sample s[] = { { 10, 500, 90 } };
	struct gpu_pid_util u[4];
	__u64 last = 1000;

	cr_assert_eq(gpusplit_collect(s, 1, &last, u, 4), 0);
	cr_assert_eq(last, 1000);
	cr_assert_eq(gpusplit_collect(NULL, 0, &last, u, 4), 0);
}

Test(gpusplit, collect_at_most_max_processes)
{
	struct gpu_sample s[] = { { 1, 10, 10 }, { 2, 11, 20 }, { 3, 12, 30 }, { 1, 13, 30 } };
	struct gpu_pid_util u[2];
	__u64 last = 0;

	/* pids 1 and 2 kept (first seen), 3 not counted; pid 1 still averages 10 and 30 */
	cr_assert_eq(gpusplit_collect(s, 4, &last, u, 2), 2);
	cr_assert_eq(u[0].pid, 1);
	cr_assert_float_eq(u[0].sm, 0.20, 1e-12);
	cr_assert_eq(u[1].pid, 2);
	cr_assert_eq(last, 13);
}

/* --- the split ----------------------------------------------------------------------- */

static __u64 sum_shares(const struct gpusplit *g)
{
	__u64 s = 0;

	for (int i = 0; i < g->nr_shares; i++)
		s += g->shares[i].uj;
	return s;
}

Test(gpusplit, two_processes_by_sm_share)
{
	struct gpu_pid_util p[] = { { 100, 0.60, 1 }, { 200, 0.20, 1 } };
	struct gpusplit g = {
		.energy_uj = 250000000, .idle_base_uj = 50000000, .util = 0.80,
		.mode = GPU_SHARED, .pids = p, .nr_pids = 2,
	};

	gpusplit__run(&g);
	/* dynamic 200 J; U = max(0.8, 0.6 + 0.2) = 0.8: 200 * 0.6/0.8 = 150 J, * 0.2/0.8 = 50 J */
	cr_assert_eq(g.idle_uj, 50000000);
	cr_assert_eq(g.nr_shares, 2);
	cr_assert_eq(g.shares[0].pid, 100);
	cr_assert_eq(g.shares[0].uj, 150000000);
	cr_assert_eq(g.shares[1].pid, 200);
	cr_assert_eq(g.shares[1].uj, 50000000);
	cr_assert_eq(g.others_uj, 0);
	cr_assert_eq(g.procs_uj, 200000000);
}

Test(gpusplit, busier_gpu_than_its_processes_leaves_others)
{
	struct gpu_pid_util p[] = { { 100, 0.30, 1 } };
	struct gpusplit g = {
		.energy_uj = 1000000, .idle_base_uj = 400000, .util = 0.60,
		.mode = GPU_SHARED, .pids = p, .nr_pids = 1,
	};

	gpusplit__run(&g);
	/* dynamic 600000; the process explains 0.3 of 0.6: 300000, others 300000 */
	cr_assert_eq(g.shares[0].uj, 300000);
	cr_assert_eq(g.others_uj, 300000);
	cr_assert_eq(g.idle_uj, 400000);
}

Test(gpusplit, unknown_gpu_utilisation_uses_the_processes_sum)
{
	struct gpu_pid_util p[] = { { 1, 0.10, 1 }, { 2, 0.30, 1 } };
	struct gpusplit g = {
		.energy_uj = 1000, .idle_base_uj = 200, .util = -1,
		.mode = GPU_SHARED, .pids = p, .nr_pids = 2,
	};

	gpusplit__run(&g);
	/* dynamic 800 over 0.1 : 0.3 = 200 and 600, nothing to others */
	cr_assert_eq(g.shares[0].uj, 200);
	cr_assert_eq(g.shares[1].uj, 600);
	cr_assert_eq(g.others_uj, 0);
}

Test(gpusplit, no_samples_dynamic_is_others)
{
	struct gpusplit g = {
		.energy_uj = 1000, .idle_base_uj = 300, .util = 0.5, .mode = GPU_SHARED,
	};

	gpusplit__run(&g);
	cr_assert_eq(g.nr_shares, 0);
	cr_assert_eq(g.idle_uj, 300);
	cr_assert_eq(g.others_uj, 700);
	cr_assert_eq(g.procs_uj, 0);
}

Test(gpusplit, zero_utilisation_samples_are_no_share)
{
	struct gpu_pid_util p[] = { { 1, 0, 3 }, { 2, 0.5, 1 } };
	struct gpusplit g = {
		.energy_uj = 1000, .util = 0.5, .mode = GPU_SHARED, .pids = p, .nr_pids = 2,
	};

	gpusplit__run(&g);
	cr_assert_eq(g.nr_shares, 1);
	cr_assert_eq(g.shares[0].pid, 2);
	cr_assert_eq(g.shares[0].uj, 1000);
}

Test(gpusplit, baseline_above_energy_is_capped)
{
	struct gpu_pid_util p[] = { { 1, 0.5, 1 } };
	struct gpusplit g = {
		.energy_uj = 500, .idle_base_uj = 800, .util = 0.5,
		.mode = GPU_SHARED, .pids = p, .nr_pids = 1,
	};

	gpusplit__run(&g);
	/* a quiet interval below the baseline: all idle, nothing dynamic */
	cr_assert_eq(g.idle_uj, 500);
	cr_assert_eq(g.shares[0].uj, 0);
	cr_assert_eq(g.others_uj, 0);
}

Test(gpusplit, exclusive_mode_all_to_its_process)
{
	/* samples of another pid do not count: one context per device */
	struct gpu_pid_util p[] = { { 7, 0.2, 1 } };
	struct gpusplit g = {
		.energy_uj = 9000, .idle_base_uj = 1000, .util = 0.2, .mode = GPU_EXCLUSIVE,
		.pids = p, .nr_pids = 1, .exclusive_pid = 42,
	};

	gpusplit__run(&g);
	cr_assert_eq(g.nr_shares, 1);
	cr_assert_eq(g.shares[0].pid, 42);
	cr_assert_eq(g.shares[0].uj, 8000);
	cr_assert_eq(g.others_uj, 0);
	cr_assert_eq(g.idle_uj, 1000);
}

Test(gpusplit, exclusive_mode_without_a_process_is_others)
{
	struct gpusplit g = {
		.energy_uj = 9000, .idle_base_uj = 1000, .mode = GPU_EXCLUSIVE,
	};

	gpusplit__run(&g);
	cr_assert_eq(g.nr_shares, 0);
	cr_assert_eq(g.others_uj, 8000);
}

Test(gpusplit, mig_gives_no_process_a_share)
{
	struct gpu_pid_util p[] = { { 1, 0.9, 1 } };
	struct gpusplit g = {
		.energy_uj = 9000, .idle_base_uj = 1000, .util = 0.9, .mode = GPU_MIG,
		.pids = p, .nr_pids = 1, .exclusive_pid = 1,
	};

	gpusplit__run(&g);
	cr_assert_eq(g.nr_shares, 0);
	cr_assert_eq(g.others_uj, 8000);
	cr_assert_eq(g.idle_uj, 1000);
}

Test(gpusplit, spread_idle_gives_the_baseline_to_processes)
{
	struct gpu_pid_util p[] = { { 1, 0.25, 1 }, { 2, 0.25, 1 } };
	struct gpusplit g = {
		.energy_uj = 1000, .idle_base_uj = 600, .util = 1.0, .mode = GPU_SHARED,
		.pids = p, .nr_pids = 2, .spread_idle = true,
	};

	gpusplit__run(&g);
	/* all 1000 uJ by 0.25 : 0.25 of U = 1: 250 each, others 500, idle 0 */
	cr_assert_eq(g.idle_uj, 0);
	cr_assert_eq(g.shares[0].uj, 250);
	cr_assert_eq(g.shares[1].uj, 250);
	cr_assert_eq(g.others_uj, 500);
}

Test(gpusplit, thirds_round_cumulatively)
{
	struct gpu_pid_util p[] = { { 1, 0.2, 1 }, { 2, 0.2, 1 }, { 3, 0.2, 1 } };
	struct gpusplit g = {
		.energy_uj = 100, .util = 0.6, .mode = GPU_SHARED, .pids = p, .nr_pids = 3,
	};

	gpusplit__run(&g);
	/* 100 / 3: floor(33.3) = 33, floor(66.6) - 33 = 33, 100 - 66 = 34 */
	cr_assert_eq(g.shares[0].uj, 33);
	cr_assert_eq(g.shares[1].uj, 33);
	cr_assert_eq(g.shares[2].uj, 34);
	cr_assert_eq(g.others_uj, 0);
}

Test(gpusplit, random_cases_conserve_to_the_microjoule)
{
	unsigned int seed = 22;

	for (int k = 0; k < 20000; k++) {
		struct gpu_pid_util p[GPU_MAX_PIDS];
		int n = rand_r(&seed) % (GPU_MAX_PIDS + 1);
		struct gpusplit g = {
			.energy_uj = ((__u64)rand_r(&seed) << 20) ^ rand_r(&seed),
			.idle_base_uj = ((__u64)rand_r(&seed) << 19) ^ rand_r(&seed),
			.util = rand_r(&seed) % 3 ? (rand_r(&seed) % 1001) / 1000.0 : -1,
			.mode = rand_r(&seed) % 3, .pids = p, .nr_pids = n,
			.exclusive_pid = rand_r(&seed) % 2 ? 1234 : 0,
			.spread_idle = rand_r(&seed) % 4 == 0,
		};
		double su = 0;

		for (int i = 0; i < n; i++) {
			p[i] = (struct gpu_pid_util){ .pid = i + 1, .samples = 1,
						      .sm = (rand_r(&seed) % 101) / 100.0 };
			su += p[i].sm;
		}
		gpusplit__run(&g);
		cr_assert_eq(g.idle_uj + g.others_uj + g.procs_uj, g.energy_uj,
			     "case %d: %llu + %llu + %llu != %llu", k,
			     (unsigned long long)g.idle_uj, (unsigned long long)g.others_uj,
			     (unsigned long long)g.procs_uj, (unsigned long long)g.energy_uj);
		cr_assert_eq(sum_shares(&g), g.procs_uj);
		if (g.mode == GPU_SHARED && n && su > 0 && !g.spread_idle) {
			/* each share within 1 uJ of dynamic x u / max(util, sum u) */
			double U = g.util > su ? g.util : su;
			double dyn = (double)(g.energy_uj - g.idle_uj);

			for (int i = 0, j = 0; i < n; i++) {
				double want = dyn * p[i].sm / U;

				if (p[i].sm <= 0)
					continue;
				cr_assert(fabs(g.shares[j].uj - want) <= 1.0 + dyn * 1e-6,
					  "case %d pid %d: %llu vs %.1f", k, i,
					  (unsigned long long)g.shares[j].uj, want);
				j++;
			}
		}
	}
}

/* --- the platform's remainder ---------------------------------------------------------- */

Test(platform, remainder_idle_and_processes)
{
	struct platform_split p = {
		.platform_uj = 300000000, .parts_uj = 180000000, .idle_base_uj = 80000000,
		.busy_ns = 1000,
	};

	platform__split(&p);
	/* 300 J - 180 J = 120 J: 80 J idle, 40 J to processes */
	cr_assert_eq(p.rest_uj, 120000000);
	cr_assert_eq(p.short_uj, 0);
	cr_assert_eq(p.idle_uj, 80000000);
	cr_assert_eq(p.procs_uj, 40000000);
	/* a process with 250 of the 1000 ns: 10 J, then the next 750 ns: 30 J */
	cr_assert_eq(platform__share(&p, 0, 250), 10000000);
	cr_assert_eq(platform__share(&p, 250, 750), 30000000);
}

Test(platform, parts_above_the_platform_leave_no_remainder)
{
	struct platform_split p = {
		.platform_uj = 100, .parts_uj = 130, .idle_base_uj = 50, .busy_ns = 10,
	};

	platform__split(&p);
	cr_assert_eq(p.rest_uj, 0);
	cr_assert_eq(p.short_uj, 30);
	cr_assert_eq(p.idle_uj, 0);
	cr_assert_eq(p.procs_uj, 0);
}

Test(platform, nothing_ran_all_idle)
{
	struct platform_split p = { .platform_uj = 500, .parts_uj = 100, .idle_base_uj = 10 };

	platform__split(&p);
	cr_assert_eq(p.idle_uj, 400);
	cr_assert_eq(p.procs_uj, 0);
}

Test(platform, baseline_capped_and_spread)
{
	struct platform_split p = {
		.platform_uj = 500, .parts_uj = 100, .idle_base_uj = 1000, .busy_ns = 1,
	};

	platform__split(&p);
	cr_assert_eq(p.idle_uj, 400);
	cr_assert_eq(p.procs_uj, 0);
	p.spread_idle = true;
	platform__split(&p);
	cr_assert_eq(p.idle_uj, 0);
	cr_assert_eq(p.procs_uj, 400);
}

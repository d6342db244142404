// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * sample/wholebox.c on its own, without a sampler: a hand-built sample (bash 42,
 * 0.5 s and 2 J on the CPUs; 43, 0.25 s and 1 J; 5 J idle: 8 J), a reading of one
 * GPU of 50 J at 50% utilisation and a platform meter of 100 J, and a process
 * table. The figures checked follow from the documented rules (gpusplit.h,
 * platform.h), worked out here, not from the code under test.
 */
#include <criterion/criterion.h>
#include <string.h>
#include "fixture.h"
#include "sample/learn.h"
#include "sample/wholebox.h"

static const struct sensor_ops gpu_ops = { .name = "nvml", .role = SENSOR_ROLE_GPU };
static const struct sensor_ops platform_ops = { .name = "hwmon", .role = SENSOR_ROLE_PLATFORM };

static struct fixture F;
static struct wholebox W;
static struct proctable PT;
static struct sensor_set SET;
static struct sensor_reading RD;

static void setup(void)
{
	cr_assert_eq(wholebox__init(&W), 0);
	cr_assert_eq(proctable__init(&PT, 64, 2), 0);
	memset(&SET, 0, sizeof(SET));
	SET.role[SENSOR_ROLE_GPU].ops = &gpu_ops;
	SET.role[SENSOR_ROLE_PLATFORM].ops = &platform_ops;
}

static void teardown(void)
{
	wholebox__free(&W);
	proctable__free(&PT);
}

/* One interval: the sample of 8 J on the CPUs, the GPU at 50% (SM: 42 20%, 99 20%,
 * 555 10%), the platform meter at 100 J. */
static void interval(void)
{
	memset(&F, 0, sizeof(F));
	fx_begin(&F, 1000000000ULL, 5000000);
	fx_proc(&F, 42, 1000, "bash", 500000000ULL, 2000000, 0);
	fx_proc(&F, 43, 2000, "sh", 250000000ULL, 1000000, 1);
	fx_end(&F);
	memset(&RD, 0, sizeof(RD));
	RD.nr_gpus = 1;
	RD.gpus[0] = (struct gpu_reading){
		.index = 0, .name = "Fake", .uuid = "GPU-fa4e0000-0000-4000-8000-000000000000",
		.have = true, .uj = 50000000, .util = 0.5, .limit_w = 300, .mode = GPU_SHARED,
		.per_process = true, .nr_pids = 3,
		.pids = { { 42, 0.2, 1 }, { 99, 0.2, 1 }, { 555, 0.1, 1 } },
	};
	RD.have_platform = true;
	RD.platform_uj = 100000000;
	RD.platform_from = "hwmon0 power_meter power1";
	wholebox__attribute(&W, &(struct wholebox_in){ .pt = &PT, .sensors = &SET, .rd = &RD },
			    &F.s);
}

static __u64 diff(__u64 a, __u64 b)
{
	return a > b ? a - b : b - a;
}

Test(wholebox, gpu_split_and_a_process_that_did_not_run, .init = setup, .fini = teardown)
{
	struct proc *idle99 = proctable__get(&PT, 99, 5000);
	const struct sample_gpu *g = &F.s.gpus[0];
	struct proc *p99;

	cr_assert_not_null(idle99);
	interval();
	cr_assert(F.s.have_gpu);
	cr_assert_str_eq(F.s.gpu_sensor, "nvml");
	cr_assert_eq(F.s.nr_gpus, 1);
	/* 99 ran no CPU this interval but NVML names it: it joins the sample */
	cr_assert_eq(F.s.nr_procs, 3);
	p99 = F.s.procs[2];
	cr_assert_eq(p99, idle99);
	/* every microjoule of the GPU goes somewhere, once */
	cr_assert_eq(g->idle_uj + g->others_uj + g->procs_uj, g->uj);
	cr_assert_eq(F.procs[0].iv.gpu_uj + p99->iv.gpu_uj, g->procs_uj);
	cr_assert_gt(g->idle_uj, 0);
	/* U = max(0.5, 0.2 + 0.2 + 0.1) = 0.5: 42 and 99 get 0.4 of the dynamic part each,
	 * 555 (never seen) 0.2, which is others', as is 43's none */
	cr_assert_leq(diff(F.procs[0].iv.gpu_uj, p99->iv.gpu_uj), 1);
	cr_assert_leq(diff(4 * g->others_uj, g->procs_uj), 4, "others %llu, processes %llu",
		      (unsigned long long)g->others_uj, (unsigned long long)g->procs_uj);
	cr_assert_eq(F.procs[1].iv.gpu_uj, 0);
	cr_assert_eq(F.s.gpu_uj, 50000000);
	cr_assert_eq(F.s.gpu_total_uj, 50000000);
}

/* The remainder's processes' shares + its idle = the remainder, every interval. */
static __u64 rest_conserved(void)
{
	__u64 procs = 0;

	for (__u32 i = 0; i < F.s.nr_procs; i++)
		procs += F.s.procs[i]->iv.rest_uj;
	cr_assert_eq(procs + F.s.rest_idle_uj, F.s.rest_uj);
	return procs;
}

Test(wholebox, platform_remainder_by_cpu_time, .init = setup, .fini = teardown)
{
	interval();
	cr_assert(F.s.have_rest);
	cr_assert_str_eq(F.s.platform_sensor, "hwmon");
	/* 100 J less the CPUs' 8 J and the GPU's 50 J */
	cr_assert_eq(F.s.rest_uj, 42000000);
	/* nothing observed yet, so no baseline: all of it to processes, by CPU time
	 * (bash 0.5 s, 43 0.25 s, 99 none): 28 J and 14 J */
	cr_assert_not(F.s.rest_baseline.have);
	cr_assert_eq(rest_conserved(), 42000000);
	cr_assert_eq(F.procs[0].iv.rest_uj, 28000000);
	cr_assert_eq(F.procs[1].iv.rest_uj, 14000000);
	/* the next intervals: a baseline learnt from what was seen takes its idle part */
	interval();
	interval();
	cr_assert(F.s.rest_baseline.have);
	cr_assert_eq(F.s.rest_idle_uj, learn__uj_of(F.s.rest_baseline.idle_w, 1000000000ULL));
	cr_assert_gt(F.s.rest_idle_uj, 0);
	cr_assert_eq(rest_conserved() + F.s.rest_idle_uj, 42000000);
	cr_assert_leq(diff(F.procs[0].iv.rest_uj, 2 * F.procs[1].iv.rest_uj), 2);
	/* the totals run on */
	cr_assert_eq(F.s.platform_total_uj, 300000000);
	cr_assert_eq(F.s.rest_total_uj, 126000000);
	cr_assert_eq(F.s.gpu_total_uj, 150000000);
	cr_assert_eq(F.s.gpus[0].total_uj, 150000000);
}

Test(wholebox, without_its_sensors_it_adds_nothing, .init = setup, .fini = teardown)
{
	memset(&SET, 0, sizeof(SET));
	interval();
	cr_assert_null(F.s.gpu_sensor);
	cr_assert_null(F.s.platform_sensor);
	cr_assert_eq(F.s.nr_gpus, 0);
	cr_assert_eq(F.s.nr_procs, 2);
	cr_assert_eq(F.s.rest_uj, 0);
	cr_assert_eq(F.procs[0].iv.gpu_uj + F.procs[0].iv.rest_uj, 0);
}

/* --state-file's slots: the GPU by its UUID, the remainder only when asked (CPUs measured). */
Test(wholebox, state_slots, .init = setup, .fini = teardown)
{
	struct baseline_slot slots[WHOLEBOX_MAX_SLOTS];
	struct wholebox_in in = { .pt = &PT, .sensors = &SET, .rd = &RD };

	interval();
	cr_assert_eq(wholebox__slots(&W, &in, true, slots), 2);
	cr_assert_str_eq(slots[0].owner, "gpu-b9178b1bf41b109e");
	cr_assert_str_eq(slots[0].kind, "gpu");
	cr_assert_eq(slots[0].fit, &W.gpu_fit[0]);
	cr_assert_str_eq(slots[1].owner, "host");
	cr_assert_str_eq(slots[1].kind, "rest");
	cr_assert_eq(slots[1].fit, &W.rest_fit);
	cr_assert_eq(wholebox__slots(&W, &in, false, slots), 1);
	RD.gpus[0].uuid = "";
	cr_assert_eq(wholebox__slots(&W, &in, false, slots), 0, "a GPU without a UUID is not kept");
	SET.role[SENSOR_ROLE_PLATFORM].ops = NULL;
	cr_assert_eq(wholebox__slots(&W, &in, true, slots), 0);
}

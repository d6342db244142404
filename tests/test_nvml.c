// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The NVML loader (nvml.c) against the fake libnvidia-ml.so.1 the tests build
 * (tests/fake/nvml.c): what loads, what is optional, and that the fake's
 * figures follow nvml.h (mJ, mW, percent, the sample protocol). Expected
 * energies are the fake's formula worked by hand over this test's own clock.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <time.h>
#include "energy/gpu.h"
#include "energy/nvml.h"
#include "helpers.h"

static char lib[512], cfg[512];
static char *dir;

static void write_cfg(const char *text)
{
	char tmp[600];

	/* through a rename: the fake reads the file whenever it changes */
	snprintf(tmp, sizeof(tmp), "%s.tmp", cfg);
	cr_assert_eq(th_write_file(tmp, text), 0);
	cr_assert_eq(rename(tmp, cfg), 0);
}

static void nvml_setup(void)
{
	dir = th_tmpdir();
	cr_assert(dir);
	snprintf(lib, sizeof(lib), "%s/fake/libnvidia-ml.so.1", th_out_dir());
	snprintf(cfg, sizeof(cfg), "%s/gpus", dir);
	cr_assert_eq(access(lib, R_OK), 0, "no %s: make all builds it", lib);
	setenv("FAKE_NVML_CONFIG", cfg, 1);
}

static void nvml_teardown(void)
{
	th_rmrf(dir);
	free(dir);
}

TestSuite(nvml, .init = nvml_setup, .fini = nvml_teardown);

static double secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

Test(nvml, no_driver_is_enoent)
{
	struct nvml n;
	char err[512];

	/* the fake without a control file answers NVML_ERROR_DRIVER_NOT_LOADED */
	cr_assert_eq(nvml__open(&n, lib, err, sizeof(err)), -ENOENT);
	cr_assert(strstr(err, "Driver Not Loaded"), "%s", err);
	cr_assert_null(n.lib);
}

Test(nvml, missing_library)
{
	struct nvml n;
	char err[512], path[600];

	snprintf(path, sizeof(path), "%s/nothing.so", dir);
	cr_assert_eq(nvml__open(&n, path, err, sizeof(err)), -EINVAL,
		     "a path given is a usage error");
	cr_assert(strstr(err, "failed to load") && strstr(err, "nothing.so"), "%s", err);
}

Test(nvml, not_an_nvml_library)
{
	struct nvml n;
	char err[512];

	/* libc loads, but has no nvmlInit_v2 */
	cr_assert_eq(nvml__open(&n, "libc.so.6", err, sizeof(err)), -ENOEXEC);
	cr_assert(strstr(err, "nvmlInit_v2"), "%s", err);
}

Test(nvml, every_call_and_the_energy_model)
{
	nvmlProcessUtilizationSample_t s[8];
	nvmlProcessInfo_t pi[8];
	nvmlUtilization_t u;
	unsigned long long e0, e1;
	unsigned int cnt, mw, cur, pend;
	char name[NVML_DEVICE_NAME_V2_BUFFER_SIZE], err[512];
	nvmlDevice_t d;
	struct nvml n;
	double ta, tb, tc, td;
	int mode;

	write_cfg("gpu 0 idle=40 k=200 limit=350 name=Test-GPU uuid=GPU-1234\n"
		  "proc 0 111 30\nproc 0 222 20\n");
	cr_assert_eq(nvml__open(&n, lib, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(n.count(&cnt), NVML_SUCCESS);
	cr_assert_eq(cnt, 1);
	cr_assert_eq(n.handle(0, &d), NVML_SUCCESS);
	cr_assert_eq(n.name(d, name, sizeof(name)), NVML_SUCCESS);
	cr_assert_str_eq(name, "Test-GPU");
	cr_assert_eq(n.name(d, name, 4), NVML_ERROR_INSUFFICIENT_SIZE);
	cr_assert_eq(n.power_limit(d, &mw), NVML_SUCCESS);
	cr_assert_eq(mw, 350000, "the limit in milliwatts");
	/* 40 W + 200 W x 0.5 = 140 W */
	cr_assert_eq(n.power(d, &mw), NVML_SUCCESS);
	cr_assert_eq(mw, 140000);
	cr_assert_eq(n.utilization(d, &u), NVML_SUCCESS);
	cr_assert_eq(u.gpu, 50);
	cr_assert_eq(n.compute_mode(d, &mode), NVML_SUCCESS);
	cr_assert_eq(mode, NVML_COMPUTEMODE_DEFAULT);
	cr_assert_eq(n.mig_mode(d, &cur, &pend), NVML_ERROR_NOT_SUPPORTED,
		     "a GPU without MIG says so");

	/* each call bracketed by the clock: the fake's time between them is in [tc - tb, td - ta] */
	ta = secs();
	cr_assert_eq(n.energy(d, &e0), NVML_SUCCESS);
	tb = secs();
	usleep(100000);
	tc = secs();
	cr_assert_eq(n.energy(d, &e1), NVML_SUCCESS);
	td = secs();
	/* 140 W over the 0.1 s between the calls: 14000 mJ, within 2% and the mJ resolution */
	cr_assert(e1 - e0 >= 0.98 * 140e3 * (tc - tb) - 2 && e1 - e0 <= 1.02 * 140e3 * (td - ta) + 2,
		  "%llu mJ in %.3f .. %.3f s", e1 - e0, tc - tb, td - ta);

	/* the sample protocol of nvml.h: size, then samples newer than lastSeenTimeStamp */
	cnt = 0;
	cr_assert_eq(n.proc_util(d, NULL, &cnt, 0), NVML_ERROR_INSUFFICIENT_SIZE);
	cr_assert_eq(cnt, 2);
	cnt = 8;
	cr_assert_eq(n.proc_util(d, s, &cnt, 0), NVML_SUCCESS);
	cr_assert_eq(cnt, 2);
	cr_assert_eq(s[0].pid, 111);
	cr_assert_eq(s[0].smUtil, 30);
	cr_assert_eq(s[1].smUtil, 20);
	cr_assert(s[0].timeStamp > 1600000000ULL * 1000000, "microseconds of the real-time clock");
	cnt = 8;
	cr_assert_eq(n.proc_util(d, s, &cnt, s[0].timeStamp), NVML_ERROR_NOT_FOUND,
		     "nothing newer than the last sample seen");
	cnt = 8;
	cr_assert_eq(n.compute_procs(d, &cnt, pi), NVML_SUCCESS);
	cr_assert_eq(cnt, 2);
	cr_assert_eq(pi[1].pid, 222);
	cr_assert_eq(pi[1].gpuInstanceId, 0xFFFFFFFF);

	/* lost: every call says so, and the energy stands still */
	write_cfg("gpu 0 idle=40 k=200 lost=1\n");
	cr_assert_eq(n.energy(d, &e0), NVML_ERROR_GPU_IS_LOST);
	cr_assert_str_eq(nvml__strerror(&n, NVML_ERROR_GPU_IS_LOST), "GPU is lost");
	usleep(100000);
	write_cfg("gpu 0 idle=40 k=200 mig=1 mode=exclusive\n");
	cr_assert_eq(n.energy(d, &e0), NVML_SUCCESS);
	/* 0.1 s lost would be 14000 mJ at 140 W: only the moments around it count */
	cr_assert(e0 - e1 < 140e3 * 0.05, "no energy while lost: %llu mJ more", e0 - e1);
	cr_assert_eq(n.mig_mode(d, &cur, &pend), NVML_SUCCESS);
	cr_assert_eq(cur, NVML_DEVICE_MIG_ENABLE);
	cnt = 8;
	cr_assert_eq(n.proc_util(d, s, &cnt, 0), NVML_ERROR_NOT_SUPPORTED, "MIG: no per-process");
	cr_assert_eq(n.utilization(d, &u), NVML_ERROR_NOT_SUPPORTED);
	nvml__close(&n);
	nvml__close(&n);	/* twice is harmless */
}

/* --- gpu.c: one read per interval ------------------------------------------------------ */

Test(nvml, counter_steps)
{
	__u64 uj;

	cr_assert_null(gpu_counter_step(1000, 1500, 1000000000, 300, &uj));
	cr_assert_eq(uj, 500000, "500 mJ is 500000 uJ");
	cr_assert_str_eq(gpu_counter_step(1500, 1000, 1000000000, 300, &uj), "counter reset");
	cr_assert_eq(uj, 0);
	/* 300 W x 4 over 1 s + 0.1 s of slack is 1320 J at most */
	cr_assert_null(gpu_counter_step(0, 1320000, 1000000000, 300, &uj));
	cr_assert_str_eq(gpu_counter_step(0, 1321000, 1000000000, 300, &uj), "implausible jump");
	/* no limit: 5000 W */
	cr_assert_null(gpu_counter_step(0, 5500000, 1000000000, 0, &uj));
	cr_assert_str_eq(gpu_counter_step(0, 5501000, 1000000000, 0, &uj), "implausible jump");
}

static int open_gpus(struct gpu *g)
{
	char err[512];
	int ret = gpu__open(g, lib, err, sizeof(err));

	cr_assert_eq(ret, 0, "gpu__open: %s", err);
	return ret;
}

Test(nvml, gpu_reads_two_gpus)
{
	struct gpu_reading rd[WP_MAX_GPUS];
	struct gpu g;

	write_cfg("gpu 0 idle=40 k=200 limit=350\nproc 0 111 60\nproc 0 222 20\n"
		  "gpu 1 idle=20 k=100 energy=0 mode=exclusive\nproc 1 333 10\n");
	open_gpus(&g);
	cr_assert_eq(g.nr, 2);
	cr_assert_eq(gpu__read(&g, 0, rd), 2);
	cr_assert_str_eq(rd[0].gap, "first reading");
	cr_assert_str_eq(rd[0].uuid, "GPU-fa4e0000-0000-4000-8000-000000000000");
	/* longer than the driver's sample period (1/6 s): its samples are newer than the first's */
	usleep(170000);
	cr_assert_eq(gpu__read(&g, 170000000, rd), 2);
	/* GPU 0: 40 + 200 x 0.8 = 200 W for 0.17 s or a little more */
	cr_assert(rd[0].have, "%s", rd[0].gap ?: "");
	cr_assert_str_eq(rd[0].source, "energy counter");
	cr_assert(rd[0].uj >= 200 * 0.98 * 0.17e6 && rd[0].uj < 200 * 0.4e6, "%llu uJ",
		  (unsigned long long)rd[0].uj);
	cr_assert_float_eq(rd[0].util, 0.8, 1e-9);
	cr_assert_float_eq(rd[0].limit_w, 350, 1e-9);
	cr_assert_eq(rd[0].mode, GPU_SHARED);
	cr_assert(rd[0].per_process);
	cr_assert_eq(rd[0].nr_pids, 2);
	cr_assert_eq(rd[0].pids[0].pid, 111);
	cr_assert_float_eq(rd[0].pids[0].sm, 0.6, 1e-9);
	/* GPU 1: no counter, power usage 30 W both times: 30 W x 0.17 s exactly */
	cr_assert_str_eq(rd[1].source, "power usage");
	cr_assert(rd[1].have);
	cr_assert_eq(rd[1].uj, 5100000);
	cr_assert_eq(rd[1].mode, GPU_EXCLUSIVE);
	cr_assert_eq(rd[1].exclusive_pid, 333);

	/* no sample newer than the last one seen: no process this time (NOT_FOUND) */
	cr_assert_eq(gpu__read(&g, 1000000, rd), 2);
	cr_assert(rd[0].per_process);
	cr_assert_eq(rd[0].nr_pids, 0);
	gpu__close(&g);
}

Test(nvml, gpu_lost_is_a_gap_then_a_fresh_start)
{
	struct gpu_reading rd[WP_MAX_GPUS];
	struct gpu g;

	write_cfg("gpu 0 idle=40 k=200\n");
	open_gpus(&g);
	gpu__read(&g, 0, rd);
	write_cfg("gpu 0 idle=40 k=200 lost=1\n");
	cr_assert_eq(gpu__read(&g, 100000000, rd), 1);
	cr_assert(!rd[0].have);
	cr_assert_str_eq(rd[0].gap, "GPU is lost");
	write_cfg("gpu 0 idle=40 k=200\n");
	gpu__read(&g, 100000000, rd);
	cr_assert_str_eq(rd[0].gap, "first reading", "back: a fresh start, no step across the gap");
	usleep(20000);
	gpu__read(&g, 20000000, rd);
	cr_assert(rd[0].have);
	gpu__close(&g);
}

Test(nvml, gpu_mig_has_no_per_process)
{
	struct gpu_reading rd[WP_MAX_GPUS];
	struct gpu g;

	write_cfg("gpu 0 mig=1\nproc 0 5 50\n");
	open_gpus(&g);
	gpu__read(&g, 0, rd);
	cr_assert_eq(rd[0].mode, GPU_MIG);
	cr_assert(!rd[0].per_process);
	cr_assert(strstr(rd[0].no_per_process, "MIG"));
	cr_assert_eq(rd[0].util, -1, "MIG: no utilisation rates either");
	gpu__close(&g);
}

Test(nvml, no_gpu_is_enoent)
{
	struct gpu g;
	char err[512];

	write_cfg("# a driver, no GPU\n");
	cr_assert_eq(gpu__open(&g, lib, err, sizeof(err)), -ENOENT);
	cr_assert(strstr(err, "no GPU"), "%s", err);
}

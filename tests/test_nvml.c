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
	double t0, t1;
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

	t0 = secs();
	cr_assert_eq(n.energy(d, &e0), NVML_SUCCESS);
	usleep(300000);
	cr_assert_eq(n.energy(d, &e1), NVML_SUCCESS);
	t1 = secs();
	/* 140 W over the 0.3 s between the calls: 42000 mJ, within 2% and the mJ resolution */
	cr_assert(fabs((e1 - e0) - 140e3 * (t1 - t0)) <= 0.02 * 140e3 * (t1 - t0) + 2,
		  "%llu mJ in %.3f s", e1 - e0, t1 - t0);

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
	usleep(300000);
	write_cfg("gpu 0 idle=40 k=200 mig=1 mode=exclusive\n");
	cr_assert_eq(n.energy(d, &e0), NVML_SUCCESS);
	/* 0.3 s lost would be 42000 mJ at 140 W: only the moments around it count */
	cr_assert(e0 - e1 < 140e3 * 0.05, "no energy while lost: %llu mJ more", e0 - e1);
	cr_assert_eq(n.mig_mode(d, &cur, &pend), NVML_SUCCESS);
	cr_assert_eq(cur, NVML_DEVICE_MIG_ENABLE);
	cnt = 8;
	cr_assert_eq(n.proc_util(d, s, &cnt, 0), NVML_ERROR_NOT_SUPPORTED, "MIG: no per-process");
	cr_assert_eq(n.utilization(d, &u), NVML_ERROR_NOT_SUPPORTED);
	nvml__close(&n);
	nvml__close(&n);	/* twice is harmless */
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Integration tests of energy attribution that load the real BPF program
 * (root needed) and read a fake powercap tree advanced by build/tools/fakerapl
 * at known wattages.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <sched.h>
#include <sys/prctl.h>
#include <signal.h>
#include <sys/wait.h>
#include "helpers.h"
#include "sampler.h"
#include "util.h"

static struct sampler S;
static char *root;
static pid_t fake;

/* fakerapl --root DIR ARGS..., waits until the tree exists. */
static void start_fake(const char *const *args)
{
	char tool[512], probe[600];
	const char *argv[16] = { "fakerapl", "--root", root };
	int n = 3;

	snprintf(tool, sizeof(tool), "%s/tools/fakerapl", th_out_dir());
	while (*args && n < 15)
		argv[n++] = *args++;
	argv[n] = NULL;
	fake = fork();
	if (!fake) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		execv(tool, (char *const *)argv);
		_exit(127);
	}
	snprintf(probe, sizeof(probe), "%s/intel-rapl:0/energy_uj", root);
	for (int i = 0; i < 200 && access(probe, R_OK); i++)
		usleep(10000);
	cr_assert_eq(access(probe, R_OK), 0, "%s did not make %s", tool, probe);
}

static void stop_fake(void)
{
	if (fake > 0) {
		kill(fake, SIGTERM);
		waitpid(fake, NULL, 0);
	}
	th_rmrf(root);
	free(root);
}

static void open_sampler(double idle_w)
{
	struct sampler_opts o = {
		.interval_s = 0.5, .sensor = SENSOR_RAPL, .powercap_root = root,
		.idle_w = idle_w, .max_procs = 32768,
	};
	char err[512];

	cr_assert_eq(sampler__open(&S, &o, err, sizeof(err)), 0, "sampler__open: %s", err);
}

static pid_t child_on(int cpu, int busy_ms, int idle_ms, int nice_level)
{
	pid_t pid = fork();

	if (!pid) {
		cpu_set_t set;

		if (nice_level && nice(nice_level) == -1)
			_exit(1);
		prctl(PR_SET_PDEATHSIG, SIGKILL);	/* never outlive a failed test */
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		sched_setaffinity(0, sizeof(set), &set);
		for (;;) {
			__u64 end = now_ns(CLOCK_MONOTONIC) + busy_ms * 1000000ULL;

			while (now_ns(CLOCK_MONOTONIC) < end)
				;
			if (idle_ms)
				usleep(idle_ms * 1000);
		}
	}
	return pid;
}

static const struct proc *find(pid_t pid)
{
	for (__u32 i = 0; i < S.cur.nr_procs; i++)
		if (S.cur.procs[i]->tgid == (__u32)pid)
			return S.cur.procs[i];
	return NULL;
}

static void setup(void)
{
	if (geteuid())
		cr_skip_test("needs root to load BPF");
	root = th_tmpdir();
	cr_assert_not_null(root);
}

/* Every interval, processes + idle == the package's energy, to the microjoule. */
static void check_conservation(void)
{
	__u64 sum = S.cur.idle_uj;

	for (__u32 i = 0; i < S.cur.nr_procs; i++)
		sum += S.cur.procs[i]->iv_uj;
	cr_assert(S.cur.have_energy, "energy missing: %s", S.cur.sockets[0].gap);
	cr_expect_eq(sum, S.cur.energy_uj, "processes + idle = %llu uJ, measured %llu uJ",
		     (unsigned long long)sum, (unsigned long long)S.cur.energy_uj);
	for (int k = 0; k < S.cur.nr_sockets; k++)
		cr_expect_eq(S.cur.sockets[k].procs_uj + S.cur.sockets[k].idle_uj,
			     S.cur.sockets[k].uj[RAPL_PACKAGE] + S.cur.sockets[k].uj[RAPL_DRAM],
			     "socket %d does not add up", S.cur.sockets[k].id);
}

/*
 * Two busy processes pinned to one CPU, at nice 10 and nice 15 (scheduler
 * weights 110 and 36, so about 3:1 of that CPU whatever else runs, and
 * fakerapl at nice 0 keeps its counters moving on time), on a
 * fake 40 W package with a 10 W idle baseline: their energy splits as their
 * CPU time does (within 2%), and processes + idle add up to 40 W over the run.
 */
Test(energy_bpf_load, three_to_one_on_a_40_watt_package, .init = setup, .fini = stop_fake,
     .timeout = 60)
{
	const char *args[] = { "--package", "0:40", NULL };
	__u64 a_ns = 0, b_ns = 0, a_uj = 0, b_uj = 0, total_uj = 0, total_ns = 0;
	const struct proc *pa, *pb;
	pid_t a, b;
	double ratio, w;

	start_fake(args);
	open_sampler(10);
	a = child_on(1, 100, 0, 10);
	b = child_on(1, 100, 0, 15);
	usleep(300000);
	cr_assert_eq(sampler__sample(&S), 0);
	sampler__done(&S);
	for (int i = 0; i < 8; i++) {
		usleep(500000);
		cr_assert_eq(sampler__sample(&S), 0);
		check_conservation();
		pa = find(a);
		pb = find(b);
		cr_assert(pa && pb, "busy children not charged");
		a_ns += pa->iv_ns;
		b_ns += pb->iv_ns;
		a_uj += pa->iv_uj;
		b_uj += pb->iv_uj;
		total_uj += S.cur.energy_uj;
		total_ns += S.cur.interval_ns;
		sampler__done(&S);
	}
	kill(a, SIGKILL);
	kill(b, SIGKILL);
	waitpid(a, NULL, 0);
	waitpid(b, NULL, 0);

	ratio = (double)a_ns / b_ns;
	cr_log_info("CPU time %llu : %llu ns (%.3f:1), energy %llu : %llu uJ (%.3f:1)",
		    (unsigned long long)a_ns, (unsigned long long)b_ns, ratio,
		    (unsigned long long)a_uj, (unsigned long long)b_uj, (double)a_uj / b_uj);
	cr_expect(ratio > 2.6 && ratio < 3.5, "the children's CPU time is %.3f:1, not about 3:1",
		  ratio);
	cr_expect_lt(fabs((double)a_uj / b_uj / ratio - 1), 0.02,
		     "energy %.3f:1 for CPU time %.3f:1", (double)a_uj / b_uj, ratio);
	w = total_uj * 1e3 / total_ns;
	cr_log_info("host %.3f W over %.2f s", w, total_ns / 1e9);
	cr_expect_lt(fabs(w - 40) / 40, 0.02, "host power %.3f W, the package draws 40 W", w);
}

/* The idle baseline does not collapse at full load: with both CPUs busy, the
 * 10 W baseline still goes to idle and the other 30 W to processes. */
Test(energy_bpf_load, idle_baseline_holds_at_full_load, .init = setup, .fini = stop_fake,
     .timeout = 60)
{
	const char *args[] = { "--package", "0:40", NULL };
	pid_t a, b;
	__u64 idle = 0, all = 0;

	start_fake(args);
	open_sampler(10);
	/* niced, so that fakerapl keeps its counters moving on time */
	a = child_on(0, 100, 0, 10);
	b = child_on(1, 100, 0, 10);
	usleep(300000);
	cr_assert_eq(sampler__sample(&S), 0);
	sampler__done(&S);
	for (int i = 0; i < 4; i++) {
		usleep(500000);
		cr_assert_eq(sampler__sample(&S), 0);
		check_conservation();
		idle += S.cur.idle_uj;
		all += S.cur.energy_uj;
		cr_expect_gt(S.cur.util, 0.9, "CPUs only %.1f%% busy", S.cur.util * 100);
		sampler__done(&S);
	}
	kill(a, SIGKILL);
	kill(b, SIGKILL);
	waitpid(a, NULL, 0);
	waitpid(b, NULL, 0);
	cr_log_info("idle share at full load: %.3f (baseline 10 W of 40 W)", (double)idle / all);
	cr_expect_lt(fabs((double)idle / all - 0.25), 0.02, "idle got %.3f of the energy",
		     (double)idle / all);
}

/* A counter that wraps during the run is read through the wrap. */
Test(energy_bpf_load, counter_wrap_is_read_through, .init = setup, .fini = stop_fake,
     .timeout = 60)
{
	const char *args[] = { "--package", "0:40", "--near-wrap", "1.2", NULL };
	__u64 all = 0, ns = 0;

	start_fake(args);
	open_sampler(-1);
	for (int i = 0; i < 6; i++) {
		usleep(500000);
		cr_assert_eq(sampler__sample(&S), 0);
		check_conservation();
		all += S.cur.energy_uj;
		ns += S.cur.interval_ns;
		sampler__done(&S);
	}
	cr_expect_lt(fabs(all * 1e3 / ns - 40) / 40, 0.02, "%.3f W through a wrap, want 40 W",
		     all * 1e3 / ns);
}

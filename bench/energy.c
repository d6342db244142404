// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * energy: what the learnt idle baselines add to the cost of a sample.
 *
 * Opens the sampling core (BPF loaded and attached, as the agent does) on a
 * fake powercap tree that follows the machine's load (fakerapl, a package
 * and its DRAM: two baselines to learn), with the fits' windows full (256
 * points each, put there before the first round), and each interval, in an
 * order rotated every round, times with CLOCK_PROCESS_CPUTIME_ID:
 *   - one wattprobe sample (sampler__sample + sampler__done), baselines included;
 *   - the baselines alone: the estimate of the package's and the DRAM's fit,
 *     with the priors the sampler uses (what the sample spends on them);
 *   - what version 0.1 spent instead: its idle learner (a window of 256
 *     powers, the 10th percentile by qsort every interval), copied here as
 *     the reference;
 *   - what version 0.2 spent: its line fit (bench/line02.h) on the same two
 *     windows, copied into its own before it is timed: the cost the curve
 *     is to keep.
 * The sample's growth is (baselines - 0.1's learner) / (sample - baselines +
 * 0.1's learner): the cost of a sample now over the cost it had.
 */
#include <getopt.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include "bench.h"
#include "line02.h"
#include "sample/sampler.h"

#define MAX_ROUNDS	256
#define OLD_WINDOW	256

/* Version 0.1's idle learner, the reference. */
struct old_learner {
	float w[OLD_WINDOW];
	int n, head;
};

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return x < y ? -1 : x > y;
}

static double old_learner_step(struct old_learner *l, double power_w)
{
	float sorted[OLD_WINDOW];

	l->w[l->head] = (float)power_w;
	l->head = (l->head + 1) % OLD_WINDOW;
	if (l->n < OLD_WINDOW)
		l->n++;
	memcpy(sorted, l->w, l->n * sizeof(float));
	qsort(sorted, l->n, sizeof(float), cmp_float);
	return sorted[l->n / 10];
}

static double cpu_now(void)
{
	return bench_now(CLOCK_PROCESS_CPUTIME_ID);
}

static pid_t start_fake(const char *tool, const char *root)
{
	char probe[600];
	pid_t pid = fork();

	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (setpriority(PRIO_PROCESS, 0, -10))
			_exit(126);
		execl(tool, "fakerapl", "--root", root, "--package", "0:10+15", "--dram", "0:3+0.5",
		      "--noise", "0.3", "--period-ms", "5", (char *)NULL);
		_exit(127);
	}
	snprintf(probe, sizeof(probe), "%s/intel-rapl:0:0/energy_uj", root);
	for (int i = 0; i < 200 && access(probe, R_OK); i++)
		bench_sleep(0.01);
	return access(probe, R_OK) ? -1 : pid;
}

/* The curve's window into a line's, as it is: the same points, weights and count. */
static void window_to_line(const struct baseline *b, struct line_fit *l)
{
	line__init(l);
	memcpy(l->u, b->u, sizeof(l->u));
	memcpy(l->p, b->p, sizeof(l->p));
	memcpy(l->w, b->w, sizeof(l->w));
	l->n = b->n;
}

int main(int argc, char **argv)
{
	const char *tool = "build/tools/fakerapl", *results = NULL;
	struct baseline_prior pkg_prior = {
		.full_w = 40, .shape = curve_prior__package(), .min_slope = BASELINE_MIN_SLOPE,
	};
	struct baseline_prior dram_prior = { .shape = curve_prior__dram() };
	const struct line_prior line_pkg = {
		.full_w = 40, .idle_fraction = LINE_IDLE_FRACTION, .min_slope = BASELINE_MIN_SLOPE,
	};
	const struct line_prior line_dram = { .idle_fraction = 0.5 };
	double a[MAX_ROUNDS], b[MAX_ROUNDS], c[MAX_ROUNDS], d[MAX_ROUNDS], g[MAX_ROUNDS];
	double interval = 0.2;
	static struct line_fit lpkg, ldram;
	static struct old_learner old;
	char root[] = "/tmp/wattprobe-bench.XXXXXX", errbuf[512];
	static struct sampler s;
	int rounds = 21, opt, err = 0;
	unsigned int seed = 1;
	pid_t fake;

	while ((opt = getopt(argc, argv, "r:i:o:f:")) != -1) {
		switch (opt) {
		case 'r':
			rounds = atoi(optarg);
			break;
		case 'i':
			interval = atof(optarg);
			break;
		case 'o':
			results = optarg;
			break;
		case 'f':
			tool = optarg;
			break;
		default:
			fprintf(stderr, "usage: %s [-r ROUNDS] [-i SECONDS] [-o RESULTS] [-f FAKERAPL]\n",
				argv[0]);
			return 2;
		}
	}
	if (rounds < 1 || rounds > MAX_ROUNDS || interval <= 0 || bench_results_open(results))
		return 2;
	if (!mkdtemp(root) || (fake = start_fake(tool, root)) < 0) {
		fprintf(stderr, "energy: failed to start %s under %s\n", tool, root);
		return 1;
	}
	{
		struct sampler_opts o = {
			.interval_s = interval, .sensors = "rapl", .powercap_root = root,
			.idle_w = -1, .max_procs = 32768,
		};

		err = sampler__open(&s, &o, errbuf, sizeof(errbuf));
	}
	if (err) {
		fprintf(stderr, "energy: %s\n", errbuf);
		goto cleanup;
	}
	/* full windows, as after four minutes at 1 s: the estimates' steady cost */
	for (int i = 0; i < BASELINE_WINDOW; i++) {
		double u = rand_r(&seed) / (double)RAND_MAX;

		baseline__add(&s.pkg_fit[0], u, 10 + 30 * u, interval);
		baseline__add(&s.dram_fit[0], u, 3 + 1 * u, interval);
		old_learner_step(&old, 10 + 30 * u);
	}
	for (int r = -2; r < rounds && !err; r++) {
		double t[4] = {};

		bench_sleep(interval);
		for (int k = 0; k < 4 && !err; k++) {
			int m = (k + r + 2) % 4;
			double t0;
			struct baseline_est e;
			struct line_est le;

			if (m == 3) {
				/* the line gets the points the curve has (not timed) */
				window_to_line(&s.pkg_fit[0], &lpkg);
				window_to_line(&s.dram_fit[0], &ldram);
			}
			t0 = cpu_now();

			if (m == 0) {
				err = sampler__sample(&s);
				sampler__done(&s);
			} else if (m == 1) {
				baseline__estimate(&s.pkg_fit[0], &pkg_prior, &e);
				baseline__estimate(&s.dram_fit[0], &dram_prior, &e);
			} else if (m == 2) {
				old_learner_step(&old, 10 + 30 * s.cur.util);
			} else {
				line__estimate(&lpkg, &line_pkg, &le);
				line__estimate(&ldram, &line_dram, &le);
			}
			t[m] = cpu_now() - t0;
		}
		if (r < 0)
			continue;
		a[r] = t[0] * 1e6;
		b[r] = t[1] * 1e6;
		c[r] = t[2] * 1e6;
		d[r] = t[3] * 1e6;
		g[r] = (t[1] - t[2]) / (t[0] - t[1] + t[2]);
	}
	if (err) {
		fprintf(stderr, "energy: sample failed: %s\n", strerror(-err));
		goto cleanup;
	}
	{
		double ma = bench_median(a, rounds), mb = bench_median(b, rounds);
		double mc = bench_median(c, rounds), mg = bench_median(g, rounds);
		double md = bench_median(d, rounds);

		printf("| wattprobe sample, CPU us (median) | of which the learnt baselines (package + DRAM), us | 0.1's idle learner instead, us | the sample's growth (median of intervals) | 0.2's line fit on the same windows, us |\n");
		printf("|---:|---:|---:|---:|---:|\n");
		printf("| %.0f | %.1f | %.1f | %+.1f%% | %.1f |\n", ma, mb, mc, mg * 100, md);
		printf("\n%d intervals of %.2f s after 2 of warm-up, order rotated; a fake package and DRAM "
		       "following the load (fakerapl --package 0:10+15 --dram 0:3+0.5), windows of %d "
		       "intervals full\n", rounds, interval, BASELINE_WINDOW);
		bench_result("energy.sample_us", "%.1f", ma);
		bench_result("energy.baselines_us", "%.2f", mb);
		bench_result("energy.old_us", "%.2f", mc);
		bench_result("energy.growth", "%.4f", mg);
		bench_result("energy.line_us", "%.2f", md);
	}

cleanup:
	sampler__close(&s);
	kill(fake, SIGTERM);
	waitpid(fake, NULL, 0);
	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
		if (system(cmd))
			fprintf(stderr, "energy: could not remove %s\n", root);
	}
	return err ? 1 : 0;
}

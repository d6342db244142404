// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * scale: the cost of one sample as the host grows, wattprobe's sampling core
 * next to the /proc method, in one process, the same intervals.
 *
 * For each host size N it starts child processes until /proc lists N (one
 * spins, 1% wake every 100 ms to burn 200 us, the rest sleep; the sleepers
 * share our memory, see population.h, the others are forked), opens the
 * sampler (BPF loaded and attached, as the agent does), and for every
 * interval takes one wattprobe sample (sampler__sample + sampler__done) and
 * one /proc scan (bench/procscan.h), in alternating order, each timed with
 * CLOCK_PROCESS_CPUTIME_ID: the CPU time this process spends, user and
 * kernel (syscalls, the kernel's map copy, reading /proc). Not counted for
 * wattprobe: the few microseconds wp_snap runs in an IPI on the other CPUs.
 *
 * With -x CMD, runs CMD (sh -c) at each size, with the population still up
 * and the sampler closed, with WP_BENCH_PROCS set to the live process count.
 */
#include <getopt.h>
#include <sys/resource.h>
#include "bench.h"
#include "population.h"
#include "procscan.h"
#include "sample/sampler.h"
#include "taskiter.h"

#define MAX_SIZES	8
#define MAX_ROUNDS	256
#define MAX_KIDS	40000

static pid_t kids[MAX_KIDS];
static int nkids, nticks, nspin;

static const struct pop_spec sleeper = { POP_SLEEP, "wpb-sleep", 0, 0 };
static const struct pop_spec spinner = { POP_SPIN, "wpb-spin", 0, 0 };
static const struct pop_spec ticker = { POP_TICK, "wpb-tick", 200, 100 };

/* Grow the population until /proc lists n processes. */
static int grow_to(int n)
{
	int host = pop_count_host(), want = n - host;

	for (int i = 0; i < want && nkids < MAX_KIDS; i++) {
		const struct pop_spec *s = &sleeper;
		pid_t pid;

		if (!nspin) {
			s = &spinner;
			nspin++;
		} else if (nticks < n / 100) {
			s = &ticker;
			nticks++;
		}
		pid = s == &sleeper ? pop_spawn_sleeper(s->comm) : pop_spawn(s);
		if (pid < 0) {
			fprintf(stderr, "scale: fork failed after %d children: %s\n", nkids,
				strerror(errno));
			return -errno;
		}
		kids[nkids++] = pid;
	}
	/* let the children reach their first sleep */
	bench_sleep(0.5 + nkids / 20000.0);
	return pop_count_host();
}

static double cpu_now(void)
{
	return bench_now(CLOCK_PROCESS_CPUTIME_ID);
}

static void usage(const char *argv0)
{
	fprintf(stderr, "usage: %s [-n N,N,...] [-r ROUNDS] [-w WARMUP] [-i SECONDS] [-o RESULTS] "
		"[-x CMD] [-t TASKITER.bpf.o]\n", argv0);
}

int main(int argc, char **argv)
{
	int sizes[MAX_SIZES] = { 100, 1000, 10000 }, nsizes = 3, rounds = 10, warmup = 2, opt;
	const char *results = NULL, *hook = NULL, *iter_obj = NULL;
	double interval = 1.0;
	int err = 0;

	while ((opt = getopt(argc, argv, "n:r:w:i:o:x:t:h")) != -1) {
		switch (opt) {
		case 'n':
			nsizes = 0;
			for (char *t = strtok(optarg, ","); t && nsizes < MAX_SIZES; t = strtok(NULL, ","))
				sizes[nsizes++] = atoi(t);
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		case 'w':
			warmup = atoi(optarg);
			break;
		case 'i':
			interval = atof(optarg);
			break;
		case 'o':
			results = optarg;
			break;
		case 'x':
			hook = optarg;
			break;
		case 't':
			iter_obj = optarg;
			break;
		default:
			usage(argv[0]);
			return 2;
		}
	}
	if (rounds < 1 || rounds > MAX_ROUNDS || interval <= 0 || !nsizes) {
		usage(argv[0]);
		return 2;
	}
	if (bench_results_open(results))
		return 1;

	printf("| live processes | wattprobe sample, CPU us (median) | min..max | /proc scan, CPU us (median) | min..max | /proc / wattprobe (median of intervals) | processes charged by wattprobe per interval |%s\n",
	       iter_obj ? " prototype without sched_switch: task iterator, CPU us (median) |" : "");
	printf("|---:|---:|---:|---:|---:|---:|---:|%s\n", iter_obj ? "---:|" : "");
	fflush(stdout);
	for (int k = 0; k < nsizes && !err; k++) {
		struct sampler_opts o = {
			.interval_s = interval, .sensors = "model", .idle_w = -1,
			.max_procs = 32768,
		};
		double a[MAX_ROUNDS], p[MAX_ROUNDS], ratio[MAX_ROUNDS], active[MAX_ROUNDS], it[MAX_ROUNDS];
		static struct sampler s;
		struct taskiter ti = {};
		struct procscan ps;
		char errbuf[512];
		int live = grow_to(sizes[k]);

		if (live < 0) {
			err = live;
			break;
		}
		if (procscan__init(&ps, 65536)) {
			err = -ENOMEM;
			break;
		}
		err = sampler__open(&s, &o, errbuf, sizeof(errbuf));
		if (err) {
			fprintf(stderr, "scale: %s\n", errbuf);
			procscan__free(&ps);
			break;
		}
		if (iter_obj) {
			err = taskiter__open(&ti, iter_obj, 65536);
			if (err) {
				fprintf(stderr, "scale: failed to load %s: %s\n", iter_obj, strerror(-err));
				sampler__close(&s);
				procscan__free(&ps);
				break;
			}
			taskiter__sample(&ti);
		}
		procscan__scan(&ps);
		for (int r = -warmup; r < rounds && !err; r++) {
			double t[3] = {};

			bench_sleep(interval);
			/* rotate which goes first */
			for (int k = 0; k < 3 && !err; k++) {
				int m = (k + (r + warmup)) % 3;
				double t0 = cpu_now();

				if (m == 0) {
					err = sampler__sample(&s);
					sampler__done(&s);
				} else if (m == 1) {
					procscan__scan(&ps);
				} else if (iter_obj) {
					int n = taskiter__sample(&ti);

					err = n < 0 ? n : 0;
				}
				t[m] = cpu_now() - t0;
			}
			if (err) {
				fprintf(stderr, "scale: sample failed: %s\n", strerror(-err));
				break;
			}
			if (r < 0)
				continue;
			a[r] = t[0] * 1e6;
			p[r] = t[1] * 1e6;
			it[r] = t[2] * 1e6;
			ratio[r] = t[1] / t[0];
			active[r] = s.cur.nr_procs;
		}
		sampler__close(&s);
		procscan__free(&ps);
		if (iter_obj)
			taskiter__close(&ti);
		if (err)
			break;
		{
			double ma, mp, mr, mact, amin = bench_min(a, rounds), amax = bench_max(a, rounds);
			double pmin = bench_min(p, rounds), pmax = bench_max(p, rounds);

			ma = bench_median(a, rounds);
			mp = bench_median(p, rounds);
			mr = bench_median(ratio, rounds);
			mact = bench_median(active, rounds);
			printf("| %d | %.0f | %.0f..%.0f | %.0f | %.0f..%.0f | %.1f | %.0f |", live, ma,
			       amin, amax, mp, pmin, pmax, mr, mact);
			if (iter_obj) {
				double mit = bench_median(it, rounds);

				printf(" %.0f |", mit);
				bench_result("scale.iter_us", "%d %.1f", sizes[k], mit);
			}
			putchar('\n');
			fflush(stdout);
			bench_result("scale.procs", "%d %d", sizes[k], live);
			bench_result("scale.agent_us", "%d %.1f", sizes[k], ma);
			bench_result("scale.proc_us", "%d %.1f", sizes[k], mp);
			bench_result("scale.ratio", "%d %.2f", sizes[k], mr);
			bench_result("scale.active", "%d %.0f", sizes[k], mact);
		}
		if (hook) {
			char env[32];

			snprintf(env, sizeof(env), "%d", pop_count_host());
			setenv("WP_BENCH_PROCS", env, 1);
			setenv("WP_BENCH_SIZE", "", 1);
			snprintf(env, sizeof(env), "%d", sizes[k]);
			setenv("WP_BENCH_SIZE", env, 1);
			fflush(stdout);
			if (system(hook) != 0)
				fprintf(stderr, "scale: %s failed\n", hook);
		}
	}
	printf("\n%d intervals of %.2f s after %d of warm-up, order rotated; population: 1 spinning, "
	       "1%% waking every 100 ms for 200 us of CPU, the rest asleep\n", rounds, interval,
	       warmup);
	bench_result("scale.rounds", "%d", rounds);
	bench_result("scale.interval", "%.2f", interval);
	pop_kill_all(kids, nkids);
	return err ? 1 : 0;
}

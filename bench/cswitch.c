// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * cswitch: how much slower a context-switch-heavy workload runs with the
 * agent attached.
 *
 * Opens the agent's sampling core (sampler__open: the BPF object loaded and
 * attached, as `wattprobe` does), and a thread that takes a sample every
 * interval while attached, as the agent's loop does. Then, for each round,
 * runs the workload once detached (wattprobe_bpf__detach: no BPF program on
 * any tracepoint) and once attached, in an order swapped every round, so
 * that the two runs of a pair are a fraction of a second apart. The time is
 * the one the workload prints beside the marker (-m, in -u UNIT), else its
 * wall time.
 * The slowdown is the median over rounds of attached/detached - 1.
 */
#include <getopt.h>
#include <pthread.h>
#include "bench.h"
#include "sample/sampler.h"
#include "lib/util.h"
#include "wattprobe.skel.h"

#define MAX_ROUNDS	256

static struct sampler S;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static int attached = 1, stop, aa_test;
static double interval = 1.0;
static unsigned long samples;

static void *sampling(void *arg)
{
	struct timespec next;

	clock_gettime(CLOCK_REALTIME, &next);
	pthread_mutex_lock(&lock);
	while (!stop) {
		long ns = next.tv_nsec + (long)((interval - (long)interval) * 1e9);

		next.tv_sec += (time_t)interval + ns / 1000000000L;
		next.tv_nsec = ns % 1000000000L;
		while (!stop && pthread_cond_timedwait(&wake, &lock, &next) != ETIMEDOUT)
			;
		if (attached && !stop && !sampler__sample(&S)) {
			sampler__done(&S);
			samples++;
		}
	}
	pthread_mutex_unlock(&lock);
	return NULL;
}

static int set_attached(int on)
{
	int err = 0;

	if (aa_test)	/* -A: both runs detached, to see the method's own bias */
		on = 0;
	pthread_mutex_lock(&lock);
	if (on && !attached)
		err = wattprobe_bpf__attach(S.probe.skel);
	else if (!on && attached)
		wattprobe_bpf__detach(S.probe.skel);
	if (!err)
		attached = on;
	pthread_mutex_unlock(&lock);
	return err;
}

static void usage(const char *argv0)
{
	fprintf(stderr, "usage: %s [-A] [-r ROUNDS] [-i SECONDS] [-m MARKER [-u UNIT]] [-n NAME] [-o RESULTS] "
		"-- WORKLOAD...\n", argv0);
}

int main(int argc, char **argv)
{
	struct sampler_opts o = { .sensors = "model", .idle_w = -1, .max_procs = 32768 };
	double off[MAX_ROUNDS], on[MAX_ROUNDS], slow[MAX_ROUNDS];
	const char *marker = NULL, *name = "workload", *unit = "s";
	int rounds = 15, opt, err = 0;
	char errbuf[512];
	pthread_t thr;

	while ((opt = getopt(argc, argv, "Ar:i:m:u:n:o:h")) != -1) {
		switch (opt) {
		case 'A':
			aa_test = 1;
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		case 'i':
			interval = atof(optarg);
			break;
		case 'm':
			marker = optarg;
			break;
		case 'u':
			unit = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'o':
			if (bench_results_open(optarg))
				return 1;
			break;
		default:
			usage(argv[0]);
			return 2;
		}
	}
	if (optind >= argc || rounds < 1 || rounds > MAX_ROUNDS || interval <= 0) {
		usage(argv[0]);
		return 2;
	}
	o.interval_s = interval;
	err = sampler__open(&S, &o, errbuf, sizeof(errbuf));
	if (err) {
		fprintf(stderr, "cswitch: %s\n", errbuf);
		return 1;
	}
	if (pthread_create(&thr, NULL, sampling, NULL)) {
		sampler__close(&S);
		return 1;
	}
	/* one of each first, not counted: page cache, binaries, BPF warm */
	for (int r = -1; r < rounds && !err; r++) {
		double t[2];

		for (int k = 0; k < 2 && !err; k++) {
			int state = (r & 1) ? !k : k;	/* 0 detached, 1 attached */

			err = set_attached(state);
			if (!err) {
				t[state] = bench_run_time(argv + optind, marker);
				if (t[state] <= 0)
					err = -ECHILD;
			}
		}
		if (err || r < 0)
			continue;
		off[r] = t[0];
		on[r] = t[1];
		slow[r] = t[1] / t[0] - 1;
	}
	pthread_mutex_lock(&lock);
	stop = 1;
	pthread_cond_signal(&wake);
	pthread_mutex_unlock(&lock);
	pthread_join(thr, NULL);
	set_attached(1);
	if (err) {
		fprintf(stderr, "cswitch: %s\n", err == -ECHILD ? "the workload failed or printed no time"
				 : strerror(-err));
		sampler__close(&S);
		return 1;
	}
	{
		double smin = bench_min(slow, rounds), smax = bench_max(slow, rounds);
		double moff = bench_median(off, rounds), mon = bench_median(on, rounds);
		double ms = bench_median(slow, rounds), lo, hi;

		bench_median_ci(slow, rounds, &lo, &hi);
		printf("| %s | %.3f %s | %.3f %s | %+.1f%% | %+.1f%%..%+.1f%% | %+.1f%%..%+.1f%% |\n", name,
		       moff, unit, mon, unit, ms * 100, lo * 100, hi * 100, smin * 100, smax * 100);
		bench_result("cswitch.slowdown", "%s %.4f", name, ms);
		bench_result("cswitch.slowdown_ci", "%s %.4f %.4f", name, lo, hi);
		bench_result("cswitch.off", "%s %.4f", name, moff);
		bench_result("cswitch.on", "%s %.4f", name, mon);
		bench_result("cswitch.samples", "%s %lu", name, samples);
	}
	sampler__close(&S);
	return 0;
}

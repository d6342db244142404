// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * fakeqemu [QEMU OPTIONS]...: a process that looks like a QEMU guest to wattprobe, for the
 * tests of --group-by vm and --vm-export. Run it through a symlink named
 * qemu-system-x86_64 (the process's name is the file's) with the options libvirt gives
 * QEMU: "-smp N" starts N vCPU threads, each busy FAKEQEMU_DUTY percent (default 50) of
 * every 100 ms, the main thread sleeps; every other option (-name ...) is ignored. Runs
 * until SIGTERM or SIGINT, then exits 0.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_VCPUS 64
#define PERIOD_NS 100000000LL

static volatile sig_atomic_t stop;
static long long busy_ns;

static long long now(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* A vCPU: busy busy_ns of its own CPU time every period, asleep the rest. */
static void *vcpu(void *arg)
{
	while (!stop) {
		long long t0 = now(CLOCK_MONOTONIC), cpu0 = now(CLOCK_THREAD_CPUTIME_ID);
		struct timespec rest = { 0, 0 };

		while (now(CLOCK_THREAD_CPUTIME_ID) - cpu0 < busy_ns &&
		       now(CLOCK_MONOTONIC) - t0 < PERIOD_NS && !stop)
			;
		rest.tv_nsec = PERIOD_NS - (now(CLOCK_MONOTONIC) - t0);
		if (rest.tv_nsec > 0)
			nanosleep(&rest, NULL);
	}
	return arg;
}

static void on_signal(int sig)
{
	stop = 1;
}

int main(int argc, char **argv)
{
	const char *duty = getenv("FAKEQEMU_DUTY");
	pthread_t threads[MAX_VCPUS];
	sigset_t sigs;
	int vcpus = 1;
	double pct;

	for (int i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], "-smp"))
			vcpus = atoi(argv[i + 1]);	/* "2,sockets=1": atoi reads the 2 */
	pct = duty ? atof(duty) : 50;
	if (vcpus < 1 || vcpus > MAX_VCPUS || pct < 0 || pct > 100) {
		fprintf(stderr, "fakeqemu: -smp 1 to %d, FAKEQEMU_DUTY 0 to 100\n", MAX_VCPUS);
		return 2;
	}
	busy_ns = (long long)(PERIOD_NS * pct / 100);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	/* the signals are the main thread's: the vCPUs are started with them blocked */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	for (int i = 0; i < vcpus; i++)
		if (pthread_create(&threads[i], NULL, vcpu, NULL)) {
			fprintf(stderr, "fakeqemu: failed to start a vCPU thread\n");
			return 1;
		}
	pthread_sigmask(SIG_UNBLOCK, &sigs, NULL);
	while (!stop)
		pause();
	for (int i = 0; i < vcpus; i++)
		pthread_join(threads[i], NULL);
	return 0;
}

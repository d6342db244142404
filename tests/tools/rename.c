// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * rename NAME PERCENT [ARGS...]: name this process NAME with prctl(PR_SET_NAME)
 * (any bytes: a hostile name, as any local user may choose), then use about
 * PERCENT of one CPU, for at most 120 s or until killed. The arguments stay
 * in its command line. For tests/sh/top.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <time.h>

static long long now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	struct timespec pause;
	long long end, busy;
	int percent;

	if (argc < 3 || (percent = atoi(argv[2])) < 1 || percent > 100) {
		fprintf(stderr, "usage: rename NAME PERCENT [ARGS...]\n");
		return 2;
	}
	if (prctl(PR_SET_NAME, argv[1], 0, 0, 0)) {
		perror("rename: prctl(PR_SET_NAME)");
		return 1;
	}
	/* periods of 10 ms: busy for percent of it, asleep for the rest */
	busy = percent * 100000LL;
	pause = (struct timespec){ .tv_nsec = 10000000L - busy };
	end = now_ns(CLOCK_MONOTONIC) + 120 * 1000000000LL;
	while (now_ns(CLOCK_MONOTONIC) < end) {
		long long t = now_ns(CLOCK_MONOTONIC) + busy;

		while (now_ns(CLOCK_MONOTONIC) < t)
			;
		if (pause.tv_nsec)
			nanosleep(&pause, NULL);
	}
	return 0;
}

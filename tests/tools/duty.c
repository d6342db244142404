// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* duty SECONDS PERCENT [ARG]...: for SECONDS of wall time, be busy PERCENT of
 * every 100 ms and sleep the rest, then exit. A process of steady moderate
 * load with a name of its own (run it through a symlink) and, with more
 * arguments (ignored), a command line as long as wanted, for the tests of
 * Prometheus series under churn and of JSON lines. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static long long now(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	double secs, pct;
	long long end, period = 100000000LL, busy;

	if (argc < 3 || (secs = atof(argv[1])) <= 0 || (pct = atof(argv[2])) <= 0 || pct > 100) {
		fprintf(stderr, "usage: duty SECONDS PERCENT [ARG]...\n");
		return 2;
	}
	busy = (long long)(period * pct / 100);
	end = now(CLOCK_MONOTONIC) + (long long)(secs * 1e9);
	while (now(CLOCK_MONOTONIC) < end) {
		long long t0 = now(CLOCK_MONOTONIC), cpu0 = now(CLOCK_PROCESS_CPUTIME_ID);
		struct timespec rest;

		while (now(CLOCK_PROCESS_CPUTIME_ID) - cpu0 < busy && now(CLOCK_MONOTONIC) - t0 < period)
			;
		rest.tv_sec = 0;
		rest.tv_nsec = period - (now(CLOCK_MONOTONIC) - t0);
		if (rest.tv_nsec > 0)
			nanosleep(&rest, NULL);
	}
	return 0;
}

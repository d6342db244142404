// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* burn MS: use MS milliseconds of CPU time, then exit. A short-lived process
 * with a name of its own, for the tests of short-lived work. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
	struct timespec ts;
	long long ms, end;

	if (argc != 2 || (ms = atoll(argv[1])) <= 0) {
		fprintf(stderr, "usage: burn MILLISECONDS\n");
		return 2;
	}
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	end = ts.tv_sec * 1000000000LL + ts.tv_nsec + ms * 1000000LL;
	do
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	while (ts.tv_sec * 1000000000LL + ts.tv_nsec < end);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * loadsteps: keep CPUs busy a given share of the time, step after step, for
 * measurements of how wattprobe follows load (bench/curves.sh).
 */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "kernel/topology.h"

#define MAX_STEPS	1024

static const char usage_text[] =
"NAME\n"
"        loadsteps - keep CPUs busy a given share of the time, step after step\n"
"\n"
"SYNOPSIS\n"
"        loadsteps [--cpus CPULIST] [--cycle-ms MS] [--nice N] SECONDS:SHARE...\n"
"\n"
"DESCRIPTION\n"
"        One process per CPU of CPULIST (default: every online CPU), pinned to\n"
"        it, is busy SHARE (0 to 1) of every cycle (default 20 ms) for SECONDS,\n"
"        then goes on to the next step; loadsteps exits 0 after the last one.\n"
"        The processes run at nice N (default 10), so that what measures them\n"
"        (fakerapl, the agent) keeps its CPU time. A step's SHARE may differ per\n"
"        CPU: SECONDS:SHARE0/SHARE1/... gives CPU k the k-th share (the last one\n"
"        for the CPUs beyond).\n"
"\n"
"EXAMPLES\n"
"        loadsteps 30:0.5 3:0 30:1\n"
"        loadsteps --cpus 0,1 10:0.2/0.9 10:0.9/0.2\n"
"\n"
"EXIT STATUS\n"
"        0 after the last step; 1 when a process cannot start; 2 on a bad command\n"
"        line.\n";

struct step {
	double seconds;
	double share[8];
	int nr_shares;
};

static int usage_error(const char *what, const char *arg)
{
	fprintf(stderr, "loadsteps: invalid %s '%s'\nTry 'loadsteps --help'.\n", what, arg);
	return 2;
}

/* SECONDS:SHARE[/SHARE...] */
static int parse_step(const char *arg, struct step *st)
{
	char buf[256], *share, *end, *save = NULL;

	if (snprintf(buf, sizeof(buf), "%s", arg) >= (int)sizeof(buf) || !(share = strchr(buf, ':')))
		return -EINVAL;
	*share++ = '\0';
	errno = 0;
	st->seconds = strtod(buf, &end);
	if (errno || end == buf || *end || !(st->seconds >= 0 && st->seconds <= 86400))
		return -EINVAL;
	st->nr_shares = 0;
	for (char *tok = strtok_r(share, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		double v = strtod(tok, &end);

		if (end == tok || *end || !(v >= 0 && v <= 1) || st->nr_shares == 8)
			return -EINVAL;
		st->share[st->nr_shares++] = v;
	}
	return st->nr_shares ? 0 : -EINVAL;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void run(int cpu, int index, const struct step *steps, int n, double cycle)
{
	double t = now_s();
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		_exit(1);
	for (int s = 0; s < n; s++) {
		const struct step *st = &steps[s];
		double share = st->share[index < st->nr_shares ? index : st->nr_shares - 1];
		double end = t + st->seconds;

		while ((t = now_s()) < end) {
			double busy_end = t + share * cycle, next = t + cycle;

			while (now_s() < busy_end)
				;
			if (share < 1 && next > now_s())
				usleep((useconds_t)((next - now_s()) * 1e6));
		}
	}
	_exit(0);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cpus", required_argument, NULL, 'c' },
		{ "cycle-ms", required_argument, NULL, 'y' },
		{ "nice", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	static struct step steps[MAX_STEPS];
	static bool cpus[WP_MAX_CPUS];
	pid_t pids[WP_MAX_CPUS];
	double cycle = 0.02;
	int c, n = 0, nr = 0, niceness = 10, ret = 0;
	char *end;

	for (long i = 0; i < sysconf(_SC_NPROCESSORS_ONLN) && i < WP_MAX_CPUS; i++)
		cpus[i] = true;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (cpulist_parse(optarg, cpus, WP_MAX_CPUS))
				return usage_error("--cpus", optarg);
			break;
		case 'y':
			cycle = strtod(optarg, &end) / 1e3;
			if (end == optarg || *end || !(cycle >= 0.001 && cycle <= 10))
				return usage_error("--cycle-ms", optarg);
			break;
		case 'n':
			niceness = (int)strtol(optarg, &end, 10);
			if (end == optarg || *end || niceness < -20 || niceness > 19)
				return usage_error("--nice", optarg);
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			return 2;
		}
	}
	for (int i = optind; i < argc; i++) {
		if (n == MAX_STEPS || parse_step(argv[i], &steps[n]))
			return usage_error("step (SECONDS:SHARE[/SHARE...])", argv[i]);
		n++;
	}
	if (!n)
		return usage_error("command line", "no step");
	for (int cpu = 0; cpu < WP_MAX_CPUS; cpu++) {
		if (!cpus[cpu])
			continue;
		pids[nr] = fork();
		if (pids[nr] < 0) {
			perror("loadsteps: failed to start a process");
			ret = 1;
			break;
		}
		if (!pids[nr]) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (setpriority(PRIO_PROCESS, 0, niceness))
				_exit(1);
			run(cpu, nr, steps, n, cycle);
		}
		nr++;
	}
	for (int i = 0; i < nr; i++) {
		int status;

		if (ret)
			kill(pids[i], SIGKILL);
		if (waitpid(pids[i], &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
			ret = 1;
	}
	return ret;
}

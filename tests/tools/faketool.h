/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * What the fake sensor trees (fakerapl, fakehwmon) share: stopping on SIGTERM or
 * SIGINT, usage errors (status 2, named by the program), watts on the command line,
 * making the tree's folders, and each CPU's busy time from /proc/stat. Each tool is
 * one C file and one program (the Makefile makes a program of each .c there):
 * this header holds static functions, included once by each.
 */
#ifndef __FAKETOOL_H
#define __FAKETOOL_H

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FAKE_MAX_WATTS	1e5	/* the most watts a tool takes for anything */

/* Set once SIGTERM or SIGINT came: the tool's loop ends, it cleans up, exits 0. */
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* SIGTERM and SIGINT set stop. */
static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

/* "TOOL: message" and where to look, on stderr; returns 2, the status of a usage error. */
static int __attribute__((format(printf, 1, 2))) usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", program_invocation_short_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help'.\n", program_invocation_short_name);
	return 2;
}

/* A whole string of watts, 0 to FAKE_MAX_WATTS: 0, or -EINVAL. */
static int parse_watts(const char *s, double *w)
{
	char *end;

	errno = 0;
	*w = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(*w) || *w < 0 || *w > FAKE_MAX_WATTS)
		return -EINVAL;
	return 0;
}

/* mkdir -p PATH (mode 0755): 0, or -errno. */
static int mkdir_p(const char *path)
{
	char buf[PATH_MAX], *p;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (p = buf + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

/* Clock ticks per second, /proc/stat's unit. */
static long stat_hz(void)
{
	static long hz;

	if (!hz)
		hz = sysconf(_SC_CLK_TCK);
	return hz;
}

/*
 * Each CPU's busy time from /proc/stat (user + nice + system + irq + softirq;
 * guest time is inside user), in clock ticks (stat_hz()): what the scheduler
 * tick saw running, so tasks that run briefly between ticks go missing.
 * each(ctx, cpu, ticks) for every CPU below max_cpus. 0, or -errno.
 */
static int stat_busy(int max_cpus, void (*each)(void *ctx, int cpu, unsigned long long ticks),
		     void *ctx)
{
	unsigned long long v[7];
	char line[512];
	FILE *fp;
	int cpu;

	fp = fopen("/proc/stat", "re");
	if (!fp)
		return -errno;
	while (fgets(line, sizeof(line), fp)) {
		if (strncmp(line, "cpu", 3) || line[3] < '0' || line[3] > '9')
			continue;
		if (sscanf(line + 3, "%d %llu %llu %llu %llu %llu %llu %llu", &cpu, &v[0], &v[1],
			   &v[2], &v[3], &v[4], &v[5], &v[6]) != 8 || cpu < 0 || cpu >= max_cpus)
			continue;
		each(ctx, cpu, v[0] + v[1] + v[2] + v[5] + v[6]);
	}
	fclose(fp);
	return 0;
}

#endif /* __FAKETOOL_H */

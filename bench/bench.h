/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Small helpers shared by the bench programs: statistics, results, children. */
#ifndef __BENCH_H
#define __BENCH_H

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median of n values (n > 0); v is sorted in place. */
static inline double bench_median(double *v, int n)
{
	if (n <= 0)
		return 0;
	qsort(v, n, sizeof(*v), bench_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * A 95% confidence interval of the median of n values, from their order statistics
 * (distribution-free: the ranks n/2 -+ 1.96 sqrt(n)/2); v is sorted in place. With
 * few values it is the whole range.
 */
static inline void bench_median_ci(double *v, int n, double *lo, double *hi)
{
	double h = 0.98 * sqrt(n);
	int j = (int)floor(n / 2.0 - h), k = (int)ceil(n / 2.0 + 1 + h);

	*lo = *hi = 0;
	if (n <= 0)
		return;
	qsort(v, n, sizeof(*v), bench_cmp_double);
	j = j < 1 ? 1 : j;
	k = k > n ? n : k;
	*lo = v[j - 1];
	*hi = v[k - 1];
}

static inline double bench_min(const double *v, int n)
{
	double m = n > 0 ? v[0] : 0;

	for (int i = 1; i < n; i++)
		if (v[i] < m)
			m = v[i];
	return m;
}

static inline double bench_max(const double *v, int n)
{
	double m = n > 0 ? v[0] : 0;

	for (int i = 1; i < n; i++)
		if (v[i] > m)
			m = v[i];
	return m;
}

static inline double bench_now(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline void bench_sleep(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Results for bench/run.sh's summary: one "key value" line each, appended. */
static FILE *bench_results;

static inline int bench_results_open(const char *path)
{
	if (!path)
		return 0;
	bench_results = fopen(path, "a");
	if (!bench_results) {
		fprintf(stderr, "failed to open %s: %s\n", path, strerror(errno));
		return -errno;
	}
	setvbuf(bench_results, NULL, _IOLBF, 0);
	return 0;
}

__attribute__((format(printf, 2, 3)))
static inline void bench_result(const char *key, const char *fmt, ...)
{
	va_list ap;

	if (!bench_results)
		return;
	fprintf(bench_results, "%s ", key);
	va_start(ap, fmt);
	vfprintf(bench_results, fmt, ap);
	va_end(ap);
	fputc('\n', bench_results);
}

/* Run argv to completion with stdout and stderr to /dev/null (unless keep_output);
 * returns its wall time in seconds, or a negative value on failure. */
static inline double bench_run_wall(char *const argv[], int keep_output)
{
	double t0 = bench_now(CLOCK_MONOTONIC);
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (!pid) {
		if (!keep_output && !freopen("/dev/null", "w", stdout))
			_exit(127);
		if (!keep_output && !freopen("/dev/null", "w", stderr))
			_exit(127);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		return -1;
	return bench_now(CLOCK_MONOTONIC) - t0;
}

/*
 * The number out shows beside marker: after it ("Total time: 0.054 [sec]"), or, when
 * no number follows, right before it ("5.412300 usecs/op"); -1 if neither. perf bench
 * prints its total time to the millisecond only, 2% of a 50 ms run: its usecs/op
 * carries the same time to the microsecond.
 */
static inline double bench_number_at(const char *out, const char *marker)
{
	const char *m = strstr(out, marker), *p;
	double v;

	if (!m)
		return -1;
	p = m + strlen(marker) + strspn(m + strlen(marker), " \t");	/* on the same line */
	if ((isdigit((unsigned char)*p) || *p == '.' || *p == '-') && sscanf(p, "%lf", &v) == 1)
		return v;
	for (p = m; p > out && p[-1] == ' '; p--)
		;
	while (p > out && (isdigit((unsigned char)p[-1]) || p[-1] == '.'))
		p--;
	return sscanf(p, "%lf", &v) == 1 && p < m ? v : -1;
}

/* Run argv to completion; the number it prints beside `marker` (bench_number_at), or
 * (marker NULL or empty) its wall time, in seconds; a negative value on failure. */
static inline double bench_run_time(char *const argv[], const char *marker)
{
	double t0 = bench_now(CLOCK_MONOTONIC);
	char buf[8192];
	size_t len = 0;
	int fds[2], status;
	pid_t pid;

	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		dup2(fds[1], STDOUT_FILENO);
		dup2(fds[1], STDERR_FILENO);
		close(fds[0]);
		close(fds[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	for (ssize_t n; (n = read(fds[0], buf + len, sizeof(buf) - 1 - len)) > 0;)
		len += n;
	close(fds[0]);
	buf[len] = '\0';
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		return -1;
	if (!marker || !*marker)
		return bench_now(CLOCK_MONOTONIC) - t0;
	return bench_number_at(buf, marker);
}

#endif /* __BENCH_H */

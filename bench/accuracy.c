// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * accuracy: per-process CPU time from wattprobe's sampling core and from the
 * /proc method (bench/procscan.h), against the kernel's own accounting.
 *
 * Steady processes (busy: spins; half: 5 ms on, 5 ms off; mostly idle: 0.5 ms
 * every 50 ms) against /proc/PID/schedstat (sum_exec_runtime, ns), read right
 * after each method's sample: the error of the total over the run and the
 * median error of one interval.
 *
 * Short-lived bursts: a launcher forks processes that each burn 2-6 ms of CPU
 * and exit, one every ~15 ms, reaps them and reports their total through
 * getrusage(RUSAGE_CHILDREN); wattprobe's figure is the sum of what it
 * charged to their pids over the intervals, the /proc method's the sum of the
 * ticks it saw them with.
 */
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <sys/resource.h>
#include "bench.h"
#include "population.h"
#include "procscan.h"
#include "sample/sampler.h"

#define MAX_IV		64
#define MAX_BURSTS	4096

enum { C_BUSY, C_HALF, C_IDLE, NR_CLASSES };

static const struct pop_spec classes[NR_CLASSES] = {
	{ POP_SPIN, "wpb-busy", 0, 0 },
	{ POP_HALF, "wpb-half", 5000, 0 },
	{ POP_TICK, "wpb-idle", 500, 50 },
};

static const char *const class_names[NR_CLASSES] = {
	"busy (100% of a CPU)", "half-busy (5 ms on / 5 ms off)", "mostly idle (0.5 ms every 50 ms)",
};

static double schedstat_ns(pid_t pid)
{
	char path[64], buf[256];
	unsigned long long ns = 0;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", pid);
	if (ps_read(path, buf, sizeof(buf)) <= 0 || sscanf(buf, "%llu", &ns) != 1)
		return -1;
	return (double)ns;
}

static double agent_ns_of(const struct sampler *s, pid_t pid)
{
	for (__u32 i = 0; i < s->cur.nr_procs; i++)
		if (s->cur.procs[i]->tgid == (__u32)pid)
			return (double)s->cur.procs[i]->iv.ns;
	return 0;
}

static double rel_err(double measured, double truth)
{
	return truth > 0 ? (measured - truth) / truth : 0;
}

/* --- bursts ---------------------------------------------------------------- */

static pid_t burst_pids[MAX_BURSTS];
static int nburst_pids;

/* The launcher: forks `count` bursts over about `seconds`, reaps them, writes
 * each pid as it goes and, last, the bursts' rusage total in ns as a negative
 * number. */
static pid_t start_launcher(int count, double seconds, int *rfd)
{
	int fds[2];
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid) {
		close(fds[1]);
		*rfd = fds[0];
		fcntl(*rfd, F_SETFL, O_NONBLOCK);
		return pid;
	}
	close(fds[0]);
	prctl(PR_SET_NAME, "wpb-launch");
	for (int i = 0; i < count; i++) {
		struct pop_spec none = { POP_SLEEP, NULL, 0, 0 };
		pid_t b = fork();
		long long v;

		(void)none;
		if (!b) {
			prctl(PR_SET_NAME, "wpb-burst");
			pop_burn_us(2000 + (i * 397) % 4000);
			_exit(0);
		}
		v = b;
		if (write(fds[1], &v, sizeof(v)) != sizeof(v))
			_exit(1);
		pop_nap_us((long)(seconds * 1e6 / count));
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	}
	while (wait(NULL) > 0)
		;
	{
		struct rusage ru;
		long long v;

		getrusage(RUSAGE_CHILDREN, &ru);
		v = -((long long)ru.ru_utime.tv_sec * 1000000000LL + ru.ru_utime.tv_usec * 1000LL +
		      (long long)ru.ru_stime.tv_sec * 1000000000LL + ru.ru_stime.tv_usec * 1000LL);
		if (write(fds[1], &v, sizeof(v)) != sizeof(v))
			_exit(1);
	}
	_exit(0);
}

/* Read what the launcher wrote so far; its total once it came. */
static void drain_launcher(int fd, double *truth)
{
	long long v;

	while (read(fd, &v, sizeof(v)) == sizeof(v)) {
		if (v < 0)
			*truth = (double)-v;
		else if (nburst_pids < MAX_BURSTS)
			burst_pids[nburst_pids++] = (pid_t)v;
	}
}

static bool is_burst(__u32 pid)
{
	for (int i = 0; i < nburst_pids; i++)
		if ((__u32)burst_pids[i] == pid)
			return true;
	return false;
}

/* Every charge of one interval, kept to be matched with the burst pids at the end. */
struct charge {
	__u32 pid;
	double ns;
};

static struct charge *agent_charges, *proc_charges;
static int nagent, nproc, capagent, capproc;

static void keep(struct charge **v, int *n, int *cap, __u32 pid, double ns)
{
	if (*n == *cap) {
		int c = *cap ? *cap * 2 : 4096;
		struct charge *x = realloc(*v, c * sizeof(*x));

		if (!x)
			return;
		*v = x;
		*cap = c;
	}
	(*v)[(*n)++] = (struct charge){ pid, ns };
}

static void usage(const char *argv0)
{
	fprintf(stderr, "usage: %s [-r INTERVALS] [-i SECONDS] [-b BURSTS] [-o RESULTS]\n", argv0);
}

int main(int argc, char **argv)
{
	struct sampler_opts o = { .sensors = "model", .idle_w = -1, .max_procs = 32768 };
	double interval = 1.0, a_err[NR_CLASSES][MAX_IV], p_err[NR_CLASSES][MAX_IV];
	double a_sum[NR_CLASSES] = {}, p_sum[NR_CLASSES] = {};
	double ta_first[NR_CLASSES], tp_first[NR_CLASSES], ta_prev[NR_CLASSES], tp_prev[NR_CLASSES];
	double burst_truth = -1, burst_agent = 0, burst_proc = 0;
	int intervals = 5, bursts = 150, opt, err = 0, rfd = -1, niv = 0;
	pid_t kids[NR_CLASSES], launcher;
	static struct sampler s;
	struct procscan ps;
	char errbuf[512];

	while ((opt = getopt(argc, argv, "r:i:b:o:h")) != -1) {
		switch (opt) {
		case 'r':
			intervals = atoi(optarg);
			break;
		case 'i':
			interval = atof(optarg);
			break;
		case 'b':
			bursts = atoi(optarg);
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
	if (intervals < 1 || intervals > MAX_IV || interval <= 0 || bursts < 1 ||
	    bursts > MAX_BURSTS) {
		usage(argv[0]);
		return 2;
	}
	o.interval_s = interval;
	if (procscan__init(&ps, 65536))
		return 1;
	for (int c = 0; c < NR_CLASSES; c++)
		kids[c] = pop_spawn(&classes[c]);
	bench_sleep(0.2);
	err = sampler__open(&s, &o, errbuf, sizeof(errbuf));
	if (err) {
		fprintf(stderr, "accuracy: %s\n", errbuf);
		goto cleanup;
	}

	/*
	 * --- steady processes ---
	 * Stopped (SIGSTOP) for the first and the last sample, so that the
	 * totals compare the same instants; running for the ones between, whose
	 * single-interval errors include the up to one tick by which a running
	 * task's sum lags (in /proc/PID/schedstat as in wattprobe's snapshot).
	 */
	for (int r = -1; r <= intervals && !err; r++) {
		bool edge = r < 0 || r == intervals;

		if (edge) {
			for (int c = 0; c < NR_CLASSES; c++)
				kill(kids[c], SIGSTOP);
			bench_sleep(0.05);
		}
		if (r >= 0)
			bench_sleep(interval);
		err = sampler__sample(&s);
		sampler__done(&s);
		for (int c = 0; c < NR_CLASSES; c++) {
			double t = schedstat_ns(kids[c]), a = agent_ns_of(&s, kids[c]);

			if (r < 0) {
				ta_first[c] = ta_prev[c] = t;
				continue;
			}
			a_sum[c] += a;
			if (r < intervals)
				a_err[c][r] = fabs(rel_err(a, t - ta_prev[c]));
			ta_prev[c] = t;
		}
		procscan__scan(&ps);
		for (int c = 0; c < NR_CLASSES; c++) {
			double t = schedstat_ns(kids[c]);
			struct ps_entry *e = procscan__by_pid(&ps, kids[c]);
			double p = e ? procscan__ns(&ps, e->delta) : 0;

			if (r < 0) {
				tp_first[c] = tp_prev[c] = t;
				continue;
			}
			p_sum[c] += p;
			if (r < intervals)
				p_err[c][r] = fabs(rel_err(p, t - tp_prev[c]));
			tp_prev[c] = t;
		}
		if (r >= 0 && r < intervals)
			niv++;
		if (edge && r < 0)
			for (int c = 0; c < NR_CLASSES; c++)
				kill(kids[c], SIGCONT);
	}
	if (err) {
		fprintf(stderr, "accuracy: sample failed: %s\n", strerror(-err));
		goto cleanup;
	}
	pop_kill_all(kids, NR_CLASSES);
	for (int c = 0; c < NR_CLASSES; c++)
		kids[c] = 0;

	printf("| process | truth | wattprobe error, total | wattprobe error, one interval (median abs) | /proc error, total | /proc error, one interval (median abs) |\n");
	printf("|---|---|---:|---:|---:|---:|\n");
	for (int c = 0; c < NR_CLASSES; c++) {
		double ea = rel_err(a_sum[c], ta_prev[c] - ta_first[c]);
		double ep = rel_err(p_sum[c], tp_prev[c] - tp_first[c]);
		double ma = bench_median(a_err[c], niv), mp = bench_median(p_err[c], niv);
		static const char *const key[NR_CLASSES] = { "busy", "half", "idle" };

		printf("| %s | /proc/PID/schedstat, %.0f ms | %+.3f%% (%+.0f us) | %.3f%% | %+.2f%% (%+.0f us) | %.2f%% |\n",
		       class_names[c], (ta_prev[c] - ta_first[c]) / 1e6, ea * 100,
		       (a_sum[c] - (ta_prev[c] - ta_first[c])) / 1e3, ma * 100, ep * 100,
		       (p_sum[c] - (tp_prev[c] - tp_first[c])) / 1e3, mp * 100);
		bench_result("accuracy.agent_err", "%s %.5f", key[c], ea);
		bench_result("accuracy.agent_iv_err", "%s %.5f", key[c], ma);
		bench_result("accuracy.proc_err", "%s %.5f", key[c], ep);
		bench_result("accuracy.proc_iv_err", "%s %.5f", key[c], mp);
	}
	fflush(stdout);

	/* --- short-lived bursts --- */
	launcher = start_launcher(bursts, bursts * 0.015, &rfd);
	if (launcher < 0) {
		err = -errno;
		goto cleanup;
	}
	for (int r = 0; r < MAX_IV; r++) {
		bool done = burst_truth >= 0;

		bench_sleep(interval);
		err = sampler__sample(&s);
		for (__u32 i = 0; !err && i < s.cur.nr_procs; i++)
			if (s.cur.procs[i]->iv.ns)
				keep(&agent_charges, &nagent, &capagent, s.cur.procs[i]->tgid,
				     (double)s.cur.procs[i]->iv.ns);
		sampler__done(&s);
		procscan__scan(&ps);
		for (__u32 i = 0; i < ps.cap; i++) {
			struct ps_entry *e = &ps.pool[i];

			if (e->pid && e->seen == ps.scan && e->delta)
				keep(&proc_charges, &nproc, &capproc, e->pid, procscan__ns(&ps, e->delta));
		}
		drain_launcher(rfd, &burst_truth);
		/* one more interval after the last burst was reaped */
		if (done || err)
			break;
	}
	waitpid(launcher, NULL, 0);
	drain_launcher(rfd, &burst_truth);
	for (int i = 0; i < nagent; i++)
		if (is_burst(agent_charges[i].pid))
			burst_agent += agent_charges[i].ns;
	for (int i = 0; i < nproc; i++)
		if (is_burst(proc_charges[i].pid))
			burst_proc += proc_charges[i].ns;
	{
		int seen = 0;

		for (int b = 0; b < nburst_pids; b++)
			for (int i = 0; i < nproc; i++)
				if (proc_charges[i].pid == (__u32)burst_pids[b]) {
					seen++;
					break;
				}
		printf("| %d short-lived processes (2-6 ms of CPU each) | getrusage(RUSAGE_CHILDREN), %.1f ms | %+.3f%% (%+.0f us) | | %+.1f%% (saw %d of %d) | |\n",
		       nburst_pids, burst_truth / 1e6, rel_err(burst_agent, burst_truth) * 100,
		       (burst_agent - burst_truth) / 1e3, rel_err(burst_proc, burst_truth) * 100, seen,
		       nburst_pids);
		bench_result("accuracy.burst_agent_err", "%.5f", rel_err(burst_agent, burst_truth));
		bench_result("accuracy.burst_proc_err", "%.5f", rel_err(burst_proc, burst_truth));
		bench_result("accuracy.burst_proc_seen", "%d %d", seen, nburst_pids);
	}
	printf("\n%d intervals of %.2f s, the processes stopped for the first and last sample and "
	       "running between; each method's truth is read right after its own sample. "
	       "wattprobe's health counters over the run: %llu unseen switches, %llu records "
	       "dropped, %llu running slices not credited\n", niv, interval,
	       (unsigned long long)s.acct.unseen, (unsigned long long)s.acct.dropped,
	       (unsigned long long)s.acct.uncredited);
	bench_result("accuracy.unseen", "%llu", (unsigned long long)s.acct.unseen);

cleanup:
	for (int c = 0; c < NR_CLASSES; c++)
		if (kids[c] > 0) {
			kill(kids[c], SIGKILL);
			waitpid(kids[c], NULL, 0);
		}
	sampler__close(&s);
	procscan__free(&ps);
	if (rfd >= 0)
		close(rfd);
	return err ? 1 : 0;
}

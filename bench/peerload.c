// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * peerload: the load bench/peers.sh runs its tools under, and the truth it
 * judges them by.
 *
 * Starts N sleeping processes (wpb-sleep: forked, each with its own small address
 * space, as the processes of a host have; not bench/population.h's clone(CLONE_VM)
 * sleepers, whose one shared address space a tool reading every /proc/PID/smaps
 * walks N times), prints "ready" and waits for SIGUSR1.
 * Then, for SECONDS of wall time:
 *  - three burners: tests/tools/duty through links named wpb-burn100, wpb-burn50
 *    and wpb-burn5 (busy 100%, 50% and 5% of every 100 ms). Each is waited for
 *    without being reaped (waitid with WNOWAIT), its /proc/PID/schedstat read
 *    while it is a zombie (the kernel's sum_exec_runtime, final), then reaped;
 *  - a churn: a spawner (wpb-spawn) in a cgroup of its own starts, every period,
 *    one wpb-short (tests/tools/burn through a link: 2 to 20 ms of CPU, then
 *    exit) and one wpb-true (/bin/true through a link), and reaps them as they
 *    end. The truth of their CPU time is the spawner's getrusage(RUSAGE_CHILDREN)
 *    after the last one; the growth of the cgroup's cpu.stat usage_usec less the
 *    spawner's own time (RUSAGE_SELF) checks it.
 * Appends "key value" lines to RESULTS, prints "done" and holds the sleepers
 * until SIGTERM or SIGINT.
 */
#include <fcntl.h>
#include <getopt.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include "bench.h"
#include "population.h"

#define MAX_SLEEPERS	20000
#define NR_BURNERS	3

extern char **environ;

static const struct {
	const char *name;
	const char *percent;
} burners[NR_BURNERS] = {
	{ "wpb-burn100", "100" },
	{ "wpb-burn50", "50" },
	{ "wpb-burn5", "5" },
};

static const struct pop_spec sleeper = { POP_SLEEP, "wpb-sleep", 0, 0 };
static pid_t sleepers[MAX_SLEEPERS];
static int nsleepers;
static volatile sig_atomic_t go, stop;

static void on_go(int sig)
{
	go = 1;
}

static void on_stop(int sig)
{
	stop = 1;
}

static long long ns_of(const struct rusage *ru)
{
	return (ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1000000000LL +
	       (ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) * 1000LL;
}

static long long read_ll(const char *path, const char *key)
{
	char buf[4096], *p;
	long long v = -1;
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if (!key)
		return sscanf(buf, "%lld", &v) == 1 ? v : -1;
	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, strlen(key)) && p[strlen(key)] == ' ')
			return sscanf(p + strlen(key), "%lld", &v) == 1 ? v : -1;
	return -1;
}

static pid_t spawn(const char *path, char *const argv[])
{
	pid_t pid;
	int err = posix_spawn(&pid, path, NULL, NULL, argv, environ);

	return err ? -err : pid;
}

/* The spawner: in cgroup dir, for seconds, a wpb-short and a wpb-true every period_ms.
 * Writes to fd: children_ns, self_ns, shorts, trues, failures. */
static void spawner(const char *links, const char *cgroup, double seconds, int period_ms, int fd)
{
	char short_path[4096], true_path[4096], procs[4096], ms[16];
	long long out[5] = { 0 };
	struct rusage ru;
	double t0, next;
	int i = 0;

	prctl(PR_SET_NAME, "wpb-spawn");
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cgroup);
	{
		int cfd = open(procs, O_WRONLY);

		if (cfd < 0 || write(cfd, "0", 1) != 1) {
			fprintf(stderr, "peerload: failed to join %s: %s\n", cgroup, strerror(errno));
			_exit(1);
		}
		close(cfd);
	}
	snprintf(short_path, sizeof(short_path), "%s/wpb-short", links);
	snprintf(true_path, sizeof(true_path), "%s/wpb-true", links);
	t0 = next = bench_now(CLOCK_MONOTONIC);
	while (bench_now(CLOCK_MONOTONIC) < t0 + seconds) {
		char *sargv[] = { "wpb-short", ms, NULL }, *targv[] = { "wpb-true", NULL };
		double now;

		snprintf(ms, sizeof(ms), "%d", 2 + (i * 7) % 19);	/* 2..20 ms */
		i++;
		if (spawn(short_path, sargv) > 0)
			out[2]++;
		else
			out[4]++;
		if (spawn(true_path, targv) > 0)
			out[3]++;
		else
			out[4]++;
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		next += period_ms / 1e3;
		now = bench_now(CLOCK_MONOTONIC);
		if (next > now)
			bench_sleep(next - now);
		else
			next = now;	/* behind: no burst to catch up */
	}
	while (wait(NULL) > 0)
		;
	getrusage(RUSAGE_CHILDREN, &ru);
	out[0] = ns_of(&ru);
	getrusage(RUSAGE_SELF, &ru);
	out[1] = ns_of(&ru);
	if (write(fd, out, sizeof(out)) != sizeof(out))
		_exit(1);
	_exit(0);
}

/* A burner: duty SECONDS PERCENT, through the link links/name. */
static pid_t start_burner(const char *links, const char *name, const char *percent, double seconds)
{
	char path[4096], secs[32];
	char *argv[] = { (char *)name, secs, (char *)percent, NULL };

	snprintf(path, sizeof(path), "%s/%s", links, name);
	snprintf(secs, sizeof(secs), "%.3f", seconds);
	return spawn(path, argv);
}

/* Its final sum_exec_runtime: wait for it to exit, read it as a zombie, reap it. */
static long long zombie_schedstat(pid_t pid)
{
	char path[64];
	siginfo_t si;
	long long ns;

	while (waitid(P_PID, pid, &si, WEXITED | WNOWAIT) < 0)
		if (errno != EINTR)
			return -1;
	snprintf(path, sizeof(path), "/proc/%d/schedstat", pid);
	ns = read_ll(path, NULL);
	waitpid(pid, NULL, 0);
	return ns;
}

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s -n SLEEPERS -s SECONDS -l LINKDIR -c CGROUP2_DIR [-p PERIOD_MS] "
		"[-k KEY_PREFIX] [-o RESULTS]\n"
		"LINKDIR holds wpb-burn100, wpb-burn50, wpb-burn5 (links to duty), wpb-short\n"
		"(to burn) and wpb-true (to /bin/true); CGROUP2_DIR is created and removed.\n",
		argv0);
}

int main(int argc, char **argv)
{
	const char *links = NULL, *cgroup = NULL, *prefix = "peers";
	int n = -1, period_ms = 50, opt, fds[2];
	double seconds = 0, t0, t1;
	long long burn_ns[NR_BURNERS], spawned[5], usage0, usage1;
	pid_t burn_pid[NR_BURNERS], sp;
	char path[4096];

	while ((opt = getopt(argc, argv, "n:s:l:c:p:k:o:h")) != -1) {
		switch (opt) {
		case 'n':
			n = atoi(optarg);
			break;
		case 's':
			seconds = atof(optarg);
			break;
		case 'l':
			links = optarg;
			break;
		case 'c':
			cgroup = optarg;
			break;
		case 'p':
			period_ms = atoi(optarg);
			break;
		case 'k':
			prefix = optarg;
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
	if (n < 0 || n > MAX_SLEEPERS || seconds <= 0 || !links || !cgroup || period_ms < 1) {
		usage(argv[0]);
		return 2;
	}
	signal(SIGUSR1, on_go);
	signal(SIGTERM, on_stop);
	signal(SIGINT, on_stop);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (mkdir(cgroup, 0755) && errno != EEXIST) {
		fprintf(stderr, "peerload: failed to create the cgroup %s: %s\n", cgroup, strerror(errno));
		return 1;
	}
	for (nsleepers = 0; nsleepers < n; nsleepers++) {
		sleepers[nsleepers] = pop_spawn(&sleeper);
		if (sleepers[nsleepers] < 0) {
			fprintf(stderr, "peerload: failed to start sleeper %d: %s\n", nsleepers,
				strerror(errno));
			pop_kill_all(sleepers, nsleepers);
			rmdir(cgroup);
			return 1;
		}
	}
	bench_sleep(0.5 + n / 20000.0);	/* the sleepers reach their pause() */
	snprintf(path, sizeof(path), "%s/cpu.stat", cgroup);
	usage0 = read_ll(path, "usage_usec");
	printf("ready %d\n", pop_count_host());
	while (!go && !stop)
		pause();
	if (stop)
		goto out;

	t0 = bench_now(CLOCK_MONOTONIC);
	if (pipe(fds))
		goto out;
	sp = fork();
	if (!sp) {
		close(fds[0]);
		spawner(links, cgroup, seconds, period_ms, fds[1]);
	}
	close(fds[1]);
	for (int i = 0; i < NR_BURNERS; i++) {
		burn_pid[i] = start_burner(links, burners[i].name, burners[i].percent, seconds);
		if (burn_pid[i] < 0)
			fprintf(stderr, "peerload: failed to start %s: %s\n", burners[i].name,
				strerror(-burn_pid[i]));
	}
	for (int i = 0; i < NR_BURNERS; i++)
		burn_ns[i] = burn_pid[i] > 0 ? zombie_schedstat(burn_pid[i]) : -1;
	if (sp < 0 || read(fds[0], spawned, sizeof(spawned)) != sizeof(spawned)) {
		fprintf(stderr, "peerload: the spawner failed\n");
		memset(spawned, 0xff, sizeof(spawned));
	}
	close(fds[0]);
	if (sp > 0)
		waitpid(sp, NULL, 0);
	t1 = bench_now(CLOCK_MONOTONIC);
	usage1 = read_ll(path, "usage_usec");

	for (int i = 0; i < NR_BURNERS; i++)
		bench_result("truth.burn", "%s %s %d %lld", prefix, burners[i].name, burn_pid[i],
			     burn_ns[i]);
	bench_result("truth.short_rusage_ns", "%s %lld", prefix, spawned[0]);
	bench_result("truth.short_cgroup_ns", "%s %lld", prefix,
		     usage0 >= 0 && usage1 >= 0 ? (usage1 - usage0) * 1000 - spawned[1] : -1);
	bench_result("truth.spawned", "%s %lld %lld %lld", prefix, spawned[2], spawned[3], spawned[4]);
	bench_result("truth.spawner", "%s %d %lld", prefix, sp, spawned[1]);
	bench_result("truth.window_s", "%s %.3f", prefix, t1 - t0);
	bench_result("truth.sleepers", "%s %d", prefix, nsleepers);
	printf("done\n");
	while (!stop)
		pause();
out:
	pop_kill_all(sleepers, nsleepers);
	rmdir(cgroup);
	return 0;
}

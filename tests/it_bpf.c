// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Integration tests that load the real BPF program (root needed) and check
 * what it charges against the kernel's own accounting: /proc/PID/schedstat
 * (sum_exec_runtime) and wait4()'s rusage.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <regex.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include "helpers.h"
#include "sample/sampler.h"
#include "lib/util.h"
#include "sample/view.h"

static struct sampler S;

static void open_sampler(enum probe_attach attach)
{
	struct sampler_opts o = {
		.interval_s = 0.2, .sensors = "model", .idle_w = -1, .max_procs = 32768,
		.attach = attach,
	};
	char err[512];

	if (geteuid())
		cr_skip_test("needs root to load BPF");
	cr_assert_eq(sampler__open(&S, &o, err, sizeof(err)), 0, "sampler__open: %s", err);
}

/*
 * The sampler with its drain thread, as the agent runs it. Without it the ring buffer
 * is drained at each sample only, and on a host where others start processes by the
 * thousand it filled between two: the evict records lost took a busy child's time with
 * them (charged 2,896 of its 2,977 ms, 3,108 records dropped). Tests that look at the
 * table (S.pt) itself between samples do without it.
 */
static void open_sampler_draining(enum probe_attach attach)
{
	char err[256];

	open_sampler(attach);
	sampler__boost_drain(&S);	/* nice -20, as the agent's */
	cr_assert_eq(sampler__start(&S, err, sizeof(err)), 0, "%s", err);
}

/* A child burning CPU on one CPU until killed. */
static pid_t busy_child(int cpu)
{
	pid_t pid = fork();

	if (!pid) {
		cpu_set_t set;

		prctl(PR_SET_PDEATHSIG, SIGKILL);	/* never outlive a failed test */
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		sched_setaffinity(0, sizeof(set), &set);
		for (volatile unsigned long x = 0;; x++)
			;
	}
	cr_assert_gt(pid, 0);
	return pid;
}

static unsigned long long schedstat_ns(pid_t pid)
{
	char path[64], buf[256];
	unsigned long long ns = 0;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", pid);
	cr_assert_gt(read_small_file(path, buf, sizeof(buf)), 0);
	cr_assert_eq(sscanf(buf, "%llu", &ns), 1);
	return ns;
}

static const struct proc *find(pid_t pid)
{
	for (__u32 i = 0; i < S.cur.nr_procs; i++)
		if (S.cur.procs[i]->tgid == (__u32)pid)
			return S.cur.procs[i];
	return NULL;
}

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static void kill_child(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/*
 * /proc/PID/schedstat's sum_exec_runtime of a task that is running on another
 * CPU is only brought up to date at the scheduler tick, so it lags by up to a
 * tick. To compare interval by interval against it exactly, the child runs
 * for 200 ms and is then stopped (SIGSTOP, waited for), so that its last
 * slice is closed and schedstat is exact when both are read. What the sampler
 * holds back for the next interval (a CPU charged more than the interval, see
 * within_capacity: the first one has the tick before the agent's first read)
 * counts where it ran.
 */
static void check_accuracy(enum probe_attach attach)
{
	unsigned long long prev, cur, got;
	__u64 pheld, held;
	int status;
	pid_t pid;

	open_sampler_draining(attach);
	pid = busy_child(1);
	nap_ms(50);
	kill(pid, SIGSTOP);
	cr_assert_eq(waitpid(pid, &status, WUNTRACED), pid);
	cr_assert_eq(sampler__sample(&S), 0);
	prev = schedstat_ns(pid);
	pheld = sampler__held_back(&S, pid);
	sampler__done(&S);
	for (int i = 0; i < 5; i++) {
		const struct proc *p;
		double err;

		kill(pid, SIGCONT);
		nap_ms(200);
		kill(pid, SIGSTOP);
		cr_assert_eq(waitpid(pid, &status, WUNTRACED), pid);
		cr_assert_eq(sampler__sample(&S), 0);
		cur = schedstat_ns(pid);
		held = sampler__held_back(&S, pid);
		p = find(pid);
		cr_assert_not_null(p, "busy child %d not charged in interval %d", pid, i);
		got = p->iv.ns + held - pheld;
		err = ((double)got - (double)(cur - prev)) / (double)(cur - prev);
		cr_log_info("interval %d: charged %llu ns (%+lld ns held back), schedstat %llu ns, "
			    "error %+.4f%%", i, (unsigned long long)p->iv.ns,
			    (long long)held - (long long)pheld, cur - prev, err * 100);
		cr_expect_lt(err < 0 ? -err : err, 0.01,
			     "interval %d: charged %llu ns (%+lld held back), schedstat says %llu ns",
			     i, (unsigned long long)p->iv.ns, (long long)held - (long long)pheld,
			     cur - prev);
		cr_expect(cur - prev > 20000000ULL, "the child hardly ran: %llu ns", cur - prev);
		prev = cur;
		pheld = held;
		sampler__done(&S);
	}
	kill_child(pid);
	sampler__close(&S);
}

Test(bpf_load, busy_process_matches_schedstat_tp_btf, .timeout = 30)
{
	check_accuracy(PROBE_ATTACH_TP_BTF);
}

Test(bpf_load, busy_process_matches_schedstat_raw_tp, .timeout = 30)
{
	check_accuracy(PROBE_ATTACH_RAW_TP);
}

/*
 * A CPU-bound process that is never descheduled is still charged its time
 * in every interval, and not twice later. wp_snap credits the running slice
 * as the scheduler last accounted it, which is at most one tick old (10 ms at
 * HZ=100, 4 ms at HZ=250); the rest comes with the next interval. The
 * reference is the child's own CPU clock, which it publishes continuously in
 * shared memory: a task reading its own clock brings its sum_exec_runtime up
 * to date, which /proc does not do for a task running on another CPU. The
 * clock is read just before and just after each sample: the snapshot inside it
 * saw the child's time somewhere in between (on a loaded machine the two can be
 * tens of ms apart). What the sampler holds back for the next interval (a CPU
 * charged more than the interval, see within_capacity) counts where it ran.
 */
#define TICK_NS_MAX 10000000ULL

/* Sample, with the child's clock read on both sides; its time held back then. */
static void sample_bracketed(volatile unsigned long long *clock_ns, pid_t pid,
			     unsigned long long *lo, unsigned long long *hi, __u64 *held)
{
	*lo = *clock_ns;
	cr_assert_eq(sampler__sample(&S), 0);
	*hi = *clock_ns;
	*held = sampler__held_back(&S, pid);
}

/* How far got is outside [lo, hi]: 0 within. */
static unsigned long long outside(unsigned long long got, unsigned long long lo,
				  unsigned long long hi)
{
	return got < lo ? lo - got : got > hi ? got - hi : 0;
}

Test(bpf_load, running_process_credited_each_interval, .timeout = 30)
{
	unsigned long long lo0, hi0, plo, phi, lo, hi, ran_lo, ran_hi, got, sum = 0, off;
	volatile unsigned long long *clock_ns;
	__u64 held0, pheld, held;
	pid_t pid;

	clock_ns = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(clock_ns, MAP_FAILED);
	*clock_ns = 0;
	open_sampler_draining(PROBE_ATTACH_AUTO);
	pid = fork();
	if (!pid) {
		cpu_set_t set;

		prctl(PR_SET_PDEATHSIG, SIGKILL);	/* never outlive a failed test */
		CPU_ZERO(&set);
		CPU_SET(1, &set);
		sched_setaffinity(0, sizeof(set), &set);
		for (;;)
			*clock_ns = now_ns(CLOCK_PROCESS_CPUTIME_ID);
	}
	nap_ms(50);
	sample_bracketed(clock_ns, pid, &lo0, &hi0, &held0);
	plo = lo0, phi = hi0, pheld = held0;
	sampler__done(&S);
	for (int i = 0; i < 4; i++) {
		const struct proc *p;

		nap_ms(500);
		sample_bracketed(clock_ns, pid, &lo, &hi, &held);
		p = find(pid);
		cr_assert_not_null(p, "running child not charged in interval %d", i);
		/* what it ran between the two snapshots, and what of it this interval holds */
		ran_lo = lo > phi ? lo - phi : 0;
		ran_hi = hi - plo;
		got = p->iv.ns + held - pheld;
		off = outside(got, ran_lo, ran_hi);
		cr_log_info("interval %d: charged %llu ns (%+lld ns held back), own cpu clock "
			    "%llu-%llu ns, off by %llu ns", i, (unsigned long long)p->iv.ns,
			    (long long)held - (long long)pheld, ran_lo, ran_hi, off);
		cr_expect_lt(off, ran_lo / 100 + TICK_NS_MAX,
			     "interval %d: charged %llu (%+lld held back), clock %llu-%llu", i,
			     (unsigned long long)p->iv.ns, (long long)held - (long long)pheld,
			     ran_lo, ran_hi);
		cr_expect_gt(ran_hi, 50000000ULL, "the child hardly ran");
		sum += p->iv.ns;
		plo = lo, phi = hi, pheld = held;
		sampler__done(&S);
	}
	/* over the run: everything it was charged, and what is still held back */
	ran_lo = lo > hi0 ? lo - hi0 : 0;
	ran_hi = hi - lo0;
	off = outside(sum + held - held0, ran_lo, ran_hi);
	cr_log_info("over the run: charged %llu ns (%llu ns held back), clock %llu-%llu ns; "
		    "%llu records dropped, %llu switches unseen", sum, (unsigned long long)held,
		    ran_lo, ran_hi, (unsigned long long)S.cur.dropped,
		    (unsigned long long)S.cur.unseen);
	cr_expect_lt(off, ran_lo / 1000 + TICK_NS_MAX,
		     "over the run: charged %llu (%llu held back), clock %llu-%llu", sum,
		     (unsigned long long)held, ran_lo, ran_hi);
	kill_child(pid);
	sampler__close(&S);
}

/* Auto picks tp_btf here, because this kernel's BTF has the tracepoint types. */
Test(bpf_load, auto_attach_detects_tp_btf, .timeout = 30)
{
	open_sampler(PROBE_ATTACH_AUTO);
	cr_assert(S.probe.tp_btf);
	sampler__close(&S);
	open_sampler(PROBE_ATTACH_RAW_TP);
	cr_assert(!S.probe.tp_btf);
	sampler__close(&S);
}

/* A child pinned to CPU 1 is charged on CPU 1, and on CPU 1's socket. */
Test(bpf_load, pinned_process_lands_on_its_cpu_and_socket, .timeout = 30)
{
	__u64 on_cpu = 0, elsewhere = 0;
	const struct proc *p;
	int sock;
	pid_t pid;

	open_sampler_draining(PROBE_ATTACH_AUTO);
	if (S.topo.nr_cpus < 2 || !S.topo.online[1])
		cr_skip_test("needs CPU 1 online");
	pid = busy_child(1);
	nap_ms(300);
	cr_assert_eq(sampler__sample(&S), 0);
	p = find(pid);
	cr_assert_not_null(p);
	for (__u32 i = p->cpu_first; i < p->cpu_first + p->nr_cpu; i++) {
		const struct cpu_charge *c = &S.cur.charges[i];

		if (c->cpu == 1)
			on_cpu += c->ns;
		else
			elsewhere += c->ns;
	}
	cr_expect_gt(on_cpu, 50000000ULL, "only %llu ns on CPU 1", (unsigned long long)on_cpu);
	/* it may run a moment on another CPU between fork and sched_setaffinity */
	cr_expect_lt(elsewhere, on_cpu / 100, "%llu ns elsewhere", (unsigned long long)elsewhere);
	sock = topology__socket_of(&S.topo, 1);
	cr_assert_geq(sock, 0);
	cr_expect_eq(p->iv.sock_ns[sock], p->iv.ns);
	kill_child(pid);
	sampler__close(&S);
}

/* A process that exits is reported exited, with the CPU time rusage gives it. */
Test(bpf_load, exited_process_is_charged_and_marked, .timeout = 30)
{
	unsigned long long want, got = 0;
	struct rusage ru;
	bool exited = false;
	pid_t pid;
	int status;

	open_sampler_draining(PROBE_ATTACH_AUTO);
	pid = fork();
	if (!pid) {
		__u64 end = now_ns(CLOCK_MONOTONIC) + 150000000ULL;

		while (now_ns(CLOCK_MONOTONIC) < end)
			;
		_exit(0);
	}
	cr_assert_eq(wait4(pid, &status, 0, &ru), pid);
	want = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ULL +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ULL;
	for (int i = 0; i < 3; i++) {
		const struct proc *p;

		nap_ms(100);
		cr_assert_eq(sampler__sample(&S), 0);
		p = find(pid);
		if (p) {
			got += p->iv.ns;
			exited |= p->exited;
		}
		sampler__done(&S);
	}
	cr_expect(exited, "exit of %d not reported", pid);
	cr_log_info("exited child: charged %llu ns, rusage %llu ns", got, want);
	cr_expect_lt(got > want ? got - want : want - got, want / 100 + 1000000,
		     "charged %llu ns, rusage says %llu ns", got, want);
	/* and it is gone from the table */
	pthread_mutex_lock(&S.lock);
	for (__u32 i = 0; i < S.pt.cap; i++)
		cr_expect(!(S.pt.pool[i].used && S.pt.pool[i].tgid == (__u32)pid),
			  "exited process %d still in the table", pid);
	pthread_mutex_unlock(&S.lock);
	sampler__close(&S);
}

/*
 * Issue 12, point 6. A process that exits and whose PID is then taken by another process
 * (through ns_last_pid) keeps what is its own: its row never shows the command line or
 * executable of the later process, which /proc/PID now describes.
 */
Test(bpf_load, reused_pid_keeps_its_own_metadata, .timeout = 60)
{
	struct view_opts vo = { .by = GROUP_PID };
	const struct proc *a_row = NULL;
	char tool[512];
	struct view_row tmp;
	struct view v;
	pid_t a, b;
	int ret, status;

	open_sampler_draining(PROBE_ATTACH_AUTO);
	S.opts.need_exe = true;
	snprintf(tool, sizeof(tool), "%s/tools/burn", th_out_dir());
	a = fork();
	if (!a) {
		execl(tool, "burn", "30", (char *)NULL);
		_exit(127);
	}
	cr_assert_eq(waitpid(a, &status, 0), a);
	ret = th_next_pid(a);
	if (ret == -ENOENT)
		cr_skip_test("no /proc/sys/kernel/ns_last_pid");
	cr_assert_eq(ret, 0, "ns_last_pid: %s", strerror(-ret));
	b = fork();
	if (!b) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execl("/bin/sleep", "sleep", "7.25", (char *)NULL);
		_exit(127);
	}
	if (b != a) {
		kill_child(b);
		cr_skip_test("PID %d was taken before it could be reused", a);
	}
	nap_ms(100);	/* b has exec'd: /proc/PID is the sleep now */
	cr_assert_eq(sampler__sample(&S), 0);
	cr_assert_eq(view__init(&v), 0);
	cr_assert_eq(view__build(&v, &S.cur, &vo), 0);
	for (__u32 i = 0; i < v.nr; i++)
		sampler__resolve_cmdline(&S, view__row(&v, i, &tmp)->p);
	for (__u32 i = 0; i < S.cur.nr_procs; i++)
		if (S.cur.procs[i]->tgid == (__u32)a && !strcmp(S.cur.procs[i]->comm, "burn"))
			a_row = S.cur.procs[i];
	cr_assert_not_null(a_row, "the exited burn %d is not in the sample", a);
	cr_log_info("exited PID %d: comm %s, cmdline %s, exe %s", a, a_row->comm,
		    a_row->cmdline ? a_row->cmdline : "(null)", a_row->exe ? a_row->exe : "(null)");
	cr_expect(!a_row->cmdline || !strstr(a_row->cmdline, "sleep"),
		  "the exited process shows the command line of PID %d's new owner: %s", a,
		  a_row->cmdline);
	cr_expect(!a_row->exe || !strstr(a_row->exe, "sleep"),
		  "the exited process shows the executable of PID %d's new owner: %s", a,
		  a_row->exe);
	view__free(&v);
	kill_child(b);
	sampler__close(&S);
}

/* Processes in the table that are neither marked exited nor alive: leaked entries. */
static unsigned leaked_entries(void)
{
	unsigned n = 0;

	for (__u32 i = 0; i < S.pt.top; i++) {
		const struct proc *p = &S.pt.pool[i];

		if (!p->used || p->exited || p->tgid >= PT_UNRECORDED_TGID - 1)
			continue;
		if (procinfo__alive(S.procinfo, p->tgid, p->start_ns) == 0)
			n++;
	}
	return n;
}

/* Sample every period_ns while something else goes on; returns the new last time. */
static __u64 sample_if_due(__u64 last, __u64 period_ns)
{
	__u64 now = now_ns(CLOCK_MONOTONIC);

	if (now - last < period_ns)
		return last;
	cr_assert_eq(sampler__sample(&S), 0);
	sampler__done(&S);
	return now;
}

/* A few intervals more, so that exited processes are reported and dropped. */
static void settle(int intervals)
{
	for (int i = 0; i < intervals; i++) {
		nap_ms(200);
		cr_assert_eq(sampler__sample(&S), 0);
		sampler__done(&S);
	}
}

/*
 * Issue 12, point 1. Subshells fork without exec and exit: an exit record can come
 * before any of the child's time (its slots are read or evicted later), and it used to
 * be dropped, the later time then making an entry that never exited (about 200 of 1,500
 * subshells stayed until the one-hour sweep). Now the table is back where it was.
 */
Test(bpf_load, subshells_leave_the_table, .timeout = 120)
{
	__u32 before, after;
	unsigned leaked;
	int status;
	pid_t sh;

	open_sampler(PROBE_ATTACH_AUTO);
	settle(3);
	before = S.pt.nr;
	sh = fork();
	if (!sh) {
		execl("/bin/sh", "sh", "-c", "i=0; while [ $i -lt 1500 ]; do (:); i=$((i+1)); done",
		      (char *)NULL);
		_exit(127);
	}
	for (__u64 last = now_ns(CLOCK_MONOTONIC); waitpid(sh, &status, WNOHANG) == 0;) {
		last = sample_if_due(last, 200000000ULL);
		nap_ms(5);
	}
	cr_assert(WIFEXITED(status) && !WEXITSTATUS(status));
	settle(4);
	after = S.pt.nr;
	leaked = leaked_entries();
	cr_log_info("1,500 subshells: %u processes tracked before, %u after, %u gone but not exited",
		    before, after, leaked);
	cr_expect_leq(leaked, 3, "%u entries of processes that no longer exist", leaked);
	sampler__close(&S);
}

/*
 * Issue 12, point 1. 40,000 children that run a moment and exit (vfork and _exit: the
 * cheapest churn there is), while the table has room for 3,072 processes: it holds the
 * live ones and those that exited in the last two intervals, never the rest, so it never
 * fills (nothing goes to [unrecorded]) and keeps no entry of a process that is gone.
 */
/* A child that exits at once: the cheapest churn there is. */
static __attribute__((noinline)) pid_t spawn_exit(void)
{
	pid_t pid = vfork();

	if (!pid)
		_exit(0);
	return pid;
}

/* n children that exit at once, sampling every 100 ms; the largest table seen. */
static __u32 churn(int n)
{
	__u64 last = now_ns(CLOCK_MONOTONIC);
	__u32 peak = 0;

	for (int i = 0; i < n; i++) {
		pid_t pid = spawn_exit();

		cr_assert_gt(pid, 0);
		cr_assert_eq(waitpid(pid, NULL, 0), pid);
		if (!(i % 64)) {
			last = sample_if_due(last, 100000000ULL);
			peak = S.pt.nr > peak ? S.pt.nr : peak;
		}
	}
	return peak;
}

Test(bpf_load, churned_children_never_fill_a_small_table, .timeout = 180)
{
	struct sampler_opts o = {
		.interval_s = 0.1, .sensors = "model", .idle_w = -1, .max_procs = 3072,
	};
	__u32 before, peak;
	unsigned leaked;
	char err[512];
	__u64 t0;

	if (geteuid())
		cr_skip_test("needs root to load BPF");
	cr_assert_eq(sampler__open(&S, &o, err, sizeof(err)), 0, "sampler__open: %s", err);
	settle(3);
	before = S.pt.nr;
	t0 = now_ns(CLOCK_MONOTONIC);
	peak = churn(40000);
	settle(4);
	leaked = leaked_entries();
	cr_log_info("40,000 children in %.1f s: %u tracked before, peak %u, %u after, %u gone but "
		    "not exited; %llu charges found the table full, %llu dropped",
		    (now_ns(CLOCK_MONOTONIC) - t0) / 1e9, before, peak, S.pt.nr, leaked,
		    (unsigned long long)S.pt.full, (unsigned long long)S.cur.dropped);
	cr_expect_eq(S.pt.full, 0, "the table filled: %llu charges went to [unrecorded]",
		     (unsigned long long)S.pt.full);
	cr_expect_eq(S.cur.dropped, 0);
	cr_expect_leq(leaked, 3, "%u entries of processes that no longer exist", leaked);
	sampler__close(&S);
}

/*
 * Issue 12, point 2. With the drain thread running (as the agent runs it), a published
 * sample is not touched by it: while outputs read the sample, the thread goes on taking
 * records of new processes from the ring buffer, and the sample's processes and charges
 * stay byte for byte what they were. Its processes are the table's entries (issue 23: no
 * copies), so the thread charges none of those records until sampler__done().
 */
Test(bpf_load, drain_thread_leaves_the_published_sample_alone, .timeout = 60)
{
	struct proc *procs;
	struct cpu_charge *charges;
	__u32 n, nc, tracked;
	char err[256];

	open_sampler(PROBE_ATTACH_AUTO);
	sampler__boost_drain(&S);	/* nice -20, as the agent's */
	cr_assert_eq(sampler__start(&S, err, sizeof(err)), 0, "%s", err);
	churn(2000);
	cr_assert_eq(sampler__sample(&S), 0);
	n = S.cur.nr_procs;
	nc = S.cur.nr_charges;
	cr_assert_gt(n, 0);
	procs = malloc(n * sizeof(*procs));
	charges = malloc(nc * sizeof(*charges) + 1);
	cr_assert(procs && charges);
	for (__u32 i = 0; i < n; i++)
		procs[i] = *S.cur.procs[i];
	memcpy(charges, S.cur.charges, nc * sizeof(*charges));
	tracked = S.pt.nr;
	/* records of 3,000 processes come and are drained meanwhile */
	for (int i = 0; i < 3000; i++)
		cr_assert_gt(waitpid(spawn_exit(), NULL, 0), 0);
	nap_ms(2 * WP_DRAIN_MS + 50);
	pthread_mutex_lock(&S.lock);
	cr_log_info("table: %u processes at the sample, %u now; %zu bytes of records queued",
		    tracked, S.pt.nr, S.probe.queue.len);
	cr_expect_gt(S.probe.queue.len, 0, "the drain thread took nothing from the ring buffer");
	cr_expect_eq(S.pt.nr, tracked, "the table changed while the sample was published");
	pthread_mutex_unlock(&S.lock);
	cr_assert_eq(S.cur.nr_procs, n);
	cr_assert_eq(S.cur.nr_charges, nc);
	for (__u32 i = 0; i < n; i++)
		cr_expect(!memcmp(&procs[i], S.cur.procs[i], sizeof(procs[i])),
			  "process %u of the sample (pid %u) changed after it was published", i,
			  procs[i].tgid);
	cr_expect(!memcmp(charges, S.cur.charges, nc * sizeof(*charges)),
		  "the sample's charges changed after it was published");
	/* outputs done: what was queued is charged to the next interval */
	sampler__done(&S);
	nap_ms(2 * WP_DRAIN_MS + 50);
	pthread_mutex_lock(&S.lock);
	cr_log_info("after sampler__done: %u processes, %u charges in the new interval", S.pt.nr,
		    S.pt.nr_charges);
	cr_expect_gt(S.pt.nr_charges, 0, "the drain thread charged nothing after the outputs");
	pthread_mutex_unlock(&S.lock);
	free(procs);
	free(charges);
	sampler__close(&S);
}

/* ns of CPU time in an rusage (microseconds there), b - a */
static __u64 rusage_ns(const struct rusage *a, const struct rusage *b)
{
	return (b->ru_utime.tv_sec - a->ru_utime.tv_sec + b->ru_stime.tv_sec -
		a->ru_stime.tv_sec) * 1000000000ULL +
	       (b->ru_utime.tv_usec - a->ru_utime.tv_usec + b->ru_stime.tv_usec -
		a->ru_stime.tv_usec) * 1000LL;
}

/* A bit per pid (pid_max is at most 2^22): the children spawn_many() made */
#define KIDS_BYTES (1 << 19)

static bool is_kid(const unsigned char *kids, __u32 pid)
{
	return kids[(pid >> 3) & (KIDS_BYTES - 1)] & (1 << (pid & 7));
}

/*
 * Children that exit at once, made and reaped one at a time and marked in kids: 15,000,
 * or as many as 4 s from t0 make (about 25,000 a second here, unloaded). How many.
 */
static int spawn_many(unsigned char *kids, __u64 t0)
{
	int n = 0;

	while (n < 15000 && now_ns(CLOCK_MONOTONIC) - t0 < 4000000000ULL) {
		pid_t pid = spawn_exit();

		cr_assert_gt(pid, 0);
		cr_assert_eq(waitpid(pid, NULL, 0), pid);
		kids[(pid >> 3) & (KIDS_BYTES - 1)] |= 1 << (pid & 7);
		n++;
	}
	return n;
}

/*
 * Issue 23. A flood of new processes while a sample takes long (held here: a sample took
 * 320 ms once in a flood on a loaded host). The drain thread used to wait for the
 * sample's lock: the 512 KiB ring buffer filled, records were dropped (948, then 10,339
 * in the next interval at 15,000 processes a second) and their time was lost. It empties
 * the ring buffer without the lock now: nothing is dropped, and what the children ran
 * is what the kernel says they ran (their rusage).
 */
Test(bpf_load, flood_while_a_sample_takes_long, .timeout = 120)
{
	struct sampler_opts o = {
		.interval_s = 1, .sensors = "model", .idle_w = -1, .max_procs = 131072,
	};
	struct rusage r0, r1;
	__u64 t0, held, charged = 0, kernel;
	pid_t self = getpid();
	unsigned char *kids;
	char err[512];
	int n;

	if (geteuid())
		cr_skip_test("needs root to load BPF");
	cr_assert_eq(sampler__open(&S, &o, err, sizeof(err)), 0, "sampler__open: %s", err);
	sampler__boost_drain(&S);	/* nice -20, as the agent's */
	cr_assert_eq(sampler__start(&S, err, sizeof(err)), 0, "%s", err);
	settle(2);
	getrusage(RUSAGE_CHILDREN, &r0);
	kids = calloc(KIDS_BYTES, 1);
	cr_assert_not_null(kids);
	pthread_mutex_lock(&S.lock);
	t0 = now_ns(CLOCK_MONOTONIC);
	n = spawn_many(kids, t0);
	nap_ms(2 * WP_DRAIN_MS + 50);
	held = now_ns(CLOCK_MONOTONIC) - t0;
	pthread_mutex_unlock(&S.lock);
	getrusage(RUSAGE_CHILDREN, &r1);
	for (int i = 0; i < 4; i++) {	/* late evictions come in the next intervals */
		cr_assert_eq(sampler__sample(&S), 0);
		for (__u32 k = 0; k < S.cur.nr_procs; k++) {
			const struct proc *p = S.cur.procs[k];

			if (p->tgid != (__u32)self && !proc__pseudo(p) && is_kid(kids, p->tgid))
				charged += p->iv.ns;
		}
		sampler__done(&S);
		nap_ms(200);
	}
	kernel = rusage_ns(&r0, &r1);
	cr_log_info("%d children in %.2f s while a sample held the lock %.2f s: %llu dropped; "
		    "charged %.1f ms to them, rusage %.1f ms", n,
		    (now_ns(CLOCK_MONOTONIC) - t0) / 1e9, held / 1e9,
		    (unsigned long long)S.cur.dropped, charged / 1e6, kernel / 1e6);
	/* 8,000 children make about 1 MB of records: twice the ring buffer */
	cr_expect_geq(n, 8000, "only %d children: the test did not flood", n);
	cr_expect_eq(S.cur.dropped, 0, "%llu records dropped", (unsigned long long)S.cur.dropped);
	cr_expect_eq(S.pt.full, 0);
	/*
	 * rusage: the children's sum_exec_runtime, in microseconds. Within 2% (+1 ms): on
	 * a kernel whose tracepoint misses switches (docs/counting.md, "Untraced
	 * switches") this test charged 1.2% more than rusage in 2 of 5 quiet runs here
	 * (6.8 ms of 574 ms, cause not found); a lost record loses a whole child, and
	 * "dropped" and "full" above say so.
	 */
	cr_expect_leq(llabs((long long)charged - (long long)kernel), kernel / 50 + 1000000,
		      "charged %llu ns of the children's %llu", (unsigned long long)charged,
		      (unsigned long long)kernel);
	free(kids);
	sampler__close(&S);
}

/*
 * The ring buffer full while processes run and end: nothing drains it (no drain thread,
 * no sample) while this process makes and reaps children by the thousand, until their
 * records are several times the 512 KiB it holds. A slot's time used to go with its evict
 * record: a record that found the ring full lost the old owner's time (the children and
 * this process were charged 413 ms of the 1,113 ms they ran, 20,816 records dropped). Now the slot keeps its owner until
 * the ring has room, and what the process that wanted it ran goes to [unrecorded]: the
 * children's time, this process's and [unrecorded] add up to what the kernel says they
 * ran (rusage), and neither is charged more than that.
 */
Test(bpf_load, full_ring_loses_no_time, .timeout = 120)
{
	struct sampler_opts o = {
		.interval_s = 1, .sensors = "model", .idle_w = -1, .max_procs = 131072,
	};
	struct rusage c0, c1, s0, s1;
	__u64 t0, kids_ns = 0, self_ns = 0, unrecorded = 0, kernel_kids, kernel_self, dropped0;
	pid_t self = getpid();
	unsigned char *kids;
	char err[512];
	int n;

	if (geteuid())
		cr_skip_test("needs root to load BPF");
	cr_assert_eq(sampler__open(&S, &o, err, sizeof(err)), 0, "sampler__open: %s", err);
	kids = calloc(KIDS_BYTES, 1);
	cr_assert_not_null(kids);
	settle(2);
	dropped0 = S.cur.dropped;
	getrusage(RUSAGE_CHILDREN, &c0);
	getrusage(RUSAGE_SELF, &s0);
	t0 = now_ns(CLOCK_MONOTONIC);
	n = spawn_many(kids, t0);	/* about 1.9 MB of records */
	getrusage(RUSAGE_CHILDREN, &c1);
	for (int i = 0; i < 4; i++) {	/* late evictions come in the next intervals */
		if (i)
			nap_ms(200);
		cr_assert_eq(sampler__sample(&S), 0);
		if (i == 3)
			getrusage(RUSAGE_SELF, &s1);	/* this process ran until this read */
		for (__u32 k = 0; k < S.cur.nr_procs; k++) {
			const struct proc *p = S.cur.procs[k];

			if (p->tgid == PT_UNRECORDED_TGID)
				unrecorded += p->iv.ns;
			else if (p->tgid == (__u32)self)
				self_ns += p->iv.ns;
			else if (!proc__pseudo(p) && is_kid(kids, p->tgid))
				kids_ns += p->iv.ns;
		}
		sampler__done(&S);
	}
	kernel_kids = rusage_ns(&c0, &c1);
	kernel_self = rusage_ns(&s0, &s1);
	cr_log_info("%d children in %.2f s, the ring buffer not drained: %llu records dropped; "
		    "charged %.1f ms to them (rusage %.1f ms), %.1f ms to this process (rusage "
		    "%.1f ms), %.1f ms to [unrecorded]", n, (now_ns(CLOCK_MONOTONIC) - t0) / 1e9,
		    (unsigned long long)(S.cur.dropped - dropped0), kids_ns / 1e6,
		    kernel_kids / 1e6, self_ns / 1e6, kernel_self / 1e6, unrecorded / 1e6);
	cr_assert_gt(S.cur.dropped, dropped0, "the ring buffer never filled: nothing tested");
	cr_expect_eq(S.pt.full, 0, "the table filled: [unrecorded] holds more than the ring's");
	/*
	 * The bound of flood_while_a_sample_takes_long: 2% (+1 ms) of rusage. Nothing
	 * missing: [unrecorded] may hold time of other processes too (on a shared host, those
	 * that started while the ring was full), so it counts towards what is missing only.
	 * Nothing more than they ran: the children and this process, each.
	 */
	cr_expect_geq(kids_ns + self_ns + unrecorded + (kernel_kids + kernel_self) / 50 + 1000000,
		      kernel_kids + kernel_self,
		      "charged %llu ns to the children, %llu to this process and %llu to "
		      "[unrecorded] of their %llu: time lost with the records",
		      (unsigned long long)kids_ns, (unsigned long long)self_ns,
		      (unsigned long long)unrecorded,
		      (unsigned long long)(kernel_kids + kernel_self));
	cr_expect_leq(kids_ns, kernel_kids + kernel_kids / 50 + 1000000,
		      "charged %llu ns of the children's %llu", (unsigned long long)kids_ns,
		      (unsigned long long)kernel_kids);
	cr_expect_leq(self_ns, kernel_self + kernel_self / 50 + 1000000,
		      "charged %llu ns of this process's %llu", (unsigned long long)self_ns,
		      (unsigned long long)kernel_self);
	free(kids);
	sampler__close(&S);
}

/* --- untraced switches ------------------------------------------------------------ */

#define PAIRS 6

struct kid {
	pid_t pid;
	unsigned long long sum;		/* sum_exec_runtime read from the zombie */
	unsigned long long charged;
	bool reaped;
};

/* A hackbench-like pair: a and b ping-pong one byte over two pipes for ms. */
static void ping_pong(int rfd, int wfd, bool first, long ms)
{
	__u64 end = now_ns(CLOCK_MONOTONIC) + ms * 1000000ULL;
	char c = 0;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (unsigned long i = 0;; i++) {
		if ((first || i) && write(wfd, &c, 1) != 1)
			break;
		if (read(rfd, &c, 1) != 1)
			break;
		if (!(i & 255) && now_ns(CLOCK_MONOTONIC) > end)
			break;
	}
	_exit(0);
}

static void add_charges(struct kid *k, int n)
{
	for (__u32 i = 0; i < S.cur.nr_procs; i++)
		for (int j = 0; j < n; j++)
			if (S.cur.procs[i]->tgid == (__u32)k[j].pid)
				k[j].charged += S.cur.procs[i]->iv.ns;
}

static unsigned long long pid1_ns(void)
{
	char path[64], buf[256];
	unsigned long long sum = 0, ns;
	struct dirent *d;
	DIR *dir = opendir("/proc/1/task");

	if (!dir)
		return 0;
	while ((d = readdir(dir))) {
		snprintf(path, sizeof(path), "/proc/1/task/%.16s/schedstat", d->d_name);
		if (d->d_name[0] != '.' && read_small_file(path, buf, sizeof(buf)) > 0 &&
		    sscanf(buf, "%llu", &ns) == 1)
			sum += ns;
	}
	closedir(dir);
	return sum;
}

/*
 * Issue 12, point 5. On this VM the tracepoint never shows PID 1's tasks as prev (a vendor
 * patch hides them from BPF: docs/counting.md, "Untraced switches"), and the time between such a
 * task's switch-in and the next switch we see used to land on whoever was prev then:
 * hackbench children were charged more than they ran. Now a process gets only what the
 * scheduler's own counters prove: each child of a hackbench-like load, read as a zombie
 * before it is reaped, is charged no more than its sum_exec_runtime (to the nanosecond:
 * its slices are all closed; the issue allows 0.1% or a tick), and PID 1 no more than its
 * threads ran (plus a tick: its running slice may be credited up to its last tick).
 */
/* A real-time child on cpu that wakes every 0.7 ms to burn 0.3 ms, for ms. */
static pid_t rt_waker(int cpu, long ms)
{
	struct sched_param sp = { .sched_priority = 1 };
	cpu_set_t set;
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid)
		return pid;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	if (sched_setscheduler(0, SCHED_FIFO, &sp))
		_exit(3);
	for (__u64 end = now_ns(CLOCK_MONOTONIC) + ms * 1000000ULL; now_ns(CLOCK_MONOTONIC) < end;) {
		struct timespec ts = { 0, 700000 };
		struct timespec t0, t;

		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
		do
			clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
		while ((t.tv_sec - t0.tv_sec) * 1000000000LL + t.tv_nsec - t0.tv_nsec < 300000);
		nanosleep(&ts, NULL);
	}
	_exit(0);
}

/*
 * Issue 23. [untraced] holds only what the hidden process (PID 1 here) ran and was not
 * charged for: real-time tasks that preempt one of its tasks are picked by a switch the
 * tracepoint hides, and their slices, which no counter of theirs proves, went to
 * [untraced] (85 ms in 25 s that PID 1 never ran: PID 1 and [untraced] came to 139% of
 * PID 1's runtime). Now PID 1 and [untraced] together stay within what PID 1's threads
 * ran (and each real-time child within what it ran).
 */
Test(bpf_load, untraced_capped_by_the_hidden_process, .timeout = 60)
{
	unsigned long long p1_0, p1_1, p1_charged = 0, untraced = 0, rt_charged[2] = {};
	struct rusage ru;
	pid_t rt[2];
	int left = 2;

	open_sampler_draining(PROBE_ATTACH_AUTO);
	settle(1);
	p1_0 = pid1_ns();
	rt[0] = rt_waker(0, 3000);
	rt[1] = rt_waker(1, 3000);
	for (int after = 0; left || after < 2; after += !left) {	/* and 2 more: last slices */
		pid_t pid;
		int st;

		nap_ms(200);
		cr_assert_eq(sampler__sample(&S), 0);
		for (__u32 i = 0; i < S.cur.nr_procs; i++) {
			const struct proc *p = S.cur.procs[i];

			if (p->tgid == 1)
				p1_charged += p->iv.ns;
			if (p->tgid == PT_UNTRACED_TGID)
				untraced += p->iv.ns;
			for (int j = 0; j < 2; j++)
				if (p->tgid == (__u32)rt[j])
					rt_charged[j] += p->iv.ns;
		}
		sampler__done(&S);
		while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
			cr_assert(WIFEXITED(st) && !WEXITSTATUS(st), "a real-time child failed");
			left--;
		}
	}
	p1_1 = pid1_ns();
	getrusage(RUSAGE_CHILDREN, &ru);
	cr_log_info("[untraced] %llu ns; PID 1 charged %llu ns of %llu ns; real-time children "
		    "charged %llu + %llu ns", untraced, p1_charged, p1_1 - p1_0, rt_charged[0],
		    rt_charged[1]);
	cr_expect_leq(p1_charged + untraced, (p1_1 - p1_0) + (p1_1 - p1_0) / 1000 + TICK_NS_MAX,
		      "PID 1 charged %llu ns and [untraced] %llu ns, its threads ran %llu ns",
		      p1_charged, untraced, p1_1 - p1_0);
	cr_expect_leq(rt_charged[0] + rt_charged[1], (unsigned long long)ru.ru_utime.tv_sec *
		      1000000000ULL + ru.ru_utime.tv_usec * 1000ULL + ru.ru_stime.tv_sec *
		      1000000000ULL + ru.ru_stime.tv_usec * 1000ULL + 2000,
		      "the real-time children were charged more than they ran");
	sampler__close(&S);
}

Test(bpf_load, untraced_switches_never_overcharge, .timeout = 90)
{
	struct kid k[2 * PAIRS] = {};
	unsigned long long p1_0, p1_1, p1_charged = 0, untraced = 0;
	__u64 last, unseen0;
	int left = 2 * PAIRS;

	open_sampler_draining(PROBE_ATTACH_AUTO);
	settle(1);
	unseen0 = S.cur.unseen;
	p1_0 = pid1_ns();
	for (int i = 0; i < PAIRS; i++) {
		int ab[2], ba[2];

		cr_assert_eq(pipe(ab), 0);
		cr_assert_eq(pipe(ba), 0);
		k[2 * i].pid = fork();
		if (!k[2 * i].pid) {
			close(ab[0]);
			close(ba[1]);
			ping_pong(ba[0], ab[1], true, 3000);
		}
		k[2 * i + 1].pid = fork();
		if (!k[2 * i + 1].pid) {
			close(ab[1]);
			close(ba[0]);
			ping_pong(ab[0], ba[1], false, 3000);
		}
		close(ab[0]);
		close(ab[1]);
		close(ba[0]);
		close(ba[1]);
	}
	last = now_ns(CLOCK_MONOTONIC);
	while (left) {
		siginfo_t si;

		if (now_ns(CLOCK_MONOTONIC) - last >= 200000000ULL) {
			cr_assert_eq(sampler__sample(&S), 0);
			add_charges(k, 2 * PAIRS);
			for (__u32 i = 0; i < S.cur.nr_procs; i++) {
				if (S.cur.procs[i]->tgid == 1)
					p1_charged += S.cur.procs[i]->iv.ns;
				if (S.cur.procs[i]->tgid == PT_UNTRACED_TGID)
					untraced += S.cur.procs[i]->iv.ns;
			}
			last = now_ns(CLOCK_MONOTONIC);
		}
		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) || !si.si_pid) {
			nap_ms(5);
			continue;
		}
		for (int j = 0; j < 2 * PAIRS; j++) {
			if (k[j].pid != si.si_pid)
				continue;
			k[j].sum = schedstat_ns(si.si_pid);	/* the zombie's, before reaping */
			cr_assert_eq(waitpid(si.si_pid, NULL, 0), si.si_pid);
			k[j].reaped = true;
			left--;
		}
	}
	for (int i = 0; i < 4; i++) {
		nap_ms(200);
		cr_assert_eq(sampler__sample(&S), 0);
		add_charges(k, 2 * PAIRS);
		for (__u32 j = 0; j < S.cur.nr_procs; j++) {
			if (S.cur.procs[j]->tgid == 1)
				p1_charged += S.cur.procs[j]->iv.ns;
			if (S.cur.procs[j]->tgid == PT_UNTRACED_TGID)
				untraced += S.cur.procs[j]->iv.ns;
		}
	}
	p1_1 = pid1_ns();
	cr_log_info("%llu untraced switches; [untraced] %llu ns; PID 1 charged %llu ns of %llu ns",
		    (unsigned long long)(S.cur.unseen - unseen0), untraced, p1_charged, p1_1 - p1_0);
	for (int j = 0; j < 2 * PAIRS; j++) {
		long long over = (long long)k[j].charged - (long long)k[j].sum;

		cr_log_info("child %d: charged %llu ns, schedstat %llu ns, %+lld ns", k[j].pid,
			    k[j].charged, k[j].sum, over);
		cr_expect_leq(k[j].charged, k[j].sum,
			      "child %d charged %llu ns, ran %llu ns (+%lld ns)", k[j].pid,
			      k[j].charged, k[j].sum, over);
		cr_expect_geq(k[j].charged, k[j].sum - k[j].sum / 100,
			      "child %d charged %llu ns, ran %llu ns", k[j].pid, k[j].charged,
			      k[j].sum);
	}
	if (p1_1 > p1_0)
		cr_expect_leq(p1_charged, (p1_1 - p1_0) + (p1_1 - p1_0) / 1000 + TICK_NS_MAX,
			      "PID 1 charged %llu ns, its threads ran %llu ns", p1_charged,
			      p1_1 - p1_0);
	sampler__close(&S);
}

/* --- names and cgroups that change ----------------------------------------------- */

/* CPU time the calling process has used, by its own clock. */
static __u64 own_cpu_ns(void)
{
	return now_ns(CLOCK_PROCESS_CPUTIME_ID);
}

static void burn_cpu_ms(long ms)
{
	__u64 end = own_cpu_ns() + ms * 1000000ULL;

	while (own_cpu_ns() < end)
		;
}

/* This interval's time of the process pid under the name comm (NULL: any name). */
static __u64 ns_under(pid_t pid, const char *comm)
{
	__u64 ns = 0;

	for (__u32 i = 0; i < S.cur.nr_procs; i++)
		if (S.cur.procs[i]->tgid == (__u32)pid &&
		    (!comm || !strcmp(S.cur.procs[i]->comm, comm)))
			ns += S.cur.procs[i]->iv.ns;
	return ns;
}

static __u64 diff_ns(__u64 a, __u64 b)
{
	return a > b ? a - b : b - a;
}

/*
 * Two more intervals, adding what they charge to a process that exited, and more while
 * the sampler still holds some of its time back (time a CPU could not have had in an
 * interval waits for one with room, see within_capacity: on a loaded machine, a few).
 */
static void more_intervals(pid_t pid, __u64 *a, const char *a_comm, __u64 *b, const char *b_comm,
			   __u64 *all)
{
	for (int i = 0; i < 2 || (i < 30 && sampler__held_back(&S, pid)); i++) {
		nap_ms(100);
		cr_assert_eq(sampler__sample(&S), 0);
		*a += ns_under(pid, a_comm);
		*b += ns_under(pid, b_comm);
		*all += ns_under(pid, NULL);
	}
}

/* Wait for a child to exit, read its main thread's CPU time as a zombie, then reap it;
 * *all: what all its threads used (rusage: their sum_exec_runtime, in microseconds). */
static __u64 reap_with_sum(pid_t pid, __u64 *all)
{
	siginfo_t si = { 0 };
	struct rusage ru;
	__u64 sum;

	cr_assert_eq(waitid(P_PID, pid, &si, WEXITED | WNOWAIT), 0);
	sum = schedstat_ns(pid);
	cr_assert_eq(wait4(pid, NULL, 0, &ru), pid);
	if (all)
		*all = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ULL +
		       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ULL;
	return sum;
}

/*
 * Issue 12, point 4. A process runs 1.5 s as "wp-before", execs burn and runs 1.5 s
 * more, all in one interval (as at -i 5): its time before the exec stays under the old
 * name, to within a tick of its own CPU clock at the exec, the rest under the new one
 * (it used to be 0 s and 3.0 s), and all its time (with the moment it ran under its
 * parent's name, before the prctl) adds up to its sum_exec_runtime.
 */
Test(bpf_load, exec_splits_the_interval_where_it_happens, .timeout = 60)
{
	volatile __u64 *at_exec;
	__u64 before, after, all, total;
	char tool[512];
	int go[2];
	pid_t pid;

	at_exec = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(at_exec, MAP_FAILED);
	snprintf(tool, sizeof(tool), "%s/tools/burn", th_out_dir());
	cr_assert_eq(pipe(go), 0);
	open_sampler_draining(PROBE_ATTACH_AUTO);
	pid = fork();
	if (!pid) {
		char c;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		prctl(PR_SET_NAME, "wp-before");
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		burn_cpu_ms(1500);
		*at_exec = own_cpu_ns();
		execl(tool, "burn", "1500", (char *)NULL);
		_exit(127);
	}
	/* an interval while it waits: its start-up (before its prctl too) is charged there */
	nap_ms(200);
	cr_assert_eq(sampler__sample(&S), 0);
	all = ns_under(pid, NULL);
	cr_assert_eq(write(go[1], "x", 1), 1);
	total = reap_with_sum(pid, NULL);
	cr_assert_eq(sampler__sample(&S), 0);
	before = ns_under(pid, "wp-before");
	after = ns_under(pid, "burn");
	all += ns_under(pid, NULL);
	more_intervals(pid, &before, "wp-before", &after, "burn", &all);
	cr_log_info("exec after %llu ns of CPU: %llu ns as wp-before, %llu ns as burn, %llu ns "
		    "in all (schedstat %llu ns)", (unsigned long long)*at_exec,
		    (unsigned long long)before, (unsigned long long)after,
		    (unsigned long long)all, (unsigned long long)total);
	cr_expect_lt(diff_ns(before, *at_exec), TICK_NS_MAX,
		     "%llu ns before the exec, its clock said %llu ns", (unsigned long long)before,
		     (unsigned long long)*at_exec);
	cr_expect_lt(diff_ns(after, total - *at_exec), TICK_NS_MAX);
	cr_expect_eq(all, total, "%llu ns charged, it ran %llu ns", (unsigned long long)all,
		     (unsigned long long)total);
	sampler__close(&S);
}

static void *rename_main(void *arg)
{
	pthread_setname_np(*(pthread_t *)arg, "wp-miner");
	return NULL;
}

/*
 * Issue 12, point 3. A process named "wp-innocent" has another thread rename its main
 * thread "wp-miner" (pthread_setname_np, a write to /proc/self/task/TID/comm) after 1 s
 * of CPU, and runs 1 s more. A sample taken 0.3 s after the rename shows it as
 * "wp-miner" and --comm '^wp-miner$' selects it, within that interval; over the run, the
 * time before the rename stays under the old name, to within a tick of its own clock,
 * and all its time is what its threads used (rusage).
 */
Test(bpf_load, rename_is_seen_within_an_interval, .timeout = 60)
{
	volatile __u64 *at_rename;
	struct view_opts vo = { .by = GROUP_PID };
	__u64 before = 0, after = 0, all = 0, total, mid_miner;
	struct view_row tmp;
	bool row = false;
	struct view v;
	int go[2];
	pid_t pid;

	at_rename = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(at_rename, MAP_FAILED);
	*at_rename = 0;
	cr_assert_eq(pipe(go), 0);
	open_sampler_draining(PROBE_ATTACH_AUTO);
	pid = fork();
	if (!pid) {
		pthread_t self = pthread_self(), t;
		char c;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		prctl(PR_SET_NAME, "wp-innocent");
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		burn_cpu_ms(1000);
		*at_rename = own_cpu_ns();
		if (pthread_create(&t, NULL, rename_main, &self) || pthread_join(t, NULL))
			_exit(2);
		burn_cpu_ms(1000);
		_exit(0);
	}
	nap_ms(200);
	cr_assert_eq(sampler__sample(&S), 0);
	all = ns_under(pid, NULL);
	cr_assert_eq(write(go[1], "x", 1), 1);
	while (!*at_rename)
		nap_ms(10);
	/* 0.3 s of its own CPU after the rename, however loaded the machine is */
	for (int i = 0; i < 1000 && schedstat_ns(pid) < *at_rename + 300000000ULL; i++)
		nap_ms(10);
	cr_assert_eq(sampler__sample(&S), 0);
	before += ns_under(pid, "wp-innocent");
	after += ns_under(pid, "wp-miner");
	mid_miner = ns_under(pid, "wp-miner");
	all += ns_under(pid, NULL);
	cr_assert_eq(regcomp(&vo.comm_re, "^wp-miner$", REG_EXTENDED | REG_NOSUB), 0);
	vo.have_comm_re = true;
	cr_assert_eq(view__init(&v), 0);
	cr_assert_eq(view__build(&v, &S.cur, &vo), 0);
	for (__u32 i = 0; i < v.nr; i++)
		if (view__row(&v, i, &tmp)->p->tgid == (__u32)pid)
			row = true;
	cr_expect(row, "--comm '^wp-miner$' does not show the renamed process");
	cr_expect_gt(mid_miner, 100000000ULL, "only %llu ns as wp-miner after 0.3 s of CPU since the rename",
		     (unsigned long long)mid_miner);
	view__free(&v);
	regfree(&vo.comm_re);
	reap_with_sum(pid, &total);
	cr_assert_eq(sampler__sample(&S), 0);
	before += ns_under(pid, "wp-innocent");
	after += ns_under(pid, "wp-miner");
	all += ns_under(pid, NULL);
	more_intervals(pid, &before, "wp-innocent", &after, "wp-miner", &all);
	cr_log_info("renamed after %llu ns of CPU: %llu ns as wp-innocent, %llu ns as wp-miner "
		    "(%llu ns within the interval of the rename); rusage %llu ns",
		    (unsigned long long)*at_rename, (unsigned long long)before,
		    (unsigned long long)after, (unsigned long long)mid_miner,
		    (unsigned long long)total);
	cr_expect_lt(diff_ns(before, *at_rename), TICK_NS_MAX);
	/* rusage misses what a thread runs after its exit added its time to the group's
	 * (some 10 us here): the 0.1% */
	cr_expect_lt(diff_ns(all, total), total / 1000, "%llu ns charged, rusage %llu ns",
		     (unsigned long long)all, (unsigned long long)total);
	sampler__close(&S);
}

static __u64 cg_usage_ns(const char *dir)
{
	char path[512], buf[1024], *p;
	unsigned long long us = 0;

	snprintf(path, sizeof(path), "%s/cpu.stat", dir);
	cr_assert_gt(read_small_file(path, buf, sizeof(buf)), 0);
	p = strstr(buf, "usage_usec ");
	cr_assert_not_null(p);
	sscanf(p, "usage_usec %llu", &us);
	return us * 1000ULL;
}

static void cg_move(const char *dir, pid_t pid)
{
	char path[512], num[32];
	int fd;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	fd = open(path, O_WRONLY);
	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	snprintf(num, sizeof(num), "%d", pid);
	cr_assert_gt(write(fd, num, strlen(num)), 0, "move %d to %s: %s", pid, dir, strerror(errno));
	close(fd);
}

/* The cgroup2 mount point, or NULL. */
static const char *cgroup2_root(char *buf, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[1024], mnt[512], fstype[64];

	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		char *dash = strstr(line, " - ");

		if (!dash || sscanf(dash, " - %63s", fstype) != 1 || strcmp(fstype, "cgroup2"))
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %511s", mnt) == 1) {
			snprintf(buf, len, "%s", mnt);
			fclose(f);
			return buf;
		}
	}
	fclose(f);
	return NULL;
}

/*
 * Issue 12, point 4. A CPU-bound process moved from cgroup A to cgroup B after 3 s of 8,
 * in one interval: the agent's time of it under each cgroup matches that cgroup's own
 * cpu.stat usage_usec (it used to be -33% and +20%), within 1% and a tick.
 */
Test(bpf_load, cgroup_move_splits_where_it_happens, .timeout = 60)
{
	char root[512], a[600], b[600];
	__u64 ua0, ub0, ua, ub, in_a = 0, in_b = 0;
	struct stat sta, stb;
	int go[2];
	pid_t pid;

	if (geteuid())
		cr_skip_test("needs root to load BPF");
	if (!cgroup2_root(root, sizeof(root)))
		cr_skip_test("no cgroup2 mount");
	snprintf(a, sizeof(a), "%s/wptest-move-a-%d", root, getpid());
	snprintf(b, sizeof(b), "%s/wptest-move-b-%d", root, getpid());
	cr_assert_eq(mkdir(a, 0755), 0, "mkdir %s: %s", a, strerror(errno));
	cr_assert_eq(mkdir(b, 0755), 0, "mkdir %s: %s", b, strerror(errno));
	cr_assert_eq(stat(a, &sta), 0);
	cr_assert_eq(stat(b, &stb), 0);
	cr_assert_eq(pipe(go), 0);
	pid = fork();
	if (!pid) {
		__u64 end;
		char c;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		end = now_ns(CLOCK_MONOTONIC) + 8000000000ULL;
		while (now_ns(CLOCK_MONOTONIC) < end)
			;
		_exit(0);
	}
	cg_move(a, pid);
	open_sampler_draining(PROBE_ATTACH_AUTO);
	settle(1);
	ua0 = cg_usage_ns(a);
	ub0 = cg_usage_ns(b);
	cr_assert_eq(write(go[1], "x", 1), 1);
	nap_ms(3000);
	cg_move(b, pid);
	reap_with_sum(pid, NULL);
	ua = cg_usage_ns(a) - ua0;
	ub = cg_usage_ns(b) - ub0;
	for (int k = 0; k < 3; k++) {
		if (k)
			nap_ms(100);
		cr_assert_eq(sampler__sample(&S), 0);
		for (__u32 i = 0; i < S.cur.nr_procs; i++) {
			const struct proc *p = S.cur.procs[i];

			if (p->tgid != (__u32)pid)
				continue;
			if (p->cgroup_id == sta.st_ino)
				in_a += p->iv.ns;
			else if (p->cgroup_id == stb.st_ino)
				in_b += p->iv.ns;
		}
	}
	cr_log_info("moved after 3 s of 8: A %llu ns (cpu.stat %llu), B %llu ns (cpu.stat %llu)",
		    (unsigned long long)in_a, (unsigned long long)ua, (unsigned long long)in_b,
		    (unsigned long long)ub);
	cr_expect_lt(diff_ns(in_a, ua), ua / 100 + TICK_NS_MAX, "in A: %llu ns, cpu.stat %llu ns",
		     (unsigned long long)in_a, (unsigned long long)ua);
	cr_expect_lt(diff_ns(in_b, ub), ub / 100 + TICK_NS_MAX, "in B: %llu ns, cpu.stat %llu ns",
		     (unsigned long long)in_b, (unsigned long long)ub);
	sampler__close(&S);
	for (int i = 0; i < 50 && (rmdir(a) || rmdir(b)) && errno == EBUSY; i++)
		nap_ms(100);
}

/*
 * Issue 12, point 7. At -i 0.2 with a CPU-bound process on every CPU, a CPU is never
 * charged more than the interval: the running slice is credited up to the last tick,
 * and the tick the interval before missed used to land on top (up to +3.1%). Every
 * interval, per CPU and in all, processes + idle stay within what the CPUs had, and
 * nothing is lost: over the run, each process gets what it ran (schedstat, read as a
 * zombie), to the nanosecond.
 */
/* What the sampler holds back of any of n processes (see more_intervals). */
static __u64 held_back_of(const pid_t *pid, int n)
{
	__u64 ns = 0;

	for (int i = 0; i < n; i++)
		ns += sampler__held_back(&S, pid[i]);
	return ns;
}

Test(bpf_load, short_intervals_stay_within_capacity, .timeout = 60)
{
	__u64 got[8] = {}, ran[8], worst = 0;
	int ncpu, over = 0;
	pid_t pid[8];

	open_sampler_draining(PROBE_ATTACH_AUTO);
	ncpu = S.topo.nr_cpus < 8 ? S.topo.nr_cpus : 8;
	for (int c = 0; c < ncpu; c++)
		pid[c] = busy_child(c);
	for (int i = 0; i < 15; i++) {
		__u64 cpu_ns[8] = {}, online = 0, sum = 0;

		nap_ms(200);
		cr_assert_eq(sampler__sample(&S), 0);
		for (__u32 k = 0; k < S.cur.nr_charges; k++)
			if (S.cur.charges[k].cpu < 8)
				cpu_ns[S.cur.charges[k].cpu] += S.cur.charges[k].ns;
		for (int c = 0; c < S.topo.nr_cpus && c < 8; c++) {
			if (!S.topo.online[c])
				continue;
			online++;
			if (cpu_ns[c] > S.cur.interval_ns) {
				over++;
				if (cpu_ns[c] - S.cur.interval_ns > worst)
					worst = cpu_ns[c] - S.cur.interval_ns;
			}
		}
		for (__u32 k = 0; k < S.cur.nr_procs; k++) {
			sum += S.cur.procs[k]->iv.ns;
			for (int c = 0; c < ncpu; c++)
				if (S.cur.procs[k]->tgid == (__u32)pid[c])
					got[c] += S.cur.procs[k]->iv.ns;
		}
		cr_expect_leq(sum + S.cur.idle_ns, online * S.cur.interval_ns,
			      "interval %d: processes %llu + idle %llu ns > %llu CPUs x %llu ns", i,
			      (unsigned long long)sum, (unsigned long long)S.cur.idle_ns,
			      (unsigned long long)online, (unsigned long long)S.cur.interval_ns);
	}
	for (int c = 0; c < ncpu; c++) {
		kill(pid[c], SIGKILL);
		ran[c] = reap_with_sum(pid[c], NULL);
	}
	for (int i = 0; i < 2 || (i < 30 && held_back_of(pid, ncpu)); i++) {
		nap_ms(200);
		cr_assert_eq(sampler__sample(&S), 0);
		for (__u32 k = 0; k < S.cur.nr_procs; k++)
			for (int c = 0; c < ncpu; c++)
				if (S.cur.procs[k]->tgid == (__u32)pid[c])
					got[c] += S.cur.procs[k]->iv.ns;
	}
	cr_log_info("15 intervals of 0.2 s: %d CPU-intervals over capacity (worst +%llu ns)", over,
		    (unsigned long long)worst);
	cr_expect_eq(over, 0, "%d CPU-intervals over capacity, worst by %llu ns", over,
		     (unsigned long long)worst);
	for (int c = 0; c < ncpu; c++) {
		cr_log_info("busy child on CPU %d: charged %llu ns, ran %llu ns", c,
			    (unsigned long long)got[c], (unsigned long long)ran[c]);
		cr_expect_eq(got[c], ran[c], "child on CPU %d charged %llu ns, ran %llu ns "
			     "(%llu records dropped)", c, (unsigned long long)got[c],
			     (unsigned long long)ran[c], (unsigned long long)S.cur.dropped);
	}
	sampler__close(&S);
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Integration tests of short-lived work that load the real BPF program (root
 * needed): processes that start and exit between two samples are charged,
 * grouped by their comm, against getrusage(RUSAGE_CHILDREN); and a PID reused
 * within one interval stays two processes.
 */
#include <criterion/criterion.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include "helpers.h"
#include "sample/sampler.h"
#include "lib/util.h"
#include "sample/view.h"

static struct sampler S;

static void open_sampler(void)
{
	struct sampler_opts o = {
		.interval_s = 0.5, .sensors = "model", .idle_w = -1, .max_procs = 32768,
	};
	char err[512];

	if (geteuid())
		cr_skip_test("needs root to load BPF");
	cr_assert_eq(sampler__open(&S, &o, err, sizeof(err)), 0, "sampler__open: %s", err);
	/* as the agent runs it: the ring buffer drained all the time (see it_bpf.c) */
	sampler__boost_drain(&S);	/* nice -20, as the agent's */
	cr_assert_eq(sampler__start(&S, err, sizeof(err)), 0, "%s", err);
}

static __u64 children_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_CHILDREN, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ULL +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ULL;
}

/*
 * The burn tool under a name of this run's own (a symlink; a comm is the name
 * exec'd), so that a burn of another test or user on the host is not counted.
 */
static char burn_path[600], burn_name[16], *burn_dir;

static void remove_burn(void)
{
	unlink(burn_path);
	th_rmrf(burn_dir);
	free(burn_dir);
}

static void make_burn(void)
{
	char tool[512], *dir = th_tmpdir();

	cr_assert_not_null(dir);
	snprintf(tool, sizeof(tool), "%s/tools/burn", th_out_dir());
	cr_assert_not_null(realpath(tool, burn_path), "no %s", tool);
	snprintf(burn_name, sizeof(burn_name), "burn%u", (unsigned)getpid() % 1000000);
	snprintf(tool, sizeof(tool), "%s/%s", dir, burn_name);
	cr_assert_eq(symlink(burn_path, tool), 0);
	snprintf(burn_path, sizeof(burn_path), "%s", tool);
	burn_dir = dir;
	atexit(remove_burn);
}

static pid_t spawn_burn(const char *ms)
{
	pid_t pid;

	if (!burn_path[0])
		make_burn();
	pid = fork();
	if (!pid) {
		execl(burn_path, burn_name, ms, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* The view's row for a group key, NULL if none. */
static const struct view_row *row(const struct view *v, const char *key)
{
	for (__u32 i = 0; i < v->nr; i++)
		if (!strcmp(v->rows[i].key, key))
			return &v->rows[i];
	return NULL;
}

/* 200 processes of 20 ms each, two at a time, all between two samples. Each runs a
 * moment under its parent's name before its exec: that goes under that name (issue 12,
 * point 4), so the children's time in all is checked by pid, and "burn" holds the rest. */
Test(short_lived_bpf_load, burst_is_charged_by_comm, .timeout = 60)
{
	struct view_opts vo = { .by = GROUP_COMM };
	__u64 before, want, got = 0, all = 0;
	__u32 members = 0;
	pid_t kids[200];
	struct view v;
	int status;

	open_sampler();
	cr_assert_eq(view__init(&v), 0);
	cr_assert_eq(sampler__sample(&S), 0);
	sampler__done(&S);
	before = children_ns();
	for (int i = 0; i < 100; i++) {
		pid_t a = spawn_burn("20"), b = spawn_burn("20");

		kids[2 * i] = a;
		kids[2 * i + 1] = b;
		cr_assert_eq(waitpid(a, &status, 0), a);
		cr_assert(WIFEXITED(status) && !WEXITSTATUS(status), "burn failed");
		cr_assert_eq(waitpid(b, &status, 0), b);
	}
	want = children_ns() - before;
	for (int i = 0; i < 3; i++) {
		const struct view_row *r;

		cr_assert_eq(sampler__sample(&S), 0);
		cr_assert_eq(view__build(&v, &S.cur, &vo), 0);
		r = row(&v, burn_name);
		if (r) {
			got += r->iv.ns;
			members += r->members;
		}
		for (__u32 k = 0; k < S.cur.nr_procs; k++)
			for (int j = 0; j < 200; j++)
				if (S.cur.procs[k]->tgid == (__u32)kids[j])
					all += S.cur.procs[k]->iv.ns;
		sampler__done(&S);
		usleep(200000);
	}
	cr_log_info("200 short processes: charged %llu ns (%llu ns to '%s', %u rows), rusage "
		    "%llu ns, %.3f%%", (unsigned long long)all, (unsigned long long)got, burn_name,
		    members, (unsigned long long)want, all * 100.0 / want);
	cr_expect_geq(all, want * 99 / 100, "charged %llu ns, rusage says %llu ns",
		      (unsigned long long)all, (unsigned long long)want);
	cr_expect_leq(all, want * 101 / 100, "charged %llu ns, rusage says %llu ns",
		      (unsigned long long)all, (unsigned long long)want);
	cr_expect_geq(got, all * 97 / 100, "only %llu of %llu ns under '%s'",
		      (unsigned long long)got, (unsigned long long)all, burn_name);
	cr_expect_geq(members, 200, "only %u processes seen", members);
	view__free(&v);
	sampler__close(&S);
}

/* A busy child that exits, and a second one given the same PID through
 * ns_last_pid, in one interval: two processes, each with its own time. */
Test(short_lived_bpf_load, reused_pid_is_two_processes, .timeout = 60)
{
	struct rusage ru1, ru2;
	const struct proc *seen[2] = {};
	__u64 got[2] = {};
	bool exited[2] = {};
	pid_t a, b;
	int n = 0, status, ret, first;

	open_sampler();
	a = spawn_burn("30");
	cr_assert_eq(wait4(a, &status, 0, &ru1), a);
	ret = th_next_pid(a);
	if (ret == -ENOENT)
		cr_skip_test("no /proc/sys/kernel/ns_last_pid");
	cr_assert_eq(ret, 0, "ns_last_pid: %s", strerror(-ret));
	b = spawn_burn("50");
	cr_assert_eq(wait4(b, &status, 0, &ru2), b);
	if (b != a)
		cr_skip_test("PID %d was taken before it could be reused", a);
	cr_assert_eq(sampler__sample(&S), 0);
	/*
	 * Each instance's time, from every row of it (a process shows as two rows in the
	 * interval of its exec: before and after), told apart by start time: the first one
	 * started first. (Told apart by their time, an instance charged too little for its
	 * 50 ms was taken for the 30 ms one and reported as charged 27% too much.)
	 */
	for (__u32 i = 0; i < S.cur.nr_procs; i++) {
		const struct proc *p = S.cur.procs[i];
		int k;

		if (p->tgid != (__u32)a)
			continue;
		for (k = 0; k < n && seen[k]->start_ns != p->start_ns; k++)
			;
		if (k == n) {
			cr_assert_lt(n, 2, "PID %d: a third start time", a);
			seen[n++] = p;
		}
		got[k] += p->iv.ns;
		exited[k] |= p->exited;
	}
	cr_assert_eq(n, 2, "PID %d reused: %d process(es) reported", a, n);
	first = seen[0]->start_ns < seen[1]->start_ns ? 0 : 1;
	for (int i = 0; i < 2; i++) {
		const struct rusage *ru = i == first ? &ru1 : &ru2;
		__u64 want = (ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1000000000ULL +
			     (ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) * 1000ULL;

		cr_log_info("PID %d instance %d (%s): charged %llu ns, rusage %llu ns", a, i,
			    i == first ? "the first" : "the second", (unsigned long long)got[i],
			    (unsigned long long)want);
		cr_expect_lt(got[i] > want ? got[i] - want : want - got[i], want / 100 + 1000000,
			     "instance %d charged %llu ns, rusage %llu ns (%llu records dropped)", i,
			     (unsigned long long)got[i], (unsigned long long)want,
			     (unsigned long long)S.cur.dropped);
		cr_expect(exited[i], "instance %d not marked exited", i);
	}
	sampler__close(&S);
}

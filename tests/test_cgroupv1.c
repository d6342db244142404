// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* cgroup v1 paths from /proc/PID/cgroup: the parser, the choice of hierarchy, the cache. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include "meta/cgroupv1.h"
#include "meta/container.h"
#include "helpers.h"
#include "kernel/pidns.h"

#define ID1 "4e1b2cbd6ae3a3b7c8f0d1e2f3a4b5c6d7e8f90112233445566778899aabbccd"

/* A Docker container on a hybrid host (this VM's layout) */
static const char hybrid[] =
	"12:rdma:/\n"
	"9:name=systemd:/docker/" ID1 "\n"
	"8:pids:/docker/" ID1 "\n"
	"4:memory:/docker/" ID1 "\n"
	"2:cpu,cpuacct:/docker/" ID1 "\n"
	"1:net_cls,net_prio:/\n"
	"0::/\n";

Test(cgroupv1, parse)
{
	char out[256];

	cr_assert_eq(proc_cgroup_path(hybrid, "name=systemd", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "/docker/" ID1);
	cr_assert_eq(proc_cgroup_path(hybrid, "cpuacct", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "/docker/" ID1);
	cr_assert_eq(proc_cgroup_path(hybrid, "net_prio", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "/");
	cr_assert_eq(proc_cgroup_path(hybrid, "", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "/");
	/* "cpu" is not "cpuset", "name=sys" is not "name=systemd" */
	cr_assert_eq(proc_cgroup_path("3:cpuset:/x\n", "cpu", out, sizeof(out)), -ENOENT);
	cr_assert_eq(proc_cgroup_path(hybrid, "name=sys", out, sizeof(out)), -ENOENT);
	/* a path with ':' (runc's systemd form) is kept whole */
	cr_assert_eq(proc_cgroup_path("5:pids:/system.slice/containerd.service/kubepods-pod1.slice:"
				      "cri-containerd:" ID1, "pids", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "/system.slice/containerd.service/kubepods-pod1.slice:cri-containerd:"
			 ID1);
	/* pure v2: only "0::" */
	cr_assert_eq(proc_cgroup_path("0::/user.slice\n", "cpu", out, sizeof(out)), -ENOENT);
	cr_assert_eq(proc_cgroup_path("0::/user.slice\n", "", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "/user.slice");
	cr_assert_eq(proc_cgroup_path(hybrid, "pids", out, 8), -ENAMETOOLONG);
	cr_assert_eq(proc_cgroup_path("garbage\n::\n", "pids", out, sizeof(out)), -ENOENT);
}

static char *proc;

static void write_proc(const char *pid, const char *text)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s/cgroup", proc, pid);
	cr_assert_eq(th_write_file(path, text), 0);
}

static void mk_proc(void)
{
	proc = th_tmpdir();
	cr_assert_not_null(proc);
}

static void rm_proc(void)
{
	th_rmrf(proc);
	free(proc);
}

/* Issue 24, point 7: in a private cgroup namespace, other processes' paths are "/../..." */
Test(cgroupv1, outside_the_cgroup_namespace)
{
	cr_assert(cgroup_v1__outside_ns("/.."));
	cr_assert(cgroup_v1__outside_ns("/../4e1b2cbd6ae3"));
	cr_assert(cgroup_v1__outside_ns("/../../system.slice/cron.service"));
	cr_assert(!cgroup_v1__outside_ns("/"));
	cr_assert(!cgroup_v1__outside_ns("/docker/4e1b2cbd6ae3"));
	cr_assert(!cgroup_v1__outside_ns("/..hidden/x"), "a name that starts with two dots");
	cr_assert(!cgroup_v1__outside_ns(NULL));
}

Test(cgroupv1, none_on_a_pure_v2_host, .init = mk_proc, .fini = rm_proc)
{
	write_proc("self", "0::/user.slice/session-1.scope\n");
	cr_assert_null(cgroup_v1__new(proc, 100));
	cr_assert_eq(errno, ENOENT);
}

Test(cgroupv1, paths_and_containers, .init = mk_proc, .fini = rm_proc)
{
	const struct cg_info *info;
	struct cgroup_v1 *c;
	const char *p;

	/* no name=systemd hierarchy here: cpu is the next choice */
	write_proc("self", "4:memory:/process_api/x\n2:cpu,cpuacct:/\n0::/\n");
	write_proc("42", "4:memory:/docker/" ID1 "\n2:cpu,cpuacct:/docker/" ID1 "\n0::/\n");
	write_proc("43", "4:memory:/\n2:cpu,cpuacct:/kubepods/burstable/pod"
			 "2ca4a155-3599-498d-bb9d-4446693fa3ea/" ID1 "\n0::/\n");
	c = cgroup_v1__new(proc, 100);
	cr_assert_not_null(c);
	cr_assert_str_eq(cgroup_v1__controller(c), "cpu");
	cgroup_v1__begin(c, 3);
	p = cgroup_v1__path(c, 42, 1000, "sh", &info);
	cr_assert_str_eq(p, "/docker/" ID1);
	cr_assert_eq(info->runtime, CG_DOCKER);
	cr_assert_str_eq(info->container_id, ID1);
	p = cgroup_v1__path(c, 43, 1000, "app", &info);
	cr_assert_eq(info->runtime, CG_KUBEPODS);
	cr_assert_str_eq(info->pod_uid, "2ca4a155-3599-498d-bb9d-4446693fa3ea");
	/* gone: unknown */
	cr_assert_null(cgroup_v1__path(c, 44, 1000, "x", &info));
	cr_assert_null(info);

	/* moved: the cache answers until the process execs (a new comm) */
	write_proc("42", "2:cpu,cpuacct:/system.slice/x.service\n0::/\n");
	p = cgroup_v1__path(c, 42, 1000, "sh", &info);
	cr_assert_str_eq(p, "/docker/" ID1);
	p = cgroup_v1__path(c, 42, 1000, "nginx", &info);
	cr_assert_str_eq(p, "/system.slice/x.service");
	cr_assert_str_eq(info->unit, "x.service");
	cr_assert_str_empty(info->container_id);
	/* the same PID with another start time is another process: read anew */
	write_proc("43", "2:cpu,cpuacct:/\n0::/\n");
	p = cgroup_v1__path(c, 43, 2000, "app", &info);
	cr_assert_str_eq(p, "/");
	cgroup_v1__free(c);
}

Test(cgroupv1, bounded, .init = mk_proc, .fini = rm_proc)
{
	const struct cg_info *info;
	struct cgroup_v1 *c;
	char pid[16];

	write_proc("self", "1:name=systemd:/\n0::/\n");
	for (int i = 1; i <= 5; i++) {
		snprintf(pid, sizeof(pid), "%d", i);
		write_proc(pid, "1:name=systemd:/docker/" ID1 "\n");
	}
	c = cgroup_v1__new(proc, 3);
	cr_assert_str_eq(cgroup_v1__controller(c), "name=systemd");
	for (int i = 1; i <= 3; i++)
		cr_assert_not_null(cgroup_v1__path(c, i, 1, "a", &info));
	/* full: unknown until the next round, which starts afresh */
	cr_assert_null(cgroup_v1__path(c, 4, 1, "a", &info));
	cgroup_v1__begin(c, 3);
	cr_assert_not_null(cgroup_v1__path(c, 4, 1, "a", &info));
	cr_assert_not_null(cgroup_v1__path(c, 5, 1, "a", &info));
	cgroup_v1__free(c);
}

/*
 * The tables grow as processes come (2,000 here, from 64 slots): every process is
 * still found, answered from the cache (a move without exec is seen after the TTL
 * only); a round of 10 processes after them drops the 2,000, gone for the most part.
 */
Test(cgroupv1, grows_and_drops_what_rounds_no_longer_ask_for, .init = mk_proc, .fini = rm_proc)
{
	const struct cg_info *info;
	const char *first[2000];
	struct cgroup_v1 *c;
	char pid[16];

	write_proc("self", "1:name=systemd:/\n0::/\n");
	for (int i = 1; i <= 2000; i++) {
		snprintf(pid, sizeof(pid), "%d", i);
		write_proc(pid, i % 2 ? "1:name=systemd:/docker/" ID1 "\n" :
					"1:name=systemd:/system.slice/a.service\n");
	}
	c = cgroup_v1__new(proc, 32768);
	cgroup_v1__begin(c, 2000);
	for (int i = 1; i <= 2000; i++) {
		first[i - 1] = cgroup_v1__path(c, i, 7, "a", &info);
		cr_assert_not_null(first[i - 1], "pid %d", i);
	}
	for (int i = 1; i <= 2000; i++) {
		snprintf(pid, sizeof(pid), "%d", i);
		write_proc(pid, "1:name=systemd:/moved\n");
	}
	cgroup_v1__begin(c, 2000);
	for (int i = 1; i <= 2000; i++)
		cr_assert_eq(cgroup_v1__path(c, i, 7, "a", &info), first[i - 1],
			     "pid %d: not the cached path after the tables grew", i);
	cr_assert_str_eq(first[0], "/docker/" ID1);
	cr_assert_str_eq(first[1], "/system.slice/a.service");
	/* 2,000 cached, 10 asked for: more than 4 x 10 + 1024, dropped, read anew */
	cgroup_v1__begin(c, 10);
	cr_assert_str_eq(cgroup_v1__path(c, 1, 7, "a", &info), "/moved");
	cgroup_v1__free(c);
}

/* --- the PID namespace ------------------------------------------------------------- */

Test(pidns, parse_link)
{
	unsigned long long ino;

	cr_assert_eq(pidns_parse_link("pid:[4026531836]", &ino), 0);
	cr_assert_eq(ino, PIDNS_INIT_INO);
	cr_assert_eq(pidns_parse_link("pid:[4026532201]", &ino), 0);
	cr_assert_eq(ino, 4026532201ULL);
	cr_assert_eq(pidns_parse_link("net:[4026531836]", &ino), -EINVAL);
	cr_assert_eq(pidns_parse_link("pid:[]", &ino), -EINVAL);
	cr_assert_eq(pidns_parse_link("pid:[12x]", &ino), -EINVAL);
	cr_assert_eq(pidns_parse_link("pid:[12", &ino), -EINVAL);
}

Test(pidns, initial_or_not, .init = mk_proc, .fini = rm_proc)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/self/ns", proc);
	cr_assert_eq(th_write_file(strcat(path, "/x"), ""), 0);
	snprintf(path, sizeof(path), "%s/self/ns/pid", proc);
	cr_assert_eq(symlink("pid:[4026531836]", path), 0);
	cr_assert_eq(pidns__is_initial(proc), 1);
	unlink(path);
	cr_assert_eq(symlink("pid:[4026532999]", path), 0);
	cr_assert_eq(pidns__is_initial(proc), 0);
	unlink(path);
	cr_assert_lt(pidns__is_initial(proc), 0);
}

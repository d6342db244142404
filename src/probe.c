// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* BPF loader: open, choose tp_btf or raw_tp, load, attach; read and drain. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <sys/capability.h>
#include "probe.h"
#include "util.h"
#include "wattprobe.skel.h"

static bool verbose_libbpf;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG && !verbose_libbpf)
		return 0;
	if (level == LIBBPF_INFO && !verbose_libbpf)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static bool have_cap(cap_t caps, cap_value_t cap)
{
	cap_flag_value_t v = CAP_CLEAR;

	if (!CAP_IS_SUPPORTED(cap))
		return false;
	cap_get_flag(caps, cap, CAP_EFFECTIVE, &v);
	return v == CAP_SET;
}

int probe__check(char *err, size_t errlen)
{
	bool bpf, perfmon, admin;
	cap_t caps;

	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		snprintf(err, errlen,
			 "kernel BTF not found (/sys/kernel/btf/vmlinux): wattprobe needs a kernel "
			 "built with CONFIG_DEBUG_INFO_BTF=y (Debian, Ubuntu, RHEL and Fedora kernels "
			 "have it); in a container, mount /sys/kernel/btf from the host");
		return -ENOENT;
	}
	caps = cap_get_proc();
	if (!caps) {
		snprintf(err, errlen, "failed to read capabilities: %s", strerror(errno));
		return -errno;
	}
	bpf = have_cap(caps, CAP_BPF);
	perfmon = have_cap(caps, CAP_PERFMON);
	admin = have_cap(caps, CAP_SYS_ADMIN);
	cap_free(caps);
	if (admin || (bpf && perfmon))
		return 0;
	snprintf(err, errlen,
		 "missing capabilities %s%s%s: wattprobe needs CAP_BPF and CAP_PERFMON "
		 "(or CAP_SYS_ADMIN) to load and attach its BPF program; run it as root, or "
		 "grant them (setcap cap_bpf,cap_perfmon,cap_dac_read_search+ep wattprobe, "
		 "or docker run --user 0:0 --cap-add BPF --cap-add PERFMON)",
		 bpf ? "" : "CAP_BPF", !bpf && !perfmon ? ", " : "", perfmon ? "" : "CAP_PERFMON");
	return -EPERM;
}

/* tp_btf needs the tracepoint's btf_trace_* typedef in the kernel's BTF. */
static bool kernel_has_tp_btf(void)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	bool ok;

	if (!vmlinux)
		return false;
	ok = btf__find_by_name_kind(vmlinux, "btf_trace_sched_switch", BTF_KIND_TYPEDEF) > 0 &&
	     btf__find_by_name_kind(vmlinux, "btf_trace_sched_process_exit", BTF_KIND_TYPEDEF) > 0 &&
	     btf__find_by_name_kind(vmlinux, "btf_trace_task_rename", BTF_KIND_TYPEDEF) > 0 &&
	     btf__find_by_name_kind(vmlinux, "btf_trace_cgroup_attach_task", BTF_KIND_TYPEDEF) > 0;
	btf__free(vmlinux);
	return ok;
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct probe *p = ctx;

	acct__record(p->acct, data, size);
	return 0;
}

int probe__open(struct probe *p, enum probe_attach attach, struct acct *acct, bool want_exe,
		bool verbose, char *err, size_t errlen)
{
	struct wattprobe_bpf *skel;
	bool btf;
	int ret;

	memset(p, 0, sizeof(*p));
	verbose_libbpf = verbose;
	libbpf_set_print(libbpf_print);
	p->acct = acct;
	p->nr_cpus = libbpf_num_possible_cpus();
	if (p->nr_cpus <= 0) {
		snprintf(err, errlen, "failed to count possible CPUs: %s", strerror(-p->nr_cpus));
		return p->nr_cpus ? p->nr_cpus : -EINVAL;
	}
	p->values = calloc(p->nr_cpus, sizeof(struct wp_cpu));
	p->keys = calloc(p->nr_cpus, sizeof(*p->keys));
	if (!p->values || !p->keys) {
		free(p->values);
		free(p->keys);
		return -ENOMEM;
	}

	btf = attach == PROBE_ATTACH_TP_BTF ||
	      (attach == PROBE_ATTACH_AUTO && kernel_has_tp_btf());
	p->tp_btf = btf;

	skel = wattprobe_bpf__open();
	if (!skel) {
		ret = -errno;
		snprintf(err, errlen, "failed to open BPF object: %s", strerror(errno));
		goto cleanup;
	}
	p->skel = skel;
	bpf_program__set_autoload(skel->progs.wp_switch_btf, btf);
	bpf_program__set_autoload(skel->progs.wp_exit_btf, btf);
	bpf_program__set_autoload(skel->progs.wp_rename_btf, btf);
	bpf_program__set_autoload(skel->progs.wp_switch_raw, !btf);
	bpf_program__set_autoload(skel->progs.wp_exit_raw, !btf);
	bpf_program__set_autoload(skel->progs.wp_rename_raw, !btf);
	bpf_program__set_autoload(skel->progs.wp_attach_btf, btf);
	bpf_program__set_autoload(skel->progs.wp_attach_raw, !btf);
	/* executables: only when the agent shows them */
	bpf_program__set_autoload(skel->progs.wp_exec_btf, btf && want_exe);
	bpf_program__set_autoload(skel->progs.wp_exec_raw, !btf && want_exe);
	bpf_program__set_autoload(skel->progs.wp_fork_btf, btf && want_exe);
	bpf_program__set_autoload(skel->progs.wp_fork_raw, !btf && want_exe);
	bpf_program__set_autoload(skel->progs.wp_exe_iter, want_exe);
	bpf_program__set_autoattach(skel->progs.wp_exe_iter, false);
	bpf_program__set_autoattach(skel->progs.wp_snap, false);
	ret = bpf_map__set_max_entries(skel->maps.cpus, p->nr_cpus);
	if (!ret)
		ret = bpf_map__set_max_entries(skel->maps.events, WP_RINGBUF_DEFAULT);
	if (ret) {
		snprintf(err, errlen, "failed to size the BPF maps: %s", strerror(-ret));
		goto cleanup;
	}
	skel->rodata->wake_bytes = WP_RINGBUF_DEFAULT / 4;
	skel->rodata->nr_cpus = p->nr_cpus;
	skel->rodata->want_exe = want_exe;
	skel->rodata->have_bpf_loop =
		libbpf_probe_bpf_helper(BPF_PROG_TYPE_RAW_TRACEPOINT, BPF_FUNC_loop, NULL) > 0;

	ret = wattprobe_bpf__load(skel);
	if (ret) {
		snprintf(err, errlen, "failed to load BPF program (%s attach): %s%s",
			 btf ? "tp_btf" : "raw_tp", strerror(-ret),
			 verbose ? "" : "; run with --verbose for the verifier's log");
		goto cleanup;
	}
	ret = wattprobe_bpf__attach(skel);
	if (ret) {
		snprintf(err, errlen, "failed to attach to sched_switch: %s", strerror(-ret));
		goto cleanup;
	}
	p->snap_fd = bpf_program__fd(skel->progs.wp_snap);
	if (want_exe) {
		p->exe_iter = bpf_program__attach_iter(skel->progs.wp_exe_iter, NULL);
		if (!p->exe_iter) {
			ret = -errno;
			snprintf(err, errlen, "failed to attach the task iterator: %s", strerror(errno));
			goto cleanup;
		}
	}
	p->rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_event, p, NULL);
	if (!p->rb) {
		ret = -errno;
		snprintf(err, errlen, "failed to open the BPF ring buffer: %s", strerror(errno));
		goto cleanup;
	}
	return 0;

cleanup:
	probe__close(p);
	return ret;
}

/* Run wp_snap on a CPU: it records how long that CPU's running task has run. */
static void snap_cpu(struct probe *p, int cpu)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .flags = BPF_F_TEST_RUN_ON_CPU, .cpu = cpu);

	/* an offline CPU answers ENXIO: it runs nothing, there is nothing to credit */
	if (bpf_prog_test_run_opts(p->snap_fd, &opts))
		p->snap_failures++;
}

/* Every CPU's state in one call where the kernel can (5.6), else one call per CPU. */
static int read_cpus(struct probe *p)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	int fd = bpf_map__fd(p->skel->maps.cpus);
	__u32 count = p->nr_cpus, out;
	int ret;

	if (!p->no_batch) {
		ret = bpf_map_lookup_batch(fd, NULL, &out, p->keys, p->values, &count, &opts);
		if (!ret || (ret == -ENOENT && count == (__u32)p->nr_cpus))
			return 0;
		if (ret != -EINVAL && ret != -524 /* ENOTSUPP */ && ret != -EOPNOTSUPP)
			return ret;
		p->no_batch = true;
	}
	for (__u32 cpu = 0; cpu < (__u32)p->nr_cpus; cpu++)
		if (bpf_map_lookup_elem(fd, &cpu, &p->values[cpu]))
			return -errno;
	return 0;
}

__u64 probe__snapshot(struct probe *p, const bool *online)
{
	__u64 now;
	int ret;

	for (int cpu = 0; cpu < p->nr_cpus; cpu++)
		if (!online || online[cpu])
			snap_cpu(p, cpu);
	/* the records wp_snap and the switches before it wrote come first: a split
	 * record pays what was credited of its slice before the slots are read */
	ret = probe__drain(p);
	if (ret < 0) {
		errno = -ret;
		return 0;
	}
	ret = read_cpus(p);
	if (ret) {
		errno = -ret;
		return 0;
	}
	now = now_ns(CLOCK_MONOTONIC);
	for (int cpu = 0; cpu < p->nr_cpus; cpu++)
		acct__cpu(p->acct, cpu, &p->values[cpu]);
	return now;
}

int probe__drain(struct probe *p)
{
	return ring_buffer__consume(p->rb);
}

int probe__drain_fd(const struct probe *p)
{
	return ring_buffer__epoll_fd(p->rb);
}

__u64 probe__read(struct probe *p, const bool *online)
{
	__u64 now = probe__snapshot(p, online);
	int ret;

	if (!now)
		return 0;
	ret = probe__drain(p);
	if (ret < 0) {
		errno = -ret;
		return 0;
	}
	return now;
}

int probe__exe_lookup(struct probe *p, const __u32 *tgid, const __u64 *start_ns, int n)
{
	int map = bpf_map__fd(p->skel->maps.exe_want), fd, ret = 0;
	struct wp_exe rec;
	size_t got = 0;
	ssize_t r;

	if (!p->exe_iter)
		return -ENOTSUP;
	if (n > WP_EXE_ASK)
		n = WP_EXE_ASK;
	for (int i = 0; i < n; i++)
		bpf_map_update_elem(map, &tgid[i], &start_ns[i], BPF_ANY);
	fd = bpf_iter_create(bpf_link__fd(p->exe_iter));
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	/* whole records, however read() cuts them */
	while ((r = read(fd, (char *)&rec + got, sizeof(rec) - got)) > 0 || (r < 0 && errno == EINTR)) {
		if (r < 0)
			continue;
		got += r;
		if (got == sizeof(rec)) {
			acct__record(p->acct, &rec, sizeof(rec));
			got = 0;
		}
	}
	if (r < 0)
		ret = -errno;
	close(fd);
out:
	for (int i = 0; i < n; i++)
		bpf_map_delete_elem(map, &tgid[i]);
	return ret;
}

void probe__close(struct probe *p)
{
	bpf_link__destroy(p->exe_iter);
	p->exe_iter = NULL;
	ring_buffer__free(p->rb);
	wattprobe_bpf__destroy(p->skel);
	free(p->values);
	free(p->keys);
	p->keys = NULL;
	p->rb = NULL;
	p->skel = NULL;
	p->values = NULL;
}

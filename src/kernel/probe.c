// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* BPF loader: open, choose tp_btf or raw_tp, load, attach; read and drain. */
#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <sys/capability.h>
#include "kernel/probe.h"
#include "lib/util.h"
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
		 "grant them (setcap cap_bpf,cap_perfmon,cap_dac_read_search+ep wattprobe; "
		 "docker run --user 0:0 --cap-add BPF --cap-add PERFMON with Docker 23.0 or "
		 "later, --cap-add SYS_ADMIN in their place with Docker before 23.0, which "
		 "knows neither name)",
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

/* Append a record to the queue; false when it is full (or out of memory). */
static bool queue_add(struct probe_queue *q, const void *data, size_t size)
{
	size_t need = (sizeof(__u32) + size + 7) & ~(size_t)7;

	if (q->len + need > q->cap) {
		size_t cap = q->cap ? q->cap : PROBE_QUEUE_KEEP;
		char *nb;

		while (cap < q->len + need)
			cap *= 2;
		if (cap > PROBE_QUEUE_MAX)
			return false;
		nb = realloc(q->buf, cap);
		if (!nb)
			return false;
		q->buf = nb;
		q->cap = cap;
	}
	*(__u32 *)(q->buf + q->len) = size;
	memcpy(q->buf + q->len + sizeof(__u32), data, size);
	q->len += need;
	return true;
}

/* A record from the ring buffer: to the queue while collecting, else to acct. */
static int on_event(void *ctx, void *data, size_t size)
{
	struct probe *p = ctx;

	const struct wp_exe *e = data;

	/* an executable's record is sized for the longest path (280 bytes): the queue keeps
	 * what its path holds (a flood of processes, or a sample held up by its reader) */
	if (size >= sizeof(*e) && e->type == WP_EV_EXE && e->len < WP_EXE_LEN)
		size = offsetof(struct wp_exe, path) + e->len + 1;
	if (!p->queue.collecting)
		acct__record(p->acct, data, size);
	else if (!queue_add(&p->queue, data, size))
		p->queue.lost++;	/* consumed all the same (libbpf moves on first) */
	return 0;
}

/* Open, load and attach the BPF object into p->skel (this process). */
static int load_attach(struct probe *p, const struct probe_opts *o, char *err, size_t errlen)
{
	struct wattprobe_bpf *skel;
	bool btf, want_exe = o->want_exe;
	int ret;

	btf = o->attach == PROBE_ATTACH_TP_BTF ||
	      (o->attach == PROBE_ATTACH_AUTO && kernel_has_tp_btf());
	p->tp_btf = btf;

	skel = wattprobe_bpf__open();
	if (!skel) {
		ret = -errno;
		snprintf(err, errlen, "failed to open BPF object: %s", strerror(errno));
		return ret;
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
		return ret;
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
			 o->verbose ? "" : "; run with --verbose for the verifier's log");
		return ret;
	}
	ret = wattprobe_bpf__attach(skel);
	if (ret) {
		snprintf(err, errlen, "failed to attach to sched_switch: %s", strerror(-ret));
		return ret;
	}
	p->snap_fd = bpf_program__fd(skel->progs.wp_snap);
	if (want_exe) {
		p->exe_iter = bpf_program__attach_iter(skel->progs.wp_exe_iter, NULL);
		if (!p->exe_iter) {
			ret = -errno;
			snprintf(err, errlen, "failed to attach the task iterator: %s", strerror(errno));
			return ret;
		}
		p->exe_iter_fd = bpf_link__fd(p->exe_iter);
	}
	return 0;
}

/* What a loader child hands back, with its descriptors (see load_apart). */
struct apart_msg {
	int ret;
	bool tp_btf;
	int nr_links;
	char err[512];
};

enum { APART_CPUS, APART_EVENTS, APART_EXE_WANT, APART_SNAP, APART_EXE_ITER, APART_LINKS };

static int send_fds(int sock, const struct apart_msg *m, const int *fds, int nfds)
{
	char ctl[CMSG_SPACE(PROBE_MAX_FDS * sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = (void *)m, .iov_len = sizeof(*m) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	if (nfds) {
		msg.msg_control = ctl;
		msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	}
	return sendmsg(sock, &msg, 0) == sizeof(*m) ? 0 : -errno;
}

static int recv_fds(int sock, struct apart_msg *m, int *fds, int *nfds)
{
	char ctl[CMSG_SPACE(PROBE_MAX_FDS * sizeof(int))];
	struct iovec iov = { .iov_base = m, .iov_len = sizeof(*m) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			      .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c;
	ssize_t n;

	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n != sizeof(*m))
		return n < 0 ? -errno : -EPROTO;
	*nfds = 0;
	for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		*nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		memcpy(fds, CMSG_DATA(c), *nfds * sizeof(int));
	}
	return 0;
}

/* In the loader child: load, attach, hand the descriptors over, and go. */
static void __attribute__((noreturn)) load_child(int sock, struct probe *p,
						 const struct probe_opts *o)
{
	struct apart_msg m = { 0 };
	int fds[PROBE_MAX_FDS], n = APART_LINKS;

	m.ret = load_attach(p, o, m.err, sizeof(m.err));
	m.tp_btf = p->tp_btf;
	if (!m.ret) {
		fds[APART_CPUS] = bpf_map__fd(p->skel->maps.cpus);
		fds[APART_EVENTS] = bpf_map__fd(p->skel->maps.events);
		fds[APART_EXE_WANT] = bpf_map__fd(p->skel->maps.exe_want);
		fds[APART_SNAP] = p->snap_fd;
		fds[APART_EXE_ITER] = p->exe_iter ? p->exe_iter_fd : p->snap_fd;	/* a placeholder */
		for (int i = 0; i < p->skel->skeleton->prog_cnt && n < PROBE_MAX_FDS; i++) {
			struct bpf_link *link = *p->skel->skeleton->progs[i].link;

			if (link)
				fds[n++] = bpf_link__fd(link);
		}
		m.nr_links = n - APART_LINKS;
	}
	send_fds(sock, &m, fds, m.ret ? 0 : n);
	_exit(0);
}

/*
 * Load in a child, which hands the maps, programs and links over: the kernel's BTF, which
 * libbpf reads in full for CO-RE (5.5 MB here, held twice while it is parsed), never
 * counts against the agent's memory. Links and maps live as long as the agent holds them.
 */
static int load_apart(struct probe *p, const struct probe_opts *o, char *err, size_t errlen)
{
	struct apart_msg m = { 0 };
	int sv[2], fds[PROBE_MAX_FDS], nfds = 0, ret, status;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		ret = -errno;
		snprintf(err, errlen, "failed to create a socket pair: %s", strerror(errno));
		return ret;
	}
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		snprintf(err, errlen, "failed to fork the BPF loader: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return ret;
	}
	if (!pid) {
		close(sv[0]);
		load_child(sv[1], p, o);
	}
	close(sv[1]);
	ret = recv_fds(sv[0], &m, fds, &nfds);
	close(sv[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (ret) {
		snprintf(err, errlen, "failed to receive the BPF object from its loader: %s",
			 strerror(-ret));
		return ret;
	}
	if (m.ret) {
		snprintf(err, errlen, "%s", m.err);
		return m.ret;
	}
	if (nfds != APART_LINKS + m.nr_links) {
		for (int i = 0; i < nfds; i++)
			close(fds[i]);
		snprintf(err, errlen, "failed to receive the BPF object from its loader: %s",
			 strerror(EPROTO));
		return -EPROTO;
	}
	p->tp_btf = m.tp_btf;
	/* an object that is never loaded here: its maps take the loader's descriptors */
	p->skel = wattprobe_bpf__open();
	if (!p->skel) {
		ret = -errno;
		for (int i = 0; i < nfds; i++)
			close(fds[i]);
		snprintf(err, errlen, "failed to open BPF object: %s", strerror(errno));
		return ret;
	}
	ret = bpf_map__reuse_fd(p->skel->maps.cpus, fds[APART_CPUS]);
	if (!ret)
		ret = bpf_map__reuse_fd(p->skel->maps.events, fds[APART_EVENTS]);
	if (!ret)
		ret = bpf_map__reuse_fd(p->skel->maps.exe_want, fds[APART_EXE_WANT]);
	close(fds[APART_CPUS]);
	close(fds[APART_EVENTS]);
	close(fds[APART_EXE_WANT]);
	p->snap_fd = fds[APART_SNAP];
	p->own_snap_fd = true;
	if (o->want_exe)
		p->exe_iter_fd = fds[APART_EXE_ITER];
	else
		close(fds[APART_EXE_ITER]);
	for (int i = APART_LINKS; i < nfds; i++)
		p->link_fds[p->nr_link_fds++] = fds[i];
	if (ret)
		snprintf(err, errlen, "failed to take the BPF maps over: %s", strerror(-ret));
	return ret;
}

int probe__open(struct probe *p, const struct probe_opts *o, struct acct *acct, char *err,
		size_t errlen)
{
	int ret;

	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->rb_lock, NULL);
	p->snap_fd = p->exe_iter_fd = -1;
	verbose_libbpf = o->verbose;
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
	ret = o->load_apart ? load_apart(p, o, err, errlen) : load_attach(p, o, err, errlen);
	if (ret)
		goto cleanup;
	p->rb = ring_buffer__new(bpf_map__fd(p->skel->maps.events), on_event, p, NULL);
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

/* Under rb_lock: the queue to acct, in order; a large buffer is let go. */
static int apply_locked(struct probe *p)
{
	struct probe_queue *q = &p->queue;
	size_t off = 0;
	int n = 0;

	while (off < q->len) {
		__u32 size = *(__u32 *)(q->buf + off);

		acct__record(p->acct, q->buf + off + sizeof(__u32), size);
		off += (sizeof(__u32) + size + 7) & ~(size_t)7;
		n++;
	}
	q->len = 0;
	p->acct->dropped += q->lost;	/* a full queue: counted as the BPF side's losses */
	q->lost = 0;
	if (q->cap > PROBE_QUEUE_KEEP) {	/* a flood's: memory goes back */
		free(q->buf);
		q->buf = NULL;
		q->cap = 0;
	}
	return n;
}

int probe__apply(struct probe *p)
{
	int n;

	pthread_mutex_lock(&p->rb_lock);
	n = apply_locked(p);
	pthread_mutex_unlock(&p->rb_lock);
	return n;
}

int probe__drain(struct probe *p)
{
	int n, ret;

	pthread_mutex_lock(&p->rb_lock);
	n = apply_locked(p);	/* taken before what the ring buffer holds: first */
	ret = ring_buffer__consume(p->rb);
	pthread_mutex_unlock(&p->rb_lock);
	return ret < 0 ? ret : n + ret;
}

int probe__collect(struct probe *p)
{
	int ret;

	pthread_mutex_lock(&p->rb_lock);
	p->queue.collecting = true;
	ret = ring_buffer__consume(p->rb);
	p->queue.collecting = false;
	pthread_mutex_unlock(&p->rb_lock);
	return ret;
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

	if (p->exe_iter_fd < 0)
		return -ENOTSUP;
	if (n > WP_EXE_ASK)
		n = WP_EXE_ASK;
	for (int i = 0; i < n; i++)
		bpf_map_update_elem(map, &tgid[i], &start_ns[i], BPF_ANY);
	fd = bpf_iter_create(p->exe_iter_fd);
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
	for (int i = 0; i < p->nr_link_fds; i++)
		close(p->link_fds[i]);
	p->nr_link_fds = 0;
	if (p->exe_iter)
		bpf_link__destroy(p->exe_iter);	/* it holds exe_iter_fd */
	else if (p->exe_iter_fd >= 0)
		close(p->exe_iter_fd);
	if (p->own_snap_fd && p->snap_fd >= 0)
		close(p->snap_fd);
	p->exe_iter = NULL;
	p->exe_iter_fd = p->snap_fd = -1;
	ring_buffer__free(p->rb);
	free(p->queue.buf);
	memset(&p->queue, 0, sizeof(p->queue));
	wattprobe_bpf__destroy(p->skel);
	free(p->values);
	free(p->keys);
	p->keys = NULL;
	p->rb = NULL;
	p->skel = NULL;
	p->values = NULL;
}

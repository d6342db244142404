/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Hand-built samples for the tests of the outputs and the view: a host of one
 * socket (or more) and a few processes, interval after interval, with the
 * cumulative host totals kept as the sampler keeps them. Energy is given per
 * process; the socket's energy is the processes' plus idle, so that the
 * sample conserves energy as the sampler's does.
 */
#ifndef __TESTS_FIXTURE_H
#define __TESTS_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "sample/sampler.h"

#define FX_MAX_PROCS 1024
#define FX_MAX_CHARGES 2048

struct fixture {
	struct sample s;
	struct proc procs[FX_MAX_PROCS];
	__u64 socks[FX_MAX_PROCS][2 * WP_MAX_SOCKETS];	/* their per-socket figures */
	struct proc *order[FX_MAX_PROCS];
	struct cpu_charge charges[FX_MAX_CHARGES];
	__u32 nr_charges;
	__u64 seq;
	__u64 energy_total_uj, idle_total_uj, busy_total_ns;
	__u64 socket_total_uj[ENERGY_NR_DOMAINS];
};

/* Start interval seq + 1 of interval_ns with idle_uj of idle energy; no process yet. */
static inline void fx_begin(struct fixture *f, __u64 interval_ns, __u64 idle_uj)
{
	struct sample *s = &f->s;

	memset(s, 0, sizeof(*s));
	memset(f->procs, 0, sizeof(f->procs));
	f->nr_charges = 0;
	s->seq = ++f->seq;
	s->wall.tv_sec = 1764000000 + f->seq;	/* 2025-11-24T16:00:00Z + seq */
	s->wall.tv_nsec = 250000000;
	s->interval_ns = interval_ns;
	s->sensor = "rapl";
	s->sensor_source = "powercap";
	s->nr_sockets = 1;
	s->sockets[0].id = 0;
	s->sockets[0].online_cpus = 2;
	s->sockets[0].have[ENERGY_PACKAGE] = true;
	s->sockets[0].uj[ENERGY_PACKAGE] = idle_uj;
	s->sockets[0].idle_uj = idle_uj;
	s->sockets[0].idle_dom_uj[ENERGY_PACKAGE] = idle_uj;
	s->sockets[0].idle_base_w = 5;
	s->sockets[0].idle_src = IDLE_FLAG;
	s->have_energy = true;
	s->energy_uj = idle_uj;
	s->idle_uj = idle_uj;
	s->procs = f->order;
	s->charges = f->charges;
}

/* A process of this interval: ns on-CPU on CPU cpu (socket 0), uj of energy. */
static inline struct proc *fx_proc(struct fixture *f, __u32 pid, __u64 start_ns, const char *comm,
				   __u64 ns, __u64 uj, int cpu)
{
	struct sample *s = &f->s;
	struct proc *p = &f->procs[s->nr_procs];

	memset(p, 0, sizeof(*p));
	figures__attach(&p->iv, f->socks[s->nr_procs], WP_MAX_SOCKETS);
	p->tgid = pid;
	p->start_ns = start_ns;
	strncpy(p->comm, comm, sizeof(p->comm) - 1);
	p->iv.ns = ns;
	p->iv.uj = uj;
	p->iv.sock_ns[0] = ns;
	p->iv.sock_uj[0] = uj;
	p->cpu_first = f->nr_charges;
	p->nr_cpu = 1;
	f->charges[f->nr_charges++] = (struct cpu_charge){ .proc = s->nr_procs, .cpu = cpu, .ns = ns };
	s->nr_charges = f->nr_charges;
	f->order[s->nr_procs++] = p;
	s->sockets[0].uj[ENERGY_PACKAGE] += uj;
	s->sockets[0].procs_uj += uj;
	s->sockets[0].busy_ns += ns;
	s->energy_uj += uj;
	s->busy_ns += ns;
	return p;
}

/* Close the interval: totals, utilisation, as the sampler does. */
static inline void fx_end(struct fixture *f)
{
	struct sample *s = &f->s;
	struct sample_socket *ss = &s->sockets[0];

	ss->idle_ns = 2 * s->interval_ns > ss->busy_ns ? 2 * s->interval_ns - ss->busy_ns : 0;
	ss->util = (double)ss->busy_ns / (ss->busy_ns + ss->idle_ns);
	s->idle_ns = ss->idle_ns;
	s->util = ss->util;
	for (int d = 0; d < ENERGY_NR_DOMAINS; d++) {
		if (ss->have[d])
			f->socket_total_uj[d] += ss->uj[d];
		ss->total_uj[d] = f->socket_total_uj[d];
	}
	if (s->have_energy) {
		f->energy_total_uj += s->energy_uj;
		f->idle_total_uj += s->idle_uj;
	}
	f->busy_total_ns += s->busy_ns;
	s->energy_total_uj = f->energy_total_uj;
	s->idle_total_uj = f->idle_total_uj;
	s->busy_total_ns = f->busy_total_ns;
	s->nr_tracked = s->nr_procs;
}

/* The usual interval: 1 s, 5 J idle, bash (42) 0.5 s and 2 J on CPU 0. */
static inline struct proc *fx_usual(struct fixture *f)
{
	struct proc *p;

	memset(f, 0, sizeof(*f));
	fx_begin(f, 1000000000ULL, 5000000);
	p = fx_proc(f, 42, 1000, "bash", 1000000000ULL / 2, 2000000, 0);
	p->cmdline = "bash -l";
	p->cgroup = "/user.slice";
	fx_end(f);
	return p;
}

/* Run cmd with text on its standard input; its exit status. */
static inline int fx_run_on(const char *cmd, const char *text)
{
	char path[] = "/tmp/wattprobe-out.XXXXXX", line[512];
	int fd = mkstemp(path), status;
	size_t n = strlen(text);

	if (fd < 0)
		return -1;
	if (write(fd, text, n) != (ssize_t)n) {
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	snprintf(line, sizeof(line), "%s < %s > /dev/null 2>&1", cmd, path);
	status = system(line);
	unlink(path);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Is a tool (promtool, jq) installed? */
static inline bool fx_have(const char *tool)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", tool);
	return system(cmd) == 0;
}

#endif /* __TESTS_FIXTURE_H */

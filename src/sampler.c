// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The sampling core: BPF state + energy sensor + topology -> struct sample. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "container.h"
#include "dockername.h"
#include "pidns.h"
#include "baseline_state.h"
#include "sampler.h"
#include "util.h"
#include "view.h"

/* --- accounting sink ------------------------------------------------------ */

static void on_charge(void *ctx, const struct acct_charge *c)
{
	struct sampler *s = ctx;
	int sock = topology__socket_of(&s->topo, c->cpu);
	struct proc *p;

	if (c->cpu >= 0 && c->cpu < s->topo.nr_cpus)
		s->iv_cpu_busy[c->cpu] += c->ns;
	p = proctable__get(&s->pt, c->tgid, c->start_ns);
	if (!p->comm[0] && c->comm)
		memcpy(p->comm, c->comm, sizeof(p->comm) - 1);
	/* a slot's cgroup is the one at takeover; moves come as their own records */
	if (!p->cgroup_id && c->cgroup_id)
		p->cgroup_id = c->cgroup_id;
	proctable__charge(&s->pt, p, c->cpu, sock, c->ns);
}

static void on_exited(void *ctx, __u32 tgid, __u64 start_ns)
{
	struct sampler *s = ctx;
	struct proc *p = proctable__find(&s->pt, tgid, start_ns);

	if (!p || p->exited)
		return;
	p->exited = true;
	p->exit_seq = s->pt.seq;
	proctable__touch(&s->pt, p);
}

static void on_exec(void *ctx, __u32 tgid, __u64 start_ns, __u64 cgroup_id, const char *comm)
{
	struct sampler *s = ctx;
	struct proc *p = proctable__get(&s->pt, tgid, start_ns);

	if (p->tgid != tgid)
		return;	/* the table is full */
	memcpy(p->comm, comm, sizeof(p->comm) - 1);
	/* a new program: its cmdline and exe are read again */
	procinfo__forget(s->procinfo, tgid, start_ns);
	if (cgroup_id)
		p->cgroup_id = cgroup_id;
}

static void on_cgroup(void *ctx, __u32 tgid, __u64 start_ns, __u64 cgroup_id)
{
	struct sampler *s = ctx;
	struct proc *p = proctable__get(&s->pt, tgid, start_ns);

	if (p->tgid == tgid)	/* else the table is full */
		p->cgroup_id = cgroup_id;
}

static const struct acct_ops sink = {
	.charge = on_charge,
	.exited = on_exited,
	.exec = on_exec,
	.cgroup = on_cgroup,
};

/* --- energy --------------------------------------------------------------- */

static __u64 uj_of(double w, __u64 ns)
{
	double uj = w * (double)ns / 1e3;

	return uj > 0 ? (__u64)(uj + 0.5) : 0;
}

static void fixed_baseline(struct sample_baseline *sb, enum idle_source src, double w,
			   const char *from)
{
	*sb = (struct sample_baseline){
		.have = true, .idle_w = w, .src = src, .prior_w = w, .prior_from = from,
		.prior_share = 1,
	};
}

/*
 * Add this interval to a domain's fit when its energy is known (gaps and
 * stuck counters never are), then take the baseline from it.
 */
static void learn(struct baseline *fit, bool have, __u64 uj, double util, __u64 dt,
		  const struct baseline_prior *prior, const char *limit_from,
		  struct sample_baseline *sb)
{
	struct baseline_est e;

	if (have && dt)
		baseline__add(fit, util, watts(uj, dt), dt / 1e9);
	baseline__estimate(fit, prior, &e);
	*sb = (struct sample_baseline){
		.have = e.src != IDLE_NONE, .idle_w = e.idle_w, .src = e.src,
		.prior_w = e.prior_idle_w,
		.prior_from = prior->full_w > 0 ? limit_from : "observed power",
		.prior_share = e.prior_share, .intervals = e.intervals, .outliers = e.outliers,
		.util_spread = e.util_spread, .residual_w = e.residual_w,
	};
}

static void read_sensor(struct sampler *s, const struct sample *out, __u64 elapsed_ns,
			struct sensor_reading *rd)
{
	int ids[WP_MAX_SOCKETS], cpus[WP_MAX_SOCKETS];
	double util[WP_MAX_SOCKETS];
	struct sensor_input in = {
		.elapsed_ns = elapsed_ns, .nr_sockets = s->topo.nr_sockets, .socket_ids = ids,
		.online_cpus = cpus, .util = util,
	};

	for (int i = 0; i < s->topo.nr_sockets && i < WP_MAX_SOCKETS; i++) {
		ids[i] = s->topo.socket_ids[i];
		cpus[i] = s->topo.online_in_socket[i];
		util[i] = out ? out->sockets[i].util : 0;
	}
	sensor__read(&s->sensor, &in, rd);
}

/* Every fit and the socket and domain it belongs to; returns how many. */
static int state_slots(struct sampler *s, struct baseline_slot *slots)
{
	int n = 0;

	for (int i = 0; i < s->topo.nr_sockets && i < WP_MAX_SOCKETS; i++) {
		slots[n++] = (struct baseline_slot){ s->topo.socket_ids[i], ENERGY_PACKAGE,
						     &s->pkg_fit[i] };
		slots[n++] = (struct baseline_slot){ s->topo.socket_ids[i], ENERGY_DRAM,
						     &s->dram_fit[i] };
	}
	slots[n++] = (struct baseline_slot){ -1, ENERGY_PSYS, &s->psys_fit };
	return n;
}

/* Write --state-file now (force) or when BASELINE_STATE_SAVE_S have gone by. */
static void save_state(struct sampler *s, bool force)
{
	struct baseline_slot slots[2 * WP_MAX_SOCKETS + 1];
	__u64 now = now_ns(CLOCK_MONOTONIC);
	char err[4352];

	if (!s->opts.state_file || !s->sensor.ops || s->sensor.ops->estimated)
		return;
	if (!force && now - s->state_saved_ns < BASELINE_STATE_SAVE_S * 1000000000ULL)
		return;
	s->state_saved_ns = now;
	if (baseline_state__save(s->opts.state_file, slots, state_slots(s, slots), err,
				 sizeof(err)) && !s->state_warned) {
		fprintf(stderr, "wattprobe: warning: %s\n", err);
		s->state_warned = true;
	}
}

/* Energy per socket, and each socket's idle baselines for this interval. */
static void energy(struct sampler *s, struct sample *out, struct attr_socket *as)
{
	struct baseline_prior pkg_prior = {
		.idle_fraction = BASELINE_IDLE_FRACTION, .min_slope = BASELINE_MIN_SLOPE,
	};
	struct baseline_prior dram_prior = { .idle_fraction = BASELINE_DRAM_IDLE_FRACTION };
	struct sensor_reading rd;
	__u64 dt = out->interval_ns;

	read_sensor(s, out, dt, &rd);
	for (int i = 0; i < out->nr_sockets; i++) {
		const struct sensor_socket *rs = &rd.sockets[i];
		struct sample_socket *ss = &out->sockets[i];
		struct sample_baseline *pb = &ss->baseline[ENERGY_PACKAGE];
		struct sample_baseline *db = &ss->baseline[ENERGY_DRAM];

		memcpy(ss->have, rs->have, sizeof(ss->have));
		memcpy(ss->uj, rs->uj, sizeof(ss->uj));
		ss->gap = rs->gap;
		if (rs->idle_w[ENERGY_PACKAGE] >= 0) {
			fixed_baseline(pb, IDLE_MODEL, rs->idle_w[ENERGY_PACKAGE],
				       s->opts.idle_w >= 0 ? "--idle-watts" : "model");
		} else if (s->opts.idle_w >= 0) {
			fixed_baseline(pb, IDLE_FLAG, s->opts.idle_w, "--idle-watts");
		} else {
			pkg_prior.full_w = rs->limit_w[ENERGY_PACKAGE];
			learn(&s->pkg_fit[i], ss->have[ENERGY_PACKAGE], ss->uj[ENERGY_PACKAGE],
			      ss->util, dt, &pkg_prior, rs->limit_from[ENERGY_PACKAGE], pb);
		}
		/* DRAM where the sensor has it (or had it) */
		if (ss->have[ENERGY_DRAM] || s->dram_fit[i].n) {
			dram_prior.full_w = rs->limit_w[ENERGY_DRAM];
			learn(&s->dram_fit[i], ss->have[ENERGY_DRAM], ss->uj[ENERGY_DRAM], ss->util,
			      dt, &dram_prior, rs->limit_from[ENERGY_DRAM], db);
		}
		ss->idle_base_w = pb->idle_w;
		ss->idle_src = pb->src;
		as[i] = (struct attr_socket){
			.have_pkg = ss->have[ENERGY_PACKAGE], .pkg_uj = ss->uj[ENERGY_PACKAGE],
			.have_dram = ss->have[ENERGY_DRAM], .dram_uj = ss->uj[ENERGY_DRAM],
			.idle_base_uj = uj_of(pb->idle_w, dt),
			.dram_base_uj = db->have ? uj_of(db->idle_w, dt) : 0,
		};
	}
	out->have_psys = rd.have_psys;
	out->psys_uj = rd.psys_uj;
	if (rd.have_psys || s->psys_fit.n) {
		pkg_prior.full_w = rd.psys_limit_w;
		learn(&s->psys_fit, rd.have_psys, rd.psys_uj, out->util, dt, &pkg_prior,
		      rd.psys_limit_from, &out->psys_baseline);
	}
	save_state(s, false);
}

/* --- open / sample / close ---------------------------------------------- */

static int open_sensor(struct sampler *s, char *err, size_t errlen)
{
	struct baseline_slot slots[2 * WP_MAX_SOCKETS + 1];
	char why[4352];
	int ret;
	struct sensor_config c = {
		.powercap_root = s->opts.powercap_root, .tdp_w = s->opts.tdp_w,
		.idle_w = s->opts.idle_w, .verbose = s->opts.verbose,
	};

	for (int i = 0; i < WP_MAX_SOCKETS; i++) {
		baseline__init(&s->pkg_fit[i]);
		baseline__init(&s->dram_fit[i]);
	}
	baseline__init(&s->psys_fit);
	ret = sensor__open(&s->sensor, s->opts.sensor, &c, err, errlen);
	if (ret || !s->opts.state_file || s->sensor.ops->estimated)
		return ret;
	/* what earlier runs learnt; a missing file is a first run */
	ret = baseline_state__load(s->opts.state_file, slots, state_slots(s, slots), why,
				   sizeof(why));
	if (ret < 0 && ret != -ENOENT)
		fprintf(stderr, "wattprobe: warning: %s\n", why);
	else if (ret > 0 && s->opts.verbose)
		fprintf(stderr, "wattprobe: %d baselines from %s\n", ret, s->opts.state_file);
	s->state_saved_ns = now_ns(CLOCK_MONOTONIC);
	return 0;
}

/* The first read sets every baseline; what it charged is not an interval. */
static int prime(struct sampler *s)
{
	s->last_mono = probe__read(&s->probe, s->topo.online);
	return s->last_mono ? 0 : -errno;
}

/*
 * What names containers: the PID namespace (in another one, /proc/PID is not the
 * process BPF reports, and nothing is read from it), the cgroup v1 hierarchy, kubelet's
 * log folders, Docker's name helper (forked now, before any privilege is dropped).
 */
static void open_containers(struct sampler *s)
{
	int docker_fd = -1;

	s->foreign_pidns = pidns__is_initial("/proc") == 0;
	if (s->foreign_pidns)
		fprintf(stderr, "wattprobe: warning: not in the host's PID namespace: the kernel "
			"reports the host's PIDs, which this /proc does not show, so command lines, "
			"executables and cgroup v1 paths are not read and names come from the "
			"kernel only; run in the host's PID namespace (docker run --pid host; "
			"Kubernetes: hostPID: true)\n");
	else
		s->cgroups_v1 = cgroup_v1__new("/proc", s->opts.max_procs);
	if (s->opts.docker_root) {
		docker_fd = dockername__spawn(s->opts.docker_root);
		if (docker_fd < 0 && docker_fd != -ENOENT)
			fprintf(stderr, "wattprobe: warning: failed to start the Docker name helper: "
				"%s; Docker containers are shown by id only\n", strerror(-docker_fd));
	}
	s->names = ctrnames__new(s->opts.log_root, docker_fd);
}

int sampler__open(struct sampler *s, const struct sampler_opts *o, char *err, size_t errlen)
{
	int ret;

	memset(s, 0, sizeof(*s));
	s->opts = *o;
	ret = topology__load(&s->topo, o->cpu_root);
	if (ret) {
		snprintf(err, errlen, "failed to read the CPU topology under %s: %s",
			 s->topo.root, strerror(-ret));
		return ret;
	}
	s->iv_cpu_busy = calloc(s->topo.nr_cpus, sizeof(*s->iv_cpu_busy));
	if (!s->iv_cpu_busy)
		return -ENOMEM;
	ret = proctable__init(&s->pt, o->max_procs);
	if (ret) {
		snprintf(err, errlen, "failed to allocate the process table: %s", strerror(-ret));
		return ret;
	}
	s->order = calloc(s->pt.cap, sizeof(*s->order));
	if (!s->order) {
		ret = -ENOMEM;
		snprintf(err, errlen, "failed to allocate the process table: %s", strerror(ENOMEM));
		goto cleanup;
	}
	/* both are optional: without them, paths and command lines are unknown */
	s->cgroups = cgroup_cache__new(NULL, o->max_procs);
	open_containers(s);
	if (!s->foreign_pidns)
		s->procinfo = procinfo__new("/proc", o->max_procs);
	ret = open_sensor(s, err, errlen);
	if (ret)
		goto cleanup;
	ret = probe__check(err, errlen);
	if (ret)
		goto cleanup;
	ret = acct__init(&s->acct, libbpf_num_possible_cpus(), &sink, s);
	if (ret) {
		snprintf(err, errlen, "failed to allocate accounting state: %s", strerror(-ret));
		goto cleanup;
	}
	ret = probe__open(&s->probe, o->attach, &s->acct, o->verbose, err, errlen);
	if (ret)
		goto cleanup;
	ret = prime(s);
	if (ret) {
		snprintf(err, errlen, "failed to read the BPF maps: %s", strerror(-ret));
		goto cleanup;
	}
	{
		struct sensor_reading rd;

		read_sensor(s, NULL, 0, &rd);	/* the first reading: no interval yet */
	}
	sampler__done(s);
	s->last_dropped = s->acct.dropped + s->pt.full;
	return 0;

cleanup:
	sampler__close(s);
	return ret;
}

/* A process first seen running (credited before it ever switched out) has no
 * comm from BPF yet: ask /proc once. */
static void fill_comm(struct proc *p)
{
	char path[64], buf[WP_COMM_LEN + 1];
	int n;

	if (p->comm[0] || p->tgid == PT_UNRECORDED_TGID)
		return;
	snprintf(path, sizeof(path), "/proc/%u/comm", p->tgid);
	n = read_small_file(path, buf, sizeof(buf));
	if (n <= 0)
		return;
	buf[strcspn(buf, "\n")] = '\0';
	memcpy(p->comm, buf, strnlen(buf, sizeof(p->comm) - 1));
}

/*
 * Idle time is what is left of each online CPU's interval after the
 * processes' time (the idle task itself is not counted in BPF). It includes
 * time the scheduler does not charge to tasks (steal time on a VM). A
 * running slice credited a tick late can make a CPU's busy time exceed the
 * interval by that much; its idle time is then 0.
 */
static void idle_time(struct sampler *s, struct sample *out)
{
	for (int cpu = 0; cpu < s->topo.nr_cpus; cpu++) {
		int sock = s->topo.socket_of[cpu];

		if (!s->topo.online[cpu] || sock < 0 || s->iv_cpu_busy[cpu] >= out->interval_ns)
			continue;
		out->sockets[sock].idle_ns += out->interval_ns - s->iv_cpu_busy[cpu];
	}
}

static int cmp_proc(const void *a, const void *b)
{
	const struct proc *x = *(struct proc *const *)a, *y = *(struct proc *const *)b;

	if (x->iv_uj != y->iv_uj)
		return x->iv_uj > y->iv_uj ? -1 : 1;
	if (x->iv_ns != y->iv_ns)
		return x->iv_ns > y->iv_ns ? -1 : 1;
	return x->tgid < y->tgid ? -1 : x->tgid > y->tgid;
}

/* Each process's slice of this interval's merged per-CPU charges. */
static void index_charges(struct sampler *s, struct sample *out)
{
	const struct proctable *t = &s->pt;

	for (__u32 i = 0; i < out->nr_procs; i++)
		out->procs[i]->nr_cpu = 0;
	for (__u32 i = 0; i < t->nr_charges; i++) {
		struct proc *p = &t->pool[t->charges[i].proc];

		if (!p->nr_cpu++)
			p->cpu_first = i;
	}
	out->charges = t->charges;
	out->nr_charges = t->nr_charges;
}

/*
 * Where the v2 tree holds nothing for a process (no path, or its root) or no container
 * while the v1 hierarchy names one, the v1 path is the process's cgroup.
 */
static void resolve_v1(struct sampler *s, struct proc *p)
{
	bool v2_empty = !p->cgroup || !strcmp(p->cgroup, "/");
	const struct cg_info *info;
	const char *path;

	if (!s->cgroups_v1 || p->tgid == PT_UNRECORDED_TGID)
		return;
	if (!v2_empty && p->cg && (p->cg->container_id[0] || p->cg->pod_uid[0]))
		return;
	path = cgroup_v1__path(s->cgroups_v1, p->tgid, p->start_ns, p->comm, &info);
	if (path && (v2_empty || info->container_id[0] || info->pod_uid[0])) {
		p->cgroup = path;
		p->cg = info;
	}
}

/* Once: processes ran, and not one cgroup path could be resolved. */
static void warn_no_cgroups(struct sampler *s, const struct sample *out)
{
	const char *v2 = cgroup_cache__root(s->cgroups);
	bool any = false;

	if (s->cgroup_warned)
		return;
	for (__u32 i = 0; i < out->nr_procs; i++) {
		if (out->procs[i]->cgroup)
			return;
		any |= out->procs[i]->tgid != PT_UNRECORDED_TGID;
	}
	if (!any)
		return;
	s->cgroup_warned = true;
	fprintf(stderr, "wattprobe: warning: no cgroup path can be resolved (cgroup2: %s%s; "
		"cgroup v1: %s): cgroup, container, pod and unit are unknown. Mount the host's "
		"/sys/fs/cgroup read-only at /sys/fs/cgroup and run in the host's cgroup and PID "
		"namespaces (docker run --cgroupns host --pid host; Kubernetes: hostPID and a "
		"hostPath volume)\n",
		v2 ? "no process found under " : "not mounted", v2 ? v2 : "",
		s->foreign_pidns ? "not read outside the host's PID namespace" :
		s->cgroups_v1 ? "unreadable" : "no hierarchy");
}

/*
 * What outputs show of each process, from caches. Two passes over the
 * cgroups: a lookup that misses may rescan the tree and free the paths
 * handed out before, so pointers are taken once every id was looked up.
 */
static void resolve(struct sampler *s, struct sample *out)
{
	cgroup_v1__begin(s->cgroups_v1);
	ctrnames__begin(s->names);
	for (__u32 i = 0; i < out->nr_procs; i++) {
		struct proc *p = out->procs[i];

		p->cmdline = NULL;
		p->exe = NULL;
		if (p->cgroup_id)
			cgroup_cache__path(s->cgroups, p->cgroup_id);
	}
	for (__u32 i = 0; i < out->nr_procs; i++) {
		struct proc *p = out->procs[i];

		p->cgroup = cgroup_cache__peek(s->cgroups, p->cgroup_id);
		p->cg = cgroup_cache__info(s->cgroups, p->cgroup_id);
		resolve_v1(s, p);
		p->names = ctrnames__get(s->names, p->cg);
		if (s->opts.need_exe && s->procinfo && p->tgid != PT_UNRECORDED_TGID) {
			/* one entry holds both: cmdline "" tells a kernel thread */
			p->exe = procinfo__exe(s->procinfo, p->tgid, p->start_ns);
			p->cmdline = procinfo__cmdline(s->procinfo, p->tgid, p->start_ns);
		}
	}
	warn_no_cgroups(s, out);
}

int sampler__sample(struct sampler *s)
{
	struct attr_socket as[WP_MAX_SOCKETS];
	struct sample *out = &s->cur;
	__u64 t0 = now_ns(CLOCK_MONOTONIC), now;
	__u32 i;

	memset(out, 0, sizeof(*out));
	memset(s->iv_cpu_busy, 0, s->topo.nr_cpus * sizeof(*s->iv_cpu_busy));
	if (topology__refresh(&s->topo) < 0 && s->opts.verbose)
		fprintf(stderr, "wattprobe: warning: could not re-read the online CPUs\n");
	now = probe__read(&s->probe, s->topo.online);
	if (!now)
		return -errno;
	clock_gettime(CLOCK_REALTIME, &out->wall);
	out->seq = s->pt.seq;
	out->interval_ns = now - s->last_mono;
	s->last_mono = now;
	out->sensor = s->sensor.ops->name;
	out->estimated = s->sensor.ops->estimated;

	out->nr_procs = s->pt.nr_active;
	out->procs = s->order;
	for (i = 0; i < s->pt.nr_active; i++) {
		s->order[i] = &s->pt.pool[s->pt.active[i]];
		if (!s->foreign_pidns)	/* else /proc/PID is another process, or none */
			fill_comm(s->order[i]);
	}

	out->nr_sockets = s->topo.nr_sockets;
	idle_time(s, out);
	for (int k = 0; k < out->nr_sockets; k++) {
		struct sample_socket *ss = &out->sockets[k];

		ss->id = s->topo.socket_ids[k];
		ss->online_cpus = s->topo.online_in_socket[k];
		for (i = 0; i < out->nr_procs; i++)
			ss->busy_ns += out->procs[i]->iv_sock_ns[k];
		ss->util = ss->busy_ns + ss->idle_ns ?
			   (double)ss->busy_ns / (ss->busy_ns + ss->idle_ns) : 0;
		out->busy_ns += ss->busy_ns;
		out->idle_ns += ss->idle_ns;
	}
	out->util = out->busy_ns + out->idle_ns ?
		    (double)out->busy_ns / (out->busy_ns + out->idle_ns) : 0;

	energy(s, out, as);
	attribute(as, out->nr_sockets, out->procs, out->nr_procs, s->opts.spread_idle);
	out->have_energy = out->nr_sockets > 0;
	for (int k = 0; k < out->nr_sockets; k++) {
		struct sample_socket *ss = &out->sockets[k];

		ss->idle_uj = as[k].idle_uj;
		ss->procs_uj = as[k].procs_uj;
		for (int d = 0; d < ENERGY_NR_DOMAINS; d++) {
			if (ss->have[d])
				s->socket_total_uj[k][d] += ss->uj[d];
			ss->total_uj[d] = s->socket_total_uj[k][d];
		}
		if (!ss->have[ENERGY_PACKAGE]) {
			out->have_energy = false;
			continue;
		}
		out->energy_uj += ss->uj[ENERGY_PACKAGE] +
				  (ss->have[ENERGY_DRAM] ? ss->uj[ENERGY_DRAM] : 0);
		out->idle_uj += ss->idle_uj;
	}
	if (out->have_energy) {
		s->energy_total_uj += out->energy_uj;
		s->idle_total_uj += out->idle_uj;
	}
	s->busy_total_ns += out->busy_ns;
	if (out->have_psys)
		s->psys_total_uj += out->psys_uj;
	out->energy_total_uj = s->energy_total_uj;
	out->idle_total_uj = s->idle_total_uj;
	out->psys_total_uj = s->psys_total_uj;
	out->busy_total_ns = s->busy_total_ns;
	for (i = 0; i < out->nr_procs; i++) {
		struct proc *p = out->procs[i];

		p->total_uj += p->iv_uj;
		p->total_uj_partial |= p->iv_uj_missing;
	}
	qsort(out->procs, out->nr_procs, sizeof(*out->procs), cmp_proc);
	proctable__merge_charges(&s->pt);
	index_charges(s, out);
	resolve(s, out);

	out->nr_tracked = s->pt.nr;
	out->unseen = s->acct.unseen;
	out->dropped = s->acct.dropped + s->pt.full;
	out->dropped_delta = out->dropped - s->last_dropped;
	s->last_dropped = out->dropped;
	out->sample_seconds = (now_ns(CLOCK_MONOTONIC) - t0) / 1e9;
	if (s->opts.need_self)
		selfstat__read(&out->self);
	return 0;
}

void sampler__done(struct sampler *s)
{
	/* processes unseen for an hour are dropped, in case an exit record was lost */
	__u64 idle = s->opts.interval_s > 0 ? (__u64)(3600 / s->opts.interval_s) + 1 : 3600;

	proctable__next(&s->pt, idle);
}

void sampler__close(struct sampler *s)
{
	probe__close(&s->probe);
	acct__free(&s->acct);
	save_state(s, true);
	sensor__close(&s->sensor);
	proctable__free(&s->pt);
	if (s->cgroups)
		cgroup_cache__free(s->cgroups);
	if (s->procinfo)
		procinfo__free(s->procinfo);
	cgroup_v1__free(s->cgroups_v1);
	ctrnames__free(s->names);
	s->cgroups = NULL;
	s->procinfo = NULL;
	s->cgroups_v1 = NULL;
	s->names = NULL;
	free(s->order);
	free(s->iv_cpu_busy);
	s->order = NULL;
	s->iv_cpu_busy = NULL;
}

/* Read the command line of each process the view shows, from the cache. */
void sampler__resolve_rows(struct sampler *s, const struct view *v)
{
	for (__u32 i = 0; i < v->nr; i++) {
		const struct proc *row = v->rows[i].p;
		struct proc *p;

		if (!row || row->tgid == PT_UNRECORDED_TGID || !s->procinfo)
			continue;
		p = &s->pt.pool[proctable__index(&s->pt, row)];
		p->cmdline = procinfo__cmdline(s->procinfo, p->tgid, p->start_ns);
	}
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The sampling core: BPF state + energy sensor + topology -> struct sample. */
#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <bpf/libbpf.h>
#include "meta/container.h"
#include "meta/dockername.h"
#include "kernel/pidns.h"
#include "energy/baseline_state.h"
#include "sample/learn.h"
#include "sample/wholebox.h"
#include "sample/sampler.h"
#include "lib/util.h"

/* --- accounting sink ------------------------------------------------------ */

/* The process exited in this interval: reported in it, then dropped. */
static void mark_exited(struct sampler *s, struct proc *p)
{
	if (p->exited)
		return;
	p->exited = true;
	p->exit_seq = s->pt.seq;
	proctable__touch(&s->pt, p);
}

/* The identity time of the live entry p goes under: the charge's, or the one p had
 * before the change that split the slice. */
static const struct pt_id *charge_id(const struct proc *p, const struct acct_charge *c,
				     struct pt_id *buf)
{
	if (c->before) {
		if (!p->id_known || !p->change)
			return NULL;	/* p knows no older identity: its own */
		*buf = p->before;
		if (c->before_cgroup)
			buf->cgroup_id = c->before_cgroup;
		return buf;
	}
	if (!c->id)
		return NULL;
	memcpy(buf->comm, c->id->comm, WP_COMM_LEN);
	buf->cgroup_id = c->id->cgroup_id;
	buf->exec_id = c->id->exec_id;
	return buf;
}

static void on_charge(void *ctx, const struct acct_charge *c)
{
	struct sampler *s = ctx;
	int sock = topology__socket_of(&s->topo, c->cpu);
	struct pt_id buf;
	struct proc *p;

	if (c->cpu >= 0 && c->cpu < s->topo.nr_cpus)
		s->iv_cpu_busy[c->cpu] += c->ns;
	if (c->tgid == ACCT_LOST_TGID) {
		/* time the BPF side could give to no process (a full ring buffer) */
		proctable__charge(&s->pt, proctable__unrecorded(&s->pt), c->cpu, sock, c->ns);
		return;
	}
	p = proctable__get(&s->pt, c->tgid, c->start_ns);
	if (!p->id_known && c->tgid == PT_UNTRACED_TGID) {
		strcpy(p->comm, "[untraced]");
		p->id_known = true;
	}
	/* late time of a process that exited and left the table (its last slice, a slot
	 * evicted later): reported as exited, then dropped again, never taken for alive */
	if (c->exited && p->tgid == c->tgid)
		mark_exited(s, p);
	/* time under another identity than the process's now goes to a part of it */
	p = proctable__part(&s->pt, p, charge_id(p, c, &buf));
	proctable__charge(&s->pt, p, c->cpu, sock, c->ns);
}

/* The exit may come before any of the process's time (a child that forked, ran and
 * exited between two reads, its slots read or evicted later): it is in the table
 * from now on, marked, so that its time, whenever it comes, finds it exited. */
static void on_exited(void *ctx, __u32 tgid, __u64 start_ns)
{
	struct sampler *s = ctx;
	struct proc *p = proctable__get(&s->pt, tgid, start_ns);

	if (p->tgid == tgid)	/* else the table is full */
		mark_exited(s, p);
}

/*
 * A process's name, program or cgroup changed: from now on its time goes under the
 * new identity, what it ran before under the old one (the BPF side closed its slots
 * and splits its running slices). The old identity is the one the agent knows; a
 * process seen first now takes the record's.
 */
static void on_change(void *ctx, const struct wp_change *ch)
{
	struct sampler *s = ctx;
	struct proc *p = proctable__get(&s->pt, ch->tgid, ch->start_ns);
	struct pt_id id = { .cgroup_id = ch->cgroup_id, .exec_id = ch->exec_id };

	if (p->tgid != ch->tgid)
		return;	/* the table is full */
	memcpy(id.comm, ch->comm, WP_COMM_LEN);
	id.comm[WP_COMM_LEN - 1] = '\0';
	if (!p->id_known) {
		struct pt_id old = { .cgroup_id = ch->old_cgroup_id, .exec_id = ch->old_exec_id };

		memcpy(old.comm, ch->old_comm, WP_COMM_LEN);
		old.comm[WP_COMM_LEN - 1] = '\0';
		proctable__part(&s->pt, p, &old);	/* it takes the old identity */
	}
	if (ch->what == WP_CH_CGROUP) {
		/* only the cgroup: the rest as the agent knows it */
		memcpy(id.comm, p->comm, WP_COMM_LEN);
		id.exec_id = p->exec_id;
	} else if (!ch->cgroup_id) {
		id.cgroup_id = p->cgroup_id;
	}
	p = proctable__change(&s->pt, p, &id, ch->change);
	/* a new program: its cmdline and exe are read again (by the sampling thread,
	 * which owns the cache: this may run in the drain thread) */
	if (ch->what == WP_CH_EXEC)
		p->reread_info = true;
}

/* A process's executable, read by BPF: at its fork or exec, or asked for (see ask_exes). */
static void on_exe(void *ctx, const struct wp_exe *e)
{
	struct sampler *s = ctx;
	struct proc *p = proctable__get(&s->pt, e->tgid, e->start_ns);

	if (p->tgid != e->tgid)
		return;	/* the table is full */
	if (p->id_known && p->exec_id != e->exec_id)
		return;	/* of another program of it */
	p->exe_path = strpool__intern(s->exes, e->path, e->len);
	p->exe_asked = true;
}

static const struct acct_ops sink = {
	.charge = on_charge,
	.exited = on_exited,
	.change = on_change,
	.exe = on_exe,
};

/* Under the lock: ask BPF for the executable of the processes of this interval that
 * have none yet (they started before the agent, or a record was lost), once each. */
static void ask_exes(struct sampler *s)
{
	__u32 tgid[WP_EXE_ASK];
	__u64 start[WP_EXE_ASK];
	int n = 0;

	for (__u32 i = 0; i < s->pt.nr_active && n < WP_EXE_ASK; i++) {
		struct proc *p = &s->pt.pool[s->pt.active[i]];

		if (p->exe_path || p->exe_asked || p->exited || p->part || proc__pseudo(p))
			continue;
		p->exe_asked = true;
		tgid[n] = p->tgid;
		start[n++] = p->start_ns;
	}
	if (n && probe__exe_lookup(&s->probe, tgid, start, n) && s->opts.verbose)
		fprintf(stderr, "wattprobe: warning: could not read executables through BPF\n");
}

/* --- energy --------------------------------------------------------------- */

static void fixed_baseline(struct sample_baseline *sb, enum idle_source src, double w,
			   const char *from)
{
	*sb = (struct sample_baseline){
		.have = true, .idle_w = w, .src = src, .prior_w = w, .prior_from = from,
		.prior_share = 1,
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
	sensor_set__read(&s->sensors, &in, rd);
}

/* The CPUs' energy is measured, not a model's: what the baselines learn is worth keeping. */
static bool cpu_measured(const struct sampler *s)
{
	const struct sensor *cpu = sensor_set__get(&s->sensors, SENSOR_ROLE_CPU);

	return cpu && !cpu->estimated;
}

/* What the whole box takes from the sampler, in *in. */
static const struct wholebox_in *box_in(struct sampler *s, struct wholebox_in *in)
{
	*in = (struct wholebox_in){ .pt = &s->pt, .sensors = &s->sensors, .rd = &s->rd,
				    .spread_idle = s->opts.spread_idle };
	return in;
}

#define STATE_SLOTS (2 * WP_MAX_SOCKETS + 1 + WHOLEBOX_MAX_SLOTS)

/*
 * Every fit worth keeping and what it belongs to; returns how many: the sockets' and
 * psys's when the CPUs' energy is measured, each GPU's, and the platform remainder's
 * (measured less the CPUs', so only when those are measured too).
 */
static int state_slots(struct sampler *s, struct baseline_slot *slots)
{
	struct wholebox_in in;
	bool cpu = cpu_measured(s);
	int n = 0;

	for (int i = 0; cpu && i < s->topo.nr_sockets && i < WP_MAX_SOCKETS; i++) {
		slots[n++] = (struct baseline_slot){ s->topo.socket_ids[i], ENERGY_PACKAGE,
						     &s->pkg_fit[i] };
		slots[n++] = (struct baseline_slot){ s->topo.socket_ids[i], ENERGY_DRAM,
						     &s->dram_fit[i] };
	}
	if (cpu)
		slots[n++] = (struct baseline_slot){ -1, ENERGY_PSYS, &s->psys_fit };
	return n + wholebox__slots(&s->box, box_in(s, &in), cpu, slots + n);
}

/* Write --state-file now (force) or when BASELINE_STATE_SAVE_S have gone by. */
static void save_state(struct sampler *s, bool force)
{
	struct baseline_slot slots[STATE_SLOTS];
	__u64 now = now_ns(CLOCK_MONOTONIC);
	char err[4352];
	int n;

	if (!s->opts.state_file)
		return;
	if (!force && now - s->state_saved_ns < BASELINE_STATE_SAVE_S * 1000000000ULL)
		return;
	n = state_slots(s, slots);
	if (!n)
		return;
	s->state_saved_ns = now;
	if (baseline_state__save(s->opts.state_file, slots, n, &s->kept, err, sizeof(err)) &&
	    !s->state_warned) {
		fprintf(stderr, "wattprobe: warning: %s\n", err);
		s->state_warned = true;
	}
}

/* Read what earlier runs learnt (after the first reading: GPUs are known by their UUID). */
static void load_state(struct sampler *s)
{
	struct baseline_slot slots[STATE_SLOTS];
	char why[4352];
	int n, ret;

	if (!s->opts.state_file)
		return;
	n = state_slots(s, slots);
	if (!n)
		return;
	/* a missing file is a first run */
	ret = baseline_state__load(s->opts.state_file, slots, n, &s->kept, why, sizeof(why));
	if (ret < 0 && ret != -ENOENT)
		fprintf(stderr, "wattprobe: warning: %s\n", why);
	else if (ret > 0 && s->opts.verbose)
		fprintf(stderr, "wattprobe: %d baselines from %s\n", ret, s->opts.state_file);
	s->state_saved_ns = now_ns(CLOCK_MONOTONIC);
}

/* Energy per socket, and each socket's idle baselines for this interval. */
static void energy(struct sampler *s, struct sample *out, struct attr_socket *as)
{
	struct baseline_prior pkg_prior = {
		.shape = curve_prior__package(), .min_slope = BASELINE_MIN_SLOPE,
	};
	struct baseline_prior dram_prior = { .shape = curve_prior__dram() };
	const struct sensor_reading *rd = &s->rd;
	__u64 dt = out->interval_ns;

	read_sensor(s, out, dt, &s->rd);
	s->updated_ns = rd->updated_ns;
	s->update_period_ns = rd->update_period_ns;
	for (int i = 0; i < out->nr_sockets; i++) {
		const struct sensor_socket *rs = &rd->sockets[i];
		struct sample_socket *ss = &out->sockets[i];
		struct sample_baseline *pb = &ss->baseline[ENERGY_PACKAGE];
		struct sample_baseline *db = &ss->baseline[ENERGY_DRAM];

		memcpy(ss->have, rs->have, sizeof(ss->have));
		memcpy(ss->uj, rs->uj, sizeof(ss->uj));
		memcpy(ss->limit_w, rs->limit_w, sizeof(ss->limit_w));
		ss->gap = rs->gap;
		if (rs->idle_w[ENERGY_PACKAGE] >= 0) {
			fixed_baseline(pb, IDLE_MODEL, rs->idle_w[ENERGY_PACKAGE],
				       s->opts.idle_w >= 0 ? "--idle-watts" : "model");
		} else if (s->opts.idle_w >= 0) {
			fixed_baseline(pb, IDLE_FLAG, s->opts.idle_w, "--idle-watts");
		} else {
			pkg_prior.full_w = rs->limit_w[ENERGY_PACKAGE];
			learn__baseline(&s->pkg_fit[i], ss->have[ENERGY_PACKAGE], !out->time_short,
				        ss->uj[ENERGY_PACKAGE], ss->util, dt, &pkg_prior,
				        rs->limit_from[ENERGY_PACKAGE], pb);
		}
		/* DRAM where the sensor has it (or had it) */
		if (ss->have[ENERGY_DRAM] || s->dram_fit[i].n || s->dram_fit[i].held) {
			dram_prior.full_w = rs->limit_w[ENERGY_DRAM];
			learn__baseline(&s->dram_fit[i], ss->have[ENERGY_DRAM], !out->time_short,
				        ss->uj[ENERGY_DRAM], ss->util, dt, &dram_prior,
				        rs->limit_from[ENERGY_DRAM], db);
		}
		ss->idle_base_w = pb->idle_w;
		ss->idle_src = pb->src;
		as[i] = (struct attr_socket){
			.have_pkg = ss->have[ENERGY_PACKAGE], .pkg_uj = ss->uj[ENERGY_PACKAGE],
			.have_dram = ss->have[ENERGY_DRAM], .dram_uj = ss->uj[ENERGY_DRAM],
			.idle_base_uj = learn__uj_of(pb->idle_w, dt),
			.dram_base_uj = db->have ? learn__uj_of(db->idle_w, dt) : 0,
		};
	}
	out->have_psys = rd->have_psys;
	out->psys_uj = rd->psys_uj;
	out->psys_limit_w = rd->psys_limit_w;
	if (rd->have_psys || s->psys_fit.n || s->psys_fit.held) {
		pkg_prior.full_w = rd->psys_limit_w;
		learn__baseline(&s->psys_fit, rd->have_psys, !out->time_short, rd->psys_uj, out->util,
			        dt, &pkg_prior, rd->psys_limit_from, &out->psys_baseline);
	}
	if (out->have_psys && out->psys_baseline.have) {
		out->psys_idle_uj = learn__uj_of(out->psys_baseline.idle_w, dt);
		if (out->psys_idle_uj > out->psys_uj)
			out->psys_idle_uj = out->psys_uj;
	}
	save_state(s, false);
}

/* --- open / sample / close ---------------------------------------------- */

static int open_sensor(struct sampler *s, char *err, size_t errlen)
{
	int ret;
	struct sensor_config c = {
		.powercap_root = s->opts.powercap_root, .tdp_w = s->opts.tdp_w,
		.idle_w = s->opts.idle_w, .nvml_library = s->opts.nvml_library,
		.hwmon_root = s->opts.hwmon_root, .verbose = s->opts.verbose,
	};

	for (int i = 0; i < WP_MAX_SOCKETS; i++) {
		baseline__init(&s->pkg_fit[i]);
		baseline__init(&s->dram_fit[i]);
	}
	baseline__init(&s->psys_fit);
	ret = wholebox__init(&s->box);
	if (ret) {
		snprintf(err, errlen, "failed to build the GPU and platform baselines' priors: %s",
			 strerror(-ret));
		return ret;
	}
	return sensor_set__open(&s->sensors, s->opts.sensors, &c, err, errlen);
}

static void end_interval(struct sampler *s);

/*
 * A sensor that measures the machine as one socket (a host's export for this guest): its
 * CPUs count in one socket, whatever sockets the guest was given (libvirt gives a guest as
 * many sockets as vCPUs unless told otherwise).
 */
static void one_socket(struct sampler *s)
{
	const struct sensor *cpu = sensor_set__get(&s->sensors, SENSOR_ROLE_CPU);

	if (!cpu || !cpu->one_socket || s->topo.nr_sockets == 1)
		return;
	if (s->opts.verbose)
		fprintf(stderr, "wattprobe: %s measures this machine as a whole: its %d sockets "
			"count as one\n", cpu->ops->title, s->topo.nr_sockets);
	topology__one_socket(&s->topo);
}

/* The first read sets every baseline; what it charged is not an interval. */
static int prime(struct sampler *s)
{
	s->last_mono = probe__read(&s->probe, s->topo.online);
	if (!s->last_mono)
		return -errno;
	clock_gettime(CLOCK_REALTIME, &s->started);
	end_interval(s);
	return 0;
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

struct sampler *sampler__alloc(void)
{
	void *m = mmap(NULL, sizeof(struct sampler), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return m == MAP_FAILED ? NULL : m;
}

void sampler__release(struct sampler *s)
{
	if (s)
		munmap(s, sizeof(*s));
}

int sampler__open(struct sampler *s, const struct sampler_opts *o, char *err, size_t errlen)
{
	int ret;

	zero_lazily(s, sizeof(*s));
	guests__init(&s->guests);
	s->opts = *o;
	s->stop_fd = -1;
	pthread_mutex_init(&s->lock, NULL);
	ret = topology__load(&s->topo, o->cpu_root);
	if (ret) {
		snprintf(err, errlen, "failed to read the CPU topology under %s: %s",
			 s->topo.root, strerror(-ret));
		return ret;
	}
	s->iv_cpu_busy = calloc(s->topo.nr_cpus, sizeof(*s->iv_cpu_busy));
	if (!s->iv_cpu_busy)
		return -ENOMEM;
	ret = proctable__init(&s->pt, o->max_procs, s->topo.nr_sockets ? s->topo.nr_sockets : 1);
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
	/* far fewer cgroups than processes: its tables are sized by this up front */
	s->cgroups = cgroup_cache__new(NULL, o->max_procs < 4096 ? o->max_procs : 4096);
	open_containers(s);
	if (!s->foreign_pidns)
		s->procinfo = procinfo__new("/proc", o->max_procs);
	s->exes = strpool__new(SAMPLER_MAX_EXES);
	ret = open_sensor(s, err, errlen);
	if (ret)
		goto cleanup;
	one_socket(s);
	ret = probe__check(err, errlen);
	if (ret)
		goto cleanup;
	ret = acct__init(&s->acct, libbpf_num_possible_cpus(), &sink, s);
	if (ret) {
		snprintf(err, errlen, "failed to allocate accounting state: %s", strerror(-ret));
		goto cleanup;
	}
	ret = probe__open(&s->probe, &(struct probe_opts){ .attach = o->attach,
			  .want_exe = o->need_exe || o->may_need_exe, .verbose = o->verbose,
			  .load_apart = o->load_apart }, &s->acct, err, errlen);
	if (ret)
		goto cleanup;
	ret = prime(s);
	if (ret) {
		snprintf(err, errlen, "failed to read the BPF maps: %s", strerror(-ret));
		goto cleanup;
	}
	read_sensor(s, NULL, 0, &s->rd);	/* the first reading: no interval yet */
	load_state(s);
	s->last_dropped = s->acct.dropped + s->pt.full;
	s->short_seen = s->acct.dropped;
	return 0;

cleanup:
	sampler__close(s);
	return ret;
}

/* A process first seen running (credited before it ever switched out) has no
 * comm from BPF yet: ask /proc once, if the PID is still that process. */
static void fill_comm(struct sampler *s, struct proc *p)
{
	char buf[WP_COMM_LEN + 1];

	if (p->comm[0] || proc__pseudo(p))
		return;
	if (procinfo__comm(s->procinfo, p->tgid, p->start_ns, buf, sizeof(buf)))
		return;
	memcpy(p->comm, buf, strnlen(buf, sizeof(p->comm) - 1));
}

/* Time held back from an interval for the next one (see within_capacity). */
struct carry {
	__u32 tgid;
	__u64 start_ns;
	struct pt_id id;	/* the identity it ran under */
	bool id_known;
	int cpu;
	__u64 ns;
	bool exited;
};

static void hold_back(void *ctx, const struct proc *p, int cpu, __u64 ns)
{
	struct sampler *s = ctx;
	struct carry *c;

	if (s->nr_carries == s->cap_carries) {
		__u32 cap = s->cap_carries ? 2 * s->cap_carries : 16;

		c = realloc(s->carries, cap * sizeof(*c));
		if (!c)
			return;	/* lost: less time, never more than the CPU had */
		s->carries = c;
		s->cap_carries = cap;
	}
	c = &s->carries[s->nr_carries++];
	*c = (struct carry){
		.tgid = p->tgid, .start_ns = p->start_ns, .id_known = p->id_known, .cpu = cpu,
		.ns = ns, .exited = p->exited,
	};
	proc__id(p, &c->id);
}

/*
 * No CPU runs more than the interval: a running slice is credited up to the
 * scheduler's last tick, so the time a CPU is charged in an interval can exceed
 * the interval by up to a tick (at -i 0.2, 3%), the tick the interval before
 * missed. That part waits for the next interval (the largest charges on that CPU
 * give it), so that processes + idle never exceed what the CPUs had, and no time
 * is lost: it is charged at the start of the next interval.
 */
static void within_capacity(struct sampler *s, __u64 interval_ns)
{
	bool merged = false;

	for (int cpu = 0; cpu < s->topo.nr_cpus; cpu++) {
		if (s->iv_cpu_busy[cpu] <= interval_ns)
			continue;
		if (!merged) {
			proctable__merge_charges(&s->pt);
			merged = true;
		}
		proctable__uncharge_cpu(&s->pt, cpu, topology__socket_of(&s->topo, cpu),
					s->iv_cpu_busy[cpu] - interval_ns, hold_back, s);
		s->iv_cpu_busy[cpu] = interval_ns;
	}
}

__u64 sampler__held_back(const struct sampler *s, __u32 tgid)
{
	__u64 ns = 0;

	for (__u32 i = 0; i < s->nr_carries; i++)
		if (s->carries[i].tgid == tgid)
			ns += s->carries[i].ns;
	return ns;
}

/* At the start of an interval: what the last one held back. */
static void carry_over(struct sampler *s)
{
	for (__u32 i = 0; i < s->nr_carries; i++) {
		const struct carry *c = &s->carries[i];
		struct proc *p = proctable__get(&s->pt, c->tgid, c->start_ns);

		if (c->exited && p->tgid == c->tgid)
			mark_exited(s, p);
		if (c->id_known)
			p = proctable__part(&s->pt, p, &c->id);
		if (c->cpu >= 0 && c->cpu < s->topo.nr_cpus)
			s->iv_cpu_busy[c->cpu] += c->ns;
		proctable__charge(&s->pt, p, c->cpu, topology__socket_of(&s->topo, c->cpu), c->ns);
	}
	s->nr_carries = 0;
}

/*
 * Idle time is what is left of each online CPU's interval after the
 * processes' time (the idle task itself is not counted in BPF). It includes
 * time the scheduler does not charge to tasks (steal time on a VM).
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
	__u64 ex = figures__all_uj(&x->iv), ey = figures__all_uj(&y->iv);

	if (ex != ey)
		return ex > ey ? -1 : 1;
	if (x->iv.ns != y->iv.ns)
		return x->iv.ns > y->iv.ns ? -1 : 1;
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

	if (!s->cgroups_v1 || proc__pseudo(p))
		return;
	if (!v2_empty && p->cg && (p->cg->container_id[0] || p->cg->pod_uid[0]))
		return;
	path = cgroup_v1__path(s->cgroups_v1, p->tgid, p->start_ns, p->comm, &info);
	if (cgroup_v1__outside_ns(path)) {
		/* a private cgroup namespace: its container and pod cannot be told (unknown
		 * rather than wrong), and the remedy is said once */
		if (!s->cgroupns_warned)
			fprintf(stderr, "wattprobe: warning: the cgroup v1 paths of other "
				"processes are outside this cgroup namespace (%s): the agent runs "
				"in a private one, where their cgroups, containers and pods cannot "
				"be told; run it in the host's (docker run --cgroupns host)\n",
				path);
		s->cgroupns_warned = true;
		if (v2_empty) {
			p->cgroup = NULL;
			p->cg = NULL;
		}
		return;
	}
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

	if (s->cgroup_warned || s->cgroupns_warned)	/* that one says why already */
		return;
	for (__u32 i = 0; i < out->nr_procs; i++) {
		if (out->procs[i]->cgroup)
			return;
		any |= !proc__pseudo(out->procs[i]);
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
 * The guest p runs, if any: the one libvirt's cgroup names, else the one a hypervisor's
 * command line names, else the hypervisor's PID. Its vCPUs from the command line.
 */
static bool vm_of(struct sampler *s, const struct proc *p, struct vm_id *id)
{
	const struct hypervisor *hv = proc__pseudo(p) ? NULL : hypervisor__of_comm(p->comm);
	bool libvirt = p->cg && p->cg->vm[0];
	const char *argv = NULL;
	size_t len = 0;

	if (!libvirt && !hv)
		return false;
	id->name[0] = '\0';
	id->vcpus = 0;
	if (hv && s->procinfo)
		argv = procinfo__argv(s->procinfo, p->tgid, p->start_ns, &len);
	if (argv)
		hypervisor__parse(hv, argv, len, id->name, sizeof(id->name), &id->vcpus);
	if (libvirt) {
		snprintf(id->name, sizeof(id->name), "%s", p->cg->vm);
		id->source = VM_SOURCE_CGROUP;
	} else if (id->name[0]) {
		id->source = VM_SOURCE_CMDLINE;
	} else {
		snprintf(id->name, sizeof(id->name), "%u", p->tgid);
		id->source = VM_SOURCE_PID;
	}
	return true;
}

/* The guests of this interval and their shares of its energy. */
static void resolve_guests(struct sampler *s, struct sample *out)
{
	struct vm_id id;

	guests__begin(&s->guests);
	for (__u32 i = 0; i < out->nr_procs; i++) {
		struct proc *p = out->procs[i];

		p->vm = NULL;
		if (vm_of(s, p, &id) && guests__add(&s->guests, p, &id) && s->opts.verbose)
			fprintf(stderr, "wattprobe: warning: failed to add guest %s: %s\n", id.name,
				strerror(ENOMEM));
	}
	guests__end(&s->guests, out);
}

/*
 * What outputs show of each process, from caches. Two passes over the
 * cgroups: a lookup that misses may rescan the tree and free the paths
 * handed out before, so pointers are taken once every id was looked up.
 */
static void resolve(struct sampler *s, struct sample *out)
{
	cgroup_v1__begin(s->cgroups_v1, out->nr_procs);
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
		if (s->opts.need_exe && !proc__pseudo(p)) {
			/* from BPF, which needs no privilege to read it (nor the host's PID
			 * namespace); /proc (which does, for other users' processes) where BPF
			 * had nothing. One procinfo entry holds both: cmdline "" tells a
			 * kernel thread. Without procinfo (another PID namespace), BPF's only. */
			p->exe = p->exe_path;
			if (s->procinfo && !p->exe && !p->part)
				p->exe = procinfo__exe(s->procinfo, p->tgid, p->start_ns);
			if (s->procinfo)
				p->cmdline = procinfo__cmdline(s->procinfo, p->tgid, p->start_ns);
		}
	}
	warn_no_cgroups(s, out);
	resolve_guests(s, out);
}

/* After records were lost, the intervals that look at every process once, and one more. */
static __u32 lost_window(const struct sampler *s)
{
	return 2 + s->pt.top / SAMPLER_LOST_CHECKS;
}

int sampler__sample(struct sampler *s)
{
	struct attr_socket as[WP_MAX_SOCKETS];
	struct sample *out = &s->cur;
	__u64 t0 = now_ns(CLOCK_MONOTONIC), now;
	__u32 i;

	memset(out, 0, sizeof(*out));
	if (topology__refresh(&s->topo) < 0 && s->opts.verbose)
		fprintf(stderr, "wattprobe: warning: could not re-read the online CPUs\n");
	/* the table's per-socket figures are sized at start */
	if (s->topo.nr_sockets > s->pt.nr_sockets && !s->told_new_socket) {
		fprintf(stderr, "wattprobe: warning: a socket came online after the start: its "
			"energy counts as idle, not per process, until wattprobe restarts\n");
		s->told_new_socket = true;
	}
	/* the drain thread waits from here to the end of the interval */
	pthread_mutex_lock(&s->lock);
	if (s->published) {	/* sampler__done() was not called: the last one ends now */
		end_interval(s);
		s->published = false;
	}
	now = probe__read(&s->probe, s->topo.online);
	if (!now) {
		pthread_mutex_unlock(&s->lock);
		return -errno;
	}
	clock_gettime(CLOCK_REALTIME, &out->wall);
	out->started = s->started;
	out->seq = s->pt.seq;
	out->interval_ns = now - s->last_mono;
	s->last_mono = now;
	out->sensor = sensor_set__ops(&s->sensors, SENSOR_ROLE_CPU)->name;
	out->sensor_source = sensor_set__get(&s->sensors, SENSOR_ROLE_CPU)->source;
	out->estimated = !cpu_measured(s);

	within_capacity(s, out->interval_ns);
	if (s->opts.need_exe)
		ask_exes(s);
	out->nr_procs = s->pt.nr_active;
	out->procs = s->order;
	for (i = 0; i < s->pt.nr_active; i++) {
		s->order[i] = &s->pt.pool[s->pt.active[i]];
		if (!s->foreign_pidns)	/* else /proc/PID is another process, or none */
			fill_comm(s, s->order[i]);
	}

	out->nr_sockets = s->topo.nr_sockets;
	idle_time(s, out);
	for (int k = 0; k < out->nr_sockets; k++) {
		struct sample_socket *ss = &out->sockets[k];

		ss->id = s->topo.socket_ids[k];
		ss->online_cpus = s->topo.online_in_socket[k];
		for (i = 0; i < out->nr_procs; i++)
			ss->busy_ns += figures__sock_ns(&out->procs[i]->iv, k);
		ss->util = ss->busy_ns + ss->idle_ns ?
			   (double)ss->busy_ns / (ss->busy_ns + ss->idle_ns) : 0;
		out->busy_ns += ss->busy_ns;
		out->idle_ns += ss->idle_ns;
	}
	out->util = out->busy_ns + out->idle_ns ?
		    (double)out->busy_ns / (out->busy_ns + out->idle_ns) : 0;
	/* BPF records lost now: the fits learn nothing until the time they took comes
	 * back (not the table's full charges, whose time the unrecorded process has) */
	out->time_short = !learn__time_whole(&s->short_left, s->acct.dropped - s->short_seen,
					     lost_window(s) + 1);
	s->short_seen = s->acct.dropped;

	energy(s, out, as);
	attribute(as, out->nr_sockets, out->procs, out->nr_procs, s->opts.spread_idle);
	out->have_energy = out->nr_sockets > 0;
	for (int k = 0; k < out->nr_sockets; k++) {
		struct sample_socket *ss = &out->sockets[k];

		ss->idle_uj = as[k].idle_uj;
		ss->idle_dom_uj[ENERGY_PACKAGE] = as[k].idle_pkg_uj;
		ss->idle_dom_uj[ENERGY_DRAM] = as[k].idle_dram_uj;
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
	/* GPUs and the platform: may add processes */
	wholebox__attribute(&s->box, box_in(s, &(struct wholebox_in){ 0 }), out);
	for (i = 0; i < out->nr_procs; i++) {
		struct proc *p = out->procs[i];

		p->total_uj += p->iv.uj;
		p->total_uj_partial |= p->iv.uj_missing;
		p->total_gpu_uj += p->iv.gpu_uj;
		p->total_rest_uj += p->iv.rest_uj;
		if (p->part) {	/* a part's energy is its process's too */
			s->pt.pool[p->owner].total_uj += p->iv.uj;
			s->pt.pool[p->owner].total_gpu_uj += p->iv.gpu_uj;
			s->pt.pool[p->owner].total_rest_uj += p->iv.rest_uj;
		}
	}
	qsort(out->procs, out->nr_procs, sizeof(*out->procs), cmp_proc);
	proctable__merge_charges(&s->pt);
	index_charges(s, out);

	out->nr_tracked = s->pt.nr;
	out->unseen = s->acct.unseen;
	out->dropped = s->acct.dropped + s->pt.full;
	out->dropped_delta = out->dropped - s->last_dropped;
	if (out->dropped_delta)
		s->lost_window = lost_window(s);
	s->last_dropped = out->dropped;
	/* the sample's processes are the table's entries until sampler__done() */
	s->published = true;
	pthread_mutex_unlock(&s->lock);
	resolve(s, out);
	out->sample_seconds = (now_ns(CLOCK_MONOTONIC) - t0) / 1e9;
	if (s->opts.need_self)
		selfstat__read(&out->self);
	return 0;
}

/* A process leaves the table: what its slots still hold is late time of an exited process,
 * and its command line is let go at the end of the next interval (this sample may still
 * show it). */
static void on_removed(void *ctx, const struct proc *p)
{
	struct sampler *s = ctx;

	if (proc__pseudo(p))
		return;
	acct__forget(&s->acct, p->tgid, p->start_ns);
	guests__forget(&s->guests, p->tgid, p->start_ns);
	if (s->nr_gone == s->cap_gone) {
		__u32 cap = s->cap_gone ? 2 * s->cap_gone : 64;
		struct pid_key *k = realloc(s->gone, cap * sizeof(*k));

		if (!k)
			return;	/* the cache's LRU lets it go in time */
		s->gone = k;
		s->cap_gone = cap;
	}
	s->gone[s->nr_gone++] = (struct pid_key){ p->tgid, p->start_ns };
}

/* A process without time for a while whose exit record was lost (a full ring buffer):
 * gone when /proc no longer has it (under that start time). */
static bool is_gone(void *ctx, const struct proc *p)
{
	struct sampler *s = ctx;

	return s->procinfo && !proc__pseudo(p) &&
	       procinfo__alive(s->procinfo, p->tgid, p->start_ns) == 0;
}

/* Under the lock: what comes next is the next interval's. */
static void end_interval(struct sampler *s)
{
	double iv = s->opts.interval_s > 0 ? s->opts.interval_s : 1;
	struct pt_hooks h = {
		.removed = on_removed, .gone = is_gone, .ctx = s,
		/* processes unseen for an hour are dropped, alive or not */
		.idle_intervals = (__u64)(3600 / iv) + 1,
		/* after 30 s without time, a few a interval are checked in /proc */
		.check_after = (__u64)(30 / iv) + 1, .checks = 16,
	};

	/* records were lost (10,000 processes that exit at once overflow the ring buffer):
	 * the exits among them are looked for now, many an interval, not after 30 s, 16 an
	 * interval (10 minutes for 10,000), while their entries hold the table's pages */
	if (s->lost_window) {
		s->lost_window--;
		h.check_after = 1;
		h.checks = SAMPLER_LOST_CHECKS;
	}

	/* processes that left the table an interval ago: their /proc data is of no use */
	for (__u32 i = 0; i < s->nr_gone; i++)
		procinfo__forget(s->procinfo, s->gone[i].tgid, s->gone[i].start_ns);
	s->nr_gone = 0;
	for (__u32 i = 0; i < s->pt.nr_active; i++) {
		struct proc *p = &s->pt.pool[s->pt.active[i]];

		if (p->reread_info) {
			procinfo__forget(s->procinfo, p->tgid, p->start_ns);
			p->reread_info = false;
		}
	}
	proctable__end(&s->pt, &h);
	s->trimmed = proctable__trim(&s->pt);
	memset(s->iv_cpu_busy, 0, s->topo.nr_cpus * sizeof(*s->iv_cpu_busy));
	carry_over(s);
}

/*
 * Outputs are done with the sample: the interval ends, and its processes, the table's
 * entries, go on to the next (the drain thread charges them again). After a flood of
 * processes, the table's pages go back (proctable__trim), and so does what the allocator
 * holds free.
 */
void sampler__done(struct sampler *s)
{
	pthread_mutex_lock(&s->lock);
	if (s->published) {
		end_interval(s);
		s->published = false;
	}
	pthread_mutex_unlock(&s->lock);
	/* what the allocator holds free: the strings, rows and records of the processes gone
	 * (the outputs' rows and keys of a flood go at the first build that uses under a
	 * quarter of them: then too) */
	if (s->cur.nr_procs > s->big_procs)
		s->big_procs = s->cur.nr_procs;
	if (s->trimmed || (s->big_procs > SAMPLER_TRIM_PROCS && 4 * s->cur.nr_procs < s->big_procs)) {
		malloc_trim(0);
		s->big_procs = s->cur.nr_procs;
	}
	s->trimmed = false;
}

/*
 * The drain thread: takes the ring buffer's records whenever the BPF side asks
 * (a quarter full) and at least every WP_DRAIN_MS, whatever the interval, so
 * that the buffer never fills between two samples. It empties the ring buffer
 * without the lock (into the probe's queue: a sample can hold the lock for
 * long in a flood on a loaded host), and charges the table with them when the
 * lock is free and no sample is published (else the sample does, first): a
 * published sample's processes are the table's entries, which outputs read.
 */
static void *drain_main(void *arg)
{
	struct sampler *s = arg;
	struct pollfd fds[2] = {
		{ .fd = probe__drain_fd(&s->probe), .events = POLLIN },
		{ .fd = s->stop_fd, .events = POLLIN },
	};

	for (;;) {
		int ret = poll(fds, 2, WP_DRAIN_MS);

		if (ret < 0 && errno != EINTR)
			break;
		if (fds[1].revents)
			break;
		ret = probe__collect(&s->probe);
		if (!pthread_mutex_trylock(&s->lock)) {
			if (!s->published)
				probe__apply(&s->probe);
			pthread_mutex_unlock(&s->lock);
		}
		if (ret < 0 && ret != -EINTR) {
			fprintf(stderr, "wattprobe: warning: failed to drain the BPF ring buffer: %s; "
				"records are drained at each sample only\n", strerror(-ret));
			break;
		}
	}
	return NULL;
}

void sampler__boost_drain(struct sampler *s)
{
	pid_t self = gettid();

	errno = 0;
	s->caller_nice = getpriority(PRIO_PROCESS, self);
	s->boosted = !errno && !setpriority(PRIO_PROCESS, self, SAMPLER_DRAIN_NICE);
}

/* The caller's own niceness back (a higher one: no privilege needed). */
static void unboost(struct sampler *s)
{
	if (s->boosted)
		setpriority(PRIO_PROCESS, gettid(), s->caller_nice);
	s->boosted = false;
}

int sampler__start(struct sampler *s, char *err, size_t errlen)
{
	sigset_t all, old;
	int ret;

	if (s->draining) {
		unboost(s);
		return 0;
	}
	s->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (s->stop_fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "failed to create an eventfd: %s", strerror(errno));
		unboost(s);
		return ret;
	}
	/* signals are for the main loop, which sleeps in clock_nanosleep */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	ret = -pthread_create(&s->drain, NULL, drain_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	unboost(s);
	if (ret) {
		snprintf(err, errlen, "failed to start the ring buffer thread: %s", strerror(-ret));
		close(s->stop_fd);
		s->stop_fd = -1;
		return ret;
	}
	s->draining = true;
	return 0;
}

void sampler__close(struct sampler *s)
{
	if (s->draining) {
		__u64 one = 1;

		if (write(s->stop_fd, &one, sizeof(one)) != sizeof(one))
			fprintf(stderr, "wattprobe: warning: failed to stop the drain thread\n");
		pthread_join(s->drain, NULL);
		s->draining = false;
	}
	if (s->stop_fd >= 0)
		close(s->stop_fd);
	s->stop_fd = -1;
	probe__close(&s->probe);
	acct__free(&s->acct);
	save_state(s, true);
	baseline_kept__free(&s->kept);
	sensor_set__close(&s->sensors);
	proctable__free(&s->pt);
	if (s->cgroups)
		cgroup_cache__free(s->cgroups);
	if (s->procinfo)
		procinfo__free(s->procinfo);
	cgroup_v1__free(s->cgroups_v1);
	ctrnames__free(s->names);
	guests__free(&s->guests);
	strpool__free(s->exes);
	s->exes = NULL;
	s->cgroups = NULL;
	s->procinfo = NULL;
	s->cgroups_v1 = NULL;
	s->names = NULL;
	free(s->order);
	wholebox__free(&s->box);
	free(s->iv_cpu_busy);
	free(s->carries);
	free(s->gone);
	s->gone = NULL;
	s->nr_gone = s->cap_gone = 0;
	s->carries = NULL;
	s->nr_carries = s->cap_carries = 0;
	s->order = NULL;
	s->iv_cpu_busy = NULL;
	pthread_mutex_destroy(&s->lock);
}

/* The command line of a process of the current sample, from the cache. */
void sampler__resolve_cmdline(struct sampler *s, const struct proc *row)
{
	struct proc *p;

	if (!row || proc__pseudo(row) || !s->procinfo)
		return;
	if (!s->published || row < s->pt.pool || row >= s->pt.pool + s->pt.cap)
		return;	/* not a process of the current sample */
	p = &s->pt.pool[row - s->pt.pool];
	p->cmdline = procinfo__cmdline(s->procinfo, p->tgid, p->start_ns);
}

int sampler__phase(const struct sampler *s, __u64 *mono_ns, __u64 *period_ns)
{
	long long ago = (long long)(now_ns(CLOCK_REALTIME) - s->updated_ns);
	long long period = (long long)s->update_period_ns;

	/* none, or an update so far off (a clock set wrong, a host agent gone) that it says
	 * nothing of when the next comes */
	if (!s->updated_ns || period <= 0 || ago < -period || ago > 10 * period)
		return -ENOENT;
	*mono_ns = now_ns(CLOCK_MONOTONIC) - ago + period / 2;
	*period_ns = period;
	return 0;
}

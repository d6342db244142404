// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * `wattprobe prometheus`: the /metrics page. Base units, counters for energy
 * and CPU time (rate() of a *_joules_total is watts), gauges for the last
 * interval's watts. A gauge whose value could not be measured this interval
 * is left out rather than reported as 0.
 *
 * Every sum over a label means something: the socket_* families partition
 * the host's energy (package and dram), the subzones (core, uncore, parts of
 * the package) have families of their own; the process or group counters
 * (a steady view, see series.h) and others add up, with idle, to the host.
 * Label values are escaped losslessly (promtext.h) and process series carry
 * their start time: no two series of a page share their labels.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "http/http.h"
#include "lib/version.h"
#include "output/output.h"

#ifdef __clang__
#define COMPILER "clang " __clang_version__
#else
#define COMPILER "gcc " __VERSION__
#endif

static double unix_s(struct timespec ts)
{
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A counter family of one sample, with its _created (OpenMetrics). */
static void counter(struct pbuf *b, const char *name, const char *help, double value,
		    struct timespec created)
{
	prom_family(b, name, "counter", help);
	prom_counter(b, name, NULL, value, unix_s(created));
}

static void host(struct pbuf *b, const struct sample *sm)
{
	counter(b, "wattprobe_host_joules_total",
		"Energy drawn by the host (packages and DRAM) since the agent started.",
		uj_to_j(sm->energy_total_uj), sm->started);
	prom_family(b, "wattprobe_host_watts", "gauge",
		    "Power drawn by the host over the last interval.");
	if (sm->have_energy)
		prom_sample(b, "wattprobe_host_watts", NULL, watts(sm->energy_uj, sm->interval_ns));
	counter(b, "wattprobe_host_cpu_seconds_total",
		"On-CPU time of all processes since the agent started.", sm->busy_total_ns / 1e9,
		sm->started);
	prom_metric(b, "wattprobe_host_cpu_ratio", "gauge",
		    "Share of the online CPUs' time processes ran over the last interval.",
		    NULL, sm->util);
	counter(b, "wattprobe_idle_joules_total",
		"Energy reported as idle (baseline and unattributed) since the agent started.",
		uj_to_j(sm->idle_total_uj), sm->started);
	prom_family(b, "wattprobe_idle_watts", "gauge",
		    "Power reported as idle over the last interval.");
	if (sm->have_energy)
		prom_sample(b, "wattprobe_idle_watts", NULL, watts(sm->idle_uj, sm->interval_ns));
	if (!sm->psys_total_uj && !sm->have_psys)
		return;
	counter(b, "wattprobe_psys_joules_total",
		"Energy of the platform (RAPL psys, more than packages and DRAM) since the "
		"agent started.", uj_to_j(sm->psys_total_uj), sm->started);
	prom_family(b, "wattprobe_psys_watts", "gauge",
		    "Power of the platform (RAPL psys) over the last interval.");
	if (sm->have_psys)
		prom_sample(b, "wattprobe_psys_watts", NULL, watts(sm->psys_uj, sm->interval_ns));
}

/* Each GPU's learnt curve, as the sockets': the range of its idle and its power at 0 .. 100%. */
static void gpu_curves(struct pbuf *b, const struct sample *sm)
{
	static const char *const loads[SAMPLE_CURVE_POINTS] = { "0", "0.25", "0.5", "0.75", "1" };
	static const char *const fams[][2] = {
		{ "wattprobe_gpu_idle_baseline_low_watts",
		  "Low end of the range a GPU's learnt idle baseline is in (95%)." },
		{ "wattprobe_gpu_idle_baseline_high_watts",
		  "High end of the range a GPU's learnt idle baseline is in (95%)." },
		{ "wattprobe_gpu_power_curve_watts",
		  "The learnt power of a GPU at a share of its utilisation (load)." },
	};
	char idx[16];

	for (int f = 0; f < 3; f++) {
		prom_family(b, fams[f][0], "gauge", fams[f][1]);
		for (int i = 0; i < sm->nr_gpus; i++) {
			const struct sample_baseline *bl = &sm->gpus[i].baseline;
			const char *l[] = { "gpu", idx, "uuid", sm->gpus[i].uuid, NULL };

			snprintf(idx, sizeof(idx), "%d", sm->gpus[i].index);
			if (!bl->have_curve)
				continue;
			if (f < 2)
				prom_sample(b, fams[f][0], l, f ? bl->idle_hi_w : bl->idle_lo_w);
			for (int k = 0; f == 2 && k < SAMPLE_CURVE_POINTS; k++) {
				const char *lk[] = { "gpu", idx, "uuid", sm->gpus[i].uuid, "load",
						     loads[k], NULL };

				prom_sample(b, fams[f][0], lk, bl->curve_w[k]);
			}
		}
	}
}

/* Each GPU's energy, power and idle baseline, labelled by index and UUID; with a GPU sensor. */
static void gpus(struct pbuf *b, const struct sample *sm)
{
	char idx[16];

	if (!sm->gpu_sensor)
		return;
	prom_family(b, "wattprobe_gpu_joules_total", "counter",
		    "Energy drawn by a GPU since the agent started (intervals it was measured).");
	for (int i = 0; i < sm->nr_gpus; i++) {
		const char *l[] = { "gpu", idx, "uuid", sm->gpus[i].uuid, NULL };

		snprintf(idx, sizeof(idx), "%d", sm->gpus[i].index);
		prom_counter(b, "wattprobe_gpu_joules_total", l, uj_to_j(sm->gpus[i].total_uj),
			     unix_s(sm->started));
	}
	prom_family(b, "wattprobe_gpu_watts", "gauge",
		    "Power drawn by a GPU over the last interval.");
	for (int i = 0; i < sm->nr_gpus; i++) {
		const char *l[] = { "gpu", idx, "uuid", sm->gpus[i].uuid, NULL };

		snprintf(idx, sizeof(idx), "%d", sm->gpus[i].index);
		if (sm->gpus[i].have)
			prom_sample(b, "wattprobe_gpu_watts", l,
				    watts(sm->gpus[i].uj, sm->interval_ns));
	}
	prom_family(b, "wattprobe_gpu_idle_baseline_watts", "gauge",
		    "Idle baseline of a GPU: its power at no utilisation, reported as idle.");
	for (int i = 0; i < sm->nr_gpus; i++) {
		const char *l[] = { "gpu", idx, "uuid", sm->gpus[i].uuid, NULL };

		snprintf(idx, sizeof(idx), "%d", sm->gpus[i].index);
		if (sm->gpus[i].baseline.have)
			prom_sample(b, "wattprobe_gpu_idle_baseline_watts", l,
				    sm->gpus[i].baseline.idle_w);
	}
	gpu_curves(b, sm);
	counter(b, "wattprobe_gpu_idle_joules_total",
		"GPU energy reported as idle (the GPUs' baselines) since the agent started: "
		"process (or group) GPU counters + others + idle = the GPUs'.",
		uj_to_j(sm->gpu_idle_total_uj), sm->started);
}

/* A platform meter's energy, and its remainder beyond packages, DRAM and GPUs. */
static void platform(struct pbuf *b, const struct sample *sm)
{
	if (!sm->platform_sensor)
		return;
	counter(b, "wattprobe_platform_joules_total",
		"Energy of the whole platform (a platform power meter) since the agent started.",
		uj_to_j(sm->platform_total_uj), sm->started);
	prom_family(b, "wattprobe_platform_watts", "gauge",
		    "Power of the whole platform over the last interval.");
	if (sm->have_platform)
		prom_sample(b, "wattprobe_platform_watts", NULL,
			    watts(sm->platform_uj, sm->interval_ns));
	counter(b, "wattprobe_platform_rest_joules_total",
		"The platform's energy beyond packages, DRAM and GPUs since the agent started.",
		uj_to_j(sm->rest_total_uj), sm->started);
	counter(b, "wattprobe_platform_rest_idle_joules_total",
		"The platform's remainder reported as idle since the agent started: process "
		"(or group) remainder counters + others + idle = the remainder.",
		uj_to_j(sm->rest_idle_total_uj), sm->started);
	prom_family(b, "wattprobe_platform_rest_idle_baseline_watts", "gauge",
		    "Idle baseline of the platform's remainder, reported as idle.");
	if (sm->rest_baseline.have)
		prom_sample(b, "wattprobe_platform_rest_idle_baseline_watts", NULL,
			    sm->rest_baseline.idle_w);
}

/* The domains of a socket's family: package and dram add up to the host's energy;
 * core and uncore are parts of the package, in a family of their own. */
static const struct domain_family {
	const char *counter, *gauge, *label;
	enum energy_domain d[2];
	const char *name[2];
} domain_families[] = {
	{ "wattprobe_socket_joules_total", "wattprobe_socket_watts", "domain",
	  { ENERGY_PACKAGE, ENERGY_DRAM }, { "package", "dram" } },
	{ "wattprobe_socket_subzone_joules_total", "wattprobe_socket_subzone_watts", "subzone",
	  { ENERGY_CORE, ENERGY_UNCORE }, { "core", "uncore" } },
};

static const char *const domain_help[][2] = {
	{ "Energy of a socket's domain since the agent started: package and dram, which "
	  "add up to the host's.",
	  "Power of a socket's domain over the last interval: package and dram." },
	{ "Energy of a subzone of a socket's package (core, uncore) since the agent started; "
	  "already in the package's.",
	  "Power of a subzone of a socket's package (core, uncore) over the last interval." },
};

static void socket_domains(struct pbuf *b, const struct sample *sm)
{
	char id[16];

	for (int f = 0; f < 2; f++) {
		const struct domain_family *fam = &domain_families[f];
		bool any = false;

		/* a family whose domains no socket has (no subzones here) is left out */
		for (int i = 0; i < sm->nr_sockets; i++)
			for (int k = 0; k < 2; k++)
				any |= fam->d[k] == ENERGY_PACKAGE || sm->sockets[i].have[fam->d[k]] ||
				       sm->sockets[i].total_uj[fam->d[k]];
		if (!any)
			continue;
		prom_family(b, fam->counter, "counter", domain_help[f][0]);
		for (int i = 0; i < sm->nr_sockets; i++) {
			const struct sample_socket *ss = &sm->sockets[i];

			snprintf(id, sizeof(id), "%d", ss->id);
			for (int k = 0; k < 2; k++) {
				const char *l[] = { "socket", id, fam->label, fam->name[k], NULL };
				enum energy_domain d = fam->d[k];

				if (d == ENERGY_PACKAGE || ss->have[d] || ss->total_uj[d])
					prom_counter(b, fam->counter, l, uj_to_j(ss->total_uj[d]),
						     unix_s(sm->started));
			}
		}
		prom_family(b, fam->gauge, "gauge", domain_help[f][1]);
		for (int i = 0; i < sm->nr_sockets; i++) {
			const struct sample_socket *ss = &sm->sockets[i];

			snprintf(id, sizeof(id), "%d", ss->id);
			for (int k = 0; k < 2; k++) {
				const char *l[] = { "socket", id, fam->label, fam->name[k], NULL };

				if (ss->have[fam->d[k]])
					prom_sample(b, fam->gauge, l,
						    watts(ss->uj[fam->d[k]], sm->interval_ns));
			}
		}
	}
}

/*
 * Each socket's idle baselines (package, DRAM) and how sure they are: one
 * series per socket and domain whose labels never change, so a baseline that
 * goes from the prior to the fit stays one series. The method (learnt, flag,
 * model) is fixed for the life of the agent.
 */
static const char *const domain_names[ENERGY_NR_DOMAINS] = {
	[ENERGY_PACKAGE] = "package", [ENERGY_DRAM] = "dram",
};

/* A learnt curve: one series per point, load="0" ... load="1". */
static void curve(struct pbuf *b, const char *name, const char *id, const char *domain,
		  const double *w)
{
	static const char *const loads[SAMPLE_CURVE_POINTS] = { "0", "0.25", "0.5", "0.75", "1" };

	for (int k = 0; k < SAMPLE_CURVE_POINTS; k++) {
		const char *l[] = { "socket", id, "domain", domain, "load", loads[k], NULL };

		prom_sample(b, name, l, w[k]);
	}
}

static void baselines(struct pbuf *b, const struct sample *sm)
{
	static const char *const fams[][3] = {
		{ "wattprobe_socket_idle_baseline_watts", "gauge",
		  "Idle baseline of a socket's domain: the power at no load, reported as idle." },
		{ "wattprobe_socket_baseline_info", "gauge",
		  "How the baseline is set (method: learnt, flag or model); always 1." },
		{ "wattprobe_socket_baseline_prior_ratio", "gauge",
		  "Share of the learnt baseline decided by the prior: 1 the prior alone, 0 the fit alone." },
		{ "wattprobe_socket_baseline_intervals", "gauge",
		  "Intervals the baseline's fit of power against CPU utilisation holds." },
		{ "wattprobe_socket_baseline_cpu_spread_ratio", "gauge",
		  "Standard deviation of the CPU utilisation over the fit's intervals." },
		{ "wattprobe_socket_baseline_residual_watts", "gauge",
		  "Typical distance of the fit's intervals from its curve (1.4826 x median)." },
		{ "wattprobe_socket_idle_baseline_low_watts", "gauge",
		  "Low end of the range the learnt idle baseline is in (95%)." },
		{ "wattprobe_socket_idle_baseline_high_watts", "gauge",
		  "High end of the range the learnt idle baseline is in (95%)." },
		{ "wattprobe_socket_power_curve_watts", "gauge",
		  "The learnt power of a socket's domain at a share of its CPUs busy (load)." },
	};
	char id[16];

	for (int f = 0; f < (int)(sizeof(fams) / sizeof(fams[0])); f++) {
		prom_family(b, fams[f][0], fams[f][1], fams[f][2]);
		for (int i = 0; i < sm->nr_sockets; i++) {
			for (int d = ENERGY_PACKAGE; d <= ENERGY_DRAM; d++) {
				const struct sample_baseline *bl = &sm->sockets[i].baseline[d];
				bool learnt = bl->src != IDLE_FLAG && bl->src != IDLE_MODEL;
				const char *method = bl->src == IDLE_FLAG ? "flag" :
						     bl->src == IDLE_MODEL ? "model" : "learnt";
				const char *l[] = { "socket", id, "domain", domain_names[d], NULL };
				const char *li[] = { "socket", id, "domain", domain_names[d], "method",
						     method, NULL };

				if (!bl->have || d == ENERGY_CORE || d == ENERGY_UNCORE)
					continue;
				snprintf(id, sizeof(id), "%d", sm->sockets[i].id);
				if (f == 0)
					prom_sample(b, fams[f][0], l, bl->idle_w);
				else if (f == 1)
					prom_sample(b, fams[f][0], li, 1);
				else if (f == 2 && learnt)
					prom_sample(b, fams[f][0], l, bl->prior_share);
				else if (f == 3 && learnt)
					prom_sample(b, fams[f][0], l, bl->intervals);
				else if (f == 4 && learnt && bl->intervals)
					prom_sample(b, fams[f][0], l, bl->util_spread);
				else if (f == 5 && learnt && bl->intervals)
					prom_sample(b, fams[f][0], l, bl->residual_w);
				else if (f == 6 && learnt && bl->have_curve)
					prom_sample(b, fams[f][0], l, bl->idle_lo_w);
				else if (f == 7 && learnt && bl->have_curve)
					prom_sample(b, fams[f][0], l, bl->idle_hi_w);
				else if (f == 8 && learnt && bl->have_curve)
					curve(b, fams[f][0], id, domain_names[d], bl->curve_w);
			}
		}
	}
}

static void sockets(struct pbuf *b, const struct sample *sm)
{
	char id[16];

	socket_domains(b, sm);
	prom_family(b, "wattprobe_socket_cpu_ratio", "gauge",
		    "Share of the socket's online CPUs' time processes ran over the last interval.");
	for (int i = 0; i < sm->nr_sockets; i++) {
		const char *l[] = { "socket", id, NULL };

		snprintf(id, sizeof(id), "%d", sm->sockets[i].id);
		prom_sample(b, "wattprobe_socket_cpu_ratio", l, sm->sockets[i].util);
	}
	baselines(b, sm);
}

/*
 * The rows' families, each once with the rows of every view of its kind
 * (processes: the pid level; groups: the others, told apart by group_by): a
 * counter family for energy and one for CPU time (every row: pending at 0,
 * live, held frozen), a gauge of this interval's power (rows that are members,
 * not held rows), and for groups their size.
 */
enum { F_JOULES, F_CPU, F_WATTS, F_MEMBERS, F_GPU_JOULES, F_GPU_WATTS, F_REST_JOULES };

struct row_kind {
	const char *const (*fams)[3];
	int nr_fams;
	bool pid;			/* the pid level's rows, else every other level's */
	/* the row's labels into l, buf for their text */
	void (*labels)(const struct view *v, const struct view_row *r, const char **l,
		       char *buf, size_t len);
};

static void rows(struct pbuf *b, const struct sample *sm, const struct views *vs,
		 const struct row_kind *k)
{
	const char *l[7];
	char buf[64];
	bool any = false;

	for (unsigned i = 0; i < vs->nr; i++)
		any |= (vs->v[i].by == GROUP_PID) == k->pid;
	for (int f = 0; any && f < k->nr_fams; f++) {
		const char *name = k->fams[f][0];

		if (!name || (f >= F_GPU_JOULES && f <= F_GPU_WATTS && !sm->gpu_sensor) ||
		    (f == F_REST_JOULES && !sm->platform_sensor))
			continue;
		prom_family(b, name, k->fams[f][1], k->fams[f][2]);
		for (unsigned i = 0; i < vs->nr; i++) {
			const struct view *v = &vs->v[i];

			if ((v->by == GROUP_PID) != k->pid)
				continue;
			for (__u32 j = 0; j < v->nr && !b->skip; j++) {
				struct view_row tmp;
				const struct view_row *r = view__row(v, j, &tmp);

				k->labels(v, r, l, buf, sizeof(buf));
				if (f == F_JOULES)
					prom_counter(b, name, l, uj_to_j(r->total_uj), unix_s(r->created));
				else if (f == F_CPU)
					prom_counter(b, name, l, r->total_ns / 1e9, unix_s(r->created));
				else if (f == F_GPU_JOULES)
					prom_counter(b, name, l, uj_to_j(r->total_gpu_uj),
						     unix_s(r->created));
				else if (f == F_REST_JOULES)
					prom_counter(b, name, l, uj_to_j(r->total_rest_uj),
						     unix_s(r->created));
				else if (r->state == ROW_HELD)
					continue;
				else if (f == F_WATTS && !r->iv.uj_missing)
					prom_sample(b, name, l, watts(r->iv.uj, sm->interval_ns));
				else if (f == F_GPU_WATTS && !r->iv.gpu_missing)
					prom_sample(b, name, l, watts(r->iv.gpu_uj, sm->interval_ns));
				else if (f == F_MEMBERS)
					prom_sample(b, name, l, r->members);
			}
		}
	}
}

/* pid, comm, start: a reused PID is another start time, an exec another comm. */
static void process_labels(const struct view *v, const struct view_row *r, const char **l,
			   char *buf, size_t len)
{
	char *pid = buf, *start = buf + len / 2;

	if (r->pid >= PT_UNTRACED_TGID) {	/* proc__pseudo() */
		snprintf(pid, len / 2, "%s", r->pid == PT_UNRECORDED_TGID ? "unrecorded" : "untraced");
		start = NULL;	/* one row, no process: no start time */
	} else {
		snprintf(pid, len / 2, "%u", r->pid);
		snprintf(start, len / 2, "%llu", (unsigned long long)r->start_ns);
	}
	l[0] = "pid";
	l[1] = pid;
	l[2] = "comm";
	l[3] = r->key;
	l[4] = "start";
	l[5] = start;
	l[6] = NULL;
}

static void group_labels(const struct view *v, const struct view_row *r, const char **l,
			 char *buf, size_t len)
{
	l[0] = "group_by";
	l[1] = group_by_name(v->by);
	l[2] = "key";
	l[3] = r->key;
	l[4] = NULL;
}

/*
 * The names of container and pod groups, as an info family of their own:
 * names may become known after a group's first scrape (a log file appears)
 * and are not known for a held row, so as labels of the counters they would
 * start new series. Join them in PromQL:
 *   wattprobe_group_watts * on(group_by, key) group_left(container_name)
 *     wattprobe_group_info
 */
static void group_info(struct pbuf *b, const struct views *vs)
{
	bool any = false;

	for (unsigned i = 0; i < vs->nr; i++)
		any |= vs->v[i].by == GROUP_CONTAINER || vs->v[i].by == GROUP_POD;
	if (!any)
		return;
	prom_family(b, "wattprobe_group_info", "gauge",
		    "Names of a container or pod group (container_name, pod_name, pod_namespace), "
		    "where files on the node name them; always 1.");
	for (unsigned i = 0; i < vs->nr; i++) {
		const struct view *v = &vs->v[i];
		bool ctr = v->by == GROUP_CONTAINER;

		if (!ctr && v->by != GROUP_POD)
			continue;
		for (__u32 j = 0; j < v->nr && !b->skip; j++) {
			struct view_row tmp;
			const struct view_row *r = view__row(v, j, &tmp);
			const struct ctr_names *n = r->names;
			const char *l[] = { "group_by", group_by_name(v->by), "key", r->key,
					    "container_name", n && ctr ? n->name : NULL,
					    "pod_name", n ? n->pod : NULL,
					    "pod_namespace", n ? n->ns : NULL, NULL };

			if (n && (l[5] || l[7] || l[9]))
				prom_sample(b, "wattprobe_group_info", l, 1);
		}
	}
}

static const char *const process_fams[][3] = {
	{ "wattprobe_process_joules_total", "counter",
	  "Energy attributed to a process while it had a series of its own "
	  "(see docs/prometheus.md)." },
	{ "wattprobe_process_cpu_seconds_total", "counter",
	  "On-CPU time of a process while it had a series of its own "
	  "(see docs/prometheus.md)." },
	{ "wattprobe_process_watts", "gauge",
	  "Power attributed to a process over the last interval." },
	{ NULL },
	{ "wattprobe_process_gpu_joules_total", "counter",
	  "GPU energy attributed to a process while it had a series of its own." },
	{ "wattprobe_process_gpu_watts", "gauge",
	  "GPU power attributed to a process over the last interval." },
	{ "wattprobe_process_platform_rest_joules_total", "counter",
	  "Share of the platform's remainder (beyond packages, DRAM and GPUs) attributed to "
	  "a process while it had a series of its own." },
};

static const char *const group_fams[][3] = {
	{ "wattprobe_group_joules_total", "counter",
	  "Energy attributed to a group of processes (--group-by) while it had a series of "
	  "its own (see docs/prometheus.md)." },
	{ "wattprobe_group_cpu_seconds_total", "counter",
	  "On-CPU time of a group of processes while it had a series of its own "
	  "(see docs/prometheus.md)." },
	{ "wattprobe_group_watts", "gauge",
	  "Power attributed to a group of processes over the last interval." },
	{ "wattprobe_group_processes", "gauge",
	  "Processes of the group that ran in the last interval." },
	{ "wattprobe_group_gpu_joules_total", "counter",
	  "GPU energy attributed to a group of processes while it had a series of its own." },
	{ "wattprobe_group_gpu_watts", "gauge",
	  "GPU power attributed to a group of processes over the last interval." },
	{ "wattprobe_group_platform_rest_joules_total", "counter",
	  "Share of the platform's remainder attributed to a group of processes while it had "
	  "a series of its own." },
};

static const struct row_kind processes = { process_fams, 7, true, process_labels };
static const struct row_kind groups = { group_fams, 7, false, group_labels };

/* Others of each level (group_by): level + its others + idle = host; GPUs and the
 * platform's remainder likewise, where there are such sensors. */
static void others(struct pbuf *b, const struct sample *sm, const struct views *vs)
{
	static const char *const fams[][3] = {
		{ "wattprobe_others_joules_total", "counter",
		  "Energy of processes while they had no series of their own at that level "
		  "(group_by): process (or group) counters + others + idle = host." },
		{ "wattprobe_others_cpu_seconds_total", "counter",
		  "On-CPU time of processes while they had no series of their own at that level." },
		{ "wattprobe_others_watts", "gauge",
		  "Power of the processes without a watts series of their own at that level, "
		  "last interval." },
		{ "wattprobe_others_processes", "gauge",
		  "Processes that ran in the last interval without a watts series of their own at "
		  "that level." },
		{ "wattprobe_others_gpu_joules_total", "counter",
		  "GPU energy of processes while they had no series of their own at that level, "
		  "and GPU energy no process explains." },
		{ "wattprobe_others_gpu_watts", "gauge",
		  "GPU power of others at that level over the last interval." },
		{ "wattprobe_others_platform_rest_joules_total", "counter",
		  "Share of the platform's remainder of processes while they had no series of "
		  "their own at that level." },
	};

	for (int f = 0; f < 7; f++) {
		if ((f >= F_GPU_JOULES && f <= F_GPU_WATTS && !sm->gpu_sensor) ||
		    (f == F_REST_JOULES && !sm->platform_sensor))
			continue;
		prom_family(b, fams[f][0], fams[f][1], fams[f][2]);
		for (unsigned i = 0; i < vs->nr; i++) {
			const struct view_row *o = &vs->v[i].others;
			const char *l[] = { "group_by", group_by_name(vs->v[i].by), NULL };

			if (f == F_JOULES)
				prom_counter(b, fams[f][0], l, uj_to_j(o->total_uj), unix_s(o->created));
			else if (f == F_CPU)
				prom_counter(b, fams[f][0], l, o->total_ns / 1e9, unix_s(o->created));
			else if (f == F_GPU_JOULES)
				prom_counter(b, fams[f][0], l, uj_to_j(o->total_gpu_uj),
					     unix_s(o->created));
			else if (f == F_REST_JOULES)
				prom_counter(b, fams[f][0], l, uj_to_j(o->total_rest_uj),
					     unix_s(o->created));
			else if (f == F_WATTS && !o->iv.uj_missing)
				prom_sample(b, fams[f][0], l, watts(o->iv.uj, sm->interval_ns));
			else if (f == F_GPU_WATTS && !o->iv.gpu_missing)
				prom_sample(b, fams[f][0], l, watts(o->iv.gpu_uj, sm->interval_ns));
			else if (f == F_MEMBERS)
				prom_sample(b, fams[f][0], l, o->members);
		}
	}
}

void prom__sensor_info(struct pbuf *b, const char *name, const char *help, const char *sensor,
		       const char *source, bool estimated)
{
	const char *l[] = { "sensor", sensor ? sensor : "none", "source", source ? source : "none",
			    "estimated", estimated ? "true" : "false", NULL };

	prom_metric(b, name, "gauge", help, l, 1);
}

static void health(struct pbuf *b, const struct sample *sm)
{
	prom__sensor_info(b, "wattprobe_sensor_info",
			  "Where energy comes from: rapl (measured: from powercap, or from the host's "
			  "vm-export in a guest) or model (estimated).",
			  sm->sensor, sm->sensor_source, sm->estimated);
	counter(b, "wattprobe_dropped_total",
		"Records the agent could not keep (ring buffer or process table full).",
		sm->dropped, sm->started);
	prom_metric(b, "wattprobe_interval_dropped_records", "gauge",
		    "Records the agent could not keep in the last interval.",
		    NULL, sm->dropped_delta);
	counter(b, "wattprobe_unseen_switches_total",
		"Context switches the sched_switch tracepoint did not report.", sm->unseen,
		sm->started);
	prom_metric(b, "wattprobe_sample_duration_seconds", "gauge",
		    "Time the agent took to take the last sample.", NULL, sm->sample_seconds);
	prom_metric(b, "wattprobe_interval_seconds", "gauge", "Length of the last interval.",
		    NULL, sm->interval_ns / 1e9);
	prom_metric(b, "wattprobe_processes", "gauge",
		    "Processes the agent tracks (ran at least once and did not exit).",
		    NULL, sm->nr_tracked);
}

/* The agent itself, as node_exporter and the client libraries name it. */
static void self(struct pbuf *b, const struct sample *sm)
{
	const struct self_stats *st = &sm->self;
	const char *build[] = { "version", WATTPROBE_VERSION, "libbpf", libbpf_version_string(),
				"compiler", COMPILER, NULL };

	prom_metric(b, "wattprobe_build_info", "gauge",
		    "The version of wattprobe, of the libbpf it runs with and of the compiler "
		    "that built it; always 1.", build, 1);
	if (st->have) {
		prom_family(b, "process_cpu_seconds_total", "counter",
			    "Total user and system CPU time spent in seconds.");
		prom_counter(b, "process_cpu_seconds_total", NULL, st->cpu_seconds,
			     st->start_time_s);
		prom_metric(b, "process_resident_memory_bytes", "gauge",
			    "Resident memory size in bytes.", NULL, st->resident_bytes);
		prom_metric(b, "process_virtual_memory_bytes", "gauge",
			    "Virtual memory size in bytes.", NULL, st->virtual_bytes);
		prom_metric(b, "process_start_time_seconds", "gauge",
			    "Start time of the process since unix epoch in seconds.",
			    NULL, st->start_time_s);
	}
	if (st->have_fds) {
		prom_metric(b, "process_open_fds", "gauge", "Number of open file descriptors.",
			    NULL, st->open_fds);
		prom_metric(b, "process_max_fds", "gauge",
			    "Maximum number of open file descriptors.", NULL, st->max_fds);
	}
}

/* --carbon-intensity: the host's energy as grams of CO2e, and the intensity used. */
static void carbon(struct pbuf *b, const struct sample *sm, double g_per_kwh)
{
	prom_metric(b, "wattprobe_carbon_intensity_grams_per_kwh", "gauge",
		    "Carbon intensity given with --carbon-intensity (grams of CO2e per kWh).",
		    NULL, g_per_kwh);
	counter(b, "wattprobe_host_co2e_grams_total",
		"CO2e of the host's energy since the agent started, at that intensity.",
		sm->energy_total_uj / 3.6e12 * g_per_kwh, sm->started);
}

void prom__sample(struct pbuf *b, const struct sample *s, const struct views *vs,
		  const struct output_opts *o)
{
	pbuf_reset(b);
	host(b, s);
	sockets(b, s);
	gpus(b, s);
	platform(b, s);
	rows(b, s, vs, &processes);
	rows(b, s, vs, &groups);
	group_info(b, vs);
	others(b, s, vs);
	health(b, s);
	self(b, s);
	if (o->have_carbon)
		carbon(b, s, o->carbon_g_per_kwh);
	prom_end(b);
}

/* --- the output: `wattprobe prometheus`, a page served over HTTP ---------------------- */

/* The page in each format, formatted every sample: a scraper's Accept picks one. */
struct prom_pages {
	struct pbuf b[HTTP_NR_FORMATS];
};

static int prom_open(struct output *o, char *err, size_t errlen)
{
	struct prom_pages *p = calloc(1, sizeof(*p));

	if (!p) {
		snprintf(err, errlen, "failed to allocate the page: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	for (int f = 0; f < HTTP_NR_FORMATS; f++) {
		pbuf_init(&p->b[f]);
		p->b[f].format = f == HTTP_OPENMETRICS ? PROM_OPENMETRICS : PROM_TEXT;
		p->b[f].drop = o->env->opts->no_metric;
	}
	o->priv = p;
	return 0;
}

static int prom_emit(struct output *o, const struct sample *s, const struct views *vs)
{
	struct prom_pages *p = o->priv;
	const char *body[HTTP_NR_FORMATS];
	size_t len[HTTP_NR_FORMATS];

	for (int f = 0; f < HTTP_NR_FORMATS; f++) {
		prom__sample(&p->b[f], s, vs, o->env->opts);
		if (p->b[f].err)
			return -ENOMEM;
		body[f] = p->b[f].buf;
		len[f] = p->b[f].len;
	}
	return http__publish_formats(o->env->http, body, len);
}

static void prom_close(struct output *o, bool finished)
{
	struct prom_pages *p = o->priv;

	for (int f = 0; p && f < HTTP_NR_FORMATS; f++)
		pbuf_free(&p->b[f]);
	free(p);
	o->priv = NULL;
}

const struct output_ops prometheus_output = {
	.name = "prometheus",
	.summary = "serve /metrics over HTTP for Prometheus",
	.default_top = 50,
	.http = true,
	.steady = true,
	.self = true,
	/* Prometheus is answered 503 until the first page: take it soon, not a period on */
	.first_page_soon = true,
	.open = prom_open,
	.emit = prom_emit,
	.close = prom_close,
};

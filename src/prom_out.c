// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * `wattprobe prometheus`: the /metrics page. Base units, counters for energy
 * and CPU time (rate() of a *_joules_total is watts), gauges for the last
 * interval's watts. A gauge whose value could not be measured this interval
 * is left out rather than reported as 0.
 */
#include <stdio.h>
#include <string.h>
#include "output.h"

static const char *const domains[RAPL_NR_DOMAINS] = {
	[RAPL_PACKAGE] = "package", [RAPL_CORE] = "core", [RAPL_UNCORE] = "uncore",
	[RAPL_DRAM] = "dram", [RAPL_PSYS] = "psys",
};

static void host(struct pbuf *b, const struct sample *sm)
{
	prom_family(b, "wattprobe_host_joules_total", "counter",
		    "Energy drawn by the host (packages and DRAM) since the agent started.");
	prom_sample(b, "wattprobe_host_joules_total", NULL, uj_to_j(sm->energy_total_uj));
	prom_family(b, "wattprobe_host_watts", "gauge",
		    "Power drawn by the host over the last interval.");
	if (sm->have_energy)
		prom_sample(b, "wattprobe_host_watts", NULL, watts(sm->energy_uj, sm->interval_ns));
	prom_family(b, "wattprobe_host_cpu_seconds_total", "counter",
		    "On-CPU time of all processes since the agent started.");
	prom_sample(b, "wattprobe_host_cpu_seconds_total", NULL, sm->busy_total_ns / 1e9);
	prom_family(b, "wattprobe_host_cpu_ratio", "gauge",
		    "Share of the online CPUs' time processes ran over the last interval.");
	prom_sample(b, "wattprobe_host_cpu_ratio", NULL, sm->util);
	prom_family(b, "wattprobe_idle_joules_total", "counter",
		    "Energy reported as idle (baseline and unattributed) since the agent started.");
	prom_sample(b, "wattprobe_idle_joules_total", NULL, uj_to_j(sm->idle_total_uj));
	prom_family(b, "wattprobe_idle_watts", "gauge",
		    "Power reported as idle over the last interval.");
	if (sm->have_energy)
		prom_sample(b, "wattprobe_idle_watts", NULL, watts(sm->idle_uj, sm->interval_ns));
}

static void sockets(struct pbuf *b, const struct sample *sm)
{
	char id[16];

	prom_family(b, "wattprobe_socket_joules_total", "counter",
		    "Energy of a socket's RAPL domain since the agent started.");
	for (int i = 0; i < sm->nr_sockets; i++) {
		snprintf(id, sizeof(id), "%d", sm->sockets[i].id);
		for (int d = 0; d < RAPL_NR_DOMAINS; d++) {
			const char *l[] = { "socket", id, "domain", domains[d], NULL };

			if (d == RAPL_PSYS || (d != RAPL_PACKAGE && !sm->sockets[i].total_uj[d]))
				continue;
			prom_sample(b, "wattprobe_socket_joules_total", l,
				    uj_to_j(sm->sockets[i].total_uj[d]));
		}
	}
	prom_family(b, "wattprobe_socket_watts", "gauge",
		    "Power of a socket's RAPL domain over the last interval.");
	for (int i = 0; i < sm->nr_sockets; i++) {
		const struct sample_socket *ss = &sm->sockets[i];

		snprintf(id, sizeof(id), "%d", ss->id);
		for (int d = RAPL_PACKAGE; d <= RAPL_DRAM; d++) {
			const char *l[] = { "socket", id, "domain", domains[d], NULL };

			if (ss->have[d])
				prom_sample(b, "wattprobe_socket_watts", l,
					    watts(ss->uj[d], sm->interval_ns));
		}
	}
	prom_family(b, "wattprobe_socket_cpu_ratio", "gauge",
		    "Share of the socket's online CPUs' time processes ran over the last interval.");
	for (int i = 0; i < sm->nr_sockets; i++) {
		const char *l[] = { "socket", id, NULL };

		snprintf(id, sizeof(id), "%d", sm->sockets[i].id);
		prom_sample(b, "wattprobe_socket_cpu_ratio", l, sm->sockets[i].util);
	}
	prom_family(b, "wattprobe_socket_idle_baseline_watts", "gauge",
		    "Idle baseline of a socket; source: flag, learned, learning or model.");
	for (int i = 0; i < sm->nr_sockets; i++) {
		const char *l[] = { "socket", id, "source", idle_source_name(sm->sockets[i].idle_src),
				    NULL };

		snprintf(id, sizeof(id), "%d", sm->sockets[i].id);
		prom_sample(b, "wattprobe_socket_idle_baseline_watts", l, sm->sockets[i].idle_base_w);
	}
}

static void processes(struct pbuf *b, const struct sample *sm, const struct view *v)
{
	static const char *const fams[][3] = {
		{ "wattprobe_process_joules_total", "counter",
		  "Energy attributed to a process since the agent first saw it." },
		{ "wattprobe_process_cpu_seconds_total", "counter",
		  "On-CPU time of a process since the agent first saw it." },
		{ "wattprobe_process_watts", "gauge",
		  "Power attributed to a process over the last interval." },
	};
	char pid[16];

	for (int f = 0; f < 3; f++) {
		prom_family(b, fams[f][0], fams[f][1], fams[f][2]);
		for (__u32 i = 0; i < v->nr; i++) {
			const struct view_row *r = &v->rows[i];
			const char *l[] = { "pid", pid, "comm", r->key, NULL };

			if (proc__pseudo(r->p))
				snprintf(pid, sizeof(pid), "%s", r->p->tgid == PT_UNRECORDED_TGID ?
					 "unrecorded" : "untraced");
			else
				snprintf(pid, sizeof(pid), "%u", r->p->tgid);
			if (f == 0 && !r->p->total_uj_partial)
				prom_sample(b, fams[f][0], l, uj_to_j(r->total_uj));
			else if (f == 1)
				prom_sample(b, fams[f][0], l, r->total_ns / 1e9);
			else if (f == 2 && !r->uj_missing)
				prom_sample(b, fams[f][0], l, watts(r->uj, sm->interval_ns));
		}
	}
}

static void groups(struct pbuf *b, const struct sample *sm, const struct view *v, const char *by)
{
	static const char *const fams[][3] = {
		{ "wattprobe_group_joules_total", "counter",
		  "Energy attributed to a group of processes (--group-by) since the agent started." },
		{ "wattprobe_group_cpu_seconds_total", "counter",
		  "On-CPU time of a group of processes since the agent started." },
		{ "wattprobe_group_watts", "gauge",
		  "Power attributed to a group of processes over the last interval." },
		{ "wattprobe_group_processes", "gauge",
		  "Processes of the group that ran in the last interval." },
	};

	for (int f = 0; f < 4; f++) {
		prom_family(b, fams[f][0], fams[f][1], fams[f][2]);
		for (__u32 i = 0; i < v->nr; i++) {
			const struct view_row *r = &v->rows[i];
			const char *l[] = { "group_by", by, "key", r->key, NULL };

			if (f == 0)
				prom_sample(b, fams[f][0], l, uj_to_j(r->total_uj));
			else if (f == 1)
				prom_sample(b, fams[f][0], l, r->total_ns / 1e9);
			else if (f == 2 && !r->uj_missing)
				prom_sample(b, fams[f][0], l, watts(r->uj, sm->interval_ns));
			else if (f == 3)
				prom_sample(b, fams[f][0], l, r->members);
		}
	}
}

static void health(struct pbuf *b, const struct sample *sm, const struct view *v)
{
	const char *sensor[] = { "sensor", sm->sensor, "estimated",
				 sm->estimated ? "true" : "false", NULL };

	prom_family(b, "wattprobe_others_watts", "gauge",
		    "Power of the processes left out by --top or the filters, last interval.");
	if (!v->others.uj_missing)
		prom_sample(b, "wattprobe_others_watts", NULL, watts(v->others.uj, sm->interval_ns));
	prom_family(b, "wattprobe_sensor_info", "gauge",
		    "Where energy comes from: rapl (measured) or model (estimated).");
	prom_sample(b, "wattprobe_sensor_info", sensor, 1);
	prom_family(b, "wattprobe_dropped_total", "counter",
		    "Records the agent could not keep (ring buffer or process table full).");
	prom_sample(b, "wattprobe_dropped_total", NULL, sm->dropped);
	prom_family(b, "wattprobe_interval_dropped", "gauge",
		    "Records the agent could not keep in the last interval.");
	prom_sample(b, "wattprobe_interval_dropped", NULL, sm->dropped_delta);
	prom_family(b, "wattprobe_unseen_switches_total", "counter",
		    "Context switches the sched_switch tracepoint did not report.");
	prom_sample(b, "wattprobe_unseen_switches_total", NULL, sm->unseen);
	prom_family(b, "wattprobe_sample_duration_seconds", "gauge",
		    "Time the agent took to take the last sample.");
	prom_sample(b, "wattprobe_sample_duration_seconds", NULL, sm->sample_seconds);
	prom_family(b, "wattprobe_interval_seconds", "gauge", "Length of the last interval.");
	prom_sample(b, "wattprobe_interval_seconds", NULL, sm->interval_ns / 1e9);
	prom_family(b, "wattprobe_processes", "gauge",
		    "Processes the agent tracks (ran at least once and did not exit).");
	prom_sample(b, "wattprobe_processes", NULL, sm->nr_tracked);
}

void prom__sample(struct pbuf *b, const struct sample *s, const struct view *v,
		  const struct output_opts *o)
{
	pbuf_reset(b);
	host(b, s);
	sockets(b, s);
	if (o->by == GROUP_PID)
		processes(b, s, v);
	else
		groups(b, s, v, group_by_name(o->by));
	health(b, s, v);
}

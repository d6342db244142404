// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * `wattprobe json`: one JSON object per interval (JSON Lines), or with --flat
 * one line for the host and one per process or group, each bounded for log
 * shippers. Field names are stable and documented in docs/json.md.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "lib/outfile.h"
#include "output/output.h"

/*
 * What a line may hold, to keep --flat lines within JSON_FLAT_MAX: entries of
 * the arrays, bytes of the escaped strings. cut collects the OMIT_* bits of
 * what was shortened.
 */
struct limits {
	size_t cmdline, cgroup;		/* escaped bytes */
	size_t cpus, sockets;		/* entries */
	size_t names, key;		/* escaped bytes: of each container or pod name, of
					 * a group's key (a last resort, to fit any line) */
	unsigned cut;
};

/* What a line may be cut of: the OMIT_* bits, then these. */
enum { CUT_NAMES = 1 << 4, CUT_KEY = 1 << 5 };

static const struct limits unlimited = { SIZE_MAX, SIZE_MAX, SIZE_MAX, SIZE_MAX, SIZE_MAX,
					 SIZE_MAX, 0 };

/* By bit: the --omit fields first, then the other parts "cut" may name. */
static const char *const cut_names[] = { "cmdline", "cgroup", "cpus", "sockets", "names", "key" };
#define NR_OMIT 4	/* the --omit fields: cut_names[0..NR_OMIT) */

int json_omit_parse(const char *list, unsigned *omit)
{
	const char *p = list;

	*omit = 0;
	while (*p) {
		size_t n = strcspn(p, ","), i;

		for (i = 0; i < NR_OMIT; i++)
			if (n == strlen(cut_names[i]) && !strncmp(p, cut_names[i], n))
				break;
		if (i == NR_OMIT)
			return -EINVAL;
		*omit |= 1u << i;
		p += n + (p[n] == ',');
	}
	return *omit ? 0 : -EINVAL;
}

/* Watts or null: data that could not be measured is missing, not 0. */
static void power(struct jw *w, const char *key, bool have, __u64 uj, __u64 interval_ns)
{
	jw_key(w, key);
	if (have)
		jw_double(w, watts(uj, interval_ns), 3);
	else
		jw_null(w);
}

static void joules(struct jw *w, const char *key, bool have, __u64 uj)
{
	jw_key(w, key);
	if (have)
		jw_double(w, uj_to_j(uj), 6);
	else
		jw_null(w);
}

static void timestamp(struct jw *w, const struct timespec *ts)
{
	char buf[64];
	struct tm tm;

	gmtime_r(&ts->tv_sec, &tm);
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts->tv_nsec / 1000000);
	jw_key(w, "timestamp");
	jw_str(w, buf);
}

/* What every record starts with. */
static void head(struct jw *w, const struct sample *s)
{
	timestamp(w, &s->wall);
	jw_key(w, "interval_s");
	jw_double(w, s->interval_ns / 1e9, 6);
	jw_key(w, "sensor");
	jw_str(w, s->sensor);
	jw_key(w, "sensor_source");
	if (s->sensor_source)
		jw_str(w, s->sensor_source);
	else
		jw_null(w);
	jw_key(w, "estimated");
	jw_bool(w, s->estimated);
}

/* A string of at most max escaped bytes; a shortened one is marked in *cut. */
static void str_cut(struct jw *w, const char *key, const char *v, size_t max, unsigned bit,
		    unsigned *cut)
{
	size_t n, fit;

	jw_key(w, key);
	if (!v) {
		jw_null(w);
		return;
	}
	n = strlen(v);
	fit = max == SIZE_MAX ? n : json_escape_fit(v, n, max);
	if (fit < n)
		*cut |= bit;
	jw_strn(w, v, fit);
}

/* [v0, v1, ...] in watts, or null when not known. */
static void watts_array(struct jw *w, bool have, const double *v, int n)
{
	if (!have) {
		jw_null(w);
		return;
	}
	jw_arr_begin(w);
	for (int i = 0; i < n; i++)
		jw_double(w, v[i], 3);
	jw_arr_end(w);
}

/* A domain's idle baseline and how sure it is; null for a domain without one. */
static void baseline(struct jw *w, const char *key, const struct sample_baseline *b)
{
	bool learnt = b->src == IDLE_PRIOR || b->src == IDLE_BLEND || b->src == IDLE_FIT;

	jw_key(w, key);
	if (!b->have) {
		jw_null(w);
		return;
	}
	jw_obj_begin(w);
	jw_key(w, "idle_w");
	jw_double(w, b->idle_w, 3);
	jw_key(w, "source");
	jw_str(w, idle_source_name(b->src));
	jw_key(w, "prior_w");
	jw_double(w, b->prior_w, 3);
	jw_key(w, "prior_from");
	if (b->prior_from)
		jw_str(w, b->prior_from);
	else
		jw_null(w);
	jw_key(w, "prior_share");
	if (learnt)
		jw_double(w, b->prior_share, 4);
	else
		jw_null(w);
	jw_key(w, "intervals");
	jw_i64(w, b->intervals);
	jw_key(w, "outliers");
	jw_i64(w, b->outliers);
	jw_key(w, "cpu_spread");
	if (learnt && b->intervals)
		jw_double(w, b->util_spread, 4);
	else
		jw_null(w);
	jw_key(w, "residual_w");
	if (learnt && b->intervals)
		jw_double(w, b->residual_w, 3);
	else
		jw_null(w);
	/* the learnt curve: where idle lies, and the power at 0, 25, 50, 75, 100% */
	jw_key(w, "idle_range_w");
	watts_array(w, learnt && b->have_curve, (const double[]){ b->idle_lo_w, b->idle_hi_w }, 2);
	jw_key(w, "curve_w");
	watts_array(w, learnt && b->have_curve, b->curve_w, SAMPLE_CURVE_POINTS);
	jw_obj_end(w);
}

static void sockets(struct jw *w, const struct sample *s, struct limits *lim)
{
	jw_key(w, "sockets");
	jw_arr_begin(w);
	for (int i = 0; i < s->nr_sockets; i++) {
		const struct sample_socket *ss = &s->sockets[i];

		if ((size_t)i >= lim->sockets) {
			lim->cut |= OMIT_SOCKETS;
			break;
		}
		jw_obj_begin(w);
		jw_key(w, "id");
		jw_i64(w, ss->id);
		power(w, "power_w", ss->have[ENERGY_PACKAGE],
		      ss->uj[ENERGY_PACKAGE] + (ss->have[ENERGY_DRAM] ? ss->uj[ENERGY_DRAM] : 0),
		      s->interval_ns);
		power(w, "package_power_w", ss->have[ENERGY_PACKAGE], ss->uj[ENERGY_PACKAGE],
		      s->interval_ns);
		power(w, "dram_power_w", ss->have[ENERGY_DRAM], ss->uj[ENERGY_DRAM], s->interval_ns);
		power(w, "core_power_w", ss->have[ENERGY_CORE], ss->uj[ENERGY_CORE], s->interval_ns);
		power(w, "uncore_power_w", ss->have[ENERGY_UNCORE], ss->uj[ENERGY_UNCORE],
		      s->interval_ns);
		power(w, "idle_power_w", ss->have[ENERGY_PACKAGE], ss->idle_uj, s->interval_ns);
		jw_key(w, "idle_baseline_w");
		jw_double(w, ss->idle_base_w, 3);
		jw_key(w, "idle_source");
		jw_str(w, idle_source_name(ss->idle_src));
		jw_key(w, "baseline");
		jw_obj_begin(w);
		baseline(w, "package", &ss->baseline[ENERGY_PACKAGE]);
		baseline(w, "dram", &ss->baseline[ENERGY_DRAM]);
		jw_obj_end(w);
		jw_key(w, "cpu_util");
		jw_double(w, ss->util, 4);
		jw_key(w, "online_cpus");
		jw_i64(w, ss->online_cpus);
		jw_key(w, "missing");
		if (ss->gap)
			jw_str(w, ss->gap);
		else
			jw_null(w);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

/*
 * A row's GPU energy (with a GPU sensor), and with a platform meter its share
 * of the platform's remainder and of the whole platform (its CPU, GPU and
 * remainder energy): rows + others + idle = the host's, GPU and platform too.
 */
static void usage_beyond(struct jw *w, const struct sample *s, const struct figures *f)
{
	bool platform = !f->uj_missing && !f->gpu_missing && !f->rest_missing;

	if (s->gpu_sensor) {
		power(w, "gpu_power_w", !f->gpu_missing, f->gpu_uj, s->interval_ns);
		joules(w, "gpu_energy_j", !f->gpu_missing, f->gpu_uj);
	}
	if (s->platform_sensor) {
		power(w, "platform_rest_power_w", !f->rest_missing, f->rest_uj, s->interval_ns);
		joules(w, "platform_rest_energy_j", !f->rest_missing, f->rest_uj);
		power(w, "platform_power_w", platform, f->uj + f->gpu_uj + f->rest_uj,
		      s->interval_ns);
		joules(w, "platform_energy_j", platform, f->uj + f->gpu_uj + f->rest_uj);
	}
}

/* Fields shared by processes, groups and others. */
static void usage(struct jw *w, const struct sample *s, const struct view_row *r)
{
	jw_key(w, "cpu_ns");
	jw_u64(w, r->iv.ns);
	jw_key(w, "cpu_util");
	jw_double(w, s->interval_ns ? (double)r->iv.ns / s->interval_ns : 0, 4);
	power(w, "power_w", !r->iv.uj_missing, r->iv.uj, s->interval_ns);
	joules(w, "energy_j", !r->iv.uj_missing, r->iv.uj);
	usage_beyond(w, s, &r->iv);
}

static void row_sockets(struct jw *w, const struct sample *s, const struct view_row *r,
			const struct output_opts *o, struct limits *lim)
{
	size_t n = 0;

	if (o->omit & OMIT_SOCKETS)
		return;
	jw_key(w, "sockets");
	jw_arr_begin(w);
	for (int i = 0; i < s->nr_sockets; i++) {
		if (!figures__sock_ns(&r->iv, i))
			continue;
		if (n++ >= lim->sockets) {
			lim->cut |= OMIT_SOCKETS;
			break;
		}
		jw_obj_begin(w);
		jw_key(w, "id");
		jw_i64(w, s->sockets[i].id);
		jw_key(w, "cpu_ns");
		jw_u64(w, r->iv.sock_ns[i]);
		power(w, "power_w", s->sockets[i].have[ENERGY_PACKAGE], r->iv.sock_uj[i],
		      s->interval_ns);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

/* Per-CPU time of a process, from the interval's merged charges. */
static void row_cpus(struct jw *w, const struct sample *s, const struct proc *p,
		     const struct output_opts *o, struct limits *lim)
{
	if (o->omit & OMIT_CPUS)
		return;
	jw_key(w, "cpus");
	jw_arr_begin(w);
	for (__u32 i = p->cpu_first; i < p->cpu_first + p->nr_cpu && i < s->nr_charges; i++) {
		const struct cpu_charge *c = &s->charges[i];

		if (i - p->cpu_first >= lim->cpus) {
			lim->cut |= OMIT_CPUS;
			break;
		}
		jw_obj_begin(w);
		jw_key(w, "cpu");
		jw_u64(w, c->cpu);
		jw_key(w, "cpu_ns");
		jw_u64(w, c->ns);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

/* A name, null when unknown, cut to lim->names (--flat's last resort). */
static void name_or_null(struct jw *w, const char *key, const char *v, struct limits *lim)
{
	str_cut(w, key, v, lim->names, CUT_NAMES, &lim->cut);
}

/* "container": {"id", "name", "pod", "namespace"}, null members unknown; null: none. */
static void container(struct jw *w, const struct ctr_names *n, struct limits *lim)
{
	jw_key(w, "container");
	if (!n || !n->id) {
		jw_null(w);
		return;
	}
	jw_obj_begin(w);
	name_or_null(w, "id", n->id, lim);
	name_or_null(w, "name", n->name, lim);
	name_or_null(w, "pod", n->pod, lim);
	name_or_null(w, "namespace", n->ns, lim);
	jw_obj_end(w);
}

/* "pod": {"uid", "name", "namespace"}; null: in no pod. */
static void pod(struct jw *w, const struct ctr_names *n, struct limits *lim)
{
	jw_key(w, "pod");
	if (!n || !n->pod_uid) {
		jw_null(w);
		return;
	}
	jw_obj_begin(w);
	name_or_null(w, "uid", n->pod_uid, lim);
	name_or_null(w, "name", n->pod, lim);
	name_or_null(w, "namespace", n->ns, lim);
	jw_obj_end(w);
}

/* The fields of a process, inside its object. */
static void process(struct jw *w, const struct sample *s, const struct view_row *r,
		    const struct output_opts *o, struct limits *lim)
{
	const struct proc *p = r->p;
	bool real = !proc__pseudo(p);

	jw_key(w, "pid");
	if (real)
		jw_u64(w, p->tgid);
	else
		jw_null(w);
	jw_key(w, "comm");
	jw_strn(w, p->comm, strnlen(p->comm, sizeof(p->comm)));
	if (!(o->omit & OMIT_CMDLINE))
		str_cut(w, "cmdline", p->cmdline, lim->cmdline, OMIT_CMDLINE, &lim->cut);
	if (!(o->omit & OMIT_CGROUP))
		str_cut(w, "cgroup", p->cgroup, lim->cgroup, OMIT_CGROUP, &lim->cut);
	container(w, p->names, lim);
	usage(w, s, r);
	jw_key(w, "exited");
	jw_bool(w, p->exited);
	row_sockets(w, s, r, o, lim);
	row_cpus(w, s, p, o, lim);
}

/*
 * "vm": how the guest was found, its vCPUs (null: not on its command line, counted as 1),
 * and what --vm-export hands it: the group's power plus its share of idle (package and
 * DRAM; psys apart); null: (host).
 */
static void vm(struct jw *w, const struct sample *s, const struct view_row *r)
{
	const struct sample_guest *g = NULL;

	jw_key(w, "vm");
	for (__u32 i = 0; r->vm && i < s->nr_guests && !g; i++)
		if (&s->guests[i]->id == r->vm)
			g = s->guests[i];
	if (!g) {
		jw_null(w);
		return;
	}
	jw_obj_begin(w);
	jw_key(w, "source");
	jw_str(w, vm_source_name(g->id.source));
	jw_key(w, "vcpus");
	if (g->id.vcpus)
		jw_u64(w, g->id.vcpus);
	else
		jw_null(w);
	power(w, "idle_power_w", g->have, g->idle_uj[ENERGY_PACKAGE] + g->idle_uj[ENERGY_DRAM],
	      s->interval_ns);
	power(w, "export_power_w", g->have,
	      sample_guest__uj(g, ENERGY_PACKAGE) + sample_guest__uj(g, ENERGY_DRAM), s->interval_ns);
	joules(w, "export_energy_j", g->have,
	       sample_guest__uj(g, ENERGY_PACKAGE) + sample_guest__uj(g, ENERGY_DRAM));
	power(w, "export_psys_power_w", g->have && s->have_psys, sample_guest__uj(g, ENERGY_PSYS),
	      s->interval_ns);
	jw_obj_end(w);
}

/* The fields of a group of a view grouped by by, inside its object. */
static void group(struct jw *w, const struct sample *s, enum group_by by,
		  const struct view_row *r, const struct output_opts *o, struct limits *lim)
{
	str_cut(w, "key", r->key, lim->key, CUT_KEY, &lim->cut);
	if (by == GROUP_CONTAINER)
		container(w, r->names, lim);
	else if (by == GROUP_POD)
		pod(w, r->names, lim);
	else if (by == GROUP_VM)
		vm(w, s, r);
	jw_key(w, "members");
	jw_u64(w, r->members);
	usage(w, s, r);
	row_sockets(w, s, r, o, lim);
}

/* A string or null; for the GPUs' and meters' names, which are bounded (nvml.h, hwmon.h). */
static void str_or_null(struct jw *w, const char *key, const char *v)
{
	jw_key(w, key);
	if (v)
		jw_str(w, v);
	else
		jw_null(w);
}

/* The GPUs' and the platform meter's host fields, when there are such sensors. */
static void host_beyond(struct jw *w, const struct sample *sm)
{
	if (sm->gpu_sensor) {
		power(w, "gpu_power_w", sm->have_gpu, sm->gpu_uj, sm->interval_ns);
		joules(w, "gpu_energy_j", sm->have_gpu, sm->gpu_uj);
	}
	if (!sm->platform_sensor)
		return;
	power(w, "platform_power_w", sm->have_platform, sm->platform_uj, sm->interval_ns);
	joules(w, "platform_energy_j", sm->have_platform, sm->platform_uj);
	str_or_null(w, "platform_meter", sm->platform_from);
	str_or_null(w, "platform_missing", sm->platform_gap);
	/* the remainder: platform - packages - DRAM - GPUs */
	power(w, "platform_rest_power_w", sm->have_rest, sm->rest_uj, sm->interval_ns);
	joules(w, "platform_rest_energy_j", sm->have_rest, sm->rest_uj);
	/* parts measured above the platform: the remainder counted 0 (docs/gpu-and-hwmon.md) */
	joules(w, "platform_parts_above_j", sm->have_rest, sm->rest_short_uj);
	baseline(w, "platform_rest_baseline", &sm->rest_baseline);
}

static void host(struct jw *w, const struct sample *sm)
{
	jw_key(w, "host");
	jw_obj_begin(w);
	power(w, "power_w", sm->have_energy, sm->energy_uj, sm->interval_ns);
	joules(w, "energy_j", sm->have_energy, sm->energy_uj);
	power(w, "psys_power_w", sm->have_psys, sm->psys_uj, sm->interval_ns);
	baseline(w, "psys_baseline", &sm->psys_baseline);
	jw_key(w, "cpu_util");
	jw_double(w, sm->util, 4);
	host_beyond(w, sm);
	jw_obj_end(w);
}

/* One GPU's fields: its energy, how it was split, and its baseline. */
static void gpu(struct jw *w, const struct sample *sm, const struct sample_gpu *g)
{
	jw_key(w, "index");
	jw_i64(w, g->index);
	str_or_null(w, "uuid", g->uuid[0] ? g->uuid : NULL);
	str_or_null(w, "name", g->name[0] ? g->name : NULL);
	power(w, "power_w", g->have, g->uj, sm->interval_ns);
	joules(w, "energy_j", g->have, g->uj);
	power(w, "idle_power_w", g->have, g->idle_uj, sm->interval_ns);
	joules(w, "idle_energy_j", g->have, g->idle_uj);
	power(w, "others_power_w", g->have, g->others_uj, sm->interval_ns);
	joules(w, "others_energy_j", g->have, g->others_uj);
	power(w, "processes_power_w", g->have, g->procs_uj, sm->interval_ns);
	joules(w, "processes_energy_j", g->have, g->procs_uj);
	jw_key(w, "idle_baseline_w");
	if (g->baseline.have)
		jw_double(w, g->baseline.idle_w, 3);
	else
		jw_null(w);
	baseline(w, "baseline", &g->baseline);
	jw_key(w, "util");
	if (g->util >= 0)
		jw_double(w, g->util, 4);
	else
		jw_null(w);
	jw_key(w, "limit_w");
	if (g->limit_w > 0)
		jw_double(w, g->limit_w, 3);
	else
		jw_null(w);
	str_or_null(w, "mode", g->mode);
	jw_key(w, "per_process");
	jw_bool(w, g->per_process);
	str_or_null(w, "no_per_process", g->per_process ? NULL : g->no_per_process);
	str_or_null(w, "source", g->source);
	str_or_null(w, "missing", g->have ? NULL : g->gap);
}

/* "gpus": every GPU's, with a GPU sensor. */
static void gpus(struct jw *w, const struct sample *sm)
{
	if (!sm->gpu_sensor)
		return;
	jw_key(w, "gpus");
	jw_arr_begin(w);
	for (int i = 0; i < sm->nr_gpus; i++) {
		jw_obj_begin(w);
		gpu(w, sm, &sm->gpus[i]);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

static void idle(struct jw *w, const struct sample *sm)
{
	jw_key(w, "idle");
	jw_obj_begin(w);
	power(w, "power_w", sm->have_energy, sm->idle_uj, sm->interval_ns);
	joules(w, "energy_j", sm->have_energy, sm->idle_uj);
	jw_key(w, "cpu_ns");
	jw_u64(w, sm->idle_ns);
	if (sm->gpu_sensor) {
		power(w, "gpu_power_w", sm->have_gpu, sm->gpu_idle_uj, sm->interval_ns);
		joules(w, "gpu_energy_j", sm->have_gpu, sm->gpu_idle_uj);
	}
	if (sm->platform_sensor) {
		__u64 all = sm->idle_uj + sm->gpu_idle_uj + sm->rest_idle_uj;

		power(w, "platform_rest_power_w", sm->have_rest, sm->rest_idle_uj, sm->interval_ns);
		joules(w, "platform_rest_energy_j", sm->have_rest, sm->rest_idle_uj);
		power(w, "platform_power_w", sm->have_rest, all, sm->interval_ns);
		joules(w, "platform_energy_j", sm->have_rest, all);
	}
	jw_obj_end(w);
}

static void others(struct jw *w, const struct sample *sm, const struct view *v)
{
	jw_key(w, "others");
	jw_obj_begin(w);
	jw_key(w, "members");
	jw_u64(w, v->others.members);
	usage(w, sm, &v->others);
	jw_obj_end(w);
}

/* --carbon-intensity: grams of CO2e of the host's and idle energy this interval. */
static void co2e(struct jw *w, const struct sample *sm, double g_per_kwh)
{
	jw_key(w, "co2e");
	jw_obj_begin(w);
	jw_key(w, "intensity_g_per_kwh");
	jw_double(w, g_per_kwh, 3);
	jw_key(w, "host_g");
	if (sm->have_energy)
		jw_double(w, sm->energy_uj / 3.6e12 * g_per_kwh, 9);
	else
		jw_null(w);
	jw_key(w, "idle_g");
	if (sm->have_energy)
		jw_double(w, sm->idle_uj / 3.6e12 * g_per_kwh, 9);
	else
		jw_null(w);
	jw_obj_end(w);
}

static void tail(struct jw *w, const struct sample *sm)
{
	jw_key(w, "dropped");
	jw_u64(w, sm->dropped);
	jw_key(w, "dropped_interval");
	jw_u64(w, sm->dropped_delta);
	jw_key(w, "sample_duration_s");
	jw_double(w, sm->sample_seconds, 6);
}

/* "group_by", the rows ("processes" or "groups") and "others" of one view. */
static void level(struct jw *w, const struct sample *sm, const struct view *v,
		  const struct output_opts *o, struct limits *lim)
{
	jw_key(w, "group_by");
	jw_str(w, group_by_name(v->by));
	jw_key(w, v->by == GROUP_PID ? "processes" : "groups");
	jw_arr_begin(w);
	for (__u32 i = 0; i < v->nr; i++) {
		struct view_row tmp;
		const struct view_row *r = view__row(v, i, &tmp);

		jw_obj_begin(w);
		if (v->by == GROUP_PID)
			process(w, sm, r, o, lim);
		else
			group(w, sm, v->by, r, o, lim);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	others(w, sm, v);
}

void json__sample(struct jw *w, const struct sample *sm, const struct views *vs,
		  const struct output_opts *o)
{
	struct limits lim = unlimited;

	jw_reset(w);
	jw_obj_begin(w);
	head(w, sm);
	host(w, sm);
	sockets(w, sm, &lim);
	gpus(w, sm);
	idle(w, sm);
	if (vs->nr == 1) {
		level(w, sm, &vs->v[0], o, &lim);
	} else {
		/* several levels: each one's part of a one-level record, in an array */
		jw_key(w, "levels");
		jw_arr_begin(w);
		for (unsigned i = 0; i < vs->nr; i++) {
			jw_obj_begin(w);
			level(w, sm, &vs->v[i], o, &lim);
			jw_obj_end(w);
		}
		jw_arr_end(w);
	}
	tail(w, sm);
	if (o->have_carbon)
		co2e(w, sm, o->carbon_g_per_kwh);
	jw_obj_end(w);
}

/* --- json --flat ----------------------------------------------------------------------- */

__u32 json__flat_lines(const struct sample *sm, const struct views *vs)
{
	__u32 n = 1 + (__u32)sm->nr_gpus + (vs->nr > 1 ? vs->nr : 0);

	for (unsigned i = 0; i < vs->nr; i++)
		n += vs->v[i].nr;
	return n;
}

/*
 * What --flat line `line` (from 1, after the GPUs' lines) holds: with one level, row
 * line - 1 of it; with several, each level's line (*row = NONE) and then its rows,
 * level after level.
 */
#define FLAT_LEVEL_LINE ((__u32)-1)

static const struct view *flat_row(const struct views *vs, __u32 line, __u32 *row)
{
	unsigned i = 0;

	*row = line - 1;
	if (vs->nr == 1)
		return &vs->v[0];
	for (; i + 1 < vs->nr && *row >= vs->v[i].nr + 1; i++)
		*row -= vs->v[i].nr + 1;
	*row = *row ? *row - 1 : FLAT_LEVEL_LINE;
	return &vs->v[i];
}

/* One line of --flat within lim: the host's (line 0) or a row's. */
static void flat_line(struct jw *w, const struct sample *sm, const struct views *vs,
		      const struct output_opts *o, __u32 line, struct limits *lim)
{
	const struct view *v;
	struct view_row tmp;
	__u32 row;

	lim->cut = 0;
	jw_reset(w);
	jw_obj_begin(w);
	head(w, sm);
	jw_key(w, "record");
	if (!line && vs->nr == 1) {
		v = &vs->v[0];
		jw_str(w, "host");
		jw_key(w, "group_by");
		jw_str(w, group_by_name(v->by));
		host(w, sm);
		sockets(w, sm, lim);
		idle(w, sm);
		others(w, sm, v);
		jw_key(w, "rows");
		jw_u64(w, v->nr);
		tail(w, sm);
		if (o->have_carbon)
			co2e(w, sm, o->carbon_g_per_kwh);
	} else if (!line) {
		/* several levels: their names here, a line of each one's others below */
		jw_str(w, "host");
		host(w, sm);
		sockets(w, sm, lim);
		idle(w, sm);
		jw_key(w, "levels");
		jw_arr_begin(w);
		for (unsigned i = 0; i < vs->nr; i++)
			jw_str(w, group_by_name(vs->v[i].by));
		jw_arr_end(w);
		jw_key(w, "rows");
		jw_u64(w, json__flat_lines(sm, vs) - 1 - (__u32)sm->nr_gpus);
		tail(w, sm);
		if (o->have_carbon)
			co2e(w, sm, o->carbon_g_per_kwh);
	} else if (line <= (__u32)sm->nr_gpus) {
		jw_str(w, "gpu");
		gpu(w, sm, &sm->gpus[line - 1]);
	} else if ((v = flat_row(vs, line - (__u32)sm->nr_gpus, &row)) && row == FLAT_LEVEL_LINE) {
		jw_str(w, "level");
		jw_key(w, "group_by");
		jw_str(w, group_by_name(v->by));
		others(w, sm, v);
		jw_key(w, "rows");
		jw_u64(w, v->nr);
	} else if (v->by == GROUP_PID) {
		jw_str(w, "process");
		process(w, sm, view__row(v, row, &tmp), o, lim);
	} else {
		jw_str(w, "group");
		jw_key(w, "group_by");
		jw_str(w, group_by_name(v->by));
		group(w, sm, v->by, view__row(v, row, &tmp), o, lim);
	}
	if (lim->cut) {
		jw_key(w, "cut");
		jw_arr_begin(w);
		for (unsigned i = 0; i < sizeof(cut_names) / sizeof(cut_names[0]); i++)
			if (lim->cut & (1u << i))
				jw_str(w, cut_names[i]);
		jw_arr_end(w);
	}
	jw_obj_end(w);
}

/* The line and its newline within --max-line-bytes. */
static bool fits(const struct jw *w, const struct output_opts *o)
{
	return w->err || w->len + 1 <= (o->max_line_bytes ? o->max_line_bytes : JSON_FLAT_MAX);
}

/* The largest *field in [0, hi] with which the line fits, and the line built with it. */
static bool shrink(struct jw *w, const struct sample *sm, const struct views *v,
		   const struct output_opts *o, __u32 line, struct limits *lim, size_t *field,
		   size_t hi)
{
	size_t lo = 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo + 1) / 2;

		*field = mid;
		flat_line(w, sm, v, o, line, lim);
		if (fits(w, o))
			lo = mid;
		else
			hi = mid - 1;
	}
	*field = lo;
	flat_line(w, sm, v, o, line, lim);
	return fits(w, o);
}

void json__flat(struct jw *w, const struct sample *sm, const struct views *v,
		const struct output_opts *o, __u32 line)
{
	size_t max = o->max_line_bytes ? o->max_line_bytes : JSON_FLAT_MAX;
	const struct view *rv = NULL;
	const struct proc *p = NULL;
	struct limits lim = unlimited;
	struct view_row tmp;
	__u32 row;

	if (line > (__u32)sm->nr_gpus &&
	    (rv = flat_row(v, line - (__u32)sm->nr_gpus, &row))->by == GROUP_PID &&
	    row != FLAT_LEVEL_LINE)
		p = view__row(rv, row, &tmp)->p;

	flat_line(w, sm, v, o, line, &lim);
	if (fits(w, o))
		return;
	/* too long: long strings to a quarter of the line (1 KiB of 4), then as few
	 * entries and bytes as it takes */
	lim.cmdline = lim.cgroup = max / 4;
	flat_line(w, sm, v, o, line, &lim);
	if (fits(w, o))
		return;
	if (p && shrink(w, sm, v, o, line, &lim, &lim.cpus, p->nr_cpu))
		return;
	if (shrink(w, sm, v, o, line, &lim, &lim.sockets, WP_MAX_SOCKETS))
		return;
	if (shrink(w, sm, v, o, line, &lim, &lim.cmdline, max / 4))
		return;
	if (shrink(w, sm, v, o, line, &lim, &lim.cgroup, max / 4))
		return;
	/* names and keys of hostile lengths in a short line: the last resort */
	lim.names = lim.key = max / 4;
	flat_line(w, sm, v, o, line, &lim);
	if (fits(w, o) || shrink(w, sm, v, o, line, &lim, &lim.names, max / 4))
		return;
	shrink(w, sm, v, o, line, &lim, &lim.key, max / 4);
}

/* --- the output: `wattprobe json`, lines to stdout or --output ------------------------ */

static int json_open(struct output *o, char *err, size_t errlen)
{
	struct jw *w = calloc(1, sizeof(*w));

	if (!w) {
		snprintf(err, errlen, "failed to allocate the JSON writer: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	jw_init(w);
	o->priv = w;
	o->cmdlines = !(o->env->opts->omit & OMIT_CMDLINE);
	return 0;
}

/* What the line buffer keeps between intervals; more goes back after a flood. */
#define JSON_KEEP_BYTES (256 << 10)
/* A line longer than this is written in pieces of it as it is made (a flood of
 * processes: 250 bytes each), not held whole; shorter ones in one write. */
#define JSON_PIECE_BYTES (64 << 10)

static int json_sink(void *ctx, const char *s, size_t n)
{
	return outfile__write(ctx, s, n);
}

/* The lines of a sample, written at once; a reader gone away (EPIPE) ends us quietly. */
static int json_emit(struct output *o, const struct sample *s, const struct views *v)
{
	const struct output_opts *opts = o->env->opts;
	__u32 n = opts->flat ? json__flat_lines(s, v) : 1;
	struct jw *w = o->priv;
	int err = 0;

	/* the last line is written from the writer's buffer, not copied into the file's;
	 * one of a flood of processes, megabytes, in pieces as it is made (--flat lines
	 * are cut to --max-line-bytes, whole) */
	jw_sink(w, opts->flat ? NULL : json_sink, o->env->out, JSON_PIECE_BYTES);
	for (__u32 i = 0; i < n && !err; i++) {
		if (opts->flat)
			json__flat(w, s, v, opts, i);
		else
			json__sample(w, s, v, opts);
		if (w->err)
			err = w->err;
		else if (i + 1 < n)
			err = outfile__line(o->env->out, w->buf, w->len);
		else
			err = outfile__write_line(o->env->out, w->buf, w->len);
	}
	jw_trim(w, JSON_KEEP_BYTES);
	if (err == -EPIPE || err == -EINTR)	/* the reader went away; SIGTERM */
		return 1;
	if (err)
		fprintf(stderr, "wattprobe: failed to write to %s: %s\n", o->env->out_name,
			strerror(-err));
	return err;
}

static void json_close(struct output *o, bool finished)
{
	struct jw *w = o->priv;

	if (w)
		jw_free(w);
	free(w);
	o->priv = NULL;
}

const struct output_ops json_output = {
	.name = "json",
	.summary = "one JSON object per interval on stdout (JSON Lines)",
	.open = json_open,
	.emit = json_emit,
	.close = json_close,
};

// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* `wattprobe json`: one JSON object per interval (JSON Lines). Field names
 * are stable and documented in README.md ("JSON Lines"). */
#include <string.h>
#include <time.h>
#include "output.h"

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
	jw_obj_end(w);
}

static void sockets(struct jw *w, const struct sample *s)
{
	jw_key(w, "sockets");
	jw_arr_begin(w);
	for (int i = 0; i < s->nr_sockets; i++) {
		const struct sample_socket *ss = &s->sockets[i];

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

/* Fields shared by processes, groups and others. */
static void usage(struct jw *w, const struct sample *s, const struct view_row *r)
{
	jw_key(w, "cpu_ns");
	jw_u64(w, r->ns);
	jw_key(w, "cpu_util");
	jw_double(w, s->interval_ns ? (double)r->ns / s->interval_ns : 0, 4);
	power(w, "power_w", !r->uj_missing, r->uj, s->interval_ns);
	joules(w, "energy_j", !r->uj_missing, r->uj);
}

static void row_sockets(struct jw *w, const struct sample *s, const struct view_row *r)
{
	jw_key(w, "sockets");
	jw_arr_begin(w);
	for (int i = 0; i < s->nr_sockets; i++) {
		if (!r->sock_ns[i])
			continue;
		jw_obj_begin(w);
		jw_key(w, "id");
		jw_i64(w, s->sockets[i].id);
		jw_key(w, "cpu_ns");
		jw_u64(w, r->sock_ns[i]);
		power(w, "power_w", s->sockets[i].have[ENERGY_PACKAGE], r->sock_uj[i], s->interval_ns);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

/* Per-CPU time of a process, from the interval's merged charges. */
static void row_cpus(struct jw *w, const struct sample *s, const struct proc *p)
{
	jw_key(w, "cpus");
	jw_arr_begin(w);
	for (__u32 i = p->cpu_first; i < p->cpu_first + p->nr_cpu && i < s->nr_charges; i++) {
		const struct cpu_charge *c = &s->charges[i];

		jw_obj_begin(w);
		jw_key(w, "cpu");
		jw_u64(w, c->cpu);
		jw_key(w, "cpu_ns");
		jw_u64(w, c->ns);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

static void str_or_null(struct jw *w, const char *key, const char *v)
{
	jw_key(w, key);
	if (v)
		jw_str(w, v);
	else
		jw_null(w);
}

/* "container": {"id", "name", "pod", "namespace"}, null members unknown; null: none. */
static void container(struct jw *w, const struct ctr_names *n)
{
	jw_key(w, "container");
	if (!n || !n->id) {
		jw_null(w);
		return;
	}
	jw_obj_begin(w);
	str_or_null(w, "id", n->id);
	str_or_null(w, "name", n->name);
	str_or_null(w, "pod", n->pod);
	str_or_null(w, "namespace", n->ns);
	jw_obj_end(w);
}

/* "pod": {"uid", "name", "namespace"}; null: in no pod. */
static void pod(struct jw *w, const struct ctr_names *n)
{
	jw_key(w, "pod");
	if (!n || !n->pod_uid) {
		jw_null(w);
		return;
	}
	jw_obj_begin(w);
	str_or_null(w, "uid", n->pod_uid);
	str_or_null(w, "name", n->pod);
	str_or_null(w, "namespace", n->ns);
	jw_obj_end(w);
}

static void process(struct jw *w, const struct sample *s, const struct view_row *r)
{
	const struct proc *p = r->p;
	bool real = p->tgid != PT_UNRECORDED_TGID;

	jw_obj_begin(w);
	jw_key(w, "pid");
	if (real)
		jw_u64(w, p->tgid);
	else
		jw_null(w);
	jw_key(w, "comm");
	jw_strn(w, p->comm, strnlen(p->comm, sizeof(p->comm)));
	str_or_null(w, "cmdline", p->cmdline);
	str_or_null(w, "cgroup", p->cgroup);
	container(w, p->names);
	usage(w, s, r);
	jw_key(w, "exited");
	jw_bool(w, p->exited);
	row_sockets(w, s, r);
	row_cpus(w, s, p);
	jw_obj_end(w);
}

static void group(struct jw *w, const struct sample *s, const struct view_row *r,
		  enum group_by by)
{
	jw_obj_begin(w);
	jw_key(w, "key");
	jw_str(w, r->key);
	if (by == GROUP_CONTAINER)
		container(w, r->names);
	else if (by == GROUP_POD)
		pod(w, r->names);
	jw_key(w, "members");
	jw_u64(w, r->members);
	usage(w, s, r);
	row_sockets(w, s, r);
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

void json__sample(struct jw *w, const struct sample *sm, const struct view *v,
		  const struct output_opts *o)
{
	jw_reset(w);
	jw_obj_begin(w);
	timestamp(w, &sm->wall);
	jw_key(w, "interval_s");
	jw_double(w, sm->interval_ns / 1e9, 6);
	jw_key(w, "sensor");
	jw_str(w, sm->sensor);
	jw_key(w, "estimated");
	jw_bool(w, sm->estimated);

	jw_key(w, "host");
	jw_obj_begin(w);
	power(w, "power_w", sm->have_energy, sm->energy_uj, sm->interval_ns);
	joules(w, "energy_j", sm->have_energy, sm->energy_uj);
	power(w, "psys_power_w", sm->have_psys, sm->psys_uj, sm->interval_ns);
	baseline(w, "psys_baseline", &sm->psys_baseline);
	jw_key(w, "cpu_util");
	jw_double(w, sm->util, 4);
	jw_obj_end(w);

	sockets(w, sm);

	jw_key(w, "idle");
	jw_obj_begin(w);
	power(w, "power_w", sm->have_energy, sm->idle_uj, sm->interval_ns);
	joules(w, "energy_j", sm->have_energy, sm->idle_uj);
	jw_key(w, "cpu_ns");
	jw_u64(w, sm->idle_ns);
	jw_obj_end(w);

	jw_key(w, "group_by");
	jw_str(w, group_by_name(o->by));
	jw_key(w, o->by == GROUP_PID ? "processes" : "groups");
	jw_arr_begin(w);
	for (__u32 i = 0; i < v->nr; i++) {
		if (o->by == GROUP_PID)
			process(w, sm, &v->rows[i]);
		else
			group(w, sm, &v->rows[i], o->by);
	}
	jw_arr_end(w);

	jw_key(w, "others");
	jw_obj_begin(w);
	jw_key(w, "members");
	jw_u64(w, v->others.members);
	usage(w, sm, &v->others);
	jw_obj_end(w);

	if (o->have_carbon)
		co2e(w, sm, o->carbon_g_per_kwh);

	jw_key(w, "dropped");
	jw_u64(w, sm->dropped);
	jw_key(w, "sample_duration_s");
	jw_double(w, sm->sample_seconds, 6);
	jw_obj_end(w);
}

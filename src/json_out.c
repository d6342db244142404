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

static void sockets(struct jw *w, const struct sample *s)
{
	jw_key(w, "sockets");
	jw_arr_begin(w);
	for (int i = 0; i < s->nr_sockets; i++) {
		const struct sample_socket *ss = &s->sockets[i];

		jw_obj_begin(w);
		jw_key(w, "id");
		jw_i64(w, ss->id);
		power(w, "power_w", ss->have[RAPL_PACKAGE],
		      ss->uj[RAPL_PACKAGE] + (ss->have[RAPL_DRAM] ? ss->uj[RAPL_DRAM] : 0),
		      s->interval_ns);
		power(w, "package_power_w", ss->have[RAPL_PACKAGE], ss->uj[RAPL_PACKAGE],
		      s->interval_ns);
		power(w, "dram_power_w", ss->have[RAPL_DRAM], ss->uj[RAPL_DRAM], s->interval_ns);
		power(w, "core_power_w", ss->have[RAPL_CORE], ss->uj[RAPL_CORE], s->interval_ns);
		power(w, "uncore_power_w", ss->have[RAPL_UNCORE], ss->uj[RAPL_UNCORE],
		      s->interval_ns);
		power(w, "idle_power_w", ss->have[RAPL_PACKAGE], ss->idle_uj, s->interval_ns);
		jw_key(w, "idle_baseline_w");
		jw_double(w, ss->idle_base_w, 3);
		jw_key(w, "idle_source");
		jw_str(w, idle_source_name(ss->idle_src));
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
		power(w, "power_w", s->sockets[i].have[RAPL_PACKAGE], r->sock_uj[i], s->interval_ns);
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

static void process(struct jw *w, const struct sample *s, const struct view_row *r)
{
	const struct proc *p = r->p;
	bool real = !proc__pseudo(p);

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
	usage(w, s, r);
	jw_key(w, "exited");
	jw_bool(w, p->exited);
	row_sockets(w, s, r);
	row_cpus(w, s, p);
	jw_obj_end(w);
}

static void group(struct jw *w, const struct sample *s, const struct view_row *r)
{
	jw_obj_begin(w);
	jw_key(w, "key");
	jw_str(w, r->key);
	jw_key(w, "members");
	jw_u64(w, r->members);
	usage(w, s, r);
	row_sockets(w, s, r);
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
			group(w, sm, &v->rows[i]);
	}
	jw_arr_end(w);

	jw_key(w, "others");
	jw_obj_begin(w);
	jw_key(w, "members");
	jw_u64(w, v->others.members);
	usage(w, sm, &v->others);
	jw_obj_end(w);

	jw_key(w, "dropped");
	jw_u64(w, sm->dropped);
	jw_key(w, "dropped_interval");
	jw_u64(w, sm->dropped_delta);
	jw_key(w, "sample_duration_s");
	jw_double(w, sm->sample_seconds, 6);
	jw_obj_end(w);
}

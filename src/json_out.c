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
		power(w, "power_w", ss->have_pkg, ss->pkg_uj + (ss->have_dram ? ss->dram_uj : 0),
		      s->interval_ns);
		power(w, "package_power_w", ss->have_pkg, ss->pkg_uj, s->interval_ns);
		power(w, "dram_power_w", ss->have_dram, ss->dram_uj, s->interval_ns);
		power(w, "core_power_w", ss->have_core, ss->core_uj, s->interval_ns);
		power(w, "uncore_power_w", ss->have_uncore, ss->uncore_uj, s->interval_ns);
		power(w, "idle_power_w", ss->have_pkg, ss->idle_uj, s->interval_ns);
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
		power(w, "power_w", s->sockets[i].have_pkg, r->sock_uj[i], s->interval_ns);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

/* Per-CPU time of a process, from the interval's merged charges. */
static void row_cpus(struct jw *w, struct sampler *s, const struct proc *p)
{
	__u32 idx = proctable__index(&s->pt, p);

	jw_key(w, "cpus");
	jw_arr_begin(w);
	for (__u32 i = 0; i < s->pt.nr_charges; i++) {
		const struct cpu_charge *c = &s->pt.charges[i];

		if (c->proc != idx)
			continue;
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

static void process(struct jw *w, struct sampler *s, const struct view_row *r)
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
	str_or_null(w, "cmdline", sampler__cmdline(s, p));
	str_or_null(w, "cgroup", sampler__cgroup(s, p));
	usage(w, &s->cur, r);
	jw_key(w, "exited");
	jw_bool(w, p->exited);
	row_sockets(w, &s->cur, r);
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

void json__sample(struct jw *w, struct sampler *s, const struct view *v, const struct output_opts *o)
{
	const struct sample *sm = &s->cur;
	bool estimated = !strcmp(sm->sensor, "model");

	jw_reset(w);
	jw_obj_begin(w);
	timestamp(w, &sm->wall);
	jw_key(w, "interval_s");
	jw_double(w, sm->interval_ns / 1e9, 6);
	jw_key(w, "sensor");
	jw_str(w, sm->sensor);
	jw_key(w, "estimated");
	jw_bool(w, estimated);

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
			process(w, s, &v->rows[i]);
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
	jw_key(w, "sample_duration_s");
	jw_double(w, sm->sample_seconds, 6);
	jw_obj_end(w);
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* GPUs and the platform's remainder in a sample; see sample/wholebox.h. */
#include <stdlib.h>
#include <string.h>
#include "energy/gpusplit.h"
#include "energy/platform.h"
#include "lib/util.h"
#include "sample/learn.h"
#include "sample/wholebox.h"

struct tgid_proc {
	__u32 tgid;
	struct proc *p;
};

int wholebox__init(struct wholebox *w)
{
	int ret;

	zero_lazily(w, sizeof(*w));	/* (most of it is for GPUs the machine lacks) */
	for (int i = 0; i < WP_MAX_GPUS; i++)
		baseline__init(&w->gpu_fit[i]);
	baseline__init(&w->rest_fit);
	/* no published curves for either: straight lines around an idle fraction */
	ret = curve_prior__lines(&w->gpu_shape, GPU_IDLE_FRACTION);
	return ret ? ret : curve_prior__lines(&w->rest_shape, PLATFORM_IDLE_FRACTION);
}

void wholebox__free(struct wholebox *w)
{
	free(w->by_tgid);
	w->by_tgid = NULL;
	w->cap_by_tgid = 0;
}

static int cmp_tgid(const void *a, const void *b)
{
	const struct tgid_proc *x = a, *y = b;

	return x->tgid < y->tgid ? -1 : x->tgid > y->tgid;
}

/* The sample's processes by tgid (their live entries, not parts under an older identity). */
static __u32 index_tgids(struct wholebox *w, const struct sample *out)
{
	__u32 n = 0;

	if (out->nr_procs > w->cap_by_tgid) {
		struct tgid_proc *t = realloc(w->by_tgid, out->nr_procs * sizeof(*t));

		if (!t)
			return 0;	/* then every share is others' */
		w->by_tgid = t;
		w->cap_by_tgid = out->nr_procs;
	}
	for (__u32 i = 0; i < out->nr_procs; i++)
		if (!out->procs[i]->part && !proc__pseudo(out->procs[i]))
			w->by_tgid[n++] = (struct tgid_proc){ out->procs[i]->tgid, out->procs[i] };
	qsort(w->by_tgid, n, sizeof(*w->by_tgid), cmp_tgid);
	return n;
}

/*
 * The process NVML calls pid: one of this interval's, else one the table holds
 * that did not run on a CPU this interval (it joins the sample), else NULL (its
 * share is others': a process the agent never saw run).
 */
static struct proc *find_pid(struct wholebox *w, struct proctable *pt, struct sample *out,
			     __u32 nr, __u32 pid)
{
	struct tgid_proc key = { .tgid = pid }, *hit;

	hit = nr ? bsearch(&key, w->by_tgid, nr, sizeof(key), cmp_tgid) : NULL;
	if (hit)
		return hit->p;
	for (__u32 i = 0; i < pt->top; i++) {
		struct proc *p = &pt->pool[i];

		if (!p->used || p->part || p->tgid != pid || p->exited)
			continue;
		if (p->seq != pt->seq) {
			proctable__touch(pt, p);
			out->procs[out->nr_procs++] = p;
		}
		return p;
	}
	return NULL;
}

static const char *mode_name(enum gpu_mode m)
{
	return m == GPU_EXCLUSIVE ? "exclusive" : m == GPU_MIG ? "mig" : "shared";
}

/* A GPU's samples name processes whose share is unknown: its energy is missing. */
static void mark_missing(struct wholebox *w, struct proctable *pt, struct sample *out,
			 __u32 nr, const struct gpu_reading *r)
{
	for (int k = 0; k < r->nr_pids; k++) {
		struct proc *p = find_pid(w, pt, out, nr, r->pids[k].pid);

		if (p && r->pids[k].sm > 0)
			p->iv.gpu_missing = true;
	}
}

static void gpus(struct wholebox *w, const struct wholebox_in *in, struct sample *out)
{
	const struct sensor_ops *ops = sensor_set__ops(in->sensors, SENSOR_ROLE_GPU);
	const struct sensor_reading *rd = in->rd;
	__u64 dt = out->interval_ns;
	__u32 nr = 0;
	bool indexed = false;

	if (!ops)
		return;
	out->gpu_sensor = ops->name;
	out->nr_gpus = rd->nr_gpus;
	out->have_gpu = true;
	for (int i = 0; i < rd->nr_gpus; i++) {
		const struct gpu_reading *r = &rd->gpus[i];
		struct sample_gpu *g = &out->gpus[i];
		struct baseline_prior prior = {
			.full_w = r->limit_w, .shape = &w->gpu_shape,
			.min_slope = BASELINE_MIN_SLOPE,
		};
		struct gpusplit sp = {
			.energy_uj = r->uj, .util = r->util, .mode = r->mode, .pids = r->pids,
			.nr_pids = r->per_process ? r->nr_pids : 0,
			.exclusive_pid = r->exclusive_pid, .spread_idle = in->spread_idle,
		};

		*g = (struct sample_gpu){
			.index = r->index, .name = r->name, .uuid = r->uuid, .have = r->have,
			.uj = r->have ? r->uj : 0, .util = r->util, .limit_w = r->limit_w,
			.mode = mode_name(r->mode), .per_process = r->per_process,
			.no_per_process = r->no_per_process, .source = r->source, .gap = r->gap,
		};
		/* a GPU without its own utilisation (MIG) adds no point: its curve stays as it was */
		learn__baseline(&w->gpu_fit[i], r->have && r->util >= 0, true, r->uj, r->util, dt,
			        &prior, "nvmlDeviceGetEnforcedPowerLimit", &g->baseline);
		if ((r->have && r->per_process && (r->nr_pids || r->exclusive_pid)) ||
		    (!r->have && r->nr_pids)) {
			if (!indexed)
				nr = index_tgids(w, out);
			indexed = true;
		}
		if (!r->have) {
			out->have_gpu = false;
			mark_missing(w, in->pt, out, nr, r);
			continue;
		}
		sp.idle_base_uj = g->baseline.have ? learn__uj_of(g->baseline.idle_w, dt) : 0;
		gpusplit__run(&sp);
		g->idle_uj = sp.idle_uj;
		g->others_uj = sp.others_uj;
		for (int k = 0; k < sp.nr_shares; k++) {
			struct proc *p = find_pid(w, in->pt, out, nr, sp.shares[k].pid);

			if (p) {
				p->iv.gpu_uj += sp.shares[k].uj;
				g->procs_uj += sp.shares[k].uj;
			} else {
				g->others_uj += sp.shares[k].uj;
			}
		}
		w->gpu_total_uj[i] += g->uj;
		out->gpu_uj += g->uj;
		out->gpu_idle_uj += g->idle_uj;
		out->gpu_others_uj += g->others_uj;
	}
	for (int i = 0; i < out->nr_gpus; i++)
		out->gpus[i].total_uj = w->gpu_total_uj[i];
	if (out->have_gpu) {
		w->gpus_total_uj += out->gpu_uj;
		w->gpu_idle_total_uj += out->gpu_idle_uj;
		w->gpu_others_total_uj += out->gpu_others_uj;
	}
	out->gpu_total_uj = w->gpus_total_uj;
	out->gpu_idle_total_uj = w->gpu_idle_total_uj;
	out->gpu_others_total_uj = w->gpu_others_total_uj;
}

static void platform(struct wholebox *w, const struct wholebox_in *in, struct sample *out)
{
	const struct sensor_ops *ops = sensor_set__ops(in->sensors, SENSOR_ROLE_PLATFORM);
	const struct sensor_reading *rd = in->rd;
	struct baseline_prior prior = { .shape = &w->rest_shape };
	struct platform_split ps = { .spread_idle = in->spread_idle };
	__u64 dt = out->interval_ns, before = 0, rest;

	if (!ops)
		return;
	out->platform_sensor = ops->name;
	out->platform_from = rd->platform_from;
	out->platform_gap = rd->platform_gap;
	out->have_platform = rd->have_platform;
	out->platform_uj = rd->have_platform ? rd->platform_uj : 0;
	out->have_rest = out->have_platform && out->have_energy &&
			 (!out->gpu_sensor || out->have_gpu);
	ps.platform_uj = out->platform_uj;
	ps.parts_uj = out->energy_uj + out->gpu_uj;
	rest = ps.platform_uj > ps.parts_uj ? ps.platform_uj - ps.parts_uj : 0;
	/* the remainder's own baseline, on the host's CPU utilisation */
	learn__baseline(&w->rest_fit, out->have_rest && ps.platform_uj >= ps.parts_uj,
		        !out->time_short, rest, out->util, dt, &prior, NULL, &out->rest_baseline);
	if (out->have_platform)
		w->platform_total_uj += out->platform_uj;
	out->platform_total_uj = w->platform_total_uj;
	if (!out->have_rest) {
		for (__u32 i = 0; i < out->nr_procs; i++)
			out->procs[i]->iv.rest_missing = true;
		goto totals;
	}
	for (__u32 i = 0; i < out->nr_procs; i++)
		ps.busy_ns += out->procs[i]->iv.ns;
	ps.idle_base_uj = out->rest_baseline.have ?
			  learn__uj_of(out->rest_baseline.idle_w, dt) : 0;
	platform__split(&ps);
	for (__u32 i = 0; i < out->nr_procs; i++) {
		struct proc *p = out->procs[i];

		if (!p->iv.ns)
			continue;
		p->iv.rest_uj = platform__share(&ps, before, p->iv.ns);
		before += p->iv.ns;
	}
	out->rest_uj = ps.rest_uj;
	out->rest_idle_uj = ps.idle_uj;
	out->rest_short_uj = ps.short_uj;
	w->rest_total_uj += out->rest_uj;
	w->rest_idle_total_uj += out->rest_idle_uj;
totals:
	out->rest_total_uj = w->rest_total_uj;
	out->rest_idle_total_uj = w->rest_idle_total_uj;
}

void wholebox__attribute(struct wholebox *w, const struct wholebox_in *in, struct sample *out)
{
	gpus(w, in, out);
	platform(w, in, out);
}

int wholebox__slots(struct wholebox *w, const struct wholebox_in *in, bool rest,
		    struct baseline_slot *slots)
{
	int nr_gpus = sensor_set__ops(in->sensors, SENSOR_ROLE_GPU) ? in->rd->nr_gpus : 0;
	int n = 0;

	for (int i = 0; i < nr_gpus && i < WP_MAX_GPUS; i++)
		if (baseline_state_gpu_owner(in->rd->gpus[i].uuid, w->gpu_owner[i],
					     sizeof(w->gpu_owner[i])))
			slots[n++] = (struct baseline_slot){ .fit = &w->gpu_fit[i],
							     .owner = w->gpu_owner[i],
							     .kind = "gpu" };
	if (rest && sensor_set__ops(in->sensors, SENSOR_ROLE_PLATFORM))
		slots[n++] = (struct baseline_slot){ .fit = &w->rest_fit, .owner = "host",
						     .kind = "rest" };
	return n;
}

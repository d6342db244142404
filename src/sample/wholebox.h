/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The machine beyond the CPUs in a sample: each GPU's energy (its idle
 * baseline, learnt from how its power follows its utilisation, and the
 * dynamic part split over processes by energy/gpusplit.c), and a platform
 * meter's remainder (its own baseline, the rest by CPU time, energy/platform.c).
 * Called by the sampler once the CPUs' energy is attributed, with what it needs
 * of the sampler's (struct wholebox_in); what it adds is in struct sample (gpus,
 * platform_*, rest_*) and in each process's figures (gpu_uj, rest_uj). Without a
 * GPU or platform sensor, it adds nothing.
 */
#ifndef __WHOLEBOX_H
#define __WHOLEBOX_H

#include <linux/types.h>
#include <stdbool.h>
#include "energy/baseline.h"
#include "energy/baseline_state.h"
#include "energy/curve_prior.h"
#include "energy/gpusplit.h"	/* WP_MAX_GPUS */
#include "energy/sensor.h"
#include "procs/proctable.h"
#include "sample/sample.h"

struct tgid_proc;

/* What the whole box keeps from one interval to the next. */
struct wholebox {
	struct baseline gpu_fit[WP_MAX_GPUS], rest_fit;
	struct curve_prior gpu_shape, rest_shape;	/* their priors' families of lines */
	__u64 gpu_total_uj[WP_MAX_GPUS];
	__u64 gpus_total_uj, gpu_idle_total_uj, gpu_others_total_uj;
	__u64 platform_total_uj, rest_total_uj, rest_idle_total_uj;
	struct tgid_proc *by_tgid;	/* this interval's processes by tgid */
	__u32 cap_by_tgid;
	char gpu_owner[WP_MAX_GPUS][BASELINE_STATE_TOKEN];	/* in --state-file */
};

/* What it takes from the sampler each interval. */
struct wholebox_in {
	struct proctable *pt;		/* a GPU's process that did not run joins the sample */
	const struct sensor_set *sensors;	/* which GPU and platform sensors are open */
	const struct sensor_reading *rd;	/* this interval's reading of them */
	bool spread_idle;		/* --spread-idle */
};

/* Forget the fits and build their priors (at open): 0, or a negative errno. */
int wholebox__init(struct wholebox *w);
/* This interval's GPUs and platform into out, from in->rd. */
void wholebox__attribute(struct wholebox *w, const struct wholebox_in *in, struct sample *out);
void wholebox__free(struct wholebox *w);

/* The most fits wholebox__slots() gives: each GPU's and the remainder's. */
#define WHOLEBOX_MAX_SLOTS (WP_MAX_GPUS + 1)
/*
 * The fits worth keeping in --state-file, into slots: each GPU's (by its UUID; one
 * without is not kept) and, when rest (the CPUs' energy is measured, not a model's),
 * the platform remainder's. Returns how many (at most WHOLEBOX_MAX_SLOTS).
 */
int wholebox__slots(struct wholebox *w, const struct wholebox_in *in, bool rest,
		    struct baseline_slot *slots);

#endif /* __WHOLEBOX_H */

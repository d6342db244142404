/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The idle baseline of one power domain (a socket's package or DRAM, or the
 * platform), learnt from how its power follows utilisation. Pure: no I/O.
 *
 * Every interval with measured energy adds a point (u, P): the utilisation of
 * the CPUs the domain serves and its mean power. baseline__estimate() fits
 * P = a + b*u to the last BASELINE_WINDOW points; the baseline is a (the
 * power at u = 0), the dynamic part P - a goes to processes.
 *
 *  - Weighted towards recent intervals: a point's weight halves every
 *    BASELINE_HALF_LIFE_S seconds of age.
 *  - Robust: least squares, then BASELINE_PASSES passes of Tukey's biweight
 *    (c = 4.685) on residuals scaled by 1.4826 x their median absolute
 *    deviation. An interval far off the line (a spike, a counter read at the
 *    wrong moment) gets weight 0. The same window always gives the same fit.
 *  - A prior until the data can tell: a = a0 +- 50% and b = b0 +- 50%,
 *    a0 = f L and b0 = (1 - f) L, where L is the domain's power at full
 *    load (its long-term power limit, about its TDP) and f its idle
 *    fraction; when L is unknown it is scaled to the data,
 *    L = mean P / (f + (1 - f) mean u). The fit is the posterior mean:
 *    weighted least squares with the two Gaussian penalties, each point
 *    worth 1 / sigma^2, sigma the residual scale (at least 0.5% of L). Data
 *    spread over utilisation outweigh the prior; data at one utilisation
 *    (a host busy from the start, a constant load) only fix the line's
 *    level there, and the prior decides its tilt.
 *  - Physically plausible: a >= 0, and b (full-load minus idle power) at
 *    least min_slope of the prior's (L - f*L) and at most BASELINE_MAX_SLOPE
 *    x L, so a counter that does not follow load cannot make idle take
 *    everything, nor a steep one make it 0.
 *
 * Never the lowest power seen: one quiet interval cannot set the baseline,
 * and intervals without energy (gaps, stuck counters) are never added.
 */
#ifndef __BASELINE_H
#define __BASELINE_H

#include <stdbool.h>
#include "energy/domain.h"

#define BASELINE_WINDOW		256	/* intervals the fit holds */
#define BASELINE_HALF_LIFE_S	600.0	/* weight halves every 10 minutes of age */
#define BASELINE_PRIOR_SPREAD	0.5	/* the prior's idle and slope are known to +-50% */
#define BASELINE_MAX_SLOPE	4.0	/* b <= this x L */
#define BASELINE_TUKEY_C	4.685	/* 95% efficiency on normal errors */
#define BASELINE_PASSES		3	/* biweight passes per estimate */
#define BASELINE_PRIOR_SHARE	0.9	/* at or above: the baseline is the prior's */
#define BASELINE_FIT_SHARE	0.1	/* at or below: the fit's; between: a blend */

/*
 * Idle fraction of a CPU package or platform: the ratio of the minimum to the
 * maximum watts per vCPU of the Cloud Carbon Footprint methodology (cloud
 * averages from SPECpower results, see MODEL_IDLE_W_PER_CPU), 0.19.
 */
#define BASELINE_IDLE_FRACTION	((0.74 + 0.71 + 0.78) / (3.5 + 4.26 + 3.76))
/*
 * Idle fraction of DRAM: its background power (refresh, standby) is most of
 * it, whatever the CPUs do. 0.5 is our assumption, not a published figure;
 * the fit replaces it as soon as utilisation varies.
 */
#define BASELINE_DRAM_IDLE_FRACTION	0.5
/* A CPU package adds at least 30% of the prior's dynamic range at full load. */
#define BASELINE_MIN_SLOPE	0.3


struct baseline_prior {
	double full_w;		/* power at full load (long-term limit); <= 0: unknown */
	double idle_fraction;	/* f: the prior's idle is f * full_w */
	double min_slope;	/* b >= min_slope * (1 - f) * L */
};

struct baseline {
	float u[BASELINE_WINDOW], p[BASELINE_WINDOW], w[BASELINE_WINDOW];
	int n, head;		/* points held; where the next one goes */
};

struct baseline_est {
	enum idle_source src;
	double idle_w;		/* a: the baseline */
	double slope_w;		/* b: full-load power above idle */
	double prior_idle_w;	/* f * L, 0 without a prior */
	double prior_full_w;	/* L */
	double prior_share;	/* 0 (fit alone) .. 1 (prior alone) */
	int intervals;		/* points in the window */
	int outliers;		/* of which given weight 0 */
	double util_mean;	/* weighted mean and standard deviation of u */
	double util_spread;
	double residual_w;	/* 1.4826 x median absolute residual */
};

void baseline__init(struct baseline *b);
/*
 * One interval: util 0..1 (clamped), its mean power, its length (for the
 * ageing of older points). -EINVAL (nothing added) for a negative or
 * non-finite power or length.
 */
int baseline__add(struct baseline *b, double util, double watts, double dt_s);
/*
 * Put back a point saved earlier, with the weight it had (0..1], as the
 * newest; nothing else ages. -EINVAL (nothing added) for values a point
 * cannot have.
 */
int baseline__restore(struct baseline *b, double util, double watts, double weight);
/* The baseline now, from the points held (a pure function of them). */
void baseline__estimate(const struct baseline *b, const struct baseline_prior *prior,
			struct baseline_est *out);

#endif /* __BASELINE_H */

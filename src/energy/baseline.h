/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The power curve of one power domain (a socket's package or DRAM, the
 * platform, a GPU): how its power P(u) follows the utilisation u of what it
 * serves, learnt from the intervals seen. Its idle baseline is P(0); the
 * dynamic part P - P(0) goes to processes. Pure: no I/O; one object per
 * domain, whatever the domain (the prior says what kind it is).
 *
 * Why a curve: real servers are not straight lines. Since deep C-states,
 * power jumps from active idle to the first 10% of load and then rises more
 * slowly (or bends up again with turbo); a line through such data crosses
 * u = 0 far above the true idle (+60% on a 2016 server whose intervals never
 * go below 20%), which makes applications look cheap.
 *
 * The model: P is piecewise linear between its values at u = 0, 0.1, ...,
 * 1 (the steps at which SPECpower_ssj2008 publishes servers' power), and
 * non-decreasing. Each interval with measured energy is a point (u, P).
 *
 *  - Prior: a Gaussian over the 11 values (energy/curve_prior.h), from a
 *    family of published curves scaled by the domain's full-load power L
 *    (its long-term power limit; when unknown, scaled to the data,
 *    L = sum of P / sum of the prior's mean shape at each point's u). Its
 *    covariance carries what the published servers say about shapes: how a
 *    curve rises where there are data tells how it falls where there are
 *    none, so a host that is never idle gets an idle between what those
 *    shapes allow, and a range that says how unsure it is.
 *  - Fit: the posterior mean, a linear solve of 11 unknowns: each point
 *    weighs on the two values around its u (a hat function), worth 1 /
 *    sigma^2 of the prior's precision, sigma the residual scale (at least
 *    0.5% of L); then the curve closest to it in the posterior's metric that
 *    is non-decreasing and >= 0 (a non-negative least-squares problem on its
 *    steps). Data where they are decide the curve there; the prior fills in
 *    between and beyond them. Cost: one pass over the points per fit, as
 *    the line had.
 *  - Robust: BASELINE_PASSES passes of Tukey's biweight (c = 4.685) on
 *    residuals scaled by 1.4826 x their median absolute deviation: a spike
 *    gets weight 0. The curve bends where low-utilisation data are, so
 *    intervals at low utilisation sit on it and are never outliers (a line
 *    threw them away).
 *  - Recent intervals weigh more: a point's weight halves every
 *    BASELINE_HALF_LIFE_S seconds of age. The window holds
 *    BASELINE_WINDOW points; when full, the point that goes is the oldest of
 *    the utilisation bin (a tenth of the range) that holds the most, so the
 *    rare intervals near idle stay until newer ones of their own kind
 *    replace them (or their weight has halved away), not pushed out by a
 *    busy hour.
 *  - How sure: the prior's share of the idle value, its posterior variance
 *    over the prior's variance of it given the level (1 the prior's shape
 *    alone, 0 the data alone: a host busy from the start tells the level of
 *    its curve, not how far it falls to idle), and a range for idle, the
 *    posterior's 95% (2 standard deviations), no lower than 0 nor above the
 *    curve at the lowest utilisation seen.
 *  - Physically plausible: P(0) >= 0, non-decreasing, and full-load power
 *    above idle at least min_slope x (1 - the prior's idle fraction) x L, so
 *    a counter that does not follow load cannot make idle take everything
 *    (put on the final curve, not on the fit's passes, which would throw out
 *    the points at both ends as outliers).
 *
 * Never the lowest power seen: one quiet interval cannot set the baseline,
 * and intervals without energy (gaps, stuck counters) are never added, nor
 * those that touch them (baseline__offer): the interval in which a counter
 * stops reads part of its energy (5.1 W of 10 W), the first after it resumes
 * too (0.77 W).
 */
#ifndef __BASELINE_H
#define __BASELINE_H

#include <stdbool.h>
#include "energy/curve_prior.h"
#include "energy/domain.h"

#define BASELINE_WINDOW		256	/* points the fit holds */
#define BASELINE_BINS		10	/* utilisation bins the window is shared by */
#define BASELINE_HALF_LIFE_S	600.0	/* weight halves every 10 minutes of age */
#define BASELINE_TUKEY_C	4.685	/* 95% efficiency on normal errors */
#define BASELINE_PASSES		3	/* biweight passes per estimate */
#define BASELINE_PRIOR_SHARE	0.9	/* at or above: the baseline is the prior's */
#define BASELINE_FIT_SHARE	0.1	/* at or below: the fit's; between: a blend */
#define BASELINE_RANGE_SIGMAS	2.0	/* the idle range: +-2 posterior standard deviations */

/* A CPU package adds at least 30% of the prior's dynamic range at full load. */
#define BASELINE_MIN_SLOPE	0.3

struct baseline_prior {
	double full_w;			/* power at full load (long-term limit); <= 0: unknown */
	const struct curve_prior *shape;	/* the domain's kind: curve_prior__package(), ... */
	double min_slope;		/* P(1) - P(0) >= min_slope * (1 - idle fraction) * L */
};

struct baseline {
	float u[BASELINE_WINDOW], p[BASELINE_WINDOW], w[BASELINE_WINDOW];
	int n;			/* points held, in u[0..n) */
	/* baseline__offer: the newest interval waits until the next one has energy too */
	bool held;
	double held_u, held_p, held_dt;
	bool after_gap;		/* the last interval had none: the next one touches the gap */
};

struct baseline_est {
	enum idle_source src;
	double idle_w;		/* P(0): the baseline */
	double idle_lo_w;	/* the range idle is in (BASELINE_RANGE_SIGMAS) */
	double idle_hi_w;
	double curve_w[CURVE_KNOTS];	/* P at u = 0, 0.1, ..., 1 */
	double slope_w;		/* P(1) - P(0): full-load power above idle */
	double prior_idle_w;	/* the prior's idle, 0 without a prior */
	double prior_full_w;	/* L */
	double prior_share;	/* 0 (fit alone) .. 1 (prior alone), of the idle value */
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
 * One interval as it comes, with (have) or without its energy: a point only when
 * the intervals on both sides of it had energy too, so one interval later (an
 * interval cannot tell that its counter stopped in it until the next one reads
 * it still). An interval without energy drops the one before it and the one after
 * it. -EINVAL as baseline__add for a point it could not hold.
 */
int baseline__offer(struct baseline *b, bool have, double util, double watts, double dt_s);
/*
 * Put back a point saved earlier, with the weight it had (0..1]; nothing
 * else ages. -EINVAL (nothing added) for values a point cannot have.
 */
int baseline__restore(struct baseline *b, double util, double watts, double weight);
/* The curve now, from the points held (a pure function of them). */
void baseline__estimate(const struct baseline *b, const struct baseline_prior *prior,
			struct baseline_est *out);
/* The estimated curve at utilisation u (0..1). */
double baseline_est__at(const struct baseline_est *e, double u);

#endif /* __BASELINE_H */

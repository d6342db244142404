/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Version 0.2's idle baseline, the reference bench/curvefit measures the
 * curve against: a straight line P = a + b u by weighted least squares with
 * a Gaussian prior on a and b (idle 0.19 of the limit, each known to +-50%),
 * three passes of Tukey's biweight, a window of 256 intervals, the oldest
 * out. Copied from src/energy/baseline.c of 0.2 (renamed line__*), as
 * bench/energy.c copies 0.1's learner; nothing outside bench/ uses it.
 */
#ifndef __LINE02_H
#define __LINE02_H

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>
#include "energy/domain.h"

#define LINE_WINDOW		256
#define LINE_HALF_LIFE_S	600.0
#define LINE_PRIOR_SPREAD	0.5
#define LINE_MAX_SLOPE		4.0
#define LINE_TUKEY_C		4.685
#define LINE_PASSES		3
#define LINE_PRIOR_SHARE	0.9
#define LINE_FIT_SHARE		0.1
#define LINE_IDLE_FRACTION	((0.74 + 0.71 + 0.78) / (3.5 + 4.26 + 3.76))

struct line_prior {
	double full_w;		/* power at full load (long-term limit); <= 0: unknown */
	double idle_fraction;	/* f: the prior's idle is f * full_w */
	double min_slope;	/* b >= min_slope * (1 - f) * L */
};

struct line_fit {
	float u[LINE_WINDOW], p[LINE_WINDOW], w[LINE_WINDOW];
	int n, head;
};

struct line_est {
	enum idle_source src;
	double idle_w, slope_w, prior_idle_w, prior_full_w, prior_share;
	int intervals, outliers;
	double util_mean, util_spread, residual_w;
};

#define LINE_MAD_TO_SIGMA	1.4826	/* median absolute deviation -> standard deviation (normal) */
#define LINE_MIN_SCALE_SHARE	0.005	/* the residual scale is at least this share of L ... */
#define LINE_MIN_SCALE_W	0.01	/* ... and this many watts, so exact data keeps its points */

static inline void line__init(struct line_fit *b)
{
	memset(b, 0, sizeof(*b));
}

static inline int line__add(struct line_fit *b, double util, double watts, double dt_s)
{
	float decay;

	if (!isfinite(watts) || watts < 0 || !isfinite(dt_s) || dt_s < 0 || !isfinite(util))
		return -EINVAL;
	if (util < 0)
		util = 0;
	if (util > 1)
		util = 1;
	decay = (float)exp2(-dt_s / LINE_HALF_LIFE_S);
	for (int i = 0; i < b->n; i++)
		b->w[i] *= decay;
	b->u[b->head] = (float)util;
	b->p[b->head] = (float)watts;
	b->w[b->head] = 1;
	b->head = (b->head + 1) % LINE_WINDOW;
	if (b->n < LINE_WINDOW)
		b->n++;
	return 0;
}

/* The k-th smallest of v[0..n) (v is reordered): Hoare's selection. */
static float line_select_kth(float *v, int n, int k)
{
	int lo = 0, hi = n - 1;

	while (lo < hi) {
		float pivot = v[(lo + hi) / 2];
		int i = lo, j = hi;

		while (i <= j) {
			while (v[i] < pivot)
				i++;
			while (v[j] > pivot)
				j--;
			if (i <= j) {
				float t = v[i];

				v[i++] = v[j];
				v[j--] = t;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			break;
	}
	return v[k];
}

/*
 * One fit: weighted least squares of the data (weights w * r, each point's
 * variance sigma^2 / weight) with the prior's two Gaussian penalties,
 * (a - a0)^2 / sa^2 and (b - b0)^2 / sb^2, then the bounds.
 */
struct line_pass {
	double a, b;
	double L, a0, b0;	/* the prior as used: full load, idle, slope */
	double pa;		/* the prior's precision on a, 1 / sa^2 */
	double W, umean, uvar;	/* the data's weight, mean and variance of u */
};

static void line_fit_once(const struct line_fit *bl, const float *r, const struct line_prior *pr,
		     double sigma, struct line_pass *f)
{
	double s0 = 0, su = 0, sp = 0, suu = 0, sup = 0, det, bmin, bmax, sa, sb, la, lb;
	double frac = pr->idle_fraction;

	for (int i = 0; i < bl->n; i++) {
		double v = (double)bl->w[i] * r[i], u = bl->u[i], p = bl->p[i];

		s0 += v;
		su += v * u;
		sp += v * p;
		suu += v * u * u;
		sup += v * u * p;
	}
	f->W = s0;
	f->umean = s0 > 0 ? su / s0 : 0;
	f->uvar = s0 > 0 ? fmax(suu / s0 - f->umean * f->umean, 0) : 0;
	if (pr->full_w > 0)
		f->L = pr->full_w;
	else if (s0 > 0)
		f->L = sp / s0 / (frac + (1 - frac) * f->umean);
	else
		f->L = 0;
	f->a0 = frac * f->L;
	f->b0 = f->L - f->a0;
	sa = fmax(LINE_PRIOR_SPREAD * f->a0, LINE_MIN_SCALE_W);
	sb = fmax(LINE_PRIOR_SPREAD * f->b0, LINE_MIN_SCALE_W);
	f->pa = 1 / (sa * sa);
	/* in the data's units: a point of weight 1 has variance sigma^2 */
	la = sigma * sigma / (sa * sa);
	lb = sigma * sigma / (sb * sb);

	/* [s0 + la, su; su, suu + lb] [a; b] = [sp + la a0; sup + lb b0] */
	det = (s0 + la) * (suu + lb) - su * su;
	f->b = ((s0 + la) * (sup + lb * f->b0) - su * (sp + la * f->a0)) / det;
	bmin = fmax(pr->min_slope * f->b0, 0);
	bmax = LINE_MAX_SLOPE * f->L;
	if (f->b < bmin)
		f->b = bmin;
	if (f->b > bmax)
		f->b = bmax;
	f->a = (sp + la * f->a0 - f->b * su) / (s0 + la);
	if (f->a < 0) {
		/* through the origin, within the same bounds */
		f->a = 0;
		f->b = fmin(fmax((sup + lb * f->b0) / (suu + lb), bmin), bmax);
	}
}

/* Residuals of the points from a + b u; 1.4826 x their median absolute value if scale. */
static double line_residuals(const struct line_fit *bl, double a, double b, float *res, bool scale)
{
	float tmp[LINE_WINDOW];

	for (int i = 0; i < bl->n; i++) {
		res[i] = bl->p[i] - (float)(a + b * bl->u[i]);
		tmp[i] = fabsf(res[i]);
	}
	return scale ? LINE_MAD_TO_SIGMA * line_select_kth(tmp, bl->n, bl->n / 2) : 0;
}

/* Biweight weights of residuals at scale s (c = 4.685 s); the number given 0. */
static int line_biweight(const float *res, int n, double s, float *r)
{
	float c = (float)(LINE_TUKEY_C * s), t;
	int zero = 0;

	for (int i = 0; i < n; i++) {
		t = res[i] / c;
		r[i] = fabsf(t) < 1 ? (1 - t * t) * (1 - t * t) : 0;
		zero += r[i] == 0;
	}
	return zero;
}

static void line__estimate(const struct line_fit *bl, const struct line_prior *pr,
			   struct line_est *out)
{
	float r[LINE_WINDOW], res[LINE_WINDOW];
	double floor_w, info, sigma;
	struct line_pass f;

	memset(out, 0, sizeof(*out));
	out->intervals = bl->n;
	for (int i = 0; i < LINE_WINDOW; i++)
		r[i] = 1;
	line_fit_once(bl, r, pr, LINE_MIN_SCALE_W, &f);
	if (!bl->n) {
		out->src = f.L > 0 ? IDLE_PRIOR : IDLE_NONE;
		out->idle_w = f.a0;
		out->slope_w = f.b0;
		out->prior_idle_w = f.a0;
		out->prior_full_w = f.L;
		out->prior_share = f.L > 0 ? 1 : 0;
		return;
	}
	/*
	 * First the data as if exact (the floor of the scale), then
	 * LINE_PASSES passes of the biweight, each at the scale of the
	 * residuals of the fit before (measured again after the first two
	 * passes and for the report). The scale also says how much each point
	 * tells against the prior. The same window always gives the same fit.
	 */
	floor_w = fmax(LINE_MIN_SCALE_SHARE * f.L, LINE_MIN_SCALE_W);
	line_fit_once(bl, r, pr, floor_w, &f);
	sigma = fmax(line_residuals(bl, f.a, f.b, res, true), floor_w);
	for (int pass = 0; pass < LINE_PASSES; pass++) {
		line_biweight(res, bl->n, sigma, r);
		line_fit_once(bl, r, pr, sigma, &f);
		if (pass == 0 || pass == LINE_PASSES - 1)
			out->residual_w = line_residuals(bl, f.a, f.b, res, true);
		else
			line_residuals(bl, f.a, f.b, res, false);
		if (pass == 0)
			sigma = fmax(out->residual_w, floor_w);
	}
	out->outliers = line_biweight(res, bl->n, sigma, r);

	/*
	 * How much of a the prior decides: its precision 1 / sa^2 against the
	 * data's, W var / (var + mean^2) / sigma^2 for a line's intercept (W /
	 * sigma^2 when every point is at u = 0).
	 */
	if (f.uvar + f.umean * f.umean > 0)
		info = f.W * f.uvar / (f.uvar + f.umean * f.umean);
	else
		info = f.W;
	info /= sigma * sigma;
	out->prior_share = f.pa / (f.pa + info);
	out->idle_w = f.a;
	out->slope_w = f.b;
	out->prior_idle_w = f.a0;
	out->prior_full_w = f.L;
	out->util_mean = f.umean;
	out->util_spread = sqrt(f.uvar);
	if (out->prior_share >= LINE_PRIOR_SHARE)
		out->src = IDLE_PRIOR;
	else if (out->prior_share <= LINE_FIT_SHARE)
		out->src = IDLE_FIT;
	else
		out->src = IDLE_BLEND;
}

#endif /* __LINE02_H */

// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The idle baseline from power against utilisation; see include/baseline.h. */
#include <errno.h>
#include <math.h>
#include <string.h>
#include "baseline.h"

#define MAD_TO_SIGMA	1.4826	/* median absolute deviation -> standard deviation (normal) */
#define MIN_SCALE_SHARE	0.005	/* the residual scale is at least this share of L ... */
#define MIN_SCALE_W	0.01	/* ... and this many watts, so exact data keeps its points */

void baseline__init(struct baseline *b)
{
	memset(b, 0, sizeof(*b));
}

int baseline__add(struct baseline *b, double util, double watts, double dt_s)
{
	float decay;

	if (!isfinite(watts) || watts < 0 || !isfinite(dt_s) || dt_s < 0 || !isfinite(util))
		return -EINVAL;
	if (util < 0)
		util = 0;
	if (util > 1)
		util = 1;
	decay = (float)exp2(-dt_s / BASELINE_HALF_LIFE_S);
	for (int i = 0; i < b->n; i++)
		b->w[i] *= decay;
	b->u[b->head] = (float)util;
	b->p[b->head] = (float)watts;
	b->w[b->head] = 1;
	b->head = (b->head + 1) % BASELINE_WINDOW;
	if (b->n < BASELINE_WINDOW)
		b->n++;
	return 0;
}

int baseline__restore(struct baseline *b, double util, double watts, double weight)
{
	if (!isfinite(util) || util < 0 || util > 1 || !isfinite(watts) || watts < 0 ||
	    !isfinite(weight) || weight <= 0 || weight > 1)
		return -EINVAL;
	b->u[b->head] = (float)util;
	b->p[b->head] = (float)watts;
	b->w[b->head] = (float)weight;
	b->head = (b->head + 1) % BASELINE_WINDOW;
	if (b->n < BASELINE_WINDOW)
		b->n++;
	return 0;
}

/* The k-th smallest of v[0..n) (v is reordered): Hoare's selection. */
static float select_kth(float *v, int n, int k)
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

/* One weighted fit: the data with weights w * r, the prior's two pseudo-points, the bounds. */
struct fit {
	double a, b;
	double L, a0, k;	/* the prior as used: full load, idle, pseudo-point weight */
	double W, umean, uvar;	/* the data's weight, mean and variance of u */
};

static void fit_once(const struct baseline *bl, const float *r, const struct baseline_prior *pr,
		     struct fit *f)
{
	double s0 = 0, su = 0, sp = 0, suu = 0, sup = 0, det, bmin, bmax, frac = pr->idle_fraction;

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
	/* without data the prior is all there is */
	f->k = s0 > 0 ? BASELINE_PRIOR_WEIGHT * s0 / 2 : 1;
	s0 += 2 * f->k;
	su += f->k;
	sp += f->k * (f->a0 + f->L);
	suu += f->k;
	sup += f->k * f->L;

	det = s0 * suu - su * su;	/* > 0: the pseudo-points sit at u = 0 and u = 1 */
	f->b = (s0 * sup - su * sp) / det;
	bmin = pr->min_slope * (f->L - f->a0);
	bmax = BASELINE_MAX_SLOPE * f->L;
	if (bmin < 0)
		bmin = 0;
	if (f->b < bmin)
		f->b = bmin;
	if (f->b > bmax)
		f->b = bmax;
	f->a = (sp - f->b * su) / s0;
	if (f->a < 0) {
		/* through the origin, within the same bounds */
		f->a = 0;
		f->b = fmin(fmax(sup / suu, bmin), bmax);
	}
}

/* Residuals of the points from a + b u; 1.4826 x their median absolute value if scale. */
static double residuals(const struct baseline *bl, double a, double b, float *res, bool scale)
{
	float tmp[BASELINE_WINDOW];

	for (int i = 0; i < bl->n; i++) {
		res[i] = bl->p[i] - (float)(a + b * bl->u[i]);
		tmp[i] = fabsf(res[i]);
	}
	return scale ? MAD_TO_SIGMA * select_kth(tmp, bl->n, bl->n / 2) : 0;
}

/* Biweight weights of residuals at scale s (c = 4.685 s); the number given 0. */
static int biweight(const float *res, int n, double s, float *r)
{
	float c = (float)(BASELINE_TUKEY_C * s), t;
	int zero = 0;

	for (int i = 0; i < n; i++) {
		t = res[i] / c;
		r[i] = fabsf(t) < 1 ? (1 - t * t) * (1 - t * t) : 0;
		zero += r[i] == 0;
	}
	return zero;
}

void baseline__estimate(const struct baseline *bl, const struct baseline_prior *pr,
			struct baseline_est *out)
{
	float r[BASELINE_WINDOW], res[BASELINE_WINDOW];
	double floor_w, info, scale;
	struct fit f;

	memset(out, 0, sizeof(*out));
	out->intervals = bl->n;
	for (int i = 0; i < BASELINE_WINDOW; i++)
		r[i] = 1;
	fit_once(bl, r, pr, &f);
	if (!bl->n) {
		out->src = f.L > 0 ? IDLE_PRIOR : IDLE_NONE;
		out->idle_w = f.a0;
		out->slope_w = f.L - f.a0;
		out->prior_idle_w = f.a0;
		out->prior_full_w = f.L;
		out->prior_share = f.L > 0 ? 1 : 0;
		return;
	}
	/*
	 * From least squares, BASELINE_PASSES passes of the biweight; the scale
	 * is taken from the residuals of least squares and again after the
	 * first pass, whose line no longer leans towards the outliers. The same
	 * window always gives the same baseline.
	 */
	floor_w = fmax(MIN_SCALE_SHARE * f.L, MIN_SCALE_W);
	scale = residuals(bl, f.a, f.b, res, true);
	for (int pass = 0; pass < BASELINE_PASSES; pass++) {
		biweight(res, bl->n, fmax(scale, floor_w), r);
		fit_once(bl, r, pr, &f);
		/* the scale again after the first pass and for the report */
		if (pass == 0 || pass == BASELINE_PASSES - 1)
			scale = residuals(bl, f.a, f.b, res, true);
		else
			residuals(bl, f.a, f.b, res, false);
	}
	out->residual_w = scale;
	out->outliers = biweight(res, bl->n, fmax(scale, floor_w), r);

	/*
	 * How much of a the prior decides: its pseudo-point at u = 0 weighs k;
	 * the data tell a with the precision W var / (var + mean^2) of a line's
	 * intercept (W itself when every point is at u = 0).
	 */
	if (f.uvar + f.umean * f.umean > 0)
		info = f.W * f.uvar / (f.uvar + f.umean * f.umean);
	else
		info = f.W;
	out->prior_share = f.k / (f.k + info);
	out->idle_w = f.a;
	out->slope_w = f.b;
	out->prior_idle_w = f.a0;
	out->prior_full_w = f.L;
	out->util_mean = f.umean;
	out->util_spread = sqrt(f.uvar);
	if (out->prior_share >= BASELINE_PRIOR_SHARE)
		out->src = IDLE_PRIOR;
	else if (out->prior_share <= BASELINE_FIT_SHARE)
		out->src = IDLE_FIT;
	else
		out->src = IDLE_BLEND;
}

const char *idle_source_name(enum idle_source s)
{
	switch (s) {
	case IDLE_FLAG:
		return "flag";
	case IDLE_MODEL:
		return "model";
	case IDLE_PRIOR:
		return "prior";
	case IDLE_BLEND:
		return "blend";
	case IDLE_FIT:
		return "fit";
	default:
		return "none";
	}
}

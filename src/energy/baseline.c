// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* A power domain's curve from power against utilisation; see energy/baseline.h. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "energy/baseline.h"
#include "lib/linalg.h"
#include "lib/util.h"

#define K		CURVE_KNOTS
#define MAD_TO_SIGMA	1.4826	/* median absolute deviation -> standard deviation (normal) */
#define MIN_SCALE_SHARE	0.005	/* the residual scale is at least this share of L ... */
#define MIN_SCALE_W	0.01	/* ... and this many watts, so exact data keeps its points */
#define FORGET_WEIGHT	(1.0 / 1024)	/* a point this light (100 minutes old) goes first */
#define SLOPE_PENALTY	1e6	/* weight of the full-load-above-idle floor when it binds */

void baseline__init(struct baseline *b)
{
	zero_lazily(b, sizeof(*b));	/* a socket or GPU the machine lacks: untouched */
}

static int bin_of(float u)
{
	int k = (int)(u * BASELINE_BINS);

	return k < BASELINE_BINS ? k : BASELINE_BINS - 1;
}

/*
 * The point a new one replaces in a full window: one that has aged to almost
 * nothing, else the oldest (lightest) of the fullest bins.
 */
static int victim(const struct baseline *b)
{
	int count[BASELINE_BINS] = { 0 }, most = 0, v = 0;

	for (int i = 0; i < b->n; i++) {
		if (b->w[i] < b->w[v])
			v = i;
		count[bin_of(b->u[i])]++;
	}
	if (b->w[v] < FORGET_WEIGHT)
		return v;
	for (int k = 0; k < BASELINE_BINS; k++)
		if (count[k] > most)
			most = count[k];
	v = -1;
	for (int i = 0; i < b->n; i++)
		if (count[bin_of(b->u[i])] == most && (v < 0 || b->w[i] < b->w[v]))
			v = i;
	return v;
}

static void put(struct baseline *b, float u, float p, float w)
{
	int i = b->n < BASELINE_WINDOW ? b->n++ : victim(b);

	b->u[i] = u;
	b->p[i] = p;
	b->w[i] = w;
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
	put(b, (float)util, (float)watts, 1);
	return 0;
}

int baseline__offer(struct baseline *b, bool have, double util, double watts, double dt_s)
{
	bool after_gap = b->after_gap;

	if (!have) {
		b->held = false;	/* it ran up to the gap: partly counted */
		b->after_gap = true;
		return 0;
	}
	if (b->held)
		baseline__add(b, b->held_u, b->held_p, b->held_dt);
	b->held = false;
	b->after_gap = false;
	if (after_gap)		/* it ran on from the gap: partly counted */
		return 0;
	if (!isfinite(watts) || watts < 0 || !isfinite(dt_s) || dt_s < 0 || !isfinite(util))
		return -EINVAL;
	b->held = true;
	b->held_u = util;
	b->held_p = watts;
	b->held_dt = dt_s;
	return 0;
}

int baseline__restore(struct baseline *b, double util, double watts, double weight)
{
	if (!isfinite(util) || util < 0 || util > 1 || !isfinite(watts) || watts < 0 ||
	    !isfinite(weight) || weight <= 0 || weight > 1)
		return -EINVAL;
	put(b, (float)util, (float)watts, (float)weight);
	return 0;
}

/*
 * The k-th smallest of v[0..n), all >= 0: a radix select on their bits, which
 * order as the floats do when none is negative (the sign bit is 0), the
 * exponent first, then the mantissa a byte at a time. Any exact selection
 * gives the same value; this one has no data-dependent branch, where Hoare's
 * mispredicted half its comparisons on residuals that are noise (it was a
 * third of an estimate).
 */
static float select_kth(const float *v, int n, int k)
{
	/* bits 30..23 (the exponent), 22..15, 14..7, 6..0 */
	static const int shift[] = { 23, 15, 7, 0 }, mask[] = { 0xff, 0xff, 0xff, 0x7f };
	uint32_t key[BASELINE_WINDOW], prefix = 0;
	float kth;

	memcpy(key, v, sizeof(float) * n);
	for (int d = 0; d < 4 && n > 1; d++) {
		int count[256] = { 0 }, b = 0, m = 0;

		for (int i = 0; i < n; i++)
			count[key[i] >> shift[d] & mask[d]]++;
		while (k >= count[b])
			k -= count[b++];
		prefix |= (uint32_t)b << shift[d];
		/* keep those of digit b, in place */
		for (int i = 0; i < n; i++) {
			key[m] = key[i];
			m += (key[i] >> shift[d] & mask[d]) == (uint32_t)b;
		}
		n = m;
	}
	if (n == 1)
		prefix = key[0];
	memcpy(&kth, &prefix, sizeof(kth));
	return kth;
}

/* The hat functions at u: P(u) = (1 - t) theta[k] + t theta[k + 1]. */
static int hat(double u, double *t)
{
	int k;

	if (!(u > 0)) {
		*t = 0;
		return 0;
	}
	if (u >= 1) {
		*t = 1;
		return K - 2;
	}
	k = (int)(u * (K - 1));
	*t = u * (K - 1) - k;
	return k;
}

static double curve_at(const double *theta, double u)
{
	double t;
	int k = hat(u, &t);

	return (1 - t) * theta[k] + t * theta[k + 1];
}

/*
 * The points of an estimate, grouped by the knot interval they fall in (a
 * counting sort, once per estimate), so that each pass over them keeps one
 * interval's sums and knots in registers.
 */
struct points {
	int n;
	int start[K];			/* interval k holds [start[k], start[k + 1]) */
	float u[BASELINE_WINDOW], p[BASELINE_WINDOW], w[BASELINE_WINDOW];
	float t[BASELINE_WINDOW];	/* how far from knot k towards k + 1, 0..1 */
};

static void group(const struct baseline *bl, struct points *pt)
{
	unsigned char kof[BASELINE_WINDOW];
	int next[K] = { 0 };

	pt->n = bl->n;
	for (int i = 0; i < bl->n; i++) {
		double t;

		kof[i] = (unsigned char)hat(bl->u[i], &t);
		next[kof[i] + 1]++;
	}
	for (int k = 1; k < K; k++)
		next[k] += next[k - 1];
	memcpy(pt->start, next, sizeof(next));
	for (int i = 0; i < bl->n; i++) {
		int j = next[kof[i]]++;

		pt->u[j] = bl->u[i];
		pt->p[j] = bl->p[i];
		pt->w[j] = bl->w[i];
		pt->t[j] = bl->u[i] * (K - 1) - kof[i];
		if (pt->t[j] > 1)
			pt->t[j] = 1;
	}
}

/* One fit's prior (in watts), its working state, and what the data weighed. */
struct fit {
	const struct curve_prior *cp;
	double L;			/* full-load power the prior is scaled by */
	double q[K * K], qm[K];		/* the prior's precision, and precision x mean */
	double bmin;			/* P(1) - P(0) >= bmin */
	double mean[K];			/* the posterior mean */
	double theta[K];		/* the curve: the plausible one nearest to it */
	double h[K * K];		/* sigma^2 q + data: the posterior precision x sigma^2 */
	double chol[K * K];		/* its Cholesky factor */
	double W, umean, uvar, umin;	/* the data's weight, mean, variance and least u */
};

static void prior_setup(const struct baseline *bl, const struct baseline_prior *pr,
			struct fit *f)
{
	const struct curve_prior *cp = pr->shape;

	f->cp = cp;
	if (pr->full_w > 0) {
		f->L = pr->full_w;
	} else {
		double sp = 0, sm = 0;

		for (int i = 0; i < bl->n; i++) {
			sp += (double)bl->w[i] * bl->p[i];
			sm += bl->w[i] * curve_prior__mean_at(cp, bl->u[i]);
		}
		f->L = sm > 0 ? fmax(sp / sm, MIN_SCALE_W) : 0;
	}
	if (f->L <= 0)
		return;
	for (int k = 0; k < K; k++) {
		double il = 1 / f->L;

		f->qm[k] = 0;
		for (int l = 0; l < K; l++) {
			f->q[k * K + l] = cp->prec[k * K + l] * il * il;
			f->qm[k] += cp->prec[k * K + l] * cp->mean[l] * il;
		}
	}
	f->bmin = fmax(pr->min_slope, 0) * (1 - cp->mean[0]) * f->L;
}

static bool feasible(const double *theta, double bmin)
{
	if (theta[0] < 0 || theta[K - 1] - theta[0] < bmin * (1 - 1e-9))
		return false;
	for (int k = 1; k < K; k++)
		if (theta[k] < theta[k - 1])
			return false;
	return true;
}

/*
 * The curve nearest to theta in the metric h that is >= 0, non-decreasing and
 * rises by bmin at least: theta = T d with T lower-triangular ones, so d (its
 * first value and its steps) >= 0 is a non-negative quadratic program. Its
 * active-set loop starts from the steps of theta that rise (the minimiser
 * without the constraint is theta itself): the nearest monotone curve
 * mostly flattens where theta falls and keeps the rest, so it takes one or two
 * solves where a cold start takes one per step that rises.
 */
static void project(const double *h, double *theta, double bmin)
{
	double rows[K * K], hd[K * K], gd[K], y[K], d[K], rise = 0;
	bool rises[K];

	/* y = h theta; gd = T^T y; hd = T^T h T, both by suffix sums */
	for (int k = 0; k < K; k++) {
		y[k] = 0;
		for (int l = 0; l < K; l++)
			y[k] += h[k * K + l] * theta[l];
	}
	for (int i = K - 1; i >= 0; i--)
		gd[i] = y[i] + (i < K - 1 ? gd[i + 1] : 0);
	for (int k = 0; k < K; k++)
		for (int j = K - 1; j >= 0; j--)
			rows[k * K + j] = h[k * K + j] + (j < K - 1 ? rows[k * K + j + 1] : 0);
	for (int i = K - 1; i >= 0; i--)
		for (int j = 0; j < K; j++)
			hd[i * K + j] = rows[i * K + j] + (i < K - 1 ? hd[(i + 1) * K + j] : 0);
	for (int k = 0; k < K; k++)
		rises[k] = (k ? theta[k] - theta[k - 1] : theta[0]) > 0;
	if (linalg_nnqp_from(hd, gd, K, d, rises))
		return;
	for (int j = 1; j < K; j++)
		rise += d[j];
	if (rise < bmin) {
		/*
		 * the floor binds: hold P(1) - P(0) at it. A cold start: the
		 * penalty makes the program stiff, and its loop stops where
		 * the gradient is below a tolerance the penalty sets, a point
		 * that depends on the path (rare: the final curve only).
		 */
		double m = 0;

		for (int i = 0; i < K; i++)
			m = fmax(m, hd[i * K + i]);
		m *= SLOPE_PENALTY;
		for (int i = 1; i < K; i++) {
			gd[i] += m * bmin;
			for (int j = 1; j < K; j++)
				hd[i * K + j] += m;
		}
		if (linalg_nnqp(hd, gd, K, d))
			return;
	}
	theta[0] = d[0];
	for (int k = 1; k < K; k++)
		theta[k] = theta[k - 1] + d[k];
}

/* Tukey's biweight of a residual over c x its scale: 0 beyond 1. */
static inline float tukey(float t)
{
	return fabsf(t) < 1 ? (1 - t * t) * (1 - t * t) : 0;
}

/*
 * The data's part of a fit: with the points weighing v, the normal equations
 * of the hat functions (a: upper triangle, tridiagonal; b: right side) and the
 * weight of the data.
 */
struct normal_eqs {
	double a[K * K], b[K], W;
};

/*
 * The sums of knot interval k's points into the equations, with weights
 * v = w r, r the biweight of their residual at 1 / ic of scale: the one from
 * the curve (t0 at the knot, rising dt to the next) or, if !fresh, the one in
 * res; if !weigh, r = 1. Inlined with constant flags: one loop per kind,
 * without a branch per point.
 */
static inline __attribute__((always_inline)) void
gather_interval(const struct points *pt, int k, bool weigh, bool fresh, float t0, float dt,
		const float *res, float ic, struct normal_eqs *ne)
{
	/* sums of v, v t, v t^2, v p, v p t over the interval's points */
	double s0 = 0, s1 = 0, st = 0, b0 = 0, b1 = 0;

	for (int i = pt->start[k]; i < pt->start[k + 1]; i++) {
		float e = fresh ? pt->p[i] - (t0 + pt->t[i] * dt) : weigh ? res[i] : 0;
		float r = weigh ? tukey(e * ic) : 1;
		double v = (double)pt->w[i] * r, vt = v * pt->t[i];

		s0 += v;
		s1 += vt;
		st += vt * pt->t[i];
		b0 += v * pt->p[i];
		b1 += vt * pt->p[i];
	}
	/* hats 1 - t and t: (1 - t)^2 = 1 - 2t + t^2, (1 - t) t = t - t^2 */
	ne->a[k * K + k] += s0 - 2 * s1 + st;
	ne->a[k * K + k + 1] += s1 - st;
	ne->a[(k + 1) * K + k + 1] += st;
	ne->b[k] += b0 - b1;
	ne->b[k + 1] += b1;
	ne->W += s0;
}

/*
 * The equations of a fit whose weights are the biweight of the residuals at
 * scale s: those from the curve theta, or when theta is NULL those in res;
 * s 0: every weight 1. One pass over the points, each point's residual,
 * weight and sums while its data are at hand (the passes are most of an
 * estimate's cost, and each went over the points three times).
 */
static void gather(const struct points *pt, const double *theta, const float *res, double s,
		   struct normal_eqs *ne)
{
	float ic = s > 0 ? (float)(1 / (BASELINE_TUKEY_C * s)) : 0;

	memset(ne, 0, sizeof(*ne));
	for (int k = 0; k < K - 1; k++) {
		if (!(s > 0))
			gather_interval(pt, k, false, false, 0, 0, res, ic, ne);
		else if (!theta)
			gather_interval(pt, k, true, false, 0, 0, res, ic, ne);
		else
			gather_interval(pt, k, true, true, (float)theta[k],
					(float)(theta[k + 1] - theta[k]), res, ic, ne);
	}
}

/*
 * One fit: the posterior mean of the curve given the points as in ne, each
 * of variance sigma^2 / weight, then the nearest curve that is >= 0 and
 * non-decreasing. (The floor on its rise is put on the final curve only:
 * put on every pass, a counter that does not follow load would have its
 * points at both ends, where the rise goes, thrown out as outliers.)
 */
static void fit_once(const struct normal_eqs *ne, double sigma, struct fit *f)
{
	double *h = f->h, s2 = sigma * sigma;

	f->W = ne->W;
	for (int k = 0; k < K; k++) {
		for (int l = 0; l < K; l++) {
			double al = l >= k ? ne->a[k * K + l] : ne->a[l * K + k];

			h[k * K + l] = s2 * f->q[k * K + l] + al;
		}
		f->theta[k] = s2 * f->qm[k] + ne->b[k];
	}
	memcpy(f->chol, h, sizeof(f->chol));
	if (linalg_cholesky(f->chol, K))
		return;	/* cannot happen: the prior's precision is positive definite */
	linalg_chol_solve(f->chol, K, f->theta);
	memcpy(f->mean, f->theta, sizeof(f->mean));
	if (!feasible(f->theta, 0))
		project(h, f->theta, 0);
}

/*
 * The residuals of the points from the curve into res, and 1.4826 x the
 * median absolute value of those of the points that still weigh something
 * (a point 100 minutes old weighs under 1/1024 in the fit, and does not set
 * its scale either).
 */
static double scale_of(const struct points *pt, const double *theta, float *res)
{
	float tmp[BASELINE_WINDOW];
	int m = 0;

	for (int k = 0; k < K - 1; k++) {
		float t0 = (float)theta[k], dt = (float)(theta[k + 1] - theta[k]);

		for (int i = pt->start[k]; i < pt->start[k + 1]; i++) {
			res[i] = pt->p[i] - (t0 + pt->t[i] * dt);
			tmp[m] = fabsf(res[i]);
			m += pt->w[i] >= FORGET_WEIGHT;
		}
	}
	if (!m)
		for (int i = 0; i < pt->n; i++)
			tmp[m++] = fabsf(res[i]);
	return MAD_TO_SIGMA * select_kth(tmp, m, m / 2);
}

/*
 * The biweight of the residuals at scale s: the number of points it gives
 * weight 0, and the weighted mean, variance and least value of u over the
 * points that weigh.
 */
static int tally(const struct points *pt, const float *res, double s, struct fit *f)
{
	float ic = (float)(1 / (BASELINE_TUKEY_C * s));
	double su = 0, suu = 0, W = 0;
	int zero = 0;

	f->umin = 1;
	for (int i = 0; i < pt->n; i++) {
		float r = tukey(res[i] * ic);
		double v = (double)pt->w[i] * r, u = pt->u[i];

		zero += r == 0;
		if (!(v > 0))
			continue;
		W += v;
		su += v * u;
		suu += v * u * u;
		if (u < f->umin)
			f->umin = u;
	}
	f->umean = W > 0 ? su / W : 0;
	f->uvar = W > 0 ? fmax(suu / W - f->umean * f->umean, 0) : 0;
	return zero;
}

/* What the prior alone says: its mean curve and the 95% of its idle. */
static void prior_only(const struct fit *f, struct baseline_est *out)
{
	double sd = f->L * sqrt(f->cp->var[0]);

	out->src = IDLE_PRIOR;
	for (int k = 0; k < K; k++)
		out->curve_w[k] = f->L * f->cp->mean[k];
	out->idle_w = out->curve_w[0];
	out->idle_lo_w = fmax(out->idle_w - BASELINE_RANGE_SIGMAS * sd, 0);
	out->idle_hi_w = fmin(out->idle_w + BASELINE_RANGE_SIGMAS * sd, out->curve_w[K - 1]);
	out->slope_w = out->curve_w[K - 1] - out->idle_w;
	out->prior_share = 1;
}

void baseline__estimate(const struct baseline *bl, const struct baseline_prior *pr,
			struct baseline_est *out)
{
	double floor_w, sigma, var, prior_var, sd, cap;
	float res[BASELINE_WINDOW];
	struct fit f = { 0 };
	struct normal_eqs ne;
	struct points pt;
	bool stored;

	memset(out, 0, sizeof(*out));
	out->intervals = bl->n;
	if (!pr->shape)
		return;
	prior_setup(bl, pr, &f);
	if (f.L <= 0)
		return;
	out->prior_full_w = f.L;
	out->prior_idle_w = f.L * f.cp->mean[0];
	if (!bl->n) {
		prior_only(&f, out);
		return;
	}
	group(bl, &pt);
	/*
	 * First the data as if exact (the floor of the scale, every weight 1),
	 * then BASELINE_PASSES passes of the biweight, each at the scale of the
	 * residuals of the fit before (measured again after the first pass and
	 * for the report after the last). The scale also says how much each
	 * point tells against the prior. The same window always gives the same
	 * fit.
	 */
	floor_w = fmax(MIN_SCALE_SHARE * f.L, MIN_SCALE_W);
	gather(&pt, NULL, NULL, 0, &ne);
	fit_once(&ne, floor_w, &f);
	sigma = fmax(scale_of(&pt, f.theta, res), floor_w);
	stored = true;
	for (int pass = 0; pass < BASELINE_PASSES; pass++) {
		/* the residuals of the fit before: in res if its scale was measured */
		gather(&pt, stored ? NULL : f.theta, res, sigma, &ne);
		fit_once(&ne, sigma, &f);
		stored = pass == 0 || pass == BASELINE_PASSES - 1;
		if (stored)
			out->residual_w = scale_of(&pt, f.theta, res);
		if (pass == 0)
			sigma = fmax(out->residual_w, floor_w);
	}
	out->outliers = tally(&pt, res, sigma, &f);
	if (!feasible(f.theta, f.bmin)) {
		memcpy(f.theta, f.mean, sizeof(f.theta));
		project(f.h, f.theta, f.bmin);
	}

	/* the posterior variance of P(0) against the prior's, beyond its level */
	{
		double e0[K] = { 1 };

		linalg_chol_solve(f.chol, K, e0);
		var = sigma * sigma * e0[0];
	}
	prior_var = f.L * f.L * f.cp->shape_var[0];
	out->prior_share = fmin(fmax(var / prior_var, 0), 1);
	memcpy(out->curve_w, f.theta, sizeof(f.theta));
	out->idle_w = f.theta[0];
	out->slope_w = f.theta[K - 1] - f.theta[0];
	sd = sqrt(fmax(var, 0));
	cap = f.W > 0 ? curve_at(f.theta, f.umin) : f.theta[K - 1];
	out->idle_lo_w = fmin(fmax(out->idle_w - BASELINE_RANGE_SIGMAS * sd, 0), out->idle_w);
	out->idle_hi_w = fmax(fmin(out->idle_w + BASELINE_RANGE_SIGMAS * sd, cap), out->idle_w);
	out->util_mean = f.umean;
	out->util_spread = sqrt(f.uvar);
	if (out->prior_share >= BASELINE_PRIOR_SHARE)
		out->src = IDLE_PRIOR;
	else if (out->prior_share <= BASELINE_FIT_SHARE)
		out->src = IDLE_FIT;
	else
		out->src = IDLE_BLEND;
}

double baseline_est__at(const struct baseline_est *e, double u)
{
	return curve_at(e->curve_w, u);
}

// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The prior over a domain's power curve; see energy/curve_prior.h. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "energy/curve_prior.h"
#include "lib/linalg.h"

#define K	CURVE_KNOTS

int curve_prior__init(struct curve_prior *cp, const struct power_shape *shapes, int n)
{
	double x[K], cov[K * K] = { 0 };

	if (n < 1)
		return -EINVAL;
	memset(cp, 0, sizeof(*cp));
	for (int j = 0; j < n; j++) {
		double full = shapes[j].w[K - 1];

		if (!(full > 0) || !(shapes[j].w[0] >= 0))
			return -EINVAL;
		for (int k = 0; k < K; k++) {
			if (k && !(shapes[j].w[k] >= shapes[j].w[k - 1]))
				return -EINVAL;
			cp->mean[k] += shapes[j].w[k] / full / n;
		}
	}
	/* the family's spread: its sample covariance */
	for (int j = 0; n > 1 && j < n; j++) {
		for (int k = 0; k < K; k++)
			x[k] = shapes[j].w[k] / shapes[j].w[K - 1] - cp->mean[k];
		for (int k = 0; k < K; k++)
			for (int l = 0; l < K; l++)
				cov[k * K + l] += x[k] * x[l] / (n - 1);
	}
	/* the level, and the freedom beyond the family */
	for (int k = 0; k < K; k++) {
		for (int l = 0; l < K; l++) {
			double du = (double)abs(k - l) / (K - 1);

			cov[k * K + l] += CURVE_LEVEL_SPREAD * CURVE_LEVEL_SPREAD * cp->mean[k] *
					  cp->mean[l] +
					  CURVE_FLEX * CURVE_FLEX * exp(-du / CURVE_FLEX_LENGTH);
		}
		cp->var[k] = cov[k * K + k];
		cp->shape_var[k] = cp->var[k] - CURVE_LEVEL_SPREAD * CURVE_LEVEL_SPREAD *
						 cp->mean[k] * cp->mean[k];
	}
	return linalg_spd_inverse(cov, K, cp->prec) ? -EINVAL : 0;
}

double curve_prior__mean_at(const struct curve_prior *cp, double u)
{
	double t;
	int k;

	if (!(u > 0))
		return cp->mean[0];
	if (u >= 1)
		return cp->mean[K - 1];
	t = u * (K - 1);
	k = (int)t;
	t -= k;
	return cp->mean[k] * (1 - t) + cp->mean[k + 1] * t;
}

int curve_prior__lines(struct curve_prior *cp, double idle_fraction)
{
	struct power_shape lines[3] = { { "line" }, { "line" }, { "line" } };
	double f = idle_fraction, d = fmin(f, 1 - f) / 2, idle[3] = { f - d, f, f + d };

	if (!(f >= 0 && f < 1))
		return -EINVAL;
	for (int j = 0; j < 3; j++)
		for (int k = 0; k < K; k++)
			lines[j].w[k] = idle[j] + (1 - idle[j]) * k / (K - 1);
	return curve_prior__init(cp, lines, 3);
}

static struct curve_prior package_prior, dram_prior;
static pthread_once_t priors_once = PTHREAD_ONCE_INIT;

static void build_priors(void)
{
	curve_prior__init(&package_prior, specpower_results, specpower_nr_results);
	curve_prior__lines(&dram_prior, 0.5);
}

const struct curve_prior *curve_prior__package(void)
{
	pthread_once(&priors_once, build_priors);
	return &package_prior;
}

const struct curve_prior *curve_prior__dram(void)
{
	pthread_once(&priors_once, build_priors);
	return &dram_prior;
}

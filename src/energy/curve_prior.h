/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * What a power domain's curve P(u) is believed to look like before any
 * interval is seen: a Gaussian over its power at u = 0, 0.1, ..., 1 (the
 * steps at which SPECpower_ssj2008 publishes a server's power), built from
 * a family of curves known to be real. Pure: no I/O.
 *
 * Each curve of the family is normalised to its power at full load, x_j =
 * P_j / P_j(1). The prior on the normalised curve x of a new domain is
 *
 *     x ~ N(mu, C + s^2 mu mu^T + t^2 R)
 *
 * with mu the family's mean curve and C its covariance (how the published
 * curves differ: idle fraction, how steep the first 10%, how bent the rest);
 * s^2 mu mu^T the level, full-load power known to +-s (s = 0.5) of the
 * domain's limit; and t^2 R a little freedom beyond the family (t = 0.05 of
 * full load, R_kl = exp(-|u_k - u_l| / 0.2)), so data from a curve unlike
 * any published one can still be fitted. A domain's curve in watts is L x,
 * L its full-load power (its long-term limit).
 *
 * The covariance is what lets a host that is never idle know something of
 * its idle power: among the published servers, how a curve rises between 20%
 * and 100% says how far it falls below 20%.
 */
#ifndef __CURVE_PRIOR_H
#define __CURVE_PRIOR_H

#define CURVE_KNOTS		11	/* u = 0, 0.1, ..., 1 */
#define CURVE_LEVEL_SPREAD	0.5	/* full-load power known to +-50% of the limit */
#define CURVE_FLEX		0.05	/* freedom beyond the family, share of full load */
#define CURVE_FLEX_LENGTH	0.2	/* ... correlated over this much utilisation */

/* One published curve: power at active idle and at 10%, 20%, ..., 100% load. */
struct power_shape {
	const char *system;		/* vendor, model and processor */
	int year;			/* of publication */
	const char *result;		/* its page, under https://www.spec.org/power_ssj2008/results/ */
	double w[CURVE_KNOTS];
};

struct curve_prior {
	double mean[CURVE_KNOTS];	/* the normalised mean curve, mean[CURVE_KNOTS - 1] = 1 */
	double var[CURVE_KNOTS];	/* the prior variance of each knot (normalised) */
	double shape_var[CURVE_KNOTS];	/* ... of which not the level's: given full load */
	double prec[CURVE_KNOTS * CURVE_KNOTS];	/* the inverse of the covariance */
};

/*
 * The prior of a family of n >= 1 curves (each increasing, with a positive
 * power at full load). 0, or -EINVAL for a family that is not such curves.
 */
int curve_prior__init(struct curve_prior *cp, const struct power_shape *shapes, int n);
/* The normalised prior mean at utilisation u (0..1), by linear interpolation. */
double curve_prior__mean_at(const struct curve_prior *cp, double u);

/* The published SPECpower_ssj2008 results the package and platform prior is made of. */
extern const struct power_shape specpower_results[];
extern const int specpower_nr_results;

/* CPU packages and the platform (psys): the SPECpower family. Built once, shared. */
const struct curve_prior *curve_prior__package(void);
/*
 * DRAM: curve_prior__lines(0.5), straight lines whose idle is 25%, 50% or 75%
 * of full load (refresh and standby are most of its power; our assumption,
 * not a published figure).
 */
const struct curve_prior *curve_prior__dram(void);
/*
 * A domain with no published curves (a GPU, the platform's remainder): a
 * family of three straight lines whose idle is f - d, f and f + d of full
 * load, f = idle_fraction in [0, 1), d = min(f, 1 - f) / 2 (for DRAM, 0.5:
 * 0.25, 0.5, 0.75). The data bend the curve where they
 * are. 0, or -EINVAL for f out of range. Build it once (it inverts an 11 x 11
 * matrix) and point each domain's baseline_prior.shape at it.
 */
int curve_prior__lines(struct curve_prior *cp, double idle_fraction);

#endif /* __CURVE_PRIOR_H */

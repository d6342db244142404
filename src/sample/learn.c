// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* A domain's idle baseline, interval by interval; see sample/learn.h. */
#include "sample/learn.h"

__u64 learn__uj_of(double w, __u64 ns)
{
	double uj = w * (double)ns / 1e3;

	return uj > 0 ? (__u64)(uj + 0.5) : 0;
}

bool learn__time_whole(__u32 *left, __u64 dropped, __u32 window)
{
	if (dropped) {
		*left = window;
		return false;
	}
	if (!*left)
		return true;
	(*left)--;
	return false;
}

void learn__baseline(struct baseline *fit, bool have, bool whole, __u64 uj, double util,
		     __u64 dt, const struct baseline_prior *prior, const char *limit_from,
		     struct sample_baseline *sb)
{
	struct baseline_est e;

	/* a gap, whole or not, is offered: it drops its neighbours */
	if (dt && (whole || !have))
		baseline__offer(fit, have, util, have ? watts(uj, dt) : 0, dt / 1e9);
	baseline__estimate(fit, prior, &e);
	*sb = (struct sample_baseline){
		.have = e.src != IDLE_NONE, .idle_w = e.idle_w, .src = e.src,
		.prior_w = e.prior_idle_w,
		.prior_from = prior->full_w > 0 ? limit_from : "observed power",
		.prior_share = e.prior_share, .intervals = e.intervals, .outliers = e.outliers,
		.util_spread = e.util_spread, .residual_w = e.residual_w,
		.have_curve = e.src != IDLE_NONE, .idle_lo_w = e.idle_lo_w, .idle_hi_w = e.idle_hi_w,
	};
	for (int k = 0; k < SAMPLE_CURVE_POINTS; k++)
		sb->curve_w[k] = baseline_est__at(&e, (double)k / (SAMPLE_CURVE_POINTS - 1));
}

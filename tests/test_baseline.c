// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The idle baseline's estimator: power against utilisation, with a prior;
 * and the state file that keeps what it learnt across restarts.
 * Expected values are worked out by hand in the comments. The prior is
 * idle a0 = f L +- 50% and slope b0 = (1 - f) L +- 50%; exact data (its
 * residual scale at the floor, 0.005 L) weigh so much more that where they
 * fix a + b u the line goes through them, and the prior only decides what
 * they leave open, so the fit can be computed on paper.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include "energy/baseline.h"
#include "energy/baseline_state.h"

static struct baseline B;
static struct baseline_est E;

static void setup(void)
{
	baseline__init(&B);
}

TestSuite(baseline, .init = setup);

static void add_n(int n, double u, double w)
{
	for (int i = 0; i < n; i++)
		cr_assert_eq(baseline__add(&B, u, w, 1), 0);
}

static const struct baseline_prior quarter_of_40 = {
	.full_w = 40, .idle_fraction = 0.25, .min_slope = 0.3,
};

Test(baseline, nothing_seen_is_the_prior_or_none)
{
	struct baseline_prior none = { .idle_fraction = 0.25, .min_slope = 0.3 };

	baseline__estimate(&B, &quarter_of_40, &E);
	/* 0.25 x 40 W */
	cr_assert_eq(E.src, IDLE_PRIOR);
	cr_assert_float_eq(E.idle_w, 10, 1e-12);
	cr_assert_float_eq(E.prior_share, 1, 1e-12);
	cr_assert_eq(E.intervals, 0);

	baseline__estimate(&B, &none, &E);
	cr_assert_eq(E.src, IDLE_NONE);
	cr_assert_float_eq(E.idle_w, 0, 1e-12);
}

/*
 * Busy from the start: every interval at u = 1, 40 W; the prior says 10 +
 * 30 u, which agrees: a = 10, b = 30, from the prior alone (the data only
 * say a + b = 40).
 */
Test(baseline, busy_from_the_start_is_the_prior)
{
	for (int i = 0; i < 50; i++)
		baseline__add(&B, 1.0, 40, 0);
	baseline__estimate(&B, &quarter_of_40, &E);
	cr_assert_float_eq(E.idle_w, 10, 1e-9);
	cr_assert_float_eq(E.slope_w, 30, 1e-9);
	cr_assert_eq(E.src, IDLE_PRIOR);
	cr_assert_float_eq(E.prior_share, 1, 1e-9, "no spread: the data cannot tell a");
	cr_assert_eq(E.intervals, 50);
	cr_assert_float_eq(E.util_spread, 0, 1e-9);
}

/*
 * Busy from the start below the limit: u = 1 at 30 W, so a + b = 30; the
 * prior 10 +- 5 and 30 +- 15 share the 10 W it is off by their variances:
 * minimising (a - 10)^2 / 25 + (b - 30)^2 / 225 with a + b = 30 gives
 * b - 30 = 9 (a - 10), so a = 9, b = 21. (With the data's finite weight,
 * 40 points at 0.2 W: D = 1000, a = (2250 D + 10) / (250 D + 1) = 9.000004.)
 */
Test(baseline, busy_below_the_limit_moves_the_slope_more)
{
	for (int i = 0; i < 40; i++)
		baseline__add(&B, 1.0, 30, 0);
	baseline__estimate(&B, &quarter_of_40, &E);
	cr_assert_float_eq(E.idle_w, 9, 1e-4, "idle %.6f", E.idle_w);
	cr_assert_float_eq(E.slope_w, 21, 1e-4, "slope %.6f", E.slope_w);
	cr_assert_eq(E.src, IDLE_PRIOR);
}

/*
 * No limit known: the prior is scaled to the data. At u = 0.5 and 25 W,
 * L = 25 / (0.25 + 0.75 x 0.5) = 40, so the prior 10 + 30 u goes through
 * the data: a = 10, b = 30 exactly.
 */
Test(baseline, unknown_limit_scales_the_prior_to_the_data)
{
	struct baseline_prior scaled = { .idle_fraction = 0.25, .min_slope = 0.3 };

	add_n(30, 0.5, 25);
	baseline__estimate(&B, &scaled, &E);
	cr_assert_float_eq(E.prior_full_w, 40, 1e-9);
	cr_assert_float_eq(E.prior_idle_w, 10, 1e-9);
	cr_assert_float_eq(E.idle_w, 10, 1e-6);
	cr_assert_float_eq(E.slope_w, 30, 1e-6);
}

/* Exact data on 10 + 30u, at 0, 0.5 and 1, with a prior on the same line: exact. */
Test(baseline, exact_line_with_a_matching_prior)
{
	for (int i = 0; i < 20; i++) {
		baseline__add(&B, 0, 10, 0);
		baseline__add(&B, 0.5, 25, 0);
		baseline__add(&B, 1, 40, 0);
	}
	baseline__estimate(&B, &quarter_of_40, &E);
	cr_assert_float_eq(E.idle_w, 10, 1e-6);
	cr_assert_float_eq(E.slope_w, 30, 1e-6);
	cr_assert_eq(E.src, IDLE_FIT);
	cr_assert_eq(E.outliers, 0);
	/* u: a third each at 0, 0.5, 1: mean 0.5, variance 1/6 */
	cr_assert_float_eq(E.util_mean, 0.5, 1e-6);
	cr_assert_float_eq(E.util_spread, sqrt(1.0 / 6), 1e-6);
	cr_assert_float_eq(E.residual_w, 0, 1e-6);
}

/*
 * Half the intervals at u = 0 (10 W), half at u = 1 (40 W); a prior that
 * says idle is 20 +- 10 W (f = 0.5 of 40). The u = 0 points alone say
 * 10 W with a precision of 50 / 0.2^2 = 1250 against the prior's 1 / 10^2
 * = 0.01: a = (1250 x 10 + 0.01 x 20) / 1250.01 = 10.00008, and the
 * prior's share is 0.01 / (0.01 + 100 x 0.5 / 0.04) = 8e-6.
 */
Test(baseline, spread_data_outweighs_a_wrong_prior)
{
	struct baseline_prior wrong = { .full_w = 40, .idle_fraction = 0.5, .min_slope = 0.3 };

	for (int i = 0; i < 50; i++) {
		baseline__add(&B, 0, 10, 0);
		baseline__add(&B, 1, 40, 0);
	}
	baseline__estimate(&B, &wrong, &E);
	cr_assert_float_eq(E.idle_w, 10, 0.001, "idle %.5f", E.idle_w);
	cr_assert_eq(E.src, IDLE_FIT);
	cr_assert_float_eq(E.prior_share, 8e-6, 1e-6, "share %.7f", E.prior_share);
}

/*
 * A little spread at high load (u from 0.7 to 1, as on a host other work
 * keeps busy) and +-0.3 W of noise: the data tell the intercept well enough
 * (12 W, where a prior of 0.25 x 42 = 10.5 W would say otherwise) and win.
 */
Test(baseline, some_spread_at_high_load_is_enough)
{
	struct baseline_prior pr = { .full_w = 42, .idle_fraction = 0.25, .min_slope = 0.3 };
	unsigned int seed = 3;

	for (int i = 0; i < 120; i++) {
		double u = 0.7 + 0.3 * rand_r(&seed) / RAND_MAX;
		double noise = 0.6 * rand_r(&seed) / RAND_MAX - 0.3;

		baseline__add(&B, u, 12 + 30 * u + noise, 0.5);
	}
	baseline__estimate(&B, &pr, &E);
	cr_assert_float_eq(E.idle_w, 12, 0.6, "idle %.3f (prior share %.3f)", E.idle_w,
			   E.prior_share);
	cr_assert_lt(E.prior_share, 0.2, "prior share %.3f", E.prior_share);
}

/*
 * 120 intervals on 10 + 30u over u in [0, 1] with +-0.3 W of noise, then
 * spikes (200 W) and a counter read as stuck (0 W), a tenth of the points:
 * the biweight leaves them out and the line stays within 0.3 W.
 */
Test(baseline, outliers_are_left_out)
{
	unsigned int seed = 7;

	for (int i = 0; i < 120; i++) {
		double u = (i % 11) / 10.0, noise = 0.6 * rand_r(&seed) / RAND_MAX - 0.3;

		baseline__add(&B, u, 10 + 30 * u + noise, 1);
		if (i % 20 == 5)
			baseline__add(&B, u, 200, 1);
		if (i % 20 == 15)
			baseline__add(&B, u, 0, 1);
	}
	baseline__estimate(&B, &quarter_of_40, &E);
	cr_assert_float_eq(E.idle_w, 10, 0.3, "idle %.3f", E.idle_w);
	cr_assert_float_eq(E.slope_w, 30, 0.6, "slope %.3f", E.slope_w);
	cr_assert_geq(E.outliers, 12, "only %d outliers of 12", E.outliers);
	cr_assert_lt(E.residual_w, 0.5, "residual %.3f", E.residual_w);
}

/*
 * One quiet interval (5 W) or a stuck counter read as 0 W among 60 busy
 * ones does not set the baseline, as "the lowest power seen" did.
 */
Test(baseline, one_quiet_interval_does_not_set_the_baseline)
{
	add_n(60, 1.0, 40);
	baseline__add(&B, 1.0, 5, 1);
	baseline__add(&B, 1.0, 0, 1);
	baseline__estimate(&B, &quarter_of_40, &E);
	cr_assert_float_eq(E.idle_w, 10, 1e-6, "idle %.3f", E.idle_w);
	cr_assert_eq(E.outliers, 2);
}

/* Intervals without energy are never added: estimates without new points do not move. */
Test(baseline, absent_intervals_change_nothing)
{
	struct baseline_est again;

	for (int i = 0; i < 30; i++)
		baseline__add(&B, (i % 4) / 3.0, 12 + 20 * (i % 4) / 3.0, 1);
	baseline__estimate(&B, &quarter_of_40, &E);
	for (int i = 0; i < 5; i++)
		baseline__estimate(&B, &quarter_of_40, &again);
	cr_assert_float_eq(again.idle_w, E.idle_w, 1e-9);
	cr_assert_eq(again.intervals, 30);
	/* and what cannot be a measurement is refused */
	cr_assert_eq(baseline__add(&B, 0.5, NAN, 1), -EINVAL);
	cr_assert_eq(baseline__add(&B, 0.5, -1, 1), -EINVAL);
	cr_assert_eq(baseline__add(&B, 0.5, 20, INFINITY), -EINVAL);
	cr_assert_eq(baseline__add(&B, NAN, 20, 1), -EINVAL);
	cr_assert_eq(B.n, 30);
}

/*
 * Constant power whatever the load (the counter does not follow it): the
 * slope stays at its floor, 0.3 x (40 - 10) = 9 W, so idle takes neither
 * everything nor nothing.
 */
Test(baseline, constant_power_does_not_collapse)
{
	for (int i = 0; i < 100; i++)
		baseline__add(&B, (i % 5) / 4.0, 40, 1);
	baseline__estimate(&B, &quarter_of_40, &E);
	cr_assert_float_eq(E.slope_w, 9, 1e-9);
	cr_assert(E.idle_w > 0.05 * 40 && E.idle_w < 0.95 * 40, "idle %.3f of 40 W", E.idle_w);
	/* at the mean load, 0.5, the processes' share is 9 x 0.5 = 4.5 W */
	cr_assert_float_eq(40 - E.idle_w, 4.5, 0.5, "dynamic %.3f W", 40 - E.idle_w);
}

/*
 * A domain with no floor on its slope (DRAM): constant power is (almost) all
 * idle; the prior, scaled to the data (0.5 x 6.67 W at idle, 6.67 W at full
 * load), can hardly tilt data this exact.
 */
Test(baseline, constant_dram_is_idle)
{
	struct baseline_prior dram = { .idle_fraction = 0.5 };

	for (int i = 0; i < 100; i++)
		baseline__add(&B, (i % 5) / 4.0, 5, 1);
	baseline__estimate(&B, &dram, &E);
	cr_assert_float_eq(E.prior_full_w, 5 / 0.75, 0.01);
	cr_assert(E.idle_w > 4.85 && E.idle_w <= 5, "idle %.3f", E.idle_w);
	cr_assert_lt(E.slope_w, 0.3);
}

/* A line that would cross 0 above u = 0 (P = -5 + 40u) is held at a = 0. */
Test(baseline, idle_is_never_negative)
{
	for (int i = 0; i < 60; i++) {
		double u = 0.5 + (i % 6) / 10.0;

		baseline__add(&B, u, -5 + 40 * u, 1);
	}
	baseline__estimate(&B, &quarter_of_40, &E);
	cr_assert_float_eq(E.idle_w, 0, 1e-12);
	cr_assert_gt(E.slope_w, 30);
}

/*
 * Recent intervals count more: 40 on 10 + 30u, then 40 on 20 + 30u (and a
 * prior on the second line). With no time between them they weigh the same
 * (idle about 15); 10 minutes apart each (one half-life), the old ones weigh
 * 2^-40 or less (idle 20).
 */
Test(baseline, older_intervals_weigh_less)
{
	struct baseline_prior flat = { .full_w = 50, .idle_fraction = 0.4, .min_slope = 0 };

	for (int i = 0; i < 40; i++)
		baseline__add(&B, (i % 5) / 4.0, 10 + 30 * (i % 5) / 4.0, 0);
	for (int i = 0; i < 40; i++)
		baseline__add(&B, (i % 5) / 4.0, 20 + 30 * (i % 5) / 4.0, 0);
	baseline__estimate(&B, &flat, &E);
	cr_assert_float_eq(E.idle_w, 15, 0.5, "idle %.3f", E.idle_w);

	baseline__init(&B);
	for (int i = 0; i < 40; i++)
		baseline__add(&B, (i % 5) / 4.0, 10 + 30 * (i % 5) / 4.0, 600);
	for (int i = 0; i < 40; i++)
		baseline__add(&B, (i % 5) / 4.0, 20 + 30 * (i % 5) / 4.0, 600);
	baseline__estimate(&B, &flat, &E);
	cr_assert_float_eq(E.idle_w, 20, 0.2, "idle %.3f", E.idle_w);
}

Test(baseline, the_window_holds_the_last_256)
{
	add_n(300, 1.0, 40);
	cr_assert_eq(B.n, BASELINE_WINDOW);
	baseline__estimate(&B, &quarter_of_40, &E);
	cr_assert_eq(E.intervals, 256);
}

Test(baseline, source_names)
{
	cr_assert_str_eq(idle_source_name(IDLE_NONE), "none");
	cr_assert_str_eq(idle_source_name(IDLE_FLAG), "flag");
	cr_assert_str_eq(idle_source_name(IDLE_MODEL), "model");
	cr_assert_str_eq(idle_source_name(IDLE_PRIOR), "prior");
	cr_assert_str_eq(idle_source_name(IDLE_BLEND), "blend");
	cr_assert_str_eq(idle_source_name(IDLE_FIT), "fit");
	cr_assert_str_eq(idle_source_name((enum idle_source)77), "none");
}

/* --- the state file (--state-file) ------------------------------------------------ */

static struct baseline P0, D0, P1;

static char *write_state(__u64 now, const struct baseline_slot *slots, int n)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	cr_assert_not_null(f);
	cr_assert_eq(baseline_state__write(f, now, slots, n), 0);
	fclose(f);
	return text;
}

/* Written and read back at once, the fits are the same, point by point and in their estimates. */
Test(baseline_state, round_trip)
{
	struct baseline_slot slots[] = {
		{ 0, ENERGY_PACKAGE, &P0 }, { 0, ENERGY_DRAM, &D0 }, { 1, ENERGY_PACKAGE, &P1 },
	};
	struct baseline_est before, after;
	struct baseline a, c;
	char *text;
	int bad;

	baseline__init(&P0);
	baseline__init(&D0);
	baseline__init(&P1);
	for (int i = 0; i < 300; i++)	/* more than a window: the oldest are gone */
		baseline__add(&P0, (i % 7) / 6.0, 10 + 30 * (i % 7) / 6.0 + (i % 3) * 0.1, 1);
	for (int i = 0; i < 5; i++)
		baseline__add(&D0, i / 4.0, 3 + i / 4.0, 2);
	baseline__estimate(&P0, &quarter_of_40, &before);
	a = P0;
	c = D0;
	text = write_state(1000, slots, 3);
	cr_assert_not_null(strstr(text, "wattprobe-baselines 1\nwritten 1000\nfit 0 package 256\n"),
			   "%.80s", text);
	cr_assert_not_null(strstr(text, "fit 0 dram 5\n"));
	cr_assert_null(strstr(text, "fit 1 package"), "an empty fit is not written");

	baseline__init(&P0);
	baseline__init(&D0);
	cr_assert_eq(baseline_state__read(text, 1000, slots, 3, &bad), 2, "line %d", bad);
	cr_assert_eq(P0.n, 256);
	cr_assert_eq(D0.n, 5);
	baseline__estimate(&P0, &quarter_of_40, &after);
	cr_assert_float_eq(after.idle_w, before.idle_w, 1e-4);
	cr_assert_float_eq(after.slope_w, before.slope_w, 1e-4);
	/* oldest first, newest last, as they were */
	cr_assert_float_eq(D0.u[4], c.u[4], 1e-6);
	cr_assert_float_eq(D0.w[0], c.w[0], 1e-6);
	cr_assert_float_eq(P0.p[(P0.head + 255) % 256], a.p[(a.head + 255) % 256], 1e-5);
	free(text);
}

/* Down for one half-life (10 minutes): every weight is half what it was. */
Test(baseline_state, points_keep_ageing_while_down)
{
	struct baseline_slot slots[] = { { 3, ENERGY_PACKAGE, &P0 } };
	char *text;
	int bad;

	baseline__init(&P0);
	baseline__add(&P0, 0.5, 25, 0);
	baseline__add(&P0, 1.0, 40, 0);
	text = write_state(5000, slots, 1);
	cr_assert_eq(baseline_state__read(text, 5000 + 600, slots, 1, &bad), 1);
	cr_assert_float_eq(P0.w[0], 0.5, 1e-6);
	cr_assert_float_eq(P0.w[1], 0.5, 1e-6);
	/* a clock that went back is no reason to weigh more */
	cr_assert_eq(baseline_state__read(text, 10, slots, 1, &bad), 1);
	cr_assert_float_eq(P0.w[1], 1, 1e-6);
	free(text);
}

/* Sockets and domains this machine does not have are skipped; garbage is refused. */
Test(baseline_state, foreign_blocks_skipped_and_garbage_refused)
{
	struct baseline_slot slots[] = { { 0, ENERGY_PACKAGE, &P0 }, { -1, ENERGY_PSYS, &P1 } };
	static const char *const bad_files[] = {
		"",
		"wattprobe-baselines 2\nwritten 1\n",
		"wattprobe-baselines 1\nwritten x\n",
		"wattprobe-baselines 1\nwritten 1\nfit 0 package 2\n0.5 20 1\n",
		"wattprobe-baselines 1\nwritten 1\nfit 0 package 1\n1.5 20 1\n",
		"wattprobe-baselines 1\nwritten 1\nfit 0 package 1\n0.5 -20 1\n",
		"wattprobe-baselines 1\nwritten 1\nfit 0 package 1\n0.5 20 2\n",
		"wattprobe-baselines 1\nwritten 1\nfit 0 package 1\n0.5 nan 1\n",
		"wattprobe-baselines 1\nwritten 1\nfit 0 package 1\n0.5 20 1 7\n",
		"wattprobe-baselines 1\nwritten 1\nfit 0 package 999\n",
		"wattprobe-baselines 1\nwritten 1\nfit 9 gpu 1\n0.5 20 -1\n",
		"wattprobe-baselines 1\nwritten 1\nrm -rf /\n",
	};
	int bad;

	cr_assert_eq(baseline_state__read("wattprobe-baselines 1\nwritten 100\n"
					  "fit 7 package 1\n0.5 20 1\n"
					  "fit 0 gpu 1\n0.5 20 1\n"
					  "fit host psys 2\n0.1 50 1\n0.9 90 1\n"
					  "fit 0 package 1\n0.25 15 1\n", 100, slots, 2, &bad), 2);
	cr_assert_eq(P0.n, 1);
	cr_assert_float_eq(P0.p[0], 15, 1e-6);
	cr_assert_eq(P1.n, 2);
	for (size_t i = 0; i < sizeof(bad_files) / sizeof(bad_files[0]); i++)
		cr_assert_eq(baseline_state__read(bad_files[i], 100, slots, 2, &bad), -EINVAL,
			     "file %zu accepted", i);
}

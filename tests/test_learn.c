// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * What the fits learn from: an interval whose CPU time is short (records dropped)
 * or may be late (the window after it) is no point (sample/learn.h).
 */
#include <criterion/criterion.h>
#include <math.h>
#include "energy/curve_prior.h"
#include "sample/learn.h"

Test(learn, time_whole_after_a_window)
{
	__u32 left = 0;

	cr_expect(learn__time_whole(&left, 0, 3));
	cr_expect_not(learn__time_whole(&left, 5, 3), "records dropped in it");
	for (int i = 0; i < 3; i++)
		cr_expect_not(learn__time_whole(&left, 0, 3), "interval %d of the window", i + 1);
	cr_expect(learn__time_whole(&left, 0, 3));
	/* a drop within the window starts it again */
	cr_expect_not(learn__time_whole(&left, 1, 2));
	cr_expect_not(learn__time_whole(&left, 0, 2));
	cr_expect_not(learn__time_whole(&left, 7, 2));
	cr_expect_not(learn__time_whole(&left, 0, 2));
	cr_expect_not(learn__time_whole(&left, 0, 2));
	cr_expect(learn__time_whole(&left, 0, 2));
}

/*
 * A CPU busy throughout (others' load) on a package of 12 W + 30 W per busy CPU,
 * its limit 42 W, while floods of others' processes fill the ring buffer twice:
 * the intervals with records dropped were seen 0.735 and 0.806 busy at full power
 * (it_energy.c's line agent on 2026-12-07, 9,767 and 5,534 records dropped). With
 * no spread to learn from, those two points were the line's slope: idle 26.45 W
 * where it was 14.05 W without them (the truth 12 W), and the children got 45%
 * too little; here 25.99 W where 14.17 W. The fit learns from what it would have
 * without those intervals and their windows, exactly.
 */
Test(learn, dropped_records_teach_nothing)
{
	struct baseline_prior prior = { .full_w = 42, .shape = curve_prior__package(),
					.min_slope = BASELINE_MIN_SLOPE };
	static struct baseline fit, without;
	struct sample_baseline sb, sb_without;
	__u64 dt = 500000000ULL;
	__u32 left = 0;

	baseline__init(&fit);
	baseline__init(&without);
	for (int i = 0; i < 128; i++) {
		double u = i % 4 ? 1 : 0.992, seen = u, w = 12 + 30 * u + (i % 3 - 1) * 0.2;
		__u64 dropped = 0;
		bool whole;

		if (i == 81 || i == 108) {
			seen = i == 81 ? 0.735 : 0.806;
			dropped = i == 81 ? 9767 : 5534;
		}
		whole = learn__time_whole(&left, dropped, 4);
		learn__baseline(&fit, true, whole, learn__uj_of(w, dt), seen, dt, &prior, "test",
				&sb);
		if (whole)
			learn__baseline(&without, true, true, learn__uj_of(w, dt), seen, dt, &prior,
					"test", &sb_without);
	}
	cr_log_info("idle %.3f W; without those intervals %.3f W", sb.idle_w, sb_without.idle_w);
	cr_expect_eq(sb.idle_w, sb_without.idle_w, "idle %.3f W, %.3f W without the drops",
		     sb.idle_w, sb_without.idle_w);
	cr_expect_lt(sb.idle_w, 0.5 * 42, "idle %.3f W of a package of 12 W + 30 W", sb.idle_w);
}

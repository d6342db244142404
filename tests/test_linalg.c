// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The power curves' linear algebra, on cases worked out by hand. */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include "lib/linalg.h"

/*
 * [4 2; 2 3] = L L^T with L = [2 0; 1 sqrt(2)]; [4 2; 2 3] x = [2; 5] gives
 * x = [-0.5; 2]; its inverse is [3 -2; -2 4] / 8.
 */
Test(linalg, cholesky_solve_and_inverse)
{
	double a[4] = { 4, 2, 2, 3 }, b[2] = { 2, 5 }, inv[4];

	cr_assert_eq(linalg_spd_inverse(a, 2, inv), 0);
	cr_assert_float_eq(inv[0], 3.0 / 8, 1e-12);
	cr_assert_float_eq(inv[1], -2.0 / 8, 1e-12);
	cr_assert_float_eq(inv[3], 4.0 / 8, 1e-12);
	cr_assert_eq(linalg_cholesky(a, 2), 0);
	cr_assert_float_eq(a[0], 2, 1e-12);
	cr_assert_float_eq(a[2], 1, 1e-12);
	cr_assert_float_eq(a[3], sqrt(2), 1e-12);
	linalg_chol_solve(a, 2, b);
	cr_assert_float_eq(b[0], -0.5, 1e-12);
	cr_assert_float_eq(b[1], 2, 1e-12);
}

Test(linalg, not_positive_definite_is_refused)
{
	double a[4] = { 1, 2, 2, 1 }, inv[4];

	cr_assert_eq(linalg_cholesky(a, 2), -EDOM);
	a[0] = 1, a[1] = 2, a[2] = 2, a[3] = 1;
	cr_assert_eq(linalg_spd_inverse(a, 2, inv), -EDOM);
}

/*
 * min 1/2 x^T h x - g^T x, x >= 0, h = [2 1; 1 2]:
 *  g = [1; 1]: the unconstrained [1/3; 1/3] is inside;
 *  g = [3; -3]: unconstrained [3; -3]; with x2 = 0, 2 x1 = 3: [1.5; 0];
 *  g = [-1; -1]: 0.
 * And h = I (3 x 3), g = [1; -2; 0.5]: [1; 0; 0.5].
 */
Test(linalg, nonnegative_quadratic_program)
{
	double h[4] = { 2, 1, 1, 2 }, x[3];
	double g1[2] = { 1, 1 }, g2[2] = { 3, -3 }, g3[2] = { -1, -1 };
	double i3[9] = { 1, 0, 0, 0, 1, 0, 0, 0, 1 }, g4[3] = { 1, -2, 0.5 };

	cr_assert_eq(linalg_nnqp(h, g1, 2, x), 0);
	cr_assert_float_eq(x[0], 1.0 / 3, 1e-12);
	cr_assert_float_eq(x[1], 1.0 / 3, 1e-12);
	cr_assert_eq(linalg_nnqp(h, g2, 2, x), 0);
	cr_assert_float_eq(x[0], 1.5, 1e-12);
	cr_assert_float_eq(x[1], 0, 1e-12);
	cr_assert_eq(linalg_nnqp(h, g3, 2, x), 0);
	cr_assert_float_eq(x[0], 0, 1e-12);
	cr_assert_float_eq(x[1], 0, 1e-12);
	cr_assert_eq(linalg_nnqp(i3, g4, 3, x), 0);
	cr_assert_float_eq(x[0], 1, 1e-12);
	cr_assert_float_eq(x[1], 0, 1e-12);
	cr_assert_float_eq(x[2], 0.5, 1e-12);
}

/*
 * From a guess of the passive set, the same minimiser and its set: h = [2 1;
 * 1 2], g = [3; -3] has x = [1.5; 0]. The guess {x1} is exact; {x1, x2}
 * solves to [3; -3], drops x2 and solves again; {x2} solves to -1.5, drops
 * it and starts cold. h = I, g = [1; -2; 0.5] from {x3}: [0; 0; 0.5], then
 * the loop adds x1.
 */
Test(linalg, nonnegative_quadratic_program_from_a_guess)
{
	double h[4] = { 2, 1, 1, 2 }, g[2] = { 3, -3 }, x[3];
	double i3[9] = { 1, 0, 0, 0, 1, 0, 0, 0, 1 }, g3[3] = { 1, -2, 0.5 };
	bool guesses[3][2] = { { true, false }, { true, true }, { false, true } };

	for (int c = 0; c < 3; c++) {
		bool *p = guesses[c];

		cr_assert_eq(linalg_nnqp_from(h, g, 2, x, p), 0);
		cr_assert_float_eq(x[0], 1.5, 1e-12, "guess %d", c);
		cr_assert_float_eq(x[1], 0, 1e-12, "guess %d", c);
		cr_assert(p[0] && !p[1], "guess %d: the answer's passive set", c);
	}
	{
		bool p[3] = { false, false, true };

		cr_assert_eq(linalg_nnqp_from(i3, g3, 3, x, p), 0);
		cr_assert_float_eq(x[0], 1, 1e-12);
		cr_assert_float_eq(x[1], 0, 1e-12);
		cr_assert_float_eq(x[2], 0.5, 1e-12);
		cr_assert(p[0] && !p[1] && p[2]);
	}
}

/*
 * Every guess gives what the cold start gives, bit for bit (the answer is the
 * solve on the same passive set): a 6 x 6 program, h = I + 0.5 (the ones
 * matrix), g alternating in sign, over all 64 guesses.
 */
Test(linalg, nonnegative_quadratic_program_any_guess_same_answer)
{
	double h[36], g[6] = { 3, -1, 2, 0.5, -2, 1 }, cold[6], x[6];

	for (int i = 0; i < 36; i++)
		h[i] = (i % 7 == 0) + 0.5;
	cr_assert_eq(linalg_nnqp(h, g, 6, cold), 0);
	cr_assert(cold[0] > 0 && cold[1] == 0 && cold[4] == 0, "a program with both kinds");
	for (int m = 0; m < 64; m++) {
		bool p[6];

		for (int j = 0; j < 6; j++)
			p[j] = m >> j & 1;
		cr_assert_eq(linalg_nnqp_from(h, g, 6, x, p), 0);
		for (int j = 0; j < 6; j++) {
			cr_assert_eq(x[j], cold[j], "guess %#x, x%d: %a, cold %a", m, j, x[j],
				     cold[j]);
			cr_assert_eq(p[j], cold[j] > 0, "guess %#x, x%d", m, j);
		}
	}
}

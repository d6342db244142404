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

/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Small dense linear algebra for the power curves' fits: symmetric positive
 * definite systems by Cholesky, and quadratic programs over x >= 0. Pure: no
 * I/O, no allocation. Matrices are n x n, row-major, n <= LINALG_MAX.
 */
#ifndef __LINALG_H
#define __LINALG_H

#include <stdbool.h>

#define LINALG_MAX	16

/*
 * a = L L^T: L into a's lower triangle (the upper one is left as it was).
 * 0, or -EDOM when a is not positive definite.
 */
int linalg_cholesky(double *a, int n);
/* Solve L L^T x = b in place (b becomes x), L from linalg_cholesky. */
void linalg_chol_solve(const double *l, int n, double *b);
/* a^-1 of a symmetric positive definite a, into inv. 0 or -EDOM. */
int linalg_spd_inverse(const double *a, int n, double *inv);
/*
 * Minimise 1/2 x^T h x - g^T x over x >= 0 (h symmetric positive definite):
 * the active-set method of Lawson and Hanson's NNLS, on the normal
 * equations. x gets the minimiser. 0, or -EDOM when a subproblem is
 * singular.
 */
int linalg_nnqp(const double *h, const double *g, int n, double *x);
/*
 * The same from a guess of which x_i are > 0 at the minimiser (passive[i]; it
 * gets the answer's): a good guess takes one solve instead of one per x_i > 0
 * (where the guess is exact, x comes out as linalg_nnqp's, bit for bit).
 */
int linalg_nnqp_from(const double *h, const double *g, int n, double *x, bool *passive);

#endif /* __LINALG_H */

// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Small dense linear algebra; see lib/linalg.h. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>
#include "lib/linalg.h"

int linalg_cholesky(double *a, int n)
{
	for (int j = 0; j < n; j++) {
		double d = a[j * n + j];

		for (int k = 0; k < j; k++)
			d -= a[j * n + k] * a[j * n + k];
		if (!(d > 0))
			return -EDOM;
		d = sqrt(d);
		a[j * n + j] = d;
		d = 1 / d;
		for (int i = j + 1; i < n; i++) {
			double s = a[i * n + j];

			for (int k = 0; k < j; k++)
				s -= a[i * n + k] * a[j * n + k];
			a[i * n + j] = s * d;
		}
	}
	return 0;
}

void linalg_chol_solve(const double *l, int n, double *b)
{
	for (int i = 0; i < n; i++) {
		double s = b[i];

		for (int k = 0; k < i; k++)
			s -= l[i * n + k] * b[k];
		b[i] = s / l[i * n + i];
	}
	for (int i = n - 1; i >= 0; i--) {
		double s = b[i];

		for (int k = i + 1; k < n; k++)
			s -= l[k * n + i] * b[k];
		b[i] = s / l[i * n + i];
	}
}

int linalg_spd_inverse(const double *a, int n, double *inv)
{
	double l[LINALG_MAX * LINALG_MAX], col[LINALG_MAX];

	memcpy(l, a, sizeof(double) * n * n);
	if (linalg_cholesky(l, n))
		return -EDOM;
	for (int j = 0; j < n; j++) {
		memset(col, 0, sizeof(double) * n);
		col[j] = 1;
		linalg_chol_solve(l, n, col);
		for (int i = 0; i < n; i++)
			inv[i * n + j] = col[i];
	}
	return 0;
}

/* h_PP z_P = g_P over the passive set P (z = 0 elsewhere). */
static int solve_passive(const double *h, const double *g, int n, const bool *passive, double *z)
{
	double sub[LINALG_MAX * LINALG_MAX], rhs[LINALG_MAX];
	int idx[LINALG_MAX], m = 0;

	for (int i = 0; i < n; i++)
		if (passive[i])
			idx[m++] = i;
	for (int r = 0; r < m; r++) {
		rhs[r] = g[idx[r]];
		for (int c = 0; c < m; c++)
			sub[r * m + c] = h[idx[r] * n + idx[c]];
	}
	if (linalg_cholesky(sub, m))
		return -EDOM;
	linalg_chol_solve(sub, m, rhs);
	memset(z, 0, sizeof(double) * n);
	for (int r = 0; r < m; r++)
		z[idx[r]] = rhs[r];
	return 0;
}

/*
 * A start for the active-set loop from a guess of the passive set: solve on
 * it, drop what comes out <= 0 and solve again, until all is > 0 (x is then
 * a point the loop can go on from: the minimiser over its passive set, > 0
 * on it) or nothing is left (x = 0, the cold start).
 */
static int nnqp_start(const double *h, const double *g, int n, bool *passive, double *x)
{
	double z[LINALG_MAX];
	bool dropped = true;

	while (dropped) {
		dropped = false;
		if (solve_passive(h, g, n, passive, z))
			return -EDOM;
		for (int j = 0; j < n; j++) {
			if (passive[j] && z[j] <= 0) {
				passive[j] = false;
				dropped = true;
			}
		}
	}
	memcpy(x, z, sizeof(double) * n);
	return 0;
}

int linalg_nnqp_from(const double *h, const double *g, int n, double *x, bool *passive)
{
	double z[LINALG_MAX], tol = 0;
	int iter = 0;

	for (int i = 0; i < n; i++)
		tol += fabs(g[i]);
	tol = 1e-12 * (tol + 1);
	if (nnqp_start(h, g, n, passive, x)) {
		memset(passive, 0, sizeof(bool) * n);
		memset(x, 0, sizeof(double) * n);
	}
	/* at most 3n changes of the passive set: more is round-off going round in circles */
	while (iter++ < 3 * n) {
		int best = -1;
		double wbest = tol;

		/* the free variable whose gradient most wants it above 0 */
		for (int j = 0; j < n; j++) {
			double w = g[j];

			if (passive[j])
				continue;
			for (int k = 0; k < n; k++)
				w -= h[j * n + k] * x[k];
			if (w > wbest) {
				wbest = w;
				best = j;
			}
		}
		if (best < 0)
			return 0;
		passive[best] = true;
		for (;;) {
			double alpha = 1;
			bool inside = true;

			if (solve_passive(h, g, n, passive, z))
				return -EDOM;
			for (int j = 0; j < n; j++)
				if (passive[j] && z[j] <= 0)
					inside = false;
			if (inside) {
				memcpy(x, z, sizeof(double) * n);
				break;
			}
			/* go towards z as far as x stays >= 0; what reaches 0 leaves P */
			for (int j = 0; j < n; j++)
				if (passive[j] && z[j] <= 0 && x[j] - z[j] > 0)
					alpha = fmin(alpha, x[j] / (x[j] - z[j]));
			for (int j = 0; j < n; j++) {
				if (!passive[j])
					continue;
				x[j] += alpha * (z[j] - x[j]);
				if (x[j] <= 0 || (z[j] <= 0 && x[j] <= 1e-15 * (1 + fabs(z[j])))) {
					x[j] = 0;
					passive[j] = false;
				}
			}
			if (++iter > 3 * n)
				return 0;
		}
	}
	return 0;
}

int linalg_nnqp(const double *h, const double *g, int n, double *x)
{
	bool passive[LINALG_MAX] = { false };

	return linalg_nnqp_from(h, g, n, x, passive);
}

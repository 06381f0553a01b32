/*
 * platt.c
 *		Cross-validated Platt calibration of linear SVM decision values.
 *
 * Folds: row i goes to fold crc32(feature bytes of row i) mod k, so a row's
 * fold depends on its values only, never on row order, and identical rows
 * share a fold.  For each fold the model is retrained on the other folds
 * (same problem, same options) and scores the held-out rows; a fold whose
 * complement lacks a class is skipped.  If no fold yields values, the full
 * model's own decision values are used and a warning says so.
 *
 * Sigmoid: P(y = +1 | f) = 1 / (1 + exp(a f)), the offset fixed at 0 so
 * that P = 1/2 exactly at f = 0 and probabilities agree with the SVM's sign.
 * a minimizes Platt's target-smoothed log loss (Platt 1999; the stable form
 * of Lin, Lin and Weng 2007)
 *
 *   G(a) = sum_i r_i [ t_i log(1 + exp(a f_i)) + (1 - t_i) log(1 + exp(-a f_i)) ]
 *
 * with row weights r_i, t_i = (N+ + 1)/(N+ + 2) for positives and
 * 1/(N- + 2) for negatives (N = weighted class totals).  G is convex in a;
 * a safeguarded 1-D Newton method finds its minimum.  a must be negative
 * (larger decision values mean the positive class); if the minimum is at
 * a >= 0 the values carry no usable signal, and a is clamped to a small
 * negative number with a warning.
 *
 * Pure C; nothing here calls the server.
 */
#include <math.h>
#include <string.h>

#include <zlib.h>

#include "objective.h"

#define L2_PLATT_MAX_ITER 100
#define L2_PLATT_MAX_HALVINGS 60
#define L2_PLATT_MIN_SLOPE 1e-6

/*
 * log(1 + exp(t)), overflow-safe.
 */
static double
log1pexp(double t)
{
	return t > 0 ? t + log1p(exp(-t)) : log1p(exp(t));
}

/*
 * G(a) and its first two derivatives.
 */
static void
platt_objective(const double *f, const double *t, const double *r, int64_t n, double a,
				double *g0, double *g1, double *g2)
{
	*g0 = *g1 = *g2 = 0;
	for (int64_t i = 0; i < n; i++)
	{
		double		af = a * f[i];
		double		sig = af >= 0 ? 1.0 / (1.0 + exp(-af)) : exp(af) / (1.0 + exp(af));

		*g0 += r[i] * (t[i] * log1pexp(af) + (1 - t[i]) * log1pexp(-af));
		*g1 += r[i] * f[i] * (sig - (1 - t[i]));
		*g2 += r[i] * f[i] * f[i] * sig * (1 - sig);
	}
}

/*
 * Minimize G over a; returns false when a had to be clamped.
 */
static bool
platt_fit(const double *f, const uint8_t *pos, const double *r, int64_t n, double *a_out,
		  const L2Work *wk)
{
	double	   *t = l2_alloc(wk, sizeof(double) * (n > 0 ? n : 1));
	double		npos = 0,
				nneg = 0,
				scale = 0,
				a = 0;

	for (int64_t i = 0; i < n; i++)
	{
		if (pos[i])
			npos += r[i];
		else
			nneg += r[i];
		scale = fmax(scale, fabs(f[i]));
	}
	for (int64_t i = 0; i < n; i++)
		t[i] = pos[i] ? (npos + 1) / (npos + 2) : 1 / (nneg + 2);
	if (!(scale > 0))
	{
		*a_out = -L2_PLATT_MIN_SLOPE;
		return false;
	}

	/* Newton on G'(a) = 0 with backtracking on G */
	for (int iter = 0; iter < L2_PLATT_MAX_ITER; iter++)
	{
		double		g0,
					g1,
					g2,
					step,
					s = 1.0;

		l2_check_interrupt(wk);
		platt_objective(f, t, r, n, a, &g0, &g1, &g2);
		if (fabs(g1) <= 1e-12 * fmax(1.0, fabs(g0)))
			break;
		step = g2 > 0 ? -g1 / g2 : -g1;
		for (int k = 0; k < L2_PLATT_MAX_HALVINGS; k++, s *= 0.5)
		{
			double		n0,
						n1,
						n2;

			platt_objective(f, t, r, n, a + s * step, &n0, &n1, &n2);
			if (n0 <= g0)
				break;
		}
		a += s * step;
		if (fabs(s * step) <= 1e-15 * fmax(1.0, fabs(a)))
			break;
	}

	/* the slope must be negative; scale the floor to the decision values */
	if (!(a < -L2_PLATT_MIN_SLOPE / scale))
	{
		*a_out = -L2_PLATT_MIN_SLOPE / scale;
		return false;
	}
	*a_out = a;
	return true;
}

/*
 * Fold of each row: crc32 of its feature bytes modulo k.
 */
static void
assign_folds(const L2Problem *prob, int k, uint8_t *fold)
{
	int64_t		row = 0;

	for (int s = 0; s < prob->nseg; s++)
		for (int64_t i = 0; i < prob->seg[s].n; i++, row++)
		{
			const double *x = prob->seg[s].x + i * prob->d;
			uLong		crc = crc32(0L, (const Bytef *) x, sizeof(double) * prob->d);

			fold[row] = (uint8_t) (crc % (uLong) k);
		}
}

/*
 * Calibrate the full model's decision values; see the file header.
 * folds_used receives the number of folds that produced values.
 */
L2Status
l2_calibrate(const L2Problem *prob, const L2Hooks *hooks, int folds, const L2Fit *full,
			 double *platt_a, int *folds_used)
{
	L2Work		wk;				/* only for allocation, interrupts, warnings */
	L2Problem	sub = *prob;
	int64_t		n = 0,
				m = 0;
	uint8_t    *fold,
			   *pos;
	double	   *f,
			   *r;
	bool	   *have;

	memset(&wk, 0, sizeof(wk));
	wk.prob = prob;
	wk.hooks = hooks;
	for (int s = 0; s < prob->nseg; s++)
		n += prob->seg[s].n;
	fold = l2_alloc(&wk, n);
	have = l2_alloc(&wk, sizeof(bool) * n);
	f = l2_alloc(&wk, sizeof(double) * n);
	r = l2_alloc(&wk, sizeof(double) * n);
	pos = l2_alloc(&wk, n);
	assign_folds(prob, folds, fold);

	/* out-of-fold decision values */
	*folds_used = 0;
	sub.fold = fold;
	for (int k = 0; k < folds; k++)
	{
		L2Fit		fit;
		int64_t		row = 0;
		bool		any = false;

		for (int64_t i = 0; i < n && !any; i++)
			any = fold[i] == k;
		if (!any)
			continue;
		sub.exclude_fold = k;
		if (l2_fit(&sub, hooks, &fit) != L2_OK)
			continue;
		(*folds_used)++;
		for (int s = 0; s < prob->nseg; s++)
			for (int64_t i = 0; i < prob->seg[s].n; i++, row++)
				if (fold[row] == k)
				{
					f[row] = l2_decision(fit.coef, fit.intercept,
										 prob->seg[s].x + i * prob->d, prob->d);
					have[row] = true;
				}
	}

	/* without any, fall back to the full model's own values */
	if (*folds_used == 0)
	{
		int64_t		row = 0;

		l2_warn(&wk, "too few rows for cross-validated calibration; "
				"calibrating on the training decision values");
		for (int s = 0; s < prob->nseg; s++)
			for (int64_t i = 0; i < prob->seg[s].n; i++, row++)
			{
				f[row] = l2_decision(full->coef, full->intercept,
									 prob->seg[s].x + i * prob->d, prob->d);
				have[row] = true;
			}
	}

	/* compact the rows that have a value and a positive weight */
	{
		int64_t		row = 0;

		for (int s = 0; s < prob->nseg; s++)
			for (int64_t i = 0; i < prob->seg[s].n; i++, row++)
			{
				double		w = prob->seg[s].w ? prob->seg[s].w[i] : 1.0;

				if (!have[row] || !(w > 0))
					continue;
				f[m] = f[row];
				r[m] = w;
				pos[m] = prob->seg[s].y[i] != 0;
				m++;
			}
	}

	if (!platt_fit(f, pos, r, m, platt_a, &wk))
		l2_warn(&wk, "decision values do not separate the classes; "
				"probability calibration slope clamped to %g", *platt_a);
	return L2_OK;
}

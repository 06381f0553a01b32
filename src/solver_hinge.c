/*
 * solver_hinge.c
 *		Exact solver for the L2-regularized hinge loss.
 *
 * Problem (internal coordinates, see objective.h):
 *
 *   minimize over (w', b)  P = sum_i s_i max(0, 1 - m_i) + (1/2) sum_j pen_j w'_j^2,
 *   m_i = y_i (w'.x'_i + b),  b unpenalized (absent without an intercept).
 *
 * Dual: maximize D(beta) = sum_i beta_i - (1/2) sum_j u_j^2 / pen_j with
 * u = sum_i beta_i y_i x'_i, subject to 0 <= beta_i <= s_i and, with an
 * intercept, sum_i beta_i y_i = 0; at the optimum w'_j = u_j / pen_j.
 *
 * Method:
 *  1. Continuation: minimize the hinge smoothed into a Huber function of
 *     width h (quadratic on 1 - h < m < 1) by generalized Newton, for
 *     h = 2, 0.2, 0.02, ..., each stage warm-started from the last (the
 *     first width puts every row of the start w = 0 on the quadratic
 *     piece).  The smoothed solution gives a feasible dual point
 *     beta_i = -s_i L_h'(m_i) and so a duality gap P - D <= h sum_i s_i / 2.
 *  2. Active-set polish after each stage: rows on the smoothing interval
 *     form the margin set E; rows below it get beta_i = s_i, above it 0.
 *     The KKT conditions m_j = 1 (j in E) and sum beta_i y_i = 0 are then a
 *     linear system in (beta_E, b) of size |E| + 1, solved in the minimum
 *     norm least-squares sense (LAPACK dgelsd, so that a degenerate margin
 *     set, e.g. duplicate rows or more than p rows on the margin, still
 *     gets a solution).  If the solution satisfies the box and its duality
 *     gap is within tol, it is the exact optimum.
 *  3. Otherwise the smoothed point itself is certified by the best dual
 *     point for it: beta from its margins, least squares on the rows at
 *     the margin (see certify()).
 * Stopping rule (scale-free): relative duality gap (P - D) / P <= tol.
 *
 * Shortcoming: when lambda is negligible against the feature scale (pen_j
 * below about 1e-150, e.g. features of 1e100), D cannot be evaluated to
 * any accuracy; the solver still reaches the (linear-programming) optimum
 * in tests but reports converged = false.
 * TODO certify that regime with the linear program's own dual.
 */
#include <math.h>
#include <string.h>

#include <cblas.h>

#include "objective.h"

#define Min(a, b) ((a) < (b) ? (a) : (b))

extern void dgelsd_(const int *m, const int *n, const int *nrhs, double *a, const int *lda,
					double *b, const int *ldb, double *s, const double *rcond, int *rank,
					double *work, const int *lwork, int *iwork, int *info);

/* Continuation caps: stages, first and smallest width. */
#define L2_HINGE_MAX_STAGES 14
#define L2_HINGE_H0 2.0
#define L2_HINGE_SHRINK 0.1

/* Newton tolerance and iteration cap inside a continuation stage. */
#define L2_HINGE_STAGE_TOL 1e-11
#define L2_HINGE_STAGE_MAX_ITER 100

/* Largest margin set the polish solves for (also <= 4p + 256), rank cutoff. */
#define L2_POLISH_MAX_ROWS 2000
#define L2_POLISH_RCOND 1e-13

/* Slack when classifying margins (from, up to) and checking the box. */
#define L2_MARGIN_EPS 1e-9
#define L2_MARGIN_EPS_MAX 1e-3

/* Largest |sum beta_i y_i| / sum s_i accepted as dual feasible. */
#define L2_BALANCE_EPS 1e-9

/*
 * Primal hinge objective at v, whose decision values are z.
 */
static double
hinge_primal(const L2Work *wk, const double *v, const double *z)
{
	double		sum = 0;

	for (int64_t i = 0; i < wk->n; i++)
		if (wk->s[i] > 0)
			sum += wk->s[i] * fmax(0.0, 1.0 - wk->y[i] * z[i]);
	return sum + l2_penalty(wk, v);
}

/*
 * u = X'^T (beta y) (p values; the last is sum beta_i y_i with an intercept).
 */
static void
dual_direction(L2Work *wk, const double *beta, double *u)
{
	L2BlockIter it = {0};
	double		r[L2_BLOCK_ROWS];
	int			cnt;

	memset(u, 0, sizeof(double) * wk->p);
	while ((cnt = l2_next_block(wk, &it)) > 0)
	{
		for (int i = 0; i < cnt; i++)
			r[i] = beta[it.row0 + i] * wk->y[it.row0 + i];
		cblas_dgemv(CblasRowMajor, CblasTrans, cnt, wk->p, 1.0, wk->block, wk->p,
					r, 1, 1.0, u, 1);
	}
}

/*
 * Relative duality gap of primal point v (decision values z) and dual
 * point beta; u receives X'^T (beta y).  With an intercept, D is a lower
 * bound only if sum beta_i y_i = 0, so a beta that misses it by more than
 * rounding gives no certificate (infinite gap).
 */
static double
relative_gap(L2Work *wk, const double *v, const double *z, const double *beta, double *u)
{
	double		primal = hinge_primal(wk, v, z);
	double		dual = 0,
				total = 0;

	dual_direction(wk, beta, u);
	for (int64_t i = 0; i < wk->n; i++)
	{
		dual += beta[i];
		total += wk->s[i];
	}
	if (wk->p > wk->d && fabs(u[wk->d]) > L2_BALANCE_EPS * total)
		return INFINITY;
	for (int j = 0; j < wk->d; j++)
		if (wk->pen[j] > 0)
			dual -= 0.5 * u[j] * u[j] / wk->pen[j];
	return (primal - dual) / fmax(fabs(primal), 1e-300);
}

/*
 * Dual point of the smoothed solution: beta_i = -s_i L_h'(m_i).
 */
static void
smoothed_beta(const L2Work *wk, double h, double *beta)
{
	for (int64_t i = 0; i < wk->n; i++)
	{
		double		val,
					d1,
					d2;

		beta[i] = 0;
		if (wk->s[i] == 0)
			continue;
		l2_loss(L2_SMOOTH_HUBER_HINGE, h, wk->y[i] * wk->z[i], &val, &d1, &d2);
		beta[i] = -wk->s[i] * d1;
	}
}

/*
 * Minimum-norm least-squares solution of the symmetric system A x = b
 * (n x n), overwriting b.  The system is first scaled symmetrically to unit
 * diagonal (and the zero intercept row to entries of order one), so that the
 * rank cutoff compares like with like; two rounds of iterative refinement
 * then recover the accuracy that an ill-conditioned margin set costs.
 * False if LAPACK fails.
 */
static bool
least_squares(L2Work *wk, double *A, double *b, int n, int k)
{
	double	   *sv = l2_alloc(wk, sizeof(double) * n);
	double	   *sc = l2_alloc(wk, sizeof(double) * n);
	double	   *fac = l2_alloc(wk, sizeof(double) * n * n);
	double	   *x = l2_alloc(wk, sizeof(double) * n);
	double	   *r = l2_alloc(wk, sizeof(double) * n);
	double		rcond = L2_POLISH_RCOND,
				wq,
				mean = 0;
	int			one = 1,
				rank,
				info = 0,
				lwork = -1,
				iwq;
	double	   *work;
	int		   *iwork;

	/* scale: unit diagonal on the margin rows, mean scale on the intercept */
	for (int a = 0; a < k; a++)
	{
		sc[a] = A[a * n + a] > 0 ? 1.0 / sqrt(A[a * n + a]) : 1.0;
		mean += A[a * n + a] / k;
	}
	for (int a = k; a < n; a++)
		sc[a] = mean > 0 ? sqrt(mean) : 1.0;
	for (int a = 0; a < n; a++)
	{
		for (int c = 0; c < n; c++)
			A[a * n + c] *= sc[a] * sc[c];
		b[a] *= sc[a];
	}

	dgelsd_(&n, &n, &one, fac, &n, r, &n, sv, &rcond, &rank, &wq, &lwork, &iwq, &info);
	if (info != 0)
		return false;
	lwork = (int) wq;
	work = l2_alloc(wk, sizeof(double) * lwork);
	iwork = l2_alloc(wk, sizeof(int) * (iwq > 0 ? iwq : 1));

	/* x = A^+ b, then x += A^+ (b - A x) twice */
	memcpy(r, b, sizeof(double) * n);
	for (int round = 0; round < 3; round++)
	{
		memcpy(fac, A, sizeof(double) * n * n);
		dgelsd_(&n, &n, &one, fac, &n, r, &n, sv, &rcond, &rank, work, &lwork, iwork, &info);
		if (info != 0)
			return false;
		for (int a = 0; a < n; a++)
			x[a] += r[a];
		for (int a = 0; a < n; a++)
		{
			r[a] = b[a];
			for (int c = 0; c < n; c++)
				r[a] -= A[a * n + c] * x[c];
		}
	}
	for (int a = 0; a < n; a++)
		b[a] = x[a] * sc[a];
	return true;
}

/*
 * Dual certificate for the primal point v (wk->z = X' v): rows below the
 * margin get beta = s, rows above 0, and rows within tau of it the
 * minimum-norm least-squares solution of the stationarity conditions
 * pen w' = X'^T (beta y) and sum beta y = 0 (rows scaled by 1/sqrt(pen)),
 * clipped to the box.  Returns the relative gap P(v) - D(beta).
 */
static double
certify(L2Work *wk, double tau, const double *v, double *beta, double *u)
{
	int			d = wk->d,
				p = wk->p;
	int			maxk = Min(L2_POLISH_MAX_ROWS, 4 * p + 256);
	int64_t    *E = l2_alloc(wk, sizeof(int64_t) * maxk);
	int			k = 0;
	L2BlockIter it = {0};
	int			cnt;

	for (int64_t i = 0; i < wk->n; i++)
	{
		double		m = wk->y[i] * wk->z[i];

		beta[i] = 0;
		if (wk->s[i] == 0 || m > 1.0 + tau)
			continue;
		if (m < 1.0 - tau)
			beta[i] = wk->s[i];
		else if (k == maxk)
			return INFINITY;
		else
			E[k++] = i;
	}

	if (k > 0)
	{
		int			neq = p,
					ldb = p > k ? p : k,
					one = 1,
					rank,
					info = 0,
					lwork = -1,
					iwq;
		double	   *A = l2_alloc(wk, sizeof(double) * neq * k);
		double	   *rhs = l2_alloc(wk, sizeof(double) * ldb);
		double	   *sv = l2_alloc(wk, sizeof(double) * (neq < k ? neq : k));
		double		rcond = L2_POLISH_RCOND,
					wq;
		int			a = 0;

		dual_direction(wk, beta, u);
		for (int j = 0; j < d; j++)
			rhs[j] = wk->pen[j] > 0 ? sqrt(wk->pen[j]) * v[j] - u[j] / sqrt(wk->pen[j]) : 0;
		if (p > d)
			rhs[d] = -u[d];

		/* columns: the transformed margin rows times their labels */
		while (a < k && (cnt = l2_next_block(wk, &it)) > 0)
			while (a < k && E[a] < it.row0 + cnt)
			{
				const double *row = wk->block + (E[a] - it.row0) * p;
				double		ya = wk->y[E[a]];

				for (int j = 0; j < d; j++)
					A[a * neq + j] = wk->pen[j] > 0 ? ya * row[j] / sqrt(wk->pen[j]) : 0;
				if (p > d)
					A[a * neq + d] = ya;
				a++;
			}

		dgelsd_(&neq, &k, &one, A, &neq, rhs, &ldb, sv, &rcond, &rank, &wq, &lwork, &iwq,
				&info);
		if (info != 0)
			return INFINITY;
		lwork = (int) wq;
		dgelsd_(&neq, &k, &one, A, &neq, rhs, &ldb, sv, &rcond, &rank,
				l2_alloc(wk, sizeof(double) * lwork), &lwork,
				l2_alloc(wk, sizeof(int) * (iwq > 0 ? iwq : 1)), &info);
		if (info != 0)
			return INFINITY;
		for (a = 0; a < k; a++)
			beta[E[a]] = fmin(fmax(rhs[a], 0.0), wk->s[E[a]]);
	}
	return relative_gap(wk, v, wk->z, beta, u);
}

/*
 * Active-set polish from the smoothed solution at width h (wk->z holds its
 * decision values); rows within tau of the smoothing interval form E.  On success returns true with the candidate in vout,
 * its decision values in wk->q and its relative gap in *gap.
 */
static bool
polish(L2Work *wk, double h, double tau, const double *v, double *vout, double *beta,
	   double *u, double *gap)
{
	int			d = wk->d,
				p = wk->p;
	bool		icpt = p > d;
	int			maxk = Min(L2_POLISH_MAX_ROWS, 4 * p + 256);
	int64_t    *E = l2_alloc(wk, sizeof(int64_t) * maxk);
	int			k = 0,
				nsys;

	double	   *G,
			   *A,
			   *rhs = NULL;
	L2BlockIter it = {0};
	int			cnt;

	/* partition rows: below the margin (beta = s), on it (E), above (0) */
	for (int64_t i = 0; i < wk->n; i++)
	{
		double		m = wk->y[i] * wk->z[i];

		beta[i] = 0;
		if (wk->s[i] == 0 || m >= 1.0 + tau)
			continue;
		if (m <= 1.0 - h - tau)
			beta[i] = wk->s[i];
		else
		{
			if (k == maxk)
				return false;
			E[k++] = i;
		}
	}
	dual_direction(wk, beta, u);

	/* gather the margin rows, scaled by 1/sqrt(pen) per column */
	G = l2_alloc(wk, sizeof(double) * (k > 0 ? k : 1) * p);
	{
		int			a = 0;

		while (a < k && (cnt = l2_next_block(wk, &it)) > 0)
			while (a < k && E[a] < it.row0 + cnt)
			{
				memcpy(G + a * p, wk->block + (E[a] - it.row0) * p, sizeof(double) * p);
				a++;
			}
	}

	/* KKT system: [Y K Y, y; y^T, 0] (beta_E, b) = (1 - y_E x'_E P^-1 u_R, -u_R,b) */
	nsys = k + (icpt ? 1 : 0);
	if (nsys == 0)
		goto evaluate;
	A = l2_alloc(wk, sizeof(double) * nsys * nsys);
	rhs = l2_alloc(wk, sizeof(double) * nsys);
	for (int a = 0; a < k; a++)
	{
		double		ya = wk->y[E[a]];
		double		t = 0;

		for (int j = 0; j < d; j++)
			if (wk->pen[j] > 0)
				t += G[a * p + j] * u[j] / wk->pen[j];
		rhs[a] = 1.0 - ya * t;
		for (int b2 = 0; b2 <= a; b2++)
		{
			double		kab = 0;

			for (int j = 0; j < d; j++)
				if (wk->pen[j] > 0)
					kab += G[a * p + j] * G[b2 * p + j] / wk->pen[j];
			A[a * nsys + b2] = A[b2 * nsys + a] = ya * wk->y[E[b2]] * kab;
		}
		if (icpt)
			A[a * nsys + k] = A[k * nsys + a] = ya;
	}
	if (icpt)
	{
		A[k * nsys + k] = 0;
		rhs[k] = -u[d];
	}
	if (!least_squares(wk, A, rhs, nsys, k))
		return false;

	/* the box 0 <= beta <= s must hold */
	for (int a = 0; a < k; a++)
	{
		double		s = wk->s[E[a]];

		if (!isfinite(rhs[a]) || rhs[a] < -L2_MARGIN_EPS * s ||
			rhs[a] > s * (1 + L2_MARGIN_EPS))
			return false;
		beta[E[a]] = fmin(fmax(rhs[a], 0.0), s);
	}

evaluate:
	/* the candidate: w' = u / pen, b from the system (or kept) */
	dual_direction(wk, beta, u);
	for (int j = 0; j < d; j++)
		vout[j] = wk->pen[j] > 0 ? u[j] / wk->pen[j] : 0.0;
	if (icpt)
		vout[d] = k > 0 && rhs ? rhs[k] : v[d];
	l2_compute_z(wk, vout, wk->q);
	*gap = relative_gap(wk, vout, wk->q, beta, u);
	return isfinite(*gap);
}

/*
 * Solve the hinge problem from v (overwritten with the solution); on
 * return wk->z holds X' v.
 */
void
l2_hinge(L2Work *wk, double *v, L2NewtonResult *res)
{
	const L2Problem *prob = wk->prob;
	double	   *beta = l2_alloc(wk, sizeof(double) * wk->n);
	double	   *u = l2_alloc(wk, sizeof(double) * wk->p);
	double	   *vpol = l2_alloc(wk, sizeof(double) * wk->p);
	double		h = L2_HINGE_H0;
	double		gap = INFINITY;

	memset(res, 0, sizeof(*res));
	for (int stage = 0; stage < L2_HINGE_MAX_STAGES; stage++, h *= L2_HINGE_SHRINK)
	{
		L2NewtonResult nr;
		double		pgap;
		bool		polished;

		l2_newton(wk, L2_SMOOTH_HUBER_HINGE, h, v, L2_HINGE_STAGE_TOL,
				  Min(L2_HINGE_STAGE_MAX_ITER, prob->max_iter - res->iterations), false, &nr);
		res->iterations += nr.iterations;

		/*
		 * Exact optimum by the active set?  The smoothed solution is only as
		 * accurate as its conditioning allows, so margins are matched with a
		 * growing slack; the gap check rejects any wrong guess.
		 */
		polished = false;
		for (double tau = L2_MARGIN_EPS; tau <= L2_MARGIN_EPS_MAX && !polished; tau *= 100)
			polished = polish(wk, h, tau, v, vpol, beta, u, &pgap) && pgap <= prob->tol;
		if (polished)
		{
			memcpy(v, vpol, sizeof(double) * wk->p);
			memcpy(wk->z, wk->q, sizeof(double) * wk->n);
			gap = pgap;
		}
		else
		{
			/* certify the smoothed point itself, by the best dual point */
			smoothed_beta(wk, h, beta);
			gap = relative_gap(wk, v, wk->z, beta, u);
			for (double tau = L2_MARGIN_EPS; tau <= L2_MARGIN_EPS_MAX && gap > prob->tol;
				 tau *= 100)
				gap = fmin(gap, certify(wk, tau, v, beta, u));
		}

		if (wk->hooks->trace)
			wk->hooks->trace(wk->hooks->arg, res->iterations,
							 hinge_primal(wk, v, wk->z), gap);
		if (gap <= prob->tol || res->iterations >= prob->max_iter)
			break;
	}

	res->objective = hinge_primal(wk, v, wk->z);
	/* no certificate at all is reported as a relative gap of 1 */
	res->optimality = isfinite(gap) ? fmax(gap, 0.0) : 1.0;
	res->converged = gap <= prob->tol;
}

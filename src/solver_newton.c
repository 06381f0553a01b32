/*
 * solver_newton.c
 *		Newton's method with a backtracking line search.
 *
 * Problem: minimize over v = (w', b) in R^p
 *
 *   F(v) = sum_i s_i L(y_i z_i) + (1/2) sum_j pen_j w'_j^2,   z = X' v,
 *
 * for a convex loss L that is twice differentiable (logistic) or has a
 * piecewise constant second derivative (squared hinge, Huber hinge).  For
 * the latter the generalized Hessian makes this the generalized Newton
 * method, which terminates on piecewise-quadratic problems.
 *
 * Each iteration forms H = X'^T D X' + diag(pen) with BLAS (dsyrk over row
 * blocks), solves (H + mu I) d = -g by Cholesky (LAPACK dpotrf/dpotrs) and
 * backtracks along d until the Armijo condition holds.  mu is 0 while full
 * steps succeed; it grows when the line search struggles (a nearly singular
 * H: the intercept is unpenalized, so H is only semidefinite when few rows
 * have curvature) and shrinks again after full steps, as in
 * Levenberg-Marquardt.  A Cholesky failure adds a growing ridge as well.
 * The line search costs O(n) per trial because the decision values move
 * along z + t X' d.
 *
 * Stopping rule (scale-free): ||g(v)|| <= tol ||g(0)||.
 *
 * Large problems start from the solution of a subsample instead of 0
 * (l2_warm_start), which saves the first, global steps over all rows.
 */
#include <math.h>
#include <string.h>

#include "objective.h"

extern void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);
extern void dpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a,
					const int *lda, double *b, const int *ldb, int *info);

/* Caps on the inner loops. */
#define L2_MAX_HALVINGS 40
#define L2_MAX_RIDGE_TRIES 16
#define L2_MAX_DAMPING_TRIES 20

/*
 * Below this relative gradient norm a logistic Newton step reuses the last
 * Hessian: the logistic Hessian is Lipschitz, so near the optimum it barely
 * moves, and the chord step still contracts the gradient by a factor of the
 * order of the step length while saving the Hessian's O(n p^2) work.
 */
#define L2_HESS_REUSE 1e-4

/* Armijo sufficient-decrease constant. */
#define L2_ARMIJO 1e-4

/*
 * Solve H x = g for symmetric positive (semi)definite H; scratch is p x p.
 * Adds a ridge mu I, growing from 1e-14 max diag, while H is not positive
 * definite.  Returns false when even the largest ridge fails.
 */
bool
l2_solve_spd(L2Work *wk, const double *H, const double *g, double *x, int p)
{
	double	   *a = wk->hscratch;
	double		maxdiag = 0;
	double		mu = 0;
	int			one = 1;

	for (int j = 0; j < p; j++)
		maxdiag = fmax(maxdiag, H[j * p + j]);
	if (!(maxdiag > 0) || !isfinite(maxdiag))
		maxdiag = 1.0;

	for (int attempt = 0; attempt < L2_MAX_RIDGE_TRIES; attempt++)
	{
		int			info = 0;
		bool		finite = true;

		memcpy(a, H, sizeof(double) * p * p);
		for (int j = 0; j < p; j++)
			a[j * p + j] += mu;
		dpotrf_("L", &p, a, &p, &info);
		if (info == 0)
		{
			memcpy(x, g, sizeof(double) * p);
			dpotrs_("L", &p, &one, a, &p, x, &p, &info);
			for (int j = 0; j < p; j++)
				finite = finite && isfinite(x[j]);
			if (info == 0 && finite)
				return true;
		}
		mu = mu == 0 ? 1e-14 * maxdiag : mu * 100;
	}
	return false;
}

/*
 * F(v + t d) given z = X' v and q = X' d.
 */
static double
value_along(const L2Work *wk, L2SmoothLoss kind, double h, const double *v,
			const double *dir, double t, double *vt)
{
	double		sum = 0;

	for (int j = 0; j < wk->p; j++)
		vt[j] = v[j] + t * dir[j];
	for (int64_t i = 0; i < wk->n; i++)
	{
		double		val,
					d1,
					d2;

		if (wk->s[i] == 0)
			continue;
		l2_loss(kind, h, wk->y[i] * (wk->z[i] + t * wk->q[i]), &val, &d1, &d2);
		sum += wk->s[i] * val;
	}
	return sum + l2_penalty(wk, vt);
}

/*
 * dir = -(H + mu I)^-1 g and gd = g.dir; false unless dir descends.
 */
static bool
newton_direction(L2Work *wk, const double *H, const double *g, double mu, double *dir,
				 double *gd)
{
	int			p = wk->p;
	double	   *hm = wk->hdamped;

	memcpy(hm, H, sizeof(double) * p * p);
	for (int j = 0; j < p; j++)
		hm[j * p + j] += mu;
	if (!l2_solve_spd(wk, hm, g, dir, p))
		return false;
	*gd = 0;
	for (int j = 0; j < p; j++)
	{
		dir[j] = -dir[j];
		*gd += g[j] * dir[j];
	}
	return *gd < 0;
}

/*
 * Backtrack from t = 1/2 along dir (wk->q = X' dir), the full step having
 * failed the Armijo condition, until the condition holds.
 */
static bool
line_search(L2Work *wk, L2SmoothLoss kind, double h, const double *v, const double *dir,
			double f, double gd, double *vt, double *t, double *fnew)
{
	*t = 0.5;
	for (int k = 1; k < L2_MAX_HALVINGS; k++)
	{
		*fnew = value_along(wk, kind, h, v, dir, *t, vt);
		if (*fnew <= f + L2_ARMIJO * *t * gd)
			return true;
		*t *= 0.5;
	}
	return false;
}

/*
 * Whether every entry of v is zero.
 */
static bool
all_zero(const double *v, int p)
{
	for (int j = 0; j < p; j++)
		if (v[j] != 0.0)
			return false;
	return true;
}

/*
 * Minimize F from the starting point v (overwritten with the result).
 * At most max_iter Newton steps; trace reports each one to the caller.
 * On return wk->z holds X' v; on entry it must when wk->z_current is set.
 *
 * Each step first tries the full Newton step with one fused pass (l2_pass)
 * that yields the objective, gradient and Hessian there; only when the
 * Armijo test rejects it does a backtracking search along the stored
 * X' dir follow, and then one more pass for the derivatives.
 */
void
l2_newton(L2Work *wk, L2SmoothLoss kind, double h, double *v, double tol, int max_iter,
		  bool trace, L2NewtonResult *res)
{
	int			p = wk->p;
	double	   *g = l2_alloc(wk, sizeof(double) * p);
	double	   *gt = l2_alloc(wk, sizeof(double) * p);
	double	   *dir = l2_alloc(wk, sizeof(double) * p);
	double	   *vt = l2_alloc(wk, sizeof(double) * p);
	double	   *H = wk->hess;
	double	   *Ht = wk->hess2;
	double		gref,
				gnorm,
				f,
				mu = 0;

	memset(res, 0, sizeof(*res));

	/*
	 * Start.  At v = 0 every margin is 0 and the gradient is L'(0) X'^T (s y),
	 * so the first pass also yields the reference for the stopping rule.
	 */
	if (all_zero(v, p))
	{
		memset(wk->z, 0, sizeof(double) * wk->n);
		f = l2_pass(wk, kind, h, v, NULL, NULL, g, H);
		if (wk->sy == NULL)
		{
			double		val,
						d1,
						d2;

			l2_loss(kind, h, 0.0, &val, &d1, &d2);
			wk->sy = l2_alloc(wk, sizeof(double) * p);
			for (int j = 0; j < p; j++)
				wk->sy[j] = g[j] / d1;
		}
	}
	else if (!wk->z_current)
		f = l2_start_pass(wk, kind, h, v, g, H);
	else
		f = l2_pass(wk, kind, h, v, NULL, NULL, g, H);
	gref = l2_gradient_norm_at_zero(wk, kind, h);
	if (!(gref > 0))
		gref = 1.0;
	gnorm = l2_norm(g, p);

	for (;;)
	{
		double		gd = 0,
					t = 1.0,
					fnew = f,
					maxdiag = 0;
		bool		accepted = false,
					full = false,
					at_floor = false,
					fresh_h;

		res->optimality = gnorm / gref;
		if (res->optimality <= tol)
		{
			res->converged = true;
			break;
		}
		if (res->iterations >= max_iter)
			break;
		res->iterations++;
		fresh_h = kind != L2_SMOOTH_LOGISTIC || res->optimality > L2_HESS_REUSE;

		/*
		 * Damped Newton direction and backtracking.  When the Hessian is
		 * nearly singular (no curvature along some direction, as for the
		 * Huber hinge with few rows on its quadratic piece) the plain step
		 * is huge and no halving helps; then the damping mu grows, turning
		 * the step towards steepest descent (Levenberg-Marquardt).  When the
		 * predicted decrease is below rounding of F the Armijo test is
		 * noise: the full step is taken (at_floor) and the gradient judges.
		 */
		for (int j = 0; j < p; j++)
			maxdiag = fmax(maxdiag, H[j * p + j]);
		maxdiag = fmax(maxdiag, gnorm);	/* a scale even where H is ~0 */
		for (int retry = 0; retry < L2_MAX_DAMPING_TRIES && !accepted; retry++)
		{
			if (retry > 0)
				mu = mu == 0 ? 1e-8 * maxdiag : mu * 100;
			if (!newton_direction(wk, H, g, mu, dir, &gd))
				continue;
			for (int j = 0; j < p; j++)
				vt[j] = v[j] + dir[j];
			fnew = l2_pass(wk, kind, h, vt, dir, wk->q, gt, fresh_h ? Ht : NULL);
			if (fnew <= f + L2_ARMIJO * gd)
				accepted = full = true;
			else if (-gd <= 1e-12 * fabs(f))
				accepted = full = at_floor = true;
			else
				accepted = line_search(wk, kind, h, v, dir, f, gd, vt, &t, &fnew);
		}
		if (!accepted)
		{
			res->stalled = true;
			break;
		}
		if (t == 1.0)
			mu = mu < 1e-12 * maxdiag ? 0 : mu * 0.1;
		else if (t < 0.25)
			mu = fmax(mu * 10, 1e-8 * maxdiag);

		/* move; the full step already has its derivatives */
		for (int j = 0; j < p; j++)
			v[j] += t * dir[j];
		for (int64_t i = 0; i < wk->n; i++)
			wk->z[i] += t * wk->q[i];
		if (full)
		{
			double	   *swap = g;

			g = gt;
			gt = swap;
			if (fresh_h)
			{
				swap = H;
				H = Ht;
				Ht = swap;
			}
		}
		else
			l2_grad_hess(wk, kind, h, v, g, fresh_h ? H : NULL);
		if (at_floor && l2_norm(g, p) >= gnorm)
		{
			gnorm = l2_norm(g, p);
			f = fnew;
			res->optimality = gnorm / gref;
			res->converged = res->optimality <= tol;
			res->stalled = !res->converged;
			break;
		}
		gnorm = l2_norm(g, p);
		f = fnew;

		if (trace && wk->hooks->trace)
			wk->hooks->trace(wk->hooks->arg, res->iterations, f, gnorm / gref);
	}
	res->objective = f;
	wk->z_current = true;
}

/*
 * Warm start from a subsample: for problems of at least L2_WARM_MIN_ROWS
 * rows, minimize F with the same loss on every k-th row, k = n /
 * L2_WARM_ROWS, weights multiplied by k, in the full problem's internal
 * coordinates, and leave that minimizer in v (which must be 0 on entry).
 * The subsample runs `stages` solves, the smoothing width h shrinking by
 * shrink from one to the next (a continuation; stages = 1 for a loss
 * without one), and v is the minimizer of the last.
 * Its gradient on all rows is of the order of the sampling error,
 * 1/sqrt(n / k) relative, which Newton's method on all rows then removes
 * in two or three steps instead of five or six from 0.  The subsample is
 * read in place (4 arrays of its rows' values aside), and each of its
 * steps costs at most 1/8 of a pass over all rows.
 * Returns false (v still 0) when the problem is too small, or the
 * subsample lacks a class or gives no finite solution.
 */
bool
l2_warm_start(L2Work *wk, L2SmoothLoss kind, double h, int stages, double shrink, double *v)
{
	const L2Problem *prob = wk->prob;
	int64_t		stride = wk->n / L2_WARM_ROWS;
	L2Work		sub;
	L2Problem	sprob;
	L2Segment  *sseg;
	L2NewtonResult res;
	int64_t		row = 0,
				at = 0;
	double		wpos = 0,
				wneg = 0;

	if (wk->n < L2_WARM_MIN_ROWS)
		return false;

	/*
	 * Every stride-th row, read in place: each segment of the subsample
	 * starts at its first sampled row and steps over stride rows (sub's
	 * stride); the effective weights are multiplied by stride.
	 */
	sub = *wk;
	sub.stride = stride;
	sub.n = (wk->n + stride - 1) / stride;
	sub.s = l2_alloc(wk, sizeof(double) * sub.n);
	sub.y = l2_alloc(wk, sizeof(double) * sub.n);
	sub.z = l2_alloc(wk, sizeof(double) * sub.n);
	sub.q = l2_alloc(wk, sizeof(double) * sub.n);
	sseg = l2_alloc(wk, sizeof(L2Segment) * prob->nseg);
	for (int k = 0; k < prob->nseg; k++)
	{
		const L2Segment *seg = &prob->seg[k];
		int64_t		first = (row + stride - 1) / stride * stride - row;

		sseg[k].x = seg->x + first * wk->d;
		sseg[k].n = first < seg->n ? (seg->n - first + stride - 1) / stride : 0;
		for (int64_t i = first; i < seg->n; i += stride, at++)
		{
			sub.s[at] = wk->s[row + i] * (double) stride;
			sub.y[at] = wk->y[row + i];
			if (sub.y[at] > 0)
				wpos += sub.s[at];
			else
				wneg += sub.s[at];
		}
		row += seg->n;
	}
	if (!(wpos > 0) || !(wneg > 0))
		return false;

	sprob = *prob;
	sprob.seg = sseg;
	sprob.fold = NULL;
	sub.prob = &sprob;
	sub.sy = NULL;
	sub.z_current = false;
	l2_parts_init(&sub, prob->threads);

	for (int k = 0; k < stages; k++, h *= shrink)
		l2_newton(&sub, kind, h, v, L2_WARM_TOL, L2_WARM_MAX_ITER, false, &res);
	for (int j = 0; j < wk->p; j++)
		if (!isfinite(v[j]))
		{
			memset(v, 0, sizeof(double) * wk->p);
			return false;
		}
	return true;
}

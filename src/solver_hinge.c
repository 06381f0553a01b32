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
 *     piece), the wide ones solved loosely.  The smoothed solution gives a
 *     feasible dual point beta_i = -s_i L_h'(m_i) and so a duality gap
 *     P - D <= h sum_i s_i / 2.  On large problems a subsample runs the
 *     first L2_HINGE_WARM_STAGES stages and the next, and the rows start
 *     from its solution (l2_warm_start()).
 *  2. Active-set polish after each stage: rows on the smoothing interval
 *     (within a slack) form the margin set E; rows below it get
 *     beta_i = s_i, above it 0.  The dual restricted to E, a box-constrained
 *     quadratic program of |E| variables with the one equality
 *     sum beta_i y_i = 0, is solved by sequential minimal optimization on
 *     its |E| x |E| kernel matrix (margin_qp()), finished where that stalls
 *     (a singular kernel: more margin rows than the features' rank) by an
 *     exact active-set method (margin_active_set()); this copes with any
 *     margin set, including more than p rows on the margin, rows at a
 *     bound inside the interval and duplicate rows.  If the fixed
 *     rows were guessed right the result is the exact optimum, which a
 *     duality gap within tol confirms; otherwise the next stage narrows
 *     the interval.
 *  3. Otherwise the smoothed point itself is certified by the best dual
 *     point for it: beta from its margins, least squares on the rows at
 *     the margin (see certify()), once a pass-free lower bound on its gap
 *     (estimated_gap()) says that this can succeed.
 * Stopping rule (scale-free): relative duality gap (P - D) / P <= tol.
 *
 * Shortcoming: when lambda is negligible against the feature scale (pen_j
 * below about 1e-150, e.g. features of 1e100), D cannot be evaluated to
 * any accuracy; the solver still reaches the (linear-programming) optimum
 * in tests but reports converged = false.
 * TODO certify that regime with the linear program's own dual.
 */
#include <float.h>
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

/*
 * Stages a subsample solves first on large problems (l2_warm_start): the
 * rows then start at the second width, h = 0.2, from the subsample's
 * solution of it.  Deeper starts are faster on some data (1e6 x 32: 16
 * full Newton steps cold, 12 from h = 0.2, 7 from h = 0.002) but much
 * slower on others (a weighted 1% minority: 13 cold, 4 from h = 0.2, 41
 * from h = 0.002), where the subsample's margins are off by more than the
 * smoothing width.
 */
#ifndef L2_HINGE_WARM_STAGES
#define L2_HINGE_WARM_STAGES 1
#endif

/*
 * Newton tolerance and iteration cap inside a continuation stage: a stage
 * of width h stops at a relative gradient of max(1e-11, L2_HINGE_STAGE_LOOSE
 * h^2).  A wide stage only has to start the next one well, since neither
 * the polish nor the certificate can succeed on it; the narrow stages that
 * they can finish are solved tightly.
 */
#define L2_HINGE_STAGE_TOL 1e-11
#define L2_HINGE_STAGE_LOOSE 1e-4
#define L2_HINGE_STAGE_MAX_ITER 100

/*
 * Largest margin set the polish solves for (its kernel matrix takes 8 k^2
 * bytes; the certificate also stays within 4p + 256 rows), rank cutoff.
 */
#define L2_POLISH_MAX_ROWS 2000
#define L2_POLISH_RCOND 1e-13

/* Slack when classifying margins (from, up to) and checking the box. */
#define L2_MARGIN_EPS 1e-9
#define L2_MARGIN_EPS_MAX 1e-3

/*
 * Stopping threshold, step cap and work budget of the restricted dual
 * (margin_qp): a step costs about 3 k flops for k margin rows, and the
 * steps of one call may cost at most L2_QP_BUDGET passes over the data
 * (n p flops each).  Where the kernel is singular the steps stall; without
 * the budget, 50000 of them on 2000 margin rows took 1 s per stage on
 * 10^4 x 9 data that the active-set finish or the next stage settle in
 * 0.04 s.
 */
#define L2_QP_EPS 1e-10
#ifndef L2_QP_MAX_ITER			/* test/check_hinge.sh builds with 0 */
#define L2_QP_MAX_ITER 50000
#endif
#define L2_QP_BUDGET 10.0

/*
 * Largest working set, number of rounds and work of the active-set finish:
 * its solves may cost as much as L2_ACTIVE_BUDGET passes over the data
 * (n p^2 flops each), after which the next, narrower stage is cheaper.
 */
#define L2_ACTIVE_MAX_ROWS 1024
#define L2_ACTIVE_MAX_ROUNDS 2000
#define L2_ACTIVE_BUDGET 40.0
/* A face residual within this many ulps of its terms is rounding. */
#define L2_ACTIVE_ROUNDING 1e3

/*
 * The smoothed point is certified (a pass over the data per attempt) only
 * when its estimated gap is within this factor of tol.
 */
#ifndef L2_CERTIFY_HOPE			/* test/check_hinge.sh builds with 0 */
#define L2_CERTIFY_HOPE 1e3
#endif

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
	l2_xt_times(wk, beta, wk->y, u);
}

/*
 * Relative duality gap of primal point v (decision values z) and dual
 * point beta; u receives X'^T (beta y), or already holds it when u_ready
 * (which saves a pass over the data).  With an intercept, D is a lower
 * bound only if sum beta_i y_i = 0, so a beta that misses it by more than
 * rounding gives no certificate (infinite gap).
 */
static double
relative_gap(L2Work *wk, const double *v, const double *z, const double *beta, double *u,
			 bool u_ready)
{
	double		primal = hinge_primal(wk, v, z);
	double		dual = 0,
				total = 0;

	if (!u_ready)
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
 * Relative duality gap of the smoothed solution v (decision values wk->z)
 * and its dual point beta, estimated without a pass over the data.  The
 * Huber loss is L_h(m) = max over 0 <= a <= 1 of a (1 - m) - h a^2 / 2, so
 * the smoothed problem's dual is D(beta) - (h/2) sum_i beta_i^2 / s_i and,
 * by weak duality for it, P(v) - D(beta) >= P(v) - F_h(v) - (h/2) sum_i
 * beta_i^2 / s_i whenever beta is dual feasible: the estimate is a lower
 * bound on the gap this beta certifies, and it is tight at the smoothed
 * optimum.
 */
static double
estimated_gap(const L2Work *wk, double h, const double *v, const double *beta)
{
	double		primal = hinge_primal(wk, v, wk->z);
	double		quad = 0;

	for (int64_t i = 0; i < wk->n; i++)
		if (wk->s[i] > 0)
			quad += beta[i] * beta[i] / wk->s[i];
	return (primal - l2_smooth_value(wk, L2_SMOOTH_HUBER_HINGE, h, wk->z, v) - 0.5 * h * quad) /
		fmax(fabs(primal), 1e-300);
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
					iwq = 0;
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
		l2_gather_rows(wk, E, k, A);
		for (a = 0; a < k; a++)
		{
			double	   *col = A + (size_t) a * neq;
			double		ya = wk->y[E[a]];

			for (int j = 0; j < d; j++)
				col[j] = wk->pen[j] > 0 ? ya * col[j] / sqrt(wk->pen[j]) : 0;
			if (p > d)
				col[d] = ya;
		}

		dgelsd_(&neq, &k, &one, A, &neq, rhs, &ldb, sv, &rcond, &rank, &wq, &lwork, &iwq,
				&info);
		if (info != 0)
			return INFINITY;
		lwork = (int) wq;
		dgelsd_(&neq, &k, &one, A, &neq, rhs, &ldb, sv, &rcond, &rank,
				l2_alloc(wk, sizeof(double) * lwork), &lwork,
				l2_alloc(wk, sizeof(int) * (iwq > 0 ? iwq : 107 * Min(neq, k) + 1)), &info);
		if (info != 0)
			return INFINITY;
		for (a = 0; a < k; a++)
			beta[E[a]] = fmin(fmax(rhs[a], 0.0), wk->s[E[a]]);
	}
	return relative_gap(wk, v, wk->z, beta, u, false);
}

/*
 * The dual restricted to the margin set E, the other rows' beta held fixed:
 *
 *   minimize over beta_E   (1/2) beta_E^T Q beta_E + c^T beta_E
 *   subject to             0 <= beta_a <= s_a,  sum_E y_a beta_a = e0 (intercept only),
 *
 * with Q_ab = y_a y_b K_ab, K = Gs Gs^T (rows of Gs: x'_a scaled by
 * 1/sqrt(pen) per column).  On entry g holds the gradient Q beta + c at the
 * feasible start beta; in it, g_a + y_a b = m_a - 1 for the primal point.
 * Solved by sequential minimal optimization: each step moves the pair that
 * violates the optimality conditions most (second-order choice of the second
 * index) along the equality constraint, in closed form; without an
 * intercept, single coordinates move.  Stops when the largest violation is
 * below L2_QP_EPS; *b receives the intercept the conditions imply.  False
 * when the step cap or the work budget is reached.  Checks for interrupts
 * every 256 steps.
 */
static bool
margin_qp(const L2Work *wk, const double *K, const double *y, const double *s, double *beta,
		  double *g, int k, bool icpt, double *b)
{
	double		budget = L2_QP_BUDGET * (double) wk->n * wk->p / (3.0 * k);
	int			max_iter = budget < L2_QP_MAX_ITER ? (int) budget : L2_QP_MAX_ITER;

	for (int iter = 0; iter < max_iter; iter++)
	{
		double		up = -INFINITY,
					low = INFINITY,
					best = INFINITY,
					delta,
					eta;
		int			i = -1,
					j = -1;

		if (iter % 256 == 0)
			l2_check_interrupt(wk);
		if (!icpt)
		{
			/* the coordinate with the largest projected gradient */
			double		viol = 0;

			for (int a = 0; a < k; a++)
			{
				double		pg = g[a] < 0 ? (beta[a] < s[a] ? -g[a] : 0) :
					(beta[a] > 0 ? g[a] : 0);

				if (pg > viol)
				{
					viol = pg;
					i = a;
				}
			}
			if (i < 0 || viol <= L2_QP_EPS)
			{
				*b = 0;
				return true;
			}
			eta = K[(size_t) i * k + i] > 1e-300 ? K[(size_t) i * k + i] : 1e-300;
			delta = fmin(fmax(beta[i] - g[i] / eta, 0.0), s[i]) - beta[i];
			beta[i] += delta;
			for (int a = 0; a < k; a++)
				g[a] += y[a] * y[i] * K[(size_t) a * k + i] * delta;
			continue;
		}

		/* i: largest -y g among the rows that may move up */
		for (int a = 0; a < k; a++)
			if (y[a] > 0 ? beta[a] < s[a] : beta[a] > 0)
				if (-y[a] * g[a] > up)
				{
					up = -y[a] * g[a];
					i = a;
				}
		/* j: smallest -y g among those that may move down, second order */
		for (int a = 0; a < k; a++)
			if (y[a] > 0 ? beta[a] > 0 : beta[a] < s[a])
			{
				double		v = -y[a] * g[a];

				low = fmin(low, v);
				if (i >= 0 && v < up)
				{
					double		e = K[(size_t) i * k + i] + K[(size_t) a * k + a] -
						2 * K[(size_t) i * k + a];
					double		gain = -(up - v) * (up - v) / (e > 1e-12 ? e : 1e-12);

					if (gain < best)
					{
						best = gain;
						j = a;
					}
				}
			}
		if (i < 0 || j < 0 || up - low <= L2_QP_EPS)
		{
			*b = i < 0 ? low : j < 0 && !isfinite(low) ? up : (up + low) / 2;
			if (!isfinite(*b))
				*b = 0;
			return true;
		}

		/* move beta_i by y_i delta and beta_j by -y_j delta */
		eta = K[(size_t) i * k + i] + K[(size_t) j * k + j] - 2 * K[(size_t) i * k + j];
		delta = (up + g[j] * y[j]) / (eta > 1e-12 ? eta : 1e-12);
		delta = fmin(delta, y[i] > 0 ? s[i] - beta[i] : beta[i]);
		delta = fmin(delta, y[j] > 0 ? beta[j] : s[j] - beta[j]);
		beta[i] = fmin(fmax(beta[i] + y[i] * delta, 0.0), s[i]);
		beta[j] = fmin(fmax(beta[j] - y[j] * delta, 0.0), s[j]);
		for (int a = 0; a < k; a++)
			g[a] += y[a] * delta * (K[(size_t) a * k + i] - K[(size_t) a * k + j]);
	}
	return false;
}

/*
 * Scratch of margin_active_set() for faces of up to mmax unknowns.
 */
typedef struct FaceScratch
{
	int			mmax;
	double	   *M;				/* mmax x mmax, overwritten by the solve */
	double	   *M0;				/* the system itself */
	double	   *x;				/* right-hand side, then the solution */
	double	   *r;				/* residual */
	double	   *sv;				/* singular values */
	double	   *work;
	int		   *iwork;
	int			lwork;
} FaceScratch;

/*
 * Size scratch for faces of up to mmax unknowns (grown, never shrunk: the
 * allocator frees nothing before training ends).  False when LAPACK's
 * workspace query fails.
 */
static bool
face_scratch(const L2Work *wk, FaceScratch *fs, int mmax)
{
	double		rcond = L2_POLISH_RCOND,
				wq = 0;
	int			one = 1,
				rank,
				info,
				lwork = -1,
				iwq = 0;

	if (mmax <= fs->mmax)
		return true;
	fs->M = l2_alloc(wk, sizeof(double) * mmax * mmax);
	fs->M0 = l2_alloc(wk, sizeof(double) * mmax * mmax);
	fs->x = l2_alloc(wk, sizeof(double) * mmax);
	fs->r = l2_alloc(wk, sizeof(double) * mmax);
	fs->sv = l2_alloc(wk, sizeof(double) * mmax);
	dgelsd_(&mmax, &mmax, &one, fs->M, &mmax, fs->x, &mmax, fs->sv, &rcond, &rank, &wq,
			&lwork, &iwq, &info);
	if (info != 0)
		return false;
	fs->lwork = (int) wq;
	fs->work = l2_alloc(wk, sizeof(double) * fs->lwork);
	/* LIWORK = 3 n nlvl + 11 n with nlvl < 32, if the query left it unset */
	fs->iwork = l2_alloc(wk, sizeof(int) * (iwq > 0 ? iwq : 107 * mmax));
	fs->mmax = mmax;
	return true;
}

/*
 * Finish the restricted dual of margin_qp() exactly, from the point where
 * sequential minimal optimization stalled, by a primal active-set method.
 * With F a working set of rows (initially those strictly inside their box)
 * and the other rows held at their bounds, the problem on F alone is
 *
 *   Q_FF d + tau y_F c = -g_F,   tau y_F^T d = 0,   b = tau c
 *
 * (the equality only with an intercept; tau = max Q_aa puts its border on
 * the scale of Q), solved by least squares: Q_FF is singular when the
 * margin rows outnumber the rank of the features.  If the system is
 * consistent, d is the Newton step to the minimum on F; if not, its
 * residual is, in exact arithmetic, a direction of zero curvature along
 * which the objective falls (g_F . r_F = -||r||^2, Q_FF r_F = 0,
 * y_F . r_F = 0), and is followed instead.  Either direction is projected
 * onto y_F . d = 0 against rounding, and the step is cut where a row
 * reaches a bound (it leaves F).  After a whole Newton step the row that
 * violates its condition most (g_a + y_a b < 0 at 0, > 0 at s_a, != 0 in
 * F) joins F, or F is solved again, until none violates it by more than
 * L2_QP_EPS.
 *
 * Returns false, leaving the polish to fail and the next stage to narrow
 * the margin set, when F outgrows L2_ACTIVE_MAX_ROWS, the rounds exceed
 * L2_ACTIVE_MAX_ROUNDS or their work L2_ACTIVE_BUDGET passes, a row that
 * just joined F leaves it at once (the method would cycle), no direction
 * descends, or LAPACK fails.
 */
static bool
margin_active_set(const L2Work *wk, FaceScratch *fs, const double *K, const double *y,
				  const double *s, double *beta, double *g, int k, bool icpt, double *b)
{
	int		   *F = l2_alloc(wk, sizeof(int) * k);
	bool	   *inF = l2_alloc(wk, sizeof(bool) * k);
	double	   *dir = l2_alloc(wk, sizeof(double) * k);
	double		tau = 0;
	double		budget = L2_ACTIVE_BUDGET * (double) wk->n * wk->p * wk->p;
	int			joined = -1;

	for (int a = 0; a < k; a++)
	{
		inF[a] = beta[a] > 0 && beta[a] < s[a];
		tau = fmax(tau, K[(size_t) a * k + a]);
	}
	if (!(tau > 0))
		tau = 1.0;

	for (int round = 0; round < L2_ACTIVE_MAX_ROUNDS; round++)
	{
		int			nf = 0,
					m,
					block = -1,
					worst = -1,
					rank = 0;
		double		slope = 0,
					curv = 0,
					ysum = 0,
					step,
					viol = 0;
		bool		newton = true;

		l2_check_interrupt(wk);
		for (int a = 0; a < k; a++)
			if (inF[a])
				F[nf++] = a;
		if (nf > L2_ACTIVE_MAX_ROWS || (nf == 0 && icpt))
			return false;
		m = nf + (icpt ? 1 : 0);

		/* a solve costs about 10 m^3: stop within a few data passes' work */
		budget -= 10.0 * m * m * m;
		if (budget < 0)
			return false;

		if (nf > 0)
		{
			int			one = 1,
						info;
			double		rcond = L2_POLISH_RCOND,
						scale = 0,
						rnorm = 0;

			if (!face_scratch(wk, fs, Min(2 * m, L2_ACTIVE_MAX_ROWS + 1)))
				return false;

			/* the system on F, column-major, and its least-squares solution */
			for (int c = 0; c < nf; c++)
			{
				for (int e = 0; e < nf; e++)
					fs->M0[c * m + e] = y[F[e]] * y[F[c]] * K[(size_t) F[e] * k + F[c]];
				if (icpt)
				{
					fs->M0[c * m + nf] = tau * y[F[c]];
					fs->M0[nf * m + c] = tau * y[F[c]];
				}
				fs->x[c] = -g[F[c]];
			}
			if (icpt)
			{
				fs->M0[nf * m + nf] = 0;
				fs->x[nf] = 0;
			}
			memcpy(fs->M, fs->M0, sizeof(double) * m * m);
			memcpy(fs->r, fs->x, sizeof(double) * m);
			dgelsd_(&m, &m, &one, fs->M, &m, fs->x, &m, fs->sv, &rcond, &rank, fs->work,
					&fs->lwork, fs->iwork, &info);
			if (info != 0)
				return false;

			/*
			 * Consistent when of full rank, or when the residual is at the
			 * rounding level of the products that formed it.
			 */
			for (int e = 0; e < m; e++)
			{
				double		mag = fabs(fs->r[e]);

				for (int c = 0; c < m; c++)
				{
					fs->r[e] -= fs->M0[c * m + e] * fs->x[c];
					mag += fabs(fs->M0[c * m + e] * fs->x[c]);
				}
				scale = fmax(scale, mag);
				rnorm = fmax(rnorm, fabs(fs->r[e]));
			}
			newton = rank == m || rnorm <= L2_ACTIVE_ROUNDING * DBL_EPSILON * scale;
			for (int e = 0; e < nf; e++)
			{
				dir[e] = newton ? fs->x[e] : fs->r[e];
				ysum += y[F[e]] * dir[e];
			}
			if (icpt)
				for (int e = 0; e < nf; e++)
					dir[e] -= ysum / nf * y[F[e]];

			/* exact line search along dir (Q_FF is M0's leading block) */
			for (int e = 0; e < nf; e++)
			{
				slope += g[F[e]] * dir[e];
				for (int c = 0; c < nf; c++)
					curv += dir[e] * fs->M0[c * m + e] * dir[c];
			}
			if (!newton && !(slope < 0))
				return false;

			/* cut at the first bound */
			step = newton ? 1.0 : (curv > 0 ? -slope / curv : INFINITY);
			for (int e = 0; e < nf; e++)
			{
				int			a = F[e];
				double		lim = dir[e] < 0 ? -beta[a] / dir[e] :
					dir[e] > 0 ? (s[a] - beta[a]) / dir[e] : INFINITY;

				if (lim < step)
				{
					step = lim;
					block = e;
				}
			}
			if (!isfinite(step))
				return false;
			if (block >= 0 && F[block] == joined && step == 0)
				return false;

			/* move beta_F and the gradient of every row */
			for (int e = 0; e < nf; e++)
				beta[F[e]] = fmin(fmax(beta[F[e]] + step * dir[e], 0.0), s[F[e]]);
			if (block >= 0)
			{
				beta[F[block]] = dir[block] < 0 ? 0.0 : s[F[block]];
				inF[F[block]] = false;
			}
			for (int a = 0; a < k; a++)
			{
				double		dg = 0;

				for (int e = 0; e < nf; e++)
					dg += y[a] * y[F[e]] * K[(size_t) a * k + F[e]] * dir[e];
				g[a] += step * dg;
			}
			if (block >= 0 || !newton)
			{
				joined = -1;
				continue;
			}
		}

		/* optimal on F: does any row object? */
		*b = icpt ? tau * fs->x[nf] : 0.0;
		for (int a = 0; a < k; a++)
		{
			double		kkt = g[a] + y[a] * *b;
			double		v = inF[a] ? fabs(kkt) : beta[a] <= 0 ? -kkt : kkt;

			if (v > viol)
			{
				viol = v;
				worst = a;
			}
		}
		if (viol <= L2_QP_EPS)
			return true;
		joined = inF[worst] ? -1 : worst;
		inF[worst] = true;
	}
	return false;
}

/*
 * Active-set polish from the smoothed solution at width h (wk->z holds its
 * decision values).  Rows within tau of the smoothing interval form E; rows
 * below it get beta = s, rows above it 0, and the dual restricted to E is
 * solved exactly (margin_qp, margin_active_set; fs is the latter's
 * scratch, kept across calls).  If the guess of the fixed rows was right, the
 * result is the optimum, which the duality gap confirms.  On success returns
 * true with the candidate in vout, its decision values in wk->q and its
 * relative gap in *gap.  *qp_capped is set when the restricted dual hit its
 * step cap, which a wider slack would not cure.
 */
static bool
polish(L2Work *wk, FaceScratch *fs, double h, double tau, const double *v, double *vout,
	   double *beta, double *u, double *gap, bool *qp_capped)
{
	int			d = wk->d,
				p = wk->p;
	bool		icpt = p > d;
	int			maxk = L2_POLISH_MAX_ROWS;
	int64_t    *E = l2_alloc(wk, sizeof(int64_t) * maxk);
	int			k = 0;
	double		b = icpt ? v[d] : 0.0;

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

	if (k > 0)
	{
		double	   *Gs = l2_alloc(wk, sizeof(double) * k * d);
		double	   *K = l2_alloc(wk, sizeof(double) * k * k);
		double	   *yE = l2_alloc(wk, sizeof(double) * k);
		double	   *sE = l2_alloc(wk, sizeof(double) * k);
		double	   *bE = l2_alloc(wk, sizeof(double) * k);
		double	   *gE = l2_alloc(wk, sizeof(double) * k);
		double	   *t = l2_alloc(wk, sizeof(double) * d);
		double	   *rows = l2_alloc(wk, sizeof(double) * k * p);
		double		resid = 0;

		/*
		 * u of the fixed rows, and the margin rows scaled by 1/sqrt(pen)
		 * per column.
		 */
		dual_direction(wk, beta, u);
		l2_gather_rows(wk, E, k, rows);
		for (int a = 0; a < k; a++)
			for (int j = 0; j < d; j++)
				Gs[a * d + j] = wk->pen[j] > 0 ? rows[(size_t) a * p + j] / sqrt(wk->pen[j]) : 0.0;

		/* the start: beta of the smoothed point */
		for (int e = 0; e < k; e++)
		{
			double		val,
						d1,
						d2;

			yE[e] = wk->y[E[e]];
			sE[e] = wk->s[E[e]];
			l2_loss(L2_SMOOTH_HUBER_HINGE, h, yE[e] * wk->z[E[e]], &val, &d1, &d2);
			bE[e] = fmin(fmax(-sE[e] * d1, 0.0), sE[e]);
		}

		/* make the start satisfy sum_E y beta = -u_b exactly */
		if (icpt)
		{
			resid = -u[d];
			for (int e = 0; e < k; e++)
				resid -= yE[e] * bE[e];
			for (int e = 0; e < k && resid != 0; e++)
			{
				double		nb = fmin(fmax(bE[e] + yE[e] * resid, 0.0), sE[e]);

				resid -= yE[e] * (nb - bE[e]);
				bE[e] = nb;
			}
			if (fabs(resid) > L2_BALANCE_EPS * wk->wsum)
				return false;
		}

		cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, k, d, 1.0, Gs, d, 0.0, K, k);
		for (int e = 0; e < k; e++)
			for (int f = e + 1; f < k; f++)
				K[(size_t) f * k + e] = K[(size_t) e * k + f];

		/* gradient at the start: g_a = y_a x'_a . P^-1 (u + sum_E beta y x') - 1 */
		for (int j = 0; j < d; j++)
			t[j] = wk->pen[j] > 0 ? u[j] / sqrt(wk->pen[j]) : 0.0;
		for (int e = 0; e < k; e++)
			gE[e] = yE[e] * bE[e];
		cblas_dgemv(CblasRowMajor, CblasTrans, k, d, 1.0, Gs, d, gE, 1, 1.0, t, 1);
		cblas_dgemv(CblasRowMajor, CblasNoTrans, k, d, 1.0, Gs, d, t, 1, 0.0, gE, 1);
		for (int e = 0; e < k; e++)
		{
			gE[e] = yE[e] * gE[e] - 1.0;
			if (!isfinite(gE[e]))
				return false;
		}

		if (!margin_qp(wk, K, yE, sE, bE, gE, k, icpt, &b) &&
			!margin_active_set(wk, fs, K, yE, sE, bE, gE, k, icpt, &b))
		{
			*qp_capped = true;
			return false;
		}
		for (int e = 0; e < k; e++)
			beta[E[e]] = bE[e];
	}

	/* the candidate: w' = u / pen and the intercept the conditions imply */
	dual_direction(wk, beta, u);
	for (int j = 0; j < d; j++)
		vout[j] = wk->pen[j] > 0 ? u[j] / wk->pen[j] : 0.0;
	if (icpt)
		vout[d] = b;
	l2_compute_z(wk, vout, wk->q);
	*gap = relative_gap(wk, vout, wk->q, beta, u, true);
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
	FaceScratch fs = {0};

	memset(res, 0, sizeof(*res));

	/* large problems skip the first stages: a subsample solves them */
	if (l2_warm_start(wk, L2_SMOOTH_HUBER_HINGE, h, L2_HINGE_WARM_STAGES + 1,
					  L2_HINGE_SHRINK, v))
		for (int k = 0; k < L2_HINGE_WARM_STAGES; k++)
			h *= L2_HINGE_SHRINK;

	for (int stage = 0; stage < L2_HINGE_MAX_STAGES; stage++, h *= L2_HINGE_SHRINK)
	{
		L2NewtonResult nr;
		double		pgap;
		bool		polished,
					capped;

		l2_newton(wk, L2_SMOOTH_HUBER_HINGE, h, v,
				  fmax(L2_HINGE_STAGE_TOL, L2_HINGE_STAGE_LOOSE * h * h),
				  Min(L2_HINGE_STAGE_MAX_ITER, prob->max_iter - res->iterations), false, &nr);
		res->iterations += nr.iterations;

		/*
		 * Exact optimum by the active set?  The smoothed solution is only as
		 * accurate as its conditioning allows, so margins are matched with a
		 * growing slack; the gap check rejects any wrong guess.
		 */
		polished = false;
		capped = false;
		for (double tau = L2_MARGIN_EPS; tau <= L2_MARGIN_EPS_MAX && !polished && !capped;
			 tau *= 100)
			polished = polish(wk, &fs, h, tau, v, vpol, beta, u, &pgap, &capped) &&
				pgap <= prob->tol;
		if (polished)
		{
			memcpy(v, vpol, sizeof(double) * wk->p);
			memcpy(wk->z, wk->q, sizeof(double) * wk->n);
			gap = pgap;
		}
		else
		{
			/*
			 * Certify the smoothed point itself, by the best dual point,
			 * unless the gap estimate says no dual point will do; the
			 * estimate then stands in for the gap (it is no certificate).
			 */
			smoothed_beta(wk, h, beta);
			gap = estimated_gap(wk, h, v, beta);
			if (gap <= L2_CERTIFY_HOPE * prob->tol)
			{
				gap = relative_gap(wk, v, wk->z, beta, u, false);
				for (double tau = L2_MARGIN_EPS; tau <= L2_MARGIN_EPS_MAX && gap > prob->tol;
					 tau *= 100)
					gap = fmin(gap, certify(wk, tau, v, beta, u));
			}
		}

		if (wk->hooks->trace)
			wk->hooks->trace(wk->hooks->arg, res->iterations,
							 hinge_primal(wk, v, wk->z), fmax(gap, 0.0));
		if (gap <= prob->tol || res->iterations >= prob->max_iter)
			break;
	}

	res->objective = hinge_primal(wk, v, wk->z);
	/* no certificate at all is reported as a relative gap of 1 */
	res->optimality = isfinite(gap) ? fmax(gap, 0.0) : 1.0;
	res->converged = gap <= prob->tol;
}

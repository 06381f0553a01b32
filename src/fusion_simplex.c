/*
 * fusion_simplex.c
 *		The convex combination of member probabilities with the least
 *		held-out log loss.
 *
 * Problem.  Given n held-out rows and k members, with a_ij in [eps, 1] the
 * probability member j gives to the true label of row i, find
 *
 *   minimize   f(w) = -(1/n) sum_i log(s_i),   s_i = a_i . w
 *   subject to w_j >= 0,  sum_j w_j = 1.
 *
 * f is convex and smooth on the simplex (s_i >= eps > 0), with
 *
 *   gradient  g_j  = -(1/n) sum_i a_ij / s_i
 *   Hessian   H_jl =  (1/n) sum_i a_ij a_il / s_i^2.
 *
 * Since w . g = -1 at every feasible w, the KKT conditions read g_j = -1
 * where w_j > 0 and g_j >= -1 where w_j = 0.  The Frank-Wolfe gap
 *
 *   G(w) = w . g - min_j g_j = -1 - min_j g_j  >= 0
 *
 * bounds f(w) - min f from above (by convexity), so it is both the
 * certificate reported to the user and the stopping rule: G(w) <= tol.
 *
 * Method: active-set Newton.  Each iteration works on the face
 * F = {j : w_j > 0}:
 *   - if a member outside F violates its KKT condition by more than the
 *     members of F do (max over F of |g_j + 1|), step toward that vertex
 *     (a Frank-Wolfe step) with an exact line search, so it joins F;
 *   - else take the Newton step on F under sum d = 0,
 *       d = -H_FF^-1 (g_F - nu 1),  nu = (1' H_FF^-1 g_F) / (1' H_FF^-1 1),
 *     cut short to stay feasible (a weight that reaches 0 leaves F exactly)
 *     and halved until the Armijo condition holds.
 * On the optimal face the Newton steps converge quadratically.  H_FF is
 * singular when members are collinear on the held-out rows; a relative
 * ridge of 1e-13 keeps its Cholesky factor defined (the minimum is still
 * reached; the minimizer is then not unique).
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include <cblas.h>

#include "fusion.h"

extern void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);
extern void dpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a,
					const int *lda, double *b, const int *ldb, int *info);

/* Halvings of the Newton step before the line search gives up. */
#define ARMIJO_MAX_HALVINGS 60
#define ARMIJO_SLOPE 1e-4
/* A change of f within this many ulps of f is rounding, not progress. */
#define FLAT_ULPS 64
/* Iterations of the one-dimensional search of a Frank-Wolfe step. */
#define LINE_MAX_ITER 200
#define RIDGE 1e-13

/* Scratch arrays of one solve. */
typedef struct Simplex
{
	const double *a;
	int64_t		n;
	int32_t		k;
	double	   *s;				/* n: a_i . w */
	double	   *g;				/* k: gradient */
	double	   *b;				/* n x |F|: a_iF / s_i, row-major */
	double	   *h;				/* |F| x |F|: Hessian on the face */
	double	   *rhs;			/* 2 x |F|: g_F and 1, then solved */
	double	   *wt;				/* k: trial weights */
	double	   *st;				/* n: trial s */
	int32_t    *face;			/* |F| member indices */
} Simplex;

/* s = A w and f(w) = -(1/n) sum log s_i, summed in long double. */
static double
objective_at(const Simplex *sp, const double *w, double *s)
{
	long double sum = 0;
	int64_t		i;

	cblas_dgemv(CblasRowMajor, CblasNoTrans, (int) sp->n, sp->k, 1.0, sp->a, sp->k,
				w, 1, 0.0, s, 1);
	for (i = 0; i < sp->n; i++)
		sum += logl((long double) s[i]);
	return (double) (-sum / (long double) sp->n);
}

/* g = -(1/n) A' (1 / s). */
static void
gradient_at(Simplex *sp)
{
	int32_t		j;
	int64_t		i;

	for (j = 0; j < sp->k; j++)
	{
		long double sum = 0;

		for (i = 0; i < sp->n; i++)
			sum += (long double) sp->a[i * sp->k + j] / sp->s[i];
		sp->g[j] = (double) (-sum / (long double) sp->n);
	}
}

/*
 * The Newton direction on the face (nf members in sp->face) into d (k
 * values, zero off the face).  Returns false when the factorization fails.
 */
static bool
face_newton(Simplex *sp, int32_t nf, double *d)
{
	int			nfi = nf;
	int			two = 2;
	int			info;
	double		maxdiag = 0;
	double		u1 = 0,
				v1 = 0,
				nu;
	int64_t		i;
	int32_t		j;

	/* H_FF = B'B / n with B_ij = a_i,face(j) / s_i */
	for (i = 0; i < sp->n; i++)
		for (j = 0; j < nf; j++)
			sp->b[i * nf + j] = sp->a[i * sp->k + sp->face[j]] / sp->s[i];
	cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, nf, (int) sp->n, 1.0 / (double) sp->n,
				sp->b, nf, 0.0, sp->h, nf);

	/* a relative ridge keeps the factor defined for collinear members */
	for (j = 0; j < nf; j++)
		maxdiag = fmax(maxdiag, sp->h[j * nf + j]);
	for (j = 0; j < nf; j++)
		sp->h[j * nf + j] += RIDGE * maxdiag + DBL_MIN;
	dpotrf_("U", &nfi, sp->h, &nfi, &info);
	if (info != 0)
		return false;

	/* u = H^-1 g_F, v = H^-1 1 */
	for (j = 0; j < nf; j++)
	{
		sp->rhs[j] = sp->g[sp->face[j]];
		sp->rhs[nf + j] = 1.0;
	}
	dpotrs_("U", &nfi, &two, sp->h, &nfi, sp->rhs, &nfi, &info);
	if (info != 0)
		return false;

	for (j = 0; j < nf; j++)
	{
		u1 += sp->rhs[j];
		v1 += sp->rhs[nf + j];
	}
	if (!(v1 > 0))
		return false;
	nu = u1 / v1;

	memset(d, 0, sizeof(double) * (size_t) sp->k);
	for (j = 0; j < nf; j++)
		d[sp->face[j]] = -(sp->rhs[j] - nu * sp->rhs[nf + j]);
	return true;
}

/*
 * Move w along the Newton direction d: the longest feasible step is cut at
 * the first weight to reach 0, then halved until f decreases by the Armijo
 * rule, or taken whole when the decrease it predicts is below the rounding
 * of f.  Returns false when no step decreases f.
 */
static bool
newton_step(Simplex *sp, double *w, const double *d, double *f)
{
	double		slope = 0;
	double		tmax = 1.0;
	double		flat;
	double		t;
	int32_t		block = -1;
	int32_t		j;
	int			h;

	/*
	 * d sums to 0, so slope = g . d = (g + 1) . d; the second form keeps the
	 * rounding of sum d (times g near -1) out of a slope that is tiny near
	 * the minimum.
	 */
	for (j = 0; j < sp->k; j++)
	{
		slope += (sp->g[j] + 1.0) * d[j];
		if (d[j] < 0 && -w[j] / d[j] < tmax)
		{
			tmax = -w[j] / d[j];
			block = j;
		}
	}
	if (!(slope < 0))
		return false;

	/*
	 * Near the minimum the predicted decrease falls below the rounding of f
	 * itself, and the Armijo test compares rounding noise.  There the
	 * quadratic model is trusted: the first trial step is taken as long as
	 * f does not rise by more than its rounding, and the gradient at the new
	 * point decides whether to go on.
	 */
	flat = FLAT_ULPS * DBL_EPSILON * fabs(*f);

	t = tmax;
	for (h = 0; h < ARMIJO_MAX_HALVINGS; h++, t *= 0.5)
	{
		double		ft;
		double		sum = 0;

		for (j = 0; j < sp->k; j++)
		{
			sp->wt[j] = fmax(0.0, w[j] + t * d[j]);
			if (t == tmax && j == block)
				sp->wt[j] = 0;
			sum += sp->wt[j];
		}
		for (j = 0; j < sp->k; j++)
			sp->wt[j] /= sum;

		ft = objective_at(sp, sp->wt, sp->st);
		if (ft <= *f + ARMIJO_SLOPE * t * slope ||
			(h == 0 && -t * slope <= flat && ft <= *f + flat))
		{
			memcpy(w, sp->wt, sizeof(double) * (size_t) sp->k);
			memcpy(sp->s, sp->st, sizeof(double) * (size_t) sp->n);
			*f = ft;
			return true;
		}
	}
	return false;
}

/*
 * phi'(t) and phi''(t) of phi(t) = f(w + t (e_j - w)), where s_i moves
 * along c_i = a_ij - s_i.
 */
static void
line_derivatives(const Simplex *sp, int32_t j, double t, double *d1, double *d2)
{
	long double p1 = 0,
				p2 = 0;
	int64_t		i;

	for (i = 0; i < sp->n; i++)
	{
		double		c = sp->a[i * sp->k + j] - sp->s[i];
		double		r = c / (sp->s[i] + t * c);

		p1 += r;
		p2 += (long double) r * r;
	}
	*d1 = (double) (-p1 / (long double) sp->n);
	*d2 = (double) (p2 / (long double) sp->n);
}

/*
 * Frank-Wolfe step toward vertex j, whose gradient entry is below -1: the
 * exact minimizer of the convex phi(t) on [0, 1] by Newton's method kept
 * inside a bracket [lo, hi] with phi'(lo) < 0 < phi'(hi).
 */
static void
frank_wolfe_step(Simplex *sp, double *w, int32_t j, double *f)
{
	double		lo = 0,
				hi = 1,
				t,
				d1,
				d2;
	int			it;
	int32_t		m;

	line_derivatives(sp, j, 1.0, &d1, &d2);
	if (d1 <= 0)
		t = 1.0;
	else
	{
		t = 0.5;
		for (it = 0; it < LINE_MAX_ITER && hi - lo > 4 * DBL_EPSILON * hi; it++)
		{
			double		next;

			line_derivatives(sp, j, t, &d1, &d2);
			if (d1 == 0)
				break;
			if (d1 < 0)
				lo = t;
			else
				hi = t;
			next = d2 > 0 ? t - d1 / d2 : 0.5 * (lo + hi);
			if (!(next > lo && next < hi))
				next = 0.5 * (lo + hi);
			t = next;
		}
	}

	for (m = 0; m < sp->k; m++)
		w[m] *= 1.0 - t;
	w[j] += t;
	*f = objective_at(sp, w, sp->s);
}

/*
 * Solve the problem stated at the top of this file.  w starts at equal
 * weights; on return it holds the weights and fit the certificate.
 */
void
l2_simplex_log_loss(const double *a, int64_t n, int32_t k, double tol, int32_t max_iter,
					L2Alloc alloc, void *ctx, double *w, L2SimplexFit *fit)
{
	Simplex		sp;
	double	   *d;
	double		f;
	int32_t		j;
	int32_t		iter = 0;

	sp.a = a;
	sp.n = n;
	sp.k = k;
	sp.s = alloc(sizeof(double) * (size_t) n, ctx);
	sp.st = alloc(sizeof(double) * (size_t) n, ctx);
	sp.g = alloc(sizeof(double) * (size_t) k, ctx);
	sp.wt = alloc(sizeof(double) * (size_t) k, ctx);
	sp.b = alloc(sizeof(double) * (size_t) n * (size_t) k, ctx);
	sp.h = alloc(sizeof(double) * (size_t) k * (size_t) k, ctx);
	sp.rhs = alloc(sizeof(double) * 2 * (size_t) k, ctx);
	sp.face = alloc(sizeof(int32_t) * (size_t) k, ctx);
	d = alloc(sizeof(double) * (size_t) k, ctx);

	for (j = 0; j < k; j++)
		w[j] = 1.0 / k;
	f = objective_at(&sp, w, sp.s);

	for (;;)
	{
		double		gmin = INFINITY;
		double		face_res = 0;
		double		out_viol = 0;
		int32_t		jmin = 0;
		int32_t		nf = 0;

		/* the certificate at w */
		gradient_at(&sp);
		for (j = 0; j < k; j++)
		{
			if (sp.g[j] < gmin)
			{
				gmin = sp.g[j];
				jmin = j;
			}
			if (w[j] > 0)
			{
				sp.face[nf++] = j;
				face_res = fmax(face_res, fabs(sp.g[j] + 1.0));
			}
			else
				out_viol = fmax(out_viol, -1.0 - sp.g[j]);
		}
		fit->gap = fmax(0.0, -1.0 - gmin);
		if (fit->gap <= tol || iter >= max_iter)
			break;
		iter++;

		/* a vertex outside the face pulls harder than the face is off */
		if (out_viol > face_res)
		{
			frank_wolfe_step(&sp, w, jmin, &f);
			continue;
		}

		/*
		 * Newton on the face; if it cannot improve, try the best vertex, and
		 * keep w if that does not improve either.
		 */
		if (!face_newton(&sp, nf, d) || !newton_step(&sp, w, d, &f))
		{
			double		f0 = f;

			if (w[jmin] >= 1.0)
				break;
			memcpy(sp.wt, w, sizeof(double) * (size_t) k);
			frank_wolfe_step(&sp, w, jmin, &f);
			if (!(f < f0))
			{
				memcpy(w, sp.wt, sizeof(double) * (size_t) k);
				f = objective_at(&sp, w, sp.s);
				break;
			}
		}
	}

	fit->objective = f;
	fit->iterations = iter;
	fit->converged = fit->gap <= tol;
}

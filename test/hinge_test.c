/*
 * hinge_test.c
 *		Trains the hinge loss on small awkward problems with the solvers of
 *		src/ alone, and prints each problem's certified objective.
 *
 * test/check_hinge.sh builds it twice: as the extension is built, and with
 * sequential minimal optimization disabled (L2_QP_MAX_ITER = 0), so that
 * every polish goes through the active-set finish of the restricted dual
 * from its cold start.  Both builds must certify each problem (converged,
 * relative duality gap <= tol) and reach the same objective.  Prints one
 * line per problem, "name objective", or "FAILED ..." and exits 1.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "solver.h"
#include "test_util.h"

/* A standard normal number (Box-Muller). */
static double
Normal(unsigned long long *state)
{
	double		u = Uniform(state);
	double		v = Uniform(state);

	return sqrt(-2.0 * log(1.0 - u)) * cos(6.283185307179586 * v);
}

/*
 * n rows: `rank` independent normal columns, then d - rank columns that
 * are sums of two of them; labels from a noisy linear rule; each distinct
 * row repeated `copies` times.
 */
static void
MakeData(unsigned long long seed, int n, int d, int rank, int copies, double **x, uint8_t **y)
{
	unsigned long long rng = seed;
	int			rows = n * copies;

	*x = malloc(sizeof(double) * rows * d);
	*y = malloc(rows);
	for (int i = 0; i < n; i++)
	{
		double		row[64];
		double		z = 0.2;

		for (int j = 0; j < d; j++)
			row[j] = j < rank ? Normal(&rng) : row[j % rank] + row[(j + 1) % rank];
		for (int j = 0; j < rank; j++)
			z += (j % 2 ? -1.0 : 1.0) * row[j] / (1 + j);
		z += 0.7 * Normal(&rng);
		for (int c = 0; c < copies; c++)
		{
			for (int j = 0; j < d; j++)
				(*x)[(size_t) (i * copies + c) * d + j] = row[j];
			(*y)[i * copies + c] = z > 0;
		}
	}
}

/* Train one problem and print its objective. */
static void
Run(const char *name, unsigned long long seed, int n, int d, int rank, int copies,
	double lambda, bool intercept, bool weighted)
{
	double	   *x;
	uint8_t    *y;
	double	   *w = NULL;
	L2Segment	seg;
	L2Problem	prob = {0};
	L2Hooks		hooks = {0};
	L2Fit		fit;

	hooks.alloc = TestAlloc;
	MakeData(seed, n, d, rank, copies, &x, &y);
	if (weighted)
	{
		unsigned long long rng = seed + 1;

		w = malloc(sizeof(double) * n * copies);
		for (int i = 0; i < n * copies; i++)
			w[i] = 0.25 + 3 * Uniform(&rng);
	}
	seg.x = x;
	seg.y = y;
	seg.w = w;
	seg.n = (int64_t) n * copies;
	prob.d = d;
	prob.nseg = 1;
	prob.seg = &seg;
	prob.loss = L2_LOSS_HINGE;
	prob.lambda = lambda;
	prob.fit_intercept = intercept;
	prob.class_weight_mode = L2_CLASS_WEIGHT_NONE;
	prob.tol = 1e-9;
	prob.max_iter = 1000;

	if (l2_fit(&prob, &hooks, &fit) != L2_OK)
	{
		printf("FAILED %s: no fit\n", name);
		failures++;
	}
	else if (!fit.converged || !(fit.optimality <= prob.tol))
	{
		printf("FAILED %s: converged %d, gap %.3g after %d iterations\n", name,
			   fit.converged, fit.optimality, fit.iterations);
		failures++;
	}
	else
		printf("%s %.17g\n", name, fit.objective);
	free(x);
	free(y);
	free(w);
}

int
main(void)
{
	Run("full_rank", 1, 300, 5, 5, 1, 1.0, true, false);
	Run("full_rank_no_intercept", 1, 300, 5, 5, 1, 1.0, false, false);
	Run("rank_deficient", 2, 2000, 8, 4, 1, 0.1, true, false);
	Run("rank_deficient_no_intercept", 2, 2000, 8, 4, 1, 0.1, false, false);
	Run("rank_deficient_weighted", 3, 1500, 12, 6, 1, 3.0, true, true);
	Run("duplicate_rows", 4, 200, 6, 6, 3, 0.5, true, false);
	Run("wide_lambda_small", 5, 400, 20, 10, 1, 1e-3, true, false);
	Run("wide_lambda_large", 5, 400, 20, 10, 1, 1e3, true, false);
	Run("many_margin_rows", 6, 10000, 9, 9, 1, 0.1, true, false);
	return failures ? 1 : 0;
}

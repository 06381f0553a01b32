/*
 * warm_test.c
 *		Solves problems large enough for the subsample warm start with the
 *		solvers of src/ alone, and prints each one's objective.
 *
 * test/check_warm.sh builds it twice: as the extension is built, and with
 * the warm start disabled (L2_WARM_MIN_ROWS beyond any problem).  Both
 * builds must converge on every problem and reach the same objective.
 * The problems: each loss on 600000 rows; balanced class weights on a
 * 1% minority with row weights and a fold left out; and a minority of
 * three rows, which the subsample misses (the start falls back to 0).
 * Prints one line per problem, "name objective iterations", or
 * "FAILED ..." and exits 1.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "solver.h"
#include "test_util.h"

/*
 * Solve n rows of d normal features; the label is a noisy linear rule
 * shifted so that about `minority` of the rows are positive, or exactly
 * `few` rows when few > 0.
 */
static void
Run(const char *name, L2Loss loss, int64_t n, int d, double minority, int few,
	bool weighted, unsigned long long seed)
{
	unsigned long long rng = seed;
	double	   *x = malloc(sizeof(double) * n * d);
	uint8_t    *y = malloc(n);
	double	   *w = weighted ? malloc(sizeof(double) * n) : NULL;
	uint8_t    *fold = weighted ? malloc(n) : NULL;
	double		shift = minority >= 0.5 ? 0.0 : 1.6 + 2.3 * (0.5 - minority) * 2;
	L2Segment	seg[3];
	L2Problem	prob = {0};
	L2Hooks		hooks = {0};
	L2Fit		fit;

	for (int64_t i = 0; i < n; i++)
	{
		double		z = -shift;

		for (int j = 0; j < d; j++)
		{
			double		u = Uniform(&rng),
						v = Uniform(&rng);

			x[i * d + j] = sqrt(-2.0 * log(1.0 - u)) * cos(6.283185307179586 * v);
			z += (j % 2 ? 0.6 : -0.9) * x[i * d + j] / (1 + j % 3);
		}
		y[i] = few > 0 ? (i % (n / few) == 7 && i / (n / few) < few) :
			z + 0.9 * (Uniform(&rng) - 0.5) > 0;
		if (w)
		{
			w[i] = 0.1 + 1.9 * Uniform(&rng);
			fold[i] = (uint8_t) (Uniform(&rng) * 5);
		}
	}

	for (int k = 0; k < 3; k++)
	{
		int64_t		b = n * k / 3,
					e = n * (k + 1) / 3;

		seg[k].x = x + b * d;
		seg[k].y = y + b;
		seg[k].w = w ? w + b : NULL;
		seg[k].n = e - b;
	}
	hooks.alloc = TestAlloc;
	prob.d = d;
	prob.nseg = 3;
	prob.seg = seg;
	prob.loss = loss;
	prob.lambda = 1e-3 * n;
	prob.fit_intercept = true;
	prob.class_weight_mode = minority < 0.5 ? L2_CLASS_WEIGHT_BALANCED : L2_CLASS_WEIGHT_NONE;
	prob.tol = loss == L2_LOSS_HINGE ? 1e-9 : 1e-10;
	prob.max_iter = 1000;
	prob.threads = 2;
	prob.fold = fold;
	prob.exclude_fold = 1;

	if (l2_fit(&prob, &hooks, &fit) != L2_OK)
	{
		printf("FAILED %s: no fit\n", name);
		failures++;
	}
	else if (!fit.converged)
	{
		printf("FAILED %s: not converged, optimality %.3g after %d iterations\n", name,
			   fit.optimality, fit.iterations);
		failures++;
	}
	else
		printf("%s %.17g %d\n", name, fit.objective, fit.iterations);
	free(x);
	free(y);
	free(w);
	free(fold);
}

int
main(void)
{
	Run("logistic", L2_LOSS_LOGISTIC, 600000, 8, 0.5, 0, false, 1);
	Run("squared_hinge", L2_LOSS_SQUARED_HINGE, 600000, 8, 0.5, 0, false, 2);
	Run("hinge", L2_LOSS_HINGE, 600000, 8, 0.5, 0, false, 3);
	Run("logistic_minority_weighted", L2_LOSS_LOGISTIC, 600000, 6, 0.01, 0, true, 4);
	Run("hinge_minority_weighted", L2_LOSS_HINGE, 600000, 6, 0.01, 0, true, 5);
	Run("logistic_three_positives", L2_LOSS_LOGISTIC, 600000, 4, 0.0, 3, false, 6);
	return failures ? 1 : 0;
}

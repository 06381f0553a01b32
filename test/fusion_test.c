/*
 * fusion_test.c
 *		Checks the simplex log-loss solver of src/fusion_simplex.c on its
 *		own: the certificate it reports, the weights against a bisection
 *		where the optimum has one free weight, and the objective against
 *		every vertex and random points of the simplex.
 *
 * Built and run by test/check_fusion.sh, once for each OpenBLAS kernel the
 * CPU runs, since a solver that stops on a certificate of 1e-12 must not
 * depend on how the kernel rounds.  Prints one line per failed check and
 * exits 1 if any failed.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "fusion.h"
#include "test_util.h"

#define TOL 1e-12
#define MAX_ITER 1000

/* The solver's scratch memory; freed when the test process ends. */
static void *
Alloc(size_t size, void *ctx)
{
	(void) ctx;
	return calloc(1, size ? size : 1);
}

static double
Sigmoid(double z)
{
	return 1.0 / (1.0 + exp(-z));
}

/* -(1/n) sum_i log(a_i . w), the objective, the slow way. */
static double
LogLoss(const double *a, int n, int k, const double *w)
{
	double		sum = 0;
	int			i,
				j;

	for (i = 0; i < n; i++)
	{
		double		s = 0;

		for (j = 0; j < k; j++)
			s += a[i * k + j] * w[j];
		sum += log(s);
	}
	return -sum / n;
}

/*
 * Two members whose probabilities of the true label are a and 1 - a: the
 * weights (t, 1 - t) minimize where sum_i (2 a_i - 1) / s_i(t) = 0, found
 * here by bisection.
 */
static void
CheckTwoMembers(void)
{
	double		x[] = {-2, -1, 1, 2};
	int			y[] = {0, 0, 1, 0};
	double		a[8];
	double		w[2];
	double		lo = 0,
				hi = 1;
	L2SimplexFit fit;
	int			i,
				it;

	for (i = 0; i < 4; i++)
	{
		a[2 * i] = y[i] ? Sigmoid(x[i]) : Sigmoid(-x[i]);
		a[2 * i + 1] = 1.0 - a[2 * i];
	}
	for (it = 0; it < 200; it++)
	{
		double		t = 0.5 * (lo + hi);
		double		der = 0;

		for (i = 0; i < 4; i++)
			der -= (a[2 * i] - a[2 * i + 1]) / (t * a[2 * i] + (1 - t) * a[2 * i + 1]);
		if (der < 0)
			lo = t;
		else
			hi = t;
	}

	l2_simplex_log_loss(a, 4, 2, TOL, MAX_ITER, Alloc, NULL, w, &fit);
	Check(fit.converged, "two members converge", fit.gap, TOL);
	Check(fit.gap <= TOL, "two members certificate", fit.gap, TOL);
	Check(fabs(w[0] - 0.5 * (lo + hi)) <= 1e-12, "two members weight", w[0], 0.5 * (lo + hi));
	Check(fabs(w[0] + w[1] - 1) <= 1e-15, "two members weights sum to 1", w[0] + w[1], 1);
}

/* A member worse on every row gets weight exactly 0. */
static void
CheckDominated(void)
{
	double		a[] = {0.9, 0.2, 0.7, 0.6, 0.8, 0.1};
	double		w[2];
	L2SimplexFit fit;

	l2_simplex_log_loss(a, 3, 2, TOL, MAX_ITER, Alloc, NULL, w, &fit);
	Check(fit.converged, "dominated member converges", fit.gap, TOL);
	Check(w[0] == 1.0 && w[1] == 0.0, "dominated member weight", w[1], 0);
}

/*
 * Random members, some near-duplicates of each other: the certificate
 * holds and no vertex, the centre, nor a random simplex point does better.
 */
static void
CheckRandom(void)
{
	unsigned long long rng = 7;
	int			ks[] = {2, 3, 5, 8};
	int			ns[] = {5, 60, 2000};
	size_t		a1,
				b1;

	for (a1 = 0; a1 < sizeof(ks) / sizeof(ks[0]); a1++)
		for (b1 = 0; b1 < sizeof(ns) / sizeof(ns[0]); b1++)
		{
			int			k = ks[a1],
						n = ns[b1];
			double	   *a = malloc(sizeof(double) * n * k);
			double	   *w = malloc(sizeof(double) * k);
			double	   *v = malloc(sizeof(double) * k);
			L2SimplexFit fit;
			double		f,
						sum = 0;
			int			i,
						j,
						r;
			char		what[80];

			for (i = 0; i < n; i++)
			{
				double		z = 4 * Uniform(&rng) - 2;

				for (j = 0; j < k; j++)
				{
					double		noise = j == k - 1 && k > 2 ? 1e-9 : 1.0;
					double		p = Sigmoid(z * (0.5 + j) + noise * (2 * Uniform(&rng) - 1));

					a[i * k + j] = fmax(p, 1e-15);
				}
			}

			l2_simplex_log_loss(a, n, k, TOL, MAX_ITER, Alloc, NULL, w, &fit);
			snprintf(what, sizeof(what), "random k=%d n=%d", k, n);
			Check(fit.converged && fit.gap <= TOL, what, fit.gap, TOL);
			for (j = 0; j < k; j++)
			{
				Check(w[j] >= 0, "weights >= 0", w[j], 0);
				sum += w[j];
			}
			Check(fabs(sum - 1) <= 1e-14, "weights sum to 1", sum, 1);
			f = LogLoss(a, n, k, w);
			Check(fabs(f - fit.objective) <= 1e-14 * fabs(f) + 1e-15, "reported objective",
				  fit.objective, f);

			for (r = 0; r < k + 1 + 50; r++)
			{
				double		vs = 0,
							fv;

				for (j = 0; j < k; j++)
				{
					v[j] = r < k ? (j == r) : r == k ? 1.0 : -log(1 - Uniform(&rng));
					vs += v[j];
				}
				for (j = 0; j < k; j++)
					v[j] /= vs;
				fv = LogLoss(a, n, k, v);
				Check(f <= fv + 1e-13, "no simplex point does better", f, fv);
			}
			free(a);
			free(w);
			free(v);
		}
}

int
main(void)
{
	CheckTwoMembers();
	CheckDominated();
	CheckRandom();
	if (failures)
		return 1;
	printf("fusion_test: ok\n");
	return 0;
}

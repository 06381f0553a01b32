/*
 * threads_test.c
 *		Checks that splitting the solvers' data passes over threads changes
 *		nothing but rounding, and that interrupts stay on the calling thread.
 *
 * Each problem (every loss; row weights, a fold mask, standardization,
 * uneven segments) is solved with 1, 2, 3 and 5 threads.  With more than
 * one thread the objective must agree with the single-threaded one to
 * 1e-11 relative and the coefficients to 1e-6 of their norm.  Then:
 *   - a pending interrupt in mid-pass whose hook returns must leave the
 *     result bit for bit as without it (the pass starts over), and one
 *     that never clears must not keep the solve from finishing;
 *   - an interrupt hook that does not return (longjmp, as a query cancel
 *     does in the server) must find every helper thread joined;
 *   - no hook may ever run on a helper thread.
 * Prints a line per check; exits 1 on any failure.
 */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "solver.h"
#include "test_util.h"

static pthread_t main_thread;
static int	foreign_hook_calls;	/* hooks run off the main thread */
static int	pending_calls;
static int	pending_fire_at;	/* pending() says yes on this call, 0 = never */
static bool pending_always;		/* pending() says yes on every call */
static int	interrupt_calls;
static bool interrupt_cancels;
static jmp_buf cancel_jmp;

/* Note a hook that runs on a thread other than the caller's. */
static void
OnMainThread(void)
{
	if (!pthread_equal(pthread_self(), main_thread))
		__atomic_add_fetch(&foreign_hook_calls, 1, __ATOMIC_RELAXED);
}

/* Solver memory; freed when the process ends. */
static void *
Alloc(size_t size, void *ctx)
{
	void	   *p = calloc(1, size ? size : 1);

	OnMainThread();
	if (p == NULL)
		abort();
	return p;
}

/* Says an interrupt waits on call number pending_fire_at. */
static bool
Pending(void *arg)
{
	OnMainThread();
	return ++pending_calls == pending_fire_at || pending_always;
}

/* Counts its calls; longjmps out when asked to act as a cancel. */
static void
Interrupt(void *arg)
{
	OnMainThread();
	interrupt_calls++;
	if (interrupt_cancels && pending_fire_at > 0 && pending_calls >= pending_fire_at)
		longjmp(cancel_jmp, 1);
}

/* A test problem and the data it points at. */
typedef struct Case
{
	const char *name;
	L2Problem	prob;
	L2Segment	seg[7];
} Case;

/*
 * n rows of d features (normal, the last two collinear with the first,
 * one column shifted by 1000), labels from a noisy linear rule, cut into
 * seven uneven segments.
 */
static void
MakeCase(Case *c, const char *name, L2Loss loss, int64_t n, int d, bool weighted,
		 bool folds, bool standardize, unsigned long long seed)
{
	unsigned long long rng = seed;
	double	   *x = malloc(sizeof(double) * n * d);
	uint8_t    *y = malloc(n);
	double	   *w = weighted ? malloc(sizeof(double) * n) : NULL;
	uint8_t    *fold = folds ? malloc(n) : NULL;
	int64_t		cut[8] = {0, n / 11, n / 5, n / 3, n / 2, 2 * n / 3, 7 * n / 8, n};

	for (int64_t i = 0; i < n; i++)
	{
		double	   *row = x + i * d;
		double		z = 0.3;

		for (int j = 0; j < d; j++)
		{
			double		u = Uniform(&rng),
						v = Uniform(&rng);

			row[j] = sqrt(-2.0 * log(1.0 - u)) * cos(6.283185307179586 * v);
			z += (j % 3 ? 0.5 : -0.8) * row[j];
		}
		row[d - 1] = row[0] + row[1];
		row[d - 2] = 1000.0 + 0.01 * row[2];
		y[i] = z + 0.8 * (Uniform(&rng) - 0.5) > 0;
		if (w)
			w[i] = Uniform(&rng) < 0.05 ? 0.0 : 0.2 + 2.0 * Uniform(&rng);
		if (fold)
			fold[i] = (uint8_t) (Uniform(&rng) * 4);
	}

	memset(c, 0, sizeof(*c));
	c->name = name;
	for (int k = 0; k < 7; k++)
	{
		c->seg[k].x = x + cut[k] * d;
		c->seg[k].y = y + cut[k];
		c->seg[k].w = w ? w + cut[k] : NULL;
		c->seg[k].n = cut[k + 1] - cut[k];
	}
	c->prob.d = d;
	c->prob.nseg = 7;
	c->prob.seg = c->seg;
	c->prob.loss = loss;
	c->prob.lambda = 0.05 * n;
	c->prob.fit_intercept = true;
	c->prob.standardize = standardize;
	c->prob.class_weight_mode = L2_CLASS_WEIGHT_BALANCED;
	c->prob.tol = loss == L2_LOSS_HINGE ? 1e-9 : 1e-10;
	c->prob.max_iter = 1000;
	c->prob.fold = fold;
	c->prob.exclude_fold = 2;
}

/* Solve c with the given threads; false when the solve fails. */
static bool
Solve(const Case *c, int threads, L2Fit *fit)
{
	L2Problem	prob = c->prob;
	L2Hooks		hooks = {0};

	hooks.alloc = Alloc;
	hooks.pending = Pending;
	hooks.interrupt = Interrupt;
	prob.threads = threads;
	if (l2_fit(&prob, &hooks, fit) != L2_OK || !fit->converged)
	{
		printf("FAILED %s threads=%d: no converged fit\n", c->name, threads);
		failures++;
		return false;
	}
	return true;
}

/* Largest coefficient difference relative to the coefficient norm. */
static double
CoefDiff(const L2Fit *a, const L2Fit *b, int d)
{
	double		diff = fabs(a->intercept - b->intercept),
				norm = fabs(a->intercept);

	for (int j = 0; j < d; j++)
	{
		diff = fmax(diff, fabs(a->coef[j] - b->coef[j]));
		norm = fmax(norm, fabs(a->coef[j]));
	}
	return diff / norm;
}

/* Threads agree with one thread. */
static void
CheckAgreement(const Case *c)
{
	static const int counts[] = {2, 3, 5};
	L2Fit		one,
				many;

	pending_fire_at = 0;
	if (!Solve(c, 1, &one))
		return;
	for (int k = 0; k < 3; k++)
	{
		double		rel,
					cd;

		if (!Solve(c, counts[k], &many))
			continue;
		rel = fabs(many.objective - one.objective) / fabs(one.objective);
		cd = CoefDiff(&many, &one, c->prob.d);
		printf("threads_test: %-22s threads=%d objective rel %.1e, coef rel %.1e\n",
			   c->name, counts[k], rel, cd);
		Check(rel <= 1e-11, "objective agrees with one thread", rel, 1e-11);
		Check(cd <= 1e-6, "coefficients agree with one thread", cd, 1e-6);
		Check(many.rows_used == one.rows_used, "rows used", many.rows_used, one.rows_used);
	}
}

/* A pending interrupt whose hook returns repeats the pass, nothing else. */
static void
CheckRestart(const Case *c)
{
	L2Fit		clean,
				disturbed;
	int			before;

	pending_fire_at = 0;
	if (!Solve(c, 2, &clean))
		return;
	pending_calls = 0;
	pending_fire_at = 40;
	before = interrupt_calls;
	if (!Solve(c, 2, &disturbed))
		return;
	printf("threads_test: %-22s restart after pending call %d: objective %.17g vs %.17g\n",
		   c->name, pending_fire_at, disturbed.objective, clean.objective);
	Check(interrupt_calls > before, "interrupt hook ran after the stop", interrupt_calls - before, 1);
	Check(disturbed.objective == clean.objective, "same objective after a restart",
		  disturbed.objective, clean.objective);
	Check(CoefDiff(&disturbed, &clean, c->prob.d) == 0, "same coefficients after a restart",
		  CoefDiff(&disturbed, &clean, c->prob.d), 0);
	pending_fire_at = 0;
}

/*
 * An interrupt that stays pending however often its hook returns (as when
 * the server holds interrupts off) must not stop the solve for good.
 */
static void
CheckStuckPending(const Case *c)
{
	L2Fit		clean,
				stuck;

	pending_fire_at = 0;
	if (!Solve(c, 2, &clean))
		return;
	pending_always = true;
	if (!Solve(c, 2, &stuck))
	{
		pending_always = false;
		return;
	}
	pending_always = false;
	printf("threads_test: %-22s interrupt always pending: objective %.17g vs %.17g\n",
		   c->name, stuck.objective, clean.objective);
	Check(stuck.objective == clean.objective, "same objective with a stuck interrupt",
		  stuck.objective, clean.objective);
}

/* An interrupt hook that longjmps out finds no helper thread running. */
static void
CheckCancel(const Case *c)
{
	L2Fit		fit;
	volatile bool cancelled = false;

	pending_calls = 0;
	pending_fire_at = 25;
	interrupt_cancels = true;
	if (setjmp(cancel_jmp) == 0)
		(void) Solve(c, 3, &fit);
	else
		cancelled = true;
	interrupt_cancels = false;
	pending_fire_at = 0;
	printf("threads_test: %-22s cancel %s\n", c->name, cancelled ? "taken" : "MISSED");
	Check(cancelled, "cancel reached the caller", cancelled, 1);

	/* the process goes on: another solve works */
	if (Solve(c, 3, &fit))
		Check(fit.converged, "solve after a cancel", fit.converged, 1);
}

int
main(void)
{
	Case		cases[5];

	main_thread = pthread_self();
	MakeCase(&cases[0], "logistic", L2_LOSS_LOGISTIC, 60000, 10, false, false, false, 1);
	MakeCase(&cases[1], "logistic_weights_folds", L2_LOSS_LOGISTIC, 70001, 9, true, true, false, 2);
	MakeCase(&cases[2], "squared_hinge_std", L2_LOSS_SQUARED_HINGE, 50000, 8, true, false, true, 3);
	MakeCase(&cases[3], "hinge", L2_LOSS_HINGE, 65000, 7, false, false, false, 4);
	MakeCase(&cases[4], "hinge_weights_folds", L2_LOSS_HINGE, 50000, 6, true, true, true, 5);

	for (int k = 0; k < 5; k++)
		CheckAgreement(&cases[k]);
	CheckRestart(&cases[0]);
	CheckRestart(&cases[3]);
	CheckStuckPending(&cases[2]);
	CheckCancel(&cases[1]);
	CheckCancel(&cases[4]);

	printf("threads_test: hooks run on helper threads: %d\n", foreign_hook_calls);
	Check(foreign_hook_calls == 0, "no hook on a helper thread", foreign_hook_calls, 0);
	return failures ? 1 : 0;
}

/*
 * solver.c
 *		Entry point of the solvers: prepare, dispatch by loss, map back.
 *
 * The problem statement is in solver.h.  Logistic and squared hinge losses
 * are minimized by Newton's method (solver_newton.c), the hinge loss by
 * smoothing continuation with an exact active-set finish (solver_hinge.c);
 * on large problems each starts from a subsample's solution.
 *
 * Pure C; nothing here calls the server.
 */
#include <math.h>
#include <string.h>

#include "objective.h"

/*
 * Decision value coef.x + intercept.
 */
double
l2_decision(const double *coef, double intercept, const double *x, int32_t d)
{
	double		sum = intercept;

	for (int j = 0; j < d; j++)
		sum += coef[j] * x[j];
	return sum;
}

/*
 * Solve prob; see solver.h.
 */
L2Status
l2_fit(const L2Problem *prob, const L2Hooks *hooks, L2Fit *fit)
{
	L2Work		wk;
	L2NewtonResult res;
	L2Status	st;
	double	   *v;

	memset(fit, 0, sizeof(*fit));
	st = l2_work_init(&wk, prob, hooks);
	if (st != L2_OK)
		return st;
	v = l2_alloc(&wk, sizeof(double) * wk.p);

	switch (prob->loss)
	{
		case L2_LOSS_LOGISTIC:
			(void) l2_warm_start(&wk, L2_SMOOTH_LOGISTIC, 0, 1, 1.0, v);
			l2_newton(&wk, L2_SMOOTH_LOGISTIC, 0, v, prob->tol, prob->max_iter, true, &res);
			break;
		case L2_LOSS_SQUARED_HINGE:
			(void) l2_warm_start(&wk, L2_SMOOTH_SQUARED_HINGE, 0, 1, 1.0, v);
			l2_newton(&wk, L2_SMOOTH_SQUARED_HINGE, 0, v, prob->tol, prob->max_iter, true,
					  &res);
			break;
		case L2_LOSS_HINGE:
			l2_hinge(&wk, v, &res);
			break;
		default:
			return L2_ERR_INVALID;
	}

	if (!res.converged && res.iterations >= prob->max_iter)
		l2_warn(&wk, "solver reached max_iter = %d before tol = %g; achieved %.2g",
				prob->max_iter, prob->tol, res.optimality);
	else if (!res.converged)
		l2_warn(&wk, "solver stopped after %d iteration%s before tol = %g, %s; achieved %.2g",
				res.iterations, res.iterations == 1 ? "" : "s", prob->tol,
				prob->loss == L2_LOSS_HINGE ?
				"as the smoothing continuation ran out of stages" :
				"as no step decreased the objective at rounding level",
				res.optimality);

	fit->coef = l2_alloc(&wk, sizeof(double) * prob->d);
	if (prob->standardize)
	{
		fit->means = l2_alloc(&wk, sizeof(double) * prob->d);
		fit->scales = l2_alloc(&wk, sizeof(double) * prob->d);
	}
	l2_map_back(&wk, v, fit);
	fit->class_weight_pos = wk.cw_pos;
	fit->class_weight_neg = wk.cw_neg;
	fit->rows_used = wk.rows_used;
	fit->positives = wk.positives;
	fit->iterations = res.iterations;
	fit->objective = res.objective;
	fit->optimality = res.optimality;
	fit->converged = res.converged;
	return L2_OK;
}

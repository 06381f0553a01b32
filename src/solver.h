/*
 * solver.h
 *		Exact solvers for L2-regularized linear classifiers (pure C).
 *
 * With labels y_i in {-1, +1}, row weights r_i >= 0, class weights c(y_i)
 * and s_i = r_i c(y_i), the solvers minimize over (w, b)
 *
 *   logistic:       sum_i s_i log(1 + exp(-y_i (w.x_i + b))) + (lambda/2) ||w||^2
 *   hinge:          sum_i s_i max(0, 1 - y_i (w.x_i + b))     + (lambda/2) ||w||^2
 *   squared hinge:  sum_i s_i max(0, 1 - y_i (w.x_i + b))^2   + (lambda/2) ||w||^2
 *
 * The intercept b is never penalized and is 0 when fit_intercept is false.
 * With standardize, x_i is first replaced by (x_i - mean) / std (means and
 * population standard deviations weighted by r_i; a constant column gets a
 * zero coefficient) and the penalty applies to the standardized weights; the
 * result is mapped back so that it scores raw features.
 *
 * Nothing here calls the server: memory comes from the caller's allocator,
 * and hooks let the caller check for interrupts, trace iterations and
 * report warnings.
 */
#ifndef L2FUSE_SOLVER_H
#define L2FUSE_SOLVER_H

#include "model.h"

/* Largest number of features a problem may have. */
#define L2_MAX_FEATURES 4096

/*
 * Largest sum of row weights times class weights: far enough below
 * DBL_MAX that losses, gradients and Hessians of any fit stay finite.
 * Only the weights' ratio to lambda matters, so larger ones can be scaled.
 */
#define L2_MAX_WEIGHT_TOTAL 1e250

/* A run of training rows stored contiguously. */
typedef struct L2Segment
{
	const double *x;			/* n rows of d features, row-major */
	const uint8_t *y;			/* n labels, nonzero = positive class */
	const double *w;			/* n row weights >= 0, or NULL for all 1 */
	int64_t		n;
} L2Segment;

/* Caller services; any function pointer but alloc may be NULL. */
typedef struct L2Hooks
{
	L2Alloc		alloc;			/* zeroed memory, or does not return */
	void	   *alloc_ctx;
	void		(*interrupt) (void *arg);	/* may not return (query cancel) */
	bool		(*pending) (void *arg); /* whether interrupt has work; never throws */
	void		(*trace) (void *arg, int iter, double objective, double optimality);
	void		(*warn) (void *arg, const char *message);
	void	   *arg;
} L2Hooks;

/* One training problem. */
typedef struct L2Problem
{
	int32_t		d;				/* features per row, 1..L2_MAX_FEATURES */
	int			nseg;
	const L2Segment *seg;
	L2Loss		loss;
	double		lambda;			/* > 0 */
	bool		fit_intercept;
	bool		standardize;
	L2ClassWeightMode class_weight_mode;
	double		class_weight_pos;	/* used with L2_CLASS_WEIGHT_EXPLICIT */
	double		class_weight_neg;
	double		tol;			/* relative gradient norm or relative duality gap */
	int32_t		max_iter;		/* Newton iterations, all stages together */
	int			threads;		/* threads a data pass may use; <= 1: the caller's only */

	/*
	 * Optional cross-validation mask: rows (numbered across segments in
	 * order) whose fold[i] equals exclude_fold are left out.
	 */
	const uint8_t *fold;
	int			exclude_fold;
} L2Problem;

/* The solution and what it took. */
typedef struct L2Fit
{
	double	   *coef;			/* d, raw feature scale */
	double		intercept;
	double	   *means;			/* d when standardize, else NULL */
	double	   *scales;			/* d when standardize (1 for constant columns) */
	double		class_weight_pos;	/* class weights actually used */
	double		class_weight_neg;
	int64_t		rows_used;		/* rows with a positive weight */
	int64_t		positives;
	int32_t		iterations;
	double		objective;
	double		optimality;		/* relative gradient norm or duality gap */
	bool		converged;
} L2Fit;

typedef enum L2Status
{
	L2_OK = 0,
	L2_ERR_NO_ROWS,				/* no row has a positive weight */
	L2_ERR_ONE_CLASS,			/* rows of only one class have positive weight */
	L2_ERR_INVALID,				/* bad problem parameters */
	L2_ERR_RANGE				/* weights sum past L2_MAX_WEIGHT_TOTAL */
} L2Status;

/* Solve the problem; on L2_OK, *fit is filled (arrays from hooks->alloc). */
extern L2Status l2_fit(const L2Problem *prob, const L2Hooks *hooks, L2Fit *fit);

/* decision value coef.x + intercept of one raw row */
extern double l2_decision(const double *coef, double intercept, const double *x, int32_t d);

/*
 * Platt calibration with the sigmoid's offset fixed at 0: find a < 0 that
 * minimizes the target-smoothed log loss of P(y = +1 | f) = 1/(1+exp(a f))
 * over out-of-fold decision values.  See platt.c.
 */
extern L2Status l2_calibrate(const L2Problem *prob, const L2Hooks *hooks, int folds,
							 const L2Fit *full, double *platt_a, int *folds_used);

#endif							/* L2FUSE_SOLVER_H */

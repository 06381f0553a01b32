/*
 * fusion.h
 *		Fitting the weights of an ensemble on held-out rows (pure C).
 *
 * Nothing here calls the server, so the solver can be tested on its own.
 * Memory comes from a caller-supplied allocator, as in the codec.
 */
#ifndef L2FUSE_FUSION_H
#define L2FUSE_FUSION_H

#include <stdbool.h>
#include <stdint.h>

#include "model.h"

/* Outcome of the simplex log-loss solver. */
typedef struct L2SimplexFit
{
	double		objective;		/* mean held-out log loss at the weights */
	double		gap;			/* Frank-Wolfe gap: objective - optimum <= gap */
	int32_t		iterations;		/* Newton and Frank-Wolfe steps taken */
	bool		converged;		/* gap <= tol */
} L2SimplexFit;

/*
 * Minimize the mean log loss of a convex combination of member
 * probabilities; see fusion_simplex.c for the problem and the method.
 *
 * a: n rows of k values, row-major; a[i*k + j] is the probability member j
 *		gives to the true label of row i, already clipped to [eps, 1].
 * w: k weights out, on the simplex.
 */
extern void l2_simplex_log_loss(const double *a, int64_t n, int32_t k, double tol,
								int32_t max_iter, L2Alloc alloc, void *ctx,
								double *w, L2SimplexFit *fit);

#endif							/* L2FUSE_FUSION_H */

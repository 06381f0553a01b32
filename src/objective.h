/*
 * objective.h
 *		The objective as seen by the solvers: data passes, losses, penalty.
 *
 * The solvers work in internal coordinates x' = (x - m) / c per column,
 * chosen for conditioning (see objective.c), with variables v = (w', b) of
 * length p = d + fit_intercept.  The penalty is diagonal, (1/2) sum_j
 * pen_j w'_j^2 with pen_j = lambda / c_j^2 (raw penalty) or lambda
 * (standardized penalty), and never touches b.  The mapping is exact:
 * w_j = w'_j / c_j and b = b' - sum_j w_j m_j.
 *
 * Pure C; nothing here calls the server.
 */
#ifndef L2FUSE_OBJECTIVE_H
#define L2FUSE_OBJECTIVE_H

#include "solver.h"

/* Rows per block when streaming transformed rows through BLAS. */
#define L2_BLOCK_ROWS 1024

/* Loss kinds the Newton solver minimizes (smooth or piecewise quadratic). */
typedef enum L2SmoothLoss
{
	L2_SMOOTH_LOGISTIC,
	L2_SMOOTH_SQUARED_HINGE,
	L2_SMOOTH_HUBER_HINGE		/* hinge smoothed quadratically over width h */
} L2SmoothLoss;

/*
 * Rows at least this many per part before a pass is split over threads:
 * below it a thread's start-up is not repaid, and small problems keep the
 * single-threaded sums (and so the same rounding) on every machine.
 */
#define L2_PART_MIN_ROWS 16384

/* Attempts at a pass that an interrupt may stop before one runs unpolled. */
#define L2_PART_MAX_ATTEMPTS 4

/* Most extra memory, in bytes, the parts beyond the first may take. */
#define L2_PART_MAX_BYTES ((size_t) 256 * 1024 * 1024)

/*
 * One contiguous range of rows that one thread passes over, with its own
 * scratch and accumulators (see solver_threads.c).
 */
typedef struct L2Part
{
	int			index;			/* 0 runs on the calling thread */
	int64_t		begin;			/* global rows [begin, end) */
	int64_t		end;
	double	   *block;			/* L2_BLOCK_ROWS x p transformed rows */
	double	   *block2;			/* same size, scratch */
	double	   *r;				/* L2_BLOCK_ROWS per-row scratch */
	double	   *g;				/* p accumulator */
	double	   *g2;				/* p accumulator, second */
	double	   *H;				/* p x p accumulator, allocated when needed */
	double		sum;			/* scalar accumulator */
} L2Part;

/* A prepared problem: data view, transformation, per-row arrays. */
typedef struct L2Work
{
	const L2Problem *prob;
	const L2Hooks *hooks;
	int32_t		d;
	int32_t		p;				/* d + (fit_intercept ? 1 : 0) */
	int64_t		n;				/* rows across all segments */
	int64_t		stride;			/* a segment's row r is at x + r * stride * d (1, or a
								 * subsample's step) */
	double	   *m;				/* d column shifts */
	double	   *c;				/* d column scales; 0 drops the column */
	double	   *ic;				/* d multipliers 1 / c_j (0 for a dropped column) */
	bool		divide;			/* some 1 / c_j is subnormal: divide instead */
	double	   *pen;			/* p penalty weights, 0 for the intercept */
	double	   *s;				/* n effective weights s_i (0 = row left out) */
	double	   *y;				/* n labels as -1 / +1 */
	double	   *z;				/* n decision values at the current point */
	double	   *q;				/* n scratch: X' times a direction */
	double	   *block;			/* L2_BLOCK_ROWS x p transformed rows */
	double	   *block2;			/* same size, scratch */
	double	   *hess;			/* p x p Hessian */
	double	   *hess2;			/* p x p Hessian at a trial point */
	double	   *hscratch;		/* p x p Cholesky factor */
	double	   *hdamped;		/* p x p damped Hessian */
	bool		z_current;		/* z = X' v for the v l2_newton starts from */
	double	   *sy;				/* p: X'^T (s y), or NULL until first needed */
	int			nparts;			/* row ranges passes are split into, >= 1 */
	L2Part	   *parts;
	int			stop;			/* set when part 0 sees an interrupt pending */
	bool		poll;			/* whether part 0 asks hooks->pending */
	double		wsum;			/* sum of row weights of rows used */
	int64_t		rows_used;
	int64_t		positives;
	double		cw_pos;
	double		cw_neg;
} L2Work;

/* Iterates blocks of one part's transformed rows (see l2_iter_part). */
typedef struct L2BlockIter
{
	int			seg;
	int64_t		off;			/* offset inside the segment */
	int64_t		row0;			/* global index of the block's first row */
	int64_t		next;			/* global index of the next row to load */
	L2Part	   *part;			/* rows are loaded into part->block */
} L2BlockIter;

/* Work on one part's rows, run on a thread of its own (solver_threads.c). */
typedef void (*L2PartFn) (L2Work *wk, L2Part *part, void *arg);

/* objective.c */
extern void *l2_alloc(const L2Work *wk, size_t size);
extern L2Status l2_work_init(L2Work *wk, const L2Problem *prob, const L2Hooks *hooks);
extern int	l2_next_block(L2Work *wk, L2BlockIter *it);
extern void l2_gather_rows(const L2Work *wk, const int64_t *rows, int k, double *out);
extern void l2_iter_part(const L2Work *wk, L2BlockIter *it, L2Part *part);
extern void l2_transform_row(const L2Work *wk, const double *x, double *out);
extern void l2_check_interrupt(const L2Work *wk);
extern void l2_warn(const L2Work *wk, const char *fmt,...) __attribute__((format(printf, 2, 3)));
extern void l2_loss(L2SmoothLoss kind, double h, double margin,
					double *val, double *d1, double *d2);
extern void l2_compute_z(L2Work *wk, const double *v, double *out);
extern double l2_penalty(const L2Work *wk, const double *v);
extern double l2_smooth_value(const L2Work *wk, L2SmoothLoss kind, double h,
							  const double *z, const double *v);
extern double l2_pass(L2Work *wk, L2SmoothLoss kind, double h, const double *vt,
					  const double *dir, double *q, double *g, double *H);
extern double l2_start_pass(L2Work *wk, L2SmoothLoss kind, double h, const double *v,
							 double *g, double *H);
extern void l2_grad_hess(L2Work *wk, L2SmoothLoss kind, double h, const double *v,
						 double *g, double *H);
extern double l2_gradient_norm_at_zero(L2Work *wk, L2SmoothLoss kind, double h);
extern void l2_xt_times(L2Work *wk, const double *a, const double *b, double *u);
extern double l2_norm(const double *a, int n);
extern void l2_map_back(const L2Work *wk, const double *v, L2Fit *fit);

/* solver_threads.c */
extern void l2_parts_init(L2Work *wk, int threads);
extern void l2_parts_need_hess(L2Work *wk);
extern void l2_run_parts(L2Work *wk, L2PartFn fn, void *arg);
extern bool l2_part_stopped(L2Work *wk, const L2Part *part);
extern double l2_parts_sum(L2Work *wk, int len, bool hess);

/*
 * Subsample warm starts (l2_warm_start): rows in the subsample, the fewest
 * rows a problem needs for one (8 subsamples' worth), and the subsample
 * solve's tolerance and step cap.
 */
#define L2_WARM_ROWS 65536
#ifndef L2_WARM_MIN_ROWS
#define L2_WARM_MIN_ROWS (8 * L2_WARM_ROWS)
#endif
#define L2_WARM_TOL 1e-8
#define L2_WARM_MAX_ITER 50

/* solver_newton.c */
typedef struct L2NewtonResult
{
	int			iterations;
	double		objective;
	double		optimality;		/* ||g|| / ||g(0)|| */
	bool		converged;
	bool		stalled;		/* line search could not make progress */
} L2NewtonResult;

extern void l2_newton(L2Work *wk, L2SmoothLoss kind, double h, double *v,
					  double tol, int max_iter, bool trace, L2NewtonResult *res);
extern bool l2_solve_spd(L2Work *wk, const double *H, const double *g, double *x, int p);
extern bool l2_warm_start(L2Work *wk, L2SmoothLoss kind, double h, int stages,
						  double shrink, double *v);

/* solver_hinge.c */
extern void l2_hinge(L2Work *wk, double *v, L2NewtonResult *res);

#endif							/* L2FUSE_OBJECTIVE_H */

/*
 * train.h
 *		Training options and the aggregate state shared by the glue files.
 */
#ifndef L2FUSE_TRAIN_H
#define L2FUSE_TRAIN_H

#include "postgres.h"

#include "utils/jsonb.h"

#include "model.h"

/* Options of one training call, parsed from its jsonb argument. */
typedef struct TrainOptions
{
	L2ModelKind kind;
	double		lambda;
	bool		fit_intercept;
	bool		standardize;
	L2ClassWeightMode class_weight_mode;
	double		class_weight_pos;
	double		class_weight_neg;
	int32		max_iter;
	double		tol;
	bool		verbose;
	L2Loss		loss;
	bool		calibration;
	int32		calibration_folds;
} TrainOptions;

/* Defaults. */
#define L2_DEFAULT_LAMBDA 1.0
#define L2_DEFAULT_MAX_ITER 1000
#define L2_DEFAULT_TOL 1e-10		/* relative gradient norm */
#define L2_DEFAULT_TOL_GAP 1e-9	/* relative duality gap (hinge) */
#define L2_DEFAULT_FOLDS 5
#define L2_MAX_FOLDS 100

/* train_options.c */
extern void train_options_defaults(TrainOptions *opt, L2ModelKind kind);
extern void train_options_parse(TrainOptions *opt, L2ModelKind kind, Jsonb *options);

/* train.c */

#endif							/* L2FUSE_TRAIN_H */

/*
 * model.h
 *		The in-memory model and its bytea codec.
 *
 * Pure C: nothing here calls the server, so the codec can be tested and
 * fuzzed on its own.  Memory comes from a caller-supplied allocator (palloc
 * in the server, malloc in the fuzz harness).
 *
 * Coefficients and the intercept are always on the raw feature scale:
 * decision(x) = coef . x + intercept, whatever options trained the model.
 */
#ifndef L2FUSE_MODEL_H
#define L2FUSE_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum L2ModelKind
{
	L2_KIND_LOGISTIC = 1,
	L2_KIND_SVM = 2,
	L2_KIND_ENSEMBLE = 3
} L2ModelKind;

typedef enum L2Loss
{
	L2_LOSS_LOGISTIC = 1,
	L2_LOSS_HINGE = 2,
	L2_LOSS_SQUARED_HINGE = 3
} L2Loss;

typedef enum L2ClassWeightMode
{
	L2_CLASS_WEIGHT_NONE = 0,
	L2_CLASS_WEIGHT_BALANCED = 1,
	L2_CLASS_WEIGHT_EXPLICIT = 2
} L2ClassWeightMode;

/* What training did, as recorded in the model. */
typedef struct L2TrainInfo
{
	int64_t		rows_used;		/* rows that entered the fit */
	int64_t		rows_skipped;	/* rows with a NULL features or label */
	int64_t		positives;		/* rows_used with label true */
	int32_t		iterations;		/* outer solver iterations */
	double		objective;		/* final objective value */
	double		optimality;		/* achieved relative gradient norm or duality gap */
	bool		converged;
} L2TrainInfo;

/* A trained linear model (logistic or SVM). */
typedef struct L2Model
{
	L2ModelKind kind;
	int32_t		nfeatures;
	double		intercept;
	double	   *coef;			/* nfeatures, raw feature scale */

	/* training options */
	double		lambda;
	L2Loss		loss;
	bool		fit_intercept;
	bool		standardized;
	double	   *means;			/* nfeatures when standardized, else NULL */
	double	   *scales;			/* nfeatures when standardized, else NULL */
	L2ClassWeightMode class_weight_mode;
	double		class_weight_pos;	/* 1.0 unless class weights were used */
	double		class_weight_neg;
	double		tol;
	int32_t		max_iter;

	L2TrainInfo info;

	/*
	 * SVM probability calibration: P(y = +1 | f) = 1 / (1 + exp(platt_a * f
	 * + platt_b)) for decision value f.
	 */
	bool		calibrated;
	double		platt_a;
	double		platt_b;
	int32_t		calib_folds;
} L2Model;

/* Allocator used by the codec: returns zeroed memory or does not return. */
typedef void *(*L2Alloc) (size_t size, void *ctx);

#endif							/* L2FUSE_MODEL_H */

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

typedef enum L2Voting
{
	L2_VOTING_SOFT = 1,			/* weighted mean of member probabilities */
	L2_VOTING_HARD = 2,			/* weighted majority of member labels */
	L2_VOTING_STACKING = 3		/* logistic meta-model over member decisions */
} L2Voting;

/* How a fitted ensemble chose its weights; NONE for a hand-built one. */
typedef enum L2FitMethod
{
	L2_FIT_NONE = 0,
	L2_FIT_LOG_LOSS = 1,
	L2_FIT_ACCURACY = 2,
	L2_FIT_AUC = 3,
	L2_FIT_STACKING = 4
} L2FitMethod;

/* Limits the decoder enforces; the encoder never produces more. */
#define L2_MODEL_FORMAT_VERSION 1
#define L2_MODEL_MAX_FEATURES 100000000
#define L2_ENSEMBLE_MAX_MEMBERS 1024
#define L2_ENSEMBLE_MAX_DEPTH 8		/* ensembles nested inside ensembles */

struct L2Model;

/*
 * The members of an ensemble and how they vote.  Weights are kept as given
 * (finite, >= 0, positive sum); scoring normalizes them.
 */
typedef struct L2Ensemble
{
	int32_t		nmembers;
	struct L2Model **members;	/* nmembers complete models */
	double	   *weights;		/* nmembers */
	L2Voting	voting;
	double		meta_intercept; /* stacking only, else 0 */
	double	   *meta_coef;		/* nmembers when stacking, else NULL */

	/* fit metadata: all zero / NULL when fit_method is L2_FIT_NONE */
	L2FitMethod fit_method;
	int64_t		holdout_rows;	/* held-out rows the fit scored */
	double	   *member_scores;	/* nmembers held-out scores, else NULL */
} L2Ensemble;

/*
 * A model: linear (logistic or SVM) or an ensemble.  For kind ensemble only
 * kind, nfeatures and ens are meaningful; the linear fields stay zero.
 */
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

	L2Ensemble *ens;			/* kind ensemble only, else NULL */
} L2Model;

/* Allocator used by the codec: returns zeroed memory or does not return. */
typedef void *(*L2Alloc) (size_t size, void *ctx);

/* Why a decode failed: the glue reports both as data_corrupted. */
typedef enum L2DecodeError
{
	L2_DECODE_OK = 0,
	L2_DECODE_CORRUPT = 1,		/* not a valid model */
	L2_DECODE_NEWER_VERSION = 2 /* a format this library does not know yet */
} L2DecodeError;

/*
 * Codec (model.c).  The layout and every invariant are in MODEL_FORMAT.md;
 * l2_model_check enforces them and the encoder expects a model that passes
 * it.  In short, for a linear model: every double finite; loss logistic for
 * kind logistic, hinge or squared hinge for kind svm; means and scales
 * present exactly when standardized (scales > 0); lambda, tol >= 0; class
 * weights > 0; counts >= 0 with positives <= rows_used; calibrated only for
 * kind svm; ens NULL.  Start from l2_model_set_defaults() to get there.
 */
extern size_t l2_model_encoded_size(const L2Model *m);
extern void l2_model_encode(const L2Model *m, uint8_t *out);
extern bool l2_model_decode(const uint8_t *buf, size_t len, L2Alloc alloc, void *ctx,
							L2Model **out, char *errbuf, size_t errlen);
extern bool l2_model_decode_ex(const uint8_t *buf, size_t len, L2Alloc alloc, void *ctx,
							   L2Model **out, char *errbuf, size_t errlen,
							   L2DecodeError *errclass);

/* construction and validation (model.c) */
extern void l2_model_set_defaults(L2Model *m, L2ModelKind kind);
extern bool l2_model_check(const L2Model *m, char *errbuf, size_t errlen);
extern int	l2_model_nesting(const L2Model *m);
extern L2Model *l2_ensemble_build(int32_t nmembers, L2Model *const *members,
								  const double *weights, L2Voting voting,
								  const double *meta_coef, double meta_intercept,
								  L2FitMethod fit_method, int64_t holdout_rows,
								  const double *member_scores,
								  L2Alloc alloc, void *ctx,
								  char *errbuf, size_t errlen);
extern const char *l2_voting_name(L2Voting v);
extern bool l2_voting_parse(const char *name, L2Voting *v);
extern const char *l2_fit_method_name(L2FitMethod f);
extern bool l2_fit_method_parse(const char *name, L2FitMethod *f);
extern const char *l2_kind_name(L2ModelKind k);
extern const char *l2_loss_name(L2Loss l);
extern const char *l2_class_weight_name(L2ClassWeightMode c);

/* scoring (model_score.c); x holds nfeatures finite values */
extern double l2_model_decision(const L2Model *m, const double *x);
extern bool l2_model_has_proba(const L2Model *m);
extern double l2_model_proba(const L2Model *m, const double *x);
extern bool l2_model_predict(const L2Model *m, const double *x);
extern double l2_sigmoid(double z);
extern void l2_ensemble_member_scores(const L2Model *m, const double *x,
									  double *decisions, double *probas);

#endif							/* L2FUSE_MODEL_H */

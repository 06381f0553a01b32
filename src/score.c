/*
 * score.c
 *		SQL scoring functions: predict, predict_proba, decision_function.
 *
 * Each takes a model bytea (any kind) and a float8[] or real[] of features.
 * The model is decoded once per call site (see l2_model_cached); the maths
 * is in model_score.c.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/array.h"

#include "model_glue.h"

/* The cached model of argument 0; *x gets argument 1's checked features. */
static const L2Model *
ScoringInput(FunctionCallInfo fcinfo, const double **x)
{
	double	   *scratch;
	const L2Model *m = l2_model_cached(fcinfo, 0, &scratch);

	*x = l2_features_view(PG_GETARG_ARRAYTYPE_P(1), m->nfeatures, scratch);
	return m;
}

/* ERROR unless the model yields a probability. */
static void
CheckHasProba(const L2Model *m)
{
	if (!l2_model_has_proba(m))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("model has no probability calibration"),
				 errhint("Retrain the SVM with calibration on, or use "
						 "l2fuse.decision_function or l2fuse.predict.")));
}

/*
 * decision_function(model, features): coef . x + intercept on the raw
 * feature scale, or the ensemble's decision value.
 */
PG_FUNCTION_INFO_V1(l2fuse_decision_function);
Datum
l2fuse_decision_function(PG_FUNCTION_ARGS)
{
	const double *x;
	const L2Model *m = ScoringInput(fcinfo, &x);

	PG_RETURN_FLOAT8(l2_model_decision(m, x));
}

/* predict_proba(model, features): probability of the positive class. */
PG_FUNCTION_INFO_V1(l2fuse_predict_proba);
Datum
l2fuse_predict_proba(PG_FUNCTION_ARGS)
{
	const double *x;
	const L2Model *m = ScoringInput(fcinfo, &x);

	CheckHasProba(m);
	PG_RETURN_FLOAT8(l2_model_proba(m, x));
}

/*
 * predict(model, features): predict_proba >= 0.5, or decision >= 0 for an
 * SVM without calibration.
 */
PG_FUNCTION_INFO_V1(l2fuse_predict);
Datum
l2fuse_predict(PG_FUNCTION_ARGS)
{
	const double *x;
	const L2Model *m = ScoringInput(fcinfo, &x);

	PG_RETURN_BOOL(l2_model_predict(m, x));
}

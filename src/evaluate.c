/*
 * evaluate.c
 *		Transition functions of evaluate(model, features, label): score each
 *		row with the model and keep the score for the metrics.
 *
 * The model is decoded once per call site and cached in fn_extra, keyed by
 * its bytes (l2_model_cached).  A model with probabilities contributes
 * P(y = 1 | x); an SVM without probability calibration contributes its
 * decision value, so that ranking metrics and the confusion matrix still
 * apply.  The combine, serialize, deserialize and final functions are
 * those of the ranking aggregates in eval.c.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/memutils.h"

#include "eval_state.h"
#include "l2fuse.h"
#include "model.h"
#include "model_glue.h"

/*
 * Transition of evaluate(model, features, label): score one row and add the
 * score to the state; a row with a NULL model, features or label is counted
 * as skipped.
 */
PG_FUNCTION_INFO_V1(l2fuse_evaluate_accum);
Datum
l2fuse_evaluate_accum(PG_FUNCTION_ARGS)
{
	ScoreState *state;
	const L2Model *model;
	double	   *x;
	const double *row;
	bool		proba;
	ScoreKind	kind;
	double		score;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
	{
		state = ScoreStateFromAgg(fcinfo, 0, SCORES_PROBABILITY, "l2fuse_evaluate_accum");
		state->skipped++;
		PG_RETURN_POINTER(state);
	}

	model = l2_model_cached(fcinfo, 1, &x);
	proba = l2_model_has_proba(model);
	kind = proba ? SCORES_PROBABILITY : SCORES_DECISION;
	state = ScoreStateFromAgg(fcinfo, 0, kind, "l2fuse_evaluate_accum");

	/* a state that so far saw only skipped rows takes the model's kind */
	if (state->pos.n + state->neg.n == 0)
		state->kind = kind;
	else if (state->kind != kind)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot evaluate probabilities and decision values together"),
				 errdetail("Some rows were scored by a model with probability "
						   "calibration and others by one without.")));

	/* score the row */
	row = l2_features_view(PG_GETARG_ARRAYTYPE_P(2), model->nfeatures, x);
	score = proba ? l2_model_proba(model, row) : l2_model_decision(model, row);
	if (!isfinite(score))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("decision value is out of range"),
				 errdetail("The model's decision value for a row is %g.", score),
				 errhint("Scale the features, or evaluate a model with probability "
						 "calibration.")));

	ScoreStateAdd(state, score, PG_GETARG_BOOL(3));
	PG_RETURN_POINTER(state);
}

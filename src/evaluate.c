/*
 * evaluate.c
 *		Transition functions of evaluate(model, features, label): score each
 *		row with the model and keep the score for the metrics.
 *
 * The model is decoded once per distinct model value and cached in
 * fn_extra, keyed by its bytes.  A model with probabilities contributes
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

/* The decoded model of the current model value. */
typedef struct ModelCache
{
	MemoryContext mcxt;			/* holds everything below; reset on change */
	Size		len;
	char	   *bytes;			/* the model value, the cache key */
	L2Model    *model;
	bool		proba;			/* scores are probabilities */
	double	   *x;				/* nfeatures, for converted real[] input */
} ModelCache;

/*
 * The decoded model for a model value: the cached one when the bytes are
 * the same as last time, else decode and cache it.
 */
static ModelCache *
GetModel(FunctionCallInfo fcinfo, bytea *b)
{
	ModelCache *cache = fcinfo->flinfo->fn_extra;
	Size		len = VARSIZE_ANY_EXHDR(b);
	MemoryContext old;

	if (cache == NULL)
	{
		cache = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(ModelCache));
		cache->mcxt = AllocSetContextCreate(fcinfo->flinfo->fn_mcxt,
											"l2fuse evaluate model",
											ALLOCSET_SMALL_SIZES);
		fcinfo->flinfo->fn_extra = cache;
	}
	else if (cache->model != NULL && cache->len == len &&
			 memcmp(cache->bytes, VARDATA_ANY(b), len) == 0)
		return cache;

	/* decode into a fresh cache */
	MemoryContextReset(cache->mcxt);
	cache->model = NULL;
	old = MemoryContextSwitchTo(cache->mcxt);
	cache->bytes = palloc(Max(len, 1));
	memcpy(cache->bytes, VARDATA_ANY(b), len);
	cache->len = len;
	cache->model = l2_model_from_bytea(b);
	cache->x = palloc(cache->model->nfeatures * sizeof(double));
	MemoryContextSwitchTo(old);

	cache->proba = l2_model_has_proba(cache->model);
	return cache;
}

/*
 * The features of one row as doubles: a one-dimensional float8[] or real[]
 * without NULLs, finite, of the model's length.
 */
static const double *
GetFeatures(ArrayType *a, ModelCache *cache)
{
	int			n;
	int			k;
	const double *x;

	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("features must be a one-dimensional array")));
	if (ARR_HASNULL(a) && array_contains_nulls(a))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("features must not contain NULL elements")));

	n = ARR_NDIM(a) == 0 ? 0 : ARR_DIMS(a)[0];
	if (n != cache->model->nfeatures)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("features have %d elements, the model expects %d",
						n, cache->model->nfeatures)));

	/* float8[] is used in place; real[] is widened into the cache */
	if (ARR_ELEMTYPE(a) == FLOAT8OID)
		x = (const double *) ARR_DATA_PTR(a);
	else
	{
		const float *f = (const float *) ARR_DATA_PTR(a);

		for (k = 0; k < n; k++)
			cache->x[k] = f[k];
		x = cache->x;
	}

	for (k = 0; k < n; k++)
		if (!isfinite(x[k]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("features must be finite"),
					 errdetail("Element %d is %g.", k + 1, x[k])));
	return x;
}

/*
 * Score one row and add the score to the state; a row with a NULL model,
 * features or label is counted as skipped.
 */
static Datum
EvaluateAccum(FunctionCallInfo fcinfo)
{
	ScoreState *state;
	ModelCache *cache;
	const double *x;
	double		score;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
	{
		state = ScoreStateFromAgg(fcinfo, 0, SCORES_PROBABILITY, "l2fuse_evaluate_accum");
		state->skipped++;
		PG_RETURN_POINTER(state);
	}

	cache = GetModel(fcinfo, PG_GETARG_BYTEA_PP(1));
	state = ScoreStateFromAgg(fcinfo, 0,
							  cache->proba ? SCORES_PROBABILITY : SCORES_DECISION,
							  "l2fuse_evaluate_accum");

	/* a state that so far saw only skipped rows takes the model's kind */
	if (state->pos.n + state->neg.n == 0)
		state->kind = cache->proba ? SCORES_PROBABILITY : SCORES_DECISION;
	else if (state->kind != (cache->proba ? SCORES_PROBABILITY : SCORES_DECISION))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot evaluate probabilities and decision values together"),
				 errdetail("Some rows were scored by a model with probability "
						   "calibration and others by one without.")));

	x = GetFeatures(PG_GETARG_ARRAYTYPE_P(2), cache);
	if (cache->proba)
		score = l2_model_proba(cache->model, x);
	else
		score = l2_model_decision(cache->model, x);
	if (!isfinite(score))
		elog(ERROR, "model returned a non-finite score");

	ScoreStateAdd(state, score, PG_GETARG_BOOL(3));
	PG_RETURN_POINTER(state);
}

/*
 * Transition of evaluate(bytea, float8[], boolean).
 */
PG_FUNCTION_INFO_V1(l2fuse_evaluate_accum_float8);
Datum
l2fuse_evaluate_accum_float8(PG_FUNCTION_ARGS)
{
	return EvaluateAccum(fcinfo);
}

/*
 * Transition of evaluate(bytea, real[], boolean).
 */
PG_FUNCTION_INFO_V1(l2fuse_evaluate_accum_float4);
Datum
l2fuse_evaluate_accum_float4(PG_FUNCTION_ARGS)
{
	return EvaluateAccum(fcinfo);
}

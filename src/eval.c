/*
 * eval.c
 *		Metric aggregates: roc_auc, roc_curve, log_loss, confusion, and the
 *		state handling and result of evaluate.
 *
 * The ranking aggregates (roc_auc, roc_curve, evaluate) share one internal
 * state, a ScoreState, with combine, serialize and deserialize functions
 * for parallel aggregation.  Their final functions sort copies of the
 * scores and leave the state unchanged (FINALFUNC_MODIFY = READ_ONLY), so
 * they also work as window functions.  log_loss and confusion need only sums and
 * counts and keep them in plain arrays, as PostgreSQL's own float8
 * aggregates do.
 *
 * NULL rules: a row whose score, probability, prediction or label is NULL
 * is skipped (jsonb results report how many); an aggregate over no usable
 * row returns NULL.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "common/shortest_dec.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "eval_state.h"
#include "l2fuse.h"
#include "metrics.h"

/* Elements of the log_loss state: rows, compensated sum of losses. */
#define LOG_LOSS_STATE_LEN 3

/* Elements of the confusion state: tp, fp, tn, fn, skipped. */
#define CONFUSION_STATE_LEN 5

/* ---------------------------------------------------------------------
 * jsonb output
 * ---------------------------------------------------------------------
 */

/* Push an object key. */
static void
PushKey(JsonbParseState **ps, const char *key)
{
	JsonbValue	k;

	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	pushJsonbValue(ps, WJB_KEY, &k);
}

/*
 * Push a double as a JSON number in its shortest exact decimal form, so it
 * reads back as the same float8; NaN and infinities become JSON null.
 */
static void
PushDouble(JsonbParseState **ps, JsonbIteratorToken token, double x)
{
	JsonbValue	v;

	if (isfinite(x))
	{
		char		buf[DOUBLE_SHORTEST_DECIMAL_LEN];

		double_to_shortest_decimal_buf(x, buf);
		v.type = jbvNumeric;
		v.val.numeric = DatumGetNumeric(DirectFunctionCall3(numeric_in,
															CStringGetDatum(buf),
															ObjectIdGetDatum(InvalidOid),
															Int32GetDatum(-1)));
	}
	else
		v.type = jbvNull;
	pushJsonbValue(ps, token, &v);
}

/* Push "key": x, a double. */
static void
PushKeyDouble(JsonbParseState **ps, const char *key, double x)
{
	PushKey(ps, key);
	PushDouble(ps, WJB_VALUE, x);
}

/* Push "key": x, an integer. */
static void
PushKeyInt(JsonbParseState **ps, const char *key, int64 x)
{
	JsonbValue	v;

	PushKey(ps, key);
	v.type = jbvNumeric;
	v.val.numeric = int64_to_numeric(x);
	pushJsonbValue(ps, WJB_VALUE, &v);
}

/* Push "key": "s". */
static void
PushKeyString(JsonbParseState **ps, const char *key, const char *s)
{
	JsonbValue	v;

	PushKey(ps, key);
	v.type = jbvString;
	v.val.string.val = (char *) s;
	v.val.string.len = strlen(s);
	pushJsonbValue(ps, WJB_VALUE, &v);
}

/* Push the confusion matrix and its rates. */
static void
PushConfusion(JsonbParseState **ps, const L2Confusion *c)
{
	L2Rates		r;

	l2_confusion_rates(c, &r);
	PushKeyInt(ps, "tp", c->tp);
	PushKeyInt(ps, "fp", c->fp);
	PushKeyInt(ps, "tn", c->tn);
	PushKeyInt(ps, "fn", c->fn);
	PushKeyInt(ps, "n", c->tp + c->fp + c->tn + c->fn);
	PushKeyDouble(ps, "accuracy", r.accuracy);
	PushKeyDouble(ps, "precision", r.precision);
	PushKeyDouble(ps, "recall", r.recall);
	PushKeyDouble(ps, "f1", r.f1);
}

/* ---------------------------------------------------------------------
 * The shared score state: combine, serialize, deserialize
 * ---------------------------------------------------------------------
 */

/*
 * Combine two score states.  Either may be NULL (a worker that saw no row);
 * the result lives in the aggregate's memory context.
 */
PG_FUNCTION_INFO_V1(l2fuse_scores_combine);
Datum
l2fuse_scores_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	ScoreState *s1;
	ScoreState *s2;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "l2fuse_scores_combine called in non-aggregate context");

	s1 = PG_ARGISNULL(0) ? NULL : (ScoreState *) PG_GETARG_POINTER(0);
	s2 = PG_ARGISNULL(1) ? NULL : (ScoreState *) PG_GETARG_POINTER(1);
	if (s2 == NULL)
	{
		if (s1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s1);
	}

	if (s1 == NULL)
		s1 = ScoreStateCreate(aggcontext, s2->kind);
	ScoreStateMerge(s1, s2);
	PG_RETURN_POINTER(s1);
}

/*
 * Serialize a score state for transfer from a parallel worker.
 */
PG_FUNCTION_INFO_V1(l2fuse_scores_serialize);
Datum
l2fuse_scores_serialize(PG_FUNCTION_ARGS)
{
	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "l2fuse_scores_serialize called in non-aggregate context");

	PG_RETURN_BYTEA_P(ScoreStateSerialize((ScoreState *) PG_GETARG_POINTER(0)));
}

/*
 * Rebuild a score state from a parallel worker's serialized form.
 */
PG_FUNCTION_INFO_V1(l2fuse_scores_deserialize);
Datum
l2fuse_scores_deserialize(PG_FUNCTION_ARGS)
{
	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "l2fuse_scores_deserialize called in non-aggregate context");

	PG_RETURN_POINTER(ScoreStateDeserialize(PG_GETARG_BYTEA_PP(0),
											CurrentMemoryContext));
}

/*
 * Transition of roc_auc and roc_curve: store a finite score by its label,
 * or count the row as skipped when either is NULL.
 */
PG_FUNCTION_INFO_V1(l2fuse_scores_accum);
Datum
l2fuse_scores_accum(PG_FUNCTION_ARGS)
{
	ScoreState *state = ScoreStateFromAgg(fcinfo, 0, SCORES_RANK,
										  "l2fuse_scores_accum");

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		state->skipped++;
		PG_RETURN_POINTER(state);
	}

	CheckScoreFinite(PG_GETARG_FLOAT8(1), "score");
	ScoreStateAdd(state, PG_GETARG_FLOAT8(1), PG_GETARG_BOOL(2));
	PG_RETURN_POINTER(state);
}

/*
 * Sorted copies of the scores of a final function's state.  Returns NULL
 * when no row was used.
 */
static ScoreState *
SortedOrNull(FunctionCallInfo fcinfo, SortedScores *sorted)
{
	ScoreState *state;

	if (PG_ARGISNULL(0))
		return NULL;
	state = (ScoreState *) PG_GETARG_POINTER(0);
	if (state->pos.n + state->neg.n == 0)
		return NULL;

	ScoreStateSort(state, sorted);
	return state;
}

/*
 * Final function of roc_auc: the area under the ROC curve, or NULL when no
 * row was used or only one class occurs.
 */
PG_FUNCTION_INFO_V1(l2fuse_roc_auc_final);
Datum
l2fuse_roc_auc_final(PG_FUNCTION_ARGS)
{
	SortedScores s;
	double		auc;

	if (SortedOrNull(fcinfo, &s) == NULL)
		PG_RETURN_NULL();

	auc = l2_roc_auc(s.pos, s.npos, s.neg, s.nneg);
	SortedScoresFree(&s);
	if (isnan(auc))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(auc);
}

/*
 * Final function of roc_curve: a jsonb array of {threshold, fpr, tpr}
 * objects, highest threshold first, or NULL when no row was used.
 */
PG_FUNCTION_INFO_V1(l2fuse_roc_curve_final);
Datum
l2fuse_roc_curve_final(PG_FUNCTION_ARGS)
{
	SortedScores s;
	JsonbParseState *ps = NULL;
	JsonbValue *result;
	L2RocPoint *pts;
	size_t		npts,
				k;

	if (SortedOrNull(fcinfo, &s) == NULL)
		PG_RETURN_NULL();

	pts = palloc_extended((s.npos + s.nneg + 1) * sizeof(L2RocPoint), MCXT_ALLOC_HUGE);
	npts = l2_roc_curve(s.pos, s.npos, s.neg, s.nneg, pts);
	SortedScoresFree(&s);

	pushJsonbValue(&ps, WJB_BEGIN_ARRAY, NULL);
	for (k = 0; k < npts; k++)
	{
		pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
		PushKeyDouble(&ps, "threshold", pts[k].threshold);
		PushKeyDouble(&ps, "fpr", pts[k].fpr);
		PushKeyDouble(&ps, "tpr", pts[k].tpr);
		pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
	}
	result = pushJsonbValue(&ps, WJB_END_ARRAY, NULL);
	pfree(pts);

	PG_RETURN_JSONB_P(JsonbValueToJsonb(result));
}

/*
 * Final function of evaluate: every metric as a jsonb object, or NULL when
 * no row was used.  Rows are predicted positive when the probability is
 * >= 0.5, or, for a model without probability calibration, when the
 * decision value is >= 0; log loss and Brier score are then null.
 */
PG_FUNCTION_INFO_V1(l2fuse_evaluate_final);
Datum
l2fuse_evaluate_final(PG_FUNCTION_ARGS)
{
	SortedScores s;
	ScoreState *state;
	bool		proba;
	L2Metrics	m;
	JsonbParseState *ps = NULL;
	JsonbValue *result;

	state = SortedOrNull(fcinfo, &s);
	if (state == NULL)
		PG_RETURN_NULL();

	proba = state->kind == SCORES_PROBABILITY;
	l2_metrics_compute(s.pos, s.npos, s.neg, s.nneg, proba ? 0.5 : 0.0, proba, &m);
	SortedScoresFree(&s);

	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	PushKeyInt(&ps, "positives", m.positives);
	PushConfusion(&ps, &m.confusion);
	PushKeyDouble(&ps, "roc_auc", m.roc_auc);
	PushKeyDouble(&ps, "average_precision", m.average_precision);
	PushKeyDouble(&ps, "log_loss", m.log_loss);
	PushKeyDouble(&ps, "brier", m.brier);
	PushKeyString(&ps, "scores", proba ? "probability" : "decision");
	PushKeyInt(&ps, "skipped", state->skipped);
	result = pushJsonbValue(&ps, WJB_END_OBJECT, NULL);

	PG_RETURN_JSONB_P(JsonbValueToJsonb(result));
}

/* ---------------------------------------------------------------------
 * log_loss and confusion: array states
 * ---------------------------------------------------------------------
 */

/*
 * The elements of a state array, checked to be one-dimensional, of the
 * expected element type and length, and free of NULLs.
 */
static void *
CheckStateArray(ArrayType *a, Oid elemtype, int len, const char *caller)
{
	if (ARR_NDIM(a) != 1 || ARR_DIMS(a)[0] != len || ARR_HASNULL(a) ||
		ARR_ELEMTYPE(a) != elemtype)
		elog(ERROR, "%s: expected a %d-element state array", caller, len);
	return ARR_DATA_PTR(a);
}

/*
 * The state array argument argno, modifiable: in place when called as an
 * aggregate, else a copy.
 */
static ArrayType *
WritableStateArray(FunctionCallInfo fcinfo, int argno)
{
	if (AggCheckCallContext(fcinfo, NULL))
		return PG_GETARG_ARRAYTYPE_P(argno);
	return PG_GETARG_ARRAYTYPE_P_COPY(argno);
}

/*
 * Transition of log_loss.  State: {rows, sum, compensation}; adds the
 * clipped negative log-likelihood of one row.
 */
PG_FUNCTION_INFO_V1(l2fuse_log_loss_accum);
Datum
l2fuse_log_loss_accum(PG_FUNCTION_ARGS)
{
	ArrayType  *a = WritableStateArray(fcinfo, 0);
	double	   *st = CheckStateArray(a, FLOAT8OID, LOG_LOSS_STATE_LEN,
									 "l2fuse_log_loss_accum");
	double		p;
	L2Sum		sum;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_ARRAYTYPE_P(a);

	p = PG_GETARG_FLOAT8(1);
	if (isnan(p))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("probability must not be NaN")));
	if (p < 0.0 || p > 1.0)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("probability %g is outside [0, 1]", p)));

	sum.s = st[1];
	sum.c = st[2];
	l2_sum_add(&sum, l2_log_loss_term(p, PG_GETARG_BOOL(2)));
	st[0] += 1.0;
	st[1] = sum.s;
	st[2] = sum.c;
	PG_RETURN_ARRAYTYPE_P(a);
}

/*
 * Combine two log_loss states: rows add, and the two compensated sums
 * merge into one.
 */
PG_FUNCTION_INFO_V1(l2fuse_log_loss_combine);
Datum
l2fuse_log_loss_combine(PG_FUNCTION_ARGS)
{
	ArrayType  *a = WritableStateArray(fcinfo, 0);
	ArrayType  *b = PG_GETARG_ARRAYTYPE_P(1);
	double	   *s1 = CheckStateArray(a, FLOAT8OID, LOG_LOSS_STATE_LEN,
									 "l2fuse_log_loss_combine");
	double	   *s2 = CheckStateArray(b, FLOAT8OID, LOG_LOSS_STATE_LEN,
									 "l2fuse_log_loss_combine");
	L2Sum		sum1 = {s1[1], s1[2]};
	L2Sum		sum2 = {s2[1], s2[2]};

	l2_sum_merge(&sum1, &sum2);
	s1[0] += s2[0];
	s1[1] = sum1.s;
	s1[2] = sum1.c;
	PG_RETURN_ARRAYTYPE_P(a);
}

/*
 * Final function of log_loss: the mean loss, or NULL without rows.
 */
PG_FUNCTION_INFO_V1(l2fuse_log_loss_final);
Datum
l2fuse_log_loss_final(PG_FUNCTION_ARGS)
{
	ArrayType  *a = PG_GETARG_ARRAYTYPE_P(0);
	double	   *st = CheckStateArray(a, FLOAT8OID, LOG_LOSS_STATE_LEN,
									 "l2fuse_log_loss_final");
	L2Sum		sum = {st[1], st[2]};

	if (st[0] <= 0.0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(l2_sum_value(&sum) / st[0]);
}

/*
 * Transition of confusion.  State: {tp, fp, tn, fn, skipped}.
 */
PG_FUNCTION_INFO_V1(l2fuse_confusion_accum);
Datum
l2fuse_confusion_accum(PG_FUNCTION_ARGS)
{
	ArrayType  *a = WritableStateArray(fcinfo, 0);
	int64	   *st = CheckStateArray(a, INT8OID, CONFUSION_STATE_LEN,
									 "l2fuse_confusion_accum");
	bool		predicted,
				label;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		st[4]++;
		PG_RETURN_ARRAYTYPE_P(a);
	}

	predicted = PG_GETARG_BOOL(1);
	label = PG_GETARG_BOOL(2);
	if (predicted)
		st[label ? 0 : 1]++;
	else
		st[label ? 3 : 2]++;
	PG_RETURN_ARRAYTYPE_P(a);
}

/*
 * Combine two confusion states by adding their counts.
 */
PG_FUNCTION_INFO_V1(l2fuse_confusion_combine);
Datum
l2fuse_confusion_combine(PG_FUNCTION_ARGS)
{
	ArrayType  *a = WritableStateArray(fcinfo, 0);
	ArrayType  *b = PG_GETARG_ARRAYTYPE_P(1);
	int64	   *s1 = CheckStateArray(a, INT8OID, CONFUSION_STATE_LEN,
									 "l2fuse_confusion_combine");
	int64	   *s2 = CheckStateArray(b, INT8OID, CONFUSION_STATE_LEN,
									 "l2fuse_confusion_combine");
	int			k;

	for (k = 0; k < CONFUSION_STATE_LEN; k++)
		s1[k] += s2[k];
	PG_RETURN_ARRAYTYPE_P(a);
}

/*
 * Final function of confusion: the counts and rates as jsonb, or NULL
 * when no row was used.
 */
PG_FUNCTION_INFO_V1(l2fuse_confusion_final);
Datum
l2fuse_confusion_final(PG_FUNCTION_ARGS)
{
	ArrayType  *a = PG_GETARG_ARRAYTYPE_P(0);
	int64	   *st = CheckStateArray(a, INT8OID, CONFUSION_STATE_LEN,
									 "l2fuse_confusion_final");
	L2Confusion c = {st[0], st[1], st[2], st[3]};
	JsonbParseState *ps = NULL;
	JsonbValue *result;
	int			k;

	for (k = 0; k < CONFUSION_STATE_LEN; k++)
		if (st[k] < 0)
			elog(ERROR, "l2fuse_confusion_final: negative count in state");
	if (c.tp + c.fp + c.tn + c.fn == 0)
		PG_RETURN_NULL();

	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	PushConfusion(&ps, &c);
	PushKeyInt(&ps, "skipped", st[4]);
	result = pushJsonbValue(&ps, WJB_END_OBJECT, NULL);

	PG_RETURN_JSONB_P(JsonbValueToJsonb(result));
}

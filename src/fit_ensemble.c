/*
 * fit_ensemble.c
 *		l2fuse.fit_ensemble: an ensemble whose weights (or meta-model) are
 *		fitted on held-out rows.
 *
 * The aggregate scores every held-out row with every member and keeps the
 * scores (fusion_state.c); the final function fits by the chosen method:
 *
 *	stacking (default)
 *		an L2-regularized logistic meta-model over the members' decision
 *		values, solved by the training solver (l2_fit, loss logistic,
 *		intercept on, no standardization): it minimizes
 *		sum_i log(1 + exp(-y_i (b + sum_k c_k d_ik))) + (lambda/2) ||c||^2.
 *		Member scores: each member's held-out ROC AUC.
 *	log_loss
 *		the convex combination of member probabilities with the least mean
 *		held-out log loss (fusion_simplex.c); a soft vote with those
 *		weights.  Member scores: each member's held-out log loss.
 *	accuracy, auc
 *		weights proportional to each member's held-out accuracy (at its own
 *		prediction rule) or ROC AUC (of its decision values, ties counting
 *		1/2); a soft vote when every member has a probability, else hard.
 *		Member scores: those accuracies or AUCs.
 *
 * Probabilities in log_loss are clipped to [eps, 1 - eps], eps = 2^-52, as
 * by the log_loss aggregate.  Rows with a NULL features or label are
 * skipped; a NOTICE reports how many.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "fusion.h"
#include "fusion_state.h"
#include "l2fuse.h"
#include "metrics.h"
#include "model_glue.h"
#include "solver.h"

#define DEFAULT_LAMBDA 1.0
#define DEFAULT_TOL_STACKING 1e-10	/* relative gradient norm */
#define DEFAULT_TOL_LOG_LOSS 1e-12	/* Frank-Wolfe gap, in mean log loss */
#define DEFAULT_MAX_ITER 1000

#define VALID_OPTIONS "method, lambda (stacking), voting (accuracy and auc), " \
	"tol and max_iter (stacking and log_loss)"

/* ---------------------------------------------------------------------
 * Options
 * ---------------------------------------------------------------------
 */

/* Error for a bad option value; detail says what the key accepts. */
static void
BadOption(const char *key, const char *expected)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid value for fit_ensemble option \"%s\"", key),
			 errdetail("Option \"%s\" must be %s.", key, expected)));
}

/* A jsonb number as float8 (infinite when out of range). */
static double
OptionNumber(const char *key, const JsonbValue *v, const char *expected)
{
	if (v->type != jbvNumeric)
		BadOption(key, expected);
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
											  NumericGetDatum(v->val.numeric)));
}

/* A jsonb string as a new C string. */
static char *
OptionString(const char *key, const JsonbValue *v, const char *expected)
{
	if (v->type != jbvString)
		BadOption(key, expected);
	return pnstrdup(v->val.string.val, v->val.string.len);
}

/* ERROR when an option was given that method does not use. */
static void
CheckApplies(bool given, const char *key, bool applies, L2FitMethod method)
{
	if (given && !applies)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("fit_ensemble option \"%s\" does not apply to method \"%s\"",
						key, l2_fit_method_name(method)),
				 errhint("Valid options are " VALID_OPTIONS ".")));
}

/* Set one option from its key and value; given records which were set. */
static void
SetOption(const char *key, const JsonbValue *v, FuseOptions *opt, bool *given)
{
	if (strcmp(key, "method") == 0)
	{
		const char *expected = "one of \"stacking\", \"log_loss\", \"accuracy\", \"auc\"";
		char	   *name = OptionString(key, v, expected);

		if (!l2_fit_method_parse(name, &opt->method) || opt->method == L2_FIT_NONE)
			BadOption(key, expected);
		given[0] = true;
	}
	else if (strcmp(key, "lambda") == 0)
	{
		opt->lambda = OptionNumber(key, v, "a number > 0");
		if (!(opt->lambda > 0) || !isfinite(opt->lambda))
			BadOption(key, "a finite number > 0");
		given[1] = true;
	}
	else if (strcmp(key, "voting") == 0)
	{
		char	   *name = OptionString(key, v, "\"soft\" or \"hard\"");

		if (!l2_voting_parse(name, &opt->voting) || opt->voting == L2_VOTING_STACKING)
			BadOption(key, "\"soft\" or \"hard\"");
		given[2] = true;
	}
	else if (strcmp(key, "tol") == 0)
	{
		opt->tol = OptionNumber(key, v, "a number in (0, 1)");
		if (!(opt->tol > 0 && opt->tol < 1))
			BadOption(key, "a number in (0, 1)");
		given[3] = true;
	}
	else if (strcmp(key, "max_iter") == 0)
	{
		double		x = OptionNumber(key, v, "an integer from 1 to 1000000");

		if (!(x >= 1 && x <= 1000000) || x != floor(x))
			BadOption(key, "an integer from 1 to 1000000");
		opt->max_iter = (int32) x;
		given[4] = true;
	}
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown fit_ensemble option \"%s\"", key),
				 errhint("Valid options are " VALID_OPTIONS ".")));
}

/*
 * Parse the options object (NULL for none) into opt, with the defaults of
 * the chosen method for what is not given.
 */
static void
ParseOptions(Jsonb *jb, FuseOptions *opt)
{
	bool		given[5] = {false, false, false, false, false};
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	   *key = NULL;

	memset(opt, 0, sizeof(*opt));
	opt->method = L2_FIT_STACKING;
	opt->lambda = DEFAULT_LAMBDA;
	opt->max_iter = DEFAULT_MAX_ITER;

	if (jb != NULL)
	{
		if (!JB_ROOT_IS_OBJECT(jb) || JB_ROOT_IS_SCALAR(jb))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("fit_ensemble options must be a jsonb object"),
					 errhint("Valid options are " VALID_OPTIONS ".")));
		it = JsonbIteratorInit(&jb->root);
		while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
		{
			if (tok == WJB_KEY)
				key = pnstrdup(v.val.string.val, v.val.string.len);
			else if (tok == WJB_VALUE)
				SetOption(key, &v, opt, given);
		}
	}

	CheckApplies(given[1], "lambda", opt->method == L2_FIT_STACKING, opt->method);
	CheckApplies(given[2], "voting", opt->method == L2_FIT_ACCURACY ||
				 opt->method == L2_FIT_AUC, opt->method);
	CheckApplies(given[3], "tol", opt->method == L2_FIT_STACKING ||
				 opt->method == L2_FIT_LOG_LOSS, opt->method);
	CheckApplies(given[4], "max_iter", opt->method == L2_FIT_STACKING ||
				 opt->method == L2_FIT_LOG_LOSS, opt->method);
	if (!given[3])
		opt->tol = opt->method == L2_FIT_LOG_LOSS ? DEFAULT_TOL_LOG_LOSS : DEFAULT_TOL_STACKING;
}

/* ---------------------------------------------------------------------
 * Members
 * ---------------------------------------------------------------------
 */

/*
 * The models array as element pointers and lengths; ERROR unless it is a
 * non-empty one-dimensional array without NULLs, of at most the member cap.
 */
static int
ReadModelsArray(ArrayType *arr, char ***bytes, int32 **lens)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			k;

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("models must be a one-dimensional array")));
	deconstruct_array(arr, BYTEAOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	if (n < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("fit_ensemble needs at least one model")));
	if (n > L2_ENSEMBLE_MAX_MEMBERS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("an ensemble has at most %d members, got %d",
						L2_ENSEMBLE_MAX_MEMBERS, n)));

	*bytes = palloc(sizeof(char *) * n);
	*lens = palloc(sizeof(int32) * n);
	for (k = 0; k < n; k++)
	{
		bytea	   *b;

		if (nulls[k])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("model %d of the ensemble is NULL", k + 1)));
		b = DatumGetByteaPP(elems[k]);
		(*bytes)[k] = VARDATA_ANY(b);
		(*lens)[k] = VARSIZE_ANY_EXHDR(b);
	}
	return n;
}

/*
 * Decode the state's members into its context (once), checking their
 * feature counts and nesting; also sizes the per-row scratch buffers.
 */
static void
DecodeMembers(FuseState *state)
{
	MemoryContext old;
	int32		k;
	int32		d;

	if (state->members != NULL)
		return;

	old = MemoryContextSwitchTo(state->mcxt);
	state->members = palloc0(sizeof(L2Model *) * state->nmembers);
	for (k = 0; k < state->nmembers; k++)
	{
		bytea	   *b = palloc(VARHDRSZ + state->mlen[k]);

		SET_VARSIZE(b, VARHDRSZ + state->mlen[k]);
		memcpy(VARDATA(b), state->mbytes[k], state->mlen[k]);
		state->members[k] = l2_model_from_bytea(b);
		pfree(b);
	}
	MemoryContextSwitchTo(old);

	d = state->members[0]->nfeatures;
	for (k = 1; k < state->nmembers; k++)
		if (state->members[k]->nfeatures != d)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("model %d has %d features, model 1 has %d",
							k + 1, state->members[k]->nfeatures, d),
					 errdetail("Every member of an ensemble reads the same features.")));
	for (k = 0; k < state->nmembers; k++)
		if (l2_model_nesting(state->members[k]) >= L2_ENSEMBLE_MAX_DEPTH)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("ensembles nest at most %d levels deep", L2_ENSEMBLE_MAX_DEPTH),
					 errdetail("Model %d already nests %d levels.", k + 1,
							   l2_model_nesting(state->members[k]))));
	if (state->nfeatures != 0 && state->nfeatures != d)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid serialized fit_ensemble state"),
				 errdetail("The feature count does not match the models.")));
	state->nfeatures = d;

	/* one row's features, decisions and probabilities */
	state->x = MemoryContextAlloc(state->mcxt,
								  sizeof(double) * ((Size) d + 2 * state->nmembers));
}

/* ERROR unless every member has what the method and voting need. */
static void
CheckMembersForMethod(const FuseState *state)
{
	const FuseOptions *opt = &state->opt;
	bool		need = opt->method == L2_FIT_LOG_LOSS || opt->voting == L2_VOTING_SOFT;
	int32		k;

	for (k = 0; need && k < state->nmembers; k++)
		if (!l2_model_has_proba(state->members[k]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("model %d has no probability calibration", k + 1),
					 opt->method == L2_FIT_LOG_LOSS ?
					 errdetail("Method \"log_loss\" combines the members' probabilities.") :
					 errdetail("A soft vote averages the members' probabilities."),
					 errhint("Retrain the SVM with calibration on, or use method "
							 "\"stacking\", or \"accuracy\" or \"auc\" with a hard vote.")));
}

/* ERROR unless this row repeats the first row's models and options. */
static void
CheckSameInputs(const FuseState *state, int n, char **bytes, const int32 *lens,
				const char *obytes, int32 olen)
{
	bool		same = n == state->nmembers && olen == state->olen &&
		(olen == 0 || memcmp(obytes, state->obytes, olen) == 0);
	int			k;

	for (k = 0; same && k < n; k++)
		same = lens[k] == state->mlen[k] && memcmp(bytes[k], state->mbytes[k], lens[k]) == 0;
	if (!same)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("fit_ensemble got different models or options on different rows"),
				 errdetail("Every row must give the same models array and options.")));
}

/* ---------------------------------------------------------------------
 * Aggregate support functions
 * ---------------------------------------------------------------------
 */

/*
 * Transition: fit_ensemble_accum(state, models bytea[], features anyarray,
 * label boolean [, options jsonb]).  Scores the row with every member and
 * stores the scores; skips (and counts) rows with a NULL features or label.
 */
PG_FUNCTION_INFO_V1(l2fuse_fit_ensemble_accum);
Datum
l2fuse_fit_ensemble_accum(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	FuseState  *state;
	char	  **bytes;
	int32	   *lens;
	int			n;
	Jsonb	   *jb = NULL;
	const char *obytes = NULL;
	int32		olen = 0;
	double	   *dec;
	double	   *prob;
	int32		k;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "l2fuse_fit_ensemble_accum called in non-aggregate context");
	state = PG_ARGISNULL(0) ? FuseStateCreate(aggcontext) : (FuseState *) PG_GETARG_POINTER(0);

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("models must not be NULL")));
	if (PG_ARGISNULL(2) || PG_ARGISNULL(3))
	{
		state->skipped++;
		PG_RETURN_POINTER(state);
	}

	/* the models and options: adopted on the first row, then compared */
	n = ReadModelsArray(PG_GETARG_ARRAYTYPE_P(1), &bytes, &lens);
	if (PG_NARGS() > 4 && !PG_ARGISNULL(4))
	{
		jb = PG_GETARG_JSONB_P(4);
		obytes = VARDATA_ANY(jb);
		olen = VARSIZE_ANY_EXHDR(jb);
	}
	if (state->nmembers == 0)
	{
		FuseOptions opt;

		ParseOptions(jb, &opt);
		FuseStateAdopt(state, n, 0, bytes, lens, obytes, olen, &opt);
		DecodeMembers(state);
		CheckMembersForMethod(state);
	}
	else
		CheckSameInputs(state, n, bytes, lens, obytes, olen);
	DecodeMembers(state);

	/* score the row with every member */
	l2_read_features(PG_GETARG_ARRAYTYPE_P(2), state->nfeatures, state->x);
	dec = state->x + state->nfeatures;
	prob = dec + state->nmembers;
	for (k = 0; k < state->nmembers; k++)
	{
		const L2Model *m = state->members[k];
		double		d = l2_model_decision(m, state->x);

		/* as stacking scores them: decisions clamped to the finite doubles */
		dec[k] = d > DBL_MAX ? DBL_MAX : d < -DBL_MAX ? -DBL_MAX : d;
		prob[k] = l2_model_has_proba(m) ? l2_model_proba(m, state->x) : NAN;
	}
	FuseStateAddRow(state, PG_GETARG_BOOL(3), dec, prob);

	PG_RETURN_POINTER(state);
}

/*
 * Combine two states.  Either may be NULL or empty (a worker that saw no
 * usable row); the result lives in the aggregate's memory context.
 */
PG_FUNCTION_INFO_V1(l2fuse_fit_ensemble_combine);
Datum
l2fuse_fit_ensemble_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	FuseState  *s1;
	FuseState  *s2;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "l2fuse_fit_ensemble_combine called in non-aggregate context");

	s1 = PG_ARGISNULL(0) ? NULL : (FuseState *) PG_GETARG_POINTER(0);
	s2 = PG_ARGISNULL(1) ? NULL : (FuseState *) PG_GETARG_POINTER(1);
	if (s2 == NULL)
	{
		if (s1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s1);
	}

	if (s1 == NULL)
		s1 = FuseStateCreate(aggcontext);
	FuseStateMerge(s1, s2);
	PG_RETURN_POINTER(s1);
}

/*
 * Serialize a state for transfer from a parallel worker.
 */
PG_FUNCTION_INFO_V1(l2fuse_fit_ensemble_serialize);
Datum
l2fuse_fit_ensemble_serialize(PG_FUNCTION_ARGS)
{
	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "l2fuse_fit_ensemble_serialize called in non-aggregate context");

	PG_RETURN_BYTEA_P(FuseStateSerialize((FuseState *) PG_GETARG_POINTER(0)));
}

/*
 * Rebuild a state from a parallel worker's serialized form.
 */
PG_FUNCTION_INFO_V1(l2fuse_fit_ensemble_deserialize);
Datum
l2fuse_fit_ensemble_deserialize(PG_FUNCTION_ARGS)
{
	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "l2fuse_fit_ensemble_deserialize called in non-aggregate context");

	PG_RETURN_POINTER(FuseStateDeserialize(PG_GETARG_BYTEA_PP(0), CurrentMemoryContext));
}

/* ---------------------------------------------------------------------
 * Fitting
 * ---------------------------------------------------------------------
 */

/* Zeroed memory of any size from the context ctx, for the simplex solver. */
static void *
HugeAlloc(size_t size, void *ctx)
{
	return l2fuse_alloc_huge((MemoryContext) ctx, size, MCXT_ALLOC_ZERO);
}

/* Positive rows of the state. */
static int64
CountPositives(const FuseState *state)
{
	const FuseChunk *c;
	int64		pos = 0;
	int32		i;

	for (c = state->head; c != NULL; c = c->next)
		for (i = 0; i < c->used; i++)
			pos += c->y[i];
	return pos;
}

/* ERROR for held-out rows of one class, which method cannot fit. */
static void
OneClassError(const FuseState *state, int64 positives, const char *method)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("held-out rows contain only one class"),
			 errdetail("All " INT64_FORMAT " rows used are labeled %s.", state->rows,
					   positives > 0 ? "true" : "false"),
			 errhint("Method \"%s\" needs held-out rows labeled true and rows "
					 "labeled false.", method)));
}

/* ROC AUC of each member's decision values into auc (ties count 1/2). */
static void
MemberAuc(const FuseState *state, double *auc)
{
	int64		npos = CountPositives(state);
	int64		nneg = state->rows - npos;
	double	   *pos = HugeAlloc(sizeof(double) * Max(npos, 1), CurrentMemoryContext);
	double	   *neg = HugeAlloc(sizeof(double) * Max(nneg, 1), CurrentMemoryContext);
	const FuseChunk *c;
	int32		k = state->nmembers;
	int32		j,
				i;

	for (j = 0; j < k; j++)
	{
		int64		ip = 0,
					in = 0;

		for (c = state->head; c != NULL; c = c->next)
			for (i = 0; i < c->used; i++)
			{
				if (c->y[i])
					pos[ip++] = c->d[(Size) i * k + j];
				else
					neg[in++] = c->d[(Size) i * k + j];
			}
		l2_sort_scores(pos, (size_t) npos);
		l2_sort_scores(neg, (size_t) nneg);
		auc[j] = l2_roc_auc(pos, (size_t) npos, neg, (size_t) nneg);
		CHECK_FOR_INTERRUPTS();
	}
	pfree(pos);
	pfree(neg);
}

/*
 * Held-out accuracy of each member at its own rule: probability >= 0.5, or
 * decision >= 0 for a member without a probability.
 */
static void
MemberAccuracy(const FuseState *state, double *acc)
{
	const FuseChunk *c;
	int32		k = state->nmembers;
	int32		j,
				i;

	for (j = 0; j < k; j++)
	{
		int64		correct = 0;
		bool		proba = l2_model_has_proba(state->members[j]);

		for (c = state->head; c != NULL; c = c->next)
			for (i = 0; i < c->used; i++)
			{
				bool		pred = proba ? c->p[(Size) i * k + j] >= 0.5 :
					c->d[(Size) i * k + j] >= 0;

				correct += pred == (c->y[i] != 0);
			}
		acc[j] = (double) correct / (double) state->rows;
	}
}

/* Solver hooks: cancel requests and warnings reach the server. */
static void
SolverInterrupt(void *arg)
{
	CHECK_FOR_INTERRUPTS();
}

static void
SolverWarn(void *arg, const char *message)
{
	ereport(WARNING, (errmsg("fit_ensemble meta-model: %s", message)));
}

/*
 * Stacking: the logistic meta-model over the decision values, one segment
 * per chunk, fitted by l2_fit.
 */
static void
FitStacking(const FuseState *state, double *meta_coef, double *meta_intercept,
			double *scores)
{
	L2Segment  *seg;
	L2Problem	prob;
	L2Hooks		hooks;
	L2Fit		fit;
	L2Status	st;
	const FuseChunk *c;
	int			nseg = 0;

	for (c = state->head; c != NULL; c = c->next)
		nseg++;
	seg = palloc0(sizeof(L2Segment) * nseg);
	nseg = 0;
	for (c = state->head; c != NULL; c = c->next, nseg++)
	{
		seg[nseg].x = c->d;
		seg[nseg].y = c->y;
		seg[nseg].w = NULL;
		seg[nseg].n = c->used;
	}

	memset(&prob, 0, sizeof(prob));
	prob.d = state->nmembers;
	prob.nseg = nseg;
	prob.seg = seg;
	prob.loss = L2_LOSS_LOGISTIC;
	prob.lambda = state->opt.lambda;
	prob.fit_intercept = true;
	prob.standardize = false;
	prob.class_weight_mode = L2_CLASS_WEIGHT_NONE;
	prob.class_weight_pos = 1.0;
	prob.class_weight_neg = 1.0;
	prob.tol = state->opt.tol;
	prob.max_iter = state->opt.max_iter;
	prob.threads = l2fuse_solver_threads();
	prob.fold = NULL;
	prob.exclude_fold = -1;

	memset(&hooks, 0, sizeof(hooks));
	hooks.alloc = HugeAlloc;
	hooks.alloc_ctx = CurrentMemoryContext;
	hooks.interrupt = SolverInterrupt;
	hooks.pending = l2fuse_interrupt_pending;
	hooks.warn = SolverWarn;

	st = l2_fit(&prob, &hooks, &fit);
	if (st == L2_ERR_ONE_CLASS)
		OneClassError(state, CountPositives(state), "stacking");
	if (st != L2_OK)
		elog(ERROR, "stacking meta-model failed with solver status %d", (int) st);

	memcpy(meta_coef, fit.coef, sizeof(double) * state->nmembers);
	*meta_intercept = fit.intercept;
	elog(DEBUG1, "fit_ensemble stacking: objective %.17g, relative gradient norm %.3g "
		 "after %d iterations", fit.objective, fit.optimality, fit.iterations);

	MemberAuc(state, scores);
}

/*
 * log_loss: the simplex weights of least held-out log loss.  scores get
 * each member's own held-out log loss.
 */
static void
FitLogLoss(const FuseState *state, double *weights, double *scores)
{
	int32		k = state->nmembers;
	double	   *a;
	const FuseChunk *c;
	L2SimplexFit fit;
	int64		r = 0;
	int32		i,
				j;

	/* the solver needs the n x k matrix twice over */
	if ((double) state->rows * k * 16 > (double) MaxAllocHugeSize / 2)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many held-out rows for method \"log_loss\""),
				 errdetail("The fit needs 16 bytes per row and member.")));

	/* a_ij: the clipped probability member j gives to row i's label */
	a = HugeAlloc(sizeof(double) * (Size) state->rows * k, CurrentMemoryContext);
	for (j = 0; j < k; j++)
		scores[j] = 0;
	for (c = state->head; c != NULL; c = c->next)
		for (i = 0; i < c->used; i++, r++)
			for (j = 0; j < k; j++)
			{
				double		p = c->p[(Size) i * k + j];

				p = Min(Max(p, L2_LOG_LOSS_EPS), 1.0 - L2_LOG_LOSS_EPS);
				a[r * k + j] = c->y[i] ? p : 1.0 - p;
				scores[j] += l2_log_loss_term(p, c->y[i] != 0);
			}
	for (j = 0; j < k; j++)
		scores[j] /= (double) state->rows;

	l2_simplex_log_loss(a, state->rows, k, state->opt.tol, state->opt.max_iter,
						HugeAlloc, CurrentMemoryContext, weights, &fit);
	if (!fit.converged && fit.iterations >= state->opt.max_iter)
		ereport(WARNING,
				(errmsg("fit_ensemble log_loss stopped at max_iter = %d before tol = %g; "
						"achieved Frank-Wolfe gap %.2g",
						state->opt.max_iter, state->opt.tol, fit.gap)));
	else if (!fit.converged)
		ereport(WARNING,
				(errmsg("fit_ensemble log_loss stopped after %d iterations before tol = %g; "
						"achieved Frank-Wolfe gap %.2g",
						fit.iterations, state->opt.tol, fit.gap),
				 errdetail("No step improved the held-out log loss at rounding level.")));
	elog(DEBUG1, "fit_ensemble log_loss: objective %.17g, Frank-Wolfe gap %.3g "
		 "after %d iterations", fit.objective, fit.gap, fit.iterations);
}

/*
 * Final function: fit by the chosen method and build the ensemble; NULL
 * when no row was used.
 */
PG_FUNCTION_INFO_V1(l2fuse_fit_ensemble_final);
Datum
l2fuse_fit_ensemble_final(PG_FUNCTION_ARGS)
{
	FuseState  *state;
	FuseOptions *opt;
	int32		k;
	double	   *weights;
	double	   *scores;
	double	   *meta_coef = NULL;
	double		meta_intercept = 0;
	L2Voting	voting;
	L2Model    *m;
	char		err[512];
	int32		j;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "l2fuse_fit_ensemble_final called in non-aggregate context");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	state = (FuseState *) PG_GETARG_POINTER(0);
	if (state->skipped > 0)
		ereport(NOTICE,
				(errmsg_plural("fit_ensemble skipped " INT64_FORMAT " row with a NULL features or label",
							   "fit_ensemble skipped " INT64_FORMAT " rows with a NULL features or label",
							   state->skipped, state->skipped)));
	if (state->rows == 0)
		PG_RETURN_NULL();

	DecodeMembers(state);
	CheckMembersForMethod(state);
	opt = &state->opt;
	k = state->nmembers;
	weights = palloc(sizeof(double) * k);
	scores = palloc(sizeof(double) * k);

	switch (opt->method)
	{
		case L2_FIT_STACKING:
			meta_coef = palloc(sizeof(double) * k);
			FitStacking(state, meta_coef, &meta_intercept, scores);
			for (j = 0; j < k; j++)
				weights[j] = 1.0;
			voting = L2_VOTING_STACKING;
			break;
		case L2_FIT_LOG_LOSS:
			FitLogLoss(state, weights, scores);
			voting = L2_VOTING_SOFT;
			break;
		case L2_FIT_ACCURACY:
		case L2_FIT_AUC:
		default:
			if (opt->method == L2_FIT_AUC)
			{
				int64		pos = CountPositives(state);

				if (pos == 0 || pos == state->rows)
					OneClassError(state, pos, "auc");
				MemberAuc(state, scores);
			}
			else
				MemberAccuracy(state, scores);
			voting = opt->voting;
			if (voting == 0)
			{
				voting = L2_VOTING_SOFT;
				for (j = 0; j < k; j++)
					if (!l2_model_has_proba(state->members[j]))
						voting = L2_VOTING_HARD;
			}
			for (j = 0; j < k; j++)
				weights[j] = scores[j];
			for (j = 0; j < k && weights[j] == 0; j++)
				;
			if (j == k)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("cannot weight members by a held-out %s that is 0 for every member",
								l2_fit_method_name(opt->method)),
						 errhint("Use method \"stacking\" or \"log_loss\", or check the labels "
								 "of the held-out rows.")));
			break;
	}

	m = l2_ensemble_build(k, state->members, weights, voting, meta_coef, meta_intercept,
						  opt->method, state->rows, scores,
						  l2_palloc, CurrentMemoryContext, err, sizeof(err));
	if (m == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid ensemble: %s", err)));
	PG_RETURN_BYTEA_P(l2_model_to_bytea(m));
}

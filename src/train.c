/*
 * train.c
 *		The training aggregates: buffer rows, merge partial states, solve.
 *
 * logistic_regression(features, label [, weight], [options]) and
 * linear_svm(...) share one state.  The transition function validates each
 * row and appends it to a chunked buffer in the aggregate memory context;
 * the final function hands the buffered rows to the solver (solver.h) and
 * encodes the model.  The problem solved is stated in solver.h.
 *
 * Rows: a NULL features, label or weight skips the row (counted in
 * rows_skipped).  A row with weight 0 is validated and then left out, as if
 * it were absent: it is neither buffered nor counted.
 *
 * State layout (TrainState): the parsed options, the feature count d, row
 * counts, and a list of chunks.  A chunk holds cap rows as three arrays:
 * features (cap x d float8, row-major), weights (cap float8) and labels
 * (cap bytes), so a row costs 8 d + 9 bytes.  Chunks grow with the data
 * (each new one holds 1/8 of the rows so far, 64 rows at least, 8 MB at
 * most), so the unused tail stays under about 1/8 of the buffer.  The state
 * holds no pointers or OIDs that travel: the serialized form carries the
 * options, the counts and the rows.
 *
 * The final function does not modify the state (FINALFUNC_MODIFY =
 * READ_ONLY): the solver reads the chunks in place and keeps its own
 * per-row arrays in a temporary memory context.
 */
#include "postgres.h"

#include <limits.h>
#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "port/pg_bswap.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "l2fuse.h"
#include "model_glue.h"
#include "solver.h"
#include "train.h"

#define TRAIN_STATE_MAGIC 0x4c325453	/* "L2TS" */
#define TRAIN_STATE_VERSION 1
#define CHUNK_MAX_BYTES (8 * 1024 * 1024)
#define CHUNK_MIN_ROWS 64

/* A run of buffered rows; the arrays follow the header in one allocation. */
typedef struct TrainChunk
{
	struct TrainChunk *next;
	int64		cap;
	int64		n;
	double	   *x;				/* cap x d */
	double	   *w;				/* cap */
	uint8	   *y;				/* cap, 1 = positive */
} TrainChunk;

/* The aggregate state. */
typedef struct TrainState
{
	L2ModelKind kind;
	TrainOptions opt;
	Jsonb	   *raw_options;	/* first row's options, to check they stay put */
	bool		options_null;
	int32		d;				/* 0 until the first row */
	int64		nrows;			/* buffered rows */
	int64		positives;
	int64		skipped;
	Size		bytes;			/* chunk memory */
	TrainChunk *head;
	TrainChunk *tail;
	MemoryContext adoptable_in;	/* set by deserialfn: chunks live in this context */
} TrainState;

/*
 * Bytes one buffered row takes.
 */
static Size
RowBytes(int32 d)
{
	return sizeof(double) * (Size) d + sizeof(double) + 1;
}

/*
 * Error unless bytes more of buffer fit under l2fuse.max_train_memory.
 */
static void
CheckTrainMemory(const TrainState *state, Size more)
{
	Size		limit = (Size) l2fuse_max_train_memory_kb * 1024;

	if (state->bytes + more > limit)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("training data exceeds l2fuse.max_train_memory"),
				 errdetail("Buffering more than %lld rows of %d features needs at least %zu kB; "
						   "the limit is %d kB.",
						   (long long) state->nrows, state->d,
						   (state->bytes + more + 1023) / 1024, l2fuse_max_train_memory_kb),
				 errhint("Raise l2fuse.max_train_memory, or train on fewer rows or features.")));
}

/*
 * Append an empty chunk of cap rows in the current memory context.
 */
static TrainChunk *
AddChunk(TrainState *state, int64 cap)
{
	Size		hdr = MAXALIGN(sizeof(TrainChunk));
	Size		size = hdr + RowBytes(state->d) * (Size) cap;
	TrainChunk *c;

	CheckTrainMemory(state, size);
	c = l2fuse_alloc_huge(CurrentMemoryContext, size, 0);
	c->next = NULL;
	c->cap = cap;
	c->n = 0;
	c->x = (double *) ((char *) c + hdr);
	c->w = c->x + cap * state->d;
	c->y = (uint8 *) (c->w + cap);
	if (state->tail)
		state->tail->next = c;
	else
		state->head = c;
	state->tail = c;
	state->bytes += size;
	return c;
}

/*
 * Size of the next chunk: 1/8 of the rows so far, within [64 rows, 8 MB],
 * and no more than l2fuse.max_train_memory still has room for (one row at
 * least), so that a small limit is reached by rows, not by a chunk's slack.
 */
static int64
NextChunkRows(const TrainState *state)
{
	int64		maxrows = Max(1, CHUNK_MAX_BYTES / (int64) RowBytes(state->d));
	int64		rows = Max(CHUNK_MIN_ROWS, state->nrows / 8);
	Size		limit = (Size) l2fuse_max_train_memory_kb * 1024;
	Size		used = state->bytes + MAXALIGN(sizeof(TrainChunk));
	int64		room = used < limit ? (int64) ((limit - used) / RowBytes(state->d)) : 0;

	return Max(1, Min(Min(rows, maxrows), room));
}

/*
 * A new empty state of the given kind in the current memory context.
 */
static TrainState *
NewState(L2ModelKind kind)
{
	TrainState *state = palloc0(sizeof(TrainState));

	state->kind = kind;
	train_options_defaults(&state->opt, kind);
	return state;
}

/*
 * Error for options that differ between rows of one group.
 */
static void
OptionsChangedError(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("training options must be the same on every row"),
			 errdetail("The options argument changed within one group.")));
}

/*
 * Error unless this row's options equal the first row's.
 */
static void
CheckSameOptions(const TrainState *state, Jsonb *options)
{
	bool		same;

	if (options == NULL || state->options_null)
		same = (options == NULL) == state->options_null;
	else
		same = VARSIZE(options) == VARSIZE(state->raw_options) &&
			memcmp(options, state->raw_options, VARSIZE(options)) == 0;
	if (!same)
		OptionsChangedError();
}

/*
 * Error unless two partial states were parsed from equal options: the
 * combine-side twin of CheckSameOptions, for rows that reached different
 * workers.
 */
static void
CheckSameParsedOptions(const TrainOptions *a, const TrainOptions *b)
{
	if (a->lambda != b->lambda || a->fit_intercept != b->fit_intercept ||
		a->standardize != b->standardize || a->class_weight_mode != b->class_weight_mode ||
		a->class_weight_pos != b->class_weight_pos ||
		a->class_weight_neg != b->class_weight_neg || a->max_iter != b->max_iter ||
		a->tol != b->tol || a->verbose != b->verbose || a->loss != b->loss ||
		a->calibration != b->calibration || a->calibration_folds != b->calibration_folds)
		OptionsChangedError();
}

/*
 * Check the shape of a features array and establish or compare d.
 */
static int
CheckFeatureShape(TrainState *state, ArrayType *arr)
{
	int			d;

	if (ARR_NDIM(arr) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("training row has an empty features array")));
	if (ARR_NDIM(arr) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("training row features must be a one-dimensional array"),
				 errdetail("The array has %d dimensions.", ARR_NDIM(arr))));
	if (ARR_HASNULL(arr) && array_contains_nulls(arr))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("training row features must not contain NULL elements")));

	d = ARR_DIMS(arr)[0];
	if (d > L2_MAX_FEATURES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("training row has too many features"),
				 errdetail("The row has %d features; the limit is %d.", d, L2_MAX_FEATURES)));
	if (state->d == 0)
		state->d = d;
	else if (d != state->d)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("training row has %d features, expected %d", d, state->d),
				 errdetail("Every row of one training set must have the same number of "
						   "features.")));
	return d;
}

/*
 * Error unless w is a finite number >= 0.
 */
static void
CheckWeight(double w)
{
	if (!(w >= 0) || !isfinite(w))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("training row weight must be a finite number >= 0"),
				 errdetail("The weight is %s.",
						   isnan(w) ? "NaN" : isinf(w) ? (w > 0 ? "Infinity" : "-Infinity") :
						   psprintf("%g", w))));
}

/*
 * Shared transition function; kind tells which aggregate is running.
 * Arguments: state, features, label [, weight], [options].
 */
static Datum
TrainTransition(FunctionCallInfo fcinfo, L2ModelKind kind)
{
	MemoryContext aggctx,
				old;
	TrainState *state;
	int			nargs = PG_NARGS();
	int			optarg = nargs >= 4 ? nargs - 1 : -1;
	int			weightarg = nargs == 5 ? 3 : -1;
	Jsonb	   *options = NULL;
	ArrayType  *arr;
	double		weight = 1.0;
	TrainChunk *chunk;
	int			d;

	if (!AggCheckCallContext(fcinfo, &aggctx))
		elog(ERROR, "training transition function called in non-aggregate context");

	if (optarg > 0 && !PG_ARGISNULL(optarg))
		options = PG_GETARG_JSONB_P(optarg);

	/* first call of the group: parse the options once */
	if (PG_ARGISNULL(0))
	{
		old = MemoryContextSwitchTo(aggctx);
		state = NewState(kind);
		train_options_parse(&state->opt, kind, options);
		state->options_null = options == NULL;
		if (options)
		{
			state->raw_options = palloc(VARSIZE(options));
			memcpy(state->raw_options, options, VARSIZE(options));
		}
		MemoryContextSwitchTo(old);
	}
	else
	{
		state = (TrainState *) PG_GETARG_POINTER(0);
		CheckSameOptions(state, options);
	}

	/* rows with a NULL features, label or weight are skipped and counted */
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || (weightarg > 0 && PG_ARGISNULL(weightarg)))
	{
		state->skipped++;
		PG_RETURN_POINTER(state);
	}
	if (weightarg > 0)
	{
		weight = PG_GETARG_FLOAT8(weightarg);
		CheckWeight(weight);
	}

	arr = PG_GETARG_ARRAYTYPE_P(1);
	d = CheckFeatureShape(state, arr);

	/* room for one more row */
	chunk = state->tail;
	if (chunk == NULL || chunk->n == chunk->cap)
	{
		old = MemoryContextSwitchTo(aggctx);
		chunk = AddChunk(state, NextChunkRows(state));
		MemoryContextSwitchTo(old);
	}

	/* copy and validate in place; a weight-0 row is then dropped */
	l2_read_features(arr, d, chunk->x + chunk->n * d);
	if (weight == 0)
		PG_RETURN_POINTER(state);
	chunk->w[chunk->n] = weight;
	chunk->y[chunk->n] = PG_GETARG_BOOL(2) ? 1 : 0;
	state->positives += chunk->y[chunk->n];
	chunk->n++;
	state->nrows++;

	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(l2fuse_logistic_transfn);
Datum
l2fuse_logistic_transfn(PG_FUNCTION_ARGS)
{
	return TrainTransition(fcinfo, L2_KIND_LOGISTIC);
}

PG_FUNCTION_INFO_V1(l2fuse_svm_transfn);
Datum
l2fuse_svm_transfn(PG_FUNCTION_ARGS)
{
	return TrainTransition(fcinfo, L2_KIND_SVM);
}

/*
 * Establish the feature count of a combined state, or check that src's d
 * matches it.
 */
static void
CheckCombinedShape(TrainState *dst, int d)
{
	if (dst->d == 0)
		dst->d = d;
	else if (dst->d != d)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("training row has %d features, expected %d", d, dst->d),
				 errdetail("Every row of one training set must have the same number of "
						   "features.")));
}

/*
 * Append all rows of src to dst as one chunk (current memory context).
 */
static void
AppendRows(TrainState *dst, const TrainState *src)
{
	TrainChunk *c;
	int64		at = 0;
	int			d = src->d;

	if (src->nrows == 0)
		return;
	CheckCombinedShape(dst, d);

	c = AddChunk(dst, src->nrows);
	for (const TrainChunk *s = src->head; s; s = s->next)
	{
		memcpy(c->x + at * d, s->x, sizeof(double) * s->n * d);
		memcpy(c->w + at, s->w, sizeof(double) * s->n);
		memcpy(c->y + at, s->y, s->n);
		at += s->n;
	}
	c->n = at;
	dst->nrows += src->nrows;
	dst->positives += src->positives;
}

/*
 * Move the chunks of src, which live in dst's context, to the end of dst
 * without copying; src is left empty.
 */
static void
AdoptRows(TrainState *dst, TrainState *src)
{
	if (src->nrows == 0)
		return;
	CheckCombinedShape(dst, src->d);
	CheckTrainMemory(dst, src->bytes);

	if (dst->tail)
		dst->tail->next = src->head;
	else
		dst->head = src->head;
	dst->tail = src->tail;
	dst->bytes += src->bytes;
	dst->nrows += src->nrows;
	dst->positives += src->positives;
	src->head = src->tail = NULL;
	src->bytes = 0;
	src->nrows = src->positives = 0;
}

/*
 * Combine two partial states; either may be NULL (a worker without rows).
 */
PG_FUNCTION_INFO_V1(l2fuse_train_combinefn);
Datum
l2fuse_train_combinefn(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx,
				old;
	TrainState *s1 = PG_ARGISNULL(0) ? NULL : (TrainState *) PG_GETARG_POINTER(0);
	TrainState *s2 = PG_ARGISNULL(1) ? NULL : (TrainState *) PG_GETARG_POINTER(1);

	if (!AggCheckCallContext(fcinfo, &aggctx))
		elog(ERROR, "training combine function called in non-aggregate context");
	if (s2 == NULL)
	{
		if (s1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s1);
	}

	old = MemoryContextSwitchTo(aggctx);
	if (s1 == NULL)
	{
		s1 = NewState(s2->kind);
		s1->opt = s2->opt;
	}
	if (s1->kind != s2->kind)
		elog(ERROR, "cannot combine training states of different model kinds");
	CheckSameParsedOptions(&s1->opt, &s2->opt);
	s1->skipped += s2->skipped;
	if (s2->adoptable_in == aggctx)
		AdoptRows(s1, s2);
	else
		AppendRows(s1, s2);
	MemoryContextSwitchTo(old);

	PG_RETURN_POINTER(s1);
}

/*
 * Append n float8 values in little-endian order: a plain copy on
 * little-endian hosts, so that the partial state means the same on any node.
 */
static void
SendDoublesLE(StringInfo buf, const double *x, int64 n)
{
#ifdef WORDS_BIGENDIAN
	for (int64 i = 0; i < n; i++)
	{
		uint64		u;

		memcpy(&u, &x[i], sizeof(u));
		u = pg_bswap64(u);
		appendBinaryStringInfo(buf, (const char *) &u, sizeof(u));
	}
#else
	pq_sendbytes(buf, (const char *) x, sizeof(double) * n);
#endif
}

/*
 * Read n little-endian float8 values written by SendDoublesLE.
 */
static void
GetDoublesLE(StringInfo buf, double *x, int64 n)
{
	pq_copymsgbytes(buf, (char *) x, sizeof(double) * n);
#ifdef WORDS_BIGENDIAN
	for (int64 i = 0; i < n; i++)
	{
		uint64		u;

		memcpy(&u, &x[i], sizeof(u));
		u = pg_bswap64(u);
		memcpy(&x[i], &u, sizeof(u));
	}
#endif
}

/*
 * Serialize: header, options, then all features, weights and labels.  The
 * header goes in network order (pq_send*), the row arrays little-endian.
 */
PG_FUNCTION_INFO_V1(l2fuse_train_serialfn);
Datum
l2fuse_train_serialfn(PG_FUNCTION_ARGS)
{
	TrainState *state = (TrainState *) PG_GETARG_POINTER(0);
	const TrainOptions *o = &state->opt;
	StringInfoData buf;
	Size		total = 256 + RowBytes(state->d) * (Size) state->nrows;

	if (total > MaxAllocSize - VARHDRSZ)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("training state of %zu kB is too large to pass between parallel workers",
						total / 1024),
				 errhint("Disable parallel aggregation for this query, for example with "
						 "SET max_parallel_workers_per_gather = 0.")));

	pq_begintypsend(&buf);
	enlargeStringInfo(&buf, (int) total);
	pq_sendint32(&buf, TRAIN_STATE_MAGIC);
	pq_sendint32(&buf, TRAIN_STATE_VERSION);
	pq_sendint32(&buf, state->kind);
	pq_sendint32(&buf, state->d);
	pq_sendint64(&buf, state->nrows);
	pq_sendint64(&buf, state->positives);
	pq_sendint64(&buf, state->skipped);

	pq_sendfloat8(&buf, o->lambda);
	pq_sendbyte(&buf, o->fit_intercept);
	pq_sendbyte(&buf, o->standardize);
	pq_sendint32(&buf, o->class_weight_mode);
	pq_sendfloat8(&buf, o->class_weight_pos);
	pq_sendfloat8(&buf, o->class_weight_neg);
	pq_sendint32(&buf, o->max_iter);
	pq_sendfloat8(&buf, o->tol);
	pq_sendbyte(&buf, o->verbose);
	pq_sendint32(&buf, o->loss);
	pq_sendbyte(&buf, o->calibration);
	pq_sendint32(&buf, o->calibration_folds);

	for (TrainChunk *c = state->head; c; c = c->next)
		SendDoublesLE(&buf, c->x, c->n * state->d);
	for (TrainChunk *c = state->head; c; c = c->next)
		SendDoublesLE(&buf, c->w, c->n);
	for (TrainChunk *c = state->head; c; c = c->next)
		pq_sendbytes(&buf, (const char *) c->y, c->n);

	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/*
 * Error for a serialized state that fails validation.
 */
static void
BadState(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid l2fuse training state"),
			 errdetail("%s", detail)));
}

/*
 * A byte that must be 0 or 1.
 */
static bool
GetBool(StringInfo buf)
{
	int			b = pq_getmsgbyte(buf);

	if (b != 0 && b != 1)
		BadState("A boolean field is neither 0 nor 1.");
	return b == 1;
}

/*
 * Read and validate the options of a serialized state.
 */
static void
GetOptions(StringInfo buf, TrainOptions *o)
{
	o->lambda = pq_getmsgfloat8(buf);
	o->fit_intercept = GetBool(buf);
	o->standardize = GetBool(buf);
	o->class_weight_mode = pq_getmsgint(buf, 4);
	o->class_weight_pos = pq_getmsgfloat8(buf);
	o->class_weight_neg = pq_getmsgfloat8(buf);
	o->max_iter = pq_getmsgint(buf, 4);
	o->tol = pq_getmsgfloat8(buf);
	o->verbose = GetBool(buf);
	o->loss = pq_getmsgint(buf, 4);
	o->calibration = GetBool(buf);
	o->calibration_folds = pq_getmsgint(buf, 4);

	if (!(o->lambda > 0) || !isfinite(o->lambda) || !(o->tol > 0 && o->tol < 1) ||
		o->max_iter < 1 || o->class_weight_mode < L2_CLASS_WEIGHT_NONE ||
		o->class_weight_mode > L2_CLASS_WEIGHT_EXPLICIT ||
		!(o->class_weight_pos > 0) || !isfinite(o->class_weight_pos) ||
		!(o->class_weight_neg > 0) || !isfinite(o->class_weight_neg) ||
		o->loss < L2_LOSS_LOGISTIC || o->loss > L2_LOSS_SQUARED_HINGE ||
		o->calibration_folds < 2 || o->calibration_folds > L2_MAX_FOLDS)
		BadState("An option is out of range.");
}

/*
 * Deserialize and validate every field; trailing bytes are an error.
 */
PG_FUNCTION_INFO_V1(l2fuse_train_deserialfn);
Datum
l2fuse_train_deserialfn(PG_FUNCTION_ARGS)
{
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	TrainState *state;
	int			kind,
				d;
	int64		nrows;
	TrainChunk *c;
	MemoryContext aggctx = NULL,
				old;

	/*
	 * Build the state in the aggregate's context, where the combine
	 * function can take its rows over without a copy.
	 */
	if (!AggCheckCallContext(fcinfo, &aggctx))
		aggctx = CurrentMemoryContext;
	old = MemoryContextSwitchTo(aggctx);

	buf.data = VARDATA_ANY(b);
	buf.len = VARSIZE_ANY_EXHDR(b);
	buf.maxlen = buf.len;
	buf.cursor = 0;

	if (pq_getmsgint(&buf, 4) != TRAIN_STATE_MAGIC)
		BadState("The magic number does not match.");
	if (pq_getmsgint(&buf, 4) != TRAIN_STATE_VERSION)
		BadState("The format version is not supported.");
	kind = pq_getmsgint(&buf, 4);
	d = pq_getmsgint(&buf, 4);
	if (kind != L2_KIND_LOGISTIC && kind != L2_KIND_SVM)
		BadState("The model kind is unknown.");
	state = NewState(kind);
	nrows = pq_getmsgint64(&buf);
	state->positives = pq_getmsgint64(&buf);
	state->skipped = pq_getmsgint64(&buf);
	if (d < 0 || d > L2_MAX_FEATURES || nrows < 0 || (nrows > 0 && d == 0) ||
		state->positives < 0 || state->positives > nrows || state->skipped < 0)
		BadState("A count is out of range.");
	GetOptions(&buf, &state->opt);
	state->opt.kind = kind;
	state->d = d;

	/* the rows must fill the rest exactly */
	if (nrows > (int64) MaxAllocSize ||
		(Size) (buf.len - buf.cursor) != RowBytes(d) * (Size) nrows)
		BadState("The row data has the wrong length.");
	if (nrows > 0)
	{
		c = AddChunk(state, nrows);
		GetDoublesLE(&buf, c->x, nrows * d);
		GetDoublesLE(&buf, c->w, nrows);
		pq_copymsgbytes(&buf, (char *) c->y, nrows);
		c->n = nrows;
		state->nrows = nrows;
		for (int64 i = 0; i < nrows * d; i++)
			if (!isfinite(c->x[i]))
				BadState("A feature is not finite.");
		for (int64 i = 0; i < nrows; i++)
			if (!(c->w[i] > 0) || !isfinite(c->w[i]) || c->y[i] > 1)
				BadState("A weight or label is out of range.");
	}
	pq_getmsgend(&buf);
	state->adoptable_in = aggctx;
	MemoryContextSwitchTo(old);

	PG_RETURN_POINTER(state);
}

/*
 * Server hooks for the solver.
 */
static void *
SolverAlloc(size_t size, void *ctx)
{
	return l2fuse_alloc_huge((MemoryContext) ctx, size, MCXT_ALLOC_ZERO);
}

static void
SolverInterrupt(void *arg)
{
	CHECK_FOR_INTERRUPTS();
}

static void
SolverTrace(void *arg, int iter, double objective, double optimality)
{
	ereport(NOTICE,
			(errmsg("iteration %d: objective %.12g, optimality %.3g",
					iter, objective, optimality)));
}

static void
SolverWarn(void *arg, const char *message)
{
	ereport(WARNING, (errmsg("%s", message)));
}

/*
 * Error for training data of a single class.
 */
static void
OneClassError(const TrainState *state)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("training data contains only one class"),
			 state->nrows == 1 ?
			 errdetail("The only row used is labeled %s.",
					   state->positives > 0 ? "true" : "false") :
			 errdetail("All %lld rows used are labeled %s.", (long long) state->nrows,
					   state->positives > 0 ? "true" : "false"),
			 errhint("A classifier needs rows labeled true and rows labeled false.")));
}

/*
 * Error unless the solver's result is finite, as a model must be.
 */
static void
CheckFiniteFit(const L2Fit *fit, int32 d)
{
	bool		finite = isfinite(fit->intercept) && isfinite(fit->objective) &&
		isfinite(fit->optimality);

	for (int j = 0; j < d && finite; j++)
		finite = isfinite(fit->coef[j]);
	if (!finite)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("training did not produce a finite model"),
				 errdetail("The solver's coefficients, intercept or objective overflowed."),
				 errhint("Rescale the features or the row and class weights toward 1.")));
}

/*
 * Final function: solve and encode.  NULL when no row was used.
 */
PG_FUNCTION_INFO_V1(l2fuse_train_finalfn);
Datum
l2fuse_train_finalfn(PG_FUNCTION_ARGS)
{
	TrainState *state;
	const TrainOptions *o;
	MemoryContext tmp,
				old;
	L2Segment  *seg;
	L2Problem	prob = {0};
	L2Hooks		hooks = {0};
	L2Fit		fit;
	L2Model		model = {0};
	L2Status	st;
	bytea	   *result;
	int			nseg = 0;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	state = (TrainState *) PG_GETARG_POINTER(0);
	o = &state->opt;
	if (state->nrows == 0)
		PG_RETURN_NULL();
	if (state->positives == 0 || state->positives == state->nrows)
		OneClassError(state);

	tmp = AllocSetContextCreate(CurrentMemoryContext, "l2fuse training",
								ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(tmp);

	/* the problem reads the chunks in place */
	for (TrainChunk *c = state->head; c; c = c->next)
		nseg++;
	seg = palloc0(sizeof(L2Segment) * nseg);
	nseg = 0;
	for (TrainChunk *c = state->head; c; c = c->next, nseg++)
	{
		seg[nseg].x = c->x;
		seg[nseg].y = c->y;
		seg[nseg].w = c->w;
		seg[nseg].n = c->n;
	}
	prob.d = state->d;
	prob.nseg = nseg;
	prob.seg = seg;
	prob.loss = o->loss;
	prob.lambda = o->lambda;
	prob.fit_intercept = o->fit_intercept;
	prob.standardize = o->standardize;
	prob.class_weight_mode = o->class_weight_mode;
	prob.class_weight_pos = o->class_weight_pos;
	prob.class_weight_neg = o->class_weight_neg;
	prob.tol = o->tol;
	prob.max_iter = o->max_iter;
	prob.threads = l2fuse_solver_threads();

	hooks.alloc = SolverAlloc;
	hooks.alloc_ctx = tmp;
	hooks.interrupt = SolverInterrupt;
	hooks.pending = l2fuse_interrupt_pending;
	hooks.trace = o->verbose ? SolverTrace : NULL;
	hooks.warn = SolverWarn;

	st = l2_fit(&prob, &hooks, &fit);
	if (st == L2_ERR_ONE_CLASS)
		OneClassError(state);
	if (st == L2_ERR_RANGE)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("training row weights are too large"),
				 errdetail("Row weights times class weights sum to more than %g.",
						   L2_MAX_WEIGHT_TOTAL),
				 errhint("Only the ratio of the weights to lambda matters: divide the weights "
						 "and lambda by the same factor.")));
	if (st != L2_OK)
		elog(ERROR, "training failed with solver status %d", (int) st);
	CheckFiniteFit(&fit, state->d);

	model.kind = state->kind;
	model.nfeatures = state->d;
	model.intercept = fit.intercept;
	model.coef = fit.coef;
	model.lambda = o->lambda;
	model.loss = o->loss;
	model.fit_intercept = o->fit_intercept;
	model.standardized = o->standardize;
	model.means = fit.means;
	model.scales = fit.scales;
	model.class_weight_mode = o->class_weight_mode;
	model.class_weight_pos = fit.class_weight_pos;
	model.class_weight_neg = fit.class_weight_neg;
	model.tol = o->tol;
	model.max_iter = o->max_iter;
	model.info.rows_used = fit.rows_used;
	model.info.rows_skipped = state->skipped;
	model.info.positives = fit.positives;
	model.info.iterations = fit.iterations;
	model.info.objective = fit.objective;
	model.info.optimality = fit.optimality;
	model.info.converged = fit.converged;

	/* Platt calibration on out-of-fold decision values, without tracing */
	if (state->kind == L2_KIND_SVM && o->calibration)
	{
		int			used;

		hooks.trace = NULL;
		l2_calibrate(&prob, &hooks, o->calibration_folds, &fit, &model.platt_a, &used);
		model.calibrated = true;
		model.platt_b = 0.0;
		model.calib_folds = used;
	}

	MemoryContextSwitchTo(old);
	result = l2_model_to_bytea(&model);
	MemoryContextDelete(tmp);

	PG_RETURN_BYTEA_P(result);
}

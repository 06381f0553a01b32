/*
 * eval_state.c
 *		The chunked score lists behind the ranking metrics, and their
 *		serialized form for parallel aggregation.
 */
#include "postgres.h"

#include <math.h>

#include "libpq/pqformat.h"
#include "utils/memutils.h"

#include "eval_state.h"
#include "l2fuse.h"
#include "metrics.h"

/* Scores per chunk: 16 kB of doubles, so a chunk is one allocation. */
#define SCORE_CHUNK_VALUES 2048

struct ScoreChunk
{
	ScoreChunk *next;
	int32		used;
	double		v[SCORE_CHUNK_VALUES];
};

/* Serialized state: magic, version, then the header fields and scores. */
#define SCORE_STATE_MAGIC 0x4C324556	/* "L2EV" */
#define SCORE_STATE_VERSION 1
#define SCORE_STATE_HEADER (4 + 4 + 4 + 8 + 8 + 8)

/*
 * Create an empty state in mcxt.
 */
ScoreState *
ScoreStateCreate(MemoryContext mcxt, ScoreKind kind)
{
	ScoreState *state = MemoryContextAllocZero(mcxt, sizeof(ScoreState));

	state->mcxt = mcxt;
	state->kind = kind;
	return state;
}

/*
 * The state passed to a transition function as argument argno, created in
 * the aggregate's memory context on the first row.
 */
ScoreState *
ScoreStateFromAgg(FunctionCallInfo fcinfo, int argno, ScoreKind kind,
				  const char *caller)
{
	MemoryContext aggcontext;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "%s called in non-aggregate context", caller);

	if (!PG_ARGISNULL(argno))
		return (ScoreState *) PG_GETARG_POINTER(argno);

	return ScoreStateCreate(aggcontext, kind);
}

/*
 * Error out unless the scores of state fit in l2fuse.max_train_memory after
 * adding extra bytes.
 */
static void
CheckScoreMemory(const ScoreState *state, int64 extra)
{
	int64		limit = (int64) l2fuse_max_train_memory_kb * 1024;

	if (state->bytes + extra <= limit)
		return;

	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("scores exceed l2fuse.max_train_memory (%d kB)",
					l2fuse_max_train_memory_kb),
			 errdetail("Exact ranking metrics keep every score, 8 bytes a row; "
					   INT64_FORMAT " scores are stored so far.",
					   state->pos.n + state->neg.n),
			 errhint("Raise l2fuse.max_train_memory, or evaluate a sample of the rows.")));
}

/*
 * Error out unless a score is finite; what names it in the message.
 */
void
CheckScoreFinite(double score, const char *what)
{
	if (isnan(score))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be NaN", what)));
	if (isinf(score))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be finite", what),
				 errdetail("Got %s.", score > 0 ? "Infinity" : "-Infinity")));
}

/* Append one score to a list, starting a new chunk when the last is full. */
static void
ScoreListAppend(ScoreState *state, ScoreList *list, double score)
{
	ScoreChunk *chunk = list->tail;

	if (chunk == NULL || chunk->used == SCORE_CHUNK_VALUES)
	{
		CheckScoreMemory(state, sizeof(ScoreChunk));
		chunk = MemoryContextAlloc(state->mcxt, sizeof(ScoreChunk));
		chunk->next = NULL;
		chunk->used = 0;
		if (list->tail)
			list->tail->next = chunk;
		else
			list->head = chunk;
		list->tail = chunk;
		state->bytes += sizeof(ScoreChunk);
	}

	chunk->v[chunk->used++] = score;
	list->n++;
}

/*
 * Add one row's score to the list of its class.
 */
void
ScoreStateAdd(ScoreState *state, double score, bool label)
{
	ScoreListAppend(state, label ? &state->pos : &state->neg, score);
}

/*
 * Merge src into dst (the combine step of parallel aggregation): dst gets
 * a copy of every score of src, and src's skipped count.  A state that
 * holds no scores yet takes the kind of the other.
 */
void
ScoreStateMerge(ScoreState *dst, const ScoreState *src)
{
	const ScoreChunk *c;
	int32		k;

	dst->skipped += src->skipped;
	if (src->pos.n + src->neg.n == 0)
		return;

	if (dst->kind != src->kind)
	{
		if (dst->pos.n + dst->neg.n > 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("cannot evaluate probabilities and decision values together"),
					 errdetail("Some rows were scored by a model with probability "
							   "calibration and others by one without.")));
		dst->kind = src->kind;
	}

	for (c = src->pos.head; c != NULL; c = c->next)
		for (k = 0; k < c->used; k++)
			ScoreListAppend(dst, &dst->pos, c->v[k]);
	for (c = src->neg.head; c != NULL; c = c->next)
		for (k = 0; k < c->used; k++)
			ScoreListAppend(dst, &dst->neg, c->v[k]);
}

/* A sorted copy of a list's scores, in the current memory context. */
static double *
ScoreListSorted(const ScoreList *list)
{
	double	   *v;
	const ScoreChunk *c;
	int64		k = 0;

	v = palloc_extended(Max(list->n, 1) * sizeof(double), MCXT_ALLOC_HUGE);
	for (c = list->head; c != NULL; c = c->next)
	{
		memcpy(v + k, c->v, c->used * sizeof(double));
		k += c->used;
	}
	Assert(k == list->n);

	l2_sort_scores(v, (size_t) list->n);
	return v;
}

/*
 * Sorted copies of both lists, in the current memory context; the state
 * is left unchanged.
 */
void
ScoreStateSort(const ScoreState *state, SortedScores *out)
{
	out->pos = ScoreListSorted(&state->pos);
	out->npos = (size_t) state->pos.n;
	out->neg = ScoreListSorted(&state->neg);
	out->nneg = (size_t) state->neg.n;
}

/*
 * Free the sorted copies.
 */
void
SortedScoresFree(SortedScores *s)
{
	pfree(s->pos);
	pfree(s->neg);
}

/* Append a list's scores to a message buffer. */
static void
ScoreListSend(StringInfo buf, const ScoreList *list)
{
	const ScoreChunk *c;
	int32		k;

	for (c = list->head; c != NULL; c = c->next)
		for (k = 0; k < c->used; k++)
			pq_sendfloat8(buf, c->v[k]);
}

/*
 * Serialize a state: magic, version, kind, skipped, the counts of positive
 * and negative scores, then the positive scores and the negative scores.
 */
bytea *
ScoreStateSerialize(const ScoreState *state)
{
	StringInfoData buf;
	int64		nscores = state->pos.n + state->neg.n;

	/* a bytea holds at most 1 GB */
	if (nscores > (int64) ((MaxAllocSize - VARHDRSZ - SCORE_STATE_HEADER) / 8))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many scores to pass between parallel workers"),
				 errdetail("A parallel worker holds " INT64_FORMAT " scores.", nscores),
				 errhint("Disable parallel aggregation with "
						 "SET max_parallel_workers_per_gather = 0.")));

	pq_begintypsend(&buf);
	enlargeStringInfo(&buf, SCORE_STATE_HEADER + (int) (nscores * 8));
	pq_sendint32(&buf, SCORE_STATE_MAGIC);
	pq_sendint32(&buf, SCORE_STATE_VERSION);
	pq_sendint32(&buf, (int32) state->kind);
	pq_sendint64(&buf, state->skipped);
	pq_sendint64(&buf, state->pos.n);
	pq_sendint64(&buf, state->neg.n);
	ScoreListSend(&buf, &state->pos);
	ScoreListSend(&buf, &state->neg);

	return pq_endtypsend(&buf);
}

/* Report a malformed serialized state. */
static void
BadScoreState(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid serialized score state"),
			 errdetail("%s", detail)));
}

/* Read n scores of one class from a message into state, checking each. */
static void
ScoreListReceive(StringInfo buf, ScoreState *state, int64 n, bool label)
{
	int64		k;

	for (k = 0; k < n; k++)
	{
		double		v = pq_getmsgfloat8(buf);

		if (!isfinite(v))
			BadScoreState("A score is not finite.");
		if (state->kind == SCORES_PROBABILITY && (v < 0.0 || v > 1.0))
			BadScoreState("A probability is outside [0, 1].");
		ScoreStateAdd(state, v, label);
	}
}

/*
 * Rebuild a state in mcxt from its serialized form, checking the magic,
 * version, kind, counts against the length, every score, and that no
 * bytes are left over.
 */
ScoreState *
ScoreStateDeserialize(bytea *b, MemoryContext mcxt)
{
	StringInfoData buf;
	ScoreState *state;
	int32		kind;
	int64		skipped,
				npos,
				nneg,
				room;

	/* the header */
	buf.data = VARDATA_ANY(b);
	buf.len = VARSIZE_ANY_EXHDR(b);
	buf.maxlen = buf.len;
	buf.cursor = 0;
	if (buf.len < SCORE_STATE_HEADER)
		BadScoreState("The state is shorter than its header.");
	if ((uint32) pq_getmsgint(&buf, 4) != SCORE_STATE_MAGIC)
		BadScoreState("The magic number does not match.");
	if (pq_getmsgint(&buf, 4) != SCORE_STATE_VERSION)
		BadScoreState("The version is not supported.");
	kind = pq_getmsgint(&buf, 4);
	if (kind != SCORES_RANK && kind != SCORES_PROBABILITY && kind != SCORES_DECISION)
		BadScoreState("The score kind is unknown.");
	skipped = pq_getmsgint64(&buf);
	npos = pq_getmsgint64(&buf);
	nneg = pq_getmsgint64(&buf);

	/* the counts must match the bytes that follow exactly */
	room = (buf.len - buf.cursor) / 8;
	if (skipped < 0 || npos < 0 || nneg < 0 || npos > room || nneg > room - npos)
		BadScoreState("The counts do not match the length.");
	if ((buf.len - buf.cursor) != (npos + nneg) * 8)
		BadScoreState("The state has trailing bytes.");

	/* the scores */
	state = ScoreStateCreate(mcxt, (ScoreKind) kind);
	state->skipped = skipped;
	ScoreListReceive(&buf, state, npos, true);
	ScoreListReceive(&buf, state, nneg, false);
	pq_getmsgend(&buf);

	return state;
}

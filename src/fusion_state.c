/*
 * fusion_state.c
 *		The chunked held-out scores of fit_ensemble, their merge and their
 *		serialized form for parallel aggregation.
 */
#include "postgres.h"

#include <math.h>

#include "libpq/pqformat.h"
#include "utils/memutils.h"

#include "fusion_state.h"
#include "l2fuse.h"

/* Bytes of row data per chunk, so a chunk is one allocation of ~64 kB. */
#define FUSE_CHUNK_BYTES 65536

/* Serialized state: magic, version, then the fields below. */
#define FUSE_STATE_MAGIC 0x4C324645 /* "L2FE" */
#define FUSE_STATE_VERSION 1

/*
 * Create an empty state in mcxt.
 */
FuseState *
FuseStateCreate(MemoryContext mcxt)
{
	FuseState  *state = MemoryContextAllocZero(mcxt, sizeof(FuseState));

	state->mcxt = mcxt;
	return state;
}

/*
 * Error out unless the state fits in l2fuse.max_train_memory after adding
 * extra bytes.
 */
static void
CheckFuseMemory(const FuseState *state, int64 extra)
{
	int64		limit = (int64) l2fuse_max_train_memory_kb * 1024;

	if (state->bytes + extra <= limit)
		return;

	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("held-out scores exceed l2fuse.max_train_memory (%d kB)",
					l2fuse_max_train_memory_kb),
			 errdetail("fit_ensemble keeps %d bytes per row for %d members; "
					   INT64_FORMAT " rows are stored so far.",
					   1 + 16 * state->nmembers, state->nmembers, state->rows),
			 errhint("Raise l2fuse.max_train_memory, or fit on a sample of the rows.")));
}

/*
 * Take the models, options and shape of the first used row: copies of
 * every byte go into the state's context.
 */
void
FuseStateAdopt(FuseState *state, int32 nmembers, int32 nfeatures,
			   char *const *mbytes, const int32 *mlen,
			   const char *obytes, int32 olen, const FuseOptions *opt)
{
	int32		k;
	int64		total = olen;

	for (k = 0; k < nmembers; k++)
		total += mlen[k];
	CheckFuseMemory(state, total);
	state->bytes += total;

	state->nmembers = nmembers;
	state->nfeatures = nfeatures;
	state->mbytes = MemoryContextAllocZero(state->mcxt, sizeof(char *) * nmembers);
	state->mlen = MemoryContextAllocZero(state->mcxt, sizeof(int32) * nmembers);
	for (k = 0; k < nmembers; k++)
	{
		state->mbytes[k] = MemoryContextAlloc(state->mcxt, Max(mlen[k], 1));
		memcpy(state->mbytes[k], mbytes[k], mlen[k]);
		state->mlen[k] = mlen[k];
	}
	state->obytes = NULL;
	state->olen = olen;
	if (obytes != NULL)
	{
		state->obytes = MemoryContextAlloc(state->mcxt, Max(olen, 1));
		memcpy(state->obytes, obytes, olen);
	}
	state->opt = *opt;
}

/*
 * A new chunk for the state's member count, linked at the tail; no larger
 * than l2fuse.max_train_memory still has room for (one row at least).
 */
static FuseChunk *
FuseChunkAppend(FuseState *state)
{
	int32		k = state->nmembers;
	int64		room = ((int64) l2fuse_max_train_memory_kb * 1024 - state->bytes -
						2 * MAXALIGN(sizeof(FuseChunk))) / (1 + 16 * k);
	int32		cap = (int32) Max(1, Min(FUSE_CHUNK_BYTES / (1 + 16 * k), room));
	Size		size = MAXALIGN(sizeof(FuseChunk)) + 2 * sizeof(double) * (Size) cap * k
		+ MAXALIGN(cap);
	char	   *mem;
	FuseChunk  *chunk;

	CheckFuseMemory(state, size);
	mem = MemoryContextAlloc(state->mcxt, size);
	chunk = (FuseChunk *) mem;
	chunk->next = NULL;
	chunk->used = 0;
	chunk->cap = cap;
	chunk->d = (double *) (mem + MAXALIGN(sizeof(FuseChunk)));
	chunk->p = chunk->d + (Size) cap * k;
	chunk->y = (uint8 *) (chunk->p + (Size) cap * k);

	if (state->tail)
		state->tail->next = chunk;
	else
		state->head = chunk;
	state->tail = chunk;
	state->bytes += size;
	return chunk;
}

/*
 * Store one row: its label and the members' decisions d and probabilities
 * p (k values each).
 */
void
FuseStateAddRow(FuseState *state, bool label, const double *d, const double *p)
{
	FuseChunk  *chunk = state->tail;
	int32		k = state->nmembers;

	if (chunk == NULL || chunk->used == chunk->cap)
		chunk = FuseChunkAppend(state);

	chunk->y[chunk->used] = label ? 1 : 0;
	memcpy(chunk->d + (Size) chunk->used * k, d, sizeof(double) * k);
	memcpy(chunk->p + (Size) chunk->used * k, p, sizeof(double) * k);
	chunk->used++;
	state->rows++;
}

/* ERROR unless two states were fed the same models and options. */
static void
CheckSameInputs(const FuseState *a, const FuseState *b)
{
	bool		same = a->nmembers == b->nmembers && a->olen == b->olen &&
		(a->olen == 0 || memcmp(a->obytes, b->obytes, a->olen) == 0);
	int32		k;

	for (k = 0; same && k < a->nmembers; k++)
		same = a->mlen[k] == b->mlen[k] &&
			memcmp(a->mbytes[k], b->mbytes[k], a->mlen[k]) == 0;
	if (!same)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("fit_ensemble got different models or options on different rows"),
				 errdetail("Every row must give the same models array and options.")));
}

/*
 * Merge src into dst (the combine step of parallel aggregation): dst gets
 * copies of src's rows and adds its skipped count.  An empty side (no used
 * row yet) takes the other's models and options.
 */
void
FuseStateMerge(FuseState *dst, const FuseState *src)
{
	const FuseChunk *c;
	int32		i;

	dst->skipped += src->skipped;
	if (src->nmembers == 0)
		return;
	if (dst->nmembers == 0)
		FuseStateAdopt(dst, src->nmembers, src->nfeatures, src->mbytes, src->mlen,
					   src->obytes, src->olen, &src->opt);
	else
		CheckSameInputs(dst, src);

	for (c = src->head; c != NULL; c = c->next)
		for (i = 0; i < c->used; i++)
			FuseStateAddRow(dst, c->y[i] != 0, c->d + (Size) i * src->nmembers,
							c->p + (Size) i * src->nmembers);
}

/*
 * Serialize a state: magic, version, member count, feature count, rows,
 * skipped; the parsed options; each member's length and bytes; the
 * options' length and bytes; then per row the label and k decisions and k
 * probabilities.
 */
bytea *
FuseStateSerialize(const FuseState *state)
{
	StringInfoData buf;
	const FuseChunk *c;
	int32		k = state->nmembers;
	int32		i,
				j;
	int64		size = state->bytes + 256 + 4 * (int64) k;

	if (size > (int64) (MaxAllocSize - VARHDRSZ))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many held-out rows to pass between parallel workers"),
				 errdetail("A parallel worker holds " INT64_FORMAT " rows.", state->rows),
				 errhint("Disable parallel aggregation with "
						 "SET max_parallel_workers_per_gather = 0.")));

	pq_begintypsend(&buf);
	enlargeStringInfo(&buf, (int) size);
	pq_sendint32(&buf, FUSE_STATE_MAGIC);
	pq_sendint32(&buf, FUSE_STATE_VERSION);
	pq_sendint32(&buf, k);
	pq_sendint32(&buf, state->nfeatures);
	pq_sendint64(&buf, state->rows);
	pq_sendint64(&buf, state->skipped);
	if (k == 0)
		return pq_endtypsend(&buf);

	pq_sendint32(&buf, (int32) state->opt.method);
	pq_sendfloat8(&buf, state->opt.lambda);
	pq_sendint32(&buf, (int32) state->opt.voting);
	pq_sendfloat8(&buf, state->opt.tol);
	pq_sendint32(&buf, state->opt.max_iter);

	for (j = 0; j < k; j++)
	{
		pq_sendint32(&buf, state->mlen[j]);
		pq_sendbytes(&buf, state->mbytes[j], state->mlen[j]);
	}
	pq_sendint32(&buf, state->olen);
	if (state->olen > 0)
		pq_sendbytes(&buf, state->obytes, state->olen);

	for (c = state->head; c != NULL; c = c->next)
		for (i = 0; i < c->used; i++)
		{
			pq_sendbyte(&buf, c->y[i]);
			for (j = 0; j < k; j++)
				pq_sendfloat8(&buf, c->d[(Size) i * k + j]);
			for (j = 0; j < k; j++)
				pq_sendfloat8(&buf, c->p[(Size) i * k + j]);
		}

	return pq_endtypsend(&buf);
}

/* Report a malformed serialized state. */
static void
BadFuseState(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid serialized fit_ensemble state"),
			 errdetail("%s", detail)));
}

/* A length field followed by that many bytes, checked against the rest. */
static const char *
GetLengthPrefixed(StringInfo buf, int32 *len)
{
	*len = pq_getmsgint(buf, 4);
	if (*len < 0 || *len > buf->len - buf->cursor)
		BadFuseState("A length does not match the bytes that follow.");
	return pq_getmsgbytes(buf, *len);
}

/* Read and check the parsed options. */
static void
GetOptions(StringInfo buf, FuseOptions *opt)
{
	opt->method = (L2FitMethod) pq_getmsgint(buf, 4);
	opt->lambda = pq_getmsgfloat8(buf);
	opt->voting = (L2Voting) pq_getmsgint(buf, 4);
	opt->tol = pq_getmsgfloat8(buf);
	opt->max_iter = pq_getmsgint(buf, 4);
	if (opt->method < L2_FIT_LOG_LOSS || opt->method > L2_FIT_STACKING)
		BadFuseState("The fit method is unknown.");
	if (!(opt->lambda > 0) || !isfinite(opt->lambda) || !(opt->tol > 0) || !(opt->tol < 1))
		BadFuseState("An option is out of range.");
	if (opt->voting != 0 && opt->voting != L2_VOTING_SOFT && opt->voting != L2_VOTING_HARD)
		BadFuseState("The voting method is unknown.");
	if (opt->max_iter < 1)
		BadFuseState("An option is out of range.");
}

/* Read nrows rows of k members into state, checking every value. */
static void
GetRows(StringInfo buf, FuseState *state, int64 nrows)
{
	int32		k = state->nmembers;
	double	   *d = palloc(sizeof(double) * Max(k, 1));
	double	   *p = palloc(sizeof(double) * Max(k, 1));
	int64		i;
	int32		j;

	for (i = 0; i < nrows; i++)
	{
		int			y = pq_getmsgbyte(buf);

		if (y != 0 && y != 1)
			BadFuseState("A label is not 0 or 1.");
		for (j = 0; j < k; j++)
			if (isnan(d[j] = pq_getmsgfloat8(buf)) || isinf(d[j]))
				BadFuseState("A decision value is not finite.");
		for (j = 0; j < k; j++)
			if (!isnan(p[j] = pq_getmsgfloat8(buf)) && !(p[j] >= 0 && p[j] <= 1))
				BadFuseState("A probability is outside [0, 1].");
		FuseStateAddRow(state, y == 1, d, p);
	}
	pfree(d);
	pfree(p);
}

/*
 * Rebuild a state in mcxt from its serialized form, checking the magic,
 * version, counts against the length, every value, and that no bytes are
 * left over.  The member bytes are decoded (and so validated) by the final
 * function.
 */
FuseState *
FuseStateDeserialize(bytea *b, MemoryContext mcxt)
{
	StringInfoData buf;
	FuseState  *state;
	int32		k,
				nfeatures,
				olen,
				j;
	int64		rows,
				skipped;
	FuseOptions opt;
	char	  **mbytes;
	int32	   *mlen;
	const char *obytes;

	buf.data = VARDATA_ANY(b);
	buf.len = VARSIZE_ANY_EXHDR(b);
	buf.maxlen = buf.len;
	buf.cursor = 0;
	if (buf.len < 32)
		BadFuseState("The state is shorter than its header.");
	if ((uint32) pq_getmsgint(&buf, 4) != FUSE_STATE_MAGIC)
		BadFuseState("The magic number does not match.");
	if (pq_getmsgint(&buf, 4) != FUSE_STATE_VERSION)
		BadFuseState("The version is not supported.");
	k = pq_getmsgint(&buf, 4);
	nfeatures = pq_getmsgint(&buf, 4);
	rows = pq_getmsgint64(&buf);
	skipped = pq_getmsgint64(&buf);
	if (k < 0 || k > L2_ENSEMBLE_MAX_MEMBERS || nfeatures < 0 ||
		nfeatures > L2_MODEL_MAX_FEATURES || rows < 0 || skipped < 0 ||
		(k == 0 && (rows > 0 || nfeatures > 0)))
		BadFuseState("A count is out of range.");

	state = FuseStateCreate(mcxt);
	state->skipped = skipped;
	if (k == 0)
	{
		if (buf.cursor != buf.len)
			BadFuseState("The state has trailing bytes.");
		return state;
	}

	GetOptions(&buf, &opt);
	mbytes = palloc(sizeof(char *) * k);
	mlen = palloc(sizeof(int32) * k);
	for (j = 0; j < k; j++)
		mbytes[j] = (char *) GetLengthPrefixed(&buf, &mlen[j]);
	obytes = GetLengthPrefixed(&buf, &olen);

	/* the rows must fill the rest exactly */
	if ((buf.len - buf.cursor) / (1 + 16 * (int64) k) != rows ||
		(buf.len - buf.cursor) % (1 + 16 * (int64) k) != 0)
		BadFuseState("The row count does not match the length.");

	FuseStateAdopt(state, k, nfeatures, mbytes, mlen, olen > 0 ? obytes : NULL, olen, &opt);
	GetRows(&buf, state, rows);
	pq_getmsgend(&buf);
	return state;
}

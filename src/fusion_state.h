/*
 * fusion_state.h
 *		The aggregate state of l2fuse.fit_ensemble: the members' scores on
 *		every held-out row.
 *
 * Each used row keeps its label and, per member, the decision value and the
 * probability (NaN for a member without one): 16 k + 1 bytes for k members,
 * in chunks of many rows (one allocation per chunk, never per row), bounded
 * by l2fuse.max_train_memory.  The state also keeps the bytes of the first
 * row's models and options, which every later row must repeat exactly; the
 * final function decodes the members from them.
 */
#ifndef L2FUSE_FUSION_STATE_H
#define L2FUSE_FUSION_STATE_H

#include "postgres.h"

#include "fmgr.h"

#include "model.h"

/* Options of fit_ensemble, parsed from jsonb. */
typedef struct FuseOptions
{
	L2FitMethod method;
	double		lambda;			/* stacking: penalty of the meta-model, > 0 */
	L2Voting	voting;			/* accuracy, auc: soft or hard; 0 = automatic */
	double		tol;			/* stacking, log_loss: stopping tolerance */
	int32		max_iter;		/* stacking, log_loss: iteration cap */
} FuseOptions;

/* A block of consecutive rows: labels, decisions and probabilities. */
typedef struct FuseChunk
{
	struct FuseChunk *next;
	int32		used;
	int32		cap;
	uint8	   *y;				/* cap labels, 1 = positive */
	double	   *d;				/* cap x k decisions, row-major */
	double	   *p;				/* cap x k probabilities, NaN when none */
} FuseChunk;

typedef struct FuseState
{
	MemoryContext mcxt;

	/* the models and options of the first used row; nmembers 0 until then */
	int32		nmembers;
	int32		nfeatures;
	char	  **mbytes;			/* nmembers encoded models */
	int32	   *mlen;
	char	   *obytes;			/* the options jsonb, NULL without options */
	int32		olen;
	FuseOptions opt;

	/* decoded members, made on demand (not serialized) */
	L2Model   **members;
	double	   *x;				/* nfeatures scratch values */

	int64		rows;
	int64		skipped;		/* rows with a NULL features or label */
	int64		bytes;			/* bytes held by chunks */
	FuseChunk  *head;
	FuseChunk  *tail;
} FuseState;

extern FuseState *FuseStateCreate(MemoryContext mcxt);
extern void FuseStateAdopt(FuseState *state, int32 nmembers, int32 nfeatures,
						   char *const *mbytes, const int32 *mlen,
						   const char *obytes, int32 olen, const FuseOptions *opt);
extern void FuseStateAddRow(FuseState *state, bool label, const double *d, const double *p);
extern void FuseStateMerge(FuseState *dst, const FuseState *src);
extern bytea *FuseStateSerialize(const FuseState *state);
extern FuseState *FuseStateDeserialize(bytea *b, MemoryContext mcxt);

#endif							/* L2FUSE_FUSION_STATE_H */

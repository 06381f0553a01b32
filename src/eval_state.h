/*
 * eval_state.h
 *		The aggregate state of the ranking metrics: every score, kept by class.
 *
 * Exact ROC AUC, ROC curves and average precision need all scores at once,
 * so the transition functions append each (score, label) to one of two
 * chunked lists of doubles (8 bytes a row, no allocation per row).  The
 * final functions copy them into two contiguous arrays and sort the copies,
 * leaving the state as it was, so the aggregates also work as window
 * functions.  The lists' size is bounded by l2fuse.max_train_memory; a
 * final function needs as much again while it sorts.
 */
#ifndef L2FUSE_EVAL_STATE_H
#define L2FUSE_EVAL_STATE_H

#include "postgres.h"

#include "fmgr.h"

/* What the stored scores are; states of different kinds do not combine. */
typedef enum ScoreKind
{
	SCORES_RANK = 1,			/* any finite scores: only their order counts */
	SCORES_PROBABILITY = 2,		/* probabilities in [0, 1] */
	SCORES_DECISION = 3			/* decision values of an uncalibrated model */
} ScoreKind;

/* A fixed-size block of scores; chunks are chained per class. */
typedef struct ScoreChunk ScoreChunk;

/* The scores of one class. */
typedef struct ScoreList
{
	ScoreChunk *head;
	ScoreChunk *tail;
	int64		n;
} ScoreList;

typedef struct ScoreState
{
	MemoryContext mcxt;			/* where chunks and sorted arrays live */
	ScoreKind	kind;
	int64		skipped;		/* rows with a NULL input */
	int64		bytes;			/* bytes held by chunks */
	ScoreList	pos;
	ScoreList	neg;
} ScoreState;

/* Sorted copies of a state's scores, for a final function. */
typedef struct SortedScores
{
	double	   *pos;			/* ascending */
	size_t		npos;
	double	   *neg;			/* ascending */
	size_t		nneg;
} SortedScores;

extern ScoreState *ScoreStateCreate(MemoryContext mcxt, ScoreKind kind);
extern ScoreState *ScoreStateFromAgg(FunctionCallInfo fcinfo, int argno,
									 ScoreKind kind, const char *caller);
extern void ScoreStateAdd(ScoreState *state, double score, bool label);
extern void ScoreStateMerge(ScoreState *dst, const ScoreState *src);
extern void ScoreStateSort(const ScoreState *state, SortedScores *out);
extern void SortedScoresFree(SortedScores *s);
extern bytea *ScoreStateSerialize(const ScoreState *state);
extern ScoreState *ScoreStateDeserialize(bytea *b, MemoryContext mcxt);
extern void CheckScoreFinite(double score, const char *what);

#endif							/* L2FUSE_EVAL_STATE_H */

/*
 * ensemble.c
 *		l2fuse.ensemble: a voting ensemble built by hand from existing models.
 *
 * The ensemble is itself a model bytea (kind ensemble) holding complete
 * copies of its members, so it scores, nests and travels like any model.
 * Voting semantics are in src/MODEL_FORMAT.md.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "model_glue.h"

/* ERROR unless arr is one-dimensional (or empty); what names it. */
static int
CheckVector(ArrayType *arr, const char *what)
{
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a one-dimensional array", what)));
	return ARR_NDIM(arr) == 0 ? 0 : ARR_DIMS(arr)[0];
}

/* Decode the members from a bytea[]; ERROR on NULLs and feature mismatches. */
static L2Model **
DecodeMembers(ArrayType *arr, int *nmembers)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			k;
	L2Model   **members;

	CheckVector(arr, "models");
	deconstruct_array(arr, BYTEAOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	if (n < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("an ensemble needs at least one member")));
	if (n > L2_ENSEMBLE_MAX_MEMBERS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("an ensemble has at most %d members, got %d",
						L2_ENSEMBLE_MAX_MEMBERS, n)));

	members = palloc(sizeof(L2Model *) * n);
	for (k = 0; k < n; k++)
	{
		if (nulls[k])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("ensemble member %d is NULL", k + 1)));
		members[k] = l2_model_from_bytea(DatumGetByteaPP(elems[k]));
		if (members[k]->nfeatures != members[0]->nfeatures)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("ensemble member %d has %d features, member 1 has %d",
							k + 1, members[k]->nfeatures, members[0]->nfeatures)));
	}
	*nmembers = n;
	return members;
}

/* The weights as doubles, one per member, finite, >= 0, positive sum. */
static double *
ReadWeights(ArrayType *arr, int nmembers)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			k;
	double	   *w;
	double		sum = 0;

	CheckVector(arr, "weights");
	deconstruct_array(arr, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &elems, &nulls, &n);
	if (n != nmembers)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("got %d weights for %d ensemble members", n, nmembers),
				 errhint("Give one weight per member, or NULL for equal weights.")));

	w = palloc(sizeof(double) * n);
	for (k = 0; k < n; k++)
	{
		if (nulls[k])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("ensemble weight %d is NULL", k + 1)));
		w[k] = DatumGetFloat8(elems[k]);
		if (!isfinite(w[k]) || w[k] < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("ensemble weight %d must be finite and >= 0, got %g", k + 1, w[k])));
		sum += w[k];
	}
	if (!(sum > 0) || !isfinite(sum))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("ensemble weights must have a finite positive sum")));
	return w;
}

/* The voting method named by text: soft or hard. */
static L2Voting
ReadVoting(text *t)
{
	char	   *name = text_to_cstring(t);
	L2Voting	v;

	if (!l2_voting_parse(name, &v))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown voting method \"%s\"", name),
				 errhint("Valid voting methods are \"soft\" and \"hard\".")));
	if (v == L2_VOTING_STACKING)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("voting method \"stacking\" needs a fitted meta-model"),
				 errhint("Fit a stacking ensemble with l2fuse.fit_ensemble, or give the "
						 "meta-model to l2fuse.model_from_json.")));
	return v;
}

/*
 * ensemble(models bytea[], weights float8[] DEFAULT NULL, voting text DEFAULT
 * 'soft'): a soft or hard voting ensemble of the models.
 */
PG_FUNCTION_INFO_V1(l2fuse_ensemble);
Datum
l2fuse_ensemble(PG_FUNCTION_ARGS)
{
	L2Model   **members;
	double	   *weights = NULL;
	L2Voting	voting;
	int			n;
	int			k;
	L2Model    *m;
	char		err[512];

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("models must not be NULL")));
	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("voting must not be NULL"),
				 errhint("Valid voting methods are \"soft\" and \"hard\".")));

	voting = ReadVoting(PG_GETARG_TEXT_PP(2));
	members = DecodeMembers(PG_GETARG_ARRAYTYPE_P(0), &n);
	if (!PG_ARGISNULL(1))
		weights = ReadWeights(PG_GETARG_ARRAYTYPE_P(1), n);

	/* The new ensemble adds one level of nesting. */
	for (k = 0; k < n; k++)
		if (l2_model_nesting(members[k]) >= L2_ENSEMBLE_MAX_DEPTH)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("ensembles nest at most %d levels deep", L2_ENSEMBLE_MAX_DEPTH),
					 errdetail("Member %d already nests %d levels.", k + 1,
							   l2_model_nesting(members[k]))));

	/* A soft vote averages probabilities: every member must have one. */
	for (k = 0; voting == L2_VOTING_SOFT && k < n; k++)
		if (!l2_model_has_proba(members[k]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("ensemble member %d has no probability calibration", k + 1),
					 errdetail("A soft vote averages the members' probabilities."),
					 errhint("Retrain the SVM with calibration on, or use voting 'hard'.")));

	m = l2_ensemble_build(n, members, weights, voting, NULL, 0, L2_FIT_NONE, 0, NULL,
						  l2_palloc, CurrentMemoryContext, err, sizeof(err));
	if (m == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid ensemble: %s", err)));
	PG_RETURN_BYTEA_P(l2_model_to_bytea(m));
}

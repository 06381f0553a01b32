/*
 * model_glue.c
 *		Models as bytea values inside the server: conversion, per-call-site
 *		caching and feature arrays.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "model_glue.h"

/*
 * A decoded model kept for one call site, with the exact bytes it came from
 * and a scratch row of nfeatures doubles.  Lives in its own context under
 * fn_mcxt, reset whenever a different value arrives.
 */
typedef struct ModelCache
{
	MemoryContext cxt;
	bool		valid;
	bool		stable;			/* the argument cannot change during the query */
	Size		len;
	char	   *bytes;
	L2Model    *model;
	double	   *scratch;
} ModelCache;

/* Codec allocator: zeroed memory from the context passed as ctx. */
void *
l2_palloc(size_t size, void *ctx)
{
	return MemoryContextAllocZero((MemoryContext) ctx, size);
}

/*
 * Encode a model into a new bytea.  The model must pass l2_model_check: a
 * value that could not be decoded again is never written.
 */
bytea *
l2_model_to_bytea(const L2Model *m)
{
	size_t		size;
	bytea	   *b;
	char		err[512];

	if (!l2_model_check(m, err, sizeof(err)))
		elog(ERROR, "l2_model_to_bytea: invalid model: %s", err);
	size = l2_model_encoded_size(m);
	if (size > MaxAllocSize - VARHDRSZ)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("model is too large to store: %zu bytes", size)));
	b = palloc(size + VARHDRSZ);
	SET_VARSIZE(b, size + VARHDRSZ);
	l2_model_encode(m, (uint8_t *) VARDATA(b));
	return b;
}

/* Decode len bytes at data into cxt, or ERROR with data_corrupted. */
static L2Model *
decode_or_error(const char *data, Size len, MemoryContext cxt)
{
	L2Model    *m;
	L2DecodeError cls;
	char		err[512];

	if (l2_model_decode_ex((const uint8_t *) data, len, l2_palloc, cxt, &m,
						   err, sizeof(err), &cls))
		return m;

	if (cls == L2_DECODE_NEWER_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid l2fuse model: %s", err),
				 errhint("The model was written by a newer release of l2fuse; "
						 "upgrade the extension to read it.")));
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("invalid l2fuse model: %s", err)));
	return NULL;				/* not reached */
}

/* Decode a bytea into CurrentMemoryContext. */
L2Model *
l2_model_from_bytea(bytea *b)
{
	return decode_or_error(VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b), CurrentMemoryContext);
}

/*
 * The model for argument argno, decoded once per call site.  The cache is
 * keyed on the complete bytes (length and memcmp), so a different value is
 * never served from it; when the argument is a constant or a query
 * parameter (get_fn_expr_arg_stable), its value cannot change during the
 * query and the comparison is skipped.  *scratch receives a row buffer of
 * nfeatures doubles.
 */
const L2Model *
l2_model_cached(FunctionCallInfo fcinfo, int argno, double **scratch)
{
	FmgrInfo   *flinfo = fcinfo->flinfo;
	ModelCache *cache = (ModelCache *) flinfo->fn_extra;
	bytea	   *b;
	Size		len;
	const char *data;

	/* A constant argument, decoded before: reuse without looking. */
	if (cache != NULL && cache->valid && cache->stable)
	{
		*scratch = cache->scratch;
		return cache->model;
	}

	/* Same bytes as last time: reuse. */
	b = PG_GETARG_BYTEA_PP(argno);
	len = VARSIZE_ANY_EXHDR(b);
	data = VARDATA_ANY(b);
	if (cache != NULL && cache->valid && cache->len == len &&
		memcmp(cache->bytes, data, len) == 0)
	{
		*scratch = cache->scratch;
		return cache->model;
	}

	if (cache == NULL)
	{
		cache = MemoryContextAllocZero(flinfo->fn_mcxt, sizeof(ModelCache));
		cache->cxt = AllocSetContextCreate(flinfo->fn_mcxt, "l2fuse model cache",
										   ALLOCSET_SMALL_SIZES);
		flinfo->fn_extra = cache;
	}

	/* Decode into a fresh context; an error leaves the cache invalid. */
	cache->valid = false;
	MemoryContextReset(cache->cxt);
	cache->model = decode_or_error(data, len, cache->cxt);
	cache->bytes = MemoryContextAlloc(cache->cxt, len > 0 ? len : 1);
	memcpy(cache->bytes, data, len);
	cache->len = len;
	cache->scratch = MemoryContextAlloc(cache->cxt,
										sizeof(double) * (Size) cache->model->nfeatures);
	cache->stable = get_fn_expr_arg_stable(flinfo, argno);
	cache->valid = true;

	*scratch = cache->scratch;
	return cache->model;
}

/* ERROR unless arr is a one-dimensional array of nfeatures elements. */
static void
CheckFeatureShape(ArrayType *arr, int32 nfeatures)
{
	int			n;

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("features must be a one-dimensional array, not %d-dimensional",
						ARR_NDIM(arr))));
	n = ARR_NDIM(arr) == 0 ? 0 : ARR_DIMS(arr)[0];
	if (n != nfeatures)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("model expects %d features, got %d", nfeatures, n)));
}

/* ERROR for element i (0-based) of the features: NULL, or the value v. */
static void
ReportBadFeature(int i, bool isnull, double v)
{
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("feature %d is NULL", i + 1),
				 errhint("Replace missing values before scoring.")));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("feature %d is not finite", i + 1),
			 errdetail("Its value is %s.",
					   isnan(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity")));
}

/*
 * ERROR unless all n values are finite.  x - x is 0 for a finite x and NaN
 * otherwise, so four running sums of it stay 0 exactly when every value is
 * finite; only then is the slow scan for the culprit skipped.
 */
static void
CheckFiniteFeatures(const double *x, int32 n)
{
	double		a0 = 0,
				a1 = 0,
				a2 = 0,
				a3 = 0;
	int32		i = 0;

	for (; i + 3 < n; i += 4)
	{
		a0 += x[i] - x[i];
		a1 += x[i + 1] - x[i + 1];
		a2 += x[i + 2] - x[i + 2];
		a3 += x[i + 3] - x[i + 3];
	}
	for (; i < n; i++)
		a0 += x[i] - x[i];
	if (a0 + a1 + a2 + a3 == 0)
		return;

	for (i = 0; i < n; i++)
		if (!isfinite(x[i]))
			ReportBadFeature(i, false, x[i]);
}

/*
 * Convert nfeatures elements of a one-dimensional integer or numeric array
 * to doubles, reporting NULL elements.
 */
static void
ReadConvertedFeatures(ArrayType *arr, int32 nfeatures, double *out)
{
	Oid			elt = ARR_ELEMTYPE(arr);
	int16		typlen;
	bool		typbyval;
	char		typalign;
	Datum	   *values;
	bool	   *isnull;
	int			n;
	int			i;

	get_typlenbyvalalign(elt, &typlen, &typbyval, &typalign);
	deconstruct_array(arr, elt, typlen, typbyval, typalign, &values, &isnull, &n);

	for (i = 0; i < nfeatures; i++)
	{
		if (isnull[i])
			ReportBadFeature(i, true, 0);
		switch (elt)
		{
			case INT2OID:
				out[i] = DatumGetInt16(values[i]);
				break;
			case INT4OID:
				out[i] = DatumGetInt32(values[i]);
				break;
			case INT8OID:
				out[i] = (double) DatumGetInt64(values[i]);
				break;
			default:
				out[i] = DatumGetFloat8(DirectFunctionCall1(numeric_float8, values[i]));
				break;
		}
	}
	pfree(values);
	pfree(isnull);
}

/*
 * Copy a one-dimensional numeric array of exactly nfeatures finite,
 * non-NULL values into out.  float8[] and real[] are read in place (real
 * values widen exactly); smallint[], integer[], bigint[] and numeric[] are
 * converted element by element.
 */
void
l2_read_features(ArrayType *arr, int32 nfeatures, double *out)
{
	Oid			elt = ARR_ELEMTYPE(arr);
	bits8	   *nulls = ARR_NULLBITMAP(arr);
	int			i;

	if (elt != FLOAT8OID && elt != FLOAT4OID && elt != INT2OID && elt != INT4OID &&
		elt != INT8OID && elt != NUMERICOID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("features must be an array of numbers, not %s",
						format_type_be(get_array_type(elt))),
				 errhint("Use float8[] or real[].")));
	CheckFeatureShape(arr, nfeatures);

	if (elt != FLOAT8OID && elt != FLOAT4OID)
		ReadConvertedFeatures(arr, nfeatures, out);
	else
	{
		for (i = 0; i < nfeatures; i++)
			if (nulls && !(nulls[i / 8] & (1 << (i % 8))))
				ReportBadFeature(i, true, 0);

		if (elt == FLOAT8OID)
			memcpy(out, ARR_DATA_PTR(arr), sizeof(double) * (Size) nfeatures);
		else
		{
			const float4 *f = (const float4 *) ARR_DATA_PTR(arr);

			for (i = 0; i < nfeatures; i++)
				out[i] = (double) f[i];
		}
	}

	CheckFiniteFeatures(out, nfeatures);
}

/*
 * The nfeatures doubles of arr, checked as l2_read_features checks them:
 * for a float8[] without NULLs its own storage, else scratch filled by
 * l2_read_features.  Scoring reads the row in place, without a copy.
 */
const double *
l2_features_view(ArrayType *arr, int32 nfeatures, double *scratch)
{
	const double *x;

	if (ARR_ELEMTYPE(arr) != FLOAT8OID || ARR_HASNULL(arr))
	{
		l2_read_features(arr, nfeatures, scratch);
		return scratch;
	}
	CheckFeatureShape(arr, nfeatures);
	x = (const double *) ARR_DATA_PTR(arr);
	CheckFiniteFeatures(x, nfeatures);
	return x;
}

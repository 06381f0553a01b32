/*
 * model_glue.h
 *		Models as bytea values inside the server: conversion, per-call-site
 *		caching and feature arrays.
 */
#ifndef L2FUSE_MODEL_GLUE_H
#define L2FUSE_MODEL_GLUE_H

#include "postgres.h"

#include "fmgr.h"
#include "utils/array.h"

#include "model.h"

/* Allocator for the codec: zeroed memory from the MemoryContext ctx. */
extern void *l2_palloc(size_t size, void *ctx);

/* Encode a valid model into a new bytea (palloc'd). */
extern bytea *l2_model_to_bytea(const L2Model *m);

/* Decode a bytea into CurrentMemoryContext; ERROR (XX001) when invalid. */
extern L2Model *l2_model_from_bytea(bytea *b);

/*
 * The decoded model for argument argno of the current call, decoded once per
 * call site: cached in fn_extra and reused while the argument holds the same
 * bytes.  *scratch receives a buffer of nfeatures doubles for one row.
 */
extern const L2Model *l2_model_cached(FunctionCallInfo fcinfo, int argno, double **scratch);

/*
 * Copy a one-dimensional array of exactly nfeatures finite, non-NULL numbers
 * (float8, real, smallint, integer, bigint or numeric elements) into out;
 * ERROR otherwise.
 */
extern void l2_read_features(ArrayType *arr, int32 nfeatures, double *out);
extern const double *l2_features_view(ArrayType *arr, int32 nfeatures, double *scratch);

#endif							/* L2FUSE_MODEL_GLUE_H */

/*
 * eval_model_stub.h
 *		Temporary stand-in for the model codec's scoring and decoding API,
 *		used by evaluate until the real codec is linked in.
 *
 * The declarations below carry the names and signatures of the codec API;
 * eval_model_stub.c implements them for logistic and SVM models in a
 * minimal format.  Remove both files when model_glue.h is available.
 */
#ifndef L2FUSE_EVAL_MODEL_STUB_H
#define L2FUSE_EVAL_MODEL_STUB_H

#include "postgres.h"

#include "model.h"

extern L2Model *l2_model_from_bytea(bytea *b);
extern double l2_model_decision(const L2Model *m, const double *x);
extern double l2_model_proba(const L2Model *m, const double *x);

#endif							/* L2FUSE_EVAL_MODEL_STUB_H */

/*
 * model_glue.h
 *		Server-side conversion between L2Model and bytea.
 */
#ifndef L2FUSE_MODEL_GLUE_H
#define L2FUSE_MODEL_GLUE_H

#include "postgres.h"

#include "model.h"

extern bytea *l2_model_to_bytea(const L2Model *m);
extern L2Model *l2_model_from_bytea(bytea *b);

#endif							/* L2FUSE_MODEL_GLUE_H */

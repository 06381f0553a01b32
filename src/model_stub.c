/*
 * model_stub.c
 *		Minimal stand-in for the model format and its introspection
 *		functions, so that training can be built and tested alone.
 *
 * The encoding is a plain copy of the fixed fields followed by the arrays;
 * it is not validated beyond its length and is replaced by the model codec.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "model_glue.h"

/*
 * Encode: the struct, then coef, then means and scales when standardized.
 */
bytea *
l2_model_to_bytea(const L2Model *m)
{
	int			d = m->nfeatures;
	size_t		len = sizeof(L2Model) + sizeof(double) * d * (m->standardized ? 3 : 1);
	bytea	   *b = palloc(VARHDRSZ + len);
	char	   *p = VARDATA(b);

	SET_VARSIZE(b, VARHDRSZ + len);
	memcpy(p, m, sizeof(L2Model));
	p += sizeof(L2Model);
	memcpy(p, m->coef, sizeof(double) * d);
	p += sizeof(double) * d;
	if (m->standardized)
	{
		memcpy(p, m->means, sizeof(double) * d);
		p += sizeof(double) * d;
		memcpy(p, m->scales, sizeof(double) * d);
	}
	return b;
}

/*
 * Decode what l2_model_to_bytea wrote.
 */
L2Model *
l2_model_from_bytea(bytea *b)
{
	L2Model    *m = palloc(sizeof(L2Model));
	char	   *p = VARDATA_ANY(b);
	size_t		len = VARSIZE_ANY_EXHDR(b);

	if (len < sizeof(L2Model))
		ereport(ERROR, (errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
						errmsg("invalid l2fuse model")));
	memcpy(m, p, sizeof(L2Model));
	if (m->nfeatures < 1 ||
		len != sizeof(L2Model) + sizeof(double) * m->nfeatures * (m->standardized ? 3 : 1))
		ereport(ERROR, (errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
						errmsg("invalid l2fuse model")));
	p += sizeof(L2Model);
	m->coef = palloc(sizeof(double) * m->nfeatures);
	memcpy(m->coef, p, sizeof(double) * m->nfeatures);
	m->means = m->scales = NULL;
	return m;
}

/*
 * Raw features of a float8[] argument, checked against the model.
 */
static double *
StubFeatures(ArrayType *a, int d)
{
	if (ARR_NDIM(a) != 1 || ARR_DIMS(a)[0] != d || ARR_HASNULL(a) ||
		ARR_ELEMTYPE(a) != FLOAT8OID)
		ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
						errmsg("features do not match the model")));
	return (double *) ARR_DATA_PTR(a);
}

PG_FUNCTION_INFO_V1(l2fuse_stub_coefficients);
Datum
l2fuse_stub_coefficients(PG_FUNCTION_ARGS)
{
	L2Model    *m = l2_model_from_bytea(PG_GETARG_BYTEA_PP(0));
	Datum	   *e = palloc(sizeof(Datum) * m->nfeatures);

	for (int j = 0; j < m->nfeatures; j++)
		e[j] = Float8GetDatum(m->coef[j]);
	PG_RETURN_ARRAYTYPE_P(construct_array(e, m->nfeatures, FLOAT8OID, 8,
										  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

PG_FUNCTION_INFO_V1(l2fuse_stub_intercept);
Datum
l2fuse_stub_intercept(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(l2_model_from_bytea(PG_GETARG_BYTEA_PP(0))->intercept);
}

PG_FUNCTION_INFO_V1(l2fuse_stub_decision_function);
Datum
l2fuse_stub_decision_function(PG_FUNCTION_ARGS)
{
	L2Model    *m = l2_model_from_bytea(PG_GETARG_BYTEA_PP(0));
	double	   *x = StubFeatures(PG_GETARG_ARRAYTYPE_P(1), m->nfeatures);
	double		f = m->intercept;

	for (int j = 0; j < m->nfeatures; j++)
		f += m->coef[j] * x[j];
	PG_RETURN_FLOAT8(f);
}

PG_FUNCTION_INFO_V1(l2fuse_stub_predict_proba);
Datum
l2fuse_stub_predict_proba(PG_FUNCTION_ARGS)
{
	L2Model    *m = l2_model_from_bytea(PG_GETARG_BYTEA_PP(0));
	double	   *x = StubFeatures(PG_GETARG_ARRAYTYPE_P(1), m->nfeatures);
	double		f = m->intercept;

	for (int j = 0; j < m->nfeatures; j++)
		f += m->coef[j] * x[j];
	if (m->kind == L2_KIND_SVM)
	{
		if (!m->calibrated)
			ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
							errmsg("model has no probability calibration")));
		f = -(m->platt_a * f + m->platt_b);
	}
	PG_RETURN_FLOAT8(f >= 0 ? 1.0 / (1.0 + exp(-f)) : exp(f) / (1.0 + exp(f)));
}

PG_FUNCTION_INFO_V1(l2fuse_stub_model_info);
Datum
l2fuse_stub_model_info(PG_FUNCTION_ARGS)
{
	L2Model    *m = l2_model_from_bytea(PG_GETARG_BYTEA_PP(0));
	StringInfoData s;

	initStringInfo(&s);
	appendStringInfo(&s, "{\"kind\": \"%s\", \"nfeatures\": %d, \"coefficients\": [",
					 m->kind == L2_KIND_SVM ? "svm" : "logistic", m->nfeatures);
	for (int j = 0; j < m->nfeatures; j++)
		appendStringInfo(&s, "%s%.17g", j ? ", " : "", m->coef[j]);
	appendStringInfo(&s, "], \"intercept\": %.17g, \"lambda\": %.17g, \"loss\": \"%s\", "
					 "\"fit_intercept\": %s, \"standardized\": %s, "
					 "\"class_weight_pos\": %.17g, \"class_weight_neg\": %.17g, "
					 "\"rows_used\": %lld, \"rows_skipped\": %lld, \"positives\": %lld, "
					 "\"iterations\": %d, \"objective\": %.17g, \"optimality\": %.6g, "
					 "\"converged\": %s, \"calibrated\": %s, \"platt_a\": %.17g, "
					 "\"platt_b\": %.17g, \"calib_folds\": %d}",
					 m->intercept, m->lambda,
					 m->loss == L2_LOSS_HINGE ? "hinge" :
					 m->loss == L2_LOSS_SQUARED_HINGE ? "squared_hinge" : "logistic",
					 m->fit_intercept ? "true" : "false", m->standardized ? "true" : "false",
					 m->class_weight_pos, m->class_weight_neg,
					 (long long) m->info.rows_used, (long long) m->info.rows_skipped,
					 (long long) m->info.positives, m->info.iterations, m->info.objective,
					 m->info.optimality, m->info.converged ? "true" : "false",
					 m->calibrated ? "true" : "false", m->platt_a, m->platt_b, m->calib_folds);
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(s.data)));
}

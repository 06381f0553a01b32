/*
 * eval_model_stub.c
 *		Temporary stand-in for the model codec: decodes a minimal model
 *		format and scores logistic and SVM models.
 *
 * Format, network byte order: the 6 bytes "L2STUB", int32 kind (1 logistic,
 * 2 SVM), int32 nfeatures, float8 intercept, float8 platt_a (NaN for an SVM
 * without calibration), then nfeatures float8 coefficients.  The regression
 * tests build it with int4send and float8send.
 */
#include "postgres.h"

#include <math.h>

#include "libpq/pqformat.h"

#include "eval_model_stub.h"

#define STUB_MAGIC "L2STUB"
#define STUB_HEADER (6 + 4 + 4 + 8 + 8)

/*
 * Decode a model in the minimal format, with full checks.
 */
L2Model *
l2_model_from_bytea(bytea *b)
{
	StringInfoData buf;
	L2Model    *m;
	int32		kind,
				nf,
				k;
	double		platt_a;

	buf.data = VARDATA_ANY(b);
	buf.len = VARSIZE_ANY_EXHDR(b);
	buf.maxlen = buf.len;
	buf.cursor = 0;
	if (buf.len < STUB_HEADER || memcmp(buf.data, STUB_MAGIC, 6) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid model")));
	buf.cursor = 6;
	kind = pq_getmsgint(&buf, 4);
	nf = pq_getmsgint(&buf, 4);
	if ((kind != L2_KIND_LOGISTIC && kind != L2_KIND_SVM) || nf < 1 ||
		(int64) nf * 8 != buf.len - STUB_HEADER)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid model")));

	m = palloc0(sizeof(L2Model));
	m->kind = (L2ModelKind) kind;
	m->nfeatures = nf;
	m->intercept = pq_getmsgfloat8(&buf);
	platt_a = pq_getmsgfloat8(&buf);
	m->calibrated = kind == L2_KIND_SVM && !isnan(platt_a);
	m->platt_a = m->calibrated ? platt_a : 0.0;
	m->coef = palloc(nf * sizeof(double));
	for (k = 0; k < nf; k++)
		m->coef[k] = pq_getmsgfloat8(&buf);
	pq_getmsgend(&buf);
	return m;
}

/*
 * coef . x + intercept.
 */
double
l2_model_decision(const L2Model *m, const double *x)
{
	double		f = m->intercept;
	int32		k;

	for (k = 0; k < m->nfeatures; k++)
		f += m->coef[k] * x[k];
	return f;
}

/* 1 / (1 + exp(-z)) without overflow. */
static double
Sigmoid(double z)
{
	if (z >= 0)
		return 1.0 / (1.0 + exp(-z));
	return exp(z) / (1.0 + exp(z));
}

/*
 * P(y = 1 | x): the sigmoid of the decision value for logistic models,
 * the Platt sigmoid for calibrated SVMs, NaN otherwise.
 */
double
l2_model_proba(const L2Model *m, const double *x)
{
	double		f = l2_model_decision(m, x);

	if (m->kind == L2_KIND_LOGISTIC)
		return Sigmoid(f);
	if (m->kind == L2_KIND_SVM && m->calibrated)
		return Sigmoid(-m->platt_a * f);
	return NAN;
}

/*
 * model_score.c
 *		Scoring a decoded model: decision values, probabilities, labels.
 *
 * Pure C (no server calls).  The semantics, ensembles included, are stated in
 * src/MODEL_FORMAT.md.  Every function takes x with the model's nfeatures
 * finite values; callers check that.  No function here returns NaN.
 */
#include <float.h>
#include <math.h>

#include <cblas.h>

#include "model.h"

/* Smallest positive double: stands in for a zero inside a logarithm. */
#define L2_TINY 4.9406564584124654e-324

/*
 * The logistic function 1 / (1 + exp(-z)), evaluated so that exp never
 * overflows: exactly 1 at z = +inf and 0 at z = -inf.
 */
double
l2_sigmoid(double z)
{
	double		e;

	if (z >= 0)
		return 1.0 / (1.0 + exp(-z));
	e = exp(z);
	return e / (1.0 + e);
}

/* Clamp a decision value to the finite doubles. */
static double
clamp_finite(double v)
{
	if (v > DBL_MAX)
		return DBL_MAX;
	if (v < -DBL_MAX)
		return -DBL_MAX;
	return v;
}

/*
 * coef . x + intercept.  The fast sum is cblas_ddot; if it overflows (to
 * +/-inf, or NaN from inf - inf) the sum is redone in long double, whose
 * range holds every product of two doubles, and rounded back: the result is
 * then the exact sign of the true sum, possibly +/-inf, never NaN.
 */
static double
linear_decision(const L2Model *m, const double *x)
{
	double		d;
	long double s;
	int32_t		i;

	d = cblas_ddot(m->nfeatures, m->coef, 1, x, 1) + m->intercept;
	if (isfinite(d))
		return d;

	s = m->intercept;
	for (i = 0; i < m->nfeatures; i++)
		s += (long double) m->coef[i] * (long double) x[i];
	return (double) s;
}

/*
 * Probability of each class for a model: *p for the positive class and *q
 * for the negative, each computed directly (q is not 1 - p) so that small
 * probabilities of either class keep their precision.  p + q = 1 up to
 * rounding.  A model without a probability gives p = q = NaN.
 */
static void proba_pair(const L2Model *m, const double *x, double *p, double *q);

/* Normalized ensemble weights into w (nmembers). */
static void
normalized_weights(const L2Ensemble *e, double *w)
{
	double		sum = 0;
	int32_t		k;

	for (k = 0; k < e->nmembers; k++)
		sum += e->weights[k];
	for (k = 0; k < e->nmembers; k++)
		w[k] = e->weights[k] / sum;
}

/*
 * Soft vote: A = sum w_k p_k, B = sum w_k q_k.  The probability is
 * A / (A + B); a model and its mirror image at equal weight give A == B
 * exactly, hence exactly 0.5.
 */
static void
soft_sums(const L2Ensemble *e, const double *x, double *a, double *b)
{
	double		w[L2_ENSEMBLE_MAX_MEMBERS];
	int32_t		k;

	normalized_weights(e, w);
	*a = 0;
	*b = 0;
	for (k = 0; k < e->nmembers; k++)
	{
		double		p,
					q;

		proba_pair(e->members[k], x, &p, &q);
		*a += w[k] * p;
		*b += w[k] * q;
	}
}

/* Hard vote: the weighted shares of positive and negative votes. */
static void
hard_shares(const L2Ensemble *e, const double *x, double *pos, double *neg)
{
	double		w[L2_ENSEMBLE_MAX_MEMBERS];
	int32_t		k;

	normalized_weights(e, w);
	*pos = 0;
	*neg = 0;
	for (k = 0; k < e->nmembers; k++)
	{
		if (l2_model_predict(e->members[k], x))
			*pos += w[k];
		else
			*neg += w[k];
	}
}

/*
 * Stacking margin: meta_intercept + sum meta_coef_k * d_k with member
 * decisions clamped to the finite doubles and the sum kept in long double,
 * so it cannot be NaN; the result may round to +/-inf.
 */
static double
stacking_margin(const L2Ensemble *e, const double *x)
{
	long double s = e->meta_intercept;
	int32_t		k;

	for (k = 0; k < e->nmembers; k++)
	{
		double		d = clamp_finite(l2_model_decision(e->members[k], x));

		s += (long double) e->meta_coef[k] * (long double) d;
	}
	return (double) s;
}

static void
proba_pair(const L2Model *m, const double *x, double *p, double *q)
{
	const L2Ensemble *e = m->ens;
	double		d,
				z,
				a,
				b;

	switch (m->kind)
	{
		case L2_KIND_LOGISTIC:
			d = linear_decision(m, x);
			*p = l2_sigmoid(d);
			*q = l2_sigmoid(-d);
			return;
		case L2_KIND_SVM:
			if (!m->calibrated)
				break;
			d = linear_decision(m, x);
			/* platt_a * d is NaN only for 0 * inf; a zero slope ignores d */
			z = (m->platt_a == 0 ? 0 : m->platt_a * d) + m->platt_b;
			*p = l2_sigmoid(-z);
			*q = l2_sigmoid(z);
			return;
		case L2_KIND_ENSEMBLE:
			switch (e->voting)
			{
				case L2_VOTING_SOFT:
					soft_sums(e, x, &a, &b);
					*p = a / (a + b);
					*q = b / (a + b);
					return;
				case L2_VOTING_HARD:
					hard_shares(e, x, p, q);
					return;
				case L2_VOTING_STACKING:
					z = stacking_margin(e, x);
					*p = l2_sigmoid(z);
					*q = l2_sigmoid(-z);
					return;
			}
			break;
	}
	*p = NAN;
	*q = NAN;
}

/*
 * The decision value of any model: coef . x + intercept for a linear model,
 * the vote's logit (soft), vote margin (hard) or meta-model margin
 * (stacking) for an ensemble.  Ensemble decisions are always finite.
 */
double
l2_model_decision(const L2Model *m, const double *x)
{
	const L2Ensemble *e = m->ens;
	double		a,
				b;

	if (m->kind != L2_KIND_ENSEMBLE)
		return linear_decision(m, x);

	switch (e->voting)
	{
		case L2_VOTING_SOFT:
			soft_sums(e, x, &a, &b);
			return log(a > 0 ? a : L2_TINY) - log(b > 0 ? b : L2_TINY);
		case L2_VOTING_HARD:
			hard_shares(e, x, &a, &b);
			return a - b;
		case L2_VOTING_STACKING:
			return clamp_finite(stacking_margin(e, x));
	}
	return 0;
}

/*
 * Probability of the positive class, in [0, 1].  Only for models with
 * l2_model_has_proba(); others give NaN, which callers must not let out.
 */
double
l2_model_proba(const L2Model *m, const double *x)
{
	double		p,
				q;

	proba_pair(m, x, &p, &q);
	return p;
}

/*
 * The predicted label: probability >= 0.5, or decision >= 0 for a model
 * without a probability (uncalibrated SVM).
 */
bool
l2_model_predict(const L2Model *m, const double *x)
{
	if (!l2_model_has_proba(m))
		return l2_model_decision(m, x) >= 0;
	return l2_model_proba(m, x) >= 0.5;
}

/*
 * Scores of each member of ensemble m on one row, for fitting ensembles:
 * decisions[k] = member k's decision value (may be +/-inf for a linear
 * member), probas[k] = its probability, or NaN for a member without one.
 * Either output may be NULL.
 */
void
l2_ensemble_member_scores(const L2Model *m, const double *x, double *decisions, double *probas)
{
	int32_t		k;

	for (k = 0; k < m->ens->nmembers; k++)
	{
		const L2Model *mk = m->ens->members[k];

		if (decisions)
			decisions[k] = l2_model_decision(mk, x);
		if (probas)
			probas[k] = l2_model_has_proba(mk) ? l2_model_proba(mk, x) : NAN;
	}
}

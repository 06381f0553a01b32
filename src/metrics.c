/*
 * metrics.c
 *		Binary classification metrics over sorted score arrays.
 *
 * The scores of positive rows (pos) and negative rows (neg) arrive as two
 * arrays sorted ascending.  Ranking metrics walk both from the highest
 * score down, one group of tied scores at a time: a group is one threshold
 * t, and after it the counts TP(t) and FP(t) of rows scoring >= t are
 * known.  With P positives and N negatives:
 *
 *	ROC AUC     = sum over groups of q * (TP_before + p / 2) / (P * N)
 *	              (p positives and q negatives in the group; this is the
 *	              trapezoid rule over the ROC curve, equal to the
 *	              Mann-Whitney statistic with average ranks)
 *	avg. prec.  = sum over groups of (p / P) * TP / (TP + FP)
 *	              (the recall step times the precision at that threshold)
 *
 * The AUC numerator is an integer, accumulated exactly in 128 bits; the
 * other sums are compensated, so the results stay within a few ulps of the
 * exact values at millions of rows.
 */
#include "metrics.h"

#include <math.h>
#include <stdlib.h>

/* Walks two ascending arrays from the top, one group of ties at a time. */
typedef struct GroupWalk
{
	const double *pos;
	size_t		i;				/* pos[0 .. i-1] are still to come */
	const double *neg;
	size_t		j;				/* neg[0 .. j-1] are still to come */
} GroupWalk;

#ifdef __SIZEOF_INT128__
typedef unsigned __int128 AucNumerator;
#else
typedef long double AucNumerator;
#endif

/*
 * Add x to a compensated sum.  Neumaier's variant also keeps the low bits
 * when x is larger than the running sum.
 */
void
l2_sum_add(L2Sum *sum, double x)
{
	double		t = sum->s + x;

	if (fabs(sum->s) >= fabs(x))
		sum->c += (sum->s - t) + x;
	else
		sum->c += (x - t) + sum->s;
	sum->s = t;
}

/*
 * Merge another compensated sum into sum: add its running sum, then its
 * compensation.
 */
void
l2_sum_merge(L2Sum *sum, const L2Sum *other)
{
	l2_sum_add(sum, other->s);
	l2_sum_add(sum, other->c);
}

/*
 * The value of a compensated sum.
 */
double
l2_sum_value(const L2Sum *sum)
{
	return sum->s + sum->c;
}

/*
 * The negative log-likelihood of one row: -log(p) for a positive row,
 * -log(1 - p) for a negative one, with p clipped to [eps, 1 - eps] so that
 * a confident mistake costs -log(eps) ~ 36.04 instead of infinity.
 * p must be in [0, 1]; the caller checks.
 */
double
l2_log_loss_term(double p, bool label)
{
	if (p < L2_LOG_LOSS_EPS)
		p = L2_LOG_LOSS_EPS;
	if (p > 1.0 - L2_LOG_LOSS_EPS)
		p = 1.0 - L2_LOG_LOSS_EPS;

	return label ? -log(p) : -log1p(-p);
}

/*
 * Accuracy, precision, recall and F1 of a confusion matrix.  A ratio with a
 * zero denominator is 0 (scikit-learn's zero_division = 0); F1 is computed
 * as 2 TP / (2 TP + FP + FN), which equals the harmonic mean of precision
 * and recall wherever that is defined.
 */
void
l2_confusion_rates(const L2Confusion *c, L2Rates *rates)
{
	int64_t		n = c->tp + c->fp + c->tn + c->fn;

	rates->accuracy = n > 0 ? (double) (c->tp + c->tn) / (double) n : 0.0;
	rates->precision = c->tp + c->fp > 0 ?
		(double) c->tp / (double) (c->tp + c->fp) : 0.0;
	rates->recall = c->tp + c->fn > 0 ?
		(double) c->tp / (double) (c->tp + c->fn) : 0.0;
	rates->f1 = c->tp > 0 ?
		2.0 * (double) c->tp / (double) (2 * c->tp + c->fp + c->fn) : 0.0;
}

/* qsort comparator: doubles ascending (callers reject NaN beforehand). */
static int
CompareDoubles(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return (x > y) - (x < y);
}

/*
 * Sort scores ascending in place.
 */
void
l2_sort_scores(double *v, size_t n)
{
	if (n > 1)
		qsort(v, n, sizeof(double), CompareDoubles);
}

/* Start a walk over both arrays from their highest scores. */
static void
WalkStart(GroupWalk *w, const double *pos, size_t npos,
		  const double *neg, size_t nneg)
{
	w->pos = pos;
	w->i = npos;
	w->neg = neg;
	w->j = nneg;
}

/*
 * Step to the next lower group of tied scores.  Returns false when both
 * arrays are exhausted; else sets the group's score and its numbers of
 * positives (*p) and negatives (*q).
 */
static bool
WalkNext(GroupWalk *w, double *score, int64_t *p, int64_t *q)
{
	double		top;

	if (w->i == 0 && w->j == 0)
		return false;

	if (w->i == 0)
		top = w->neg[w->j - 1];
	else if (w->j == 0)
		top = w->pos[w->i - 1];
	else
		top = fmax(w->pos[w->i - 1], w->neg[w->j - 1]);

	*p = 0;
	while (w->i > 0 && w->pos[w->i - 1] == top)
	{
		w->i--;
		(*p)++;
	}

	*q = 0;
	while (w->j > 0 && w->neg[w->j - 1] == top)
	{
		w->j--;
		(*q)++;
	}

	*score = top;
	return true;
}

/*
 * ROC AUC of sorted score arrays; NaN unless both classes occur.
 *
 * Twice the area, sum of q * (2 TP_before + p), is an integer below
 * 2 P N, so it is accumulated exactly; one rounding happens at the end.
 */
double
l2_roc_auc(const double *pos, size_t npos, const double *neg, size_t nneg)
{
	GroupWalk	w;
	AucNumerator area2 = 0;
	uint64_t	tp = 0;
	double		score;
	int64_t		p,
				q;

	if (npos == 0 || nneg == 0)
		return NAN;

	WalkStart(&w, pos, npos, neg, nneg);
	while (WalkNext(&w, &score, &p, &q))
	{
		area2 += (AucNumerator) q * (AucNumerator) (2 * tp + (uint64_t) p);
		tp += (uint64_t) p;
	}

	return (double) area2 / (2.0 * (double) npos * (double) nneg);
}

/*
 * Average precision of sorted score arrays, sum over thresholds of
 * (R_k - R_{k-1}) P_k with tied scores forming one threshold; NaN without
 * positives.
 */
double
l2_average_precision(const double *pos, size_t npos,
					 const double *neg, size_t nneg)
{
	GroupWalk	w;
	L2Sum		sum = {0.0, 0.0};
	int64_t		tp = 0,
				fp = 0;
	double		score;
	int64_t		p,
				q;

	if (npos == 0)
		return NAN;

	WalkStart(&w, pos, npos, neg, nneg);
	while (WalkNext(&w, &score, &p, &q))
	{
		tp += p;
		fp += q;
		if (p > 0)
			l2_sum_add(&sum, (double) p * ((double) tp / (double) (tp + fp)));
	}

	return l2_sum_value(&sum) / (double) npos;
}

/*
 * The ROC curve of sorted score arrays, as scikit-learn's roc_curve with
 * drop_intermediate = False: a first point (max score + 1, 0, 0) where no
 * row is predicted positive, then one point per distinct score, highest
 * first.  out must hold npos + nneg + 1 points; returns the number written
 * (0 for no rows).  fpr is NaN without negatives, tpr NaN without
 * positives.
 */
size_t
l2_roc_curve(const double *pos, size_t npos, const double *neg, size_t nneg,
			 L2RocPoint *out)
{
	GroupWalk	w;
	int64_t		tp = 0,
				fp = 0;
	double		score;
	int64_t		p,
				q;
	size_t		k = 0;

	if (npos + nneg == 0)
		return 0;

	WalkStart(&w, pos, npos, neg, nneg);
	while (WalkNext(&w, &score, &p, &q))
	{
		if (k == 0)
		{
			out[0].threshold = score + 1.0;
			out[0].fpr = nneg > 0 ? 0.0 : NAN;
			out[0].tpr = npos > 0 ? 0.0 : NAN;
			k = 1;
		}

		tp += p;
		fp += q;
		out[k].threshold = score;
		out[k].fpr = nneg > 0 ? (double) fp / (double) nneg : NAN;
		out[k].tpr = npos > 0 ? (double) tp / (double) npos : NAN;
		k++;
	}

	return k;
}

/* Number of values >= threshold in an ascending array. */
static int64_t
CountAtLeast(const double *v, size_t n, double threshold)
{
	size_t		lo = 0,
				hi = n;

	/* binary search for the first index whose value is >= threshold */
	while (lo < hi)
	{
		size_t		mid = lo + (hi - lo) / 2;

		if (v[mid] < threshold)
			lo = mid + 1;
		else
			hi = mid;
	}

	return (int64_t) (n - lo);
}

/*
 * Every metric of sorted score arrays.  Rows are predicted positive when
 * score >= threshold.  When probabilities is true the scores are
 * probabilities in [0, 1] and log loss and the Brier score are computed;
 * otherwise those two are NaN.
 */
void
l2_metrics_compute(const double *pos, size_t npos,
				   const double *neg, size_t nneg,
				   double threshold, bool probabilities, L2Metrics *out)
{
	out->n = (int64_t) (npos + nneg);
	out->positives = (int64_t) npos;

	/* confusion matrix at the decision threshold */
	out->confusion.tp = CountAtLeast(pos, npos, threshold);
	out->confusion.fn = (int64_t) npos - out->confusion.tp;
	out->confusion.fp = CountAtLeast(neg, nneg, threshold);
	out->confusion.tn = (int64_t) nneg - out->confusion.fp;
	l2_confusion_rates(&out->confusion, &out->rates);

	/* ranking metrics */
	out->roc_auc = l2_roc_auc(pos, npos, neg, nneg);
	out->average_precision = l2_average_precision(pos, npos, neg, nneg);

	/* probability metrics: mean log loss and mean squared error */
	out->log_loss = NAN;
	out->brier = NAN;
	if (probabilities && out->n > 0)
	{
		L2Sum		ll = {0.0, 0.0};
		L2Sum		br = {0.0, 0.0};
		size_t		k;

		for (k = 0; k < npos; k++)
		{
			l2_sum_add(&ll, l2_log_loss_term(pos[k], true));
			l2_sum_add(&br, (1.0 - pos[k]) * (1.0 - pos[k]));
		}
		for (k = 0; k < nneg; k++)
		{
			l2_sum_add(&ll, l2_log_loss_term(neg[k], false));
			l2_sum_add(&br, neg[k] * neg[k]);
		}
		out->log_loss = l2_sum_value(&ll) / (double) out->n;
		out->brier = l2_sum_value(&br) / (double) out->n;
	}
}

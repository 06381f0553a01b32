/*
 * metrics.h
 *		Binary classification metrics over (score, label) values.
 *
 * Pure C: nothing here calls the server, so the metrics can be tested on
 * their own.  The scores of positive and negative rows are kept in two
 * plain double arrays; ranking metrics sort them ascending and walk both
 * from the top, one group of tied scores at a time.
 *
 * Rules shared by every metric (they match scikit-learn 1.2):
 *	- tied scores form one threshold: the ROC curve gets one point per
 *	  distinct score, so a tie between a positive and a negative counts 1/2
 *	  in the ROC AUC (trapezoid rule), and average precision adds one term
 *	  per distinct score;
 *	- the ROC AUC is undefined (NaN) unless both classes occur; average
 *	  precision is undefined (NaN) without a positive;
 *	- precision, recall and F1 are 0 where their denominator is 0 (the
 *	  zero_division = 0 convention);
 *	- log loss clips probabilities to [eps, 1 - eps], eps = DBL_EPSILON.
 */
#ifndef L2FUSE_METRICS_H
#define L2FUSE_METRICS_H

#include <float.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Probabilities are clipped to [L2_LOG_LOSS_EPS, 1 - L2_LOG_LOSS_EPS]. */
#define L2_LOG_LOSS_EPS DBL_EPSILON

/* A compensated sum (Neumaier's variant of Kahan summation). */
typedef struct L2Sum
{
	double		s;				/* running sum */
	double		c;				/* lost low-order bits */
} L2Sum;

/* The four cells of a binary confusion matrix. */
typedef struct L2Confusion
{
	int64_t		tp;
	int64_t		fp;
	int64_t		tn;
	int64_t		fn;
} L2Confusion;

/* Ratios derived from a confusion matrix. */
typedef struct L2Rates
{
	double		accuracy;
	double		precision;
	double		recall;
	double		f1;
} L2Rates;

/* One point of a ROC curve. */
typedef struct L2RocPoint
{
	double		threshold;		/* predict positive when score >= threshold */
	double		fpr;			/* NaN without negatives */
	double		tpr;			/* NaN without positives */
} L2RocPoint;

/* Every metric of one evaluation. */
typedef struct L2Metrics
{
	int64_t		n;
	int64_t		positives;
	L2Confusion confusion;
	L2Rates		rates;
	double		roc_auc;		/* NaN unless both classes occur */
	double		average_precision;	/* NaN without positives */
	double		log_loss;		/* NaN unless scores are probabilities */
	double		brier;			/* NaN unless scores are probabilities */
} L2Metrics;

extern void l2_sum_add(L2Sum *sum, double x);
extern void l2_sum_merge(L2Sum *sum, const L2Sum *other);
extern double l2_sum_value(const L2Sum *sum);

extern double l2_log_loss_term(double p, bool label);

extern void l2_confusion_rates(const L2Confusion *c, L2Rates *rates);

extern void l2_sort_scores(double *v, size_t n);
extern double l2_roc_auc(const double *pos, size_t npos,
						 const double *neg, size_t nneg);
extern double l2_average_precision(const double *pos, size_t npos,
								   const double *neg, size_t nneg);
extern size_t l2_roc_curve(const double *pos, size_t npos,
						   const double *neg, size_t nneg, L2RocPoint *out);
extern void l2_metrics_compute(const double *pos, size_t npos,
							   const double *neg, size_t nneg,
							   double threshold, bool probabilities,
							   L2Metrics *out);

#endif							/* L2FUSE_METRICS_H */

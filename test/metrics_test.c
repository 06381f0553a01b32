/*
 * metrics_test.c
 *		Checks the pure C metrics of src/metrics.c against definitions
 *		computed the slow, obvious way.
 *
 * Built and run by test/check_metrics.sh.  Prints one line per failed
 * check and exits 1 if any failed.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "metrics.h"
#include "test_util.h"

/* AUC by comparing every positive with every negative: ties count 1/2. */
static double
BruteAuc(const double *pos, size_t npos, const double *neg, size_t nneg)
{
	double		wins = 0.0;
	size_t		i,
				j;

	for (i = 0; i < npos; i++)
		for (j = 0; j < nneg; j++)
			wins += pos[i] > neg[j] ? 1.0 : pos[i] == neg[j] ? 0.5 : 0.0;
	return wins / ((double) npos * (double) nneg);
}

/*
 * Average precision by its definition: for each distinct score t, the
 * recall gained at t times the precision of predicting score >= t.
 */
static double
BruteAp(const double *pos, size_t npos, const double *neg, size_t nneg)
{
	double		ap = 0.0;
	size_t		i,
				j,
				k;

	for (k = 0; k < npos; k++)
	{
		double		t = pos[k];
		size_t		tp = 0,
					fp = 0,
					tied = 0;

		/* each positive counted once per distinct score: first of its tie */
		for (i = 0; i < k; i++)
			if (pos[i] == t)
				break;
		if (i < k)
			continue;
		for (i = 0; i < npos; i++)
		{
			tp += pos[i] >= t;
			tied += pos[i] == t;
		}
		for (j = 0; j < nneg; j++)
			fp += neg[j] >= t;
		ap += ((double) tied / npos) * ((double) tp / (double) (tp + fp));
	}
	return ap;
}

/* Random scores rounded to `levels` values, labels depending on them. */
static void
MakeData(unsigned long long *rng, size_t n, int levels, double **pos, size_t *npos,
		 double **neg, size_t *nneg)
{
	size_t		k;

	*pos = malloc((n + 1) * sizeof(double));
	*neg = malloc((n + 1) * sizeof(double));
	*npos = *nneg = 0;
	for (k = 0; k < n; k++)
	{
		double		s = floor(Uniform(rng) * levels) / levels;

		if (Uniform(rng) < 0.2 + 0.6 * s)
			(*pos)[(*npos)++] = s;
		else
			(*neg)[(*nneg)++] = s;
	}
}

/* Ranking metrics on random tied data against the brute-force versions. */
static void
CheckRanking(void)
{
	unsigned long long rng = 42;
	int			levels[] = {2, 7, 50, 100000};
	size_t		sizes[] = {1, 2, 10, 500, 3000};
	size_t		a,
				b;

	for (a = 0; a < sizeof(levels) / sizeof(levels[0]); a++)
		for (b = 0; b < sizeof(sizes) / sizeof(sizes[0]); b++)
		{
			double	   *pos,
					   *neg;
			size_t		npos,
						nneg;
			double		want;
			double		got;
			L2RocPoint *pts;
			size_t		npts;

			MakeData(&rng, sizes[b], levels[a], &pos, &npos, &neg, &nneg);
			l2_sort_scores(pos, npos);
			l2_sort_scores(neg, nneg);

			got = l2_roc_auc(pos, npos, neg, nneg);
			if (npos == 0 || nneg == 0)
				Check(isnan(got), "one-class AUC is NaN", got, NAN);
			else
			{
				want = BruteAuc(pos, npos, neg, nneg);
				Check(fabs(got - want) < 1e-12, "roc_auc", got, want);
			}

			got = l2_average_precision(pos, npos, neg, nneg);
			if (npos == 0)
				Check(isnan(got), "AP without positives is NaN", got, NAN);
			else
			{
				want = BruteAp(pos, npos, neg, nneg);
				Check(fabs(got - want) < 1e-12, "average_precision", got, want);
			}

			/* the curve ends at (1, 1) and its trapezoids sum to the AUC */
			pts = malloc((npos + nneg + 1) * sizeof(L2RocPoint));
			npts = l2_roc_curve(pos, npos, neg, nneg, pts);
			if (npos > 0 && nneg > 0)
			{
				double		area = 0.0;
				size_t		k;

				for (k = 1; k < npts; k++)
					area += (pts[k].fpr - pts[k - 1].fpr) *
						(pts[k].tpr + pts[k - 1].tpr) / 2.0;
				Check(pts[npts - 1].fpr == 1.0 && pts[npts - 1].tpr == 1.0,
					  "curve ends at (1, 1)", pts[npts - 1].fpr, 1.0);
				Check(fabs(area - l2_roc_auc(pos, npos, neg, nneg)) < 1e-12,
					  "curve area", area, l2_roc_auc(pos, npos, neg, nneg));
			}
			free(pts);
			free(pos);
			free(neg);
		}
}

/* Edge cases: no rows, clipping, zero division, the compensated sum. */
static void
CheckEdges(void)
{
	L2Confusion none = {0, 0, 3, 2};
	L2Rates		r;
	L2Sum		sum = {0.0, 0.0};
	L2RocPoint	pt;
	int			k;

	Check(l2_roc_curve(NULL, 0, NULL, 0, &pt) == 0, "empty curve", 1, 0);
	Check(l2_log_loss_term(0.0, true) == -log(DBL_EPSILON), "clip 0",
		  l2_log_loss_term(0.0, true), -log(DBL_EPSILON));
	Check(l2_log_loss_term(1.0, false) == -log1p(-(1.0 - DBL_EPSILON)), "clip 1",
		  l2_log_loss_term(1.0, false), -log1p(-(1.0 - DBL_EPSILON)));

	l2_confusion_rates(&none, &r);
	Check(r.precision == 0.0 && r.recall == 0.0 && r.f1 == 0.0, "zero division", r.f1, 0.0);
	Check(r.accuracy == 0.6, "accuracy", r.accuracy, 0.6);

	/* 1e6 additions of 0.1 after 1e8: a plain sum drifts by ~1e-3 */
	l2_sum_add(&sum, 1e8);
	for (k = 0; k < 1000000; k++)
		l2_sum_add(&sum, 0.1);
	Check(fabs(l2_sum_value(&sum) - (1e8 + 100000.0)) < 1e-6, "compensated sum",
		  l2_sum_value(&sum), 1e8 + 100000.0);
}

int
main(void)
{
	CheckRanking();
	CheckEdges();
	printf("%s\n", failures ? "metrics_test: FAILED" : "metrics_test: ok");
	return failures ? 1 : 0;
}

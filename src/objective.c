/*
 * objective.c
 *		Data preparation and the passes every solver makes over the rows.
 *
 * Internal coordinates: each column j is shifted by m_j and divided by c_j.
 *   - standardize: m_j = weighted mean, c_j = weighted population std;
 *     the penalty is lambda ||w'||^2 / 2 on the standardized weights.
 *   - otherwise, with an intercept: m_j = weighted mean (an exact
 *     reparametrization, since b absorbs the shift) and c_j = max |x - m|;
 *     without one: m_j = 0 and c_j = max |x|.  The penalty stays lambda
 *     ||w||^2 / 2 on raw weights, i.e. pen_j = lambda / c_j^2 on w'.
 * Centering and max-abs scaling keep X'^T D X' well conditioned and free of
 * overflow for features as large as 1e200 or as small as 1e-300; a column
 * that is constant over the rows used (or all zero) is dropped, because its
 * optimal coefficient is exactly 0.
 *
 * Pure C; nothing here calls the server.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <cblas.h>

#include "objective.h"

/* Rows ahead that a strided block load prefetches. */
#define L2_PREFETCH_ROWS 8

/* Scales below this are raised to it so that lambda / c^2 stays finite. */
#define L2_MIN_SCALE 1e-100
#define L2_MAX_PENALTY 1e300

/*
 * Allocate zeroed memory through the caller's allocator.
 */
void *
l2_alloc(const L2Work *wk, size_t size)
{
	return wk->hooks->alloc(size > 0 ? size : 1, wk->hooks->alloc_ctx);
}

/*
 * Let the caller cancel a long computation.
 */
void
l2_check_interrupt(const L2Work *wk)
{
	if (wk->hooks->interrupt)
		wk->hooks->interrupt(wk->hooks->arg);
}

/*
 * Report an abnormal condition to the caller.
 */
void
l2_warn(const L2Work *wk, const char *fmt,...)
{
	char		buf[512];
	va_list		ap;

	if (wk->hooks->warn == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	wk->hooks->warn(wk->hooks->arg, buf);
}

/*
 * Row weight of row i of seg (global index row), 0 when its fold is left out.
 */
static double
row_weight(const L2Problem *prob, const L2Segment *seg, int64_t i, int64_t row)
{
	if (prob->fold != NULL && prob->fold[row] == prob->exclude_fold)
		return 0.0;
	return seg->w ? seg->w[i] : 1.0;
}

/* What one statistics pass over the raw rows accumulates. */
typedef enum StatsKind
{
	STATS_RANGE,				/* lo, hi: column minimum and maximum */
	STATS_MEAN,					/* acc: sum of s x / amax */
	STATS_SPREAD				/* acc: sum of s ((x - m) / amax)^2 */
} StatsKind;

/* Arguments of stats_part: per-part arrays of d values each. */
typedef struct StatsArgs
{
	StatsKind	kind;
	double	   *lo;
	double	   *hi;
	double	   *acc;
	const double *amax;
	const double *ia;			/* 1 / amax, or 0 */
	bool		divide;			/* some 1 / amax is subnormal: divide instead */
} StatsArgs;

/*
 * One statistics pass over a part's raw rows with a positive weight
 * (wk->s holds the row weights at this point).
 */
static void
stats_part(L2Work *wk, L2Part *part, void *arg)
{
	StatsArgs  *a = arg;
	const L2Problem *prob = wk->prob;
	int			d = wk->d;
	double	   *restrict lo = a->lo + (size_t) part->index * d;
	double	   *restrict hi = a->hi + (size_t) part->index * d;
	double	   *restrict acc = a->acc + (size_t) part->index * d;
	const double *restrict amax = a->amax;
	const double *restrict ia = a->ia;
	const double *restrict m = wk->m;
	L2BlockIter it;
	int64_t		row = part->begin;
	int			poll = 0;

	for (int j = 0; j < d; j++)
	{
		if (a->kind == STATS_RANGE)
		{
			lo[j] = INFINITY;
			hi[j] = -INFINITY;
		}
		else
			acc[j] = 0;
	}

	l2_iter_part(wk, &it, part);
	for (int k = it.seg; k < prob->nseg && row < part->end; k++)
	{
		const L2Segment *seg = &prob->seg[k];
		int64_t		i = k == it.seg ? it.off : 0;
		int64_t		stop = seg->n - i < part->end - row ? seg->n : i + (part->end - row);

		for (; i < stop; i++, row++)
		{
			const double *restrict x = seg->x + i * d;
			double		sr = wk->s[row];

			if (++poll == L2_BLOCK_ROWS)
			{
				poll = 0;
				if (l2_part_stopped(wk, part))
					return;
			}
			if (sr <= 0)
				continue;
			if (a->kind == STATS_RANGE)
				for (int j = 0; j < d; j++)
				{
					lo[j] = x[j] < lo[j] ? x[j] : lo[j];
					hi[j] = x[j] > hi[j] ? x[j] : hi[j];
				}
			else if (a->kind == STATS_MEAN && !a->divide)
				for (int j = 0; j < d; j++)
					acc[j] += sr * (x[j] * ia[j]);
			else if (a->kind == STATS_MEAN)
				for (int j = 0; j < d; j++)
					acc[j] += amax[j] > 0 ? sr * (x[j] / amax[j]) : 0.0;
			else
				for (int j = 0; j < d; j++)
				{
					double		t = amax[j] > 0 ? (x[j] - m[j]) / amax[j] : 0.0;

					acc[j] += sr * t * t;
				}
		}
	}
}

/*
 * Run one statistics pass over all parts and fold the parts' results into
 * part 0's arrays, in part order.
 */
static void
stats_pass(L2Work *wk, StatsArgs *a, StatsKind kind)
{
	int			d = wk->d;

	a->kind = kind;
	l2_run_parts(wk, stats_part, a);
	for (int k = 1; k < wk->nparts; k++)
		for (int j = 0; j < d; j++)
		{
			size_t		at = (size_t) k * d + j;

			if (kind == STATS_RANGE)
			{
				a->lo[j] = a->lo[at] < a->lo[j] ? a->lo[at] : a->lo[j];
				a->hi[j] = a->hi[at] > a->hi[j] ? a->hi[at] : a->hi[j];
			}
			else
				a->acc[j] += a->acc[at];
		}
}

/*
 * Choose the per-column shift m and scale c (see the file header).
 * wk->s holds the row weights at this point.  Three passes at most, each
 * split over the parts: column ranges, weighted means (when centering)
 * and, only when standardizing, the spread; the max-abs spread follows
 * from the range.
 */
static void
choose_transform(L2Work *wk)
{
	const L2Problem *prob = wk->prob;
	int			d = wk->d;
	size_t		per = sizeof(double) * (size_t) d * wk->nparts;
	double	   *lo = l2_alloc(wk, per);
	double	   *hi = l2_alloc(wk, per);
	double	   *acc = l2_alloc(wk, per);
	double	   *amax = l2_alloc(wk, sizeof(double) * d);
	double	   *ia = l2_alloc(wk, sizeof(double) * d);
	bool	   *varies = l2_alloc(wk, sizeof(bool) * d);
	bool		center = prob->fit_intercept || prob->standardize;
	StatsArgs	a = {STATS_RANGE, lo, hi, acc, amax, ia, false};

	/* range of each column over rows used */
	stats_pass(wk, &a, STATS_RANGE);

	/* max |x|, its reciprocal where that is a normal number */
	for (int j = 0; j < d; j++)
	{
		varies[j] = hi[j] > lo[j];
		amax[j] = fmax(fabs(lo[j]), fabs(hi[j]));
		ia[j] = amax[j] > 0 ? 1.0 / amax[j] : 0.0;
		if (ia[j] != 0.0 && !isnormal(ia[j]))
			a.divide = true;
	}

	/* weighted means, accumulated on the max-abs scale to avoid overflow */
	if (center)
	{
		stats_pass(wk, &a, STATS_MEAN);
		for (int j = 0; j < d; j++)
			wk->m[j] = varies[j] ? acc[j] / wk->wsum * amax[j] : lo[j];
	}

	/* spread around m: population std, or max-abs from the range */
	if (prob->standardize)
		stats_pass(wk, &a, STATS_SPREAD);
	else
		for (int j = 0; j < d; j++)
			acc[j] = varies[j] ? fmax(fabs((hi[j] - wk->m[j]) / amax[j]),
									  fabs((lo[j] - wk->m[j]) / amax[j])) : 0.0;

	/* scales and penalty weights; a non-varying column is dropped */
	for (int j = 0; j < d; j++)
	{
		if (!varies[j])
		{
			wk->c[j] = 0.0;
			wk->pen[j] = prob->lambda;
			continue;
		}
		if (prob->standardize)
			wk->c[j] = fmax(amax[j] * sqrt(acc[j] / wk->wsum), L2_MIN_SCALE);
		else
			wk->c[j] = fmax(amax[j] * acc[j], L2_MIN_SCALE);
		wk->pen[j] = prob->standardize ? prob->lambda :
			fmin(prob->lambda / (wk->c[j] * wk->c[j]), L2_MAX_PENALTY);
	}

	/* multiply by 1 / c_j unless that reciprocal would lose precision */
	for (int j = 0; j < d; j++)
	{
		wk->ic[j] = wk->c[j] == 0.0 ? 0.0 : 1.0 / wk->c[j];
		if (wk->ic[j] != 0.0 && !isnormal(wk->ic[j]))
			wk->divide = true;
	}
}

/*
 * Prepare the per-row arrays, class weights and the transformation.
 */
L2Status
l2_work_init(L2Work *wk, const L2Problem *prob, const L2Hooks *hooks)
{
	double		wpos = 0,
				wneg = 0;
	int64_t		row;

	memset(wk, 0, sizeof(*wk));
	wk->prob = prob;
	wk->hooks = hooks;
	wk->d = prob->d;
	wk->p = prob->d + (prob->fit_intercept ? 1 : 0);
	wk->stride = 1;
	if (prob->d < 1 || prob->d > L2_MAX_FEATURES || !(prob->lambda > 0) ||
		!isfinite(prob->lambda) || !(prob->tol > 0) || prob->max_iter < 1)
		return L2_ERR_INVALID;
	for (int k = 0; k < prob->nseg; k++)
		wk->n += prob->seg[k].n;

	wk->s = l2_alloc(wk, sizeof(double) * wk->n);
	wk->y = l2_alloc(wk, sizeof(double) * wk->n);
	wk->z = l2_alloc(wk, sizeof(double) * wk->n);
	wk->q = l2_alloc(wk, sizeof(double) * wk->n);
	wk->m = l2_alloc(wk, sizeof(double) * wk->d);
	wk->c = l2_alloc(wk, sizeof(double) * wk->d);
	wk->ic = l2_alloc(wk, sizeof(double) * wk->d);
	wk->pen = l2_alloc(wk, sizeof(double) * wk->p);
	wk->block = l2_alloc(wk, sizeof(double) * L2_BLOCK_ROWS * wk->p);
	wk->block2 = l2_alloc(wk, sizeof(double) * L2_BLOCK_ROWS * wk->p);
	wk->hess = l2_alloc(wk, sizeof(double) * wk->p * wk->p);
	wk->hess2 = l2_alloc(wk, sizeof(double) * wk->p * wk->p);
	wk->hscratch = l2_alloc(wk, sizeof(double) * wk->p * wk->p);
	wk->hdamped = l2_alloc(wk, sizeof(double) * wk->p * wk->p);

	/* labels, row weights and class totals */
	row = 0;
	for (int k = 0; k < prob->nseg; k++)
	{
		const L2Segment *seg = &prob->seg[k];

		for (int64_t i = 0; i < seg->n; i++, row++)
		{
			double		r = row_weight(prob, seg, i, row);
			bool		pos = seg->y[i] != 0;

			if (!(r >= 0) || !isfinite(r))
				return L2_ERR_INVALID;
			wk->y[row] = pos ? 1.0 : -1.0;
			wk->s[row] = r;
			if (r > 0)
			{
				wk->rows_used++;
				wk->positives += pos;
				if (pos)
					wpos += r;
				else
					wneg += r;
			}
		}
	}
	if (wk->rows_used == 0)
		return L2_ERR_NO_ROWS;
	if (wpos == 0 || wneg == 0)
		return L2_ERR_ONE_CLASS;
	wk->wsum = wpos + wneg;

	/* class weights: balanced uses weighted class totals */
	switch (prob->class_weight_mode)
	{
		case L2_CLASS_WEIGHT_BALANCED:
			wk->cw_pos = wk->wsum / (2 * wpos);
			wk->cw_neg = wk->wsum / (2 * wneg);
			break;
		case L2_CLASS_WEIGHT_EXPLICIT:
			wk->cw_pos = prob->class_weight_pos;
			wk->cw_neg = prob->class_weight_neg;
			if (!(wk->cw_pos > 0) || !(wk->cw_neg > 0))
				return L2_ERR_INVALID;
			break;
		default:
			wk->cw_pos = wk->cw_neg = 1.0;
			break;
	}

	/* the objective and its derivatives must stay far from overflow */
	if (!(wpos * wk->cw_pos + wneg * wk->cw_neg <= L2_MAX_WEIGHT_TOTAL))
		return L2_ERR_RANGE;

	l2_parts_init(wk, prob->threads);
	choose_transform(wk);

	for (row = 0; row < wk->n; row++)
		wk->s[row] *= wk->y[row] > 0 ? wk->cw_pos : wk->cw_neg;
	return L2_OK;
}

/*
 * Write the internal coordinates of raw row x to out (p values).
 */
void
l2_transform_row(const L2Work *wk, const double *x, double *out)
{
	const double *restrict xr = x;
	const double *restrict m = wk->m;
	const double *restrict ic = wk->ic;
	double	   *restrict o = out;
	int			d = wk->d;

	if (wk->divide)
		for (int j = 0; j < d; j++)
			o[j] = wk->c[j] == 0.0 ? 0.0 : (xr[j] - m[j]) / wk->c[j];
	else
		for (int j = 0; j < d; j++)
			o[j] = (xr[j] - m[j]) * ic[j];
	if (wk->p > d)
		o[d] = 1.0;
}

/*
 * Write the internal coordinates of the given rows (global indices in
 * ascending order) to out, p values a row.
 */
void
l2_gather_rows(const L2Work *wk, const int64_t *rows, int k, double *out)
{
	int			seg = 0;
	int64_t		first = 0;

	for (int a = 0; a < k; a++)
	{
		while (rows[a] >= first + wk->prob->seg[seg].n)
			first += wk->prob->seg[seg++].n;
		l2_transform_row(wk, wk->prob->seg[seg].x + (rows[a] - first) * wk->stride * wk->d,
						 out + (size_t) a * wk->p);
	}
}

/*
 * Point it at the first row of part (see L2BlockIter).
 */
void
l2_iter_part(const L2Work *wk, L2BlockIter *it, L2Part *part)
{
	int64_t		row = part->begin;

	memset(it, 0, sizeof(*it));
	it->part = part;
	it->next = row;
	while (it->seg < wk->prob->nseg && row >= wk->prob->seg[it->seg].n)
		row -= wk->prob->seg[it->seg++].n;
	it->off = row;
}

/*
 * Load the next block of the part's transformed rows into part->block;
 * returns the number of rows (0 at the end, or when the part is told to
 * stop) and sets it->row0.
 */
int
l2_next_block(L2Work *wk, L2BlockIter *it)
{
	int64_t		end = it->part->end;
	double	   *block = it->part->block;
	const L2Segment *seg;
	int64_t		cnt;

	if (l2_part_stopped(wk, it->part))
		return 0;
	while (it->seg < wk->prob->nseg && it->off >= wk->prob->seg[it->seg].n)
	{
		it->seg++;
		it->off = 0;
	}
	if (it->seg >= wk->prob->nseg || it->next >= end)
		return 0;

	seg = &wk->prob->seg[it->seg];
	cnt = seg->n - it->off;
	cnt = cnt < L2_BLOCK_ROWS ? cnt : L2_BLOCK_ROWS;
	cnt = cnt < end - it->next ? cnt : end - it->next;
	for (int r = 0; r < cnt; r++)
	{
		const double *x = seg->x + (it->off + r) * wk->stride * wk->d;

		/* rows of a subsample are apart: fetch a few ahead */
		if (wk->stride > 1)
			for (int j = 0; j < wk->d; j += 8)
				__builtin_prefetch(x + L2_PREFETCH_ROWS * wk->stride * wk->d + j);
		l2_transform_row(wk, x, block + r * wk->p);
	}
	it->row0 = it->next;
	it->off += cnt;
	it->next += cnt;
	return (int) cnt;
}

/*
 * Loss of margin m = y z and its first two derivatives in m.  Logistic is
 * evaluated in the overflow-safe log1p form; the Huber hinge is 0 for
 * m >= 1, (1 - m)^2 / (2h) on (1 - h, 1) and 1 - m - h/2 below.
 */
void
l2_loss(L2SmoothLoss kind, double h, double m, double *val, double *d1, double *d2)
{
	double		t = 1.0 - m;
	double		e;

	switch (kind)
	{
		case L2_SMOOTH_LOGISTIC:
			e = exp(-fabs(m));
			*val = (m > 0 ? 0.0 : -m) + log1p(e);
			*d1 = m > 0 ? -e / (1.0 + e) : -1.0 / (1.0 + e);
			*d2 = e / ((1.0 + e) * (1.0 + e));
			break;
		case L2_SMOOTH_SQUARED_HINGE:
			*val = t > 0 ? t * t : 0.0;
			*d1 = t > 0 ? -2.0 * t : 0.0;
			*d2 = t > 0 ? 2.0 : 0.0;
			break;
		case L2_SMOOTH_HUBER_HINGE:
			if (t <= 0)
				*val = *d1 = *d2 = 0.0;
			else if (t < h)
			{
				*val = t * t / (2.0 * h);
				*d1 = -t / h;
				*d2 = 1.0 / h;
			}
			else
			{
				*val = t - h / 2.0;
				*d1 = -1.0;
				*d2 = 0.0;
			}
			break;
	}
}

/* Arguments of compute_z_part. */
typedef struct ZArgs
{
	const double *v;
	double	   *out;
} ZArgs;

/*
 * out = X' v over one part's rows.
 */
static void
compute_z_part(L2Work *wk, L2Part *part, void *arg)
{
	ZArgs	   *a = arg;
	L2BlockIter it;
	int			cnt;

	l2_iter_part(wk, &it, part);
	while ((cnt = l2_next_block(wk, &it)) > 0)
		cblas_dgemv(CblasRowMajor, CblasNoTrans, cnt, wk->p, 1.0, part->block, wk->p,
					a->v, 1, 0.0, a->out + it.row0, 1);
}

/*
 * out = X' v: decision values in internal coordinates for every row.
 */
void
l2_compute_z(L2Work *wk, const double *v, double *out)
{
	ZArgs		a = {v, out};

	l2_run_parts(wk, compute_z_part, &a);
}

/*
 * out += X'^T (a b) over the block of cnt rows loaded into part->block,
 * a and b pointing at the block's first row; part->r is the scratch.
 */
static void
xt_block(const L2Work *wk, L2Part *part, int cnt, const double *a, const double *b,
		 double *out)
{
	for (int i = 0; i < cnt; i++)
		part->r[i] = a[i] * b[i];
	cblas_dgemv(CblasRowMajor, CblasTrans, cnt, wk->p, 1.0, part->block, wk->p,
				part->r, 1, 1.0, out, 1);
}

/* Arguments of xt_times_part. */
typedef struct XtArgs
{
	const double *a;
	const double *b;
} XtArgs;

/*
 * part->g = X'^T (a b) over one part's rows.
 */
static void
xt_times_part(L2Work *wk, L2Part *part, void *arg)
{
	XtArgs	   *x = arg;
	L2BlockIter it;
	int			cnt;

	memset(part->g, 0, sizeof(double) * wk->p);
	part->sum = 0;
	l2_iter_part(wk, &it, part);
	while ((cnt = l2_next_block(wk, &it)) > 0)
		xt_block(wk, part, cnt, x->a + it.row0, x->b + it.row0, part->g);
}

/*
 * u = X'^T (a b) for per-row arrays a and b (p values).
 */
void
l2_xt_times(L2Work *wk, const double *a, const double *b, double *u)
{
	XtArgs		x = {a, b};

	wk->parts[0].g = u;
	l2_run_parts(wk, xt_times_part, &x);
	(void) l2_parts_sum(wk, wk->p, false);
}

/*
 * (1/2) sum_j pen_j v_j^2 over the feature weights.
 */
double
l2_penalty(const L2Work *wk, const double *v)
{
	double		sum = 0;

	for (int j = 0; j < wk->d; j++)
		sum += wk->pen[j] * v[j] * v[j];
	return 0.5 * sum;
}

/*
 * Objective value at decision values z and weights v.
 */
double
l2_smooth_value(const L2Work *wk, L2SmoothLoss kind, double h, const double *z,
				const double *v)
{
	double		sum = 0;

	for (int64_t i = 0; i < wk->n; i++)
	{
		double		val,
					d1,
					d2;

		if (wk->s[i] == 0)
			continue;
		l2_loss(kind, h, wk->y[i] * z[i], &val, &d1, &d2);
		sum += wk->s[i] * val;
	}
	return sum + l2_penalty(wk, v);
}

/* Arguments of pass_part. */
typedef struct PassArgs
{
	L2SmoothLoss kind;
	double		h;
	const double *dir;
	double	   *q;
	bool		hess;
	bool		sy;				/* also X'^T (s y) into each part's g2 */
} PassArgs;

/*
 * The row sums of l2_pass over one part: loss into part->sum, the loss
 * gradient into part->g and, when asked, the upper triangle of the loss
 * Hessian into part->H.
 */
static void
pass_part(L2Work *wk, L2Part *part, void *arg)
{
	PassArgs   *a = arg;
	L2BlockIter it;
	double	   *r = part->r;
	int			p = wk->p;
	int			cnt;

	memset(part->g, 0, sizeof(double) * p);
	if (a->hess)
		memset(part->H, 0, sizeof(double) * p * p);
	if (a->sy)
		memset(part->g2, 0, sizeof(double) * p);
	part->sum = 0;

	l2_iter_part(wk, &it, part);
	while ((cnt = l2_next_block(wk, &it)) > 0)
	{
		const double *s = wk->s + it.row0;
		const double *y = wk->y + it.row0;
		const double *z = wk->z + it.row0;
		double	   *qb = a->dir ? a->q + it.row0 : NULL;
		int			k = 0;

		if (a->dir)
			cblas_dgemv(CblasRowMajor, CblasNoTrans, cnt, p, 1.0, part->block, p,
						a->dir, 1, 0.0, qb, 1);
		for (int i = 0; i < cnt; i++)
		{
			double		val,
						d1,
						d2;

			r[i] = 0;
			if (s[i] == 0)
				continue;
			l2_loss(a->kind, a->h, y[i] * (a->dir ? z[i] + qb[i] : z[i]), &val, &d1, &d2);
			part->sum += s[i] * val;
			r[i] = s[i] * d1 * y[i];
			if (a->hess && d2 > 0)
			{
				double		sq = sqrt(s[i] * d2);
				const double *src = part->block + (size_t) i * p;
				double	   *dst = part->block2 + (size_t) k * p;

				for (int j = 0; j < p; j++)
					dst[j] = sq * src[j];
				k++;
			}
		}
		cblas_dgemv(CblasRowMajor, CblasTrans, cnt, p, 1.0, part->block, p, r, 1, 1.0,
					part->g, 1);
		if (a->sy)
			xt_block(wk, part, cnt, s, y, part->g2);
		if (a->hess && k > 0)
			cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, p, k, 1.0, part->block2, p,
						1.0, part->H, p);
	}
}

/*
 * One pass over the rows at decision values z + q, where q = X' dir is
 * computed on the way into q when dir is not NULL (else q = 0, and z alone
 * is used).  vt must be the point those decision values belong to.  Fills
 * the gradient g (p) and, unless H is NULL, the (generalized) Hessian H
 * (p x p, full symmetric) at vt, and returns the objective F(vt):
 *   F = sum_i s_i L(m_i) + (1/2) sum_j pen_j vt_j^2,   m_i = y_i (z_i + q_i),
 *   g = X'^T (s L'(m) y) + pen vt,   H = X'^T diag(s L''(m)) X' + diag(pen).
 * Fusing the decision values of a trial step with the derivatives there lets
 * a Newton step that is accepted in full cost one pass over the data.
 * (run_pass does the work for l2_pass and l2_start_pass.)
 */
static double
run_pass(L2Work *wk, const PassArgs *a, const double *vt, double *g, double *H)
{
	double		loss;
	int			p = wk->p;

	wk->parts[0].g = g;
	wk->parts[0].H = H;
	if (H)
		l2_parts_need_hess(wk);
	l2_run_parts(wk, pass_part, (void *) a);
	loss = l2_parts_sum(wk, p, H != NULL);
	if (a->sy)
		for (int k = 1; k < wk->nparts; k++)
			for (int j = 0; j < p; j++)
				wk->parts[0].g2[j] += wk->parts[k].g2[j];

	for (int j = 0; j < wk->d; j++)
		g[j] += wk->pen[j] * vt[j];
	if (H)
	{
		for (int i = 0; i < p; i++)
			for (int j = i + 1; j < p; j++)
				H[j * p + i] = H[i * p + j];
		for (int j = 0; j < wk->d; j++)
			H[j * p + j] += wk->pen[j];
	}
	return loss + l2_penalty(wk, vt);
}

double
l2_pass(L2Work *wk, L2SmoothLoss kind, double h, const double *vt, const double *dir,
		double *q, double *g, double *H)
{
	PassArgs	a = {kind, h, dir, q, H != NULL, false};

	return run_pass(wk, &a, vt, g, H);
}

/*
 * The first pass from a point v != 0: wk->z = X' v, and, as l2_pass, the
 * objective, gradient and Hessian there; also fills wk->sy (see
 * l2_gradient_norm_at_zero) when it is still missing.
 */
double
l2_start_pass(L2Work *wk, L2SmoothLoss kind, double h, const double *v, double *g, double *H)
{
	PassArgs	a = {kind, h, v, wk->q, H != NULL, wk->sy == NULL};
	double		f;

	memset(wk->z, 0, sizeof(double) * wk->n);
	if (a.sy)
		wk->parts[0].g2 = wk->sy = l2_alloc(wk, sizeof(double) * wk->p);
	f = run_pass(wk, &a, v, g, H);
	memcpy(wk->z, wk->q, sizeof(double) * wk->n);
	return f;
}

/*
 * Gradient g and, unless H is NULL, Hessian H at v, whose decision values
 * are wk->z (see l2_pass).
 */
void
l2_grad_hess(L2Work *wk, L2SmoothLoss kind, double h, const double *v, double *g, double *H)
{
	(void) l2_pass(wk, kind, h, v, NULL, NULL, g, H);
}

/*
 * ||g(0)||, the gradient norm at v = 0, where every margin is 0: g(0) =
 * L'(0) X'^T (s y).  The vector X'^T (s y) is computed once per problem.
 */
double
l2_gradient_norm_at_zero(L2Work *wk, L2SmoothLoss kind, double h)
{
	double		val,
				d1,
				d2;

	if (wk->sy == NULL)
	{
		wk->sy = l2_alloc(wk, sizeof(double) * wk->p);
		l2_xt_times(wk, wk->s, wk->y, wk->sy);
	}
	l2_loss(kind, h, 0.0, &val, &d1, &d2);
	return fabs(d1) * l2_norm(wk->sy, wk->p);
}

/*
 * Euclidean norm.
 */
double
l2_norm(const double *a, int n)
{
	return cblas_dnrm2(n, a, 1);
}

/*
 * Map internal weights v back to raw coefficients and intercept.
 */
void
l2_map_back(const L2Work *wk, const double *v, L2Fit *fit)
{
	double		b = wk->p > wk->d ? v[wk->d] : 0.0;

	for (int j = 0; j < wk->d; j++)
	{
		fit->coef[j] = wk->c[j] == 0.0 ? 0.0 : v[j] / wk->c[j];
		b -= fit->coef[j] * wk->m[j];
	}
	fit->intercept = b;

	if (wk->prob->standardize)
		for (int j = 0; j < wk->d; j++)
		{
			fit->means[j] = wk->m[j];
			fit->scales[j] = wk->c[j] == 0.0 ? 1.0 : wk->c[j];
		}
}

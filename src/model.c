/*
 * model.c
 *		The model codec: bytea layout, validation and ensemble construction.
 *
 * The layout is documented in src/MODEL_FORMAT.md.  Everything here is plain
 * C with no server calls, so the decoder, which reads bytes a user can hand
 * in, can be fuzzed on its own (test/fuzz_model.c).
 *
 * Decoding happens in two steps: a structural parse that checks every count
 * against the bytes present before allocating, and l2_model_check(), the
 * semantic check that also guards models built in memory (JSON input,
 * ensemble construction).  A value is accepted only if both pass, so
 * encode(decode(x)) reproduces x byte for byte (negative zeros aside, which
 * are read as positive zeros).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <zlib.h>

#include "model.h"

#define L2_HEADER_SIZE 20
static const uint8_t l2_magic[4] = {'L', '2', 'F', 'M'};

/*
 * Bytes of a linear payload besides the n-sized arrays: intercept, lambda,
 * four option bytes, class weights, tol, max_iter, training metadata and
 * calibration.
 */
#define L2_LINEAR_FIXED (8 + 8 + 4 + 8 + 8 + 8 + 4 + 8 + 8 + 8 + 4 + 8 + 8 + 1 + 1 + 8 + 8 + 4)

/* Bytes of an ensemble payload before the per-member arrays. */
#define L2_ENSEMBLE_FIXED 8

/* Byte-by-byte little-endian writer. */
typedef struct Writer
{
	uint8_t    *p;
	size_t		pos;
} Writer;

/* Bounds-checked little-endian reader. */
typedef struct Reader
{
	const uint8_t *p;
	size_t		len;
	size_t		pos;
} Reader;

static bool fail(char *errbuf, size_t errlen, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));

/* Write a formatted message into errbuf, if there is one. */
static bool
fail(char *errbuf, size_t errlen, const char *fmt,...)
{
	va_list		ap;

	if (errbuf != NULL && errlen > 0)
	{
		va_start(ap, fmt);
		vsnprintf(errbuf, errlen, fmt, ap);
		va_end(ap);
	}
	return false;
}

/* ---------------------------------------------------------------------
 * Primitive put/get helpers
 * --------------------------------------------------------------------- */

static void
put_u8(Writer *w, uint8_t v)
{
	w->p[w->pos++] = v;
}

static void
put_u16(Writer *w, uint16_t v)
{
	put_u8(w, (uint8_t) (v & 0xff));
	put_u8(w, (uint8_t) (v >> 8));
}

static void
put_u32(Writer *w, uint32_t v)
{
	int			i;

	for (i = 0; i < 4; i++)
		put_u8(w, (uint8_t) (v >> (8 * i)));
}

static void
put_u64(Writer *w, uint64_t v)
{
	int			i;

	for (i = 0; i < 8; i++)
		put_u8(w, (uint8_t) (v >> (8 * i)));
}

/* A double as its IEEE bit pattern; -0 is written as +0. */
static void
put_f64(Writer *w, double v)
{
	uint64_t	bits;

	if (v == 0.0)
		v = 0.0;
	memcpy(&bits, &v, sizeof(bits));
	put_u64(w, bits);
}

static void
put_f64s(Writer *w, const double *v, int32_t n)
{
	int32_t		i;

	for (i = 0; i < n; i++)
		put_f64(w, v[i]);
}

static bool
get_u8(Reader *r, uint8_t *v)
{
	if (r->len - r->pos < 1)
		return false;
	*v = r->p[r->pos++];
	return true;
}

static bool
get_u16(Reader *r, uint16_t *v)
{
	if (r->len - r->pos < 2)
		return false;
	*v = (uint16_t) (r->p[r->pos] | (r->p[r->pos + 1] << 8));
	r->pos += 2;
	return true;
}

static bool
get_u32(Reader *r, uint32_t *v)
{
	uint32_t	x = 0;
	int			i;

	if (r->len - r->pos < 4)
		return false;
	for (i = 0; i < 4; i++)
		x |= (uint32_t) r->p[r->pos + i] << (8 * i);
	r->pos += 4;
	*v = x;
	return true;
}

static bool
get_u64(Reader *r, uint64_t *v)
{
	uint64_t	x = 0;
	int			i;

	if (r->len - r->pos < 8)
		return false;
	for (i = 0; i < 8; i++)
		x |= (uint64_t) r->p[r->pos + i] << (8 * i);
	r->pos += 8;
	*v = x;
	return true;
}

static bool
get_i32(Reader *r, int32_t *v)
{
	uint32_t	u;

	if (!get_u32(r, &u))
		return false;
	memcpy(v, &u, sizeof(u));
	return true;
}

static bool
get_i64(Reader *r, int64_t *v)
{
	uint64_t	u;

	if (!get_u64(r, &u))
		return false;
	memcpy(v, &u, sizeof(u));
	return true;
}

/* A double from its bit pattern; -0 is read as +0.  Finiteness is checked later. */
static bool
get_f64(Reader *r, double *v)
{
	uint64_t	bits;

	if (!get_u64(r, &bits))
		return false;
	memcpy(v, &bits, sizeof(bits));
	if (*v == 0.0)
		*v = 0.0;
	return true;
}

static bool
get_f64s(Reader *r, double *v, int32_t n)
{
	int32_t		i;

	for (i = 0; i < n; i++)
		if (!get_f64(r, &v[i]))
			return false;
	return true;
}

/* A 0/1 byte as a bool; any other value fails. */
static bool
get_bool(Reader *r, bool *v)
{
	uint8_t		b;

	if (!get_u8(r, &b) || b > 1)
		return false;
	*v = (b == 1);
	return true;
}

/* ---------------------------------------------------------------------
 * Names of the enumerations, as model_info shows them
 * --------------------------------------------------------------------- */

const char *
l2_kind_name(L2ModelKind k)
{
	switch (k)
	{
		case L2_KIND_LOGISTIC:
			return "logistic";
		case L2_KIND_SVM:
			return "svm";
		case L2_KIND_ENSEMBLE:
			return "ensemble";
	}
	return "unknown";
}

const char *
l2_loss_name(L2Loss l)
{
	switch (l)
	{
		case L2_LOSS_LOGISTIC:
			return "logistic";
		case L2_LOSS_HINGE:
			return "hinge";
		case L2_LOSS_SQUARED_HINGE:
			return "squared_hinge";
	}
	return "unknown";
}

const char *
l2_class_weight_name(L2ClassWeightMode c)
{
	switch (c)
	{
		case L2_CLASS_WEIGHT_NONE:
			return "none";
		case L2_CLASS_WEIGHT_BALANCED:
			return "balanced";
		case L2_CLASS_WEIGHT_EXPLICIT:
			return "explicit";
	}
	return "unknown";
}

const char *
l2_voting_name(L2Voting v)
{
	switch (v)
	{
		case L2_VOTING_SOFT:
			return "soft";
		case L2_VOTING_HARD:
			return "hard";
		case L2_VOTING_STACKING:
			return "stacking";
	}
	return "unknown";
}

/* Parse a voting method name; false when unknown. */
bool
l2_voting_parse(const char *name, L2Voting *v)
{
	int			i;

	for (i = L2_VOTING_SOFT; i <= L2_VOTING_STACKING; i++)
	{
		if (strcmp(name, l2_voting_name((L2Voting) i)) == 0)
		{
			*v = (L2Voting) i;
			return true;
		}
	}
	return false;
}

const char *
l2_fit_method_name(L2FitMethod f)
{
	switch (f)
	{
		case L2_FIT_NONE:
			return "none";
		case L2_FIT_LOG_LOSS:
			return "log_loss";
		case L2_FIT_ACCURACY:
			return "accuracy";
		case L2_FIT_AUC:
			return "auc";
		case L2_FIT_STACKING:
			return "stacking";
	}
	return "unknown";
}

/* Parse a fit method name; false when unknown. */
bool
l2_fit_method_parse(const char *name, L2FitMethod *f)
{
	int			i;

	for (i = L2_FIT_NONE; i <= L2_FIT_STACKING; i++)
	{
		if (strcmp(name, l2_fit_method_name((L2FitMethod) i)) == 0)
		{
			*f = (L2FitMethod) i;
			return true;
		}
	}
	return false;
}

/* ---------------------------------------------------------------------
 * Validation
 * --------------------------------------------------------------------- */

/* Whether a model yields a probability (see MODEL_FORMAT.md). */
bool
l2_model_has_proba(const L2Model *m)
{
	if (m->kind == L2_KIND_SVM)
		return m->calibrated;
	return true;
}

/* First index of v[0..n) that is not finite, or -1. */
static int32_t
first_nonfinite(const double *v, int32_t n)
{
	int32_t		i;

	for (i = 0; i < n; i++)
		if (!isfinite(v[i]))
			return i;
	return -1;
}

/* Check the invariants of a linear model. */
static bool
check_linear(const L2Model *m, char *errbuf, size_t errlen)
{
	int32_t		bad;
	int32_t		i;

	if (m->coef == NULL)
		return fail(errbuf, errlen, "model has no coefficients");
	if (!isfinite(m->intercept))
		return fail(errbuf, errlen, "model intercept is not finite");
	if ((bad = first_nonfinite(m->coef, m->nfeatures)) >= 0)
		return fail(errbuf, errlen, "coefficients[%d] is not finite", (int) bad + 1);
	if (!isfinite(m->lambda) || m->lambda < 0)
		return fail(errbuf, errlen, "lambda must be finite and >= 0");

	if (m->kind == L2_KIND_LOGISTIC && m->loss != L2_LOSS_LOGISTIC)
		return fail(errbuf, errlen, "loss \"%s\" does not fit a logistic model",
					l2_loss_name(m->loss));
	if (m->kind == L2_KIND_SVM && m->loss != L2_LOSS_HINGE && m->loss != L2_LOSS_SQUARED_HINGE)
		return fail(errbuf, errlen, "loss \"%s\" does not fit an svm model",
					l2_loss_name(m->loss));

	if (m->standardized)
	{
		if (m->means == NULL || m->scales == NULL)
			return fail(errbuf, errlen, "standardized model has no means or scales");
		if ((bad = first_nonfinite(m->means, m->nfeatures)) >= 0)
			return fail(errbuf, errlen, "means[%d] is not finite", (int) bad + 1);
		for (i = 0; i < m->nfeatures; i++)
			if (!isfinite(m->scales[i]) || m->scales[i] <= 0)
				return fail(errbuf, errlen,
							"scales[%d] must be finite and > 0", (int) i + 1);
	}
	else if (m->means != NULL || m->scales != NULL)
		return fail(errbuf, errlen, "model that is not standardized has means or scales");

	if (m->class_weight_mode < L2_CLASS_WEIGHT_NONE ||
		m->class_weight_mode > L2_CLASS_WEIGHT_EXPLICIT)
		return fail(errbuf, errlen, "unknown class weight mode %d", (int) m->class_weight_mode);
	if (!isfinite(m->class_weight_pos) || m->class_weight_pos <= 0 ||
		!isfinite(m->class_weight_neg) || m->class_weight_neg <= 0)
		return fail(errbuf, errlen, "class_weight_pos and class_weight_neg must be finite and > 0");
	if (!isfinite(m->tol) || m->tol < 0)
		return fail(errbuf, errlen, "tol must be finite and >= 0");
	if (m->max_iter < 0)
		return fail(errbuf, errlen, "max_iter %d is negative", (int) m->max_iter);

	if (m->info.rows_used < 0 || m->info.rows_skipped < 0)
		return fail(errbuf, errlen, "rows_used and rows_skipped must be >= 0");
	if (m->info.positives < 0 || m->info.positives > m->info.rows_used)
		return fail(errbuf, errlen, "positives %lld is out of range 0 to rows_used %lld",
					(long long) m->info.positives, (long long) m->info.rows_used);
	if (m->info.iterations < 0)
		return fail(errbuf, errlen, "iterations %d is negative", (int) m->info.iterations);
	if (!isfinite(m->info.objective) || !isfinite(m->info.optimality))
		return fail(errbuf, errlen, "objective and optimality must be finite");

	if (m->calibrated && m->kind != L2_KIND_SVM)
		return fail(errbuf, errlen, "calibrated is true but only svm models carry a calibration");
	if (!isfinite(m->platt_a) || !isfinite(m->platt_b))
		return fail(errbuf, errlen, "platt_a and platt_b must be finite");

	/*
	 * A calibrated sigmoid must pass 0.5 at decision 0 and rise with the
	 * decision, so that its probability never contradicts the SVM's sign.
	 */
	if (m->calibrated && !(m->platt_a < 0))
		return fail(errbuf, errlen, "platt_a must be negative, not %g", m->platt_a);
	if (m->calibrated && m->platt_b != 0)
		return fail(errbuf, errlen, "platt_b must be 0, not %g", m->platt_b);
	if (m->calib_folds < 0)
		return fail(errbuf, errlen, "calibration folds %d is negative", (int) m->calib_folds);
	return true;
}

static bool check_model(const L2Model *m, int depth, char *errbuf, size_t errlen);

/* Check the invariants of an ensemble at nesting depth depth. */
static bool
check_ensemble(const L2Model *m, int depth, char *errbuf, size_t errlen)
{
	const L2Ensemble *e = m->ens;
	double		wsum = 0;
	int32_t		k;
	char		sub[256];

	if (e == NULL)
		return fail(errbuf, errlen, "ensemble has no members");
	if (depth >= L2_ENSEMBLE_MAX_DEPTH)
		return fail(errbuf, errlen, "ensembles nest deeper than %d levels", L2_ENSEMBLE_MAX_DEPTH);
	if (e->nmembers < 1 || e->nmembers > L2_ENSEMBLE_MAX_MEMBERS)
		return fail(errbuf, errlen, "ensemble member count %d is out of range 1 to %d",
					(int) e->nmembers, L2_ENSEMBLE_MAX_MEMBERS);
	if (e->members == NULL || e->weights == NULL)
		return fail(errbuf, errlen, "ensemble has no members");
	if (e->voting < L2_VOTING_SOFT || e->voting > L2_VOTING_STACKING)
		return fail(errbuf, errlen, "unknown voting code %d", (int) e->voting);
	if (e->fit_method < L2_FIT_NONE || e->fit_method > L2_FIT_STACKING)
		return fail(errbuf, errlen, "unknown fit method code %d", (int) e->fit_method);

	for (k = 0; k < e->nmembers; k++)
	{
		const L2Model *mk = e->members[k];

		if (mk == NULL)
			return fail(errbuf, errlen, "ensemble member %d is missing", (int) k + 1);
		if (mk->nfeatures != m->nfeatures)
			return fail(errbuf, errlen,
						"ensemble member %d has %d features, the ensemble has %d",
						(int) k + 1, (int) mk->nfeatures, (int) m->nfeatures);
		if (!check_model(mk, depth + 1, sub, sizeof(sub)))
			return fail(errbuf, errlen, "ensemble member %d: %s", (int) k + 1, sub);
		if (e->voting == L2_VOTING_SOFT && !l2_model_has_proba(mk))
			return fail(errbuf, errlen,
						"ensemble member %d has no probability calibration for a soft vote",
						(int) k + 1);
		if (!isfinite(e->weights[k]) || e->weights[k] < 0)
			return fail(errbuf, errlen, "ensemble weight %d must be finite and >= 0",
						(int) k + 1);
		wsum += e->weights[k];
	}
	if (!(wsum > 0) || !isfinite(wsum))
		return fail(errbuf, errlen, "ensemble weights must have a finite positive sum");

	if (e->voting == L2_VOTING_STACKING)
	{
		if (e->meta_coef == NULL)
			return fail(errbuf, errlen, "stacking ensemble has no meta-model");
		if (!isfinite(e->meta_intercept) || first_nonfinite(e->meta_coef, e->nmembers) >= 0)
			return fail(errbuf, errlen, "meta-model coefficients must be finite");
	}
	else if (e->meta_coef != NULL || e->meta_intercept != 0)
		return fail(errbuf, errlen, "only a stacking ensemble carries a meta-model");

	if (e->fit_method == L2_FIT_NONE)
	{
		if (e->member_scores != NULL || e->holdout_rows != 0)
			return fail(errbuf, errlen, "ensemble without a fit method has fit metadata");
	}
	else
	{
		if (e->member_scores == NULL)
			return fail(errbuf, errlen, "fitted ensemble has no member scores");
		if (e->holdout_rows < 0)
			return fail(errbuf, errlen, "ensemble held-out rows must be >= 0");
		if (first_nonfinite(e->member_scores, e->nmembers) >= 0)
			return fail(errbuf, errlen, "ensemble member scores must be finite");
	}
	return true;
}

/* Check any model at nesting depth depth. */
static bool
check_model(const L2Model *m, int depth, char *errbuf, size_t errlen)
{
	if (m->nfeatures < 1 || m->nfeatures > L2_MODEL_MAX_FEATURES)
		return fail(errbuf, errlen, "model feature count %d is out of range 1 to %d",
					(int) m->nfeatures, L2_MODEL_MAX_FEATURES);
	switch (m->kind)
	{
		case L2_KIND_LOGISTIC:
		case L2_KIND_SVM:
			if (m->ens != NULL)
				return fail(errbuf, errlen, "linear model has ensemble members");
			return check_linear(m, errbuf, errlen);
		case L2_KIND_ENSEMBLE:
			return check_ensemble(m, depth, errbuf, errlen);
	}
	return fail(errbuf, errlen, "unknown model kind %d", (int) m->kind);
}

/*
 * Check every invariant of the format on an in-memory model.  On failure,
 * errbuf says what is wrong.
 */
bool
l2_model_check(const L2Model *m, char *errbuf, size_t errlen)
{
	return check_model(m, 0, errbuf, errlen);
}

/*
 * Levels of ensembles in m: 0 for a linear model, 1 for an ensemble of
 * linear models, and so on.  At most L2_ENSEMBLE_MAX_DEPTH in a valid model.
 */
int
l2_model_nesting(const L2Model *m)
{
	int			deepest = 0;
	int32_t		k;

	if (m->kind != L2_KIND_ENSEMBLE)
		return 0;
	for (k = 0; k < m->ens->nmembers; k++)
	{
		int			d = l2_model_nesting(m->ens->members[k]);

		if (d > deepest)
			deepest = d;
	}
	return deepest + 1;
}

/* ---------------------------------------------------------------------
 * Construction
 * --------------------------------------------------------------------- */

/*
 * Set the options of a fresh linear model to neutral values: no
 * regularization recorded, an intercept, no standardization, unit class
 * weights, no calibration.  Coefficients and metadata are left alone.
 */
void
l2_model_set_defaults(L2Model *m, L2ModelKind kind)
{
	m->kind = kind;
	m->lambda = 0;
	m->loss = (kind == L2_KIND_SVM) ? L2_LOSS_SQUARED_HINGE : L2_LOSS_LOGISTIC;
	m->fit_intercept = true;
	m->standardized = false;
	m->means = NULL;
	m->scales = NULL;
	m->class_weight_mode = L2_CLASS_WEIGHT_NONE;
	m->class_weight_pos = 1.0;
	m->class_weight_neg = 1.0;
	m->tol = 0;
	m->max_iter = 0;
	m->calibrated = false;
	m->platt_a = 0;
	m->platt_b = 0;
	m->calib_folds = 0;
	m->ens = NULL;
}

/* Copy n doubles into fresh memory from alloc, or NULL when src is NULL. */
static double *
copy_doubles(const double *src, int32_t n, L2Alloc alloc, void *ctx)
{
	double	   *d;

	if (src == NULL)
		return NULL;
	d = alloc(sizeof(double) * (size_t) n, ctx);
	memcpy(d, src, sizeof(double) * (size_t) n);
	return d;
}

/*
 * Build an ensemble model from decoded members.
 *
 * members: nmembers models, referenced (not copied): keep them alive as long
 *		as the ensemble.  Their feature counts must agree.
 * weights: one per member, or NULL for equal weights.
 * voting: soft, hard or stacking; stacking needs meta_coef (one per member)
 *		and meta_intercept, the others take NULL and 0.
 * fit_method: L2_FIT_NONE for a hand-built ensemble (holdout_rows 0,
 *		member_scores NULL), else the held-out rows and one score per member.
 *
 * Returns NULL with errbuf set when the arguments violate the format.
 */
L2Model *
l2_ensemble_build(int32_t nmembers, L2Model *const *members, const double *weights,
				  L2Voting voting, const double *meta_coef, double meta_intercept,
				  L2FitMethod fit_method, int64_t holdout_rows, const double *member_scores,
				  L2Alloc alloc, void *ctx, char *errbuf, size_t errlen)
{
	L2Model    *m;
	L2Ensemble *e;
	int32_t		k;

	if (nmembers < 1 || nmembers > L2_ENSEMBLE_MAX_MEMBERS)
	{
		fail(errbuf, errlen, "an ensemble needs 1 to %d members, not %d",
			 L2_ENSEMBLE_MAX_MEMBERS, (int) nmembers);
		return NULL;
	}

	m = alloc(sizeof(L2Model), ctx);
	e = alloc(sizeof(L2Ensemble), ctx);
	m->kind = L2_KIND_ENSEMBLE;
	m->nfeatures = members[0] ? members[0]->nfeatures : 0;
	m->ens = e;

	e->nmembers = nmembers;
	e->members = alloc(sizeof(L2Model *) * (size_t) nmembers, ctx);
	memcpy(e->members, members, sizeof(L2Model *) * (size_t) nmembers);
	e->weights = alloc(sizeof(double) * (size_t) nmembers, ctx);
	for (k = 0; k < nmembers; k++)
		e->weights[k] = weights ? weights[k] : 1.0;
	e->voting = voting;
	e->meta_coef = copy_doubles(meta_coef, nmembers, alloc, ctx);
	e->meta_intercept = meta_intercept;
	e->fit_method = fit_method;
	e->holdout_rows = holdout_rows;
	e->member_scores = copy_doubles(member_scores, nmembers, alloc, ctx);

	if (!l2_model_check(m, errbuf, errlen))
		return NULL;
	return m;
}

/* ---------------------------------------------------------------------
 * Encoding
 * --------------------------------------------------------------------- */

/* Payload bytes of a model (without its header). */
static size_t
payload_size(const L2Model *m)
{
	size_t		n = (size_t) m->nfeatures;
	size_t		size;
	int32_t		k;

	if (m->kind != L2_KIND_ENSEMBLE)
		return L2_LINEAR_FIXED + 8 * n * (m->standardized ? 3 : 1);

	size = L2_ENSEMBLE_FIXED + 8 * (size_t) m->ens->nmembers;
	if (m->ens->voting == L2_VOTING_STACKING)
		size += 8 + 8 * (size_t) m->ens->nmembers;
	if (m->ens->fit_method != L2_FIT_NONE)
		size += 8 + 8 * (size_t) m->ens->nmembers;
	for (k = 0; k < m->ens->nmembers; k++)
		size += l2_model_encoded_size(m->ens->members[k]);
	return size;
}

/* Bytes l2_model_encode writes for a valid model. */
size_t
l2_model_encoded_size(const L2Model *m)
{
	return L2_HEADER_SIZE + payload_size(m);
}

/* Write the payload of a linear model. */
static void
encode_linear(const L2Model *m, Writer *w)
{
	put_f64(w, m->intercept);
	put_f64s(w, m->coef, m->nfeatures);
	put_f64(w, m->lambda);
	put_u8(w, (uint8_t) m->loss);
	put_u8(w, m->fit_intercept ? 1 : 0);
	put_u8(w, m->standardized ? 1 : 0);
	put_u8(w, (uint8_t) m->class_weight_mode);
	if (m->standardized)
	{
		put_f64s(w, m->means, m->nfeatures);
		put_f64s(w, m->scales, m->nfeatures);
	}
	put_f64(w, m->class_weight_pos);
	put_f64(w, m->class_weight_neg);
	put_f64(w, m->tol);
	put_u32(w, (uint32_t) m->max_iter);

	put_u64(w, (uint64_t) m->info.rows_used);
	put_u64(w, (uint64_t) m->info.rows_skipped);
	put_u64(w, (uint64_t) m->info.positives);
	put_u32(w, (uint32_t) m->info.iterations);
	put_f64(w, m->info.objective);
	put_f64(w, m->info.optimality);
	put_u8(w, m->info.converged ? 1 : 0);

	put_u8(w, m->calibrated ? 1 : 0);
	put_f64(w, m->platt_a);
	put_f64(w, m->platt_b);
	put_u32(w, (uint32_t) m->calib_folds);
}

static void encode_model(const L2Model *m, Writer *w);

/* Write the payload of an ensemble, members last. */
static void
encode_ensemble(const L2Model *m, Writer *w)
{
	const L2Ensemble *e = m->ens;
	int32_t		k;

	put_u32(w, (uint32_t) e->nmembers);
	put_u8(w, (uint8_t) e->voting);
	put_u8(w, (uint8_t) e->fit_method);
	put_u16(w, 0);
	put_f64s(w, e->weights, e->nmembers);
	if (e->voting == L2_VOTING_STACKING)
	{
		put_f64(w, e->meta_intercept);
		put_f64s(w, e->meta_coef, e->nmembers);
	}
	if (e->fit_method != L2_FIT_NONE)
	{
		put_u64(w, (uint64_t) e->holdout_rows);
		put_f64s(w, e->member_scores, e->nmembers);
	}
	for (k = 0; k < e->nmembers; k++)
		encode_model(e->members[k], w);
}

/* Write header and payload, then fill in the payload's checksum. */
static void
encode_model(const L2Model *m, Writer *w)
{
	size_t		start = w->pos;
	size_t		plen = payload_size(m);
	uLong		crc;
	Writer		hw;

	w->pos += L2_HEADER_SIZE;
	if (m->kind == L2_KIND_ENSEMBLE)
		encode_ensemble(m, w);
	else
		encode_linear(m, w);

	crc = crc32(0L, Z_NULL, 0);
	crc = crc32(crc, w->p + start + L2_HEADER_SIZE, (uInt) plen);

	hw.p = w->p + start;
	hw.pos = 0;
	memcpy(hw.p, l2_magic, 4);
	hw.pos = 4;
	put_u16(&hw, L2_MODEL_FORMAT_VERSION);
	put_u8(&hw, (uint8_t) m->kind);
	put_u8(&hw, 0);
	put_u32(&hw, (uint32_t) m->nfeatures);
	put_u32(&hw, (uint32_t) plen);
	put_u32(&hw, (uint32_t) crc);
}

/*
 * Encode a valid model (l2_model_check passes) into out, which holds
 * l2_model_encoded_size(m) bytes.
 */
void
l2_model_encode(const L2Model *m, uint8_t *out)
{
	Writer		w;

	w.p = out;
	w.pos = 0;
	encode_model(m, &w);
}

/* ---------------------------------------------------------------------
 * Decoding
 * --------------------------------------------------------------------- */

typedef struct DecodeState
{
	L2Alloc		alloc;
	void	   *ctx;
	char	   *errbuf;
	size_t		errlen;
	L2DecodeError errclass;
} DecodeState;

static bool decode_model(DecodeState *st, Reader *r, int depth, L2Model **out);

/* Read n doubles into fresh memory; the caller checked the bytes are there. */
static double *
read_doubles(DecodeState *st, Reader *r, int32_t n)
{
	double	   *v = st->alloc(sizeof(double) * (size_t) n, st->ctx);

	if (!get_f64s(r, v, n))
		return NULL;
	return v;
}

/* Parse a linear payload of exactly plen bytes into m. */
static bool
decode_linear(DecodeState *st, Reader *r, size_t plen, L2Model *m)
{
	size_t		n = (size_t) m->nfeatures;
	uint8_t		loss;
	uint8_t		cwmode;
	int32_t		max_iter;

	/* The payload has one of two exact sizes; check before allocating. */
	if (plen != L2_LINEAR_FIXED + 8 * n && plen != L2_LINEAR_FIXED + 24 * n)
		return fail(st->errbuf, st->errlen,
					"model claims %zu features but its payload holds %zu bytes", n, plen);

	if (!get_f64(r, &m->intercept) ||
		(m->coef = read_doubles(st, r, m->nfeatures)) == NULL ||
		!get_f64(r, &m->lambda) ||
		!get_u8(r, &loss) ||
		!get_bool(r, &m->fit_intercept) ||
		!get_bool(r, &m->standardized) ||
		!get_u8(r, &cwmode))
		return fail(st->errbuf, st->errlen, "model options are malformed");
	if (loss < L2_LOSS_LOGISTIC || loss > L2_LOSS_SQUARED_HINGE)
		return fail(st->errbuf, st->errlen, "unknown loss code %d", (int) loss);
	if (cwmode > L2_CLASS_WEIGHT_EXPLICIT)
		return fail(st->errbuf, st->errlen, "unknown class weight mode %d", (int) cwmode);
	m->loss = (L2Loss) loss;
	m->class_weight_mode = (L2ClassWeightMode) cwmode;

	if (m->standardized != (plen == L2_LINEAR_FIXED + 24 * n))
		return fail(st->errbuf, st->errlen,
					"model payload size does not match its standardization flag");
	if (m->standardized)
	{
		m->means = read_doubles(st, r, m->nfeatures);
		m->scales = read_doubles(st, r, m->nfeatures);
		if (m->means == NULL || m->scales == NULL)
			return fail(st->errbuf, st->errlen, "model standardization is truncated");
	}

	if (!get_f64(r, &m->class_weight_pos) ||
		!get_f64(r, &m->class_weight_neg) ||
		!get_f64(r, &m->tol) ||
		!get_i32(r, &max_iter) ||
		!get_i64(r, &m->info.rows_used) ||
		!get_i64(r, &m->info.rows_skipped) ||
		!get_i64(r, &m->info.positives) ||
		!get_i32(r, &m->info.iterations) ||
		!get_f64(r, &m->info.objective) ||
		!get_f64(r, &m->info.optimality) ||
		!get_bool(r, &m->info.converged) ||
		!get_bool(r, &m->calibrated) ||
		!get_f64(r, &m->platt_a) ||
		!get_f64(r, &m->platt_b) ||
		!get_i32(r, &m->calib_folds))
		return fail(st->errbuf, st->errlen, "model metadata is malformed");
	m->max_iter = max_iter;
	return true;
}

/* Parse an ensemble payload of plen bytes into m; members recurse. */
static bool
decode_ensemble(DecodeState *st, Reader *r, size_t plen, int depth, L2Model *m)
{
	L2Ensemble *e;
	uint32_t	count;
	uint8_t		voting;
	uint8_t		fit;
	uint16_t	reserved;
	size_t		per_member;
	int32_t		k;
	char		sub[256];

	if (depth >= L2_ENSEMBLE_MAX_DEPTH)
		return fail(st->errbuf, st->errlen, "ensembles nest deeper than %d levels",
					L2_ENSEMBLE_MAX_DEPTH);
	if (!get_u32(r, &count) || !get_u8(r, &voting) || !get_u8(r, &fit) ||
		!get_u16(r, &reserved))
		return fail(st->errbuf, st->errlen, "ensemble header is truncated");
	if (count < 1 || count > L2_ENSEMBLE_MAX_MEMBERS)
		return fail(st->errbuf, st->errlen, "ensemble member count %u is out of range 1 to %d",
					(unsigned) count, L2_ENSEMBLE_MAX_MEMBERS);
	if (voting < L2_VOTING_SOFT || voting > L2_VOTING_STACKING)
		return fail(st->errbuf, st->errlen, "unknown voting code %d", (int) voting);
	if (fit > L2_FIT_STACKING)
		return fail(st->errbuf, st->errlen, "unknown fit method code %d", (int) fit);
	if (reserved != 0)
		return fail(st->errbuf, st->errlen, "ensemble reserved bytes are not zero");

	/* Every member needs its arrays and at least a header: check first. */
	per_member = 8 + L2_HEADER_SIZE;
	if (voting == L2_VOTING_STACKING)
		per_member += 8;
	if (fit != L2_FIT_NONE)
		per_member += 8;
	if ((size_t) count * per_member > plen - L2_ENSEMBLE_FIXED)
		return fail(st->errbuf, st->errlen,
					"ensemble claims %u members but its payload holds %zu bytes",
					(unsigned) count, plen);

	e = st->alloc(sizeof(L2Ensemble), st->ctx);
	m->ens = e;
	e->nmembers = (int32_t) count;
	e->voting = (L2Voting) voting;
	e->fit_method = (L2FitMethod) fit;
	e->weights = read_doubles(st, r, e->nmembers);
	if (e->weights == NULL)
		return fail(st->errbuf, st->errlen, "ensemble weights are truncated");
	if (voting == L2_VOTING_STACKING)
	{
		if (!get_f64(r, &e->meta_intercept) ||
			(e->meta_coef = read_doubles(st, r, e->nmembers)) == NULL)
			return fail(st->errbuf, st->errlen, "ensemble meta-model is truncated");
	}
	if (fit != L2_FIT_NONE)
	{
		if (!get_i64(r, &e->holdout_rows) ||
			(e->member_scores = read_doubles(st, r, e->nmembers)) == NULL)
			return fail(st->errbuf, st->errlen, "ensemble fit metadata is truncated");
	}

	e->members = st->alloc(sizeof(L2Model *) * (size_t) count, st->ctx);
	for (k = 0; k < e->nmembers; k++)
	{
		DecodeState sub_st = *st;

		sub_st.errbuf = sub;
		sub_st.errlen = sizeof(sub);
		if (!decode_model(&sub_st, r, depth + 1, &e->members[k]))
		{
			st->errclass = sub_st.errclass;
			return fail(st->errbuf, st->errlen, "ensemble member %d: %s", (int) k + 1, sub);
		}
	}
	return true;
}

/*
 * Parse one complete model (header and payload) at r's position; r advances
 * past it.  Structural checks only; the caller runs the semantic ones.
 */
static bool
decode_model(DecodeState *st, Reader *r, int depth, L2Model **out)
{
	uint8_t		magic[4] = {0};
	uint16_t	version = 0;
	uint8_t		kind = 0;
	uint8_t		flags = 0;
	int32_t		nfeatures = 0;
	uint32_t	plen = 0;
	uint32_t	stored_crc = 0;
	uLong		crc;
	size_t		avail;
	Reader		pr;
	L2Model    *m;
	int			i;

	avail = r->len - r->pos;
	if (avail < L2_HEADER_SIZE)
		return fail(st->errbuf, st->errlen,
					"model is too short: %zu bytes, a model has at least %d", avail,
					L2_HEADER_SIZE);
	for (i = 0; i < 4; i++)
		get_u8(r, &magic[i]);
	if (memcmp(magic, l2_magic, 4) != 0)
		return fail(st->errbuf, st->errlen, "value does not start with the l2fuse model tag");
	get_u16(r, &version);
	if (version > L2_MODEL_FORMAT_VERSION)
	{
		st->errclass = L2_DECODE_NEWER_VERSION;
		return fail(st->errbuf, st->errlen,
					"model format version %u is newer than the newest this library reads (%d)",
					(unsigned) version, L2_MODEL_FORMAT_VERSION);
	}
	if (version < 1)
		return fail(st->errbuf, st->errlen, "model format version %u is invalid",
					(unsigned) version);
	get_u8(r, &kind);
	get_u8(r, &flags);
	get_i32(r, &nfeatures);
	get_u32(r, &plen);
	get_u32(r, &stored_crc);
	if (kind < L2_KIND_LOGISTIC || kind > L2_KIND_ENSEMBLE)
		return fail(st->errbuf, st->errlen, "unknown model kind %d", (int) kind);
	if (flags != 0)
		return fail(st->errbuf, st->errlen, "model header flags 0x%02x are not zero",
					(unsigned) flags);
	if (nfeatures < 1 || nfeatures > L2_MODEL_MAX_FEATURES)
		return fail(st->errbuf, st->errlen, "model feature count %d is out of range 1 to %d",
					(int) nfeatures, L2_MODEL_MAX_FEATURES);
	avail = r->len - r->pos;
	if (plen > avail)
		return fail(st->errbuf, st->errlen,
					"model payload is truncated: %u bytes announced, %zu present",
					(unsigned) plen, avail);
	if (kind != L2_KIND_ENSEMBLE && (size_t) nfeatures * 8 > plen)
		return fail(st->errbuf, st->errlen,
					"model claims %d features but its payload holds %u bytes",
					(int) nfeatures, (unsigned) plen);
	if (kind == L2_KIND_ENSEMBLE && plen < L2_ENSEMBLE_FIXED)
		return fail(st->errbuf, st->errlen, "ensemble payload is truncated");

	crc = crc32(0L, Z_NULL, 0);
	crc = crc32(crc, r->p + r->pos, (uInt) plen);
	if ((uint32_t) crc != stored_crc)
		return fail(st->errbuf, st->errlen,
					"model checksum mismatch: stored %08x, computed %08x",
					(unsigned) stored_crc, (unsigned) crc);

	/* Parse the payload through a reader that ends where the payload ends. */
	pr.p = r->p + r->pos;
	pr.len = plen;
	pr.pos = 0;
	r->pos += plen;

	m = st->alloc(sizeof(L2Model), st->ctx);
	m->kind = (L2ModelKind) kind;
	m->nfeatures = nfeatures;
	*out = m;
	if (kind == L2_KIND_ENSEMBLE)
	{
		if (!decode_ensemble(st, &pr, plen, depth, m))
			return false;
	}
	else if (!decode_linear(st, &pr, plen, m))
		return false;
	if (pr.pos != pr.len)
		return fail(st->errbuf, st->errlen, "model payload has %zu unread bytes",
					pr.len - pr.pos);
	return true;
}

/*
 * Decode and validate a model.  Memory comes from alloc(size, ctx), which
 * returns zeroed memory; nothing is freed on failure (use an arena).
 * On failure returns false, with a message in errbuf and the error class in
 * *errclass (if not NULL).  Never reads outside buf[0..len).
 */
bool
l2_model_decode_ex(const uint8_t *buf, size_t len, L2Alloc alloc, void *ctx,
				   L2Model **out, char *errbuf, size_t errlen, L2DecodeError *errclass)
{
	DecodeState st;
	Reader		r;
	L2Model    *m = NULL;
	bool		ok;

	st.alloc = alloc;
	st.ctx = ctx;
	st.errbuf = errbuf;
	st.errlen = errlen;
	st.errclass = L2_DECODE_OK;
	r.p = buf;
	r.len = len;
	r.pos = 0;

	ok = decode_model(&st, &r, 0, &m);
	if (ok && r.pos != len)
		ok = fail(errbuf, errlen, "model is followed by %zu trailing bytes", len - r.pos);
	if (ok)
		ok = l2_model_check(m, errbuf, errlen);
	if (!ok && st.errclass == L2_DECODE_OK)
		st.errclass = L2_DECODE_CORRUPT;
	if (errclass)
		*errclass = ok ? L2_DECODE_OK : st.errclass;
	*out = ok ? m : NULL;
	return ok;
}

/* l2_model_decode_ex without the error class. */
bool
l2_model_decode(const uint8_t *buf, size_t len, L2Alloc alloc, void *ctx,
				L2Model **out, char *errbuf, size_t errlen)
{
	return l2_model_decode_ex(buf, len, alloc, ctx, out, errbuf, errlen, NULL);
}

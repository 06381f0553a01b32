/*
 * fuzz_model.c
 *		libFuzzer harness for the model decoder (src/model.c) and scoring.
 *
 * For every input x, and for x with its top-level payload length and
 * checksum made consistent (so that mutations reach the payload parser):
 *	- decoding must not crash, leak or read out of bounds;
 *	- when it succeeds, e1 = encode(decode(x)) must decode again and
 *	  re-encode to exactly e1, and e1 must be as long as x (it equals x
 *	  except where x holds a negative zero, read as positive zero);
 *	- scoring a row must give no NaN, a probability in [0, 1], and
 *	  predict = (probability >= 0.5).
 *
 * Built with -DL2_FUZZ_WRITE_SEEDS instead, it is a plain program that writes
 * a few valid models into the directory named by its argument.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "model.h"

/* Every block handed to the codec during one input, freed together. */
typedef struct Arena
{
	void	  **blocks;
	size_t		n;
	size_t		cap;
} Arena;

/* Zeroed memory recorded in the arena; aborts when out of memory. */
static void *
arena_alloc(size_t size, void *ctx)
{
	Arena	   *a = ctx;
	void	   *p = calloc(1, size ? size : 1);

	if (p == NULL)
		abort();
	if (a->n == a->cap)
	{
		a->cap = a->cap ? 2 * a->cap : 64;
		a->blocks = realloc(a->blocks, a->cap * sizeof(void *));
		if (a->blocks == NULL)
			abort();
	}
	a->blocks[a->n++] = p;
	return p;
}

static void
arena_free(Arena *a)
{
	size_t		i;

	for (i = 0; i < a->n; i++)
		free(a->blocks[i]);
	free(a->blocks);
	memset(a, 0, sizeof(*a));
}

/* Stop with a message: libFuzzer reports the abort as a crash. */
static void
die(const char *what)
{
	fprintf(stderr, "fuzz_model: %s\n", what);
	abort();
}

/* Encode m into fresh memory; *len gets its size. */
static uint8_t *
encode(const L2Model *m, size_t *len)
{
	uint8_t    *buf;

	*len = l2_model_encoded_size(m);
	buf = malloc(*len);
	if (buf == NULL)
		abort();
	l2_model_encode(m, buf);
	return buf;
}

#ifndef L2_FUZZ_WRITE_SEEDS

/* Score one row derived from the input bytes and check the invariants. */
static void
check_scores(const L2Model *m, const uint8_t *data, size_t size)
{
	double	   *x;
	double		d;
	int32_t		i;

	if (m->nfeatures > 4096)
		return;
	x = malloc(sizeof(double) * (size_t) m->nfeatures);
	if (x == NULL)
		abort();
	for (i = 0; i < m->nfeatures; i++)
	{
		uint8_t		b = size ? data[(size_t) i % size] : 0;

		x[i] = (b - 128) * ((b & 1) ? 1e306 : 0.25);
	}

	d = l2_model_decision(m, x);
	if (isnan(d))
		die("NaN decision");
	if (m->kind == L2_KIND_ENSEMBLE && !isfinite(d))
		die("ensemble decision not finite");
	if (l2_model_has_proba(m))
	{
		double		p = l2_model_proba(m, x);

		if (!(p >= 0 && p <= 1))
			die("probability outside [0, 1]");
		if (l2_model_predict(m, x) != (p >= 0.5))
			die("predict disagrees with predict_proba");
	}
	else if (l2_model_predict(m, x) != (d >= 0))
		die("predict disagrees with the decision");
	free(x);
}

/* Decode x; on success check round trips and scoring. */
static void
check_one(const uint8_t *data, size_t size)
{
	Arena		a1 = {0};
	Arena		a2 = {0};
	L2Model    *m;
	L2Model    *m2;
	uint8_t    *e1;
	uint8_t    *e2;
	size_t		n1;
	size_t		n2;
	char		err[512];

	if (!l2_model_decode(data, size, arena_alloc, &a1, &m, err, sizeof(err)))
	{
		if (err[0] == '\0')
			die("decode failed without a message");
		arena_free(&a1);
		return;
	}
	if (!l2_model_check(m, err, sizeof(err)))
		die("decoded model fails its own check");

	e1 = encode(m, &n1);
	if (!l2_model_decode(e1, n1, arena_alloc, &a2, &m2, err, sizeof(err)))
		die("re-encoded model does not decode");
	e2 = encode(m2, &n2);
	if (n1 != n2 || memcmp(e1, e2, n1) != 0)
		die("encode(decode(encode(decode(x)))) differs from encode(decode(x))");
	if (n1 != size)
		die("re-encoded model has a different length");

	check_scores(m, data, size);
	free(e1);
	free(e2);
	arena_free(&a1);
	arena_free(&a2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t    *fixed;
	uLong		crc;
	size_t		plen;
	int			i;

	check_one(data, size);

	/* The same bytes with a consistent top-level length and checksum. */
	if (size < 20 || size - 20 > 0xffffffffu)
		return 0;
	fixed = malloc(size);
	if (fixed == NULL)
		abort();
	memcpy(fixed, data, size);
	plen = size - 20;
	crc = crc32(crc32(0L, Z_NULL, 0), fixed + 20, (uInt) plen);
	for (i = 0; i < 4; i++)
	{
		fixed[12 + i] = (uint8_t) (plen >> (8 * i));
		fixed[16 + i] = (uint8_t) (crc >> (8 * i));
	}
	check_one(fixed, size);
	free(fixed);
	return 0;
}

#else							/* L2_FUZZ_WRITE_SEEDS */

/* A linear model with n features and simple values. */
static L2Model *
linear(Arena *a, L2ModelKind kind, int32_t n, bool standardized, bool calibrated)
{
	L2Model    *m = arena_alloc(sizeof(L2Model), a);
	int32_t		i;

	l2_model_set_defaults(m, kind);
	m->nfeatures = n;
	m->intercept = 0.5;
	m->coef = arena_alloc(sizeof(double) * n, a);
	for (i = 0; i < n; i++)
		m->coef[i] = (i % 2 ? -1.0 : 1.0) * (i + 1) / 4.0;
	if (standardized)
	{
		m->standardized = true;
		m->means = arena_alloc(sizeof(double) * n, a);
		m->scales = arena_alloc(sizeof(double) * n, a);
		for (i = 0; i < n; i++)
		{
			m->means[i] = i;
			m->scales[i] = 1.0 + i;
		}
	}
	m->lambda = 0.1;
	m->tol = 1e-6;
	m->max_iter = 100;
	m->info.rows_used = 1000;
	m->info.positives = 400;
	m->info.iterations = 9;
	m->info.objective = 12.5;
	m->info.optimality = 1e-7;
	m->info.converged = true;
	if (calibrated)
	{
		m->calibrated = true;
		m->platt_a = -1.5;
		m->calib_folds = 5;
	}
	return m;
}

/* Write one encoded model to dir/name. */
static void
write_seed(const char *dir, const char *name, const L2Model *m)
{
	char		path[4096];
	char		err[256];
	size_t		len;
	uint8_t    *buf;
	FILE	   *f;

	if (!l2_model_check(m, err, sizeof(err)))
	{
		fprintf(stderr, "seed %s invalid: %s\n", name, err);
		exit(1);
	}
	buf = encode(m, &len);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(buf, 1, len, f) != len || fclose(f) != 0)
	{
		perror(path);
		exit(1);
	}
	free(buf);
}

int
main(int argc, char **argv)
{
	Arena		a = {0};
	L2Model    *lr,
			   *svm,
			   *svm_cal,
			   *soft,
			   *hard,
			   *stack;
	L2Model    *members[3];
	double		weights[3] = {3, 1, 0.5};
	double		meta[2] = {1.5, -0.5};
	double		scores[2] = {0.61, 0.72};
	char		err[256];

	if (argc != 2)
	{
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 1;
	}
	lr = linear(&a, L2_KIND_LOGISTIC, 3, false, false);
	svm = linear(&a, L2_KIND_SVM, 3, true, false);
	svm_cal = linear(&a, L2_KIND_SVM, 3, true, true);

	members[0] = lr;
	members[1] = svm_cal;
	soft = l2_ensemble_build(2, members, weights, L2_VOTING_SOFT, NULL, 0, L2_FIT_NONE, 0,
							 NULL, arena_alloc, &a, err, sizeof(err));
	members[2] = svm;
	members[1] = soft;
	hard = l2_ensemble_build(3, members, weights, L2_VOTING_HARD, NULL, 0, L2_FIT_NONE, 0,
							 NULL, arena_alloc, &a, err, sizeof(err));
	members[0] = hard;
	members[1] = svm;
	stack = l2_ensemble_build(2, members, NULL, L2_VOTING_STACKING, meta, 0.25,
							  L2_FIT_STACKING, 300, scores, arena_alloc, &a, err, sizeof(err));
	if (soft == NULL || hard == NULL || stack == NULL)
	{
		fprintf(stderr, "seed ensemble invalid: %s\n", err);
		return 1;
	}

	write_seed(argv[1], "logistic", lr);
	write_seed(argv[1], "svm", svm);
	write_seed(argv[1], "svm_calibrated", svm_cal);
	write_seed(argv[1], "soft", soft);
	write_seed(argv[1], "hard_nested", hard);
	write_seed(argv[1], "stacking", stack);
	arena_free(&a);
	return 0;
}

#endif							/* L2_FUZZ_WRITE_SEEDS */

/*
 * train_options.c
 *		Parse the jsonb options object of the training aggregates.
 *
 * Keys (all optional):
 *   lambda             number > 0, default 1
 *   fit_intercept      boolean, default true
 *   standardize        boolean, default false
 *   class_weight       "balanced" or {"true": w1, "false": w0} with w > 0
 *   max_iter           integer 1..1000000, default 1000
 *   tol                number in (0, 1); default 1e-10 (relative gradient norm),
 *                      1e-9 for the hinge loss (relative duality gap)
 *   verbose            boolean, default false
 * linear_svm only:
 *   loss               "hinge" (default) or "squared_hinge"
 *   calibration        boolean, default true
 *   calibration_folds  integer 2..100, default 5
 * Anything else, a wrong type or an out-of-range value is an error that
 * names the key.
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "train.h"

#define VALID_OPTIONS "lambda, fit_intercept, standardize, class_weight, max_iter, tol, " \
	"verbose, and for linear_svm loss, calibration and calibration_folds"

/*
 * Fill opt with the defaults for kind.
 */
void
train_options_defaults(TrainOptions *opt, L2ModelKind kind)
{
	memset(opt, 0, sizeof(*opt));
	opt->kind = kind;
	opt->lambda = L2_DEFAULT_LAMBDA;
	opt->fit_intercept = true;
	opt->standardize = false;
	opt->class_weight_mode = L2_CLASS_WEIGHT_NONE;
	opt->class_weight_pos = 1.0;
	opt->class_weight_neg = 1.0;
	opt->max_iter = L2_DEFAULT_MAX_ITER;
	opt->tol = kind == L2_KIND_SVM ? L2_DEFAULT_TOL_GAP : L2_DEFAULT_TOL;	/* hinge */
	opt->verbose = false;
	opt->loss = kind == L2_KIND_SVM ? L2_LOSS_HINGE : L2_LOSS_LOGISTIC;
	opt->calibration = kind == L2_KIND_SVM;
	opt->calibration_folds = L2_DEFAULT_FOLDS;
}

/*
 * Error for a bad option value; detail says what the key accepts.
 */
static void
BadOption(const char *key, const char *expected)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid value for training option \"%s\"", key),
			 errdetail("Option \"%s\" must be %s.", key, expected)));
}

/*
 * A jsonb number as float8; infinite when out of float8 range.
 */
static double
OptionNumber(const char *key, const JsonbValue *v, const char *expected)
{
	if (v->type != jbvNumeric)
		BadOption(key, expected);
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
											  NumericGetDatum(v->val.numeric)));
}

/*
 * A jsonb boolean.
 */
static bool
OptionBool(const char *key, const JsonbValue *v)
{
	if (v->type != jbvBool)
		BadOption(key, "a boolean");
	return v->val.boolean;
}

/*
 * A jsonb integer within [lo, hi].
 */
static int32
OptionInt(const char *key, const JsonbValue *v, int32 lo, int32 hi, const char *expected)
{
	double		x = OptionNumber(key, v, expected);

	if (!(x >= lo && x <= hi) || x != floor(x))
		BadOption(key, expected);
	return (int32) x;
}

/*
 * A positive finite class weight inside the class_weight object.
 */
static double
ClassWeightValue(const JsonbValue *v)
{
	const char *expected = "\"balanced\" or an object {\"true\": w1, \"false\": w0} "
		"of positive numbers";
	double		x = OptionNumber("class_weight", v, expected);

	if (!(x > 0) || !isfinite(x))
		BadOption("class_weight", expected);
	return x;
}

/*
 * class_weight: "balanced" or {"true": w1, "false": w0}.
 */
static void
ParseClassWeight(TrainOptions *opt, const JsonbValue *v)
{
	const char *expected = "\"balanced\" or an object {\"true\": w1, \"false\": w0} "
		"of positive numbers";
	JsonbIterator *it;
	JsonbValue	kv;
	JsonbIteratorToken tok;

	if (v->type == jbvString)
	{
		if (v->val.string.len != 8 || strncmp(v->val.string.val, "balanced", 8) != 0)
			BadOption("class_weight", expected);
		opt->class_weight_mode = L2_CLASS_WEIGHT_BALANCED;
		return;
	}
	if (v->type != jbvBinary || !JsonContainerIsObject(v->val.binary.data))
		BadOption("class_weight", expected);

	opt->class_weight_mode = L2_CLASS_WEIGHT_EXPLICIT;
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &kv, true)) != WJB_DONE)
	{
		char	   *key;

		if (tok != WJB_KEY)
			continue;
		key = pnstrdup(kv.val.string.val, kv.val.string.len);
		tok = JsonbIteratorNext(&it, &kv, true);
		if (strcmp(key, "true") == 0)
			opt->class_weight_pos = ClassWeightValue(&kv);
		else if (strcmp(key, "false") == 0)
			opt->class_weight_neg = ClassWeightValue(&kv);
		else
			BadOption("class_weight", expected);
	}
}

/*
 * Reject a key that only linear_svm accepts.
 */
static void
CheckSvmOnly(const TrainOptions *opt, const char *key)
{
	if (opt->kind != L2_KIND_SVM)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("training option \"%s\" applies only to linear_svm", key)));
}

/*
 * Apply one key and its value.
 */
static void
ApplyOption(TrainOptions *opt, const char *key, const JsonbValue *v)
{
	if (strcmp(key, "lambda") == 0)
	{
		opt->lambda = OptionNumber(key, v, "a number greater than 0");
		if (!(opt->lambda > 0) || !isfinite(opt->lambda))
			BadOption(key, "a number greater than 0");
	}
	else if (strcmp(key, "fit_intercept") == 0)
		opt->fit_intercept = OptionBool(key, v);
	else if (strcmp(key, "standardize") == 0)
		opt->standardize = OptionBool(key, v);
	else if (strcmp(key, "class_weight") == 0)
		ParseClassWeight(opt, v);
	else if (strcmp(key, "max_iter") == 0)
		opt->max_iter = OptionInt(key, v, 1, 1000000, "an integer from 1 to 1000000");
	else if (strcmp(key, "tol") == 0)
	{
		opt->tol = OptionNumber(key, v, "a number between 0 and 1");
		if (!(opt->tol > 0 && opt->tol < 1))
			BadOption(key, "a number between 0 and 1");
	}
	else if (strcmp(key, "verbose") == 0)
		opt->verbose = OptionBool(key, v);
	else if (strcmp(key, "loss") == 0)
	{
		CheckSvmOnly(opt, key);
		if (v->type == jbvString && v->val.string.len == 5 &&
			strncmp(v->val.string.val, "hinge", 5) == 0)
			opt->loss = L2_LOSS_HINGE;
		else if (v->type == jbvString && v->val.string.len == 13 &&
				 strncmp(v->val.string.val, "squared_hinge", 13) == 0)
			opt->loss = L2_LOSS_SQUARED_HINGE;
		else
			BadOption(key, "\"hinge\" or \"squared_hinge\"");
	}
	else if (strcmp(key, "calibration") == 0)
	{
		CheckSvmOnly(opt, key);
		opt->calibration = OptionBool(key, v);
	}
	else if (strcmp(key, "calibration_folds") == 0)
	{
		CheckSvmOnly(opt, key);
		opt->calibration_folds = OptionInt(key, v, 2, L2_MAX_FOLDS,
										   "an integer from 2 to 100");
	}
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unrecognized training option \"%s\"", key),
				 errhint("Valid options are " VALID_OPTIONS ".")));
}

/*
 * Parse options (NULL means all defaults) for a model of the given kind.
 */
void
train_options_parse(TrainOptions *opt, L2ModelKind kind, Jsonb *options)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;

	bool		tol_given = false;

	train_options_defaults(opt, kind);
	if (options == NULL)
		return;
	if (!JB_ROOT_IS_OBJECT(options))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("training options must be a jsonb object"),
				 errhint("Pass options like '{\"lambda\": 0.1}'.")));

	it = JsonbIteratorInit(&options->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		char	   *key;

		if (tok != WJB_KEY)
			continue;
		key = pnstrdup(v.val.string.val, v.val.string.len);
		tok = JsonbIteratorNext(&it, &v, true);
		ApplyOption(opt, key, &v);
		tol_given = tol_given || strcmp(key, "tol") == 0;
	}
	/* the default follows the loss, which may come after it in the object */
	if (!tol_given)
		opt->tol = opt->loss == L2_LOSS_HINGE ? L2_DEFAULT_TOL_GAP : L2_DEFAULT_TOL;
}

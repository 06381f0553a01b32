/*
 * model_json.c
 *		Model introspection and JSON interchange: model_info, coefficients,
 *		intercept, model_from_json.
 *
 * model_info writes every field of the format, floats in their shortest
 * round-trip form, so model_from_json(model_info(m)) = m byte for byte.
 * model_from_json also takes a minimal object ({"kind", "coefficients",
 * "intercept"}); fields left out take the defaults of l2_model_set_defaults.
 */
#include "postgres.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "catalog/pg_type.h"
#include "common/shortest_dec.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "model_glue.h"

/* ---------------------------------------------------------------------
 * Writing JSON
 * --------------------------------------------------------------------- */

/* Append a double in its shortest form that reads back exactly. */
static void
AppendDouble(StringInfo s, double v)
{
	char		buf[DOUBLE_SHORTEST_DECIMAL_LEN];

	if (v == 0)
		v = 0;					/* no negative zero in JSON numbers */
	double_to_shortest_decimal_buf(v, buf);
	appendStringInfoString(s, buf);
}

/* Append a JSON array of n doubles, or null when v is NULL. */
static void
AppendDoubles(StringInfo s, const double *v, int32 n)
{
	int32		i;

	if (v == NULL)
	{
		appendStringInfoString(s, "null");
		return;
	}
	appendStringInfoChar(s, '[');
	for (i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoString(s, ", ");
		AppendDouble(s, v[i]);
	}
	appendStringInfoChar(s, ']');
}

static void AppendModel(StringInfo s, const L2Model *m);

/* The fields of a linear model after kind and nfeatures. */
static void
AppendLinear(StringInfo s, const L2Model *m)
{
	appendStringInfoString(s, ", \"intercept\": ");
	AppendDouble(s, m->intercept);
	appendStringInfoString(s, ", \"coefficients\": ");
	AppendDoubles(s, m->coef, m->nfeatures);

	appendStringInfoString(s, ", \"options\": {\"lambda\": ");
	AppendDouble(s, m->lambda);
	appendStringInfo(s, ", \"loss\": \"%s\", \"fit_intercept\": %s, \"standardized\": %s",
					 l2_loss_name(m->loss), m->fit_intercept ? "true" : "false",
					 m->standardized ? "true" : "false");
	appendStringInfoString(s, ", \"means\": ");
	AppendDoubles(s, m->means, m->nfeatures);
	appendStringInfoString(s, ", \"scales\": ");
	AppendDoubles(s, m->scales, m->nfeatures);
	appendStringInfo(s, ", \"class_weight\": \"%s\", \"class_weight_pos\": ",
					 l2_class_weight_name(m->class_weight_mode));
	AppendDouble(s, m->class_weight_pos);
	appendStringInfoString(s, ", \"class_weight_neg\": ");
	AppendDouble(s, m->class_weight_neg);
	appendStringInfoString(s, ", \"tol\": ");
	AppendDouble(s, m->tol);
	appendStringInfo(s, ", \"max_iter\": %d}", m->max_iter);

	appendStringInfo(s, ", \"training\": {\"rows_used\": " INT64_FORMAT
					 ", \"rows_skipped\": " INT64_FORMAT ", \"positives\": " INT64_FORMAT
					 ", \"iterations\": %d, \"objective\": ",
					 (int64) m->info.rows_used, (int64) m->info.rows_skipped,
					 (int64) m->info.positives, m->info.iterations);
	AppendDouble(s, m->info.objective);
	appendStringInfoString(s, ", \"optimality\": ");
	AppendDouble(s, m->info.optimality);
	appendStringInfo(s, ", \"converged\": %s}", m->info.converged ? "true" : "false");

	appendStringInfo(s, ", \"calibration\": {\"calibrated\": %s, \"platt_a\": ",
					 m->calibrated ? "true" : "false");
	AppendDouble(s, m->platt_a);
	appendStringInfoString(s, ", \"platt_b\": ");
	AppendDouble(s, m->platt_b);
	appendStringInfo(s, ", \"folds\": %d}", m->calib_folds);
}

/* The fields of an ensemble after kind and nfeatures. */
static void
AppendEnsemble(StringInfo s, const L2Model *m)
{
	const L2Ensemble *e = m->ens;
	int32		k;

	appendStringInfo(s, ", \"voting\": \"%s\", \"weights\": ", l2_voting_name(e->voting));
	AppendDoubles(s, e->weights, e->nmembers);

	appendStringInfoString(s, ", \"meta\": ");
	if (e->voting == L2_VOTING_STACKING)
	{
		appendStringInfoString(s, "{\"intercept\": ");
		AppendDouble(s, e->meta_intercept);
		appendStringInfoString(s, ", \"coefficients\": ");
		AppendDoubles(s, e->meta_coef, e->nmembers);
		appendStringInfoChar(s, '}');
	}
	else
		appendStringInfoString(s, "null");

	appendStringInfoString(s, ", \"fit\": ");
	if (e->fit_method != L2_FIT_NONE)
	{
		appendStringInfo(s, "{\"method\": \"%s\", \"holdout_rows\": " INT64_FORMAT
						 ", \"member_scores\": ",
						 l2_fit_method_name(e->fit_method), (int64) e->holdout_rows);
		AppendDoubles(s, e->member_scores, e->nmembers);
		appendStringInfoChar(s, '}');
	}
	else
		appendStringInfoString(s, "null");

	appendStringInfoString(s, ", \"members\": [");
	for (k = 0; k < e->nmembers; k++)
	{
		if (k > 0)
			appendStringInfoString(s, ", ");
		AppendModel(s, e->members[k]);
	}
	appendStringInfoChar(s, ']');
}

/* Append the JSON object describing model m. */
static void
AppendModel(StringInfo s, const L2Model *m)
{
	appendStringInfo(s, "{\"format_version\": %d, \"kind\": \"%s\", \"nfeatures\": %d",
					 L2_MODEL_FORMAT_VERSION, l2_kind_name(m->kind), m->nfeatures);
	if (m->kind == L2_KIND_ENSEMBLE)
		AppendEnsemble(s, m);
	else
		AppendLinear(s, m);
	appendStringInfoChar(s, '}');
}

/* model_info(model): everything the model holds, as jsonb. */
PG_FUNCTION_INFO_V1(l2fuse_model_info);
Datum
l2fuse_model_info(PG_FUNCTION_ARGS)
{
	L2Model    *m = l2_model_from_bytea(PG_GETARG_BYTEA_PP(0));
	StringInfoData s;

	initStringInfo(&s);
	AppendModel(&s, m);
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(s.data));
}

/* ERROR unless m is a linear model; what names the caller. */
static void
CheckLinear(const L2Model *m, const char *what)
{
	if (m->kind == L2_KIND_ENSEMBLE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("an ensemble has no %s of its own", what),
				 errhint("Use l2fuse.model_info to see the %s of each member.", what)));
}

/* coefficients(model): the coefficient vector on the raw feature scale. */
PG_FUNCTION_INFO_V1(l2fuse_coefficients);
Datum
l2fuse_coefficients(PG_FUNCTION_ARGS)
{
	L2Model    *m = l2_model_from_bytea(PG_GETARG_BYTEA_PP(0));
	Datum	   *d;
	int32		i;

	CheckLinear(m, "coefficients");
	d = palloc(sizeof(Datum) * m->nfeatures);
	for (i = 0; i < m->nfeatures; i++)
		d[i] = Float8GetDatum(m->coef[i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(d, m->nfeatures, FLOAT8OID, sizeof(float8),
										  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/* intercept(model): the intercept on the raw feature scale. */
PG_FUNCTION_INFO_V1(l2fuse_intercept);
Datum
l2fuse_intercept(PG_FUNCTION_ARGS)
{
	L2Model    *m = l2_model_from_bytea(PG_GETARG_BYTEA_PP(0));

	CheckLinear(m, "intercept");
	PG_RETURN_FLOAT8(m->intercept);
}

/* ---------------------------------------------------------------------
 * Reading JSON
 * --------------------------------------------------------------------- */

/* ERROR naming a field of the model JSON; path is like "members[2].options". */
static void
FieldError(const char *path, const char *key, const char *problem)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid model JSON: field \"%s%s%s\" %s",
					path, path[0] ? "." : "", key, problem)));
}

/* The value under key in object c, or NULL when absent or JSON null. */
static JsonbValue *
GetKey(JsonbContainer *c, const char *key)
{
	JsonbValue *v = getKeyJsonValueFromContainer(c, key, strlen(key), NULL);

	if (v != NULL && v->type == jbvNull)
		return NULL;
	return v;
}

/* ERROR unless every key of object c is one of the NULL-terminated allowed. */
static void
CheckKeys(JsonbContainer *c, const char *path, const char *const *allowed)
{
	JsonbIterator *it = JsonbIteratorInit(c);
	JsonbValue	v;
	JsonbIteratorToken tok;

	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		const char *const *a;
		char	   *key;

		if (tok != WJB_KEY)
			continue;
		key = pnstrdup(v.val.string.val, v.val.string.len);
		for (a = allowed; *a; a++)
			if (strcmp(*a, key) == 0)
				break;
		if (*a == NULL)
			FieldError(path, key, "is not a model field");
	}
}

/* The object under key (a container), or NULL when absent. */
static JsonbContainer *
GetObject(JsonbContainer *c, const char *path, const char *key)
{
	JsonbValue *v = GetKey(c, key);

	if (v == NULL)
		return NULL;
	if (v->type != jbvBinary || !JsonContainerIsObject(v->val.binary.data))
		FieldError(path, key, "must be an object");
	return v->val.binary.data;
}

/* The array under key (a container), or NULL when absent. */
static JsonbContainer *
GetArray(JsonbContainer *c, const char *path, const char *key)
{
	JsonbValue *v = GetKey(c, key);

	if (v == NULL)
		return NULL;
	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
		FieldError(path, key, "must be an array");
	return v->val.binary.data;
}

/* The text of a JSON number, as numeric_out writes it (never an exponent). */
static char *
NumberText(JsonbValue *v)
{
	return DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v->val.numeric)));
}

/* A JSON number as a finite double; strtod rounds exactly. */
static double
ToDouble(JsonbValue *v, const char *path, const char *key)
{
	char	   *text;
	char	   *end;
	double		d;

	if (v->type != jbvNumeric)
		FieldError(path, key, "must be a number");
	text = NumberText(v);
	errno = 0;
	d = strtod(text, &end);
	if (*end != '\0' || !isfinite(d))
		FieldError(path, key, "must be a finite float8");
	return d;
}

/* A JSON number as an integer in [lo, hi]. */
static int64
ToInteger(JsonbValue *v, const char *path, const char *key, int64 lo, int64 hi)
{
	char	   *text;
	char	   *end;
	long long	i;

	if (v->type != jbvNumeric)
		FieldError(path, key, "must be an integer");
	text = NumberText(v);
	errno = 0;
	i = strtoll(text, &end, 10);
	if (*end == '.')
		while (*++end == '0');
	if (*end != '\0' || errno == ERANGE || i < lo || i > hi)
		FieldError(path, key, "must be an integer in range");
	return (int64) i;
}

/* The double under key, or dflt when absent. */
static double
GetDouble(JsonbContainer *c, const char *path, const char *key, double dflt)
{
	JsonbValue *v = GetKey(c, key);

	return v ? ToDouble(v, path, key) : dflt;
}

/* The integer under key within [lo, hi], or dflt when absent. */
static int64
GetInteger(JsonbContainer *c, const char *path, const char *key, int64 lo, int64 hi,
		   int64 dflt)
{
	JsonbValue *v = GetKey(c, key);

	return v ? ToInteger(v, path, key, lo, hi) : dflt;
}

/* The boolean under key, or dflt when absent. */
static bool
GetBool(JsonbContainer *c, const char *path, const char *key, bool dflt)
{
	JsonbValue *v = GetKey(c, key);

	if (v == NULL)
		return dflt;
	if (v->type != jbvBool)
		FieldError(path, key, "must be a boolean");
	return v->val.boolean;
}

/* The string under key (palloc'd), or NULL when absent. */
static char *
GetString(JsonbContainer *c, const char *path, const char *key)
{
	JsonbValue *v = GetKey(c, key);

	if (v == NULL)
		return NULL;
	if (v->type != jbvString)
		FieldError(path, key, "must be a string");
	return pnstrdup(v->val.string.val, v->val.string.len);
}

/*
 * The array of numbers under key as doubles, or NULL when absent.  *n gets
 * its length; when expect >= 0 the length must be expect.
 */
static double *
GetDoubles(JsonbContainer *c, const char *path, const char *key, int32 expect, int32 *n)
{
	JsonbContainer *a = GetArray(c, path, key);
	uint32		len;
	uint32		i;
	double	   *v;

	if (a == NULL)
		return NULL;
	len = JsonContainerSize(a);
	if (len < 1 || len > L2_MODEL_MAX_FEATURES)
		FieldError(path, key, "must have 1 to 100000000 elements");
	if (expect >= 0 && len != (uint32) expect)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid model JSON: field \"%s%s%s\" has %u elements, expected %d",
						path, path[0] ? "." : "", key, len, expect)));
	v = palloc(sizeof(double) * len);
	for (i = 0; i < len; i++)
	{
		JsonbValue *e = getIthJsonbValueFromContainer(a, i);

		v[i] = ToDouble(e, path, key);
	}
	if (n)
		*n = (int32) len;
	return v;
}

/* A path with key appended. */
static char *
SubPath(const char *path, const char *key)
{
	return path[0] ? psprintf("%s.%s", path, key) : pstrdup(key);
}

static L2Model *ModelFromJson(JsonbContainer *c, const char *path, int depth);

/* Fill the options of linear model m from object o. */
static void
OptionsFromJson(JsonbContainer *o, const char *path, L2Model *m)
{
	static const char *const keys[] = {"lambda", "loss", "fit_intercept", "standardized",
		"means", "scales", "class_weight", "class_weight_pos", "class_weight_neg", "tol",
	"max_iter", NULL};
	char	   *loss;
	char	   *cw;

	CheckKeys(o, path, keys);
	m->lambda = GetDouble(o, path, "lambda", m->lambda);
	loss = GetString(o, path, "loss");
	if (loss != NULL)
	{
		if (strcmp(loss, "logistic") == 0)
			m->loss = L2_LOSS_LOGISTIC;
		else if (strcmp(loss, "hinge") == 0)
			m->loss = L2_LOSS_HINGE;
		else if (strcmp(loss, "squared_hinge") == 0)
			m->loss = L2_LOSS_SQUARED_HINGE;
		else
			FieldError(path, "loss", "must be \"logistic\", \"hinge\" or \"squared_hinge\"");
	}
	m->fit_intercept = GetBool(o, path, "fit_intercept", m->fit_intercept);
	m->means = GetDoubles(o, path, "means", m->nfeatures, NULL);
	m->scales = GetDoubles(o, path, "scales", m->nfeatures, NULL);
	m->standardized = GetBool(o, path, "standardized", m->means != NULL || m->scales != NULL);
	if (m->standardized && (m->means == NULL || m->scales == NULL))
		FieldError(path, m->means ? "scales" : "means", "is required when standardized");
	if (!m->standardized && (m->means != NULL || m->scales != NULL))
		FieldError(path, m->means ? "means" : "scales", "must be null when not standardized");

	cw = GetString(o, path, "class_weight");
	if (cw != NULL)
	{
		if (strcmp(cw, "none") == 0)
			m->class_weight_mode = L2_CLASS_WEIGHT_NONE;
		else if (strcmp(cw, "balanced") == 0)
			m->class_weight_mode = L2_CLASS_WEIGHT_BALANCED;
		else if (strcmp(cw, "explicit") == 0)
			m->class_weight_mode = L2_CLASS_WEIGHT_EXPLICIT;
		else
			FieldError(path, "class_weight", "must be \"none\", \"balanced\" or \"explicit\"");
	}
	m->class_weight_pos = GetDouble(o, path, "class_weight_pos", m->class_weight_pos);
	m->class_weight_neg = GetDouble(o, path, "class_weight_neg", m->class_weight_neg);
	m->tol = GetDouble(o, path, "tol", m->tol);
	m->max_iter = (int32) GetInteger(o, path, "max_iter", 0, PG_INT32_MAX, m->max_iter);
}

/* Fill the training metadata of m from object o. */
static void
TrainingFromJson(JsonbContainer *o, const char *path, L2Model *m)
{
	static const char *const keys[] = {"rows_used", "rows_skipped", "positives",
	"iterations", "objective", "optimality", "converged", NULL};

	CheckKeys(o, path, keys);
	m->info.rows_used = GetInteger(o, path, "rows_used", 0, PG_INT64_MAX, 0);
	m->info.rows_skipped = GetInteger(o, path, "rows_skipped", 0, PG_INT64_MAX, 0);
	m->info.positives = GetInteger(o, path, "positives", 0, PG_INT64_MAX, 0);
	m->info.iterations = (int32) GetInteger(o, path, "iterations", 0, PG_INT32_MAX, 0);
	m->info.objective = GetDouble(o, path, "objective", 0);
	m->info.optimality = GetDouble(o, path, "optimality", 0);
	m->info.converged = GetBool(o, path, "converged", false);
}

/* Fill the SVM calibration of m from object o: calibrated when Platt a is given. */
static void
CalibrationFromJson(JsonbContainer *o, const char *path, L2Model *m)
{
	static const char *const keys[] = {"calibrated", "platt_a", "platt_b", "folds", NULL};

	CheckKeys(o, path, keys);
	m->platt_a = GetDouble(o, path, "platt_a", 0);
	m->platt_b = GetDouble(o, path, "platt_b", 0);
	m->calibrated = GetBool(o, path, "calibrated", GetKey(o, "platt_a") != NULL);
	m->calib_folds = (int32) GetInteger(o, path, "folds", 0, PG_INT32_MAX, 0);
}

/* A linear model of kind from object c. */
static L2Model *
LinearFromJson(JsonbContainer *c, const char *path, L2ModelKind kind)
{
	static const char *const keys[] = {"format_version", "kind", "nfeatures", "intercept",
	"coefficients", "options", "training", "calibration", NULL};
	L2Model    *m = palloc0(sizeof(L2Model));
	JsonbContainer *o;
	int32		n;

	CheckKeys(c, path, keys);
	l2_model_set_defaults(m, kind);
	m->coef = GetDoubles(c, path, "coefficients", -1, &n);
	if (m->coef == NULL)
		FieldError(path, "coefficients", "is required");
	m->nfeatures = n;
	m->intercept = GetDouble(c, path, "intercept", 0);

	if ((o = GetObject(c, path, "options")) != NULL)
		OptionsFromJson(o, SubPath(path, "options"), m);
	if ((o = GetObject(c, path, "training")) != NULL)
		TrainingFromJson(o, SubPath(path, "training"), m);
	if ((o = GetObject(c, path, "calibration")) != NULL)
		CalibrationFromJson(o, SubPath(path, "calibration"), m);
	return m;
}

/* An ensemble from object c at nesting depth depth. */
static L2Model *
EnsembleFromJson(JsonbContainer *c, const char *path, int depth)
{
	static const char *const keys[] = {"format_version", "kind", "nfeatures", "voting",
	"weights", "meta", "fit", "members", NULL};
	static const char *const meta_keys[] = {"intercept", "coefficients", NULL};
	static const char *const fit_keys[] = {"method", "holdout_rows", "member_scores", NULL};
	JsonbContainer *a = GetArray(c, path, "members");
	JsonbContainer *o;
	L2Model   **members;
	double	   *weights;
	double	   *meta_coef = NULL;
	double		meta_intercept = 0;
	double	   *scores = NULL;
	int64		holdout = 0;
	L2FitMethod fit = L2_FIT_NONE;
	L2Voting	voting = L2_VOTING_SOFT;
	char	   *s;
	uint32		n;
	uint32		k;
	L2Model    *m;
	char		err[512];

	CheckKeys(c, path, keys);
	if (depth >= L2_ENSEMBLE_MAX_DEPTH)
		FieldError(path, "members", "nests ensembles deeper than 8 levels");
	if (a == NULL)
		FieldError(path, "members", "is required");
	n = JsonContainerSize(a);
	if (n < 1 || n > L2_ENSEMBLE_MAX_MEMBERS)
		FieldError(path, "members", "must have 1 to 1024 elements");

	members = palloc(sizeof(L2Model *) * n);
	for (k = 0; k < n; k++)
	{
		JsonbValue *v = getIthJsonbValueFromContainer(a, k);
		char	   *sub = psprintf("%s%smembers[%u]", path, path[0] ? "." : "", k + 1);

		if (v->type != jbvBinary || !JsonContainerIsObject(v->val.binary.data))
			FieldError(path, "members", "must hold model objects");
		members[k] = ModelFromJson(v->val.binary.data, sub, depth + 1);
	}

	weights = GetDoubles(c, path, "weights", (int32) n, NULL);
	if ((s = GetString(c, path, "voting")) != NULL && !l2_voting_parse(s, &voting))
		FieldError(path, "voting", "must be \"soft\", \"hard\" or \"stacking\"");
	if ((o = GetObject(c, path, "meta")) != NULL)
	{
		char	   *sub = SubPath(path, "meta");

		CheckKeys(o, sub, meta_keys);
		meta_intercept = GetDouble(o, sub, "intercept", 0);
		meta_coef = GetDoubles(o, sub, "coefficients", (int32) n, NULL);
		if (meta_coef == NULL)
			FieldError(sub, "coefficients", "is required");
	}
	if (voting == L2_VOTING_STACKING && meta_coef == NULL)
		FieldError(path, "meta", "is required for stacking");
	if (voting != L2_VOTING_STACKING && o != NULL)
		FieldError(path, "meta", "must be null unless voting is stacking");
	if ((o = GetObject(c, path, "fit")) != NULL)
	{
		char	   *sub = SubPath(path, "fit");

		CheckKeys(o, sub, fit_keys);
		s = GetString(o, sub, "method");
		if (s == NULL || !l2_fit_method_parse(s, &fit) || fit == L2_FIT_NONE)
			FieldError(sub, "method",
					   "must be \"log_loss\", \"accuracy\", \"auc\" or \"stacking\"");
		holdout = GetInteger(o, sub, "holdout_rows", 0, PG_INT64_MAX, 0);
		scores = GetDoubles(o, sub, "member_scores", (int32) n, NULL);
		if (scores == NULL)
			FieldError(sub, "member_scores", "is required");
	}

	m = l2_ensemble_build((int32) n, members, weights, voting, meta_coef, meta_intercept,
						  fit, holdout, scores, l2_palloc, CurrentMemoryContext,
						  err, sizeof(err));
	if (m == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid model JSON%s%s: %s", path[0] ? " at " : "", path, err)));
	return m;
}

/* Any model from object c; path names it in errors. */
static L2Model *
ModelFromJson(JsonbContainer *c, const char *path, int depth)
{
	char	   *kind = GetString(c, path, "kind");
	JsonbValue *v;
	L2Model    *m;

	check_stack_depth();
	v = GetKey(c, "format_version");
	if (v != NULL)
		ToInteger(v, path, "format_version", 1, L2_MODEL_FORMAT_VERSION);

	if (kind == NULL)
		FieldError(path, "kind", "is required");
	if (strcmp(kind, "logistic") == 0)
		m = LinearFromJson(c, path, L2_KIND_LOGISTIC);
	else if (strcmp(kind, "svm") == 0)
		m = LinearFromJson(c, path, L2_KIND_SVM);
	else if (strcmp(kind, "ensemble") == 0)
		m = EnsembleFromJson(c, path, depth);
	else
	{
		FieldError(path, "kind", "must be \"logistic\", \"svm\" or \"ensemble\"");
		return NULL;			/* not reached */
	}

	v = GetKey(c, "nfeatures");
	if (v != NULL && ToInteger(v, path, "nfeatures", 1, L2_MODEL_MAX_FEATURES) != m->nfeatures)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid model JSON: field \"%s%snfeatures\" is " INT64_FORMAT
						" but the model has %d features",
						path, path[0] ? "." : "",
						ToInteger(v, path, "nfeatures", 1, L2_MODEL_MAX_FEATURES),
						m->nfeatures)));
	return m;
}

/* model_from_json(jsonb): a model bytea from model_info's JSON or a minimal object. */
PG_FUNCTION_INFO_V1(l2fuse_model_from_json);
Datum
l2fuse_model_from_json(PG_FUNCTION_ARGS)
{
	Jsonb	   *j = PG_GETARG_JSONB_P(0);
	L2Model    *m;
	char		err[512];

	if (!JB_ROOT_IS_OBJECT(j))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid model JSON: not an object")));
	m = ModelFromJson(&j->root, "", 0);
	if (!l2_model_check(m, err, sizeof(err)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid model JSON: %s", err)));
	PG_RETURN_BYTEA_P(l2_model_to_bytea(m));
}

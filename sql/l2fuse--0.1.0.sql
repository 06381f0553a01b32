-- l2fuse 0.1.0

\echo Use "CREATE EXTENSION l2fuse" to load this file. \quit

-- Every object lives in schema l2fuse.  The script creates the schema itself
-- so that it belongs to the extension and DROP EXTENSION removes it.
CREATE SCHEMA l2fuse;
COMMENT ON SCHEMA l2fuse IS 'l2fuse: in-database L2-regularized linear classifiers';
-- Every role may use the functions, as with objects in a default schema; the
-- schema itself belongs to the bootstrap superuser in a trusted install.
GRANT USAGE ON SCHEMA l2fuse TO PUBLIC;
SET LOCAL search_path = l2fuse, pg_catalog;

---------------------------------------------------------------------------
-- General
---------------------------------------------------------------------------

-- IMMUTABLE for a given installed library; PARALLEL SAFE: reads no state.
CREATE FUNCTION version() RETURNS text
	AS 'MODULE_PATHNAME', 'l2fuse_version'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION version() IS 'version of the l2fuse shared library';

---------------------------------------------------------------------------
-- Models: scoring, introspection and interchange
---------------------------------------------------------------------------

-- Every model is a bytea value in the layout of src/MODEL_FORMAT.md.  All
-- functions below depend only on their arguments, so they are IMMUTABLE, and
-- they touch no shared state, so they are PARALLEL SAFE.  Features are any
-- numeric array: float8[] and real[] are read in place, smallint[],
-- integer[], bigint[] and numeric[] are converted.  One anyarray signature
-- (rather than one per element type) keeps ARRAY[1, 2] and ARRAY[0.5, 2]
-- unambiguous.

CREATE FUNCTION predict(model bytea, features anyarray) RETURNS boolean
	AS 'MODULE_PATHNAME', 'l2fuse_predict'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION predict(bytea, anyarray) IS
	'predicted class of a row: predict_proba >= 0.5 (decision >= 0 for an uncalibrated SVM)';

CREATE FUNCTION predict_proba(model bytea, features anyarray) RETURNS float8
	AS 'MODULE_PATHNAME', 'l2fuse_predict_proba'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION predict_proba(bytea, anyarray) IS
	'probability of the positive class, in [0, 1]';

CREATE FUNCTION decision_function(model bytea, features anyarray) RETURNS float8
	AS 'MODULE_PATHNAME', 'l2fuse_decision_function'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION decision_function(bytea, anyarray) IS
	'decision value: coef . x + intercept on the raw feature scale, or the ensemble margin';

CREATE FUNCTION model_info(model bytea) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'l2fuse_model_info'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION model_info(bytea) IS
	'everything a model holds, as jsonb; model_from_json reads it back exactly';

CREATE FUNCTION coefficients(model bytea) RETURNS float8[]
	AS 'MODULE_PATHNAME', 'l2fuse_coefficients'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION coefficients(bytea) IS
	'coefficients of a linear model on the raw feature scale';

CREATE FUNCTION intercept(model bytea) RETURNS float8
	AS 'MODULE_PATHNAME', 'l2fuse_intercept'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION intercept(bytea) IS
	'intercept of a linear model on the raw feature scale';

CREATE FUNCTION model_from_json(model jsonb) RETURNS bytea
	AS 'MODULE_PATHNAME', 'l2fuse_model_from_json'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION model_from_json(jsonb) IS
	'a model from the JSON of model_info, or from {"kind", "coefficients", "intercept"}';


---------------------------------------------------------------------------
-- Training aggregates
---------------------------------------------------------------------------

-- The aggregates buffer their rows and solve exactly in the final function:
--   logistic:  min_(w,b) sum_i s_i log(1 + exp(-y_i (w.x_i + b))) + (lambda/2) ||w||^2
--   svm:       min_(w,b) sum_i s_i max(0, 1 - y_i (w.x_i + b))^p + (lambda/2) ||w||^2
-- with y_i = +1 for label true, s_i = row weight x class weight, p = 1 (hinge)
-- or 2 (squared_hinge).  Every support function is PARALLEL SAFE: the state is
-- private to the aggregate and travels between workers serialized.
-- Transition and combine functions are STABLE: they read the setting
-- l2fuse.max_train_memory.  They are not STRICT: rows with NULLs are counted.

CREATE FUNCTION logistic_regression_transfn(internal, anyarray, boolean) RETURNS internal
	AS 'MODULE_PATHNAME', 'l2fuse_logistic_transfn'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION logistic_regression_transfn(internal, anyarray, boolean) IS
	'transition function of logistic_regression: validates and buffers one row';

CREATE FUNCTION logistic_regression_transfn(internal, anyarray, boolean, jsonb) RETURNS internal
	AS 'MODULE_PATHNAME', 'l2fuse_logistic_transfn'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION logistic_regression_transfn(internal, anyarray, boolean, jsonb) IS
	'transition function of logistic_regression: validates and buffers one row';

CREATE FUNCTION logistic_regression_transfn(internal, anyarray, boolean, float8, jsonb) RETURNS internal
	AS 'MODULE_PATHNAME', 'l2fuse_logistic_transfn'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION logistic_regression_transfn(internal, anyarray, boolean, float8, jsonb) IS
	'transition function of logistic_regression: validates and buffers one row';

CREATE FUNCTION linear_svm_transfn(internal, anyarray, boolean) RETURNS internal
	AS 'MODULE_PATHNAME', 'l2fuse_svm_transfn'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION linear_svm_transfn(internal, anyarray, boolean) IS
	'transition function of linear_svm: validates and buffers one row';

CREATE FUNCTION linear_svm_transfn(internal, anyarray, boolean, jsonb) RETURNS internal
	AS 'MODULE_PATHNAME', 'l2fuse_svm_transfn'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION linear_svm_transfn(internal, anyarray, boolean, jsonb) IS
	'transition function of linear_svm: validates and buffers one row';

CREATE FUNCTION linear_svm_transfn(internal, anyarray, boolean, float8, jsonb) RETURNS internal
	AS 'MODULE_PATHNAME', 'l2fuse_svm_transfn'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION linear_svm_transfn(internal, anyarray, boolean, float8, jsonb) IS
	'transition function of linear_svm: validates and buffers one row';

-- STABLE: reads l2fuse.max_train_memory; not STRICT: either state may be empty.
CREATE FUNCTION train_combinefn(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'l2fuse_train_combinefn'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION train_combinefn(internal, internal) IS
	'combine function of the training aggregates: appends the rows of two partial states';

-- IMMUTABLE: output depends on the state only.
CREATE FUNCTION train_serialfn(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'l2fuse_train_serialfn'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION train_serialfn(internal) IS
	'serialization function of the training aggregates';

-- IMMUTABLE: output depends on the bytes only; every field is validated.
CREATE FUNCTION train_deserialfn(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'l2fuse_train_deserialfn'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION train_deserialfn(bytea, internal) IS
	'deserialization function of the training aggregates';

-- IMMUTABLE: the model depends on the buffered rows and options only; it does
-- not modify the state, so the aggregates declare FINALFUNC_MODIFY = READ_ONLY
-- and also work as window aggregates.
CREATE FUNCTION train_finalfn(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'l2fuse_train_finalfn'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION train_finalfn(internal) IS
	'final function of the training aggregates: solves the training problem and encodes the model';

CREATE AGGREGATE logistic_regression(features anyarray, label boolean) (
	SFUNC = logistic_regression_transfn,
	STYPE = internal,
	FINALFUNC = train_finalfn,
	FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = train_combinefn,
	SERIALFUNC = train_serialfn,
	DESERIALFUNC = train_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE logistic_regression(anyarray, boolean) IS
	'trains L2-regularized logistic regression on (features, label) rows with default options; returns the model as bytea';

CREATE AGGREGATE logistic_regression(features anyarray, label boolean, options jsonb) (
	SFUNC = logistic_regression_transfn,
	STYPE = internal,
	FINALFUNC = train_finalfn,
	FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = train_combinefn,
	SERIALFUNC = train_serialfn,
	DESERIALFUNC = train_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE logistic_regression(anyarray, boolean, jsonb) IS
	'trains L2-regularized logistic regression on (features, label) rows with options; returns the model as bytea';

CREATE AGGREGATE logistic_regression(features anyarray, label boolean, weight float8, options jsonb) (
	SFUNC = logistic_regression_transfn,
	STYPE = internal,
	FINALFUNC = train_finalfn,
	FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = train_combinefn,
	SERIALFUNC = train_serialfn,
	DESERIALFUNC = train_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE logistic_regression(anyarray, boolean, float8, jsonb) IS
	'trains L2-regularized logistic regression on (features, label) rows with row weights and options; returns the model as bytea';

CREATE AGGREGATE linear_svm(features anyarray, label boolean) (
	SFUNC = linear_svm_transfn,
	STYPE = internal,
	FINALFUNC = train_finalfn,
	FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = train_combinefn,
	SERIALFUNC = train_serialfn,
	DESERIALFUNC = train_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE linear_svm(anyarray, boolean) IS
	'trains L2-regularized linear SVM (hinge or squared hinge, Platt-calibrated) on (features, label) rows with default options; returns the model as bytea';

CREATE AGGREGATE linear_svm(features anyarray, label boolean, options jsonb) (
	SFUNC = linear_svm_transfn,
	STYPE = internal,
	FINALFUNC = train_finalfn,
	FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = train_combinefn,
	SERIALFUNC = train_serialfn,
	DESERIALFUNC = train_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE linear_svm(anyarray, boolean, jsonb) IS
	'trains L2-regularized linear SVM (hinge or squared hinge, Platt-calibrated) on (features, label) rows with options; returns the model as bytea';

CREATE AGGREGATE linear_svm(features anyarray, label boolean, weight float8, options jsonb) (
	SFUNC = linear_svm_transfn,
	STYPE = internal,
	FINALFUNC = train_finalfn,
	FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = train_combinefn,
	SERIALFUNC = train_serialfn,
	DESERIALFUNC = train_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE linear_svm(anyarray, boolean, float8, jsonb) IS
	'trains L2-regularized linear SVM (hinge or squared hinge, Platt-calibrated) on (features, label) rows with row weights and options; returns the model as bytea';


---------------------------------------------------------------------------
-- Ensembles and fitted fusion
---------------------------------------------------------------------------

-- IMMUTABLE PARALLEL SAFE: the result depends only on the arguments.  Not
-- STRICT, so that NULL weights mean equal weights; the C function rejects a
-- NULL models array or voting method itself.
CREATE FUNCTION ensemble(models bytea[], weights float8[] DEFAULT NULL,
						 voting text DEFAULT 'soft') RETURNS bytea
	AS 'MODULE_PATHNAME', 'l2fuse_ensemble'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ensemble(bytea[], float8[], text) IS
	'a soft (mean probability) or hard (weighted majority) voting ensemble of models';

-- fit_ensemble: an ensemble fitted on held-out rows.  The transition and
-- combine functions are STABLE (they read l2fuse.max_train_memory), the others
-- IMMUTABLE (their results depend on their arguments only); all are PARALLEL
-- SAFE (no state outside their arguments); the aggregates are PARALLEL SAFE
-- because their states combine exactly (the rows are kept, not summarized).
-- The transition function is not STRICT: it counts rows with a NULL input.
CREATE FUNCTION fit_ensemble_accum(internal, bytea[], anyarray, boolean) RETURNS internal
	AS 'MODULE_PATHNAME', 'l2fuse_fit_ensemble_accum'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION fit_ensemble_accum(internal, bytea[], anyarray, boolean) IS
	'transition function of fit_ensemble: scores one held-out row with every model';

CREATE FUNCTION fit_ensemble_accum(internal, bytea[], anyarray, boolean, jsonb)
	RETURNS internal
	AS 'MODULE_PATHNAME', 'l2fuse_fit_ensemble_accum'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION fit_ensemble_accum(internal, bytea[], anyarray, boolean, jsonb) IS
	'transition function of fit_ensemble with options';

-- Not STRICT: either state may be missing (a worker that saw no row).
CREATE FUNCTION fit_ensemble_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'l2fuse_fit_ensemble_combine'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION fit_ensemble_combine(internal, internal) IS
	'combine function of fit_ensemble: merges the held-out rows of two states';

CREATE FUNCTION fit_ensemble_serialize(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'l2fuse_fit_ensemble_serialize'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION fit_ensemble_serialize(internal) IS
	'serialize function of fit_ensemble';

CREATE FUNCTION fit_ensemble_deserialize(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'l2fuse_fit_ensemble_deserialize'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION fit_ensemble_deserialize(bytea, internal) IS
	'deserialize function of fit_ensemble; validates its input';

CREATE FUNCTION fit_ensemble_final(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'l2fuse_fit_ensemble_final'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION fit_ensemble_final(internal) IS
	'final function of fit_ensemble: fits the weights or meta-model';

CREATE AGGREGATE fit_ensemble(models bytea[], features anyarray, label boolean) (
	SFUNC = fit_ensemble_accum,
	STYPE = internal,
	FINALFUNC = fit_ensemble_final,
	COMBINEFUNC = fit_ensemble_combine,
	SERIALFUNC = fit_ensemble_serialize,
	DESERIALFUNC = fit_ensemble_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE fit_ensemble(bytea[], anyarray, boolean) IS
	'a stacking ensemble of the models: logistic meta-model fitted on held-out rows';

CREATE AGGREGATE fit_ensemble(models bytea[], features anyarray, label boolean,
							  options jsonb) (
	SFUNC = fit_ensemble_accum,
	STYPE = internal,
	FINALFUNC = fit_ensemble_final,
	COMBINEFUNC = fit_ensemble_combine,
	SERIALFUNC = fit_ensemble_serialize,
	DESERIALFUNC = fit_ensemble_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE fit_ensemble(bytea[], anyarray, boolean, jsonb) IS
	'an ensemble of the models fitted on held-out rows by method stacking, log_loss, accuracy or auc';


---------------------------------------------------------------------------
-- Evaluation
---------------------------------------------------------------------------

-- Every support function below is IMMUTABLE (its result depends on its
-- arguments only), except the transition and combine functions of the score
-- state and of evaluate, which are STABLE: they read l2fuse.max_train_memory.
-- All are PARALLEL SAFE (no state outside their arguments); the aggregates
-- are PARALLEL SAFE because their states combine exactly.
-- Transition functions are not STRICT: they count rows with a NULL input.

-- The score state shared by roc_auc, roc_curve and evaluate.
CREATE FUNCTION scores_accum(internal, float8, boolean) RETURNS internal
	AS 'MODULE_PATHNAME', 'l2fuse_scores_accum'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION scores_accum(internal, float8, boolean) IS
	'transition function of roc_auc and roc_curve: stores one score by its label';

-- Not STRICT: either state may be missing (a worker that saw no row).
CREATE FUNCTION scores_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'l2fuse_scores_combine'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION scores_combine(internal, internal) IS
	'combine function of roc_auc, roc_curve and evaluate: merges two score states';

CREATE FUNCTION scores_serialize(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'l2fuse_scores_serialize'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION scores_serialize(internal) IS
	'serialize function of roc_auc, roc_curve and evaluate';

CREATE FUNCTION scores_deserialize(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'l2fuse_scores_deserialize'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION scores_deserialize(bytea, internal) IS
	'deserialize function of roc_auc, roc_curve and evaluate; validates its input';

CREATE FUNCTION roc_auc_final(internal) RETURNS float8
	AS 'MODULE_PATHNAME', 'l2fuse_roc_auc_final'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION roc_auc_final(internal) IS 'final function of roc_auc';

CREATE FUNCTION roc_curve_final(internal) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'l2fuse_roc_curve_final'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION roc_curve_final(internal) IS 'final function of roc_curve';

-- The final functions sort copies of the scores: the state stays READ_ONLY.
CREATE AGGREGATE roc_auc(score float8, label boolean) (
	SFUNC = scores_accum,
	STYPE = internal,
	FINALFUNC = roc_auc_final,
	COMBINEFUNC = scores_combine,
	SERIALFUNC = scores_serialize,
	DESERIALFUNC = scores_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE roc_auc(float8, boolean) IS
	'exact area under the ROC curve, tied scores counting 1/2; NULL unless both classes occur';

CREATE AGGREGATE roc_curve(score float8, label boolean) (
	SFUNC = scores_accum,
	STYPE = internal,
	FINALFUNC = roc_curve_final,
	COMBINEFUNC = scores_combine,
	SERIALFUNC = scores_serialize,
	DESERIALFUNC = scores_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE roc_curve(float8, boolean) IS
	'ROC curve as a jsonb array of {threshold, fpr, tpr}, one point per distinct score';

-- log_loss: state {rows, compensated sum, compensation}.
CREATE FUNCTION log_loss_accum(float8[], float8, boolean) RETURNS float8[]
	AS 'MODULE_PATHNAME', 'l2fuse_log_loss_accum'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION log_loss_accum(float8[], float8, boolean) IS
	'transition function of log_loss';

CREATE FUNCTION log_loss_combine(float8[], float8[]) RETURNS float8[]
	AS 'MODULE_PATHNAME', 'l2fuse_log_loss_combine'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION log_loss_combine(float8[], float8[]) IS
	'combine function of log_loss';

CREATE FUNCTION log_loss_final(float8[]) RETURNS float8
	AS 'MODULE_PATHNAME', 'l2fuse_log_loss_final'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION log_loss_final(float8[]) IS 'final function of log_loss';

CREATE AGGREGATE log_loss(probability float8, label boolean) (
	SFUNC = log_loss_accum,
	STYPE = float8[],
	INITCOND = '{0,0,0}',
	FINALFUNC = log_loss_final,
	COMBINEFUNC = log_loss_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE log_loss(float8, boolean) IS
	'mean negative log-likelihood, probabilities clipped to [eps, 1 - eps] with eps = 2^-52';

-- confusion: state {tp, fp, tn, fn, skipped}.
CREATE FUNCTION confusion_accum(int8[], boolean, boolean) RETURNS int8[]
	AS 'MODULE_PATHNAME', 'l2fuse_confusion_accum'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION confusion_accum(int8[], boolean, boolean) IS
	'transition function of confusion';

CREATE FUNCTION confusion_combine(int8[], int8[]) RETURNS int8[]
	AS 'MODULE_PATHNAME', 'l2fuse_confusion_combine'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION confusion_combine(int8[], int8[]) IS
	'combine function of confusion';

CREATE FUNCTION confusion_final(int8[]) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'l2fuse_confusion_final'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION confusion_final(int8[]) IS 'final function of confusion';

CREATE AGGREGATE confusion(predicted boolean, label boolean) (
	SFUNC = confusion_accum,
	STYPE = int8[],
	INITCOND = '{0,0,0,0,0}',
	FINALFUNC = confusion_final,
	COMBINEFUNC = confusion_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE confusion(boolean, boolean) IS
	'confusion matrix with accuracy, precision, recall and F1 as jsonb; 0/0 ratios are 0';

-- evaluate: scores each row with the model, then every metric at once.
CREATE FUNCTION evaluate_accum(internal, bytea, anyarray, boolean) RETURNS internal
	AS 'MODULE_PATHNAME', 'l2fuse_evaluate_accum'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION evaluate_accum(internal, bytea, anyarray, boolean) IS
	'transition function of evaluate';

CREATE FUNCTION evaluate_final(internal) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'l2fuse_evaluate_final'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION evaluate_final(internal) IS 'final function of evaluate';

CREATE AGGREGATE evaluate(model bytea, features anyarray, label boolean) (
	SFUNC = evaluate_accum,
	STYPE = internal,
	FINALFUNC = evaluate_final,
	COMBINEFUNC = scores_combine,
	SERIALFUNC = scores_serialize,
	DESERIALFUNC = scores_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE evaluate(bytea, anyarray, boolean) IS
	'every metric of a model on labelled rows, as jsonb';


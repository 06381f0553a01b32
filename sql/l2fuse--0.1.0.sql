-- l2fuse 0.1.0

\echo Use "CREATE EXTENSION l2fuse" to load this file. \quit

-- Every object lives in schema l2fuse.  The script creates the schema itself
-- so that it belongs to the extension and DROP EXTENSION removes it.
CREATE SCHEMA l2fuse;
COMMENT ON SCHEMA l2fuse IS 'l2fuse: in-database L2-regularized linear classifiers';
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

CREATE FUNCTION logistic_regression_transfn(internal, float8[], boolean) RETURNS internal
	AS 'MODULE_PATHNAME', 'l2fuse_logistic_transfn'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION logistic_regression_transfn(internal, float8[], boolean) IS
	'transition function of logistic_regression: validates and buffers one row';

CREATE FUNCTION logistic_regression_transfn(internal, float8[], boolean, jsonb) RETURNS internal
	AS 'MODULE_PATHNAME', 'l2fuse_logistic_transfn'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION logistic_regression_transfn(internal, float8[], boolean, jsonb) IS
	'transition function of logistic_regression: validates and buffers one row';

CREATE FUNCTION logistic_regression_transfn(internal, float8[], boolean, float8, jsonb) RETURNS internal
	AS 'MODULE_PATHNAME', 'l2fuse_logistic_transfn'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION logistic_regression_transfn(internal, float8[], boolean, float8, jsonb) IS
	'transition function of logistic_regression: validates and buffers one row';

CREATE FUNCTION logistic_regression_transfn(internal, real[], boolean) RETURNS internal
	AS 'MODULE_PATHNAME', 'l2fuse_logistic_transfn'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION logistic_regression_transfn(internal, real[], boolean) IS
	'transition function of logistic_regression: validates and buffers one row';

CREATE FUNCTION logistic_regression_transfn(internal, real[], boolean, jsonb) RETURNS internal
	AS 'MODULE_PATHNAME', 'l2fuse_logistic_transfn'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION logistic_regression_transfn(internal, real[], boolean, jsonb) IS
	'transition function of logistic_regression: validates and buffers one row';

CREATE FUNCTION logistic_regression_transfn(internal, real[], boolean, float8, jsonb) RETURNS internal
	AS 'MODULE_PATHNAME', 'l2fuse_logistic_transfn'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION logistic_regression_transfn(internal, real[], boolean, float8, jsonb) IS
	'transition function of logistic_regression: validates and buffers one row';

CREATE FUNCTION linear_svm_transfn(internal, float8[], boolean) RETURNS internal
	AS 'MODULE_PATHNAME', 'l2fuse_svm_transfn'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION linear_svm_transfn(internal, float8[], boolean) IS
	'transition function of linear_svm: validates and buffers one row';

CREATE FUNCTION linear_svm_transfn(internal, float8[], boolean, jsonb) RETURNS internal
	AS 'MODULE_PATHNAME', 'l2fuse_svm_transfn'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION linear_svm_transfn(internal, float8[], boolean, jsonb) IS
	'transition function of linear_svm: validates and buffers one row';

CREATE FUNCTION linear_svm_transfn(internal, float8[], boolean, float8, jsonb) RETURNS internal
	AS 'MODULE_PATHNAME', 'l2fuse_svm_transfn'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION linear_svm_transfn(internal, float8[], boolean, float8, jsonb) IS
	'transition function of linear_svm: validates and buffers one row';

CREATE FUNCTION linear_svm_transfn(internal, real[], boolean) RETURNS internal
	AS 'MODULE_PATHNAME', 'l2fuse_svm_transfn'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION linear_svm_transfn(internal, real[], boolean) IS
	'transition function of linear_svm: validates and buffers one row';

CREATE FUNCTION linear_svm_transfn(internal, real[], boolean, jsonb) RETURNS internal
	AS 'MODULE_PATHNAME', 'l2fuse_svm_transfn'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION linear_svm_transfn(internal, real[], boolean, jsonb) IS
	'transition function of linear_svm: validates and buffers one row';

CREATE FUNCTION linear_svm_transfn(internal, real[], boolean, float8, jsonb) RETURNS internal
	AS 'MODULE_PATHNAME', 'l2fuse_svm_transfn'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION linear_svm_transfn(internal, real[], boolean, float8, jsonb) IS
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

CREATE AGGREGATE logistic_regression(float8[], boolean) (
	SFUNC = logistic_regression_transfn,
	STYPE = internal,
	FINALFUNC = train_finalfn,
	FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = train_combinefn,
	SERIALFUNC = train_serialfn,
	DESERIALFUNC = train_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE logistic_regression(float8[], boolean) IS
	'trains L2-regularized logistic regression on (features, label) rows with default options; returns the model as bytea';

CREATE AGGREGATE logistic_regression(float8[], boolean, jsonb) (
	SFUNC = logistic_regression_transfn,
	STYPE = internal,
	FINALFUNC = train_finalfn,
	FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = train_combinefn,
	SERIALFUNC = train_serialfn,
	DESERIALFUNC = train_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE logistic_regression(float8[], boolean, jsonb) IS
	'trains L2-regularized logistic regression on (features, label) rows with options; returns the model as bytea';

CREATE AGGREGATE logistic_regression(float8[], boolean, float8, jsonb) (
	SFUNC = logistic_regression_transfn,
	STYPE = internal,
	FINALFUNC = train_finalfn,
	FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = train_combinefn,
	SERIALFUNC = train_serialfn,
	DESERIALFUNC = train_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE logistic_regression(float8[], boolean, float8, jsonb) IS
	'trains L2-regularized logistic regression on (features, label) rows with row weights and options; returns the model as bytea';

CREATE AGGREGATE logistic_regression(real[], boolean) (
	SFUNC = logistic_regression_transfn,
	STYPE = internal,
	FINALFUNC = train_finalfn,
	FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = train_combinefn,
	SERIALFUNC = train_serialfn,
	DESERIALFUNC = train_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE logistic_regression(real[], boolean) IS
	'trains L2-regularized logistic regression on (features, label) rows with default options; returns the model as bytea';

CREATE AGGREGATE logistic_regression(real[], boolean, jsonb) (
	SFUNC = logistic_regression_transfn,
	STYPE = internal,
	FINALFUNC = train_finalfn,
	FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = train_combinefn,
	SERIALFUNC = train_serialfn,
	DESERIALFUNC = train_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE logistic_regression(real[], boolean, jsonb) IS
	'trains L2-regularized logistic regression on (features, label) rows with options; returns the model as bytea';

CREATE AGGREGATE logistic_regression(real[], boolean, float8, jsonb) (
	SFUNC = logistic_regression_transfn,
	STYPE = internal,
	FINALFUNC = train_finalfn,
	FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = train_combinefn,
	SERIALFUNC = train_serialfn,
	DESERIALFUNC = train_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE logistic_regression(real[], boolean, float8, jsonb) IS
	'trains L2-regularized logistic regression on (features, label) rows with row weights and options; returns the model as bytea';

CREATE AGGREGATE linear_svm(float8[], boolean) (
	SFUNC = linear_svm_transfn,
	STYPE = internal,
	FINALFUNC = train_finalfn,
	FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = train_combinefn,
	SERIALFUNC = train_serialfn,
	DESERIALFUNC = train_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE linear_svm(float8[], boolean) IS
	'trains L2-regularized linear SVM (hinge or squared hinge, Platt-calibrated) on (features, label) rows with default options; returns the model as bytea';

CREATE AGGREGATE linear_svm(float8[], boolean, jsonb) (
	SFUNC = linear_svm_transfn,
	STYPE = internal,
	FINALFUNC = train_finalfn,
	FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = train_combinefn,
	SERIALFUNC = train_serialfn,
	DESERIALFUNC = train_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE linear_svm(float8[], boolean, jsonb) IS
	'trains L2-regularized linear SVM (hinge or squared hinge, Platt-calibrated) on (features, label) rows with options; returns the model as bytea';

CREATE AGGREGATE linear_svm(float8[], boolean, float8, jsonb) (
	SFUNC = linear_svm_transfn,
	STYPE = internal,
	FINALFUNC = train_finalfn,
	FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = train_combinefn,
	SERIALFUNC = train_serialfn,
	DESERIALFUNC = train_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE linear_svm(float8[], boolean, float8, jsonb) IS
	'trains L2-regularized linear SVM (hinge or squared hinge, Platt-calibrated) on (features, label) rows with row weights and options; returns the model as bytea';

CREATE AGGREGATE linear_svm(real[], boolean) (
	SFUNC = linear_svm_transfn,
	STYPE = internal,
	FINALFUNC = train_finalfn,
	FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = train_combinefn,
	SERIALFUNC = train_serialfn,
	DESERIALFUNC = train_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE linear_svm(real[], boolean) IS
	'trains L2-regularized linear SVM (hinge or squared hinge, Platt-calibrated) on (features, label) rows with default options; returns the model as bytea';

CREATE AGGREGATE linear_svm(real[], boolean, jsonb) (
	SFUNC = linear_svm_transfn,
	STYPE = internal,
	FINALFUNC = train_finalfn,
	FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = train_combinefn,
	SERIALFUNC = train_serialfn,
	DESERIALFUNC = train_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE linear_svm(real[], boolean, jsonb) IS
	'trains L2-regularized linear SVM (hinge or squared hinge, Platt-calibrated) on (features, label) rows with options; returns the model as bytea';

CREATE AGGREGATE linear_svm(real[], boolean, float8, jsonb) (
	SFUNC = linear_svm_transfn,
	STYPE = internal,
	FINALFUNC = train_finalfn,
	FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = train_combinefn,
	SERIALFUNC = train_serialfn,
	DESERIALFUNC = train_deserialfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE linear_svm(real[], boolean, float8, jsonb) IS
	'trains L2-regularized linear SVM (hinge or squared hinge, Platt-calibrated) on (features, label) rows with row weights and options; returns the model as bytea';

-- Stand-ins for the model introspection functions until the model format
-- is built; IMMUTABLE and PARALLEL SAFE: they read their arguments only.
CREATE FUNCTION coefficients(bytea) RETURNS float8[]
	AS 'MODULE_PATHNAME', 'l2fuse_stub_coefficients'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION coefficients(bytea) IS 'coefficients of a model, on the raw feature scale';
CREATE FUNCTION intercept(bytea) RETURNS float8
	AS 'MODULE_PATHNAME', 'l2fuse_stub_intercept'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION intercept(bytea) IS 'intercept of a model';
CREATE FUNCTION model_info(bytea) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'l2fuse_stub_model_info'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION model_info(bytea) IS 'options and training metadata of a model';
CREATE FUNCTION decision_function(bytea, float8[]) RETURNS float8
	AS 'MODULE_PATHNAME', 'l2fuse_stub_decision_function'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION decision_function(bytea, float8[]) IS 'decision value coef.x + intercept';
CREATE FUNCTION predict_proba(bytea, float8[]) RETURNS float8
	AS 'MODULE_PATHNAME', 'l2fuse_stub_predict_proba'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION predict_proba(bytea, float8[]) IS 'probability of the positive class';


---------------------------------------------------------------------------
-- Ensembles and fitted fusion
---------------------------------------------------------------------------


---------------------------------------------------------------------------
-- Evaluation
---------------------------------------------------------------------------


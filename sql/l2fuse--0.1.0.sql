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

-- Every model is a bytea value in the layout of src/MODEL_FORMAT.md.  All
-- functions below depend only on their arguments, so they are IMMUTABLE, and
-- they touch no shared state, so they are PARALLEL SAFE.  Features are
-- float8[] or real[]: both signatures reach one C function that reads either.

CREATE FUNCTION predict(model bytea, features float8[]) RETURNS boolean
	AS 'MODULE_PATHNAME', 'l2fuse_predict'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION predict(bytea, float8[]) IS
	'predicted class of a row: predict_proba >= 0.5 (decision >= 0 for an uncalibrated SVM)';

CREATE FUNCTION predict(model bytea, features real[]) RETURNS boolean
	AS 'MODULE_PATHNAME', 'l2fuse_predict'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION predict(bytea, real[]) IS
	'predicted class of a row: predict_proba >= 0.5 (decision >= 0 for an uncalibrated SVM)';

CREATE FUNCTION predict_proba(model bytea, features float8[]) RETURNS float8
	AS 'MODULE_PATHNAME', 'l2fuse_predict_proba'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION predict_proba(bytea, float8[]) IS
	'probability of the positive class, in [0, 1]';

CREATE FUNCTION predict_proba(model bytea, features real[]) RETURNS float8
	AS 'MODULE_PATHNAME', 'l2fuse_predict_proba'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION predict_proba(bytea, real[]) IS
	'probability of the positive class, in [0, 1]';

CREATE FUNCTION decision_function(model bytea, features float8[]) RETURNS float8
	AS 'MODULE_PATHNAME', 'l2fuse_decision_function'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION decision_function(bytea, float8[]) IS
	'decision value: coef . x + intercept on the raw feature scale, or the ensemble margin';

CREATE FUNCTION decision_function(model bytea, features real[]) RETURNS float8
	AS 'MODULE_PATHNAME', 'l2fuse_decision_function'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION decision_function(bytea, real[]) IS
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


---------------------------------------------------------------------------
-- Evaluation
---------------------------------------------------------------------------


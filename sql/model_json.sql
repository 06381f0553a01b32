-- Introspection and JSON interchange: model_info, coefficients, intercept,
-- model_from_json, and binary and text COPY of models.
SET extra_float_digits = 0;
\set SHOW_CONTEXT never

CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE q;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

-- A minimal logistic model takes the defaults for everything else.
SELECT jsonb_pretty(l2fuse.model_info(l2fuse.model_from_json(
	'{"kind": "logistic", "coefficients": [1.5, -2], "intercept": 0.25}')));

-- A model with every field set.
CREATE TEMP TABLE m (name text PRIMARY KEY, model bytea NOT NULL);
INSERT INTO m VALUES ('svm_full', l2fuse.model_from_json('{
	"kind": "svm", "nfeatures": 3, "intercept": -0.75, "coefficients": [0.1, -2.5, 0.125],
	"options": {"lambda": 0.01, "loss": "hinge", "fit_intercept": false, "standardized": true,
		"means": [1, 2, 3], "scales": [0.5, 1, 2], "class_weight": "explicit",
		"class_weight_pos": 2, "class_weight_neg": 0.5, "tol": 1e-6, "max_iter": 200},
	"training": {"rows_used": 1000, "rows_skipped": 7, "positives": 400, "iterations": 12,
		"objective": 123.456, "optimality": 3.3e-7, "converged": true},
	"calibration": {"calibrated": true, "platt_a": -1.75, "platt_b": 0, "folds": 5}}'));
SELECT jsonb_pretty(l2fuse.model_info(model)) FROM m WHERE name = 'svm_full';
SELECT l2fuse.coefficients(model), l2fuse.intercept(model) FROM m WHERE name = 'svm_full';

-- model -> JSON -> model is byte-identical, including awkward floats.
INSERT INTO m VALUES
	('lr', l2fuse.model_from_json('{"kind": "logistic", "coefficients": [1, 2, -1], "intercept": 0.5}')),
	('floats', l2fuse.model_from_json('{"kind": "logistic", "intercept": 0.1, "coefficients":
		[0.1, 0.30000000000000004, 1e-300, 5e-324, 1.7976931348623157e308,
		 -2.2250738585072014e-308, 0.3333333333333333, 123456789012345680000, -0]}')),
	('svm_min', l2fuse.model_from_json('{"kind": "svm", "coefficients": [1, 1, 1]}'));
INSERT INTO m SELECT 'soft', l2fuse.ensemble(ARRAY[a.model, b.model], '{3,1}')
	FROM m a, m b WHERE a.name = 'lr' AND b.name = 'svm_full';
INSERT INTO m SELECT 'hard', l2fuse.ensemble(ARRAY[a.model, b.model, c.model], NULL, 'hard')
	FROM m a, m b, m c WHERE a.name = 'lr' AND b.name = 'svm_min' AND c.name = 'soft';
INSERT INTO m VALUES ('stacking', l2fuse.model_from_json('{"kind": "ensemble", "voting": "stacking",
	"members": [{"kind": "logistic", "coefficients": [1, 0], "intercept": 0},
		{"kind": "svm", "coefficients": [0, 1], "intercept": -1}],
	"meta": {"intercept": 0.25, "coefficients": [1.5, -0.5]},
	"fit": {"method": "stacking", "holdout_rows": 300, "member_scores": [0.61, 0.72]}}'));
SELECT name, l2fuse.model_from_json(l2fuse.model_info(model)) = model AS identical,
	length(model) AS bytes
FROM m ORDER BY name;
SELECT l2fuse.coefficients(model) = '{0.1, 0.30000000000000004, 1e-300, 5e-324,
	1.7976931348623157e308, -2.2250738585072014e-308, 0.3333333333333333,
	123456789012345680000, 0}'::float8[] AS exact
FROM m WHERE name = 'floats';
-- model_info of an ensemble: voting, weights, meta-model, fit metadata, members.
SELECT l2fuse.model_info(model) - 'members' AS ensemble,
	jsonb_array_length(l2fuse.model_info(model) -> 'members') AS members,
	l2fuse.model_info(model) #> '{members,1,kind}' AS second_kind
FROM m WHERE name IN ('soft', 'hard', 'stacking') ORDER BY name;

-- An SVM is uncalibrated unless Platt parameters are given.
SELECT l2fuse.model_info(model) -> 'calibration' FROM m WHERE name = 'svm_min';
SELECT l2fuse.model_info(l2fuse.model_from_json('{"kind": "svm", "coefficients": [1],
	"calibration": {"platt_a": -3}}')) -> 'calibration';
SELECT l2fuse.model_info(l2fuse.model_from_json('{"kind": "svm", "coefficients": [1],
	"calibration": {"platt_a": -3, "calibrated": false}}')) -> 'calibration';

-- coefficients and intercept do not apply to an ensemble.
SELECT l2fuse.coefficients(model) FROM m WHERE name = 'soft';
SELECT l2fuse.intercept(model) FROM m WHERE name = 'hard';

-- Invalid JSON models: each error names the field.
SELECT pg_temp.err($$SELECT l2fuse.model_from_json('[1, 2]')$$);
SELECT pg_temp.err($$SELECT l2fuse.model_from_json('{"coefficients": [1]}')$$);
SELECT pg_temp.err($$SELECT l2fuse.model_from_json('{"kind": "tree", "coefficients": [1]}')$$);
SELECT pg_temp.err($$SELECT l2fuse.model_from_json('{"kind": 1, "coefficients": [1]}')$$);
SELECT pg_temp.err($$SELECT l2fuse.model_from_json('{"kind": "logistic"}')$$);
SELECT pg_temp.err($$SELECT l2fuse.model_from_json('{"kind": "logistic", "coefficients": 1}')$$);
SELECT pg_temp.err($$SELECT l2fuse.model_from_json('{"kind": "logistic", "coefficients": []}')$$);
SELECT pg_temp.err($$SELECT l2fuse.model_from_json('{"kind": "logistic", "coefficients": [1, "a"]}')$$);
SELECT pg_temp.err($$SELECT l2fuse.model_from_json('{"kind": "logistic", "coefficients": [1e400]}')$$);
SELECT pg_temp.err($$SELECT l2fuse.model_from_json('{"kind": "logistic", "coefficients": [1], "intercept": "0"}')$$);
SELECT pg_temp.err($$SELECT l2fuse.model_from_json('{"kind": "logistic", "coefficients": [1], "nfeatures": 2}')$$);
SELECT pg_temp.err($$SELECT l2fuse.model_from_json('{"kind": "logistic", "coefficients": [1], "coefficient": [1]}')$$);
SELECT pg_temp.err($$SELECT l2fuse.model_from_json('{"kind": "logistic", "coefficients": [1], "format_version": 2}')$$);
SELECT pg_temp.err($$SELECT l2fuse.model_from_json('{"kind": "logistic", "coefficients": [1], "options": {"lambda": -1}}')$$);
SELECT pg_temp.err($$SELECT l2fuse.model_from_json('{"kind": "logistic", "coefficients": [1], "options": {"loss": "hinge"}}')$$);
SELECT pg_temp.err($$SELECT l2fuse.model_from_json('{"kind": "logistic", "coefficients": [1], "options": {"loss": "l1"}}')$$);
SELECT pg_temp.err($$SELECT l2fuse.model_from_json('{"kind": "logistic", "coefficients": [1, 2], "options": {"means": [0]}}')$$);
SELECT pg_temp.err($$SELECT l2fuse.model_from_json('{"kind": "logistic", "coefficients": [1], "options": {"means": [0]}}')$$);
SELECT pg_temp.err($$SELECT l2fuse.model_from_json('{"kind": "logistic", "coefficients": [1], "options": {"means": [0], "scales": [0]}}')$$);
SELECT pg_temp.err($$SELECT l2fuse.model_from_json('{"kind": "logistic", "coefficients": [1], "options": {"max_iter": 1.5}}')$$);
SELECT pg_temp.err($$SELECT l2fuse.model_from_json('{"kind": "logistic", "coefficients": [1], "options": 3}')$$);
SELECT pg_temp.err($$SELECT l2fuse.model_from_json('{"kind": "logistic", "coefficients": [1], "training": {"rows_used": -1}}')$$);
SELECT pg_temp.err($$SELECT l2fuse.model_from_json('{"kind": "logistic", "coefficients": [1], "training": {"rows_used": 5, "positives": 6}}')$$);
SELECT pg_temp.err($$SELECT l2fuse.model_from_json('{"kind": "logistic", "coefficients": [1], "training": {"converged": 1}}')$$);
SELECT pg_temp.err($$SELECT l2fuse.model_from_json('{"kind": "logistic", "coefficients": [1], "calibration": {"platt_a": -1}}')$$);
SELECT pg_temp.err($$SELECT l2fuse.model_from_json('{"kind": "ensemble"}')$$);
SELECT pg_temp.err($$SELECT l2fuse.model_from_json('{"kind": "ensemble", "members": []}')$$);
SELECT pg_temp.err($$SELECT l2fuse.model_from_json('{"kind": "ensemble", "members": [1]}')$$);
SELECT pg_temp.err($$SELECT l2fuse.model_from_json('{"kind": "ensemble", "members": [{"kind": "logistic", "coefficients": [1]}, {"kind": "logistic", "coefficients": [1, "x"]}]}')$$);
SELECT pg_temp.err($$SELECT l2fuse.model_from_json('{"kind": "ensemble", "members": [{"kind": "logistic", "coefficients": [1]}, {"kind": "logistic", "coefficients": [1, 2]}]}')$$);
SELECT pg_temp.err($$SELECT l2fuse.model_from_json('{"kind": "ensemble", "voting": "stacking", "members": [{"kind": "logistic", "coefficients": [1]}]}')$$);
SELECT pg_temp.err($$SELECT l2fuse.model_from_json('{"kind": "ensemble", "voting": "soft", "members": [{"kind": "logistic", "coefficients": [1]}], "meta": {"intercept": 0, "coefficients": [1]}}')$$);
SELECT pg_temp.err($$SELECT l2fuse.model_from_json('{"kind": "ensemble", "voting": "best", "members": [{"kind": "logistic", "coefficients": [1]}]}')$$);
SELECT pg_temp.err($$SELECT l2fuse.model_from_json('{"kind": "ensemble", "members": [{"kind": "svm", "coefficients": [1]}]}')$$);
SELECT pg_temp.err($$SELECT l2fuse.model_from_json('{"kind": "ensemble", "members": [{"kind": "logistic", "coefficients": [1]}], "weights": [1, 2]}')$$);
SELECT pg_temp.err($$SELECT l2fuse.model_from_json('{"kind": "ensemble", "members": [{"kind": "logistic", "coefficients": [1]}], "fit": {"method": "none"}}')$$);
SELECT pg_temp.err($$SELECT l2fuse.model_from_json('{"kind": "ensemble", "members": [{"kind": "logistic", "coefficients": [1]}], "fit": {"method": "auc"}}')$$);

-- COPY carries models unchanged, in binary and in text format.
CREATE TEMP TABLE copy_src AS SELECT name, model FROM m;
CREATE TEMP TABLE copy_bin (LIKE copy_src);
CREATE TEMP TABLE copy_txt (LIKE copy_src);
-- psql's \copy reads and writes the files in the client, with no server
-- privilege.  They go to the results directory that pg_regress creates in
-- its output directory, PG_ABS_BUILDDIR; \copy expands no variables, so
-- psql changes into that directory first.
\getenv abs_builddir PG_ABS_BUILDDIR
\set results_dir :abs_builddir '/results'
\cd :results_dir
\copy copy_src TO 'l2fuse_models.bin' (FORMAT binary)
\copy copy_bin FROM 'l2fuse_models.bin' (FORMAT binary)
\copy copy_src TO 'l2fuse_models.txt'
\copy copy_txt FROM 'l2fuse_models.txt'
SELECT count(*) AS models,
	count(*) FILTER (WHERE b.model = s.model) AS binary_identical,
	count(*) FILTER (WHERE t.model = s.model) AS text_identical,
	count(*) FILTER (WHERE l2fuse.model_info(b.model) = l2fuse.model_info(s.model)) AS info_equal
FROM copy_src s JOIN copy_bin b USING (name) JOIN copy_txt t USING (name);

-- A calibrated SVM's sigmoid must rise through 0.5 at decision 0.
SELECT pg_temp.err($$SELECT l2fuse.model_from_json('{"kind": "svm", "coefficients": [1], "calibration": {"calibrated": true, "platt_a": 1}}')$$);
SELECT pg_temp.err($$SELECT l2fuse.model_from_json('{"kind": "svm", "coefficients": [1], "calibration": {"calibrated": true, "platt_a": 0}}')$$);
SELECT pg_temp.err($$SELECT l2fuse.model_from_json('{"kind": "svm", "coefficients": [1], "calibration": {"calibrated": true, "platt_a": -1, "platt_b": 3}}')$$);

-- l2fuse demo: two classifiers and four ensembles on the Wisconsin
-- breast-cancer data (569 rows, 30 features; see test/data/README.md).
\set ON_ERROR_STOP on
SET client_min_messages = warning;
CREATE EXTENSION l2fuse;
SELECT l2fuse.version() AS "l2fuse version";

-- 1. Load the CSV.
CREATE TABLE breast_cancer_raw (id int PRIMARY KEY, mean_radius float8, mean_texture float8, mean_perimeter float8, mean_area float8, mean_smoothness float8, mean_compactness float8, mean_concavity float8, mean_concave_points float8, mean_symmetry float8, mean_fractal_dimension float8, radius_error float8, texture_error float8, perimeter_error float8, area_error float8, smoothness_error float8, compactness_error float8, concavity_error float8, concave_points_error float8, symmetry_error float8, fractal_dimension_error float8, worst_radius float8, worst_texture float8, worst_perimeter float8, worst_area float8, worst_smoothness float8, worst_compactness float8, worst_concavity float8, worst_concave_points float8, worst_symmetry float8, worst_fractal_dimension float8, diagnosis char(1));
\copy breast_cancer_raw FROM 'test/data/breast_cancer.csv' WITH (FORMAT csv, HEADER true)

-- One feature array per row; the positive class is "malignant".
-- 2. Split by id: 60% train, 20% validation, 20% test.
CREATE TABLE cancer AS
SELECT id,
	ARRAY[mean_radius, mean_texture, mean_perimeter, mean_area, mean_smoothness, mean_compactness, mean_concavity, mean_concave_points, mean_symmetry, mean_fractal_dimension, radius_error, texture_error, perimeter_error, area_error, smoothness_error, compactness_error, concavity_error, concave_points_error, symmetry_error, fractal_dimension_error, worst_radius, worst_texture, worst_perimeter, worst_area, worst_smoothness, worst_compactness, worst_concavity, worst_concave_points, worst_symmetry, worst_fractal_dimension] AS features,
	diagnosis = 'M' AS malignant,
	CASE WHEN id % 10 < 6 THEN 'train' WHEN id % 10 < 8 THEN 'validation' ELSE 'test' END
		AS split
FROM breast_cancer_raw;
SELECT split, count(*) AS rows, count(*) FILTER (WHERE malignant) AS malignant
FROM cancer GROUP BY split ORDER BY min(id % 10);

-- Every model goes into one table with the time its statement took.
CREATE TABLE models (name text PRIMARY KEY, model bytea, seconds float8, ord serial);
CREATE PROCEDURE timed(name text, query text) LANGUAGE plpgsql AS $$
DECLARE
	t0 timestamptz := clock_timestamp();
	m bytea;
BEGIN
	EXECUTE query INTO m;
	INSERT INTO models (name, model, seconds)
	VALUES (name, m, extract(epoch FROM clock_timestamp() - t0));
END $$;

-- 3. Train on the training rows, features standardized.
CALL timed('logistic regression', $q$
	SELECT l2fuse.logistic_regression(features, malignant, '{"standardize": true}'::jsonb)
	FROM cancer WHERE split = 'train' $q$);
CALL timed('linear SVM', $q$
	SELECT l2fuse.linear_svm(features, malignant, '{"standardize": true}'::jsonb)
	FROM cancer WHERE split = 'train' $q$);

-- 4. Ensembles of the two: a plain soft vote, and three fitted on the
-- validation rows (weights by AUC, weights of least log loss, stacking).
CALL timed('soft vote', $q$
	SELECT l2fuse.ensemble(array_agg(model ORDER BY ord)) FROM models $q$);
CALL timed('AUC-weighted vote', $q$
	SELECT l2fuse.fit_ensemble(
		(SELECT array_agg(model ORDER BY ord) FROM models WHERE ord <= 2),
		features, malignant, '{"method": "auc"}'::jsonb)
	FROM cancer WHERE split = 'validation' $q$);
CALL timed('log-loss-weighted vote', $q$
	SELECT l2fuse.fit_ensemble(
		(SELECT array_agg(model ORDER BY ord) FROM models WHERE ord <= 2),
		features, malignant, '{"method": "log_loss"}'::jsonb)
	FROM cancer WHERE split = 'validation' $q$);
CALL timed('stacking', $q$
	SELECT l2fuse.fit_ensemble(
		(SELECT array_agg(model ORDER BY ord) FROM models WHERE ord <= 2),
		features, malignant)
	FROM cancer WHERE split = 'validation' $q$);

-- What the fitted ensembles learned.
SELECT name, info->'fit'->>'method' AS method, info->'weights' AS weights,
	info->'meta' AS "meta-model", info->'fit'->'member_scores' AS "member scores"
FROM (SELECT name, ord, l2fuse.model_info(model) AS info FROM models WHERE ord > 3) s
ORDER BY ord;

-- 5. Every model on the test rows.
SELECT name AS model,
	round((e->>'accuracy')::numeric, 4) AS accuracy,
	round((e->>'roc_auc')::numeric, 4) AS roc_auc,
	round((e->>'log_loss')::numeric, 4) AS log_loss,
	round((seconds * 1000)::numeric, 1) AS "fit ms"
FROM (SELECT m.name, m.ord, m.seconds, l2fuse.evaluate(m.model, c.features, c.malignant) AS e
	  FROM models m, cancer c WHERE c.split = 'test' GROUP BY m.name, m.ord, m.seconds) s
ORDER BY ord;

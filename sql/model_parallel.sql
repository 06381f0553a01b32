-- Scoring under a forced parallel plan gives the same results as serial.
SET extra_float_digits = 0;

-- Regular (not temporary) tables: parallel workers cannot read temp tables.
CREATE TABLE l2fuse_par_rows AS
SELECT i, ARRAY[sin(i) * 3, cos(i * 7) * 2, (i % 11) - 5]::float8[] AS x
FROM generate_series(1, 20000) AS i;
CREATE TABLE l2fuse_par_models AS
SELECT l2fuse.model_from_json('{"kind": "logistic", "coefficients": [1, 2, -1], "intercept": 0.5}') AS lr,
	l2fuse.model_from_json('{"kind": "svm", "coefficients": [0.5, -0.25, 1], "intercept": -1}') AS svm;
ALTER TABLE l2fuse_par_models ADD COLUMN ens bytea;
UPDATE l2fuse_par_models SET ens = l2fuse.ensemble(ARRAY[lr, svm], '{2,1}', 'hard');
ANALYZE l2fuse_par_rows;
ANALYZE l2fuse_par_models;
SELECT lr AS lr, svm AS svm, ens AS ens FROM l2fuse_par_models \gset

-- Serial results.
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial AS
SELECT i, l2fuse.predict_proba(:'lr', x) AS p, l2fuse.decision_function(:'svm', x) AS d,
	l2fuse.predict(:'ens', x) AS y, l2fuse.predict_proba(:'ens', x) AS pe
FROM l2fuse_par_rows;

-- Forced parallel plan.
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET force_parallel_mode = on;
EXPLAIN (COSTS OFF)
SELECT i, l2fuse.predict_proba(:'lr', x) AS p, l2fuse.decision_function(:'svm', x) AS d,
	l2fuse.predict(:'ens', x) AS y, l2fuse.predict_proba(:'ens', x) AS pe
FROM l2fuse_par_rows;
CREATE TEMP TABLE par AS
SELECT i, l2fuse.predict_proba(:'lr', x) AS p, l2fuse.decision_function(:'svm', x) AS d,
	l2fuse.predict(:'ens', x) AS y, l2fuse.predict_proba(:'ens', x) AS pe
FROM l2fuse_par_rows;
-- The same rows, bit for bit.
SELECT count(*) AS rows,
	count(*) FILTER (WHERE s.p = p.p AND s.d = p.d AND s.y = p.y AND s.pe = p.pe) AS identical
FROM serial s JOIN par p USING (i);
-- An aggregate over the scores in parallel, with the model read from a table.
EXPLAIN (COSTS OFF)
SELECT count(*) FILTER (WHERE l2fuse.predict(m.lr, r.x)) FROM l2fuse_par_rows r, l2fuse_par_models m;
SELECT count(*) FILTER (WHERE l2fuse.predict(m.lr, r.x)) AS positives
FROM l2fuse_par_rows r, l2fuse_par_models m;
SELECT count(*) FILTER (WHERE p >= 0.5) AS serial_positives FROM serial;

RESET force_parallel_mode;
RESET max_parallel_workers_per_gather;
DROP TABLE l2fuse_par_rows, l2fuse_par_models;

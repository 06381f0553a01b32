-- Training aggregates: every bad input is a clear error with its SQLSTATE.
\set VERBOSITY default
\set SHOW_CONTEXT never
SET extra_float_digits = 0;

CREATE TABLE te AS
SELECT i, ARRAY[i, i % 3]::float8[] AS f, i % 2 = 0 AS l FROM generate_series(1, 10) i;

-- report the SQLSTATE of a statement
CREATE FUNCTION pg_temp.state(q text) RETURNS text AS $$
BEGIN
  EXECUTE q;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE;
END $$ LANGUAGE plpgsql;

-- Options: unknown key, wrong type, out of range, wrong kind, not an object.
SELECT l2fuse.logistic_regression(f, l, '{"lamda": 1}') FROM te;
SELECT l2fuse.logistic_regression(f, l, '{"lambda": 0}') FROM te;
SELECT l2fuse.logistic_regression(f, l, '{"lambda": -1}') FROM te;
SELECT l2fuse.logistic_regression(f, l, '{"lambda": "1"}') FROM te;
SELECT l2fuse.logistic_regression(f, l, '{"lambda": 1e400}') FROM te;
SELECT l2fuse.logistic_regression(f, l, '{"fit_intercept": 1}') FROM te;
SELECT l2fuse.logistic_regression(f, l, '{"standardize": "yes"}') FROM te;
SELECT l2fuse.logistic_regression(f, l, '{"max_iter": 0}') FROM te;
SELECT l2fuse.logistic_regression(f, l, '{"max_iter": 2.5}') FROM te;
SELECT l2fuse.logistic_regression(f, l, '{"tol": 1}') FROM te;
SELECT l2fuse.logistic_regression(f, l, '{"verbose": null}') FROM te;
SELECT l2fuse.logistic_regression(f, l, '{"class_weight": "auto"}') FROM te;
SELECT l2fuse.logistic_regression(f, l, '{"class_weight": {"true": 0}}') FROM te;
SELECT l2fuse.logistic_regression(f, l, '{"class_weight": {"yes": 1}}') FROM te;
SELECT l2fuse.logistic_regression(f, l, '{"loss": "hinge"}') FROM te;
SELECT l2fuse.logistic_regression(f, l, '{"calibration": true}') FROM te;
SELECT l2fuse.linear_svm(f, l, '{"loss": "log"}') FROM te;
SELECT l2fuse.linear_svm(f, l, '{"calibration_folds": 1}') FROM te;
SELECT l2fuse.linear_svm(f, l, '{"calibration": "no"}') FROM te;
SELECT l2fuse.linear_svm(f, l, '[1, 2]') FROM te;
SELECT l2fuse.linear_svm(f, l, '3') FROM te;
SELECT pg_temp.state($$SELECT l2fuse.linear_svm(f, l, '{"bogus": 1}') FROM te$$);
-- Options must not change between rows.
SELECT l2fuse.logistic_regression(f, l, CASE WHEN i < 5 THEN '{}'::jsonb ELSE '{"lambda": 2}' END)
FROM te;

-- Bad rows.
SELECT l2fuse.logistic_regression(CASE WHEN i = 5 THEN ARRAY[1, 2, 3]::float8[] ELSE f END, l)
FROM te;
SELECT pg_temp.state($$SELECT l2fuse.logistic_regression(
  CASE WHEN i = 5 THEN ARRAY[1]::float8[] ELSE f END, l) FROM te$$);
SELECT l2fuse.logistic_regression(ARRAY[[1, 2], [3, 4]]::float8[], l) FROM te;
SELECT l2fuse.logistic_regression('{}'::float8[], l) FROM te;
SELECT l2fuse.logistic_regression(ARRAY[1, NULL]::float8[], l) FROM te;
SELECT pg_temp.state($$SELECT l2fuse.logistic_regression(ARRAY[1, NULL]::float8[], l) FROM te$$);
SELECT l2fuse.logistic_regression(ARRAY[1, 'NaN']::float8[], l) FROM te;
SELECT l2fuse.logistic_regression(ARRAY[1, '-Infinity']::float8[], l) FROM te;
SELECT l2fuse.linear_svm(ARRAY[1, 'Infinity']::real[], l) FROM te;
SELECT pg_temp.state($$SELECT l2fuse.linear_svm(ARRAY[1, 'NaN']::real[], l) FROM te$$);
SELECT l2fuse.logistic_regression(array_fill(1.0::float8, ARRAY[4097]), l) FROM te;
SELECT pg_temp.state($$SELECT l2fuse.logistic_regression(array_fill(1.0::float8, ARRAY[4097]), l)
  FROM te$$);
SELECT l2fuse.logistic_regression(f, l, -1, NULL) FROM te;
SELECT l2fuse.logistic_regression(f, l, 'NaN', NULL) FROM te;
SELECT l2fuse.linear_svm(f, l, 'Infinity', NULL) FROM te;
SELECT pg_temp.state($$SELECT l2fuse.linear_svm(f, l, -0.5, NULL) FROM te$$);
-- A bad row is an error even with weight 0.
SELECT l2fuse.logistic_regression(ARRAY[1, 'NaN']::float8[], l, 0, NULL) FROM te;

-- One class only: an error, also for a single row, and when weight 0 hides the other class.
SELECT l2fuse.logistic_regression(f, true) FROM te;
SELECT l2fuse.linear_svm(f, false) FROM te;
SELECT l2fuse.logistic_regression(f, l) FROM te WHERE i = 1;
SELECT l2fuse.logistic_regression(f, l, CASE WHEN l THEN 0 ELSE 1 END, NULL) FROM te;
SELECT pg_temp.state($$SELECT l2fuse.logistic_regression(f, true) FROM te$$);

-- The buffer limit is checked early, naming the setting.
SET l2fuse.max_train_memory = '64kB';
SELECT l2fuse.logistic_regression(array_fill(i::float8, ARRAY[100]), i % 2 = 0)
FROM generate_series(1, 1000) i;
SELECT pg_temp.state($$SELECT l2fuse.logistic_regression(array_fill(i::float8, ARRAY[100]),
  i % 2 = 0) FROM generate_series(1, 1000) i$$);
-- A small limit is reached by rows, not by a chunk's slack: 40 rows of 4096
-- features (1.3 MB) train within 2 MB, and 70 rows do not.
SET l2fuse.max_train_memory = '2MB';
SELECT l2fuse.model_info(l2fuse.logistic_regression(array_fill(i::float8, ARRAY[4096]),
  i % 2 = 0))->'training'->'rows_used' AS rows_used FROM generate_series(1, 40) i;
SELECT l2fuse.logistic_regression(array_fill(i::float8, ARRAY[4096]), i % 2 = 0)
FROM generate_series(1, 70) i;
RESET l2fuse.max_train_memory;
SHOW l2fuse.max_train_memory;

-- Weights that would overflow the objective: an error, not a non-finite model.
SELECT l2fuse.logistic_regression(ARRAY[i::float8], i % 2 = 0, 1e307::float8, '{}')
FROM generate_series(1, 40) i;
SELECT l2fuse.linear_svm(ARRAY[i::float8], i % 2 = 0, 1e308::float8, '{}')
FROM generate_series(1, 4) i;
SELECT l2fuse.logistic_regression(ARRAY[i::float8], i % 2 = 0, 1::float8,
  '{"class_weight": {"true": 1e308, "false": 1e308}}') FROM generate_series(1, 4) i;
-- ... while only their ratio to lambda matters: weights 1e200 and lambda 1e200
-- give the coefficients of weights 1 and lambda 1.
SELECT max(abs(a - b)) < 1e-9 AS same
FROM unnest(
  (SELECT l2fuse.coefficients(l2fuse.logistic_regression(ARRAY[i::float8, (i % 7)::float8],
     i % 3 = 0, 1e200::float8, '{"lambda": 1e200}')) FROM generate_series(1, 50) i),
  (SELECT l2fuse.coefficients(l2fuse.logistic_regression(ARRAY[i::float8, (i % 7)::float8],
     i % 3 = 0, 1::float8, '{"lambda": 1}')) FROM generate_series(1, 50) i)) AS u(a, b);

-- max_iter reached: a warning, and the model records it.
SELECT l2fuse.model_info(l2fuse.logistic_regression(f, l, '{"max_iter": 1, "lambda": 0.001}'))
  ->'training'->>'converged' AS converged FROM te;

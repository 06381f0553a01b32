-- Training aggregates under parallel query: partial states are serialized,
-- combined and solved once; the model equals the serial one.
SET extra_float_digits = 0;

CREATE TABLE tp AS
SELECT i, ARRAY[sin(i), cos(1.3 * i), (i % 11) / 10.0]::float8[] AS f,
       2 * sin(i) + cos(1.3 * i) + 0.2 * ((i % 5) - 2) > 0.3 AS l,
       (i % 4)::float8 AS w, i % 3 AS g
FROM generate_series(1, 30000) i;
ANALYZE tp;

CREATE FUNCTION pg_temp.mdiff(a bytea, b bytea) RETURNS float8 AS $$
  SELECT max(abs(x - y)) / greatest(1e-300, max(greatest(abs(x), abs(y))))
  FROM unnest(l2fuse.coefficients(a) || l2fuse.intercept(a),
              l2fuse.coefficients(b) || l2fuse.intercept(b)) t(x, y)
$$ LANGUAGE sql;

SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;

-- The plan aggregates partially in the workers.
EXPLAIN (COSTS OFF) SELECT l2fuse.logistic_regression(f, l) FROM tp;
EXPLAIN (COSTS OFF) SELECT l2fuse.linear_svm(f::real[], l, w, '{}') FROM tp;
EXPLAIN (COSTS OFF) SELECT g, l2fuse.logistic_regression(f, l) FROM tp GROUP BY g;

-- parallel runs
SELECT l2fuse.logistic_regression(f, l) AS p_logistic,
       l2fuse.linear_svm(f, l, w, '{"lambda": 0.1}') AS p_svm,
       l2fuse.linear_svm(f::real[], l, '{"loss": "squared_hinge"}') AS p_sq
FROM tp \gset
SELECT l2fuse.logistic_regression(f, l) AS p_small FROM tp WHERE i <= 100 \gset
SELECT l2fuse.logistic_regression(f, l) IS NULL AS p_empty FROM tp WHERE i < 0;
SELECT l2fuse.model_info(l2fuse.logistic_regression(f, l, w, NULL))->'training'->>'rows_used' AS p_used
FROM tp WHERE i % 1000 = 7;
CREATE TABLE p_groups AS
SELECT g, l2fuse.logistic_regression(f, l) AS m FROM tp GROUP BY g;

-- serial runs, compared
SET max_parallel_workers_per_gather = 0;
SELECT pg_temp.mdiff(:'p_logistic'::bytea, l2fuse.logistic_regression(f, l)) < 1e-9 AS same_logistic,
       pg_temp.mdiff(:'p_svm'::bytea, l2fuse.linear_svm(f, l, w, '{"lambda": 0.1}')) < 1e-6
         AS same_svm,
       pg_temp.mdiff(:'p_sq'::bytea, l2fuse.linear_svm(f::real[], l, '{"loss": "squared_hinge"}'))
         < 1e-9 AS same_squared_hinge
FROM tp;
SELECT abs((l2fuse.model_info(:'p_svm'::bytea)->'calibration'->>'platt_a')::float8 -
           (l2fuse.model_info(l2fuse.linear_svm(f, l, w, '{"lambda": 0.1}'))->'calibration'->>'platt_a')::float8)
       < 1e-6 AS same_calibration
FROM tp;
-- one worker sees all rows, the other none
SELECT pg_temp.mdiff(:'p_small'::bytea, l2fuse.logistic_regression(f, l)) < 1e-9 AS same_small
FROM tp WHERE i <= 100;
SELECT l2fuse.model_info(l2fuse.logistic_regression(f, l, w, NULL))->'training'->>'rows_used' AS s_used
FROM tp WHERE i % 1000 = 7;
SELECT g, pg_temp.mdiff(m, (SELECT l2fuse.logistic_regression(f, l) FROM tp WHERE tp.g = p.g))
  < 1e-9 AS same_group
FROM p_groups p ORDER BY g;

-- A worker that sees no rows, shown by the plan: on a one-page table one
-- worker scans every row and the other none (its state is NULL), and the
-- model equals the serial one exactly.
CREATE FUNCTION pg_temp.worker_rows(stmt text) RETURNS bigint[] AS $$
DECLARE
  plan jsonb;
BEGIN
  EXECUTE 'EXPLAIN (ANALYZE, VERBOSE, FORMAT JSON) ' || stmt INTO plan;
  RETURN ARRAY(SELECT (w ->> 'Actual Rows')::bigint
               FROM jsonb_path_query(plan, 'strict $.** ? (@."Node Type" == "Seq Scan").Workers[*]') w
               ORDER BY 1);
END $$ LANGUAGE plpgsql;
SET max_parallel_workers_per_gather = 2;
CREATE TABLE tp_one_page AS SELECT * FROM tp WHERE i <= 40;
ALTER TABLE tp_one_page SET (parallel_workers = 2);
ANALYZE tp_one_page;
SELECT pg_relation_size('tp_one_page') / current_setting('block_size')::int AS pages;
SELECT pg_temp.worker_rows('CREATE TABLE tp_one_parallel AS
  SELECT l2fuse.logistic_regression(f, l) AS m FROM tp_one_page') AS worker_rows;
SET max_parallel_workers_per_gather = 0;
SELECT p.m = l2fuse.logistic_regression(f, l) AS same_bytes
FROM tp_one_page, tp_one_parallel p GROUP BY p.m;

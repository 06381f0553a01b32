-- fit_ensemble under a parallel plan: each worker's state is serialized,
-- deserialized in the leader and combined there, and the fitted ensemble
-- equals the serial one.
SET extra_float_digits = 0;
CREATE TABLE fp_rows (id int, x float8[], y boolean);
INSERT INTO fp_rows
SELECT i, ARRAY[sin(i), cos(1.3 * i)], sin(i) + 0.5 * cos(1.3 * i) + 0.4 * sin(7.1 * i) > 0
FROM generate_series(1, 30000) i;
INSERT INTO fp_rows VALUES (0, NULL, true), (-1, '{0, 0}', NULL);
ANALYZE fp_rows;

-- The members, a constant once the function is inlined.  Every one of
-- them has a positive weight in the log_loss fit.
CREATE FUNCTION fp_members() RETURNS bytea[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT ARRAY[
		l2fuse.model_from_json('{"kind": "logistic", "coefficients": [8, 2], "intercept": 0}'),
		l2fuse.model_from_json('{"kind": "logistic", "coefficients": [-1, 4], "intercept": 0.1}'),
		l2fuse.model_from_json('{"kind": "logistic", "coefficients": [2, 1], "intercept": -0.2}')]
$$;

-- The four methods in one statement.
CREATE VIEW fp_fits AS
SELECT l2fuse.fit_ensemble(fp_members(), x, y, '{"method": "stacking"}') AS stacking,
	l2fuse.fit_ensemble(fp_members(), x, y, '{"method": "log_loss"}') AS log_loss,
	l2fuse.fit_ensemble(fp_members(), x, y, '{"method": "accuracy"}') AS accuracy,
	l2fuse.fit_ensemble(fp_members(), x, y, '{"method": "auc"}') AS auc
FROM fp_rows;

-- Runs a statement under EXPLAIN ANALYZE and reports its plan: a Finalize
-- Aggregate on top, a Partial Aggregate under a Gather, the workers the
-- Gather launched and the rows each worker's scan returned, in ascending
-- order.
CREATE FUNCTION fp_plan(stmt text)
RETURNS TABLE (finalize_on_top boolean, partial_under_gather boolean, workers int,
			   worker_rows bigint[])
LANGUAGE plpgsql AS $$
DECLARE
	plan jsonb;
	gather jsonb;
BEGIN
	EXECUTE 'EXPLAIN (ANALYZE, VERBOSE, FORMAT JSON) ' || stmt INTO plan;
	gather := jsonb_path_query_first(plan, 'strict $.** ? (@."Node Type" == "Gather")');
	RETURN QUERY SELECT
		plan -> 0 -> 'Plan' ->> 'Partial Mode' = 'Finalize',
		jsonb_path_exists(gather,
			'$.Plans[*] ? (@."Node Type" == "Aggregate" && @."Partial Mode" == "Partial")'),
		(gather ->> 'Workers Launched')::int,
		ARRAY(SELECT (w ->> 'Actual Rows')::bigint
			  FROM jsonb_path_query(gather,
				  'strict $.** ? (@."Node Type" == "Seq Scan").Workers[*]') AS w
			  ORDER BY 1);
END $$;

-- Every scalar of a jsonb value, by path.
CREATE FUNCTION fp_leaves(j jsonb) RETURNS TABLE (path text, v jsonb)
LANGUAGE sql IMMUTABLE AS $$
	WITH RECURSIVE t(path, v) AS (
		SELECT '$', j
		UNION ALL
		SELECT t.path || '.' || e.k, e.v
		FROM t, LATERAL (
			SELECT key, value FROM jsonb_each(CASE jsonb_typeof(t.v) WHEN 'object' THEN t.v END)
			UNION ALL
			SELECT (i - 1)::text, value
			FROM jsonb_array_elements(CASE jsonb_typeof(t.v) WHEN 'array' THEN t.v END)
				WITH ORDINALITY AS a(value, i)) AS e(k, v))
	SELECT path, v FROM t WHERE jsonb_typeof(v) NOT IN ('object', 'array')
$$;

-- How two ensembles differ: whether model_info has the same fields and the
-- same non-numeric values, the largest relative difference of a number in
-- it (the members left out), and the largest difference of their
-- probabilities on the rows of fp_rows.
CREATE FUNCTION fp_compare(a bytea, b bytea)
RETURNS TABLE (same_fields boolean, max_rel_diff float8, max_proba_diff float8)
LANGUAGE sql AS $$
	SELECT bool_and(x.v IS NOT NULL AND y.v IS NOT NULL AND
					(jsonb_typeof(x.v) = 'number' OR x.v = y.v)),
		max(abs((x.v #>> '{}')::float8 - (y.v #>> '{}')::float8) /
			greatest(abs((x.v #>> '{}')::float8), abs((y.v #>> '{}')::float8), 1e-300))
			FILTER (WHERE jsonb_typeof(x.v) = 'number'),
		(SELECT max(abs(l2fuse.predict_proba(a, r.x) - l2fuse.predict_proba(b, r.x)))
		 FROM fp_rows r WHERE r.x IS NOT NULL)
	FROM fp_leaves(l2fuse.model_info(a) - 'members') AS x
		FULL JOIN fp_leaves(l2fuse.model_info(b) - 'members') AS y USING (path)
$$;

-- serial
SET max_parallel_workers_per_gather = 0;
CREATE TABLE fp_serial AS SELECT * FROM fp_fits;

-- parallel: two workers scan every row between them, each some, and the
-- leader only combines
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) CREATE TABLE fp_parallel AS SELECT * FROM fp_fits;
SELECT finalize_on_top, partial_under_gather, workers,
	(SELECT sum(r) FROM unnest(worker_rows) r) AS rows_in_workers,
	0 <> ALL (worker_rows) AS every_worker_scanned
FROM fp_plan('CREATE TABLE fp_parallel AS SELECT * FROM fp_fits');

-- The held-out row counts, the methods and every other non-numeric field
-- agree exactly.  accuracy and auc count and rank, so they are exact;
-- stacking (Newton to a relative gradient of 1e-10) and log_loss (to a
-- Frank-Wolfe gap of 1e-12) sum the rows in another order, so their
-- numbers agree within 1e-9 relative and their probabilities within 1e-9.
SELECT m, c.same_fields, c.max_rel_diff <= tol AS same_numbers,
	c.max_proba_diff <= tol AS same_probabilities, tol
FROM fp_serial s, fp_parallel p,
	LATERAL (VALUES ('stacking', s.stacking, p.stacking, 1e-9::float8),
					('log_loss', s.log_loss, p.log_loss, 1e-9),
					('accuracy', s.accuracy, p.accuracy, 0),
					('auc', s.auc, p.auc, 0)) AS v(m, ser, par, tol),
	LATERAL fp_compare(ser, par) AS c
ORDER BY m;

-- What the parallel plan fitted, to 6 digits.
SELECT m, (j -> 'fit' ->> 'holdout_rows')::int AS holdout_rows, j ->> 'voting' AS voting,
	(SELECT array_agg(round(w::numeric, 6) ORDER BY i)
	 FROM jsonb_array_elements_text(j -> 'weights') WITH ORDINALITY AS a(w, i)) AS weights,
	(SELECT array_agg(round(c::numeric, 6) ORDER BY i)
	 FROM jsonb_array_elements_text(j -> 'meta' -> 'coefficients') WITH ORDINALITY AS a(c, i))
		AS meta,
	(SELECT array_agg(round(s::numeric, 6) ORDER BY i)
	 FROM jsonb_array_elements_text(j -> 'fit' -> 'member_scores') WITH ORDINALITY AS a(s, i))
		AS member_scores
FROM fp_parallel p,
	LATERAL (VALUES ('stacking', l2fuse.model_info(p.stacking)),
					('log_loss', l2fuse.model_info(p.log_loss)),
					('accuracy', l2fuse.model_info(p.accuracy)),
					('auc', l2fuse.model_info(p.auc))) AS v(m, j)
ORDER BY m;

-- The accuracy fit's member scores are the members' shares of rows
-- predicted right, counted here in SQL.
SELECT k, count(*) FILTER (WHERE l2fuse.predict((fp_members())[k], x) = y)::float8 / count(*)
		= (l2fuse.model_info(p.accuracy) -> 'fit' -> 'member_scores' ->> (k - 1))::float8
		AS same_accuracy
FROM fp_rows, fp_parallel p, generate_series(1, 3) AS k
WHERE x IS NOT NULL AND y IS NOT NULL
GROUP BY k, p.accuracy ORDER BY k;

-- A worker that sees no rows: the table is one page, so one of the two
-- workers scans it all and the other's state is NULL.  The combine function
-- takes the one state, whose rows are in the serial order, so the fit
-- equals the serial one exactly.
CREATE TABLE fp_one_page AS SELECT * FROM fp_rows WHERE id <= 40;
ALTER TABLE fp_one_page SET (parallel_workers = 2);
ANALYZE fp_one_page;
SELECT pg_relation_size('fp_one_page') / current_setting('block_size')::int AS pages,
	count(*) AS rows FROM fp_one_page;
SELECT * FROM fp_plan('CREATE TABLE fp_one_parallel AS
	SELECT l2fuse.fit_ensemble(fp_members(), x, y) AS m FROM fp_one_page');
SET max_parallel_workers_per_gather = 0;
SELECT c.*, (l2fuse.model_info(p.m) -> 'fit' ->> 'holdout_rows')::int AS holdout_rows
FROM fp_one_parallel p,
	(SELECT l2fuse.fit_ensemble(fp_members(), x, y) AS m FROM fp_one_page) s,
	LATERAL fp_compare(s.m, p.m) AS c;
SET max_parallel_workers_per_gather = 2;

-- A worker whose rows are all skipped sends a state with no models, only
-- its skipped count; with no usable row at all the result is NULL.
CREATE TABLE fp_skipped AS SELECT id, x, NULL::boolean AS y FROM fp_rows WHERE id <= 40;
ALTER TABLE fp_skipped SET (parallel_workers = 2);
ANALYZE fp_skipped;
SELECT * FROM fp_plan('CREATE TABLE fp_skipped_parallel AS
	SELECT l2fuse.fit_ensemble(fp_members(), x, y, ''{"method": "auc"}'') AS m FROM fp_skipped');
SELECT m IS NULL AS no_model FROM fp_skipped_parallel;
